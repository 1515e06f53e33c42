r"""Concentration and inequality: Herfindahl, Shannon entropy, Gini, locational Gini, Hoover.

Two directions, as in EconGeo: how concentrated a location's activity is over sectors
(``by="loc"``: Herfindahl, entropy) and how concentrated a sector is over locations (per
(time, sector): Gini, locational Gini, Hoover; Herfindahl and entropy with ``by="prod"``).

Input and bad-input rules as in :mod:`clusterix_lib.specialisation` (long table, mappable
column names, ``time=None`` for no periods, checks by :func:`clusterix_lib.cube.to_cube`,
``missing="omit"`` to leave missing cells out). A location or sector with a zero total gets NaN.

**Population weights** (``gini``, ``hoover_index``): ``population=None`` weighs every location
equally (EconGeo's default), ``"total"`` uses each location's total over the input's sectors
(e.g. total employment), or a long table with the ``loc`` column, ``population_value`` and,
if it varies, the ``time`` column. A left-out cell (``missing="omit"``) takes its location out
of that sector's computation (weight 0).

**Where we differ from EconGeo** (v2.0): no rounding (EconGeo rounds Gini and entropy to 3 dp,
Hoover to 2 dp); entropy uses :math:`0 \log 0 = 0` exactly instead of adding 1e-9 inside the
logarithm; the Hoover index is a fraction in [0, 1], not a percentage.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import entr

from clusterix_lib._panel import Duplicates, Missing, Panel, _check_choice, population_array, prepare, safe_divide
from clusterix_lib.errors import ParameterError

__all__ = ["entropy", "gini", "herfindahl", "hoover_index", "locational_gini"]

By = Literal["loc", "prod"]


def _panel(data, time, loc, prod, value, missing, duplicates, source) -> Panel:
    return prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )


def _shares(panel: Panel, by: By) -> tuple[np.ndarray, int]:
    """Shares within each location (``by="loc"``, over sectors) or each sector (over locations)."""
    _check_choice("by", by, ("loc", "prod"))
    axis = 2 if by == "loc" else 1
    if by == "loc":
        panel.warn_empty(sectors=False)
        panel.warn_single(locations=False)
    else:
        panel.warn_empty(locations=False)
        panel.warn_single(sectors=False)
    total = panel.filled.sum(axis=axis, keepdims=True)
    return safe_divide(panel.x, total), axis


def _out(panel: Panel, by: By, **arrays: np.ndarray) -> pd.DataFrame:
    return panel.long_by_location(**arrays) if by == "loc" else panel.long_by_sector(**arrays)


def _weighted(panel: Panel, population, population_value: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and (T, L, P) weights with 0 for cells out of the computation (left out, or no population)."""
    w = population_array(panel, population, value=population_value, consequence="left out of every sector")
    keep = panel.observed & ~np.isnan(w)[:, :, None]
    return np.where(keep, panel.filled, 0.0), np.where(keep, np.nan_to_num(w)[:, :, None], 0.0)


def herfindahl(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    by: By = "loc",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Herfindahl--Hirschman index of concentration, :math:`HHI_r = \sum_i s_{ri}^2`.

    In :math:`[1/n, 1]` for *n* sectors: 1 = everything in one sector. ``by="prod"`` gives the
    concentration of each sector over locations, :math:`\sum_r (x_{ri} / x_{\cdot i})^2`.

    Returns
    -------
    DataFrame
        ``time, loc, herfindahl`` (or ``time, prod, herfindahl`` with ``by="prod"``).

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [1, 1, 3, 1]})
    >>> herfindahl(df, time=None)
      geo  herfindahl
    0   A       0.500
    1   B       0.625
    """
    panel = _panel(data, time, loc, prod, value, missing, duplicates, source)
    share, axis = _shares(panel, by)
    hhi = np.nansum(share**2, axis=axis)
    valid = np.isfinite(share).any(axis=axis)
    return _out(panel, by, herfindahl=np.where(valid, hhi, np.nan))


def entropy(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    by: By = "loc",
    base: float = 2.0,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Shannon entropy of a location's distribution over sectors, :math:`E_r = -\sum_i s_{ri} \log_b s_{ri}`.

    Base 2 by default (bits, as EconGeo and Frenken et al. 2007); ``base=np.e`` for nats. In
    :math:`[0, \log_b n]`: 0 = one sector, :math:`\log_b n` = all *n* sectors equal.
    ``by="prod"``: entropy of each sector's distribution over locations.

    Returns
    -------
    DataFrame
        ``time, loc, entropy`` (or ``time, prod, entropy`` with ``by="prod"``).

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [1, 1, 3, 0]})
    >>> entropy(df, time=None)
      geo  entropy
    0   A      1.0
    1   B      0.0
    """
    if not (np.isfinite(base) and base > 0 and base != 1):
        raise ParameterError(f"base={base!r} must be a positive number other than 1", where="parameter base")
    panel = _panel(data, time, loc, prod, value, missing, duplicates, source)
    share, axis = _shares(panel, by)
    h = np.nansum(entr(share), axis=axis) / np.log(base)
    valid = np.isfinite(share).any(axis=axis)
    return _out(panel, by, entropy=np.where(valid, h, np.nan))


def lorenz_gini(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    r"""Gini coefficient of ``x`` with population ``weight`` along the last axis.

    Locations are sorted by :math:`x / w`; with cumulative shares :math:`P_k` of the weights and
    :math:`L_k` of ``x``, :math:`G = 1 - \sum_k (P_k - P_{k-1})(L_k + L_{k-1})` (the area between
    the Lorenz curve and the diagonal, doubled). Entries with weight 0 and value 0 take no part.
    NaN where the total of ``x`` or of the weights is 0.

    >>> lorenz_gini(np.array([0.0, 10, 10, 30, 50]), np.ones(5)).round(4)
    np.float64(0.48)
    """
    x = np.asarray(x, dtype=float)
    weight = np.asarray(weight, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weight > 0, x / weight, np.where(x > 0, np.inf, -np.inf))
    order = np.argsort(ratio, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.take_along_axis(weight, order, axis=-1)
    x_tot = xs.sum(axis=-1, keepdims=True)
    w_tot = ws.sum(axis=-1, keepdims=True)
    cum_x = safe_divide(np.cumsum(xs, axis=-1), x_tot)
    cum_w = safe_divide(np.cumsum(ws, axis=-1), w_tot)
    prev_x = np.concatenate([np.zeros_like(cum_x[..., :1]), cum_x[..., :-1]], axis=-1)
    width = np.diff(cum_w, axis=-1, prepend=0.0)
    return 1.0 - (width * (cum_x + prev_x)).sum(axis=-1)


def gini(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    population: pd.DataFrame | Literal["total"] | None = None,
    population_value: str = "population",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Gini coefficient of each sector's distribution over locations (from the Lorenz curve).

    With equal weights (default; EconGeo's ``gini``) the locations are sorted by value and
    :math:`G = 1 - \frac1n \sum_k (L_k + L_{k-1})`, in :math:`[0, (n-1)/n]`. With a population
    (EconGeo's ``hoover_gini``), locations are sorted by value per head and each step of the
    curve is as wide as the location's population share: 0 = activity proportional to
    population. ``population="total"`` weighs by the locations' totals, which gives twice
    :func:`locational_gini`.

    Returns
    -------
    DataFrame
        ``time, prod, gini``.

    Examples
    --------
    indicators.md §9 B4: ind = (0, 10, 10, 30, 50), pop = (10, 15, 20, 25, 30):

    >>> df = pd.DataFrame({"geo": list("abcde"), "nace_r2": "ind", "value": [0, 10, 10, 30, 50]})
    >>> gini(df, time=None)
      nace_r2  gini
    0     ind  0.48
    >>> pop = pd.DataFrame({"geo": list("abcde"), "population": [10, 15, 20, 25, 30]})
    >>> gini(df, time=None, population=pop).round(4)
      nace_r2  gini
    0     ind  0.31
    """
    panel = _panel(data, time, loc, prod, value, missing, duplicates, source)
    panel.warn_empty(locations=False)
    panel.warn_single(sectors=False)
    x, weight = _weighted(panel, population, population_value)
    g = lorenz_gini(np.moveaxis(x, 1, 2), np.moveaxis(weight, 1, 2))
    return panel.long_by_sector(gini=g)


def locational_gini(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Krugman's locational Gini of each sector: how unevenly it is spread compared with all activity.

    Locations are sorted by their LQ in the sector; the curve plots the cumulative share of the
    sector's count (:math:`x_{ri} / x_{\cdot i}`) against the cumulative share of total
    activity (:math:`x_{r\cdot} / x`). The index is the **area between the curve and the
    diagonal** (Krugman 1991; EconGeo's ``locational_gini``), half the usual Gini, so it lies in
    [0, 0.5): 0 = the sector is spread like activity as a whole. Equal to
    ``gini(population="total") / 2``.

    Returns
    -------
    DataFrame
        ``time, prod, locational_gini``.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [2, 0, 1, 1]})
    >>> locational_gini(df, time=None)
      nace_r2  locational_gini
    0       x         0.083333
    1       y         0.250000
    """
    panel = _panel(data, time, loc, prod, value, missing, duplicates, source)
    panel.warn_empty(locations=False)
    panel.warn_single(sectors=False)
    total = panel.filled.sum(axis=2)
    weight = np.where(panel.observed, total[:, :, None], 0.0)
    g = lorenz_gini(np.moveaxis(panel.filled, 1, 2), np.moveaxis(weight, 1, 2))
    return panel.long_by_sector(locational_gini=g / 2)


def hoover_index(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    population: pd.DataFrame | Literal["total"] | None = None,
    population_value: str = "population",
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Hoover concentration index of each sector over locations.

    .. math:: H_i = \frac12 \sum_r \left| \frac{x_{ri}}{x_{\cdot i}} - \frac{p_r}{\sum_{r'} p_{r'}} \right|

    The share of the sector's activity that would have to move for it to be spread like the
    population :math:`p` (uniform by default, ``"total"``: like activity as a whole -- the
    coefficient of localisation -- or a population table); in [0, 1). EconGeo's
    ``hoover_index`` gives 100 H.

    Returns
    -------
    DataFrame
        ``time, prod, hoover``.

    Examples
    --------
    indicators.md §9 B4 (EconGeo: 25.0 %):

    >>> df = pd.DataFrame({"geo": list("abcde"), "nace_r2": "ind", "value": [0, 10, 10, 30, 50]})
    >>> pop = pd.DataFrame({"geo": list("abcde"), "population": [10, 15, 20, 25, 30]})
    >>> hoover_index(df, time=None, population=pop)
      nace_r2  hoover
    0     ind    0.25
    """
    panel = _panel(data, time, loc, prod, value, missing, duplicates, source)
    panel.warn_empty(locations=False)
    panel.warn_single(sectors=False)
    x, weight = _weighted(panel, population, population_value)
    xs = safe_divide(x, x.sum(axis=1, keepdims=True))
    ws = safe_divide(weight, weight.sum(axis=1, keepdims=True))
    h = 0.5 * np.abs(xs - ws).sum(axis=1)
    return panel.long_by_sector(hoover=h)
