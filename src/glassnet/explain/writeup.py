"""The write-up: one training step as a self-contained HTML document that reads like the classic tutorial.

A title, the network drawn, then the seven steps: what each does in a sentence or two, its rule typeset,
and every quantity worked out with this step's numbers. Formulas are MathML, which browsers render
natively: the file needs no script and no network. Every number carries the trace key it came from
(``data-key``), so the document can be checked against the trace number by number.

Long networks stay readable: a group of equations (one layer's forward pass, one layer's gradients) longer
than ``FULL_GROUP`` is written out for its first neuron or parameter and given in a table for the rest.

>>> from glassnet.core.examples import worked_example
>>> net, x, t, lr = worked_example()
>>> page = writeup_html(net.traced_step(x, t, lr))
>>> page.startswith("<!doctype html>") and "<math" in page and 'data-key="parameters.w5.grad"' in page
True
"""

from __future__ import annotations

import copy
import html
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassnet.core.errors import GlassnetError
from glassnet.core.trace import VIEWS, StepTrace

from ..io.files import atomic_write
from .formulas import Blank, Equation, Node, Sum, fmt, mathml, mathml_terms, number_keys
from .render import Section, sections

FULL_GROUP = 48  # a longer group shows one written-out example per kind of equation and a table
LABELLED_WEIGHTS = 60  # a drawing with more weights leaves their values to the tables (and hovers)
MAX_PARAMETERS = 150_000  # a write-up of every number of a larger network would take minutes and gigabytes
TABLE_ROWS = 200  # a table shows this many rows and says how many more the trace has

CLASSIC_NOTE = (
    "The classic write-up of this example prints 0.291027924 as the error after the first round of "
    "updates; correct gradient descent gives 0.291027774, as above. The difference is in step 5: its "
    "program updated w5 to w8 before it computed the hidden layer's gradients, so the hidden deltas used the "
    "new output weights, where every gradient of one step should use the weights as they were before that "
    "step. All of its first-step figures (0.75136507, 0.298371109, 0.082167041, 0.35891648 and the others) "
    "agree with glassnet's to the digits it prints; so do its updated hidden weights, because w1 to w4 "
    "barely move. Its outputs after 10,000 rounds (0.015912196 and 0.984065734) come from the same program; "
    "glassnet's are 0.0159136204 and 0.9840642735."
)

CSS = """
:root { color-scheme: light; --ink: #1a202c; --muted: #4a5568; --rule: #e2e8f0; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { font: 16px/1.55 Georgia, 'DejaVu Serif', serif; color: var(--ink); margin: 0 auto;
       padding: 1.5rem 1rem 4rem; max-width: 54rem; overflow-wrap: break-word; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.4rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem;
     break-after: avoid; }
h3 { font-size: 1.02rem; margin: 1.2rem 0 0.3rem; color: var(--muted); break-after: avoid; }
p { margin: 0.4rem 0 0.8rem; }
.lead { color: var(--muted); }
math { font-size: 1.05em; }
math[display="block"] { margin: 0.5rem 0; }
.rule { background: #f7fafc; border-left: 3px solid var(--accent); padding: 0.2rem 0.8rem; margin: 0.6rem 0;
        overflow-x: auto; }
.eq { display: flex; flex-wrap: wrap; align-items: center; column-gap: 0.35em; row-gap: 0.15rem;
      margin: 0.55rem 0; padding-left: 1.5em; break-inside: avoid; }
.eq > :first-child { margin-left: -1.5em; }
.eq math, td math { math-style: normal; }
.eq .note { color: var(--muted); font-size: 0.9em; }
figure { margin: 1rem 0; text-align: center; }
figure svg { max-width: 100%; height: auto; max-height: 80vh; }
@media print { figure svg { max-height: 230mm; } }
figcaption { color: var(--muted); font-size: 0.9rem; }
.drawing-narrow { display: none; }
@media (max-width: 600px) { .drawing-wide { display: none; } .drawing-narrow { display: block; } }
@media print { .drawing-narrow { display: none; } .drawing-wide { display: block; } }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.2rem 0.6rem; text-align: left;
         vertical-align: middle; }
th { color: var(--muted); font-weight: normal; }
td.num { font-family: 'DejaVu Sans Mono', monospace; text-align: right; }
.more { color: var(--muted); font-style: italic; }
.glassnet-row table { display: block; overflow-x: auto; max-width: 100%; }
.note-box { background: #fffbea; border: 1px solid #f6e05e; padding: 0.6rem 0.9rem; margin: 1.5rem 0; }
mtext.blank { color: #c05621; }
mtext.ref { color: #c05621; }
.answer { background: #f0fff4; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
@page { margin: 16mm 14mm; }
"""


@dataclass
class Exercise:
    """Which quantities a student computes: ``blanks`` maps a trace key (see render.value_at) to its
    blank's number, in the order they appear; ``key`` writes the answer key instead of the exercise."""

    blanks: dict[str, int] = field(default_factory=dict)
    key: bool = False


def _math(node: Node, blanks: Mapping[str, int], display: bool = False) -> str:
    attr = ' display="block"' if display else ""
    return f"<math{attr}>{mathml(node, blanks)}</math>"


def equation_html(eq: Equation, blanks: Mapping[str, int] | None = None, answer: int | None = None) -> str:
    """One equation as a line that wraps between its stages: lhs = stage = … = value.

    Each stage is its own <math> element, so a narrow page breaks the line at an equals sign rather than
    overflowing.
    """
    blanks = blanks or {}
    parts = eq.parts(blanks)
    pieces = [_math(parts[0], blanks)]
    for node in parts[1:]:
        if isinstance(node, Sum):  # a long sum may wrap between its terms
            for k, (sign, term) in enumerate(mathml_terms(node, blanks)):
                sign_ml = (
                    "<mo>=</mo>" if k == 0 else f'<mo form="infix" lspace="0" rspace="0.2222em">{sign}</mo>'
                )
                pieces.append(f"<math>{sign_ml}{term}</math>")
        else:
            pieces.append(f"<math><mo>=</mo>{mathml(node, blanks)}</math>")
    if answer is not None:
        pieces.append(f'<span class="note answer">answer ({answer})</span>')
    if eq.note:
        pieces.append(f'<span class="note">({html.escape(eq.note)})</span>')
    return f'<div class="eq" data-quantity="{html.escape(eq.key)}">{"".join(pieces)}</div>'


def _kind(key: str) -> str:
    """The kind of an equation: its key without the neuron or parameter name (neurons.*.z)."""
    parts = key.split(".")
    if parts[0] in ("neurons", "parameters", "inputs", "targets", "loss_terms") and len(parts) > 1:
        parts[1] = "*"
    return ".".join(parts)


def _table(eqs: list[Equation], blanks: Mapping[str, int]) -> str:
    rows = []
    for eq in eqs[:TABLE_ROWS]:
        value = Blank(blanks[eq.key]) if eq.key in blanks else eq.value
        note = f"<td>{html.escape(eq.note)}</td>" if any(e.note for e in eqs) else ""
        rows.append(
            f'<tr data-quantity="{html.escape(eq.key)}"><td>{_math(eq.lhs, blanks)}</td>'
            f'<td class="num">{_math(value, blanks)}</td>{note}</tr>'
        )
    more = len(eqs) - TABLE_ROWS
    if more > 0:
        rows.append(
            f'<tr><td colspan="3" class="more">… and {more:,} more, every one in the trace '
            "(<code>glassnet explain --json</code>)</td></tr>"
        )
    head = "<th>quantity</th><th>value</th>" + ("<th></th>" if any(e.note for e in eqs) else "")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="table-wrap">{table}</div>'


def _group_html(eqs: list[Equation], exercise: Exercise | None) -> str:
    blanks = {} if exercise is None or exercise.key else exercise.blanks
    answers = exercise.blanks if exercise is not None and exercise.key else {}
    if len(eqs) <= FULL_GROUP:
        return "".join(equation_html(eq, blanks, answers.get(eq.key)) for eq in eqs)
    examples: dict[str, Equation] = {}
    for eq in eqs:
        examples.setdefault(_kind(eq.key), eq)
    shown = list(examples.values())
    written = "".join(equation_html(eq, blanks, answers.get(eq.key)) for eq in shown)
    lead = (
        f'<p class="lead">{len(eqs):,} quantities: the first of each kind written out, then all of them in '
        "a table.</p>"
    )
    return lead + written + _table(eqs, blanks)


def _groups(eqs: Iterable[Equation]) -> list[tuple[str, list[Equation]]]:
    out: list[tuple[str, list[Equation]]] = []
    for eq in eqs:
        if out and out[-1][0] == eq.group:
            out[-1][1].append(eq)
        else:
            out.append((eq.group, [eq]))
    return out


def _section_html(s: Section, exercise: Exercise | None, headings: bool) -> str:
    parts = [f'<section id="step-{s.number}"><h2>{s.number}. {html.escape(s.title)}</h2>']
    if s.intro:
        parts.append(f"<p>{html.escape(s.intro)}</p>")
    for lhs, rhs in s.rules:
        parts.append(
            f'<div class="rule"><math display="block">{mathml(lhs)}<mo>=</mo>{mathml(rhs)}</math></div>'
        )
    if s.number == 1:  # the givens: one table
        parts.append(_table(s.equations, {}))
        parts.append("</section>")
        return "".join(parts)
    groups = _groups(s.equations)
    for name, eqs in groups:
        if name and headings and len(groups) > 1:
            parts.append(f"<h3>{html.escape(name[0].upper() + name[1:])}</h3>")
        parts.append(_group_html(eqs, exercise))
    if not s.equations:
        parts.append("<p>(none: this network has no hidden layer)</p>")
    parts.append("</section>")
    return "".join(parts)


def describe(d: Mapping[str, Any]) -> str:
    """One sentence about the network of a trace: sizes, activations, loss, optimizer and learning rate."""
    sizes = "-".join(str(n) for n in d["sizes"])
    acts = d["activations"]
    if len(set(acts)) == 1:
        act = f"{acts[0]} in every layer"
    else:
        act = f"{', '.join(sorted(set(acts[:-1])))} hidden layers and a {acts[-1]} output layer"
    bias = {
        "shared": "one bias shared by each layer's neurons",
        "per_neuron": "a bias for every neuron",
        "none": "no biases",
    }[d["bias"]]
    frozen = "" if d["train_biases"] or d["bias"] == "none" else " (held fixed)"
    return (
        f"A {sizes} network with {act}, {bias}{frozen}, the {d['loss']} loss and {d['optimizer']} at "
        f"learning rate {fmt(d['learning_rate'])}."
    )


def drawing_html(d: Mapping[str, Any]) -> str:
    """The network with this step's starting weights, drawn wide and narrow (a small screen shows the
    narrow one)."""
    from .drawing import trace_svg

    labelled = sum(p["kind"] == "weight" for p in d["parameters"]) <= LABELLED_WEIGHTS
    wide = trace_svg(dict(d), width=720, weight_labels=labelled)
    narrow = trace_svg(dict(d), width=360, weight_labels=labelled)
    return (
        f'<figure><div class="drawing-wide">{wide}</div><div class="drawing-narrow">{narrow}</div>'
        "<figcaption>The network before the step: blue weights are positive, red negative, thicker for "
        "larger magnitudes.</figcaption></figure>"
    )


def writeup_html(
    trace: StepTrace | Mapping[str, Any],
    *,
    title: str = "",
    lead: str = "",
    before: str = "",
    note: str = "",
    exercise: Exercise | None = None,
    footer: str = "",
) -> str:
    """The seven steps of one traced training step as a self-contained HTML document.

    ``lead`` is a paragraph under the title, ``before`` HTML placed before the steps (e.g. a trained model's
    explanation of its row), ``note`` a boxed paragraph after them. With an ``exercise``, its blanks replace
    the values a student computes (numbered in order), or, for its key, the answers are marked.
    """
    d = trace.to_dict() if isinstance(trace, StepTrace) else dict(trace)
    steps = sections(d)
    if not title:
        title = "One step of backpropagation, worked out"
        if exercise is not None:
            title = "Exercise: one step of backpropagation" + (" (answer key)" if exercise.key else "")
    body = [f"<h1>{html.escape(title)}</h1>", f'<p class="lead">{html.escape(lead or describe(d))}</p>']
    if exercise is not None and not exercise.key:
        body.append(
            f"<p>Compute {_count(len(exercise.blanks), 'numbered blank')}, in order, rounded to 9 "
            "decimal places (the answer key drops trailing zeros). A number in brackets elsewhere, like "
            "(3), stands for the value of blank 3.</p>"
        )
    elif exercise is not None:
        body.append(
            "<p>The answers to the exercise's numbered blanks are marked "
            "<span class='answer'>answer (n)</span> beside each value.</p>"
        )
    body.append(drawing_html(d))
    body.append(before)
    body += [_section_html(s, exercise, headings=True) for s in steps]
    if note:
        body.append(f'<div class="note-box" id="classic-note"><p>{note}</p></div>')
    body.append(f"<footer>{footer or 'Written by glassnet from the trace of one training step.'}</footer>")
    return _document(title, body)


def _count(n: int, noun: str) -> str:
    return f"the {noun}" if n == 1 else f"the {n} {noun}s"


def _document(title: str, body: list[str]) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def row_writeup_html(e: Mapping[str, Any]) -> str:
    """A trained model's explanation of one CSV row (``rowexplain.explain_row``, with ``full_step``) as a
    document: the row's features and their standardization, the forward pass, the prediction and each
    input's share of it; then, when the row has its target, one step of training on it worked out as in
    any write-up."""
    from .rowexplain import prediction_text, row_html

    where = f"row {e['row']} of {e['data']}" if e.get("row") is not None else "one row"
    title = f"Why the model predicted what it did for {where}"
    net = e["network"]
    lead = (
        f"The saved model {e['model'] or ''} is a {'-'.join(str(n) for n in net['sizes'])} network "
        f"({', '.join(net['activations'])}; {net['loss']} loss). For this row it "
        f"{prediction_text(dict(e))}."
    )
    row = (
        '<section id="row"><h2>The row, through the trained model</h2>'
        "<p>The model standardizes each feature with the mean and scale it learned from its training data, "
        "then runs its forward pass. Each input's share of an output's net input is split along the paths "
        f"it takes: {html.escape(e['contributions']['rule'])}</p>"
        + (
            "<p>The model computes in float32, to about 7 significant digits; the shares are worked out in "
            "float64 from its weights, so they agree with its forward pass to those digits.</p>"
            if net.get("dtype") == "float32"
            else ""
        )
        + f"{row_html(dict(e))}</section>"
    )
    step = e.get("step")
    if not step or not step.get("trace"):
        body = [f"<h1>{html.escape(title)}</h1>", f'<p class="lead">{html.escape(lead)}</p>', row]
        if not step:
            why = e.get("target_note") or "the row has no value in the target column"
            body.append(f"<p>No training step is worked out: {html.escape(why)}.</p>")
        else:
            rows = "".join(
                f"<tr><td>{html.escape(g['name'])}</td><td>{html.escape(g['source'] or 'bias')} → "
                f"{html.escape(', '.join(g['targets']))}</td><td class='num'>{fmt(g['old'])}</td>"
                f"<td class='num'>{fmt(g['grad'])}</td><td class='num'>{fmt(g['new'])}</td></tr>"
                for g in step["largest_gradients"]
            )
            body.append(
                '<section id="step"><h2>One step of training on this row, in summary</h2>'
                f"<p>This network has {step['parameters']:,} parameters, too many to write out every number "
                f"of a step. The error on this row is {fmt(step['loss'])} before one step of plain gradient "
                f"descent at learning rate {fmt(step['learning_rate'])} and {fmt(step['loss_after'])} "
                "after it; these weights have the largest gradients:</p>"
                '<div class="table-wrap"><table><thead><tr><th>parameter</th><th>from → to</th><th>old</th>'
                f"<th>∂E/∂w</th><th>new</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
            )
        body.append("<footer>Written by glassnet from a saved model and one row of data.</footer>")
        return _document(title, body)
    target = e["target"]
    row += (
        '<section id="step"><h2>One step of training on this row</h2>'
        f"<p>{html.escape(step['note'])}: plain gradient descent (whatever optimizer trained the model) at "
        f"learning rate {fmt(step['learning_rate'])} ({html.escape(step['learning_rate_source'])}). The "
        f"row's target is {html.escape(str(e['target_name']))} = {html.escape(repr(target['value']))}; the "
        "inputs below are the standardized features and the targets that value as the network sees it "
        f"({html.escape(target['encoding'])}).</p></section>"
    )
    return writeup_html(
        step["trace"],
        title=title,
        lead=lead,
        before=row,
        footer="Written by glassnet from a saved model and one row of data.",
    )


def check_size(sizes: Sequence[int], bias: str = "per_neuron") -> None:
    """Refuse, before any work, a network too large to write every number of one step."""
    count = sum((a + (bias != "none")) * b for a, b in itertools.pairwise(sizes))
    if count > MAX_PARAMETERS:
        raise GlassnetError(
            f"a {'-'.join(map(str, sizes))} network has {count:,} parameters: too many to write out every "
            f"number of a step (at most {MAX_PARAMETERS:,}); for a trained model, explain one row with "
            "--model, which summarizes a large network"
        )


class Writeup:
    """A write-up document: ``html`` is the page; a notebook shows it in a frame of its own (its styles stay
    inside); ``save(path)`` writes it to an .html file, or a .pdf printed by Chromium."""

    def __init__(self, page: str) -> None:
        self.html = page

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="glassnet write-up" '
            'style="width:100%;height:720px;border:1px solid #e2e8f0" sandbox=""></iframe>'
        )

    def save(self, path: str | os.PathLike[str], paper: str = "a4") -> None:
        """Write the page to ``path``: .html or .htm as it is, .pdf printed by Chromium on ``paper``."""
        suffix = Path(path).suffix.lower()
        if suffix not in (".html", ".htm", ".pdf"):
            raise GlassnetError(
                f"cannot save a write-up as {str(path)!r}: expected a name ending in .html or .pdf"
            )
        if not Path(path).parent.is_dir():
            folder = str(Path(path).parent)
            raise GlassnetError(f"cannot save to {str(path)!r}: folder {folder!r} does not exist")
        if suffix == ".pdf":
            write_pdf(self.html, str(path), paper)
        else:
            atomic_write(path, self.html.encode())

    def __str__(self) -> str:
        return self.html


def _writeup_view(
    trace: StepTrace,
    *,
    exercise: bool | Exercise = False,
    blank: str | Iterable[str] | None = None,
    key: bool = False,
    **options: Any,
) -> Writeup:
    """``StepTrace.writeup``: the write-up; with ``exercise=True`` (or ``blank=`` what to blank, as the
    CLI's --blank) an exercise, and with ``key=True`` its answer key."""
    if isinstance(exercise, Exercise):
        return Writeup(writeup_html(trace, exercise=exercise, **options))
    if exercise or blank is not None or key:
        what = (
            default_blanks(trace) if blank is None else blank.split(",") if isinstance(blank, str) else blank
        )
        try:
            keys = blank_keys(trace, what)
        except ValueError as exc:
            raise GlassnetError(str(exc)) from None
        chosen = Exercise({name: n for n, name in enumerate(keys, start=1)}, key=key)
        return Writeup(writeup_html(trace, exercise=chosen, **options))
    return Writeup(writeup_html(trace, **options))


VIEWS["writeup"] = _writeup_view


# -------------------------------------------------------------------------------------------- exercises
BLANK_GROUPS = ("forward", "outputs", "error", "deltas", "gradients", "updates", "after")


def blank_keys(trace: StepTrace | Mapping[str, Any], what: Iterable[str]) -> list[str]:
    """The trace keys an exercise blanks, in the order the document shows them.

    ``what`` holds group names (forward: every net input and output; outputs: the output layer's outputs;
    error: each loss term and the total; deltas; gradients: every dE/dw and dE/db; updates: every new
    value; after: the error after the update) and single quantities: ``dE/dw5`` (a gradient) or ``w5+``
    (an updated value). Every value computed from a blank is a blank too, so that no later line gives an
    answer away (blanking out_o1 blanks the error, the output layer's gradients and so on down the
    chain); the givens and frozen biases are never blanked.
    """
    d = trace.to_dict() if isinstance(trace, StepTrace) else dict(trace)
    outputs = {n["name"] for n in d["layers"][-1]["neurons"]}
    frozen = set() if d["train_biases"] else {p["name"] for p in d["parameters"] if p["kind"] == "bias"}
    names = {p["name"] for p in d["parameters"]}
    items = [item.strip() for item in what if item.strip()]
    if not items:
        raise ValueError(f"nothing to blank: expected one or more of {', '.join(BLANK_GROUPS)}, dE/dw1, w1+")
    wanted: list[re.Pattern[str]] = []
    for item in items:
        pattern = {
            "forward": r"neurons\.[^.]+\.(z|a)",
            "outputs": rf"neurons\.({'|'.join(sorted(outputs))})\.a",
            "error": r"loss_terms\..*|loss_total",
            "deltas": r"neurons\.[^.]+\.delta",
            "gradients": r"parameters\.[^.]+\.grad",
            "updates": r"parameters\.[^.]+\.new",
            "after": r"loss_after",
        }.get(item)
        if pattern is None:
            match = re.fullmatch(r"dE/d(\w+)|(\w+)\+", item)
            name = (match.group(1) or match.group(2)) if match else None
            if match is None or name is None or name not in names:
                raise ValueError(
                    f"cannot blank {item!r}: expected one of {', '.join(BLANK_GROUPS)}, a gradient such as "
                    f"dE/dw1 or an updated value such as w1+ of a parameter of this network (w1..., b1...)"
                )
            if match.group(2) and name in frozen:
                raise ValueError(
                    f"cannot blank {item!r}: {name} is frozen in this network, it is not updated"
                )
            pattern = rf"parameters\.{name}\.{'grad' if match.group(1) else 'new'}"
        wanted.append(re.compile(pattern))
    # what an equation's value reveals beyond the numbers it substitutes: a weight's gradient is its
    # neuron's delta times the value flowing in, and the error after the update follows from every update
    implied: dict[str, list[str]] = {"loss_after": [f"parameters.{p['name']}.new" for p in d["parameters"]]}
    for p in d["parameters"]:
        if p["kind"] == "weight":
            implied[f"parameters.{p['name']}.grad"] = [f"neurons.{p['targets'][0]}.delta"]
    keys: list[str] = []
    for s in sections(d):
        if s.number == 1:
            continue  # the givens are never blanked
        for eq in s.equations:
            parts = eq.key.split(".")
            if eq.key in keys or (parts[0] == "parameters" and parts[1] in frozen and parts[2] == "new"):
                continue
            chosen = any(p.fullmatch(eq.key) for p in wanted)
            used = [key.lstrip("-") for stage in eq.stages for key in number_keys(stage)]
            uses_a_blank = any(key in keys for key in [*used, *implied.get(eq.key, [])])
            if chosen or uses_a_blank:
                keys.append(eq.key)
    return keys


def default_blanks(trace: StepTrace | Mapping[str, Any]) -> list[str]:
    """What an exercise blanks unless told: the outputs, and so (see ``blank_keys``) everything computed
    from them: the error, the backward pass and the updates. The hidden layers' forward pass is given."""
    return ["outputs"]


# Well-conditioned exercises: no unit near saturation or a kink, no quantity too small to read at 9 digits.
MAX_NET_INPUT = 2.0  # sigmoid' >= 0.105 and tanh' >= 0.07 within it
MIN_MAGNITUDE = 1e-4  # every gradient, delta and loss term shows at least 5 significant digits
VARIANT_ATTEMPTS = 5000


def well_conditioned(trace: StepTrace | Mapping[str, Any]) -> bool:
    """Whether a step makes a fair exercise: every net input within ±MAX_NET_INPUT (and above 0.05 for
    ReLU-like units, away from the kink), and every loss term, dE/dout, delta and gradient at least
    MIN_MAGNITUDE in size (or exactly 0, as the loss terms of a one-hot target's zeros are)."""
    d = trace.to_dict() if isinstance(trace, StepTrace) else dict(trace)
    for layer in d["layers"]:
        for n in layer["neurons"]:
            if abs(n["z"]) > MAX_NET_INPUT:
                return False
            if layer["activation"] in ("relu", "leaky_relu") and n["z"] < 0.05:
                return False
            if abs(n["delta"]) < MIN_MAGNITUDE or 0 < abs(n["dE_da"]) < MIN_MAGNITUDE:
                return False
    # a one-hot target's zero terms are exactly 0 by the formula, not by chance: those are fair
    if any(0 < abs(v) < MIN_MAGNITUDE for v in d["loss_terms"].values()):
        return False
    return all(
        abs(p["grad"]) >= MIN_MAGNITUDE for p in d["parameters"] if d["train_biases"] or p["kind"] == "weight"
    )


def _grid(rng: Any, low: float, high: float, step: float, size: int) -> list[float]:
    """``size`` values on a grid of ``step`` between low and high, as a teacher would choose them."""
    count = round((high - low) / step)
    return [round(low + step * int(k), 2) for k in rng.integers(0, count + 1, size=size)]


def exercise_variant(net: Any, rng: Any, lr: float) -> tuple[Any, list[float], list[float]]:
    """New starting weights (set on ``net``), inputs and targets for one student, drawn on a grid of 0.05
    (targets of 0.01) until the step is well conditioned. Returns (net, inputs, targets)."""
    sizes = net.sizes
    loss = net.loss_fn.name
    out_act = net.activations[-1].name
    for _ in range(VARIANT_ATTEMPTS):
        values = {}
        for ref in net.parameter_refs:
            if ref.kind == "weight":
                (w,) = _grid(rng, 0.05, 0.95, 0.05, 1)
                values[ref.name] = w if rng.random() < 0.7 else -w
            else:
                values[ref.name] = _grid(rng, 0.05, 0.95, 0.05, 1)[0]
        x = _grid(rng, 0.05, 0.95, 0.05, sizes[0])
        if loss == "categorical_crossentropy":
            t = [0.0] * sizes[-1]
            t[int(rng.integers(0, sizes[-1]))] = 1.0
        elif out_act in ("sigmoid", "softmax") or loss == "binary_crossentropy":
            t = _grid(rng, 0.01, 0.99, 0.01, sizes[-1])
        else:
            t = _grid(rng, -0.99, 0.99, 0.01, sizes[-1])
        trial = copy.deepcopy(net)
        trial.set_parameters(values)
        if well_conditioned(trial.traced_step([x], [t], lr)):
            net.set_parameters(values)
            return net, x, t
    raise GlassnetError(
        f"found no well-conditioned exercise for a {'-'.join(map(str, sizes))} {net.activations[0].name} "
        f"network with the {loss} loss in {VARIANT_ATTEMPTS:,} draws: try fewer or smaller layers, or "
        "another activation"
    )


# --------------------------------------------------------------------------------------------------- PDF
PAPERS = {"a4": "A4", "letter": "Letter"}
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


MARGINS: Any = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}  # Playwright's PdfMargins


def write_pdf(page: str, path: str, paper: str = "a4") -> None:
    """Print an HTML document to a PDF with headless Chromium (through Playwright), on A4 or Letter paper."""
    write_pdfs([(page, path)], paper)


def write_pdfs(documents: Sequence[tuple[str, str]], paper: str = "a4") -> None:
    """Print each (HTML page, PDF path) with one headless Chromium, on A4 or Letter paper.

    Uses the system's Chromium when there is one, else the browser Playwright installed. Each PDF is
    written to a temporary file and moved into place only when complete. Playwright's sync API refuses to
    run in a thread with a running asyncio loop (a Jupyter kernel's): there the printing runs in a thread
    of its own.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _print_pdfs(documents, paper)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="glassnet-pdf") as pool:
        pool.submit(_print_pdfs, documents, paper).result()


def _print_pdfs(documents: Sequence[tuple[str, str]], paper: str) -> None:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise GlassnetError(
            "writing a PDF needs Playwright and Chromium: pip install 'glassnet[pdf]', then install "
            "Chromium (Debian: apt install chromium; elsewhere: playwright install chromium)"
        ) from None
    if paper not in PAPERS:
        raise GlassnetError(f"unknown paper {paper!r}: expected one of {', '.join(PAPERS)}")
    executable = next((found for name in CHROMIUMS if (found := shutil.which(name))), None)
    with tempfile.TemporaryDirectory(prefix="glassnet-pdf-") as tmp:
        path = ""
        try:
            with sync_playwright() as p:
                options: dict[str, Any] = {"args": ["--no-sandbox", "--disable-gpu"]}
                if executable:
                    options["executable_path"] = executable
                browser = p.chromium.launch(**options)
                try:
                    tab = browser.new_page()
                    for k, (page, path) in enumerate(documents):
                        source = Path(tmp) / f"writeup-{k}.html"
                        source.write_text(page, encoding="utf-8")
                        target = Path(path)
                        out = Path(tmp) / f"writeup-{k}.pdf"
                        tab.goto(source.as_uri())
                        tab.pdf(path=str(out), format=PAPERS[paper], print_background=True, margin=MARGINS)
                        atomic_write(target, out.read_bytes())
                finally:
                    browser.close()
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GlassnetError(
                f"could not print {path!r} with Chromium ({first}); install Chromium (Debian: apt install "
                "chromium; elsewhere: playwright install chromium)"
            ) from None
