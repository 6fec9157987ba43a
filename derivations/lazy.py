"""Heavy modules imported where they are used, not where they are named.

``torch = lazy("torch")`` binds a stand-in that imports torch the first time one of its
attributes is read. A topic module can then name torch at its top and still be imported in a
fraction of a second by a path that never runs a torch check (reading a claim's declaration to
compare a typed answer with its derived result).

>>> math = lazy("math")
>>> math.sqrt(4.0)
2.0
>>> lazy("no_such_module_here").anything
Traceback (most recent call last):
...
ModuleNotFoundError: No module named 'no_such_module_here'
"""

from __future__ import annotations

import importlib
import types


class _Lazy(types.ModuleType):
    def __init__(self, name: str):
        super().__init__(name)
        object.__setattr__(self, "_lazy_target", None)

    def _load(self):
        target = object.__getattribute__(self, "_lazy_target")
        if target is None:
            target = importlib.import_module(self.__name__)
            object.__setattr__(self, "_lazy_target", target)
        return target

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __dir__(self):
        return dir(self._load())


def lazy(name: str) -> types.ModuleType:
    """A stand-in for module ``name`` that imports it on first attribute access."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: a module name is required, got {name!r}")
    return _Lazy(name)
