"""Specialisation measures on tidy region x sector data.

The input is long and tidy: one row per region, sector (and, optionally, period), with a
non-negative count such as persons employed. Computations are vectorised group sums; no loops
over regions, sectors or years.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def location_quotient(
    data: pd.DataFrame,
    *,
    region: str = "region",
    sector: str = "sector",
    value: str = "value",
    by: str | Sequence[str] | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Location quotient (Balassa's revealed comparative advantage) of each region in each sector.

    .. math::

        LQ_{ri} = \frac{x_{ri} / x_{r\cdot}}{X_i / X}

    where :math:`x_{ri}` is the region's count in sector *i*, :math:`x_{r\cdot}` its total over
    the sectors present, and :math:`X_i / X` the reference share of sector *i*. LQ > 1 means the
    sector's share in the region exceeds its share in the reference.

    Parameters
    ----------
    data
        Tidy frame with columns ``region``, ``sector``, ``value`` and the ``by`` columns
        (e.g. ``"year"``). Missing values (NaN) are left out of every sum and get NaN LQ.
    region, sector, value
        Column names.
    by
        Columns that split the computation (each year is computed on its own).
    reference
        Reference counts with columns ``sector``, ``value`` and the ``by`` columns, e.g. the EU
        total. By default the reference is the sum over all regions in ``data``.

    Returns
    -------
    DataFrame
        ``data`` with the added columns ``share`` (:math:`x_{ri}/x_{r\cdot}`), ``reference_share``
        (:math:`X_i/X`) and ``lq``. Row order is kept.

    Examples
    --------
    The EconGeo example matrix (every row and column total is 100, so LQ = 5 x share):

    >>> m = {"R1": [100, 0, 0, 0, 0], "R2": [0, 15, 5, 70, 10], "R3": [0, 20, 10, 20, 50],
    ...      "R4": [0, 25, 30, 5, 40], "R5": [0, 40, 55, 5, 0]}
    >>> df = pd.DataFrame([(r, f"I{i + 1}", v) for r, row in m.items() for i, v in enumerate(row)],
    ...                   columns=["region", "sector", "value"])
    >>> lq = location_quotient(df)
    >>> lq.pivot(index="region", columns="sector", values="lq").loc["R2"].round(6).tolist()
    [0.0, 0.75, 0.25, 3.5, 0.5]
    """
    keys = _as_list(by)
    missing = [c for c in [region, sector, value, *keys] if c not in data.columns]
    if missing:
        raise KeyError(f"location_quotient: columns {missing} not in the data ({list(data.columns)})")
    vals = pd.to_numeric(data[value], errors="raise").astype("float64")
    if (vals < 0).any():
        bad = data.loc[vals < 0].iloc[0]
        raise ValueError(f"location_quotient needs non-negative counts; first negative row: {bad.to_dict()}")

    frame = data[[region, sector, *keys]].copy()
    frame["_v"] = vals
    region_total = frame.groupby([region, *keys], sort=False, dropna=False)["_v"].transform("sum")
    share = frame["_v"] / region_total.where(region_total > 0)

    if reference is None:
        ref = frame.groupby([sector, *keys], sort=False, dropna=False)["_v"].sum().rename("_ref").reset_index()
    else:
        ref = reference[[sector, *keys]].copy()
        ref["_ref"] = pd.to_numeric(reference[value], errors="raise").astype("float64")
    ref_total = ref.groupby(keys, sort=False)["_ref"].transform("sum") if keys else ref["_ref"].sum()
    ref["reference_share"] = ref["_ref"] / (ref_total.where(ref_total > 0) if keys else (ref_total or np.nan))
    ref_share = frame[[sector, *keys]].merge(ref[[sector, *keys, "reference_share"]], how="left", on=[sector, *keys])

    out = data.copy()
    out["share"] = share.to_numpy()
    out["reference_share"] = ref_share["reference_share"].to_numpy()
    out["lq"] = out["share"] / out["reference_share"].where(out["reference_share"] > 0)
    out.loc[vals.isna().to_numpy(), ["share", "lq"]] = np.nan
    return out
