"""Per-student question variants: a registry of questions whose parameters are drawn from an id.

A :class:`Variant` names a question (``"mlp"``, ``"ridge"``, ``"initialization"``), draws
its parameters from a student id (deterministically: the same id gives the same question on
every machine), computes its answer key (quantity -> number or array, in the order a solution
computes them), and writes the key out worked. Answer keys, the grader and ``check-answer
--student-id`` all read this one registry, so a question that registers here (the
architecture question registers from its own module, through :data:`LAZY`) gets
keys, grading and checking without any change here.

Each question draws from its own stream, ``numpy.random.default_rng([student_id, salt])``
with a salt per question, so adding a question never changes another's variants. The MLP
question keeps the course's own generator (:func:`derivations.mlp.student_parameters`).

Entries of an array are labelled 1-based, as the course writes them: ``dl_dW2[1,3]`` is row
1, column 3; a column vector's entries are ``p[2]`` (``p[2,1]`` is read too).

>>> names()[:3]
['mlp', 'ridge', 'initialization']
>>> get("ridge").parameters(7) == get("ridge").parameters(7)
True
>>> list(entries({"loss": 0.5, "p": np.array([[0.25], [0.75]])}))
['loss', 'p[1]', 'p[2]']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from derivations import arguments as arg

#: Student ids are those of the course generator: 32-bit, non-negative.
ID_LIMIT = 2**32
FORMATS = ("markdown", "latex", "json")


@dataclass(frozen=True)
class Variant:
    """One question with per-student parameters.

    ``parameters(student_id, **options)`` returns the drawn parameters (plain numbers and
    lists, JSON-ready); ``key(student_id, **options)`` the answer key, quantity -> float or
    float64 array; ``formulas`` the formula of each quantity as text (for worked keys and
    messages); ``options`` the keyword options ``key`` accepts; ``worked`` (optional) writes a
    worked key ``(student_id, fmt, **options) -> str`` better than the generic one.
    """

    name: str
    title: str
    parameters: Callable
    key: Callable
    formulas: dict = field(default_factory=dict)
    options: tuple = ()
    worked: Callable | None = None
    exact: tuple = ()


REGISTRY: dict[str, Variant] = {}


def register(variant: Variant, *, replace: bool = False) -> Variant:
    """Add ``variant`` to the registry (a second question of the same name is refused unless
    ``replace``). Returns it, so a module can register at import.

    >>> register(get("ridge"))
    Traceback (most recent call last):
    ...
    ValueError: variant: a question named 'ridge' is already registered
    """
    if not isinstance(variant, Variant):
        raise TypeError(f"variant: a Variant is required, got {arg.shown(variant)}")
    if variant.name in REGISTRY and not replace:
        raise ValueError(f"variant: a question named {variant.name!r} is already registered")
    REGISTRY[variant.name] = variant
    return variant


#: Questions whose module registers them when imported, loaded on first use only: name ->
#: ``"module:attribute"`` of a :class:`Variant`. The architecture question (issue 11) joins
#: with one line here, ``"architecture": "derivations.architectures:VARIANT"``, so that
#: nothing imports its module until a key, a grade or a check asks for it.
LAZY: dict[str, str] = {"architecture": "derivations.architectures:VARIANT"}


def names() -> list[str]:
    """The questions: the registered ones, then the lazy ones not loaded yet.

    >>> "initialization" in names()
    True
    """
    return [*REGISTRY, *(n for n in LAZY if n not in REGISTRY)]


def get(name) -> Variant:
    """The question ``name`` (a lazy one is imported now).

    >>> get("ridge").title
    'Bayes risk of ridge regression'
    >>> get("nope")
    Traceback (most recent call last):
    ...
    ValueError: question: one of 'mlp', 'ridge', 'initialization', 'architecture' is required, got 'nope'
    """
    name = arg.choice(name, "question", tuple(names()))
    if name not in REGISTRY:
        import importlib

        module, _, attribute = LAZY[name].partition(":")
        try:
            variant = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise ValueError(
                f"question: {name!r} cannot be loaded from {LAZY[name]} ({exc})"
            ) from None
        if not isinstance(variant, Variant) or variant.name != name:
            raise TypeError(f"question: {LAZY[name]} must be a Variant named {name!r}")
        REGISTRY[name] = variant
    return REGISTRY[name]


def student_id(value, name: str = "student_id") -> int:
    """A student id: an integer in ``[0, 2**32 - 1]``.

    >>> student_id(12)
    12
    >>> student_id(-1)
    Traceback (most recent call last):
    ...
    ValueError: student_id: an integer in [0, 2**32 - 1] is required, got -1
    """
    return arg.integer(value, name, minimum=0, maximum=ID_LIMIT - 1)


def rng(student_id_: int, salt: int) -> np.random.Generator:
    """The stream of one question for one student (independent across questions).

    >>> float(rng(3, 1).random()) == float(rng(3, 1).random()) != float(rng(3, 2).random())
    True
    """
    return np.random.default_rng([student_id(student_id_), arg.integer(salt, "salt", minimum=0)])


# --- entries: the 1-based labels of a key's numbers --------------------------------------------


def labels(name: str, value) -> list[tuple[str, tuple[int, ...]]]:
    """``(label, 0-based index)`` of every entry of ``value``: a scalar is its name, a column
    vector ``name[i]``, a matrix ``name[i,j]``, 1-based.

    >>> labels("W", np.zeros((2, 2)))[1]
    ('W[1,2]', (0, 1))
    >>> labels("b", np.zeros((2, 1)))
    [('b[1]', (0, 0)), ('b[2]', (1, 0))]
    """
    a = np.asarray(value)
    if a.ndim == 0:
        return [(name, ())]
    if a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1):
        return [(f"{name}[{i + 1}]", (i, 0) if a.ndim == 2 else (i,)) for i in range(a.shape[0])]
    if a.ndim == 2:
        return [
            (f"{name}[{i + 1},{j + 1}]", (i, j))
            for i in range(a.shape[0])
            for j in range(a.shape[1])
        ]
    raise ValueError(f"{name}: a scalar, vector or matrix is required, got shape {a.shape}")


def entries(key: dict) -> dict[str, float]:
    """Every number of an answer key by its 1-based label, in the key's order.

    >>> entries({"W": np.array([[1.0, 2.0]])})
    {'W[1,1]': 1.0, 'W[1,2]': 2.0}
    """
    if not isinstance(key, dict):
        raise TypeError(f"key: a dict of quantities is required, got {arg.shown(key)}")
    out = {}
    for name, value in key.items():
        a = np.asarray(value, dtype=float)
        for label, index in labels(name, a):
            out[label] = float(a[index])
    return out


# --- the generic worked key ----------------------------------------------------------------


def _number(v: float, digits: int) -> str:
    return f"{v:.{digits}g}" if v != int(v) or abs(v) >= 1e15 else str(int(v))


def worked(name: str, sid, fmt: str = "markdown", digits: int = 6, **options) -> str:
    """The worked key of question ``name`` for student ``sid`` in ``fmt`` (markdown, latex or
    json): the drawn parameters, then each quantity with its formula and value.

    >>> print(worked("initialization", 5).splitlines()[0])
    # Answer key — student 5: Initialization scales and post-activation moments
    """
    variant = get(name)
    fmt = arg.choice(fmt, "format", FORMATS)
    digits = arg.integer(digits, "digits", minimum=1, maximum=17)
    if variant.worked is not None:
        return variant.worked(sid, fmt, **options)
    params = variant.parameters(sid, **options)
    key = variant.key(sid, **options)
    if fmt == "json":
        values = {k: np.asarray(v).tolist() for k, v in key.items()}
        doc = {"question": name, "student_id": sid, "parameters": params, "key": values}
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    shown = {k: _shown(v, digits) for k, v in params.items()}
    if fmt == "latex":
        lines = [f"\\section*{{Answer key --- student {sid}: {variant.title}}}", "\\begin{itemize}"]
        lines += [
            f"  \\item \\verb|{k}| = "
            + (f"\\verb|{v}|" if isinstance(params[k], str) else f"${v}$")
            for k, v in shown.items()
        ]
        lines += ["\\end{itemize}", "\\begin{align*}"]
        for k, v in key.items():
            lines.append(
                f"  \\text{{{k.replace('_', chr(92) + '_')}}} &= "
                f"\\text{{{variant.formulas.get(k, '').replace('_', chr(92) + '_')}}} = "
                f"{_shown(v, digits)} \\\\"
            )
        return "\n".join([*lines, "\\end{align*}", ""])
    lines = [f"# Answer key — student {sid}: {variant.title}", "", "Parameters:", ""]
    lines += [f"- `{k}` = {v}" for k, v in shown.items()]
    lines += [""]
    for i, (k, v) in enumerate(key.items(), 1):
        lines += [
            f"{i}. `{k}` = {variant.formulas.get(k, '')}",
            f"   = **{_shown(v, digits)}**",
            "",
        ]
    return "\n".join(lines)


def _shown(v, digits: int) -> str:
    if isinstance(v, str):
        return v
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return _number(float(a), digits)
    return "(" + ", ".join(_number(float(x), digits) for x in a.ravel()) + ")"


# --- the MLP question: the course's own generator ----------------------------------------------

_MLP_OPTIONS = ("x", "label", "lr", "label_smoothing", "slope", "activation", "hidden")


def _mlp_parameters(sid, **options):
    from derivations.mlp import student_parameters

    hidden = options.get("hidden") or (4,)
    return {k: v.tolist() for k, v in student_parameters(sid, hidden=hidden).items()}


def _mlp_key(sid, **options):
    from derivations.mlp import answer_key

    key = answer_key(student_id(sid), **options)
    return {k: (float(v) if k in ("loss", "y_hat") else v) for k, v in key.items()}


def _mlp_worked(sid, fmt, **options):
    from derivations.mlp.solution import worked_solution

    return worked_solution(student_id(sid), fmt=fmt, **options)


register(
    Variant(
        "mlp",
        "One SGD step of the course network",
        _mlp_parameters,
        _mlp_key,
        options=_MLP_OPTIONS,
        worked=_mlp_worked,
    )
)


# --- the ridge question --------------------------------------------------------------------

#: Values a drawn parameter takes: none is 1 (a factor of 1 hides a missing factor), and the
#: eigenvalues are distinct so a sum term written for the wrong direction shows.
_EIGENVALUES = (0.5, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
_SIGMA_W2 = (0.5, 1.5, 2.0, 2.5, 3.0, 4.0)
_SIGMA_EPS2 = (0.25, 0.5, 0.75, 1.5, 2.0)
_MU = (0.25, 0.5, 0.75, 1.5, 2.0, 3.0)
RIDGE_SALT = 0x72696467  # "ridg"
INIT_SALT = 0x696E6974  # "init"


def _pick(g: np.random.Generator, values):
    return values[int(g.integers(len(values)))]


def _ridge_parameters(sid, **options):
    if options:
        raise ValueError(f"options: the ridge question takes none, got {sorted(options)}")
    g = rng(sid, RIDGE_SALT)
    d = int(g.integers(3, 6))  # 3 to 5 directions: short enough to sum by hand
    eig = sorted((float(e) for e in g.choice(_EIGENVALUES, size=d, replace=False)), reverse=True)
    return {
        "d": d,
        "eigenvalues": eig,
        "sigma_w2": _pick(g, _SIGMA_W2),
        "sigma_eps2": _pick(g, _SIGMA_EPS2),
        "mu": _pick(g, _MU),
    }


def _ridge_key(sid, **options):
    from derivations.ridge import bayes_risk, optimal_mu

    p = _ridge_parameters(sid, **options)
    eig, sw2, se2 = p["eigenvalues"], p["sigma_w2"], p["sigma_eps2"]
    mu_star = optimal_mu(p["d"], sw2, se2)
    return {
        "bayes_risk": bayes_risk(eig, p["mu"], sw2, se2),
        "optimal_mu": mu_star,
        "optimal_risk": bayes_risk(eig, mu_star, sw2, se2),
    }


register(
    Variant(
        "ridge",
        "Bayes risk of ridge regression",
        _ridge_parameters,
        _ridge_key,
        formulas={
            "bayes_risk": "Σᵢ ((σ_w²/d) μ² + σ_ε² λᵢ)/(λᵢ + μ)² at the given μ",
            "optimal_mu": "μ* = d σ_ε²/σ_w²",
            "optimal_risk": "Σᵢ ((σ_w²/d) μ*² + σ_ε² λᵢ)/(λᵢ + μ*)²",
        },
    )
)


# --- the initialization question -------------------------------------------------------------

_SCHEMES = ("xavier_relu", "kaiming_relu", "xavier_tanh")
_WIDTHS = (64, 128, 256, 512)


def _init_parameters(sid, **options):
    if options:
        raise ValueError(f"options: the initialization question takes none, got {sorted(options)}")
    g = rng(sid, INIT_SALT)
    fan_in, fan_out = (int(v) for v in g.integers(20, 1000, size=2))
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "scheme": _pick(g, _SCHEMES),
        "layer": int(g.integers(2, 9)),
        "width": _pick(g, _WIDTHS),
    }


def _init_key(sid, **options):
    from derivations.initialization import (
        kaiming_normal_std,
        post_activation_moments,
        xavier_uniform_bound,
    )

    p = _init_parameters(sid, **options)
    mean, std = post_activation_moments(p["scheme"], p["layer"], p["width"])
    return {
        "xavier_uniform_bound": xavier_uniform_bound(p["fan_in"], p["fan_out"]),
        "kaiming_normal_std": kaiming_normal_std(p["fan_in"]),
        "post_activation_mean": mean,
        "post_activation_std": std,
    }


register(
    Variant(
        "initialization",
        "Initialization scales and post-activation moments",
        _init_parameters,
        _init_key,
        formulas={
            "xavier_uniform_bound": "sqrt(6/(fan_in + fan_out))",
            "kaiming_normal_std": "sqrt(2/fan_in)",
            "post_activation_mean": "mean of φ(u_layer), u_layer ~ N(0, q_layer) (variance map)",
            "post_activation_std": "std of φ(u_layer), u_layer ~ N(0, q_layer)",
        },
    )
)


def key(name: str, sid, **options) -> dict:
    """The answer key of question ``name`` for student ``sid``.

    >>> p = get("ridge").parameters(3)
    >>> abs(key("ridge", 3)["optimal_mu"] - p["d"] * p["sigma_eps2"] / p["sigma_w2"]) < 1e-12
    True
    """
    return get(name).key(student_id(sid), **options)
