"""A task's period volume as a random variable (README "Uncertainty").

``N = V x R`` where ``V`` is the planned volume (the workload's ``volume`` or its
``mean``) and ``R`` the relative volume, mean 1 (two-piece: see below):

* ``fixed``: ``R = 1`` (a plain number in the workload);
* ``normal``: ``R ~ Normal(1, cv^2)``; from ``cv``, or from ``p05``/``p95`` symmetric about
  the mean: ``cv = (p95 - p05) / (2 z95 V)`` with ``z95 = Phi^-1(0.95)``;
* ``poisson``: ``Var N = V``, taken as ``Normal(V, V)`` (the normal approximation of the
  Poisson law: its quantiles are within one query of the exact ones for ``V`` >= 100);
* ``two_piece``: ``p05``/``p95`` not symmetric about the mean: Fechner's two-piece
  normal with mode ``m``, left scale ``s1`` and right scale ``s2`` (density
  ``2 / (sqrt(2 pi) (s1 + s2)) exp(-(x - m)^2 / (2 s^2))``, ``s = s1`` left of ``m``, ``s2``
  right), fitted so that its mean is ``V`` and its 5% / 95% quantiles are ``p05`` / ``p95``.
  Its mean is ``m + sqrt(2/pi) (s2 - s1)``; its CDF is ``2 a Phi((x - m)/s1)`` left of ``m``
  and ``1 - 2 (1 - a) (1 - Phi((x - m)/s2))`` right of it, ``a = s1 / (s1 + s2)``.
  The ratio ``r = s2 / s1`` is found by bisection (the fitted position of the mean between
  the quantiles is monotone in ``r``); ranges too skewed for it are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

_N = NormalDist()
Z95 = _N.inv_cdf(0.95)
_SQRT_2_PI = math.sqrt(2 / math.pi)
_R_LO, _R_HI = 1 / 18.9, 18.9  # the two-piece fit exists for 1/19 < r < 19


@dataclass(frozen=True)
class VolumeSpread:
    """``kind`` in fixed | normal | poisson | two_piece; figures relative to the mean.

    normal/poisson: ``sd`` (of ``R``). two_piece: ``mode``, ``s1``, ``s2`` (of ``R``).
    ``stated``: the workload's own words, for reports (e.g. ``p05 110000, p95 180000``).
    """

    kind: str
    sd: float = 0.0
    mode: float = 1.0
    s1: float = 0.0
    s2: float = 0.0
    stated: str = ""

    @property
    def variance(self) -> float:
        """``Var R``: ``sd^2``, or the two-piece's ``(1 - 2/pi)(s2 - s1)^2 + s1 s2``."""
        if self.kind == "two_piece":
            return (1 - 2 / math.pi) * (self.s2 - self.s1) ** 2 + self.s1 * self.s2
        return self.sd**2

    @property
    def symmetric(self) -> bool:
        return self.kind != "two_piece"

    def ppf(self, u: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Quantiles of ``R`` at probabilities ``u`` (``0 < u < 1``)."""
        if self.kind == "two_piece":
            a = self.s1 / (self.s1 + self.s2)
            inv = np.vectorize(_N.inv_cdf, otypes=[float])
            left = u < a
            q = np.where(left, u / (2 * a), 1 - (1 - u) / (2 * (1 - a)))
            z = inv(np.clip(q, 1e-300, 1 - 1e-16))
            return np.asarray(self.mode + np.where(left, self.s1, self.s2) * z, dtype=float)
        zs = np.vectorize(_N.inv_cdf, otypes=[float])(u)
        return np.asarray(1 + self.sd * zs, dtype=float)


FIXED = VolumeSpread("fixed")


def _two_piece_shape(r: float) -> tuple[float, float, float]:
    """(q05, q95, mean) of the two-piece normal with mode 0, s1 = 1, s2 = r."""
    a = 1 / (1 + r)
    q05 = _N.inv_cdf(0.05 / (2 * a))
    q95 = r * _N.inv_cdf(1 - 0.05 / (2 * (1 - a)))
    return q05, q95, _SQRT_2_PI * (r - 1)


def fit_two_piece(mean: int, p05: int, p95: int) -> VolumeSpread | None:
    """The two-piece normal (relative to ``mean``) with these mean and quantiles, or None.

    None: the range is too skewed about the mean for any two-piece normal.
    """
    target = (mean - p05) / (p95 - p05)

    def position(r: float) -> float:
        q05, q95, m = _two_piece_shape(r)
        return (m - q05) / (q95 - q05)

    lo, hi = math.log(_R_LO), math.log(_R_HI)
    f_lo, f_hi = position(math.exp(lo)), position(math.exp(hi))
    if not min(f_lo, f_hi) < target < max(f_lo, f_hi):
        return None
    rising = f_hi > f_lo
    for _ in range(200):  # bisection in log r: deterministic, to float precision
        mid = (lo + hi) / 2
        if (position(math.exp(mid)) < target) == rising:
            lo = mid
        else:
            hi = mid
    r = math.exp((lo + hi) / 2)
    q05, q95, _m = _two_piece_shape(r)
    s1 = (p95 - p05) / (q95 - q05) / mean
    return VolumeSpread(
        "two_piece", mode=p05 / mean - s1 * q05, s1=s1, s2=r * s1,
        stated=f"p05 {p05:,}, p95 {p95:,}",
    )  # fmt: skip


def spread_of(
    mean: int, *, p05: int | None = None, p95: int | None = None,
    cv: float | None = None, poisson: bool = False,
) -> VolumeSpread | None:
    """The spread of a volume as the workload states it (None: too skewed to fit)."""
    if mean == 0:
        return FIXED
    if poisson:
        return VolumeSpread("poisson", sd=1 / math.sqrt(mean), stated="Poisson")
    if cv is not None:
        return VolumeSpread("normal", sd=cv, stated=f"cv {cv:g}")
    if p05 is None or p95 is None or p05 == p95:
        return FIXED
    if p95 - mean == mean - p05:
        sd = (p95 - p05) / (2 * Z95 * mean)
        return VolumeSpread("normal", sd=sd, stated=f"p05 {p05:,}, p95 {p95:,}")
    return fit_two_piece(mean, p05, p95)
