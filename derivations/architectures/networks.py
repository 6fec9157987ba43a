"""The named networks: VGG-11 and the courses' CNNs, each built from its layers.

VGG-11 is configuration A of Simonyan & Zisserman, *Very Deep Convolutional Networks for
Large-Scale Image Recognition* (ICLR 2015), on 224×224×3 with 1000 classes. The other
networks are **reconstructions**: the courses' problem sets are not reproduced here, so each
is a plausible network built to match what is known of it, and the note of each says what.
No total is typed in anywhere: every count is computed from the layers.

>>> sorted(NETWORKS)[:3]
['fit3181_cnn', 'fit5215_resnet', 'gaze_cnn']
"""

from __future__ import annotations

from derivations.architectures.layers import Layer, Spec
from derivations.architectures.parsing import parse

VGG11 = (
    "CONV3-64 POOL2 CONV3-128 POOL2 CONV3-256 CONV3-256 POOL2 CONV3-512 CONV3-512 POOL2 "
    "CONV3-512 CONV3-512 POOL2 FC-4096 FC-4096 FC-1000"
)


def _conv(out, k, *, s=1, p=0, d=1, g=1, bias=True, name=""):
    return Layer(
        "conv", name, out=out, kernel=k, stride=s, padding=p, dilation=d, groups=g, bias=bias
    )


def _relu():
    return Layer("relu")


def _pool(k=2, s=None, p=0):
    return Layer("maxpool", kernel=k, stride=k if s is None else s, padding=p)


def _fc(out):
    return Layer("dense", out=out)


def gaze_cnn(batchnorm: bool = False) -> Spec:
    """The gaze CNN (reconstructed), with or without a batch norm after each convolution.

    Built to match what is known of the course's network: a 13×55 map pooled 2×2, stride 2,
    to 6×27, and a published count of 667,052 that drops its 260 biases. Input: two 36×60
    grayscale eye patches side by side (1×36×120); four outputs.

    >>> [l.kind for l in gaze_cnn(True).layers[:4]]
    ['conv', 'batchnorm', 'relu', 'maxpool']
    """

    def norm():
        return [Layer("batchnorm")] if batchnorm else []

    layers = [
        _conv(12, 5),
        *norm(),
        _relu(),
        _pool(),
        _conv(36, 4),
        *norm(),
        _relu(),
        _pool(),  # 13×55 → 6×27
        _conv(32, 3, p=1),
        *norm(),
        _relu(),
        Layer("flatten"),
        _fc(124),
        _relu(),
        _fc(52),
        _relu(),
        _fc(4),
    ]
    what = "with" if batchnorm else "without"
    return Spec(
        tuple(layers),
        (1, 36, 120),
        f"gaze_cnn{'_bn' if batchnorm else ''}",
        f"gaze CNN {what} batch norm: a reconstruction built to match the course's 13×55 → 6×27 "
        "pooling and its published count of 667,052, which leaves out the 260 biases",
    )


def gaze_fcn() -> Spec:
    """The gaze network's fully connected counterpart (reconstructed): 4320 → 100 → 100 →
    100 → 4 on the same 1×36×120 input, built to match the published 452,400, which leaves
    out its 304 biases.

    >>> [l.out for l in gaze_fcn().layers if l.kind == "dense"]
    [100, 100, 100, 4]
    """
    layers = [Layer("flatten"), _fc(100), _relu(), _fc(100), _relu(), _fc(100), _relu(), _fc(4)]
    return Spec(
        tuple(layers),
        (1, 36, 120),
        "gaze_fcn",
        "the gaze CNN's fully connected counterpart: a reconstruction built to match the "
        "published count of 452,400, which leaves out the 304 biases",
    )


def fit3181_cnn() -> Spec:
    """FIT3181's default CNN on 32×32×3 (reconstructed: two blocks of two 3×3 convolutions
    and a 2×2 pooling, then a dense layer of 512 with dropout, ten classes).

    >>> fit3181_cnn().input_shape
    (3, 32, 32)
    """
    layers = [
        _conv(32, 3, p=1),
        _relu(),
        _conv(32, 3, p=1),
        _relu(),
        _pool(),
        _conv(64, 3, p=1),
        _relu(),
        _conv(64, 3, p=1),
        _relu(),
        _pool(),
        Layer("flatten"),
        _fc(512),
        _relu(),
        Layer("dropout"),
        _fc(10),
    ]
    return Spec(
        tuple(layers),
        (3, 32, 32),
        "fit3181_cnn",
        "FIT3181's default CNN: a reconstruction (the course's code is not reproduced)",
    )


def _block(channels: int, project: bool) -> Layer:
    body = (
        _conv(channels, 3, p=1, bias=False),
        Layer("batchnorm"),
        _relu(),
        _conv(channels, 3, p=1, bias=False),
        Layer("batchnorm"),
    )
    shortcut = (_conv(channels, 1, bias=False), Layer("batchnorm")) if project else ()
    return Layer("residual", body=body, shortcut=shortcut)


def fit5215_resnet() -> Spec:
    """FIT5215's CNN of blocks with skip connections on 64×64×3 (reconstructed).

    A stem (3×3 convolution, batch norm), then three blocks of two 3×3 convolutions without
    bias (each followed by batch norm) whose input is added back (through a 1×1 projection
    when the width changes), a 2×2 pooling after the first two, global average pooling and
    ten classes.

    >>> [l.kind for l in fit5215_resnet().layers][:4]
    ['conv', 'batchnorm', 'relu', 'residual']
    """
    layers = [
        _conv(32, 3, p=1),
        Layer("batchnorm"),
        _relu(),
        _block(32, False),
        _relu(),
        _pool(),
        _block(64, True),
        _relu(),
        _pool(),
        _block(128, True),
        _relu(),
        Layer("gap"),
        _fc(10),
    ]
    return Spec(
        tuple(layers),
        (3, 64, 64),
        "fit5215_resnet",
        "FIT5215's CNN of residual blocks: a reconstruction (the course's code is not reproduced)",
    )


def mnist_mlp() -> Spec:
    """The MNIST homework's fully connected network (reconstructed): 784 → 256 → 128 → 10.

    >>> mnist_mlp().input_shape
    (1, 28, 28)
    """
    layers = [Layer("flatten"), _fc(256), _relu(), _fc(128), _relu(), _fc(10)]
    return Spec(
        tuple(layers),
        (1, 28, 28),
        "mnist_mlp",
        "the MNIST homework's fully connected network: a reconstruction",
    )


def mnist_cnn() -> Spec:
    """The MNIST homework's CNN (reconstructed, LeNet-5 style): 5×5 convolutions of 6 and 16
    filters, 2×2 poolings, dense 120 → 84 → 10.

    >>> mnist_cnn().layers[0].padding
    (2, 2)
    """
    layers = [
        _conv(6, 5, p=2),
        _relu(),
        _pool(),
        _conv(16, 5),
        _relu(),
        _pool(),
        Layer("flatten"),
        _fc(120),
        _relu(),
        _fc(84),
        _relu(),
        _fc(10),
    ]
    return Spec(
        tuple(layers), (1, 28, 28), "mnist_cnn", "the MNIST homework's CNN: a reconstruction"
    )


def mnist_volumes() -> Spec:
    """The homework's output-volume exercises as one chain on a 28×28 digit (reconstructed):
    stride 2 with padding, a dilated kernel, a grouped convolution whose window does not fit a
    whole number of times, and a padded pooling that floors.

    >>> [l.kind for l in mnist_volumes().layers]
    ['conv', 'conv', 'conv', 'maxpool', 'dense']
    """
    layers = [
        _conv(8, 3, s=2, p=1),  # 28 → 14
        _conv(16, 3, d=2),  # 14 → 10
        _conv(32, 3, s=2, g=4),  # 10 → 4: (10 − 3)/2 = 3.5 floors
        _pool(3, 2, 1),  # 4 → 2: (4 + 2 − 3)/2 = 1.5 floors
        _fc(10),
    ]
    return Spec(
        tuple(layers),
        (1, 28, 28),
        "mnist_volumes",
        "the MNIST homework's output-volume exercises, chained: a reconstruction",
    )


#: name -> spec (each with its input shape).
NETWORKS: dict[str, Spec] = {
    "vgg11": parse(VGG11, input_shape=(3, 224, 224), name="vgg11"),
    "gaze_cnn": gaze_cnn(False),
    "gaze_cnn_bn": gaze_cnn(True),
    "gaze_fcn": gaze_fcn(),
    "fit3181_cnn": fit3181_cnn(),
    "fit5215_resnet": fit5215_resnet(),
    "mnist_mlp": mnist_mlp(),
    "mnist_cnn": mnist_cnn(),
    "mnist_volumes": mnist_volumes(),
}
