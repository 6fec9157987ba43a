"""The Bayes risk of ridge regression in the teacher–student setup, and its optimal ``μ``.

``X`` (``N × d``) is fixed, ``H = XᵀX`` has eigenvalues ``λ_i``, ``H_μ = H + μI``; the teacher
draws ``w ~ N(0, (σ_w²/d) I)`` and noise ``ε ~ N(0, σ_ε² I)``, the student sees
``y = Xw + ε`` and answers ``w_μ = H_μ⁻¹Xᵀy``. The Bayes risk is ``R̄ = E‖w_μ − w‖²``.

Two chains prove it. :func:`concrete_risk` carries out every matrix step for a concrete
``d = 2`` with symbolic data (``N = 3`` or ``N = 1``): the error decomposition, the vanishing
cross term, ``𝔼[zᵀAz] = s² tr A`` and the trace identity, down to the eigenvalue sum.
:func:`per_direction` is the argument for any ``d``: in the eigenbasis of ``H`` the problem
splits into ``d`` independent one-dimensional ones. :func:`optimum` differentiates the
result and lets SymPy solve for ``μ*``. Expectations are :class:`GaussianMean` nodes that
SymPy evaluates exactly, so the steps that take a mean are checked like any other.

>>> bayes_risk([4.0, 1.0], 2.0, 1.0, 0.5)  # (0.5·4 + 0.5·4)/36 + (0.5·4 + 0.5)/9
0.3888...
>>> optimal_mu(10, 2.0, 0.3)  # d σ_ε²/σ_w²
1.5
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from derivations import arguments as arg
from derivations.core import Derivation, Step
from derivations.functions import GaussianMean  # there, not here: see derivations.functions
from derivations.printing import Equation
from derivations.render import Reason

lam = sp.Symbol("lambda", nonnegative=True)
mu = sp.Symbol("mu", positive=True)
sigma_w2 = sp.Symbol("sigma_w^2", positive=True)
sigma_eps2 = sp.Symbol("sigma_varepsilon^2", positive=True)
d = sp.Symbol("d", positive=True, integer=True)

#: Eigenvalues above ``-EIGEN_RTOL · max|λ|`` but below zero are round-off and count as 0.
#: A symmetric eigensolver returns the eigenvalues of ``H + E`` with ``‖E‖ ≲ c·d·u·‖H‖``
#: (``u = 2⁻⁵³``, ``c`` a small constant), so an exact zero comes back as at most about
#: ``d·u·λ_max`` in size; 1e-10 is far above that for any ``d`` below 10⁵ and far below any
#: eigenvalue a real design has.
EIGEN_RTOL = 1e-10


def _mean(expr):
    """``𝔼[expr]`` as written in a reason or on the left of a chain (never evaluated)."""
    return GaussianMean(expr, sp.Tuple())


def _norm2(v: sp.Matrix) -> sp.Expr:
    return (v.T * v)[0]


def _design(n_rows: int):
    """A concrete ``X`` with ``d = 2``, its eigenvalues, and the symbols it uses.

    ``N = 3``: ``X = P diag(s1, s2) Qᵀ`` (a singular value decomposition) with ``Q`` the
    rotation with cosine 3/5 and ``P`` fixed orthonormal columns, so ``H = XᵀX`` is a full
    ``2 × 2`` (not diagonal) with eigenvalues ``s1², s2²``; a symbolic angle would make
    SymPy's proof minutes long and adds nothing that the general-``d`` argument lacks. ``N = 1``:
    ``X = (x1, x2)``, rank one, eigenvalues ``x1² + x2²`` and ``0``.
    """
    n_rows = arg.choice(n_rows, "n_rows", (1, 3))
    if n_rows == 3:
        s1, s2 = sp.symbols("s_1 s_2", positive=True)
        rotation = sp.Matrix([[3, -4], [4, 3]]) / 5
        columns = sp.Matrix([[1, 2], [2, 1], [2, -2]]) / 3
        return columns * sp.diag(s1, s2) * rotation.T, [s1**2, s2**2], [s1, s2]
    x1, x2 = sp.symbols("x_1 x_2", real=True)
    return sp.Matrix([[x1, x2]]), [x1**2 + x2**2, sp.Integer(0)], [x1, x2]


#: The general statement of each step of :func:`concrete_risk` (right-hand sides of
#: ``R̄ = …``, in matrix notation, for any ``N`` and ``d``).
MATRIX_FORM = (
    r"\mathbb{E}\,\lVert H_\mu^{-1}X^\top(Xw + \varepsilon) - w\rVert^2",
    r"\mathbb{E}\,\lVert (H_\mu^{-1}H - I)w + H_\mu^{-1}X^\top\varepsilon\rVert^2",
    r"\mathbb{E}\,\lVert -\mu H_\mu^{-1}w + H_\mu^{-1}X^\top\varepsilon\rVert^2",
    r"\mu^2\,\mathbb{E}[w^\top H_\mu^{-2}w] - 2\mu\,\mathbb{E}[w^\top H_\mu^{-2}X^\top\varepsilon]"
    r" + \mathbb{E}[\varepsilon^\top X H_\mu^{-2}X^\top\varepsilon]",
    r"\mu^2\,\mathbb{E}[w^\top H_\mu^{-2}w] + \mathbb{E}[\varepsilon^\top X H_\mu^{-2}X^\top\varepsilon]",
    r"\mu^2\,\tfrac{\sigma_w^2}{d}\operatorname{tr}(H_\mu^{-2})"
    r" + \sigma_\varepsilon^2\operatorname{tr}(X H_\mu^{-2}X^\top)",
    r"\mu^2\,\tfrac{\sigma_w^2}{d}\operatorname{tr}(H_\mu^{-2})"
    r" + \sigma_\varepsilon^2\operatorname{tr}(H_\mu^{-2}H)",
    r"\sum_{i=1}^d \frac{\tfrac{\sigma_w^2}{d}\mu^2 + \sigma_\varepsilon^2\lambda_i}{(\lambda_i + \mu)^2}",
)


@lru_cache
def concrete_risk(n_rows: int = 3) -> Derivation:
    """Every matrix step of the Bayes risk for ``d = 2`` and ``N = n_rows`` (3 or 1).

    Step ``k`` states, for this concrete ``X``, what ``MATRIX_FORM[k]`` states in general.

    >>> dv = concrete_risk(1)
    >>> len(dv.steps) == len(MATRIX_FORM), dv.check().ok
    (True, True)
    """
    X, eigenvalues, data = _design(n_rows)
    dim = 2
    w = sp.Matrix(sp.symbols("w_1 w_2", real=True))
    eps = sp.Matrix(sp.symbols(f"varepsilon_1:{n_rows + 1}", real=True))
    prior = sigma_w2 / dim
    laws = sp.Tuple(*[(z, prior) for z in w], *[(z, sigma_eps2) for z in eps])

    def mean(expr):
        return GaussianMean(expr, laws)

    H = X.T * X
    H_mu_inv = (H + mu * sp.eye(dim)).inv().applyfunc(sp.factor)
    H_mu_inv2 = H_mu_inv * H_mu_inv
    w_mu = H_mu_inv * X.T * (X * w + eps)
    noise_part = H_mu_inv * X.T * eps
    # The general matrices the reasons quote (any N and d).
    N = sp.Symbol("N", positive=True, integer=True)
    X_, H_, H_mu_ = (
        sp.MatrixSymbol("X", N, d),
        sp.MatrixSymbol("H", d, d),
        sp.MatrixSymbol("H_mu", d, d),
    )
    w_, y_, eps_ = (
        sp.MatrixSymbol("w", d, 1),
        sp.MatrixSymbol("y", N, 1),
        sp.MatrixSymbol("varepsilon", N, 1),
    )
    A_, s_ = sp.MatrixSymbol("A", N, N), sp.Symbol("s")
    z_ = sp.MatrixSymbol("z", N, 1)
    steps = [
        Step(
            mean(_norm2(w_mu - w)),
            Reason("definition of {}, {}", (sp.Symbol("w_mu"), Equation(y_, X_ * w_ + eps_))),
        ),
        Step(
            mean(_norm2((H_mu_inv * H - sp.eye(dim)) * w + noise_part)),
            Reason("{}", (Equation(X_.T * y_, H_ * w_ + X_.T * eps_),)),
        ),
        Step(
            mean(_norm2(-mu * H_mu_inv * w + noise_part)),
            Reason("{}", (Equation(H_mu_.I * (H_ - H_mu_), -mu * H_mu_.I),)),
        ),
        Step(
            mu**2 * mean((w.T * H_mu_inv2 * w)[0])
            - 2 * mu * mean((w.T * H_mu_inv2 * X.T * eps)[0])
            + mean((eps.T * X * H_mu_inv2 * X.T * eps)[0]),
            Reason("expand; {} symmetric", (H_mu_,)),
        ),
        Step(
            mu**2 * mean((w.T * H_mu_inv2 * w)[0]) + mean((eps.T * X * H_mu_inv2 * X.T * eps)[0]),
            "cross term: mean 0",
        ),
        Step(
            mu**2 * prior * H_mu_inv2.trace() + sigma_eps2 * (X * H_mu_inv2 * X.T).trace(),
            Reason(
                "{}",
                (Equation(GaussianMean(z_.T * A_ * z_, sp.Tuple()), s_**2 * sp.Trace(A_)),),
            ),
        ),
        Step(
            mu**2 * prior * H_mu_inv2.trace() + sigma_eps2 * (H_mu_inv2 * H).trace(),
            "cyclic trace",
        ),
        Step(
            sum((prior * mu**2 + sigma_eps2 * e) / (e + mu) ** 2 for e in eigenvalues),
            Reason("eigenvalues {} of {}", (sp.Symbol("lambda_i"), H_)),
        ),
    ]
    shape = "N > d" if n_rows > dim else "N < d"
    return Derivation(
        f"Bayes risk of ridge, d = 2, N = {n_rows} ({shape})",
        [*data, mu, sigma_w2, sigma_eps2],
        steps,
        domain={mu: (0.05, 5)},
        points=6,
        notes=(f"eigenvalues of H: {', '.join(map(str, eigenvalues))}",),
    )


@lru_cache
def quadratic_form_mean(n: int = 3) -> Derivation:
    """``𝔼[εᵀAε] = σ_ε² tr A`` for a symmetric ``n × n`` matrix ``A`` (here ``n = 3``).

    >>> quadratic_form_mean().check().ok
    True
    """
    n = arg.count(n, "n", maximum=6)  # SymPy's proof grows like n⁴ terms
    eps = sp.symbols(f"varepsilon_1:{n + 1}", real=True)
    a = {
        (j, k): sp.Symbol(f"a_{min(j, k) + 1}{max(j, k) + 1}", real=True)
        for j in range(n)
        for k in range(n)
    }
    A = sp.Matrix(n, n, lambda j, k: a[(j, k)])
    laws = sp.Tuple(*[(z, sigma_eps2) for z in eps])
    z = sp.Matrix(eps)
    pairs = [(j, k) for j in range(n) for k in range(n)]
    j, k = sp.symbols("j k", integer=True)
    eps_j, eps_k = sp.symbols("varepsilon_j varepsilon_k", real=True)
    steps = [
        Step(GaussianMean((z.T * A * z)[0], laws), "definition"),
        Step(
            sum(a[p] * GaussianMean(eps[p[0]] * eps[p[1]], laws) for p in pairs),
            "write out; linearity",
        ),
        Step(
            sum(a[(j, j)] * GaussianMean(eps[j] ** 2, laws) for j in range(n)),
            Reason("{}, {}", (Equation(_mean(eps_j * eps_k), 0), sp.Ne(j, k))),
        ),
        Step(sigma_eps2 * A.trace(), Reason("{}", (Equation(_mean(eps_j**2), sigma_eps2),))),
    ]
    return Derivation(
        f"mean of a quadratic form, n = {n}",
        [*sorted(set(a.values()), key=str), sigma_eps2],
        steps,
        points=6,
    )


@lru_cache
def per_direction() -> Derivation:
    """The argument for any ``d``: the risk along one eigenvector of ``H``.

    Write ``H = QΛQᵀ`` (``Q`` orthogonal). The error in eigen-coordinates, ``u = Qᵀ(w_μ − w)``,
    has ``u_i = (−μ v_i + η_i)/(λ_i + μ)`` with ``v = Qᵀw ~ N(0, (σ_w²/d) I)`` (an isotropic
    Gaussian is rotation invariant) and ``η = QᵀXᵀε`` of covariance ``σ_ε² QᵀHQ = σ_ε² Λ``,
    independent of ``v``. ``‖w_μ − w‖² = ‖u‖²``, so ``R̄`` is the sum of the ``𝔼[u_i²]``.

    >>> per_direction().result
    (lambda*sigma_varepsilon^2 + mu**2*sigma_w^2/d)/(lambda + mu)**2
    """
    v, eta = sp.symbols("v eta", real=True)
    laws = sp.Tuple((v, sigma_w2 / d), (eta, sigma_eps2 * lam))
    u = (-mu * v + eta) / (lam + mu)
    u_i, v_i, eta_i, lam_i = sp.symbols("u_i v_i eta_i lambda_i", real=True)
    steps = [
        Step(
            GaussianMean(u**2, laws),
            Reason("{}", (Equation(u_i, (-mu * v_i + eta_i) / (lam_i + mu)),)),
        ),
        Step(
            (
                mu**2 * GaussianMean(v**2, laws)
                - 2 * mu * GaussianMean(v * eta, laws)
                + GaussianMean(eta**2, laws)
            )
            / (lam + mu) ** 2,
            "expand",
        ),
        Step(
            (mu**2 * GaussianMean(v**2, laws) + GaussianMean(eta**2, laws)) / (lam + mu) ** 2,
            "independent, mean 0",
        ),
        Step(
            (sigma_w2 / d * mu**2 + sigma_eps2 * lam) / (lam + mu) ** 2,
            Reason(
                "{}, {}",
                (
                    Equation(_mean(v_i**2), sigma_w2 / d),
                    Equation(_mean(eta_i**2), sigma_eps2 * lam_i),
                ),
            ),
        ),
    ]
    return Derivation(
        "Bayes risk along one eigenvector of H",
        [lam, mu, sigma_w2, sigma_eps2, d],
        steps,
        domain={d: (1, 50), lam: (0, 20)},
        lhs=_mean(u_i**2),
        notes=("summing over i = 1..d gives the Bayes risk",),
    )


#: The risk per eigen-direction; :func:`bayes_risk` sums it over the spectrum.
RISK_TERM = per_direction().result


@lru_cache
def optimum() -> tuple[Derivation, sp.Expr]:
    """The derivative of one direction's risk in ``μ``, and ``μ*`` solved by SymPy.

    The derivative is ``2λ σ_w²/d · (μ − μ*)/(λ + μ)³``: one root ``μ*`` shared by every
    direction with ``λ > 0``, negative below it and positive above, so ``μ*`` minimizes the
    sum whenever ``H ≠ 0`` (directions with ``λ = 0`` do not depend on ``μ``).

    >>> dv, mu_star = optimum()
    >>> mu_star
    d*sigma_varepsilon^2/sigma_w^2
    """
    slope = sp.factor(sp.diff(RISK_TERM, mu))
    roots = sp.solve(sp.numer(sp.together(slope)), mu)
    if len(roots) != 1:
        raise ArithmeticError(f"expected one stationary point, SymPy found {roots}")
    mu_star = roots[0]
    steps = [
        Step(sp.Derivative(RISK_TERM, mu), "the risk of one direction"),
        Step(slope, "quotient rule; factor"),
        Step(
            2 * lam * sigma_w2 / d * (mu - mu_star) / (lam + mu) ** 3,
            Reason("{}: SymPy's root", (sp.Symbol("mu^*"),)),
        ),
    ]
    derivation = Derivation(
        "the optimal ridge parameter",
        [lam, mu, sigma_w2, sigma_eps2, d],
        steps,
        domain={d: (1, 50), lam: (0.01, 20)},
        notes=(
            "every factor but (mu - mu*) is positive for lambda > 0: the risk falls below mu* "
            "and rises above it, so mu* is the minimizer",
        ),
    )
    return derivation, mu_star


_risk_term = sp.lambdify((lam, mu, sigma_w2, sigma_eps2, d), RISK_TERM, "numpy")


#: Largest ``μ``, ``σ²`` or eigenvalue accepted: the risk squares and multiplies them, and
#: ``1e100`` keeps every intermediate below float64's largest number (about ``1.8e308``).
MAX_SCALE = 1e100


def _scale(value, name: str) -> float:
    return arg.real(value, name, low=0, high=MAX_SCALE)


def bayes_risk(eigenvalues, mu, sigma_w2, sigma_eps2) -> float:
    """``Σ_i ((σ_w²/d) μ² + σ_ε² λ_i)/(λ_i + μ)²`` with ``d = len(eigenvalues)``.

    ``eigenvalues`` are those of ``H = XᵀX``; round-off-level negatives (above
    ``-EIGEN_RTOL · max|λ|``) count as zero, larger negatives are a ``ValueError``. ``μ = 0``
    is allowed only when every eigenvalue is positive (otherwise the problem has no unique
    solution). Every number is at most :data:`MAX_SCALE`.

    >>> bayes_risk([3.0, -1e-15], 0.5, 2.0, 1.0)  # d = 2: 3.25/12.25 + 0.25/0.25
    1.2653...
    >>> bayes_risk([3.0, -0.1], 0.5, 2.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: eigenvalues: must be >= 0 (H = XᵀX is positive semidefinite); got -0.1, below the round-off level 3e-10
    >>> bayes_risk([3.0], 1e200, 2.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: mu: a real number in [0, 1e+100] is required, got 1e+200
    """
    lams = _eigenvalues(eigenvalues)
    mu = _scale(mu, "mu")
    sw2 = _scale(sigma_w2, "sigma_w2")
    se2 = _scale(sigma_eps2, "sigma_eps2")
    if mu == 0 and np.any(lams == 0):
        raise ValueError(
            "mu: must be > 0 when H has a zero eigenvalue (N < d or a rank-deficient X): "
            "the ridge problem has no unique solution at mu = 0"
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # refused below
        risk = float(np.sum(_risk_term(lams, mu, sw2, se2, lams.size)))
    if not math.isfinite(risk):  # (λ + μ)² underflows to 0 when both are below about 1e-160
        raise ValueError(
            f"eigenvalues, mu: the risk cannot be computed in float64 at mu = {mu!r} and "
            f"smallest eigenvalue {float(lams.min())!r} (got {risk!r})"
        )
    return risk


_mu_star = sp.lambdify((d, sigma_w2, sigma_eps2), optimum()[1], "math")


def optimal_mu(d, sigma_w2, sigma_eps2) -> float:
    """The ``μ`` that minimizes :func:`bayes_risk` for any nonzero spectrum (SymPy's root).

    >>> optimal_mu(100, 1.0, 0.25)
    25.0
    >>> optimal_mu(100, 0.0, 0.25)
    Traceback (most recent call last):
    ...
    ValueError: sigma_w2: must be > 0 (with no signal the best mu is infinite), got 0.0
    >>> optimal_mu(True, 1.0, 0.25)
    Traceback (most recent call last):
    ...
    TypeError: d: a positive integer is required, got True (bool)
    """
    d = arg.count(d, "d")
    sw2 = _scale(sigma_w2, "sigma_w2")
    se2 = _scale(sigma_eps2, "sigma_eps2")
    if sw2 == 0:
        raise ValueError(
            f"sigma_w2: must be > 0 (with no signal the best mu is infinite), got {sigma_w2!r}"
        )
    best = float(_mu_star(d, sw2, se2))
    if not math.isfinite(best):
        raise ValueError(
            f"sigma_w2: too small against d·sigma_eps2, mu* = d·sigma_eps2/sigma_w2 overflows "
            f"float64, got {sigma_w2!r}"
        )
    return best


def _eigenvalues(eigenvalues) -> np.ndarray:
    lams = arg.array(eigenvalues, "eigenvalues", ndim=1)
    if lams.size == 0:
        raise ValueError("eigenvalues: a non-empty 1-d array is required, got shape (0,)")
    if float(np.max(np.abs(lams))) > MAX_SCALE:
        raise ValueError(
            f"eigenvalues: entries of magnitude at most {MAX_SCALE:g} are required, "
            f"got {float(np.max(np.abs(lams))):g}"
        )
    floor = -EIGEN_RTOL * float(np.max(np.abs(lams)))
    low = float(lams.min())
    if low < floor:
        raise ValueError(
            f"eigenvalues: must be >= 0 (H = XᵀX is positive semidefinite); got {low:g}, "
            f"below the round-off level {-floor:g}"
        )
    return np.where(lams < 0, 0.0, lams)


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    "ridge.concrete_risk.n3": lambda: concrete_risk(3),
    "ridge.concrete_risk.n1": lambda: concrete_risk(1),
    "ridge.quadratic_form_mean": quadratic_form_mean,
    "ridge.per_direction": per_direction,
    "ridge.optimum": lambda: optimum()[0],
}
