// Typeset TeX with MathJax 3 in Node, for book/_ext/prerender_math.py (run at build-finished).
//
//   node math_render.js <node_modules folder of mathjax-full>  < request.json  > reply.json
//
// request: {"output": "chtml" | "svg",
//           "pages": [{"fontURL": "...", "scale": 1.2, "items": [{"tex", "display"}]}]}
// reply:   {"pages": [{"html": [...], "css": "...", "defs": "...", "errors": [{"index", "message"}]}]}
//
// Each page gets its own input and output jax, as in a browser: a \newcommand stays within its
// page, and the stylesheet holds only the characters that page uses. TeX errors are reported
// (never rendered as red merror boxes), so the build can fail on them.
"use strict";
const path = require("path");
const fs = require("fs");

const modules = path.resolve(process.argv[2]);
const mj = (name) => require(path.join(modules, "mathjax-full", "js", name));
const { mathjax } = mj("mathjax.js");
const { TeX } = mj("input/tex.js");
const { CHTML } = mj("output/chtml.js");
const { SVG } = mj("output/svg.js");
const { liteAdaptor } = mj("adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = mj("handlers/html.js");
const { AllPackages } = mj("input/tex/AllPackages.js");
const { AssistiveMmlHandler } = mj("a11y/assistive-mml.js");

// The TeX packages of MathJax in a browser (its tex-mml-chtml component): those it loads and
// those it autoloads at their first macro, so a page means here what it meant there; with no
// noundefined (it prints an undefined macro in red instead of reporting it), no require
// (nothing to load it from) and nothing else (textmacros, for one, would parse \text{...}).
const PACKAGES = ["base", "ams", "newcommand", "configmacros", "action", "amscd", "bbox",
  "boldsymbol", "braket", "bussproofs", "cancel", "color", "enclose", "extpfeil", "html",
  "mhchem", "unicode", "verb"];
const unknown = PACKAGES.filter((name) => !AllPackages.includes(name));
if (unknown.length) throw new Error(`no TeX package ${unknown.join(", ")} in mathjax-full`);

const adaptor = liteAdaptor();
// With the MathML beside each expression that screen readers read, as MathJax in a browser
// adds it (its combined components load assistive-mml).
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

function renderPage(output, page) {
  const errors = [];
  let current = -1;
  const tex = new TeX({
    packages: PACKAGES,
    formatError(jax, error) {
      errors.push({ index: current, message: error.message });
      return jax.formatError(error);
    },
  });
  // In a browser MathJax scales its output to the x-height of the surrounding text; here
  // there is no text to measure, so the scale is given (see prerender_math_scale).
  const scale = page.scale || 1;
  const out =
    output === "svg"
      ? new SVG({ fontCache: "global", scale })
      : new CHTML({ fontURL: page.fontURL, adaptiveCSS: true, scale });
  const doc = mathjax.document("", { InputJax: tex, OutputJax: out });
  const html = page.items.map((item, index) => {
    current = index;
    const node = doc.convert(item.tex, { display: item.display, em: 16, ex: 8, containerWidth: 1280 });
    // MathJax's data-mjx-* hints in the MathML are for its own use, not a screen reader's.
    return adaptor.outerHTML(node).replace(/ data-mjx-[a-z-]+="[^"]*"/g, "");
  });
  const reply = { html, css: adaptor.textContent(out.styleSheet(doc)), defs: "", errors };
  if (output === "svg") {
    // The glyphs every expression's <use> points to: <defs> inside a hidden <svg>, as MathJax
    // puts them in a browser's page (bare in HTML, <defs> and <path> are not SVG, and no
    // glyph shows).
    const cache = out.pageElements(doc);
    if (cache) reply.defs = adaptor.outerHTML(cache);
  }
  return reply;
}

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const reply = { pages: request.pages.map((page) => renderPage(request.output, page)) };
process.stdout.write(JSON.stringify(reply));
