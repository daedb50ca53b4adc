"""Special functions NumPy does not have: the error function (for the exact GELU)."""

from __future__ import annotations

import math

import numpy as np

from cnncalc.backends.numpy.im2col import Array

SERIES_BELOW = 2.5
"""Below this |x| erf is summed as a series of positive terms; from there on 1 − erfc by a
continued fraction, whose terms shrink fast for large x."""
SERIES_TERMS = 45
"""At |x| = 2.5 the 45th term is 10⁻¹⁹ of the sum."""
FRACTION_DEPTH = 60
"""Levels of erfc's continued fraction: at x = 2.5 it is then exact to double precision."""
ONE_FROM = 6.0
"""erf(6) = 1 − 2·10⁻¹⁷: 1 in double precision."""


def erf(x: Array) -> Array:
    """The error function ``2/√π ∫₀ˣ e^(−t²) dt``, to double precision, in ``x``'s dtype.

    For ``|x| < 2.5`` the series ``2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))`` (all terms
    positive, so nothing cancels); above, ``1 − erfc(x)`` with Laplace's continued fraction
    ``erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …))))``. Computed in float64.

    >>> erf(np.array([0.0, 0.5, -1.0, 3.0])).round(12).tolist()
    [0.0, 0.520499877813, -0.84270079295, 0.999977909503]
    """
    magnitude = np.abs(x).astype(np.float64)
    result = np.ones_like(magnitude)
    small = magnitude < SERIES_BELOW
    s = magnitude[small]
    term, total, ratio = s.copy(), s.copy(), 2 * s * s
    for n in range(1, SERIES_TERMS):
        term *= ratio / (2 * n + 1)
        total += term
    result[small] = 2 / math.sqrt(math.pi) * np.exp(-s * s) * total
    middle = ~small & (magnitude < ONE_FROM)
    m = magnitude[middle]
    fraction = m.copy()
    for level in range(FRACTION_DEPTH, 0, -1):
        fraction = m + (level / 2) / fraction
    result[middle] = 1 - np.exp(-m * m) / (math.sqrt(math.pi) * fraction)
    values: Array = (np.sign(x) * result).astype(x.dtype, copy=False)
    return values
