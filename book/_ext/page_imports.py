"""Which project modules a piece of code can import, found statically (``ast``).

This is the conservative half of ``page_dependencies.py``: it over-approximates. A
dynamic import whose target is a constant prefix plus something computed, such as
``importlib.import_module(f"verify.{topic}")``, can load every module under that prefix;
any other dynamic import, or a code cell that cannot be parsed, can load every project
module. :func:`closure` follows the modules' own imports transitively.

>>> names, prefixes = imports_in(ast.parse("from verify import claims as c"))
>>> sorted(names), prefixes
(['verify', 'verify.claims'], set())
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

#: A dynamic-import prefix that matches every module.
EVERYTHING = ""
_DYNAMIC_IMPORTERS = {"import_module", "__import__"}
_MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Map each dotted module name of the given top-level packages to its file.

    A package maps to its ``__init__.py``; a directory without one is not a package.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("pkg/__init__.py", "pkg/a.py", "loose/b.py"):
    ...         path = Path(tmp) / name
    ...         path.parent.mkdir(exist_ok=True)
    ...         _ = path.write_text("")
    ...     sorted(project_modules(Path(tmp), ["pkg", "loose"]))
    ['pkg', 'pkg.a']
    """
    if isinstance(packages, str):
        raise TypeError("packages: a list of package names is required, not a string")
    root = Path(root)
    found: dict[str, Path] = {}
    for package in packages:
        if not (root / package / "__init__.py").is_file():
            continue
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if all(p.isidentifier() for p in parts):
                found[".".join(parts)] = path
    return found


def _constant_prefix(node: ast.expr) -> str:
    """The constant text a computed module name starts with (``""`` if none)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _constant_prefix(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant_prefix(node.left)
    return ""


def imports_in(tree: ast.AST, module: str = "", is_package: bool = False):
    """The module names ``tree`` imports, and the prefixes of its dynamic imports.

    ``module`` (and whether it is a package) resolves relative imports. A name from
    ``from a import b`` is returned both as ``a`` and ``a.b``: ``b`` may be a submodule.

    >>> sorted(imports_in(ast.parse("from . import b"), "pkg.a")[0])
    ['pkg', 'pkg.b']
    >>> imports_in(ast.parse("importlib.import_module(f'verify.{t}')"))
    (set(), {'verify.'})
    """
    if not isinstance(tree, ast.AST):
        raise TypeError(f"tree: an ast.AST is required, got {type(tree).__name__}")
    names: set[str] = set()
    prefixes: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            if base:
                names.add(base)
            names.update(
                f"{base}.{a.name}" if base else a.name for a in node.names if a.name != "*"
            )
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _DYNAMIC_IMPORTERS:
                target = node.args[0]
                if isinstance(target, ast.Constant) and isinstance(target.value, str):
                    names.add(target.value)
                else:
                    prefixes.add(_constant_prefix(target))
    return names, prefixes


def _parse_cell(source: str) -> ast.AST | None:
    if source.lstrip().startswith("%%"):
        return ast.Module(body=[], type_ignores=[])  # a cell magic holds no Python imports
    try:
        return ast.parse(_MAGIC.sub(r"\1pass", source))
    except SyntaxError:
        return None


def resolve(names: Iterable[str], prefixes: Iterable[str], modules: Mapping[str, Path]):
    """The project modules that importing ``names`` (and ``prefixes``) executes.

    >>> modules = {"pkg": None, "pkg.a": None, "pkg.b": None}
    >>> sorted(resolve(["pkg.a", "numpy"], [], modules)), sorted(resolve([], ["pkg."], modules))
    (['pkg', 'pkg.a'], ['pkg', 'pkg.a', 'pkg.b'])
    """
    if isinstance(names, str) or isinstance(prefixes, str):
        raise TypeError("names, prefixes: collections of strings are required, not a string")
    hit: set[str] = set()
    for name in names:
        parts = name.split(".")
        # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
        hit.update(p for p in (".".join(parts[: i + 1]) for i in range(len(parts))) if p in modules)
    for prefix in prefixes:
        stem = prefix.rstrip(".")
        hit.update(m for m in modules if prefix == EVERYTHING or m == stem or m.startswith(prefix))
    return hit


def closure(direct: Iterable[str], prefixes: Iterable[str], modules: Mapping[str, Path]):
    """Every project module reached from the direct imports, following module imports.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "pkg").mkdir()
    ...     _ = (Path(tmp) / "pkg" / "__init__.py").write_text("from . import a")
    ...     _ = (Path(tmp) / "pkg" / "a.py").write_text("")
    ...     sorted(closure({"pkg"}, set(), project_modules(Path(tmp), ["pkg"])))
    ['pkg', 'pkg.a']
    """
    todo = sorted(resolve(direct, prefixes, modules))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = modules[name]
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except SyntaxError:
            # a broken module: the page will fail when it runs; depend on everything meanwhile
            tree, more = None, {EVERYTHING}
        if tree is not None:
            found, more = imports_in(tree, name, path.name == "__init__.py")
            todo.extend(sorted(resolve(found, (), modules) - seen))
        todo.extend(sorted(resolve((), more, modules) - seen))
    return seen


def digest(paths: Iterable[Path], root: Path) -> str:
    """A hash of the files' names (relative to ``root``) and contents, in a stable order.

    >>> digest([], Path(".")) == hashlib.sha256().hexdigest()
    True
    """
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def page_imports(cells: list[str]) -> tuple[set[str], set[str]]:
    """The module names a page's code cells import, and their dynamic-import prefixes.

    A cell magic holds no imports; a cell that does not parse depends on everything.

    >>> page_imports(["%matplotlib inline\\nimport pkg.a", "%%bash\\nls"])
    ({'pkg.a'}, set())
    """
    if isinstance(cells, str):
        raise TypeError("cells: a list of cell sources is required, not a string")
    names: set[str] = set()
    prefixes: set[str] = set()
    for source in cells:
        tree = _parse_cell(source)
        if tree is None:
            prefixes.add(EVERYTHING)
            continue
        found, more = imports_in(tree)
        names |= found
        prefixes |= more
    return names, prefixes
