"""The verification dashboard's parts: margins, chapters, derivation results, provenance, JSON.

``book/verification.md`` runs every claim and shows the evidence with these functions, so
that what it computes (a claim's margin, which claims are closest to failing, how the steps
of each derivation were proved) is code with tests, not arithmetic inside a page.

**Margin.** A check passes when its error is within its tolerance; the margin is
``tolerance / error``, how many times over the error could grow before the check failed (a
margin below 1 is a failure). An error of exactly 0 (rational arithmetic, an exhaustive
count that matches, integers equal to torch's) gives an infinite margin. A check that
records no error has no margin: its verdict rests on something else (a hypothesis test's
p-value, a case-by-case comparison described in its message).

>>> margin(Evidence("t.x", "autograd", True, error=2e-12, tolerance=1e-9)) == 1e-9 / 2e-12
True
>>> margin(Evidence("t.x", "exact", True, error=0.0, tolerance=0.0))
inf
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from verify.evidence import Evidence, _num, claim_anchor, claim_cell

#: Methods that compare for equality: an error of 0 there is an exact match.
EXACT_METHODS = ("exact", "enumeration")

#: How many claims the "closest to failing" list shows.
CLOSEST = 10

#: Longer LaTeX than this (characters) is shown behind a disclosure in a table cell, so that
#: a long derived result never widens the table.
INLINE_LATEX = 80

#: Longest run of items a sequence or distribution shows before "…".
SHOWN_ITEMS = 8


def margin(evidence: Evidence) -> float | None:
    """The claim's margin, ``tolerance / error`` (see the module's docstring), or None.

    >>> margin(Evidence("t.x", "monte-carlo", True, error=0.02, tolerance=0.05))
    2.5
    >>> margin(Evidence("t.x", "torch-reference", True, error=0.0)), margin(Evidence("t.x"))
    (inf, None)
    >>> margin(Evidence("t.x", "autograd", False, error=float("nan"), tolerance=1e-9))
    0.0
    >>> margin("t.x")
    Traceback (most recent call last):
    ...
    TypeError: evidence: an Evidence is required, got str
    """
    if not isinstance(evidence, Evidence):
        raise TypeError(f"evidence: an Evidence is required, got {type(evidence).__name__}")
    if evidence.error is None:
        return None
    error, tolerance = _real(evidence.error), _real(evidence.tolerance)
    if error is None or not math.isfinite(error):  # nan, inf, text: as far off as can be
        return 0.0
    if error == 0:
        return math.inf
    if tolerance is None or not math.isfinite(tolerance):
        return None
    return max(tolerance, 0.0) / abs(error)


def exact(evidence: Evidence) -> bool:
    """Whether an infinite margin is an exact match: an error of 0 in an ``exact`` or
    ``enumeration`` check, or in one that allowed no error at all (tolerance 0 or none).

    >>> exact(Evidence("t.x", "torch-reference", True, error=0.0))
    True
    >>> exact(Evidence("t.x", "autograd", True, error=0.0, tolerance=1e-12))
    False
    """
    if margin(evidence) != math.inf:
        return False
    return evidence.method in EXACT_METHODS or not _real(evidence.tolerance)


def _real(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def margin_text(value: float | None, *, exact: bool = False) -> str:
    """A margin as a table shows it: three digits, powers of ten as ``× 10ⁿ``; ``exact`` or
    ``∞`` for an infinite one (see :func:`exact`); ``—`` for none.

    >>> [margin_text(m) for m in (2.5, 1234.5, 3.2e7, 0.004, None, float("inf"))]
    ['2.5', '1.23 × 10³', '3.2 × 10⁷', '4 × 10⁻³', '—', '∞']
    >>> margin_text(float("inf"), exact=True)
    'exact'
    """
    if value is None:
        return "—"
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"value: a float or None is required, got {type(value).__name__}")
    if math.isinf(value):
        return "exact" if exact else "∞"
    if value == 0 or 0.01 <= value < 1000:
        return f"{value:.3g}"
    exponent = math.floor(math.log10(value))
    mantissa = f"{value / 10.0**exponent:.3g}"
    if mantissa == "10":  # 9.996e5 rounds up to the next power
        mantissa, exponent = "1", exponent + 1
    return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def margin_cell(evidence: Evidence) -> str:
    """The margin column of a claim's row (:func:`margin`, written by :func:`margin_text`).

    >>> margin_cell(Evidence("t.x", "exact", True, error=0.0, tolerance=0.0))
    'exact'
    """
    return margin_text(margin(evidence), exact=exact(evidence))


def closest_to_failing(evidence: Iterable[Evidence], k: int = CLOSEST) -> list[Evidence]:
    """The ``k`` pieces of evidence with the smallest finite margins, smallest first (ties
    in claim-id order); claims without a margin or with an infinite one are left out.

    >>> ev = [Evidence("t.a", "autograd", True, error=1.0, tolerance=4.0),
    ...       Evidence("t.b", "autograd", True, error=1.0, tolerance=2.0),
    ...       Evidence("t.c", "exact", True, error=0.0, tolerance=0.0),
    ...       Evidence("t.d", "autograd", True)]
    >>> [e.claim_id for e in closest_to_failing(ev, 5)]
    ['t.b', 't.a']
    """
    from derivations.arguments import count

    k = count(k, "k")
    scored = [(m, e.claim_id, e) for e in evidence if (m := margin(e)) is not None]
    return [e for m, _, e in sorted(scored, key=lambda t: t[:2]) if math.isfinite(m)][:k]


def by_chapter(evidence: Iterable[Evidence], topics: Sequence[str]) -> list[tuple[str, list]]:
    """The evidence grouped by chapter: ``(topic, evidence)`` pairs in the order of
    ``topics`` (the book's), each group in the order given; a claim whose topic (the first
    part of its id) is not among ``topics`` comes last, under its own topic, sorted by name.

    >>> ev = [Evidence("b.x"), Evidence("a.y"), Evidence("z.q"), Evidence("b.w")]
    >>> [(t, [e.claim_id for e in g]) for t, g in by_chapter(ev, ("a", "b"))]
    [('a', ['a.y']), ('b', ['b.x', 'b.w']), ('z', ['z.q'])]
    """
    if isinstance(topics, str):
        raise TypeError("topics: a sequence of topic names is required, not one string")
    groups: dict[str, list] = {}
    for e in evidence:
        if not isinstance(e, Evidence):
            raise TypeError(f"evidence: Evidence items are required, got {type(e).__name__}")
        groups.setdefault(e.claim_id.split(".", 1)[0], []).append(e)
    order = [t for t in topics if t in groups] + sorted(set(groups) - set(topics))
    return [(t, groups[t]) for t in order]


# --- typesetting -----------------------------------------------------------------------------
def typeset(value) -> str:
    r"""A derived result as LaTeX (for ``$…$``), or ``""`` for code (a function, a class).

    SymPy objects go through :func:`derivations.render.latex` (the book's notation); numbers,
    sequences and distributions are written out, long ones cut to their first and last items.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> typeset(sp.Piecewise((0, x <= 0), (1, True)))
    '\\begin{cases} 0 & \\text{for}\\: x \\leq 0 \\\\1 & \\text{otherwise} \\end{cases}'
    >>> typeset(sp.Interval.open(0, 1)), typeset(Fraction(-2, 9)), typeset(2.5e-7)
    ('\\left(0, 1\\right)', '-\\frac{2}{9}', '2.5 \\times 10^{-7}')
    >>> typeset({28: 0.25, 29: 0.75}), typeset(((3, 4), (5,))), typeset(print)
    ('P(28) = 0.25,\\; P(29) = 0.75', '\\left(\\left(3, 4\\right), \\left(5\\right)\\right)', '')
    """
    import sympy as sp

    if isinstance(value, sp.Basic | sp.MatrixBase):
        from derivations.render import latex

        return latex(value)
    if isinstance(value, bool):
        return rf"\text{{{value}}}"
    if isinstance(value, int | float | Fraction) or _numpy_number(value):
        return _number(value)
    if isinstance(value, Mapping):
        items = [rf"P({typeset(k)}) = {typeset(v)}" for k, v in value.items()]
        return r",\; ".join(_cut(items, len(value)))
    if isinstance(value, list | tuple) or _numpy_array(value):
        items = [typeset(v) for v in value]
        return r"\left(" + ", ".join(_cut(items, len(items))) + r"\right)"
    if isinstance(value, str):
        return rf"\text{{{value}}}" if value else ""
    return ""


def _cut(items: list[str], total: int) -> list[str]:
    if total <= SHOWN_ITEMS:
        return items
    return [*items[: SHOWN_ITEMS - 2], r"\ldots", items[-1], rf"\text{{ ({total} items)}}"]


def _numpy_number(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.ndim == 0


def _numpy_array(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "ndim") and value.ndim >= 1


def _number(value) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    if _numpy_number(value):
        value = value.item()
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return r"\text{nan}" if math.isnan(value) else ("-" if value < 0 else "") + r"\infty"
    text = f"{value:.6g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


#: Characters that mean something to Markdown (or to a table, or to dollarmath) in a cell.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|$~])")


def escape(text: str) -> str:
    r"""``text`` with every character Markdown would read as markup backslash-escaped.

    >>> print(escape("1 - tanh(x)**2 | fan_in"))
    1 - tanh(x)\*\*2 \| fan\_in
    """
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    return _MARKDOWN.sub(r"\\\1", text)


def statement_myst(statement: str, value=None) -> str:
    r"""A claim's statement as MyST: plain text escaped, and wherever it spells the derived
    result ``value`` the way SymPy prints it (``Piecewise((0, x <= 0), (1, True))``,
    ``Interval.open(0, 1)``), that result typeset as inline math instead.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> print(statement_myst("d/dx tanh(x) = 1 - tanh(x)**2", 1 - sp.tanh(x) ** 2))
    d/dx tanh(x) = $1 - \tanh^{2}{\left(x \right)}$
    >>> print(statement_myst("the range is Interval.open(0, 1)", sp.Interval.open(0, 1)))
    the range is $\left(0, 1\right)$
    >>> print(statement_myst("width 512, not 2**9", sp.Integer(512)))
    width 512, not 2\*\*9
    """
    if not isinstance(statement, str):
        raise TypeError(f"statement: a string is required, got {type(statement).__name__}")
    import sympy as sp

    spelled = []
    if isinstance(value, sp.Basic | sp.MatrixBase):
        # Only a spelling that is not a bare number or name: "512" in "width 512" stays text.
        spelled = [s for s in {sp.sstr(value), str(value)} if not re.fullmatch(r"[\w.]*", s)]
    for text in sorted(spelled, key=len, reverse=True):
        if text in statement:
            before, _, after = statement.partition(text)
            return f"{escape(before)}${typeset(value)}${statement_myst(after, value)}"
    return escape(statement)


def derived_cell(evidence: Evidence) -> str:
    """The statement cell of a dashboard row: the typeset statement and, unless the
    statement already shows it, the derived result (behind a disclosure when long).

    >>> print(derived_cell(Evidence("t.x", statement="one is one", derived="1")))
    one is one; derived: $1$
    >>> derived_cell(Evidence("t.x", statement="x", derived="y" * 90)).count("<details")
    1
    """
    if not isinstance(evidence, Evidence):
        raise TypeError(f"evidence: an Evidence is required, got {type(evidence).__name__}")
    shown = evidence.statement
    derived = evidence.derived
    if not derived or f"${derived}$" in shown:
        return shown
    if len(derived) <= INLINE_LATEX:
        return f"{shown}; derived: ${derived}$"
    return (
        f'{shown} <details class="dv-derived"><summary>derived result</summary>'
        f"${derived}$</details>"
    )


# --- tables ----------------------------------------------------------------------------------
def number_text(value) -> str:
    """An error or a tolerance as the evidence tables write it (two digits; ``0``; blank).

    >>> number_text(3.14159e-12), number_text(0.0), number_text(None)
    ('3.1e-12', '0', '')
    """
    return _num(value)


def same_page_link(claim_id: str) -> str:
    """A link to the claim's row on this page, the id as code.

    >>> same_page_link("t.x")
    '<a href="#claim-t.x"><code>t.x</code></a>'
    """
    return f'<a href="#{claim_anchor(claim_id)}"><code>{claim_id}</code></a>'


def chapter_page(topic: str) -> str:
    """The chapter's page, relative to the dashboard (they are siblings under ``book/``).

    >>> chapter_page("mlp")
    'mlp.html'
    """
    if not isinstance(topic, str) or not re.fullmatch(r"[A-Za-z_]\w*", topic):
        raise ValueError(f"topic: a topic name is required, got {topic!r}")
    return f"{topic}.html"


def dashboard_link(claim_id: str, page: str = "verification.html") -> str:
    """Where a chapter's row of ``claim_id`` points: its row on the dashboard.

    >>> dashboard_link("mlp.sgd.W1_new")
    'verification.html#claim-mlp.sgd.W1_new'
    """
    return f"{page}#{claim_anchor(claim_id)}"


def evidence_anchor(prefix: str) -> str:
    """The id of the evidence table that :func:`verify.claims.publish` writes for ``prefix``.

    >>> evidence_anchor("mlp")
    'evidence-mlp'
    """
    claim_anchor(prefix)  # the same characters as a claim id
    return f"evidence-{prefix}"


DASHBOARD_HEAD = (
    "claim",
    "statement",
    "method",
    "result",
    "error",
    "tolerance",
    "margin",
    "message",
)


def dashboard_table(evidence: Iterable[Evidence]) -> str:
    """One chapter's claims as a Markdown table for the dashboard: each claim cell is the
    row's anchor and a link to the claim's row in its chapter's evidence table; the
    statement is typeset (:func:`derived_cell`); the message comes last.

    >>> print(dashboard_table([Evidence("t.x", "exact", True, error=0.0, tolerance=0.0,
    ...                                 message="equal", statement="x")]).splitlines()[2])
    | <a class="dv-claim" id="claim-t.x" href="t.html#claim-t.x"><code>t.x</code></a> | <span class="dv-statement" style="...">x</span> | exact | PASS | 0 | 0 | exact | equal |
    """
    lines = ["| " + " | ".join(DASHBOARD_HEAD) + " |", "|" + "---|" * len(DASHBOARD_HEAD)]
    for e in evidence:
        topic = e.claim_id.split(".", 1)[0]
        href = f"{chapter_page(topic)}#{claim_anchor(e.claim_id)}"
        cells = [
            claim_cell(e.claim_id, href),
            _wrapping(derived_cell(e).replace("\n", " ")),
            e.method,
            "PASS" if e.passed else "FAIL",
            number_text(e.error),
            number_text(e.tolerance),
            margin_cell(e),
            e.message.replace("|", "\\|").replace("\n", " "),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _markdown_table(head: Sequence[str], rows: Iterable[Sequence]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def closest_table(evidence: Iterable[Evidence], k: int = CLOSEST) -> str:
    """The "closest to failing" list (:func:`closest_to_failing`) as a Markdown table, each
    claim linked to its row on this page.

    >>> print(closest_table([Evidence("t.a", "autograd", True, error=1.0, tolerance=2.0)]))
    |  | claim | chapter | method | error | tolerance | margin |
    |---|---|---|---|---|---|---|
    | 1 | <a href="#claim-t.a"><code>t.a</code></a> | t | autograd | 1 | 2 | 2 |
    """
    rows = [
        (
            rank,
            same_page_link(e.claim_id),
            e.claim_id.split(".", 1)[0],
            e.method,
            number_text(e.error),
            number_text(e.tolerance),
            margin_cell(e),
        )
        for rank, e in enumerate(closest_to_failing(evidence, k), 1)
    ]
    return _markdown_table(("", "claim", "chapter", "method", "error", "tolerance", "margin"), rows)


def _totals(rows: Iterable[Mapping]) -> dict:
    rows = list(rows)
    return {s: sum(r[s] for r in rows) for s in ("steps", "proved", "numeric-only", "failed")}


def summary_table(chapters: Iterable[tuple[str, list]], derivations: Mapping[str, list]) -> str:
    """One row per chapter: its claims (passed, failed, smallest margin, seconds) beside its
    derivations (how many, and how their steps were checked); each links to its section.

    >>> print(summary_table([("t", [Evidence("t.a", "exact", True, error=0.0)])],
    ...                     {"t": [{"steps": 3, "proved": 2, "numeric-only": 1, "failed": 0}]}
    ...                     ).splitlines()[-1])
    | <a href="#dv-chapter-t">t</a> | 1 | 1 | 0 | exact | 1 | 2 | 1 | 0 | 0.0 |
    """
    head = (
        "chapter",
        "claims",
        "passed",
        "failed",
        "smallest margin",
        "derivations",
        "proved",
        "numeric-only",
        "failed steps",
        "seconds",
    )
    rows = []
    for topic, ev in chapters:
        passed = sum(e.passed for e in ev)
        scored = [(m, exact(e)) for e in ev if (m := margin(e)) is not None]
        least = margin_text(min(scored)[0], exact=min(scored)[1]) if scored else "—"
        d = derivations.get(topic, [])
        t = _totals(d)
        rows.append(
            (
                f'<a href="#{chapter_anchor(topic)}">{topic}</a>',
                len(ev),
                passed,
                len(ev) - passed,
                least,
                len(d),
                t["proved"],
                t["numeric-only"],
                t["failed"],
                f"{sum(e.seconds for e in ev):.1f}",
            )
        )
    return _markdown_table(head, rows)


def chapter_anchor(topic: str) -> str:
    """The id of a chapter's section on the dashboard.

    >>> chapter_anchor("mlp")
    'dv-chapter-mlp'
    """
    chapter_page(topic)  # a topic name, or a ValueError
    return f"dv-chapter-{topic}"


def chapter_section(
    topic: str, evidence: Sequence[Evidence], derivations: Sequence[Mapping]
) -> str:
    r"""A chapter's part of the dashboard, in MyST: an anchor, the chapter's title as a rubric
    (``{ref}`ch-<topic>```), a line linking the chapter's evidence table, the claims
    (:func:`dashboard_table`) and, behind a dropdown, its derivations.

    >>> out = chapter_section("t", [Evidence("t.a", "exact", True)], [
    ...     {"id": "t.d", "title": "a_b", "steps": 2, "proved": 1, "numeric-only": 1, "failed": 0}])
    >>> print(out.split("\n\n")[1])
    :::{rubric} {ref}`ch-t`
    :::
    >>> print(out.splitlines()[-2])
    | `t.d` | a\_b | 2 | 1 | 1 | 0 |
    """
    passed = sum(e.passed for e in evidence)
    table_link = f"{chapter_page(topic)}#{evidence_anchor(topic)}"
    parts = [
        f'<span id="{chapter_anchor(topic)}"></span>',
        f":::{{rubric}} {{ref}}`ch-{topic}`\n:::",
        f"`{topic}`: {len(evidence)} claims, {passed} passed, {len(evidence) - passed} failed "
        f'(<a href="{table_link}">the chapter\'s evidence table</a>).',
        dashboard_table(evidence),
    ]
    if derivations:
        t = _totals(derivations)
        rows = [
            (
                f"`{r['id']}`",
                escape(r["title"]),
                r["steps"],
                r["proved"],
                r["numeric-only"],
                r["failed"],
            )
            for r in derivations
        ]
        head = ("derivation", "title", "steps", "proved", "numeric-only", "failed")
        parts.append(
            f":::{{dropdown}} Derivations of `{topic}`: {len(derivations)}, {t['proved']} of "
            f"{t['steps']} steps proved\n{_markdown_table(head, rows)}\n:::"
        )
    return "\n\n".join(parts)


def provenance_table(prov: Mapping) -> str:
    """:func:`provenance` as a two-column Markdown table.

    >>> print(provenance_table({"commit": None, "commit_date": None, "uncommitted_changes": None,
    ...     "python": "3.12.1", "libraries": {"sympy": "1.14"}, "platform": "Linux",
    ...     "machine": "x86_64", "cpus": 4, "usable_cpus": 2}).splitlines()[2])
    | commit | unknown (not a git checkout) |
    """
    libraries = ", ".join(f"{name} {version}" for name, version in prov["libraries"].items())
    changes = {None: "unknown", True: "yes", False: "no"}[prov["uncommitted_changes"]]
    rows = [
        ("commit", f"`{prov['commit']}`" if prov["commit"] else "unknown (not a git checkout)"),
        ("commit date", prov["commit_date"] or "unknown"),
        ("uncommitted changes", changes),
        ("Python", prov["python"]),
        ("libraries", escape(libraries)),
        ("platform", f"{escape(prov['platform'])} ({escape(prov['machine'])})"),
        ("CPUs", f"{prov['cpus']} ({prov['usable_cpus']} usable by this build)"),
    ]
    return _markdown_table(("", ""), rows)


#: The evidence tables keep each cell but the last on one line (book/_ext/static/book.css);
#: a statement is prose, so its cell wraps, at a readable width.
_WRAP = "display: inline-block; min-width: 14rem; max-width: 26rem; white-space: normal"


def _wrapping(cell: str) -> str:
    return f'<span class="dv-statement" style="{_WRAP}">{cell}</span>'


# --- derivations -----------------------------------------------------------------------------
def derivation_results(topic: str, *, seed: int = 0) -> list[dict]:
    """Every step-by-step derivation of ``topic`` (its ``DERIVATIONS`` table, in order) with
    how its steps were checked: ``id, title, steps, proved, numeric-only, failed``.

    Entries that are not chains of steps (an activation's range, an architecture's table)
    are left out. With ``DV_CACHE_DIR`` set, the rows are kept there under
    :func:`derivation_results_key` and looked up the next time; and a derivation whose check
    the chapter's page already ran is looked up rather than checked again
    (:meth:`derivations.core.Derivation.check`).

    >>> rows = derivation_results("optimizers")
    >>> rows[0]["id"], rows[0]["failed"], sum(r["proved"] for r in rows) > 0
    ('optimizers.momentum_conventions', 0, True)
    """
    import importlib

    from derivations import cache
    from derivations.arguments import seed as valid_seed
    from derivations.core import FAILED, NUMERIC_ONLY, PROVED, Derivation
    from derivations.topics import TOPICS

    if topic not in TOPICS:
        raise ValueError(f"topic: unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    seed = valid_seed(seed)
    digest = derivation_results_key(topic, seed) if cache.directory() is not None else None
    if digest is not None:
        kept = cache.lookup("derivation_results", digest, list)
        if kept is not None:
            return kept
    rows = []
    for name, build in importlib.import_module(f"derivations.{topic}").DERIVATIONS.items():
        found = build()
        if not isinstance(found, Derivation):
            continue
        counts = found.check(seed=seed).counts()
        rows.append(
            {
                "id": name,
                "title": found.title,
                "steps": sum(counts.values()),
                "proved": counts[PROVED],
                "numeric-only": counts[NUMERIC_ONLY],
                "failed": counts[FAILED],
            }
        )
    # Kept only if no file of the key changed while the derivations were checked.
    if digest is not None and derivation_results_key(topic, seed) == digest:
        cache.store("derivation_results", digest, rows)
    return rows


def derivation_results_key(topic: str, seed: int = 0) -> str:
    """The cache key of :func:`derivation_results`: the topic and the seed, the source of
    every file under ``derivations/`` that the topic's column can run (the files of
    :func:`verify.claims.evidence_files` there: its own modules, the shared ones, what they
    import), of this module, and the versions of SymPy, mpmath and Python. A derivation's
    check depends on nothing else (:func:`derivations.core.check_key` keys each one on less),
    so a change in ``verify/`` keeps the rows, and a change in a derivation does not.

    >>> derivation_results_key("ridge") == derivation_results_key("ridge")
    True
    >>> derivation_results_key("ridge") == derivation_results_key("ridge", 1)
    False
    """
    from derivations import cache
    from derivations.topics import TOPICS
    from verify.claims import evidence_files

    if topic not in TOPICS:
        raise ValueError(f"topic: unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    files = [cache.ROOT / p for p in evidence_files(topic) if p.parts[0] == "derivations"]
    return cache.key(
        [
            "derivation-results",
            topic,
            seed,
            cache.file_digests([*files, Path(__file__)]),
            cache.versions(["sympy", "mpmath"]),
        ]
    )


# --- provenance ------------------------------------------------------------------------------
#: The libraries whose versions the dashboard reports (the evidence cache keys on these).
LIBRARIES = ("sympy", "numpy", "torch", "scipy", "mpmath")


def provenance(root: str | os.PathLike | None = None) -> dict:
    """Where and with what the evidence was produced: the git commit checked out in ``root``
    (the project's, by default) and its commit date, whether files differed from it, the
    Python and library versions, and the machine (platform, CPU count).

    The date is the commit's (committer date, UTC), not the clock's, so that two builds of
    one commit report the same; what cannot be made so (the machine) is reported as it is.
    Without git, or outside a checkout, the commit fields are None.

    >>> p = provenance()
    >>> sorted(p["libraries"]) == sorted(LIBRARIES), p["cpus"] >= 1
    (True, True)
    """
    import platform
    from importlib import metadata

    from derivations.topics import ROOT
    from verify.runner import cores

    root = Path(ROOT if root is None else root)
    if not root.is_dir():
        raise ValueError(f"root: {str(root)!r} is not a directory")
    commit = _git(root, "rev-parse", "HEAD")
    date = _git(root, "log", "-1", "--format=%cd", "--date=iso-strict-local", "HEAD", utc=True)
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "commit": commit,
        "commit_date": date,
        "uncommitted_changes": None if status is None else bool(status.strip()),
        "python": platform.python_version(),
        "libraries": versions,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count() or 1,
        "usable_cpus": cores(),
    }


def _git(root: Path, *args: str, utc: bool = False) -> str | None:
    import subprocess

    env = {**os.environ, "TZ": "UTC"} if utc else None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# --- JSON ------------------------------------------------------------------------------------
#: Names the JSON's layout; a reader checks it before reading the rest.
JSON_FORMAT = "derived-and-verified evidence"
JSON_VERSION = 1


def evidence_json(
    evidence: Iterable[Evidence],
    statements: Mapping[str, str],
    derivations: Mapping[str, list],
    provenance: Mapping,
    *,
    seed: int,
) -> dict:
    """All evidence as one JSON-ready document: format and version, the seed, the
    provenance, one entry per claim (:meth:`Evidence.to_dict` plus its chapter, its
    statement as plain text and its margin, ``"inf"`` for an infinite one) and the
    derivation results of each chapter.

    >>> doc = evidence_json([Evidence("t.x", "exact", True, error=0.0)], {"t.x": "x"}, {},
    ...                     {}, seed=0)
    >>> doc["claims"][0]["chapter"], doc["claims"][0]["margin"], doc["format"]
    ('t', 'inf', 'derived-and-verified evidence')
    """
    claims = []
    for e in evidence:
        if e.claim_id not in statements:
            raise ValueError(f"statements: no statement for claim {e.claim_id!r}")
        m = margin(e)
        claims.append(
            {
                **e.to_dict(),
                "chapter": e.claim_id.split(".", 1)[0],
                "statement_text": statements[e.claim_id],
                "margin": m if m is None or math.isfinite(m) else "inf",
            }
        )
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "seed": seed,
        "provenance": dict(provenance),
        "claims": claims,
        "derivations": {topic: list(rows) for topic, rows in derivations.items()},
    }


def write_json(document: Mapping, directory: str | os.PathLike, name: str = "evidence.json"):
    """Write ``document`` as ``<directory>/<digest>/<name>`` and return that path.

    The folder is named by the SHA-256 of the text, so a page that links the file can only
    link the document it wrote: a page served from the execution cache links the file its
    own execution wrote, and no later build can put other evidence under that name. The
    file is written once (whole, through a temporary file) and never read back.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_json({"a": 1}, tmp)
    ...     json.loads(p.read_text()), p.name, p == write_json({"a": 1}, tmp)
    ({'a': 1}, 'evidence.json', True)
    """
    if not isinstance(document, Mapping):
        raise TypeError(f"document: a mapping is required, got {type(document).__name__}")
    if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+\.json", name):
        raise ValueError(f"name: a file name ending in .json is required, got {name!r}")
    text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = Path(directory) / digest / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    return path
