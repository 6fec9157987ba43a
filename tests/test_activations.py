"""Activations: the derived facts, the claims, and the bad-input errors."""

import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar
from scipy.special import erf, expit

from derivations import activations as act
from derivations.core import PROVED
from verify import claims

x = act.x
SCALAR = list(act.TABLE)


def test_nine_activations():
    assert len(act.NAMES) == 9 and act.NAMES[-1] == "softmax"
    assert set(SCALAR) == {
        "leaky_relu",
        "softplus",
        "sigmoid",
        "tanh",
        "relu",
        "elu",
        "gelu",
        "silu",
    }


@pytest.mark.parametrize("name", SCALAR)
def test_every_derivative_step_is_proved(name):
    report = act.get(name).derivation.check()
    assert [s.status for s in report.steps] == [PROVED] * len(report.steps), str(report)
    assert len(report.steps) >= 1


@pytest.mark.parametrize("name", ["softplus", "sigmoid", "tanh", "gelu", "silu"])
def test_derivative_is_sympys_own(name):
    a = act.get(name)
    assert sp.simplify((a.derivative - sp.diff(a.expr, x)).rewrite(sp.exp)) == 0


def test_closed_forms_read_as_a_course_writes_them():
    assert act.get("softplus").derivative == act.sigmoid(x)
    assert act.get("tanh").derivative == 1 - sp.tanh(x) ** 2
    s = act.sigmoid(x)
    assert sp.expand(act.get("sigmoid").derivative - s * (1 - s)) == 0


def test_softplus_steps_name_their_rules():
    reasons = " ".join(s.reason.text().lower() for s in act.get("softplus").derivation.steps)
    for rule in ("chain", "sum", "exp"):
        assert rule in reasons


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("softplus", sp.Interval.open(0, sp.oo)),
        ("leaky_relu", sp.Interval(-sp.oo, sp.oo)),
        ("relu", sp.Interval(0, sp.oo)),
        ("sigmoid", sp.Interval.open(0, 1)),
        ("tanh", sp.Interval.open(-1, 1)),
        ("elu", sp.Interval.open(-1, sp.oo)),
    ],
)
def test_ranges_from_the_spec(name, expected):
    assert act.get(name).output_range == expected


def test_silu_minimum_is_exact_and_right():
    interval = act.get("silu").output_range
    assert interval.inf == -sp.LambertW(sp.exp(-1)) and not interval.left_open
    independent = minimize_scalar(
        lambda t: t * expit(t), bounds=(-5, 0), method="bounded", options={"xatol": 1e-12}
    )
    assert abs(float(interval.inf) - independent.fun) < 1e-12


def test_gelu_minimum_is_a_certified_root():
    a = act.get("gelu")
    assert not a.output_range.left_open and a.output_range.sup == sp.oo
    gelu = lambda t: 0.5 * t * (1 + erf(t / math.sqrt(2)))  # noqa: E731
    independent = minimize_scalar(gelu, bounds=(-3, 0), method="bounded", options={"xatol": 1e-12})
    assert abs(float(a.output_range.inf) - independent.fun) < 1e-12
    ((root, how),) = a.range_facts.critical_points
    assert "certified" in how and abs(float(root) - independent.x) < 1e-5


def test_kinks():
    (relu,) = act.get("relu").kinks
    assert (relu.point, relu.left, relu.right) == (0, 0, 1) and not relu.differentiable
    assert relu.generalized_gradient == sp.Interval(0, 1)
    (leaky,) = act.get("leaky_relu", a=0.2).kinks
    assert leaky.generalized_gradient == sp.Interval(sp.Rational(1, 5), 1)
    (elu,) = act.get("elu").kinks
    assert elu.differentiable and elu.left == 1
    assert not act.get("elu", alpha=2.0).kinks[0].differentiable
    assert act.get("tanh").kinks == []


def test_parameters_enter_exactly():
    assert act.get("leaky_relu", a=0.25).derivative == sp.Piecewise(
        (sp.Rational(1, 4), x <= 0), (1, True)
    )
    assert act.get("elu", alpha=2).output_range == sp.Interval.open(-2, sp.oo)


def test_softmax_jacobian():
    s = act.get("softmax", n=3)
    assert s.derivation.check().ok and s.derivative.shape == (3, 3)
    rng = np.random.default_rng(1)
    z = rng.normal(size=3)
    p = np.exp(z) / np.exp(z).sum()
    values = np.array(s.derivative.subs(dict(zip(s.logits, z, strict=True))).evalf(), dtype=float)
    assert np.allclose(values, np.diag(p) - np.outer(p, p), atol=1e-14)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: act.get("swish"), "name: unknown activation 'swish'; allowed: leaky_relu"),
        (lambda: act.get("leaky_relu", a=1.5), "a: a real number in [0, 1) is required, got 1.5"),
        (lambda: act.get("leaky_relu", a=float("nan")), "a: a real number in [0, 1) is required"),
        (lambda: act.get("elu", alpha=0), "alpha: a finite real number > 0 is required, got 0"),
        (
            lambda: act.get("relu", slope=1),
            "params: relu takes no parameter ['slope']; allowed: none",
        ),
        (lambda: act.get("softmax", n=1), "n: an integer in [2, 6] is required"),
        (lambda: claims.get("activations.nope"), "claim_id: unknown claim"),
        (
            lambda: claims.select("nope"),
            "prefix: no claim id starts with 'nope'; topics: activations",
        ),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("name", "key", "value", "error"),
    [
        ("leaky_relu", "a", float("inf"), ValueError),
        ("leaky_relu", "a", 0.01 + 0j, TypeError),
        ("leaky_relu", "a", True, TypeError),
        ("elu", "alpha", float("nan"), ValueError),
        ("elu", "alpha", float("inf"), ValueError),
        ("elu", "alpha", 1.5 + 0.5j, TypeError),
        ("elu", "alpha", np.bool_(True), TypeError),
    ],
)
def test_non_real_and_non_finite_parameters_are_refused_by_name(name, key, value, error):
    with pytest.raises(error, match=f"^{key}: "):
        act.get(name, **{key: value})


def test_a_parameter_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="^a: a real number in"):
        act.get("leaky_relu", a="big")
    with pytest.raises(TypeError, match="^name: "):
        act.get(3)


def test_every_claim_passes_with_its_evidence():
    evidence = claims.run("activations")
    assert len(evidence) == len(claims.select("activations")) >= 20
    failed = [e.summary() for e in evidence if not e.passed]
    assert not failed
    for e in evidence:
        assert e.message and e.seed == 0 and e.seconds >= 0
        if e.claim_id.endswith(".derivative"):
            assert e.n >= 10_000


def test_softplus_threshold_is_explained_not_hidden():
    e = claims.get("activations.softplus.derivative").check()
    assert "returns x" in e.message and "σ(-20)" in e.message
    gap = e.details["threshold_gap"]
    assert 1e-9 < gap <= 1 / (1 + math.exp(20)) * (1 + 1e-6)
    assert e.error < 1e-14  # away from the threshold the agreement is to rounding


def test_a_callable_candidate_is_checked_the_same_way():
    c = claims.get("activations.sigmoid.derivative")
    assert c.check(lambda t: expit(t) * (1 - expit(t))).passed
    assert not c.check(lambda t: expit(t) ** 2).passed


def test_failure_shows_a_point_with_both_values():
    e = claims.get("activations.tanh.derivative").check(1 - sp.tanh(x))
    assert not e.passed and "differs at x =" in e.message
    point = e.witness.point["x"]
    assert abs(e.witness.candidate - (1 - math.tanh(point))) < 1e-12
    assert abs(e.witness.reference - (1 - math.tanh(point) ** 2)) < 1e-12


def test_seeds_change_the_random_points_but_not_the_verdict():
    c = claims.get("activations.gelu.derivative")
    a, b = c.check(seed=1), c.check(seed=2)
    assert a.passed and b.passed and a.seed == 1 and b.seed == 2
    with pytest.raises(ValueError, match="seed"):
        c.check(seed=-1)


# --- one convention at the kink: torch's ----------------------------------------------------


def _torch_derivative_at(fn, value):
    import torch

    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    fn(t).backward()
    return float(t.grad)


@pytest.mark.parametrize(
    ("name", "params", "torch_fn"),
    [
        ("relu", {}, "relu"),
        ("leaky_relu", {}, ("leaky_relu", 0.01)),
        ("leaky_relu", {"a": 0.2}, ("leaky_relu", 0.2)),
        ("elu", {}, ("elu", 1.0)),
        ("elu", {"alpha": 1.5}, ("elu", 1.5)),
        ("elu", {"alpha": 0.5}, ("elu", 0.5)),
    ],
)
def test_the_derivative_at_a_kink_is_what_autograd_returns_there(name, params, torch_fn):
    import torch.nn.functional as F

    fn = F.relu if torch_fn == "relu" else (lambda t: getattr(F, torch_fn[0])(t, torch_fn[1]))
    a = act.get(name, **params)
    ((point, stated),) = a.at_kinks.items()
    # autograd at exactly 0, and at -0.0 (its own test x > 0 sends both to the x ≤ 0 case)
    for zero in (0.0, -0.0):
        assert float(stated) == _torch_derivative_at(fn, zero)
    # the derivative itself, the figure's dot and the kink claim all read that one value
    assert a.derivative.subs(x, point) == stated == a.kinks[0].by_cases
    kink_claim = claims.get(f"activations.{name}.kink")
    if not params:
        assert kink_claim.reference() == stated
    # and it is not what the other side gives, where there is a kink (α = 1 has none)
    assert a.kinks[0].differentiable or a.kinks[0].right != stated


def test_the_value_at_the_kink_is_stated_beside_the_derivative():
    for name, value in (("relu", "0"), ("leaky_relu", "1/100"), ("elu", "1")):
        a = act.get(name)
        assert any(f"'(0) = {value}: the one PyTorch" in note for note in a.derivation.notes)
        statement = claims.get(f"activations.{name}.derivative").statement
        assert f"at the kink x = 0 it is {value}," in statement
    assert "kink" not in claims.get("activations.tanh.derivative").statement


@pytest.mark.parametrize(
    ("name", "wrong", "torch_value"),
    [
        ("relu", sp.Piecewise((0, x < 0), (1, True)), 0.0),
        ("relu", sp.Heaviside(x), 0.0),
        ("leaky_relu", sp.Piecewise((sp.Rational(1, 100), x < 0), (1, True)), 0.01),
    ],
)
def test_a_derivative_wrong_only_at_the_kink_is_rejected_there(name, wrong, torch_value):
    e = claims.get(f"activations.{name}.derivative").check(wrong)
    assert not e.passed
    assert e.witness.point == {"x": 0.0} and e.witness.reference == torch_value
    assert e.witness.candidate == float(wrong.subs(x, 0))


def test_the_derivative_claims_compare_at_the_kink_itself():
    e = claims.get("activations.leaky_relu.derivative").check()
    assert e.passed and "at the kink x = 0 both give 0.01" in e.message


# --- softmax: reasons without raw TeX, and the matrix form as diag(p) - p pᵀ --------------------


def test_softmax_reasons_print_no_raw_tex():
    d = act.softmax(3).derivation
    for step in d.steps:
        words = step.reason.text()
        assert "\\" not in words and "_{" not in words and "J_ij" not in words, words
    text = d.text()
    assert "Jᵢⱼ = ∂pᵢ/∂zⱼ" in text and "\\" not in text
    # in Markdown, TeX appears only inside $…$: outside it, no backslash
    for line in d.markdown().splitlines():
        outside = "".join(line.split("$")[0::2])
        assert "\\" not in outside, line


def test_softmax_matrix_form_shows_diag_p_minus_p_pT_in_every_rendering():
    d = act.softmax(3).derivation
    entries, matrix_form = d.steps[-2], d.steps[-1]
    assert "= diag(p) - p·pᵀ" in d.text() and "[matrix form" in d.text()
    body = d.latex().splitlines()[-2].split("&&")[0]
    assert body.strip() == r"&= \operatorname{diag}(p) - p\,p^{\top}", body
    assert r"= \operatorname{diag}(p) - p\,p^{\top}$ — matrix form" in d.markdown()
    # what is shown is what was checked: the explicit matrices equal the entries before them
    at = dict(zip(act.softmax(3).logits, (0.3, -1.2, 2.0), strict=True))
    shown = np.array(matrix_form.expr.doit().subs(at).evalf(), dtype=float)
    before = np.array(entries.expr.subs(at).evalf(), dtype=float)
    p = np.exp([0.3, -1.2, 2.0]) / np.exp([0.3, -1.2, 2.0]).sum()
    assert np.allclose(shown, np.diag(p) - np.outer(p, p), atol=1e-15)
    assert np.allclose(before, shown, atol=1e-15)
    assert d.check().ok
