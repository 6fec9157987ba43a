"""Derivations and their reasons written out for each target: LaTeX, Markdown, terminal text.

A step's reason is data, a :class:`Reason`: words with ``{}`` slots and the SymPy expressions
that fill them. Each target prints the expressions its own way (``sp.latex`` on pages,
:func:`derivations.printing.text` in the terminal), so no target is derived from another's
output.

>>> import sympy as sp
>>> from derivations.printing import Equation
>>> x = sp.Symbol("x", real=True)
>>> r = Reason("divide by {}: {}", (sp.exp(x), Equation(sp.exp(x) / (1 + sp.exp(x)), sp.Symbol("s"))))
>>> print(r.text())
divide by e^x: e^x/(e^x + 1) = s
>>> print(r.latex())
{\\small \\text{divide by }e^{x}\\text{: }\\frac{e^{x}}{e^{x} + 1} = s}
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derivations.printing import text as text_of


class _BookLatex(LatexPrinter):
    """SymPy's LaTeX in the book's notation (book/notation.md): ᵀ as ``\\top``, ⊙ for the
    entrywise product."""

    def _print_Transpose(self, expr):
        base = self._print(expr.arg)
        # a name with its own superscript (W^{2}) is bracketed, or MathJax sees a double exponent
        if not isinstance(expr.arg, sp.MatrixSymbol | sp.Symbol) or "^" in base:
            base = f"\\left({base}\\right)"
        return f"{base}^{{\\top}}"

    def _print_HadamardProduct(self, expr):
        from sympy.printing.precedence import PRECEDENCE

        return " \\odot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)


def latex(expr) -> str:
    r"""LaTeX of a SymPy expression in the book's notation.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> latex(A.T * A), latex(sp.HadamardProduct(A, A))
    ('A^{\\top} A', 'A \\odot A')
    """
    return _BookLatex().doprint(expr)


#: The targets :func:`check_summary` writes for.
SUMMARY_TARGETS = ("markdown", "text")


def _pieces(rule: str) -> list[tuple[str, int | None]]:
    """``rule`` as (words, index of the expression that follows or None)."""
    out, auto, numbered = [], 0, False
    try:
        parsed = list(string.Formatter().parse(rule))
    except ValueError as exc:
        raise ValueError(
            f"rule: {rule!r}: {exc} (write {{{{ or }}}} for a literal brace)"
        ) from None
    for words, field, spec, conversion in parsed:
        if field is None:
            out.append((words, None))
            continue
        if spec or conversion or (field and not field.isdigit()):
            raise ValueError(
                f"rule: {{{field}}} in {rule!r} is not a slot; slots are {{}} or {{0}}, "
                "and a literal brace is written {{ or }}"
            )
        if field == "":
            if numbered:
                raise ValueError(f"rule: {rule!r} mixes {{}} and numbered slots")
            index, auto = auto, auto + 1
        else:
            if auto:
                raise ValueError(f"rule: {rule!r} mixes {{}} and numbered slots")
            index, numbered = int(field), True
        out.append((words, index))
    return out


def _escape(words: str) -> str:
    """Words as a rule's literal text (braces doubled, as ``str.format`` reads them)."""
    return words.replace("{", "{{").replace("}", "}}")


def _latex_text(words: str) -> str:
    """Escape what would break ``\\text{...}``."""
    for char, repl in (
        ("{", r"\{"),
        ("}", r"\}"),
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
    ):
        words = words.replace(char, repl)
    return words


def _expression(e):
    """A SymPy object to quote; a matrix made immutable, so that a reason can be hashed."""
    if isinstance(e, sp.MatrixBase):
        return e.as_immutable()
    if isinstance(e, sp.Basic):
        return e
    try:
        return sp.sympify(e, strict=True)  # numbers only: a string is never parsed
    except sp.SympifyError:
        raise TypeError(f"exprs: SymPy expressions or numbers are required, got {e!r}") from None


@dataclass(frozen=True)
class Reason:
    """Why a step holds: words with ``{}`` (or ``{0}``, ``{1}``) slots, and the expressions.

    The words hold no LaTeX: math goes in ``exprs`` as SymPy expressions (an equation is an
    :class:`~derivations.printing.Equation`; a notation SymPy lacks is a
    :class:`~derivations.printing.Notation`).

    >>> import sympy as sp
    >>> from derivations.printing import Equation
    >>> u = sp.Symbol("u")
    >>> Reason("log rule: {}", (Equation(sp.Derivative(sp.log(u), u), 1 / u),)).text()
    'log rule: d/du log(u) = 1/u'
    >>> Reason(r"power rule: $x^n$")
    Traceback (most recent call last):
    ...
    ValueError: rule: 'power rule: $x^n$' holds LaTeX; put the math in exprs, through {} slots
    >>> Reason("two slots {} {}", (u,))
    Traceback (most recent call last):
    ...
    ValueError: exprs: 'two slots {} {}' has slots for 2 expressions, got 1
    """

    rule: str
    exprs: tuple = ()

    def __post_init__(self):
        if not isinstance(self.rule, str) or not self.rule.strip():
            raise ValueError(f"rule: a non-empty string is required, got {self.rule!r}")
        if "\\" in self.rule or "$" in self.rule:
            raise ValueError(
                f"rule: {self.rule!r} holds LaTeX; put the math in exprs, through {{}} slots"
            )
        if not isinstance(self.exprs, tuple | list):
            raise TypeError(f"exprs: a tuple of SymPy expressions is required, got {self.exprs!r}")
        exprs = tuple(_expression(e) for e in self.exprs)
        used = {i for _, i in _pieces(self.rule) if i is not None}
        if used != set(range(len(exprs))):
            raise ValueError(
                f"exprs: {self.rule!r} has slots for {len(used)} expressions, got {len(exprs)}"
            )
        object.__setattr__(self, "exprs", exprs)

    @classmethod
    def words(cls, words: str) -> Reason:
        """A reason that is words only; braces are kept literally.

        >>> Reason.words("mask m in {0, 1}").text()
        'mask m in {0, 1}'
        """
        if not isinstance(words, str):
            raise TypeError(f"words: a string is required, got {type(words).__name__}")
        return cls(_escape(words))

    @classmethod
    def join(cls, reasons, sep: str = "; ") -> Reason:
        """Several reasons as one, in order, separated by ``sep`` (words).

        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> Reason.join([Reason("sum rule"), Reason("{1} and {0}", (x, 2 * x))]).text()
        'sum rule; 2·x and x'
        """
        if not isinstance(sep, str):
            raise TypeError(f"sep: a string is required, got {type(sep).__name__}")
        parts, rule, exprs = [as_reason(r) for r in reasons], [], []
        if not parts:
            raise ValueError("reasons: at least one reason is required")
        for k, part in enumerate(parts):
            if k:
                rule.append(_escape(sep))
            for words, i in _pieces(part.rule):
                rule.append(_escape(words) + ("" if i is None else "{}"))
                if i is not None:
                    exprs.append(part.exprs[i])
        return cls("".join(rule), tuple(exprs))

    def _render(self, words, expr) -> list[str]:
        return [
            words(w) + ("" if i is None else expr(self.exprs[i])) for w, i in _pieces(self.rule)
        ]

    def latex(self) -> str:
        r"""Small text in an equation's margin, the expressions typeset.

        >>> Reason("given").latex()
        '{\\small \\text{given}}'
        """
        parts = []
        for w, i in _pieces(self.rule):
            if w:
                parts.append(f"\\text{{{_latex_text(w)}}}")
            if i is not None:
                parts.append(latex(self.exprs[i]))
        return "{\\small " + "".join(parts) + "}"

    def markdown(self) -> str:
        """Words with inline math.

        >>> import sympy as sp
        >>> Reason("factor out {}", (sp.Symbol("sigma"),)).markdown()
        'factor out $\\\\sigma$'
        """
        return "".join(self._render(str, lambda e: f"${latex(e)}$"))

    def text(self) -> str:
        """Words with the expressions in Unicode, for the terminal.

        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> Reason("{} keeps its parentheses", (sp.exp(x) / (1 + sp.exp(x)),)).text()
        'e^x/(e^x + 1) keeps its parentheses'
        """
        return "".join(self._render(str, text_of))

    def __str__(self) -> str:
        return self.text()


def as_reason(reason) -> Reason:
    """A :class:`Reason` as is, or words (a string without LaTeX) made into one.

    >>> as_reason("expand") == Reason("expand")
    True
    >>> as_reason(3)
    Traceback (most recent call last):
    ...
    TypeError: reason: a Reason or a string is required, got int
    """
    if isinstance(reason, Reason):
        return reason
    if isinstance(reason, str):
        return Reason.words(reason)
    raise TypeError(f"reason: a Reason or a string is required, got {type(reason).__name__}")


def reason_latex(reason) -> str:
    r"""A step's reason as LaTeX for an equation's margin (see :meth:`Reason.latex`).

    >>> import sympy as sp
    >>> print(reason_latex(Reason("sum rule; {} is constant", (sp.Integer(1),))))
    {\small \text{sum rule; }1\text{ is constant}}
    """
    return as_reason(reason).latex()


def reason_text(reason) -> str:
    """A step's reason for the terminal (see :meth:`Reason.text`).

    >>> import sympy as sp
    >>> from derivations.printing import Equation
    >>> s = sp.Symbol("sigma")
    >>> reason_text(Reason("{}", (Equation(sp.Symbol("sigma'"), s * (1 - s)),)))
    "σ' = σ·(1 - σ)"
    """
    return as_reason(reason).text()


# --- derivations -------------------------------------------------------------------------
def _shown(derivation, expr):
    return expr.xreplace(dict(derivation.display)) if derivation.display else expr


def derivation_latex(derivation) -> str:
    r"""An ``aligned`` block, one step a line, the reasons as annotations.

    >>> import sympy as sp
    >>> from derivations.core import Derivation, Step
    >>> x = sp.Symbol("x")
    >>> print(derivation_latex(Derivation("t", [x], [Step(x * (x + 1), "given"),
    ...                                               Step(x**2 + x, "expand")])))
    \begin{aligned}
    &x \left(x + 1\right) && {\small \text{given}}\\
    &= x^{2} + x && {\small \text{expand}}
    \end{aligned}
    """
    lines = []
    for i, step in enumerate(derivation.steps):
        body = latex(_shown(derivation, step.expr))
        if i:
            head = f"&= {body}"
        elif derivation.lhs is not None:
            head = f"{latex(_shown(derivation, derivation.lhs))} &= {body}"
        else:
            head = f"&{body}"
        lines.append(f"{head} && {step.reason.latex()}")
    return "\\begin{aligned}\n" + "\\\\\n".join(lines) + "\n\\end{aligned}"


#: A matrix with more rows or columns than this is shown in index form on a page, in full
#: only behind a toggle: a 4×3 matrix of long entries is wider than any column.
LARGEST_SHOWN = 3


def _too_big(expr) -> bool:
    return isinstance(expr, sp.MatrixBase) and max(expr.shape) > LARGEST_SHOWN


def derivation_myst(derivation, label: str | None = None, *, entry=None) -> str:
    r"""MyST Markdown for a book page: one step a block, each reason kept with its step.

    Each step is a display equation of its own with its reason beneath it (a page wraps
    blocks, never an equation), inside ``dv-derivation``/``dv-step`` containers the book's
    stylesheet lays out. ``label`` numbers the last step, so prose can cite it with
    ``{eq}`label```. A matrix larger than 3×3 is shown behind a toggle, titled with its
    shape; ``entry`` (a :class:`~derivations.printing.Equation`, such as
    :math:`\partial l/\partial W_{ij} = \delta_i h_j`) is then shown first, in index form,
    and takes the label.

    >>> import sympy as sp
    >>> from derivations.core import Derivation, Step
    >>> x = sp.Symbol("x")
    >>> d = Derivation("t", [x], [Step(x * (x + 1), "given"), Step(x**2 + x, "expand")],
    ...                lhs=sp.Symbol("f"))
    >>> print(derivation_myst(d, label="eq-t"))
    ::::{container} dv-derivation
    :::{container} dv-step
    $$
    f = x \left(x + 1\right)
    $$
    <BLANKLINE>
    {.dv-reason}
    given
    :::
    :::{container} dv-step
    $$
    = x^{2} + x
    $$ (eq-t)
    <BLANKLINE>
    {.dv-reason}
    expand
    :::
    ::::
    >>> derivation_myst(d, label="has space")
    Traceback (most recent call last):
    ...
    ValueError: label: 'has space' is not a label (letters, digits, '-' and '_', a letter first)
    """
    if label is not None and not (
        isinstance(label, str)
        and label[:1].isalpha()
        and label.replace("-", "").replace("_", "").isalnum()
        and label.isascii()
    ):
        raise ValueError(
            f"label: {label!r} is not a label (letters, digits, '-' and '_', a letter first)"
        )
    if entry is not None and not isinstance(entry, sp.Basic):
        raise TypeError(f"entry: an Equation is required, got {type(entry).__name__}")
    steps = list(derivation.steps)
    blocks = ["::::{container} dv-derivation"]
    if entry is not None:
        tag = f" ({label})" if label else ""
        blocks += [":::{container} dv-step dv-entry", "$$", latex(entry), f"$${tag}", ":::"]
    for i, step in enumerate(steps):
        body = latex(_shown(derivation, step.expr))
        if i:
            body = f"= {body}"
        elif derivation.lhs is not None:
            body = f"{latex(_shown(derivation, derivation.lhs))} = {body}"
        last = i == len(steps) - 1
        tag = f" ({label})" if label and last and entry is None else ""
        reason = step.reason.markdown()
        if _too_big(step.expr):
            rows, cols = step.expr.shape
            blocks += [
                ":::{dropdown} " + f"Step {i + 1}: the {rows}×{cols} matrix ({reason})",
                ":class-container: dv-step dv-matrix",
                "$$",
                body,
                f"$${tag}",
                ":::",
            ]
        else:
            blocks += [":::{container} dv-step", "$$", body, f"$${tag}", "", "{.dv-reason}"]
            blocks += [reason, ":::"]
    blocks.extend(f"\n> {note}\n" for note in derivation.notes)
    blocks.append("::::")
    return "\n".join(blocks)


def derivation_markdown(derivation) -> str:
    """A numbered list with inline math, for the CLI and for plain pages.

    >>> import sympy as sp
    >>> from derivations.core import Derivation, Step
    >>> x = sp.Symbol("x")
    >>> print(derivation_markdown(Derivation("t", [x], [Step(2 * x, "given")])))
    **t**
    <BLANKLINE>
    0. $2 x$ — given
    """
    out = [f"**{derivation.title}**", ""]
    if derivation.lhs is not None:
        out += [f"Compute ${latex(_shown(derivation, derivation.lhs))}$.", ""]
    for i, step in enumerate(derivation.steps):
        body = latex(_shown(derivation, step.expr))
        out.append(f"{i}. ${'= ' if i else ''}{body}$ — {step.reason.markdown()}")
    out.extend(f"\n> {note}" for note in derivation.notes)
    return "\n".join(out)


def derivation_text(derivation) -> str:
    """Unicode text: one step a line, with its reason in brackets.

    >>> import sympy as sp
    >>> from derivations.core import Derivation, Step
    >>> x = sp.Symbol("x")
    >>> print(derivation_text(Derivation("t", [x], [Step(sp.exp(x) / (1 + sp.exp(x)), "given"),
    ...                                             Step(1 / (1 + sp.exp(-x)), "divide")])))
    t
      e^x/(e^x + 1)                            [given]
      = 1/(1 + e^(-x))                         [divide]
    """
    out = [derivation.title]
    if derivation.lhs is not None:
        out.append(f"  {text_of(_shown(derivation, derivation.lhs))}")
    for i, step in enumerate(derivation.steps):
        eq = "= " if i or derivation.lhs is not None else ""
        shown = eq + text_of(_shown(derivation, step.expr))
        out.append(f"  {shown:<40} [{step.reason.text()}]")
    out.extend(f"  note: {note}" for note in derivation.notes)
    return "\n".join(out)


def check_summary(derivation, target: str = "markdown", *, title: bool = False) -> str:
    """One sentence: how many steps SymPy proved, and at how many points the numbers agree.

    Every page writes a derivation's verdict with this, so all pages say the same thing the
    same way. ``title`` names the derivation (for a cell that checks several).

    >>> import sympy as sp
    >>> from derivations.core import Derivation, Step
    >>> x = sp.Symbol("x", real=True)
    >>> d = Derivation("square", [x], [Step((x + 1) ** 2, "given"), Step(x**2 + 2*x + 1, "expand")])
    >>> print(check_summary(d))
    *Check:* 1 of 1 steps proved by SymPy, 0 numeric-only, 0 failed; each also agrees numerically at 12 random points.
    >>> print(check_summary(d, "text", title=True))
    Check (square): 1 of 1 steps proved by SymPy, 0 numeric-only, 0 failed; each also agrees numerically at 12 random points.
    >>> check_summary(d, "html")
    Traceback (most recent call last):
    ...
    ValueError: target: 'html' is not one of markdown, text
    """
    if target not in SUMMARY_TARGETS:
        raise ValueError(f"target: {target!r} is not one of {', '.join(SUMMARY_TARGETS)}")
    if not callable(getattr(derivation, "check", None)) or not hasattr(derivation, "steps"):
        raise TypeError(f"derivation: a Derivation is required, got {type(derivation).__name__}")
    report = derivation.check()
    c = report.counts()
    entries = " (every entry of the matrix)" if isinstance(derivation.result, sp.MatrixBase) else ""
    head = f"Check ({derivation.title}):" if title else "Check:"
    if target == "markdown":
        head = f"*{head}*"
    counted = (
        f"{head} {c['proved']} of {len(report.steps)} steps proved by SymPy{entries}, "
        f"{c['numeric-only']} numeric-only, {c['failed']} failed"
    )
    if report.first_failure is not None:
        return f"{counted}; {report.first_failure.describe()}."
    return f"{counted}; each also agrees numerically at {derivation.points} random points."
