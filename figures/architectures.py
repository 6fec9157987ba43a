"""Figures of the architectures topic: parameters per layer, on a log scale.

>>> fig = params_per_layer(("gaze_cnn", "gaze_fcn"))
>>> fig.axes[0].get_yscale(), plt.close(fig)
('log', None)
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from derivations.architectures import NETWORKS, table
from figures import STYLE

KIND_COLOURS = {"conv": "C0", "dense": "C1", "batchnorm": "C2"}


def params_per_layer(names=("vgg11",)):
    """One panel per network, stacked: a bar per layer with parameters, coloured by kind (log
    scale).

    >>> fig = params_per_layer(("mnist_cnn",)); len(fig.axes), plt.close(fig)
    (1, None)
    """
    names = tuple(names)
    unknown = [n for n in names if n not in NETWORKS]
    if not names or unknown:
        raise ValueError(f"names: networks among {', '.join(NETWORKS)} are required, got {names!r}")
    with plt.rc_context(STYLE):
        # one network a row, 7 in wide: at the book's 688 px column every label stays >= 11 px
        fig, axes = plt.subplots(
            len(names),
            1,
            figsize=(7, 3.6 * len(names) + 0.4),
            layout="constrained",
            squeeze=False,
        )
        for ax, name in zip(axes[:, 0], names, strict=True):
            rows = [r for r in table(NETWORKS[name]).rows if r.params > 0]
            ax.bar(
                range(len(rows)),
                [r.params for r in rows],
                color=[KIND_COLOURS.get(r.kind, "C7") for r in rows],
            )
            ax.set_yscale("log")
            ax.set_xticks(
                range(len(rows)), [r.name for r in rows], rotation=45, ha="right", fontsize=10
            )
            ax.set_title(name, fontsize=11)
            ax.set_ylabel("parameters (log scale)", fontsize=11)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in KIND_COLOURS.values()]
        axes[0][0].legend(handles, list(KIND_COLOURS), loc="upper left", fontsize=10)
    return fig


FIGURES = {
    "architectures.vgg11": lambda: params_per_layer(("vgg11",)),
    "architectures.gaze": lambda: params_per_layer(("gaze_cnn", "gaze_fcn")),
}
