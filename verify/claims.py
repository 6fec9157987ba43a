"""Claims, and the registry that finds them topic by topic.

A :class:`Claim` has a stable dotted id, a one-line statement, the method that checks it, the
kind of answer it takes, its derived result, and a check. Calling ``claim.check()`` confronts
the derived result with independent numbers; ``claim.check(candidate)`` confronts a supplied
candidate (a mutation test, a student's answer) with the very same numbers. Each topic module
``verify.<topic>`` declares its claims once each with :func:`claim`; the registry imports a
topic only when one of its claims is asked for, so :func:`get` and :func:`select` load just
the topics they name and :func:`all` loads every topic of :data:`derivations.topics.TOPICS`.

>>> c = get("activations.relu.derivative")
>>> c.topic, c.answer
('activations', 'expression')
>>> c.check().passed
True
"""

from __future__ import annotations

import difflib
import importlib
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from derivations.topics import TOPICS, topics_matching
from verify.evidence import (  # noqa: F401 - re-exported: the registry's public names
    CANNOT_CHECK,
    EQUIVALENT,
    METHODS,
    NOT_EQUIVALENT,
    VERDICTS,
    Evidence,
    Witness,
    table,
)
from verify.kinds import ANSWER_KINDS, TYPED_KINDS, as_function, coerce  # noqa: F401 - re-exported

#: Threads each check runs with, whatever else runs at once: its numbers never depend on it.
THREADS = 1

#: A check takes (candidate, seed); the candidate is never None (the core puts the derived
#: result in its place) and has been coerced to the claim's answer kind.
CheckFn = Callable[[Any, int], Evidence]


class ClaimFailure(AssertionError):
    """Raised by :func:`publish` when a claim fails: a page must not build on false evidence."""


@dataclass
class Claim:
    """One checkable statement.

    ``answer`` is one of :data:`ANSWER_KINDS`; ``variables`` names the symbols of an
    expression answer (or the named arguments of a function answer); ``derived`` returns the
    derived result, which :meth:`check` checks when no candidate is given; ``domain`` maps a
    variable to the ``(low, high)`` range it ranges over (the whole real line if absent).

    >>> c = Claim("demo.one", "demo", "one is one", "exact",
    ...           lambda cand, seed: Evidence(passed=cand == 1), answer="number",
    ...           variables=(), derived=lambda: 1)
    >>> c.check().passed, c.check(2).passed, c.check().claim_id
    (True, False, 'demo.one')
    """

    id: str
    topic: str
    statement: str
    method: str
    fn: CheckFn
    answer: str = "expression"
    variables: tuple[str, ...] = ("x",)
    derived: Callable[[], Any] | None = None
    domain: Mapping[str, tuple] = field(default_factory=dict)
    #: Known wrong answers worth a word: answer -> why it is near (shown beside the verdict).
    near_misses: Mapping[Any, str] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id or self.id.split(".")[0] != self.topic:
            raise ValueError(f"id: {self.id!r} must be a dotted id starting with its topic")
        if self.method not in METHODS:
            raise ValueError(f"method: {self.method!r} is not one of {', '.join(METHODS)}")
        if self.answer not in ANSWER_KINDS:
            raise ValueError(f"answer: {self.answer!r} is not one of {', '.join(ANSWER_KINDS)}")
        if isinstance(self.variables, str):
            self.variables = (self.variables,)
        self.variables = tuple(self.variables)
        if not isinstance(self.statement, str) or not self.statement:
            raise ValueError(f"statement: a non-empty string is required for {self.id}")

    def near_miss(self, candidate) -> str | None:
        """The explanation declared for ``candidate`` as a near miss, or None.

        >>> c = Claim("demo.n", "demo", "n", "exact", lambda cand, seed: Evidence(),
        ...           answer="number", variables=(), near_misses={28: "a loop index"})
        >>> c.near_miss(28.0), c.near_miss(29)
        ('a loop index', None)
        """
        for answer, why in self.near_misses.items():
            try:
                if bool(candidate == answer):
                    return why
            except (TypeError, ValueError):  # an answer of another kind is no near miss
                continue
        return None

    def reference(self):
        """The derived result that :meth:`check` checks when given no candidate.

        >>> get("ridge.optimal_mu").reference()
        d*se2/sw2
        """
        if self.derived is None:
            raise ValueError(f"claim_id: {self.id} declares no derived result")
        return self.derived()

    def check(self, candidate=None, *, seed: int = 0) -> Evidence:
        """Check the derived result, or ``candidate`` in its place; timed and seeded.

        >>> get("activations.relu.kink").check(1).passed
        False
        """
        from derivations.arguments import seed as valid_seed

        seed = valid_seed(seed)
        chosen = candidate
        reference = None
        if chosen is None and self.derived is not None:
            chosen = reference = self.reference()
        if chosen is not None:
            chosen = coerce(self.answer, chosen, self.id, self.variables)
        start = time.perf_counter()
        with fixed_threads():
            evidence = self.fn(chosen, seed)
        if not isinstance(evidence, Evidence):
            raise TypeError(f"the check of {self.id} returned {type(evidence).__name__}")
        if evidence.claim_id not in ("", self.id):
            raise ValueError(f"the check of {self.id} reported for {evidence.claim_id}")
        if evidence.witness is None and _plain(evidence.expected) and _plain(evidence.measured):
            # a check that compared one value with another: that pair is its witness
            evidence = replace(evidence, witness=Witness({}, evidence.expected, evidence.measured))
        seconds = time.perf_counter() - start
        if reference is not None:
            evidence = replace(evidence, **_shown(self, reference))
        return replace(
            evidence,
            claim_id=self.id,
            method=evidence.method or self.method,
            seed=seed,
            seconds=seconds,
        )


def _shown(found: Claim, reference) -> dict:
    """The derived result typeset and the statement in MyST, for the dashboard: computed
    where the result already is (in the process that checked it), kept with the evidence."""
    from verify import dashboard

    if found.answer == "implementation":
        return {"statement": dashboard.statement_myst(found.statement)}
    try:
        return {
            "derived": dashboard.typeset(reference),
            "statement": dashboard.statement_myst(found.statement, reference),
        }
    except Exception:  # noqa: BLE001 - a result the printer cannot write is shown as text
        return {"statement": dashboard.statement_myst(found.statement)}


def _plain(value) -> bool:
    """A number, or a flat sequence of numbers: something a witness can show as a value."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(map(_plain, value))


@contextmanager
def fixed_threads(threads: int = THREADS):
    """Run torch on ``threads`` threads inside the block, then restore the count.

    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with fixed_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import sys

    from derivations.arguments import count

    threads = count(threads, "threads")

    torch = sys.modules.get("torch")
    if torch is None:
        import torch
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_REGISTRY: dict[str, Claim] = {}
_LOADED: set[str] = set()


def register(claim: Claim) -> Claim:
    """Add a claim; ids are unique.

    >>> register(get("activations.relu.derivative"))
    Traceback (most recent call last):
    ...
    ValueError: claim id 'activations.relu.derivative' is registered twice
    """
    if not isinstance(claim, Claim):
        raise TypeError(f"claim: a Claim is required, got {type(claim).__name__}")
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    _REGISTRY[claim.id] = claim
    return claim


def claim(
    claim_id: str,
    statement: str,
    *,
    method: str,
    answer: str,
    variables: Iterable[str] = (),
    derived: Callable[[], Any] | None = None,
    domain: Mapping[str, tuple] | None = None,
    near_misses: Mapping[Any, str] | None = None,
):
    """Declare a claim: decorates its check ``fn(candidate, seed) -> Evidence``.

    The check need not fill in the claim id, the method, the seed or the timing, nor handle a
    missing candidate: :meth:`Claim.check` does all of that once.

    >>> @claim("demo.two", "two is two", method="exact", answer="number", derived=lambda: 2)
    ... def _two(candidate, seed):
    ...     return Evidence(passed=candidate == 2, message=f"got {candidate}")
    >>> get("demo.two").check(3).message
    'got 3'
    """

    def declare(fn: CheckFn) -> CheckFn:
        register(
            Claim(
                claim_id,
                claim_id.split(".")[0] if isinstance(claim_id, str) else "",
                statement,
                method,
                fn,
                answer=answer,
                variables=tuple(variables),
                derived=derived,
                domain=dict(domain or {}),
                near_misses=dict(near_misses or {}),
            )
        )
        return fn

    return declare


def load(topic: str):
    """Import the claims of one topic (once) and return its module.

    >>> load("ridge").__name__
    'verify.ridge'
    """
    if topic not in TOPICS:
        raise ValueError(f"topic: unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    module = importlib.import_module(f"verify.{topic}")
    _LOADED.add(topic)
    return module


def all() -> list[Claim]:  # noqa: A001 - the public API name is `all`
    """Every claim of every topic, in book order (claims registered under other names, such
    as a test's, are left out).

    >>> len(all()) > 0
    True
    """
    for topic in TOPICS:
        load(topic)
    return _ordered(c for c in _REGISTRY.values() if c.topic in TOPICS)


def _ordered(chosen: Iterable[Claim]) -> list[Claim]:
    rank = {t: i for i, t in enumerate(TOPICS)}
    return sorted(chosen, key=lambda c: rank.get(c.topic, len(rank)))


def get(claim_id: str) -> Claim:
    """The claim with this id (loading its topic only); a ``ValueError`` lists close ids.

    >>> get("activations.softplus.derivativ")
    Traceback (most recent call last):
    ...
    ValueError: claim_id: unknown claim 'activations.softplus.derivativ'; did you mean activations.softplus.derivative, ...?
    """
    if not isinstance(claim_id, str):
        raise TypeError(f"claim_id: a string is required, got {type(claim_id).__name__}")
    if claim_id in _REGISTRY:
        return _REGISTRY[claim_id]
    head = claim_id.split(".", 1)[0]
    if head in TOPICS:
        load(head)
        if claim_id in _REGISTRY:
            return _REGISTRY[claim_id]
        pool = [c for c in _REGISTRY if c.startswith(head + ".")]
    else:
        pool = [*TOPICS, *_REGISTRY]
    raise unknown(claim_id, pool)


def unknown(claim_id: str, pool) -> ValueError:
    """The error for an unknown ``claim_id``, naming the ids of ``pool`` close to it.

    >>> unknown("ridge.optimal_m", ["ridge.optimal_mu"])
    ValueError("claim_id: unknown claim 'ridge.optimal_m'; did you mean ridge.optimal_mu?")
    """
    close = difflib.get_close_matches(claim_id, list(pool), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; topics: {', '.join(TOPICS)}"
    return ValueError(f"claim_id: unknown claim {claim_id!r}{hint}")


def select(prefix: str = "") -> list[Claim]:
    """Claims whose id starts with ``prefix`` (loading only the topics it can name).

    >>> [c.id for c in select("activations.relu.range")]
    ['activations.relu.range']
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix: a string is required, got {type(prefix).__name__}")
    for topic in topics_matching(prefix):
        load(topic)
    chosen = _ordered(c for c in _REGISTRY.values() if c.id.startswith(prefix))
    if not chosen:
        raise ValueError(f"prefix: no claim id starts with {prefix!r}; topics: {', '.join(TOPICS)}")
    return chosen


def wrong_answers(topic: str) -> dict[str, dict[str, Any]]:
    """The plausible wrong answers of one topic: claim id -> {label: candidate}.

    They live beside the claims, as ``WRONG_ANSWERS`` in ``verify.<topic>`` or in its
    submodule ``verify.<topic>.wrong`` (loaded only here, so reading a claim to check a typed
    answer does not build them). Pages and tests use the same ones.

    >>> "ridge.optimal_mu" in wrong_answers("ridge")
    True
    """
    module = load(topic)
    found = getattr(module, "WRONG_ANSWERS", None)
    if found is None and hasattr(module, "__path__"):
        try:
            found = importlib.import_module(f"verify.{topic}.wrong").WRONG_ANSWERS
        except ModuleNotFoundError as exc:
            if exc.name != f"verify.{topic}.wrong":
                raise
    return dict(found or {})


def check_one(claim_id: str, seed: int = 0) -> Evidence:
    """Check one claim by id; a check that raises becomes a failed piece of evidence.

    This is the unit of work that :func:`run` hands to worker processes. With
    ``DV_CACHE_DIR`` set, evidence from a check that returned (passing or failing) is kept
    there and looked up the next time, under :func:`evidence_key`; evidence from a check that
    raised is never kept. Unset, every call checks afresh.

    >>> check_one("activations.relu.range").passed
    True
    """
    from derivations import cache

    found = get(claim_id)
    digest = evidence_key(found, seed) if cache.directory() is not None else None
    kept = _kept(found, seed, digest)
    if kept is not None:
        return kept
    try:
        evidence = found.check(seed=seed)
    except Exception as exc:  # noqa: BLE001 - reported as a failed claim, not swallowed
        return Evidence(
            found.id,
            found.method,
            False,
            seed=seed,
            message=f"check raised {type(exc).__name__}: {exc}",
        )
    # Kept only if no file of the key changed while the check ran.
    if digest is not None and evidence_key(found, seed) == digest:
        cache.store("evidence", digest, evidence)
    return evidence


def cached(claim_id: str, seed: int = 0) -> Evidence | None:
    """The evidence :func:`check_one` would look up for this claim and seed, or None (no
    cache directory, nothing kept, or a claim that is not cached); never checks anything.

    A runner can ask this first and send only the rest to other processes, so that a rerun
    whose evidence is all kept starts no process.

    >>> import os
    >>> os.environ.pop("DV_CACHE_DIR", None) and None
    >>> cached("activations.relu.range") is None
    True
    """
    from derivations import cache

    found = get(claim_id)
    if cache.directory() is None:
        return None
    return _kept(found, seed, evidence_key(found, seed))


def _kept(found: Claim, seed, digest: str | None) -> Evidence | None:
    from derivations import cache

    if digest is None:
        return None
    kept = cache.lookup("evidence", digest, Evidence)
    return kept if kept is not None and kept.claim_id == found.id and kept.seed == seed else None


#: The libraries whose versions are part of a claim's cache key.
EVIDENCE_LIBRARIES = ("torch", "numpy", "scipy", "sympy", "mpmath")


# The import closure of a topic's column, by the digests of its files (see evidence_files).
_CLOSURES: dict[tuple, frozenset] = {}


def evidence_files(topic: str) -> list:
    """The files whose source decides a claim of ``topic``'s evidence (see :func:`evidence_key`).

    >>> names = [p.as_posix() for p in evidence_files("ridge")]
    >>> "verify/ridge.py" in names, "derivations/ridge.py" in names, "verify/claims.py" in names
    (True, True, True)
    >>> any(n.startswith(("verify/mlp", "derivations/mlp", "verify/bench")) for n in names)
    False
    """
    import os
    from pathlib import Path

    from derivations import cache

    if topic not in TOPICS:
        raise ValueError(f"topic: unknown topic {topic!r}; topics: {', '.join(TOPICS)}")
    root = str(cache.ROOT)
    own, shared = [], []
    for layer in ("derivations", "verify"):
        for folder, dirs, names in os.walk(os.path.join(root, layer)):
            rel = os.path.relpath(folder, root).split(os.sep)
            dirs[:] = [d for d in dirs if d != "__pycache__" and rel + [d] != ["verify", "bench"]]
            for name in names:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(folder, name)
                if len(rel) == 1 and name[:-3] not in TOPICS:
                    shared.append(path)
                elif (rel[1:2] or [name])[0] in (topic, f"{topic}.py"):
                    own.append(path)
    # The column's own imports, followed: another topic's module, were one imported, counts.
    signature = tuple(sorted(cache.file_digests(own).items()))
    if signature not in _CLOSURES:
        _CLOSURES[signature] = frozenset(map(str, cache.import_closure(own, cache.ROOT)))
    files = {*own, *shared, *_CLOSURES[signature], os.path.join(root, "_toc.yml")}
    return sorted(Path(os.path.relpath(p, root)) for p in files)


def evidence_key(found: Claim, seed: int = 0) -> str | None:
    """The cache key of ``found``'s evidence at ``seed``, or None when it is not cached.

    The key is the claim id and the seed; the source of every file of the claim's topic
    column (each ``.py`` under ``verify/<topic>`` and ``derivations/<topic>``, as a module or
    a package) and of the shared machinery (each ``.py`` directly under ``derivations/`` and
    ``verify/`` that is not a topic, ``verify/bench`` aside), with ``_toc.yml``; and the
    versions of torch, NumPy, SciPy, SymPy, mpmath and Python. That is sufficient because a
    check runs only that code: topics do not import each other (``tests/test_topics.py``
    checks that a topic loads alone), so a topic's evidence depends on its own column and the
    shared code, and the shared code, which does import by name at run time
    (``lazy("verify.montecarlo")``), is included whole. Should a topic module import another
    topic's, the imports of the column are followed too (:func:`evidence_files`).

    A claim whose check or derived result is defined outside those files (a claim declared in
    a test or a notebook) is not cached: None.

    >>> k = evidence_key(get("ridge.optimal_mu"))
    >>> k == evidence_key(get("ridge.optimal_mu")), k == evidence_key(get("ridge.optimal_mu"), 1)
    (True, False)
    >>> evidence_key("ridge.optimal_mu")
    Traceback (most recent call last):
    ...
    TypeError: found: a Claim is required, got str
    """
    import sys
    from pathlib import Path

    from derivations import cache

    if not isinstance(found, Claim):
        raise TypeError(f"found: a Claim is required, got {type(found).__name__}")
    if found.topic not in TOPICS:
        return None
    files = evidence_files(found.topic)
    for code in (found.fn, found.derived):
        if code is None:
            continue
        module = sys.modules.get(getattr(code, "__module__", None) or "")
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            return None
        try:
            where = Path(file).resolve().relative_to(cache.ROOT)
        except ValueError:
            return None
        if where not in files:
            return None
    try:
        return cache.key(
            [
                "claim-evidence",
                found.id,
                seed,
                cache.file_digests([cache.ROOT / p for p in files]),
                cache.versions(EVIDENCE_LIBRARIES),
            ]
        )
    except TypeError:  # a seed the key cannot hold: checked afresh (and refused there)
        return None


def run(
    prefix: str = "",
    *,
    seed: int = 0,
    progress: bool = False,
    claims: Iterable[Claim] | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> list[Evidence]:
    """Check every claim whose id starts with ``prefix``; returns their evidence in order.

    ``workers`` processes share the work (``None``: one per core); ``scheduler`` sends it to
    a running Dask distributed scheduler instead. A check that raises is recorded as a failed
    claim with the exception as its message, so one broken claim never hides the others.

    >>> ev = run("activations.relu.range")
    >>> [e.passed for e in ev]
    [True]
    """
    from verify import runner

    chosen = list(claims) if claims is not None else select(prefix)
    return runner.run_claims(
        chosen, seeds=[seed], workers=workers, scheduler=scheduler, progress=progress
    )


def publish(
    prefix: str = "",
    *,
    seed: int = 0,
    workers: int | None = 1,
    dashboard: str = "verification.html",
) -> str:
    """Run the claims under ``prefix`` and return their Markdown evidence table.

    The table is anchored as ``evidence-<prefix>``, and each claim id in it is its row's
    anchor (``claim-<id>``) and a link to the claim's row on the ``dashboard`` page, which
    links back: :func:`verify.evidence.claim_cell`. Raises :class:`ClaimFailure` if any of
    the claims fails, so a book page that calls it cannot build on false evidence.

    >>> print(publish("activations.relu.range").splitlines()[2])
    | claim | method | result | error | tolerance | n | message |
    """
    from verify.dashboard import dashboard_link, evidence_anchor

    if not isinstance(dashboard, str) or not dashboard:
        raise ValueError(f"dashboard: the dashboard page's URL is required, got {dashboard!r}")
    anchor = evidence_anchor(prefix) if prefix else "evidence"
    evidence = run(prefix, seed=seed, workers=workers)
    failed = [e for e in evidence if not e.passed]
    if failed:
        raise ClaimFailure("\n".join(e.summary() for e in failed))
    rows = table(evidence, markdown=True, link=lambda i: dashboard_link(i, dashboard))
    return f'<span id="{anchor}"></span>\n\n{rows}'
