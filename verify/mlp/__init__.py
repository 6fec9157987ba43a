"""Claims about backpropagation, checked against torch on the very same instances.

The measured side never calls :mod:`derivations`: it draws each student's weights with the
course's own recipe (the legacy *global* NumPy generator), builds the network from
``torch.nn.functional`` (``F.leaky_relu``, ``F.cross_entropy``) or
``torch.nn.CrossEntropyLoss(label_smoothing=α)``, in float64, lets autograd produce every
gradient (``retain_grad`` on the hidden quantities) and ``torch.optim.SGD`` take the step.
A candidate is any function with the signature of the derived one (the derived one itself
by default), so a wrong implementation meets the same numbers.

Networks with more hidden layers (``F.relu`` or ``F.leaky_relu``) are checked the same way,
per student (the recipe continued layer by layer) and on explicit weights; some weights are
multiples of 1/8 chosen so that a pre-activation is exactly 0 (:func:`dyadic_instance`), where
torch's ReLU′(0) = 0 and LeakyReLU′(0) = a decide, or so that two logits tie and ŷ must be the
first of them.

>>> from verify.claims import get
>>> e = get("mlp.answer_key.autograd").check()
>>> e.passed, e.n
(True, 32)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from derivations import mlp
from verify.claims import Evidence, claim
from verify.evidence import Witness, worst_entry
from verify.lazy import F, torch

X = (1.0, -1.0, 1.5)
LABEL, LR, SLOPE = 3, 0.01, 0.01
# Rounding: every quantity is a dozen float64 operations on numbers of size ≤ ~10, so the two
# implementations differ by ~1e-14 at most; 1e-12 (what the answer key promises) still sits far
# below the smallest effect of any mutation we test (ReLU′ for LeakyReLU′ moves a gradient by
# 1% of ∂l/∂h¹, i.e. ≥ 1e-4 on these instances).
ATOL = RTOL = 1e-12

# With rand weights and biases in [0, 1) and x = (1, −1, 1.5), a pre-activation is negative
# for only ~12% of ids (0 to 200 hold 24): where every h̄¹ > 0, φ′ = 1 and a key that forgets
# φ′, or uses ReLU′, is still right. Ids 1, 15, 35, 80 (h̄¹_4 = −0.56) and 105 have a negative
# pre-activation, so those mutations are exposed; 2**32 − 1 is the largest id NumPy accepts.
STUDENTS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 35, 42, 80, 105, 2024, 123456, 2**32 - 1)
# Labels 1 and 2 as well: with label 3 of 3 classes, a 0-based reading fails loudly (index
# out of range), with 1 and 2 it silently picks the next class — both must be caught.
OTHER_LABELS = ((0, 1), (0, 2), (1, 1), (80, 2), (15, 1), (7, 2))
# Explicit weights of other widths (d0, d1, M), normal draws: many negative pre-activations.
WIDTHS = ((3, 4, 3), (5, 3, 4), (2, 6, 2), (4, 4, 4), (1, 2, 5))
SMOOTHING = (0.05, 0.1, 0.3, 0.9)
LEARNING_RATES = (0.01, 0.1, 1.0, 0.0)


def course_parameters(student_id: int) -> dict[str, np.ndarray]:
    """The course's recipe verbatim: seed the global generator, draw W1, b1, W2, b2.

    The caller's global NumPy state is restored afterwards.

    >>> course_parameters(0)["W1"].shape
    (4, 3)
    """
    state = np.random.get_state()
    try:
        np.random.seed(student_id)
        W1 = np.random.rand(4, 3)
        b1 = np.random.rand(4, 1)
        W2 = np.random.rand(3, 4)
        b2 = np.random.rand(3, 1)
    finally:
        np.random.set_state(state)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def explicit_parameters(widths, seed: int) -> dict[str, np.ndarray]:
    """Normal weights for a ``d0 → d1 → M`` network (biases as columns).

    >>> {k: v.shape for k, v in explicit_parameters((5, 3, 4), 0).items()}
    {'W1': (3, 5), 'b1': (3, 1), 'W2': (4, 3), 'b2': (4, 1)}
    """
    d0, d1, m = widths
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(size=(d1, d0)),
        "b1": rng.normal(size=(d1, 1)),
        "W2": rng.normal(size=(m, d1)),
        "b2": rng.normal(size=(m, 1)),
    }


def course_parameters_deep(student_id: int, hidden) -> dict[str, np.ndarray]:
    """The course's recipe continued for more hidden layers, written out: seed the global
    generator, then ``W1 = rand(h1, 3); b1 = rand(h1, 1); W2 = rand(h2, h1); …`` layer by
    layer (the FIT3181 network is ``hidden = (4, 4)``). The global state is restored.

    >>> list(course_parameters_deep(0, (4, 3)))
    ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
    """
    widths = (3, *hidden, 3)
    state = np.random.get_state()
    out = {}
    try:
        np.random.seed(student_id)
        for k in range(1, len(widths)):
            out[f"W{k}"] = np.random.rand(widths[k], widths[k - 1])
            out[f"b{k}"] = np.random.rand(widths[k], 1)
    finally:
        np.random.set_state(state)
    return out


def dyadic_instance(widths, *, activation="relu", slope=None, seed=0, tie=False, x=None):
    """Explicit weights on which the answer key must get the kink right: every weight a
    multiple of 1/8 (never 0 or ±1), and in each hidden layer the first pre-activation exactly
    0, the second positive, the third negative, made so by the biases. The values are dyadic rationals, so float64 carries them exactly
    (checked with ``Fraction``): the zero is a zero, not a rounding. With ``tie`` the first
    two logits are equal and the largest, so ``ŷ`` must name the first of them.

    Returns ``(params, x)``; ``slope`` must be dyadic too (0.25, 0.125) for the exactness
    to survive a LeakyReLU layer.

    >>> params, x = dyadic_instance((3, 4, 3, 3), seed=1)
    >>> sorted(params)
    ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']
    """
    rng = np.random.default_rng(seed)
    a = Fraction(0) if activation == "relu" else Fraction(slope)
    values = [Fraction(int(v), 8) for v in (-7, -6, -5, -3, -2, -1, 1, 2, 3, 5, 6, 7)]

    def draw(*shape):
        return [[values[int(rng.integers(len(values)))] for _ in range(shape[1])]
                for _ in range(shape[0])]  # fmt: skip

    h = [[Fraction(v)] for v in (x if x is not None else (1, -1, 1.5))]
    params = {}
    depth = len(widths) - 1
    for k in range(1, depth + 1):
        W = draw(widths[k], widths[k - 1])
        z = [sum(W[i][j] * h[j][0] for j in range(widths[k - 1])) for i in range(widths[k])]
        b = [values[int(rng.integers(len(values)))] for _ in range(widths[k])]
        if k < depth:
            # unit 1 at the kink, unit 2 active, unit 3 (if any) inactive: all three cases
            for i, offset in ((0, 0), (1, Fraction(3, 8)), (2, Fraction(-5, 8)))[: widths[k]]:
                b[i] = offset - z[i]
                while b[i] in (0, 1, -1):  # no bias 0 or ±1: move the offset a little
                    offset += Fraction(1, 8) if offset >= 0 else Fraction(-1, 8)
                    b[i] = offset - z[i]
                    if i == 0:  # the kink stays at 0: redraw its weights instead
                        W[0] = draw(1, widths[k - 1])[0]
                        z[0] = sum(W[0][j] * h[j][0] for j in range(widths[k - 1]))
                        offset, b[0] = 0, -z[0]
        elif tie:
            top = max(zi + bi for zi, bi in zip(z, b, strict=True)) + Fraction(1, 2)
            b[0], b[1] = top - z[0], top - z[1]
        pre = [zi + bi for zi, bi in zip(z, b, strict=True)]
        h = [[u if u > 0 else a * u] for u in pre] if k < depth else [[u] for u in pre]
        params[f"W{k}"] = np.array(W, dtype=np.float64)
        params[f"b{k}"] = np.array([[v] for v in b], dtype=np.float64)
        # exactness: every value survives the trip to float64 unchanged
        assert all(Fraction(float(v)) == v for row in W for v in row)
        assert all(Fraction(float(v)) == v for v in b)
    return params, np.array(x if x is not None else (1.0, -1.0, 1.5), dtype=np.float64)


def _names(depth: int) -> list[str]:
    """The answer-key quantities of a net of ``depth`` layers, named as the key names them."""
    names = [f"h{k}{s}" for k in range(1, depth) for s in ("_bar", "")]
    names += [f"h{depth}", "p", "y_hat", "loss", f"dl_dh{depth}"]
    for k in range(depth, 0, -1):
        names += [f"dl_dW{k}", f"dl_db{k}"] + (
            [f"dl_dh{k - 1}", f"dl_dh{k - 1}_bar"] if k > 1 else []
        )
    return names + [f"{n}{k}_new" for k in range(depth, 0, -1) for n in ("W", "b")]


def reference(
    params,
    x,
    label,
    *,
    lr=LR,
    label_smoothing=0.0,
    slope=SLOPE,
    activation="leaky_relu",
    module=False,
):
    """Every answer-key quantity from torch: autograd for the gradients, ``optim.SGD`` for
    the step, ``torch.argmax`` (first maximum) for ``ŷ``. Any depth: ``params`` holds
    ``W1, b1, …, WL, bL``; hidden layers apply ``F.relu`` or ``F.leaky_relu``.
    ``module=True`` takes the loss from ``nn.CrossEntropyLoss`` instead of
    ``F.cross_entropy``.

    >>> r = reference(course_parameters(0), X, 3)
    >>> sorted(r) == sorted(mlp.KEYS), r["dl_dW2"].shape
    (True, (3, 4))
    """
    depth = len(params) // 2
    leaves = {
        k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
        for k, v in params.items()
    }
    h = torch.tensor(np.asarray(x, dtype=np.float64)).reshape(-1, 1)
    values = {}
    for k in range(1, depth + 1):
        pre = leaves[f"W{k}"] @ h + leaves[f"b{k}"].reshape(-1, 1)
        if k == depth:
            h = pre
            values[f"h{k}"] = h
            break
        if activation == "relu":
            h = F.relu(pre)
        else:
            h = F.leaky_relu(pre, negative_slope=slope)
        values[f"h{k}_bar"], values[f"h{k}"] = pre, h
    for t in values.values():
        t.retain_grad()
    target = torch.tensor([label - 1])
    if module:
        loss = torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing)(h.T, target)
    else:
        loss = F.cross_entropy(h.T, target, label_smoothing=label_smoothing)
    optimizer = torch.optim.SGD(list(leaves.values()), lr=lr)
    optimizer.zero_grad()
    loss.backward()
    out = {k: values[k] for k in values}
    out.update({"p": torch.softmax(h, dim=0), "loss": loss})
    for name, t in values.items():
        out[f"dl_d{name}"] = t.grad
    for k in range(1, depth + 1):
        out[f"dl_dW{k}"], out[f"dl_db{k}"] = leaves[f"W{k}"].grad, leaves[f"b{k}"].grad
    out = {k: v.detach().numpy().copy() for k, v in out.items()}
    out["y_hat"] = int(torch.argmax(h)) + 1  # torch returns the first maximum
    optimizer.step()
    out.update({f"{k}_new": v.detach().numpy().copy() for k, v in leaves.items()})
    return {k: out[k] for k in _names(depth)}


#: Instances where a pre-activation is exactly 0 (see :func:`dyadic_instance`): at the kink
#: torch's autograd returns φ′(0) = 0 for ReLU and the slope for LeakyReLU, and a key using
#: φ′(0) = 1 differs there. Widths, label; seeds chosen so the kink's gradient is not 0.
KINKS_ONE_LAYER = (((3, 4, 3), 3, 0), ((3, 4, 3), 1, 1), ((3, 5, 4), 2, 2))


def _cases(smoothing=(0.0,), rates=(LR,)):
    """(candidate kwargs, reference args) for every instance of a one-hidden-layer claim."""
    cases = []
    for alpha in smoothing:
        for lr in rates:
            common = dict(lr=lr, label_smoothing=alpha)
            for sid in STUDENTS:
                cases.append((dict(student_id=sid, **common), (course_parameters(sid), X, LABEL)))
            for sid, label in OTHER_LABELS:
                cases.append(
                    (
                        dict(student_id=sid, label=label, **common),
                        (course_parameters(sid), X, label),
                    )
                )
            for seed, widths in enumerate(WIDTHS):
                params = explicit_parameters(widths, seed)
                x = np.linspace(-1.0, 1.5, widths[0])
                label = 1 + seed % widths[2]
                cases.append((dict(params=params, x=x, label=label, **common), (params, x, label)))
            for widths, label, seed in KINKS_ONE_LAYER:
                params, x = dyadic_instance(widths, activation="leaky_relu", slope=0.25, seed=seed)
                cases.append((dict(params=params, x=x, label=label, **common), (params, x, label)))
    return cases


#: Networks with two or more hidden layers: the FIT3181 question (3 → 4 → 4 → 3 per
#: student), hidden layers of different widths (4, 3) so a transposed or swapped matrix
#: cannot fit, and three hidden layers.
DEEP_STUDENTS = ((80, (4, 4)), (0, (4, 4)), (15, (4, 4)), (2**32 - 1, (4, 4)), (1, (4, 3)),
                 (35, (4, 3)), (105, (5, 3)))  # fmt: skip
DEEP_WIDTHS = ((3, 4, 3, 3), (3, 4, 4, 3), (2, 5, 3, 4), (4, 3, 5, 2, 3))
#: (widths, label, seed, tie): exact kinks in every hidden layer; with a tie the first two
#: logits are equal and the largest.
DEEP_KINKS = (
    ((3, 4, 3, 3), 3, 0, False),
    ((3, 4, 3, 3), 2, 1, True),
    ((3, 4, 4, 3), 1, 2, False),
    ((2, 3, 4, 3, 2), 2, 3, True),
)


def _deep_cases(activation: str, slopes):
    """(candidate kwargs, reference args) for a claim about deeper networks."""
    cases = []
    for slope in slopes:
        common = dict(lr=0.05, label_smoothing=0.0, activation=activation)
        if activation == "leaky_relu":
            common["slope"] = slope
        for sid, hidden in DEEP_STUDENTS:
            params = course_parameters_deep(sid, hidden)
            cases.append((dict(student_id=sid, hidden=hidden, **common), (params, X, LABEL)))
        for seed, widths in enumerate(DEEP_WIDTHS):
            params = explicit_parameters_deep(widths, seed)
            x = np.linspace(-1.0, 1.5, widths[0])
            label = 1 + seed % widths[-1]
            cases.append((dict(params=params, x=x, label=label, **common), (params, x, label)))
        # kinks need a dyadic slope to stay exact through a LeakyReLU layer
        exact = 0.25 if activation == "leaky_relu" else None
        for widths, label, seed, tie in DEEP_KINKS:
            params, x = dyadic_instance(
                widths, activation=activation, slope=exact, seed=seed, tie=tie,
                x=np.linspace(-1.0, 1.5, widths[0]) if widths[0] != 3 else None,
            )  # fmt: skip
            kw = {**common, **({"slope": exact} if exact is not None else {})}
            cases.append((dict(params=params, x=x, label=label, **kw), (params, x, label)))
    return cases


def explicit_parameters_deep(widths, seed: int) -> dict[str, np.ndarray]:
    """Normal weights for a network of any ``widths`` (input first, classes last).

    >>> list(explicit_parameters_deep((2, 3, 4, 2), 0))
    ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
    """
    rng = np.random.default_rng(seed)
    out = {}
    for k in range(1, len(widths)):
        out[f"W{k}"] = rng.normal(size=(widths[k], widths[k - 1]))
        out[f"b{k}"] = rng.normal(size=(widths[k], 1))
    return out


def _gap(value, expected) -> float:
    a, b = np.asarray(value, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        return np.inf
    err = np.abs(a - b) / (ATOL + RTOL * np.abs(b))
    return float(np.max(err, initial=0.0)) if np.all(np.isfinite(a)) else np.inf


def _key_check(
    claim_id,
    which,
    *,
    smoothing=(0.0,),
    rates=(LR,),
    module=False,
    what="",
    method="autograd",
    cases=None,
):
    """A check comparing the candidate's ``which`` quantities (``"gradients"``: the forward
    values, ŷ and every gradient; ``"updates"``: the new parameters) with torch's."""

    def check(candidate, seed):
        fn = candidate
        worst = (0.0, None, None)
        witness = None
        loss_error, failing = 0.0, 0
        instances = _cases(smoothing, rates) if cases is None else cases()
        for kwargs, (params, x, label) in instances:
            ref = reference(
                params,
                x,
                label,
                lr=kwargs["lr"],
                label_smoothing=kwargs["label_smoothing"],
                slope=kwargs.get("slope", SLOPE),
                activation=kwargs.get("activation", "leaky_relu"),
                module=module,
            )
            keys = [k for k in ref if k.endswith("_new") == (which == "updates")]
            try:
                got = fn(**kwargs)
                gaps = {k: _gap(got[k], ref[k]) for k in keys}
            except Exception as exc:  # noqa: BLE001 - a candidate that crashes is wrong
                gaps = {"(raised)": np.inf}
                kwargs = {**kwargs, "error": f"{type(exc).__name__}: {exc}"}
            if "loss" in keys and np.isfinite(gaps.get("loss", np.inf)):
                loss_error = max(loss_error, abs(float(got["loss"]) - float(ref["loss"])))
            k = max(gaps, key=gaps.get)
            failing += gaps[k] > 1.0
            if gaps[k] > worst[0] or worst[1] is None:
                worst = (gaps[k], k, kwargs)
                at = {n: v for n, v in kwargs.items() if n not in ("params", "error")}
                witness = (
                    Witness({**at, "quantity": k}, kwargs.get("error", "raised"), "a value")
                    if k == "(raised)"
                    else worst_entry(got[k], ref[k], {**at, "quantity": k})
                )
        ratio, key, where = worst
        passed = ratio <= 1.0
        shown = {k: v for k, v in where.items() if k != "params"}
        if passed:
            message = (
                f"{what} agree with torch on {len(instances)} "
                f"instances to {ATOL:g} (worst at {ratio:.2g} of the tolerance)"
            )
        else:
            message = (
                f"wrong on {failing} of {len(instances)} instances; worst: {key} differs from "
                f"torch at {shown}"
            )
        return Evidence(
            claim_id,
            method,
            passed,
            expected="torch autograd / optim.SGD",
            measured=getattr(candidate, "__qualname__", "candidate"),
            error=ratio * ATOL if np.isfinite(ratio) else float("inf"),
            tolerance=ATOL,
            n=len(instances),
            message=message,
            details={"worst_key": key, "worst_case": str(shown), "max_loss_error": loss_error},
            witness=witness,
        )

    return check


def _parameters_check(candidate, seed):
    fn = candidate
    ids = [*range(0, 200), 2**31, 2**32 - 1]
    state = np.random.get_state()
    bad = witness = None
    for sid in ids:
        expected = course_parameters(sid)
        try:
            got = fn(sid)
            same = list(got) == list(expected) and all(
                np.array_equal(got[k], expected[k]) for k in expected
            )
            if not same:
                key = next(
                    (k for k in expected if k not in got or np.shape(got[k]) != expected[k].shape),
                    None,
                ) or next(k for k in expected if not np.array_equal(got[k], expected[k]))
                witness = (
                    Witness({"student_id": sid, "parameter": key}, "missing or reshaped", "")
                    if key not in got or np.shape(got[key]) != expected[key].shape
                    else worst_entry(got[key], expected[key], {"student_id": sid, "parameter": key})
                )
        except Exception as exc:  # noqa: BLE001 - a candidate that crashes is wrong
            same = False
            witness = Witness({"student_id": sid}, f"raised {type(exc).__name__}", "the weights")
        if not same:
            bad = sid
            break
    untouched = all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), state, strict=True))
    passed = bad is None and untouched
    if bad is not None:
        message = f"differs from np.random.seed({bad}); rand(4,3), rand(4,1), rand(3,4), rand(3,1)"
    elif not untouched:
        message = "equal draws, but the caller's global NumPy state was changed"
        witness = Witness({}, "the global NumPy state changed", "the global state as it was")
    else:
        message = (
            f"bit-identical to the course's global-seed recipe for {len(ids)} ids; "
            "the global NumPy state is left as it was"
        )
    return Evidence(
        "mlp.student_parameters",
        "exact",
        passed,
        expected="np.random.seed(id); W1, b1, W2, b2 = rand(4,3), rand(4,1), rand(3,4), rand(3,1)",
        error=0.0 if passed else None,
        tolerance=0.0,
        n=len(ids),
        message=message,
        witness=witness,
    )


# --- any depth ----------------------------------------------------------------------------
#: Layer widths of the deeper networks (input first, classes last).
DEEP = ((3, 4, 3), (4, 5, 5, 3), (2, 3, 4, 3, 2), (6, 2, 6, 2, 6, 4), (3, 3))


def deep_reference(weights, biases, x, label, *, slope=SLOPE):
    """Gradients of every layer's weights and biases from torch autograd.

    >>> w = [np.eye(2)]; b = [np.zeros((2, 1))]
    >>> g = deep_reference(w, b, np.zeros((2, 1)), 1)
    >>> g["dl_db"][0].ravel().tolist()
    [-0.5, 0.5]
    """
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]
    h = torch.tensor(x)
    for k, (w, b) in enumerate(zip(ws, bs, strict=True)):
        h = w @ h + b
        if k < len(ws) - 1:
            h = F.leaky_relu(h, negative_slope=slope)
    F.cross_entropy(h.T, torch.tensor([label - 1])).backward()
    return {"dl_dW": [w.grad.numpy() for w in ws], "dl_db": [b.grad.numpy() for b in bs]}


def _deep_check(candidate, seed):
    fn = candidate
    rng = np.random.default_rng(seed)
    worst, where, witness = 0.0, None, None
    for widths in DEEP:
        weights = [rng.normal(size=(o, i)) for i, o in zip(widths, widths[1:], strict=False)]
        biases = [rng.normal(size=(o, 1)) for o in widths[1:]]
        x = rng.normal(size=(widths[0], 1))
        label = int(rng.integers(1, widths[-1] + 1))
        ref = deep_reference(weights, biases, x, label)
        pairs = [(name, k) for name in ("dl_dW", "dl_db") for k in range(len(weights))]
        try:
            got = fn(weights, biases, x, label)
            gaps = [_gap(got[name][k + 1], ref[name][k]) for name, k in pairs]
        except Exception as exc:  # noqa: BLE001 - a candidate that crashes is wrong
            gaps, got = [np.inf], f"raised {type(exc).__name__}"
        if max(gaps) > worst or where is None:
            worst, where = max(gaps), widths
            at = {"widths": widths}
            if isinstance(got, str):
                witness = Witness(at, got, "the gradients")
            else:
                name, k = pairs[int(np.argmax(gaps))]
                quantity = f"{name}[{k + 1}]"
                witness = worst_entry(got[name][k + 1], ref[name][k], {**at, "quantity": quantity})
    passed = worst <= 1.0
    return Evidence(
        "mlp.backprop.depth",
        "autograd",
        passed,
        expected="torch autograd",
        error=worst * ATOL if np.isfinite(worst) else float("inf"),
        tolerance=ATOL,
        n=len(DEEP),
        witness=witness,
        message=(
            f"the layer rules give every ∂l/∂Wᵏ, ∂l/∂bᵏ of {len(DEEP)} LeakyReLU nets of depth "
            f"1 to {max(len(w) for w in DEEP) - 1} as torch autograd does"
            if passed
            else f"differs from torch autograd on the net of widths {where}"
        ),
    )


def _declare(claim_id, statement, method, check, derived):
    claim(claim_id, statement, method=method, answer="implementation", derived=derived)(check)


_declare(
    "mlp.student_parameters",
    "student_parameters(id) draws exactly the course's W1, b1, W2, b2",
    "exact",
    _parameters_check,
    lambda: mlp.student_parameters,
)
_declare(
    "mlp.answer_key.autograd",
    "every forward value and gradient of the answer key equals torch autograd's",
    "autograd",
    _key_check(
        "mlp.answer_key.autograd", "gradients", what="h̄¹, h¹, h², p, ŷ, l and all gradients"
    ),
    lambda: mlp.answer_key,
)
_declare(
    "mlp.answer_key.label_smoothing",
    "with label smoothing α the loss and every gradient equal those of "
    "torch.nn.CrossEntropyLoss(label_smoothing=α)",
    "autograd",
    _key_check(
        "mlp.answer_key.label_smoothing",
        "gradients",
        smoothing=SMOOTHING,
        module=True,
        what=f"loss and gradients for α in {SMOOTHING}",
    ),
    lambda: mlp.answer_key,
)
_declare(
    "mlp.sgd_step",
    "the updated W², b², W¹, b¹ equal one step of torch.optim.SGD",
    "torch-reference",
    _key_check(
        "mlp.sgd_step",
        "updates",
        rates=LEARNING_RATES,
        what=f"updated parameters for η in {LEARNING_RATES}",
        method="torch-reference",
    ),
    lambda: mlp.answer_key,
)
_declare(
    "mlp.backprop.depth",
    "the layer rules hold at any depth and width",
    "autograd",
    _deep_check,
    lambda: mlp.backprop,
)
_declare(
    "mlp.answer_key.relu",
    "for ReLU networks with two and three hidden layers (the FIT3181 3 → 4 → 4 → 3 per "
    "student, 3 → 4 → 3 → 3, …) every value, ŷ and every gradient of the answer key equal "
    "torch's, with ReLU′(0) = 0 where a pre-activation is exactly 0 and ŷ the first of tied "
    "logits",
    "autograd",
    _key_check(
        "mlp.answer_key.relu",
        "gradients",
        what="ReLU nets with 2–3 hidden layers: forward values, ŷ and all gradients",
        cases=lambda: _deep_cases("relu", (None,)),
    ),
    lambda: mlp.answer_key,
)
_declare(
    "mlp.answer_key.leaky_relu",
    "for LeakyReLU networks with two and three hidden layers, slopes 0.01 and 0.2 (0.25 on the "
    "exact-kink instances), every value, ŷ and every gradient of the answer key equal torch's, "
    "with LeakyReLU′(0) = a",
    "autograd",
    _key_check(
        "mlp.answer_key.leaky_relu",
        "gradients",
        what="LeakyReLU nets with 2–3 hidden layers: forward values, ŷ and all gradients",
        cases=lambda: _deep_cases("leaky_relu", (0.01, 0.2)),
    ),
    lambda: mlp.answer_key,
)
