"""Typeset the book's math at build time, so a page shows its math without running MathJax.

At ``build-finished`` every generated HTML page is scanned for the elements Sphinx writes
for math (``<span class="math">\\(...\\)</span>``, ``<div class="math">\\[...\\]</div>``,
with an equation number beside the TeX when the equation is numbered). Their TeX goes, all
pages in one batch, to ``math_render.js``, which runs MathJax 3 (the npm package
``mathjax-full``, installed by ``make mathjax``) in Node; each TeX string is replaced by
MathJax's output (CommonHTML by default: ``prerender_math_output``) and the page gets the
stylesheet of the characters it uses, whose fonts are the MathJax woff files the book
already serves. The element keeps everything else (its id, which ``{eq}`` links point to,
and its equation number) and gains ``data-tex``: the TeX it was made from.

A page is then given no MathJax script at all, unless TeX delimiters remain outside those
elements (MathJax in the browser would typeset them, so such a page keeps it). A TeX error
(an undefined macro, an unbalanced brace) is a build warning naming the page and the TeX,
hence an error under ``--warningiserror``; so is a math element with no TeX in it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
RENDERER = HERE / "math_render.js"

_START = re.compile(r"<(span|div)(\s[^>]*)?>", re.IGNORECASE)
_CLASS = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# MathJax's default TeX delimiters (what the browser would find): \( \) inline; \[ \], $$ $$
# and a \begin{env}...\end{env} environment displayed.
_TEX = re.compile(
    r"\\\((?P<inline>.*?)\\\)"
    r"|\\\[(?P<display>.*?)\\\]"
    r"|\$\$(?P<dollars>.*?)\$\$"
    r"|(?P<env>\\begin\{(?P<name>[^}]+)\}.*?\\end\{(?P=name)\})",
    re.DOTALL,
)
# Text whose contents MathJax skips when it searches a page for math.
_SKIPPED = re.compile(
    r"<(script|style|pre|code|textarea|noscript)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE
)
_MATHJAX_SCRIPT = re.compile(
    r"""<script\b[^>]*\bsrc="[^"]*mathjax/[^"]*"[^>]*>\s*</script>\s*"""
    r"""|<script>\s*window\.MathJax\s*=.*?</script>\s*""",
    re.DOTALL,
)


@dataclass
class MathElement:
    """One element of a page with class ``math``: where it is and the TeX it holds."""

    start: int  # offset of "<"
    open_end: int  # offset just past the start tag's ">"
    close: int  # offset of its end tag
    # (offset in the page, length, TeX, display?) of each TeX string between its children.
    tex: list[tuple[int, int, str, bool]] = field(default_factory=list)


def _end_of(page: str, tag: str, pos: int) -> int:
    """Offset of the end tag that closes the ``tag`` element whose content starts at pos."""
    depth = 1
    for m in re.compile(rf"<(/?){tag}\b[^>]*>", re.IGNORECASE).finditer(page, pos):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.start()
    raise ValueError(f"<{tag}> at offset {pos} is never closed")


def math_elements(page: str) -> list[MathElement]:
    """The ``span``/``div`` elements of ``page`` whose class list has ``math``, in order.

    >>> [e.tex for e in math_elements('<p><span class="math x">\\\\(a &lt; b\\\\)</span></p>')]
    [[(24, 12, 'a < b', False)]]
    >>> page = '<div class="math" id="e"><span class="eqno">(1)</span>\\\\[x^2\\\\]</div>'
    >>> [(t, d) for e in math_elements(page) for _, _, t, d in e.tex]
    [('x^2', True)]
    """
    if not isinstance(page, str):
        raise TypeError(f"page must be a str, not {type(page).__name__}")
    found = []
    pos = 0
    while m := _START.search(page, pos):
        pos = m.end()
        cls = _CLASS.search(m.group(2) or "")
        if not cls or "math" not in (cls.group(1) or cls.group(2) or "").split():
            continue
        tag = m.group(1).lower()
        element = MathElement(m.start(), m.end(), _end_of(page, tag, m.end()))
        # TeX sits in the element's own text, between child elements (the equation number).
        depth, text_at = 0, element.open_end
        for part in [*_TAG.finditer(page, element.open_end, element.close), None]:
            text_end = part.start() if part else element.close
            if depth == 0:
                for t in _TEX.finditer(page, text_at, text_end):
                    source = next(
                        g
                        for g in (t["inline"], t["display"], t["dollars"], t["env"])
                        if g is not None
                    )
                    element.tex.append(
                        (t.start(), t.end() - t.start(), html.unescape(source), t["inline"] is None)
                    )
            if part:
                tag_text = part.group(0)
                if not tag_text.endswith("/>"):
                    depth += -1 if tag_text.startswith("</") else 1
                text_at = part.end()
        found.append(element)
        pos = element.close
    return found


def _tex_outside_math(page: str, elements: list[MathElement]) -> bool:
    """Whether ``page`` has TeX delimiters that MathJax would typeset outside ``elements``."""
    pieces, at = [], 0
    for e in elements:
        pieces.append(page[at : e.start])
        at = e.close
    pieces.append(page[at:])
    body = "".join(pieces)
    body = body[body.lower().find("<body") :]
    text = _TAG.sub(" ", _SKIPPED.sub(" ", body))
    return bool(_TEX.search(html.unescape(text)))


def _relative_root(outdir: Path, page: Path) -> str:
    depth = len(page.relative_to(outdir).parts) - 1
    return "../" * depth


def node_modules(app: Sphinx) -> Path:
    """The folder whose ``mathjax-full`` package the renderer uses."""
    return Path(app.confdir) / app.config.prerender_math_modules


def check_renderer(app: Sphinx, config) -> None:
    hint = "run `make mathjax` (or `make book`), which installs it from the npm registry"
    if shutil.which("node") is None:
        raise ExtensionError(f"prerender_math needs Node.js (apt-get install nodejs npm); {hint}")
    if config.prerender_math_output not in ("chtml", "svg"):
        raise ExtensionError(
            f"prerender_math_output must be 'chtml' or 'svg', not {config.prerender_math_output!r}"
        )
    if not (node_modules(app) / "mathjax-full" / "package.json").is_file():
        raise ExtensionError(f"mathjax-full is not in {node_modules(app)}; {hint}")


def render(requests: list[dict], output: str, modules: Path) -> list[dict]:
    """Run ``math_render.js`` over ``requests`` (one per page); its reply per page."""
    reply = subprocess.run(
        ["node", str(RENDERER), str(modules)],
        input=json.dumps({"output": output, "pages": requests}),
        capture_output=True,
        text=True,
        check=False,
    )
    if reply.returncode != 0:
        raise ExtensionError(f"math_render.js failed: {reply.stderr.strip()[-2000:]}")
    return json.loads(reply.stdout)["pages"]


def _rewrite(page: str, elements: list[MathElement], rendered: dict, head: str) -> str:
    out, at, k = [], 0, 0
    for e in elements:
        out.append(page[at : e.start])
        # The start tag keeps its attributes and gains data-tex (all its TeX strings, joined).
        tex = "\n".join(t for _, _, t, _ in e.tex)
        out.append(page[e.start : e.open_end - 1].rstrip("/"))
        out.append(f' data-tex="{html.escape(tex, quote=True)}">')
        at = e.open_end
        for offset, length, _, _ in e.tex:
            out.append(page[at:offset])
            out.append(rendered["html"][k])
            k += 1
            at = offset + length
    out.append(page[at:])
    page = "".join(out)
    i = page.lower().find("</head>")
    return page[:i] + head + page[i:]


def prerender_dir(
    outdir: Path, output: str, modules: Path, scale: float = 1.0
) -> tuple[int, list[str]]:
    """Typeset the math of every HTML page under ``outdir`` in place (see the module doc).

    Returns the number of expressions typeset and the problems found (TeX errors, math
    elements without TeX), one message each. ``output`` is ``"chtml"`` or ``"svg"``;
    ``modules`` the ``node_modules`` folder that holds ``mathjax-full``; ``scale`` the size of
    the math relative to MathJax's own (a positive number).
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ValueError(f"scale must be a positive number, not {scale!r}")
    if output not in ("chtml", "svg"):
        raise ValueError(f"output must be 'chtml' or 'svg', not {output!r}")
    outdir, modules = Path(outdir), Path(modules)
    if not outdir.is_dir():
        raise ValueError(f"outdir {outdir} is not a folder")
    problems: list[str] = []
    pages = []
    for path in sorted(outdir.rglob("*.html")):
        if path.relative_to(outdir).parts[0] == "_static":
            continue
        text = path.read_text(encoding="utf-8")
        # A page Sphinx did not rewrite in this build has its math typeset already.
        elements = [e for e in math_elements(text) if "data-tex=" not in text[e.start : e.open_end]]
        if not elements:
            continue
        name = path.relative_to(outdir)
        problems += [
            f"{name} has a math element with no TeX: {text[e.start : e.close][:200]}"
            for e in elements
            if not e.tex
        ]
        pages.append((path, text, elements))
    if not pages:
        return 0, problems
    fonts = "_static/mathjax/output/chtml/fonts/woff-v2"
    requests = [
        {
            "fontURL": _relative_root(outdir, path) + fonts,
            "scale": scale,
            "items": [{"tex": t, "display": d} for e in elements for _, _, t, d in e.tex],
        }
        for path, _, elements in pages
    ]
    replies = render(requests, output, modules)
    count = 0
    for (path, text, elements), request, reply in zip(pages, requests, replies, strict=True):
        name = path.relative_to(outdir)
        for error in reply["errors"]:
            tex = request["items"][error["index"]]["tex"]
            problems.append(f"{name}: TeX error {error['message']!r} in {tex!r}")
        head = f'<style id="MJX-styles">{reply["css"]}</style>\n'
        keep_mathjax = _tex_outside_math(text, elements)
        text = _rewrite(text, elements, reply, head)  # first: the offsets are into text
        if not keep_mathjax:
            text = _MATHJAX_SCRIPT.sub("", text)
        if reply["defs"]:
            i = text.find(">", text.lower().find("<body")) + 1
            text = text[:i] + reply["defs"] + text[i:]
        path.write_text(text, encoding="utf-8")
        count += len(reply["html"])
    return count, problems


# MathJax in a browser scales its math to the x-height of the text around it. CommonHTML sizes
# in em: TeX's fonts have an x-height of 0.442 em, the theme's sans-serif fonts about 0.53 em
# (Arial 0.52, DejaVu Sans 0.56), so 1.2 (MathJax chose 1.13 to 1.27 on this book's pages
# here). SVG sizes in ex, one ex being TeX's x-height, so the text's own ex already matches.
DEFAULT_SCALE = {"chtml": 1.2, "svg": 1.0}


def prerender(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    began = time.perf_counter()
    output = app.config.prerender_math_output
    scale = app.config.prerender_math_scale
    if scale is None:
        scale = DEFAULT_SCALE[output]
    count, problems = prerender_dir(Path(app.outdir), output, node_modules(app), scale)
    for problem in problems:
        logger.warning("prerender-math: %s", problem)
    logger.info(
        "prerender-math: %d expressions typeset (%s) in %.1f s",
        count,
        output,
        time.perf_counter() - began,
    )


def setup(app: Sphinx) -> dict:
    # CommonHTML: on the double-descent page (271 expressions) its page is 530 KB and SVG's
    # 718 KB, the fonts it loads (about 150 KB) included in neither. But the browser lays SVG
    # out faster (the book's _config.yml chooses it; see the speed test's figures).
    app.add_config_value("prerender_math_output", "chtml", "")
    # None: DEFAULT_SCALE of the output.
    app.add_config_value("prerender_math_scale", None, "")
    app.add_config_value("prerender_math_modules", "_build/mathjax/npm/node_modules", "")
    app.connect("config-inited", check_renderer)
    # Before offline_assets checks the pages (priority 500) and after Sphinx has written them.
    app.connect("build-finished", prerender, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
