"""Claims of the architectures topic: every named network's table against torch.nn, and the
output-size floor against torch's own convolution and pooling.

For each network of :data:`derivations.architectures.NETWORKS` four claims compare the
derived table with the same network written again in torch (:mod:`.torchnets`): the output
shape of every row (from a real forward pass), the parameters of every row (``numel`` per
module), the total (``numel`` over ``model.parameters()``), and the multiply–accumulates of
every row (forward hooks, cross-checked by ``FlopCounterMode``). ``architectures.output_size``
checks ``⌊(n + 2p − δ(k − 1) − 1)/s⌋ + 1`` against ``torch.nn.functional.conv1d`` and
``max_pool1d`` on tiny tensors for thousands of random ``(n, k, p, s, δ)``.

>>> get("architectures.gaze_cnn.total").check().passed
True
"""

from __future__ import annotations

import math
import random
from functools import cache

import sympy as sp

from derivations.architectures import NETWORKS, receptive_field, table
from derivations.architectures.steps import OUTPUT_SIZE, delta
from verify.answers import formulas as typed_formulas
from verify.answers import tables as typed_tables
from verify.claims import Evidence, Witness, as_function, claim, get
from verify.lazy import lazy, torch

nets = lazy("verify.architectures.torchnets")

SIZE_VARIABLES = ("n", "k", "p", "s", "d")
SIZE_DOMAIN = {
    "n": (1, math.inf, "integer"),
    "k": (1, math.inf, "integer"),
    "p": (0, math.inf, "integer"),
    "s": (1, math.inf, "integer"),
    "d": (1, math.inf, "integer"),
}
#: Random cases of the output-size claim, and their ranges. Strides up to 4 and dilations up
#: to 3 make every remainder of the division occur, so ceil for floor, a missing dilation or
#: one-sided padding each fail on a large fraction of the cases (tests/test_architectures.py
#: counts them).
SIZE_CASES = 3000
SIZE_RANGES = {"n": (1, 40), "k": (1, 7), "p": (0, 3), "s": (1, 4), "d": (1, 3)}


def size_cases(seed: int, count: int = SIZE_CASES) -> list[tuple[int, int, int, int, int]]:
    """``count`` random ``(n, k, p, s, δ)`` whose window fits the padded input, from ``seed``.

    >>> len(size_cases(0, 10)), all(d * (k - 1) + 1 <= n + 2 * p for n, k, p, s, d in size_cases(0, 10))
    (10, True)
    """
    rng = random.Random(f"architectures.output_size|{seed}")
    out = []
    while len(out) < count:
        n, k, p, s, d = (rng.randint(*SIZE_RANGES[v]) for v in SIZE_VARIABLES)
        if d * (k - 1) + 1 <= n + 2 * p:
            out.append((n, k, p, s, d))
    return out


def torch_size(n: int, k: int, p: int, s: int, d: int) -> int:
    """The output length torch gives a convolution (and, when torch allows the padding, a max
    pooling) of a length-``n`` signal: both must agree, or this raises.

    >>> torch_size(13, 2, 0, 2, 1)
    6
    """
    F = torch.nn.functional
    x = torch.zeros(1, 1, n)
    size = F.conv1d(x, torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
    if 2 * p <= k:  # torch pools only with padding at most half the window
        pooled = F.max_pool1d(x, k, stride=s, padding=p, dilation=d).shape[-1]
        if pooled != size:
            raise AssertionError(f"conv1d gives {size}, max_pool1d {pooled} at {(n, k, p, s, d)}")
    return int(size)


def _size_check(candidate, seed: int) -> Evidence:
    fn = as_function(candidate, SIZE_VARIABLES) if isinstance(candidate, sp.Basic) else candidate
    cases = size_cases(seed)
    for case in cases:
        theirs = torch_size(*case)
        try:
            mine = fn(*case)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            mine = f"undefined ({type(exc).__name__})"
        if not (isinstance(mine, int | float) and math.isfinite(mine) and mine == theirs):
            point = dict(zip(SIZE_VARIABLES, case, strict=True))
            return Evidence(
                passed=False,
                expected=theirs,
                measured=mine,
                n=len(cases),
                message=f"at n, k, p, s, δ = {case} torch gives {theirs}, the answer {mine}",
                witness=Witness(point, mine, theirs),
            )
    return Evidence(
        passed=True,
        n=len(cases),
        error=0.0,
        message=f"equal to torch's conv1d (and max_pool1d) output length in all {len(cases)} cases",
        witness=Witness(
            dict(zip(SIZE_VARIABLES, cases[0], strict=True)), fn(*cases[0]), torch_size(*cases[0])
        ),
    )


claim(
    "architectures.output_size",
    "the output length of a window (kernel k, stride s, padding p, dilation δ) over n entries "
    "is ⌊(n + 2p − δ(k − 1) − 1)/s⌋ + 1, as torch computes it",
    method="torch-reference",
    answer="expression",
    variables=SIZE_VARIABLES,
    derived=lambda: OUTPUT_SIZE.xreplace({delta: sp.Symbol("d", positive=True, integer=True)}),
    domain=SIZE_DOMAIN,
)(_size_check)
# typed answers may use floor and ceil: exact comparison on every fitting point of a grid
typed_formulas.register(
    "architectures.output_size",
    SIZE_VARIABLES,
    {"n": (1, 24), "k": (1, 6), "p": (0, 3), "s": (1, 4), "d": (1, 3)},
    lambda q: q["d"] * (q["k"] - 1) + 1 <= q["n"] + 2 * q["p"],
)


# --- the per-network claims ----------------------------------------------------------------
def _text(value) -> str:
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) else str(value)


def _as_int(value):
    """A count as an int when it is a whole number (a SymPy integer from a parsed answer, an
    integral float); anything else as given, to be compared and rejected."""
    if isinstance(value, bool):
        return value
    if isinstance(value, sp.Basic) and value.is_number:
        return int(value) if value.is_Integer else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows_check(network: str, what: str):
    def check(candidate, seed: int) -> Evidence:
        ref = nets.reference(network)
        reference = getattr(ref, what)
        names = ref.names
        if what == "macs" and not nets.count_check(sum(reference), ref.flops):
            return Evidence(
                passed=False,
                message=f"hooks count {sum(reference)} MACs but "
                f"FlopCounterMode {ref.flops} FLOPs (not twice as many)",
                witness=Witness({}, sum(reference), ref.flops / 2),
            )
        got = tuple(
            tuple(_as_int(v) for v in c) if isinstance(c, tuple | list) else _as_int(c)
            for c in candidate
        )
        if len(got) != len(reference):
            return Evidence(
                passed=False,
                expected=len(reference),
                measured=len(got),
                message=f"the answer has {len(got)} rows, torch's network {len(reference)}",
                witness=Witness({"rows": None}, len(got), len(reference)),
            )
        for i, (mine, theirs) in enumerate(zip(got, reference, strict=True)):
            if mine != theirs:
                return Evidence(
                    passed=False,
                    expected=_text(theirs),
                    measured=_text(mine),
                    n=len(reference),
                    message=f"row {i + 1} (torch module {names[i]}): the answer gives "
                    f"{_text(mine)}, torch {_text(theirs)}",
                    witness=Witness({"row": i + 1}, _text(mine), _text(theirs)),
                )
        return Evidence(
            passed=True,
            n=len(reference),
            error=0.0,
            message=f"all {len(reference)} rows equal torch's",
            witness=Witness({"rows": len(reference)}, _text(got[-1]), _text(reference[-1])),
        )

    return check


def _total_check(network: str):
    def check(candidate, seed: int) -> Evidence:
        ref = nets.reference(network)
        mine = _as_int(candidate)
        passed = mine == ref.total
        return Evidence(
            passed=passed,
            expected=ref.total,
            measured=mine,
            error=abs(float(mine) - ref.total),
            message=f"numel over model.parameters(): {ref.total:,}; the answer {_text(mine)}"
            + (
                f" (batch norm's {ref.buffers:,} buffer entries are not parameters)"
                if ref.buffers
                else ""
            ),
            witness=Witness({"network": network}, mine, ref.total),
        )

    return check


def _without_biases(network: str) -> int:
    from verify.architectures.wrong import RULES

    return table(NETWORKS[network], rules=RULES["conv and dense without bias"]).total


_WHAT = {
    "shapes": "the output shape of every layer",
    "params": "the parameters of every layer",
    "macs": "the multiply–accumulates of every layer",
}


def _declare():
    for name, spec in NETWORKS.items():
        shape = "×".join(map(str, spec.input_shape))
        rows = table(spec)
        typed_tables.register(
            [f"architectures.{name}.{w}" for w in _WHAT], tuple(r.name for r in rows.rows)
        )
        for what, words in _WHAT.items():
            claim(
                f"architectures.{name}.{what}",
                f"{name} on {shape}: {words} is as torch.nn finds it",
                method="torch-reference",
                answer="sequence",
                derived=lambda spec=spec, what=what: getattr(table(spec), what),
            )(_rows_check(name, what))
        near = {}
        no_bias = _without_biases(name)
        if no_bias != rows.total:
            biases = rows.total - no_bias
            near[no_bias] = (
                f"that leaves out the {biases:,} biases of the convolutions and dense layers"
            )
        claim(
            f"architectures.{name}.total",
            f"{name} on {shape} has {rows.total:,} parameters (numel over torch's parameters)",
            method="torch-reference",
            answer="number",
            derived=lambda spec=spec: table(spec).total,
            near_misses=near,
        )(_total_check(name))


_declare()


# --- receptive fields, measured by a gradient -----------------------------------------------
#: Networks whose receptive field (before the first dense layer) is claimed.
FIELD_NETWORKS = ("vgg11", "gaze_cnn", "mnist_volumes")


@cache
def measured_field(network: str) -> int:
    """The receptive field (rows) of the convolutions and poolings of torch's ``network``:
    the extent of the input rows on which a centre output depends.

    The torch network's window layers are copied with one channel, weights 1, no bias, and
    max pooling replaced by average pooling of the same window (a max passes the gradient to
    one entry only; the window is what matters); on an input of ones, twice the
    network's own size so that the centre output's field is not cut by the border, every
    input entry in the field gets a positive gradient and every other entry none.

    >>> measured_field("mnist_volumes")
    23
    """
    nn = torch.nn
    build, shape = nets.BUILDERS[network]
    copies = []
    for module in build().modules():
        if isinstance(module, nn.Linear | nn.Flatten | nn.AdaptiveAvgPool2d):
            break
        if isinstance(module, nn.Conv2d):
            conv = nn.Conv2d(
                1,
                1,
                module.kernel_size,
                stride=module.stride,
                padding=module.padding,
                dilation=module.dilation,
                bias=False,
            ).double()
            nn.init.ones_(conv.weight)
            copies.append(conv)
        elif isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
            copies.append(nn.AvgPool2d(module.kernel_size, module.stride, module.padding))
    x = torch.ones(1, 1, 2 * shape[1], 2 * shape[2], dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*copies)(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(dim=1) > 0).flatten()
    return int(rows.max() - rows.min() + 1)


def _field_check(network: str):
    def check(candidate, seed: int) -> Evidence:
        theirs, mine = measured_field(network), _as_int(candidate)
        return Evidence(
            passed=mine == theirs,
            expected=theirs,
            measured=mine,
            error=abs(float(mine) - theirs),
            message=f"the centre output of torch's {network} depends on {theirs} input rows; "
            f"the answer {mine}",
            witness=Witness({"network": network}, mine, theirs),
        )

    return check


for _name in FIELD_NETWORKS:
    claim(
        f"architectures.{_name}.receptive_field",
        f"{_name}: the receptive field of its convolutions and poolings (rows) is "
        f"{receptive_field(NETWORKS[_name])[0]}, as a gradient through torch's network finds it",
        method="torch-reference",
        answer="number",
        derived=lambda spec=NETWORKS[_name]: receptive_field(spec)[0],
    )(_field_check(_name))

__all__ = ["SIZE_CASES", "get", "size_cases", "torch_size"]
