"""Page weight and speed of the built book, measured in headless Chromium and printed.

For every page of ``_toc.yml``, in a fresh browser context (empty cache, service workers
blocked), served from ``_build/html`` on 127.0.0.1:

* **transfer**: the bytes of every response the page loads, read from Chromium's network
  events (``Network.loadingFinished``'s ``encodedDataLength``: body and headers as received),
  with every image made eager so the count covers the whole page, not only what is in view;
* **math visible**: when every ``.math`` element holds an ``mjx-container``, the document
  is parsed and no font is still loading (checked on every animation frame by a script
  installed before the page's own), in milliseconds after the load event (the target's
  measure: 0 when the math shows before it) and from navigation start; the median of three
  visits, each in a fresh context;
* **console errors**: what the page logged as an error, or threw.

Targets (issue 17, point 8): transfer ≤ 1.5 MB, math visible ≤ 1.5 s after load, no console
error. The load time itself is printed too: on the heaviest pages it is the browser laying
out their math, pre-rendered or not.
The server compresses text with gzip, as static hosts do; the uncompressed bytes are printed
too. Transfer and errors are asserted; the time is printed with its target (met or MISSED),
not asserted, because a timing depends on the machine's load.
Each page's figures are printed on the terminal (also under ``-q``) and all of them are
written to ``_build/speed.json``. A last test checks that the theme's icons still render.
"""

from __future__ import annotations

import json
import statistics

import pytest
from bookserve import PAGES, ROOT, fresh_page

pytestmark = pytest.mark.browser

MAX_TRANSFER = 1_500_000
MAX_MATH_MS = 1_500
VISITS = 3
REPORT = ROOT / "_build" / "speed.json"

# Records, on every animation frame until it holds, when the page's math is visible.
MATH_CLOCK = """(() => {
    window.__mathVisible = null;
    const visible = () => document.readyState !== 'loading'
        && Array.from(document.querySelectorAll('.math')).every(
            m => m.querySelector('mjx-container'))
        && document.fonts.status === 'loaded';
    const tick = () => {
        if (visible()) { window.__mathVisible = performance.now(); }
        else { requestAnimationFrame(tick); }
    };
    requestAnimationFrame(tick);
})();"""

EAGER_IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(
        done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
}"""

_results: dict[str, dict] = {}


#: The widths of the layout test: a desktop and a phone.
WIDTHS = {1280: 900, 390: 844}


def visit(browser, url: str, width: int = 1280) -> dict:
    """One first visit of ``url``: transfer bytes, math-visible and load ms, console errors."""
    context, page, log = fresh_page(browser, width, WIDTHS.get(width, 900))
    sizes: dict[str, float] = {}
    cdp = context.new_cdp_session(page)
    decoded: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished", lambda e: sizes.update({e["requestId"]: e["encodedDataLength"]})
    )
    cdp.on(
        "Network.dataReceived",
        lambda e: decoded.update(
            {e["requestId"]: decoded.get(e["requestId"], 0) + e["dataLength"]}
        ),
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    page.add_init_script(MATH_CLOCK)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.__mathVisible !== null")
        # Every image loaded (the whole page's, not only those in view) and the fonts (above):
        # what is left to fetch is nothing a reader waits for; a short pause lets the last
        # responses' sizes arrive.
        page.evaluate(EAGER_IMAGES)
        page.wait_for_timeout(300)
        timing = page.evaluate(
            """() => ({math: window.__mathVisible,
                       load: performance.getEntriesByType('navigation')[0].loadEventEnd,
                       count: document.querySelectorAll('.math').length})"""
        )
    finally:
        context.close()
    return {
        "transfer": int(sum(sizes.values())),
        "decoded": int(sum(decoded.values())),
        "requests": len(sizes),
        "math_ms": round(timing["math"]),
        "load_ms": round(timing["load"]),
        "math_after_load_ms": max(0, round(timing["math"] - timing["load"])),
        "math": timing["count"],
        "errors": log.errors + log.failed + log.external,
    }


def _report(doc: str, figures: dict, capsys) -> None:
    """Print a page's figures on the terminal and add them to ``_build/speed.json``."""
    _results[doc] = figures
    met = figures["math_after_load_ms"] <= MAX_MATH_MS
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(REPORT.read_text()) if REPORT.is_file() else {}
    REPORT.write_text(json.dumps({**old, **_results}, indent=1, sort_keys=True))
    with capsys.disabled():
        print(
            f"\n[speed] {doc:28s} {figures['width']:4d} px  transfer {figures['transfer'] / 1e6:5.2f} MB "
            f"(uncompressed {figures['decoded'] / 1e6:5.2f} MB) "
            f"({figures['requests']:2d} responses)  math visible "
            f"{figures['math_after_load_ms']:5d} ms after load, {figures['math_ms']:5d} ms from "
            f"navigation ({figures['math']:3d} expressions; visits {figures['math_visits']})  "
            f"load {figures['load_ms']:5d} ms  console errors {len(figures['errors'])}  "
            f"target math ≤ {MAX_MATH_MS} ms after load: {'met' if met else 'MISSED'}",
            end="",
        )


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("doc", PAGES)
def test_first_visit_is_light_and_fast(browser, server, doc, width, capsys):
    """Transfer and console errors are asserted (the same bytes on every machine); the
    math-visible time is measured and printed against its target, not asserted: a timing
    depends on the machine's load, and a timed assertion would flake (see the README)."""
    visits = [visit(browser, f"{server}/{doc}.html", width) for _ in range(VISITS)]
    figures = dict(visits[0], width=width)
    figures["math_visits"] = [v["math_ms"] for v in visits]
    figures["math_ms"] = round(statistics.median(figures["math_visits"]))
    figures["math_after_load_ms"] = round(
        statistics.median(v["math_after_load_ms"] for v in visits)
    )
    figures["load_ms"] = round(statistics.median(v["load_ms"] for v in visits))
    _report(f"{doc}@{width}", figures, capsys)
    assert figures["transfer"] > 0, f"{doc}: no bytes counted, the measurement is broken"
    assert figures["decoded"] >= figures["transfer"] * 0.9, f"{doc}: sizes disagree {figures}"
    assert figures["transfer"] <= MAX_TRANSFER, f"{doc}: first visit is {figures['transfer']} B"
    assert not figures["errors"], f"{doc}: console errors or failed loads {figures['errors']}"


# The theme's icons, as (what, selector of the icon element): each must be shown with a
# non-zero size, drawn from a loaded Font Awesome font (or as an SVG).
ICONS = {
    "sidebar toggle (☰)": ".primary-toggle .fa-bars, .primary-toggle .fa-solid",
    "search": ".search-button__button .fa-magnifying-glass, .search-button .fa-magnifying-glass",
    "fullscreen": ".btn-fullscreen-button .fa-expand, .btn-fullscreen-button i, "
    ".btn-fullscreen-button svg",
    "download": ".dropdown-download-buttons .fa-download",
    "theme switch": ".theme-switch-button .theme-switch",
    "previous": ".prev-next-area .left-prev i, .prev-next-area .left-prev svg",
    "next": ".prev-next-area .right-next i, .prev-next-area .right-next svg",
}

ICON_SIZES = """async (icons) => {
    await document.fonts.ready;
    const fa = Array.from(document.fonts).filter(f => f.family.includes('Font Awesome'));
    const sizes = {};
    for (const [what, selector] of Object.entries(icons)) {
        sizes[what] = Array.from(document.querySelectorAll(selector)).map(e => {
            const box = e.getBoundingClientRect();
            const style = getComputedStyle(e, e.tagName === 'svg' ? null : '::before');
            return {width: box.width, height: box.height, content: style.content,
                    font: getComputedStyle(e).fontFamily, shown: e.checkVisibility()};
        }).filter(s => s.shown);
    }
    return {sizes, loaded: fa.filter(f => f.status === 'loaded').map(f => f.family)};
}"""


def test_theme_icons_render(browser, server):
    """Every icon of the page chrome is visible, with a size, in a loaded icon font."""
    doc = "book/mlp" if "book/mlp" in PAGES else PAGES[1]
    context, page, log = fresh_page(browser)
    try:
        page.goto(f"{server}/{doc}.html", wait_until="load")
        found = page.evaluate(ICON_SIZES, ICONS)
    finally:
        context.close()
    assert not log.errors and not log.failed, f"{log.errors} {log.failed}"
    assert found["loaded"], f"no Font Awesome font loaded: {found}"
    for what, sizes in found["sizes"].items():
        assert sizes, f"{doc}: no visible {what} icon"
        for size in sizes:
            assert size["width"] > 0 and size["height"] > 0, f"{what}: {size}"
            assert size["content"] not in ("none", "normal", ""), f"{what} has no glyph: {size}"
