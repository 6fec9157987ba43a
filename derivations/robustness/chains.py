"""The derivations of the robustness topic, as checked chains of equalities.

Dual exponents are written ``q = 1 + r`` and ``p = q/(q − 1) = (1 + r)/r`` with ``r > 0``, so
that ``q − 1 = r`` and ``(q − 1)p = q`` are identities SymPy can use without being told that
``q > 1``. Magnitudes ``|g_i|`` are positive symbols ``a_i`` where the sign has been dealt with
in a reason (``g_i δ_i = |g_i||δ_i|`` when ``δ_i`` has the sign of ``g_i``); chains about signs
use real ``g_i``.

>>> young_equality().check().ok
True
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derivations.core import Derivation, Step
from derivations.functions import GaussianMean, Phi
from derivations.printing import Notation
from derivations.render import Reason

r = sp.Symbol("r", positive=True)  # q − 1
q = 1 + r
p = q / r
eps = sp.Symbol("epsilon", positive=True)
rho = sp.Symbol("rho", positive=True)
#: The symbols a page shows: q and p themselves.
q_, p_ = sp.symbols("q p", positive=True)
DISPLAY = {r: q_ - 1}
#: r ranges so that q runs from 1.2 to 7 (p from 7/6 to 6): no exponent near 1 or 2 only.
R_RANGE = (0.2, 6)

a = sp.symbols("a_1:4", positive=True)  # |g_i|
u = sp.symbols("u_1:4", positive=True)  # |δ_i|
g = sp.symbols("g_1:4", real=True)


def _norm(values, power):
    return sum(v**power for v in values) ** (1 / power)


@lru_cache
def young_stationary() -> Derivation:
    """Young's gap ``a^p/p + b^q/q − ab`` is stationary in ``a`` at ``a = b^{q−1}``.

    >>> young_stationary().result
    0
    """
    A, b = sp.symbols("a b", positive=True)
    gap = A**p / p + b**q / q - A * b
    steps = [
        Step(sp.Subs(sp.Derivative(gap, A), A, b**r), "Young's gap, differentiated in a"),
        Step((b**r) ** (p - 1) - b, Reason("{}", (sp.Eq(sp.Symbol("a"), b ** (q_ - 1)),))),
        Step(b ** (r * (p - 1)) - b, "powers of a positive base"),
        Step(sp.Integer(0), Reason("{}", (sp.Eq((q_ - 1) * (p_ - 1), 1),))),
    ]
    return Derivation(
        "Young's gap is stationary at a = b^(q-1)",
        [r, b],
        steps,
        domain={r: R_RANGE},
        display=DISPLAY,
        notes=(
            "the gap is convex in a (second derivative (p - 1) a^(p-2) > 0 for a > 0), so this "
            "stationary point is its minimum",
        ),
    )


@lru_cache
def young_equality() -> Derivation:
    """Young's gap vanishes at ``a = b^{q−1}``: ``ab ≤ a^p/p + b^q/q``, with equality iff
    ``a^p = b^q``.

    >>> young_equality().result
    0
    """
    A, b = sp.symbols("a b", positive=True)
    steps = [
        Step((b**r) ** p / p + b**q / q - b**r * b, "Young's gap at a = b^(q-1)"),
        Step(b**q / p + b**q / q - b**q, Reason("{}", (sp.Eq((q_ - 1) * p_, q_),))),
        Step(b**q * (1 / p + 1 / q - 1), "factor"),
        Step(sp.Integer(0), Reason("{}", (sp.Eq(1 / p_ + 1 / q_, 1),))),
    ]
    return Derivation(
        "Young's inequality: the minimum of the gap is 0",
        [r, b],
        steps,
        domain={r: R_RANGE},
        lhs=A**p_ / p_ + b**q_ / q_ - A * b,
        display=DISPLAY,
        notes=(
            "with the stationary point of young_stationary the gap is >= 0 for all a, b >= 0, "
            "and 0 exactly where a^p = b^q",
        ),
    )


@lru_cache
def holder() -> Derivation:
    """Hölder from Young: the normalized terms ``a_i = |δ_i|/‖δ‖_p``, ``b_i = |g_i|/‖g‖_q``
    sum to 1 under Young's bound (three coordinates).

    >>> holder().result
    1
    """
    U, V = _norm(u, p), _norm(a, q)
    steps = [
        Step(
            sum((ui / U) ** p / p + (ai / V) ** q / q for ui, ai in zip(u, a, strict=True)),
            "a_i, b_i",
        ),
        Step(
            sum(ui**p for ui in u) / (p * U**p) + sum(ai**q for ai in a) / (q * V**q),
            "collect",
        ),
        Step(1 / p + 1 / q, "‖δ‖_p^p = Σ|δ_i|^p, ‖g‖_q^q = Σ|g_i|^q"),
        Step(sp.Integer(1), Reason("{}", (sp.Eq(1 / p_ + 1 / q_, 1),))),
    ]
    return Derivation(
        "Hölder's inequality from Young's, three coordinates",
        [r, *u, *a],
        steps,
        domain={r: R_RANGE},
        display=DISPLAY,
        notes=(
            "term by term Young gives sum_i a_i b_i <= this sum = 1, that is "
            "|gᵀ delta| <= sum_i |g_i||delta_i| <= ||g||_q ||delta||_p",
            "equality needs g_i delta_i >= 0 for every i (signs agree) and a_i^p = b_i^q "
            "(Young's equality case): |delta_i| = eps |g_i|^(q-1)/||g||_q^(q-1) on the sphere "
            "||delta||_p = eps",
        ),
    )


def _maximizer_magnitudes(values, scale=eps):
    N = _norm(values, q)
    return [scale * v**r / N**r for v in values]


@lru_cache
def maximizer_value() -> Derivation:
    """``gᵀδ* = ε‖g‖_q`` at ``δ*_i = ε sign(g_i)|g_i|^{q−1}/‖g‖_q^{q−1}``.

    >>> maximizer_value().check().ok
    True
    """
    S = sum(ai**q for ai in a)
    m = _maximizer_magnitudes(a)
    steps = [
        Step(sum(ai * mi for ai, mi in zip(a, m, strict=True)), "δ*_i has the sign of g_i"),
        Step(eps * S / _norm(a, q) ** r, "collect"),
        Step(eps * S ** (1 - r / q), "powers of a positive base"),
        Step(eps * _norm(a, q), "1 − (q − 1)/q = 1/q"),
    ]
    return Derivation(
        "the maximizer attains eps ||g||_q",
        [r, eps, *a],
        steps,
        domain={r: R_RANGE},
        lhs=Notation("gᵀ delta^*", r"g^{\top} \delta^{*}"),
        display=DISPLAY,
    )


@lru_cache
def maximizer_norm() -> Derivation:
    """``‖δ*‖_p^p = ε^p``: the maximizer lies on the sphere, so it is feasible.

    >>> maximizer_norm().result
    epsilon**((r + 1)/r)
    """
    S = sum(ai**q for ai in a)
    m = _maximizer_magnitudes(a)
    steps = [
        Step(sum(mi**p for mi in m), "definition of the p-norm"),
        Step(eps**p * sum(ai**q / S for ai in a), Reason("{}", (sp.Eq((q_ - 1) * p_, q_),))),
        Step(eps**p, "the fractions sum to 1"),
    ]
    return Derivation(
        "the maximizer has p-norm eps",
        [r, eps, *a],
        steps,
        domain={r: R_RANGE},
        lhs=Notation("||delta^*||_p^p", r"\lVert \delta^{*}\rVert_p^p"),
        display=DISPLAY,
    )


@lru_cache
def fgsm_value() -> Derivation:
    """FGSM, ``δ = ε sign g``, attains Hölder's bound ``ε‖g‖₁`` over the L∞ ball (q = 1).

    >>> fgsm_value().result
    epsilon*(Abs(g_1) + Abs(g_2) + Abs(g_3))
    """
    steps = [
        Step(sum(gi * eps * sp.sign(gi) for gi in g), "δ = ε sign g"),
        Step(eps * sum(gi * sp.sign(gi) for gi in g), "factor ε"),
        Step(
            eps * sum(sp.Abs(gi) for gi in g),
            Reason("{}", (sp.Eq(g[0] * sp.sign(g[0]), sp.Abs(g[0])),)),
        ),
    ]
    return Derivation(
        "FGSM attains the L-infinity bound",
        [eps, *g],
        steps,
        lhs=Notation("gᵀ delta", r"g^{\top} \delta"),
        notes=(
            "|eps sign g_i| <= eps: feasible; it attains eps ||g||_1, Hölder's bound for p = inf, "
            "so it is a maximizer",
            "where g_i = 0 any delta_i in [-eps, eps] does as well: sign(0) = 0 picks one",
        ),
    )


@lru_cache
def fgm_direction() -> Derivation:
    """At ``p = q = 2`` the maximizer is FGM's ``ε g/‖g‖₂`` (entry by entry).

    >>> fgm_direction().check().ok
    True
    """
    N2 = sp.sqrt(sum(gi**2 for gi in g))
    general = sp.Matrix([eps * sp.sign(gi) * sp.Abs(gi) / N2 for gi in g])
    steps = [
        Step(general, Reason("{}", (sp.Eq(q_, 2),))),
        Step(sp.Matrix([eps * gi / N2 for gi in g]), "sign(g_i)|g_i| = g_i"),
    ]
    return Derivation(
        "FGM: the maximizer at p = 2", [eps, *g], steps, lhs=Notation("delta^*", r"\delta^{*}")
    )


@lru_cache
def project_l2() -> Derivation:
    """KKT for ``min ½‖z − δ‖²`` subject to ``½(‖z‖² − ε²) ≤ 0`` at ``z* = εδ/‖δ‖``,
    ``λ* = ‖δ‖/ε − 1``: the Lagrangian's gradient vanishes.

    >>> project_l2().result
    Matrix([
    [0],
    [0],
    [0]])
    """
    n = sp.sqrt(sum(gi**2 for gi in g))
    d = sp.Matrix(g)
    z = eps * d / n
    lam = n / eps - 1
    steps = [
        Step(z - d + lam * z, "∇_z of ½‖z − δ‖² + λ(‖z‖² − ε²)/2"),
        Step(eps * d / n - d + d - eps * d / n, "expand λ* z*"),
        Step(sp.zeros(3, 1), "cancel"),
    ]
    return Derivation(
        "projection onto the L2 ball",
        [eps, *g],
        steps,
        domain={eps: (0.05, 0.5)},
        lhs=Notation("grad L(z^*, lambda^*)", r"\nabla_z \mathcal{L}(z^{*}, \lambda^{*})"),
        notes=(
            "lambda* = ||delta||/eps - 1 >= 0 exactly when ||delta|| >= eps, and then ||z*|| = "
            "eps (complementary slackness): the convex problem's KKT point, so z* is the "
            "projection; inside the ball z* = delta with lambda* = 0",
        ),
    )


@lru_cache
def project_linf() -> Derivation:
    """Coordinate by coordinate: ``c = clip(δ, −ε, ε)`` with ``λ = max(|δ| − ε, 0)`` meets
    the stationarity condition of ``min ½(c − δ)²`` subject to ``|c| ≤ ε``.

    >>> project_linf().check().ok
    True
    """
    d = sp.Symbol("delta", real=True)
    # c = clip(δ, −ε, ε), its multiplier λ = max(|δ| − ε, 0) and sign(c), case by case
    c = sp.Piecewise((-eps, d < -eps), (d, d <= eps), (eps, True))
    lam = sp.Piecewise((-d - eps, d < -eps), (0, d <= eps), (d - eps, True))
    sign_c = sp.Piecewise((-1, d < -eps), (sp.sign(d), d <= eps), (1, True))
    steps = [
        Step((c - d) + lam * sign_c, "∂/∂c of ½(c − δ)² + λ(|c| − ε)"),
        Step(sp.Integer(0), "cases δ < −ε, |δ| ≤ ε, δ > ε"),
    ]
    return Derivation(
        "projection onto the L-infinity ball: clip each coordinate",
        [eps, d],
        steps,
        domain={eps: (0.05, 1.5), d: (-3, 3)},
        lhs=Notation("grad L(c, lambda)", r"\frac{\partial}{\partial c} \mathcal{L}(c, \lambda)"),
        notes=(
            "the ball is a product of intervals and the distance a sum over coordinates, so "
            "the projection is separate per coordinate; lambda >= 0 and lambda(|c| - eps) = 0",
            "rescaling eps delta/||delta||_inf is feasible but not the nearest point: it also "
            "shrinks the coordinates that were inside",
        ),
    )


@lru_cache
def pixel_box() -> Derivation:
    """The ε-ball around a valid pixel ``x ∈ [0, 1]`` cut with the box ``[0, 1]`` is the
    interval ``[max(x − ε, 0), min(x + ε, 1)]``: clipping to one then the other is clipping
    to the intersection, the exact projection.

    >>> pixel_box().check().ok
    True
    """
    x, y = sp.symbols("x y", real=True)
    into_ball = sp.Min(sp.Max(y, x - eps), x + eps)
    steps = [
        Step(sp.Min(sp.Max(into_ball, 0), 1), "clip to the ball, then to [0, 1]"),
        Step(sp.Min(sp.Max(y, sp.Max(x - eps, 0)), sp.Min(x + eps, 1)), "intersect the intervals"),
    ]
    return Derivation(
        "the valid-pixel box",
        [eps, x, y],
        steps,
        domain={eps: (0.01, 0.5), x: (0, 1), y: (-1, 2)},
        points=40,
    )


@lru_cache
def mim_to_bim() -> Derivation:
    """MIM's step ``sign(μ m + ∇/‖∇‖₁)`` at ``μ = 0`` is BIM's ``sign ∇`` (Dong et al. 2018).

    >>> mim_to_bim().result
    Matrix([
    [sign(g_1)],
    [sign(g_2)],
    [sign(g_3)]])
    """
    mu, m = sp.Symbol("mu", nonnegative=True), sp.symbols("m_1:4", real=True)
    l1 = sum(sp.Abs(gi) for gi in g)
    steps = [
        Step(
            sp.Matrix([sp.sign(0 * mi + gi / l1) for mi, gi in zip(m, g, strict=True)]),
            Reason("{}", (sp.Eq(mu, 0),)),
        ),
        Step(sp.Matrix([sp.sign(gi / l1) for gi in g]), "the momentum term vanishes"),
        Step(sp.Matrix([sp.sign(gi) for gi in g]), Reason("{} > 0", (sp.Symbol("||g||_1"),))),
    ]
    return Derivation(
        "MIM with mu = 0 is BIM",
        [*g],
        steps,
        lhs=Notation("sign(m_t+1)", r"\operatorname{sign}(m_{t+1})"),
    )


def _quadratic_loss():
    w = sp.Matrix(sp.symbols("w_1 w_2", real=True))
    A = sp.Matrix([[3, 1], [1, 2]])
    b = sp.Matrix([1, -2])
    return w, A, b


@lru_cache
def sam_dropped_term() -> Derivation:
    """For ``L = ½wᵀAw + bᵀw`` (``A`` fixed, 2 × 2): ``(∂ε̂/∂w)ᵀ ∇L(w) = 0``, so the term the
    SAM gradient drops, ``(∂ε̂/∂w)ᵀ ∇L(w + ε̂)``, is ``O(ρ²)``, not ``O(ρ)``.

    >>> sam_dropped_term().result
    Matrix([
    [0],
    [0]])
    """
    w, A, b = _quadratic_loss()
    grad = A * w + b
    n = sp.sqrt((grad.T * grad)[0])
    e_hat = rho * grad / n
    J = e_hat.jacobian(w)
    steps = [
        Step(J.T * grad, "∂ε̂/∂w for ε̂ = ρ∇L/‖∇L‖₂"),
        Step(
            rho * A * (sp.eye(2) - grad * grad.T / n**2) * grad / n,
            "∂ε̂/∂w = ρ(I − ĝĝᵀ)A/‖g‖, A symmetric",
        ),
        Step(sp.zeros(2, 1), "(I − ĝĝᵀ)g = 0"),
    ]
    return Derivation(
        "the term SAM drops vanishes to first order",
        [rho, *w],
        steps,
        lhs=Notation(
            "(d eps_hat/dw)ᵀ grad L(w)",
            r"\left(\frac{\partial \hat\epsilon}{\partial w}\right)^{\top} \nabla L(w)",
        ),
        notes=(
            "grad L(w + eps_hat) = grad L(w) + O(rho), and d eps_hat/dw = O(rho): the dropped "
            "term is O(rho) times O(rho)",
        ),
    )


@lru_cache
def sam_gradient() -> Derivation:
    """The chain rule for ``∇_w L(w + ε̂(w))``: SAM's gradient ``∇L(w + ε̂)`` plus the term it
    drops (same quadratic loss as :func:`sam_dropped_term`).

    >>> sam_gradient().check().ok
    True
    """
    w, A, b = _quadratic_loss()
    grad = A * w + b
    e_hat = rho * grad / sp.sqrt((grad.T * grad)[0])
    v = w + e_hat
    loss_at = ((v.T * A * v) / 2 + b.T * v)[0]
    grad_at = A * v + b
    J = e_hat.jacobian(w)
    steps = [
        Step(sp.Matrix([sp.Derivative(loss_at, wi) for wi in w]), "L(w + ε̂(w)), differentiated"),
        Step((sp.eye(2) + J).T * grad_at, "chain rule"),
        Step(grad_at + J.T * grad_at, "SAM keeps ∇L(w + ε̂); drops the rest"),
    ]
    return Derivation(
        "the SAM gradient and the term it drops",
        [rho, *w],
        steps,
        domain={rho: (0.01, 0.5)},
        points=6,
        lhs=Notation("grad_w L(w + eps_hat(w))", r"\nabla_w L(w + \hat\epsilon(w))"),
    )


@lru_cache
def linear_margin(label: int = 1) -> Derivation:
    """``min_{‖δ‖_p ≤ ε} y f(x + δ) = y f(x) − ε‖w‖_q`` for ``f = wᵀx + b``, at the maximizer
    ``δ = −y ε u(w)`` (three coordinates, ``w = (a_1, −a_2, a_3)``).

    >>> linear_margin(-1).check().ok
    True
    """
    if label not in (1, -1):
        raise ValueError(f"label: 1 or -1 is required, got {label!r}")
    y = sp.Integer(label)
    signs = (1, -1, 1)
    w = [s * ai for s, ai in zip(signs, a, strict=True)]
    x = sp.symbols("x_1:4", real=True)
    bias = sp.Symbol("b", real=True)
    unit = [s * m for s, m in zip(signs, _maximizer_magnitudes(a, 1), strict=True)]
    f_x = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + bias
    steps = [
        Step(
            y
            * (sum(wi * (xi - y * eps * ui) for wi, xi, ui in zip(w, x, unit, strict=True)) + bias),
            Reason("{}", (sp.Eq(sp.Symbol("delta"), -sp.Symbol("y") * eps * sp.Symbol("u(w)")),)),
        ),
        Step(y * f_x - y**2 * eps * sum(wi * ui for wi, ui in zip(w, unit, strict=True)), "expand"),
        Step(
            y * f_x - eps * sum(ai**q for ai in a) / _norm(a, q) ** r,
            Reason("{}, signs agree", (sp.Eq(sp.Symbol("y") ** 2, 1),)),
        ),
        Step(y * f_x - eps * _norm(a, q), "as in the maximizer's value"),
    ]
    return Derivation(
        f"worst-case margin of a linear classifier, y = {label}",
        [r, eps, *a, *x, bias],
        steps,
        domain={r: R_RANGE},
        lhs=Notation(
            "min y f(x + delta)", r"\min_{\lVert\delta\rVert_p \le \varepsilon} y f(x + \delta)"
        ),
        display=DISPLAY,
    )


@lru_cache
def margin_law() -> Derivation:
    """The mean and variance of ``y wᵀx`` for ``x = yμ + s z``, ``z ~ N(0, I)`` (two
    coordinates; the class ``y = 1``, the other is its mirror image).

    >>> margin_law().result
    Matrix([
    [     mu_1*w_1 + mu_2*w_2],
    [s**2*(w_1**2 + w_2**2)]])
    """
    w = sp.symbols("w_1 w_2", real=True)
    mus = sp.symbols("mu_1 mu_2", real=True)
    s = sp.Symbol("s", positive=True)
    z = sp.symbols("z_1 z_2", real=True)
    laws = sp.Tuple(*[(zi, 1) for zi in z])
    margin = sum(wi * (mi + s * zi) for wi, mi, zi in zip(w, mus, z, strict=True))
    mean = sum(wi * mi for wi, mi in zip(w, mus, strict=True))
    steps = [
        Step(
            sp.Matrix([GaussianMean(margin, laws), GaussianMean((margin - mean) ** 2, laws)]),
            "x = μ + s z",
        ),
        Step(sp.Matrix([mean, s**2 * sum(wi**2 for wi in w)]), "E z = 0, E z zᵀ = I"),
    ]
    return Derivation(
        "the law of the clean margin",
        [*w, *mus, s],
        steps,
        lhs=Notation(
            "(E, Var) of y wᵀ x", r"\left(\mathbb{E}, \operatorname{Var}\right)(y w^{\top} x)"
        ),
        notes=("y wᵀ x is Gaussian (a linear function of z): N(wᵀ mu, s^2 ||w||_2^2)",),
    )


@lru_cache
def robust_accuracy() -> Derivation:
    """``P(wᵀμ + s‖w‖₂ Z − ε‖w‖_q > 0) = Φ((wᵀμ − ε‖w‖_q)/(s‖w‖₂))``.

    >>> robust_accuracy().check().ok
    True
    """
    m = sp.Symbol("m", real=True)  # wᵀμ
    nq, n2, s = sp.symbols("n_q n_2 s", positive=True)  # ‖w‖_q, ‖w‖₂, s
    steps = [
        Step(1 - Phi((eps * nq - m) / (s * n2)), "P(Z > t) = 1 − Φ(t)"),
        Step(Phi((m - eps * nq) / (s * n2)), "Φ(−t) = 1 − Φ(t)"),
    ]
    return Derivation(
        "robust accuracy of a linear classifier",
        [m, nq, n2, s, eps],
        steps,
        lhs=Notation(
            "P(y f(x) - eps ||w||_q > 0)", r"P(y f(x) - \varepsilon \lVert w\rVert_q > 0)"
        ),
        notes=(
            "m = wᵀ mu, n_q = ||w||_q, n_2 = ||w||_2: the margin y wᵀ x - eps n_q is "
            "N(m - eps n_q, s^2 n_2^2) by margin_law",
        ),
    )


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "robustness.young_stationary": young_stationary,
    "robustness.young_equality": young_equality,
    "robustness.holder": holder,
    "robustness.maximizer_value": maximizer_value,
    "robustness.maximizer_norm": maximizer_norm,
    "robustness.fgsm_value": fgsm_value,
    "robustness.fgm_direction": fgm_direction,
    "robustness.project_l2": project_l2,
    "robustness.project_linf": project_linf,
    "robustness.pixel_box": pixel_box,
    "robustness.mim_to_bim": mim_to_bim,
    "robustness.sam_dropped_term": sam_dropped_term,
    "robustness.sam_gradient": sam_gradient,
    "robustness.linear_margin.positive": lambda: linear_margin(1),
    "robustness.linear_margin.negative": lambda: linear_margin(-1),
    "robustness.margin_law": margin_law,
    "robustness.robust_accuracy": robust_accuracy,
}
