"""Derivation.check: proofs, numeric-only steps, and the report of a wrong step."""

import sympy as sp

from derivations.core import FAILED, NUMERIC_ONLY, PROVED, Derivation, DerivationError, Step

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)


def test_wrong_step_reported_with_index_sides_and_witness():
    d = Derivation(
        "three steps, the second wrong",
        [x],
        [
            Step((x + 1) ** 2, "definition"),
            Step(x**2 + 2 * x + 1, "expand"),
            Step(x**2 + x + 1, "a slip"),
            Step(x * (x + 1) + 1, "factor"),
        ],
    )
    report = d.check()
    assert [s.status for s in report.steps] == [PROVED, FAILED, PROVED]
    bad = report.first_failure
    assert bad.index == 2
    assert bad.lhs == "x**2 + 2*x + 1" and bad.rhs == "x**2 + x + 1"
    point = bad.point["x"]
    left, right = float(bad.lhs_value), float(bad.rhs_value)
    # The witness is real: both values are what the two sides give at that point.
    assert abs(left - (point**2 + 2 * point + 1)) < 1e-9
    assert abs(right - (point**2 + point + 1)) < 1e-9
    assert abs(left - right) > 1e-6


def test_assert_valid_raises_at_the_false_step():
    d = Derivation("wrong", [x], [Step(sp.sin(x) ** 2, "given"), Step(1 - sp.sin(x), "slip")])
    try:
        d.assert_valid()
    except DerivationError as exc:
        assert "step 1" in str(exc)
    else:
        raise AssertionError("a false step passed")


def test_step_sympy_cannot_prove_is_numeric_only_never_proved():
    # True to 40 digits, but no simplifier turns zeta(3) into a decimal: numeric-only.
    apery = sp.Float("1.2020569031595942853997381615114", 40)
    d = Derivation("Apéry", [], [Step(sp.zeta(3), "given"), Step(apery, "to 40 digits")])
    assert d.check().steps[0].status == NUMERIC_ONLY


def test_domain_and_pending_derivatives_are_evaluated():
    d = Derivation(
        "log rule",
        [y],
        [Step(sp.Derivative(sp.log(y), y), "definition"), Step(1 / y, "d log y = 1/y")],
        domain={y: (0.5, 4)},
    )
    assert d.check().counts() == {PROVED: 1, NUMERIC_ONLY: 0, FAILED: 0}


def test_matrix_steps_are_compared_entrywise():
    a = sp.Matrix([[x, 1], [0, x]])
    good = Derivation(
        "square",
        [x],
        [Step(a * a, "given"), Step(sp.Matrix([[x**2, 2 * x], [0, x**2]]), "multiply")],
    )
    bad = Derivation(
        "square", [x], [Step(a * a, "given"), Step(sp.Matrix([[x**2, x], [0, x**2]]), "slip")]
    )
    assert good.check().ok and not bad.check().ok


def test_renderers_show_every_step_and_reason():
    d = Derivation(
        "t", [x], [Step(x * (x + 1), "given"), Step(x**2 + x, "expand")], lhs=sp.Symbol("f")
    )
    latex = d.latex()
    assert latex.startswith("\\begin{aligned}") and latex.count("\\\\") == 1
    assert "\\text{expand}" in latex and "f &=" in latex
    assert "expand" in d.markdown() and "$= x^{2} + x$" in d.markdown()
    assert "[given]" in d.text()
