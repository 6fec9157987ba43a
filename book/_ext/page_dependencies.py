"""Re-execute a book page when the project code it imports changes (DESIGN rule 6).

Two caches stand between a change in ``derivations/``, ``verify/`` or ``figures/`` and the
page that shows its result, and neither looks at imported code:

* Sphinx re-reads a page only when the page's own file (or a noted dependency) is newer than
  the last read;
* jupyter-cache (MyST-NB's ``execute_notebooks: cache``) keys a notebook on the source of its
  code cells, so a page whose text did not change is served from the cache.

So, when Sphinx reads a page, this extension

1. finds the project modules its code cells import, statically (``ast``), and follows those
   modules' own imports transitively;
2. registers their files with ``env.note_dependency``, so Sphinx re-reads the page when one
   of them is modified; it also stores a hash of their contents, and ``env-get-outdated``
   compares it, so a change is caught even when a file's mtime does not move forward;
3. appends to the page a hidden code cell (``remove-cell``) whose only content is a comment
   holding that hash: the notebook's code, hence its jupyter-cache key, now changes with the
   code it imports, and MyST-NB re-executes it instead of serving the old outputs.

A dynamic import whose target is a constant prefix plus something computed, such as
``importlib.import_module(f"verify.{topic}")``, depends on every module under that prefix;
any other dynamic import, or a code cell that cannot be parsed, depends on every project
module. When in doubt the page is re-executed: a spurious run costs seconds, a stale page
shows a false result.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Marks the appended cell; also what a reader finds in the executed notebook.
MARKER = "page-dependencies sha256:"
_EVERYTHING = ""  # a dynamic-import prefix that matches every module
_DYNAMIC_IMPORTERS = {"import_module", "__import__"}
_MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)


def project_modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Map each dotted module name of the given top-level packages to its file.

    A package maps to its ``__init__.py``; a directory without one is not a package.
    """
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
    """
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


def _resolve(names: Iterable[str], prefixes: Iterable[str], modules: Mapping[str, Path]):
    """The project modules that importing ``names`` (and ``prefixes``) executes."""
    hit: set[str] = set()
    for name in names:
        parts = name.split(".")
        # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
        hit.update(p for p in (".".join(parts[: i + 1]) for i in range(len(parts))) if p in modules)
    for prefix in prefixes:
        stem = prefix.rstrip(".")
        hit.update(m for m in modules if prefix == _EVERYTHING or m == stem or m.startswith(prefix))
    return hit


def closure(direct: Iterable[str], prefixes: Iterable[str], modules: Mapping[str, Path]):
    """Every project module reached from the direct imports, following module imports."""
    todo = sorted(_resolve(direct, prefixes, modules))
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
            tree, more = None, {_EVERYTHING}
        if tree is not None:
            found, more = imports_in(tree, name, path.name == "__init__.py")
            todo.extend(sorted(_resolve(found, (), modules) - seen))
        todo.extend(sorted(_resolve((), more, modules) - seen))
    return seen


def digest(paths: Iterable[Path], root: Path) -> str:
    """A hash of the files' names and contents, in a stable order."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def code_cells(app: Sphinx, docname: str, text: str) -> list[str] | None:
    """The code cells of a page as MyST-NB reads it, or None if it is not a notebook."""
    from myst_nb.core.read import create_nb_reader

    env = app.env
    reader = create_nb_reader(str(env.doc2path(docname)), env.myst_config, env.mystnb_config, text)
    if reader is None:
        return None
    try:
        notebook = reader.read(text)
    except Exception:  # noqa: BLE001 - MyST-NB reports a malformed page itself, with context
        return None
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _page_imports(cells: list[str]) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    prefixes: set[str] = set()
    for source in cells:
        tree = _parse_cell(source)
        if tree is None:
            prefixes.add(_EVERYTHING)
            continue
        found, more = imports_in(tree)
        names |= found
        prefixes |= more
    return names, prefixes


def _dependencies(app: Sphinx, names, prefixes) -> tuple[list[Path], str]:
    root = Path(app.srcdir)
    modules = project_modules(root, app.config.page_dependency_packages)
    paths = sorted(modules[m] for m in closure(names, prefixes, modules))
    return paths, digest(paths, root)


def _hash_cell(suffix: str, text: str, comment: str) -> str | None:
    """``text`` with a hidden code cell holding ``comment`` appended, or None if unsupported."""
    if suffix == ".md":
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`{3,}", text)), default=0))
        return (
            f"{text.rstrip()}\n\n{fence}{{code-cell}} ipython3\n:tags: [remove-cell]\n\n"
            f"{comment}\n{fence}\n"
        )
    if suffix == ".ipynb":
        notebook = json.loads(text)
        notebook["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "page-dependencies",
                "metadata": {"tags": ["remove-cell"]},
                "outputs": [],
                "source": comment,
            }
        )
        return json.dumps(notebook)
    return None


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    cells = code_cells(app, docname, source[0])
    if not cells:
        return
    names, prefixes = _page_imports(cells)
    paths, key = _dependencies(app, names, prefixes)
    if not paths:
        return
    for path in paths:
        app.env.note_dependency(str(path))
    app.env.page_dependencies[docname] = (sorted(names), sorted(prefixes), key)
    comment = f"# {MARKER} {key} over {len(paths)} project files"
    suffix = Path(app.env.doc2path(docname)).suffix
    updated = _hash_cell(suffix, source[0], comment)
    if updated is None:
        logger.warning(
            "page-dependencies: cannot add the dependency hash to a %s page; "
            "its cached outputs may be stale",
            suffix,
            location=docname,
        )
        return
    source[0] = updated


def on_env_get_outdated(app: Sphinx, env: BuildEnvironment, added, changed, removed):
    """Pages whose imported code hashes differently from when they were last read."""
    stale = []
    for docname, (names, prefixes, key) in env.page_dependencies.items():
        if docname in removed or docname in changed or docname in added:
            continue
        if _dependencies(app, names, prefixes)[1] != key:
            stale.append(docname)
    if stale:
        logger.info("page-dependencies: imported code changed for %s", ", ".join(sorted(stale)))
    return stale


def on_builder_inited(app: Sphinx) -> None:
    if not hasattr(app.env, "page_dependencies"):
        app.env.page_dependencies = {}


def on_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    env.page_dependencies.pop(docname, None)


def on_merge_info(app: Sphinx, env: BuildEnvironment, docnames, other: BuildEnvironment):
    env.page_dependencies.update(
        {d: v for d, v in other.page_dependencies.items() if d in docnames}
    )


def setup(app: Sphinx) -> dict:
    app.add_config_value("page_dependency_packages", ("derivations", "verify", "figures"), "env")
    app.connect("builder-inited", on_builder_inited)
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-purge-doc", on_purge_doc)
    app.connect("env-merge-info", on_merge_info)
    return {
        "version": "1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
