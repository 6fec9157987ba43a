"""Claims about initialization, checked by simulating the raw procedure with torch.

The measured side never calls :mod:`derivations.initialization`: it fills tensors with
``torch.nn.init``'s own ``xavier_uniform_`` and ``kaiming_normal_``, draws weights with
``torch.randn``, runs the networks with ``torch.bmm`` and ``torch.tanh``/``torch.relu``, and
looks for inf/nan in torch's float32 outputs. Means are tested with the Monte Carlo engine
(:mod:`verify.montecarlo`) at a false-alarm level of ``1e-6`` per claim; a claim about several
layers splits that level among them (Bonferroni).

Sizes, chosen for a test suite on two busy cores (the book's figure runs deeper networks):

* deep-network claims: width 512 as in the experiment, the first :data:`DEPTH` layers,
  :data:`DRAWS` independent draws of all weights, each pushing :data:`COLUMNS` inputs
  ``x ~ N(0, I)`` through them and averaging ``u_l[i]²`` over inputs and entries. A draw's
  mean is exactly ``E[u_l[i]²]`` (linearity); draws are independent, so the engine's standard
  error is honest. Information per unit of work falls like ``depth³`` (the norm's fluctuation
  grows with depth, and inputs sharing weights decorrelate less), so four layers keep the
  relative standard error near 0.15 % for the linear and tanh schemes: a 1 % error is about
  6 standard errors, a 2 % error (a mutation below) about 13. The ReLU schemes fall short of
  that at depth: ReLU's outputs share a positive mean, so every input of a draw sees the same
  random gain ``‖W 1‖²`` and the inputs stop averaging out. Their relative standard error
  grows from about 0.1 % at layer 1 to 0.6 % at layer 4, so layers 1-2 resolve a 1 % error
  but layers 3-4 only one of about 4 %; resolving 1 % there needs about 30 times the draws.
  With 256 draws the engine's normal critical value is slightly optimistic: Student's t
  with 255 degrees of freedom puts 5e-7 rather than 2.5e-7 beyond it, so a four-layer claim
  has a false-alarm rate of at most 2e-6.
* overflow (experiment i): simulated and tested in :mod:`verify.initialization.overflow`,
  whose two claims are registered here with the others.

>>> get("initialization.relu.second_moment").check().passed
True
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import initialization as init
from derivations.arguments import count
from verify.claims import Evidence, claim, get  # noqa: F401 - get: doctest
from verify.evidence import Witness
from verify.initialization.overflow import (  # noqa: F401 - first_overflow, frequency_test: API
    LEVEL,
    OVERFLOW_DEPTH,
    WIDTH,
    first_overflow,
    frequency_test,
    one_thread,
    overflow_distribution_check,
    overflow_layer_check,
)
from verify.lazy import lazy, torch

mc = lazy("verify.montecarlo")
stats = lazy("scipy.stats")

DEPTH = 4
DRAWS = 256
COLUMNS = 32
#: Widths of the non-square layers used for torch.nn.init: fan_in 768, fan_out 256, so
#: fan_in, fan_out and their mean give different answers.
FAN_OUT, FAN_IN = 256, 768


# --- the networks of the experiment ---------------------------------------------------------
def _normal_scaled(width, gen):
    return torch.randn(width, width, generator=gen) / math.sqrt(width)


def _xavier(width, gen):
    return torch.nn.init.xavier_uniform_(torch.empty(width, width), generator=gen)


def _kaiming(width, gen):
    return torch.nn.init.kaiming_normal_(
        torch.empty(width, width), nonlinearity="relu", generator=gen
    )


#: scheme -> (weight family, activation); the names are derivations.initialization.SCHEMES'.
#: Schemes of one family share each draw's weights and inputs (the claims stay separate tests).
NETWORKS = {
    "normal / sqrt(d)": ("normal / sqrt(d)", None),
    "tanh, normal / sqrt(d)": ("normal / sqrt(d)", lambda t: torch.tanh(t)),
    "tanh, Xavier uniform": ("Xavier uniform", lambda t: torch.tanh(t)),
    "ReLU, Xavier uniform": ("Xavier uniform", lambda t: torch.relu(t)),
    "ReLU, Kaiming normal": ("Kaiming normal", lambda t: torch.relu(t)),
}
WEIGHTS = {
    "normal / sqrt(d)": _normal_scaled,
    "Xavier uniform": _xavier,
    "Kaiming normal": _kaiming,
}


def network_draw(family: str, gen, *, width=WIDTH, depth=DEPTH, columns=COLUMNS) -> dict:
    """One draw of all weights of ``family``; for each of its schemes, the mean of
    ``u_l[i]²`` over inputs and entries, per layer.

    ``u_1 = W_1 x`` and ``u_l = W_l φ(u_{l-1})`` in float32 (as the experiment runs in
    torch), averaged in float64.

    >>> g = torch.Generator().manual_seed(0)
    >>> {k: v.shape for k, v in network_draw("Kaiming normal", g, width=64, depth=3).items()}
    {'ReLU, Kaiming normal': torch.Size([3])}
    >>> network_draw("Kaiming normal", g, width=0)
    Traceback (most recent call last):
    ...
    ValueError: width: a positive integer is required, got 0
    """
    if family not in WEIGHTS:
        raise ValueError(f"family: one of {', '.join(WEIGHTS)} is required, got {family!r}")
    width, depth = count(width, "width"), count(depth, "depth")
    schemes = [s for s, (f, _) in NETWORKS.items() if f == family]
    x = torch.randn(width, count(columns, "columns"), generator=gen)
    h = dict.fromkeys(schemes, x)
    moments = {s: [] for s in schemes}
    for layer in range(depth):
        w = WEIGHTS[family](width, gen)
        for s in schemes:
            phi = NETWORKS[s][1]
            h[s] = w @ (h[s] if layer == 0 or phi is None else phi(h[s]))
            moments[s].append(h[s].double().square().mean())
    return {s: torch.stack(m) for s, m in moments.items()}


@lru_cache(maxsize=16)
def _family_draws(family: str, seed: int, draws: int, width: int, depth: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    with one_thread():
        rows = [network_draw(family, gen, width=width, depth=depth) for _ in range(draws)]
    out = {s: torch.stack([r[s] for r in rows]).numpy() for s in rows[0]}
    for values in out.values():
        values.setflags(write=False)  # cached: a caller must not change what others get
    return out


def network_draws(scheme: str, seed: int, *, draws=DRAWS, width=WIDTH, depth=DEPTH) -> np.ndarray:
    """``draws`` independent draws of :func:`network_draw` for ``scheme``, shape
    ``(draws, depth)``; cached, and shared with the other schemes of its weight family.

    >>> network_draws("normal / sqrt(d)", 0, draws=2, width=16, depth=2).shape
    (2, 2)
    """
    if scheme not in NETWORKS:
        raise ValueError(f"scheme: one of {', '.join(NETWORKS)} is required, got {scheme!r}")
    family = NETWORKS[scheme][0]
    return _family_draws(family, seed, count(draws, "draws"), width, depth)[scheme]


def _replay(values: np.ndarray):
    """A sampler for the engine that hands out precomputed i.i.d. draws in order."""
    data, position = torch.tensor(values, dtype=torch.float64), 0  # a copy: values is read-only

    def sampler(n, gen):
        nonlocal position
        position += n
        return data[position - n : position]

    return sampler


def _layers_check(claim_id: str, scheme: str):
    def check(candidate, seed):
        expected = np.asarray(candidate, dtype=float)
        if expected.shape != (DEPTH,):
            raise ValueError(f"candidate: {DEPTH} per-layer second moments are required")
        values = network_draws(scheme, seed)
        level = LEVEL / DEPTH
        ests = [
            mc.estimate(_replay(values[:, i]), DRAWS, seed=seed, level=level) for i in range(DEPTH)
        ]
        tests = [mc.compare(e, v) for e, v in zip(ests, expected, strict=True)]
        worst = int(np.argmin([p for _, p in tests]))
        passed = all(ok for ok, _ in tests)
        shown = ", ".join(f"{e.mean:.4g}±{e.half_width:.2g}" for e in ests)
        verdict = "agree" if passed else f"layer {worst + 1} differs"
        return Evidence(
            claim_id,
            "monte-carlo",
            passed,
            expected=[float(v) for v in expected],
            measured=[e.mean for e in ests],
            error=float(max(abs(e.mean - v) / abs(v) for e, v in zip(ests, expected, strict=True))),
            tolerance=float(max(e.rel_half_width for e in ests)),
            interval=ests[worst].interval,
            witness=Witness({"layer": worst + 1}, float(expected[worst]), ests[worst].mean),
            p_value=min(1.0, tests[worst][1] * DEPTH),
            n=DRAWS * COLUMNS,
            message=(
                f"layers 1-{DEPTH}, width {WIDTH}: simulated {shown} vs predicted "
                f"{', '.join(f'{v:.4g}' for v in expected)}: {verdict} (level {LEVEL:g} split "
                f"over the layers; {DRAWS} weight draws × {COLUMNS} inputs)"
            ),
        )

    return check


# --- torch.nn.init against the derived bound and std ----------------------------------------
#: Layer shapes (fan_out, fan_in) for the bound: square, wide, narrow.
BOUND_SHAPES = ((512, 512), (FAN_OUT, FAN_IN), (30, 100))


#: A candidate scale must agree with torch's to this relative error: torch multiplies in float32
#: (rounding of 2^-24 on the scale and on each product), so 1e-6 leaves a margin of 16 while a
#: scale off by 1e-5 is rejected whatever the seed.
SCALE_RTOL = 1e-6


def torch_scale(fill, base, fan_out: int, fan_in: int, seed: int) -> float:
    """The factor by which ``fill`` (a ``torch.nn.init`` function) multiplies the draws of
    ``base`` (``tensor.uniform_(-1, 1)`` or ``tensor.normal_(0, 1)``) from the same generator
    state: the least-squares slope of one on the other.

    It reads the scale torch applies, exactly (to float32 rounding), whatever the sample size:
    a Monte Carlo variance would need 10^11 draws to see a relative error of 1e-5 in a std. If
    torch ever stopped drawing the scaled law from the same stream, the two tensors would not
    be proportional, and :func:`_scale_evidence` says so instead of passing.

    >>> s = torch_scale(lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="relu",
    ...                 generator=g), lambda t, g: t.normal_(0, 1, generator=g), 256, 768, 0)
    >>> abs(s / math.sqrt(2 / 768) - 1) < 1e-6
    True
    """
    a = fill(torch.empty(fan_out, fan_in), torch.Generator().manual_seed(seed)).double()
    b = base(torch.empty(fan_out, fan_in), torch.Generator().manual_seed(seed)).double()
    slope = float((a * b).sum() / b.square().sum())
    residual = float((a - slope * b).abs().max() / a.abs().max())
    if residual > 1e-6:
        raise AssertionError(
            f"torch's init is not a multiple of the base draws (residual {residual:.1e})"
        )
    return slope


def _scale_evidence(claim_id, shapes, fill, base, candidate_of, seed, what):
    problems, worst, witness = [], -1.0, None
    for fan_out, fan_in in shapes:
        want = float(candidate_of(fan_in, fan_out))
        got = torch_scale(fill, base, fan_out, fan_in, seed)
        err = abs(want - got) / got
        if err > worst:
            worst, witness = err, Witness({"fan_in": fan_in, "fan_out": fan_out}, want, got)
        if not err <= SCALE_RTOL:
            problems.append(f"{fan_in}→{fan_out}: torch's {what} is {got:.9g}, not {want:.9g}")
    return problems, worst, witness


def _xavier_bound_check(candidate, seed):
    bound = candidate
    gen = torch.Generator().manual_seed(seed)
    problems, worst, total, witness = [], 0.0, 0, None
    for fan_out, fan_in in BOUND_SHAPES:
        w = torch.cat(
            [
                torch.nn.init.xavier_uniform_(torch.empty(fan_out, fan_in), generator=gen)
                .double()
                .flatten()
                for _ in range(max(1, 2**18 // (fan_out * fan_in)))
            ]
        )
        a, top = float(bound(fan_in, fan_out)), float(w.abs().max())
        # N i.i.d. U(-a, a): P(max|w| < a(1 - eps)) = (1 - eps)^N <= 1e-7 / 3 for this eps;
        # the upper end allows float32 rounding of a (2^-24 relative).
        eps = math.log(3e7) / w.numel()
        total += w.numel()
        if witness is None or abs(top - a) / a >= worst:
            witness = Witness({"fan_in": fan_in, "fan_out": fan_out}, a, top)
        worst = max(worst, abs(top - a) / a)
        if top > a * (1 + 2**-23):
            problems.append(f"{fan_in}→{fan_out}: max |w| = {top:.6g} exceeds {a:.6g}")
        elif top < a * (1 - eps):
            problems.append(f"{fan_in}→{fan_out}: max |w| = {top:.6g} never nears {a:.6g}")
    # The support alone pins the bound to ~2e-5; torch's own scale pins it to float32 rounding.
    scale_problems, scale_err, scale_witness = _scale_evidence(
        "initialization.xavier_uniform.bound",
        BOUND_SHAPES,
        lambda t, g: torch.nn.init.xavier_uniform_(t, generator=g),
        lambda t, g: t.uniform_(-1, 1, generator=g),
        bound,
        seed,
        "bound",
    )
    if scale_problems and not problems:
        witness = scale_witness
    problems += scale_problems
    return Evidence(
        "initialization.xavier_uniform.bound",
        "torch-reference",
        not problems,
        error=max(worst, scale_err),
        tolerance=SCALE_RTOL,
        n=total,
        witness=witness,
        message="; ".join(problems)
        or f"torch's xavier_uniform_ stays within ±bound and reaches it (to {worst:.1e}) on "
        f"{len(BOUND_SHAPES)} shapes, and scales U(-1, 1) draws by the bound (to "
        f"{scale_err:.1e})",
    )


#: Shapes (fan_out, fan_in) for the Kaiming scale; no fan equal to 1 or to another.
KAIMING_SHAPES = ((FAN_OUT, FAN_IN), (30, 100), (512, 512))


def _kaiming_scale_check(candidate, seed):
    problems, worst, witness = _scale_evidence(
        "initialization.kaiming_normal.scale",
        KAIMING_SHAPES,
        lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
        lambda t, g: t.normal_(0, 1, generator=g),
        lambda fi, fo: candidate(fi),
        seed,
        "std",
    )
    return Evidence(
        "initialization.kaiming_normal.scale",
        "torch-reference",
        not problems,
        error=worst,
        tolerance=SCALE_RTOL,
        n=sum(a * b for a, b in KAIMING_SHAPES),
        witness=witness,
        message="; ".join(problems)
        or f"torch's kaiming_normal_ multiplies N(0, 1) draws by the std (to {worst:.1e}) on "
        f"{len(KAIMING_SHAPES)} shapes",
    )


def _squares_sampler(fill, fan_out, fan_in):
    def sampler(n, gen):
        chunks, have = [], 0
        while have < n:
            w = fill(torch.empty(fan_out, fan_in), gen).double().flatten()
            chunks.append(w.square())
            have += w.numel()
        return torch.cat(chunks)[:n]

    return sampler


def _init_variance_check(claim_id, fill, expected_of, cv):
    # Draws sized to detect a 1 % error at level 1e-6 with miss probability 1e-6 (cv is the
    # coefficient of variation of w², exact for the law torch draws from).
    def check(candidate, seed):
        value = float(expected_of(candidate))
        n = mc.required_draws(cv)
        est = mc.estimate(
            _squares_sampler(fill, FAN_OUT, FAN_IN), n, seed=seed, level=LEVEL, batch=2**20
        )
        return mc.evidence(
            claim_id,
            est,
            value,
            message=f"E[w²] for a {FAN_IN}→{FAN_OUT} layer: {est} vs {value:.6g}",
            point={"fan_in": FAN_IN, "fan_out": FAN_OUT},
        )

    return check


def _xavier_variance(candidate):
    return candidate(FAN_IN, FAN_OUT)


def _kaiming_variance(candidate):
    return candidate(FAN_IN) ** 2


# --- ReLU factor and the unit-normal RMS ----------------------------------------------------
def _relu_check(candidate, seed):
    factor = float(candidate)
    # cv of ReLU(z)²: E = 1/2, E ReLU(z)^4 = 3/2, so cv = sqrt(5); n detects 1 %.
    n = mc.required_draws(math.sqrt(5))

    def sampler(k, gen):
        return torch.relu(torch.randn(k, generator=gen, dtype=torch.float64)).square()

    est = mc.estimate(sampler, n, seed=seed, level=LEVEL, batch=2**20)
    return mc.evidence(
        "initialization.relu.second_moment",
        est,
        factor,
        message=f"E[ReLU(z)²] for z ~ N(0, 1) with torch.relu: {est} vs {factor:.6g}·E[z²]",
    )


#: Experiment (ii), sized to tell its two estimators apart: RMS_MATRICES matrices a, each
#: with RMS_INPUTS inputs x (so 114,688 pairs). The pooled RMS (root of the mean over pairs of
#: mean(y²)) tends to sqrt(512) = 22.6274, the mean of the per-pair RMS to 22.6053: relative
#: gaps of 1.95e-3 in the mean square and 9.8e-4 in the RMS. One pair's mean square has a
#: relative spread of sqrt(4/512) ≈ 0.088; two control variates with known means, the
#: input's ‖x‖²/d (mean 1) and the matrix's ‖a‖²_F/d² (mean 1), take out its norm part and
#: all the spread between matrices, leaving sqrt(2/512) ≈ 0.0625. The standard errors are
#: then 0.099 in the mean square and 0.0022 in the RMS: each claim's value is 10 standard
#: errors from the other's, so each rejects the other at level 1e-6 (critical t ≈ 5.0) with
#: probability 1 - 1e-7. Float32 rounding of y (relative 1e-7) is far below both.
RMS_MATRICES, RMS_INPUTS = 224, 512


@lru_cache(maxsize=4)
def rms_draws(seed: int, matrices: int = RMS_MATRICES, inputs: int = RMS_INPUTS) -> np.ndarray:
    """Per matrix ``a`` (rows): the mean over its inputs of mean(y²) and of the RMS of
    ``y = a x``, then of ``‖x‖²/d - 1``, and ``‖a‖²_F/d² - 1``; float32 products as the
    course runs them, averaged in float64.

    >>> rms_draws(0, 3, 4).shape
    (3, 4)
    """
    matrices, inputs = count(matrices, "matrices", minimum=4), count(inputs, "inputs")
    gen = torch.Generator().manual_seed(seed)
    rows = []
    with one_thread():
        for _ in range(matrices):
            a = torch.randn(WIDTH, WIDTH, generator=gen)
            x = torch.randn(WIDTH, inputs, generator=gen)
            mean_square = (a @ x).double().square().mean(dim=0)
            rows.append(
                [
                    float(mean_square.mean()),
                    float(mean_square.sqrt().mean()),
                    float(x.double().square().mean(dim=0).mean()) - 1.0,
                    float(a.double().square().mean()) - 1.0,
                ]
            )
    out = np.array(rows)
    out.setflags(write=False)  # cached
    return out


def controlled_mean(values: np.ndarray, controls: np.ndarray, level: float = LEVEL):
    """Mean of ``values`` with control variates of known mean zero (least squares), its
    standard error, and the two-sided critical value of Student's t at ``level``.

    >>> rng = np.random.default_rng(0)
    >>> c = rng.normal(size=(200, 1)); v = 3 + 5 * c[:, 0] + rng.normal(size=200) * 0.1
    >>> m, se, t = controlled_mean(v, c)
    >>> abs(m - 3) < 5 * se < 0.05
    True
    """
    n, k = controls.shape
    design = np.column_stack([np.ones(n), controls])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    residual = values - design @ coef
    # se of the intercept: the controls' sample means are not exactly 0
    cov = np.linalg.inv(design.T @ design) * (residual @ residual) / (n - k - 1)
    return float(coef[0]), float(math.sqrt(cov[0, 0])), float(stats.t.isf(level / 2, n - k - 1))


def _rms_check(claim_id, column, pooled):
    def check(candidate, seed):
        expected = float(candidate)
        draws = rms_draws(seed)
        mean, se, crit = controlled_mean(draws[:, column], draws[:, 2:])
        target = expected**2 if pooled else expected
        t = (mean - target) / se if math.isfinite(target) else math.inf
        p = float(2 * stats.t.sf(abs(t), len(draws) - 3)) if math.isfinite(t) else 0.0
        shown = math.sqrt(mean) if pooled else mean
        half = crit * se / (2 * math.sqrt(mean)) if pooled else crit * se
        what = (
            "root of the mean over pairs of mean(y²)" if pooled else "mean over pairs of the RMS"
        )
        n = len(draws) * RMS_INPUTS
        return Evidence(
            claim_id,
            "monte-carlo",
            p > LEVEL,
            expected=expected,
            measured=shown,
            error=abs(shown - expected),
            tolerance=half,
            interval=(shown - half, shown + half),
            p_value=p,
            n=n,
            seed=seed,
            witness=Witness({"width": WIDTH, "pairs": n}, expected, shown),
            message=(
                f"{what} of y = a x, a ~ N(0, I) {WIDTH}×{WIDTH}, over {n} (a, x) pairs: "
                f"{shown:.5f} ± {half:.2g} vs {expected:.6g} (t-test with control variates, "
                f"level {LEVEL:g}; sqrt({WIDTH}) = {math.sqrt(WIDTH):.5f}, "
                f"E[χ]²/sqrt({WIDTH}) = {init.expected_rms(WIDTH):.5f})"
            ),
        )

    return check


# --- registry -------------------------------------------------------------------------------
# --- the declarations ------------------------------------------------------------------------
#: Named arguments of the function claims, as the book writes them.
fan_in, fan_out = sp.symbols("fan_in fan_out", positive=True, integer=True)
#: What a layer's fan-in and fan-out range over.
FANS = {"fan_in": (1, math.inf, "integer"), "fan_out": (1, math.inf, "integer")}


def _bound_expression() -> sp.Expr:
    return init.xavier_bound().result.xreplace({init.n_in: fan_in, init.n_out: fan_out})


def _declare():
    claim(
        "initialization.xavier_uniform.bound",
        "torch's xavier_uniform_ draws from U(-a, a) with a = sqrt(6/(fan_in + fan_out))",
        method="torch-reference",
        answer="function",
        variables=("fan_in", "fan_out"),
        derived=_bound_expression,
        domain=FANS,
    )(_xavier_bound_check)
    claim(
        "initialization.xavier_uniform.variance",
        "torch's xavier_uniform_ has variance a²/3 = 2/(fan_in + fan_out)",
        method="monte-carlo",
        answer="function",
        variables=("fan_in", "fan_out"),
        derived=lambda: sp.simplify(_bound_expression() ** 2 / 3),
        domain=FANS,
    )(
        _init_variance_check(
            "initialization.xavier_uniform.variance",
            lambda t, g: torch.nn.init.xavier_uniform_(t, generator=g),
            _xavier_variance,
            3 / math.sqrt(5),
        )
    )
    claim(
        "initialization.kaiming_normal.scale",
        "torch's kaiming_normal_ (ReLU, fan-in) multiplies its N(0, 1) draws by sqrt(2/fan_in)",
        method="torch-reference",
        answer="function",
        variables=("fan_in",),
        derived=lambda: init.kaiming_sigma().result.xreplace({init.d: fan_in}),
        domain={"fan_in": FANS["fan_in"]},
    )(_kaiming_scale_check)
    claim(
        "initialization.kaiming_normal.std",
        "torch's kaiming_normal_ (ReLU, fan-in) has std sqrt(2/fan_in)",
        method="monte-carlo",
        answer="function",
        variables=("fan_in",),
        derived=lambda: init.kaiming_sigma().result.xreplace({init.d: fan_in}),
        domain={"fan_in": FANS["fan_in"]},
    )(
        _init_variance_check(
            "initialization.kaiming_normal.std",
            lambda t, g: torch.nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
            _kaiming_variance,
            math.sqrt(2),
        )
    )
    claim(
        "initialization.relu.second_moment",
        "E[ReLU(u)²] = ½ E[u²] for u ~ N(0, s²)",
        method="monte-carlo",
        answer="number",
        derived=lambda: init.relu_by_gaussian_integral().result.subs(init.s, 1),
    )(_relu_check)
    claim(
        "initialization.unit_normal.rms_pooled",
        "the course's RMS of y = a x (a, x standard normal, width 512), the root of the mean "
        "of mean(y²) over many pairs, tends to sqrt(512)",
        method="monte-carlo",
        answer="number",
        derived=lambda: math.sqrt(WIDTH),
    )(_rms_check("initialization.unit_normal.rms_pooled", 0, pooled=True))
    claim(
        "initialization.unit_normal.rms_per_pair",
        "the mean over pairs of the RMS of y = a x (width 512) is E[χ_512]²/sqrt(512), below "
        "sqrt(512)",
        method="monte-carlo",
        answer="number",
        derived=lambda: init.expected_rms(WIDTH),
    )(_rms_check("initialization.unit_normal.rms_per_pair", 1, pooled=False))
    claim(
        "initialization.overflow.layer",
        "the most likely first float32 inf/nan layer of the unit-normal 512-wide network",
        method="monte-carlo",
        answer="number",
        derived=lambda: init.overflow_layer(WIDTH, "float32", depth=OVERFLOW_DEPTH),
    )(overflow_layer_check)
    claim(
        "initialization.overflow.distribution",
        "the predicted distribution of the first float32 inf/nan layer matches the frequencies "
        "over seeds",
        method="monte-carlo",
        answer="distribution",
        derived=lambda: init.overflow_distribution(WIDTH, OVERFLOW_DEPTH, "float32"),
    )(overflow_distribution_check)
    for scheme, name, statement in (
        ("normal / sqrt(d)", "scaled", "weights N(0, 1/d), no activation: E[u_l²] stays 1"),
        (
            "tanh, normal / sqrt(d)",
            "tanh",
            "weights N(0, 1/d) with tanh: E[u_l²] follows the variance map",
        ),
        (
            "tanh, Xavier uniform",
            "xavier_tanh",
            "Xavier uniform with tanh: E[u_l²] follows the variance map",
        ),
        ("ReLU, Kaiming normal", "kaiming_relu", "Kaiming normal with ReLU keeps E[u_l²] = 2"),
        (
            "ReLU, Xavier uniform",
            "xavier_relu",
            "Xavier uniform with ReLU halves E[u_l²] every layer",
        ),
    ):
        claim_id = f"initialization.{name}.second_moments"
        claim(
            claim_id,
            statement,
            method="monte-carlo",
            answer="sequence",
            derived=lambda s=scheme: tuple(init.second_moments(s, WIDTH, DEPTH)),
        )(_layers_check(claim_id, scheme))


_declare()
