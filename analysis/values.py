"""Numbers that enter an indicator or a survey statistic: refused with a message that names the
argument when they are missing, infinite, not numbers, or (for counts) negative."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd


def as_count(x, name: str) -> float:
    """A finite, non-negative number, or ValueError naming the argument."""
    if isinstance(x, bool) or x is None or x is pd.NA or not isinstance(x, Real | np.number):
        raise ValueError(f"{name} must be a number, got {x!r}")
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{name} is {x}: a missing or infinite count cannot enter an indicator")
    if x < 0:
        raise ValueError(f"{name} = {x:g} is negative; counts of employed persons or firms cannot be")
    return x


def as_number(x, name: str) -> float:
    """A finite number of either sign (printed rates, changes)."""
    if isinstance(x, bool) or x is None or x is pd.NA or not isinstance(x, Real | np.number):
        raise ValueError(f"{name} must be a number, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} is {x}: not a finite number")
    return x
