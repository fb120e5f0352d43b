"""Item response theory in plain numpy: the 2PL curve, information, expected scores, the
mean-square fit of items and true-score equating, for calibration, form assembly, scores on
one scale and the pages (docs/psychometrics.md).

Rasch is the 2PL with every discrimination 1. Pure functions of arrays; nothing here reads the
database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq


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


def true_score_theta(score: float, a, b, points=1.0) -> float | None:
    """The ability at which the form's test characteristic curve (expected score) equals
    `score`, for 0 < score < the form's maximum; None at or outside the ends, where the
    2PL curve (no guessing: lower asymptote 0, upper the maximum) reaches no finite ability."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    weights = np.broadcast_to(np.asarray(points, dtype=float), a.shape)
    maximum = float(weights.sum())
    if not 0.0 < score < maximum:
        return None

    def gap(theta: float) -> float:
        return float((probability([theta], a, b)[0] * weights).sum()) - score

    low, high = -8.0, 8.0
    while gap(low) > 0:  # the curve is increasing: widen until the root is bracketed
        low *= 2
    while gap(high) < 0:
        high *= 2
    return float(brentq(gap, low, high, xtol=1e-10))


def true_score_equate(score: float, form: tuple, reference: tuple) -> tuple[float, float | None]:
    """IRT true-score equating (Kolen & Brennan 2014, ch. 6): a score on `form` as the score on
    `reference` of the same ability. Each of `form` and `reference` is (a, b, points) of its
    scored items, on one calibrated scale. Returns (equated score, ability), the ability None at
    the ends: a 2PL form has no guessing, so its curve runs from 0 to the maximum and, as the
    method says for scores outside the curve's range, 0 maps to 0 and the maximum to the
    reference's maximum."""
    ref_a, ref_b, ref_points = reference
    ref_max = float(np.broadcast_to(np.asarray(ref_points, dtype=float), np.shape(ref_a)).sum())
    form_max = float(np.broadcast_to(np.asarray(form[2], dtype=float), np.shape(form[0])).sum())
    if score <= 0:
        return 0.0, None
    if score >= form_max:
        return ref_max, None
    theta = true_score_theta(score, *form)
    return expected_scores([theta], ref_a, ref_b, ref_points)[0], theta
