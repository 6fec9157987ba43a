"""Initialization: how the second moment travels through a deep network, and what keeps it.

For ``u_l = W_l φ(u_{l-1})`` with i.i.d. zero-mean weights of variance ``σ²``, independent of
``u_{l-1}``, every pre-activation has ``𝔼[u_l[i]²] = d σ² 𝔼[φ(u_{l-1}[j])²]``. The derivations
below prove that step, the ReLU factor ½ twice (by symmetry, and by the Gaussian integral),
``σ = sqrt(2/d)``, the Xavier uniform bound and the Kaiming normal std. The closed forms are
plain functions; the tanh variance map is evaluated by numerical quadrature, and the first
float32 overflow layer of the unit-normal experiment by numerical convolution.

>>> kaiming_sigma().result, xavier_bound().result
(sqrt(2)/sqrt(d), sqrt(6)/sqrt(n_in + n_out))
"""

from __future__ import annotations

import sympy as sp
from sympy import stats as sps

from derivations.core import Derivation, Step
from derivations.printing import Equation, Notation
from derivations.render import Reason

# --- symbols ------------------------------------------------------------------------------
sigma, s, q = sp.symbols("sigma s q", positive=True)
d, n_in, n_out, a = sp.symbols("d n_in n_out a", positive=True)
u, x = sp.symbols("u x", real=True)
b_lap, c_mix = sp.symbols("b c", positive=True)
Var_u = Notation("Var(u_l[i])", r"\operatorname{Var}(u_l[i])")
E_relu2 = Notation("𝔼[ReLU(u)²]", r"\mathbb{E}[\operatorname{ReLU}(u)^2]")
p_u = sp.Function("p")(u)
ReLU = sp.Function("ReLU")
#: Quoted in reasons only.
_E_phi2 = Notation("𝔼[φ²]", r"\mathbb{E}[\varphi^2]")
_E_reluz2 = Notation("𝔼[ReLU(z)²]", r"\mathbb{E}[\operatorname{ReLU}(z)^2]")
_relu_zero = Reason("{} for {}", (Equation(ReLU(u), 0), u <= 0))


def _relu_squared(v):
    """``ReLU(v)² = v² θ(v)``: the Heaviside form integrates fast in SymPy."""
    return v**2 * sp.Heaviside(v)


def _normal_pdf(v, scale):
    return sp.exp(-(v**2) / (2 * scale**2)) / (scale * sp.sqrt(2 * sp.pi))


def variance_propagation() -> Derivation:
    r"""``Var(u_l[i]) = d σ² 𝔼[φ²]``, every term written out for ``d = 2``.

    The weights are ``sympy.stats`` normals, so ``𝔼[W_ij W_ik]`` is computed, not asserted.
    ``m_jk = 𝔼[φ_j φ_k]``; the diagonal is ``q = 𝔼[φ_j²]`` for every ``j`` (identically
    distributed), the off-diagonal entry stays a free symbol: independence of the
    activations is never used, only independence of the weights from them.

    >>> variance_propagation().check().ok
    True
    """
    w = [sps.Normal(f"W_i{j}", 0, sigma) for j in (1, 2)]
    m12 = sp.Symbol("m_12")
    m = {(0, 0): q, (0, 1): m12, (1, 0): m12, (1, 1): q}
    terms = [sps.Expectation(w[j] * w[k]) * m[j, k] for j in range(2) for k in range(2)]
    return Derivation(
        "variance propagation (d = 2)",
        [sigma, q, m12],
        [
            Step(
                sp.Add(*terms, evaluate=False),
                Reason(
                    "expand the square; {} independent of {}",
                    (sp.Symbol("W"), sp.Symbol("varphi")),
                ),
            ),
            Step(
                sp.Mul(sigma**2, sp.Add(q, q, evaluate=False), evaluate=False),
                Reason(
                    "{}",
                    (
                        Equation(
                            Notation("𝔼[WᵢⱼWᵢₖ]", r"\mathbb{E}[W_{ij} W_{ik}]"),
                            sigma**2 * sp.KroneckerDelta(*sp.symbols("j k", integer=True)),
                        ),
                    ),
                ),
            ),
            Step(
                2 * sigma**2 * q,
                Reason("{} equal terms: {}", (d, sp.Mul(d, sigma**2, _E_phi2, evaluate=False))),
            ),
        ],
        lhs=Var_u,
        notes=("Any d: the double sum keeps its d diagonal terms, so Var = d σ² 𝔼[φ²].",),
        # sympy.stats prints its expectations as \operatorname{E}; the book writes \mathbb{E}
        display={
            sps.Expectation(w[0] ** 2): Notation("𝔼[W_i1²]", r"\mathbb{E}[W_{i1}^2]"),
            sps.Expectation(w[1] ** 2): Notation("𝔼[W_i2²]", r"\mathbb{E}[W_{i2}^2]"),
            sps.Expectation(w[0] * w[1]): Notation("𝔼[W_i1 W_i2]", r"\mathbb{E}[W_{i1} W_{i2}]"),
        },
    )


def relu_by_symmetry() -> Derivation:
    r"""``𝔼[ReLU(u)²] = ½ 𝔼[u²]`` for any symmetric density ``p``.

    Checked with ``p`` a three-parameter family of symmetric densities (the mixture
    ``c N(0, s²) + (1 - c) N(0, b²)``, heavier-tailed than a normal, shown as ``p(u)``); the
    argument itself uses only ``p(-u) = p(u)``.

    >>> relu_by_symmetry().check().ok
    True
    """
    p = c_mix * _normal_pdf(u, s) + (1 - c_mix) * _normal_pdf(u, b_lap)
    half = sp.Integral(u**2 * p, (u, 0, sp.oo))
    mirror = sp.Integral(u**2 * p, (u, -sp.oo, 0))
    return Derivation(
        "ReLU by symmetry",
        [s, b_lap, c_mix],
        [
            Step(
                sp.Integral(_relu_squared(u) * p, (u, -sp.oo, sp.oo)),
                Reason("{}", (Equation(ReLU(u) ** 2, u**2 * sp.Heaviside(u)),)),
            ),
            Step(half, _relu_zero),
            Step(
                (half + mirror) / 2,
                Reason("substitute {} for {}: {}", (-u, u, Equation(p_u.subs(u, -u), p_u))),
            ),
            Step(
                sp.Integral(u**2 * p, (u, -sp.oo, sp.oo)) / 2,
                Reason("{}", (Notation("𝔼[u²]", r"\mathbb{E}[u^2]") / 2,)),
            ),
        ],
        domain={c_mix: (0.1, 0.9)},
        lhs=E_relu2,
        display={p: p_u},
    )


def relu_by_gaussian_integral() -> Derivation:
    r"""For ``u ~ N(0, s²)`` the integral gives ``s²/2`` (SymPy ``integrate``).

    >>> relu_by_gaussian_integral().result
    s**2/2
    """
    pdf = _normal_pdf(u, s)
    return Derivation(
        "ReLU by the Gaussian integral",
        [s],
        [
            Step(
                sp.Integral(_relu_squared(u) * pdf, (u, -sp.oo, sp.oo)),
                Reason("{}", (Notation("u ~ N(0, s²)", r"u \sim N(0, s^2)"),)),
            ),
            Step(sp.Integral(u**2 * pdf, (u, 0, sp.oo)), _relu_zero),
            Step(sp.integrate(u**2 * pdf, (u, 0, sp.oo)), "SymPy integrate"),
        ],
        lhs=E_relu2,
    )


def kaiming_sigma() -> Derivation:
    r"""Unit second moment after a ReLU layer needs ``σ = sqrt(2/d)``; SymPy solves for it.

    >>> kaiming_sigma().result
    sqrt(2)/sqrt(d)
    """
    z = sp.Symbol("z", real=True)
    e_relu2 = sp.Integral(_relu_squared(z) * _normal_pdf(z, 1), (z, -sp.oo, sp.oo))
    half = relu_by_gaussian_integral().result.subs(s, 1)
    (root,) = sp.solve(sp.Eq(d * sigma**2 * half, 1), sigma)
    return Derivation(
        "Kaiming σ for ReLU",
        [d],
        [
            Step(
                1 / sp.sqrt(d * e_relu2),
                Reason("{}", (Equation(sp.Mul(d, sigma**2, _E_reluz2, evaluate=False), 1),)),
            ),
            Step(
                sp.Pow(sp.Mul(d, half, evaluate=False), sp.Rational(-1, 2), evaluate=False),
                Reason("{} (above)", (Equation(_E_reluz2, sp.Rational(1, 2)),)),
            ),
            Step(root, "solved by SymPy"),
        ],
        lhs=sigma,
        notes=("PyTorch's kaiming_normal_ (fan_in mode, ReLU gain sqrt 2) uses this std.",),
    )


def uniform_variance() -> Derivation:
    r"""``Var U(-a, a) = a²/3``.

    >>> uniform_variance().result
    a**2/3
    """
    return Derivation(
        "variance of U(-a, a)",
        [a],
        [
            Step(
                sp.Integral(x**2 / (2 * a), (x, -a, a)),
                Reason("zero mean; density {}", (1 / (2 * a),)),
            ),
            Step(sp.integrate(x**2 / (2 * a), (x, -a, a)), "SymPy integrate"),
        ],
        lhs=Notation("Var U(-a, a)", r"\operatorname{Var} U(-a, a)"),
    )


def xavier_bound() -> Derivation:
    r"""Matching ``a²/3`` to ``2/(n_in + n_out)`` gives the Xavier uniform bound.

    >>> xavier_bound().result
    sqrt(6)/sqrt(n_in + n_out)
    """
    variance = uniform_variance().result
    roots = sp.solve(sp.Eq(variance, 2 / (n_in + n_out)), a)
    (root,) = [r for r in roots if r.is_positive]
    return Derivation(
        "Xavier uniform bound",
        [n_in, n_out],
        [
            Step(
                sp.sqrt(sp.Mul(3, 2 / (n_in + n_out), evaluate=False), evaluate=False),
                Reason("{}", (Equation(a**2 / 3, 2 / (n_in + n_out)),)),
            ),
            Step(root, "solved by SymPy (the positive root)"),
        ],
        lhs=a,
    )


def relu_layer_maps() -> dict[str, Derivation]:
    r"""One ReLU layer of width ``d``: Kaiming keeps ``q``, Xavier (square layers) halves it.

    >>> {k: v.result for k, v in relu_layer_maps().items()}
    {'Kaiming normal': q, 'Xavier uniform': q/2}
    """
    half_q = relu_by_gaussian_integral().result.subs(s, sp.sqrt(q))  # 𝔼[ReLU(u)²], u ~ N(0, q)
    var = {
        "Kaiming normal": kaiming_sigma().result ** 2,
        "Xavier uniform": uniform_variance()
        .result.subs(a, xavier_bound().result)
        .subs({n_in: d, n_out: d}),
    }
    return {
        name: Derivation(
            f"ReLU layer, {name}",
            [d, q],
            [
                Step(
                    sp.Mul(d, v, half_q, evaluate=False),
                    Reason(
                        "{} with {}",
                        (
                            sp.Mul(d, sigma**2, E_relu2, evaluate=False),
                            Equation(sp.Symbol("E"), q / 2),
                        ),
                    ),
                ),
                Step(sp.simplify(d * v * half_q), "simplify"),
            ],
            lhs=sp.Symbol("q_l"),
        )
        for name, v in var.items()
    }


def heat_equation() -> Derivation:
    r"""The N(0, q) density solves ``∂p/∂q = ½ ∂²p/∂u²``.

    Integrating by parts twice, ``d/dq 𝔼[f(sqrt(q) z)] = ½ 𝔼[f''(sqrt(q) z)]`` for a smooth
    bounded ``f``: the derivatives of the tanh map in ``q`` used by the finite-width
    correction are Gaussian averages of derivatives of ``tanh²``.

    >>> heat_equation().check().ok
    True
    """
    pdf = sp.exp(-(u**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q)
    return Derivation(
        "the Gaussian heat equation",
        [q, u],
        [
            Step(sp.Derivative(pdf, q), Reason("{}", (Notation("p_q(u)", "p_q(u)"),))),
            Step(sp.diff(pdf, q), "differentiate in q"),
            Step(sp.Derivative(pdf, u, 2) / 2, "½ × the second derivative in u"),
        ],
        lhs=Notation("∂p_q/∂q", r"\partial p_q / \partial q"),
        notes=("So d/dq 𝔼[f(u)] = ∫ f ∂p/∂q du = ½ ∫ f'' p du after two integrations by parts.",),
    )


def derivations() -> dict[str, Derivation]:
    """Every derivation of the topic, by id.

    >>> sorted(derivations())[:2]
    ['initialization.heat_equation', 'initialization.kaiming_sigma']
    """
    return {key: build() for key, build in DERIVATIONS.items()}


#: Every derivation of the topic: id -> zero-argument builder.
DERIVATIONS = {
    **{
        f"initialization.{f.__name__}": f
        for f in (
            variance_propagation,
            relu_by_symmetry,
            relu_by_gaussian_integral,
            kaiming_sigma,
            uniform_variance,
            xavier_bound,
            heat_equation,
        )
    },
    "initialization.relu_layer.kaiming": lambda: relu_layer_maps()["Kaiming normal"],
    "initialization.relu_layer.xavier": lambda: relu_layer_maps()["Xavier uniform"],
}
