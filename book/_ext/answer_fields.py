"""Answer fields in the book: a student types an answer on the page and the page checks it.

Every field is an ``<input data-claim="CLAIM_ID">`` with, beside it, an element of class
``verdict`` where the verdict appears. book/_ext/static/checker.js checks the typed text in a
Web Worker running Pyodide with the project's own parser and equivalence rules
(:mod:`verify.answers.offline`), the same code as ``python -m verify check-answer``; nothing
is sent anywhere. Where the fields go (``doctree-resolved``):

* **an exercise** whose text names ``python -m verify check-answer CLAIM_ID``: a field for
  that claim at the end of the exercise; with ``--student-id`` a small per-student form (an
  id and that quantity, with the options written in the command, such as
  ``--label-smoothing 0.1``);
* **a result** whose claim the text names (a literal ``CLAIM_ID`` in a paragraph or list
  item): a field below that paragraph, once per claim and page;
* every other claim of the chapter's topic that takes a typed answer: a list of fields at
  the end of the chapter's Evidence section, one per claim with its statement;
* ``:::{container} dv-student-form``: the whole per-student form (an id, then one field per
  quantity of the answer key).

At ``build-finished`` it writes ``_static/checker/references.json`` (every typed claim's
derived result, exported from its derivation by :func:`verify.answers.offline.export_all`) and
``_static/checker/dv.zip`` (the project's Python packages, which the worker imports). The
interpreter and SymPy come from the Makefile's ``checker`` target (Pyodide from npm, SymPy and
mpmath from PyPI); without them the build stops and says what to run.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import zipfile
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: What the Makefile's ``checker`` target leaves in a static folder (its last file).
BUNDLE = Path("checker") / "python.zip"
#: The project's packages the worker imports (every module, so a check never misses one).
PACKAGES = ("verify", "derivations")
_COMMAND = re.compile(r"python -m verify check-answer\s+(?P<rest>.+)")
_CLAIM_ID = re.compile(r"^[a-z_0-9]+(\.[A-Za-z_0-9]+)+$")
#: What each kind of answer looks like, shown in its field.
PLACEHOLDER = {
    "expression": "an expression in {vars}",
    "function": "a formula in {vars}",
    "matrix": "a matrix such as [[1, 0], [0, 1]]",
    "number": "a number or an exact value such as 1/3",
    "interval": "an interval such as (0, oo)",
    "sequence": "a list such as [1, 2, 3]",
    "distribution": "outcomes and probabilities such as {{0: 1/2, 1: 1/2}}",
    "table": "one row per layer, such as [1792, 0, …] or [64x112x112, …]",
    "formula": "a formula in {vars}, with floor(…) where it rounds down",
}


def _claims() -> dict:
    """Claim id -> (kind, variables, statement, topic) of every claim a person can type."""
    from verify import claims
    from verify.answers import formulas, tables

    def kind(c):
        if tables.takes(c):
            return "table"
        return "formula" if formulas.takes(c) else c.answer

    return {
        c.id: (kind(c), tuple(c.variables), c.statement, c.topic)
        for c in claims.all()
        if c.answer in claims.TYPED_KINDS
    }


def _placeholder(kind: str, variables) -> str:
    names = ", ".join(variables) or "the variables"
    return PLACEHOLDER[kind].format(vars=names)


def field_html(claim_id: str, kind: str, variables, label: str = "Check your answer") -> str:
    """The HTML of one answer field (``input[data-claim]``, its button, its verdict).

    >>> print(field_html("ridge.optimal_mu", "expression", ("d", "se2", "sw2"))[:60])
    <div class="dv-check" data-kind="expression"><label class="d
    """
    cid = html.escape(claim_id, quote=True)
    hint = html.escape(_placeholder(kind, variables), quote=True)
    return (
        f'<div class="dv-check" data-kind="{html.escape(kind)}">'
        f'<label class="dv-check-label">{html.escape(label)} '
        f'<input type="text" class="dv-check-input" data-claim="{cid}" placeholder="{hint}" '
        f'autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="2000" '
        f'aria-label="{html.escape(label)}: {cid}"></label> '
        f'<button type="button" class="dv-check-go">Check</button>'
        f'<output class="verdict" aria-live="polite"></output></div>'
    )


def _student_row(quantity: str, hint: str) -> str:
    q = html.escape(quantity, quote=True)
    return (
        f'<div class="dv-student-row"><label class="dv-student-label">{q} '
        f'<input type="text" class="dv-student-input" data-quantity="{q}" '
        f'placeholder="{html.escape(hint, quote=True)}" autocomplete="off" spellcheck="false" '
        f'maxlength="2000"></label><output class="verdict" aria-live="polite"></output></div>'
    )


def student_form_html(quantities, options: dict | None = None, *, entry: bool = False) -> str:
    """The per-student form: a student id, one field per quantity, a button.

    >>> "data-student-id" in student_form_html(["loss"])
    True
    """
    opts = html.escape(json.dumps(options or {}, sort_keys=True), quote=True)
    rows = "".join(
        _student_row(q, "a number" if q in ("loss", "y_hat") or "[" in q else "a number or [[…]]")
        for q in quantities
    )
    if entry:
        rows += (
            '<div class="dv-student-row"><label class="dv-student-label">one entry, such as '
            "dl_dW2[1,3] "
            '<input type="text" class="dv-student-entry" placeholder="quantity[row,column]" '
            'autocomplete="off" spellcheck="false" maxlength="100"></label> '
            '<input type="text" class="dv-student-input" data-quantity="" '
            'placeholder="its value" autocomplete="off" spellcheck="false" maxlength="200">'
            '<output class="verdict" aria-live="polite"></output></div>'
        )
    return (
        f'<form class="dv-student" data-question="mlp" data-options="{opts}" '
        'onsubmit="return false">'
        '<div class="dv-student-row"><label class="dv-student-label">Your student id '
        '<input type="text" class="dv-student-id" data-student-id inputmode="numeric" '
        'autocomplete="off" maxlength="12" placeholder="0 to 4294967295"></label></div>'
        f"{rows}"
        '<button type="button" class="dv-student-go">Check my numbers</button>'
        '<output class="verdict dv-student-summary" aria-live="polite"></output>'
        '<p class="dv-student-note">Each number is compared with your own answer key on this '
        "page, in your browser; the key itself is never shown.</p></form>"
    )


def _options(words: list[str]) -> dict:
    """The answer-key options written in an exercise's command (``--label-smoothing 0.1``),
    read by the command line's own option parser and checked against the key, so a page
    cannot carry an option the form would refuse.

    >>> _options(["--student-id", "<your", "id>", "--label-smoothing", "0.1", "mlp.loss"])
    {'label_smoothing': 0.1}
    """
    from verify.grading import cli
    from verify.offline import student

    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    cli._key_options(parser)
    parser.add_argument("--student-id")
    args, _ = parser.parse_known_args(words)
    args.question = "mlp"
    options = cli._options(args)
    student.answer_key(0, **options)  # a ValueError/TypeError naming the option
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _raw(text: str) -> nodes.raw:
    return nodes.raw("", text, format="html")


def _is_exercise(node) -> bool:
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

    return isinstance(node, exercise_node | exercise_enumerable_node)


def _is_solution(node) -> bool:
    from sphinx_exercise.nodes import solution_node

    return isinstance(node, solution_node)


def _ancestor(node, test):
    while node is not None:
        if test(node):
            return node
        node = node.parent
    return None


def _block(node):
    """The paragraph or list item a literal sits in (a field goes after it)."""
    return _ancestor(node, lambda n: isinstance(n, nodes.paragraph | nodes.list_item))


def _needs_claims(doctree) -> bool:
    for lit in doctree.findall(nodes.literal):
        text = lit.astext().strip()
        if _COMMAND.match(text) or _CLAIM_ID.match(text):
            return True
    if any("dv-student-form" in c.get("classes", []) for c in doctree.findall(nodes.container)):
        return True
    return any(
        s.children and isinstance(s[0], nodes.title) and s[0].astext() == "Evidence"
        for s in doctree.findall(nodes.section)
    )


def place_fields(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    if not _needs_claims(doctree):
        return  # a page with no exercise command, claim id, Evidence section or form
    claims = _typed()
    placed: set[str] = set()
    after: list[tuple[nodes.Element, str]] = []
    for lit in list(doctree.findall(nodes.literal)):
        text = lit.astext().strip()
        command = _COMMAND.match(text)
        exercise = _ancestor(lit, _is_exercise)
        if command and exercise is not None:
            words = command.group("rest").replace("'", " ").replace('"', " ").split()
            if "--student-id" in words:
                quantity = next(
                    (w.partition(".")[2] for w in words if w.startswith("mlp.")), "loss"
                )
                try:
                    options = _options(words)
                except (ValueError, TypeError, argparse.ArgumentError) as exc:
                    logger.warning(f"answer field: {text!r}: {exc}")
                    continue
                exercise += _raw(student_form_html([quantity], options))
                continue
            cid = next((w for w in words if w in claims), None)
            if cid is None:
                logger.warning(f"answer field: {text!r} names no claim that takes a typed answer")
                continue
            kind, variables, _, _ = claims[cid]
            exercise += _raw(field_html(cid, kind, variables))
            placed.add(cid)
            continue
        if text in claims and text not in placed and exercise is None:
            if _ancestor(lit, _is_solution) or _ancestor(
                lit, lambda n: isinstance(n, nodes.table | nodes.title)
            ):
                continue
            block = _block(lit)
            if block is None:
                continue
            kind, variables, _, _ = claims[text]
            after.append((block, field_html(text, kind, variables, f"Check your answer ({text})")))
            placed.add(text)
    for block, markup in reversed(after):
        block.parent.insert(block.parent.index(block) + 1, _raw(markup))
    for container in list(doctree.findall(nodes.container)):
        if "dv-student-form" in container.get("classes", []):
            from derivations.mlp.key import KEYS

            container.replace_self(_raw(student_form_html(KEYS, entry=True)))
    topic = docname.rsplit("/", 1)[-1]
    rest = [cid for cid, c in claims.items() if c[3] == topic and cid not in placed]
    sections = [
        s
        for s in doctree.findall(nodes.section)
        if s.children and isinstance(s[0], nodes.title) and s[0].astext() == "Evidence"
    ]
    if not rest or not sections:
        return
    items = "".join(
        f'<li><span class="dv-check-claim"><code>{html.escape(cid)}</code>: '
        f"{html.escape(claims[cid][2])}</span>"
        f"{field_html(cid, claims[cid][0], claims[cid][1])}</li>"
        for cid in rest
    )
    sections[-1] += _raw(
        '<div class="dv-check-list"><p>Check your own answer to any other claim of this '
        "chapter: the page compares it with the derived result, in your browser.</p>"
        f"<ul>{items}</ul></div>"
    )


def _require_bundle(app: Sphinx, config: Config) -> None:
    for folder in config.html_static_path:
        if (Path(app.confdir) / folder / BUNDLE).is_file():
            return
    raise ConfigError(
        "answer_fields: the in-book checker's Python bundle (checker/python.zip) is in none of "
        "html_static_path; run `make checker` (it installs Pyodide from npm and SymPy from PyPI)"
    )


#: The typed claims, loaded once per build process.
_TYPED: dict = {}


def _typed() -> dict:
    if not _TYPED:
        _TYPED.update(_claims())
    return _TYPED


def _project_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*.py")):
                rel = path.relative_to(ROOT).as_posix()
                info = zipfile.ZipInfo(rel, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
        # derivations.topics reads the topics from the table of contents
        info = zipfile.ZipInfo("_toc.yml", (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, (ROOT / "_toc.yml").read_bytes())
    return buf.getvalue()


def write_assets(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from verify.answers.offline import export_all

    out = Path(app.outdir) / "_static" / "checker"
    out.mkdir(parents=True, exist_ok=True)
    code = _project_zip()
    same_code = (out / "dv.zip").is_file() and (out / "dv.zip").read_bytes() == code
    (out / "dv.zip").write_bytes(code)
    if not _TYPED and same_code and (out / "references.json").is_file():
        # no page with a field was written and the code is the same: the references are
        # those of the last build (a change to a topic's code re-executes its page)
        return
    records = export_all()
    (out / "references.json").write_text(json.dumps(records, sort_keys=True, indent=0))


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _require_bundle)
    app.connect("doctree-resolved", place_fields)
    app.connect("build-finished", write_assets)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
