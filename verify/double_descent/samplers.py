"""The raw procedures the double-descent claims simulate, as Monte Carlo samplers.

Each sampler draws what the statement is about and nothing of the derivation: Gaussian
designs, noise and test points; ``torch.linalg.lstsq`` (the SVD-based ``gelsd`` driver, whose
answer for a rank-deficient or wide ``X`` is the minimum-norm solution) for ``ŵ = X⁺y``;
``torch.linalg.inv`` for inverse-Wishart matrices; a ridge solve; ReLU features. A sampler is
``sampler(n, gen) -> tensor (n,)`` (see :mod:`verify.montecarlo`).

>>> import torch
>>> s = parameter_error_sampler(24, 12, 0.6, 2.5)
>>> s(5, torch.Generator().manual_seed(0)).shape
torch.Size([5])
"""

from __future__ import annotations

import math

import numpy as np

from verify.lazy import torch

#: Designs drawn per call of ``lstsq``: the batched solve is a loop of LAPACK calls, and a
#: few thousand small matrices at a time keep the memory of one batch below a few MB.
CHUNK = 4096


def _normals(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64, device=gen.device)


def teacher(d: int, w_norm2: float) -> torch.Tensor:
    """A fixed ``w*`` with ``‖w*‖² = w_norm2`` and unequal entries (so no coordinate is special).

    >>> round(float(teacher(4, 2.5).square().sum()), 12)
    2.5
    """
    w = torch.linspace(1.0, 2.0, d, dtype=torch.float64)
    return w * math.sqrt(w_norm2) / w.norm()


def min_norm(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``X⁺y`` for a batch, by ``torch.linalg.lstsq`` with the ``gelsd`` (SVD) driver.

    >>> X = torch.tensor([[[1.0, 1.0]]], dtype=torch.float64)
    >>> min_norm(X, torch.tensor([[2.0]], dtype=torch.float64)).round(decimals=12).tolist()
    [[1.0, 1.0]]
    """
    out = [
        torch.linalg.lstsq(X[i : i + CHUNK], y[i : i + CHUNK, :, None], driver="gelsd").solution[
            ..., 0
        ]
        for i in range(0, X.shape[0], CHUNK)
    ]
    return torch.cat(out)


def _fit(n, gen, N, d, sigma2, w):
    X = _normals(gen, n, N, d)
    y = X @ w + math.sqrt(sigma2) * _normals(gen, n, N)
    return min_norm(X, y)


def parameter_error_sampler(N: int, d: int, sigma2: float, w_norm2: float):
    """``‖X⁺y − w*‖²`` for a fresh design and noise per draw."""
    w = teacher(d, w_norm2)

    def sampler(n, gen):
        return (_fit(n, gen, N, d, sigma2, w) - w).square().sum(dim=1)

    return sampler


def heldout_error_sampler(
    N: int, d: int, sigma2: float, w_norm2: float, tests: int = 32, seen=None, unseen2=0.0
):
    """Mean of ``(y − xᵀŵ)²`` over ``tests`` fresh test points per fitted ``ŵ``.

    ``seen`` (an int ``p < d``) fits on the first ``p`` coordinates only (the misspecified
    model): ``w*`` then has ``‖w_p‖² = w_norm2`` on them and ``unseen2`` on the others, which
    still make the labels, train and test.

    >>> import torch
    >>> s = heldout_error_sampler(10, 30, 0.5, 1.2, seen=22, unseen2=0.7)
    >>> s(3, torch.Generator().manual_seed(1)).shape
    torch.Size([3])
    """
    p = d if seen is None else seen
    w = (
        teacher(d, w_norm2)
        if seen is None
        else torch.cat([teacher(p, w_norm2), teacher(d - p, unseen2)])
    )

    def sampler(n, gen):
        X = _normals(gen, n, N, d)
        y = X @ w + math.sqrt(sigma2) * _normals(gen, n, N)
        w_hat = min_norm(X[..., :p].contiguous(), y)
        x_test = _normals(gen, n, tests, d)
        y_test = x_test @ w + math.sqrt(sigma2) * _normals(gen, n, tests)
        pred = (x_test[..., :p] @ w_hat[..., None])[..., 0]
        return (y_test - pred).square().mean(dim=1)

    return sampler


def inverse_trace_sampler(N: int, d: int):
    """``tr W⁻¹ / dim W`` with ``W = XᵀX`` (``N > d``) or ``W = XXᵀ`` (``N < d``)."""

    def sampler(n, gen):
        X = _normals(gen, n, N, d)
        W = X.mT @ X if N > d else X @ X.mT
        return torch.linalg.inv(W).diagonal(dim1=-2, dim2=-1).mean(dim=1)

    return sampler


def projection_sampler(N: int, d: int, w_norm2: float):
    """``‖X⁺Xw‖²``: the min-norm solution of ``Xv = Xw`` (no noise)."""
    w = teacher(d, w_norm2)

    def sampler(n, gen):
        X = _normals(gen, n, N, d)
        return min_norm(X, X @ w).square().sum(dim=1)

    return sampler


def error_parts(n, gen, N, d, sigma2, w_norm2):
    """The two parts of ``ŵ − w*`` for ``n`` draws: ``ŵ(Xw*) − w*`` and ``ŵ(ε)``, each from
    its own least-squares solve (so their orthogonality is measured, not assumed)."""
    w = teacher(d, w_norm2)
    X = _normals(gen, n, N, d)
    eps = math.sqrt(sigma2) * _normals(gen, n, N)
    bias = min_norm(X, X @ w) - w
    noise = min_norm(X, eps)
    return bias, noise


def ridge_error_sampler(N: int, d: int, lam: float, sigma2: float, w_norm2: float):
    """``‖ŵ_λ − w*‖²`` with ``ŵ_λ = (XᵀX + NλI)⁻¹Xᵀy`` (Cholesky solve), fresh ``X`` per draw."""
    w = teacher(d, w_norm2)

    def sampler(n, gen):
        X = _normals(gen, n, N, d)
        y = X @ w + math.sqrt(sigma2) * _normals(gen, n, N)
        A = X.mT @ X + N * lam * torch.eye(d, dtype=torch.float64)
        w_hat = torch.cholesky_solve((X.mT @ y[..., None]), torch.linalg.cholesky(A))[..., 0]
        return (w_hat - w).square().sum(dim=1)

    return sampler


def ridge_slope_sampler(N: int, d: int, lam: float, sigma2: float, w_norm2: float):
    """``d/dλ ‖ŵ_λ − w*‖²`` by torch's forward-mode autograd through the ridge solve."""
    import warnings

    w = teacher(d, w_norm2)

    def sampler(n, gen):
        X = _normals(gen, n, N, d)
        y = X @ w + math.sqrt(sigma2) * _normals(gen, n, N)
        H, xty = X.mT @ X, X.mT @ y[..., None]
        eye = torch.eye(d, dtype=torch.float64)

        def error(m):
            return (torch.linalg.solve(H + N * m * eye, xty)[..., 0] - w).square().sum(dim=1)

        m0 = torch.tensor(float(lam), dtype=torch.float64)
        with warnings.catch_warnings():
            # torch loads its decompositions through torch.jit the first time (a deprecation
            # warning of torch's own); a warning on stderr would fail a book page
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            return torch.func.jvp(error, (m0,), (torch.ones_like(m0),))[1]

    return sampler


def relu_feature_product_sampler(a: float, b: float, theta: float):
    """``relu(wᵀx) relu(wᵀx')`` for ``w ~ N(0, I₃)``, ``‖x‖ = a``, ``‖x'‖ = b`` at angle ``θ``
    (in three dimensions, tilted out of the coordinate planes)."""
    x = torch.tensor([a, 0.0, 0.0], dtype=torch.float64)
    xp = b * torch.tensor([math.cos(theta), math.sin(theta), 0.0], dtype=torch.float64)
    # a fixed rotation, so neither vector lies along an axis
    Q, _ = torch.linalg.qr(torch.tensor([[2.0, 1.0, 0.5], [-1.0, 2.0, 1.0], [0.3, -0.7, 2.0]]))
    x, xp = Q.double() @ x, Q.double() @ xp

    def sampler(n, gen):
        W = _normals(gen, n, 3)
        return torch.relu(W @ x) * torch.relu(W @ xp)

    return sampler


def random_features_test_error(n, gen, N, p, d0, sigma2, beta_norm2, tests=64):
    """Test MSE of min-norm regression on ``p`` random ReLU features, per draw of data and
    features: inputs ``x ~ N(0, I/d0)``, labels ``xᵀβ + ε``, features ``relu(Wᵀx)/√p``."""
    beta = teacher(d0, beta_norm2)
    X = _normals(gen, n, N, d0) / math.sqrt(d0)
    x_test = _normals(gen, n, tests, d0) / math.sqrt(d0)
    y = X @ beta + math.sqrt(sigma2) * _normals(gen, n, N)
    W = _normals(gen, n, d0, p)
    a = min_norm(torch.relu(X @ W) / math.sqrt(p), y)
    pred = ((torch.relu(x_test @ W) / math.sqrt(p)) @ a[..., None])[..., 0]
    return (pred - x_test @ beta).square().mean(dim=1)


def gradient_descent(X, y, eta: float, steps: int) -> torch.Tensor:
    """Run plain gradient descent on ``‖y − Xw‖²/(2N)`` from 0; every iterate, one row each.

    The gradient ``Xᵀ(Xw − y)/N`` is evaluated afresh at every step (no eigenbasis).

    >>> X = torch.eye(2, dtype=torch.float64) * 2
    >>> gradient_descent(X, torch.tensor([2.0, 4.0], dtype=torch.float64), 0.25, 2)[-1].tolist()
    [0.75, 1.5]
    """
    # a NumPy loop: torch's per-call overhead would dominate for a 60 × 26 design
    Xn, yn = X.numpy(), y.numpy()
    XT = Xn.T.copy()
    w = np.zeros(Xn.shape[1])
    out = np.empty((steps + 1, Xn.shape[1]))
    out[0] = w
    scale = eta / Xn.shape[0]
    for k in range(1, steps + 1):
        w = w - scale * (XT @ (Xn @ w - yn))
        out[k] = w
    return torch.from_numpy(out)
