"""Running claims: in this process, on worker processes, or on a Dask cluster.

A task is a pair ``(claim id, seed)`` handed to :func:`verify.claims.check_one`, which loads
only that claim's topic. The claims of one topic at one seed go to the same process, one
after the other, as a group: they often share a simulation that their topic caches (the
draws of one weight family, the overflow layers of one set of networks), and splitting them
would repeat it. Every check runs with :data:`verify.claims.THREADS` torch threads, and
worker processes start with the same thread count for OpenMP and the BLAS libraries, so a
claim's numbers do not depend on how many checks run at once: the evidence of a parallel run
equals the serial one in every field but ``seconds``.

>>> [e.passed for e in run_claims(select("activations.relu.range"), seeds=[0])]
[True]

On a Dask cluster (``pip install 'derived-and-verified[dask]'``), every worker must be able to
import the project. A cluster started from the project's root on this machine can::

    from distributed import LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    run_claims(select("ridge"), seeds=range(100), scheduler=cluster.scheduler_address)

and so can ``dask scheduler`` plus ``dask worker tcp://HOST:8786 --nthreads 1`` on machines
where the project is installed (``pip install -e .`` in a clone). Two checks never run at
once in one worker process (some seed global generators, and torch's thread count is global
to the process), so give each worker one thread and start as many workers as there are cores.
Dask's nanny already starts its workers with OpenMP, MKL and OpenBLAS on one thread; each
task pins torch too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from verify.claims import THREADS, Claim, cached, check_one, select  # noqa: F401 - select: doctests
from verify.evidence import Evidence

#: The variables that size the thread pools of OpenMP and of the BLAS libraries NumPy and
#: torch link against; they are read when a library loads, so they are set before a worker
#: process starts (it inherits them) and again inside it.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)

#: Statistical claims take the longest; groups holding them start first.
_LONG = ("monte-carlo", "enumeration")


def cores() -> int:
    """The number of cores this process may run on.

    >>> cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux: the whole machine
        return os.cpu_count() or 1


#: With ``workers=None``, each process gets at least this many tasks: a worker spends seconds
#: importing torch and its topic, more than a short run of claims takes in this process.
TASKS_PER_WORKER = 4


def resolve_workers(workers: int | None, tasks: int | None = None) -> int:
    """How many processes run ``tasks`` checks: ``workers``, or for ``None`` one per core.

    ``workers`` must be a positive integer or ``None``. No more processes start than there
    are tasks, and with ``None`` none start for fewer than :data:`TASKS_PER_WORKER` tasks
    each (1 means: in this process).

    >>> resolve_workers(3), resolve_workers(3, tasks=2)
    (3, 2)
    >>> resolve_workers(None) == cores(), resolve_workers(None, tasks=3)
    (True, 1)
    >>> resolve_workers(0)
    Traceback (most recent call last):
    ...
    ValueError: workers: a positive integer is required, got 0
    """
    from derivations.arguments import count

    n = cores() if workers is None else count(workers, "workers")
    if tasks is not None:
        tasks = count(tasks, "tasks", minimum=0)
        cap = tasks if workers is not None else tasks // TASKS_PER_WORKER
        n = max(1, min(n, cap))
    return n


def run_claims(
    chosen: Iterable[Claim],
    *,
    seeds: Sequence[int] = (0,),
    workers: int | None = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> list[Evidence]:
    """The evidence of every claim at every seed, ordered by seed, then by claim.

    ``workers=1`` runs the checks in this process, ``workers=N`` on up to N processes (no
    more than there are groups of claims sharing a topic and a seed), ``None`` on one process
    per core (fewer for a short run: :func:`resolve_workers`); ``scheduler``
    (``"tcp://host:port"``) sends them to a running Dask distributed scheduler instead, and
    then ``workers`` must be left at 1. A check that raises, here or on a worker, becomes a
    failed piece of evidence naming the exception.

    >>> chosen = select("activations.relu")
    >>> [(e.claim_id, e.seed) for e in run_claims(chosen[:2], seeds=[5, 6])]  # doctest: +NORMALIZE_WHITESPACE
    [('activations.relu.derivative', 5), ('activations.relu.range', 5),
     ('activations.relu.derivative', 6), ('activations.relu.range', 6)]
    >>> run_claims(chosen, seeds=[2**63])
    Traceback (most recent call last):
    ...
    ValueError: seeds: an integer with 0 <= seeds < 2**63 is required, got 9223372036854775808
    """
    from derivations.arguments import seed as valid_seed

    if isinstance(chosen, Claim | str):
        raise TypeError(f"chosen: an iterable of Claim is required, got {type(chosen).__name__}")
    chosen = list(chosen)
    for c in chosen:
        if not isinstance(c, Claim):
            raise TypeError(f"chosen: every item must be a Claim, got {type(c).__name__}")
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds: a sequence of integers is required, got {type(seeds).__name__}")
    seeds = [valid_seed(s, "seeds") for s in seeds]
    if not seeds:
        raise ValueError("seeds: at least one seed is required")
    if scheduler is not None:
        if (
            not isinstance(scheduler, str)
            or not scheduler.strip()
            or scheduler != scheduler.strip()
        ):
            raise ValueError(
                f"scheduler: an address such as 'tcp://host:8786' is required, got {scheduler!r}"
            )
        if workers != 1:
            raise ValueError(
                f"workers: leave it at 1 with a scheduler (its workers run the claims), got {workers!r}"
            )
    resolve_workers(workers)  # checked before anything runs
    if progress not in (True, False):
        raise TypeError(f"progress: True or False is required, got {progress!r}")

    tasks = [(c, s) for s in seeds for c in chosen]
    # Evidence kept from an earlier run of the same code (derivations/cache.py, when
    # DV_CACHE_DIR is set) is looked up here, so only the rest is sent anywhere.
    out: list[Evidence | None] = [cached(c.id, s) if _declared(c) else None for c, s in tasks]
    todo = [i for i, e in enumerate(out) if e is None]
    # A claim registered at run time (not declared by a topic module) exists only in this
    # process: another process could not find it by id, so it is checked here.
    away = [i for i in todo if _declared(tasks[i][0])]
    groups = _groups([tasks[i] for i in away])
    n = min(resolve_workers(workers, len(away)), max(1, len(groups)))
    if scheduler is None and n == 1:
        away, groups = [], []
    sent = set(away)
    with _Progress(len(todo), progress) as bar:
        if away:
            elsewhere = [tasks[i] for i in away]
            if scheduler is not None:
                finished = _on_dask(elsewhere, groups, scheduler, bar)
            else:
                finished = _on_processes(elsewhere, groups, n, bar)
            for j, evidence in finished:
                out[away[j]] = evidence
        for i in (i for i in todo if i not in sent):
            claim, seed = tasks[i]
            bar.start(claim.id)
            out[i] = check_one(claim.id, seed) if _declared(claim) else _check_here(claim, seed)
            bar.done()
    return out


def _settled(group, found, tasks, bar):
    """(task index, evidence) for one group's results; a message (str) is a failed claim."""
    for i, evidence in zip(group, found, strict=True):
        claim, seed = tasks[i]
        if isinstance(evidence, str):
            evidence = _failed(claim, seed, evidence)
        bar.done(claim.id)
        yield i, evidence


def _declared(claim: Claim) -> bool:
    from derivations.topics import TOPICS

    return claim.topic in TOPICS


def _check_here(claim: Claim, seed: int) -> Evidence:
    # check_one looks the id up in the registry; an unregistered Claim object is checked as is.
    try:
        return claim.check(seed=seed)
    except Exception as exc:  # noqa: BLE001 - reported as a failed claim, as check_one does
        return _failed(claim, seed, f"check raised {type(exc).__name__}: {exc}")


def _failed(claim: Claim, seed: int, message: str) -> Evidence:
    return Evidence(claim.id, claim.method, False, seed=seed, message=message)


def _groups(tasks) -> list[list[int]]:
    """Task indices grouped by (topic, seed), the groups with most statistical claims first.

    Long groups first packs the workers better; inside a group the claims keep their order.
    """
    by_key: dict[tuple, list[int]] = {}
    for i, (claim, seed) in enumerate(tasks):
        by_key.setdefault((claim.topic, seed), []).append(i)
    groups = list(by_key.values())
    return sorted(groups, key=lambda g: -sum(tasks[i][0].method in _LONG for i in g))


def check_group(pairs: Sequence[tuple[str, int]]) -> list[Evidence]:
    """:func:`verify.claims.check_one` on each ``(claim id, seed)`` in turn: a worker's task.

    >>> [e.passed for e in check_group([("activations.relu.range", 0), ("activations.relu.kink", 0)])]
    [True, True]
    """
    return [check_one(claim_id, seed) for claim_id, seed in pairs]


def pin_threads(threads: int = THREADS) -> None:
    """Size this process's thread pools to ``threads`` (a worker process calls it first).

    >>> import torch; threads = torch.get_num_threads()
    >>> with _ThreadEnvironment():  # the variables are restored after the example
    ...     pin_threads(1)
    ...     os.environ["OMP_NUM_THREADS"], torch.get_num_threads()
    ('1', 1)
    >>> torch.set_num_threads(threads)
    """
    from derivations.arguments import count

    threads = count(threads, "threads")
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    import torch

    torch.set_num_threads(threads)


class _ThreadEnvironment:
    """Set the thread variables for a while (worker processes started meanwhile inherit them)."""

    def __enter__(self):
        self.before = {k: os.environ.get(k) for k in THREAD_VARIABLES}
        os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(THREADS)))
        return self

    def __exit__(self, *exc):
        for key, value in self.before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _on_processes(tasks, groups, n: int, bar):
    """Yield ``(index, evidence)`` as the groups of tasks finish on ``n`` fresh processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # "spawn": a worker is a fresh interpreter. Forking a process that has imported torch
    # (or started threads) can deadlock the child.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=n, mp_context=context, initializer=pin_threads, initargs=(THREADS,)
    )
    try:
        # Worker processes start as tasks are submitted, so all are submitted with the
        # thread variables set.
        with _ThreadEnvironment():
            futures = {
                pool.submit(check_group, [(tasks[i][0].id, tasks[i][1]) for i in g]): g
                for g in groups
            }
        for future in as_completed(futures):
            group = futures[future]
            try:
                found = future.result()
            except BrokenProcessPool as exc:
                found = [f"{_BROKEN} ({exc})"] * len(group)
            except Exception as exc:  # noqa: BLE001 - a failure on a worker fails its claims
                found = [f"worker process raised {type(exc).__name__}: {exc}"] * len(group)
            yield from _settled(group, found, tasks, bar)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


_BROKEN = (
    "a worker process died before reporting: out of memory, or a script that starts "
    "workers outside `if __name__ == '__main__':`"
)

_ONE_AT_A_TIME = threading.Lock()


def dask_task(pairs: Sequence[tuple[str, int]]) -> list[Evidence]:
    """:func:`check_group` on a Dask worker: thread pools pinned, one group at a time.

    A worker may run several tasks at once on threads of one process; the lock keeps their
    numbers independent of that (torch's thread count and NumPy's legacy generator are
    global to the process).

    >>> import torch; threads = torch.get_num_threads()
    >>> with _ThreadEnvironment():  # this process is no worker: it gets its settings back
    ...     [e.passed for e in dask_task([("activations.relu.range", 0)])]
    [True]
    >>> torch.set_num_threads(threads)
    """
    with _ONE_AT_A_TIME:
        pin_threads()
        return check_group(pairs)


def where_installed() -> str:
    """The directory the ``verify`` package is imported from (what a Dask worker runs).

    >>> where_installed().endswith("verify")
    True
    """
    import verify

    return os.path.dirname(os.path.abspath(verify.__file__))


def code_fingerprint() -> str:
    """A hash of the Python sources of ``derivations`` and ``verify`` as this process has them.

    A Dask worker with another copy of the project (an older checkout, another installation)
    would check other claims than the ones asked for; comparing fingerprints catches it.

    >>> len(code_fingerprint())
    64
    """
    import hashlib

    digest = hashlib.sha256()
    for root in (Path(where_installed()).parent / "derivations", Path(where_installed())):
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _connect(scheduler: str):
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "scheduler: running on Dask needs the optional dependency 'distributed': "
            "pip install 'derived-and-verified[dask]'"
        ) from None
    try:
        return distributed, distributed.Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConnectionError(
            f"scheduler: cannot connect to a Dask scheduler at {scheduler!r}: {exc}"
        ) from None


def _check_workers(client, scheduler: str, mine: str | None = None) -> None:
    """Raise ``RuntimeError`` unless every worker runs the sources this process runs."""
    mine = code_fingerprint() if mine is None else mine
    try:
        theirs = client.run(code_fingerprint)
    except Exception as exc:  # noqa: BLE001 - whatever failed on a worker: its import
        raise RuntimeError(
            f"scheduler: the Dask workers at {scheduler} cannot import this version of "
            f"the project (install it on them, e.g. pip install -e . in a clone): {exc}"
        ) from None
    other = sorted(w for w, f in theirs.items() if f != mine)
    if other:
        raise RuntimeError(
            f"scheduler: the Dask workers {', '.join(other)} run other sources of "
            f"derivations/ and verify/ than {where_installed()}: install this version there"
        )


def _on_dask(tasks, groups, scheduler: str, bar):
    """Yield ``(index, evidence)`` as the groups of tasks finish on a Dask cluster."""
    distributed, client = _connect(scheduler)
    with client:
        _check_workers(client, scheduler)
        futures = [
            client.submit(
                dask_task,
                [(tasks[i][0].id, tasks[i][1]) for i in g],
                pure=False,
                priority=len(groups) - rank,  # the order of _groups: long groups first
            )
            for rank, g in enumerate(groups)
        ]
        group_of = {f.key: g for f, g in zip(futures, groups, strict=True)}
        try:
            for future in distributed.as_completed(futures):
                group = group_of[future.key]
                try:
                    found = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails its claims
                    found = [f"Dask task raised {type(exc).__name__}: {exc}"] * len(group)
                yield from _settled(group, found, tasks, bar)
        except BaseException:
            client.cancel(futures)
            raise


class _Progress:
    """A tqdm bar when asked for, nothing otherwise."""

    def __init__(self, total: int, shown: bool):
        self.bar = None
        if shown:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="claim", leave=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()

    def start(self, claim_id: str) -> None:
        if self.bar is not None:
            self.bar.set_description(claim_id[-40:])

    def done(self, claim_id: str | None = None) -> None:
        if self.bar is not None:
            if claim_id is not None:
                self.bar.set_description(claim_id[-40:])
            self.bar.update()
