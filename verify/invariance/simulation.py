"""The Monte Carlo of the three risks: draw the data, solve each problem, measure the error.

One draw: ``X`` (``n × d``, i.i.d. ``N(0, 1)``), ``ε ~ N(0, σ² I_n)``, ``y = Xβ + ε`` for a
fixed invariant ``β``; then

- OLS: ``ŵ`` solves ``XᵀX w = Xᵀy``;
- projected OLS: ``Q ŵ`` with ``Q = UUᵀ``, ``U`` an orthonormal basis of the common null
  space of the ``G − I`` (NumPy's SVD; not the Reynolds operator of the derivation);
- augmented least squares: the least-squares solution of the stacked problem
  ``[X G₁ᵀ; …; X G_mᵀ] w ≈ [y; …; y]``, by its normal equations (``AᵀA w = Aᵀb``, formed from
  the stacked ``A`` itself),

and the squared error ``‖· − β‖²`` of each. The three estimators share each draw of ``X`` and
``ε``; each claim tests one of the three means.

>>> sim = Setting(n=12, sigma2=0.5, draws=200).simulate(0)
>>> sorted(sim), sim["ols"].shape
(['augmented', 'ols', 'projected'], torch.Size([200]))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from derivations.invariance import rotations


def invariant_basis(elements) -> np.ndarray:
    """An orthonormal basis of ``{v : Gv = v for every G}`` from the SVD of the stacked
    ``G − I`` (its right singular vectors of singular value 0).

    >>> invariant_basis(rotations(3).elements).shape
    (9, 3)
    """
    stacked = np.concatenate([g - np.eye(g.shape[0]) for g in elements])
    _, s, vt = np.linalg.svd(stacked)
    rank = int(np.sum(s > 1e-9 * max(1.0, s[0])))
    return vt[rank:].T


@dataclass(frozen=True)
class Setting:
    """The group (C4 on 3×3 images, ``d = 9``, ``d_G = 3``), ``n``, ``σ²`` and the draws."""

    n: int
    sigma2: float
    draws: int
    batch: int = 8192

    def elements(self) -> np.ndarray:
        return np.stack(rotations(3).elements)

    def truth(self) -> np.ndarray:
        """A fixed invariant ``β`` (its size does not enter the risks, the estimators being
        unbiased; a nonzero one makes the simulation solve the problem as posed)."""
        U = invariant_basis(self.elements())
        return U @ np.array([0.7, -1.3, 0.4])

    def simulate(self, seed: int) -> dict[str, torch.Tensor]:
        """The squared errors of the three estimators for ``draws`` draws from ``seed``."""
        return _simulate(self, seed)


@lru_cache(maxsize=8)
def _simulate(setting: Setting, seed: int) -> dict[str, torch.Tensor]:
    Gs = setting.elements()  # (m, d, d)
    m, d, _ = Gs.shape
    sources = [np.argmax(g, axis=1) for g in Gs]
    if not all(np.array_equal(g, np.eye(d)[src]) for g, src in zip(Gs, sources, strict=True)):
        raise ValueError("setting: the simulation takes a group of permutation matrices")
    U = invariant_basis(Gs)
    Q = U @ U.T
    beta = setting.truth()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))
    noise = math.sqrt(setting.sigma2)
    out = {"ols": [], "projected": [], "augmented": []}
    done = 0
    while done < setting.draws:
        b = min(setting.batch, setting.draws - done)
        # drawn as Xᵀ (b × d × n): the column gathers below then copy rows of length n
        Xt = rng.standard_normal((b, d, setting.n))
        X = Xt.transpose(0, 2, 1)
        y = X @ beta + noise * rng.standard_normal((b, setting.n))
        w_ols = np.linalg.solve(Xt @ X, (Xt @ y[..., None]))[..., 0]
        # the stacked augmented problem: rows X Gᵀ for every G, the targets y repeated; for a
        # permutation, (Gv)[j] = v[src[j]], so X Gᵀ is X with its columns taken from src
        At = np.concatenate([np.take(Xt, src, axis=1) for src in sources], axis=2)
        target = np.tile(y, (1, m))
        w_aug = np.linalg.solve(At @ At.transpose(0, 2, 1), At @ target[..., None])[..., 0]
        out["ols"].append(((w_ols - beta) ** 2).sum(1))
        out["projected"].append(((w_ols @ Q.T - beta) ** 2).sum(1))
        out["augmented"].append(((w_aug - beta) ** 2).sum(1))
        done += b
    return {k: torch.from_numpy(np.concatenate(v)) for k, v in out.items()}
