"""Claims about the layers (:mod:`.ops`) and the two networks (:mod:`.nets`).

>>> from verify.claims import get
>>> get("layers.relu.autograd").check().passed
True
"""

from verify.layers import nets, ops
from verify.layers.ops import CASES, LayerCase, LayerProblem, problem

__all__ = ["CASES", "LayerCase", "LayerProblem", "nets", "ops", "problem"]
