"""Derivation.check (proofs, numeric-only steps, the report of a wrong step) and rendering
(structured reasons, the Unicode text printer, the check summary)."""

import pytest
import sympy as sp

from derivations.__main__ import ids, render
from derivations.core import (
    FAILED,
    NUMERIC_ONLY,
    PROVED,
    Derivation,
    DerivationError,
    Step,
    reason_latex,
    reason_text,
)
from derivations.printing import Equation, Notation, text
from derivations.render import Reason, check_summary

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


# --- rendering: structured reasons ------------------------------------------------------------
@pytest.mark.parametrize("derivation_id", ids())
def test_text_rendering_of_every_derivation_is_free_of_latex(derivation_id):
    shown = render(derivation_id, "text")
    assert "\\" not in shown and "$" not in shown, shown


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.exp(x) / (1 + sp.exp(x)), "e^x/(e^x + 1)"),
        (1 / (1 + sp.exp(-x)), "1/(1 + e^(-x))"),
        ((x + 1) ** 2, "(x + 1)²"),
        (sp.Mul(x, x + 1, evaluate=False), "x·(x + 1)"),
        (x ** (y - 1), "x^(y - 1)"),
        (sp.sqrt(x + 1), "√(x + 1)"),
        (sp.Rational(1, 2) * sp.Integral(x**2, (x, 0, 1)), "(∫[0, 1] x² dx)/2"),
        (sp.Derivative(-x, x), "d/dx (-x)"),
    ],
)
def test_reason_with_an_expression_keeps_grouping_in_text(expr, expected):
    assert Reason("so {} here", (expr,)).text() == f"so {expected} here"


def test_latex_of_a_reason_holds_the_latex_of_its_expressions():
    u = sp.Symbol("u")
    exprs = (sp.exp(x) / (1 + sp.exp(x)), Equation(sp.Derivative(sp.log(u), u), 1 / u))
    shown = Reason("first {}, then {}", exprs).latex()
    for e in exprs:
        assert sp.latex(e) in shown
    assert shown.startswith("{\\small \\text{first }") and shown.endswith("}")
    assert "$" + sp.latex(exprs[0]) + "$" in Reason("see {}", exprs[:1]).markdown()


def test_numbered_slots_and_literal_braces():
    r = Reason("{1} before {0}, a set {{0, 1}}", (x, y))
    assert r.text() == "y before x, a set {0, 1}"
    assert r.latex().count("\\{") == 1  # the literal brace is escaped for \text{}


@pytest.mark.parametrize(
    ("rule", "exprs", "message"),
    [
        (r"$x^2$", (), "holds LaTeX"),
        (r"\frac{d}{dx}", (), "holds LaTeX"),
        ("two {} {}", (x,), "slots for 2"),
        ("none", (x,), "slots for 0"),
        ("{} and {0}", (x,), "mixes"),
        ("a {name}", (x,), "not a slot"),
        ("unclosed {", (), "literal brace"),
        ("", (), "non-empty"),
    ],
)
def test_reason_refuses_latex_and_mismatched_slots(rule, exprs, message):
    with pytest.raises(ValueError, match=message):
        Reason(rule, exprs)


def test_reason_quotes_expressions_never_strings():
    assert Reason("{} and {}", (2, sp.Matrix([x]))).text() == "2 and [x]"
    with pytest.raises(TypeError, match="exprs"):
        Reason("{}", ("x**2",))
    with pytest.raises(TypeError, match="exprs"):
        Reason("{}", x)


def test_step_turns_words_into_a_reason_and_refuses_latex_strings():
    assert Step(x, "expand").reason == Reason("expand")
    assert Step(x, "mask in {0, 1}").reason.text() == "mask in {0, 1}"
    with pytest.raises(ValueError, match="holds LaTeX"):
        Step(x, r"power rule: $x^n$")
    with pytest.raises(TypeError, match="reason"):
        Step(x, 3)
    # the helpers stay importable from derivations.core and accept words too
    assert reason_text("given") == "given" and reason_latex("given") == "{\\small \\text{given}}"


def test_notation_carries_both_written_forms():
    dL = Notation("∂L/∂w", r"\frac{\partial L}{\partial w}")
    assert text(3 * dL) == "3·∂L/∂w"
    assert sp.latex(3 * dL) == r"3 \frac{\partial L}{\partial w}"
    with pytest.raises(ValueError, match="already written"):
        Notation("∂L/∂w", r"\partial L/\partial w")
    with pytest.raises(ValueError, match="backslashes"):
        Notation(r"\partial", "x")


def test_symbol_names_follow_sympy_latex_conventions_in_text():
    assert text(sp.Symbol("sigma_w^2") / sp.Symbol("d")) == "σ_w²/d"
    assert text(sp.Symbol("W^1_12")) == "W¹₁₂"
    assert text(sp.MatrixSymbol("G", 2, 3) * sp.MatrixSymbol("W", 3, 3).T) == "G·Wᵀ"


def test_check_summary_counts_and_names_the_failure():
    good = Derivation("good", [x], [Step(2 * x, "given"), Step(x + x, "sum")], points=5)
    assert check_summary(good) == (
        "*Check:* 1 of 1 steps proved by SymPy, 0 numeric-only, 0 failed; "
        "each also agrees numerically at 5 random points."
    )
    bad = Derivation("bad", [x], [Step(2 * x, "given"), Step(3 * x, "slip")])
    summary = check_summary(bad, "text", title=True)
    assert summary.startswith("Check (bad): 0 of 1 steps proved by SymPy, 0 numeric-only, 1 failed")
    assert "step 1: failed" in summary and "agrees" not in summary
    with pytest.raises(ValueError, match="target"):
        check_summary(good, "latex")
    with pytest.raises(TypeError, match="derivation"):
        check_summary("good")


def test_softmax_matrix_form_is_diag_p_minus_p_pT_not_a_repeat():
    from derivations.activations import softmax

    d = softmax(3).derivation
    entries, matrix_form = d.steps[-2], d.steps[-1]
    assert text(matrix_form.expr) != text(entries.expr)
    assert isinstance(matrix_form.expr, sp.MatAdd)  # diag(p) and -p pᵀ, kept apart
    assert "diag(p)" in matrix_form.reason.text()
    assert "J_ij" not in d.text() and "\\" not in d.text()
    assert d.check().ok
