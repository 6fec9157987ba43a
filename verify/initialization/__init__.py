"""Claims about initialization: second moments and ``torch.nn.init`` (:mod:`.moments`), and
the first float32 overflow of the unit-normal experiment (:mod:`.overflow`).

>>> from verify.claims import get
>>> get("initialization.relu.second_moment").check().passed
True
"""

from verify.initialization import moments, overflow
from verify.initialization.moments import NETWORKS, network_draw, network_draws
from verify.initialization.overflow import first_overflow, frequency_test, one_thread

__all__ = [
    "NETWORKS",
    "first_overflow",
    "frequency_test",
    "moments",
    "network_draw",
    "network_draws",
    "one_thread",
    "overflow",
]
