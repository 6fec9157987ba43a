"""A worked solution from an answer key: formula, substituted values, result — per quantity.

That is what a student must show and a marker wants to see. :func:`worked_solution` renders
it as Markdown (math in ``$$``), LaTeX (an ``align*`` body), plain text, or JSON (full
precision, for programs).

>>> print(worked_solution(0, fmt="text").splitlines()[0])
Answer key — student 0: network 3 → 4 → 3, x = (1, -1, 1.5)ᵀ, label y = 3, η = 0.01, LeakyReLU slope a = 0.01 (φ′(0) = a, as torch)
"""

from __future__ import annotations

import json

import numpy as np

from derivations import arguments as arg
from derivations.mlp.key import (
    LABEL,
    LR,
    PHI,
    SLOPE,
    X,
    answer_key,
    predicted_classes,
    student_parameters,
    target,
)

FORMATS = ("markdown", "latex", "text", "json")


class V:
    """A value slot of a substitution template: the array ``name``, transposed if ``t``.

    >>> _substituted([V("x", True), ("+", "+"), V("b")], {"x": np.ones((2, 1)), "b": 2.0}, 1, False)
    '(1.0, 1.0) + 2.0'
    """

    def __init__(self, name: str, t: bool = False):
        self.name, self.t = name, t


_SUP = dict(zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True))


def _sup(k: int) -> str:
    return "".join(_SUP[c] for c in str(k))


#: How each activation is written: (LaTeX, text) of φ, and φ′ with its value at the kink.
_PHI = {
    "leaky_relu": ((r"\mathrm{LeakyReLU}_a", "LeakyReLU_a"), "φ′(u) = 1 for u > 0, a for u ≤ 0"),
    "relu": ((r"\mathrm{ReLU}", "ReLU"), "φ′(u) = 1 for u > 0, 0 for u ≤ 0"),
}


# Each quantity: its symbol, its formula (LaTeX, text) and the substitution template, a list
# of value slots and operators (an operator is a (LaTeX, text) pair). Two formulas where the
# label-smoothed case differs.
def _table(smoothed: bool, depth: int = 2, activation: str = "leaky_relu") -> list[tuple]:
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
    phi = _PHI[activation][0]
    L = depth

    def h(k):  # the input of layer k + 1: x, or hᵏ
        return (r"x", "x", "x") if k == 0 else (f"h^{k}", f"h{_sup(k)}", f"h{k}")

    rows = []
    for k in range(1, L + 1):
        prev = h(k - 1)
        name, sym = (
            (f"h{k}_bar", (rf"\bar h^{k}", f"h̄{_sup(k)}"))
            if k < L
            else (f"h{k}", (f"h^{k}", f"h{_sup(k)}"))
        )
        rows.append(
            (
                name,
                *sym,
                rf"W^{k} {prev[0]} + b^{k}",
                f"W{_sup(k)} {prev[1]} + b{_sup(k)}",
                [V(f"W{k}"), V(prev[2]), ("+", "+"), V(f"b{k}")],
            )
        )
        if k < L:
            rows.append(
                (
                    f"h{k}",
                    f"h^{k}",
                    f"h{_sup(k)}",
                    rf"{phi[0]}(\bar h^{k})",
                    f"{phi[1]}(h̄{_sup(k)})",
                    [(phi[0], phi[1]), V(f"h{k}_bar")],
                )
            )
    top = (f"h^{L}", f"h{_sup(L)}")
    rows += [
        (
            "p",
            r"p",
            "p",
            rf"e^{{{top[0]}}} / \textstyle\sum_k e^{{{top[0]}_k}}",
            f"exp({top[1]}) / Σₖ exp({top[1]}ₖ)",
            [V("exp_h"), ("/", "/"), V("sum_exp")],
        ),
        (
            "y_hat",
            r"\hat y",
            "ŷ",
            rf"\operatorname{{argmax}}_i\, {top[0]}_i",
            f"argmaxᵢ {top[1]}ᵢ",
            [(r"\operatorname{argmax}", "argmax"), V(f"h{L}")],
        ),
        ("loss", r"l", "l", loss[0], loss[1], loss[2]),
        (
            f"dl_dh{L}",
            rf"\delta^{L} = \partial l/\partial h^{L}",
            f"δ{_sup(L)} = ∂l/∂h{_sup(L)}",
            rf"p - {y[0]}",
            f"p − {y[1]}",
            [V("p"), ("-", "−"), V("y_tilde")],
        ),
    ]
    for k in range(L, 0, -1):
        prev = h(k - 1)
        rows += [
            (
                f"dl_dW{k}",
                rf"\partial l/\partial W^{k}",
                f"∂l/∂W{_sup(k)}",
                rf"\delta^{k} ({prev[0]})^\top" if k > 1 else rf"\delta^{k} x^\top",
                f"δ{_sup(k)} ({prev[1]})ᵀ" if k > 1 else f"δ{_sup(k)} xᵀ",
                [V(f"dl_dh{k}_bar" if k < L else f"dl_dh{k}"), V(prev[2], True)],
            ),
            (
                f"dl_db{k}",
                rf"\partial l/\partial b^{k}",
                f"∂l/∂b{_sup(k)}",
                rf"\delta^{k}",
                f"δ{_sup(k)}",
                [V(f"dl_dh{k}_bar" if k < L else f"dl_dh{k}")],
            ),
        ]
        if k > 1:
            j = k - 1
            rows += [
                (
                    f"dl_dh{j}",
                    rf"\partial l/\partial h^{j}",
                    f"∂l/∂h{_sup(j)}",
                    rf"(W^{k})^\top \delta^{k}",
                    f"(W{_sup(k)})ᵀ δ{_sup(k)}",
                    [V(f"W{k}", True), V(f"dl_dh{k}_bar" if k < L else f"dl_dh{k}")],
                ),
                (
                    f"dl_dh{j}_bar",
                    rf"\delta^{j} = \partial l/\partial \bar h^{j}",
                    f"δ{_sup(j)} = ∂l/∂h̄{_sup(j)}",
                    rf"\partial l/\partial h^{j} \odot \varphi'(\bar h^{j})",
                    f"∂l/∂h{_sup(j)} ⊙ φ′(h̄{_sup(j)})",
                    [V(f"dl_dh{j}"), (r"\odot", "⊙"), V(f"phi_prime{j}")],
                ),
            ]
    for k in range(L, 0, -1):
        for w in (f"W{k}", f"b{k}"):
            t = f"{w[0]}{_sup(k)}"
            rows.append(
                (
                    f"{w}_new",
                    rf"{w[0]}^{k}_{{\text{{new}}}}",
                    f"{t}_new",
                    rf"{w[0]}^{k} - \eta\, \partial l/\partial {w[0]}^{k}",
                    f"{t} − η ∂l/∂{t}",
                    [V(w), ("-", "−"), V("eta"), (r"\cdot", "·"), V(f"dl_d{w}")],
                )
            )
    return rows  # fmt: skip


def _num(v: float, digits: int) -> str:
    s = f"{v:.{digits}f}"
    return "0" if float(s) == 0 else s  # no "-0.0000"


def _value(a, digits: int, latex: bool, t: bool = False) -> str:
    if isinstance(a, int):  # a class, such as ŷ
        return str(a)
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


def _context(params: dict, x, label: int, lr: float, alpha: float, slope: float, key: dict,
             depth: int, activation: str) -> dict:  # fmt: skip
    top = key[f"h{depth}"]
    ctx = {**params, **key, "x": x, "eta": lr}
    # The exponentials as a student writes them; past e^709 they overflow float64, and then
    # the shifted ones (softmax is unchanged by a shift) are shown instead, and said so.
    shift = 0.0 if top.max() < 700 else float(top.max())
    ctx["exp_h"] = np.exp(top - shift)
    ctx["sum_exp"] = float(ctx["exp_h"].sum())
    ctx["shift"] = shift
    shifted = top - top.max()
    ctx["log_p"] = shifted - np.log(np.exp(shifted).sum())
    ctx["p_y"] = float(key["p"][label - 1, 0])
    ctx["y_tilde"] = target(label, len(top), alpha)
    for k in range(1, depth):
        ctx[f"phi_prime{k}"] = PHI[activation][1](key[f"h{k}_bar"], slope)
    ctx["y_hat"] = key["y_hat"]
    return ctx


def solution(
    student_id=None,
    *,
    params=None,
    x=X,
    label=LABEL,
    lr=LR,
    label_smoothing=0.0,
    slope=None,
    activation="leaky_relu",
    hidden=None,
) -> dict:
    """The inputs and, per quantity, formula, substitution template and value (same arguments
    as :func:`~derivations.mlp.key.answer_key`).

    >>> s = solution(3)
    >>> [q["key"] for q in s["quantities"]][:3]
    ['h1_bar', 'h1', 'h2']
    >>> s["ties"], s["kinks"]
    ((), [])
    """
    key = answer_key(
        student_id,
        params=params,
        x=x,
        label=label,
        lr=lr,
        label_smoothing=label_smoothing,
        slope=slope,
        activation=activation,
        hidden=hidden,
    )
    depth = sum(1 for k in key if k.endswith("_new")) // 2
    if params is None:
        widths = tuple(key[f"h{k}_bar"].shape[0] for k in range(1, depth))
        given = student_parameters(student_id, hidden=widths)
    else:
        given = params
    given = {
        k: np.asarray(v, dtype=np.float64).reshape(np.shape(key[f"{k}_new"]))
        for k, v in given.items()
    }
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    a = SLOPE if slope is None else float(slope)
    a = 0.0 if activation == "relu" else a
    ctx = _context(given, x, label, float(lr), float(label_smoothing), a, key, depth, activation)
    rows = _table(bool(label_smoothing), depth, activation)
    quantities = [
        dict(key=k, symbol=(sl, st), formula=(fl, ft), template=tpl, value=key[k])
        for k, sl, st, fl, ft, tpl in rows
    ]
    ties = predicted_classes(key[f"h{depth}"])
    kinks = [
        (k, int(i) + 1)
        for k in range(1, depth)
        for i in np.flatnonzero(key[f"h{k}_bar"].ravel() == 0)
    ]
    inputs = dict(
        student_id=student_id, x=x, label=label, lr=lr, label_smoothing=label_smoothing,
        activation=activation, slope=None if activation == "relu" else a,
        widths=(x.shape[0], *(key[f"h{k}_bar"].shape[0] for k in range(1, depth)),
                key["p"].shape[0]),
        **given,
    )  # fmt: skip
    return dict(
        inputs=inputs,
        quantities=quantities,
        context=ctx,
        ties=ties if len(ties) > 1 else (),
        kinks=kinks,
    )


def _notes(s: dict, key: str) -> list[str]:
    """What a marker must be told beside a quantity: a tie for ŷ, a kink for φ′."""
    ctx, inputs = s["context"], s["inputs"]
    if key == "y_hat" and s["ties"]:
        classes = ", ".join(map(str, s["ties"]))
        return [
            f"a tie: classes {classes} share the largest logit; ŷ = argmax takes the first, "
            "as np.argmax and torch.argmax do"
        ]
    if key == "p" and ctx["shift"]:
        return [f"exponentials shifted by max h = {ctx['shift']:g} (e^h overflows float64)"]
    if key.startswith("dl_dh") and key.endswith("_bar"):
        k = int(key[5:-4])
        at = [i for layer, i in s["kinks"] if layer == k]
        if at:
            a = "0" if inputs["activation"] == "relu" else f"a = {inputs['slope']:g}"
            units = ", ".join(f"h̄{_sup(k)}{_sub(i)}" for i in at)
            return [f"{units} = 0 exactly, the kink: φ′(0) = {a} there, as torch's autograd"]
    return []


_SUBS = dict(zip("0123456789", "₀₁₂₃₄₅₆₇₈₉", strict=True))


def _sub(i: int) -> str:
    return "".join(_SUBS[c] for c in str(i))


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
    if inputs["activation"] == "relu":
        phi = "ReLU (φ′(0) = 0, as torch)"
    else:
        phi = f"LeakyReLU slope a = {inputs['slope']:g} (φ′(0) = a, as torch)"
    parts = [
        "network " + " → ".join(map(str, inputs["widths"])),
        f"x = ({x})ᵀ",
        f"label y = {inputs['label']}",
        f"η = {inputs['lr']:g}",
        phi,
    ]
    if smooth:
        parts.append(f"label smoothing α = {smooth:g}")
    return f"Answer key — {who}: " + ", ".join(parts)


def _param_tex(n: str) -> str:
    return f"{n[0]}^{{{n[1:]}}}"


def worked_solution(
    student_id=None, *, fmt: str = "markdown", digits: int = 5, only=None, **kwargs
) -> str:
    """The worked solution as text in ``fmt`` (one of :data:`FORMATS`); ``only`` (keys of the
    answer key) keeps those quantities, numbered as in the whole solution.

    Other keyword arguments are those of :func:`~derivations.mlp.key.answer_key`. JSON is
    strict (no ``NaN`` or ``Infinity``: the answer key refuses inputs that overflow).

    >>> print(worked_solution(0, fmt="text").splitlines()[7])
    h̄¹ = W¹ x + b¹
    >>> lines = worked_solution(0, fmt="text").splitlines()
    >>> lines[lines.index("ŷ = argmaxᵢ h²ᵢ") + 2]
    '  = 2'

    >>> print(worked_solution(0, fmt="text", only=["y_hat"]).splitlines()[7])
    ŷ = argmaxᵢ h²ᵢ
    >>> worked_solution(0, fmt="pdf")
    Traceback (most recent call last):
    ...
    ValueError: fmt: one of 'markdown', 'latex', 'text', 'json' is required, got 'pdf'
    """
    arg.choice(fmt, "fmt", FORMATS)
    digits = arg.integer(digits, "digits", minimum=1, maximum=16)
    s = solution(student_id, **kwargs)
    inputs, ctx = s["inputs"], s["context"]
    if only is not None:
        known = [q["key"] for q in s["quantities"]]
        if not isinstance(only, list | tuple) or not all(k in known for k in only):
            raise ValueError(f"only: keys among {', '.join(known)} are required, got {only!r}")
    if fmt == "json":
        return json.dumps(_json(s, digits), indent=1, allow_nan=False)
    latex = fmt != "text"
    names = [k for k in inputs if k[0] in "Wb" and k[1:].isdigit()]
    lines = []
    if fmt == "markdown":
        lines += [f"**{_heading(inputs, False)}**", ""]
        given = ", ".join(f"${_param_tex(n)} = {_value(inputs[n], digits, True)}$" for n in names)
        lines += [f"Given {given}.", ""]
    elif fmt == "latex":
        lines += [f"% {_heading(inputs, False)}", r"\begin{align*}"]
        lines += [rf"{_param_tex(n)} &= {_value(inputs[n], digits, True)} \\" for n in names]
    else:
        lines += [_heading(inputs, False), ""]
        lines += [f"  {n} = {_value(inputs[n], digits, False)}" for n in names]
        lines.append("")
    shown = [(i, q) for i, q in enumerate(s["quantities"], 1) if only is None or q["key"] in only]
    for i, q in shown:
        sub = _substituted(q["template"], ctx, digits, latex)
        result = _value(q["value"], digits, latex)
        notes = _notes(s, q["key"])
        if fmt == "markdown":
            lines += [
                f"{i}. ${q['symbol'][0]} = {q['formula'][0]}$",
                "",
                f"   $$ = {sub} $$",
                "",
                f"   $$ = {result} $$",
                "",
            ]
            lines += [f"   *{n}*\n" for n in notes]
        elif fmt == "latex":
            end = r" \\" if i < shown[-1][0] else ""
            lines += [f"% {n}" for n in notes]
            lines.append(rf"{q['symbol'][0]} &= {q['formula'][0]} = {sub} = {result}{end}")
        else:
            lines += [f"{q['symbol'][1]} = {q['formula'][1]}", f"  = {sub}", f"  = {result}"]
            lines += [f"  ({n})" for n in notes] + [""]
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
                notes=_notes(s, q["key"]),
            )
            for q in s["quantities"]
        ],
        ties=list(s["ties"]),
        kinks=[{"layer": k, "unit": i} for k, i in s["kinks"]],
    )
