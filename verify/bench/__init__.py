"""Benchmarks that print figures: ``python -m verify.bench NAME``.

Each module ``verify/bench/<name>.py`` is one benchmark with a ``main(argv) -> int``. Times
are printed side by side with a baseline run in the same process, as ratios, because an
absolute time on a busy machine says little; nothing here is a pass/fail test.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path


def names() -> list[str]:
    """The benchmarks there are, by module name.

    >>> isinstance(names(), list)
    True
    """
    here = [str(Path(__file__).parent)]
    return sorted(m.name for m in pkgutil.iter_modules(here) if not m.name.startswith("_"))
