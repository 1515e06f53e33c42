r"""Composite indicators: treatment, normalisation, weighting, aggregation, audit and uncertainty.

The steps of the JRC/OECD *Handbook on constructing composite indicators* (2008) with the
semantics of COINr (Becker, JRC), re-implemented on numpy arrays:

====================  ===============================================================================
step                  functions
====================  ===============================================================================
denominate            :func:`denominate` (x / d * scale; a zero or missing denominator is refused or
                      turned into a missing value with a warning naming the cells)
impute                :func:`impute_mean`, :func:`impute_median` (optionally within groups),
                      :func:`impute_panel` (latest / constant / linear over time)
treat outliers        :func:`skewness`, :func:`kurtosis`, :func:`passes_skew_kurt`, :func:`winsorise`,
                      :func:`log_ct`, :func:`treat` (winsorise, else log, by the skew-kurtosis rule)
normalise             :func:`minmax`, :func:`zscore`, :func:`percentile_rank`, :func:`rank`,
                      :func:`goalposts`, :func:`distance_to_target`, :func:`distance_to_max`,
                      :func:`distance_to_reference`, :func:`fraction_of_max`, :func:`normalise`
weight                :func:`effective_weights`, :func:`noisy_weights`
aggregate             :func:`arithmetic_mean`, :func:`geometric_mean`, :func:`harmonic_mean`,
                      :func:`generalised_mean`, :func:`aggregate`, :func:`outranking_matrix`,
                      :func:`copeland`, :func:`rescale_positive` (makes geometric means safe)
audit                 :func:`cronbach_alpha`, :func:`correlation_audit`
pipeline              :class:`CompositeSpec`, :func:`build_index` (long table in, long tables out,
                      every treatment listed in ``result.log``)
uncertainty           :func:`monte_carlo` (weights, normalisation and aggregation drawn at random;
                      rank intervals, mean rank shift), :func:`saltelli_sample`,
                      :func:`sobol_indices`, :func:`sensitivity` (first- and total-order indices)
====================  ===============================================================================

Array conventions: in the array functions units (regions) run along axis 0 and indicators
along axis 1 (a 1-D array is one indicator); aggregation runs along the last axis, so a stack of
Monte Carlo draws ``(draws, units, indicators)`` is aggregated in one call. Missing values are
``NaN`` and are skipped, never read as zero.

Direction: an indicator with direction -1 (lower is better) is multiplied by -1 before
normalising (COINr's rule); :func:`goalposts` and :func:`distance_to_target` take the direction
themselves.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from clusterix_lib.errors import ClusterixError, DataFileError, ParameterError

__all__ = [
    "AGGREGATIONS",
    "NORMALISATIONS",
    "CompositeResult",
    "CompositeSpec",
    "CompositeWarning",
    "MonteCarloResult",
    "SensitivityResult",
    "aggregate",
    "arithmetic_mean",
    "build_index",
    "copeland",
    "correlation_audit",
    "cronbach_alpha",
    "denominate",
    "distance_to_max",
    "distance_to_reference",
    "distance_to_target",
    "effective_weights",
    "fraction_of_max",
    "generalised_mean",
    "geometric_mean",
    "goalposts",
    "harmonic_mean",
    "impute_mean",
    "impute_median",
    "impute_panel",
    "kurtosis",
    "log_ct",
    "minmax",
    "monte_carlo",
    "noisy_weights",
    "normalise",
    "outranking_matrix",
    "passes_skew_kurt",
    "percentile_rank",
    "rank",
    "rank_desc",
    "rescale_positive",
    "saltelli_sample",
    "sensitivity",
    "skewness",
    "sobol_indices",
    "treat",
    "winsorise",
    "zscore",
]


class CompositeWarning(UserWarning):
    """A documented rule was applied to the data (imputation, zero denominator, constant indicator...)."""


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ----------------------------------------------------------------------------------------------
# Denominators
# ----------------------------------------------------------------------------------------------


def denominate(
    x: Any,
    denominator: Any,
    *,
    scale: float = 1.0,
    on_zero: Literal["raise", "missing"] = "raise",
    labels: Sequence[str] | None = None,
) -> np.ndarray:
    r"""Divide by a denominator (per capita, per GDP, per employee): :math:`x / d \cdot s`.

    A zero, negative or missing denominator never gives a number: ``on_zero="raise"`` raises a
    :class:`~clusterix_lib.errors.ClusterixError` naming the cells, ``"missing"`` returns NaN
    there and warns (:class:`CompositeWarning`) with the cells touched. ``labels`` names the
    units (rows) in those messages.

    Examples
    --------
    >>> denominate([10, 30], [2, 3], scale=100).tolist()
    [500.0, 1000.0]
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     denominate([1, 2], [0, 4], on_zero="missing", labels=["AT12", "CZ08"]).tolist()
    [nan, 0.5]
    """
    x = _arr(x)
    d = _arr(denominator)
    bad = ~(d > 0) & ~np.isnan(x)
    if bad.any():
        idx = np.argwhere(bad)
        names = [labels[i[0]] if labels is not None else str(tuple(int(j) for j in i)) for i in idx[:10]]
        vals = [d[tuple(i)] if d.ndim else float(d) for i in idx[:10]]
        where = ", ".join(f"{n} (denominator {v:g})" for n, v in zip(names, vals, strict=True))
        if len(idx) > 10:
            where += f" and {len(idx) - 10} more"
        if on_zero == "raise":
            raise ClusterixError(
                f"{len(idx)} value(s) have a zero, negative or missing denominator",
                where=where,
                hint="supply the denominator for these units, or pass on_zero='missing' to leave them out",
            )
        if on_zero != "missing":
            raise ParameterError(f"on_zero must be 'raise' or 'missing', not {on_zero!r}")
        warnings.warn(f"denominator zero, negative or missing: set to missing for {where}", CompositeWarning, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, x / np.where(d > 0, d, 1.0), np.nan) * scale
    return out


# ----------------------------------------------------------------------------------------------
# Imputation
# ----------------------------------------------------------------------------------------------


def _impute_stat(x: Any, stat: Callable, groups: Any | None) -> np.ndarray:
    x = _arr(x)
    one_d = x.ndim == 1
    frame = pd.DataFrame(x[:, None] if one_d else x)
    if groups is None:
        filled = frame.fillna(frame.apply(stat))
    else:
        g = pd.Series(np.asarray(groups), index=frame.index)
        filled = frame.fillna(frame.groupby(g).transform(stat))
    out = filled.to_numpy(dtype=float)
    return out[:, 0] if one_d else out


def impute_mean(x: Any, groups: Any | None = None) -> np.ndarray:
    r"""Replace missing values by the column mean (within ``groups`` if given).

    :math:`\hat x_{ij} = \bar x_{\cdot j}` over the observed units (of the unit's group). A group
    without any observed value stays missing.

    Examples
    --------
    >>> impute_mean([1, None, 3]).tolist()
    [1.0, 2.0, 3.0]
    >>> impute_mean([1, None, 3, 10, None, None], groups=list("aaabcc")).tolist()
    [1.0, 2.0, 3.0, 10.0, nan, nan]
    """
    return _impute_stat(x, "mean", groups)


def impute_median(x: Any, groups: Any | None = None) -> np.ndarray:
    """Replace missing values by the column median (within ``groups`` if given).

    Examples
    --------
    >>> impute_median([1, None, 3, 10]).tolist()
    [1.0, 3.0, 3.0, 10.0]
    """
    return _impute_stat(x, "median", groups)


PanelMethod = Literal["latest", "constant", "linear"]


def impute_panel(
    data: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "time",
    value: str = "value",
    by: Sequence[str] = (),
    method: PanelMethod = "latest",
    max_time: int | None = None,
) -> pd.DataFrame:
    """Fill gaps in time series from the same unit's other years.

    ``method``:

    * ``"latest"``: the last observed value (last observation carried forward), at most
      ``max_time`` time steps old; years before the first observation stay missing. This is the
      EIS rule "missing values are imputed with the latest available year".
    * ``"constant"``: a step function through the observations (the previous observed value),
      and the nearest observed value before the first and after the last observation.
    * ``"linear"``: linear interpolation between observations (by the value of ``time``), the
      nearest observed value outside them.

    Every (unit, by) series is filled on the times present in ``data`` (add rows with missing
    values for years you want filled). Returns a copy with the columns ``imputed`` (bool) and
    ``source_time`` (the time the value comes from; for interpolated values the time itself).

    Examples
    --------
    >>> d = pd.DataFrame({"unit": "A", "time": [2020, 2021, 2022], "value": [3, None, 5]})
    >>> impute_panel(d, method="linear")["value"].tolist()
    [3.0, 4.0, 5.0]
    >>> impute_panel(d, method="constant")["value"].tolist()
    [3.0, 3.0, 5.0]
    """
    if method not in ("latest", "constant", "linear"):
        raise ParameterError(f"unknown panel imputation {method!r}", hint="use 'latest', 'constant' or 'linear'")
    keys = [unit, *by]
    missing = [c for c in [*keys, time, value] if c not in data.columns]
    if missing:
        raise ParameterError(f"impute_panel: the data lack the column(s) {', '.join(missing)}")
    if data.duplicated([*keys, time]).any():
        dup = data[data.duplicated([*keys, time], keep=False)].iloc[0]
        raise ParameterError(
            "impute_panel: the same unit and time appear twice",
            where=", ".join(f"{k}={dup[k]!r}" for k in [*keys, time]),
            hint="aggregate or drop duplicate rows first",
        )
    wide = data.pivot_table(index=keys, columns=time, values=value, aggfunc="first", dropna=False)
    wide = wide.reindex(columns=sorted(data[time].unique()))
    times = wide.columns.to_numpy(dtype=float)
    v = wide.to_numpy(dtype=float)
    obs = ~np.isnan(v)
    tgrid = np.broadcast_to(times, v.shape)
    # time of the last observation at or before each cell, and of the first at or after it
    last_t = pd.DataFrame(np.where(obs, tgrid, np.nan)).ffill(axis=1).to_numpy()
    last_v = pd.DataFrame(v).ffill(axis=1).to_numpy()
    next_t = pd.DataFrame(np.where(obs, tgrid, np.nan)).bfill(axis=1).to_numpy()
    next_v = pd.DataFrame(v).bfill(axis=1).to_numpy()
    src = np.where(obs, tgrid, np.nan)
    if method == "latest":
        ok = ~np.isnan(last_t)
        if max_time is not None:
            ok &= (tgrid - last_t) <= max_time
        filled = np.where(obs, v, np.where(ok, last_v, np.nan))
        src = np.where(obs, tgrid, np.where(ok, last_t, np.nan))
    else:
        inside = ~np.isnan(last_t) & ~np.isnan(next_t)
        if method == "constant":
            between = last_v
            src_between = last_t
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(next_t > last_t, (tgrid - last_t) / (next_t - last_t), 0.0)
            between = last_v + frac * (next_v - last_v)
            src_between = tgrid
        before = np.isnan(last_t) & ~np.isnan(next_t)
        after = ~np.isnan(last_t) & np.isnan(next_t)
        filled = np.select([obs, inside, before, after], [v, between, next_v, last_v], np.nan)
        src = np.select([obs, inside, before, after], [tgrid, src_between, next_t, last_t], np.nan)
        if max_time is not None:
            gap = np.select([before, after], [next_t - tgrid, tgrid - last_t], 0.0)
            too_far = ~obs & (gap > max_time)
            filled[too_far] = np.nan
            src[too_far] = np.nan
    out_wide = pd.DataFrame(filled, index=wide.index, columns=wide.columns)
    src_wide = pd.DataFrame(src, index=wide.index, columns=wide.columns)
    long = out_wide.stack(future_stack=True).rename("_filled").to_frame()
    long["source_time"] = src_wide.stack(future_stack=True)
    long = long.reset_index()
    out = data.merge(long, on=[*keys, time], how="left")
    out["imputed"] = out[value].isna() & out["_filled"].notna()
    out[value] = out["_filled"]
    return out.drop(columns="_filled")


# ----------------------------------------------------------------------------------------------
# Outlier treatment
# ----------------------------------------------------------------------------------------------


def _moments(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = np.sum(~np.isnan(x), axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=axis, keepdims=True)
        d = x - mean
        m2 = np.nansum(d**2, axis=axis) / n
        m3 = np.nansum(d**3, axis=axis) / n
        m4 = np.nansum(d**4, axis=axis) / n
    return n, m2, m3, m4


def skewness(x: Any, axis: int = 0) -> np.ndarray:
    r"""Sample skewness as Excel's ``SKEW`` (adjusted Fisher--Pearson), missing values skipped.

    :math:`G_1 = \frac{\sqrt{n(n-1)}}{n-2} \, \frac{m_3}{m_2^{3/2}}` with :math:`m_k` the
    k-th central moment (divisor n). NaN for fewer than 3 values or a constant column.

    Examples
    --------
    >>> round(float(skewness([*range(1, 11), 100])), 3)
    3.256
    """
    x = _arr(x)
    n, m2, m3, _ = _moments(x, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = m3 / m2**1.5
        out = np.sqrt(n * (n - 1.0)) / (n - 2.0) * g1
    return np.where((n >= 3) & (m2 > 0), out, np.nan)


def kurtosis(x: Any, axis: int = 0) -> np.ndarray:
    r"""Sample excess kurtosis as Excel's ``KURT`` (type 2), missing values skipped.

    :math:`G_2 = \frac{n-1}{(n-2)(n-3)} \left((n+1) g_2 + 6\right)`, :math:`g_2 = m_4 / m_2^2 - 3`.
    NaN for fewer than 4 values or a constant column.

    Examples
    --------
    >>> round(float(kurtosis([*range(1, 11), 100])), 3)
    10.707
    """
    x = _arr(x)
    n, m2, _, m4 = _moments(x, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        g2 = m4 / m2**2 - 3.0
        out = (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * g2 + 6.0)
    return np.where((n >= 4) & (m2 > 0), out, np.nan)


def passes_skew_kurt(x: Any, skew_thresh: float = 2.0, kurt_thresh: float = 3.5, axis: int = 0) -> np.ndarray:
    r"""The skew-kurtosis rule: an indicator *fails* only if :math:`|G_1| \ge` ``skew_thresh`` **and**
    :math:`G_2 \ge` ``kurt_thresh`` (equivalently, it passes if either is below its threshold).

    COINr's code default is 2 for skewness (its documentation says 2.25) and 3.5 for kurtosis.
    A column whose moments are undefined (too few values, constant) passes: there is nothing to
    treat.

    Examples
    --------
    >>> passes_skew_kurt([*range(1, 11), 100]).item(), passes_skew_kurt([*range(1, 11), 10]).item()
    (False, True)
    """
    s = skewness(x, axis)
    k = kurtosis(x, axis)
    with np.errstate(invalid="ignore"):
        fail = (np.abs(s) >= skew_thresh) & (k >= kurt_thresh)
    return ~fail


def winsorise(
    x: Any,
    *,
    winmax: int = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    force: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Winsorise each column until it passes the skew-kurtosis rule, at most ``winmax`` points.

    Each round, a failing column with skewness >= 0 has its largest value(s) replaced by the next
    largest value; with negative skewness its smallest value(s) by the next smallest. Rounds stop
    when the column passes (:func:`passes_skew_kurt`) or ``winmax`` points have been replaced.
    ``force=True`` replaces exactly ``winmax`` rounds' worth of points whatever the rule says.
    Columns are treated together (one numpy pass per round, not per column).

    Returns
    -------
    (treated, n_winsorised)
        The treated copy (same shape) and the number of points replaced per column.

    Examples
    --------
    >>> y, n = winsorise([*range(1, 11), 100])
    >>> y[-1].item(), n.item()
    (10.0, 1)
    """
    x = _arr(x)
    one_d = x.ndim == 1
    y = (x[:, None] if one_d else x).copy()
    counts = np.zeros(y.shape[1], dtype=int)
    for _ in range(int(winmax)):  # rounds, not units: each round treats every column at once
        need = counts < winmax
        if not force:
            need &= ~passes_skew_kurt(y, skew_thresh, kurt_thresh)
        if not need.any():
            break
        s = skewness(y)
        high = ~(s < 0)  # NaN skewness (constant column) never needs treatment unless forced
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            top = np.nanmax(y, axis=0)
            bottom = np.nanmin(y, axis=0)
            next_top = np.nanmax(np.where(y < top, y, -np.inf), axis=0)
            next_bottom = np.nanmin(np.where(y > bottom, y, np.inf), axis=0)
        replace_top = (y == top) & (need & high & np.isfinite(next_top))
        replace_bottom = (y == bottom) & (need & ~high & np.isfinite(next_bottom))
        y = np.where(replace_top, next_top, np.where(replace_bottom, next_bottom, y))
        counts += replace_top.sum(axis=0) + replace_bottom.sum(axis=0)
    return (y[:, 0] if one_d else y), (counts[0] if one_d else counts)


def log_ct(x: Any, axis: int = 0) -> np.ndarray:
    r"""COINr's ``log_CT``: :math:`\ln\big(x - \min x + 0.01 (\max x - \min x)\big)`, per column.

    Defined for any sign of x; the smallest value maps to :math:`\ln(0.01\,(\max - \min))`.

    Examples
    --------
    >>> [round(v, 4) for v in log_ct([0.0, 1.0, 100.0]).tolist()]
    [0.0, 0.6931, 4.6151]
    """
    x = _arr(x)
    lo = np.nanmin(x, axis=axis, keepdims=True)
    hi = np.nanmax(x, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x - lo + 0.01 * (hi - lo))


@dataclass
class TreatResult:
    """What :func:`treat` did to each column."""

    values: np.ndarray
    n_winsorised: np.ndarray
    log_transformed: np.ndarray
    skew_before: np.ndarray
    kurt_before: np.ndarray
    skew_after: np.ndarray
    kurt_after: np.ndarray
    passes: np.ndarray


def treat(
    x: Any,
    *,
    winmax: int = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
    f2: Literal["log_ct", "log", None] = "log_ct",
    force_win: bool = False,
) -> TreatResult:
    """Outlier treatment by the skew-kurtosis rule (COINr ``Treat`` defaults).

    1. Columns passing :func:`passes_skew_kurt` are left alone.
    2. Failing columns are winsorised (:func:`winsorise`, up to ``winmax`` points).
    3. Columns still failing get ``f2`` applied to their **original** values instead:
       :func:`log_ct` (default) or the plain natural log (``"log"``, needs positive values);
       ``None`` keeps the winsorised values.

    Examples
    --------
    >>> r = treat([*range(1, 11), 100])
    >>> r.values[-1].item(), int(r.n_winsorised.item()), bool(r.log_transformed.item())
    (10.0, 1, False)
    """
    x = _arr(x)
    one_d = x.ndim == 1
    x2 = x[:, None] if one_d else x
    s0, k0 = skewness(x2), kurtosis(x2)
    y, n = winsorise(x2, winmax=winmax, skew_thresh=skew_thresh, kurt_thresh=kurt_thresh, force=force_win)
    still = ~passes_skew_kurt(y, skew_thresh, kurt_thresh)
    logged = np.zeros(x2.shape[1], dtype=bool)
    if f2 is not None and still.any():
        if f2 == "log_ct":
            alt = log_ct(x2)
        elif f2 == "log":
            bad = still & (np.nanmin(x2, axis=0) <= 0)
            if bad.any():
                raise ClusterixError(
                    "the plain log needs positive values",
                    where=f"column(s) {np.flatnonzero(bad).tolist()}",
                    hint="use f2='log_ct' (shifted log), which works for any sign",
                )
            alt = np.log(x2)
        else:
            raise ParameterError(f"unknown f2 {f2!r}", hint="use 'log_ct', 'log' or None")
        y = np.where(still, alt, y)
        n = np.where(still, 0, n)
        logged = still
    out = TreatResult(
        values=y[:, 0] if one_d else y,
        n_winsorised=np.atleast_1d(n),
        log_transformed=logged,
        skew_before=s0,
        kurt_before=k0,
        skew_after=skewness(y),
        kurt_after=kurtosis(y),
        passes=passes_skew_kurt(y, skew_thresh, kurt_thresh),
    )
    return out


# ----------------------------------------------------------------------------------------------
# Normalisation
# ----------------------------------------------------------------------------------------------


def _ref(x: np.ndarray, ref: Any | None) -> np.ndarray:
    if ref is None:
        return x
    r = _arr(ref)
    if x.ndim == 2 and r.ndim == 1:
        r = r[:, None] if x.shape[1] == 1 else r[None, :]
    return r


def _warn_constant(span: np.ndarray, what: str) -> None:
    bad = np.atleast_1d(~(span > 0))
    if bad.any():
        warnings.warn(
            f"{what}: {int(bad.sum())} indicator(s) take a single value (column(s) {np.flatnonzero(bad).tolist()}); "
            "they cannot discriminate and are set to missing",
            CompositeWarning,
            3,
        )


def minmax(x: Any, l_u: tuple[float, float] = (0.0, 100.0), *, ref: Any | None = None) -> np.ndarray:
    r"""Min-max: :math:`(x - \min)/(\max - \min) \cdot (u - l) + l`, per column.

    ``ref`` supplies the values the minimum and maximum are taken from (default ``x``): a
    scoreboard normalises each year with the bounds of all years, or a region outside the pool
    with the pool's bounds. A constant column becomes NaN (with a :class:`CompositeWarning`).

    Examples
    --------
    >>> v = minmax(range(1, 11), l_u=(2, 7))
    >>> v.min().item(), v.max().item(), round(float(v[1] - v[0]), 4)
    (2.0, 7.0, 0.5556)
    """
    x = _arr(x)
    r = _ref(x, ref)
    lo, hi = np.nanmin(r, axis=0), np.nanmax(r, axis=0)
    _warn_constant(hi - lo, "min-max")
    with np.errstate(invalid="ignore", divide="ignore"):
        span = np.where(hi > lo, hi - lo, np.nan)
        return (x - lo) / span * (l_u[1] - l_u[0]) + l_u[0]


def zscore(x: Any, m_sd: tuple[float, float] = (0.0, 1.0), *, ref: Any | None = None) -> np.ndarray:
    r"""z-score: :math:`(x - \bar x)/s \cdot \sigma^* + \mu^*` with the sample sd (n - 1), per column.

    Examples
    --------
    >>> v = zscore(range(1, 11), m_sd=(5, 2))
    >>> round(float(v.mean()), 10), round(float(v.std(ddof=1)), 10)
    (5.0, 2.0)
    """
    x = _arr(x)
    r = _ref(x, ref)
    mean = np.nanmean(r, axis=0)
    sd = np.nanstd(r, axis=0, ddof=1)
    _warn_constant(sd, "z-score")
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x - mean) / np.where(sd > 0, sd, np.nan) * m_sd[1] + m_sd[0]


def percentile_rank(x: Any, *, ref: Any | None = None) -> np.ndarray:
    r"""Percentile rank in [0, 1]: :math:`(\mathrm{rank} - 1)/(n - 1)`, ties sharing the average rank.

    Against a reference set (``ref``) a value's rank is the one it would take if inserted:
    :math:`(\#\{r < x\} + \#\{r = x\}/2) / n_{ref}`. Missing values stay missing.

    Examples
    --------
    >>> percentile_rank([10, 30, 20, 20]).tolist()
    [0.0, 1.0, 0.5, 0.5]
    >>> percentile_rank([25], ref=[10, 20, 30, 40]).tolist()
    [0.5]
    """
    x = _arr(x)
    one_d = x.ndim == 1
    x2 = x[:, None] if one_d else x
    r2 = x2 if ref is None else _ref(x2, ref)
    if r2.ndim == 1:
        r2 = r2[:, None]
    out = np.full(x2.shape, np.nan)
    for j in range(x2.shape[1]):  # indicators (few), each a vectorised search over all units
        col = np.sort(r2[:, j][~np.isnan(r2[:, j])])
        v = x2[:, j]
        less = np.searchsorted(col, v, side="left").astype(float)
        eq = np.searchsorted(col, v, side="right") - less
        n = col.size
        if ref is None:
            eq, n = eq - 1.0, n - 1  # a unit is not compared with itself
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(np.isnan(v), np.nan, (less + eq / 2.0) / (n if n > 0 else np.nan))
    return out[:, 0] if one_d else out


def rank(x: Any) -> np.ndarray:
    """Rank within each column, 1 = lowest value, ties sharing the average rank (missing stay missing).

    Examples
    --------
    >>> rank([10, 30, 20, 20]).tolist()
    [1.0, 4.0, 2.5, 2.5]
    """
    from scipy.stats import rankdata

    x = _arr(x)
    return rankdata(x, axis=0, method="average", nan_policy="omit").astype(float)


def rank_desc(scores: Any, axis: int = -1) -> np.ndarray:
    """Competition ranks, 1 = highest score, ties sharing the best rank; missing scores stay missing.

    Examples
    --------
    >>> rank_desc([3.0, 1.0, float("nan"), 3.0]).tolist()
    [1.0, 3.0, nan, 1.0]
    """
    from scipy.stats import rankdata

    return rankdata(-_arr(scores), axis=axis, method="min", nan_policy="omit").astype(float)


def goalposts(x: Any, gposts: tuple[float, float, float], *, direction: int = 1, trunc: bool = True) -> np.ndarray:
    r"""Goalposts (l, u, a): :math:`a \cdot \mathrm{clip}((x - l)/(u - l), 0, 1)`; direction -1 uses
    :math:`(x - u)/(l - u)`. ``trunc=False`` does not clip.

    Examples
    --------
    >>> goalposts([1, 11, -1], (0, 10, 1)).tolist()
    [0.1, 1.0, 0.0]
    >>> goalposts([1, -1, 11], (0, 10, 1), direction=-1).tolist()
    [0.9, 1.0, 0.0]
    """
    x = _arr(x)
    lo, hi, a = gposts
    if hi == lo:
        raise ParameterError("goalposts: the lower and upper goalposts are equal", where=f"gposts={gposts}")
    y = (x - lo) / (hi - lo) if direction >= 0 else (x - hi) / (lo - hi)
    if trunc:
        y = np.clip(y, 0.0, 1.0)
    return y * a


def distance_to_target(x: Any, target: Any, *, direction: int = 1, cap: bool = False) -> np.ndarray:
    r"""Distance to target: :math:`(x - \min)/(t - \min)`, or :math:`(\max - x)/(\max - t)` for direction -1.

    1 means the target is reached; ``cap=True`` caps at 1.

    Examples
    --------
    >>> distance_to_target([0, 5, 11], 10).tolist()
    [0.0, 0.5, 1.1]
    >>> distance_to_target([-1, 1, 10], 0, direction=-1).tolist()
    [1.1, 0.9, 0.0]
    >>> distance_to_target([-1, 1, 10], 0, direction=-1, cap=True).tolist()
    [1.0, 0.9, 0.0]
    """
    x = _arr(x)
    t = _arr(target)
    with np.errstate(invalid="ignore", divide="ignore"):
        if direction >= 0:
            lo = np.nanmin(x, axis=0)
            y = (x - lo) / (t - lo)
        else:
            hi = np.nanmax(x, axis=0)
            y = (hi - x) / (hi - t)
    return np.minimum(y, 1.0) if cap else y


def distance_to_max(x: Any) -> np.ndarray:
    r"""Distance to the best: :math:`1 - (\max - x)/(\max - \min)` (min-max on [0, 1]).

    Examples
    --------
    >>> distance_to_max([2, 4, 6]).tolist()
    [0.0, 0.5, 1.0]
    """
    return minmax(x, (0.0, 1.0))


def distance_to_reference(x: Any, reference: float) -> np.ndarray:
    r"""Distance to a reference value: :math:`1 - (x_{ref} - x)/(x_{ref} - \min)`.

    Examples
    --------
    >>> distance_to_reference([2, 4, 6], 4).tolist()
    [0.0, 1.0, 2.0]
    """
    x = _arr(x)
    lo = np.nanmin(x, axis=0)
    return 1.0 - (reference - x) / (reference - lo)


def fraction_of_max(x: Any) -> np.ndarray:
    r"""Fraction of the maximum: :math:`x / \max x`.

    Examples
    --------
    >>> fraction_of_max([1, 2, 4]).tolist()
    [0.25, 0.5, 1.0]
    """
    x = _arr(x)
    return x / np.nanmax(x, axis=0)


NORMALISATIONS: dict[str, Callable[..., np.ndarray]] = {
    "minmax": minmax,
    "zscore": zscore,
    "percentile_rank": percentile_rank,
    "rank": rank,
    "goalposts": goalposts,
    "distance_to_target": distance_to_target,
    "distance_to_max": distance_to_max,
    "distance_to_reference": distance_to_reference,
    "fraction_of_max": fraction_of_max,
}
_OWN_DIRECTION = {"goalposts", "distance_to_target"}
_ACCEPTS_REF = {"minmax", "zscore", "percentile_rank"}


def normalise(
    x: Any, method: str = "minmax", *, direction: Any | None = None, ref: Any | None = None, **params: Any
) -> np.ndarray:
    """Normalise the columns of ``x`` with one of :data:`NORMALISATIONS`.

    ``direction`` (one value per column, +1 or -1): columns with -1 are multiplied by -1 before
    normalising, so that higher always means better afterwards. ``ref``: the values the
    normalisation's parameters come from (min-max, z-score, percentile rank only).

    Examples
    --------
    >>> normalise([[1, 10], [2, 20], [3, 30]], "minmax", direction=[1, -1]).tolist()
    [[0.0, 100.0], [50.0, 50.0], [100.0, 0.0]]
    """
    if method not in NORMALISATIONS:
        raise ParameterError(f"unknown normalisation {method!r}", hint=f"use one of {', '.join(NORMALISATIONS)}")
    x = _arr(x)
    fn = NORMALISATIONS[method]
    if method in _OWN_DIRECTION:
        if direction is not None:
            params.setdefault("direction", int(np.atleast_1d(direction)[0]))
        return fn(x, **params)
    if direction is not None:
        d = _arr(direction)
        x = x * d
        if ref is not None:
            ref = _ref(x, ref) * d
    if ref is not None:
        if method not in _ACCEPTS_REF:
            raise ParameterError(f"normalisation {method!r} takes no reference set")
        params["ref"] = ref
    return fn(x, **params)


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------


def effective_weights(framework: pd.DataFrame, pillar_weights: Mapping[str, float] | None = None) -> pd.Series:
    r"""Effective weight of each indicator in the index: :math:`w_i / \sum_{j \in p} w_j \cdot W_p / \sum W`.

    ``framework`` has the columns ``indicator``, ``weight`` and optionally ``pillar``;
    ``pillar_weights`` defaults to equal. The result sums to 1.

    Examples
    --------
    >>> fw = pd.DataFrame({"indicator": ["a", "b", "c"], "pillar": ["P", "P", "Q"], "weight": 1.0})
    >>> effective_weights(fw).round(3).tolist()
    [0.25, 0.25, 0.5]
    """
    fw = framework.copy()
    if "pillar" not in fw:
        fw["pillar"] = "index"
    w = fw["weight"].astype(float)
    within = w / w.groupby(fw["pillar"]).transform("sum")
    pillars = list(dict.fromkeys(fw["pillar"]))
    pw = pd.Series({p: float((pillar_weights or {}).get(p, 1.0)) for p in pillars})
    pw = pw / pw.sum()
    return pd.Series((within * fw["pillar"].map(pw)).to_numpy(), index=fw["indicator"], name="weight")


def noisy_weights(w: Any, noise: float, n: int, rng: np.random.Generator) -> np.ndarray:
    r"""``n`` perturbed copies of the weights: :math:`w_k (1 + U(-f, f))`, independently per weight.

    Examples
    --------
    >>> nw = noisy_weights([1.0, 2.0], 0.25, 1000, np.random.default_rng(1))
    >>> nw.shape, bool(((nw[:, 1] >= 1.5) & (nw[:, 1] <= 2.5)).all())
    ((1000, 2), True)
    """
    w = _arr(w)
    return w * (1.0 + rng.uniform(-noise, noise, size=(n, w.size)))


# ----------------------------------------------------------------------------------------------
# Aggregation
# ----------------------------------------------------------------------------------------------


def _prep_agg(x: Any, w: Any | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _arr(x)
    w = np.ones(x.shape[-1]) if w is None else _arr(w)
    valid = ~np.isnan(x)
    wv = np.where(valid, np.broadcast_to(w, np.broadcast_shapes(w.shape, x.shape)), 0.0)
    return x, wv, valid


def _coverage_mask(valid: np.ndarray, dat_thresh: float) -> np.ndarray:
    share = valid.sum(axis=-1) / valid.shape[-1]
    return (share >= dat_thresh) & (share > 0)


def _check_positive(x: np.ndarray, valid: np.ndarray, what: str) -> None:
    bad = valid & ~(x > 0)
    if bad.any():
        raise ClusterixError(
            f"the {what} mean needs positive values, but {int(bad.sum())} value(s) are zero or negative",
            where=f"first at index {tuple(int(i) for i in np.argwhere(bad)[0])}",
            hint="min-max to [1, 100] instead of [0, 100], or apply rescale_positive() before aggregating "
            "(COINr issue #47)",
        )


def arithmetic_mean(x: Any, w: Any | None = None, *, dat_thresh: float = 0.0) -> np.ndarray:
    r"""Weighted arithmetic mean over the last axis, missing values skipped and weights renormalised.

    :math:`\sum_k w_k x_k / \sum_k w_k` over the available :math:`x_k`. A row whose share of
    available values is below ``dat_thresh`` (or zero) is NaN.

    Examples
    --------
    >>> arithmetic_mean([[1, 2, 3], [4, None, 6]], [1, 1, 2]).tolist()
    [2.25, 5.333333333333333]
    >>> arithmetic_mean([[1, None, None, None, None]], dat_thresh=0.5).tolist()
    [nan]
    """
    x, wv, valid = _prep_agg(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sum(np.where(valid, x, 0.0) * wv, axis=-1) / np.sum(wv, axis=-1)
    return np.where(_coverage_mask(valid, dat_thresh), out, np.nan)


def geometric_mean(x: Any, w: Any | None = None, *, dat_thresh: float = 0.0) -> np.ndarray:
    r"""Weighted geometric mean: :math:`\exp(\sum_k w_k \ln x_k / \sum_k w_k)`; needs :math:`x > 0`.

    Zero or negative values raise a :class:`~clusterix_lib.errors.ClusterixError` (min-max to
    [0, 100] gives the worst region a 0: see :func:`rescale_positive`).

    Examples
    --------
    >>> geometric_mean([[1, 100], [4, 4]]).round(12).tolist()
    [10.0, 4.0]
    """
    x, wv, valid = _prep_agg(x, w)
    _check_positive(x, valid, "geometric")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.exp(np.sum(np.where(valid, np.log(np.where(valid, x, 1.0)), 0.0) * wv, axis=-1) / np.sum(wv, axis=-1))
    return np.where(_coverage_mask(valid, dat_thresh), out, np.nan)


def harmonic_mean(x: Any, w: Any | None = None, *, dat_thresh: float = 0.0) -> np.ndarray:
    r"""Weighted harmonic mean: :math:`\sum_k w_k / \sum_k (w_k / x_k)`; needs :math:`x > 0`.

    Examples
    --------
    >>> harmonic_mean([[1, 4, 4]]).tolist()
    [2.0]
    """
    x, wv, valid = _prep_agg(x, w)
    _check_positive(x, valid, "harmonic")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sum(wv, axis=-1) / np.sum(np.where(valid, wv / np.where(valid, x, 1.0), 0.0), axis=-1)
    return np.where(_coverage_mask(valid, dat_thresh), out, np.nan)


def generalised_mean(x: Any, w: Any | None = None, *, p: float = 1.0, dat_thresh: float = 0.0) -> np.ndarray:
    r"""Weighted generalised (power) mean :math:`(\sum_k w_k x_k^p / \sum_k w_k)^{1/p}`; p = 0 is geometric.

    Examples
    --------
    >>> generalised_mean([[1, 4, 4]], p=-1).tolist(), generalised_mean([[3, 4]], p=2).round(4).tolist()
    ([2.0], [3.5355])
    """
    if p == 0:
        return geometric_mean(x, w, dat_thresh=dat_thresh)
    x, wv, valid = _prep_agg(x, w)
    if p < 0:
        _check_positive(x, valid, "generalised (p < 0)")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (np.sum(np.where(valid, x, 0.0) ** p * wv, axis=-1) / np.sum(wv, axis=-1)) ** (1.0 / p)
    return np.where(_coverage_mask(valid, dat_thresh), out, np.nan)


def outranking_matrix(x: Any, w: Any | None = None) -> np.ndarray:
    r"""Weighted outranking matrix: :math:`o_{ij}` = weight share of indicators on which unit i beats j,
    plus half the share on which they tie (indicators missing for either unit are skipped).

    Examples
    --------
    >>> X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    >>> o = outranking_matrix(X)
    >>> round(o[1, 0].item(), 4), round(o[2, 0].item(), 4), o[3, 0].item()
    (0.6667, 0.3333, 1.0)
    """
    x = _arr(x)
    w = np.ones(x.shape[1]) if w is None else _arr(w)
    xi, xj = x[:, None, :], x[None, :, :]
    both = ~np.isnan(xi) & ~np.isnan(xj)
    wsum = np.sum(both * w, axis=-1)
    score = np.sum(((xi > xj) + 0.5 * (xi == xj)) * both * w, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        o = score / wsum
    np.fill_diagonal(o, np.nan)
    return o


def copeland(x: Any, w: Any | None = None) -> np.ndarray:
    r"""Copeland score from the outranking matrix: :math:`c_i = \sum_{j \ne i} \mathrm{sign}(o_{ij} - 0.5)`.

    A non-compensatory aggregation (Handbook step 6): a unit gains 1 for each unit it beats on a
    weighted majority of indicators and loses 1 for each unit that beats it.

    Examples
    --------
    >>> X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    >>> copeland(X).tolist()
    [-1.0, 1.0, -3.0, 3.0]
    """
    o = outranking_matrix(x, w)
    return np.nansum(np.sign(o - 0.5), axis=1)


def rescale_positive(x: Any, *, low: float = 1.0, high: float = 100.0) -> np.ndarray:
    r"""Rescale each column linearly onto [low, high] if it has values <= 0 (else leave it).

    Makes geometric and harmonic means safe after min-max to [0, 100] (whose worst unit is 0) or
    z-scores (negative): :math:`y = l + (x - \min)(h - l)/(\max - \min)`. Columns already positive
    are unchanged. Works on the unit axis (-2) of stacks of shape ``(..., units, indicators)``.

    Examples
    --------
    >>> rescale_positive([[0.0, 5.0], [100.0, 10.0]]).tolist()
    [[1.0, 5.0], [100.0, 10.0]]
    """
    x = _arr(x)
    lo = np.nanmin(x, axis=-2, keepdims=True)
    hi = np.nanmax(x, axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = low + (x - lo) * (high - low) / np.where(hi > lo, hi - lo, np.nan)
    y = np.where(hi > lo, y, np.where(np.isnan(x), np.nan, high))
    return np.where(lo <= 0, y, x)


AGGREGATIONS: dict[str, Callable[..., np.ndarray]] = {
    "arithmetic": arithmetic_mean,
    "geometric": geometric_mean,
    "harmonic": harmonic_mean,
}


def aggregate(x: Any, w: Any | None = None, method: str = "arithmetic", *, dat_thresh: float = 0.0) -> np.ndarray:
    """Aggregate over the last axis with one of :data:`AGGREGATIONS` (or ``"copeland"`` for a 2-D table).

    Examples
    --------
    >>> aggregate([[1, 100]], method="geometric").round(12).tolist()
    [10.0]
    """
    if method == "copeland":
        return copeland(x, w)
    if method not in AGGREGATIONS:
        raise ParameterError(f"unknown aggregation {method!r}", hint=f"use one of {', '.join(AGGREGATIONS)}, copeland")
    return AGGREGATIONS[method](x, w, dat_thresh=dat_thresh)


# ----------------------------------------------------------------------------------------------
# Audit
# ----------------------------------------------------------------------------------------------


def cronbach_alpha(x: Any) -> float:
    r"""Cronbach's alpha of the columns (complete rows only).

    :math:`\alpha = \frac{k}{k-1}\left(1 - \frac{\sum_j s_j^2}{s_T^2}\right)` with sample variances
    of the k columns and of their row sums. Above ~0.7 the indicators measure one latent concept.

    Examples
    --------
    >>> round(cronbach_alpha([[1, 2], [2, 1], [3, 4], [4, 3]]), 12)
    0.75
    """
    x = _arr(x)
    x = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return float("nan")
    total = x.sum(axis=1)
    vt = total.var(ddof=1)
    if vt == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / vt))


def correlation_audit(
    normalised: pd.DataFrame,
    framework: pd.DataFrame,
    pillars: pd.DataFrame | None = None,
    index: pd.Series | None = None,
    *,
    redundant: float = 0.9,
) -> pd.DataFrame:
    """Correlations within the index's structure, with JRC audit flags.

    ``normalised``: one column per indicator (units as rows); ``pillars``: one column per pillar;
    ``index``: the index. Pearson correlations on pairwise complete rows for indicator pairs in
    the same pillar, indicator-pillar, indicator-index and pillar-index. Flags: ``negative``
    (r < 0: the indicator pulls against its pillar or the index), ``redundant`` (|r| >=
    ``redundant`` between two indicators: double counting), ``weak`` (r < 0.3 with its own pillar
    or the index: it hardly shapes the result).

    Returns
    -------
    DataFrame ``level, a, b, r, n, flag``.

    Examples
    --------
    >>> z = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [2, 4, 6, 8.0], "c": [4, 3, 2, 1.0]})
    >>> fw = pd.DataFrame({"indicator": ["a", "b", "c"], "pillar": ["P", "P", "P"]})
    >>> correlation_audit(z, fw)[["a", "b", "flag"]].values.tolist()
    [['a', 'b', 'redundant'], ['a', 'c', 'negative'], ['b', 'c', 'negative']]
    """
    rows: list[dict[str, Any]] = []
    fw = framework.copy()
    if "pillar" not in fw:
        fw["pillar"] = "index"

    def corr(a: pd.Series, b: pd.Series) -> tuple[float, int]:
        ok = a.notna() & b.notna()
        n = int(ok.sum())
        if n < 3 or a[ok].std() == 0 or b[ok].std() == 0:
            return float("nan"), n
        return float(np.corrcoef(a[ok], b[ok])[0, 1]), n

    def add(level: str, a: str, b: str, sa: pd.Series, sb: pd.Series, pair: bool) -> None:
        r, n = corr(sa, sb)
        flag = ""
        if not np.isnan(r):
            if r < 0:
                flag = "negative"
            elif pair and abs(r) >= redundant:
                flag = "redundant"
            elif not pair and r < 0.3:
                flag = "weak"
        rows.append({"level": level, "a": a, "b": b, "r": r, "n": n, "flag": flag})

    for _, group in fw.groupby("pillar", sort=False):
        inds = [i for i in group["indicator"] if i in normalised]
        for i, a in enumerate(inds):
            for b in inds[i + 1 :]:
                add("indicator-indicator", a, b, normalised[a], normalised[b], True)
    if pillars is not None:
        for ind, pil in zip(fw["indicator"], fw["pillar"], strict=True):
            if ind in normalised and pil in pillars:
                add("indicator-pillar", ind, pil, normalised[ind], pillars[pil], False)
    if index is not None:
        for ind in fw["indicator"]:
            if ind in normalised:
                add("indicator-index", ind, "index", normalised[ind], index, False)
        if pillars is not None and pillars.shape[1] > 1:
            for pil in pillars:
                add("pillar-index", pil, "index", pillars[pil], index, False)
    return pd.DataFrame(rows, columns=["level", "a", "b", "r", "n", "flag"])


# ----------------------------------------------------------------------------------------------
# The pipeline
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompositeSpec:
    """How to build a composite index.

    Parameters
    ----------
    framework
        One row per indicator: ``indicator``, ``direction`` (+1 / -1), ``weight``, optional
        ``pillar`` (indicators are aggregated to pillars, pillars to the index) and optional
        ``max_time`` (per-indicator limit of the panel imputation; NaN = no limit).
    pillar_weights
        Weight of each pillar (default equal).
    impute
        ``None``, ``"mean"``, ``"median"`` (per column over the pool) or, for data with a time
        column, ``"latest"``, ``"constant"``, ``"linear"`` (:func:`impute_panel`).
    max_time
        Default maximum age of a panel-imputed value (time steps); per-indicator ``max_time``
        in the framework overrides it.
    treat
        Apply :func:`treat` (winsorise / log by the skew-kurtosis rule) with ``winmax``,
        ``skew_thresh``, ``kurt_thresh``, ``f2``.
    normalisation, norm_params
        One of :data:`NORMALISATIONS` and its parameters (default min-max to [0, 100]).
    aggregation
        ``"arithmetic"``, ``"geometric"`` or ``"harmonic"``; for the last two, columns with values
        <= 0 are rescaled onto [1, 100] first (:func:`rescale_positive`) and the log says so.
    dat_thresh
        Minimum share of a unit's indicators with data (after imputation) for it to get a score.
    """

    framework: pd.DataFrame
    pillar_weights: Mapping[str, float] | None = None
    impute: str | None = None
    max_time: int | None = None
    treat: bool = True
    winmax: int = 5
    skew_thresh: float = 2.0
    kurt_thresh: float = 3.5
    f2: Literal["log_ct", "log", None] = "log_ct"
    normalisation: str = "minmax"
    norm_params: Mapping[str, Any] = field(default_factory=lambda: {"l_u": (0.0, 100.0)})
    aggregation: str = "arithmetic"
    dat_thresh: float = 0.0

    def checked_framework(self) -> pd.DataFrame:
        """The framework with defaults filled in and its columns checked."""
        fw = self.framework.copy()
        if "indicator" not in fw:
            raise ParameterError("the framework needs an 'indicator' column")
        if fw["indicator"].duplicated().any():
            raise ParameterError(
                "an indicator appears twice in the framework",
                where=f"indicator {fw.loc[fw['indicator'].duplicated(), 'indicator'].iloc[0]!r}",
            )
        fw["direction"] = fw.get("direction", 1)
        fw["weight"] = fw.get("weight", 1.0)
        if "pillar" not in fw:
            fw["pillar"] = "index"
        bad = fw[~fw["direction"].isin([1, -1])]
        if len(bad):
            raise ParameterError(
                "direction must be 1 or -1",
                where=f"indicator {bad['indicator'].iloc[0]!r}, value {bad['direction'].iloc[0]!r}",
            )
        bad = fw[~(fw["weight"].astype(float) >= 0)]
        if len(bad):
            raise ParameterError(
                "weights must be zero or positive",
                where=f"indicator {bad['indicator'].iloc[0]!r}, value {bad['weight'].iloc[0]!r}",
            )
        return fw.reset_index(drop=True)


@dataclass
class CompositeResult:
    """The outputs of :func:`build_index`, all long tables.

    ``scores``: ``unit[, time], score, rank, coverage`` (rank among the pool, per time);
    ``pillars``: ``unit[, time], pillar, score``; ``normalised`` and ``treated``: ``unit[, time],
    indicator, value``; ``log``: ``step, indicator, unit, time, detail`` -- every imputation,
    winsorised point, log transform, rescaling and unit left without a score.
    ``treatment``: one row per indicator (skewness, kurtosis before/after, points winsorised,
    log). ``params``: what was needed to score a unit outside the pool the same way.
    """

    scores: pd.DataFrame
    pillars: pd.DataFrame
    normalised: pd.DataFrame
    treated: pd.DataFrame
    log: pd.DataFrame
    treatment: pd.DataFrame
    spec: CompositeSpec
    params: dict[str, Any] = field(default_factory=dict)
    imputed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def wide_normalised(self, time: Any | None = None) -> pd.DataFrame:
        """Units x indicators table of the normalised values (one time if the data have times)."""
        d = self.normalised
        if time is not None:
            d = d[d["time"] == time]
        return d.pivot_table(index="unit", columns="indicator", values="value", aggfunc="first", dropna=False)


def _log_rows(step: str, indicator: str, units: Iterable, times: Iterable | None, detail: Iterable) -> list[dict]:
    units = list(units)
    times = list(times) if times is not None else [None] * len(units)
    return [
        {"step": step, "indicator": indicator, "unit": u, "time": t, "detail": d}
        for u, t, d in zip(units, times, detail, strict=True)
    ]


def build_index(
    data: pd.DataFrame,
    spec: CompositeSpec,
    *,
    outside_pool: Iterable[str] = (),
    unit: str = "unit",
    time: str | None = None,
    indicator: str = "indicator",
    value: str = "value",
) -> CompositeResult:
    """Run the pipeline (impute, treat, normalise, aggregate) on a long table.

    Parameters
    ----------
    data
        Long table ``unit, [time,] indicator, value``. With a ``time`` column the panel is
        imputed over time and treated and normalised over **all unit-times together** (EIS:
        min-max over all countries and years), so that scores of different years compare.
    spec
        A :class:`CompositeSpec`.
    outside_pool
        Units scored with the pool's parameters but not used to set them (e.g. the EU aggregate,
        or a NUTS 1 region shown next to a NUTS 2 pool). Their treated values are clipped to the
        pool's treated range, their log transform uses the pool's minimum and maximum.

    Returns
    -------
    CompositeResult
        Missing cells are never zero: a unit-time lacking an indicator after imputation is
        aggregated over the indicators it has (weights renormalised) if its coverage reaches
        ``spec.dat_thresh``, else left without a score -- both listed in ``result.log``.

    Examples
    --------
    >>> d = pd.DataFrame({"unit": list("ABC") * 2, "indicator": ["x"] * 3 + ["y"] * 3,
    ...                   "value": [1, 2, 3, 30, 10, 20]})
    >>> fw = pd.DataFrame({"indicator": ["x", "y"], "direction": [1, -1]})
    >>> r = build_index(d, CompositeSpec(fw, treat=False))
    >>> r.scores[["unit", "score", "rank"]].values.tolist()
    [['A', 0.0, 3.0], ['B', 75.0, 1.0], ['C', 75.0, 1.0]]
    """
    fw = spec.checked_framework()
    cols = [unit, indicator, value] + ([time] if time else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataFileError(f"the indicator table lacks the column(s) {', '.join(missing)}")
    d = data[cols].rename(columns={unit: "unit", indicator: "indicator", value: "value"})
    if time:
        d = d.rename(columns={time: "time"})
    unknown = sorted(set(d["indicator"]) - set(fw["indicator"]))
    d = d[d["indicator"].isin(fw["indicator"])]
    keys = ["unit", "time"] if time else ["unit"]
    if d.duplicated([*keys, "indicator"]).any():
        dup = d[d.duplicated([*keys, "indicator"], keep=False)].iloc[0]
        raise DataFileError(
            "the indicator table has two values for the same cell",
            where=", ".join(f"{k}={dup[k]!r}" for k in [*keys, "indicator"]),
            hint="keep one value per unit, time and indicator",
        )
    log: list[dict] = []
    imputed = pd.DataFrame(columns=["unit", "time", "indicator", "source_time"])
    if unknown:
        log += _log_rows("not in framework", ",".join(unknown), [""], None, ["rows dropped"])
    absent = [i for i in fw["indicator"] if i not in set(d["indicator"])]
    if absent:
        raise DataFileError(
            f"no data at all for the indicator(s) {', '.join(absent)}",
            hint="remove them from the framework or supply their values",
        )

    # complete grid of unit(-time) x indicator, so that gaps are explicit
    units = sorted(d["unit"].unique())
    grid_keys = d[keys].drop_duplicates().sort_values(keys)
    grid = grid_keys.merge(pd.DataFrame({"indicator": fw["indicator"]}), how="cross")
    if time:
        # every unit gets every time (so a panel can be filled), every indicator
        grid = pd.MultiIndex.from_product(
            [units, sorted(d["time"].unique()), fw["indicator"]], names=["unit", "time", "indicator"]
        ).to_frame(index=False)
    d = grid.merge(d, on=[*keys, "indicator"], how="left")

    # --- impute
    if spec.impute is not None:
        if spec.impute in ("latest", "constant", "linear"):
            if not time:
                raise ParameterError(f"imputation {spec.impute!r} needs a time column")
            per = fw.set_index("indicator").get("max_time")
            parts = []
            for ind, part in d.groupby("indicator", sort=False):  # indicators (few): each a vectorised panel fill
                mt = spec.max_time
                if per is not None and pd.notna(per.get(ind)):
                    mt = None if np.isinf(float(per[ind])) else int(per[ind])
                parts.append(impute_panel(part, unit="unit", time="time", method=spec.impute, max_time=mt))
            d = pd.concat(parts, ignore_index=True)
            imp = d[d["imputed"]]
            imputed = imp[["unit", "time", "indicator", "source_time"]].reset_index(drop=True)
            for ind, part in imp.groupby("indicator", sort=False):
                log += _log_rows(
                    f"imputed ({spec.impute})",
                    ind,
                    part["unit"],
                    part["time"],
                    [f"value of {int(s)}" if spec.impute != "linear" else "interpolated" for s in part["source_time"]],
                )
            d = d.drop(columns=["imputed", "source_time"])
        elif spec.impute in ("mean", "median"):
            wide = d.pivot_table(index=keys, columns="indicator", values="value", aggfunc="first", dropna=False)
            pool_rows = ~wide.index.get_level_values("unit").isin(list(outside_pool))
            stat = wide[pool_rows].agg(spec.impute)
            filled = wide.fillna(stat)
            gaps = wide.isna() & filled.notna()
            for ind in gaps.columns:
                idx = gaps.index[gaps[ind]]
                log += _log_rows(
                    f"imputed ({spec.impute})",
                    ind,
                    idx.get_level_values("unit"),
                    idx.get_level_values("time") if time else None,
                    [f"pool {spec.impute} {stat[ind]:.4g}"] * len(idx),
                )
            d = filled.stack(future_stack=True).rename("value").reset_index()
        else:
            raise ParameterError(
                f"unknown imputation {spec.impute!r}", hint="use None, mean, median, latest, constant or linear"
            )

    wide = d.pivot_table(index=keys, columns="indicator", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=list(fw["indicator"]))
    X = wide.to_numpy(dtype=float)
    in_pool = ~wide.index.get_level_values("unit").isin(list(outside_pool))
    if not in_pool.any():
        raise ParameterError("every unit is outside the pool", hint="leave at least one unit in the pool")
    index_units = wide.index.get_level_values("unit")
    index_times = wide.index.get_level_values("time") if time else None

    # --- treat (on the pool; outside units follow the pool's rule)
    T = X.copy()
    treat_rows = []
    params: dict[str, Any] = {}
    if spec.treat:
        P = X[in_pool]
        tr = treat(P, winmax=spec.winmax, skew_thresh=spec.skew_thresh, kurt_thresh=spec.kurt_thresh, f2=spec.f2)
        T[in_pool] = tr.values
        lo_raw, hi_raw = np.nanmin(P, axis=0), np.nanmax(P, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo_t, hi_t = np.nanmin(tr.values, axis=0), np.nanmax(tr.values, axis=0)
        out = ~in_pool
        if out.any():
            Xo = X[out]
            clipped = np.clip(Xo, lo_raw, hi_raw)
            logged = np.log(clipped - lo_raw + 0.01 * (hi_raw - lo_raw)) if spec.f2 == "log_ct" else np.log(clipped)
            T[out] = np.where(tr.log_transformed, logged, np.clip(Xo, lo_t, hi_t))
        changed = (T != X) & ~np.isnan(X) & ~tr.log_transformed
        for j, ind in enumerate(fw["indicator"]):
            treat_rows.append(
                {
                    "indicator": ind,
                    "skew_before": float(tr.skew_before[j]),
                    "kurt_before": float(tr.kurt_before[j]),
                    "n_winsorised": int(tr.n_winsorised[j]),
                    "log_transformed": bool(tr.log_transformed[j]),
                    "skew_after": float(tr.skew_after[j]),
                    "kurt_after": float(tr.kurt_after[j]),
                    "passes": bool(tr.passes[j]),
                }
            )
            if tr.log_transformed[j]:
                log += _log_rows(
                    "log transform",
                    ind,
                    [""],
                    None,
                    [f"skewness {tr.skew_before[j]:.2f}, kurtosis {tr.kurt_before[j]:.2f}"],
                )
            rows = np.flatnonzero(changed[:, j])
            if rows.size:
                log += _log_rows(
                    "winsorised",
                    ind,
                    index_units[rows],
                    index_times[rows] if time else None,
                    [f"{X[r, j]:.4g} -> {T[r, j]:.4g}" for r in rows],
                )
        params.update(lo_raw=lo_raw, hi_raw=hi_raw, lo_treated=lo_t, hi_treated=hi_t, logged=tr.log_transformed)
    treatment = pd.DataFrame(treat_rows)

    # --- normalise (parameters from the pool, all times together)
    direction = fw["direction"].to_numpy(dtype=float)
    norm_params = dict(spec.norm_params)
    if spec.normalisation in _ACCEPTS_REF:
        N = normalise(T, spec.normalisation, direction=direction, ref=T[in_pool], **norm_params)
    else:
        if (~in_pool).any():
            raise ParameterError(f"normalisation {spec.normalisation!r} cannot score units outside the pool")
        N = normalise(T, spec.normalisation, direction=direction, **norm_params)

    # --- aggregate: indicators -> pillars -> index
    N_agg = N
    if spec.aggregation in ("geometric", "harmonic"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanmin(N[in_pool], axis=0), np.nanmax(N[in_pool], axis=0)
        shift = lo <= 0
        if shift.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                rescaled = 1.0 + (N - lo) * 99.0 / np.where(hi > lo, hi - lo, np.nan)
            N_agg = np.where(shift, np.maximum(rescaled, 1.0), N)
            log += _log_rows(
                "rescaled to [1, 100]",
                ",".join(fw["indicator"][shift]),
                [""],
                None,
                [f"the {spec.aggregation} mean needs positive values"],
            )
    pillar_names = list(dict.fromkeys(fw["pillar"]))
    w = fw["weight"].to_numpy(dtype=float)
    valid = ~np.isnan(N_agg)
    coverage = valid.sum(axis=1) / valid.shape[1]
    scored = (coverage >= spec.dat_thresh) & (coverage > 0)
    pillar_scores = np.full((N.shape[0], len(pillar_names)), np.nan)
    for p, name in enumerate(pillar_names):  # pillars (few)
        cols = (fw["pillar"] == name).to_numpy()
        pillar_scores[:, p] = aggregate(N_agg[:, cols], w[cols], spec.aggregation)
    pw = np.array([float((spec.pillar_weights or {}).get(p, 1.0)) for p in pillar_names])
    if len(pillar_names) == 1:
        score = pillar_scores[:, 0]
    else:
        score = aggregate(pillar_scores, pw, spec.aggregation)
    score = np.where(scored, score, np.nan)
    lacking = np.flatnonzero(~scored)
    if lacking.size:
        log += _log_rows(
            "no score",
            "",
            index_units[lacking],
            index_times[lacking] if time else None,
            [f"data for {coverage[r]:.0%} of the indicators (needs {spec.dat_thresh:.0%})" for r in lacking],
        )
    partial = np.flatnonzero(scored & (coverage < 1))
    if partial.size:
        miss_names = [", ".join(fw["indicator"][~valid[r]]) for r in partial]
        log += _log_rows(
            "scored without",
            "",
            index_units[partial],
            index_times[partial] if time else None,
            miss_names,
        )

    base = wide.index.to_frame(index=False)
    scores = base.assign(score=score, coverage=coverage, in_pool=in_pool)
    pool_scores = scores["score"].where(scores["in_pool"])
    if time:
        scores["rank"] = pool_scores.groupby(scores["time"]).rank(ascending=False, method="min")
    else:
        scores["rank"] = pool_scores.rank(ascending=False, method="min")
    pillars_long = (
        pd.DataFrame(pillar_scores, columns=pillar_names)
        .assign(**{k: base[k] for k in keys})
        .melt(id_vars=keys, var_name="pillar", value_name="score")
    )

    def long(a: np.ndarray) -> pd.DataFrame:
        return (
            pd.DataFrame(a, columns=list(fw["indicator"]))
            .assign(**{k: base[k] for k in keys})
            .melt(id_vars=keys, var_name="indicator", value_name="value")
        )

    log_df = pd.DataFrame(log, columns=["step", "indicator", "unit", "time", "detail"])
    params.update(
        direction=direction, in_pool=in_pool, N=N, N_agg=N_agg, T=T, X=X, keys=base, pillar_names=pillar_names
    )
    return CompositeResult(
        scores=scores[[*keys, "score", "rank", "coverage", "in_pool"]],
        pillars=pillars_long,
        normalised=long(N),
        treated=long(T),
        log=log_df,
        treatment=treatment,
        spec=spec,
        params=params,
        imputed=imputed,
    )


# ----------------------------------------------------------------------------------------------
# Uncertainty and sensitivity
# ----------------------------------------------------------------------------------------------


def _pillar_matrix(pillars: Sequence[str] | None, k: int) -> tuple[np.ndarray, list[str]]:
    if pillars is None:
        return np.ones((k, 1)), ["index"]
    names = list(dict.fromkeys(pillars))
    M = np.zeros((k, len(names)))
    M[np.arange(k), [names.index(p) for p in pillars]] = 1.0
    return M, names


def _evaluate(
    stack: np.ndarray,
    positive: np.ndarray,
    norm_idx: np.ndarray,
    agg_idx: np.ndarray,
    w: np.ndarray,
    pw: np.ndarray,
    M: np.ndarray,
    aggregations: Sequence[str],
    dat_thresh: float,
) -> np.ndarray:
    """Scores of every draw in one batched pass: ``(draws, units)``.

    ``stack``/``positive``: the normalised alternatives ``(alts, units, indicators)`` as they are
    and rescaled onto [1, 100] for geometric/harmonic means; ``w``: ``(draws, indicators)``;
    ``pw``: ``(draws, pillars)``; ``M``: indicator-to-pillar membership.
    """
    n_draws = norm_idx.size
    n_units = stack.shape[1]
    out = np.full((n_draws, n_units), np.nan)
    valid_all = ~np.isnan(stack)
    coverage = valid_all.sum(axis=-1) / stack.shape[-1]  # (alts, units)
    for a, name in enumerate(aggregations):  # aggregation kinds (2-3), never draws
        sel = np.flatnonzero(agg_idx == a)
        if sel.size == 0:
            continue
        X = (stack if name == "arithmetic" else positive)[norm_idx[sel]]  # (d, n, k)
        valid = ~np.isnan(X)
        wd = w[sel][:, None, :] * valid  # (d, n, k)
        if name == "arithmetic":
            f = np.where(valid, X, 0.0)
        elif name == "geometric":
            f = np.where(valid, np.log(np.where(valid, X, 1.0)), 0.0)
        else:
            f = np.where(valid, 1.0 / np.where(valid, X, 1.0), 0.0)
        num = np.einsum("dnk,kp->dnp", f * wd, M)
        den = np.einsum("dnk,kp->dnp", wd, M)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = num / den  # pillar-level transformed mean
            pv = ~np.isnan(t)
            pwd = pw[sel][:, None, :] * pv
            top = np.sum(np.where(pv, t, 0.0) * pwd, axis=-1) / np.sum(pwd, axis=-1)
        if name == "arithmetic":
            s = top
        elif name == "geometric":
            s = np.exp(top)  # exp of the weighted mean of pillar log-means: geometric at both levels
        else:
            s = 1.0 / top
        ok = (coverage[norm_idx[sel]] >= dat_thresh) & (coverage[norm_idx[sel]] > 0)
        out[sel] = np.where(ok, s, np.nan)
    return out


@dataclass
class MonteCarloResult:
    """Scores and ranks of every Monte Carlo draw, and their summaries.

    ``scores``, ``ranks``: ``(draws, units)``; ``nominal_score``, ``nominal_rank``: ``(units,)``;
    ``draws``: one row per draw (normalisation, aggregation, weights); ``units``: labels.
    """

    units: list[str]
    scores: np.ndarray
    ranks: np.ndarray
    nominal_score: np.ndarray
    nominal_rank: np.ndarray
    draws: pd.DataFrame

    def rank_summary(self, quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
        """Per unit: nominal rank, median rank, the rank interval (5th-95th percentile), mean |shift|.

        Also the score's median and interval. Units are sorted by nominal rank.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(self.ranks, [quantiles[0], 0.5, quantiles[1]], axis=0)
            qs = np.nanquantile(self.scores, [quantiles[0], 0.5, quantiles[1]], axis=0)
            shift = np.nanmean(np.abs(self.ranks - self.nominal_rank), axis=0)
        out = pd.DataFrame(
            {
                "unit": self.units,
                "nominal_rank": self.nominal_rank,
                "median_rank": q[1],
                "rank_low": q[0],
                "rank_high": q[2],
                "mean_abs_shift": shift,
                "nominal_score": self.nominal_score,
                "score_median": qs[1],
                "score_low": qs[0],
                "score_high": qs[2],
            }
        )
        return out.sort_values(["nominal_rank", "unit"], na_position="last").reset_index(drop=True)

    def mean_rank_shift(self) -> np.ndarray:
        r"""Per draw, the average absolute rank shift :math:`\bar R_s = \frac1M \sum_c |R_{nom}(c) - R(c)|`."""
        return np.nanmean(np.abs(self.ranks - self.nominal_rank), axis=1)


def _alternatives(bank: Mapping[str, Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    names = list(bank)
    if not names:
        raise ParameterError("monte_carlo needs at least one normalised alternative")
    stack = np.stack([_arr(bank[n]) for n in names])
    if stack.ndim != 3:
        raise ParameterError("each alternative must be a units x indicators array")
    positive = rescale_positive(stack)
    return names, stack, positive


def monte_carlo(
    bank: Mapping[str, Any],
    weights: Any,
    *,
    units: Sequence[str] | None = None,
    pillars: Sequence[str] | None = None,
    pillar_weights: Any | None = None,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    weight_noise: float = 0.25,
    n_draws: int = 1000,
    seed: int = 1,
    nominal: tuple[str, str] | None = None,
    dat_thresh: float = 0.0,
) -> MonteCarloResult:
    r"""Uncertainty analysis: every draw picks a normalisation, an aggregation and noisy weights.

    Parameters
    ----------
    bank
        The normalised alternatives (e.g. ``{"minmax": N1, "percentile_rank": N2}``), each a
        ``units x indicators`` array, already treated and oriented (higher = better). Draws pick
        one uniformly. For geometric and harmonic means an alternative with values <= 0 is rescaled
        onto [1, 100] per indicator (:func:`rescale_positive`).
    weights
        Nominal indicator weights; each draw multiplies each by :math:`1 + U(-f, f)`,
        ``f = weight_noise`` (COINr ``get_noisy_weights``), pillar weights likewise.
    pillars
        The pillar of each indicator (two-level aggregation), or None for one level.
    aggregations
        The aggregation methods drawn from uniformly (``arithmetic``, ``geometric``, ``harmonic``;
        the same method is used at both levels).
    nominal
        ``(alternative, aggregation)`` of the nominal index (default: the first of each).

    Returns
    -------
    MonteCarloResult
        All draws are computed in one batched array pass (no loop over draws or units).

    Examples
    --------
    >>> N = np.array([[10, 90], [50, 50], [100, 0.0]])
    >>> mc = monte_carlo({"minmax": N}, [1, 1], n_draws=200, seed=3, aggregations=("arithmetic",))
    >>> mc.scores.shape, mc.nominal_rank.tolist()
    ((200, 3), [1.0, 1.0, 1.0])
    """
    names, stack, positive = _alternatives(bank)
    k = stack.shape[2]
    w0 = _arr(weights)
    M, pnames = _pillar_matrix(pillars, k)
    pw0 = np.ones(len(pnames)) if pillar_weights is None else _arr(pillar_weights)
    rng = np.random.default_rng(seed)
    norm_idx = rng.integers(0, len(names), n_draws)
    agg_idx = rng.integers(0, len(aggregations), n_draws)
    w = noisy_weights(w0, weight_noise, n_draws, rng)
    pw = noisy_weights(pw0, weight_noise, n_draws, rng)
    nom = nominal or (names[0], aggregations[0])
    n_i = np.array([names.index(nom[0])])
    a_i = np.array([list(aggregations).index(nom[1])])
    scores = _evaluate(stack, positive, norm_idx, agg_idx, w, pw, M, aggregations, dat_thresh)
    nominal_score = _evaluate(stack, positive, n_i, a_i, w0[None], pw0[None], M, aggregations, dat_thresh)[0]
    ranks = rank_desc(scores, axis=1)
    nominal_rank = rank_desc(nominal_score)
    draws = pd.DataFrame(
        {
            "draw": np.arange(n_draws),
            "normalisation": np.array(names)[norm_idx],
            "aggregation": np.array(aggregations)[agg_idx],
        }
    )
    for j in range(k):
        draws[f"w{j}"] = w[:, j]
    return MonteCarloResult(
        units=list(units) if units is not None else [str(i) for i in range(stack.shape[1])],
        scores=scores,
        ranks=ranks,
        nominal_score=nominal_score,
        nominal_rank=nominal_rank,
        draws=draws,
    )


def saltelli_sample(n: int, d: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The Saltelli design: matrices A and B ``(n, d)`` of U(0, 1) draws and the d matrices
    :math:`A_B^{(i)}` (A with column i taken from B), stacked as ``(d, n, d)``.

    :math:`n (d + 2)` model runs in all.

    Examples
    --------
    >>> A, B, AB = saltelli_sample(8, 3)
    >>> A.shape, AB.shape, bool((AB[1][:, 1] == B[:, 1]).all() and (AB[1][:, 0] == A[:, 0]).all())
    ((8, 3), (3, 8, 3), True)
    """
    rng = np.random.default_rng(seed)
    base = rng.random((n, 2 * d))
    A, B = base[:, :d], base[:, d:]
    AB = np.repeat(A[None], d, axis=0)
    AB[np.arange(d), :, np.arange(d)] = B.T
    return A, B, AB


def sobol_indices(
    y_a: Any, y_b: Any, y_ab: Any, *, n_boot: int = 0, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    r"""First-order and total Sobol indices from a Saltelli design.

    :math:`S_i = \frac{1}{N}\sum_j y_B^{(j)} (y_{AB_i}^{(j)} - y_A^{(j)}) / V(y)` (Saltelli 2010)
    and :math:`S_{Ti} = \frac{1}{2N}\sum_j (y_A^{(j)} - y_{AB_i}^{(j)})^2 / V(y)` (Jansen), with
    :math:`V(y)` the variance of the pooled :math:`y_A, y_B`. ``y_a``, ``y_b``: ``(N, ...)``;
    ``y_ab``: ``(d, N, ...)`` -- any trailing axes (several outputs) are handled at once.

    With ``n_boot > 0`` also returns bootstrap 5-95 % intervals ``(2, d, ...)`` of both.

    Examples
    --------
    >>> A, B, AB = saltelli_sample(4000, 3, seed=2)
    >>> f = lambda X: X[..., 0] + 10 * X[..., 1]
    >>> S, ST, _, _ = sobol_indices(f(A), f(B), f(AB))
    >>> S[2].item(), ST[2].item(), bool(abs(S[1] - 100 / 101) < 0.05)
    (0.0, 0.0, True)
    """
    ya, yb, yab = _arr(y_a), _arr(y_b), _arr(y_ab)

    def est(ya, yb, yab):
        var = np.var(np.concatenate([ya, yb], axis=0), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.mean(yb[None] * (yab - ya[None]), axis=1) / var
            st = np.mean((ya[None] - yab) ** 2, axis=1) / (2.0 * var)
        return s, st

    S, ST = est(ya, yb, yab)
    if n_boot <= 0:
        return S, ST, None, None
    rng = np.random.default_rng(seed)
    n = ya.shape[0]
    idx = rng.integers(0, n, size=(n_boot, n))
    yab_b = np.moveaxis(yab[:, idx], 1, 0)  # (boot, d, n, ...)
    ya_b, yb_b = ya[idx], yb[idx]  # (boot, n, ...)
    var = np.var(np.concatenate([ya_b, yb_b], axis=1), axis=1)  # (boot, ...)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_b = np.mean(yb_b[:, None] * (yab_b - ya_b[:, None]), axis=2) / var[:, None]
        st_b = np.mean((ya_b[:, None] - yab_b) ** 2, axis=2) / (2.0 * var[:, None])
    ci_s = np.nanquantile(s_b, [0.05, 0.95], axis=0)
    ci_st = np.nanquantile(st_b, [0.05, 0.95], axis=0)
    return S, ST, ci_s, ci_st


@dataclass
class SensitivityResult:
    """First- and total-order indices of each uncertain input.

    ``indices``: ``factor, output, S, ST[, S_low, S_high, ST_low, ST_high]`` (output
    ``"mean_rank_shift"`` for the average absolute rank shift, or a unit label for that unit's
    rank); ``n_runs``: model evaluations (N (d + 2)).
    """

    indices: pd.DataFrame
    n_runs: int


def sensitivity(
    bank: Mapping[str, Any],
    weights: Any,
    *,
    units: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    pillars: Sequence[str] | None = None,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
    weight_noise: float = 0.25,
    n: int = 512,
    seed: int = 1,
    nominal: tuple[str, str] | None = None,
    per_unit: bool = False,
    n_boot: int = 200,
    dat_thresh: float = 0.0,
) -> SensitivityResult:
    """Variance-based sensitivity of the ranks to each uncertain input (Saltelli design).

    Inputs (factors), each driven by one U(0, 1) column of the design: the normalisation (one of
    the ``bank``, picked by ``floor(u * len(bank))``), the aggregation (likewise) and the weight of
    each indicator (:math:`w_k (1 + f (2u - 1))`). Output: the average absolute rank shift from the
    nominal ranking, and with ``per_unit=True`` each unit's rank. All :math:`n (d + 2)` runs are
    evaluated in one batched pass.

    Examples
    --------
    >>> N = np.array([[10, 90, 40], [50, 50, 45], [100, 0.0, 50], [20, 60, 10]])
    >>> r = sensitivity({"minmax": N}, [1, 1, 1], aggregations=("arithmetic",), n=64, n_boot=0)
    >>> sorted(r.indices["factor"].unique())[:2], r.n_runs
    (['aggregation', 'normalisation'], 448)
    """
    names, stack, positive = _alternatives(bank)
    k = stack.shape[2]
    w0 = _arr(weights)
    M, pnames = _pillar_matrix(pillars, k)
    pw0 = np.ones(len(pnames))
    inds = list(indicators) if indicators is not None else [str(j) for j in range(k)]
    factor_names = ["normalisation", "aggregation", *[f"weight {i}" for i in inds]]
    d = len(factor_names)
    A, B, AB = saltelli_sample(n, d, seed)
    U = np.concatenate([A, B, AB.reshape(d * n, d)], axis=0)
    norm_idx = np.minimum((U[:, 0] * len(names)).astype(int), len(names) - 1)
    agg_idx = np.minimum((U[:, 1] * len(aggregations)).astype(int), len(aggregations) - 1)
    w = w0 * (1.0 + weight_noise * (2.0 * U[:, 2:] - 1.0))
    pw = np.broadcast_to(pw0, (U.shape[0], pw0.size))
    scores = _evaluate(stack, positive, norm_idx, agg_idx, w, pw, M, aggregations, dat_thresh)
    nom = nominal or (names[0], aggregations[0])
    nominal_score = _evaluate(
        stack,
        positive,
        np.array([names.index(nom[0])]),
        np.array([list(aggregations).index(nom[1])]),
        w0[None],
        pw0[None],
        M,
        aggregations,
        dat_thresh,
    )[0]
    ranks = rank_desc(scores, axis=1)
    shift = np.nanmean(np.abs(ranks - rank_desc(nominal_score)), axis=1)
    ya, yb, yab = shift[:n], shift[n : 2 * n], shift[2 * n :].reshape(d, n)
    S, ST, ci_s, ci_st = sobol_indices(ya, yb, yab, n_boot=n_boot, seed=seed)
    rows = []
    for i, f in enumerate(factor_names):
        row = {"factor": f, "output": "mean_rank_shift", "S": float(S[i]), "ST": float(ST[i])}
        if ci_s is not None:
            row.update(S_low=ci_s[0, i], S_high=ci_s[1, i], ST_low=ci_st[0, i], ST_high=ci_st[1, i])
        rows.append(row)
    if per_unit:
        labels = list(units) if units is not None else [str(i) for i in range(stack.shape[1])]
        ya, yb, yab = ranks[:n], ranks[n : 2 * n], ranks[2 * n :].reshape(d, n, -1)
        S, ST, _, _ = sobol_indices(ya, yb, yab)
        for i, f in enumerate(factor_names):
            for u, lab in enumerate(labels):
                rows.append({"factor": f, "output": lab, "S": float(S[i, u]), "ST": float(ST[i, u])})
    return SensitivityResult(indices=pd.DataFrame(rows), n_runs=int(U.shape[0]))
