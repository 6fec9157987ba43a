"""Claims of the losses topic: one-versus-all, mixup and CutMix against torch and the procedure.

The measured side never calls :mod:`derivations.losses`:

- one-versus-all: ``torch.nn.functional.binary_cross_entropy_with_logits`` on one-hot targets,
  its autograd gradient, and the definition written with ``F.logsigmoid``, on logits that
  include ``±1000``, ties and exact zeros;
- mixup: ``F.cross_entropy`` with class-probability (soft) targets built in torch, and its
  autograd gradient; the law of ``λ`` from NumPy's ``beta`` (what the reference code draws),
  by a Kolmogorov–Smirnov test whose level and power follow from the
  Dvoretzky–Kiefer–Wolfowitz inequality (Massart's constant), and its variance by a z-test;
- CutMix: :mod:`verify.losses.reference`, a transcription of the reference procedure
  (clovaai/CutMix-PyTorch), enumerated over every box centre or simulated.

>>> get("losses.ova.gradient").check().passed
True
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from verify.claims import Evidence, as_function, claim, get  # noqa: F401 - get for doctests
from verify.evidence import Witness, worst_entry
from verify.lazy import lazy
from verify.losses import reference as ref

mc = lazy("verify.montecarlo")
dl = lazy("derivations.losses")

#: Two sides compute the same float64 quantities in different orders; each loss or gradient
#: entry here is a sum of at most 7 terms of size ≤ 1000 (the logits), so they agree to within
#: a few ulps of 1000·7 ≈ 1e-12. Every wrong answer we test is off by more than 1e-3.
ATOL = 1e-11

#: The points of the per-class derivative claim: both tails (±1000, where log σ is log 0 in
#: float64; ±37.5 and 36, where 1 − σ rounds to 0), 0 (the tie σ = 1/2) and values between.
H_POINTS = (-1000.0, -37.5, -2.5, -0.3, 0.0, 0.7, 4.0, 36.0, 1000.0)


def _as_vector_function(candidate, names):
    if isinstance(candidate, sp.Basic):
        return as_function(candidate, names, vectorized=True)
    return candidate


# --- one-versus-all ------------------------------------------------------------------------
def _gradient_check(candidate, seed: int) -> Evidence:
    f = _as_vector_function(candidate, ("h", "t"))
    hs = np.array([p for p in H_POINTS for _ in (0, 1)])
    ts = np.array([float(t) for _ in H_POINTS for t in (0, 1)])
    with np.errstate(all="ignore"):
        mine = np.broadcast_to(np.asarray(f(hs, ts), dtype=np.float64), hs.shape)
    theirs = ref.bce_gradient(hs, ts)
    gap = np.where(np.isfinite(mine), np.abs(mine - theirs), np.inf)
    i = int(np.argmax(gap))
    passed = bool(gap[i] <= ATOL)
    return Evidence(
        passed=passed,
        expected=float(mine[i]),
        measured=float(theirs[i]),
        error=float(gap[i]),
        tolerance=ATOL,
        n=hs.size,
        message=(
            f"d/dh of torch's binary_cross_entropy_with_logits by autograd at {hs.size} points "
            f"(h up to ±1000, t = 0 and 1): largest gap {gap[i]:.2g}"
            + ("" if passed else f" at h = {hs[i]:g}, t = {ts[i]:g}")
        ),
        witness=Witness({"h": float(hs[i]), "t": float(ts[i])}, float(mine[i]), float(theirs[i])),
    )


def _ova_instances(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng([15, seed])
    extreme = np.array(
        [
            [1000.0, -1000.0, 0.0, 0.0],
            [-1000.0, -1000.0, -1000.0, -1000.0],
            [1000.0, 1000.0, 1000.0, 1000.0],
            [0.0, 0.0, 0.0, 0.0],
            [2.5, 2.5, -7.0, 1000.0],
        ]
    )
    return [
        (
            "6×4 logits N(0, 9), labels 0 … 3",
            3 * rng.standard_normal((6, 4)),
            np.array([0, 3, 1, 3, 2, 0]),
        ),
        ("5×4 logits at ±1000, ties and zeros", extreme, np.array([0, 3, 1, 2, 0])),
        (
            "3×7 logits N(0, 4), labels 6, 0, 6",
            2 * rng.standard_normal((3, 7)),
            np.array([6, 0, 6]),
        ),
    ]


def _call(candidate, *args):
    """The candidate's output as float arrays, or the text of what it raised."""
    try:
        with np.errstate(all="ignore"):
            out = candidate(*args)
        return tuple(np.asarray(v, dtype=np.float64) for v in out), None
    except Exception as exc:  # noqa: BLE001 - a wrong implementation may raise anything
        return None, f"{type(exc).__name__}: {exc}"


def _compare_pairs(items) -> Evidence:
    """items: (label, point, [(name, candidate array, reference array, tolerance)]) or a
    raised message; returns the evidence of the worst comparison."""
    worst, count = None, 0
    for label, point, result in items:
        if isinstance(result, str):
            return Evidence(
                passed=False,
                message=f"{label}: the candidate raised {result}",
                witness=Witness(point, result, "a value"),
            )
        for name, mine, theirs, tol in result:
            count += int(np.size(theirs))
            w = worst_entry(mine, theirs, {**point, "output": name})
            if np.shape(mine) != np.shape(theirs):
                gap = math.inf
            else:
                with np.errstate(invalid="ignore"):
                    diff = np.abs(np.asarray(mine, dtype=np.float64) - theirs)
                gap = float(np.max(np.where(np.isfinite(diff), diff, np.inf), initial=0.0))
            score = gap / tol if tol > 0 else (0.0 if gap == 0 else math.inf)
            if worst is None or score > worst[0]:
                worst = (score, label, name, gap, tol, w)
    score, label, name, gap, tol, w = worst
    passed = score <= 1
    return Evidence(
        passed=passed,
        error=gap,
        tolerance=tol,
        n=count,
        witness=w,
        message=(
            f"{count} values agree with torch (largest gap {gap:.2g}, in {name} on {label})"
            if passed
            else f"{label}: {name} differs from torch by {gap:.3g} (tolerance {tol:.1g})"
        ),
    )


def _ova_loss_check(candidate, seed: int) -> Evidence:
    items = []
    for label, h, y in _ova_instances(seed):
        out, raised = _call(candidate, h.copy(), y.copy())
        point = {"instance": label}
        if raised is not None:
            items.append((label, point, raised))
            continue
        loss, grad = out[0], out[1]
        bce, bce_grad, definition = ref.ova_torch(h, y)
        items.append(
            (
                label,
                point,
                [
                    ("loss (vs binary_cross_entropy_with_logits)", loss, bce, ATOL * max(1, bce)),
                    (
                        "loss (vs -logsigmoid(h_y) - Σ logsigmoid(-h_i))",
                        loss,
                        definition,
                        ATOL * max(1, bce),
                    ),
                    ("gradient (vs autograd)", grad, bce_grad, ATOL),
                ],
            )
        )
    return _compare_pairs(items)


# --- mixup ---------------------------------------------------------------------------------
def _mixup_instances(seed: int):
    rng = np.random.default_rng([16, seed])
    stiff = rng.standard_normal((5, 4))
    stiff[2] += 800.0  # e^800 overflows: the softmax must be shifted
    y1, y2 = np.array([0, 3, 1, 1, 2]), np.array([2, 3, 0, 1, 0])  # rows 1 and 3: y1 = y2
    return [
        (f"5×4 logits, λ = {lam_}", 2 * rng.standard_normal((5, 4)), y1, y2, lam_)
        for lam_ in (0.3, 0.85)
    ] + [
        ("5×4 logits, one row near 800, λ = 0.6", stiff, y1, y2, 0.6),
        ("5×4 logits, λ = 0 (all second label)", rng.standard_normal((5, 4)), y1, y2, 0.0),
        ("5×4 logits, λ = 1 (all first label)", rng.standard_normal((5, 4)), y1, y2, 1.0),
    ]


def _mixup_loss_check(candidate, seed: int) -> Evidence:
    items = []
    for label, h, y1, y2, lam_ in _mixup_instances(seed):
        point = {"instance": label, "lam": lam_}
        out, raised = _call(candidate, h.copy(), y1.copy(), y2.copy(), lam_)
        if raised is not None:
            items.append((label, point, raised))
            continue
        loss, grad = ref.soft_cross_entropy(h, y1, y2, lam_)
        tol = ATOL * max(1.0, loss)
        items.append(
            (label, point, [("loss", out[0], loss, tol), ("gradient", out[1], grad, ATOL)])
        )
    return _compare_pairs(items)


def _mixup_check(candidate, seed: int) -> Evidence:
    rng = np.random.default_rng([17, seed])
    items = []
    for lam_ in (0.3, 0.8):
        x1, x2 = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 2, 3))
        y1, y2 = np.array([0, 2, 4, 1]), np.array([3, 2, 0, 4])
        label = f"4 images of 2×3, M = 5, λ = {lam_}"
        point = {"instance": label, "lam": lam_}
        out, raised = _call(candidate, x1.copy(), x2.copy(), y1.copy(), y2.copy(), lam_, 5)
        if raised is not None:
            items.append((label, point, raised))
            continue
        x_ref, y_ref = ref.mixup_torch(x1, x2, y1, y2, lam_, 5)
        items.append(
            (
                label,
                point,
                [("mixed x", out[0], x_ref, 1e-14 * 8), ("mixed y", out[1], y_ref, 1e-15)],
            )
        )
    return _compare_pairs(items)


#: The two α of the λ claims: U-shaped (α < 1) and peaked (α > 1); neither is 1, where every
#: Beta(α, α) law that is wrong only in how it depends on α would agree with the right one.
ALPHAS = (0.4, 2.5)
#: The level of each of the two tests of a λ claim (Bonferroni: the claim's level is 1e-6).
SUB_LEVEL = 5e-7
#: Draws per α of the variance claim: ``mc.required_draws(cv, 0.01, level=5e-7)`` for the cv of
#: ``(λ − ½)²`` (0.65 at α = 0.4, 1.12 at α = 2.5; tests/test_losses.py checks it).
VARIANCE_DRAWS = {0.4: 420_000, 2.5: 1_250_000}
#: Draws per α of the law claim, and the grid its CDFs are compared on.
LAW_DRAWS = 40_000
LAW_GRID = np.linspace(0.0, 1.0, 101)[1:]


def dkw_epsilon(n: int, level: float = SUB_LEVEL) -> float:
    """``ε`` with ``P(sup|F_n − F| > ε) ≤ 2exp(−2nε²) = level`` (Massart's DKW bound).

    >>> round(dkw_epsilon(40_000), 4)
    0.0138
    """
    return math.sqrt(math.log(2 / level) / (2 * n))


def _beta_sampler(a: float, transform):
    torch = __import__("torch")

    def sampler(n, gen):
        seed = int(torch.randint(0, 2**62, (1,), generator=gen))
        draws = np.random.default_rng(seed).beta(a, a, n)
        return torch.from_numpy(transform(draws))

    return sampler


def _variance_check(candidate, seed: int) -> Evidence:
    f = _as_vector_function(candidate, ("alpha",))
    worst = None
    for i, a in enumerate(ALPHAS):
        est = mc.estimate(
            _beta_sampler(a, lambda x: (x - 0.5) ** 2),
            VARIANCE_DRAWS[a],
            seed=2 * seed + i,
            level=SUB_LEVEL,
        )
        with np.errstate(all="ignore"):
            value = float(np.asarray(f(a), dtype=np.float64))
        ev = mc.evidence("losses.mixup.lambda_variance", est, value, point={"alpha": a})
        if worst is None or (ev.p_value or 0) < (worst.p_value or 0):
            worst = ev
    worst.claim_id = ""
    worst.message = f"E[(λ − ½)²] at α = {worst.witness.point['alpha']}: " + worst.message
    return worst


def candidate_cdf(density, a: float, grid=LAW_GRID) -> np.ndarray:
    """``∫₀^g density(λ, α) dλ`` at each grid point (adaptive quadrature, interval by interval).

    >>> bool(abs(candidate_cdf(lambda lam, alpha: 1.0 + 0 * lam, 2.5)[-1] - 1) < 1e-12)
    True
    """
    import warnings

    from scipy.integrate import IntegrationWarning, quad

    def f(x):
        with np.errstate(all="ignore"):
            return float(np.asarray(density(x, a), dtype=np.float64))

    out, total, left = [], 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        for g in grid:
            try:
                part = quad(f, left, float(g), limit=200)[0]
            except (ValueError, ZeroDivisionError, OverflowError):
                part = math.nan
            total += part
            out.append(total)
            left = float(g)
    return np.array(out)


def _law_check(candidate, seed: int) -> Evidence:
    f = _as_vector_function(candidate, ("lam", "alpha"))
    eps = dkw_epsilon(LAW_DRAWS)
    worst = None
    for i, a in enumerate(ALPHAS):
        draws = np.sort(np.random.default_rng([18, seed, i]).beta(a, a, LAW_DRAWS))
        empirical = np.searchsorted(draws, LAW_GRID, side="right") / LAW_DRAWS
        cdf = candidate_cdf(f, a)
        gap = np.where(np.isfinite(cdf), np.abs(cdf - empirical), np.inf)
        j = int(np.argmax(gap))
        if worst is None or gap[j] > worst[0]:
            worst = (float(gap[j]), a, float(LAW_GRID[j]), float(cdf[j]), float(empirical[j]))
    gap, a, g, mine, theirs = worst
    passed = gap <= eps
    return Evidence(
        passed=passed,
        expected=mine,
        measured=theirs,
        error=gap,
        tolerance=eps,
        n=LAW_DRAWS * len(ALPHAS),
        message=(
            f"Kolmogorov–Smirnov on a grid of {LAW_GRID.size}: largest |F_n − F| = {gap:.3g} "
            f"(α = {a}, λ = {g:.2f}) against the DKW bound {eps:.3g} at level 1e-6"
        ),
        witness=Witness({"alpha": a, "lam": g}, mine, theirs),
    )


# --- CutMix ----------------------------------------------------------------------------------
#: The image of the CutMix enumerations: 6 rows, 9 columns (odd cuts, unequal sides).
SMALL = (6, 9)
#: λ of the procedure claim: 0 (the full-size box, clipped at every centre), 0.3 (odd cuts:
#: 7 and 5 become 6 and 4), 0.75 (√0.25 = 0.5 exactly: 9·0.5 = 4.5 truncates to 4), 0.999 (cut 0).
PROCEDURE_LAMS = (0.0, 0.3, 0.75, 0.999)


def _procedure_check(candidate, seed: int) -> Evidence:
    rng = np.random.default_rng([19, seed])
    H, W = SMALL
    x_a, x_b = rng.standard_normal((2, H, W)), rng.standard_normal((2, H, W))
    items = []
    for lam_ in PROCEDURE_LAMS:
        for cy in range(H):
            for cx in range(W):
                label = f"λ = {lam_}, centre (row {cy}, column {cx}) on {H}×{W}"
                point = {"lam": lam_, "cy": cy, "cx": cx}
                out, raised = _call(candidate, x_a.copy(), x_b.copy(), lam_, cy, cx)
                if raised is not None:
                    return _compare_pairs([(label, point, raised)])
                mixed, weight = ref.cutmix_torch(x_a, x_b, lam_, cy, cx)
                items.append(
                    (
                        label,
                        point,
                        [
                            ("mixed image", out[0], mixed, 0.0),
                            ("label weight", out[1], weight, 1e-15),
                        ],
                    )
                )
    return _compare_pairs(items)


def _law_of(candidate) -> dict[float, float]:
    return {float(k): float(v) for k, v in candidate.items()}


def _weight_law_check(candidate, seed: int) -> Evidence:
    H, W = SMALL
    lam_ = WEIGHT_LAW_LAM
    truth = {float(k): float(v) for k, v in ref.enumerated_law(lam_, H, W).items()}
    mine = _law_of(candidate)
    outcomes = sorted(set(truth) | set(mine))
    # outcomes within 1e-12 are one outcome written two ways (a Fraction and its float)
    merged: list[float] = []
    for o in outcomes:
        if not merged or o - merged[-1] > 1e-12:
            merged.append(o)

    def mass(law, o):
        return sum(p for k, p in law.items() if abs(k - o) <= 1e-12)

    gaps = [(abs(mass(mine, o) - mass(truth, o)), o) for o in merged]
    gap, at = max(gaps)
    passed = gap <= 1e-12
    return Evidence(
        passed=passed,
        expected=mass(mine, at),
        measured=mass(truth, at),
        error=gap,
        tolerance=1e-12,
        n=H * W,
        message=(
            f"the law over all {H * W} centres at λ = {lam_} ({len(truth)} outcomes): largest "
            f"probability gap {gap:.2g} at weight {at:.6g}"
        ),
        witness=Witness({"lam": lam_, "weight": at}, mass(mine, at), mass(truth, at)),
    )


#: λ of the weight-law claim on :data:`SMALL`.
WEIGHT_LAW_LAM = 0.3
#: (λ, H, W) of the mean-weight claim: the kinks of int() hit exactly (W·√(1 − λ) an integer
#: in float64: 32·√0.25 = 16, 5·√0.64 = 4), λ = 0 and 1, and images with unequal odd sides.
MEAN_SETTINGS = tuple(
    (lam_, H, W)
    for H, W in ((6, 9), (5, 7), (32, 32))
    for lam_ in (0.0, 0.3, 0.36, 0.5, 0.75, 0.9, 0.99, 1.0)
)


def _mean_weight_check(candidate, seed: int) -> Evidence:
    worst = None
    for lam_, H, W in MEAN_SETTINGS:
        try:
            mine = float(candidate(lam_, H, W))
        except Exception as exc:  # noqa: BLE001
            return Evidence(
                passed=False,
                message=f"the candidate raised {type(exc).__name__}: {exc}",
                witness=Witness({"lam": lam_, "H": H, "W": W}, str(exc), "a value"),
            )
        truth = float(sum(w * p for w, p in ref.enumerated_law(lam_, H, W).items()))
        gap = abs(mine - truth) if math.isfinite(mine) else math.inf
        if worst is None or gap > worst[0]:
            worst = (gap, lam_, H, W, mine, truth)
    gap, lam_, H, W, mine, truth = worst
    return Evidence(
        passed=gap <= 1e-12,
        expected=mine,
        measured=truth,
        error=gap,
        tolerance=1e-12,
        n=len(MEAN_SETTINGS),
        message=(
            f"exact means over every centre at {len(MEAN_SETTINGS)} (λ, H, W): largest gap "
            f"{gap:.2g} at λ = {lam_}, {H}×{W}"
        ),
        witness=Witness({"lam": lam_, "H": H, "W": W}, mine, truth),
    )


#: The settings of the adjusted-mean claims: name -> (α, H, W, draws). Draws are at least
#: ``mc.required_draws(cv)`` for the weight's cv (0.26 and 0.23): a 1% error is caught.
ADJUSTED = {"cifar": (1.0, 32, 32, 100_000), "small": (0.4, 6, 9, 100_000)}


def _adjusted_check(name: str):
    a, H, W, n = ADJUSTED[name]

    def check(candidate, seed: int) -> Evidence:
        est = mc.estimate(ref.weight_sampler(a, H, W), n, seed=seed)
        return mc.evidence(
            f"losses.cutmix.adjusted_mean.{name}",
            est,
            float(candidate),
            point={"alpha": a, "H": H, "W": W},
        )

    return check


def _declare():
    h, t = sp.symbols("h t", real=True)
    t_read = sp.Symbol("t", real=True, nonnegative=True)
    from derivations.functions import sigmoid

    claim(
        "losses.ova.gradient",
        "∂ℓ/∂h = σ(h) − t for ℓ(h, t) = −t log σ(h) − (1 − t) log(1 − σ(h)) (torch autograd, h up to ±1000)",
        method="autograd",
        answer="expression",
        variables=("h", "t"),
        derived=lambda: sigmoid(h) - t,
        domain={"t": (0, 1)},
        # a near miss is matched as the answer is read: t in [0, 1] is read as nonnegative
        near_misses={
            t_read - sigmoid(h): "the sign is flipped: the gradient of the loss is σ(h) − t"
        },
    )(_gradient_check)
    claim(
        "losses.ova.loss",
        "ova_loss(h, y) equals torch's binary_cross_entropy_with_logits on onehot(y) (summed over "
        "classes, averaged over the batch) and its gradient equals autograd's, at ±1000 and ties",
        method="autograd",
        answer="implementation",
        derived=lambda: dl.ova_loss,
    )(_ova_loss_check)
    claim(
        "losses.mixup.identity",
        "λ·CE(h, y₁) + (1 − λ)·CE(h, y₂) equals torch's cross_entropy with the soft target "
        "λ·onehot(y₁) + (1 − λ)·onehot(y₂), gradient by autograd",
        method="torch-reference",
        answer="implementation",
        derived=lambda: dl.mixup_loss,
    )(_mixup_loss_check)
    claim(
        "losses.mixup.mix",
        "mixup(x₁, x₂, y₁, y₂, λ, M) = (λx₁ + (1 − λ)x₂, λ·onehot(y₁) + (1 − λ)·onehot(y₂)), as torch computes them",
        method="torch-reference",
        answer="implementation",
        derived=lambda: dl.mixup,
    )(_mixup_check)
    alpha = sp.Symbol("alpha", positive=True)
    alpha_read = sp.Symbol("alpha", real=True, nonnegative=True)
    claim(
        "losses.mixup.lambda_variance",
        "Var λ = 1/(4(2α + 1)) for λ ~ Beta(α, α) (simulated at α = 0.4 and 2.5)",
        method="monte-carlo",
        answer="expression",
        variables=("alpha",),
        derived=lambda: 1 / (4 * (2 * alpha + 1)),
        domain={"alpha": (0, math.inf)},
        near_misses={
            1
            / (
                4 * (alpha_read + 1)
            ): "Var Beta(a, b) = ab/((a + b)²(a + b + 1)): with a = b = α the last factor is 2α + 1, not α + 1"
        },
    )(_variance_check)
    lam_s = sp.Symbol("lam", positive=True)
    claim(
        "losses.mixup.lambda_law",
        "λ drawn as the reference mixup draws it has the density λ^(α−1)(1 − λ)^(α−1)/B(α, α) "
        "(Kolmogorov–Smirnov at α = 0.4 and 2.5)",
        method="monte-carlo",
        answer="expression",
        variables=("lam", "alpha"),
        derived=lambda: lam_s ** (alpha - 1) * (1 - lam_s) ** (alpha - 1) / sp.beta(alpha, alpha),
        domain={"lam": (0, 1), "alpha": (0, math.inf)},
    )(_law_check)
    claim(
        "losses.cutmix.procedure",
        f"cutmix(x_a, x_b, λ, c_y, c_x) pastes the reference's box and returns 1 − (clipped area)/(HW), "
        f"at every centre of a {SMALL[0]}×{SMALL[1]} image for λ in {PROCEDURE_LAMS}",
        method="enumeration",
        answer="implementation",
        derived=lambda: dl.cutmix,
    )(_procedure_check)
    claim(
        "losses.cutmix.weight_law",
        f"the law of the recomputed CutMix weight at λ = {WEIGHT_LAW_LAM} on a {SMALL[0]}×{SMALL[1]} "
        "image: the product of the two axes' clipped-length laws",
        method="enumeration",
        answer="distribution",
        derived=lambda: dl.weight_law(WEIGHT_LAW_LAM, *SMALL),
    )(_weight_law_check)
    claim(
        "losses.cutmix.mean_weight",
        "E[weight | λ] = 1 − (2k_w − k_w²/W)(2k_h − k_h²/H)/(HW), k = ⌊int(S√(1 − λ))/2⌋, "
        f"exact over every centre at {len(MEAN_SETTINGS)} settings",
        method="enumeration",
        answer="implementation",
        derived=lambda: lambda lam_, H, W: float(dl.mean_weight(lam_, H, W)),
    )(_mean_weight_check)
    for name, (a, H, W, _) in ADJUSTED.items():
        claim(
            f"losses.cutmix.adjusted_mean.{name}",
            f"E[weight] over λ ~ Beta({a:g}, {a:g}) and the centre on {H}×{W}: the exact integral "
            "of E[weight | λ]",
            method="monte-carlo",
            answer="number",
            derived=lambda a=a, H=H, W=W: float(dl.adjusted_mean(a, H, W)),
            near_misses={
                sp.Rational(1, 2): "the unadjusted weight: E[λ] = 1/2, but clipping shrinks the box"
            },
        )(_adjusted_check(name))


_declare()

__all__ = ["ALPHAS", "ADJUSTED", "MEAN_SETTINGS", "candidate_cdf", "dkw_epsilon", "get", "Fraction"]
