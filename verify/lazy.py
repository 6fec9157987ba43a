"""The heavy modules the claims use, imported on first use (:func:`derivations.lazy.lazy`).

>>> import sys
>>> from verify.lazy import torch
>>> torch.float64 is sys.modules["torch"].float64
True
"""

from derivations.lazy import lazy

torch = lazy("torch")
F = lazy("torch.nn.functional")

__all__ = ["F", "lazy", "torch"]
