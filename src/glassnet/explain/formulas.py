"""Formulas as small trees, written out three ways: MathML (the write-up), LaTeX (Markdown) and plain text
(the terminal).

A formula is built once from nodes and every view renders the same tree, so the terminal's
``dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5`` and the write-up's typeset ∂E/∂w₅ cannot drift
apart. A number node keeps the trace key it came from (e.g. ``parameters.w5.grad``), so a document can be
checked number by number against the trace, and an exercise can blank a value everywhere it appears.

>>> f = signed_sum([Product([Num(0.15, "parameters.w1.old"), Num(0.05, "inputs.i1")]), Num(-0.2)])
>>> plain(f), latex(f)
('0.15*0.05 - 0.2', '0.15 \\\\times 0.05 - 0.2')
>>> mathml(Sym("net", "h1"))
'<msub><mi>net</mi><mi>h1</mi></msub>'
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MAX_TERMS = 6  # longer sums are shortened: the first terms, "...", the last term


def fmt(x: float) -> str:
    """A number as the classic write-up prints it: 9 decimals, trailing zeros dropped; 9 significant
    digits for very small or large values.

    >>> fmt(0.0821670405642308), fmt(0.74136507), fmt(0.4), fmt(-0.0380982365), fmt(0.000438567734474347)
    ('0.082167041', '0.74136507', '0.4', '-0.038098237', '0.000438568')
    >>> fmt(3.51018778297885e-05), fmt(1.0), fmt(0.0)
    ('3.51018778e-05', '1', '0')
    """
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.9f}".rstrip("0").rstrip(".")
    return f"{x:.9g}"


class Node:
    """A piece of a formula."""


@dataclass(frozen=True)
class Sym(Node):
    """A named quantity: ``base`` with an optional subscript (net_h1, w_5, δ_o1); ``text`` is its plain name
    when that differs from base_sub (w5, i1, delta_o1)."""

    base: str
    sub: str = ""
    text: str = ""


@dataclass(frozen=True)
class Num(Node):
    """A number from the trace (``key`` says where it is; see writeup.value_at) or a constant (no key)."""

    value: float
    key: str = ""


@dataclass(frozen=True)
class Word(Node):
    """Words inside a formula, e.g. 'if net > 0'."""

    text: str


@dataclass(frozen=True)
class Deriv(Node):
    """∂top/∂bottom."""

    top: Node
    bottom: Node


@dataclass(frozen=True)
class Frac(Node):
    top: Node
    bottom: Node


@dataclass(frozen=True)
class Power(Node):
    """base^exponent (e^(-net), (t - out)^2)."""

    base: Node
    exponent: Node


@dataclass(frozen=True)
class Paren(Node):
    inner: Node


@dataclass(frozen=True)
class Call(Node):
    """f(arg), e.g. σ(net_h1), tanh(0.3775), max(0, net)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    """−inner."""

    inner: Node


@dataclass(frozen=True)
class Product(Node):
    """Factors joined by × (numbers) or · (symbols); a negative number after the first is parenthesized."""

    factors: Sequence[Node]


@dataclass(frozen=True)
class Sum(Node):
    """Terms joined by + and −: a term that is a negative number, or a product whose first factor is one, is
    written as a subtraction (a − 0.019, never a + -0.019). ``minus`` marks terms that are subtracted."""

    terms: Sequence[Node]
    minus: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Seq(Node):
    """Nodes side by side, e.g. a symbol and its superscript '+' (w5⁺)."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Sup(Node):
    """A symbol with a superscript mark, e.g. w5⁺ (the value after the update)."""

    base: Node
    mark: str


@dataclass(frozen=True)
class BigSum(Node):
    """∑ over ``under`` of ``body``."""

    under: str
    body: Node


@dataclass(frozen=True)
class Blank(Node):
    """An exercise's numbered blank (the value to compute) or a reference to it (``ref``)."""

    number: int
    ref: bool = False


# --------------------------------------------------------------------------------------------- helpers
def param(name: str) -> Sym:
    """w5 -> w with subscript 5; b1 -> b with subscript 1; i1 -> i with subscript 1."""
    head = name.rstrip("0123456789_")
    return Sym(head, name[len(head) :], name)


def neuron_value(name: str, inputs: Mapping[str, float]) -> Sym:
    """The classic write-up's name for a neuron's value: i1 for an input, out_h1 for the others."""
    return param(name) if name in inputs else Sym("out", name)


def shorten(terms: Sequence[Node]) -> list[Node]:
    """The first terms, an ellipsis and the last term of a long sum."""
    if len(terms) <= MAX_TERMS:
        return list(terms)
    return [*terms[: MAX_TERMS - 1], Word("…"), terms[-1]]


def signed_sum(terms: Sequence[Node]) -> Sum:
    """A sum written with proper signs: a term whose leading number is negative becomes a subtraction of
    its absolute value (0.055 + (-0.019) is written 0.055 − 0.019)."""
    out: list[Node] = []
    minus = set()
    for k, term in enumerate(shorten(terms)):
        flipped = _negated(term)
        if flipped is not None and k > 0:
            out.append(flipped)
            minus.add(k)
        else:
            out.append(term)
    return Sum(out, frozenset(minus))


def _negated(term: Node) -> Node | None:
    """The term with its leading negative number made positive, or None when it has none."""
    if isinstance(term, Num) and term.value < 0:
        return Num(-term.value, term.key and f"-{term.key}")
    if isinstance(term, Product) and term.factors and isinstance(term.factors[0], Num):
        first = term.factors[0]
        if first.value < 0:
            return Product([Num(-first.value, first.key and f"-{first.key}"), *term.factors[1:]])
    return None


def _is_number(node: Node) -> bool:
    return isinstance(node, (Num, Blank))


# -------------------------------------------------------------------------------------------- plain text
def plain(node: Node, blanks: Mapping[str, int] | None = None) -> str:
    """Plain text for the terminal: dE/dw5, out_h1, 0.15*0.05 + 0.2*0.1."""
    b = blanks or {}

    def go(n: Node) -> str:
        if isinstance(n, Sym):
            return n.text or (f"{n.base}_{n.sub}" if n.sub else n.base)
        if isinstance(n, Num):
            key = n.key.lstrip("-")
            return f"[{b[key]}]" if key in b else fmt(n.value)
        if isinstance(n, Blank):
            return f"[{n.number}]" if n.ref else f"[{n.number}] ____"
        if isinstance(n, Word):
            return "..." if n.text == "…" else n.text
        if isinstance(n, Deriv):
            return f"d{go(n.top)}/d{go(n.bottom)}"
        if isinstance(n, Frac):
            return f"{_grouped(n.top, go)}/{_grouped(n.bottom, go)}"
        if isinstance(n, Power):
            return f"{_grouped(n.base, go)}^{_grouped(n.exponent, go)}"
        if isinstance(n, Paren):
            return f"({go(n.inner)})"
        if isinstance(n, Neg):
            return f"-{go(n.inner)}"
        if isinstance(n, Call):
            return f"{n.name}({', '.join(go(a) for a in n.args)})"
        if isinstance(n, Product):
            numeric = all(_is_number(f) for f in n.factors)
            spaced = (numeric and len(n.factors) > 2) or any(isinstance(f, (Deriv, Frac)) for f in n.factors)
            sep = " * " if spaced else "*"
            return sep.join(_factor(f, k, go, b) for k, f in enumerate(n.factors))
        if isinstance(n, Sum):
            return _joined_sum(n, go, " + ", " - ", b)
        if isinstance(n, Seq):
            return "".join(go(i) for i in n.items)
        if isinstance(n, Sup):
            return f"{go(n.base)}{n.mark}"
        if isinstance(n, BigSum):
            return f"sum_{n.under} {go(n.body)}"
        raise TypeError(f"not a formula node: {n!r}")

    return go(node)


def _grouped(n: Node, go: object) -> str:
    text = go(n)  # type: ignore[operator]
    grouped = isinstance(n, (Sum, Product, Neg)) or (isinstance(n, Num) and n.value < 0)
    return f"({text})" if grouped else text


def _factor(f: Node, k: int, go: object, blanks: Mapping[str, int]) -> str:
    text: str = go(f)  # type: ignore[operator]
    return f"({text})" if _parenthesized(f, k, blanks) else text


def _parenthesized(f: Node, k: int, blanks: Mapping[str, int]) -> bool:
    """Whether factor ``k`` of a product needs parentheses: a sum, or a negative number after the first
    factor (not when an exercise blanks it: its sign is for the student to find)."""
    if isinstance(f, Sum):
        return True
    return k > 0 and isinstance(f, Num) and f.value < 0 and f.key.lstrip("-") not in blanks


def _joined_sum(n: Sum, go: object, plus: str, minus: str, blanks: Mapping[str, int]) -> str:
    """The terms with their signs."""
    parts = []
    for k, term in enumerate(n.terms):
        text = go(term)  # type: ignore[operator]
        if k == 0:
            parts.append(text)
        elif k in n.minus and not _negated_blank(term, blanks):
            parts.append(minus + text)
        else:
            parts.append(plus + text)
    return "".join(parts)


def _negated_blank(term: Node, blanks: Mapping[str, int]) -> bool:
    """Whether a term leads with a number that ``signed_sum`` negated (its key starts with "-") and that an
    exercise blanks: the blank stands for the signed value, so the term is added."""
    lead = term.factors[0] if isinstance(term, Product) and term.factors else term
    return isinstance(lead, Num) and lead.key.startswith("-") and lead.key[1:] in blanks


# ------------------------------------------------------------------------------------------------ LaTeX
def _tex_name(text: str) -> str:
    greek = {"δ": r"\delta", "η": r"\eta", "σ": r"\sigma", "α": r"\alpha"}
    if text in greek:
        return greek[text]
    text = text.replace("_", r"\_")
    return text if len(text) == 1 or text.isdigit() else rf"\mathrm{{{text}}}"


def latex(node: Node, blanks: Mapping[str, int] | None = None) -> str:
    """LaTeX for Markdown ($…$): \\frac{\\partial E}{\\partial w_{5}}, 0.15 \\times 0.05."""
    b = blanks or {}

    def go(n: Node) -> str:
        if isinstance(n, Sym):
            base = _tex_name(n.base)
            return f"{base}_{{{_tex_name(n.sub)}}}" if n.sub else base
        if isinstance(n, Num):
            key = n.key.lstrip("-")
            if key in b:
                return rf"\boxed{{{b[key]}}}"
            return fmt(n.value)
        if isinstance(n, Blank):
            return rf"\boxed{{{n.number}}}" if n.ref else rf"\boxed{{{n.number}}}\;\underline{{\qquad\qquad}}"
        if isinstance(n, Word):
            return r"\dots" if n.text == "…" else rf"\text{{{n.text}}}"
        if isinstance(n, Deriv):
            return rf"\frac{{\partial {go(n.top)}}}{{\partial {go(n.bottom)}}}"
        if isinstance(n, Frac):
            return rf"\frac{{{go(n.top)}}}{{{go(n.bottom)}}}"
        if isinstance(n, Power):
            base = go(n.base)
            if isinstance(n.base, (Sum, Product)) or (isinstance(n.base, Num) and n.base.value < 0):
                base = rf"\left({base}\right)"
            return f"{{{base}}}^{{{go(n.exponent)}}}"
        if isinstance(n, Paren):
            return rf"\left({go(n.inner)}\right)"
        if isinstance(n, Neg):
            return f"-{go(n.inner)}"
        if isinstance(n, Call):
            name = {"σ": r"\sigma", "tanh": r"\tanh", "max": r"\max", "ln": r"\ln"}.get(n.name, n.name)
            return rf"{name}\left({', '.join(go(a) for a in n.args)}\right)"
        if isinstance(n, Product):
            numeric = all(_is_number(f) for f in n.factors)
            sep = r" \times " if numeric else r" \cdot "
            parts = []
            for k, f in enumerate(n.factors):
                text = go(f)
                if _parenthesized(f, k, b):
                    text = rf"\left({text}\right)"
                parts.append(text)
            return sep.join(parts)
        if isinstance(n, Sum):
            return _joined_sum(n, go, " + ", " - ", b)
        if isinstance(n, Seq):
            return " ".join(go(i) for i in n.items)
        if isinstance(n, Sup):
            return f"{go(n.base)}^{{{n.mark}}}"
        if isinstance(n, BigSum):
            return rf"\sum_{{{n.under}}} {go(n.body)}"
        raise TypeError(f"not a formula node: {n!r}")

    return go(node)


# ----------------------------------------------------------------------------------------------- MathML
def _mi(text: str) -> str:
    return f"<mi>{html.escape(text)}</mi>"


def mathml(node: Node, blanks: Mapping[str, int] | None = None) -> str:
    """MathML Core (rendered natively by browsers): <msub><mi>net</mi><mi>h1</mi></msub>, <mfrac>, <mn>.

    Every number from the trace carries its key as ``data-key`` so a reader (or a test) can trace it back.
    """
    b = blanks or {}

    def go(n: Node) -> str:
        if isinstance(n, Sym):
            sub = n.sub
            if not sub:
                return _mi(n.base)
            sub_ml = f"<mn>{sub}</mn>" if sub.isdigit() else _mi(sub)
            return f"<msub>{_mi(n.base)}{sub_ml}</msub>"
        if isinstance(n, Num):
            key = n.key.lstrip("-")
            if key in b:
                return f'<mtext class="ref" data-blank="{b[key]}">({b[key]})</mtext>'
            attr = f' data-key="{html.escape(n.key)}"' if n.key else ""
            return f"<mn{attr}>{fmt(n.value).replace('-', '−')}</mn>"  # a minus sign, not a hyphen
        if isinstance(n, Blank):
            if n.ref:
                return f'<mtext class="ref" data-blank="{n.number}">({n.number})</mtext>'
            return f'<mtext class="blank" data-blank="{n.number}">({n.number})\u2002________</mtext>'
        if isinstance(n, Word):
            return "<mo>…</mo>" if n.text == "…" else f"<mtext>{html.escape(n.text)}</mtext>"
        if isinstance(n, Deriv):
            return f"<mfrac><mrow><mo>∂</mo>{go(n.top)}</mrow><mrow><mo>∂</mo>{go(n.bottom)}</mrow></mfrac>"
        if isinstance(n, Frac):
            return f"<mfrac><mrow>{go(n.top)}</mrow><mrow>{go(n.bottom)}</mrow></mfrac>"
        if isinstance(n, Power):
            base = go(n.base)
            if isinstance(n.base, (Sum, Product)) or (isinstance(n.base, Num) and n.base.value < 0):
                base = f"<mrow><mo>(</mo>{base}<mo>)</mo></mrow>"
            return f"<msup><mrow>{base}</mrow><mrow>{go(n.exponent)}</mrow></msup>"
        if isinstance(n, Paren):
            return f"<mrow><mo>(</mo>{go(n.inner)}<mo>)</mo></mrow>"
        if isinstance(n, Neg):
            return f"<mrow><mo>−</mo>{go(n.inner)}</mrow>"
        if isinstance(n, Call):
            args = "<mo>,</mo>".join(go(a) for a in n.args)
            return f"<mrow>{_mi(n.name)}<mo>(</mo>{args}<mo>)</mo></mrow>"
        if isinstance(n, Product):
            numeric = all(_is_number(f) for f in n.factors)
            sep = "<mo>×</mo>" if numeric else "<mo>·</mo>"
            parts = []
            for k, f in enumerate(n.factors):
                text = go(f)
                if _parenthesized(f, k, b):
                    text = f"<mo>(</mo>{text}<mo>)</mo>"
                parts.append(text)
            return f"<mrow>{sep.join(parts)}</mrow>"
        if isinstance(n, Sum):
            return f"<mrow>{_joined_sum(n, go, '<mo>+</mo>', '<mo>−</mo>', b)}</mrow>"
        if isinstance(n, Seq):
            return f"<mrow>{''.join(go(i) for i in n.items)}</mrow>"
        if isinstance(n, Sup):
            return f"<msup>{go(n.base)}<mo>{html.escape(n.mark)}</mo></msup>"
        if isinstance(n, BigSum):
            return f"<mrow><munder><mo>∑</mo>{_mi(n.under)}</munder>{go(n.body)}</mrow>"
        raise TypeError(f"not a formula node: {n!r}")

    return go(node)


def number_keys(node: Node) -> list[str]:
    """The trace keys of every number in a formula, in reading order."""
    if isinstance(node, Num):
        return [node.key] if node.key else []
    keys: list[str] = []
    for value in vars(node).values():
        children = value if isinstance(value, (list, tuple)) else [value]
        for child in children:
            if isinstance(child, Node):
                keys += number_keys(child)
    return keys


def mathml_terms(n: Sum, blanks: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    """A sum's terms as (sign, MathML) pairs, the first sign empty: a writer can let a long sum wrap
    between its terms."""
    b = blanks or {}
    out = []
    for k, term in enumerate(n.terms):
        sign = "" if k == 0 else "−" if k in n.minus and not _negated_blank(term, b) else "+"
        out.append((sign, mathml(term, b)))
    return out


@dataclass
class Equation:
    """One quantity worked out: ``lhs = stages[0] = stages[1] = … = value``.

    ``key`` names the quantity in the trace (see writeup.value_at); ``stages`` go from the rule in symbols
    to the numbers substituted; ``note`` is a short remark shown after it ("frozen", "input").
    """

    key: str
    lhs: Node
    stages: list[Node]
    value: Num
    note: str = ""
    group: str = ""  # e.g. "h1" or "layer 2": a writer may collapse a long group into a table

    def parts(self, blanks: Mapping[str, int] | None = None) -> list[Node]:
        """lhs, the stages that differ from the next one, then the value (or its blank)."""
        blanks = blanks or {}
        value: Node = Blank(blanks[self.key]) if self.key in blanks else self.value
        stages = []
        for stage in self.stages:
            stages.append(stage)
            if any(key.lstrip("-") in blanks for key in number_keys(stage)):
                break  # a later stage is worked out from a blank: it would give the blank away
        chain = [*stages, value]
        kept = [
            node
            for node, after in zip(chain, [*chain[1:], None], strict=True)
            if after is None or plain(node, blanks) != plain(after, blanks)
        ]
        return [self.lhs, *kept]

    def text(self, blanks: Mapping[str, int] | None = None) -> str:
        """The equation as one line of plain text."""
        line = " = ".join(plain(p, blanks) for p in self.parts(blanks))
        return f"{line}   ({self.note})" if self.note else line

    def tex(self, blanks: Mapping[str, int] | None = None) -> str:
        """The equation as LaTeX, without its note (a writer puts the note beside it, as text)."""
        return " = ".join(latex(p, blanks) for p in self.parts(blanks))
