"""Keep each page's first visit light, and its console free of errors.

* **Icons without fontawesome.js.** pydata-sphinx-theme 0.17 puts Font Awesome's
  ``all.min.js`` (``_static/scripts/fontawesome.js``, 1.5 MB) in every page, to turn the few
  ``<i class="fa-...">`` icons into SVG. Its stylesheet already has Font Awesome's CSS (the
  ``.fa-*::before`` glyphs and the ``@font-face`` rules of the webfonts it ships), so without
  the script the same icons come from the font (about 150 KB, fetched only when an icon is
  shown). At ``build-finished`` the script tag is taken out of every page and the script
  (with its source map) out of ``_static``, so a page that still asked for it would fail to
  load it, which the browser test reports.
* **A favicon.** Without one the browser asks for ``/favicon.ico``, a 404 and a console
  error. At ``config-inited`` a small SVG (a check mark on the theme's blue) is written to
  ``_build/generated/favicon.svg`` and becomes ``html_favicon``, unless one is configured.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

FONTAWESOME = "scripts/fontawesome.js"
_FONTAWESOME_TAG = re.compile(
    r"""[ \t]*<script\b[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>\s*</script>\n?"""
)


def favicon_svg(size: int = 64, background: str = "#0a7d91", mark: str = "#ffffff") -> str:
    """An SVG favicon: a check mark on a rounded square of ``background``.

    >>> svg = favicon_svg(32)
    >>> svg.startswith("<svg") and 'viewBox="0 0 32 32"' in svg
    True
    >>> favicon_svg(0)
    Traceback (most recent call last):
    ...
    ValueError: size must be a positive int, not 0
    """
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ValueError(f"size must be a positive int, not {size!r}")
    s = size
    # The check mark's three points, as fractions of the side.
    points = " ".join(f"{x * s:g},{y * s:g}" for x, y in ((0.24, 0.53), (0.43, 0.71), (0.77, 0.3)))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" width="{s}" height="{s}">'
        f'<rect width="{s}" height="{s}" rx="{s * 0.18:g}" fill="{background}"/>'
        f'<polyline points="{points}" fill="none" stroke="{mark}" stroke-width="{s * 0.12:g}" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
    )


def add_favicon(app: Sphinx, config: Config) -> None:
    if config.html_favicon:
        return
    path = Path(app.outdir).parent / "generated" / "favicon.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    svg = favicon_svg()
    if not path.is_file() or path.read_text() != svg:
        path.write_text(svg)
    config.html_favicon = str(path)


def drop_fontawesome(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lighter = _FONTAWESOME_TAG.sub("", text)
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")
    for name in (FONTAWESOME, FONTAWESOME + ".map", FONTAWESOME + ".LICENSE.txt"):
        (outdir / "_static" / name).unlink(missing_ok=True)


def setup(app: Sphinx) -> dict:
    # Before Sphinx checks that html_favicon exists (priority 800).
    app.connect("config-inited", add_favicon, priority=400)
    app.connect("build-finished", drop_fontawesome, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
