"""The write-up: an HTML document with MathML whose every number is the trace's, exercises with answer
keys, and class sets of variants checked against the independent reference implementation."""

import itertools
import os
import re

import html5lib
import numpy as np
import pytest

from glassnet.cli import main
from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example
from glassnet.core.naming import parameter_refs
from glassnet.core.network import Network
from glassnet.explain.formulas import fmt
from glassnet.explain.render import to_markdown, value_at
from glassnet.explain.writeup import (
    CLASSIC_NOTE,
    Exercise,
    blank_keys,
    default_blanks,
    well_conditioned,
    writeup_html,
)

from . import plain_numpy as reference

CLASSIC_FIGURES = [
    "0.3775",
    "0.593269992",
    "1.105905967",
    "0.75136507",
    "0.772928465",
    "0.298371109",
    "0.74136507",
    "0.186815602",
    "0.082167041",
    "0.35891648",
    "0.408666186",
    "0.51130127",
    "0.561370121",
    "0.149780716",
    "0.036350306",
    "0.291027774",
]
CONSTANTS = {"0", "1", "2", "3", "4", "0.01"}  # numbers in formulas that are not the trace's


def worked_trace():
    net, x, t, lr = worked_example()
    return net.traced_step(x, t, lr)


def parse(page: str):
    """The document as an element tree; html5lib's strict mode raises on any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def M(name: str) -> str:
    """A MathML element's tag as html5lib names it."""
    return "{http://www.w3.org/1998/Math/MathML}" + name


def text_of(element) -> str:
    return "".join(element.itertext()).replace("\u2212", "-").strip()


def numbers(tree) -> list[tuple[str, str]]:
    """(data-key, printed text) of every keyed number in the document."""
    return [(e.get("data-key"), text_of(e)) for e in tree.iter() if e.get("data-key")]


NETWORKS = {
    "worked example": None,
    "tanh mse": dict(sizes=[3, 4, 2], activation="tanh", loss="mse", seed=7),
    "relu softmax": dict(sizes=[2, 3, 3], activation="relu", loss="categorical_crossentropy", seed=1),
    "sigmoid bce": dict(sizes=[3, 2, 2], activation="sigmoid", loss="binary_crossentropy", seed=2),
    "two hidden leaky": dict(
        sizes=[2, 3, 3, 2], activation="leaky_relu", output_activation="identity", seed=3
    ),
    "softmax half_sse": dict(sizes=[2, 2, 3], activation="tanh", output_activation="softmax", seed=4),
    "no hidden, shared frozen": dict(sizes=[3, 2], bias="shared", train_biases=False, seed=5),
}


def trace_of(name):
    spec = NETWORKS[name]
    if spec is None:
        return worked_trace()
    spec = dict(spec)
    net = Network(spec.pop("sizes"), **spec)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(1, net.sizes[0]))
    t = (
        np.eye(net.sizes[-1])[[1]]
        if net.loss_fn.name == "categorical_crossentropy"
        else rng.uniform(0, 1, (1, 2))
    )
    if t.shape[1] != net.sizes[-1]:
        t = rng.uniform(0.05, 0.95, size=(1, net.sizes[-1]))
    return net.traced_step(x, t, 0.1)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_number_is_the_traces_at_the_printed_precision(name):
    trace = trace_of(name).to_dict()
    tree = parse(writeup_html(trace))
    keyed = numbers(tree)
    assert len(keyed) > 30
    for key, printed in keyed:
        assert printed == fmt(value_at(trace, key)), key
    # the drawing's labels show the weights and biases before the step
    labels = [e for e in tree.iter() if e.get("data-label") in {p["name"] for p in trace["parameters"]}]
    assert labels or len(trace["parameters"]) > 60
    for label in labels:
        name = label.get("data-label")
        assert text_of(label) == f"{name}={fmt(value_at(trace, f'parameters.{name}.old'))}"
    # every other number in a formula is a constant of the formula or a subscript (the 5 of w5)
    subscripts = {id(e[1]) for e in tree.iter(M("msub")) if len(e) > 1}
    constants = [mn for mn in tree.iter(M("mn")) if not mn.get("data-key") and id(mn) not in subscripts]
    assert constants and len(list(tree.iter(M("mn")))) > len(keyed)
    for mn in constants:
        assert text_of(mn) in CONSTANTS, text_of(mn)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_quantity_of_the_trace_is_worked_out(name):
    """Each net input, output, dE/dout, dout/dnet, delta, loss term, gradient and new value has its
    equation, whose last number is its value."""
    trace = trace_of(name)
    d = trace.to_dict()
    tree = parse(writeup_html(trace))
    shown = {e.get("data-quantity") for e in tree.iter() if e.get("data-quantity")}
    wanted = {"loss_total", "loss_after", *(f"loss_terms.{o}" for o in d["loss_terms"])}
    for layer in d["layers"]:
        for n in layer["neurons"]:
            wanted |= {f"neurons.{n['name']}.{k}" for k in ("z", "a", "dE_da", "da_dz", "delta")}
    for p in d["parameters"]:
        wanted |= {f"parameters.{p['name']}.{k}" for k in ("old", "grad", "new")}
    assert wanted <= shown, sorted(wanted - shown)
    for eq in tree.iter("div"):
        if eq.get("class") == "eq":
            last = [e for e in eq.iter() if e.get("data-key")][-1]
            assert last.get("data-key") == eq.get("data-quantity")


def test_the_document_is_mathml_without_scripts_or_network():
    page = writeup_html(worked_trace())
    tree = parse(page)
    assert len(list(tree.iter(M("math")))) > 80 and list(tree.iter(M("mfrac"))) and list(tree.iter(M("msub")))
    assert not list(tree.iter("script")) and "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<svg" in page and page.startswith("<!doctype html>")


def test_the_worked_example_document_has_the_classic_figures(tmp_path, capsys):
    out = tmp_path / "we.html"
    assert main(["writeup", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    tree = parse(out.read_text())
    text = re.sub(r"\s+", "", text_of(tree))
    for figure in CLASSIC_FIGURES:
        assert figure in text, figure
    # the chain rule of w5 and its update, factor by factor
    assert "=0.74136507×0.186815602×0.593269992=0.082167041" in text
    assert "=0.4-0.5×0.082167041=0.35891648" in text
    # the hidden layer's sum over paths, with the weights before the update
    assert "=0.138498562×0.4-0.038098237×0.5=0.055399425-0.019049118=0.036350306" in text
    # the classic write-up's figure after the first update, explained
    assert "0.291027924" in text and "0.291027774" in text
    assert re.sub(r"\s+", "", CLASSIC_NOTE) in text


def test_a_long_network_is_written_per_layer_with_tables():
    net = Network([20, 30, 10], activation="relu", loss="categorical_crossentropy", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (1, 20))
    trace = net.traced_step(x, np.eye(10)[[3]], 0.1)
    page = writeup_html(trace)
    tree = parse(page)
    trace = trace.to_dict()  # value_at on a dict does not convert it again per number
    equations = [e for e in tree.iter("div") if e.get("class") == "eq"]
    rows = list(tree.iter("tr"))
    assert len(equations) < 120, len(equations)  # short groups in full, long ones one per kind
    assert len(rows) > 300  # the rest in tables
    assert "more, every one in the trace" in page  # 600 gradients of the first layer: the table is cut
    assert 'class="label weight"' not in page  # 900 weights: their values are in the tables, not the drawing
    assert writeup_html(worked_trace()).count('class="label weight"') == 2 * 8  # wide and narrow drawing
    for key, printed in numbers(tree):
        assert printed == fmt(value_at(trace, key)), key


# ------------------------------------------------------------------------------------------- exercises
def blanks_of(tree) -> list[int]:
    return [int(e.get("data-blank")) for e in tree.iter(M("mtext")) if "blank" == e.get("class")]


def test_an_exercise_blanks_every_chosen_value_everywhere(tmp_path):
    out = tmp_path / "ex.html"
    assert main(["writeup", "-o", str(out), "--exercise"]) == 0
    trace = worked_trace()
    keys = blank_keys(trace, default_blanks(trace))
    # the outputs, and everything computed from them, so that no later line gives an answer away
    assert keys[:5] == ["neurons.o1.a", "neurons.o2.a", "loss_terms.o1", "loss_terms.o2", "loss_total"]
    assert {f"parameters.w{k}.grad" for k in range(1, 9)} | {
        f"parameters.w{k}.new" for k in range(1, 9)
    } <= set(keys)
    assert {"neurons.h1.a", "neurons.o1.z", "parameters.b1.new"}.isdisjoint(keys)  # given, frozen
    assert keys[-1] == "loss_after" and len(keys) == 34  # the error after the update follows from them
    exercise = parse(out.read_text())
    numbered = blanks_of(exercise)
    assert sorted(set(numbered)) == list(range(1, len(keys) + 1)) and numbered[0] == 1
    shown = {key.lstrip("-") for key, _ in numbers(exercise)}
    assert not shown & set(keys)  # no blanked value is printed anywhere, not even inside another formula
    text = text_of(exercise)
    for key in keys:
        assert fmt(value_at(trace, key)) not in text.replace("−", "-"), key
    # a reference stands where a blanked value is used: E_o1 = 1/2 (0.01 - (1))^2
    assert "(0.01-(1))" in re.sub(r"\s+", "", text)
    # a number computed from a blank is never printed: dE/dout_o1 = (1) - 0.01 is blank (6) itself
    assert "0.74136507" not in text and "0.082167041" not in text
    # nor a share worked out from blanked deltas (0.138498562 x 0.4), nor the error after the update
    assert "0.055399425" not in text and "0.291027774" not in text
    assert "((" not in re.sub(r"\s+", "", text)  # a negative blank is not given away by parentheses

    key_doc = parse((tmp_path / "ex-key.html").read_text())
    assert not blanks_of(key_doc)
    answers = {e.get("data-quantity"): e for e in key_doc.iter("div") if e.get("data-quantity")}
    for n, key in enumerate(keys, start=1):
        assert f"answer ({n})" in text_of(answers[key])
        assert fmt(value_at(trace, key)) in text_of(answers[key])


def test_blanks_are_configurable_and_checked(tmp_path, capsys):
    out = tmp_path / "ex.html"
    assert main(["writeup", "-o", str(out), "--blank", "dE/dw8"]) == 0
    tree = parse(out.read_text())
    assert len(set(blanks_of(tree))) == 3  # dE/dw8, then w8+ and the error after the update
    trace = worked_trace()
    assert blank_keys(trace, ["dE/dw1"]) == ["parameters.w1.grad", "parameters.w1.new", "loss_after"]
    # out_h1 blanked: the gradients that substitute it (dnet_o1/dw5 = out_h1) are blanks too
    # a weight's gradient is its neuron's delta times the value flowing in: blanking deltas blanks it
    assert "parameters.w5.grad" in blank_keys(trace, ["deltas"])
    forward = blank_keys(trace, ["forward"])
    assert "neurons.h1.a" in forward and "parameters.w5.grad" in forward
    for bad, message in [
        ("dE/dw99", "cannot blank 'dE/dw99'"),
        (",,", "nothing to blank"),
        ("b1+", "cannot blank 'b1+': b1 is frozen in this network"),
    ]:
        assert main(["writeup", "-o", str(out), "--blank", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_a_class_set_has_distinct_well_conditioned_variants_whose_keys_the_reference_confirms(tmp_path):
    out = tmp_path / "class.html"
    assert main(["writeup", "-o", str(out), "--students", "4", "--seed", "3"]) == 0
    givens = []
    for k in range(1, 5):
        exercise = parse((tmp_path / f"class-{k}.html").read_text())
        key_doc = parse((tmp_path / f"class-{k}-key.html").read_text())
        assert blanks_of(exercise) and not blanks_of(key_doc)
        printed = dict(numbers(key_doc))
        given = {
            k: float(v)
            for k, v in printed.items()
            if k.startswith(("inputs.", "targets.")) or k.endswith(".old")
        }
        givens.append(tuple(sorted(given.items())))
        check_against_reference(given, printed)
    assert len(set(givens)) == 4  # every student has their own numbers
    # the same seed gives the same class set
    again = tmp_path / "again.html"
    assert main(["writeup", "-o", str(again), "--students", "1", "--seed", "3"]) == 0

    def numbers_only(path):
        return numbers(parse(path.read_text()))

    assert numbers_only(tmp_path / "again-1.html") == numbers_only(tmp_path / "class-1.html")


def check_against_reference(given: dict, printed: dict) -> None:
    """Recompute the worked example network's step with the plain-NumPy reference from the variant's
    givens, and compare every number the key prints for the outputs, losses, gradients and updates."""
    refs = parameter_refs([2, 2, 2], "shared")
    weights = [np.zeros((2, 2)), np.zeros((2, 2))]
    biases = [np.zeros(1), np.zeros(1)]
    for ref in refs:
        value = given[f"parameters.{ref.name}.old"]
        (weights if ref.kind == "weight" else biases)[ref.layer][ref.index] = value
    x = np.array([[given["inputs.i1"], given["inputs.i2"]]])
    t = np.array([[given["targets.o1"], given["targets.o2"]]])
    fs = ["sigmoid", "sigmoid"]
    zs, acts = reference.forward(weights, biases, fs, x)
    E = reference.loss("half_sse", acts[-1], t)
    grad_W, grad_b = reference.backward(weights, biases, fs, "half_sse", zs, acts, t)
    new_W, _ = reference.update(weights, biases, grad_W, grad_b, 0.5, train_biases=False)
    expected = {"loss_total": E, "neurons.o1.a": acts[-1][0, 0], "neurons.o2.a": acts[-1][0, 1]}
    for ref in refs:
        if ref.kind == "weight":
            expected[f"parameters.{ref.name}.grad"] = grad_W[ref.layer][ref.index]
            expected[f"parameters.{ref.name}.new"] = new_W[ref.layer][ref.index]
    for key, value in expected.items():
        assert printed[key].replace("−", "-") == fmt(float(value)), key
    for z in zs:
        assert np.all(np.abs(z) <= 2.0)  # no saturated unit


def test_variants_are_well_conditioned():
    net, x, t, lr = worked_example()
    assert well_conditioned(net.traced_step(x, t, lr))
    saturated = Network([2, 2, 2], seed=0)
    saturated.set_parameters({name: 5.0 for name in saturated.parameters()})
    assert not well_conditioned(saturated.traced_step([[0.5, 0.5]], [[0.1, 0.9]], 0.5))


def test_writeup_refuses_bad_output_names_before_any_work(tmp_path, capsys):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    assert main(["writeup", "-o", str(csv)]) == 2
    assert "expected a file name ending in .html or .pdf" in capsys.readouterr().err
    assert csv.read_text() == "a,b\n1,2\n"
    assert main(["writeup", "-o", str(tmp_path / "missing" / "w.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*partial"))


def test_any_network_from_the_options(tmp_path):
    out = tmp_path / "net.html"
    args = ["writeup", "-o", str(out), "--layers", "3,4,2", "--activation", "tanh", "--loss", "mse"]
    assert main([*args, "--input", "0.1,0.2,0.3", "--target", "0.5,-0.5", "--lr", "0.1"]) == 0
    page = out.read_text()
    assert "A 3-4-2 network with tanh in every layer" in page and "classic write-up" not in page
    assert 'data-key="inputs.i3">0.3<' in page


# -------------------------------------------------------------------------------- notebook and Markdown
def test_trace_writeup_displays_in_a_notebook(tmp_path):
    doc = worked_trace().writeup()
    frame = doc._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;math" in frame and "<script" not in frame
    doc.save(tmp_path / "w.html")
    assert (tmp_path / "w.html").read_text() == doc.html == writeup_html(worked_trace())


def test_markdown_uses_latex_with_the_same_numbers():
    md = to_markdown(worked_trace())
    assert r"\frac{\partial E}{\partial w_{5}}" in md
    assert "= 0.298371109$" in md
    assert "+ -" not in md and "- -" not in md
    for line in md.splitlines():
        if line.startswith("- $"):
            parts = [p.strip() for p in line.rstrip("$").split(" = ")]
            assert all(a != b for a, b in itertools.pairwise(parts)), line  # no "= x = x"


def test_exercise_object_marks_answers():
    trace = worked_trace()
    page = writeup_html(trace, exercise=Exercise({"loss_total": 1}, key=True))
    assert "answer (1)" in page and 'data-key="loss_total">0.298371109<' in page


# ------------------------------------------------------------------------- what a new user tried
@pytest.mark.parametrize(
    "options",
    [
        ["--loss", "categorical_crossentropy"],
        ["--layers", "2,3,3", "--activation", "relu", "--loss", "categorical_crossentropy"],
        ["--layers", "3,4,2", "--activation", "tanh", "--loss", "mse"],
        ["--layers", "2,3,3,2", "--activation", "leaky_relu"],
    ],
)
def test_class_sets_for_every_kind_of_network(tmp_path, options):
    assert main(["writeup", "-o", str(tmp_path / "v.html"), "--students", "2", *options]) == 0
    assert blanks_of(parse((tmp_path / "v-2.html").read_text()))


def test_too_large_is_refused_before_any_work(tmp_path, capsys):
    assert main(["writeup", "-o", str(tmp_path / "x.html"), "--students", "100000"]) == 2
    assert "at most 500 variants" in capsys.readouterr().err
    for command in (["writeup", "-o", str(tmp_path / "x.html")], ["explain"]):
        assert main([*command, "--layers", "1000,1000,10"]) == 2
        err = capsys.readouterr().err
        assert (
            err.startswith("error: a 1000-1000-10 network has 1,011,010 parameters") and err.count("\n") == 1
        )
    assert not list(tmp_path.iterdir())


def test_the_command_says_which_network_it_wrote(tmp_path, capsys):
    assert main(["writeup", "-o", str(tmp_path / "a.html"), "--layers", "2,2,2"]) == 0
    assert "note: a 2-2-2 network with random weights (seed 0)" in capsys.readouterr().err
    assert main(["writeup", "-o", str(tmp_path / "b.html"), "--seed", "5"]) == 0
    assert "--seed changes nothing" in capsys.readouterr().err
    assert "classic worked example" in (tmp_path / "b.html").read_text()


def test_html_files_are_readable_as_any_file_the_user_writes(tmp_path):
    out = tmp_path / "w.html"
    assert main(["writeup", "-o", str(out)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_softmax_with_cross_entropy_says_why_delta_is_not_the_product():
    net = Network([2, 3, 3], activation="relu", loss="categorical_crossentropy", seed=3)
    page = writeup_html(net.traced_step([[0.5, -0.2]], [[0, 1, 0]], 0.3))
    assert "that sum comes to out − target" in page


def test_markdown_keeps_notes_out_of_the_latex():
    net = Network([2, 3, 3, 1], activation="leaky_relu", loss="binary_crossentropy", bias="none", seed=0)
    md = to_markdown(net.traced_step([[0.2, 0.4]], [[1.0]], 0.1))
    assert "- $w_{1} = " in md and "$ (i1 → h1_1)" in md
    for line in md.splitlines():
        if line.startswith("- $"):
            formula = line[3 : line.index("$", 3)]
            assert "\\text{(" not in formula and "→" not in formula, line


def test_a_notebook_makes_exercises_and_keys_and_saves_only_documents(tmp_path):
    trace = worked_trace()
    exercise, key = trace.writeup(exercise=True), trace.writeup(exercise=True, key=True)
    assert "(1)\u2002________" in exercise.html and "answer (1)" in key.html
    assert "Compute the 3 numbered blanks," in trace.writeup(blank="dE/dw8").html
    assert "Compute the numbered blank," in trace.writeup(blank="after").html
    with pytest.raises(GlassnetError, match=r"expected a name ending in \.html or \.pdf"):
        exercise.save(tmp_path / "notes.txt")
    with pytest.raises(GlassnetError, match="does not exist"):
        exercise.save(tmp_path / "missing" / "x.pdf")
    assert not list(tmp_path.iterdir())
