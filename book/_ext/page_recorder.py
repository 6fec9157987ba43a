"""What a book page read while it ran: the kernel side of ``page_dependencies.py``.

The extension puts this module's source into two hidden cells of every Python page. The first
cell, before the page's own code, calls :func:`install`: an audit hook (PEP 578) notes every
file the kernel opens for reading. The last cell calls :func:`report`, which prints one line,
``page-dependencies record: {...}``, holding a :func:`collect` record:

* ``files``: relative path -> SHA-256 of each project file the page used: the file of every
  module of the project packages in ``sys.modules``, and every other file under the project
  root that was opened for reading (``_toc.yml``, data files), build folders excepted;
* ``listing``: a hash of which ``.py`` files the project packages hold, because an import can
  depend on a file that is absent (``topics.py`` asks whether a column exists);
* ``modules``: the project modules imported, for people reading the record;
* ``foreign``: project modules the kernel loaded from outside the root (then the record says
  nothing about the root's files, and the extension does not trust it).

The line is the cell's output, so jupyter-cache stores it with the executed notebook: the
record of a cached page always describes the very execution whose outputs it serves. The
extension finds the project through the environment variable :data:`ENV` (JSON with
``root``, ``packages`` and ``ignore``), which the kernel inherits from Sphinx.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = (Path(tmp) / "pkg").mkdir()
...     _ = (Path(tmp) / "pkg" / "__init__.py").write_text("")
...     _ = (Path(tmp) / "data.txt").write_text("1")
...     config = {"root": tmp, "packages": ["pkg"], "ignore": []}
...     record = collect(config, modules={}, opened={str(Path(tmp) / "data.txt")})
>>> sorted(record["files"])
['data.txt']
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

#: The environment variable through which the extension tells the kernel about the project.
ENV = "PAGE_DEPENDENCIES"
#: Starts the line that :func:`report` prints.
PREFIX = "page-dependencies record: "
#: Bumped when the record's meaning changes; an older record is not trusted.
VERSION = 1

_opened: set[str] = set()
_collecting = False


def _reads(mode, flags) -> bool:
    """Whether an ``open`` audit event opens for reading (``open()`` or ``os.open()``)."""
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    if isinstance(flags, int):
        return flags & os.O_ACCMODE != os.O_WRONLY
    return True


def _hook(event: str, args: tuple) -> None:
    # Called for every audited event of the kernel, so it returns fast, and it never
    # raises: an exception here would surface in the page's own open() call.
    if event != "open" or _collecting:
        return
    try:
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int) or not _reads(mode, flags):
            return
        _opened.add(os.path.abspath(os.fsdecode(path)))
    except Exception:  # noqa: BLE001, S110 - a path we cannot decode is one we cannot record
        pass


def install() -> None:
    """Start noting the files this process opens for reading (once per process).

    >>> install(); install()
    >>> with open(__file__ if "__file__" in globals() else os.devnull) as f:
    ...     pass
    >>> len(_opened) > 0
    True
    """
    if not getattr(sys, "_page_recorder_installed", False):
        sys.addaudithook(_hook)
        sys._page_recorder_installed = True


def sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, or ``"missing"``.

    >>> sha256("/nonexistent/file")
    'missing'
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: a path is required, got {type(path).__name__}")
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return "missing"


def listing(root: str, packages) -> str:
    """A hash of the relative paths of the ``.py`` files under ``root/<package>``.

    >>> listing("/nonexistent", ["pkg"]) == listing("/nonexistent", [])
    True
    """
    if isinstance(packages, str):
        raise TypeError("packages: a list of package names is required, not a string")
    names = []
    for package in packages:
        for folder, dirs, files in os.walk(os.path.join(root, package)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            rel = os.path.relpath(folder, root).replace(os.sep, "/")
            names.extend(f"{rel}/{f}" for f in files if f.endswith(".py"))
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


def _module_file(module) -> str | None:
    # Read __file__ from the module's dict: getattr could wake a lazy stand-in module.
    try:
        file = vars(module).get("__file__")
    except TypeError:
        return None
    return os.path.realpath(file) if isinstance(file, str) else None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def collect(config: dict, *, modules=None, opened=None) -> dict:
    """The record of what this process used of the project (see the module docstring).

    ``modules`` defaults to ``sys.modules`` and ``opened`` to the files noted since
    :func:`install`.

    >>> collect({"root": "/", "packages": "verify"})
    Traceback (most recent call last):
    ...
    TypeError: config: packages must be a list of package names
    """
    if not isinstance(config, dict) or not isinstance(config.get("root"), str):
        raise TypeError("config: a dict with a 'root' path is required")
    packages = config.get("packages")
    if not isinstance(packages, list | tuple) or not all(isinstance(p, str) for p in packages):
        raise TypeError("config: packages must be a list of package names")
    root = os.path.realpath(config["root"])
    ignore = [os.path.realpath(p) for p in config.get("ignore", ())]
    homes = [os.path.join(root, p) for p in packages]
    modules = dict(sys.modules if modules is None else modules)
    used: set[str] = set()
    names, foreign = [], []
    for name, module in modules.items():
        file = _module_file(module)
        ours = name.split(".")[0] in packages
        if file is None:
            continue
        if any(_inside(file, home) for home in homes):
            used.add(file)
            names.append(name)
        elif ours:
            foreign.append(name)
    for path in _opened if opened is None else opened:
        real = os.path.realpath(path)
        if (
            _inside(real, root)
            and "__pycache__" not in real.split(os.sep)
            and not any(_inside(real, folder) for folder in ignore)
            and os.path.isfile(real)
        ):
            used.add(real)
    files = {os.path.relpath(p, root).replace(os.sep, "/"): sha256(p) for p in sorted(used)}
    return {
        "version": VERSION,
        "root": root,
        "modules": sorted(names),
        "foreign": sorted(foreign),
        "files": files,
        "listing": listing(root, packages),
    }


def report() -> None:
    """Print this page's record as one line (or why there is none).

    >>> os.environ.pop(ENV, None) and None
    >>> report()
    page-dependencies record: {"version": 1, "error": "PAGE_DEPENDENCIES is not set"}
    """
    global _collecting
    _collecting = True  # hashing the files must not note them again
    try:
        raw = os.environ.get(ENV)
        if not raw:
            record = {"version": VERSION, "error": f"{ENV} is not set"}
        else:
            record = collect(json.loads(raw))
    finally:
        _collecting = False
    print(PREFIX + json.dumps(record, sort_keys=False))


def parse(text: str) -> dict | None:
    """The record in a cell's printed output, or None if there is none.

    >>> parse('noise\\npage-dependencies record: {"version": 1}\\n')
    {'version': 1}
    >>> parse("page-dependencies record: {broken") is None
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    for line in text.splitlines():
        if line.startswith(PREFIX):
            try:
                record = json.loads(line[len(PREFIX) :])
            except ValueError:
                return None
            return record if isinstance(record, dict) else None
    return None
