"""Math typeset at build time (book/_ext/prerender_math.py), on small pages written here.

Needs Node and mathjax-full in ``_build/mathjax/npm`` (``make mathjax``; ``make test`` and
``make book`` install it). The pages imitate what Sphinx writes for math: an inline
``<span class="math">``, a numbered ``<div class="math">`` with its equation number and
permalink beside the TeX, and an amsmath environment.
"""

from __future__ import annotations

import doctest
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "_build" / "mathjax" / "npm" / "node_modules"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import page_weight  # noqa: E402
import prerender_math  # noqa: E402


@pytest.fixture(scope="module")
def modules():
    if shutil.which("node") is None or not (MODULES / "mathjax-full" / "package.json").is_file():
        pytest.fail(f"Node and mathjax-full in {MODULES} are needed: run `make mathjax`")
    return MODULES


MATHJAX = (
    '<script>window.MathJax = {"options": {}}</script>\n'
    '<script defer="defer" src="../_static/mathjax/tex-mml-chtml.js"></script>\n'
)
NUMBERED = (
    '<div class="math notranslate nohighlight" id="equation-eq-x">\n'
    '<span class="eqno">(2.1)<a class="headerlink" href="#equation-eq-x" '
    'title="Link to this equation">#</a></span>\\[\\frac{a}{b} &lt; c\\]</div>'
)


def page(body: str) -> str:
    return f"<html><head>{MATHJAX}</head><body><p>{body}</p></body></html>"


def test_doctests():
    for module in (prerender_math, page_weight):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_elements_found_with_their_tex_and_mode():
    text = page(
        'A <span class="math notranslate nohighlight">\\(x_i &amp; y\\)</span> and '
        '<span class="mathematics">\\(no\\)</span>'
        + NUMBERED
        + '<div class="math notranslate nohighlight">\\begin{align}a&amp;=b\\end{align}</div>'
    )
    found = [
        (tex, display) for e in prerender_math.math_elements(text) for *_, tex, display in e.tex
    ]
    # The class "mathematics" is not "math"; the equation number is not TeX.
    assert found == [
        ("x_i & y", False),
        ("\\frac{a}{b} < c", True),
        ("\\begin{align}a&=b\\end{align}", True),
    ]


def test_math_element_without_tex_is_a_problem(tmp_path, modules):
    (tmp_path / "a.html").write_text(page('<span class="math">x</span>'))
    count, problems = prerender_math.prerender_dir(tmp_path, "chtml", modules)
    assert count == 0 and len(problems) == 1 and "no TeX" in problems[0]


def test_page_typeset_with_number_id_and_tex_kept(tmp_path, modules):
    (tmp_path / "book").mkdir()
    target = tmp_path / "book" / "p.html"
    target.write_text(
        page('<span class="math notranslate nohighlight">\\(\\alpha\\)</span>' + NUMBERED)
    )
    count, problems = prerender_math.prerender_dir(tmp_path, "chtml", modules)
    out = target.read_text()
    assert (count, problems) == (2, [])
    assert "tex-mml-chtml.js" not in out and "window.MathJax" not in out
    assert out.count("<mjx-container") == 2 and 'display="true"' in out
    assert 'id="equation-eq-x"' in out and '<span class="eqno">(2.1)' in out
    assert 'data-tex="\\frac{a}{b} &lt; c"' in out and 'data-tex="\\alpha"' in out
    # No TeX left as text, and the fonts are found from the page's folder.
    assert "\\[" not in re.sub(r'data-tex="[^"]*"', "", out)
    # A second pass (a later build that did not rewrite the page) leaves it as it is.
    assert prerender_math.prerender_dir(tmp_path, "chtml", modules) == (0, [])
    assert target.read_text() == out
    assert 'url("../_static/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff")' in out


def test_tex_errors_are_reported(tmp_path, modules):
    (tmp_path / "bad.html").write_text(
        page('<span class="math">\\(\\nosuchmacro x\\)</span><span class="math">\\(x^{\\)</span>')
    )
    _, problems = prerender_math.prerender_dir(tmp_path, "chtml", modules)
    assert len(problems) == 2, problems
    assert "nosuchmacro" in problems[0] and "brace" in problems[1]


def test_page_with_tex_outside_math_keeps_mathjax(tmp_path, modules):
    (tmp_path / "p.html").write_text(
        page('<span class="math">\\(y\\)</span> text \\(x\\) <code>\\(not math\\)</code>')
    )
    (tmp_path / "q.html").write_text(page('<span class="math">\\(y\\)</span> <code>\\(z\\)</code>'))
    prerender_math.prerender_dir(tmp_path, "chtml", modules)
    assert "tex-mml-chtml.js" in (tmp_path / "p.html").read_text()
    assert "tex-mml-chtml.js" not in (tmp_path / "q.html").read_text()


def test_svg_output_has_its_glyphs_once(tmp_path, modules):
    (tmp_path / "p.html").write_text(
        page('<span class="math">\\(x+x\\)</span><span class="math">\\(x\\)</span>')
    )
    count, problems = prerender_math.prerender_dir(tmp_path, "svg", modules)
    out = (tmp_path / "p.html").read_text()
    assert (count, problems) == (2, [])
    assert out.count('id="MJX-TEX-I-1D465"') == 1 and out.count('href="#MJX-TEX-I-1D465"') == 3
    # The paths are SVG only inside an <svg>: bare <defs> in HTML are unknown elements.
    at = out.index('id="MJX-TEX-I-1D465"')
    opened = out.rfind("<svg", 0, at)
    assert opened >= 0 and "</svg>" not in out[opened:at], out[:at][-300:]
    assert 'id="MJX-SVG-global-cache"' in out[opened : out.index(">", opened)]


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="output"):
        prerender_math.prerender_dir(tmp_path, "png", MODULES)
    with pytest.raises(ValueError, match="outdir"):
        prerender_math.prerender_dir(tmp_path / "missing", "svg", MODULES)
    with pytest.raises(ValueError, match="scale"):
        prerender_math.prerender_dir(tmp_path, "svg", MODULES, scale=0)
    with pytest.raises(TypeError, match="page"):
        prerender_math.math_elements(b"<span>")


def test_fontawesome_script_dropped(tmp_path):
    scripts = tmp_path / "_static" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "fontawesome.js").write_text("//")
    (scripts / "bootstrap.js").write_text("//")
    tag = '<script defer src="../_static/scripts/fontawesome.js?digest=1"></script>\n'
    keep = '<script defer src="../_static/scripts/bootstrap.js?digest=1"></script>\n'
    (tmp_path / "p.html").write_text(f"<head>{tag}{keep}</head>")

    class App:
        outdir = str(tmp_path)
        builder = type("B", (), {"format": "html"})

    page_weight.drop_fontawesome(App, None)
    assert (tmp_path / "p.html").read_text() == f"<head>{keep}</head>"
    assert not (scripts / "fontawesome.js").exists() and (scripts / "bootstrap.js").exists()
