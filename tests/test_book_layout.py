"""The built book's layout in headless Chromium at 1280 and 390 px: width, figures, navigation.

Every page of ``_toc.yml`` is opened at a desktop (1280×900) and a phone (390×844) viewport.

* Nothing is wider than its column: every element of the article whose right edge passes the
  article's content box, or whose content is wider than its box, fails the page, unless it
  sits inside a box that scrolls sideways *with a visible scroll cue*. The cue, precisely: the
  scrolling box (computed ``overflow-x`` ``auto`` or ``scroll``) carries the class
  ``dv-scrolls`` (set by ``book/_ext/static/book.js`` when ``scrollWidth > clientWidth``) and
  its computed ``box-shadow`` has the inset shade of ``book.css`` on the side that hides
  content; :func:`test_scroll_cue_is_drawn` checks that the shade is actually painted.
* Every image of the article has alt text and sits in a figure whose caption has a number,
  unless it is marked decorative (``alt=""`` with ``role="presentation"``).
* A full-page screenshot of each page at each width goes to ``_build/screenshots/``
  (``<page>-1280.png``, ``<page>-390.png``).
* The ☰ buttons work: at 390 px the chapter drawer opens and a chapter link in it is
  followed; at 1280 px ☰ hides the primary sidebar and shows it again.

A count of the equations that scroll (with their cue) and of the failures per page and width
is written to ``_build/screenshots/layout.json``.
"""

from __future__ import annotations

import io
import json

import pytest
from bookserve import PAGES, SHOTS, TIMEOUT_MS, PageLog

pytestmark = pytest.mark.browser

WIDTHS = {1280: {"width": 1280, "height": 900}, 390: {"width": 390, "height": 844}}
PHONE = {"is_mobile": True, "has_touch": True}

READY = """async () => {
    if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    if (document.fonts) { await document.fonts.ready; }
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(
        done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    // book.js marks scrolling boxes on the next animation frame after a change of size.
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""

# What a reader sees cut off or pushed past the column. Boxes that scroll sideways with the
# cue are allowed (and counted); their content is not measured again, since it is reachable.
# A formula is measured as a whole (its mjx-container): MathJax's inner boxes overlap by a
# pixel or two by design, and its copy for screen readers is clipped to nothing on purpose
# (it is hidden while measuring, since it counts in scrollWidth).
MEASURE = """() => {
    const article = document.querySelector('article.bd-article');
    if (!article) return {error: 'no article.bd-article on the page'};
    const hide = document.createElement('style');
    hide.textContent = 'mjx-assistive-mml { display: none !important; }';
    document.head.append(hide);
    const contentRight = el => {
        const s = getComputedStyle(el);
        return el.getBoundingClientRect().right - parseFloat(s.paddingRight)
            - parseFloat(s.borderRightWidth);
    };
    const box = article.getBoundingClientRect();
    const screen = document.documentElement.clientWidth;
    // A full-width cell is wider than the text column on purpose (the theme widens it into
    // the margin at >= 992 px): it is its own column, and it must fit the screen.
    const WIDE = 'div.cell.tag_full-width, div.cell.tag_full_width, div.full-width, div.full_width';
    const scrolls = s => s.overflowX === 'auto' || s.overflowX === 'scroll';
    const hasCue = (el, s) => el.classList.contains('dv-scrolls') && s.boxShadow.includes('inset');
    const describe = (el, columnRight, extra) => {
        const r = el.getBoundingClientRect();
        return Object.assign({
            tag: el.tagName.toLowerCase(),
            cls: (typeof el.className === 'string' ? el.className : '').trim().slice(0, 60),
            id: el.id || (el.closest('[id]') || {}).id || '',
            text: (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50),
            right: Math.round(r.right), column: Math.round(columnRight),
            width: Math.round(r.width), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
            equation: el.matches('mjx-container[display="true"], div.math')
                || !!el.closest('mjx-container[display="true"]'),
        }, extra);
    };
    const bad = [];
    const cued = [];
    const walk = (el, columnRight) => {
        for (const child of el.children) {
            const s = getComputedStyle(child);
            if (s.display === 'none' || s.visibility === 'hidden') continue;
            const r = child.getBoundingClientRect();
            if (r.width === 0 && r.height === 0 && !child.children.length) continue;
            if (r.width <= 1 && r.height <= 1) continue;  // visually hidden, for screen readers
            const wide = child.matches(WIDE);
            const limit = wide ? screen : columnRight;
            const wider = child.clientWidth > 0 && child.scrollWidth > child.clientWidth + 1;
            if (wider && scrolls(s)) {
                if (r.right > limit + 1) bad.push(describe(child, limit, {why: 'scrolling box passes the column'}));
                else if (hasCue(child, s)) cued.push(describe(child, limit, {why: 'scrolls, with cue'}));
                else bad.push(describe(child, limit, {why: 'scrolls sideways without a scroll cue'}));
                continue;
            }
            if (r.right > limit + 1) {
                bad.push(describe(child, limit, {why: wide ? 'full-width box passes the screen' : 'right edge past the column'}));
                continue;  // its parts are past the column too: one report a box
            }
            if (wider && s.overflowX !== 'visible') {
                bad.push(describe(child, limit, {why: `content cut off (overflow-x: ${s.overflowX})`}));
                continue;
            }
            if (child.tagName !== 'MJX-CONTAINER') walk(child, wide ? contentRight(child) : columnRight);
        }
    };
    // The column itself must fit the screen (a wide child can stretch a flex layout).
    if (box.right > screen + 1) bad.push(describe(article, screen, {why: 'column passes the screen'}));
    else walk(article, contentRight(article));
    hide.remove();
    return {bad, cued, equations: article.querySelectorAll('div.math').length};
}"""

FIGURES = """() => Array.from(document.querySelectorAll('article.bd-article img')).map(img => {
    const figure = img.closest('figure');
    const number = figure && figure.querySelector('figcaption span.caption-number');
    return {
        src: img.getAttribute('src'),
        alt: (img.getAttribute('alt') || '').trim(),
        decorative: img.getAttribute('alt') === '' && img.getAttribute('role') === 'presentation',
        figure: !!figure,
        caption: figure ? (figure.querySelector('figcaption') || {}).textContent || '' : '',
        number: number ? number.textContent.trim() : '',
    };
})"""

_LOADED: dict[tuple[str, int], dict] = {}


def _name(doc: str) -> str:
    return doc.removeprefix("book/").replace("/", "-")


def _open(browser, server, width: int, path: str = "book/intro", *, typeset: bool = True):
    context = browser.new_context(
        viewport=WIDTHS[width], service_workers="block", **(PHONE if width < 992 else {})
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log = PageLog(page, "127.0.0.1")
    page.goto(f"{server}/{path}.html", wait_until="load")
    if typeset:  # the navigation tests need no math
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function("() => window.MathJax?.startup?.promise")
        page.evaluate(READY)
    return context, page, log


def _load(browser, server, doc: str, width: int) -> dict:
    """Open ``doc`` at ``width`` once for all the tests here: measure, list images, screenshot."""
    key = (doc, width)
    if key not in _LOADED:
        context, page, log = _open(browser, server, width, doc)
        try:
            result = page.evaluate(MEASURE)
            result["figures"] = page.evaluate(FIGURES) if width == 1280 else []
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{_name(doc)}-{width}.png"), full_page=True)
            result["errors"] = log.errors + log.failed + log.external
        finally:
            context.close()
        _LOADED[key] = result
        _write_report()
    return _LOADED[key]


def _write_report():
    report = {
        f"{doc}@{width}": {
            "failures": len(r.get("bad", [])),
            "failing equations": sum(b["equation"] for b in r.get("bad", [])),
            "scrolling equations (with cue)": sum(c["equation"] for c in r.get("cued", [])),
            "display equations": r.get("equations", 0),
            "failing boxes": _explain(r.get("bad", [])).splitlines(),
        }
        for (doc, width), r in sorted(_LOADED.items())
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "layout.json").write_text(json.dumps(report, indent=1) + "\n")


def _explain(items: list[dict]) -> str:
    return "\n".join(
        f"  <{b['tag']} class={b['cls']!r}> in #{b['id']} {b['text']!r}: {b['why']} "
        f"(right edge {b['right']} px, column ends at {b['column']} px; box {b['width']} px, "
        f"scrollWidth {b['scrollWidth']}, clientWidth {b['clientWidth']})"
        for b in items
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("doc", PAGES)
def test_nothing_wider_than_its_column(browser, server, doc, width):
    result = _load(browser, server, doc, width)
    assert "error" not in result, f"{doc}: {result.get('error')}"
    bad = result["bad"]
    equations = sum(b["equation"] for b in bad)
    assert not bad, (
        f"{doc} at {width} px: {len(bad)} boxes overflow their column "
        f"({equations} of {result['equations']} display equations):\n" + _explain(bad)
    )


@pytest.mark.parametrize("doc", PAGES)
def test_images_are_numbered_captioned_figures(browser, server, doc):
    figures = _load(browser, server, doc, 1280)["figures"]
    problems = []
    for f in figures:
        if f["decorative"]:
            continue
        if not f["alt"]:
            problems.append(f"{f['src']}: no alt text")
        if not f["figure"]:
            problems.append(f"{f['src']}: not inside a <figure>")
        elif not any(ch.isdigit() for ch in f["number"]):
            problems.append(f"{f['src']}: caption has no number ({f['caption'][:60]!r})")
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)


def _visible_toggle(page, kind: str):
    toggles = page.locator(f".{kind}-toggle")
    shown = [toggles.nth(i) for i in range(toggles.count()) if toggles.nth(i).is_visible()]
    assert shown, f"no visible .{kind}-toggle button on the page"
    return shown[0]


def test_phone_drawer_opens_and_its_links_are_followed(browser, server):
    context, page, log = _open(browser, server, 390, "book/intro", typeset=False)
    try:
        drawer = page.locator("#pst-primary-sidebar-modal")
        assert not drawer.is_visible(), "the chapter drawer is open before ☰ is pressed"
        _visible_toggle(page, "primary").click()
        try:
            drawer.wait_for(state="visible", timeout=3000)
        except Exception:
            pytest.fail(
                "at 390 px the ☰ button did not open the chapter drawer "
                f"(#pst-primary-sidebar-modal open={page.evaluate(OPEN_STATE)})"
            )
        link = drawer.locator("a.reference.internal[href*='mlp.html']").first
        assert link.is_visible(), "the drawer has no visible link to the MLP chapter"
        link.click()
        page.wait_for_url("**/book/mlp.html*", wait_until="commit")
        assert page.url.split("#")[0].endswith("/book/mlp.html"), page.url
    finally:
        context.close()
    assert not log.errors, f"console errors: {log.errors}"


OPEN_STATE = "() => document.getElementById('pst-primary-sidebar-modal')?.open"


def test_phone_contents_button_opens_the_page_toc(browser, server):
    """The other header button (the page's contents) opens its drawer too."""
    context, page, _ = _open(browser, server, 390, "book/intro", typeset=False)
    try:
        _visible_toggle(page, "secondary").click()
        drawer = page.locator("#pst-secondary-sidebar-modal")
        try:
            drawer.wait_for(state="visible", timeout=3000)
        except Exception:
            pytest.fail("at 390 px the contents button did not open the page's table of contents")
        assert drawer.locator("a").count() > 0, "the contents drawer is empty"
    finally:
        context.close()


def test_desktop_toggle_hides_and_shows_the_sidebar(browser, server):
    context, page, log = _open(browser, server, 1280, "book/notation", typeset=False)
    try:
        sidebar = page.locator("#pst-primary-sidebar")
        article = page.locator("article.bd-article")
        assert sidebar.is_visible(), "the primary sidebar is not shown at 1280 px"
        left = article.bounding_box()["x"]
        toggle = _visible_toggle(page, "primary")
        toggle.click()
        try:
            sidebar.wait_for(state="hidden", timeout=3000)
        except Exception:
            pytest.fail("at 1280 px ☰ did not hide the primary sidebar")
        page.wait_for_timeout(400)  # the theme slides the sidebar out in 0.25 s
        moved = article.bounding_box()["x"]
        assert moved < left - 50, f"the article did not take the sidebar's room ({left} → {moved})"
        toggle.click()
        try:
            sidebar.wait_for(state="visible", timeout=3000)
        except Exception:
            pytest.fail("at 1280 px a second ☰ did not show the primary sidebar again")
        page.wait_for_timeout(400)
        assert abs(article.bounding_box()["x"] - left) < 2
    finally:
        context.close()
    assert not log.errors, f"console errors: {log.errors}"


def test_scroll_cue_is_drawn(browser, server):
    """A box too wide for a phone scrolls inside its column, and its hidden side is shaded.

    A display equation 2000 px wide is put into a page at 390 px; book.js must mark its box
    and book.css shade it. The shade is measured in a screenshot: the box's last pixels are
    darker than the page when content is hidden to the right, and not once scrolled to the end.
    """
    from PIL import Image

    context, page, _ = _open(browser, server, 390, "book/intro")
    try:
        page.evaluate(WIDE_EQUATION)
        box = page.locator("#dv-test-wide > mjx-container")
        box.wait_for()
        page.wait_for_function(
            "() => document.querySelector('#dv-test-wide > mjx-container')"
            ".classList.contains('dv-scrolls')",
            timeout=3000,
        )
        box.scroll_into_view_if_needed()
        geometry = box.bounding_box()
        assert geometry["x"] + geometry["width"] <= 390, f"the box passes the screen: {geometry}"

        def edge_shade() -> float:
            """How dark (0 white … 255 black) the rightmost 3 px of the box are."""
            shot = Image.open(io.BytesIO(page.screenshot(clip=geometry))).convert("L")
            w, h = shot.size
            column = sorted(shot.getpixel((x, y)) for x in range(w - 3, w) for y in range(h))
            return 255 - column[len(column) // 2]

        before = edge_shade()
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        page.wait_for_timeout(100)
        after = edge_shade()
    finally:
        context.close()
    assert before >= 12, f"no visible shade at the right edge of a scrolling equation ({before})"
    assert after < before - 8, f"the shade stays when scrolled to the end ({before} → {after})"


# A display equation as MathJax (client-side or pre-rendered) leaves it: a div.math holding a
# display mjx-container; its content here is a short formula followed by 2000 px of space.
WIDE_EQUATION = """() => {
    const div = document.createElement('div');
    div.className = 'math notranslate nohighlight';
    div.id = 'dv-test-wide';
    div.innerHTML = '<mjx-container class="MathJax" jax="CHTML" display="true">'
        + '<mjx-math class="MJX-TEX" display="true">x = 1'
        + '<span style="display:inline-block;width:2000px;height:3em"></span></mjx-math></mjx-container>';
    document.querySelector('article.bd-article section').prepend(div);
}"""


PRINTED = ["book/mlp", "book/layers", "book/verification"]


@pytest.mark.parametrize("doc", PRINTED)
def test_print_fits_the_page(browser, server, doc):
    """Printed (A4, 1 cm margins: 718 px), nothing scrolls, so nothing may pass the column.

    The sidebars and buttons are gone, every dropdown is open, and equations wider than the
    page are scaled to fit.
    """
    context, page, _ = _open(browser, server, 1280, doc)
    try:
        page.set_viewport_size({"width": 718, "height": 1000})
        page.emulate_media(media="print")
        # book.js lays the page out for print when the media changes (as beforeprint does for
        # a reader), on the next rendering step: wait for its mark, not for a guess.
        page.wait_for_function(
            "() => document.documentElement.getAttribute('data-dv-print') === 'laid-out'"
        )
        result = page.evaluate(MEASURE)
        shown = page.evaluate("""() => ({
            sidebar: !!document.querySelector('.bd-sidebar-primary')?.offsetParent,
            buttons: Array.from(document.querySelectorAll('button')).filter(b => b.offsetParent).length,
            closed: document.querySelectorAll('article details:not([open])').length,
        })""")
    finally:
        context.close()
    assert not shown["sidebar"], f"{doc}: the sidebar is printed"
    assert not shown["buttons"], f"{doc}: {shown['buttons']} buttons are printed"
    assert not shown["closed"], f"{doc}: {shown['closed']} dropdowns are printed closed"
    cut = result["bad"] + result["cued"]  # on paper a scrolling box is cut too
    assert not cut, f"{doc} printed: {len(cut)} boxes wider than the page:\n" + _explain(cut)
