"""A worked solution from an answer key: formula, substituted values, result — per quantity.

That is what a student must show and a marker wants to see. :func:`worked_solution` renders
it as Markdown (math in ``$$``), LaTeX (an ``align*`` body), plain text, or JSON (full
precision, for programs).

>>> print(worked_solution(0, fmt="text").splitlines()[0])
Answer key — student 0: x = (1, -1, 1.5)ᵀ, label y = 3, η = 0.01, LeakyReLU slope a = 0.01
"""

from __future__ import annotations

import json

import numpy as np

from derivations import arguments as arg
from derivations.mlp.key import LABEL, LR, SLOPE, X, answer_key, student_parameters, target

FORMATS = ("markdown", "latex", "text", "json")


class V:
    """A value slot of a substitution template: the array ``name``, transposed if ``t``.

    >>> _substituted([V("x", True), ("+", "+"), V("b")], {"x": np.ones((2, 1)), "b": 2.0}, 1, False)
    '(1.0, 1.0) + 2.0'
    """

    def __init__(self, name: str, t: bool = False):
        self.name, self.t = name, t


# Each quantity: its symbol, its formula (LaTeX, text) and the substitution template, a list
# of value slots and operators (an operator is a (LaTeX, text) pair). Two formulas where the
# label-smoothed case differs.
def _table(smoothed: bool) -> list[tuple]:
    y = (r"\tilde y", "ỹ") if smoothed else (r"\operatorname{onehot}(y)", "onehot(y)")
    loss = (
        (
            r"-\sum_i \tilde y_i \log p_i",
            "−Σᵢ ỹᵢ log pᵢ",
            [("-", "−"), V("y_tilde", True), V("log_p")],
        )
        if smoothed
        else (r"-\log p_y", "−log p_y", [(r"-\log", "−log"), V("p_y")])
    )
    return [
        ("h1_bar", r"\bar h^1", "h̄¹", r"W^1 x + b^1", "W¹ x + b¹",
         [V("W1"), V("x"), ("+", "+"), V("b1")]),
        ("h1", r"h^1", "h¹", r"\mathrm{LeakyReLU}_a(\bar h^1)", "LeakyReLU_a(h̄¹)",
         [(r"\mathrm{LeakyReLU}_a", "LeakyReLU_a"), V("h1_bar")]),
        ("h2", r"h^2", "h²", r"W^2 h^1 + b^2", "W² h¹ + b²",
         [V("W2"), V("h1"), ("+", "+"), V("b2")]),
        ("p", r"p", "p", r"e^{h^2} / \textstyle\sum_k e^{h^2_k}", "exp(h²) / Σₖ exp(h²ₖ)",
         [V("exp_h2"), ("/", "/"), V("sum_exp")]),
        ("loss", r"l", "l", loss[0], loss[1], loss[2]),
        ("dl_dh2", r"\delta^2 = \partial l/\partial h^2", "δ² = ∂l/∂h²", rf"p - {y[0]}",
         f"p − {y[1]}", [V("p"), ("-", "−"), V("y_tilde")]),
        ("dl_dW2", r"\partial l/\partial W^2", "∂l/∂W²", r"\delta^2 (h^1)^T", "δ² (h¹)ᵀ",
         [V("dl_dh2"), V("h1", True)]),
        ("dl_db2", r"\partial l/\partial b^2", "∂l/∂b²", r"\delta^2", "δ²", [V("dl_dh2")]),
        ("dl_dh1", r"\partial l/\partial h^1", "∂l/∂h¹", r"(W^2)^T \delta^2", "(W²)ᵀ δ²",
         [V("W2", True), V("dl_dh2")]),
        ("dl_dh1_bar", r"\delta^1 = \partial l/\partial \bar h^1", "δ¹ = ∂l/∂h̄¹",
         r"\partial l/\partial h^1 \odot \varphi'(\bar h^1)", "∂l/∂h¹ ⊙ φ′(h̄¹)",
         [V("dl_dh1"), (r"\odot", "⊙"), V("phi_prime")]),
        ("dl_dW1", r"\partial l/\partial W^1", "∂l/∂W¹", r"\delta^1 x^T", "δ¹ xᵀ",
         [V("dl_dh1_bar"), V("x", True)]),
        ("dl_db1", r"\partial l/\partial b^1", "∂l/∂b¹", r"\delta^1", "δ¹", [V("dl_dh1_bar")]),
        *[
            (f"{w}_new", rf"{w[0]}^{w[1]}_{{\text{{new}}}}", f"{w[0]}{'¹²'[int(w[1]) - 1]}_new",
             rf"{w[0]}^{w[1]} - \eta\, \partial l/\partial {w[0]}^{w[1]}",
             f"{w[0]}{'¹²'[int(w[1]) - 1]} − η ∂l/∂{w[0]}{'¹²'[int(w[1]) - 1]}",
             [V(w), ("-", "−"), V("eta"), (r"\cdot", "·"), V(f"dl_d{w}")])
            for w in ("W2", "b2", "W1", "b1")
        ],
    ]  # fmt: skip


def _num(v: float, digits: int) -> str:
    s = f"{v:.{digits}f}"
    return "0" if float(s) == 0 else s  # no "-0.0000"


def _value(a, digits: int, latex: bool, t: bool = False) -> str:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        s = _num(float(a), digits)
        return f"({s})" if s.startswith("-") else s
    a = a.T if t else a
    if latex:
        rows = [" & ".join(_num(v, digits) for v in row) for row in a]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    if a.shape[1] == 1:
        return "(" + ", ".join(_num(v, digits) for v in a[:, 0]) + ")ᵀ"
    if a.shape[0] == 1:
        return "(" + ", ".join(_num(v, digits) for v in a[0]) + ")"
    return "[" + "; ".join(", ".join(_num(v, digits) for v in row) for row in a) + "]"


def _context(params: dict, x, label: int, lr: float, alpha: float, slope: float, key: dict):
    h2 = key["h2"]
    ctx = {**params, **key, "x": x, "eta": lr}
    ctx["exp_h2"] = np.exp(h2)
    ctx["sum_exp"] = float(np.exp(h2).sum())
    ctx["log_p"] = np.log(key["p"])
    ctx["p_y"] = float(key["p"][label - 1, 0])
    ctx["y_tilde"] = target(label, len(h2), alpha)
    ctx["phi_prime"] = np.where(key["h1_bar"] > 0, 1.0, slope)
    return ctx


def solution(
    student_id=None,
    *,
    params=None,
    x=X,
    label=LABEL,
    lr=LR,
    label_smoothing=0.0,
    slope=SLOPE,
) -> dict:
    """The inputs and, per quantity, formula, substitution template and value (same arguments
    as :func:`~derivations.mlp.key.answer_key`).

    >>> s = solution(3)
    >>> [q["key"] for q in s["quantities"]][:3]
    ['h1_bar', 'h1', 'h2']
    """
    key = answer_key(
        student_id,
        params=params,
        x=x,
        label=label,
        lr=lr,
        label_smoothing=label_smoothing,
        slope=slope,
    )
    given = student_parameters(student_id) if params is None else params
    given = {
        k: np.asarray(v, dtype=np.float64).reshape(np.shape(key[f"{k}_new"]))
        for k, v in given.items()
    }
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    ctx = _context(given, x, label, float(lr), float(label_smoothing), float(slope), key)
    rows = _table(bool(label_smoothing))
    quantities = [
        dict(key=k, symbol=(sl, st), formula=(fl, ft), template=tpl, value=key[k])
        for k, sl, st, fl, ft, tpl in rows
    ]
    inputs = dict(
        student_id=student_id, x=x, label=label, lr=lr, label_smoothing=label_smoothing,
        slope=slope, **given,
    )  # fmt: skip
    return dict(inputs=inputs, quantities=quantities, context=ctx)


def _substituted(template, ctx, digits: int, latex: bool) -> str:
    parts = []
    for item in template:
        if isinstance(item, V):
            parts.append(_value(ctx[item.name], digits, latex, item.t))
        else:
            parts.append(item[0] if latex else item[1])
    return " ".join(parts)


def _heading(inputs, latex: bool) -> str:
    who = f"student {inputs['student_id']}" if inputs["student_id"] is not None else "given weights"
    x = ", ".join(f"{v:g}" for v in inputs["x"].ravel())
    smooth = inputs["label_smoothing"]
    parts = [
        f"x = ({x})ᵀ",
        f"label y = {inputs['label']}",
        f"η = {inputs['lr']:g}",
        f"LeakyReLU slope a = {inputs['slope']:g}",
    ]
    if smooth:
        parts.append(f"label smoothing α = {smooth:g}")
    return f"Answer key — {who}: " + ", ".join(parts)


def worked_solution(student_id=None, *, fmt: str = "markdown", digits: int = 5, **kwargs) -> str:
    """The worked solution as text in ``fmt`` (one of :data:`FORMATS`).

    Other keyword arguments are those of :func:`~derivations.mlp.key.answer_key`.

    >>> print(worked_solution(0, fmt="text").splitlines()[7])
    h̄¹ = W¹ x + b¹
    >>> worked_solution(0, fmt="pdf")
    Traceback (most recent call last):
    ...
    ValueError: fmt: one of 'markdown', 'latex', 'text', 'json' is required, got 'pdf'
    """
    arg.choice(fmt, "fmt", FORMATS)
    digits = arg.integer(digits, "digits", minimum=1, maximum=16)
    s = solution(student_id, **kwargs)
    inputs, ctx = s["inputs"], s["context"]
    if fmt == "json":
        return json.dumps(_json(s, digits), indent=1)
    latex = fmt != "text"
    lines = []
    if fmt == "markdown":
        lines += [f"**{_heading(inputs, False)}**", ""]
        given = ", ".join(
            f"${n[0]}^{n[1]} = {_value(inputs[n], digits, True)}$" for n in ("W1", "b1", "W2", "b2")
        )
        lines += [f"Given {given}.", ""]
    elif fmt == "latex":
        lines += [f"% {_heading(inputs, False)}", r"\begin{align*}"]
        lines += [
            rf"{n[0]}^{n[1]} &= {_value(inputs[n], digits, True)} \\"
            for n in ("W1", "b1", "W2", "b2")
        ]
    else:
        lines += [_heading(inputs, False), ""]
        lines += [f"  {n} = {_value(inputs[n], digits, False)}" for n in ("W1", "b1", "W2", "b2")]
        lines.append("")
    for i, q in enumerate(s["quantities"], 1):
        sub = _substituted(q["template"], ctx, digits, latex)
        result = _value(q["value"], digits, latex)
        if fmt == "markdown":
            lines += [
                f"{i}. ${q['symbol'][0]} = {q['formula'][0]}$",
                "",
                f"   $$ = {sub} $$",
                "",
                f"   $$ = {result} $$",
                "",
            ]
        elif fmt == "latex":
            end = r" \\" if i < len(s["quantities"]) else ""
            lines.append(rf"{q['symbol'][0]} &= {q['formula'][0]} = {sub} = {result}{end}")
        else:
            lines += [f"{q['symbol'][1]} = {q['formula'][1]}", f"  = {sub}", f"  = {result}", ""]
    if fmt == "latex":
        lines.append(r"\end{align*}")
    return "\n".join(lines).rstrip() + "\n"


def _json(s: dict, digits: int) -> dict:
    def plain(v):
        return np.asarray(v).tolist() if isinstance(v, np.ndarray) else v

    return dict(
        inputs={k: plain(v) for k, v in s["inputs"].items()},
        quantities=[
            dict(
                key=q["key"],
                symbol=q["symbol"][1],
                formula=q["formula"][1],
                formula_latex=q["formula"][0],
                substituted=_substituted(q["template"], s["context"], digits, False),
                value=plain(q["value"]),
            )
            for q in s["quantities"]
        ],
    )
