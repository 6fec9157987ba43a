"""``python -m verify.bench book``: how long the book takes to rebuild after a one-topic change.

The project (its packages, ``book/``, ``_config.yml``, ``_toc.yml`` and the installed MathJax)
is copied into a temporary folder, and there

1. the book is built from nothing (cold: every page executes);
2. one line is added to the topic's derivations (``derivations/<topic>.py``, or its package's
   ``__init__.py``; ``--topic``, default ``ridge``): a comment, so the page's results do not
   change but its code does;
3. the book is built again (warm).

For each build it prints the wall time and the pages that were executed, read from
jupyter-cache (an execution adds a cache record; a page served from the cache adds none),
then whether the re-executed pages are the topic's page and the dashboard, and whether the
target is met: a warm rebuild after a one-topic change within 30 s on 2 cores. The times
are one run each on whatever else the machine is doing; this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from derivations.topics import read_toc

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a warm rebuild after a one-topic change may take (on 2 cores).
TARGET_SECONDS = 30.0
DASHBOARD = "verification.md"
_MATHJAX = Path("_build") / "mathjax" / "static"


def changed_file(root: Path, topic: str) -> Path:
    """The file of ``topic``'s derivations that the benchmark changes.

    >>> changed_file(ROOT, "ridge").relative_to(ROOT).as_posix()
    'derivations/ridge.py'
    >>> changed_file(ROOT, "layers").relative_to(ROOT).as_posix()
    'derivations/layers/__init__.py'
    """
    if not isinstance(topic, str) or not topic.isidentifier():
        raise ValueError(f"topic: a topic name is required, got {topic!r}")
    root = Path(root)
    for path in (
        root / "derivations" / f"{topic}.py",
        root / "derivations" / topic / "__init__.py",
    ):
        if path.is_file():
            return path
    raise ValueError(f"topic: {topic!r} has no derivations/{topic}.py or package")


def copy_project(root: Path, dest: Path) -> Path:
    """Copy what a book build reads from ``root`` into ``dest``; returns ``dest``.

    >>> copy_project(Path("/nonexistent"), Path(tempfile.gettempdir()) / "unused")
    Traceback (most recent call last):
    ...
    FileNotFoundError: MathJax is not installed in /nonexistent/_build/mathjax/static: run `make mathjax`
    """
    if not isinstance(root, str | os.PathLike) or not isinstance(dest, str | os.PathLike):
        raise TypeError("root, dest: paths are required")
    root, dest = Path(root), Path(dest)
    mathjax = root / _MATHJAX
    if not (mathjax / "mathjax" / "tex-mml-chtml.js").is_file():
        raise FileNotFoundError(f"MathJax is not installed in {mathjax}: run `make mathjax`")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("derivations", "verify", "figures", "book"):
        shutil.copytree(root / folder, dest / folder, ignore=skip)
    shutil.copytree(mathjax, dest / _MATHJAX)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(root / name, dest / name)
    return dest


def _cache_records(root: Path) -> dict[tuple[str, int], float]:
    """jupyter-cache's records: (page, record id) -> seconds its execution took."""
    from jupyter_cache import get_cache

    cache = root / "_build" / ".jupyter_cache"
    if not cache.exists():
        return {}
    return {
        (Path(r.uri).name, r.pk): float(r.data.get("execution_seconds") or 0.0)
        for r in get_cache(cache).list_cache_records()
    }


def _build(root: Path) -> tuple[float, dict[str, float], str | None]:
    """Build the book in ``root``: seconds, the pages executed (with their execution
    seconds), and the end of the log if the build failed."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    path = os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])
    before = _cache_records(root)
    start = time.perf_counter()
    result = subprocess.run(
        [str(jupyter_book), "build", ".", "--warningiserror", "--nitpick", "--keep-going"],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=path),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    after = _cache_records(root)
    executed = {page: after[(page, pk)] for page, pk in set(after) - set(before)}
    failure = None if result.returncode == 0 else (result.stdout + result.stderr)[-3000:]
    return seconds, executed, failure


def _topics_read(root: Path, topics) -> dict[str, list[str]]:
    """For each page, the topic columns its last execution imported (from its record)."""
    from jupyter_cache import get_cache

    spec = importlib.util.spec_from_file_location(
        "page_recorder", root / "book" / "_ext" / "page_recorder.py"
    )
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    cache = get_cache(root / "_build" / ".jupyter_cache")
    latest = {}
    for r in sorted(cache.list_cache_records(), key=lambda r: r.created):
        latest[Path(r.uri).name] = r.pk
    read = {}
    for page, pk in sorted(latest.items()):
        printed = "".join(
            out.get("text", "")
            for cell in cache.get_cache_bundle(pk).nb.cells
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream"
        )
        modules = (recorder.parse(printed) or {}).get("modules", [])
        read[page] = [t for t in topics if any(m.split(".")[1:2] == [t] for m in modules)]
    return read


def _pages(executed: dict[str, float]) -> str:
    return ", ".join(f"{page} ({seconds:.0f} s)" for page, seconds in sorted(executed.items()))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when both builds succeed (whether or not the target is met).

    >>> main(["--topic", "nope"])
    2
    """
    parser = argparse.ArgumentParser(prog="python -m verify.bench book", description=__doc__)
    parser.add_argument("--topic", default="ridge", help="the topic to change (default ridge)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args(argv)
    topics = read_toc(ROOT / "_toc.yml")
    if args.topic not in topics:
        print(
            f"--topic: unknown topic {args.topic!r}; topics: {', '.join(topics)}", file=sys.stderr
        )
        return 2
    # Importing matplotlib first builds its font cache, outside the timed builds (as `make book`).
    subprocess.run([sys.executable, "-c", "import matplotlib.pyplot"], check=True)
    work = Path(tempfile.mkdtemp(prefix="bench-book-"))
    try:
        root = copy_project(ROOT, work / "project")
        print(f"copy of the project: {root}  ({os.cpu_count()} cores)")
        cold, cold_pages, failure = _build(root)
        print(f"cold build: {cold:6.1f} s, {len(cold_pages)} pages executed: {_pages(cold_pages)}")
        if failure:
            print(f"the cold build failed:\n{failure}", file=sys.stderr)
            return 1
        target = changed_file(root, args.topic)
        with target.open("a", encoding="utf-8") as f:
            f.write("# a one-line change made by python -m verify.bench book\n")
        print(f"changed one line of {target.relative_to(root).as_posix()}")
        warm, warm_pages, failure = _build(root)
        print(f"warm build: {warm:6.1f} s, {len(warm_pages)} pages executed: {_pages(warm_pages)}")
        if failure:
            print(f"the warm build failed:\n{failure}", file=sys.stderr)
            return 1
        expected = sorted({f"{args.topic}.md", DASHBOARD})
        if sorted(warm_pages) == expected:
            print(f"re-executed exactly the topic's page and the dashboard: {', '.join(expected)}")
        else:
            print(f"expected to re-execute {', '.join(expected)}; topics each page imported:")
            for page, read in _topics_read(root, topics).items():
                print(f"  {page}: {', '.join(read) or '-'}")
        met = warm <= TARGET_SECONDS
        print(
            f"target: warm rebuild after a one-topic change <= {TARGET_SECONDS:.0f} s on 2 cores: "
            f"{'met' if met else 'NOT met'} ({warm:.1f} s on {os.cpu_count()} cores)"
        )
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
