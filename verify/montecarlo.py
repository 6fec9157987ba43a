"""Monte Carlo estimates with confidence intervals, and the test of an estimate.

A *sampler* draws a batch of i.i.d. copies of the quantity whose mean is wanted:
``sampler(n, gen)`` returns a float64 tensor of shape ``(n,)`` on ``gen.device``, using only
the generator ``gen`` for its randomness, so a seed fixes every number. :func:`estimate`
calls it batch by batch and keeps, in float64, power sums of the draws about the first
batch's mean (so no two large, nearly equal sums are subtracted) and every batch's mean.

**The test.** For ``n`` draws with sample mean ``m`` and sample standard deviation ``s`` the
standard error is ``s/sqrt(n)``; a claim that the true mean is ``mu`` is tested with
``z = (m - mu)/(s/sqrt(n))`` and the two-sided p-value ``erfc(|z|/sqrt 2)``. It fails when
the p-value is at most the false-alarm level (``1e-6`` per claim by default); the interval
reported is ``m ± z_c s/sqrt(n)`` with ``z_c = Φ⁻¹(1 - level/2) ≈ 4.89``.

**Why the normal approximation holds that far out.** A level of ``1e-6`` asks the central
limit theorem about a tail almost five standard errors out, where it is least accurate. The
first Edgeworth correction to the distribution of the studentized mean is of order
``γ/sqrt(n)`` (``γ`` the skewness of one draw) but it is an even function times ``φ``, so it
moves the two tails by equal and opposite amounts and cancels in a *two-sided* test; what is
left is of order ``1/n``, about ``25 (34 γ² - 1.7 κ + 7)/n`` relative to ``1e-6`` at
``z_c`` (``κ`` the excess kurtosis; :attr:`Estimate.tail_error` evaluates it). The quantities
verified by the ridge claims are squared norms of Gaussian vectors, whose skewness is at most
``sqrt(8) ≈ 2.8`` (one chi-square degree of freedom) and in practice near 1, and the claims use
``n ≥ 10⁴`` draws, so the actual false-alarm rate is within tens of per cent of the stated
one, not a factor off; each estimate records ``γ`` and ``κ`` so that this can be checked. A
heavy-tailed quantity (infinite fourth moment, say) breaks the argument, and its sample
variance is then itself unreliable; the remedy is *batch means*: treat the means of ``k``
large batches as the observations (each nearly normal) and use Student's ``t`` with ``k - 1``
degrees of freedom. :attr:`Estimate.batch_std_error` is that second standard error, for
comparison.

**Sizing.** To detect a relative error ``r`` in the expected value with a miss probability
``β`` at level ``α``, the shift ``r |mu|`` must exceed ``(z_{α/2} + z_β)`` standard errors:
``n ≥ ((z_{α/2} + z_β) cv / r)²`` with ``cv = s/|mu|`` (:func:`required_draws`).

>>> import torch
>>> def unit_exponential(n, gen):
...     return torch.empty(n, dtype=torch.float64, device=gen.device).exponential_(generator=gen)
>>> est = estimate(unit_exponential, 10**6, seed=1)  # required_draws(1.0) ≈ 9.3e5
>>> compare(est, 1.0)[0], compare(est, 1.01)[0]
(True, False)
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import NormalDist

import torch

from derivations import arguments as arg
from verify.evidence import Evidence, Witness

#: ``sampler(n, gen) -> tensor`` of shape ``(n,)``, float64, on ``gen.device``.
Sampler = Callable[[int, torch.Generator], torch.Tensor]

#: Runs longer than this many draws get a progress bar on a terminal when ``progress=None``.
PROGRESS_DRAWS = 5_000_000


def critical_z(level: float) -> float:
    """The two-sided critical value ``Φ⁻¹(1 - level/2)``.

    >>> round(critical_z(0.05), 4), round(critical_z(1e-6), 4)
    (1.96, 4.8916)
    """
    _check_level(level)
    return NormalDist().inv_cdf(1.0 - level / 2.0)


def required_draws(
    cv: float, rel_error: float = 0.01, *, level: float = 1e-6, miss: float = 1e-6
) -> int:
    """Draws needed to detect a relative error ``rel_error`` at ``level`` with ``miss``.

    ``cv`` is the coefficient of variation (standard deviation over ``|mean|``) of one draw.

    >>> required_draws(1.0)  # a unit exponential: cv = 1
    930273
    >>> required_draws(-1.0)
    Traceback (most recent call last):
    ...
    ValueError: cv: a finite real number > 0 is required, got -1.0
    """
    cv, rel_error = arg.positive(cv, "cv"), arg.positive(rel_error, "rel_error")
    _check_level(miss, "miss")
    z = critical_z(level) + NormalDist().inv_cdf(1.0 - miss)
    return math.ceil((z * cv / rel_error) ** 2)


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean with its standard error and interval at a false-alarm ``level``.

    >>> e = Estimate(2.0, 0.1, (1.5, 2.5), 100, 0, 1e-6, 0.0)
    >>> e.half_width, e.rel_half_width
    (0.5, 0.25)
    """

    mean: float
    std_error: float
    interval: tuple[float, float]
    n: int
    seed: int
    level: float = 1e-6
    seconds: float = 0.0
    #: sample skewness and excess kurtosis of one draw (for :attr:`tail_error`; nan if unknown)
    skewness: float = math.nan
    kurtosis: float = math.nan
    #: standard error from the spread of the batch means (nan with fewer than two batches)
    batch_std_error: float = math.nan
    batches: int = 0
    device: str = "cpu"
    details: dict = field(default_factory=dict, compare=False)

    @property
    def half_width(self) -> float:
        """Half the width of :attr:`interval`."""
        return (self.interval[1] - self.interval[0]) / 2.0

    @property
    def rel_half_width(self) -> float:
        """Half-width over ``|mean|`` (inf for a zero mean)."""
        return self.half_width / abs(self.mean) if self.mean else math.inf

    @property
    def tail_error(self) -> float:
        """Relative error of the two-sided false-alarm level from the normal approximation.

        Hall's second-order Edgeworth term for the studentized mean,
        ``|q2(z)| φ(z) / (n Φ(-z))`` at the critical ``z``, with
        ``q2(z) = z (κ (z² - 3)/12 - γ² (z⁴ + 2z² - 3)/18 - (z² + 3)/4)``; the first-order
        term cancels between the two tails. Small means the stated level is what is tested.

        >>> e = Estimate(1.0, 0.01, (0.95, 1.05), 10**5, 0, 1e-6, 0.0, skewness=2.0, kurtosis=6.0)
        >>> round(e.tail_error, 2)
        0.03
        """
        z = critical_z(self.level)
        g, k = self.skewness, self.kurtosis
        q2 = z * (k * (z * z - 3) / 12 - g * g * (z**4 + 2 * z * z - 3) / 18 - (z * z + 3) / 4)
        nd = NormalDist()
        return abs(q2) * nd.pdf(z) / (self.n * nd.cdf(-z))

    def __str__(self) -> str:
        lo, hi = self.interval
        return f"{self.mean:.6g} ± {self.half_width:.2g} ([{lo:.6g}, {hi:.6g}], n={self.n})"


class _Moments:
    """Running power sums of the draws about a fixed shift, and the batch means (float64).

    The shift is the first batch's mean, so the sums stay small and ``S2 - S1²/n`` never
    subtracts two large, nearly equal numbers.
    """

    def __init__(self):
        self.n = 0
        self.shift: float | None = None
        self.sums = [0.0, 0.0, 0.0, 0.0]
        self.batches: list[tuple[int, float]] = []

    def add(self, x: torch.Tensor) -> None:
        if self.shift is None:
            self.shift = float(x.mean())
        dev = x - self.shift
        power = dev
        for k in range(4):
            self.sums[k] += float(power.sum())
            power = power * dev
        self.n += x.numel()
        self.batches.append((x.numel(), self.shift + float(dev.mean())))

    @property
    def mean(self) -> float:
        return self.shift + self.sums[0] / self.n

    def central(self) -> tuple[float, float, float]:
        """Second, third and fourth central moments (divided by n)."""
        n = self.n
        a = self.sums[0] / n
        s2, s3, s4 = (s / n for s in self.sums[1:])
        m2 = max(s2 - a * a, 0.0)
        m3 = s3 - 3 * a * s2 + 2 * a**3
        m4 = s4 - 4 * a * s3 + 6 * a * a * s2 - 3 * a**4
        return m2, m3, m4

    def std_error(self) -> float:
        return math.sqrt(self.central()[0] * self.n / (self.n - 1) / self.n)

    def result(self, seed, level, seconds, device) -> Estimate:
        n, mean = self.n, self.mean
        m2, m3, m4 = self.central()
        if not (math.isfinite(mean) and math.isfinite(m4)):
            raise ValueError("sampler: returned non-finite values (inf or nan)")
        se = self.std_error()
        half = critical_z(level) * se
        skew = m3 / m2**1.5 if m2 > 0 else math.nan
        kurt = m4 / (m2 * m2) - 3.0 if m2 > 0 else math.nan
        return Estimate(
            mean=mean,
            std_error=se,
            interval=(mean - half, mean + half),
            n=n,
            seed=seed,
            level=level,
            seconds=seconds,
            skewness=skew,
            kurtosis=kurt,
            batch_std_error=self._batch_se(mean),
            batches=len(self.batches),
            device=str(device),
        )

    def _batch_se(self, mean) -> float:
        # the batches may differ in size (the last one), so weight each mean by its count:
        # Var(overall mean) = Σ (n_j/n)² Var(m_j), estimated with k/(k-1) for the fitted mean
        k = len(self.batches)
        if k < 2:
            return math.nan
        ss = sum((nj / self.n) ** 2 * (mj - mean) ** 2 for nj, mj in self.batches)
        return math.sqrt(ss * k / (k - 1))


def estimate(
    sampler: Sampler,
    n: int,
    *,
    seed: int = 0,
    batch: int = 65536,
    device="cpu",
    level: float = 1e-6,
    progress: bool | None = None,
) -> Estimate:
    """Mean of ``n`` draws of ``sampler``, in batches of at most ``batch``, from ``seed``.

    ``progress=None`` shows a bar only for long runs (over :data:`PROGRESS_DRAWS` draws)
    when stderr is a terminal, so a book page or a test never writes to stderr.

    >>> import torch
    >>> est = estimate(lambda n, g: torch.randn(n, generator=g, dtype=torch.float64), 10_000)
    >>> est.n, abs(est.mean) < est.half_width
    (10000, True)
    >>> estimate(lambda n, g: torch.zeros(n), 0)
    Traceback (most recent call last):
    ...
    ValueError: n: an integer >= 2 is required, got 0
    """
    arg.count(n, "n", minimum=2)
    gen, device = _setup(sampler, seed, batch, device, level)
    start = time.perf_counter()
    moments, _ = _collect(sampler, gen, n, batch, progress, None)
    return moments.result(seed, level, time.perf_counter() - start, device)


def _collect(sampler, gen, total, batch, progress, done) -> tuple[_Moments, bool]:
    """Draw up to ``total`` in batches, stopping early once ``done(moments)`` holds;
    returns the moments and whether ``done`` stopped the run."""
    moments = _Moments()
    bar = _bar(progress, total)
    try:
        while moments.n < total:
            size = min(batch, total - moments.n)
            moments.add(_draw(sampler, size, gen))
            if bar is not None:
                bar.update(size)
            if done is not None and done(moments):
                return moments, True
    finally:
        if bar is not None:
            bar.close()
    return moments, False


def sequential(
    sampler: Sampler,
    *,
    rel_width: float,
    budget: int,
    seed: int = 0,
    batch: int = 65536,
    device="cpu",
    level: float = 1e-6,
    progress: bool | None = None,
) -> Estimate:
    """Draw batch after batch until ``half-width/|mean| <= rel_width`` or ``budget`` is spent.

    The stopping rule looks at the interval's relative width, not at any expected value, so
    it does not hunt for a favourable test; it needs at least two batches (or ``budget``) so
    that the spread is estimated from a fair number of draws. ``details["stopped"]`` says
    which condition ended the run.

    >>> import torch
    >>> def unit_exponential(n, gen):
    ...     return torch.empty(n, dtype=torch.float64).exponential_(generator=gen)
    >>> est = sequential(unit_exponential, rel_width=0.05, budget=10**6, batch=1024)
    >>> est.rel_half_width <= 0.05, est.n < 10**6, est.details["stopped"]
    (True, True, 'width')
    """
    rel_width = arg.positive(rel_width, "rel_width")
    arg.count(budget, "budget", minimum=2)
    gen, device = _setup(sampler, seed, batch, device, level)
    z = critical_z(level)

    def narrow(m: _Moments) -> bool:
        return len(m.batches) >= 2 and m.mean != 0 and z * m.std_error() <= rel_width * abs(m.mean)

    start = time.perf_counter()
    moments, narrowed = _collect(sampler, gen, budget, batch, progress, narrow)
    est = moments.result(seed, level, time.perf_counter() - start, device)
    est.details["stopped"] = "width" if narrowed else "budget"
    return est


def compare(est: Estimate, expected: float, *, level: float | None = None) -> tuple[bool, float]:
    """Two-sided z-test of ``est`` against ``expected``: ``(passed, p_value)``.

    ``passed`` is ``p_value > level`` (``level`` defaults to the estimate's own).

    >>> e = Estimate(1.0, 0.1, (0.5, 1.5), 100, 0, 1e-6, 0.0)
    >>> compare(e, 1.2)
    (True, 0.0455...)
    >>> compare(e, 1.2, level=0.05)
    (False, 0.0455...)
    """
    if not isinstance(est, Estimate):
        raise TypeError(f"est: an Estimate is required, got {arg.shown(est)}")
    level = est.level if level is None else level
    _check_level(level)
    expected = _expected(expected)
    if not math.isfinite(expected):
        return False, 0.0
    if est.std_error == 0:
        p = 1.0 if est.mean == expected else 0.0
    else:
        z = (est.mean - expected) / est.std_error
        p = math.erfc(abs(z) / math.sqrt(2.0))
    return p > level, p


def evidence(
    claim_id: str, est: Estimate, expected: float, *, message: str = "", point: dict | None = None
) -> Evidence:
    """Evidence of the ``monte-carlo`` method: the test of ``est`` against ``expected``.

    Its witness is ``point`` (the setting simulated), the candidate's ``expected`` value and
    the simulated mean.

    >>> e = Estimate(1.0, 0.1, (0.5, 1.5), 100, 3, 1e-6, 0.25)
    >>> ev = evidence("demo.mc", e, 1.02)
    >>> ev.passed, ev.interval, ev.n, ev.seed, ev.method
    (True, (0.5, 1.5), 100, 3, 'monte-carlo')
    """
    passed, p = compare(est, expected)
    expected = _expected(expected)
    text = message or (
        f"mean {est.mean:.6g} ± {est.half_width:.2g} (level {est.level:g}) vs {expected:.6g}"
    )
    return Evidence(
        claim_id,
        "monte-carlo",
        passed,
        expected=expected,
        measured=est.mean,
        error=abs(est.mean - expected),
        tolerance=est.half_width,
        interval=est.interval,
        p_value=p,
        n=est.n,
        seed=est.seed,
        seconds=est.seconds,
        message=text,
        details={"std_error": est.std_error, "level": est.level, "skewness": est.skewness},
        witness=Witness(dict(point or {}), expected, est.mean),
    )


def _setup(sampler, seed, batch, device, level):
    if not callable(sampler):
        raise TypeError(
            f"sampler: a callable (n, generator) -> tensor is required, got {sampler!r}"
        )
    arg.seed(seed)
    arg.count(batch, "batch")
    _check_level(level)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device: not a torch device ({exc})") from None
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen, device


def _draw(sampler, size, gen) -> torch.Tensor:
    x = sampler(size, gen)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"sampler: must return a torch.Tensor, got {type(x).__name__}")
    if x.shape != (size,):
        raise ValueError(f"sampler: must return shape ({size},), got {tuple(x.shape)}")
    return x.to(torch.float64)


def _bar(progress, total):
    show = progress if progress is not None else (total > PROGRESS_DRAWS and sys.stderr.isatty())
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="draw", unit_scale=True, leave=False)


def _check_level(level, name="level") -> float:
    return arg.probability(level, name, open_low=True, open_high=True)


def _expected(value) -> float:
    """The value tested against, as a float; inf or nan is a wrong answer, not a bad argument
    (a candidate may evaluate to it), but a non-number or an integer past float's range is."""
    if isinstance(value, bool | str | bytes | complex):
        raise TypeError(f"expected: a real number is required, got {arg.shown(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"expected: a real number within float64's range is required, got {arg.shown(value)}"
        ) from None
    except (TypeError, ValueError):
        raise TypeError(f"expected: a real number is required, got {arg.shown(value)}") from None
