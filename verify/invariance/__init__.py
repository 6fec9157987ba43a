"""Claims of the invariance topic: the groups and the Reynolds operator (:mod:`.structure`), the
loss, the solutions and their identities (:mod:`.solutions`), the three risks by Monte Carlo
(:mod:`.risks`); shared helpers in :mod:`.common`, the wrong answers in :mod:`.wrong`.

>>> from verify.claims import get
>>> get("invariance.reynolds").check().passed
True
"""

# isort: off
# in this order the claims register, and so appear, as the chapter tells them
from verify.invariance import common, structure, solutions, risks

# isort: on

__all__ = ["common", "risks", "solutions", "structure"]
