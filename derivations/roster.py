"""A class's answer keys: read a roster CSV, write one worked key per student and a summary.

``python -m derivations answer-key --roster roster.csv --out DIR`` calls :func:`write_keys`:
for every student id of the roster it writes ``DIR/student_<id>.<md|tex|json>`` (the worked
key of the chosen question, :mod:`derivations.variants`) and ``DIR/summary.csv``: one row
per student, the id then every number of the key by its 1-based label (``loss``,
``dl_dW2[1,3]``, …), the very columns ``python -m verify grade`` reads.

The roster is read forgivingly but never silently (:func:`read_roster`): a header naming a
``student_id`` (or ``id``) column, or no header and the ids in the first column; ``,``, ``;``
or tab separated; other columns (names, e-mails) are ignored. A row whose id is not an
integer, a duplicate id, a blank id: each gets one message naming its line, and every other
row is processed. Nothing is lost: a student whose key cannot be computed is reported, the
rest are written.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "r.csv").write_text("student_id,name\\n7,Ada\\nx,Bob\\n7,Ada again\\n")
>>> ids, problems = read_roster(d / "r.csv")
>>> ids
[7]
>>> print("\\n".join(problems))
line 3: student id 'x' is not an integer (ids are whole numbers in [0, 2**32 - 1])
line 4: student id 7 is a duplicate of line 2 (kept once)
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

from derivations import arguments as arg
from derivations import variants

#: A class list or gradebook past this is not a CSV file someone meant to pass.
MAX_BYTES = 50 * 2**20
ID_COLUMNS = ("student_id", "id", "student", "studentid", "student id")
EXTENSIONS = {"markdown": "md", "latex": "tex", "json": "json"}


def read_table(path, name: str) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The rows of a CSV file as ``(line number, cells)``, cells stripped of spaces; the
    separator is a tab or ``;`` if the first line holds one, else ``,``. Returns the rows;
    the caller decides about the header. Unreadable files are a ``ValueError`` naming
    ``name`` (missing, a folder, too large, not UTF-8 text, no rows).

    >>> read_table("/nonexistent.csv", "roster")
    Traceback (most recent call last):
    ...
    ValueError: roster: a readable CSV file is required, got /nonexistent.csv (No such file or directory)
    """
    p = Path(os.fspath(path))
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise IsADirectoryError("a folder")
        if size > MAX_BYTES:
            raise ValueError(f"{size:,} bytes, over the {MAX_BYTES:,} allowed")
        raw = p.read_bytes()
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{name}: a readable CSV file is required, got {p} ({why})") from None
    # a spreadsheet (.xlsx is a zip) or other binary file is refused; a stray NUL in a text
    # file only spoils its cell, which is then reported as unreadable
    if raw[:2] == b"PK" or raw.count(b"\x00") > max(1, len(raw) // 100):
        raise ValueError(
            f"{name}: {p} is a binary file (a spreadsheet? export it as CSV), not a CSV file"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:  # a spreadsheet saved as a Windows-1252 CSV reads too: ids and numbers are ASCII
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise ValueError(
                f"{name}: {p} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
            ) from None
    text = text.replace("\x00", "\ufffd")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise ValueError(f"{name}: {p} holds no rows")
    # a tab or ; in the first line is the separator: a comma may be inside a label
    # (dl_dW2[1,3]) or a decimal comma, a tab or ; hardly ever
    sep = next((s for s in ("\t", ";") if s in first), ",")
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise ValueError(f"{name}: {p} line {reader.line_num}: unreadable CSV ({exc})") from None
    return sep, rows


def parse_id(text: str) -> int:
    """A student id typed in a cell: digits only (spaces around allowed), in [0, 2**32 - 1].

    >>> parse_id(" 0042 ")
    42
    >>> parse_id("42.5")
    Traceback (most recent call last):
    ...
    ValueError: student id '42.5' is not an integer (ids are whole numbers in [0, 2**32 - 1])
    """
    t = str(text).strip()
    if not t:
        raise ValueError("student id is blank")
    if not (t.isascii() and t.isdigit()) or len(t) > 12:
        raise ValueError(
            f"student id {arg.shown(t)} is not an integer (ids are whole numbers in [0, 2**32 - 1])"
        )
    value = int(t)
    if value >= variants.ID_LIMIT:
        raise ValueError(f"student id {value} is over 2**32 - 1, the course generator's limit")
    return value


def id_column(header: list[str]) -> int | None:
    """The index of the id column in a header row, or None if the row is no header.

    >>> id_column(["Name", " Student ID "]), id_column(["12", "Ada"])
    (1, None)
    """
    norm = [h.strip().lower().replace("-", "_") for h in header]
    for wanted in ID_COLUMNS:
        if wanted in norm:
            return norm.index(wanted)
    return None


def read_roster(path) -> tuple[list[int], list[str]]:
    """The distinct ids of a roster, in file order, and one message per line not used (see
    the module's example); a file with neither an id column nor an id first is refused.

    >>> read_roster("/nonexistent.csv")
    Traceback (most recent call last):
    ...
    ValueError: roster: a readable CSV file is required, got /nonexistent.csv (No such file or directory)
    """
    _, rows = read_table(path, "roster")
    column = id_column(rows[0][1])
    if column is not None:
        rows = rows[1:]
    else:
        column = 0
        try:  # no header: the first cell of the first row must already be an id
            parse_id(rows[0][1][0])
        except ValueError:
            raise ValueError(
                f"roster: {path}: no 'student_id' column in the header "
                f"{rows[0][1]!r}, and its first cell is not an id"
            ) from None
    ids, seen, problems = [], {}, []
    for line, cells in rows:
        cell = cells[column] if column < len(cells) else ""
        try:
            sid = parse_id(cell)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if sid in seen:
            problems.append(
                f"line {line}: student id {sid} is a duplicate of line {seen[sid]} (kept once)"
            )
            continue
        seen[sid] = line
        ids.append(sid)
    return ids, problems


def write_keys(
    ids, out, *, question: str = "mlp", fmt: str = "markdown", progress=None, **options
) -> tuple[int, list[str]]:
    """Write each student's worked key and ``summary.csv`` into the folder ``out``.

    Returns ``(written, problems)``; a student whose key fails is a problem, not an abort.
    ``progress`` (a text stream, e.g. ``sys.stderr``) gets a line at every tenth of the
    class.

    >>> import tempfile, pathlib, csv
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_keys([3, 5], d, question="ridge")
    (2, [])
    >>> sorted(p.name for p in d.iterdir())
    ['student_3.md', 'student_5.md', 'summary.csv']
    >>> next(csv.reader(open(d / "summary.csv")))
    ['student_id', 'bayes_risk', 'optimal_mu', 'optimal_risk']
    """
    variant = variants.get(question)
    fmt = arg.choice(fmt, "format", tuple(EXTENSIONS))
    unknown = sorted(set(options) - set(variant.options))
    if unknown:
        raise ValueError(f"options: {', '.join(unknown)} do not apply to the {question} question")
    folder = Path(os.fspath(out))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"out: cannot create the folder {folder} ({exc.strerror})") from None
    ids = [variants.student_id(i) for i in ids]
    rows, problems, columns = [], [], None
    step = max(1, len(ids) // 10)
    for n, sid in enumerate(ids, 1):
        try:
            text = variants.worked(question, sid, fmt, **options)
            flat = variants.entries(variant.key(sid, **options))
        except (ValueError, TypeError, OverflowError) as exc:
            problems.append(f"student {sid}: no key ({exc})")
            continue
        (folder / f"student_{sid}.{EXTENSIONS[fmt]}").write_text(text, encoding="utf-8")
        columns = columns or list(flat)
        rows.append([str(sid), *(repr(flat[c]) for c in columns)])
        if progress is not None and (n % step == 0 or n == len(ids)):
            print(f"answer keys: {n}/{len(ids)}", file=progress, flush=True)
    with open(folder / "summary.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", *(columns or [])])
        w.writerows(rows)
    return len(rows), problems


def main_roster(args) -> int:
    """``answer-key --roster``: read, write, report; exit 0 if every line made a key, 1 if
    some were reported, 2 if nothing could be read."""
    options = {}
    if args.question == "mlp":
        options = {
            "x": tuple(args.x),
            "label": args.label,
            "lr": args.lr,
            "label_smoothing": args.label_smoothing,
            "activation": args.activation,
            "slope": args.slope,
        }
        if args.hidden is not None:
            options["hidden"] = args.hidden
    ids, problems = read_roster(args.roster)
    written, failed = write_keys(
        ids, args.out, question=args.question, fmt=args.format, progress=sys.stderr, **options
    )
    for p in problems + failed:
        print(f"roster: {p}", file=sys.stderr)
    print(
        f"wrote {written} answer keys and {Path(args.out) / 'summary.csv'}"
        + (f"; {len(problems) + len(failed)} lines reported above" if problems or failed else "")
    )
    return 1 if problems or failed else 0
