"""Tests of the architectures column: the rules against torch and by hand, parsing, tables,
bad input, the claims and the typed tables of check-answer."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import architectures as arch
from derivations.__main__ import main as derivations_main
from verify import claims
from verify.answers import check_answer
from verify.architectures import size_cases, torch_size
from verify.architectures.wrong import WRONG_ANSWERS


def torchvision_style_vgg11():
    """VGG-11 (configuration A) as torchvision writes it, on the meta device."""
    nn, c, layers = torch.nn, 3, []
    for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1, device="meta"), nn.ReLU()]
            c = v
    layers += [
        nn.Flatten(),
        nn.Linear(512 * 7 * 7, 4096, device="meta"),
        nn.ReLU(),
        nn.Linear(4096, 4096, device="meta"),
        nn.ReLU(),
        nn.Linear(4096, 1000, device="meta"),
    ]
    return nn.Sequential(*layers)


def test_vgg11_total_is_torchs_numel():
    model = torchvision_style_vgg11()
    assert arch.table(arch.NETWORKS["vgg11"]).total == sum(p.numel() for p in model.parameters())


def test_from_torch_gives_the_same_table_as_the_spec():
    t = arch.from_torch(torchvision_style_vgg11(), "3x224x224")
    mine = arch.table(arch.NETWORKS["vgg11"])
    assert t.shapes == mine.shapes and t.params == mine.params and t.macs == mine.macs


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 50), st.integers(1, 7), st.integers(0, 4), st.integers(1, 5), st.integers(1, 3)
)
def test_output_size_is_torchs(n, k, p, s, d):
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(ValueError, match="kernel"):
            arch.output_size(n, k, stride=s, padding=p, dilation=d)
        return
    got = torch.nn.functional.conv1d(
        torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d
    ).shape[-1]
    assert arch.output_size(n, k, stride=s, padding=p, dilation=d) == got


def test_output_size_cases_let_every_slip_show():
    cases = size_cases(0)
    # each slip is wrong on many cases, not just one: power against a wrong rule is certain
    slips = {
        "ceil": lambda n, k, p, s, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
        "one side": lambda n, k, p, s, d: (n + p - d * (k - 1) - 1) // s + 1,
        "no dilation": lambda n, k, p, s, d: (n + 2 * p - k) // s + 1,
    }
    for name, slip in slips.items():
        wrong = sum(slip(*c) != torch_size(*c) for c in cases[:500])
        assert wrong > 50, name


def test_counts_by_hand():
    # the gaze CNN's last pooling: 13 rows lose their last one, by hand
    assert arch.output_size(13, 2, stride=2) == 6 and arch.output_size(55, 2, stride=2) == 27
    assert arch.conv_params(3, 3, 64, 128) == 3 * 3 * 64 * 128 + 128
    assert arch.conv_params(3, 3, 32, 64, groups=4) == 3 * 3 * 8 * 64 + 64
    assert arch.dense_params(25088, 4096) == 25088 * 4096 + 4096
    assert arch.batchnorm_params(36) == 72


def test_the_courses_published_counts_drop_the_biases():
    cnn, fcn = arch.table(arch.NETWORKS["gaze_cnn"]), arch.table(arch.NETWORKS["gaze_fcn"])
    bias = {
        name: sum(r.output_shape[0] for r in t.rows if r.kind in ("conv", "dense"))
        for name, t in (("cnn", cnn), ("fcn", fcn))
    }
    assert (cnn.total - bias["cnn"], bias["cnn"]) == (667_052, 260)
    assert (fcn.total - bias["fcn"], bias["fcn"]) == (452_400, 304)
    assert (6, 27) in {r.output_shape[1:] for r in cnn.rows}
    assert (13, 55) in {r.output_shape[1:] for r in cnn.rows}


def test_batch_norm_buffers_are_not_parameters():
    bn = torch.nn.BatchNorm2d(36)
    assert sum(p.numel() for p in bn.parameters()) == arch.batchnorm_params(36)
    bn_net = arch.table(arch.NETWORKS["gaze_cnn_bn"])
    assert bn_net.total - arch.table(arch.NETWORKS["gaze_cnn"]).total == 2 * (12 + 36 + 32)


def test_receptive_field_by_gradient():
    # one channel, ones for weights, average pools: the input entries a centre output depends on
    nn = torch.nn
    layers = []
    for v in (1, "M", 1, "M", 1, 1, "M"):
        layers.append(nn.AvgPool2d(2) if v == "M" else nn.Conv2d(1, 1, 3, padding=1, bias=False))
    net = nn.Sequential(*layers).double()
    for m in net:
        if isinstance(m, nn.Conv2d):
            nn.init.ones_(m.weight)
    x = torch.ones(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    y = net(x)
    y[0, 0, 4, 4].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    spec = arch.parse("CONV3-1 POOL2 CONV3-1 POOL2 CONV3-1 CONV3-1 POOL2")
    assert arch.receptive_field(spec)[0] == int(rows.max() - rows.min() + 1)


def test_parse_both_notations_agree():
    a = arch.parse("CONV3-16 POOL2 FC-10")
    b = arch.parse("conv 16 k=3 p=1\nmaxpool k=2\nfc 10")
    assert arch.table(a, (3, 8, 8)).rows == arch.table(b, (3, 8, 8)).rows


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("CONV3-64 POOL2 FC4096", "'FC4096' at position 15"),
        ("conv 8 k=3 q=2", "'q=2' at position 11"),
        ("conv 8 s=1.5", "'1.5' at position 9"),
        ("", "no layer"),
    ],
)
def test_parse_errors_point_at_the_token(text, where):
    with pytest.raises(ValueError, match="text: ") as info:
        arch.parse(text)
    assert where in str(info.value)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: arch.output_size(-1, 3), "n"),
        (lambda: arch.output_size(5, 3, stride=1.5), "stride"),
        (lambda: arch.output_size(2, 5), "kernel"),
        (lambda: arch.table(arch.NETWORKS["vgg11"], "3x-2x2"), "input_shape"),
        (lambda: arch.table(arch.parse("FC-3")), "input_shape"),
        (lambda: arch.from_torch(torch.nn.Linear(2, 2)), "input_shape"),
        (lambda: arch.conv_params(3, 3, 30, 64, groups=4), "groups"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name}: "):
        call()


def test_every_wrong_answer_differs_from_the_derived_result():
    for cid, wrongs in WRONG_ANSWERS.items():
        right = claims.get(cid).reference()
        for label, value in wrongs.items():
            assert value != right, (cid, label)


def test_typed_tables_name_the_wrong_row():
    rows = arch.table(arch.NETWORKS["mnist_cnn"])
    typed = list(rows.params)
    typed[4] -= rows.rows[4].output_shape[0]  # fc1 without its biases
    ev = check_answer("architectures.mnist_cnn.params", str(typed))
    assert ev.verdict == "not equivalent" and "row 5 (fc1)" in ev.message
    shapes = ", ".join("x".join(map(str, s)) for s in rows.shapes)
    assert check_answer("architectures.mnist_cnn.shapes", f"[{shapes}]").verdict == "equivalent"
    ev = check_answer("architectures.gaze_cnn.total", "667052")
    assert ev.verdict == "not equivalent" and "260 biases" in ev.message


def test_cli_prints_vgg11(capsys):
    assert derivations_main(["architecture", "vgg11", "--format", "json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["total"] == sum(p.numel() for p in torchvision_style_vgg11().parameters())
    assert math.isclose(sum(out["shares"].values()), 1.0)
    assert derivations_main(["architecture", "--spec", "CONV3-8 POOL FC-2"]) == 2


@pytest.mark.parametrize(
    ("typed", "verdict"),
    [
        ("⌊(n + 2p − δ(k − 1) − 1)/s⌋ + 1", "equivalent"),
        ("(n + 2p - d(k - 1) - 1)//s + 1", "equivalent"),
        ("floor((n + 2p - k)/s) + 1", "not equivalent"),  # dilation ignored
        ("ceil((n + 2p - d(k - 1) - 1)/s) + 1", "not equivalent"),
        ("floor((n + p - d(k - 1) - 1)/s) + 1", "not equivalent"),  # padding on one side
    ],
)
def test_typed_output_size_formulas(typed, verdict):
    assert check_answer("architectures.output_size", typed).verdict == verdict


@pytest.mark.parametrize("typed", ["__import__('os')", "n.real", "[n for n in k]", "lambda: 1"])
def test_typed_formulas_run_nothing(typed):
    with pytest.raises(ValueError, match="^text: "):
        check_answer("architectures.output_size", typed)
