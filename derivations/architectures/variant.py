"""The per-student architecture question: a small CNN drawn from a student id, and its key.

Every student gets the same layout, ``conv1 → conv2 → pool1 → conv3 → fc1 → fc2`` (ReLUs
between, which hold nothing), with the numbers drawn from the id: the input ``C×H×W``
(``H ≠ W``), each convolution's filters, kernel, stride, padding and dilation, the pooling
window, the hidden and output widths. The layout is fixed so that every student's key has the
same quantities (the grader plans its columns from one key); the numbers are what differ.

The draw is made so that the common slips show in the key, each off by more than the
grader's tolerance:

- no stride, padding or dilation of a convolution is 1 or 0 (a factor of 1 or a term of 0
  hides a forgotten one); a pooling window is larger than its stride;
- every convolution and the pooling floor non-trivially along at least one axis (the
  division leaves a remainder, so a rounded or exact division is an off-by-one), and no map
  is square (a height and width swapped show);
- filters, input channels and widths differ from layer to layer, and none is 1;
- the biases are a visible share: a layer's count or the total without its biases is off
  by more than twice the grader's default tolerance (``1e-4 + 1e-3·|key|``).

Draws that miss any of these are redrawn from the same stream
(``numpy.random.default_rng([student_id, SALT])``), so the question stays deterministic.

The key is computed by :func:`derivations.architectures.table` on the drawn spec: each
layer's output shape (a column ``(C, H, W)``, entries labelled ``conv1_shape[1]`` …
``[3]``) and parameter count, the flattened input of ``fc1``, the total and the dense
layers' share of it.

>>> k = answer_key(80)
>>> k["total"] == sum(k[f"{n}_params"] for n in ("conv1", "conv2", "conv3", "fc1", "fc2"))
True
>>> draw(80) == draw(80) != draw(81)
True
"""

from __future__ import annotations

import json
import math

import numpy as np

from derivations import arguments as arg
from derivations import variants
from derivations.architectures.parsing import parse
from derivations.architectures.tables import Table, shape_text, table

#: The stream of this question: ``default_rng([student_id, SALT])``.
SALT = 0x61726368  # "arch"
#: The rows of every student's network, in order.
CONVS = ("conv1", "conv2", "conv3")
DENSE = ("fc1", "fc2")
ROWS = ("conv1", "conv2", "pool1", "conv3", "fc1", "fc2")
#: The grader's default tolerance (verify.grading.Tolerance), which a dropped bias must beat
#: by MARGIN; tests/test_variant_architecture.py checks these against the grader's.
RTOL, ATOL, MARGIN = 1e-3, 1e-4, 2.0
#: Redraws allowed before giving up (about one draw in 20 is kept: 2000 run out with odds e⁻¹⁰⁰).
MAX_DRAWS = 2000

_IN_CHANNELS = (2, 3, 4, 5)
_FILTERS = (6, 8, 10, 12, 16)
_KERNELS = (3, 4, 5)
_STRIDES = (2, 3)
_PADDINGS = (1, 2)
_DILATIONS = (2, 3)
_POOLS = ((3, 2), (4, 2), (4, 3))  # (window, stride): the window is never the stride
_HIDDEN = (16, 24, 32, 48)
_CLASSES = (5, 7, 10, 12)

TITLE = "Output shapes and parameter counts of a small CNN"
FORMULAS = {
    "shape": "(C_out, H_out, W_out), each size ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1",
    "conv_params": "k·k·C_in·C_out + C_out",
    "pool_shape": "(C, H_out, W_out), each size ⌊(n + 2p − k)/s⌋ + 1",
    "fc1_inputs": "C·H·W of the map before fc1 (flattened)",
    "dense_params": "in·out + out",
    "total": "the sum of the layers' parameters",
    "dense_share": "(fc1_params + fc2_params)/total",
}


class _Draws:
    """Picks from one block of uniforms: a candidate costs one call to the generator (a call
    per pick made a student's draw take 20 ms)."""

    def __init__(self, g: np.random.Generator, n: int = 24):
        self.u = g.random(n).tolist()
        self.i = 0

    def uniform(self, count: int) -> list:
        if self.i + count > len(self.u):
            raise RuntimeError("draws: the block of uniforms is used up; make it longer")
        out = self.u[self.i : self.i + count]
        self.i += count
        return out

    def pick(self, values):
        return values[int(self.uniform(1)[0] * len(values))]

    def integer(self, low: int, high: int) -> int:
        """Uniform on ``low … high - 1``."""
        return low + int(self.uniform(1)[0] * (high - low))


def _size(n: int, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    """The output size along one axis and the remainder of its division (0: exact)."""
    num = n + 2 * p - d * (k - 1) - 1
    return (num // s + 1, num % s) if num >= 0 else (0, 0)


def _candidate(g: np.random.Generator) -> dict:
    r = _Draws(g)
    c_in = r.pick(_IN_CHANNELS)
    h, w = r.integer(64, 129), r.integer(64, 129)
    # three distinct filter counts, increasing: the first three of a random order
    order = r.uniform(len(_FILTERS))
    filters = sorted(_FILTERS[i] for i in sorted(range(len(order)), key=order.__getitem__)[:3])
    convs = [
        {
            "name": name,
            "kind": "conv",
            "out": out,
            "kernel": r.pick(_KERNELS),
            "stride": r.pick(_STRIDES),
            "padding": r.pick(_PADDINGS),
            "dilation": r.pick(_DILATIONS),
        }
        for name, out in zip(CONVS, filters, strict=True)
    ]
    window, stride = r.pick(_POOLS)
    pool = {"name": "pool1", "kind": "maxpool", "kernel": window, "stride": stride, "padding": 1}
    dense = [
        {"name": "fc1", "kind": "dense", "out": r.pick(_HIDDEN)},
        {"name": "fc2", "kind": "dense", "out": r.pick(_CLASSES)},
    ]
    return {"input_shape": [c_in, h, w], "layers": [convs[0], convs[1], pool, convs[2], *dense]}


def _acceptable(p: dict) -> bool:
    """Does the candidate network let every slip of the module's list show?"""
    c, h, w = p["input_shape"]
    if h == w:
        return False
    params, biases = [], []
    for layer in p["layers"]:
        if layer["kind"] == "dense":
            n_in = c * h * w
            params.append(n_in * layer["out"] + layer["out"])
            biases.append(layer["out"])
            c, h, w = layer["out"], 1, 1
            continue
        k, s, pad = layer["kernel"], layer["stride"], layer["padding"]
        d = layer.get("dilation", 1)
        if layer["kind"] == "maxpool" and 2 * pad > k:
            return False  # torch refuses a pooling pad over half the window
        (h2, rh), (w2, rw) = _size(h, k, s, pad, d), _size(w, k, s, pad, d)
        # a map of 1 hides a multiplication by its size; an exact division hides a floor
        if min(h2, w2) < 2 or h2 == w2 or (rh == 0 and rw == 0):
            return False
        if layer["kind"] == "conv":
            params.append(k * k * c * layer["out"] + layer["out"])
            biases.append(layer["out"])
            c = layer["out"]
        h, w = h2, w2
    total = sum(params)
    pairs = [*zip(params, biases, strict=True), (total, sum(biases))]
    return all(b > MARGIN * (ATOL + RTOL * n) for n, b in pairs)


def spec_text(parameters: dict) -> str:
    """The drawn network written layer per line, as :func:`~derivations.architectures.parse`
    (and ``python -m derivations architecture --spec``) reads it.

    >>> print(spec_text(draw(80)).splitlines()[0])  # doctest: +ELLIPSIS
    conv ... k=... s=... p=... d=...
    """
    if not isinstance(parameters, dict) or "layers" not in parameters:
        raise TypeError(
            f"parameters: a dict from draw() is required, got {type(parameters).__name__}"
        )
    lines = []
    for layer in parameters["layers"]:
        if layer["kind"] == "conv":
            lines.append(
                f"conv {layer['out']} k={layer['kernel']} s={layer['stride']} "
                f"p={layer['padding']} d={layer['dilation']}"
            )
            lines.append("relu")
        elif layer["kind"] == "maxpool":
            lines.append(f"maxpool k={layer['kernel']} s={layer['stride']} p={layer['padding']}")
        else:
            lines.append(f"fc {layer['out']}")
            if layer["name"] != DENSE[-1]:
                lines.append("relu")
    return "\n".join(lines)


def draw(student_id, **options) -> dict:
    """The network of student ``student_id``: ``input_shape`` ``[C, H, W]``, ``layers`` (one
    dict per counted layer: name, kind and its numbers) and ``spec`` (the layer-per-line
    text). JSON-ready; the same for the same id on every machine.

    >>> p = draw(80)
    >>> [x["name"] for x in p["layers"]]
    ['conv1', 'conv2', 'pool1', 'conv3', 'fc1', 'fc2']
    >>> draw(-4)
    Traceback (most recent call last):
    ...
    ValueError: student_id: an integer in [0, 2**32 - 1] is required, got -4
    """
    sid = variants.student_id(student_id)
    if options:
        raise ValueError(f"options: the architecture question takes none, got {sorted(options)}")
    g = variants.rng(sid, SALT)
    for _ in range(MAX_DRAWS):
        p = _candidate(g)
        if _acceptable(p):
            return {**p, "spec": spec_text(p)}
    raise RuntimeError(f"student_id: no network met the conditions in {MAX_DRAWS} draws")


def network(student_id) -> tuple:
    """``(spec, input_shape)`` of student ``student_id``'s network, ready for
    :func:`~derivations.architectures.table`.

    >>> spec, shape = network(80)
    >>> table(spec, shape).rows[0].name
    'conv1'
    """
    return _network(draw(student_id))


def _network(p: dict) -> tuple:
    shape = tuple(p["input_shape"])
    return parse(p["spec"], input_shape=shape), shape


def student_table(student_id) -> Table:
    """The per-layer table of student ``student_id``'s network.

    >>> [r.name for r in student_table(80).rows]
    ['conv1', 'conv2', 'pool1', 'conv3', 'fc1', 'fc2']
    """
    return _table(draw(student_id))


def _table(p: dict) -> Table:
    t = table(*_network(p))
    if tuple(r.name for r in t.rows) != ROWS:  # the grader relies on one layout for all
        raise RuntimeError(f"student_id: the rows are {[r.name for r in t.rows]}, not {ROWS}")
    return t


def _key(t: Table) -> dict:
    rows = {r.name: r for r in t.rows}
    key: dict = {}
    for name in ("conv1", "conv2", "pool1", "conv3"):
        key[f"{name}_shape"] = np.array(rows[name].output_shape, dtype=float).reshape(-1, 1)
        if name != "pool1":  # pooling holds no parameter: nothing to ask
            key[f"{name}_params"] = float(rows[name].params)
    key["fc1_inputs"] = float(math.prod(rows["conv3"].output_shape))
    for name in DENSE:
        key[f"{name}_params"] = float(rows[name].params)
    key["total"] = float(t.total)
    key["dense_share"] = t.share("dense")
    return key


def answer_key(student_id, **options) -> dict:
    """The key of student ``student_id``: quantity -> float, or a ``(3, 1)`` float array for
    a shape, in the order a solution finds them.

    >>> list(answer_key(80))  # doctest: +NORMALIZE_WHITESPACE
    ['conv1_shape', 'conv1_params', 'conv2_shape', 'conv2_params', 'pool1_shape',
     'conv3_shape', 'conv3_params', 'fc1_inputs', 'fc1_params', 'fc2_params', 'total',
     'dense_share']
    >>> answer_key(80, hidden=4)
    Traceback (most recent call last):
    ...
    ValueError: options: the architecture question takes none, got ['hidden']
    """
    return _key(_table(draw(student_id, **options)))


# --- the worked key ------------------------------------------------------------------------


def _steps(p: dict, t: Table) -> list[dict]:
    """Each quantity with its formula and the numbers substituted, as plain data: ``text``
    (Unicode lines) and ``tex`` (LaTeX lines) of the substitution, and the value."""
    rows = {r.name: r for r in t.rows}
    layers = {x["name"]: x for x in p["layers"]}
    steps: list[dict] = []
    shape = tuple(p["input_shape"])
    for name in ROWS[:4]:
        layer, row = layers[name], rows[name]
        k, s, pad = layer["kernel"], layer["stride"], layer["padding"]
        d = layer.get("dilation", 1)
        sizes_text, sizes_tex = [], []
        for axis, n in (("H", shape[1]), ("W", shape[2])):
            num = n + 2 * pad - d * (k - 1) - 1
            out = row.output_shape[1 if axis == "H" else 2]
            if num // s + 1 != out:  # the worked text must agree with the table it explains
                raise RuntimeError(f"{name}: {axis} worked as {num // s + 1}, the table has {out}")
            if layer["kind"] == "conv":
                inner = f"{n} + 2·{pad} − {d}·({k} − 1) − 1"
                inner_tex = f"{n} + 2\\cdot {pad} - {d}\\cdot({k} - 1) - 1"
            else:
                inner = f"{n} + 2·{pad} − {k}"
                inner_tex = f"{n} + 2\\cdot {pad} - {k}"
            sizes_text.append(f"{axis} = ⌊({inner})/{s}⌋ + 1 = ⌊{num}/{s}⌋ + 1 = {out}")
            sizes_tex.append(
                f"{axis} &= \\left\\lfloor \\frac{{{inner_tex}}}{{{s}}} \\right\\rfloor + 1"
                f" = \\left\\lfloor \\frac{{{num}}}{{{s}}} \\right\\rfloor + 1 = {out}"
            )
        kind = "shape" if layer["kind"] == "conv" else "pool_shape"
        steps.append(
            {
                "quantity": f"{name}_shape",
                "formula": FORMULAS[kind],
                "text": [
                    *sizes_text,
                    f"C = {row.output_shape[0]}"
                    + (" (the filters)" if layer["kind"] == "conv" else " (unchanged by pooling)"),
                ],
                "tex": [*sizes_tex, f"C &= {row.output_shape[0]}"],
                "value": shape_text(row.output_shape),
            }
        )
        if layer["kind"] == "conv":
            c_in, c_out = shape[0], layer["out"]
            steps.append(
                {
                    "quantity": f"{name}_params",
                    "formula": FORMULAS["conv_params"],
                    "text": [f"{k}·{k}·{c_in}·{c_out} + {c_out}"],
                    "tex": [f"{k}\\cdot {k}\\cdot {c_in}\\cdot {c_out} + {c_out}"],
                    "value": row.params,
                }
            )
        shape = row.output_shape
    n_in = math.prod(shape)
    steps.append(
        {
            "quantity": "fc1_inputs",
            "formula": FORMULAS["fc1_inputs"],
            "text": ["·".join(str(v) for v in shape)],
            "tex": ["\\cdot ".join(str(v) for v in shape)],
            "value": n_in,
        }
    )
    for name in DENSE:
        out = layers[name]["out"]
        steps.append(
            {
                "quantity": f"{name}_params",
                "formula": FORMULAS["dense_params"],
                "text": [f"{n_in}·{out} + {out}"],
                "tex": [f"{n_in}\\cdot {out} + {out}"],
                "value": rows[name].params,
            }
        )
        n_in = out
    counted = [r for r in t.rows if r.kind != "maxpool"]
    steps.append(
        {
            "quantity": "total",
            "formula": FORMULAS["total"],
            "text": [" + ".join(str(r.params) for r in counted)],
            "tex": [" + ".join(str(r.params) for r in counted)],
            "value": t.total,
        }
    )
    dense = rows["fc1"].params + rows["fc2"].params
    steps.append(
        {
            "quantity": "dense_share",
            "formula": FORMULAS["dense_share"],
            "text": [
                f"({rows['fc1'].params} + {rows['fc2'].params})/{t.total} = {dense}/{t.total}"
            ],
            "tex": [
                f"\\frac{{{rows['fc1'].params} + {rows['fc2'].params}}}{{{t.total}}}"
                f" = \\frac{{{dense}}}{{{t.total}}}"
            ],
            "value": f"{t.share('dense'):.6f}",
        }
    )
    return steps


def _tex_times(value) -> str:
    return str(value).replace("×", r" \times ")


def worked_key(student_id, fmt: str = "markdown", **options) -> str:
    """The worked key of student ``student_id`` in ``fmt`` (markdown, latex or json): the
    network, the rules, then each quantity's formula with the numbers substituted.

    >>> print(worked_key(80).splitlines()[0])
    # Answer key — student 80: Output shapes and parameter counts of a small CNN
    >>> worked_key(80, "pdf")
    Traceback (most recent call last):
    ...
    ValueError: format: one of 'markdown', 'latex', 'json' is required, got 'pdf'
    """
    fmt = arg.choice(fmt, "format", variants.FORMATS)
    p = draw(student_id, **options)
    sid = variants.student_id(student_id)
    t = _table(p)
    steps = _steps(p, t)
    shape = shape_text(p["input_shape"])
    if fmt == "json":
        key = {k: np.asarray(v).tolist() for k, v in _key(t).items()}
        doc = {
            "question": "architecture",
            "student_id": sid,
            "parameters": p,
            "key": key,
            "work": steps,
            "table": t.to_dict(),
        }
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if fmt == "latex":
        lines = [
            f"\\section*{{Answer key --- student {sid}: {TITLE}}}",
            f"Input ${_tex_times(shape)}$ (C$\\times$H$\\times$W); the network, layer per line:",
            "\\begin{verbatim}",
            p["spec"],
            "\\end{verbatim}",
            "\\begin{align*}",
        ]
        for step in steps:
            label = step["quantity"].replace("_", "\\_")
            lines.append(f"  &\\text{{{label}:}} \\\\")
            lines += [f"  {tex} \\\\" if "&" in tex else f"  &= {tex} \\\\" for tex in step["tex"]]
            lines.append(f"  &= {_tex_times(step['value'])} \\\\")
        return "\n".join([*lines, "\\end{align*}", ""])
    lines = [
        f"# Answer key — student {sid}: {TITLE}",
        "",
        f"Input {shape} (C×H×W). The network, layer per line (as "
        "`python -m derivations architecture --spec` reads it):",
        "",
        "```",
        p["spec"],
        "```",
        "",
        "ReLUs hold no parameter; pooling holds none either. Per axis a convolution's output "
        "is ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, a pooling's ⌊(n + 2p − k)/s⌋ + 1.",
        "",
    ]
    for i, step in enumerate(steps, 1):
        lines += [
            f"{i}. `{step['quantity']}` = {step['formula']}",
            *(
                [f"   - {x}" for x in step["text"]]
                if len(step["text"]) > 1
                else [f"   = {step['text'][0]}"]
            ),
            f"   = **{step['value']}**",
            "",
        ]
    lines += ["The whole table:", "", t.render("markdown"), ""]
    return "\n".join(lines)


def _parameters(student_id, **options) -> dict:
    return draw(student_id, **options)


def _worked(student_id, fmt, **options) -> str:
    return worked_key(student_id, fmt, **options)


VARIANT = variants.Variant(
    "architecture",
    TITLE,
    _parameters,
    answer_key,
    formulas={
        **{f"{n}_shape": FORMULAS["shape"] for n in CONVS},
        "pool1_shape": FORMULAS["pool_shape"],
        **{f"{n}_params": FORMULAS["conv_params"] for n in CONVS},
        "fc1_inputs": FORMULAS["fc1_inputs"],
        **{f"{n}_params": FORMULAS["dense_params"] for n in DENSE},
        "total": FORMULAS["total"],
        "dense_share": FORMULAS["dense_share"],
    },
    worked=_worked,
    # counts and shapes are whole numbers: one bias too few is wrong, not "within 0.1%"
    exact=(
        *(f"{n}_shape" for n in (*CONVS, "pool1")),
        *(f"{n}_params" for n in (*CONVS, *DENSE)),
        "fc1_inputs",
        "total",
    ),
)
