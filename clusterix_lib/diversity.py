r"""Related and unrelated variety (Frenken, Van Oort & Verburg 2007) on the NACE hierarchy.

A location's Shannon entropy over fine sectors splits exactly into the entropy **between**
coarse groups (unrelated variety: activities that share little) and the weighted entropy
**within** groups (related variety: variety among activities that share skills and inputs):

.. math::

    P_g = \sum_{i \in g} s_i, \qquad
    UV = -\sum_g P_g \log_b P_g, \qquad
    RV = \sum_g P_g H_g, \quad H_g = -\sum_{i \in g} \frac{s_i}{P_g} \log_b \frac{s_i}{P_g},

and :math:`UV + RV = H = -\sum_i s_i \log_b s_i` (Frenken et al. use base 2; the default here).

**Groups.** By default from the NACE Rev. 2 codes of the ``prod`` column (any usual form, see
:func:`clusterix_lib.nace.parse_nace_codes`): our employment extract is by division, so the
default decomposition is section → division; with group-level codes (``C10.1`` / ``C101``),
``coarse="section"`` or ``coarse="division"``. For a three-level view,
``UV(coarse="division") - UV(coarse="section")`` is the variety of divisions within sections
and ``RV(coarse="division")`` that of groups within divisions. For another classification pass
``groups=`` (a mapping from each sector to its group).

Input and bad-input rules as in :mod:`clusterix_lib.specialisation`; codes that are not NACE
codes, or codes at mixed levels (a section next to its divisions would count twice), are
errors that list them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import entr

from clusterix_lib._panel import Duplicates, Missing, Panel, _check_choice, _list, prepare, safe_divide
from clusterix_lib.errors import DataFileError, ParameterError
from clusterix_lib.nace import NACE_LEVELS, parse_nace_codes

__all__ = ["related_variety", "sector_groups"]


def sector_groups(
    sectors,
    *,
    coarse: Literal["section", "division", "group"] = "section",
    groups: Mapping[str, str] | pd.Series | None = None,
    source: str = "the input table",
    column: str = "nace_r2",
) -> pd.Series:
    """The coarse group of each sector, from NACE codes or from an explicit mapping.

    Examples
    --------
    >>> sector_groups(["C10", "C11", "G46"]).tolist()
    ['C', 'C', 'G']
    >>> sector_groups(["C10.1", "C101", "C11.0"], coarse="division").tolist()
    ['C10', 'C10', 'C11']
    """
    sectors = pd.Index(sectors)
    if groups is not None:
        mapping = pd.Series(groups) if not isinstance(groups, pd.Series) else groups
        out = pd.Series(sectors.map(mapping), index=sectors)
        unmapped = sectors[out.isna().to_numpy()]
        if len(unmapped):
            raise DataFileError(
                f"{len(unmapped)} sector(s) in column {column!r} have no group: {_list(unmapped)}",
                where=source,
                hint="add them to groups=",
            )
        return out.astype(str)
    _check_choice("coarse", coarse, NACE_LEVELS[:-1])
    parsed = parse_nace_codes(sectors.astype(str))
    bad = parsed["level"].isna().to_numpy()
    if bad.any():
        raise DataFileError(
            f"{int(bad.sum())} code(s) in column {column!r} are not NACE Rev. 2 codes: {_list(sectors[bad])}",
            where=source,
            hint="use NACE codes (C10, 10, C10.1, C101...) or give the grouping with groups=",
        )
    levels = parsed["level"].unique()
    if len(levels) > 1:
        examples = parsed.groupby("level")["code"].first()
        raise DataFileError(
            f"column {column!r} mixes NACE levels ({', '.join(f'{lv} e.g. {c}' for lv, c in examples.items())}); "
            "an aggregate next to its parts would count twice",
            where=source,
            hint="keep the codes of one level (e.g. divisions only)",
        )
    level = levels[0]
    if NACE_LEVELS.index(level) <= NACE_LEVELS.index(coarse):
        raise ParameterError(
            f"the sectors are NACE {level}s, so there is nothing below coarse={coarse!r} to measure variety in",
            where="parameter coarse",
            hint=f"choose a level above {level} ({', '.join(NACE_LEVELS[: NACE_LEVELS.index(level)])})",
        )
    return pd.Series(parsed[coarse].to_numpy(), index=sectors)


def variety_arrays(panel: Panel, group_index: np.ndarray, n_groups: int, base: float) -> dict[str, np.ndarray]:
    """Entropy, unrelated and related variety (T, L) from the panel and each sector's group number."""
    total = panel.filled.sum(axis=2, keepdims=True)
    share = safe_divide(panel.x, total)  # NaN for left-out cells and empty locations
    filled = np.nan_to_num(share, nan=0.0)
    onehot = np.zeros((len(group_index), n_groups))
    onehot[np.arange(len(group_index)), group_index] = 1.0
    group_share = filled @ onehot  # (T, L, G)
    within = safe_divide(share, group_share[..., group_index])
    log_b = np.log(base)
    h = np.nansum(entr(share), axis=2) / log_b
    uv = entr(group_share).sum(axis=2) / log_b
    rv = np.nansum(group_share[..., group_index] * entr(within), axis=2) / log_b
    valid = total[..., 0] > 0
    return {
        "entropy": np.where(valid, h, np.nan),
        "unrelated_variety": np.where(valid, uv, np.nan),
        "related_variety": np.where(valid, rv, np.nan),
    }


def related_variety(
    data: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    coarse: Literal["section", "division", "group"] = "section",
    groups: Mapping[str, str] | pd.Series | None = None,
    base: float = 2.0,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    r"""Related variety, unrelated variety and total entropy of each location (Frenken et al. 2007).

    Parameters
    ----------
    coarse
        The NACE level of the groups (default: sections), finer codes being the sectors.
    groups
        Instead of NACE: a mapping from every sector of the input to its group.
    base
        Logarithm base (2: bits).

    Returns
    -------
    DataFrame
        One row per (time, location): ``entropy`` (:math:`H`), ``unrelated_variety`` (UV),
        ``related_variety`` (RV), with UV + RV = H. NaN for a location with a zero total;
        left-out cells (``missing="omit"``) take no part.

    Examples
    --------
    indicators.md §9 B4: shares (0.3, 0.2 | 0.4, 0.1) in two sections:

    >>> df = pd.DataFrame({"geo": "R", "nace_r2": ["C10", "C11", "G45", "G46"], "value": [30, 20, 40, 10]})
    >>> related_variety(df, time=None).round(5)
      geo  entropy  unrelated_variety  related_variety
    0   R  1.84644                1.0          0.84644
    """
    if not (np.isfinite(base) and base > 0 and base != 1):
        raise ParameterError(f"base={base!r} must be a positive number other than 1", where="parameter base")
    panel = prepare(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    panel.warn_empty(sectors=False)
    mapping = sector_groups(panel.cube.prods, coarse=coarse, groups=groups, source=source, column=prod)
    codes, uniques = pd.factorize(mapping.to_numpy())
    return panel.long_by_location(**variety_arrays(panel, codes, len(uniques), base))
