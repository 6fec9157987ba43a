"""Argument checks shared by the topics: a bad value gets a ``ValueError`` naming it.

>>> count(3, "width")
3
>>> count(0, "width")
Traceback (most recent call last):
...
ValueError: width: a positive integer is required, got 0
"""

from __future__ import annotations

import numbers


def count(value, name: str, *, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) of at least ``minimum``.

    >>> count(True, "seeds")
    Traceback (most recent call last):
    ...
    ValueError: seeds: a positive integer is required, got True
    >>> count(1, "n", minimum=2)
    Traceback (most recent call last):
    ...
    ValueError: n: an integer >= 2 is required, got 1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name}: {wanted} is required, got {value!r}")
    return int(value)


#: Seeds are 63-bit: they index NumPy and torch generators without overflow anywhere.
SEED_LIMIT = 2**63


def seed(value, name: str = "seed") -> int:
    """``value`` as a seed: an integer (not a bool) with ``0 <= value < 2**63``.

    >>> seed(7)
    7
    >>> seed(2**64)
    Traceback (most recent call last):
    ...
    ValueError: seed: an integer with 0 <= seed < 2**63 is required, got 18446744073709551616
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: an integer is required, got {type(value).__name__} {value!r}")
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name}: an integer with 0 <= {name} < 2**63 is required, got {value!r}")
    return int(value)
