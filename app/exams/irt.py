"""Item response theory in plain numpy: the 2PL curve, information, expected scores and the
mean-square fit of items, for calibration, form assembly and the pages (docs/psychometrics.md).

Rasch is the 2PL with every discrimination 1. Pure functions of arrays; nothing here reads the
database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def probability(theta, a, b) -> np.ndarray:
    """P(right) for abilities `theta` (rows) and items (a, b) (columns)."""
    theta = np.atleast_1d(np.asarray(theta, dtype=float))[:, None]
    a = np.atleast_1d(np.asarray(a, dtype=float))[None, :]
    b = np.atleast_1d(np.asarray(b, dtype=float))[None, :]
    return 1.0 / (1.0 + np.exp(-a * (theta - b)))


def information(theta, a, b) -> np.ndarray:
    """Fisher information of each item at each ability: a² P (1 − P)."""
    p = probability(theta, a, b)
    return np.asarray(a, dtype=float)[None, :] ** 2 * p * (1.0 - p)


def expected_scores(thetas: Sequence[float], a, b, points=1.0) -> list[float]:
    """The expected score of a form (items a, b worth `points` each) at each ability."""
    p = probability(thetas, a, b)
    return [float(x) for x in (p * np.asarray(points, dtype=float)).sum(axis=1)]


def mean_square_fit(responses: np.ndarray, theta: np.ndarray, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Infit and outfit mean squares per item (columns of `responses`, NaN = not taken),
    given each candidate's ability. Both are about 1 when the item fits the model; above 1.3
    the item behaves more erratically than the model expects, below 0.7 too predictably."""
    p = probability(theta, a, b)
    variance = p * (1.0 - p)
    taken = ~np.isnan(responses)
    residual = np.where(taken, responses - p, 0.0)
    variance = np.where(taken, variance, 0.0)
    counts = taken.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = np.where(taken, residual**2 / np.where(variance > 0, variance, np.nan), 0.0)
        outfit = np.nansum(z2, axis=0) / counts
        infit = (residual**2).sum(axis=0) / variance.sum(axis=0)
    return infit, outfit
