"""Re-execute a book page when, and only when, project code it used changes (DESIGN rule 6).

Two caches stand between a change in ``derivations/``, ``verify/`` or ``figures/`` and the
page that shows its result, and neither looks at imported code: Sphinx re-reads a page only
when its file (or a noted dependency) is newer than the last read, and jupyter-cache
(MyST-NB's ``execute_notebooks: cache``) keys a notebook on the source of its code cells. So
this extension puts a **key** into the page: a hidden last cell whose source holds it. A new
key is a new jupyter-cache entry, hence an execution; an old key finds the old outputs.

**What a page depends on.** Each Python page also gets a hidden first cell, and its last cell
prints a *record* of what the kernel used (``page_recorder.py``): the file and hash of every
project module in ``sys.modules`` when the page ended, every other file under the root it
opened for reading (``_toc.yml``, which ``derivations/topics.py`` reads), and which modules
the packages hold. The record is the cell's output, so jupyter-cache stores it inside the
executed notebook it describes. When Sphinx reads a page it looks up the cache entry that
the page's last key would hit with the page's current cells; if that entry exists and every
file of its record still hashes the same, the page keeps that key and the cached outputs
are served. Otherwise (first build, a file of the record changed, no or a corrupt record,
another execution mode) the key is a hash over a conservative set: the static import closure
of the page's cells (``page_imports.py``, which follows ``import_module(f"verify.{t}")`` to
every module under ``verify.``), the ``page_dependency_files`` (``_toc.yml``), the files of
the old record, and the package listing. ``env-get-outdated`` makes the same decision for
the pages Sphinx would not re-read anyway, so a page is re-read exactly when its key would
change: file times play no part (a copy that keeps old mtimes is caught; a touch is not a
change).

**Why the record is enough.** Which files an execution reads is decided by the page's
cells and by the bytes of the files it has read so far (a seed or the clock may change the
numbers a page shows, never which modules it imports). Take the execution E whose outputs
the cache would serve, and its record R. If every file of R is unchanged, re-running the
page takes the same path through the same code: each import it makes or skips is decided by
code in R or in the page's cells, which are unchanged (they are part of the jupyter-cache
key), so it reads nothing outside R and produces E's outputs. A module E did not import can
therefore only come in through a change in a file of R, or in the page itself, and either
one re-executes the page. Two inputs are not file contents, and both are covered: whether a
module exists (an ``import`` that fails, or ``topics.py`` testing for a column) is in the
listing of the packages' ``.py`` files; and a page is held to the modules its own cells
name, so a record that lacks one is not trusted (such a page is always keyed
conservatively). Outside this contract, as before: the installed libraries, files outside
the root, whether a non-Python file exists, and a file edited while its page runs (files are
hashed when the page ends). After upgrading a library, build from clean.

The record lives in the cache entry rather than in a file of its own so that it cannot
describe any execution but the one whose outputs it stands beside: deleting the cache
deletes both, and an entry that jupyter-cache drops takes its record with it.

A spurious execution costs seconds; a stale page shows a false result. So every doubt falls
back to the conservative key, and a key is only ever reused together with the record of the
very execution whose outputs it finds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import site
import sys
from collections.abc import Iterable
from pathlib import Path

import page_imports as imports
import page_recorder as recorder
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Starts the key comment in the last hidden cell; also what a reader finds in the notebook.
MARKER = "page-dependencies sha256:"
#: The first hidden cell: the recorder, loaded as a module so the page's names stay its own.
HOOK_CELL = (
    '__import__("sys").modules["_page_recorder"] = _m = __import__("types").ModuleType('
    f'"_page_recorder"); exec({Path(recorder.__file__).read_text(encoding="utf-8")!r}, '
    "_m.__dict__); _m.install(); del _m  # page-dependencies: note what this page reads"
)
REPORT_CALL = '__import__("_page_recorder").report()'
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)


def key_cell(key: str, recording: bool) -> str:
    """The source of the last hidden cell: the key, and the call that prints the record.

    >>> print(key_cell("abc", recording=False))
    # page-dependencies sha256:abc
    """
    if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]+", key):
        raise ValueError(f"key: a hexadecimal digest is required, got {key!r}")
    comment = f"# {MARKER}{key}"
    return f"{comment}\n{REPORT_CALL}" if recording else comment


def with_cells(suffix: str, text: str, key: str, recording: bool) -> str | None:
    """A page's text with the hidden cells added, or None for an unsupported format.

    In a MyST page the recording cell goes right after the front matter, on one line of
    code, so line numbers in warnings about the page's body are 4 higher than in its file.

    >>> page = "---\\nkernelspec: {}\\n---\\n# T\\n"
    >>> print(with_cells(".md", page, "ab", recording=False))
    ---
    kernelspec: {}
    ---
    # T
    <BLANKLINE>
    ```{code-cell} ipython3
    :tags: [remove-cell]
    # page-dependencies sha256:ab
    ```
    <BLANKLINE>
    """
    if suffix not in (".md", ".ipynb"):
        return None
    last = key_cell(key, recording)
    if suffix == ".ipynb":
        notebook = json.loads(text)

        def cell(name, source):
            meta = {"tags": ["remove-cell"]}
            return {"cell_type": "code", "execution_count": None, "id": name,
                    "metadata": meta, "outputs": [], "source": source}  # fmt: skip

        first = [cell("page-dependencies-hook", HOOK_CELL)] if recording else []
        notebook["cells"] = [*first, *notebook["cells"], cell("page-dependencies", last)]
        return json.dumps(notebook)
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`{3,}", text)), default=0))

    def cell(source):
        return f"{fence}{{code-cell}} ipython3\n:tags: [remove-cell]\n{source}\n{fence}\n"

    text = f"{text.rstrip()}\n\n{cell(last)}"
    if recording:
        match = _FRONT_MATTER.match(text)
        end = match.end() if match else 0
        text = f"{text[:end]}{cell(HOOK_CELL)}{text[end:]}"
    return text


def _notebook(app: Sphinx, docname: str, text: str):
    """The page as MyST-NB reads it (kernel aliases applied), or None if not a notebook."""
    from myst_nb.core.read import create_nb_reader

    env = app.env
    reader = create_nb_reader(str(env.doc2path(docname)), env.myst_config, env.mystnb_config, text)
    if reader is None:
        return None
    try:
        notebook = reader.read(text)
    except Exception:  # noqa: BLE001 - MyST-NB reports a malformed page itself, with context
        return None
    # the same renaming MyST-NB does before it asks the cache (it is part of the cache key)
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    for pattern, alias in (env.mystnb_config.kernel_rgx_aliases or {}).items():
        if kernel is not None and re.fullmatch(pattern, kernel):
            notebook.metadata["kernelspec"]["name"] = alias
            break
    return notebook


def _cache(app: Sphinx):
    """The jupyter-cache MyST-NB executes through, or None when it does not use one."""
    config = app.env.mystnb_config
    if config.execution_mode != "cache":
        return None
    from jupyter_cache import get_cache

    return get_cache(config.execution_cache_path or ".jupyter_cache")


def _hashkey(app: Sphinx, docname: str, text: str, cache) -> str | None:
    """The jupyter-cache key of the page's notebook as MyST-NB will present it."""
    notebook = _notebook(app, docname, text)
    return None if notebook is None else cache.create_hashed_notebook(notebook)[1]


def cached_record(cache, hashkey: str | None) -> dict | None:
    """The record printed by the cache entry ``hashkey``, or None (no entry, no record).

    >>> cached_record(None, None) is None
    True
    """
    if cache is None or hashkey is None:
        return None
    from jupyter_cache.cache.db import NbCacheRecord

    try:
        entry = NbCacheRecord.record_from_hashkey(hashkey, cache.db)
        notebook = cache.get_cache_bundle(entry.pk).nb
    except Exception:  # noqa: BLE001 - no entry, or a damaged one: both mean "no record"
        return None
    for cell in notebook.cells:
        if cell.get("cell_type") == "code" and REPORT_CALL in cell.get("source", ""):
            printed = "".join(
                out.get("text", "")
                for out in cell.get("outputs", [])
                if out.get("output_type") == "stream" and out.get("name") == "stdout"
            )
            return recorder.parse(printed)
    return None


def record_holds(record: dict, root: Path, packages: Iterable[str], own: Iterable[str]):
    """Whether ``record`` still describes the project: ``(holds, its files)``.

    It holds when it is a record of this version for this root, every module it names came
    from the root, the packages hold the same ``.py`` files, each file hashes as recorded,
    and it includes the modules ``own`` that the page's cells name.

    >>> record_holds({"version": 0}, Path("."), ["pkg"], [])
    (False, [])
    """
    if not isinstance(record, dict):
        raise TypeError(f"record: a dict is required, got {type(record).__name__}")
    root = Path(root).resolve()
    files = record.get("files")
    if record.get("version") != recorder.VERSION or not isinstance(files, dict):
        return False, []
    paths = [root / rel for rel in files if not Path(rel).is_absolute() and ".." not in rel]
    holds = (
        len(paths) == len(files)
        and record.get("root") == str(root)
        and not record.get("foreign")
        and record.get("listing") == recorder.listing(str(root), list(packages))
        and all(recorder.sha256(str(root / rel)) == sha for rel, sha in files.items())
        and set(own) <= set(record.get("modules", ()))
    )
    return holds, [p for p in paths if p.is_file()]


def _decide(app: Sphinx, names, prefixes, cache, key, hashkey):
    """``(key, paths, how)`` for a page with these imports whose last key was ``key``.

    ``hashkey`` is the cache key the page's current cells would have with that key.
    """
    root = Path(app.srcdir).resolve()
    packages = list(app.config.page_dependency_packages)
    modules = imports.project_modules(root, packages)
    own = imports.resolve(names, (), modules)
    earlier: list[Path] = []
    record = cached_record(cache, hashkey) if key is not None else None
    if record is not None:
        holds, earlier = record_holds(record, root, packages, own)
        if holds:
            return key, earlier, "recorded"
    paths = {modules[m] for m in imports.closure(names, prefixes, modules)}
    paths |= {root / name for name in app.config.page_dependency_files}
    paths |= set(earlier)  # what the page read last time, even if static analysis missed it
    listing = recorder.listing(str(root), packages)
    conservative = hashlib.sha256(f"{imports.digest(paths, root)} {listing}".encode())
    return conservative.hexdigest(), sorted(paths), "static"


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    notebook = _notebook(app, docname, source[0])
    if notebook is None:
        return
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    if not cells:
        return
    suffix = Path(app.env.doc2path(docname)).suffix
    if suffix not in (".md", ".ipynb"):
        logger.warning(
            "page-dependencies: cannot add the dependency key to a %s page; "
            "its cached outputs may be stale",
            suffix,
            location=docname,
        )
        return
    language = notebook.metadata.get("kernelspec", {}).get("language", "")
    recording = language == "python"
    cache = _cache(app) if recording else None
    names, prefixes = imports.page_imports(cells)
    last = app.env.page_dependency_keys.get(docname)
    hashkey = None
    if cache is not None and last is not None:
        hashkey = _hashkey(app, docname, with_cells(suffix, source[0], last, recording), cache)
    key, paths, how = _decide(app, names, prefixes, cache, last, hashkey)
    text = with_cells(suffix, source[0], key, recording)
    if cache is not None and key != last:
        hashkey = _hashkey(app, docname, text, cache)
    root = Path(app.srcdir).resolve()
    app.env.page_dependencies[docname] = {
        "names": sorted(names),
        "prefixes": sorted(prefixes),
        "key": key,
        "hashkey": hashkey,
        "how": how,
        "files": [p.relative_to(root).as_posix() for p in paths],
    }
    app.env.page_dependency_keys[docname] = key
    logger.verbose("page-dependencies: %s: %s, %d files", docname, how, len(paths))
    source[0] = text


def on_env_get_outdated(app: Sphinx, env: BuildEnvironment, added, changed, removed):
    """Pages whose key would change: something they used was modified."""
    cache = _cache(app)
    stale = []
    for docname, page in env.page_dependencies.items():
        if docname in removed or docname in changed or docname in added:
            continue
        hashkey = page["hashkey"] if cache is not None else None
        key, _, _ = _decide(app, page["names"], page["prefixes"], cache, page["key"], hashkey)
        if key != page["key"]:
            stale.append(docname)
    if stale:
        logger.info("page-dependencies: code they used changed for %s", ", ".join(sorted(stale)))
    return stale


def on_builder_inited(app: Sphinx) -> None:
    for name in ("page_dependencies", "page_dependency_keys"):
        if not hasattr(app.env, name):
            setattr(app.env, name, {})
    root = Path(app.srcdir).resolve()
    ignore = [app.outdir, app.doctreedir]
    if getattr(app.config, "nb_execution_cache_path", ""):
        ignore.append(root / app.config.nb_execution_cache_path)
    # The memo of derivation checks and claim evidence (derivations/cache.py): an entry is
    # determined by its key, and the key is computed from source files the page reads (and
    # so records), so reading an entry adds no dependency of its own.
    if os.environ.get("DV_CACHE_DIR"):
        ignore.append(Path(os.environ["DV_CACHE_DIR"]))
    # Installed libraries are not the project's, even when the virtual environment lies
    # inside the project folder (make's .venv): their files are not page dependencies.
    ignore += [Path(p) for p in {sys.prefix, sys.exec_prefix, *site.getsitepackages()}]
    # The kernels MyST-NB starts inherit this process's environment.
    os.environ[recorder.ENV] = json.dumps(
        {
            "root": str(root),
            "packages": list(app.config.page_dependency_packages),
            "ignore": [str(Path(p).resolve()) for p in ignore],
        }
    )


def on_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    # page_dependency_keys survives: the next read of the page needs its last key
    env.page_dependencies.pop(docname, None)


def on_merge_info(app: Sphinx, env: BuildEnvironment, docnames, other: BuildEnvironment):
    for name in ("page_dependencies", "page_dependency_keys"):
        getattr(env, name).update({d: v for d, v in getattr(other, name).items() if d in docnames})


def setup(app: Sphinx) -> dict:
    app.add_config_value("page_dependency_packages", ("derivations", "verify", "figures"), "env")
    # Files every page may read, for the conservative key (a record finds them by itself).
    app.add_config_value("page_dependency_files", ("_toc.yml",), "env")
    app.connect("builder-inited", on_builder_inited)
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-purge-doc", on_purge_doc)
    app.connect("env-merge-info", on_merge_info)
    return {
        "version": "2",
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
