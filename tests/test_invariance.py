"""Tests of the invariance topic: groups, the closed forms, the general derivations, the
claims' power. References are independent of the code under test: torch autograd, hand
computations, NumPy's image operations and least squares."""

from statistics import NormalDist

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import invariance as inv
from derivations.core import NUMERIC_ONLY, Step
from derivations.invariance import general
from derivations.invariance.algebra import GroupSum, Lemma, Reindex
from derivations.invariance.chains import GroupDerivation
from verify import claims
from verify import montecarlo as mc
from verify.invariance import risks as vr
from verify.invariance import wrong

GROUPS = {name: build() for name, build in inv.GROUPS.items()}


# --- groups ------------------------------------------------------------------------------
def test_quarter_turn_matches_rot90_and_mirror_matches_fliplr():
    img = np.arange(16.0).reshape(4, 4) ** 1.5
    assert np.array_equal(inv.quarter_turn(4) @ img.ravel(), np.rot90(img).ravel())
    assert np.array_equal(inv.mirror(4) @ img.ravel(), np.fliplr(img).ravel())


@pytest.mark.parametrize(
    ("name", "order", "d_G"),
    [("c4", 4, 3), ("d4", 8, 3), ("shifts", 5, 1), ("flips", 4, 2), ("c3_plane", 3, 1)],
)
def test_orders_and_invariant_dimensions(name, order, d_G):
    # d_G by hand: C4/D4 on 3×3 have the orbits centre, corners, edges; a shift fixes only
    # constants; flipping 2 of 4 coordinates fixes the other 2; a plane turn fixes its axis
    g = GROUPS[name]
    assert g.order == order
    assert inv.invariant_dimension(g) == d_G


def test_rejects_non_orthogonal_matrices():
    with pytest.raises(ValueError, match=r"group: element 1 is not orthogonal"):
        inv.as_group([np.eye(2), np.array([[1.0, 1.0], [0.0, 1.0]])])


def test_rejects_a_set_that_is_not_a_group():
    c4 = list(GROUPS["c4"].elements)
    with pytest.raises(ValueError, match=r"group: not closed under composition"):
        inv.reynolds(c4[:3])
    with pytest.raises(ValueError, match=r"group: the identity is not in the set"):
        inv.as_group(c4[1:])
    with pytest.raises(ValueError, match=r"group: element 2 repeats element 0"):
        inv.as_group([c4[0], c4[2], c4[0]])


def test_rejects_shapes_and_types():
    g = GROUPS["shifts"]
    with pytest.raises(ValueError, match=r"^X: 4 columns, but the group acts on R\^5"):
        inv.invariant_solution(np.ones((6, 4)), np.ones(6), g)
    with pytest.raises(ValueError, match=r"^y: 5 rows, but X has 6"):
        inv.invariant_solution(np.ones((6, 5)), np.ones(5), g)
    with pytest.raises(ValueError, match=r"^Y: 4 columns"):
        inv.equivariant_solution(np.ones((6, 5)), np.ones((6, 4)), g)
    with pytest.raises(ValueError, match=r"^weights: every weight must be > 0"):
        inv.invariant_solution(np.eye(5), np.ones(5), g, weights=[1, 1, 0, 1, 1])
    with pytest.raises(ValueError, match=r"^weights: a real array of shape \(5,\)"):
        inv.invariant_solution(np.eye(5), np.ones(5), g, weights=[1, 1])
    with pytest.raises(TypeError, match=r"^group: a Group or a sequence"):
        inv.reynolds("c4")
    with pytest.raises(ValueError, match=r"^group: a sequence of square"):
        inv.as_group([np.ones((2, 3))])


def test_singular_K_names_X():
    # one sample of C4 on 3×3 images: K = Σ G XᵀX Gᵀ has rank at most 4 < 9
    x = np.random.default_rng(1).standard_normal((1, 9))
    with pytest.raises(ValueError, match=r"^X: K = .* is singular"):
        inv.invariant_solution(x, np.ones(1), GROUPS["c4"])
    with pytest.raises(ValueError, match=r"^X: K = .* is singular"):
        inv.equivariant_solution(x, x, GROUPS["c4"])


# --- the closed forms against torch autograd ---------------------------------------------
def _torch_gradient(loss, value):
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    loss(t).backward()
    return t.grad.numpy()


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(GROUPS)), st.integers(0, 2**31 - 1), st.integers(2, 7))
def test_invariant_solution_is_a_stationary_point_of_the_augmented_loss(name, seed, rows):
    g = GROUPS[name]
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((rows, g.d)), rng.standard_normal(rows)
    try:
        w = inv.invariant_solution(X, y, g)
    except ValueError as exc:  # too few rows for this group: K is singular, said so
        assert "singular" in str(exc)
        return
    Gs = [torch.tensor(m) for m in g]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def loss(v):
        return sum(0.5 * ((yt - Xt @ G.T @ v) ** 2).sum() for G in Gs)

    grad = _torch_gradient(loss, w)
    scale = np.linalg.norm(X) ** 2 * g.order * max(np.linalg.norm(w), 1.0)
    assert np.linalg.norm(grad) <= 1e-9 * scale
    for G in g:
        assert np.allclose(G @ w, w, atol=1e-9 * max(np.linalg.norm(w), 1.0))


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(sorted(GROUPS)), st.integers(0, 2**31 - 1))
def test_equivariant_solution_is_stationary_and_commutes(name, seed):
    g = GROUPS[name]
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((g.d + 3, g.d)), rng.standard_normal((g.d + 3, g.d))
    W = inv.equivariant_solution(X, Y, g)
    Gs = [torch.tensor(m) for m in g]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def loss(M):
        return sum(0.5 * ((G @ Yt.T - M @ G @ Xt.T) ** 2).sum() for G in Gs)

    grad = _torch_gradient(loss, W)
    assert np.linalg.norm(grad) <= 1e-9 * np.linalg.norm(X) * np.linalg.norm(Y) * g.order * 10
    for G in g:
        assert np.linalg.norm(W @ G - G @ W) <= 1e-9 * np.linalg.norm(W)


def test_loss_values_by_hand():
    # sign flips of 1 of 2 coordinates, X = I, y = 0, w = (1, 2): ½(1 + 4) twice
    assert inv.augmented_loss([1.0, 2.0], np.eye(2), np.zeros(2), inv.sign_flips(2, 1)) == 5.0
    # the weighted solution, sign flips of R^1 with weights 3, 1: minimize
    # ½(3(y − x w)² + (y + x w)²) at x = 1, y = 2: w = (3·2 − 2)/(3 + 1) = 1
    w = inv.invariant_solution([[1.0]], [2.0], inv.sign_flips(1), weights=[3.0, 1.0])
    assert w.tolist() == [1.0]


def test_transposed_R_differs_only_with_unequal_weights():
    # the honest statement of the page: on a group Σ Gᵀ = Σ G exactly
    for g in GROUPS.values():
        assert np.allclose(sum(m.T for m in g), sum(g.elements), atol=1e-12)
    c4 = GROUPS["c4"]
    p = np.array([0.4, 0.3, 0.2, 0.1])
    assert not np.allclose(
        sum(q * m.T for q, m in zip(p, c4, strict=True)),
        sum(q * m for q, m in zip(p, c4, strict=True)),
    )


def test_risks_by_hand():
    assert inv.risk_ols(0.5, 30, 9) == pytest.approx(0.5 * 9 / 20, rel=1e-15)
    assert inv.risk_projected(0.5, 30, 9, 3) == pytest.approx(0.5 * 3 / 20, rel=1e-15)
    assert inv.risk_augmented(0.5, 30, 3) == pytest.approx(0.5 * 3 / 26, rel=1e-15)
    with pytest.raises(ValueError, match=r"^n: must exceed d \+ 1"):
        inv.risk_ols(1.0, 10, 9)
    with pytest.raises(ValueError, match=r"^d_G: at most d"):
        inv.risk_projected(1.0, 30, 3, 9)


# --- the general derivations -------------------------------------------------------------
def test_every_general_derivation_is_proved():
    for key, build in inv.DERIVATIONS.items():
        report = build().check()
        assert report.ok, (key, str(report))
        assert all(s.status != NUMERIC_ONLY for s in report.steps), (key, str(report))


def _two_steps(a, b, how):
    return GroupDerivation(
        "t",
        list(general.DATA),
        [Step(a, "a"), Step(b, "b", str(how or ""))],
        elements=(general.G,),
        definitions=general.DEFINITIONS,
        justify=[None, how],
    )


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [
        # false statements: the spot check finds them and the rules do not prove them
        (general.G * general.K * general.G, general.K, Reindex(general.H, general.H * general.G)),
        (general.G * general.K.I * general.G, general.K.I, general.SANDWICH),
        (
            GroupSum(general.H * general.X.T * general.X * general.H, general.H),
            general.K,
            Reindex(general.H, general.H.T),
        ),
        (general.G * general.X.T * general.y, general.X.T * general.y, None),
    ],
)
def test_false_steps_fail(a, b, how):
    dv = _two_steps(a, b, how)
    assert not dv.prove_step(1)
    assert not dv.check_step(1).ok


def test_reindexing_by_a_map_that_is_not_a_bijection_of_the_group_is_not_proved():
    G, H, X = general.G, general.H, general.X
    dv = _two_steps(GroupSum(G * H, H), GroupSum(H, H), Reindex(H, X.T * X * H))
    assert dv.check_step(1).status == NUMERIC_ONLY  # true, but not by that rule


def test_a_lemma_is_used_only_where_its_left_side_occurs():
    G, K = general.G, general.K
    dv = _two_steps(G * K, K, Lemma("sandwich", G.T * K * G, K, element=G))
    assert not dv.prove_step(1)


# --- the claims: power of the Monte Carlo against every wrong answer ----------------------
Z_REJECT = mc.critical_z(1e-6) + NormalDist().inv_cdf(1 - 1e-6)


@pytest.mark.parametrize("kind", ["ols", "projected", "augmented"])
def test_monte_carlo_power_against_every_wrong_answer(kind):
    est = vr.simulated(kind, 0)
    point = (vr.SIGMA2, vr.N_SAMPLES, vr.D, vr.D_G)
    truth = float(
        claims.as_function(claims.get(f"invariance.risk.{kind}").reference(), vr.VARIABLES)(*point)
    )
    for label, expr in wrong.WRONG_ANSWERS[f"invariance.risk.{kind}"].items():
        value = float(claims.as_function(expr, vr.VARIABLES)(*point))
        # distance in standard errors from the truth: beyond z_c + z_miss, rejected with
        # probability at least 1 − 1e-6 (the standard error barely moves with the mean)
        assert abs(value - truth) / est.std_error >= Z_REJECT, label
    assert est.tail_error < 0.5  # the normal approximation of the level holds


def test_near_misses_explain_the_denominators():
    from verify.answers import check_answer

    ev = check_answer("invariance.risk.augmented", "sigma2*dG/(n - dG)")
    assert ev.verdict == "not equivalent"
    assert "n − d_G − 1" in ev.details["near_miss"]
    ev = check_answer("invariance.risk.augmented", "sigma2*dG/(n - dG - 1)")
    assert ev.verdict == "equivalent"


def test_every_claim_passes_and_has_two_wrong_answers():
    for c in claims.select("invariance."):
        assert c.check().passed, c.id
        assert len(wrong.WRONG_ANSWERS[c.id]) >= 2
