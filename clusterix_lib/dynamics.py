r"""Change between two periods: growth, entry and exit of specialisations, shift-share.

Every function compares a start and an end period: ``start=`` and ``end=`` name them (labels of
the ``time`` column), or, with neither, **every pair of consecutive periods** of the panel is
compared at once (vectorised; this is what EconGeo's ``entry_list``/``growth_list`` were meant to
do, and get wrong in v2.0 by reading global variables). Output rows carry ``start`` and ``end``.

Input and bad-input rules as in :mod:`clusterix_lib.specialisation`. **Missing values**
(``missing="omit"``): a cell missing in either period is left out of both (so that totals and
growth rates compare like with like); its own results are NaN, and aggregates carry
``n_missing``, the number of cells left out.

**Where we differ from EconGeo**: growth is a fraction, not a percentage; a growth from 0 is
NaN (EconGeo gives Inf, or 0 for 0/0); entry/exit are <NA> where they do not apply or where
the LQ is undefined, never 0.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib._panel import (
    Duplicates,
    Missing,
    Panel,
    _check_choice,
    _list,
    aux_array,
    prepare,
    safe_divide,
    to_nullable_int,
    warn,
    warn_aux_gaps,
)
from clusterix_lib.errors import DataFileError
from clusterix_lib.specialisation import _check_threshold, lq_arrays, reference_counts

__all__ = ["entry_exit", "growth", "shift_share"]

Level = Literal["cell", "loc", "prod", "total"]


def _pair_values(panel: Panel, start, end) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indices and values of the compared periods, with cells missing in either period as NaN in both."""
    i0, i1 = panel.pairs(start, end)
    x0, x1 = panel.x[i0], panel.x[i1]
    both = ~np.isnan(x0) & ~np.isnan(x1)
    return i0, i1, np.where(both, x0, np.nan), np.where(both, x1, np.nan), both


def _sum(x: np.ndarray, axis) -> np.ndarray:
    return np.nansum(x, axis=axis)


def _annual(panel: Panel, i0: np.ndarray, i1: np.ndarray, ratio: np.ndarray) -> np.ndarray | None:
    """Compound annual rate where the period labels are numbers (years), else None."""
    times = panel.cube.times
    if not pd.api.types.is_numeric_dtype(times.dtype):
        return None
    span = (times.to_numpy()[i1] - times.to_numpy()[i0]).astype(float)
    span = span.reshape((-1,) + (1,) * (ratio.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return ratio ** (1.0 / span) - 1.0


def growth(
    data: pd.DataFrame,
    *,
    time: str = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    start: object | None = None,
    end: object | None = None,
    level: Level = "cell",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Change and growth between two periods, per cell, location, sector or in total.

    .. math:: g = \frac{x^1 - x^0}{x^0}, \qquad g_{\text{annual}} = (x^1 / x^0)^{1/(t_1 - t_0)} - 1

    Parameters
    ----------
    start, end
        The periods compared; neither = every pair of consecutive periods.
    level
        ``"cell"`` (time pair, location, sector), ``"loc"`` (summed over sectors), ``"prod"``
        (summed over locations) or ``"total"``.

    Returns
    -------
    DataFrame
        ``start, end`` [, ``loc``] [, ``prod``], ``value_start``, ``value_end``, ``change``
        (:math:`x^1 - x^0`, always defined), ``growth`` (NaN where :math:`x^0 = 0`: a growth
        from nothing is undefined; ``change`` says how much appeared), ``annual_growth`` (when
        the periods are numbers, e.g. years) and, for aggregates, ``n_missing``.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2010, 2010, 2012, 2012], "geo": "A", "nace_r2": ["x", "y", "x", "y"],
    ...                    "value": [100, 0, 121, 5]})
    >>> growth(df).drop(columns=["start", "end", "geo"])
      nace_r2  value_start  value_end  change  growth  annual_growth
    0       x        100.0      121.0    21.0    0.21            0.1
    1       y          0.0        5.0     5.0     NaN            NaN
    """
    _check_choice("level", level, ("cell", "loc", "prod", "total"))
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    i0, i1, x0, x1, both = _pair_values(panel, start, end)
    axes = {"cell": "lp", "loc": "l", "prod": "p", "total": ""}[level]
    extra = {}
    if level != "cell":
        sum_axes = tuple(ax for ax, keep in ((1, "l" in axes), (2, "p" in axes)) if not keep)
        extra["n_missing"] = (~both).sum(axis=sum_axes)
        x0, x1 = _sum(x0, sum_axes), _sum(x1, sum_axes)
    ratio = safe_divide(x1, x0)
    cols = {"value_start": x0, "value_end": x1, "change": x1 - x0, "growth": ratio - 1.0}
    annual = _annual(panel, i0, i1, ratio)
    if annual is not None:
        cols["annual_growth"] = annual
    return panel.long_pairs(i0, i1, axes, **cols, **extra)


def entry_exit(
    data: pd.DataFrame,
    *,
    time: str = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    start: object | None = None,
    end: object | None = None,
    threshold: float = 1.0,
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Entry into and exit from specialisation between two periods (binary RCA, the ≥ rule).

    With :math:`M = 1[LQ \ge \text{threshold}]` computed in each period on its own (reference
    as in :func:`clusterix_lib.specialisation.location_quotient`):

    - ``entry`` = :math:`M^1` where :math:`M^0 = 0` (1 = the location became specialised), <NA>
      where :math:`M^0 = 1` (it cannot enter what it holds);
    - ``exit`` = :math:`1 - M^1` where :math:`M^0 = 1`, <NA> where :math:`M^0 = 0`;
    - both <NA> where the LQ of either period is undefined (NaN).

    Returns
    -------
    DataFrame
        ``start, end, loc, prod, lq_start, lq_end, entry, exit`` (nullable integers).

    Examples
    --------
    >>> df = pd.DataFrame({"year": [1, 1, 1, 1, 2, 2, 2, 2], "geo": ["A", "A", "B", "B"] * 2,
    ...                    "nace_r2": ["x", "y"] * 4, "value": [3, 1, 1, 3, 1, 3, 3, 3]})
    >>> entry_exit(df)[["geo", "nace_r2", "entry", "exit"]]
      geo nace_r2  entry  exit
    0   A       x   <NA>     1
    1   A       y      1  <NA>
    2   B       x      1  <NA>
    3   B       y   <NA>     1
    """
    _check_threshold(threshold)
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    i0, i1 = panel.pairs(start, end)
    ref = reference_counts(panel, reference, value=value)
    panel.warn_empty(sectors=reference is None)
    lq = lq_arrays(panel, ref)[3]
    lq0, lq1 = lq[i0], lq[i1]
    defined = ~np.isnan(lq0) & ~np.isnan(lq1)
    m0, m1 = lq0 >= threshold, lq1 >= threshold
    entry = np.where(defined & ~m0, m1, np.nan)
    exit_ = np.where(defined & m0, ~m1, np.nan)
    out = panel.long_pairs(i0, i1, "lp", lq_start=lq0, lq_end=lq1, entry=entry, exit=exit_)
    return to_nullable_int(out, ["entry", "exit"])


def shift_share(
    data: pd.DataFrame,
    *,
    time: str = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    start: object | None = None,
    end: object | None = None,
    method: Literal["classic", "esteban_marquillas"] = "classic",
    reference: pd.DataFrame | None = None,
    level: Literal["cell", "loc"] = "cell",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Shift-share decomposition of each cell's change between two periods.

    With :math:`E^0, E^1` the cell's values, :math:`g_{ri} = E^1/E^0 - 1` its growth, :math:`g_i`
    the reference growth of the sector and :math:`g_N` that of the reference total:

    **classic** (Dunn 1960):

    .. math::

        \Delta E_{ri} = \underbrace{E^0 g_N}_{\text{national share}}
        + \underbrace{E^0 (g_i - g_N)}_{\text{industry mix}}
        + \underbrace{E^0 (g_{ri} - g_i)}_{\text{regional shift}}

    **Esteban--Marquillas** (1972) splits the regional shift with the homothetic value
    :math:`\hat E^0_{ri} = E^0_{r\cdot} X^0_i / X^0` (the cell's value if the location had the
    reference's sector structure):

    .. math::

        E^0 (g_{ri} - g_i) = \underbrace{\hat E^0 (g_{ri} - g_i)}_{\text{competitive effect}}
        + \underbrace{(E^0 - \hat E^0)(g_{ri} - g_i)}_{\text{allocation effect}}

    The components add up to the actual change. The reference is, by default, the input's
    total over locations (cells present in both periods); ``reference=`` takes a long table of
    reference counts with the ``time``, ``prod`` and ``value`` columns (e.g. the EU): its
    sectors give :math:`g_i`, and the sum of all its rows :math:`g_N` (so it may hold sectors the
    input lacks, e.g. the whole economy while the input holds manufacturing).

    **Cells that start at 0** (:math:`g_{ri}` undefined): the national share and industry mix
    are 0 and the classic regional shift is the whole change. In Esteban--Marquillas the
    competitive and allocation effects are 0 if the cell stays at 0, and NaN if it grows from 0
    (the split is undefined; a warning counts these cells).

    Parameters
    ----------
    method
        ``"classic"`` or ``"esteban_marquillas"``.
    level
        ``"cell"`` or ``"loc"`` (components summed over sectors; NaN if any of its cells is NaN).

    Returns
    -------
    DataFrame
        ``start, end, loc`` [, ``prod``], ``value_start, value_end, change, national_share,
        industry_mix`` and ``regional_shift`` (classic) or ``homothetic_start,
        competitive_effect, allocation_effect`` (Esteban--Marquillas); per cell also the rates
        ``national_growth``, ``sector_growth``, ``local_growth``; per location ``n_missing``.

    Examples
    --------
    indicators.md §9 B4: :math:`E^0 = 100, E^1 = 120, g_N = 5\%, g_i = 10\%, g_{ri} = 20\%`:

    >>> df = pd.DataFrame({"year": [0, 1], "geo": "r", "nace_r2": "i", "value": [100, 120]})
    >>> ref = pd.DataFrame({"year": [0, 0, 1, 1], "nace_r2": ["i", "other"] * 2, "value": [200, 800, 220, 830]})
    >>> shift_share(df, reference=ref)[["change", "national_share", "industry_mix", "regional_shift"]].round(10)
       change  national_share  industry_mix  regional_shift
    0    20.0             5.0           5.0            10.0
    """
    _check_choice("method", method, ("classic", "esteban_marquillas"))
    _check_choice("level", level, ("cell", "loc"))
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    i0, i1, x0, x1, both = _pair_values(panel, start, end)
    if reference is None:
        panel.warn_single(sectors=False)
        r0, r1 = _sum(x0, 1), _sum(x1, 1)
    else:
        if isinstance(reference, pd.DataFrame) and time not in reference.columns:
            raise DataFileError(
                f"the reference table needs the {time!r} column: shift-share compares its periods",
                where="the reference table",
                hint="give the reference counts of both periods",
            )
        ref = aux_array(panel, reference, axis="prod", value=value, what="the reference table")
        warn_aux_gaps(panel, ref, axis="prod", what="the reference table")
        r0, r1 = ref[i0], ref[i1]
        # the national rate is the whole reference economy's, all its sectors included
        totals = (
            pd.to_numeric(reference[value]).groupby(reference[time]).sum().reindex(panel.cube.times).to_numpy(float)
        )
        n0, n1 = totals[i0], totals[i1]
    if reference is None:
        n0, n1 = np.nansum(r0, axis=1), np.nansum(r1, axis=1)
    g_n = safe_divide(n1 - n0, n0)[:, None, None]
    g_i = safe_divide(r1 - r0, r0)[:, None, :]
    change = x1 - x0
    zero = x0 == 0
    g_ri = safe_divide(x1, x0) - 1.0
    ns = x0 * g_n
    im = np.where(zero, 0.0, x0 * (g_i - g_n))
    cols = {"value_start": x0, "value_end": x1, "change": change, "national_share": ns, "industry_mix": im}
    if method == "classic":
        cols["regional_shift"] = np.where(zero, change, x0 * (g_ri - g_i))
    else:
        ref_share = safe_divide(r0, np.nansum(r0, axis=1, keepdims=True))[:, None, :]
        homothetic = _sum(x0, 2)[:, :, None] * ref_share
        homothetic = np.where(np.isnan(x0), np.nan, homothetic)
        diff = np.where(zero, 0.0, g_ri - g_i)
        undefined = zero & (change != 0)
        if undefined.any():
            _, l_, p = np.nonzero(undefined)
            cells = [f"{panel.cube.locs[b]}/{panel.cube.prods[c]}" for b, c in zip(l_[:8], p[:8], strict=True)]
            warn(
                f"{panel.source}: {int(undefined.sum())} cell(s) grow from 0, where the Esteban-Marquillas split "
                f"is undefined: competitive and allocation effects NaN there: {_list(cells)}"
            )
        cols["homothetic_start"] = homothetic
        cols["competitive_effect"] = np.where(undefined, np.nan, homothetic * diff)
        cols["allocation_effect"] = np.where(undefined, np.nan, (x0 - homothetic) * diff)
    if level == "cell":
        shape = x0.shape
        cols["national_growth"] = np.broadcast_to(g_n, shape)
        cols["sector_growth"] = np.broadcast_to(g_i, shape)
        cols["local_growth"] = np.where(zero, np.nan, g_ri)
        return panel.long_pairs(i0, i1, "lp", **cols)
    agg = {}
    for name, arr in cols.items():
        kept = np.where(both, arr, 0.0)  # cells missing in a period are out of both
        agg[name] = np.where(np.isnan(kept).any(axis=2), np.nan, kept.sum(axis=2))
    agg["n_missing"] = (~both).sum(axis=2)
    return panel.long_pairs(i0, i1, "l", **agg)
