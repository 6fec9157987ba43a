"""One notation across the book (book/notation.md), checked on the built pages.

Reads every HTML page under ``_build/html`` (or ``$DV_BOOK_HTML``, e.g. a small build made
with /work/wt/minibook.sh): the TeX of every math element (a ``data-tex`` attribute where math
was pre-rendered at build time, otherwise the text of a ``.math`` element), and the prose
around it (everything but math, code, scripts and styles). Each rule below is a pattern that
the notation forbids, with the exceptions it must allow; a failure names every page that
breaks the rule, how often, and the offending snippets.

What cannot be told from the text is not checked: whether ``\\theta`` is an angle, whether a
prime is a derivative or a transpose, what ``M`` counts.

The tests over the built book carry the ``browser`` mark, so that they run where the book is
built (``make browser-test``, ``.ci/run``); without a build they skip, unless
``REQUIRE_BOOK=1``, which turns a missing build into a failure. The tests of the rules
themselves run on fixed snippets, in ``make test``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("DV_BOOK_HTML", ROOT / "_build" / "html"))
#: Generated folders and pages that hold no chapter text.
SKIP_PARTS = {"_static", "_sources", "_images", "_downloads", "_modules"}
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
#: Elements whose text is not prose: code, and what the browser does not show as text.
NOT_PROSE = {"script", "style", "pre", "code", "kbd", "samp", "tt", "svg", "math", "template"}


@dataclass(frozen=True)
class Rule:
    """A notation rule: ``pattern`` must not match, unless ``allowed`` accepts the match."""

    name: str
    where: str  # "tex" or "prose"
    pattern: re.Pattern
    says: str
    allowed: object = None  # (text, match) -> bool

    def violations(self, text: str) -> list[str]:
        """The snippets of ``text`` (with a little context) that break this rule."""
        found = []
        for m in self.pattern.finditer(text):
            if self.allowed is not None and self.allowed(text, m):
                continue
            lo, hi = max(0, m.start() - 25), min(len(text), m.end() + 25)
            found.append(" ".join(text[lo:hi].split()))
        return found


# A superscript T is a transpose unless it is the upper limit of a sum or product
# (\sum_{t=1}^T): the notation's transpose is ^\top.
_LIMIT = re.compile(r"\\(?:sum|prod|bigcup|bigcap|int|bigoplus|coprod)\s*(?:_\{[^{}]*\}|_\S)?\s*$")
# \circ is composition only after a function: f \circ g, \varphi \circ h.
_FUNCTION_BEFORE = re.compile(
    r"(?:(?<![A-Za-z\\])[fghFGTR]|\\(?:varphi|phi|psi|sigma|rho|pi|tau|Phi|Psi))\s*(?:\\[,;!]\s*)*$"
)
# \mathbb{E} and \mathbb E are the expectation.
_BLACKBOARD_BEFORE = re.compile(r"\\mathbb\s*\{?\s*$")


def _is_limit(text: str, m: re.Match) -> bool:
    return bool(_LIMIT.search(text[: m.start()]))


def _is_composition(text: str, m: re.Match) -> bool:
    # (a + b) \circ c is an entrywise product: only a function's name may precede.
    return bool(_FUNCTION_BEFORE.search(text[: m.start()]))


def _is_blackboard(text: str, m: re.Match) -> bool:
    return bool(_BLACKBOARD_BEFORE.search(text[: m.start()]))


RULES = (
    Rule(
        "ln",
        "tex",
        re.compile(
            r"\\ln(?![A-Za-z])|\\(?:mathrm|operatorname|text|textrm)\s*\{\s*ln\s*\}"
            r"|(?<![\\A-Za-z])ln(?![A-Za-z])"
        ),
        "the natural logarithm is \\log",
    ),
    Rule(
        "log-upright",
        "tex",
        re.compile(
            r"\\(?:mathrm|operatorname|text|textrm)\s*\{\s*log\s*\}|(?<![\\A-Za-z{])log(?![A-Za-z])"
        ),
        "the logarithm is the operator \\log",
    ),
    Rule(
        "transpose",
        "tex",
        re.compile(
            r"\^\s*(?:T(?![A-Za-z])|\{\s*T\s*\}|\{?\s*\\(?:mathsf|mathrm|text|textsf)\s*\{\s*T\s*\}\s*\}?"
            r"|\{?\s*\\intercal(?![A-Za-z])\s*\}?|\{?\s*\\mathbf\s*\{\s*T\s*\}\s*\}?)"
        ),
        "the transpose is ^\\top",
        _is_limit,
    ),
    Rule(
        "entrywise-product",
        "tex",
        re.compile(r"\\circ(?![A-Za-z])"),
        "the entrywise product is \\odot (\\circ is composition: f \\circ g)",
        _is_composition,
    ),
    Rule(
        "expectation",
        "tex",
        re.compile(
            r"\\(?:mathrm|operatorname|mathbf|text|textrm|mathsf|mathit)\s*\{\s*E\s*\}"
            r"|(?<![\\A-Za-z_^])E\s*\}?\s*(?:\\(?:left|big|Big|bigg|Bigg)\s*)?\["
        ),
        "expectation is \\mathbb{E}",
        _is_blackboard,
    ),
    Rule(
        "variance",
        "tex",
        re.compile(
            r"\\(?:mathrm|text|textrm|mathit|mathsf)\s*\{\s*[Vv]ar\s*\}"
            r"|\\operatorname\s*\{\s*var\s*\}|(?<![\\A-Za-z{])Var(?![A-Za-z])"
        ),
        "variance is \\operatorname{Var}",
    ),
    Rule(
        "operator-names",
        "tex",
        re.compile(
            r"\\(?:mathrm|text|textrm|mathit|mathsf)\s*\{\s*(?:softmax|onehot|one\\?_hot)\s*\}"
            r"|(?<![\\A-Za-z{])(?:softmax|onehot)(?![A-Za-z])"
        ),
        "softmax and onehot are \\operatorname{softmax}, \\operatorname{onehot}",
    ),
    Rule(
        "sigmoid",
        "tex",
        re.compile(r"(?<![A-Za-z])sigmoid(?![A-Za-z])"),
        "the sigmoid is \\sigma(\\cdot)",
    ),
    Rule(
        "prose-ln",
        "prose",
        re.compile(r"(?<![\w.])ln\s*\("),
        "the natural logarithm is log (in math: \\log)",
    ),
    Rule(
        "prose-transpose",
        "prose",
        re.compile(r"(?<=[\w)\]])\^\s*(?:T|\{T\})(?![\w])"),
        "the transpose is ᵀ (in math: ^\\top)",
    ),
    Rule(
        "prose-expectation",
        "prose",
        re.compile(r"(?<![\w.])E\s*\["),
        "expectation is 𝔼 (in math: \\mathbb{E})",
    ),
    Rule(
        "prose-entrywise",
        "prose",
        re.compile(r"∘"),
        "the entrywise product is ⊙ (∘ is composition: f ∘ g)",
        _is_composition,
    ),
)


_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|textit|textbf|mbox|hbox)\s*\{")


def split_text(tex: str) -> tuple[str, list[str]]:
    """``tex`` with the contents of its ``\\text{…}`` (and similar) emptied, and those contents:
    words in math (a step's reason) are prose, and obey the prose rules.

    >>> split_text(r"\\log x && \\text{log rule: {a} }\\frac{1}{x}")
    ('\\\\log x && \\\\text{}\\\\frac{1}{x}', ['log rule: {a} '])
    """
    out, texts, pos = [], [], 0
    for m in _TEXT_COMMAND.finditer(tex):
        if m.start() < pos:  # nested inside a text already taken
            continue
        depth, end = 1, m.end()
        while end < len(tex) and depth:
            depth += {"{": 1, "}": -1}.get(tex[end], 0) if tex[end - 1] != "\\" else 0
            end += 1
        out.append(tex[pos : m.end()] + "}")
        texts.append(tex[m.end() : end - 1])
        pos = end
    out.append(tex[pos:])
    return "".join(out), texts


def page_text(html: str) -> tuple[list[str], str]:
    """The TeX of every math element of a page, and its prose (text outside math and code).

    >>> tex, prose = page_text('<p>Take <span class="math">\\\\(x^\\\\top\\\\)</span> and '
    ...                        '<code>E[x]</code> <div class="math" data-tex="y"><svg>z</svg></div>.</p>')
    >>> tex, " ".join(prose.split())
    (['\\\\(x^\\\\top\\\\)', 'y'], 'Take and .')
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    tex = []
    body = soup.body or soup
    for el in body.find_all(True):
        if el.has_attr("data-tex"):
            tex.append(el["data-tex"])
        elif "math" in (el.get("class") or []) and not el.find_parent(attrs={"data-tex": True}):
            tex.append(el.get_text())
    for el in body.find_all(True):
        if el.decomposed:
            continue
        if el.name in NOT_PROSE or el.has_attr("data-tex") or "math" in (el.get("class") or []):
            el.decompose()
    return tex, body.get_text(" ")


def built_pages(html_dir: Path = HTML) -> list[Path]:
    """The chapter-like pages of a build: every HTML page but generated indexes and assets."""
    return sorted(
        p
        for p in html_dir.rglob("*.html")
        if not SKIP_PARTS & set(p.relative_to(html_dir).parts) and p.name not in SKIP_PAGES
    )


@functools.cache
def _parsed(path: Path) -> tuple[tuple[str, ...], str]:
    """A page's math (without its text parts) and its prose (with them)."""
    tex, prose = page_text(path.read_text(encoding="utf-8"))
    split = [split_text(t) for t in tex]
    words = [w for _, texts in split for w in texts]
    return tuple(t for t, _ in split), "\n".join([prose, *words])


def violations(rule: Rule, html_dir: Path = HTML) -> dict[str, list[str]]:
    """{page: offending snippets} over every built page, for one rule."""
    out = {}
    for page in built_pages(html_dir):
        tex, prose = _parsed(page)
        texts = tex if rule.where == "tex" else (prose,)
        found = [snippet for text in texts for snippet in rule.violations(text)]
        if found:
            out[str(page.relative_to(html_dir))] = found
    return out


def report(rule: Rule, found: dict[str, list[str]], most: int = 4) -> str:
    """A failure message: the rule, then each page with its count and first snippets."""
    total = sum(map(len, found.values()))
    lines = [f"{rule.name}: {rule.says}; {total} violations on {len(found)} pages"]
    for page, snippets in sorted(found.items()):
        lines.append(f"  {page} ({len(snippets)}):")
        lines += [f"      {s!r}" for s in snippets[:most]]
        if len(snippets) > most:
            lines.append(f"      … and {len(snippets) - most} more")
    return "\n".join(lines)


def require_book(html: Path = HTML) -> Path:
    """``html`` if it holds a build; else skip, or fail when ``REQUIRE_BOOK=1`` (CI)."""
    if not (html / "index.html").is_file():
        why = f"no built book at {html} (run `make book`)"
        if os.environ.get("REQUIRE_BOOK") == "1":
            pytest.fail(f"REQUIRE_BOOK=1 but {why}")
        pytest.skip(why)
    return html


@pytest.fixture(scope="module")
def book():
    return require_book()


@pytest.mark.browser
@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_built_pages_follow_the_notation(book, rule):
    found = violations(rule, book)
    assert not found, report(rule, found)


@pytest.mark.browser
def test_the_check_reads_math_on_the_built_pages(book):
    """The rules see the book's math at all: pages with math, and a \\top among it."""
    pages = built_pages(book)
    assert pages, f"no pages under {book}"
    tex = [t for page in pages for t in _parsed(page)[0]]
    assert len(tex) > 10, f"only {len(tex)} math elements read from {len(pages)} pages"
    assert any("\\top" in t for t in tex), "no \\top in any math element: is the TeX read?"


# The rules on fixed snippets: each forbidden form is caught, each allowed one passes.
BAD = {
    "ln": [r"\ln(1 + e^x)", r"\operatorname{ln} x", r"ln(x)"],
    "log-upright": [r"\mathrm{log}(x)", r"log(1 + x)"],
    "transpose": [r"W^T x", r"X^{T}X", r"v^{\mathsf{T}}", r"A^\intercal", r"(W^2)^T\delta"],
    "entrywise-product": [r"\delta \circ \varphi'(z)", r"(a + b) \circ c", r"x\circ y"],
    "expectation": [r"\mathrm{E}[X]", r"E\left[u^2\right]", r"E[u_l^2]", r"\operatorname{E} X"],
    "variance": [r"\mathrm{Var}(X)", r"Var(X)", r"\text{var}(u)"],
    "operator-names": [r"\mathrm{softmax}(z)", r"softmax(z)", r"\text{onehot}(y)"],
    "sigmoid": [r"\operatorname{sigmoid}(x)"],
    "prose-ln": ["softplus is ln(1 + e^x)"],
    "prose-transpose": ["the product W^T x", "X^{T} X"],
    "prose-expectation": ["its mean E[u] is"],
    "prose-entrywise": ["δ ∘ φ′(z)"],
}
GOOD = {
    "ln": [r"\log(1 + e^x)", r"\lnot p", r"\ell_n"],
    "log-upright": [r"\log x", r"\operatorname{logit}(p)", r"\mathrm{logsumexp}"],
    "transpose": [r"W^\top x", r"X^{\top}X", r"\sum_{t=1}^T x_t", r"\prod_{i=1}^{T} a_i", r"T^2"],
    "entrywise-product": [r"\delta \odot \varphi'(z)", r"f \circ g", r"\varphi\circ h"],
    "expectation": [r"\mathbb{E}[X]", r"\mathbb E\left[u\right]", r"\mathbb{E}\lVert w\rVert^2"],
    "variance": [r"\operatorname{Var}(X)", r"\sigma_w^2"],
    "operator-names": [r"\operatorname{softmax}(z)", r"\operatorname{onehot}(y)"],
    "sigmoid": [r"\sigma(x)"],
    "prose-ln": ["the natural log is written log", "kiln (a word)"],
    "prose-transpose": ["Wᵀx", "T^2 steps"],
    "prose-expectation": ["𝔼[u]", "BE[u]"],
    "prose-entrywise": ["f ∘ g", "δ ⊙ φ′(z)"],
}


def _rule(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)


@pytest.mark.parametrize("name", sorted(BAD))
def test_rule_catches_forbidden_forms(name):
    missed = [s for s in BAD[name] if not _rule(name).violations(s)]
    assert not missed, f"{name} lets these through: {missed}"


@pytest.mark.parametrize("name", sorted(GOOD))
def test_rule_allows_the_book_notation(name):
    flagged = [s for s in GOOD[name] if _rule(name).violations(s)]
    assert not flagged, f"{name} flags these: {flagged}"


def test_every_rule_has_examples():
    assert set(BAD) == set(GOOD) == {r.name for r in RULES}


def test_page_text_keeps_math_and_code_out_of_prose(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><body><p>See <code>W^T</code> and <span class='math'>W^T</span>;"
        " prose E[u].</p><pre>ln(2)</pre><div data-tex='X^{T}'><span>garbage</span></div>"
        "</body></html>"
    )
    tex, prose = page_text(page.read_text())
    assert tex == ["W^T", "X^{T}"]
    assert "W^T" not in prose and "ln(2)" not in prose and "garbage" not in prose
    assert "E[u]" in prose
    assert report(_rule("transpose"), {"p.html": _rule("transpose").violations(tex[1])})
