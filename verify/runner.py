"""Running claims: in this process, on worker processes, or on a Dask cluster.

>>> [e.passed for e in run_claims(select("activations.relu.range"), seeds=[0])]
[True]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from verify.claims import Claim, check_one, select  # noqa: F401 - select: doctest
from verify.evidence import Evidence


def run_claims(
    chosen: Iterable[Claim],
    *,
    seeds: Sequence[int] = (0,),
    workers: int | None = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> list[Evidence]:
    """The evidence of every claim at every seed, ordered by seed, then by claim."""
    tasks = [(c.id, s) for s in seeds for c in chosen]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="claim", leave=False)
    out = []
    for claim_id, seed in tasks:
        if bar is not None:
            bar.set_description(claim_id[-40:])
        out.append(check_one(claim_id, seed))
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return out
