"""A typed table: per-layer counts or output shapes, checked row by row, the wrong row named.

A claim whose answer is one entry per layer (a sequence) registers the names of its rows
with :func:`register`; :func:`check_answer` then reads the typed answer here instead of as a
plain sequence, so that shapes can be typed (``64x112x112``, ``(64, 112, 112)`` or
``[64, 112, 112]``) beside counts, and the verdict names the first wrong row by its layer.
Nothing typed is executed: the text is split into integers and separators by a regular
expression.

>>> parse_rows("[64x224x224, (64, 112, 112), 4096]")
((64, 224, 224), (64, 112, 112), 4096)
>>> parse_rows("[1792, 0, 7e4]")
Traceback (most recent call last):
...
ValueError: text: cannot read '7e4' at position 10: each row is a count (an integer) or a shape (AxBxC or (A, B, C))
"""

from __future__ import annotations

import re
import time

from verify.evidence import CANNOT_CHECK, EQUIVALENT, NOT_EQUIVALENT, Evidence, Witness

#: claim id -> names of its rows
ROWS: dict[str, tuple] = {}
#: Most rows read from a typed table.
MAX_ROWS = 500
_NUMBER = r"\d{1,15}"
_ITEM = rf"\s*(?:(?P<plain>{_NUMBER}(?:\s*[x×*]\s*{_NUMBER})*)|[(\[]\s*(?P<tuple>{_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*,?\s*[)\]])\s*"


def _match(body: str, pos: int):
    """The item at ``pos``, as a match whose offsets are in ``body``."""
    m = re.match(_ITEM, body[pos:])
    return None if m is None else _At(m, pos)


class _At:
    """A match of ``body[pos:]`` shifted back to offsets in ``body``."""

    def __init__(self, m, pos: int):
        self.m, self.pos = m, pos

    def end(self) -> int:
        return self.m.end() + self.pos

    def __getitem__(self, group):
        return self.m[group]


def register(claim_ids, names) -> None:
    """Declare that each of ``claim_ids`` takes one entry per row, the rows named ``names``.

    >>> register(["demo.t"], ("conv1", "fc1")); ROWS["demo.t"]
    ('conv1', 'fc1')
    """
    names = tuple(str(n) for n in names)
    for cid in claim_ids:
        ROWS[str(cid)] = names


def rows(claim) -> tuple | None:
    """The names of ``claim``'s rows: registered here, or carried by a claim read back from
    its exported record (``claim.rows``); None for a claim that is no table.

    >>> rows(type("C", (), {"id": "nothing.here"})()) is None
    True
    """
    found = getattr(claim, "rows", None)
    return tuple(found) if found is not None else ROWS.get(getattr(claim, "id", None))


def takes(claim) -> bool:
    """Whether ``claim`` is a per-row claim.

    >>> takes(type("C", (), {"id": "nothing.here"})())
    False
    """
    return rows(claim) is not None


def parse_rows(text: str) -> tuple:
    """``[a, b, …]`` with each item a count or a shape, as a tuple (shapes as tuples)."""
    if not isinstance(text, str):
        raise TypeError(f"text: a string is required, got {type(text).__name__}")
    body = text.strip()
    start = len(text) - len(text.lstrip())
    if body.startswith("[") and body.endswith("]"):  # the outer brackets are the list
        body, start = body[1:-1], start + 1
    items, pos = [], 0
    while pos <= len(body):
        m = _match(body, pos)
        end = body.find(",", m.end()) if m else -1
        stop = len(body) if (m is None or end == -1) else end
        if m is None or m.end() != stop:
            nxt = body.find(",", pos)
            raw = body[pos : nxt if nxt != -1 else len(body)]
            bad, at = raw.strip(), start + pos + len(raw) - len(raw.lstrip())
            raise ValueError(
                f"text: cannot read {bad!r} at position {at}: each row is a count (an integer) "
                "or a shape (AxBxC or (A, B, C))"
            )
        if m["tuple"] is not None:
            items.append(tuple(int(v) for v in re.split(r"\s*,\s*", m["tuple"].strip())))
        else:
            parts = [int(v) for v in re.split(r"\s*[x×*]\s*", m["plain"].strip())]
            items.append(parts[0] if len(parts) == 1 else tuple(parts))
        if len(items) > MAX_ROWS:
            raise ValueError(f"text: at most {MAX_ROWS} rows are read")
        if stop == len(body):
            break
        pos = stop + 1
    return tuple(items)


def _text(value) -> str:
    return "×".join(map(str, value)) if isinstance(value, tuple) else f"{value:,}"


def _channels_last(candidate, reference) -> bool:
    """Every 3-d shape written H×W×C where the table has C×H×W (and the rest equal)."""
    moved = False
    for c, r in zip(candidate, reference, strict=True):
        if isinstance(r, tuple) and len(r) == 3 and c == (r[1], r[2], r[0]) and c != r:
            moved = True
        elif c != r:
            return False
    return moved


def compare(names, candidate, reference) -> tuple[str, str, Witness | None]:
    """The verdict, its reason, and the witness (the first wrong row), for a typed table.

    >>> compare(("conv1", "pool1"), ((64, 224, 224), (64, 111, 111)), ((64, 224, 224), (64, 112, 112)))[1]
    'row 2 (pool1): your answer gives 64×111×111, the derived table gives 64×112×112'
    """
    reference = tuple(tuple(r) if isinstance(r, list | tuple) else int(r) for r in reference)
    # a one-entry shape may be typed as its number: 4096 for (4096,)
    candidate = tuple(
        (c,) if isinstance(r, tuple) and not isinstance(c, tuple) else c
        for c, r in zip(candidate, reference, strict=False)
    ) + tuple(candidate[len(reference) :])
    if len(candidate) != len(reference):
        return (
            NOT_EQUIVALENT,
            f"your answer has {len(candidate)} rows, the table {len(reference)} "
            f"({', '.join(names[:6])}{', …' if len(names) > 6 else ''})",
            Witness({"rows": None}, len(candidate), len(reference)),
        )
    if _channels_last(candidate, reference):
        return (
            EQUIVALENT,
            f"all {len(reference)} rows agree, read as H×W×C (the table is C×H×W)",
            None,
        )
    for i, (c, r) in enumerate(zip(candidate, reference, strict=True)):
        if c != r:
            name = names[i] if i < len(names) else str(i + 1)
            return (
                NOT_EQUIVALENT,
                f"row {i + 1} ({name}): your answer gives {_text(c)}, the derived table gives {_text(r)}",
                Witness({"row": i + 1, "layer": name}, _text(c), _text(r)),
            )
    return EQUIVALENT, f"all {len(reference)} rows agree exactly", None


def check_table(claim, text: str, *, seed: int = 0, thorough: bool = False) -> Evidence:
    """Check a typed table against a registered per-row claim (see the module).

    ``thorough`` runs the claim's own check (torch) on the answer instead of comparing it
    with the derived table.
    """
    start = time.perf_counter()
    candidate = parse_rows(text)
    base = {
        "claim_id": claim.id,
        "seed": seed,
        "details": {"answer": text[:200], "parsed": [_text(v) for v in candidate][:50]},
    }
    names = rows(claim)
    if thorough:
        try:
            ev = claim.check(candidate, seed=seed)
        except Exception as exc:  # noqa: BLE001 - a broken check is "cannot check", not "wrong"
            return Evidence(
                method=claim.method,
                passed=False,
                verdict=CANNOT_CHECK,
                message=f"cannot check: the claim's own check raised {type(exc).__name__}",
                **base,
            )
        verdict = EQUIVALENT if ev.passed else NOT_EQUIVALENT
        ev.verdict, ev.message = verdict, f"{verdict}: {ev.message}"
        return ev
    verdict, reason, witness = compare(names, candidate, claim.reference())
    message = f"{verdict}: {reason}"
    why = claim.near_miss(candidate) if verdict == NOT_EQUIVALENT else None
    if why:
        message += f" — {why}"
    return Evidence(
        method="exact",
        passed=verdict == EQUIVALENT,
        verdict=verdict,
        n=len(candidate),
        message=message,
        witness=witness,
        seconds=time.perf_counter() - start,
        **base,
    )
