"""Keep the built book self-contained: it must render with no network.

* At ``config-inited``: ``mathjax_path`` must be a local file found in one of the
  ``html_static_path`` folders (``make book`` installs MathJax there from the npm registry);
  a CDN address, or a missing copy, is an error that says what to run.
* At ``build-finished``: every generated HTML page is scanned for elements that make the
  browser fetch from another host (``<script src>``, ``<link href>`` other than plain
  hyperlinks, ``<img>``, ``<iframe>``, ``<source>``, ``<video>``, ``<audio>``); each one is
  a warning, hence an error under ``--warningiserror``.

It also loads the two extensions that keep pages light (so the configuration lists one
name): ``prerender_math`` (math typeset at build time, no MathJax script in the browser)
and ``page_weight`` (Font Awesome's icons from its font instead of its 1.5 MB script, and a
favicon).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

_REMOTE = ("http://", "https://", "//")
#: Link relations that only name a page (the browser does not fetch them to render).
_NAVIGATION_RELS = {
    "canonical",
    "alternate",
    "author",
    "license",
    "help",
    "search",
    "next",
    "prev",
    "index",
    "top",
    "up",
    "first",
    "last",
    "bookmark",
    "external",
}
_FETCHING = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "link": "href",
}


def _is_remote(url: str | None) -> bool:
    return bool(url) and url.strip().lower().startswith(_REMOTE)


class _RemoteAssets(HTMLParser):
    """Collects (tag, url) of elements that would load something from another host."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        attr = _FETCHING.get(tag)
        if attr is None:
            return
        if tag == "link":
            rels = set((attrs.get("rel") or "").lower().split())
            if rels and rels <= _NAVIGATION_RELS:
                return
        urls = [attrs.get(attr)]
        if tag in ("img", "source"):
            urls += [
                part.split()[0] for part in (attrs.get("srcset") or "").split(",") if part.strip()
            ]
        self.found += [(tag, url) for url in urls if _is_remote(url)]


def remote_assets(html: str) -> list[tuple[str, str]]:
    """The (tag, url) pairs of ``html`` that fetch from another host.

    >>> remote_assets('<script src="https://cdn.example/x.js"></script><a href="https://a.b">')
    [('script', 'https://cdn.example/x.js')]
    """
    parser = _RemoteAssets()
    parser.feed(html)
    parser.close()
    return parser.found


def check_mathjax(app: Sphinx, config: Config) -> None:
    hint = "run `make mathjax` (or `make book`), which installs it from the npm registry"
    path = config.mathjax_path
    if _is_remote(path):
        raise ConfigError(f"mathjax_path is {path!r}: the book must render offline; {hint}")
    confdir = Path(app.confdir)
    if not any((confdir / static / path).is_file() for static in config.html_static_path):
        raise ConfigError(
            f"mathjax_path {path!r} is in none of html_static_path "
            f"{list(config.html_static_path)}: MathJax is not installed; {hint}"
        )


def check_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        for tag, url in remote_assets(page.read_text(encoding="utf-8", errors="replace")):
            logger.warning(
                "offline-assets: %s loads <%s> %s; the book must render offline",
                page.relative_to(outdir),
                tag,
                url,
            )


def setup(app: Sphinx) -> dict:
    app.setup_extension("prerender_math")
    app.setup_extension("page_weight")
    app.connect("config-inited", check_mathjax, priority=900)
    app.connect("build-finished", check_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
