"""Named special functions that SymPy lacks, so results read as a course writes them.

``sigmoid(x)`` prints as ``σ(x)`` and rewrites to ``1/(1 + exp(-x))``; ``Phi(x)`` is the
standard normal CDF and rewrites to ``(1 + erf(x/√2))/2``. Both evaluate numerically through
their rewrites, so checks never depend on how the name is printed.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> sp.diff(sigmoid(x), x)
(1 - sigmoid(x))*sigmoid(x)
>>> sigmoid(x).rewrite(sp.exp)
1/(1 + exp(-x))
"""

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
