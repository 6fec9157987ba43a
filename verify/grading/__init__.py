"""Grading a class: submissions CSV -> gradebook (:mod:`.grade`), the forgiving but never
silent reading of what students typed (:mod:`.reading`), and the command lines
(:mod:`.cli`): ``python -m verify grade`` and ``check-answer --student-id``.

>>> Tolerance(rtol=1e-2, atol=0).ok("loss", 1.005, 1.0)
True
"""

from verify.grading.cli import check_variant
from verify.grading.grade import Tolerance, grade, report, write

__all__ = ["Tolerance", "check_variant", "grade", "report", "write"]
