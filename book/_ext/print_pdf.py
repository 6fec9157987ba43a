"""Print the single-page build of the book to one PDF with Debian's Chromium (no network).

    python book/_ext/print_pdf.py _build/singlehtml _build/html/book.pdf

``make pdf`` runs it after ``jupyter-book build . --builder singlehtml``. The page is served
from 127.0.0.1, every request to another host is refused, MathJax is awaited (its typesetting
of every expression is the slow part), then Chromium prints with the print stylesheet, A4,
page numbers in the footer. Prints the page count, size and seconds taken.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
#: MathJax on the whole book takes long on two cores; more than this is a hang.
TIMEOUT_MS = 15 * 60 * 1000
SIDE_MM = 16
# A4 is 210 mm wide; at 96 px to the inch what is left between the side margins, in CSS px.
PRINT_WIDTH_PX = int((210 - 2 * SIDE_MM) / 25.4 * 96)
FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)

TYPESET = """async () => {
    const maths = document.querySelectorAll('.math').length;
    // Math the build typeset already (book/_ext/prerender_math.py) needs no MathJax, and
    // such a page does not load it: wait only for math still in TeX.
    const untypeset = Array.from(document.querySelectorAll('.math')).filter(
        m => !m.querySelector('mjx-container')).length;
    if (untypeset) {
        // MathJax is loaded deferred: wait for it to arrive, then for its typesetting.
        while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
            await new Promise(done => setTimeout(done, 100));
        }
        await MathJax.startup.promise;
        if (document.querySelectorAll('mjx-container').length < maths) {
            throw new Error('MathJax typeset fewer expressions than there are');
        }
    }
    if (document.fonts) { await document.fonts.ready; }
    document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; });
    await Promise.all(Array.from(document.images).map(img => img.complete ? null :
        new Promise(done => { img.onload = done; img.onerror = done; })));
    // Closed dropdowns (solutions, toggled matrices) print open.
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    return maths;
}"""


def entry_page(folder: Path) -> Path:
    """The single page of a ``singlehtml`` build (its ``index.html`` may only redirect).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "book").mkdir()
    >>> _ = (d / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    >>> _ = (d / "book" / "intro.html").write_text("<p>all</p>")
    >>> entry_page(d).relative_to(d).as_posix()
    'book/intro.html'
    """
    import re

    index = folder / "index.html"
    if not index.is_file():
        raise FileNotFoundError(
            f"folder: no index.html in {folder} (build with --builder singlehtml)"
        )
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index.read_text())
    return folder / redirect.group(1) if redirect else index


def print_pdf(folder: Path, out: Path) -> dict:
    """Print ``folder``'s single page to ``out``; returns what was measured."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    # The builder writes the page at the root document's path (book/intro.html) but with
    # links relative to the output root (_static/, _images/): print a copy at the root.
    entry = entry_page(folder)
    page_path = "print.html"
    (folder / page_path).write_bytes(entry.read_bytes())
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    refused: list[str] = []
    start = time.perf_counter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            # The width of the printed column (A4 less the margins below), so that what
            # book.js scales for print is scaled to the paper, not to a screen.
            page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)

            def route(r):
                if urlsplit(r.request.url).hostname == "127.0.0.1":
                    r.continue_()
                else:
                    refused.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/{page_path}", wait_until="load")
            maths = page.evaluate(TYPESET)
            typeset = time.perf_counter() - start
            page.emulate_media(media="print")
            # book.js scales wide equations for print when the media changes, on the next
            # rendering step; printing before that would cut them.
            page.wait_for_function(
                "() => document.documentElement.getAttribute('data-dv-print') === 'laid-out'"
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(out),
                format="A4",
                margin={
                    "top": "18mm",
                    "bottom": "18mm",
                    "left": f"{SIDE_MM}mm",
                    "right": f"{SIDE_MM}mm",
                },
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
            )
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    data = out.read_bytes()
    return {
        "math": maths,
        "pages": data.count(b"/Type /Page") - data.count(b"/Type /Pages"),
        "megabytes": round(len(data) / 1e6, 2),
        "typeset_seconds": round(typeset, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "refused": refused,
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the singlehtml build (its index.html)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    found = print_pdf(args.folder, args.out)
    print(
        f"{args.out}: {found['pages']} pages, {found['megabytes']} MB, {found['math']} math "
        f"elements, typeset in {found['typeset_seconds']} s, {found['seconds']} s in all"
    )
    if found["refused"]:
        print(f"refused requests to other hosts: {found['refused'][:5]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
