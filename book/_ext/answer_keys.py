"""The instructor switch: build the book with the per-student answer keys left out.

A page shows a student's key in a code cell tagged ``answer-key`` or in prose inside
``:::{container} answer-key``. With the switch on (``DV_HIDE_ANSWER_KEYS=1 make book``, or
``dv_hide_answer_keys: true`` under ``sphinx.config`` in ``_config.yml``; the environment
variable wins), every such cell (source and outputs) and container is replaced by a short note
in the HTML, its search index, the page's source copy under ``_sources/`` and the downloadable
notebook (book/_ext/downloads.py calls :func:`strip_notebook`), and images only those cells
showed are deleted from ``_images/``.

The removal happens when pages are written (``doctree-resolved``), not when they are read:
the environment keeps the full pages and the jupyter cache its executions, so switching on
or off re-executes nothing; the value is a config value with ``rebuild="html"``, so a change
rewrites every page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

TAG = "answer-key"
ENV_VAR = "DV_HIDE_ANSWER_KEYS"
NOTE = "The per-student answer key is left out of this build (the instructor switch is on)."
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


def switch_value(env: dict | None = None, configured: bool = False) -> bool:
    """Whether answer keys are hidden: ``DV_HIDE_ANSWER_KEYS`` if set, else ``configured``.

    >>> switch_value({"DV_HIDE_ANSWER_KEYS": "1"}), switch_value({}, True), switch_value({})
    (True, True, False)
    >>> switch_value({"DV_HIDE_ANSWER_KEYS": "maybe"})
    Traceback (most recent call last):
    ...
    ValueError: DV_HIDE_ANSWER_KEYS: 'maybe' is not one of 1, true, yes, on, 0, false, no, off
    """
    env = os.environ if env is None else env
    if ENV_VAR not in env:
        return bool(configured)
    value = env[ENV_VAR].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    allowed = "1, true, yes, on, 0, false, no, off"
    raise ValueError(f"{ENV_VAR}: {env[ENV_VAR]!r} is not one of {allowed}")


def _is_key(node: nodes.Node) -> bool:
    if not isinstance(node, nodes.Element):
        return False
    if node.get("nb_element") == "cell_code":
        return TAG in (node.get("cell_metadata") or {}).get("tags", [])
    return isinstance(node, nodes.container) and TAG in node.get("classes", [])


def _note() -> nodes.container:
    return nodes.container(
        "", nodes.paragraph(text=NOTE), classes=["dv-answer-key-hidden", "admonition", "note"]
    )


def hide_keys(doctree: nodes.Node) -> list[str]:
    """Replace every answer-key cell and container of ``doctree`` by a note; returns the image
    URIs the removed parts showed. Adjacent removals share one note.

    >>> from docutils.utils import new_document
    >>> from docutils.frontend import get_default_settings
    >>> doc = new_document("t", get_default_settings())
    >>> doc += [nodes.paragraph(text="a"), nodes.container("", nodes.paragraph(text="key"),
    ...         classes=["answer-key"]), nodes.container(classes=["answer-key"])]
    >>> hide_keys(doc), [n.astext() for n in doc.children]
    ([], ['a', 'The per-student answer key is left out of this build (the instructor switch is on).'])
    """
    images: list[str] = []
    for node in list(doctree.findall(_is_key)):
        if node.parent is None:  # inside a part removed already
            continue
        images += [img["uri"] for img in node.findall(nodes.image) if "uri" in img]
        parent, index = node.parent, node.parent.index(node)
        previous = parent[index - 1] if index > 0 else None
        if isinstance(previous, nodes.container) and "dv-answer-key-hidden" in previous["classes"]:
            parent.remove(node)
        else:
            parent.replace(node, _note())
    return images


# --- the same on text: MyST sources and notebook cells ---------------------------------

_FENCE = re.compile(
    r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>.*)$"
)


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _header(lines: list[str]) -> str:
    """The options of a directive block: a leading ``---`` YAML block or ``:key:`` lines."""
    if lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:], 1):
            if line.strip() == "---":
                return "\n".join(lines[1:i])
        return ""
    out = []
    for line in lines:
        if not line.lstrip().startswith(":"):
            break
        out.append(line)
    return "\n".join(out)


def _tagged(header: str) -> bool:
    return bool(re.search(rf"(?<![\w-]){re.escape(TAG)}(?![\w-])", header))


def strip_myst(text: str, note: str = NOTE) -> tuple[str, int]:
    """``text`` (MyST Markdown) without its answer-key code cells and containers, each
    replaced by ``note``; and how many were removed.

    >>> page = "a\\n```{code-cell} ipython3\\n:tags: [answer-key]\\nkey()\\n```\\nb\\n"
    >>> page += ":::{container} answer-key\\nThe key is 3.\\n:::\\nc\\n"
    >>> strip_myst(page, "(hidden)")
    ('a\\n(hidden)\\nb\\n(hidden)\\nc\\n', 2)
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    removed = i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i].rstrip("\n"))
        if not m:
            out.append(lines[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not _closes(lines[end], m["fence"]):
            end += 1
        body = [line.rstrip("\n") for line in lines[i + 1 : end]]
        name, arg = m["name"], m["arg"].split()
        key = (name == "code-cell" and _tagged(_header(body))) or (
            name in ("container", "div") and (TAG in arg or _tagged(_header(body)))
        )
        if key:
            out.append(m["indent"] + note + "\n")
            removed += 1
            i = end + 1
        else:  # keep the fence line and look inside (a key may be nested in a block)
            out.append(lines[i])
            i += 1
    return "".join(out), removed


def strip_notebook(nb) -> int:
    """Remove the answer-key cells of a notebook (nbformat node, changed in place) and the
    answer-key containers of its Markdown cells; returns how many parts were removed.

    >>> import nbformat.v4 as v4
    >>> nb = v4.new_notebook(cells=[v4.new_code_cell("key()", metadata={"tags": ["answer-key"]}),
    ...                             v4.new_markdown_cell(":::{container} answer-key\\n3\\n:::")])
    >>> strip_notebook(nb), [c.cell_type for c in nb.cells], nb.cells[0].source == NOTE
    (2, ['markdown', 'markdown'], True)
    """
    import nbformat.v4 as v4

    removed = 0
    cells = []
    for cell in nb.cells:
        if TAG in cell.get("metadata", {}).get("tags", []):
            removed += 1
            if not (cells and cells[-1].cell_type == "markdown" and cells[-1].source == NOTE):
                cells.append(v4.new_markdown_cell(NOTE))
            continue
        if cell.cell_type == "markdown":
            cell.source, n = strip_myst(cell.source)
            removed += n
        cells.append(cell)
    nb.cells = cells
    return removed


_GLUE_USE = re.compile(
    r"\{glue(?::\w+)?\}`([^`:<]+)|```\{glue(?::\w+)?\}\s+([^\s`:]+)|:::\{glue(?::\w+)?\}\s+(\S+)"
)


def glued_keys(nb) -> set[str]:
    """The names glued (``myst_nb.glue``) by the answer-key cells of an executed notebook.

    >>> import nbformat.v4 as v4
    >>> out = v4.new_output("display_data", {"text/plain": "3"},
    ...                     metadata={"scrapbook": {"name": "key_loss"}})
    >>> cell = v4.new_code_cell("glue('key_loss', 3)", metadata={"tags": [TAG]}, outputs=[out])
    >>> sorted(glued_keys(v4.new_notebook(cells=[cell])))
    ['key_loss']
    """
    return {
        output["metadata"]["scrapbook"]["name"]
        for cell in nb.cells
        if cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


def leaked_keys(source: str, keys: set[str]) -> list[str]:
    """The glued ``keys`` that MyST ``source`` shows outside its answer-key cells and
    containers (where the switch cannot remove them).

    >>> page = "{glue:text}`loss:.3f` and\\n:::{container} answer-key\\n{glue:text}`w`\\n:::\\n"
    >>> leaked_keys(page, {"loss", "w"})
    ['loss']
    """
    outside, _ = strip_myst(source)
    used = {next(filter(None, m.groups())).strip() for m in _GLUE_USE.finditer(outside)}
    return sorted(used & keys)


# --- Sphinx ------------------------------------------------------------------------------


def _resolve_switch(app: Sphinx, config: Config) -> None:
    try:
        config.dv_hide_answer_keys = switch_value(configured=config.dv_hide_answer_keys)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if config.dv_hide_answer_keys:
        logger.info("answer keys: hidden in this build (%s)", ENV_VAR)


def hidden(app: Sphinx) -> bool:
    """Whether this build leaves the answer keys out."""
    return bool(app.config.dv_hide_answer_keys)


def executed_notebook(app: Sphinx, docname: str):
    """The page's notebook as the build ran it, outputs included, without the hidden cells
    of page_dependencies; None if the page is no notebook (or was not read in this output).

    MyST-NB writes ``jupyter_execute/<docname>.ipynb`` when it reads a page, but from the
    jupyter cache it writes the cells without their outputs (it renders a merged copy):
    merge them back from the cache, as MyST-NB does.
    """
    import nbformat

    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    if not path.is_file():
        return None
    memo = app.__dict__.setdefault("_dv_executed", {})
    stamp = (docname, path.stat().st_mtime_ns)
    if stamp not in memo:
        nb = nbformat.read(path, as_version=4)
        cache_path = getattr(app.config, "nb_execution_cache_path", "") or Path(
            app.outdir
        ).parent.joinpath(".jupyter_cache")
        if Path(cache_path).is_dir():
            from jupyter_cache import get_cache

            try:
                _, nb = get_cache(str(cache_path)).merge_match_into_notebook(nb)
            except KeyError:  # executed with the cache off: written with its outputs
                pass
        from page_dependencies import HOOK_CELL, MARKER

        nb.cells = [
            c
            for c in nb.cells
            if not (
                c.cell_type == "code"
                and (c.source == HOOK_CELL or c.source.startswith(f"# {MARKER}"))
            )
        ]
        memo[stamp] = nb
    return memo[stamp]


def _check_glue(app: Sphinx, doctree: nodes.document) -> None:
    """Warn (an error in ``make book``) when a page shows a value glued in an answer-key
    cell outside an answer-key container: the switch would leave that number in."""
    docname = app.env.docname
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    source = Path(app.env.doc2path(docname))
    if not executed.is_file() or executed.stat().st_mtime < source.stat().st_mtime:
        return  # not a notebook (the file is from an older read)
    nb = executed_notebook(app, docname)
    keys = glued_keys(nb) if nb is not None else set()
    if not keys:
        return
    for key in leaked_keys(source.read_text(encoding="utf-8"), keys):
        logger.warning(
            "answer-keys: %s shows %r, glued in an answer-key cell, outside an answer-key "
            "container; put the sentence in `:::{container} answer-key`",
            docname,
            key,
            location=docname,
        )


def _on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if not hidden(app) or app.builder.format != "html":
        return
    images = hide_keys(doctree)
    if images:
        app.env.dv_hidden_images = getattr(app.env, "dv_hidden_images", set()) | set(images)


def drop_orphan_terms(index_js: str) -> str:
    """Sphinx's ``searchindex.js`` without the words no page contains any more.

    Sphinx loads the previous index and drops the rewritten pages' entries, but keeps each
    word with an empty page list: the words of a key removed since would stay readable.

    >>> drop_orphan_terms('Search.setIndex({"terms": {"a": 0, "4217": []}, "titleterms": {}})')
    'Search.setIndex({"terms": {"a": 0}, "titleterms": {}})'
    """
    import json

    prefix, suffix = "Search.setIndex(", ")"
    if not (index_js.startswith(prefix) and index_js.rstrip().endswith(suffix)):
        raise ValueError("index_js: not a Sphinx search index (Search.setIndex(...))")
    data = json.loads(index_js[len(prefix) : index_js.rstrip().rindex(suffix)])
    for field in ("terms", "titleterms"):
        data[field] = {w: docs for w, docs in data.get(field, {}).items() if docs != []}
    return prefix + json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + suffix


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Drop the words of removed keys from the search index, strip the pages' source copies
    in ``_sources/`` (Sphinx copies each page's source after writing it), and delete the images only removed cells showed (a build with the
    keys may have left them)."""
    if exception is not None or not hidden(app) or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    index = outdir / "searchindex.js"
    if index.is_file():
        index.write_text(drop_orphan_terms(index.read_text(encoding="utf-8")), encoding="utf-8")
    for copy in sorted((outdir / "_sources").rglob("*.md")):
        text, removed = strip_myst(copy.read_text(encoding="utf-8"))
        if removed:
            copy.write_text(text, encoding="utf-8")
    names = {Path(uri).name for uri in getattr(app.env, "dv_hidden_images", ())}
    if not names:
        return
    used = set()
    for page in outdir.rglob("*.html"):
        used |= set(re.findall(r"_images/([^\"'?#\s]+)", page.read_text(encoding="utf-8")))
    for name in names - used:
        (outdir / "_images" / name).unlink(missing_ok=True)


def setup(app: Sphinx) -> dict:
    app.add_config_value("dv_hide_answer_keys", False, "html", [bool])
    app.connect("config-inited", _resolve_switch)
    app.connect("doctree-read", _check_glue)
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
