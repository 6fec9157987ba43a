"""The built book, opened in headless Chromium with no network: math, images, no errors.

Needs a build (``make book``) and Debian's Chromium at ``/usr/bin/chromium``; without them the
tests skip, unless ``REQUIRE_BOOK=1`` (as in ``.ci/run``), which turns a missing build or
browser into a failure. Every page of ``_toc.yml`` is served from ``_build/html`` on
127.0.0.1; any request to another host is blocked and fails the page. A full-page
screenshot of each page is saved under ``_build/screenshots/``.

The build typesets math itself (``book/_ext/prerender_math.py``): a page arrives with its
``mjx-container`` elements, each ``.math`` element carrying its TeX in ``data-tex``, and
loads no MathJax. A page that still loads MathJax (TeX outside Sphinx's math elements) is
waited for until MathJax has typeset it. Either way every ``.math`` element must end up
holding MathJax output and no error.
"""

from __future__ import annotations

import pytest
from bookserve import HTML, PAGES, SHOTS, fresh_page

pytestmark = pytest.mark.browser


TYPESET = """async () => {
    if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    if (document.fonts) { await document.fonts.ready; }
    const maths = Array.from(document.querySelectorAll('.math'));
    return {
        math: maths.length,
        untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent),
        withoutTex: maths.filter(m => !(m.dataset.tex || '').trim()).map(m => m.outerHTML.slice(0, 200)),
        containers: document.querySelectorAll('mjx-container').length,
        merrors: Array.from(document.querySelectorAll('mjx-merror')).map(
            e => e.getAttribute('data-mjx-error') || e.textContent),
        inputErrors: document.body.innerText.includes('Math input error'),
        // SVG math draws its glyphs with <use> of paths defined once a page: each must point
        // to an SVG element, and what is on screen must have ink.
        unresolved: Array.from(document.querySelectorAll('mjx-container[jax="SVG"] use')).filter(u => {
            const target = document.getElementById(
                (u.getAttribute('href') || u.getAttribute('xlink:href') || '').slice(1));
            return !(target instanceof SVGElement);
        }).length,
        blank: Array.from(document.querySelectorAll('mjx-container[jax="SVG"]')).filter(c =>
            c.checkVisibility() && c.querySelector('use, path, rect')
            && c.querySelector('svg > g').getBBox().width === 0).map(c => c.parentElement.dataset.tex),
    };
}"""

IMAGES = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null : new Promise(
        done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders_offline(browser, server, doc):
    context, page, log = fresh_page(browser)
    try:
        page.goto(f"{server}/{doc}.html", wait_until="load")
        # Math comes typeset; a page that still loads MathJax is waited for until it has typeset.
        if page.locator("script[src*='mathjax']").count():
            page.wait_for_function("() => window.MathJax?.startup?.promise")
        math = page.evaluate(TYPESET)
        images = page.evaluate(IMAGES)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SHOTS / f"{doc.removeprefix('book/').replace('/', '-')}.png"), full_page=True
        )
    finally:
        context.close()

    assert not log.external, f"{doc} requested other hosts: {log.external}"
    assert not log.failed, f"{doc} failed to load: {log.failed}"
    assert not log.errors, f"{doc} logged console errors: {log.errors}"
    assert not math["untypeset"], f"{doc}: math left untypeset: {math['untypeset'][:3]}"
    if math["math"]:
        assert math["containers"] >= math["math"], f"{doc}: {math}"
    assert not math["merrors"] and not math["inputErrors"], f"{doc}: MathJax errors {math}"
    assert not math["unresolved"], f"{doc}: {math['unresolved']} glyphs point to no SVG path"
    assert not math["blank"], f"{doc}: math drawn with no ink: {math['blank'][:3]}"
    assert not math["withoutTex"], (
        f"{doc}: math without its TeX in data-tex: {math['withoutTex'][:3]}"
    )
    broken = [img["src"] for img in images if img["width"] == 0]
    assert not broken, f"{doc}: images that did not load: {broken}"


def test_every_built_page_is_in_the_toc(server):
    """The browser test covers the whole book: no built page is left out of the toc."""
    # prf-prf: the index of theorems and proofs that sphinx-proof writes.
    special = {"index", "genindex", "search", "prf-prf"}
    built = {
        str(p.relative_to(HTML).with_suffix(""))
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    }
    assert built - special - set(PAGES) == set()
    assert set(PAGES) <= built


def test_math_check_is_not_vacuous(server):
    """The introduction renders a derivation, so the math checks above have math to check."""
    text = (HTML / f"{PAGES[0]}.html").read_text(encoding="utf-8")
    assert 'class="math' in text


def test_math_is_typeset_at_build_time(server):
    """Pages arrive with their math typeset and load no MathJax (book/_ext/prerender_math.py).

    A page that still loads MathJax has TeX outside Sphinx's math elements: it renders, but
    slowly (MathJax's 1.2 MB script typesets it in the browser), so it fails here.
    """
    typeset, loading = 0, []
    for doc in PAGES:
        text = (HTML / f"{doc}.html").read_text(encoding="utf-8")
        if 'class="math' in text:
            assert "<mjx-container" in text and 'data-tex="' in text, doc
            typeset += 1
        if "tex-mml-chtml.js" in text:
            loading.append(doc)
    assert typeset > 0
    assert not loading, f"pages that still typeset math in the browser: {loading}"
