"""Keep each page's first visit light, and its console free of errors.

* **Icons without fontawesome.js.** pydata-sphinx-theme 0.17 puts Font Awesome's
  ``all.min.js`` (``_static/scripts/fontawesome.js``, 1.5 MB) in every page, to turn the few
  ``<i class="fa-...">`` icons into SVG. Its stylesheet already has Font Awesome's CSS (a
  ``.fa-*::before`` glyph rule for each of ~1900 icons, 86 KB, and ``@font-face`` rules for
  the webfonts it ships, 156 KB for the solid one), so without the script the same icons come
  from the font. At ``build-finished`` the script tag is taken out of every page and the
  script (with its source map) out of ``_static``, so a page that still asked for it would
  fail to load it, which the browser test reports. Then the icons the book uses (every
  ``fa-<name>`` in its pages and in the ``_static`` scripts) are read off; the theme's
  stylesheet keeps the glyph rules of those only, and its ``@font-face`` rules point at
  subsets of the theme's TrueType fonts with just those glyphs, made here with fontTools
  (WOFF: the WOFF2 encoder needs brotli, which is not installed; a subset is 2 KB either way).
* **A favicon.** Without one the browser asks for ``/favicon.ico``, a 404 and a console
  error. At ``config-inited`` a small SVG (a check mark on the theme's blue) is written to
  ``_build/generated/favicon.svg`` and becomes ``html_favicon``, unless one is configured.
"""

from __future__ import annotations

import io
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


_ICON_NAME = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
_GLYPH_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"((?:[^"\\]|\\.)*)"\}')
_FONT_SRC = re.compile(
    r"src:url\(\.\./vendor/fontawesome/webfonts/(fa-[a-z]+-[0-9]+)\.woff2\)[^;}]*"
)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")


def css_string(text: str) -> str:
    r"""The characters a CSS string body stands for (its escapes decoded).

    >>> [hex(ord(c)) for c in css_string(r"\f0c9") + css_string(r"\@") + css_string("0")]
    ['0xf0c9', '0x40', '0x30']
    """
    return _CSS_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[2], text)


def glyph_rules(css: str, used: set[str]) -> tuple[str, set[str]]:
    r"""``css`` with the ``.fa-<name>:before`` rules of the ``used`` names only; their characters.

    >>> css = r'.a{x:1}.fa-bars:before,.fa-navicon:before{content:"\f0c9"}.fa-at:before{content:"\@"}'
    >>> kept, chars = glyph_rules(css, {"fa-bars"})
    >>> print(kept)
    .a{x:1}.fa-bars:before{content:"\f0c9"}
    >>> [hex(ord(c)) for c in chars]
    ['0xf0c9']
    """
    chars: set[str] = set()

    def keep(m: re.Match) -> str:
        names = [sel.removesuffix(":before")[1:] for sel in m[1].split(",") if sel]
        names = [n for n in names if n in used]
        if not names:
            return ""
        chars.update(css_string(m[2]))
        return ",".join(f".{n}:before" for n in names) + '{content:"' + m[2] + '"}'

    return _GLYPH_RULE.sub(keep, css), chars


def subset_font(source: Path, chars: set[str]) -> bytes:
    """The TrueType font ``source`` cut down to ``chars``, as WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    subsetter = subset.Subsetter()
    subsetter.populate(unicodes=sorted(map(ord, chars)))
    subsetter.subset(font)
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _pristine(theme_css: Path) -> Path:
    """The theme's own stylesheet, as installed: an incremental build leaves the copy in the
    output as the last build rewrote it, and trimming it again would lose icons a page has
    started to use since.

    >>> _pristine(Path("/nowhere/pydata-sphinx-theme.css")).name
    'pydata-sphinx-theme.css'
    """
    import pydata_sphinx_theme

    installed = (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme"
        / "pydata_sphinx_theme"
        / "static"
        / "styles"
        / theme_css.name
    )
    return installed if installed.is_file() else theme_css


def lighter_icons(outdir: Path) -> None:
    """Keep only the icons the built book uses in the theme's stylesheet and fonts."""
    theme_css = outdir / "_static" / "styles" / "pydata-sphinx-theme.css"
    if not theme_css.is_file():
        return
    used: set[str] = set()
    for path in [*outdir.rglob("*.html"), *(outdir / "_static").rglob("*.js")]:
        used.update(_ICON_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    css, chars = glyph_rules(_pristine(theme_css).read_text(encoding="utf-8"), used)
    if not chars:
        logger.warning("page-weight: no Font Awesome glyph rule of %s is used", theme_css)
        return
    fonts = outdir / "_static" / "vendor" / "fontawesome" / "webfonts"

    def subset_src(m: re.Match) -> str:
        name = f"{m[1]}.subset.woff"
        (fonts / name).write_bytes(subset_font(fonts / f"{m[1]}.ttf", chars))
        return f'src:url(../vendor/fontawesome/webfonts/{name}) format("woff")'

    css, count = _FONT_SRC.subn(subset_src, css)
    if count == 0:
        logger.warning("page-weight: no Font Awesome @font-face found in %s", theme_css)
    theme_css.write_text(css, encoding="utf-8")


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
    lighter_icons(outdir)


def setup(app: Sphinx) -> dict:
    # Before Sphinx checks that html_favicon exists (priority 800).
    app.connect("config-inited", add_favicon, priority=400)
    app.connect("build-finished", drop_fontawesome, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
