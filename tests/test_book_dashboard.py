"""The dashboard as built (`make book`): claims linked both ways, statements typeset, the JSON.

Reads the pages of ``_build/html``; run with the browser tests (``make browser-test``,
``.ci/run``), after the book is built. Without a build they skip, unless ``REQUIRE_BOOK=1``
(as in ``.ci/run``), which makes a missing build a failure.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from bookserve import HTML

from derivations.topics import TOPICS

pytestmark = pytest.mark.browser

# A claim id's cell in an evidence table: its anchor and its link to the other side.
CELL = re.compile(r'<a class="dv-claim" id="([^"]+)" href="([^"#]*)#([^"]+)"><code>([^<]+)</code>')


def _built() -> Path:
    html = HTML / "book"
    if (html / "verification.html").is_file():
        return html
    if os.environ.get("REQUIRE_BOOK"):
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    pytest.skip("no built book (make book)")


def test_built_pages_link_each_claim_both_ways():
    html = _built()
    board = (html / "verification.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="(claim-[^"]+)"', board))
    assert len(ids) >= 100  # every claim has its row here
    for chapter in sorted(html.glob("*.html")):
        topic = chapter.stem
        if topic not in TOPICS:
            continue
        page = chapter.read_text(encoding="utf-8")
        assert f'id="evidence-{topic}"' in page
        assert f'href="{topic}.html#evidence-{topic}"' in board
        rows = CELL.findall(page)
        assert rows, f"{topic}: no linked claim rows"
        for anchor, target, fragment, claim_id in rows:
            assert anchor == fragment == f"claim-{claim_id}" and target == "verification.html"
            assert anchor in ids
            assert f'href="{topic}.html#{anchor}"' in board


def test_built_dashboard_typesets_and_offers_the_json():
    html = _built()
    board = (html / "verification.html").read_text(encoding="utf-8")
    assert "Piecewise(" not in board and "Interval.open(" not in board
    found = re.findall(r'href="((?:\.\./)*_downloads/[^"]+/verification-evidence\.json)"', board)
    (link,) = set(found)
    doc = json.loads((html / link).resolve().read_text(encoding="utf-8"))
    assert doc["format"] == "derived-and-verified evidence"
    assert len(doc["claims"]) == len(set(re.findall(r'id="(claim-[^"]+)"', board)))
    assert doc["provenance"]["python"]
