"""Claims of the invariance topic: identities on concrete groups (:mod:`.identities`) and the
three risks by Monte Carlo (:mod:`.risks`); the wrong answers are in :mod:`.wrong`.

>>> from verify.claims import get
>>> get("invariance.reynolds").check().passed
True
"""

from verify.invariance import identities, risks

__all__ = ["identities", "risks"]
