"""The ECE 288 checks of fc, ReLU, softmax loss and TwoLayerNet: the built-in example course.

The course's notebooks are the public cs231n assignment checks (``FullyConnectedNets``:
``affine_forward``, ``affine_backward``, ``relu_forward``, ``relu_backward``,
``softmax_loss`` and the ``TwoLayerNet`` of ``fc_net.py``). Their data are not in this
repository: these are **reconstructed** from the standard assignment as we know it — the same
``np.linspace`` and ``np.random.seed(231)`` recipes, the same printed "correct" values, the
same pass rules (an ``assert`` where the notebook has one; where it only prints a relative
error and says what it "should be around", the rule a marker applies is written as a
threshold here, stated in each check). tests/test_instructors.py confirms the
reconstruction by computation: the correct layers reproduce every printed value the
notebook compares with (scores to 1e-8, losses to 1e-10), and the TwoLayerNet data have every
hidden pre-activation positive, the smallest 3.88.

The same content is shipped as tests/data/ece288_checks.json, the example of the file
format :func:`verify.audit.checks.load` reads.

>>> [c["name"] for c in CHECKS["checks"]][:3]
['affine_forward output', 'affine_backward gradient', 'relu_forward output']
"""

_NET = {
    "W1": {"linspace": [-0.7, 0.3], "shape": [5, 50]},
    "b1": {"linspace": [-0.1, 0.9], "shape": [50]},
    "W2": {"linspace": [-0.3, 0.4], "shape": [50, 7]},
    "b2": {"linspace": [-0.9, 0.1], "shape": [7]},
    # X = np.linspace(-5.5, 4.5, num=N*D).reshape(D, N).T
    "X": {"linspace": [-5.5, 4.5], "shape": [5, 3], "transpose": True},
    "y": [0, 5, 1],
}

CHECKS = {
    "course": "ECE 288 (cs231n FullyConnectedNets checks, reconstructed)",
    "data": {
        "affine_forward": {
            "x": {"linspace": [-0.1, 0.5], "shape": [2, 4, 5, 6]},
            "w": {"linspace": [-0.2, 0.3], "shape": [120, 3]},
            "b": {"linspace": [-0.3, 0.1], "shape": [3]},
        },
        "affine_backward": {
            "seed": 231,
            "x": {"randn": [10, 2, 3]},
            "w": {"randn": [6, 5]},
            "b": {"randn": [5]},
            "dout": {"randn": [10, 5]},
        },
        "relu_forward": {"x": {"linspace": [-0.5, 0.5], "shape": [3, 4]}},
        "relu_backward": {"seed": 231, "x": {"randn": [10, 10]}, "dout": {"randn": [10, 10]}},
        "softmax_loss": {
            "seed": 231,
            "x": {"randn": [50, 10], "scale": 0.001},
            "y": {"randint": 10, "shape": [50]},
        },
        "two_layer_net": _NET,
    },
    "checks": [
        {
            "name": "affine_forward output",
            "data": "affine_forward",
            "test": "affine_output",
            "expected": [
                [1.49834967, 1.70660132, 1.91485297],
                [3.25553199, 3.5141327, 3.77273342],
            ],
            "below": 1e-7,
            "rule": "rel_error(out, correct_out) printed; 'should be around e-9', read as < 1e-7",
        },
        {
            "name": "affine_backward gradient",
            "data": "affine_backward",
            "test": "affine_gradient",
            "below": 1e-7,
            "rule": "rel_error of dx, dw, db against eval_numerical_gradient_array of the "
            "student's affine_forward; 'should be around e-10', read as < 1e-7",
        },
        {
            "name": "relu_forward output",
            "data": "relu_forward",
            "test": "relu_output",
            "expected": [
                [0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.04545455, 0.13636364],
                [0.22727273, 0.31818182, 0.40909091, 0.5],
            ],
            "below": 1e-7,
            "rule": "rel_error(out, correct_out); 'should be around 5e-8', read as < 1e-7",
        },
        {
            "name": "relu_backward gradient",
            "data": "relu_backward",
            "test": "relu_gradient",
            "below": 1e-7,
            "rule": "rel_error of dx against the numerical gradient of the student's "
            "relu_forward; 'should be around 3e-12', read as < 1e-7",
        },
        {
            "name": "softmax_loss loss and gradient",
            "data": "softmax_loss",
            "test": "softmax",
            "expected_loss": 2.3,
            "loss_within": 0.05,
            "below": 1e-7,
            "rule": "'loss should be close to 2.3' (read as within 0.05) and rel_error of dx "
            "against eval_numerical_gradient 'around 1e-8' (read as < 1e-7)",
        },
        {
            "name": "TwoLayerNet scores",
            "data": "two_layer_net",
            "test": "net_scores",
            "expected": [
                [
                    11.53165108,
                    12.2917344,
                    13.05181771,
                    13.81190102,
                    14.57198434,
                    15.33206765,
                    16.09215096,
                ],
                [
                    12.05769098,
                    12.74614105,
                    13.43459113,
                    14.1230412,
                    14.81149128,
                    15.49994135,
                    16.18839143,
                ],
                [
                    12.58373087,
                    13.20054771,
                    13.81736455,
                    14.43418138,
                    15.05099822,
                    15.66781506,
                    16.2846319,
                ],
            ],
            "below": 1e-6,
            "rule": "assert np.abs(scores - correct_scores).sum() < 1e-6",
        },
        {
            "name": "TwoLayerNet loss, reg = 0",
            "data": "two_layer_net",
            "test": "net_loss",
            "reg": 0.0,
            "expected_loss": 3.4702243556,
            "below": 1e-10,
            "rule": "assert abs(loss - correct_loss) < 1e-10",
        },
        {
            "name": "TwoLayerNet loss, reg = 1",
            "data": "two_layer_net",
            "test": "net_loss",
            "reg": 1.0,
            "expected_loss": 26.5948426952,
            "below": 1e-10,
            "rule": "assert abs(loss - correct_loss) < 1e-10",
        },
        {
            "name": "TwoLayerNet gradients, reg = 0",
            "data": "two_layer_net",
            "test": "net_gradient",
            "reg": 0.0,
            "below": 1e-6,
            "rule": "rel_error of every gradient against eval_numerical_gradient of the "
            "student's loss, printed ('e-6 or less' expected), read as < 1e-6",
        },
        {
            "name": "TwoLayerNet gradients, reg = 0.7",
            "data": "two_layer_net",
            "test": "net_gradient",
            "reg": 0.7,
            "below": 1e-6,
            "rule": "as for reg = 0",
        },
    ],
}
