"""Results kept on disk and looked up instead of recomputed, keyed by all that decides them.

Checking a derivation takes SymPy seconds, and a claim's numbers take more; a book rebuild
after a one-line change asks for almost all of them again with the same inputs. When the
environment variable :data:`ENV` names a directory, :meth:`derivations.core.Derivation.check`
and :func:`verify.claims.check_one` keep their results there; when it is unset (the tests, the
command line) nothing is read or written.

A result is stored under the SHA-256 of its **key**: a JSON list of everything that can change
it: the inputs, the source of the project files whose code computes it (see
:func:`file_digests` and :func:`import_closure`), and the versions of the libraries and of
Python (:func:`versions`). A key that cannot be made (an input it cannot describe) means no
caching, never a guess. An entry is written to a temporary file and renamed into place, so
processes that share the directory only ever see whole entries; one that cannot be read or
holds something else is ignored and recomputed. Entries are pickles: the directory is as
trusted as the code (it is the build's own, ``_build/.dv_cache`` for ``make book``).

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     os.environ[ENV] = tmp
...     k = key(["demo", 1])
...     first = lookup("demo", k, int)
...     stored = store("demo", k, 42)
...     again = lookup("demo", k, int)
...     del os.environ[ENV]
>>> first, stored, again
(None, True, 42)
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import re
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path

#: The environment variable that names the cache directory (unset: no caching).
ENV = "DV_CACHE_DIR"
#: The project root; the project's files are those of its packages under it (a virtual
#: environment inside the root, with SymPy in it, is a library's, not the project's).
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("derivations", "verify", "figures")
#: Bumped when the layout of a key or an entry changes, so old entries are never read.
FORMAT = 1
#: Top-level packages whose classes may appear in a cached computation: their code is
#: covered by their version in the key. A class from anywhere else that is not a project
#: file (a class typed in a notebook cell) makes a computation uncacheable.
LIBRARIES = ("sympy", "mpmath", "builtins")

# Digests of files already read by this process, by (path, mtime, size, inode): a speed-up
# only, since an edit changes the stat signature.
_DIGESTS: dict[tuple, str] = {}
_VERSIONS: dict[str, str] = {}
# Module names a file imports, by (its digest, its package): parsed once per content.
_IMPORTS: dict[tuple, set[str]] = {}
# Where a module name leads under a root. Which modules exist is fixed for a process: an
# import that failed or succeeded earlier is not redone either.
_MODULE_FILES: dict[tuple, list[Path]] = {}


def directory() -> Path | None:
    """The cache directory named by :data:`ENV` (relative to the working directory), or None.

    >>> os.environ.pop(ENV, None) and None
    >>> directory() is None
    True
    """
    raw = os.environ.get(ENV, "").strip()
    return Path(os.path.abspath(raw)) if raw else None


def key(parts) -> str:
    """The SHA-256 of ``parts``, a JSON-ready list (strings, numbers, lists, dicts).

    >>> key(["a", 1]) == key(["a", 1]), key(["a", 1]) == key(["a", 2])
    (True, False)
    >>> key([object()])
    Traceback (most recent call last):
    ...
    TypeError: parts: a JSON-ready list is required (Object of type object is not JSON serializable)
    """
    if not isinstance(parts, list | tuple):
        raise TypeError(f"parts: a JSON-ready list is required, got {type(parts).__name__}")
    try:
        text = json.dumps([FORMAT, *parts], sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"parts: a JSON-ready list is required ({exc})") from None
    return hashlib.sha256(text.encode()).hexdigest()


def _entry(kind: str, digest: str) -> Path | None:
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ValueError(f"kind: an identifier naming a kind of result is required, got {kind!r}")
    if not isinstance(digest, str) or not re.fullmatch("[0-9a-f]{64}", digest):
        raise ValueError(f"key: a SHA-256 hex digest from key() is required, got {digest!r}")
    folder = directory()
    return None if folder is None else folder / kind / f"{digest}.pkl"


def lookup(kind: str, digest: str, expected: type):
    """The ``expected``-typed result stored under ``digest``, or None (no cache, no entry,
    an unreadable entry, or one that holds something else).

    >>> os.environ.pop(ENV, None) and None
    >>> lookup("demo", key(["x"]), int) is None
    True
    >>> lookup("demo", "abc", int)
    Traceback (most recent call last):
    ...
    ValueError: key: a SHA-256 hex digest from key() is required, got 'abc'
    """
    path = _entry(kind, digest)
    if not isinstance(expected, type):
        raise TypeError(f"expected: a type is required, got {expected!r}")
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            stored = pickle.load(f)
    except Exception:  # noqa: BLE001 - any unreadable entry is a miss, recomputed and rewritten
        return None
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == (FORMAT, digest)):
        return None
    return stored[2] if isinstance(stored[2], expected) else None


def store(kind: str, digest: str, value) -> bool:
    """Keep ``value`` under ``digest``; False when there is no cache or it cannot be written.

    The entry appears whole or not at all (temporary file, then ``os.replace``).

    >>> os.environ.pop(ENV, None) and None
    >>> store("demo", key(["x"]), 1)
    False
    """
    path = _entry(kind, digest)
    if path is None:
        return False
    try:
        data = pickle.dumps((FORMAT, digest, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a value that cannot be pickled is simply not kept
        return False
    # Opened write-only ("xb", a fresh name): the page recorder notes files opened for reading.
    temporary = path.with_name(f".{digest}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as f:
            f.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def file_digest(path) -> str:
    """The SHA-256 of a file's bytes, or ``"missing"``.

    >>> file_digest("/nonexistent/file")
    'missing'
    >>> len(file_digest(__file__))
    64
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: a path is required, got {type(path).__name__}")
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    signature = (os.fspath(path), st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)
    if signature not in _DIGESTS:
        try:
            with open(path, "rb") as f:
                _DIGESTS[signature] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            return "missing"
    return _DIGESTS[signature]


def file_digests(paths: Iterable, root=None) -> dict[str, str]:
    """``{path relative to root: digest}`` for each file (absolute when outside ``root``).

    >>> list(file_digests([ROOT / "derivations" / "cache.py"]))
    ['derivations/cache.py']
    """
    if isinstance(paths, str | os.PathLike):
        raise TypeError("paths: an iterable of paths is required, not one path")
    root = Path(ROOT if root is None else root).resolve()
    out = {}
    for p in paths:
        real = Path(p) if Path(p).is_absolute() else Path(p).resolve()
        name = real.relative_to(root).as_posix() if real.is_relative_to(root) else real.as_posix()
        out[name] = file_digest(real)
    return dict(sorted(out.items()))


def _module_file(name: str, root: Path) -> list[Path]:
    """The files importing ``name`` runs, when it is a module under ``root``: its own and its
    packages' ``__init__.py`` (nothing for a module elsewhere)."""
    if (name, root) not in _MODULE_FILES:
        _MODULE_FILES[name, root] = _find_module(name, root)
    return _MODULE_FILES[name, root]


def _find_module(name: str, root: Path) -> list[Path]:
    parts = name.split(".")
    found = []
    for i in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:i])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return found if i > 1 else []
    return found


def _imports(path: Path, package: str) -> set[str]:
    """Module names that the file imports anywhere in its body (also inside functions)."""
    memo = (file_digest(path), package)
    if memo not in _IMPORTS:
        _IMPORTS[memo] = _parse_imports(path, package)
    return _IMPORTS[memo]


def _parse_imports(path: Path, package: str) -> set[str]:
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = package.split(".")[: max(0, len(package.split(".")) - node.level + 1)]
                base = ".".join([*head, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return {n for n in names if n}


def import_closure(paths: Iterable, root=None) -> set[Path]:
    """The project files under ``root`` that ``paths`` import, transitively, with ``paths``.

    Imports are read from the source (module level and inside functions), so a constant or
    a lazily imported helper counts; only a name computed at run time
    (``import_module(f"...")``) is not seen.

    >>> names = sorted(p.name for p in import_closure([ROOT / "derivations" / "steps.py"]))
    >>> "core.py" in names, "printing.py" in names, "ridge.py" in names
    (True, True, False)
    """
    if isinstance(paths, str | os.PathLike):
        raise TypeError("paths: an iterable of paths is required, not one path")
    root = Path(ROOT if root is None else root).resolve()
    todo = [Path(p).resolve() for p in paths]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            rel = path.relative_to(root).with_suffix("")
        except ValueError:
            continue
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = module if rel.name == "__init__" else module.rpartition(".")[0]
        for name in _imports(path, package):
            todo.extend(_module_file(name, root))
    return seen


def _in_packages(path: Path, root: Path) -> bool:
    return path.is_relative_to(root) and path.relative_to(root).parts[0] in PACKAGES


def class_files(classes: Iterable[type], root=None) -> set[Path] | None:
    """The project files whose code the classes (and their bases) run, import closure
    included; None when one of them is neither a project class nor a library's (see
    :data:`LIBRARIES`), because then its code cannot be part of a key.

    >>> from derivations.functions import sigmoid
    >>> sorted(p.name for p in class_files([sigmoid, int]))
    ['__init__.py', 'functions.py']
    >>> cell = type("Cell", (), {"__module__": "__main__"})  # as if typed in a notebook
    >>> class_files([cell]) is None
    True
    """
    root = Path(ROOT if root is None else root).resolve()
    files: set[Path] = set()
    for cls in classes:
        if not isinstance(cls, type):
            raise TypeError(f"classes: classes are required, got {cls!r}")
        for base in cls.__mro__:
            name = base.__module__
            if hasattr(base, "_imp_"):  # implemented_function: Python code SymPy calls
                return None
            if name is None:  # UndefinedFunction("f"): SymPy's code and the name alone
                continue
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None)
            path = Path(file).resolve() if isinstance(file, str) else None
            if path is not None and _in_packages(path, root):
                files.update([path, *_module_file(name, root)])
            elif name.split(".")[0] not in LIBRARIES:
                return None
    return import_closure(files, root)


def versions(names: Iterable[str]) -> dict[str, str]:
    """The version of each named distribution as installed (``"absent"`` if it is not), and
    of Python. Read from the package metadata, so asking does not import the library.

    >>> sorted(versions(["sympy"]))
    ['python', 'sympy']
    """
    from importlib import metadata

    if isinstance(names, str):
        raise TypeError("names: an iterable of distribution names is required, not a string")
    out = {"python": sys.version}
    for name in names:
        if name not in _VERSIONS:
            try:
                _VERSIONS[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                _VERSIONS[name] = "absent"
        out[name] = _VERSIONS[name]
    return out
