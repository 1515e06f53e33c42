r"""Specialisation of locations: location quotients (RCA), RPOP and specialisation indices.

Notation (as in ``../shared/docs/indicators.md`` §2.2): :math:`x_{ri}` is the count (persons
employed, exports...) of location *r* in sector *i* in a period; :math:`x_{r\cdot} = \sum_i x_{ri}`;
:math:`s_{ri} = x_{ri} / x_{r\cdot}` the sector's share in the location; :math:`X_i` the reference
count of sector *i* and :math:`s_i = X_i / \sum_j X_j` its reference share.

Input: a long table, one row per (time, location, sector) with a non-negative value; column
names are mappable (``time=, loc=, prod=, value=``; the defaults are our extract's ``year, geo,
nace_r2, value``; ``time=None`` for a table without periods). Combinations absent from the table
are zeros of the full rectangle. Every period is computed on its own, vectorised (no loop over
periods or locations). Output: a tidy long table, one row per (time, location, sector) or per
(time, location).

**Reference economy.** By default the sum over all locations of the input, period by period.
``reference=`` takes a long table of reference counts instead (e.g. the EU27 total): columns
``prod`` and ``value``, and ``time`` if they vary by period (without it, the same counts serve
every period). Only the input's sectors count in the reference total; a sector of the input
without a reference row gets NaN results, with a warning naming it.

**Bad input** is checked by :func:`clusterix_lib.cube.to_cube` (missing column, non-numeric,
negative, duplicated rows, NaN). ``missing="omit"`` leaves a missing value's cell out: it adds to
no total, its own results are NaN, and sums over sectors run over the cells with a value (a
warning counts them). A location or sector with a zero total in a period has NaN results there
(warned); a single location or sector makes the measures trivial (warned).

**Where we differ from EconGeo** (v2.0): no rounding (EconGeo's ``rca`` rounds to 2 dp, which
moves cells across the threshold); an undefined quotient (0/0) is NaN, not 0; the ≥ rule of the
binary presence is kept (a quotient of exactly 1 counts), and quotients are computed as one
division of products, :math:`x_{ri} X / (x_{r\cdot} X_i)`, so that with integer counts an LQ that
is exactly 1 comes out as exactly 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterix_lib._panel import (
    Duplicates,
    Missing,
    Panel,
    aux_array,
    population_array,
    prepare,
    safe_divide,
    to_nullable_int,
    warn_aux_gaps,
)
from clusterix_lib.errors import ParameterError

__all__ = [
    "average_lq",
    "hachman_index",
    "hoover_specialisation",
    "krugman_index",
    "location_quotient",
    "rca_presence",
    "rpop",
    "specialisation_indices",
]


def _check_threshold(threshold: float | None) -> None:
    if threshold is not None and not (np.isfinite(threshold) and threshold > 0):
        raise ParameterError(f"threshold={threshold!r} must be a positive number", where="parameter threshold")


def reference_counts(panel: Panel, reference: pd.DataFrame | None, *, value: str) -> np.ndarray:
    """(T, P) reference counts: the input's column sums, or the ``reference`` table aligned on the panel."""
    if reference is None:
        panel.warn_single(sectors=False)
        return panel.filled.sum(axis=1)
    ref = aux_array(panel, reference, axis="prod", value=value, what="the reference table")
    warn_aux_gaps(panel, ref, axis="prod", what="the reference table")
    return ref


def lq_arrays(panel: Panel, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shares, reference shares, location totals and LQ on the panel's arrays.

    Returns ``share`` (T, L, P), ``reference_share`` (T, L, P), ``total`` (T, L) and ``lq`` (T, L, P).

    A cell left out (missing, ``missing="omit"``) is left out of the reference total *for that
    location* too: both shares of a location are taken over the sectors it has figures for, so a
    withheld sector biases neither (:math:`s_i^{(r)} = X_i / \\sum_{j \\in P_r} X_j`). Without
    missing cells the reference share is the same for every location.
    """
    total = panel.filled.sum(axis=2)
    observed = ~np.isnan(panel.x)
    ref_b = np.broadcast_to(ref[:, None, :], panel.x.shape)
    if observed.all():
        ref_total = np.broadcast_to(np.nansum(ref, axis=1)[:, None], total.shape)
    else:
        ref_total = np.nansum(np.where(observed, ref_b, 0.0), axis=2)
    share = safe_divide(panel.x, total[:, :, None])
    ref_share = np.where(observed, safe_divide(ref_b, ref_total[:, :, None]), np.nan)
    lq = safe_divide(panel.x * ref_total[:, :, None], total[:, :, None] * ref_b)
    return share, ref_share, total, lq


def _lq_panel(data, time, loc, prod, value, reference, missing, duplicates, source):
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    ref = reference_counts(panel, reference, value=value)
    panel.warn_empty(sectors=reference is None)
    return panel, *lq_arrays(panel, ref)


def location_quotient(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    threshold: float | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Location quotient (Balassa's revealed comparative advantage, RCA) of each location in each sector.

    .. math:: LQ_{ri} = \frac{x_{ri} / x_{r\cdot}}{X_i / X}

    LQ > 1: the sector's share in the location exceeds its share in the reference economy. NaN
    where undefined (a location or reference sector with a zero total, a left-out cell).

    Parameters
    ----------
    data
        Long table with the ``time``, ``loc``, ``prod`` and ``value`` columns.
    time, loc, prod, value
        Column names; ``time=None`` for a table without periods.
    reference
        Reference counts (see the module notes); default: the sum over the input's locations.
    threshold
        If given, adds ``presence`` = 1 where LQ ≥ threshold, else 0 (<NA> where LQ is NaN).
    missing, duplicates, source
        Input rules and the table's name in messages (see :func:`clusterix_lib.cube.to_cube`;
        ``missing="omit"`` leaves missing cells out).

    Returns
    -------
    DataFrame
        One row per (time, location, sector) of the full rectangle: the key columns, ``value``
        (0 for absent combinations), ``share`` (:math:`s_{ri}`), ``reference_share``
        (:math:`s_i`), ``lq`` and, with a threshold, ``presence``.

    Examples
    --------
    Matrix E1 of ``indicators.md`` §9 B1 (every row and column total is 100, so LQ = 5 x share):

    >>> m = {"R1": [100, 0, 0, 0, 0], "R2": [0, 15, 5, 70, 10], "R3": [0, 20, 10, 20, 50],
    ...      "R4": [0, 25, 30, 5, 40], "R5": [0, 40, 55, 5, 0]}
    >>> df = pd.DataFrame([(r, f"I{i + 1}", v) for r, row in m.items() for i, v in enumerate(row)],
    ...                   columns=["region", "sector", "employed"])
    >>> lq = location_quotient(df, time=None, loc="region", prod="sector", value="employed", threshold=1)
    >>> lq[lq["region"] == "R3"][["sector", "lq", "presence"]]
       sector   lq  presence
    10     I1  0.0         0
    11     I2  1.0         1
    12     I3  0.5         0
    13     I4  1.0         1
    14     I5  2.5         1
    """
    _check_threshold(threshold)
    panel, share, ref_share, _, lq = _lq_panel(data, time, loc, prod, value, reference, missing, duplicates, source)
    cols = {value: panel.x, "share": share, "reference_share": ref_share, "lq": lq}
    if threshold is not None:
        cols["presence"] = np.where(np.isnan(lq), np.nan, lq >= threshold)
    out = panel.long(**cols)
    return to_nullable_int(out, ["presence"]) if threshold is not None else out


def rca_presence(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    threshold: float = 1.0,
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Binary presence :math:`M_{ri} = 1[LQ_{ri} \ge \text{threshold}]` (the ≥ rule of EconGeo and py-ecomplexity).

    Same as :func:`location_quotient` with ``threshold`` (default 1): columns ``value, share,
    reference_share, lq, presence`` (nullable integer; <NA> where LQ is NaN).

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [3, 1, 1, 3]})
    >>> rca_presence(df, time=None)["presence"].tolist()
    [1, 0, 0, 1]
    """
    return location_quotient(
        data,
        time=time,
        loc=loc,
        prod=prod,
        value=value,
        reference=reference,
        threshold=threshold,
        missing=missing,
        duplicates=duplicates,
        source=source,
    )


def rpop(
    data: pd.DataFrame,
    population: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    population_value: str = "population",
    threshold: float | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Population-based revealed advantage (RPOP, as py-ecomplexity's ``rpop``).

    .. math:: RPOP_{ri} = \frac{x_{ri} / p_r}{\sum_{r'} x_{r'i} / \sum_{r'} p_{r'}}

    where :math:`p_r` is the location's population and both sums run over the input's
    locations that have a population.

    Parameters
    ----------
    population
        Long table with the ``loc`` column, the ``population_value`` column and, if it varies,
        the ``time`` column. A location without a population gets NaN (warned); a population
        of 0 gives NaN.
    threshold
        If given, adds ``presence`` = 1 where RPOP ≥ threshold (<NA> where RPOP is NaN).

    Returns
    -------
    DataFrame
        One row per (time, location, sector): ``value``, ``population``, ``rpop`` and, with a
        threshold, ``presence``.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [30, 10, 10, 10]})
    >>> pop = pd.DataFrame({"geo": ["A", "B"], "population": [100, 300]})
    >>> rpop(df, pop, time=None)["rpop"].round(4).tolist()
    [3.0, 2.0, 0.3333, 0.6667]
    """
    _check_threshold(threshold)
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    panel.warn_single(sectors=False)
    panel.warn_empty(locations=False)
    pop = population_array(panel, population, value=population_value)
    has_pop = ~np.isnan(pop)
    ref = (panel.filled * has_pop[:, :, None]).sum(axis=1)
    pop_total = np.nansum(pop, axis=1)
    per_head = safe_divide(panel.x, pop[:, :, None])
    rp = safe_divide(per_head * pop_total[:, None, None], ref[:, None, :])
    cols = {value: panel.x, "population": np.broadcast_to(pop[:, :, None], panel.x.shape), "rpop": rp}
    if threshold is not None:
        cols["presence"] = np.where(np.isnan(rp), np.nan, rp >= threshold)
    out = panel.long(**cols)
    return to_nullable_int(out, ["presence"]) if threshold is not None else out


def _indices(panel: Panel, share, ref_share, total, lq) -> dict[str, np.ndarray]:
    has = total > 0
    krugman = np.where(has, np.nansum(np.abs(share - ref_share), axis=2), np.nan)
    avg = np.where(has, np.nansum(share * lq, axis=2), np.nan)
    return {
        "krugman": krugman,
        "hoover_specialisation": krugman / 2,
        "average_lq": avg,
        "hachman": safe_divide(np.ones_like(avg), avg),
    }


def specialisation_indices(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""All specialisation indices of each location, one row per (time, location).

    - ``krugman``: Krugman specialisation index :math:`K_r = \sum_i |s_{ri} - s_i|`, in [0, 2]
      (0 = the reference's structure); the default reference includes the location itself.
    - ``hoover_specialisation``: Hoover coefficient of specialisation :math:`K_r / 2`, in [0, 1].
    - ``average_lq``: coefficient of specialisation (Hoover--Giarratani)
      :math:`\sum_i s_{ri} LQ_{ri} = \sum_i s_{ri}^2 / s_i`, ≥ 1 (Cauchy--Schwarz); 1 = the
      reference's structure.
    - ``hachman``: Hachman index :math:`1 / \sum_i s_{ri} LQ_{ri}`, in (0, 1]; 1 = same structure.

    NaN for a location with a zero total; left-out cells are skipped in the sums.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [3, 1, 1, 3]})
    >>> specialisation_indices(df, time=None)
      geo  krugman  hoover_specialisation  average_lq  hachman
    0   A      0.5                   0.25        1.25      0.8
    1   B      0.5                   0.25        1.25      0.8
    """
    panel, share, ref_share, total, lq = _lq_panel(data, time, loc, prod, value, reference, missing, duplicates, source)
    return panel.long_by_location(**_indices(panel, share, ref_share, total, lq))


def _one_index(name: str, data, time, loc, prod, value, reference, missing, duplicates, source) -> pd.DataFrame:
    panel, share, ref_share, total, lq = _lq_panel(data, time, loc, prod, value, reference, missing, duplicates, source)
    return panel.long_by_location(**{name: _indices(panel, share, ref_share, total, lq)[name]})


def krugman_index(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Krugman specialisation index :math:`K_r = \sum_i |s_{ri} - s_i|`, in [0, 2]; columns ``time, loc, krugman``.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [4, 0, 0, 4]})
    >>> krugman_index(df, time=None)["krugman"].tolist()
    [1.0, 1.0]
    """
    return _one_index("krugman", data, time, loc, prod, value, reference, missing, duplicates, source)


def hoover_specialisation(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Hoover coefficient of specialisation :math:`\frac12 \sum_i |s_{ri} - s_i|`, in [0, 1].

    Columns ``time, loc, hoover_specialisation`` (EconGeo's ``spec_coeff``).

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [4, 0, 0, 4]})
    >>> hoover_specialisation(df, time=None)["hoover_specialisation"].tolist()
    [0.5, 0.5]
    """
    return _one_index("hoover_specialisation", data, time, loc, prod, value, reference, missing, duplicates, source)


def average_lq(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Coefficient of specialisation as the average LQ weighted by the location's shares.

    :math:`\sum_i s_{ri} LQ_{ri}`; columns ``time, loc, average_lq`` (EconGeo's ``location_quotient_avg``).

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [4, 0, 0, 4]})
    >>> average_lq(df, time=None)["average_lq"].tolist()
    [2.0, 2.0]
    """
    return _one_index("average_lq", data, time, loc, prod, value, reference, missing, duplicates, source)


def hachman_index(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    reference: pd.DataFrame | None = None,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Hachman index :math:`HI_r = 1 / \sum_i s_{ri} LQ_{ri}`: 1 = the reference's structure, → 0 = dissimilar.

    Columns ``time, loc, hachman``.

    Examples
    --------
    >>> df = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["x", "y", "x", "y"], "value": [4, 0, 0, 4]})
    >>> hachman_index(df, time=None)["hachman"].tolist()
    [0.5, 0.5]
    """
    return _one_index("hachman", data, time, loc, prod, value, reference, missing, duplicates, source)
