"""Backpropagation: derivations, answer keys against torch, bad input, worked solutions."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import mlp
from derivations.core import FAILED, NUMERIC_ONLY, Derivation, Step
from derivations.mlp.solution import worked_solution
from verify import mlp as vm

X = (1.0, -1.0, 1.5)


# --- derivations ---------------------------------------------------------------------------
@pytest.mark.parametrize("derivation_id", mlp.ids())
def test_every_step_is_proved(derivation_id):
    counts = mlp.derivation(derivation_id).check().counts()
    assert counts[FAILED] == 0 and counts[NUMERIC_ONLY] == 0, counts


def test_a_wrong_rule_fails_its_check():
    """The steps are really checked: δ² h¹ᵀ with W² in place of h¹ (a slip) is refused."""
    d = mlp.derivation("mlp.backprop.dl_dh1")
    slip = Derivation(d.title, d.symbols, [*d.steps[:-1], Step(mlp.W2.T * mlp.onehot(3), "slip")])
    assert not slip.check().ok


@pytest.mark.parametrize(
    ("derivation_id", "shape"),
    [
        ("mlp.backprop.dl_dW2", (3, 4)),
        ("mlp.backprop.dl_db2", (3, 1)),
        ("mlp.backprop.dl_dh1", (4, 1)),
        ("mlp.backprop.dl_dh1_bar", (4, 1)),
        ("mlp.backprop.dl_dW1", (4, 3)),
        ("mlp.backprop.dl_db1", (4, 1)),
    ],
)
def test_each_gradient_has_the_shape_of_its_parameter(derivation_id, shape):
    result = mlp.derivation(derivation_id).result.doit()
    assert result.shape == shape


def test_every_general_rule_is_proved_by_a_known_derivation():
    assert {rule_id for _, rule_id in mlp.RULES} <= set(mlp.ids())
    assert len(mlp.RULES) == len({rule_id for _, rule_id in mlp.RULES})


@pytest.mark.parametrize(
    ("derivation_id", "key"), [("mlp.backprop.dl_dW1", "dl_dW1"), ("mlp.backprop.dl_db1", "dl_db1")]
)
def test_whole_network_loss_is_the_course_network(derivation_id, key):
    """What SymPy differentiates is the course's loss: its gradient at student 80's weights
    (one pre-activation negative, so the LeakyReLU slope counts) equals torch autograd's."""
    params = vm.course_parameters(80)
    ref = vm.reference(params, X, 3)
    assert (ref["h1_bar"] < 0).any()
    values = dict(zip(mlp.x, X, strict=True))
    for name, symbols in (("W1", mlp.W1), ("b1", mlp.b1), ("W2", mlp.W2), ("b2", mlp.b2)):
        values.update(zip(symbols, np.asarray(params[name]).ravel(), strict=True))
    sympy_gradient = mlp.derivation(derivation_id).steps[0].expr.doit().xreplace(values)
    # float64 evaluation of a few dozen terms: rounding stays far below 1e-12.
    np.testing.assert_allclose(np.array(sympy_gradient, dtype=float), ref[key], rtol=1e-12)


# --- student parameters --------------------------------------------------------------------
@pytest.mark.parametrize("student_id", [0, 1, 42, 2**32 - 1])
def test_student_parameters_equal_the_literal_global_seed_recipe(student_id):
    state = np.random.get_state()
    np.random.seed(student_id)
    W1 = np.random.rand(4, 3)
    b1 = np.random.rand(4, 1)
    W2 = np.random.rand(3, 4)
    b2 = np.random.rand(3, 1)
    np.random.set_state(state)
    got = mlp.student_parameters(student_id)
    assert list(got) == ["W1", "b1", "W2", "b2"]
    for name, expected in zip(got, (W1, b1, W2, b2), strict=True):
        assert np.array_equal(got[name], expected)


def test_student_parameters_leave_the_global_state_alone():
    np.random.seed(7)
    before = np.random.rand()
    np.random.seed(7)
    mlp.student_parameters(123)
    assert np.random.rand() == before


# --- answer keys against torch -------------------------------------------------------------
def _assert_matches(key, ref):
    assert list(key) == list(mlp.KEYS)
    for k in mlp.KEYS:
        np.testing.assert_allclose(key[k], ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
        if k != "loss":
            assert np.shape(key[k]) == np.shape(ref[k]), k


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_answer_key_agrees_with_autograd_for_any_student(student_id):
    ref = vm.reference(vm.course_parameters(student_id), X, 3, lr=0.01)
    _assert_matches(mlp.answer_key(student_id), ref)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=1, max_value=3),
    st.floats(min_value=0.0, max_value=0.99),
    st.floats(min_value=0.0, max_value=2.0),
)
def test_answer_key_agrees_with_torch_for_any_label_smoothing_and_rate(sid, label, alpha, lr):
    ref = vm.reference(
        vm.course_parameters(sid), X, label, lr=lr, label_smoothing=alpha, module=True
    )
    _assert_matches(mlp.answer_key(sid, label=label, lr=lr, label_smoothing=alpha), ref)


def test_explicit_weights_of_other_sizes():
    params = vm.explicit_parameters((5, 2, 4), seed=3)
    x = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    ref = vm.reference(params, x, 4, lr=0.1)
    key = mlp.answer_key(params=params, x=x, label=4, lr=0.1)
    _assert_matches(key, ref)
    assert key["dl_dW1"].shape == (2, 5) and key["p"].shape == (4, 1)


def test_hand_computed_instance():
    """A net small enough to do by hand: W¹ = I, b = 0, W² = I, x = (0, 0) gives p = (½, ½)."""
    params = {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
    key = mlp.answer_key(params=params, x=(0.0, 0.0), label=2, lr=1.0)
    assert key["loss"] == pytest.approx(np.log(2), abs=1e-15)
    assert key["dl_dh2"].ravel().tolist() == [0.5, -0.5]
    # h¹ = 0, so ∂l/∂W² = δ² h¹ᵀ = 0 and W² does not move; ∂l/∂h̄¹ = δ² ⊙ φ′(0) = slope·δ².
    assert not key["dl_dW2"].any()
    np.testing.assert_allclose(key["dl_db1"].ravel(), [0.005, -0.005], atol=1e-17)
    assert key["b2_new"].ravel().tolist() == [-0.5, 0.5]


def test_claim_ids_expose_the_phi_prime_mutations():
    """The claim's student ids include negative pre-activations (else φ′ = 1 everywhere and
    a key without φ′, or with ReLU′, would be right)."""
    negative = [sid for sid in vm.STUDENTS if (mlp.answer_key(sid)["h1_bar"] < 0).any()]
    assert len(negative) >= 3
    key = mlp.answer_key(80)
    assert key["h1_bar"][3, 0] < 0
    assert key["dl_dh1_bar"][3, 0] == pytest.approx(0.01 * key["dl_dh1"][3, 0], rel=1e-12)


def test_label_smoothing_zero_is_plain_cross_entropy():
    a, b = mlp.answer_key(5), mlp.answer_key(5, label_smoothing=0.0)
    assert a["loss"] == b["loss"] and np.array_equal(a["dl_dh2"], b["dl_dh2"])
    smoothed = mlp.answer_key(5, label_smoothing=0.3)
    # ỹ = (0.1, 0.1, 0.8): the gradient is p − ỹ, not p − onehot(y)
    np.testing.assert_allclose(
        smoothed["dl_dh2"].ravel(), smoothed["p"].ravel() - [0.1, 0.1, 0.8], atol=1e-15
    )


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name", "error"),
    [
        ({"student_id": 1, "label": 0}, "label", ValueError),
        ({"student_id": 1, "label": 4}, "label", ValueError),
        ({"student_id": 1, "label": 2.0}, "label", TypeError),
        ({"student_id": 1, "label": True}, "label", TypeError),
        ({"student_id": 1, "lr": -0.01}, "lr", ValueError),
        ({"student_id": 1, "lr": float("nan")}, "lr", ValueError),
        ({"student_id": 1, "label_smoothing": 1.0}, "label_smoothing", ValueError),
        ({"student_id": 1, "label_smoothing": -0.1}, "label_smoothing", ValueError),
        ({"student_id": 1, "slope": 1.5}, "slope", ValueError),
        ({"student_id": 1.5}, "student_id", TypeError),
        ({"student_id": 3.0}, "student_id", TypeError),
        ({"student_id": True}, "student_id", TypeError),
        ({"student_id": "7"}, "student_id", TypeError),
        ({"student_id": -1}, "student_id", ValueError),
        ({"student_id": 2**32}, "student_id", ValueError),
        ({}, "student_id, params", ValueError),
        ({"student_id": 1, "params": {}}, "student_id, params", ValueError),
        ({"params": {"W1": np.eye(3)}}, "params", ValueError),
        ({"student_id": 1, "x": (1.0, 2.0)}, "x", ValueError),
        ({"student_id": 1, "x": np.ones((3, 2))}, "x", ValueError),
    ],
)
def test_bad_input_names_the_argument(kwargs, name, error):
    with pytest.raises(error, match=f"^{name}"):
        mlp.answer_key(**kwargs)


def test_wrong_parameter_shapes():
    good = mlp.student_parameters(0)
    for name, bad in (("b1", np.ones((3, 1))), ("W2", np.ones((3, 5))), ("b2", np.ones((2, 2)))):
        with pytest.raises(ValueError, match=rf"^params\['{name}'\]: a real array of shape"):
            mlp.answer_key(params={**good, name: bad})


def test_student_parameters_reject_non_integers():
    for bad in (1.0, True, "3", None):
        with pytest.raises(TypeError, match="^student_id"):
            mlp.student_parameters(bad)
    assert mlp.student_parameters(np.int64(4))["W1"].shape == (4, 3)


# --- worked solution -----------------------------------------------------------------------
def test_worked_solution_shows_formula_substitution_and_result():
    text = worked_solution(80, fmt="text")
    key = mlp.answer_key(80)
    block = text.split("∂l/∂W¹ = δ¹ xᵀ\n")[1].split("\n\n")[0].splitlines()
    # formula line, then "= substituted values", then "= result"
    assert block[0].startswith("  = (") and "(1.00000, -1.00000, 1.50000)" in block[0]
    assert (
        block[1]
        == "  = [" + "; ".join(", ".join(f"{v:.5f}" for v in row) for row in key["dl_dW1"]) + "]"
    )
    # φ′ written with the slope where the pre-activation is negative (h̄¹₄ < 0 for id 80)
    assert "⊙ (1.00000, 1.00000, 1.00000, 0.01000)ᵀ" in text


def test_worked_solution_json_carries_full_precision():
    data = json.loads(worked_solution(3, fmt="json", label_smoothing=0.1))
    keys = [q["key"] for q in data["quantities"]]
    assert keys == list(mlp.KEYS)
    key = mlp.answer_key(3, label_smoothing=0.1)
    loss = next(q for q in data["quantities"] if q["key"] == "loss")
    assert loss["value"] == key["loss"] and "ỹ" in loss["formula"]
    assert data["inputs"]["label_smoothing"] == 0.1


def test_worked_solution_latex_is_one_align_block():
    tex = worked_solution(0, fmt="latex")
    assert tex.count(r"\begin{align*}") == 1 and tex.rstrip().endswith(r"\end{align*}")
    assert tex.count(r"\\") >= len(mlp.KEYS)


# --- figure --------------------------------------------------------------------------------
def test_network_figures_are_deterministic(tmp_path):
    import figures
    from figures import mlp as fm

    for name in ("forward", "backward"):
        first = figures.save(getattr(fm, name)(80), tmp_path / "a" / f"mlp.{name}")
        second = figures.save(fm.FIGURES[f"mlp.{name}"](), tmp_path / "b" / f"mlp.{name}")
        assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_network_figures_show_torchs_numbers():
    from figures import mlp as fm

    ref = vm.reference(vm.course_parameters(80), X, 3)
    forward = [t.get_text() for t in fm.forward(80).axes[0].texts]
    assert f"$l = {ref['loss']:.4f}$" in forward
    assert any(f"p_3 = {ref['p'][2, 0]:.4f}" in t for t in forward)
    fig = fm.backward(80)
    nodes = [t.get_text() for t in fig.axes[0].texts]
    # 12 + 12 weight gradients, one a table cell, with a true minus sign
    cells = [t.get_text() for ax in fig.axes[1:] for t in ax.texts]
    assert len(cells) == 24
    assert fm._signed(ref["dl_dW1"][3, 1]) in cells[:12]
    assert fm._signed(ref["dl_dW2"][2, 0]) in cells[12:]
    assert any(f"\\delta^1_4 = {fm._signed(ref['dl_dh1_bar'][3, 0])}" in t for t in nodes)


def test_network_figures_are_readable_at_a_column():
    from figures import mlp as fm

    # at 100 dpi a W-inch figure is shown at most 688 px wide: text of s pt is then
    # s·(688/(100·W))·100/72 px high, which must be at least 11
    for fig in (fm.forward(80), fm.backward(80)):
        width = fig.get_size_inches()[0]
        sizes = [t.get_fontsize() for ax in fig.axes for t in ax.texts]
        sizes += [lab.get_fontsize() for ax in fig.axes for lab in ax.get_xticklabels()]
        assert min(sizes) * min(1.0, 688 / (100 * width)) * 100 / 72 >= 11


def test_student_ids_alone_expose_the_phi_prime_slips():
    """Without the explicit-weight instances, the claim's student ids still catch a missing
    φ′ and ReLU′ — through the ids whose pre-activation is negative, and only those."""
    from verify.mlp.wrong import WRONG_ANSWERS as MUTATIONS

    muts = MUTATIONS["mlp.answer_key.autograd"]
    negative = {sid for sid in vm.STUDENTS if (vm.course_parameters(sid)["W1"] @ np.array(X)
                + vm.course_parameters(sid)["b1"].ravel() < 0).any()}  # fmt: skip
    for label in ("∂l/∂h̄¹ without φ′", "ReLU′ where LeakyReLU′ is due"):
        exposed = {
            sid
            for sid in vm.STUDENTS
            if not np.allclose(
                muts[label](sid)["dl_dW1"],
                vm.reference(vm.course_parameters(sid), X, 3)["dl_dW1"],
                rtol=1e-12,
                atol=1e-12,
            )
        }
        assert exposed == negative and len(negative) >= 3, (label, exposed, negative)


# --- other networks: ReLU, LeakyReLU of any slope, any hidden widths (issue 10, point 8) ----
def _literal_fit3181(student_id, hidden=(4, 4)):
    """The per-student recipe continued layer by layer, written out for this test."""
    state = np.random.get_state()
    np.random.seed(student_id)
    W1, b1 = np.random.rand(hidden[0], 3), np.random.rand(hidden[0], 1)
    W2, b2 = np.random.rand(hidden[1], hidden[0]), np.random.rand(hidden[1], 1)
    W3, b3 = np.random.rand(3, hidden[1]), np.random.rand(3, 1)
    np.random.set_state(state)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}


@pytest.mark.parametrize("student_id", [80, 12345678])
def test_fit3181_relu_network_per_student_agrees_with_torch(student_id):
    params = _literal_fit3181(student_id)
    got = mlp.student_parameters(student_id, hidden=(4, 4))
    assert list(got) == list(params)
    assert all(np.array_equal(got[k], params[k]) for k in params)
    key = mlp.answer_key(student_id, activation="relu", hidden=(4, 4))
    ref = vm.reference(params, X, 3, activation="relu")
    assert list(key) == list(ref)
    for k in ref:
        np.testing.assert_allclose(key[k], ref[k], rtol=1e-12, atol=1e-12, err_msg=k)
    # ŷ, by hand from torch's logits: the index of the largest, counted from 1
    logits = ref["h3"].ravel().tolist()
    assert key["y_hat"] == logits.index(max(logits)) + 1


@pytest.mark.parametrize(("activation", "slope"), [("relu", None), ("leaky_relu", 0.25)])
def test_two_hidden_layers_of_different_widths_with_exact_kinks(activation, slope):
    """3 → 4 → 3 → 3 with h̄¹₁ = h̄²₁ = 0 exactly (dyadic weights, checked with Fraction):
    torch's autograd gives φ′(0) = 0 (ReLU) or a (LeakyReLU) there, and so does the key."""
    from fractions import Fraction

    params, x = vm.dyadic_instance((3, 4, 3, 3), activation=activation, slope=slope, seed=0)
    assert not any(np.isin(v, (0.0, 1.0, -1.0)).any() for k, v in params.items() if "W" in k)
    # the pre-activations in exact arithmetic
    h = [Fraction(v) for v in x]
    a = Fraction(0) if slope is None else Fraction(slope)
    for k in (1, 2):
        W, b = params[f"W{k}"], params[f"b{k}"].ravel()
        pre = [sum(Fraction(W[i, j]) * h[j] for j in range(len(h))) + Fraction(b[i])
               for i in range(len(b))]  # fmt: skip
        assert pre[0] == 0 and any(u < 0 for u in pre) and any(u > 0 for u in pre), (k, pre)
        h = [u if u > 0 else a * u for u in pre]
    kw = {} if slope is None else {"slope": slope}
    key = mlp.answer_key(params=params, x=x, label=3, activation=activation, **kw)
    ref = vm.reference(params, x, 3, activation=activation, slope=slope or 0.0)
    for layer in (1, 2):
        assert key[f"h{layer}_bar"][0, 0] == 0.0
        incoming = ref[f"dl_dh{layer}"][0, 0]
        assert abs(incoming) > 1e-3  # the kink matters: φ′(0) = 1 would change δ
        assert ref[f"dl_dh{layer}_bar"][0, 0] == (slope or 0.0) * incoming  # torch's φ′(0)
    for k in ref:
        np.testing.assert_allclose(key[k], ref[k], rtol=1e-12, atol=1e-12, err_msg=k)


def test_phi_prime_at_zero_is_torchs():
    """The convention, read off torch: ReLU′(0) = 0 and LeakyReLU′(0) = a."""
    import torch

    from derivations.mlp.key import leaky_relu_prime, relu_prime

    u = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.relu(u).backward()
    assert relu_prime(np.zeros(1)).tolist() == u.grad.tolist() == [0.0]
    u.grad = None
    torch.nn.functional.leaky_relu(u, negative_slope=0.3).backward()
    assert leaky_relu_prime(np.zeros(1), 0.3).tolist() == u.grad.tolist() == [0.3]


def test_predicted_class_names_a_tie():
    params, x = vm.dyadic_instance((3, 4, 3, 3), seed=1, tie=True)
    text = worked_solution(params=params, x=x, label=2, activation="relu", fmt="text")
    logits = vm.reference(params, x, 2, activation="relu")["h3"].ravel()
    assert logits[0] == logits[1] == logits.max() and logits[2] < logits[0]
    assert mlp.answer_key(params=params, x=x, label=2, activation="relu")["y_hat"] == 1
    assert "a tie: classes 1, 2 share the largest logit" in text
    data = json.loads(worked_solution(params=params, x=x, label=2, activation="relu", fmt="json"))
    assert data["ties"] == [1, 2]


def test_worked_solution_states_the_kink():
    params, x = vm.dyadic_instance((3, 4, 3, 3), seed=0)
    text = worked_solution(params=params, x=x, label=3, activation="relu", fmt="text")
    assert "h̄¹₁ = 0 exactly, the kink: φ′(0) = 0 there" in text
    assert "h̄²₁ = 0 exactly, the kink: φ′(0) = 0 there" in text
    assert text.splitlines()[0].endswith("ReLU (φ′(0) = 0, as torch)")
    assert "network 3 → 4 → 3 → 3" in text.splitlines()[0]


def test_two_hidden_layer_derivation_differentiates_the_real_network():
    """What SymPy differentiates in mlp.backprop.deep.relu.dl_dW1 is the ReLU net: at normal
    weights of widths (2, 3, 2, 2), its first step equals torch autograd's ∂l/∂W¹."""
    from derivations.mlp import deep

    d = mlp.derivation("mlp.backprop.deep.relu.dl_dW1")
    params = vm.explicit_parameters_deep(deep.WIDTHS, seed=4)
    x = np.array([0.7, -1.3])
    ref = vm.reference(params, x, deep.LABEL, activation="relu")
    values = {}
    for s in d.symbols:
        name = s.name
        if name.startswith("x_"):
            values[s] = x[int(name[2:]) - 1]
        else:
            matrix = params[name[0] + name[2]]
            idx = name.split("_")[1]
            values[s] = matrix[int(idx[0]) - 1, int(idx[1]) - 1 if len(idx) > 1 else 0]
    assert (ref["h1_bar"] < 0).any() or (ref["h2_bar"] < 0).any()
    got = np.array(d.steps[0].expr.doit().xreplace(values), dtype=float)
    np.testing.assert_allclose(got, ref["dl_dW1"], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "name", "error"),
    [
        ({"student_id": 1, "activation": "relu", "slope": 0.1}, "slope", ValueError),
        ({"student_id": 1, "activation": "tanh"}, "activation", ValueError),
        ({"student_id": 1, "slope": float("nan")}, "slope", ValueError),
        ({"student_id": 1, "slope": True}, "slope", TypeError),
        ({"student_id": 1, "hidden": (4, 0)}, r"hidden\[1\]", ValueError),
        ({"student_id": 1, "hidden": ()}, "hidden", ValueError),
        ({"student_id": 1, "hidden": 4}, "hidden", TypeError),
        ({"student_id": 1, "hidden": (4, 2.5)}, r"hidden\[1\]", TypeError),
        ({"student_id": 1, "hidden": (1000, 1000)}, "hidden", ValueError),
        ({"params": mlp.student_parameters(1), "hidden": (4, 4)}, "hidden", ValueError),
        ({"student_id": 1, "lr": 1j}, "lr", TypeError),
        ({"student_id": 1, "lr": True}, "lr", TypeError),
        ({"student_id": 1, "label_smoothing": 0.1 + 0j}, "label_smoothing", TypeError),
        ({"student_id": 1, "x": (1.0, 2j, 3.0)}, r"x\[1\]", TypeError),
        ({"student_id": 1, "x": np.array([1.0, 2.0, 3.0], dtype=complex)}, "x", TypeError),
        ({"student_id": 1, "x": (1.0, True, 3.0)}, r"x\[1\]", TypeError),
        ({"student_id": 1, "x": (1.0, "2", 3.0)}, r"x\[1\]", TypeError),
        ({"student_id": 80, "x": (10, -10, 15), "label": 1, "lr": 1e308}, "lr", ValueError),
        ({"student_id": 80, "x": (1e308, 1e308, 1e308)}, "params, x", ValueError),
    ],
)
def test_bad_input_of_the_new_options_names_the_argument(kwargs, name, error):
    with pytest.raises(error, match=f"^{name}"):
        mlp.answer_key(**kwargs)


def test_parameters_with_a_bool_or_a_string_are_refused():
    good = {k: v.tolist() for k, v in mlp.student_parameters(0).items()}
    for bad in (True, "0.5", None, 1 + 0j):
        W1 = [row[:] for row in good["W1"]]
        W1[1][2] = bad
        with pytest.raises(TypeError, match=r"^params\['W1'\]\[1\]\[2\]"):
            mlp.answer_key(params={**good, "W1": W1})


def test_huge_finite_inputs_give_finite_keys_or_a_named_refusal():
    """Every value an answer key returns is finite: a NaN loss is never returned."""
    for x in ((1e150, -1e150, 1e150), (1e300, 1.0, 1.0), (1e308, 1e308, 1e308)):
        try:
            key = mlp.answer_key(80, x=x)
        except ValueError as exc:
            assert str(exc).startswith("params, x:")
        else:
            assert all(np.all(np.isfinite(v)) for v in key.values())


def test_only_the_exact_kinks_expose_phi_prime_at_zero_equal_one():
    """In mlp.answer_key.autograd, φ′(0) = 1 is wrong exactly on the dyadic instances, where
    a pre-activation is exactly 0 (no student id hits the kink)."""
    from verify.mlp.wrong import WRONG_ANSWERS as MUTATIONS

    wrong = MUTATIONS["mlp.answer_key.autograd"]["φ′(0) = 1 at the kink (torch: LeakyReLU′(0) = a)"]
    exposed, kinked = [], []
    for kwargs, (params, x, label) in vm._cases():
        ref = vm.reference(params, x, label)
        kinked.append(bool((ref["h1_bar"] == 0).any()))
        got = wrong(**kwargs)
        exposed.append(not np.allclose(got["dl_dW1"], ref["dl_dW1"], rtol=1e-12, atol=1e-12))
    assert exposed == kinked and sum(kinked) == len(vm.KINKS_ONE_LAYER)


# --- index forms ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "derivation_id",
    [i for i in mlp.ids() if mlp.index_form(i) is not None],
)
def test_index_form_agrees_entrywise_with_the_derived_matrix(derivation_id):
    import sympy as sp

    form = mlp.index_form(derivation_id)
    result = mlp.derivation(derivation_id).result.doit()
    result = result.as_explicit() if hasattr(result, "as_explicit") else sp.Matrix(result)
    assert form.shape == result.shape
    assert form.disagreements(result) == []
    # the comparison can fail: the same entries, one column shifted, disagree
    if result.cols > 1:
        shifted = sp.Matrix(*result.shape, lambda i, j: result[i, (j + 1) % result.cols])
    else:
        shifted = sp.Matrix(*result.shape, lambda i, _: result[(i + 1) % result.rows, 0])
    assert form.disagreements(shifted)


def test_every_result_wider_than_a_column_has_an_index_form():
    from derivations.render import LARGEST_SHOWN

    for derivation_id in mlp.ids():
        result = mlp.derivation(derivation_id).result
        big = hasattr(result, "shape") and max(result.shape) > LARGEST_SHOWN
        assert big == (mlp.index_form(derivation_id) is not None), derivation_id
