"""The measured side of the losses claims: torch's own functions and the reference procedures.

Nothing here imports :mod:`derivations.losses`. The CutMix functions transcribe the reference
implementation (clovaai/CutMix-PyTorch, ``train.py``: ``rand_bbox`` and the lines that paste the
box and recompute ``lam``), keeping its names: there ``W = size[2]`` is the number of *rows*
and ``cx`` a row index, ``H = size[3]`` the number of columns.

>>> mixed, weight = cutmix_torch(np.zeros((1, 4, 5)), np.ones((1, 4, 5)), 0.5, 0, 4)
>>> weight
0.9
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verify.lazy import F, torch


def _t(a, grad: bool = False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def bce_gradient(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Entrywise ``∂/∂h`` of ``binary_cross_entropy_with_logits(h, t)`` by torch autograd.

    >>> bce_gradient(np.array([0.0, 1000.0]), np.array([1.0, 0.0])).tolist()
    [-0.5, 1.0]
    """
    x = _t(h, grad=True)
    F.binary_cross_entropy_with_logits(x, _t(t), reduction="sum").backward()
    return x.grad.numpy()


def ova_torch(h: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """``(loss, gradient, loss by the definition)`` for logits ``h`` (N, M), labels ``y``:
    BCE-with-logits on ``one_hot(y)`` summed over classes and averaged over rows, its
    autograd gradient, and ``mean(−logsigmoid(h_y) − Σ_{i≠y} logsigmoid(−h_i))``.

    >>> loss, grad, definition = ova_torch(np.zeros((1, 2)), np.array([1]))
    >>> round(loss, 6), grad.tolist(), round(definition, 6)
    (1.386294, [[0.5, -0.5]], 1.386294)
    """
    x = _t(h, grad=True)
    labels = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    target = F.one_hot(labels, x.shape[1]).to(torch.float64)
    loss = F.binary_cross_entropy_with_logits(x, target, reduction="sum") / x.shape[0]
    loss.backward()
    with torch.no_grad():
        own = F.logsigmoid(x.gather(1, labels[:, None]))[:, 0]
        others = (F.logsigmoid(-x) * (1 - target)).sum(dim=1)
        definition = float((-own - others).mean())
    return float(loss.detach()), x.grad.numpy(), definition


def soft_cross_entropy(h, y1, y2, lam: float) -> tuple[float, np.ndarray]:
    """torch's ``cross_entropy`` with the probability target ``λ·onehot(y₁) + (1 − λ)·onehot(y₂)``
    (mean over rows) and its autograd gradient.

    >>> loss, grad = soft_cross_entropy(np.zeros((1, 2)), np.array([0]), np.array([1]), 0.25)
    >>> round(loss, 6), grad.tolist()
    (0.693147, [[0.25, -0.25]])
    """
    x = _t(h, grad=True)
    m = x.shape[1]
    a = F.one_hot(torch.as_tensor(np.asarray(y1)), m).to(torch.float64)
    b = F.one_hot(torch.as_tensor(np.asarray(y2)), m).to(torch.float64)
    loss = F.cross_entropy(x, lam * a + (1 - lam) * b)
    loss.backward()
    return float(loss.detach()), x.grad.numpy()


def mixup_torch(x1, x2, y1, y2, lam: float, m: int):
    """``torch.lerp(x₂, x₁, λ)`` and the mixed one-hot target, as arrays.

    >>> x, y = mixup_torch(np.zeros((1, 1)), np.ones((1, 1)), np.array([0]), np.array([1]), 0.25, 2)
    >>> x.tolist(), y.tolist()
    ([[0.75]], [[0.25, 0.75]])
    """
    x = torch.lerp(_t(x2), _t(x1), lam)
    a = F.one_hot(torch.as_tensor(np.asarray(y1)), m).to(torch.float64)
    b = F.one_hot(torch.as_tensor(np.asarray(y2)), m).to(torch.float64)
    return x.numpy(), (lam * a + (1 - lam) * b).numpy()


def rand_bbox(size, lam: float, cx: int, cy: int):
    """The reference ``rand_bbox`` with its random centre given: ``(bbx1, bby1, bbx2, bby2)``.
    The centres may be integer arrays (every centre at once), as ``np.clip`` allows.

    >>> [int(v) for v in rand_bbox((1, 1, 6, 9), 0.3, 0, 8)]
    [0, 5, 2, 9]
    """
    W = size[2]
    H = size[3]
    cut_rat = np.sqrt(1.0 - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)
    bbx1 = np.clip(cx - cut_w // 2, 0, W)
    bby1 = np.clip(cy - cut_h // 2, 0, H)
    bbx2 = np.clip(cx + cut_w // 2, 0, W)
    bby2 = np.clip(cy + cut_h // 2, 0, H)
    return bbx1, bby1, bbx2, bby2


def cutmix_torch(x_a, x_b, lam: float, row: int, col: int):
    """The reference's paste and recomputed ``lam`` for one pair ``(C, rows, columns)``.

    ``input[:, :, bbx1:bbx2, bby1:bby2] = input[rand_index, :, bbx1:bbx2, bby1:bby2]``, then
    ``lam = 1 − (bbx2 − bbx1)(bby2 − bby1)/(size[-1]·size[-2])``.
    """
    batch = torch.stack([_t(x_a), _t(x_b)])  # (2, C, rows, columns): index 1 is rand_index
    bbx1, bby1, bbx2, bby2 = (int(v) for v in rand_bbox(batch.size(), lam, row, col))
    batch[0, :, bbx1:bbx2, bby1:bby2] = batch[1, :, bbx1:bbx2, bby1:bby2]
    weight = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (batch.size()[-1] * batch.size()[-2]))
    return batch[0].numpy(), weight


def enumerated_law(lam: float, rows: int, cols: int) -> dict[Fraction, Fraction]:
    """The exact law of the recomputed weight over all ``rows·cols`` centres (each ``1/(rows·cols)``).

    >>> enumerated_law(1.0, 2, 3)
    {Fraction(1, 1): Fraction(1, 1)}
    """
    cx, cy = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")  # every centre
    bbx1, bby1, bbx2, bby2 = rand_bbox((1, 1, rows, cols), lam, cx, cy)
    areas, counts = np.unique((bbx2 - bbx1) * (bby2 - bby1), return_counts=True)
    law = {
        1 - Fraction(int(a), rows * cols): Fraction(int(n), rows * cols)
        for a, n in zip(areas, counts, strict=True)
    }
    return dict(sorted(law.items()))


def weight_sampler(alpha: float, rows: int, cols: int):
    """A Monte Carlo sampler of the recomputed weight: ``λ ~ Beta(α, α)`` by NumPy's beta and
    the centre by ``integers`` (the reference's ``np.random.beta`` and ``randint``), seeded
    from the torch generator; the box and weight computed as :func:`rand_bbox` does, batched.

    >>> s = weight_sampler(1.0, 6, 9)
    >>> bool(((s(5, torch.Generator().manual_seed(0)) <= 1)).all())
    True
    """

    def sampler(n, gen):
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=gen)))
        lam = rng.beta(alpha, alpha, n)
        cut_rat = np.sqrt(1.0 - lam)
        cut_w = (rows * cut_rat).astype(np.int64)  # int() truncates; every value is >= 0
        cut_h = (cols * cut_rat).astype(np.int64)
        cx = rng.integers(0, rows, n)
        cy = rng.integers(0, cols, n)
        bbx1 = np.clip(cx - cut_w // 2, 0, rows)
        bby1 = np.clip(cy - cut_h // 2, 0, cols)
        bbx2 = np.clip(cx + cut_w // 2, 0, rows)
        bby2 = np.clip(cy + cut_h // 2, 0, cols)
        return torch.from_numpy(1 - (bbx2 - bbx1) * (bby2 - bby1) / (rows * cols))

    return sampler
