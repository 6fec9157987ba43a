"""Downloads: every executed page as a Jupyter notebook, offered on the page.

MyST-NB writes each page it executes (or takes from the jupyter cache) as a notebook,
outputs included, to ``jupyter_execute/<docname>.ipynb`` beside the HTML output folder. For
every page written that has one, this extension

* copies it to ``_sources/<docname>.ipynb`` in the HTML output, without the answer-key cells
  when the instructor switch is on (book/_ext/answer_keys.py);
* sets the page context's ``ipynb_source``, so that sphinx-book-theme's download menu offers
  ``.ipynb`` beside the source file;
* adds a visible link at the end of the page (class ``dv-downloads``), and a link to the
  whole-book PDF when ``dv_pdf_name`` (or the environment variable ``DV_BOOK_PDF``) names
  one: ``make pdf`` prints the PDF into the output, then rewrites the pages with
  ``DV_BOOK_PDF=book.pdf`` (a config value with ``rebuild="html"``: nothing is executed or
  read again).
"""

from __future__ import annotations

import os
from pathlib import Path

from answer_keys import executed_notebook
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def notebook_to_offer(app: Sphinx, docname: str):
    """The executed notebook of ``docname`` if it is a chapter to download: one with a code
    cell that the page does not remove (the glossary's one hidden cell, which only fills in
    numbers, does not make it one)."""
    nb = executed_notebook(app, docname)
    if nb is None:
        return None
    shown = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "remove-cell" not in c.get("metadata", {}).get("tags", [])
    ]
    return nb if shown else None


def relative(docname: str, target: str) -> str:
    """The URL of ``target`` (relative to the output root) from the page ``docname``.

    >>> relative("book/mlp", "_sources/book/mlp.ipynb")
    '../_sources/book/mlp.ipynb'
    >>> relative("index", "book.pdf")
    'book.pdf'
    """
    return "../" * docname.count("/") + target


def _links(app: Sphinx, docname: str) -> nodes.paragraph:
    para = nodes.paragraph(classes=["dv-downloads"])
    para += nodes.Text("Download this chapter as a Jupyter notebook, executed: ")
    name = f"{Path(docname).name}.ipynb"
    para += nodes.reference(
        "", name, refuri=relative(docname, f"_sources/{docname}.ipynb"), classes=["dv-ipynb"]
    )
    pdf = app.config.dv_pdf_name
    if pdf:
        para += nodes.Text("; the whole book as a PDF: ")
        para += nodes.reference("", pdf, refuri=relative(docname, pdf), classes=["dv-pdf"])
    para += nodes.Text(".")
    return para


def _on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    if notebook_to_offer(app, docname) is not None:
        doctree += _links(app, docname)


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    if doctree is None or app.builder.name == "singlehtml":
        return
    nb = notebook_to_offer(app, pagename)
    if nb is None:
        return
    import copy

    import nbformat
    from answer_keys import hidden, strip_notebook

    nb = copy.deepcopy(nb)  # the memo keeps the whole notebook for the other handlers
    if hidden(app):
        strip_notebook(nb)
    target = Path(app.outdir, "_sources", f"{pagename}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _single_page_handlers(app: Sphinx) -> None:
    """Make the single-page build (the PDF's source) render what the HTML build renders.

    Sphinx gives a builder the node handlers registered under its name and, only if there
    are none, those of its format: sphinx-exercise registers some for ``singlehtml``, so every
    other extension's ``html`` handlers would be lost there; copy them over. And
    sphinx_jupyterbook_latex (loaded by Jupyter Book for this builder) replaces hidden cells
    by a node with no departure handler: give it one.
    """
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, pair in handlers.get("html", {}).items():
        single.setdefault(node, pair)
    try:
        from sphinx_jupyterbook_latex.nodes import HiddenCellNode
    except ImportError:
        return

    def skip(self, node):
        raise nodes.SkipNode

    single[HiddenCellNode.__name__] = (skip, lambda self, node: None)


def _pdf_from_environment(app: Sphinx, config) -> None:
    if os.environ.get("DV_BOOK_PDF"):
        config.dv_pdf_name = os.environ["DV_BOOK_PDF"]


def setup(app: Sphinx) -> dict:
    app.setup_extension("answer_keys")
    app.add_config_value("dv_pdf_name", "", "html", [str])
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.connect("config-inited", _pdf_from_environment)
    app.connect("builder-inited", _single_page_handlers)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _on_page_context, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
