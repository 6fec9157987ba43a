"""The book build: no stale page after a code change, and a failing claim fails the build.

The build tests (``-m build``) copy the project's code, the book configuration and its local
extensions into a temporary folder, add small pages of their own, and run the virtual
environment's ``jupyter-book`` there with warnings as errors, the way ``make book`` does.
The temporary root comes first on ``PYTHONPATH``, so the pages' kernel imports the copied
packages, not the installed project. Which pages ran is read from jupyter-cache: an execution
adds a cache record, a page served from the cache adds none. The unit tests at the end check
the import analysis, the kernel's record and the reuse of a key on their own.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
MATHJAX = ROOT / "_build" / "mathjax" / "static"
CHECKER = ROOT / "_build" / "checker" / "static"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import page_dependencies as deps  # noqa: E402
import page_imports as imports  # noqa: E402
import page_recorder as recorder  # noqa: E402

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

# A page that shows a value read, through a second module, from a third: a change two
# imports away from the page must still re-execute it. The token changes on every run.
PROBE_PAGE = (
    HEADER
    + """
# Probe

```{code-cell} ipython3
import uuid

from derivations import _probe_a

print("MESSAGE:", _probe_a.message())
print("RUN:", uuid.uuid4().hex)
```
"""
)
# A page that uses project code but not the probe's modules.
INTRO_PAGE = (
    HEADER
    + """
# Introduction

```{code-cell} ipython3
from derivations import topics

print("TOPICS:", len(topics.TOPICS))
```
"""
)
PROBE_A = "from derivations import _probe_b\n\n\ndef message():\n    return _probe_b.MESSAGE\n"

# A page whose claim fails: `publish` raises, so the build must fail.
FAILING_PAGE = (
    HEADER
    + """
# Failing claim

```{code-cell} ipython3
from verify.claims import Claim, Evidence, publish, register

register(Claim("zz_build_test.false", "zz_build_test", "a claim that is false", "exact",
               lambda candidate, seed: Evidence("zz_build_test.false", "exact", False,
                                                message="false on purpose")))
publish("zz_build_test")
```
"""
)


def _copy_project(dest: Path, pages: dict[str, str] | None, toc: str | None) -> Path:
    """Copy the code and configuration into ``dest``, with these pages (the book's if None)."""
    if not (MATHJAX / "mathjax" / "tex-mml-chtml.js").is_file():
        pytest.fail(f"MathJax is not installed in {MATHJAX}: run `make mathjax` first")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("derivations", "verify", "figures"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    shutil.copytree(ROOT / "book" / "_ext", dest / "book" / "_ext", ignore=ignore)
    shutil.copytree(MATHJAX, dest / "_build" / "mathjax" / "static")
    # The math is typeset at build time with the installed mathjax-full (prerender_math).
    (dest / "_build" / "mathjax" / "npm").symlink_to(MATHJAX.parent / "npm")
    # The in-book checker's interpreter and SymPy (`make checker`), served as they are.
    if not (CHECKER / "checker" / "python.zip").is_file():
        pytest.fail(f"the in-book checker is not installed in {CHECKER}: run `make checker`")
    (dest / "_build" / "checker").mkdir()
    (dest / "_build" / "checker" / "static").symlink_to(CHECKER)
    shutil.copy(ROOT / "_config.yml", dest)
    # The bibliography files the configuration names (bibtex_bibfiles).
    for bib in [*(ROOT / "book").glob("*.bib"), *(ROOT / "book").glob("bib/*.bib")]:
        target = dest / bib.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bib, target)
    if pages is None:
        pages = {p.name: p.read_text() for p in (ROOT / "book").glob("*.md")}
    (dest / "_toc.yml").write_text((ROOT / "_toc.yml").read_text() if toc is None else toc)
    for name, text in pages.items():
        (dest / "book" / name).write_text(text)
    return dest


def _build(root: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", ".", "--warningiserror", "--nitpick", "--keep-going"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _shown(html: Path, label: str) -> list[str]:
    """The values printed after ``label`` in a page's output."""
    return re.findall(rf"{label}: (\w[\w ]*)", html.read_text(encoding="utf-8"))


def _cache_records(root: Path) -> dict[str, set[tuple[int, str, float]]]:
    """jupyter-cache's records of each page: {(record id, hash, creation time)}."""
    from jupyter_cache import get_cache

    records: dict[str, set] = {}
    for r in get_cache(root / "_build" / ".jupyter_cache").list_cache_records():
        records.setdefault(Path(r.uri).name, set()).add((r.pk, r.hashkey, r.created.timestamp()))
    return records


def _records(root: Path) -> dict[str, dict]:
    """The kernel's record of each page's latest cached execution, by page file name."""
    from jupyter_cache import get_cache

    cache = get_cache(root / "_build" / ".jupyter_cache")
    latest = {}
    for r in sorted(cache.list_cache_records(), key=lambda r: r.created):
        latest[Path(r.uri).name] = r.hashkey
    return {page: deps.cached_record(cache, key) for page, key in latest.items()}


def _executed(before: dict, after: dict) -> set[str]:
    """The pages with a cache record in ``after`` that ``before`` did not have."""
    return {page for page, rs in after.items() if rs - before.get(page, set())}


def _write_later(path: Path, text: str, *, mtime: float | None = None) -> None:
    """Rewrite a file, newer than anything built so far (or with the given ``mtime``)."""
    newer = max(path.stat().st_mtime, time.time()) + 2
    path.write_text(text)
    stamp = newer if mtime is None else mtime
    os.utime(path, (stamp, stamp))


@pytest.mark.build
def test_code_change_reexecutes_only_the_pages_that_import_it(tmp_path):
    root = _copy_project(
        tmp_path,
        {"intro.md": INTRO_PAGE, "probe.md": PROBE_PAGE},
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/probe\n",
    )
    (root / "derivations" / "_probe_a.py").write_text(PROBE_A)
    probe_b = root / "derivations" / "_probe_b.py"
    probe_b.write_text('MESSAGE = "first version"\n')
    html = root / "_build" / "html" / "book" / "probe.html"

    first = _build(root)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert _shown(html, "MESSAGE") == ["first version"]
    run_1 = _shown(html, "RUN")
    records_1 = _cache_records(root)

    # Change the module two imports away from the page, and make Sphinx re-read the
    # untouched intro too (its file is newer): it must come from the cache, not re-run.
    _write_later(probe_b, 'MESSAGE = "second version"\n')
    _write_later(root / "book" / "intro.md", (root / "book" / "intro.md").read_text())
    second = _build(root)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert _shown(html, "MESSAGE") == ["second version"]
    assert _shown(html, "RUN") != run_1
    log = second.stdout + second.stderr
    assert re.search(r"book/intro\.md: Using cached notebook", log), log[-4000:]
    assert re.search(r"book/probe\.md: Executing notebook", log), log[-4000:]
    records_2 = _cache_records(root)
    assert records_2["intro.md"] == records_1["intro.md"], "the intro was executed again"
    assert records_2["probe.md"] - records_1["probe.md"], "the probe was not executed again"

    # A change whose file is not newer than the page (a copy that keeps an old mtime) is
    # caught by the content hash.
    _write_later(probe_b, 'MESSAGE = "third version"\n', mtime=time.time() - 86_400)
    third = _build(root)
    assert third.returncode == 0, third.stdout[-4000:] + third.stderr[-4000:]
    assert _shown(html, "MESSAGE") == ["third version"]

    # Nothing changed: nothing is read or executed again.
    fourth = _build(root)
    assert fourth.returncode == 0
    assert "Executing notebook" not in fourth.stdout + fourth.stderr


# Two pages that use different things: ALPHA imports a module through a computed name (so
# static analysis must assume every ``derivations._probe_*`` module) and reads a data file;
# BETA imports one module. Each shows a token that changes on every run.
ALPHA_PAGE = (
    HEADER
    + """
# Alpha

```{code-cell} ipython3
import importlib
import uuid
from pathlib import Path

letter = "a"
probe = importlib.import_module(f"derivations._probe_{letter}")
print("MESSAGE:", probe.message(), "and", Path("../probe_data.txt").read_text().strip())
print("RUN:", uuid.uuid4().hex)
```
"""
)
BETA_PAGE = (
    HEADER
    + """
# Beta

```{code-cell} ipython3
import uuid

from derivations import _probe_c

print("MESSAGE:", _probe_c.MESSAGE)
print("RUN:", uuid.uuid4().hex)
```
"""
)


def _probe_pair(tmp_path: Path) -> Path:
    root = _copy_project(
        tmp_path,
        {"alpha.md": ALPHA_PAGE, "beta.md": BETA_PAGE},
        "format: jb-book\nroot: book/alpha\nchapters:\n  - file: book/beta\n",
    )
    (root / "derivations" / "_probe_a.py").write_text('def message():\n    return "alpha"\n')
    (root / "derivations" / "_probe_c.py").write_text('MESSAGE = "beta 1"\n')
    (root / "probe_data.txt").write_text("data 1\n")
    return root


def _rebuild(root: Path) -> set[str]:
    """Build again; the pages that were executed (checked against the log)."""
    before = _cache_records(root)
    result = _build(root)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    executed = _executed(before, _cache_records(root))
    assert executed == set(re.findall(r"book/(\w+\.md): Executing notebook", log)), log[-4000:]
    return executed


@pytest.mark.build
def test_each_page_is_reexecuted_for_what_it_used_when_it_last_ran(tmp_path):
    root = _probe_pair(tmp_path)
    html = {p: root / "_build" / "html" / "book" / f"{p}.html" for p in ("alpha", "beta")}
    assert _rebuild(root) == {"alpha.md", "beta.md"}
    records = _records(root)
    # The kernel saw what each page used, including a data file and a computed import.
    assert {"derivations/_probe_a.py", "probe_data.txt"} <= set(records["alpha.md"]["files"])
    assert "derivations/_probe_c.py" not in records["alpha.md"]["files"]
    assert "derivations._probe_c" in records["beta.md"]["modules"]
    assert "derivations._probe_a" not in records["beta.md"]["modules"]

    # Statically, alpha may import any derivations._probe_* module; it imported only one.
    _write_later(root / "derivations" / "_probe_c.py", 'MESSAGE = "beta 2"\n')
    assert _rebuild(root) == {"beta.md"}
    assert _shown(html["beta"], "MESSAGE") == ["beta 2"]

    # A data file is a dependency like a module, even with an old mtime.
    _write_later(root / "probe_data.txt", "data 2\n", mtime=time.time() - 86_400)
    assert _rebuild(root) == {"alpha.md"}
    assert _shown(html["alpha"], "MESSAGE") == ["alpha and data 2"]

    # A module the page did not import before comes in through one it did import.
    _write_later(
        root / "derivations" / "_probe_a.py",
        "from derivations import _probe_c\n\n\ndef message():\n    return _probe_c.MESSAGE\n",
    )
    assert _rebuild(root) == {"alpha.md"}
    _write_later(root / "derivations" / "_probe_c.py", 'MESSAGE = "beta 3"\n')
    assert _rebuild(root) == {"alpha.md", "beta.md"}
    assert _shown(html["alpha"], "MESSAGE") == ["beta 3 and data 2"]
    assert _rebuild(root) == set()


@pytest.mark.build
def test_without_a_trustworthy_record_a_page_falls_back_to_its_static_imports(tmp_path):
    root = _probe_pair(tmp_path)
    assert _rebuild(root) == {"alpha.md", "beta.md"}
    # Damage alpha's record in the cache: its outputs stay, its record says nothing.
    damaged = 0
    for path in (root / "_build" / ".jupyter_cache").rglob("*.ipynb"):
        notebook = json.loads(path.read_text())
        if "_probe_{letter}" not in json.dumps(notebook):  # the cache keeps code cells only
            continue
        for cell in notebook["cells"]:
            if deps.REPORT_CALL in "".join(cell["source"]):
                for output in cell["outputs"]:
                    damaged += recorder.PREFIX in "".join(output.get("text", ""))
                    output["text"] = "damaged\n"
        path.write_text(json.dumps(notebook))
    assert damaged == 1
    # Now alpha is taken to use every module its computed import could load.
    _write_later(root / "derivations" / "_probe_c.py", 'MESSAGE = "beta 2"\n')
    assert _rebuild(root) == {"alpha.md", "beta.md"}
    # Its new execution left a record again, so it is precise from here on.
    _write_later(root / "derivations" / "_probe_c.py", 'MESSAGE = "beta 3"\n')
    assert _rebuild(root) == {"beta.md"}


def _topics_used(record: dict | None) -> list[str]:
    """The topic columns a page's record shows it imported."""
    from derivations.topics import TOPICS

    modules = (record or {}).get("modules", [])
    return [t for t in TOPICS if any(m.split(".")[1:2] == [t] for m in modules)]


@pytest.mark.build
@pytest.mark.fullbook
def test_a_change_in_one_topic_reexecutes_its_page_and_the_dashboard_only(tmp_path):
    root = _copy_project(tmp_path, None, None)
    # The pages that are notebooks (notation and references have no code to execute).
    pages = {p.name for p in (ROOT / "book").glob("*.md") if "kernelspec:" in p.read_text()}
    assert _rebuild(root) == pages
    records = _records(root)
    used = {page: _topics_used(records.get(page)) for page in sorted(pages)}
    print("topics each page imported:", json.dumps(used, indent=1))
    print("modules each page imported:", json.dumps({p: r["modules"] for p, r in records.items()}))
    readers = sorted(p for p, r in records.items() if "derivations/ridge.py" in r["files"])

    ridge = root / "derivations" / "ridge.py"
    _write_later(ridge, ridge.read_text() + "# one more line, changed by the build test\n")
    executed = _rebuild(root)
    assert executed == {"ridge.md", "verification.md"}, (
        f"re-executed: {sorted(executed)}; pages that imported derivations/ridge.py: "
        f"{readers}; topics each page imported: {used}"
    )


@pytest.mark.build
def test_a_failing_claim_fails_the_build(tmp_path):
    root = _copy_project(
        tmp_path, {"failing.md": FAILING_PAGE}, "format: jb-book\nroot: book/failing\n"
    )
    result = _build(root)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-4000:]
    assert "ClaimFailure" in log and "zz_build_test.false" in log


# --- the import analysis, without a build -------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return imports.project_modules(tmp_path, ["pkg", "other"])


def test_imports_follow_absolute_relative_and_from_imports(tmp_path):
    modules = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from . import b\nfrom .sub.c import f\n",
            "pkg/b.py": "import math\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "from ..d import g\n",
            "pkg/d.py": "",
            "pkg/unused.py": "",
        },
    )
    names, prefixes = imports.imports_in(ast.parse("from pkg import a\nimport numpy"))
    assert imports.closure(names, prefixes, modules) == {
        "pkg",
        "pkg.a",
        "pkg.b",
        "pkg.sub",
        "pkg.sub.c",
        "pkg.d",
    }


def test_dynamic_imports_depend_on_every_module_they_could_load(tmp_path):
    modules = _package(
        tmp_path,
        {
            "pkg/__init__.py": "import importlib\nload = lambda t: importlib.import_module(f'pkg.{t}')\n",
            "pkg/x.py": "",
            "pkg/y.py": "",
            "other/__init__.py": "",
            "other/z.py": "",
        },
    )
    assert imports.closure({"pkg"}, set(), modules) == {"pkg", "pkg.x", "pkg.y"}
    names, prefixes = imports.imports_in(ast.parse("import importlib\nimportlib.import_module(n)"))
    assert imports.closure(names, prefixes, modules) == set(modules)


def test_magics_are_skipped_and_unparsable_cells_depend_on_everything():
    assert imports.page_imports(["%matplotlib inline\nimport pkg.a"]) == ({"pkg.a"}, set())
    assert imports.page_imports(["%%bash\nls"]) == (set(), set())
    assert imports.page_imports(["def broken(:"]) == (set(), {""})


def test_the_hash_changes_with_content_not_with_time(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("A = 1\n")
    before = imports.digest([path], tmp_path)
    os.utime(path, (1, 1))
    assert imports.digest([path], tmp_path) == before
    path.write_text("A = 2\n")
    assert imports.digest([path], tmp_path) != before


# --- the kernel's record and when it is trusted, without a build ---------------------------


def test_the_recorder_notes_modules_and_files_read_under_the_root(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "reads.py").write_text(
        "from pathlib import Path\nTEXT = (Path(__file__).parents[1] / 'data.txt').read_text()\n"
    )
    (tmp_path / "data.txt").write_text("hello")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.txt").write_text("built")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("elsewhere")
    config = {"root": str(tmp_path), "packages": ["pkg"], "ignore": [str(tmp_path / "build")]}
    # In a fresh interpreter, as in a page's kernel: the hook cell, the page, the report.
    page = (
        f"{deps.HOOK_CELL}\n"
        "import pkg.reads\n"
        f"open({str(tmp_path / 'build' / 'out.txt')!r}).read()\n"
        f"open({str(outside)!r}).read()\n"
        f"open({str(tmp_path / 'written.txt')!r}, 'w').write('x')\n"
        "print('LEFT:', '_m' in dir())\n"
        f"{deps.key_cell('ab', recording=True)}\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path), PAGE_DEPENDENCIES=json.dumps(config))
    run = subprocess.run(
        [sys.executable, "-c", page], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    record = recorder.parse(run.stdout)
    assert record["modules"] == ["pkg", "pkg.reads"]
    assert set(record["files"]) == {"pkg/__init__.py", "pkg/reads.py", "data.txt"}
    assert record["files"]["data.txt"] == recorder.sha256(str(tmp_path / "data.txt"))
    assert record["foreign"] == []
    # Nothing of the recorder is left in the page's namespace.
    assert "LEFT: False" in run.stdout


def test_a_project_module_loaded_from_elsewhere_makes_the_record_foreign(tmp_path):
    (tmp_path / "pkg").mkdir()
    elsewhere = type(sys)("pkg")
    elsewhere.__file__ = "/somewhere/else/pkg/__init__.py"
    config = {"root": str(tmp_path), "packages": ["pkg"]}
    record = recorder.collect(config, modules={"pkg": elsewhere}, opened=set())
    assert record["foreign"] == ["pkg"] and record["modules"] == []
    holds, _ = deps.record_holds(record, tmp_path, ["pkg"], [])
    assert not holds


def _recorded(tmp_path: Path) -> dict:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("A = 1\n")
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    module = type(sys)("pkg.a")
    module.__file__ = str(tmp_path / "pkg" / "a.py")
    config = {"root": str(tmp_path), "packages": ["pkg"]}
    return recorder.collect(config, modules={"pkg.a": module}, opened={str(tmp_path / "_toc.yml")})


def test_a_record_holds_until_a_file_it_names_or_the_package_listing_changes(tmp_path):
    record = _recorded(tmp_path)
    holds, files = deps.record_holds(record, tmp_path, ["pkg"], ["pkg.a"])
    assert holds and {p.name for p in files} == {"a.py", "_toc.yml"}
    # A module the page's own cells name but the record lacks: not trusted.
    assert not deps.record_holds(record, tmp_path, ["pkg"], ["pkg.b"])[0]
    (tmp_path / "pkg" / "unrelated.py").write_text("")  # a new module: imports may differ
    assert not deps.record_holds(record, tmp_path, ["pkg"], [])[0]
    (tmp_path / "pkg" / "unrelated.py").unlink()
    assert deps.record_holds(record, tmp_path, ["pkg"], [])[0]
    (tmp_path / "_toc.yml").write_text("root: other\n")
    assert not deps.record_holds(record, tmp_path, ["pkg"], [])[0]


def test_a_record_of_another_root_or_version_is_not_trusted(tmp_path):
    record = _recorded(tmp_path)
    assert not deps.record_holds({**record, "root": "/elsewhere"}, tmp_path, ["pkg"], [])[0]
    assert not deps.record_holds({**record, "version": 0}, tmp_path, ["pkg"], [])[0]
    escaping = {**record, "files": {**record["files"], "../x": "0"}}
    assert not deps.record_holds(escaping, tmp_path, ["pkg"], [])[0]
    with pytest.raises(TypeError, match="record"):
        deps.record_holds("{}", tmp_path, ["pkg"], [])


def test_the_hidden_cells_come_first_and_last_and_the_key_is_all_that_varies():
    page = HEADER + "\n# Title\n\n```{code-cell} ipython3\nprint(1)\n```\n"
    one = deps.with_cells(".md", page, "aa", recording=True)
    two = deps.with_cells(".md", page, "bb", recording=True)
    # the fences outgrow the page's own (```), so a page's code cannot close them
    hook = f"````{{code-cell}} ipython3\n:tags: [remove-cell]\n{deps.HOOK_CELL}\n````\n"
    assert one.startswith(HEADER + hook)
    assert one.endswith(f"\n````{{code-cell}} ipython3\n:tags: [remove-cell]\n# {deps.MARKER}aa\n"
                        f"{deps.REPORT_CALL}\n````\n")  # fmt: skip
    assert one.count("{code-cell}") == 3
    assert [line for line in one.splitlines() if line not in two.splitlines()] == [
        f"# {deps.MARKER}aa"
    ]
    notebook = json.loads(
        deps.with_cells(".ipynb", json.dumps({"cells": [{"cell_type": "code"}]}), "aa", True)
    )
    assert [c.get("id") for c in notebook["cells"]] == [
        "page-dependencies-hook",
        None,
        "page-dependencies",
    ]
    assert deps.with_cells(".rst", page, "aa", recording=True) is None
    with pytest.raises(ValueError, match="key"):
        deps.with_cells(".md", page, "not hex", recording=True)


def test_the_extension_modules_doctests_pass():
    import doctest

    for module in (deps, imports, recorder):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0, module


def test_installed_libraries_are_never_page_dependencies(tmp_path, monkeypatch):
    """make's .venv lies inside the project folder: what a page imports from it is a
    library's code, not the project's, and the kernel is told to ignore it."""
    from types import SimpleNamespace

    import page_recorder as recorder

    monkeypatch.delenv(recorder.ENV, raising=False)
    app = SimpleNamespace(
        env=SimpleNamespace(),
        srcdir=str(tmp_path),
        outdir=str(tmp_path / "_build" / "html"),
        doctreedir=str(tmp_path / "_build" / ".doctrees"),
        config=SimpleNamespace(
            nb_execution_cache_path="_build/.jupyter_cache",
            page_dependency_packages=("derivations", "verify", "figures"),
        ),
    )
    deps.on_builder_inited(app)
    ignored = json.loads(os.environ[recorder.ENV])["ignore"]
    assert str(Path(sys.prefix).resolve()) in ignored
    import sympy

    library = Path(sympy.__file__).resolve()
    assert any(library.is_relative_to(folder) for folder in ignored)
