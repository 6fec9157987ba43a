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


#: The questions, loaded on first use only: name -> ``"module:attribute"`` of a
#: :class:`Variant`. Nothing imports a question's module (and its topic) until a key, a grade
#: or a check asks for it, so a topic that defines a question (the architecture one) does not
#: depend on the others' code through this registry.
LAZY: dict[str, str] = {
    "mlp": "derivations.variants.builtin:MLP",
    "ridge": "derivations.variants.builtin:RIDGE",
    "initialization": "derivations.variants.builtin:INITIALIZATION",
    "architecture": "derivations.architectures.variant:VARIANT",
}


def names() -> list[str]:
    """The questions: those of :data:`LAZY` in its order (loaded or not), then any registered
    by :func:`register`.

    >>> "initialization" in names()
    True
    """
    return [*LAZY, *(n for n in REGISTRY if n not in LAZY)]


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


def key(name: str, sid, **options) -> dict:
    """The answer key of question ``name`` for student ``sid``.

    >>> p = get("ridge").parameters(3)
    >>> abs(key("ridge", 3)["optimal_mu"] - p["d"] * p["sigma_eps2"] / p["sigma_w2"]) < 1e-12
    True
    """
    return get(name).key(student_id(sid), **options)
