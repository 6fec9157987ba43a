"""The one list of topics, in book order, read from the book's table of contents.

A topic is a chapter ``book/<name>`` of ``_toc.yml`` with a column of its own: a module or
package ``derivations/<name>``. Everything that needs the list (the claim registry, the
figures, the command-line tools, the dashboard, the tests) reads :data:`TOPICS`, so adding a
topic is its four column files (``derivations/``, ``verify/``, ``figures/``, ``book/``), its
tests and one line of ``_toc.yml``.

>>> TOPICS[:2]
('activations', 'mlp')
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"
_CHAPTER = re.compile(r"^\s*-?\s*file:\s*book/([A-Za-z_][A-Za-z0-9_]*)\s*$")


def _has_column(name: str) -> bool:
    here = Path(__file__).resolve().parent
    return (here / f"{name}.py").is_file() or (here / name / "__init__.py").is_file()


def read_toc(path: Path = TOC) -> tuple[str, ...]:
    """The chapters of ``path`` that are topics, in order.

    The file is the book's own, so a line-oriented reading of its ``file: book/<name>``
    entries is enough (and keeps YAML out of every command-line start).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     toc = Path(tmp) / "_toc.yml"
    ...     _ = toc.write_text("root: book/intro\\nchapters:\\n  - file: book/ridge\\n"
    ...                        "  - file: book/mlp\\n  - file: book/verification\\n")
    ...     read_toc(toc)
    ('ridge', 'mlp')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuntimeError(f"the table of contents {path} cannot be read: {exc}") from None
    names = []
    for line in text.splitlines():
        match = _CHAPTER.match(line.split("#", 1)[0].rstrip())
        if match and _has_column(match.group(1)) and match.group(1) not in names:
            names.append(match.group(1))
    return tuple(names)


#: Every topic, in book order.
TOPICS: tuple[str, ...] = read_toc()


def topics_matching(prefix: str) -> tuple[str, ...]:
    """The topics whose ids can start with ``prefix`` (all of them for ``""``).

    >>> topics_matching("init"), topics_matching("mlp.sgd"), topics_matching("zzz")
    (('initialization',), ('mlp',), ())
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix: a string is required, got {type(prefix).__name__}")
    head, dot, _ = prefix.partition(".")
    if dot:
        return (head,) if head in TOPICS else ()
    return tuple(t for t in TOPICS if t.startswith(head))
