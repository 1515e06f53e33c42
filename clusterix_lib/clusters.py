r"""Cluster mapping: European Cluster Observatory star rating and strong-cluster flags.

The European Cluster Observatory (2007--2014; ``../shared/docs/indicators.md`` §5.1) gave each
regional cluster -- a region *r* and a cluster category or sector *c* -- up to three stars:

- **size**: the region's share of the sector's European employment, :math:`E_{rc} / E_c`, is in
  the top 10 % of the regions with that sector (same ranking as employment itself);
- **specialisation**: the location quotient :math:`LQ_{rc} = (E_{rc}/E_r)/(E_c/E) \ge 2`;
- **focus**: the sector's share of the region's employment, :math:`E_{rc} / E_r`, is in the top
  10 % -- of the regions with that sector (``focus_pool="sector"``, default) or of all
  region--sector cells (``"all"``); the published texts leave the pool open.

Each criterion is configurable: a number is a minimum (``specialisation=2.0``: LQ ≥ 2), and
:class:`Top` a top share of the ranking pool (``Top(0.10)``: at or above the pool's 90th
percentile, numpy's linear interpolation unless ``Top(method=...)``). The pool is the cells
with a positive value (a region without the sector has no cluster in it); a cell with value 0
gets no star. ``strong`` flags cells with at least ``strong_stars`` stars (default 2).

Input, reference and bad-input rules as in :mod:`clusterix_lib.specialisation` (the reference
sets :math:`E_c` and :math:`E` of size and LQ; by default the input's total). Our employment
extract is by NACE division, not by the ECO's cluster categories (built from 4-digit NACE):
the stars here rate region--division cells unless the input holds cluster categories.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib._panel import Duplicates, Missing, _check_choice, prepare, safe_divide, to_nullable_int
from clusterix_lib.errors import ParameterError
from clusterix_lib.specialisation import lq_arrays, reference_counts

__all__ = ["Top", "cluster_stars"]


@dataclass(frozen=True)
class Top:
    """A star for the top ``share`` of the ranking pool: value ≥ its ``1 - share`` quantile.

    ``method`` is passed to :func:`numpy.nanquantile` (``"linear"``, ``"higher"``, ...).
    """

    share: float = 0.10
    method: str = "linear"

    def __post_init__(self):
        if not (0 < self.share <= 1):
            raise ParameterError(f"Top(share={self.share!r}): the share must be in (0, 1]", where="Top")


Criterion = float | Top


def _star(values: np.ndarray, positive: np.ndarray, rule: Criterion, name: str, pool_axes: tuple[int, ...]):
    """1/0 where ``values`` meets ``rule`` (NaN where ``values`` is NaN); pool = positive cells."""
    if isinstance(rule, Top):
        pool = np.where(positive, values, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a sector without positive cells has no cut-off
            cut = np.nanquantile(pool, 1 - rule.share, axis=pool_axes, keepdims=True, method=rule.method)
    elif isinstance(rule, numbers.Real) and not isinstance(rule, bool) and np.isfinite(rule):
        cut = float(rule)
    else:
        raise ParameterError(f"{name}={rule!r}: give a minimum (a number) or Top(share)", where=f"parameter {name}")
    with np.errstate(invalid="ignore"):
        star = positive & (values >= cut)
    return np.where(np.isnan(values), np.nan, star)


def cluster_stars(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    size: Criterion = Top(0.10),
    specialisation: Criterion = 2.0,
    focus: Criterion = Top(0.10),
    focus_pool: Literal["sector", "all"] = "sector",
    strong_stars: int = 2,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""European Cluster Observatory stars (size, specialisation, focus) of every region--sector cell.

    Parameters
    ----------
    size, specialisation, focus
        The rule of each star: a minimum (``2.0``) or :class:`Top` (``Top(0.10)``). Size is
        ranked among the regions of the same sector (and a minimum is a share, e.g. ``0.05``).
    focus_pool
        Rank focus among the regions of the same sector (``"sector"``) or among all cells
        (``"all"``), period by period.
    strong_stars
        Minimum number of stars of a strong cluster.

    Returns
    -------
    DataFrame
        One row per (time, location, sector): ``value``, ``size`` (:math:`E_{rc}/E_c`), ``lq``,
        ``focus`` (:math:`E_{rc}/E_r`), ``star_size``, ``star_specialisation``, ``star_focus``
        (0/1), ``stars`` (0--3) and ``strong`` (boolean); <NA> where a measure is undefined (a
        left-out cell, a zero total).

    Examples
    --------
    Matrix E1 (indicators.md §9 B11): R4-I5 has LQ 2.0 -- a specialisation star under ≥ 2:

    >>> m = {"R1": [100, 0, 0, 0, 0], "R2": [0, 15, 5, 70, 10], "R3": [0, 20, 10, 20, 50],
    ...      "R4": [0, 25, 30, 5, 40], "R5": [0, 40, 55, 5, 0]}
    >>> df = pd.DataFrame([(r, f"I{i + 1}", v) for r, row in m.items() for i, v in enumerate(row)],
    ...                   columns=["geo", "nace_r2", "value"])
    >>> stars = cluster_stars(df, time=None)
    >>> stars[stars["stars"] > 0][["geo", "nace_r2", "lq", "stars", "strong"]]
       geo nace_r2    lq  stars  strong
    0   R1      I1  5.00      3    True
    8   R2      I4  3.50      3    True
    14  R3      I5  2.50      3    True
    19  R4      I5  2.00      1   False
    21  R5      I2  2.00      3    True
    22  R5      I3  2.75      3    True
    """
    _check_choice("focus_pool", focus_pool, ("sector", "all"))
    if not isinstance(strong_stars, int | np.integer) or not 1 <= strong_stars <= 3:
        raise ParameterError(f"strong_stars={strong_stars!r} must be 1, 2 or 3", where="parameter strong_stars")
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    ref = reference_counts(panel, reference, value=value)
    panel.warn_empty(sectors=reference is None)
    focus_share, _, _, lq = lq_arrays(panel, ref)
    size_share = safe_divide(panel.x, ref[:, None, :])
    positive = panel.filled > 0
    star_size = _star(size_share, positive, size, "size", (1,))
    star_spec = _star(lq, positive, specialisation, "specialisation", (1,))
    star_focus = _star(focus_share, positive, focus, "focus", (1,) if focus_pool == "sector" else (1, 2))
    stars = star_size + star_spec + star_focus
    out = panel.long(
        **{value: panel.x},
        size=size_share,
        lq=lq,
        focus=focus_share,
        star_size=star_size,
        star_specialisation=star_spec,
        star_focus=star_focus,
        stars=stars,
    )
    out = to_nullable_int(out, ["star_size", "star_specialisation", "star_focus", "stars"])
    out["strong"] = (out["stars"] >= strong_stars).astype("boolean")
    return out
