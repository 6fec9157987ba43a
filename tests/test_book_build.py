"""The book build: no stale page after a code change, and a failing claim fails the build.

The build tests (``-m build``) copy the project's code, the book configuration and its local
extensions into a temporary folder, add small pages of their own, and run the virtual
environment's ``jupyter-book`` there with warnings as errors, the way ``make book`` does.
The temporary root comes first on ``PYTHONPATH``, so the pages' kernel imports the copied
packages, not the installed project. The unit tests at the end check the import analysis of
``book/_ext/page_dependencies.py`` on its own.
"""

from __future__ import annotations

import ast
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
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import page_dependencies as deps  # noqa: E402

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


def _copy_project(dest: Path, pages: dict[str, str], toc: str) -> Path:
    if not (MATHJAX / "mathjax" / "tex-mml-chtml.js").is_file():
        pytest.fail(f"MathJax is not installed in {MATHJAX}: run `make mathjax` first")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("derivations", "verify", "figures"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    shutil.copytree(ROOT / "book" / "_ext", dest / "book" / "_ext", ignore=ignore)
    shutil.copytree(MATHJAX, dest / "_build" / "mathjax" / "static")
    shutil.copy(ROOT / "_config.yml", dest)
    (dest / "_toc.yml").write_text(toc)
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
        {
            "intro.md": (ROOT / "book" / "intro.md").read_text(),
            "probe.md": PROBE_PAGE,
            "verification.md": "# Verification\n\nThe introduction links here.\n",
        },
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/probe\n"
        "  - file: book/verification\n",
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
    return deps.project_modules(tmp_path, ["pkg", "other"])


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
    names, prefixes = deps.imports_in(ast.parse("from pkg import a\nimport numpy"))
    assert deps.closure(names, prefixes, modules) == {
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
    assert deps.closure({"pkg"}, set(), modules) == {"pkg", "pkg.x", "pkg.y"}
    names, prefixes = deps.imports_in(ast.parse("import importlib\nimportlib.import_module(n)"))
    assert deps.closure(names, prefixes, modules) == set(modules)


def test_magics_are_skipped_and_unparsable_cells_depend_on_everything():
    assert deps._page_imports(["%matplotlib inline\nimport pkg.a"]) == ({"pkg.a"}, set())
    assert deps._page_imports(["%%bash\nls"]) == (set(), set())
    assert deps._page_imports(["def broken(:"]) == (set(), {""})


def test_the_hash_changes_with_content_not_with_time(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("A = 1\n")
    before = deps.digest([path], tmp_path)
    os.utime(path, (1, 1))
    assert deps.digest([path], tmp_path) == before
    path.write_text("A = 2\n")
    assert deps.digest([path], tmp_path) != before
