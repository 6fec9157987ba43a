"""Grading a class: a submissions CSV against each student's answer key, into a gradebook.

A submissions file has one row per student: the id (a ``student_id`` or ``id`` column), then
columns named after answer-key quantities (``loss``) or their entries, 1-based as the course
writes them (``dl_dW2[1,3]``), or a whole matrix in one cell (``[[…], […]]``). Which
quantities are graded is the form's choice: those with at least one column.

Each quantity of each student is **right** (every entry within the tolerance), **wrong**
(an entry off, unreadable or missing while others are given) or **missing** (nothing given);
with how far off (the largest ``|answer − key|`` and where) and a note when the mistake has a
recognisable shape (the transpose, the sign, a 0-based class). A quantity is worth one point,
shared equally among its entries; the score is the sum. An entry is right when
``|a − r| ≤ atol + rtol·|r|`` (:class:`Tolerance`; the predicted class ``y_hat`` exactly).

Rows that cannot be graded (an id that is no integer, a row with more cells than the header,
a student whose key fails) are kept in the gradebook with a status saying why, and so are
duplicate ids (each graded, each flagged): nothing is lost.

>>> Tolerance().text()
'|answer − key| ≤ 0.0001 + 0.001·|key| per entry (y_hat: exact)'
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from derivations import arguments as arg
from derivations import roster, variants
from verify.grading.reading import index_base, parse_cell, parse_label, resolve

RIGHT, WRONG, MISSING = "right", "wrong", "missing"
EXACT = ("y_hat",)


@dataclass(frozen=True)
class Tolerance:
    """When an entry counts as right: ``|a − r| ≤ atol + rtol·|r|``. The defaults pass an
    answer rounded to 4 decimals (error ≤ 5e-5) or to 4 significant digits (≤ 5e-4
    relative), and fail a sign, a factor or a slip in the third digit."""

    rtol: float = 1e-3
    atol: float = 1e-4
    #: quantities graded exactly besides :data:`EXACT` (a question's counts and shapes)
    exact: tuple = ()

    def __post_init__(self):
        arg.non_negative(self.rtol, "rtol")
        arg.non_negative(self.atol, "atol")

    def ok(self, quantity: str, answer: float, key: float) -> bool:
        """Is ``answer`` right for ``key``?

        >>> Tolerance().ok("loss", 0.69635, 0.696302), Tolerance().ok("y_hat", 2.0, 3.0)
        (True, False)
        """
        if quantity in EXACT or quantity in self.exact:
            return answer == key
        return abs(answer - key) <= self.atol + self.rtol * abs(key)

    def text(self, quantities=None) -> str:
        """The rule in words (the exact ones named if among ``quantities``, or always).

        >>> Tolerance().text(["loss"])
        '|answer − key| ≤ 0.0001 + 0.001·|key| per entry'
        """
        exact = [q for q in (*EXACT, *self.exact) if quantities is None or q in quantities]
        rule = f"|answer − key| ≤ {self.atol:g} + {self.rtol:g}·|key| per entry"
        return rule + (f" ({', '.join(exact)}: exact)" if exact else "")


@dataclass
class Column:
    """A column of the form: its label, the quantity, and the 0-based position it names
    (None: the whole quantity in one cell)."""

    index: int
    label: str
    quantity: str
    position: tuple | None


@dataclass
class Gradebook:
    """The graded file: one row per line, the file-level notes, the graded quantities."""

    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    quantities: list = field(default_factory=list)
    tolerance: Tolerance = field(default_factory=Tolerance)
    question: str = "mlp"


def _plan(header, shapes, chosen_base):
    """The columns to grade, and a note for every other column (nothing silently dropped)."""
    notes, parsed = [], []
    for i, text in enumerate(header[1:], 1):
        try:
            parsed.append((i, text, *parse_label(text)))
        except ValueError as exc:
            notes.append(f"{exc}; not graded")
    base, note = index_base([(n, idx) for _, _, n, idx in parsed], shapes, chosen_base)
    if note:
        notes.append(note)
    by_quantity: dict[str, list] = {}
    for i, text, name, idx in parsed:
        if name not in shapes:
            close = difflib.get_close_matches(name, list(shapes), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            notes.append(
                f"column {text!r}: no quantity {name!r} in the {len(shapes)}-quantity key{hint}; not graded"
            )
            continue
        by_quantity.setdefault(name, []).append((i, text, idx))
    columns, seen = [], {}
    for name, cols in by_quantity.items():
        shape = shapes[name]
        straight = [resolve(name, idx, shape, base) for _, _, idx in cols]
        flipped = [resolve(name, idx, shape, base, transposed=True) for _, _, idx in cols]
        transposed = (
            len(shape) == 2
            and shape[0] != shape[1]
            and any(p is None for p, (_, _, idx) in zip(straight, cols, strict=True) if idx)
            and all(p is not None for p, (_, _, idx) in zip(flipped, cols, strict=True) if idx)
        )
        if transposed:
            notes.append(
                f"{name} is labelled as a {shape[1]}×{shape[0]} matrix, the transpose of its "
                f"{shape[0]}×{shape[1]} shape: {name}[i,j] read as row j, column i"
            )
        for (i, text, idx), p, q in zip(cols, straight, flipped, strict=True):
            pos = q if transposed else p
            if idx is None and len(shape):
                pos = None  # the whole matrix in one cell
            elif pos is None:
                notes.append(
                    f"column {text!r}: {name} has shape {shape}; no such entry; not graded"
                )
                continue
            if (name, pos) in seen:
                notes.append(
                    f"column {text!r}: the same entry as column {seen[name, pos]!r}; not graded"
                )
                continue
            seen[name, pos] = text
            columns.append(Column(i, text, name, pos))
    return columns, notes


def _rejoin(header: list[str]) -> list[str]:
    """Header cells split inside brackets (``dl_dW2[1,3]`` unquoted in a comma-separated
    file) joined back.

    >>> _rejoin(["id", "W[1", "2]", "loss"])
    ['id', 'W[1,2]', 'loss']
    """
    out: list[str] = []
    for cell in header:
        if out and out[-1].count("[") + out[-1].count("(") > out[-1].count("]") + out[-1].count(
            ")"
        ):
            out[-1] += "," + cell
        else:
            out.append(cell)
    return out


def _label(name, pos, shape):
    if pos == () or pos is None:
        return name
    return variants.labels(name, np.zeros(shape))[int(np.ravel_multi_index(pos, shape))][0]


def _grade_quantity(name, key, given, tol: Tolerance):
    """``given``: list of (position or None, cell text). Returns a dict of the results."""
    key = np.asarray(key, dtype=float)
    answers, unreadable = {}, []
    for pos, text in given:
        try:
            value = parse_cell(text)
        except ValueError as exc:
            unreadable.append(f"{text!r}: {exc}")
            continue
        if value is None:
            continue
        if pos is None:  # a whole matrix: entry by entry, or its transpose diagnosed
            a = np.asarray(value)
            if a.shape != key.shape and a.T.shape == key.shape and min(key.shape) > 1:
                back = all(
                    tol.ok(name, float(v), float(r))
                    for v, r in zip(a.T.flat, key.flat, strict=True)
                )
                why = f"entered as {a.shape[0]}×{a.shape[1]}, the transpose of the key's shape"
                if back:
                    why += " (transposed back, every entry is right)"
                return _result(name, WRONG, 0, key.size, None, why)
            if a.shape != key.shape:
                return _result(
                    name, WRONG, 0, key.size, None, f"shape {a.shape}, the key's is {key.shape}"
                )
            for p in np.ndindex(key.shape):
                answers[p] = float(a[p])
        elif isinstance(value, np.ndarray):
            unreadable.append(f"{text[:30]!r}: a matrix in an entry's column")
        else:
            answers[pos] = value
    wanted = (
        list(np.ndindex(key.shape)) if any(p is None for p, _ in given) else [p for p, _ in given]
    )
    n = len(wanted)
    if not answers and not unreadable:
        return _result(name, MISSING, 0, n, None, "")
    right = [p for p, v in answers.items() if tol.ok(name, v, float(key[p]))]
    wrong = [p for p in answers if p not in right]
    errors = {p: abs(answers[p] - float(key[p])) for p in answers}
    worst = max(errors, key=errors.get) if errors else None
    notes = []
    if wrong:
        notes.append(_diagnose(name, key, answers, wrong, tol))
        w = max(wrong, key=errors.get)
        notes.append(f"{_label(name, w, key.shape)} = {answers[w]:.6g}, key {float(key[w]):.6g}")
    if unreadable:
        notes.append(f"{len(unreadable)} unreadable ({unreadable[0]})")
    missing = n - len(answers) - len(unreadable)
    if missing > 0:
        notes.append(f"{missing} of {n} entries missing")
    verdict = RIGHT if len(right) == n else WRONG
    off = errors[worst] if worst is not None else None
    return _result(name, verdict, len(right), n, off, "; ".join(x for x in notes if x))


def _result(name, verdict, right, n, off, note):
    return {
        "quantity": name,
        "verdict": verdict,
        "score": right / n if n else 0.0,
        "off": off,
        "note": note,
    }


def _diagnose(name, key, answers, wrong, tol) -> str:
    """A recognisable mistake behind the wrong entries, if all of them share one."""
    if key.ndim == 2 and min(key.shape) > 1:
        t = key.T
        fits = [p for p in answers if p[0] < t.shape[0] and p[1] < t.shape[1]]
        if (
            fits
            and all(p in fits for p in wrong)
            and all(tol.ok(name, answers[p], float(t[p])) for p in fits)
        ):
            return "the transpose of the key (rows and columns swapped)"
    if all(tol.ok(name, -answers[p], float(key[p])) for p in wrong) and any(
        key[p] != 0 for p in wrong
    ):
        return "the sign is flipped"
    if name == "y_hat" and all(answers[p] == float(key[p]) - 1 for p in wrong):
        return "the class counted from 0 (the course counts classes from 1)"
    return ""


def grade(
    path,
    *,
    question: str = "mlp",
    tolerance: Tolerance | None = None,
    index: str = "auto",
    **options,
) -> Gradebook:
    """Grade the submissions file ``path`` (see the module). A file that cannot be read at
    all, or has no id column, is a ``ValueError``; anything row-level is in the gradebook.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> k = variants.key("ridge", 4)
    >>> _ = (d / "s.csv").write_text(f"id,optimal_mu,bayes_risk\\n4,{k['optimal_mu']},-1\\nx,1,1\\n")
    >>> book = grade(d / "s.csv", question="ridge")
    >>> [(r["student_id"], r["status"], r["score"]) for r in book.rows]
    [('4', 'graded', 1.0), ('x', "bad row: student id 'x' is not an integer (ids are whole numbers in [0, 2**32 - 1])", None)]
    >>> book.rows[0]["results"]["bayes_risk"]["verdict"]
    'wrong'
    """
    variant = variants.get(question)
    tol = dataclasses.replace(tolerance or Tolerance(), exact=variant.exact)
    unknown = sorted(set(options) - set(variant.options))
    if unknown:
        raise ValueError(f"options: {', '.join(unknown)} do not apply to the {question} question")
    _, rows = roster.read_table(path, "submissions")
    header_line, header = rows[0]
    header = _rejoin(header)
    if roster.id_column(header) != 0:
        raise ValueError(
            f"submissions: {path} line {header_line}: the first column must be the student id "
            f"(a header such as student_id,loss,dl_dW2[1,3]), got {header[:3]!r}"
        )
    shapes = {k: np.shape(v) for k, v in variant.key(0, **options).items()}
    columns, notes = _plan(header, shapes, index)
    quantities = list(
        dict.fromkeys(
            c.quantity for c in sorted(columns, key=lambda c: list(shapes).index(c.quantity))
        )
    )
    book = Gradebook(notes=notes, quantities=quantities, tolerance=tol, question=question)
    if not columns:
        book.notes.append("no column names a quantity of the key: nothing to grade")
    lines_of: dict[int, list] = {}
    for line, cells in rows[1:]:
        row = {
            "student_id": cells[0],
            "line": line,
            "status": "graded",
            "score": None,
            "results": {},
        }
        book.rows.append(row)
        if len(cells) > len(header):
            row["status"] = (
                f"bad row: {len(cells)} cells, the header has {len(header)} (a decimal comma in "
                "a comma-separated file? quote the numbers or separate the cells by ;)"
            )
            continue
        try:
            sid = roster.parse_id(cells[0])
        except ValueError as exc:
            row["status"] = f"bad row: {exc}"
            continue
        lines_of.setdefault(sid, []).append(row)
        try:
            key = variant.key(sid, **options)
        except (ValueError, TypeError, OverflowError) as exc:
            row["status"] = f"no key for this id: {exc}"
            continue
        for q in quantities:
            given = [
                (c.position, cells[c.index] if c.index < len(cells) else "")
                for c in columns
                if c.quantity == q
            ]
            row["results"][q] = _grade_quantity(q, key[q], given, tol)
        row["score"] = round(sum(r["score"] for r in row["results"].values()), 6)
    for same in lines_of.values():  # every row of a repeated id says where the others are
        for row in same if len(same) > 1 else ():
            others = ", ".join(str(o["line"]) for o in same if o is not row)
            word = "lines" if len(same) > 2 else "line"
            row["status"] += f"; duplicate id: also on {word} {others}"
    return book


def write(book: Gradebook, out) -> Path:
    """Write the gradebook CSV: per student its id, line, status, score out of the number of
    quantities, then per quantity the verdict, how far off and a note; the tolerance last.

    >>> write(Gradebook(), "/proc/no/such/gradebook.csv")
    Traceback (most recent call last):
    ...
    ValueError: out: cannot write /proc/no/such/gradebook.csv (...)
    """
    path = Path(os.fspath(out))
    head = ["student_id", "line", "status", "score", "out_of"]
    for q in book.quantities:
        head += [q, f"{q} off", f"{q} note"]
    head.append("tolerance")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(head)
            for row in book.rows:
                cells = [row["student_id"], row["line"], row["status"]]
                cells += ["" if row["score"] is None else f"{row['score']:g}", len(book.quantities)]
                for q in book.quantities:
                    r = row["results"].get(q)
                    off = "" if r is None or r["off"] is None else f"{r['off']:.3g}"
                    cells += [r["verdict"], off, r["note"]] if r else ["", "", ""]
                w.writerow([*cells, book.tolerance.text(book.quantities)])
    except OSError as exc:
        raise ValueError(f"out: cannot write {path} ({exc.strerror or exc})") from None
    return path


def report(book: Gradebook) -> str:
    """The summary a marker reads first: tolerance, file notes, rows not graded, counts.

    >>> print(report(Gradebook()))
    graded 0 of 0 rows against the mlp key; tolerance: |answer − key| ≤ 0.0001 + 0.001·|key| per entry
    """
    graded = [r for r in book.rows if r["score"] is not None]
    lines = [
        f"graded {len(graded)} of {len(book.rows)} rows against the {book.question} key; "
        f"tolerance: {book.tolerance.text(book.quantities)}"
    ]
    lines += [f"note: {n}" for n in book.notes]
    lines += [f"line {r['line']}: {r['status']}" for r in book.rows if r["status"] != "graded"]
    for q in book.quantities:
        counts = {
            v: sum(r["results"][q]["verdict"] == v for r in graded) for v in (RIGHT, WRONG, MISSING)
        }
        lines.append(f"{q}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    if graded:
        mean = sum(r["score"] for r in graded) / len(graded)
        lines.append(f"mean score {mean:.3g} of {len(book.quantities)}")
    return "\n".join(lines)
