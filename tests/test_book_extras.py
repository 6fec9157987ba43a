"""The book's extras: notebook downloads, and the instructor switch that hides answer keys.

* ``test_instructor_switch_hides_every_trace_of_a_key`` (``build``) builds a two-page book in
  a temporary folder, whose key page has a cell tagged ``answer-key`` (it prints a value and
  shows an image that appear nowhere in the source) and an ``answer-key`` container (a literal
  marker): built normally, every marker is in the output; built again with
  ``DV_HIDE_ANSWER_KEYS=1``, none is in any file of the HTML output (pages, search index,
  source copies, notebooks, images), nothing is executed again, and the notebook download is
  still a valid notebook.
* The ``browser`` tests read the built book (``make book``; they skip without one unless
  ``REQUIRE_BOOK=1``): every chapter page links its notebook, and each linked notebook exists
  and is a valid, executed notebook.
"""

from __future__ import annotations

import base64
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("DV_BOOK_HTML", ROOT / "_build" / "html"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import answer_keys  # noqa: E402
import downloads  # noqa: E402
from test_book_build import HEADER  # noqa: E402
from test_book_notation import require_book  # noqa: E402

# A 1×1 PNG whose bytes are a marker of their own (the image a key cell shows).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

KEY_PAGE = (
    HEADER
    + """
# Key page

Everyone sees this: OPENMARKER.

```{code-cell} ipython3
print("PUBLIC-" + str(2 * 3))
```

```{code-cell} ipython3
:tags: [answer-key]

import base64
from IPython.display import Image, display
from myst_nb import glue

# The printed marker is computed, so it is in the outputs only, never in the source.
print("KEYOUT-" + str(6 * 7 * 1000 + 17))
display(Image(data=base64.b64decode("PNG_BASE64")))
glue("glued_key", 5821377 * 1001, display=False)
```

:::{container} answer-key
Your key is PROSEKEY, and {glue:text}`glued_key`.
:::

The end.
"""
).replace("PNG_BASE64", base64.b64encode(PNG).decode())

INTRO_PAGE = """# Intro

A book of one page.
"""


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    )


@pytest.mark.build
def test_instructor_switch_hides_every_trace_of_a_key(tmp_path, monkeypatch):
    import nbformat
    from test_book_build import _build, _copy_project, _write_later

    root = _copy_project(
        tmp_path,
        {"intro.md": INTRO_PAGE, "key.md": KEY_PAGE},
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/key\n",
    )
    # The configuration names the bibliography files (the copy above leaves them out).
    for bib in [ROOT / "book" / "references.bib", *(ROOT / "book" / "bib").glob("*.bib")]:
        (root / bib.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        (root / bib.relative_to(ROOT)).write_bytes(bib.read_bytes())
    html = root / "_build" / "html"
    monkeypatch.delenv(answer_keys.ENV_VAR, raising=False)
    shown = _build(root)
    assert shown.returncode == 0, shown.stdout[-4000:] + shown.stderr[-4000:]
    markers = {
        b"KEYOUT-42017": "the key cell's output",
        b"PROSEKEY": "the key prose",
        b"5827198377": "a number glued in the key cell",
    }
    for marker, what in markers.items():
        assert _files_containing(html, marker), f"{what} is not in the build with keys"
    assert (html / "_sources" / "book" / "key.ipynb").is_file()
    # The search index splits words: the number alone is what must not stay there.
    assert b"42017" in (html / "searchindex.js").read_bytes()
    png = [p for p in (html / "_images").glob("*.png") if p.read_bytes() == PNG]
    assert png, "the key cell's image is not in the build with keys"

    monkeypatch.setenv(answer_keys.ENV_VAR, "1")
    hidden = _build(root)
    assert hidden.returncode == 0, hidden.stdout[-4000:] + hidden.stderr[-4000:]
    log = hidden.stdout + hidden.stderr
    assert "Executing notebook" not in log, "the switch re-executed a page"
    for marker, what in markers.items():
        leaks = _files_containing(html, marker)
        assert not leaks, f"{what} is still in {leaks} with {answer_keys.ENV_VAR}=1"
    assert not [p for p in (html / "_images").glob("*.png") if p.read_bytes() == PNG]
    assert b"42017" not in (html / "searchindex.js").read_bytes()
    # What is not a key stays, and the page says that the key was left out.
    page = (html / "book" / "key.html").read_text(encoding="utf-8")
    assert "OPENMARKER" in page and "PUBLIC-6" in page and "The end." in page
    assert page.count(answer_keys.NOTE) == 1, "one note for the adjacent cell and container"
    nb = nbformat.read(html / "_sources" / "book" / "key.ipynb", as_version=4)
    nbformat.validate(nb)
    assert any("PUBLIC-6" in str(c.get("outputs")) for c in nb.cells if c.cell_type == "code")
    assert any(c.source == answer_keys.NOTE for c in nb.cells)

    # A number glued in a key cell and shown outside a key container fails the build.
    key_md = root / "book" / "key.md"
    _write_later(key_md, key_md.read_text() + "\nLeaked: {glue:text}`glued_key`.\n")
    leaked = _build(root)
    assert leaked.returncode != 0
    assert "'glued_key', glued in an answer-key cell" in leaked.stdout + leaked.stderr

    # A value that is neither on nor off is refused, naming the variable.
    monkeypatch.setenv(answer_keys.ENV_VAR, "maybe")
    refused = _build(root)
    assert refused.returncode != 0
    assert answer_keys.ENV_VAR in refused.stdout + refused.stderr


def test_strip_myst_keeps_what_is_not_a_key():
    page = (
        "```{code-cell} ipython3\n:tags: [remove-input]\nshow()\n```\n"
        "::::{note}\n:::{container} answer-key\nSECRET_PROSE\n:::\nkept\n::::\n"
        "```{code-cell} ipython3\n---\ntags: [answer-key, remove-input]\n---\nsecret_code()\n```\n"
        "```{code-cell} ipython3\n:tags: [answer-keys]\nnot_a_key()\n```\n"
    )
    text, removed = answer_keys.strip_myst(page, "NOTE")
    assert removed == 2
    assert "SECRET_PROSE" not in text and "secret_code" not in text
    assert "show()" in text and "kept" in text and "not_a_key()" in text
    assert text.count("NOTE") == 2


@pytest.mark.parametrize("value", ["1", "true", "Yes", " on "])
def test_switch_reads_on(value):
    assert answer_keys.switch_value({answer_keys.ENV_VAR: value}) is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_switch_reads_off_even_when_configured_on(value):
    assert answer_keys.switch_value({answer_keys.ENV_VAR: value}, configured=True) is False


# --- the built book ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def book():
    return require_book(HTML)


def _pages_with_code() -> list[str]:
    """The toc's pages that have a code cell their readers see (so a notebook to download)."""
    from bookserve import PAGES

    cell = re.compile(
        r"^```\{code-cell\}[^\n]*\n(?P<head>(?::[^\n]*\n)*|---\n.*?\n---\n)", re.M | re.S
    )
    out = []
    for doc in PAGES:
        source = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        if any("remove-cell" not in m["head"] for m in cell.finditer(source)):
            out.append(doc)
    return out


@pytest.mark.browser
def test_every_chapter_links_a_valid_executed_notebook(book):
    import nbformat

    # The pages of this build (a small build holds a few; the browser test checks that a
    # full one holds every page of the toc).
    pages = [d for d in _pages_with_code() if (book / f"{d}.html").is_file()]
    assert len(pages) >= 3, pages
    problems = []
    for doc in pages:
        page = (book / f"{doc}.html").read_text(encoding="utf-8")
        links = re.findall(r'href="([^"]+\.ipynb)"', page)
        if not links:
            problems.append(f"{doc}: no link to a notebook")
            continue
        for link in set(links):
            target = (book / doc).parent / link
            if not target.is_file():
                problems.append(f"{doc}: {link} does not exist")
                continue
            nb = nbformat.read(target, as_version=4)
            try:
                nbformat.validate(nb)
            except nbformat.ValidationError as exc:
                problems.append(f"{doc}: {link} is not a valid notebook: {exc.message}")
            code = [c for c in nb.cells if c.cell_type == "code"]
            if not any(c.get("outputs") for c in code):
                problems.append(f"{doc}: {link} has no outputs (not the executed notebook)")
    assert not problems, "\n".join(problems)


def test_relative_links_climb_out_of_the_page_folder():
    assert downloads.relative("book/x", "_sources/book/x.ipynb") == "../_sources/book/x.ipynb"
    assert downloads.relative("index", "_sources/index.ipynb") == "_sources/index.ipynb"


@pytest.mark.browser
def test_pdf_links_resolve_to_a_pdf(book):
    """Pages link the whole-book PDF only when ``make pdf`` made it (DV_BOOK_PDF); with
    ``REQUIRE_PDF=1`` (``.ci/run``, after ``make pdf``) every chapter must link it."""
    problems = []
    if os.environ.get("REQUIRE_PDF") == "1":
        built = [d for d in _pages_with_code() if (book / f"{d}.html").is_file()]
        unlinked = [d for d in built if "book.pdf" not in (book / f"{d}.html").read_text()]
        assert not unlinked, f"REQUIRE_PDF=1 but these pages do not link book.pdf: {unlinked}"
    for page in sorted(book.rglob("*.html")):
        for link in set(re.findall(r'href="([^"#]+\.pdf)"', page.read_text(encoding="utf-8"))):
            target = page.parent / link
            if not target.is_file() or target.read_bytes()[:5] != b"%PDF-":
                problems.append(f"{page.relative_to(book)}: {link} is not a PDF")
    assert not problems, "\n".join(problems)


# The glossary defines exactly the terms the chapters may link (book/notation.md's sibling):
# the convention's list, spelled so.
TERMS = (
    "claim, evidence, tolerance, false-alarm level, numeric-only, proved, witness, wrong answer, "
    "kink, subgradient, variance map, fan-in, Bayes risk, interpolation threshold, double "
    "descent, min-norm solution, Monte Carlo, finite difference, enumeration, torch reference, "
    "near miss, answer key, seed, orbit, invariant, equivariant, receptive field, adversarial "
    "example, threat model"
).split(", ")


def _glossary_terms() -> list[str]:
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert block, "book/glossary.md has no {glossary} block"
    return re.findall(r"^(\S[^\n]*)$", block[1], re.M)


def test_glossary_defines_every_term_of_the_convention():
    defined = [t for t in _glossary_terms() if not t.startswith(":")]
    assert len(defined) == len(set(defined)), "a term is defined twice"
    assert not set(TERMS) - set(defined), f"missing: {sorted(set(TERMS) - set(defined))}"


def test_every_term_a_page_links_is_defined():
    defined = set(_glossary_terms())
    role = re.compile(r"\{term\}`(?:[^`<]*<([^>`]+)>|([^`]+))`")
    unknown = {
        f"{page.name}: {a or b}"
        for page in (ROOT / "book").glob("*.md")
        for a, b in role.findall(page.read_text(encoding="utf-8"))
        if (a or b).strip() not in defined
    }
    assert not unknown, sorted(unknown)


@pytest.mark.parametrize("module", ["answer_keys", "downloads", "print_pdf"])
def test_extension_doctests(module):
    """book/_ext is outside the doctest paths: run these modules' examples here."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed, result
