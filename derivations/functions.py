"""Named special functions that SymPy lacks, so results read as a course writes them.

``sigmoid(x)`` prints as ``σ(x)`` and rewrites to ``1/(1 + exp(-x))``; ``Phi(x)`` is the
standard normal CDF and rewrites to ``(1 + erf(x/√2))/2``. Both evaluate numerically through
their rewrites, so checks never depend on how the name is printed. ``GaussianMean`` is an
exact Gaussian expectation (the ridge chapter's means).

Every class that a derivation's expressions use lives in a module of shared machinery like
this one, not in a topic's module: a cached verdict depends on the source of the file that
defines each class in it (see :func:`derivations.core.check_key`), so editing a topic's
module elsewhere does not invalidate its derivations.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> sp.diff(sigmoid(x), x)
(1 - sigmoid(x))*sigmoid(x)
>>> sigmoid(x).rewrite(sp.exp)
1/(1 + exp(-x))
"""

import random

import sympy as sp


class _CDF(sp.Function):
    """A distribution function of a symmetric law: 0 at -oo, 1/2 at 0, 1 at oo, in (0, 1)."""

    nargs = 1
    _latex_name = ""

    @classmethod
    def eval(cls, arg):
        known = {sp.S.Zero: sp.Rational(1, 2), sp.oo: sp.S.One, sp.S.NegativeInfinity: sp.S.Zero}
        return known.get(arg)

    def _eval_evalf(self, prec):
        return self._elementary()._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return rf"{self._latex_name}\left({printer._print(self.args[0])}\right)"


class sigmoid(_CDF):  # noqa: N801 - reads like the math, as SymPy's own functions do
    """The logistic function ``σ(x) = 1/(1 + e^{-x})``.

    >>> sigmoid(0)
    1/2
    >>> round(float(sigmoid(2).evalf()), 12)
    0.880797077978
    """

    _latex_name = r"\sigma"

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _elementary(self):
        return 1 / (1 + sp.exp(-self.args[0]))

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return self._elementary()


class Phi(_CDF):  # noqa: N801
    """The standard normal CDF ``Φ(x) = (1 + erf(x/√2))/2``.

    >>> Phi(0), Phi(-sp.oo)
    (1/2, 0)
    >>> round(float(Phi(1).evalf()), 6)
    0.841345
    """

    _latex_name = r"\Phi"

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def _elementary(self):
        return (1 + sp.erf(self.args[0] / sp.sqrt(2))) / 2

    def _eval_rewrite_as_erf(self, arg, **kwargs):
        return self._elementary()

    _eval_rewrite_as_exp = _eval_rewrite_as_erf


class GaussianMean(sp.Function):
    r"""``𝔼[f]`` over independent zero-mean Gaussians ``(z, variance)``, exact on ``doit()``.

    For a polynomial of degree at most two in the ``z``,
    ``𝔼[f] = f(0) + ½ Σ_z Var(z) ∂²f/∂z²(0)`` (odd moments vanish, ``E z² = Var z``, products
    of distinct independent ``z`` have mean zero); a higher degree is refused.

    >>> z1, z2, a, s = sp.symbols("z1 z2 a s", positive=True)
    >>> GaussianMean((a * z1 + z2) ** 2, ((z1, s), (z2, 1))).doit()
    a**2*s + 1
    >>> GaussianMean(z1**3, ((z1, s),)).doit()
    Traceback (most recent call last):
    ...
    ValueError: expr: GaussianMean needs a polynomial of degree <= 2 in z1, got degree 3
    """

    nargs = 2

    @classmethod
    def eval(cls, expr, variances):
        return None

    def doit(self, **hints):
        expr, variances = self.args
        expr = expr.doit(**hints) if hints.get("deep", True) else expr
        zs = [z for z, _ in variances]
        _check_quadratic(expr, zs)
        at_zero = {z: 0 for z in zs}
        second = sum(v * sp.diff(expr, z, 2).subs(at_zero) for z, v in variances)
        return expr.subs(at_zero) + second / 2

    def _latex(self, printer):
        return r"\mathbb{E}\left[" + printer._print(self.args[0]) + r"\right]"

    def _sympystr(self, printer):
        return f"𝔼[{printer._print(self.args[0])}]"


def _check_quadratic(expr, zs):
    """Refuse a degree above two: along a random line through random data, ``f`` must be a
    polynomial of degree <= 2 in the line's parameter."""
    rng = random.Random(0)
    tau = sp.Dummy("tau")
    point = {s: sp.Rational(rng.randint(1, 97), rng.randint(1, 13)) for s in expr.free_symbols}
    point.update({z: tau * rng.randint(1, 9) for z in zs})
    line = sp.cancel(sp.together(expr.xreplace(point)))
    num, den = sp.fraction(line)
    degree = sp.degree(num, tau) - sp.degree(den, tau)
    if sp.degree(den, tau) > 0 or degree > 2:
        names = ", ".join(map(str, zs))
        raise ValueError(
            f"expr: GaussianMean needs a polynomial of degree <= 2 in {names}, got degree {degree}"
        )


def expand_special(expr):
    """Rewrite ``sigmoid`` and ``Phi`` into elementary functions and ``erf``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> expand_special(x * sigmoid(x) + Phi(x))
    x/(1 + exp(-x)) + erf(sqrt(2)*x/2)/2 + 1/2
    """
    return expr.replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a))).replace(
        Phi, lambda a: (1 + sp.erf(a / sp.sqrt(2))) / 2
    )
