r"""Smart-specialisation quadrant: which new sectors are within reach of a region, and worth it.

Balland, Boschma, Crespo & Rigby (2019, *Regional Studies* 53(9)) place every sector a region
does not yet hold on two axes:

- **relatedness density** (risk / cost): the share of the sector's related sectors that the
  region already holds, weighted by relatedness (:func:`clusterix_lib.relatedness.density`; by
  default the minimum-conditional-probability proximity and EconGeo's 0-100 scale without the
  diagonal) -- high density, low risk;
- **complexity** (benefit): the sector's PCI (:func:`clusterix_lib.complexity.eci_pci`, Stata
  conventions) computed over all locations of the input.

Each candidate falls in one of four quadrants, split at the mean (or median) of the candidates:

========================  =================  ==========================
relatedness density       complexity         quadrant
========================  =================  ==========================
high                      high               ``low risk, high benefit`` (the "ideal" options)
high                      low                ``low risk, low benefit``
low                       high               ``high risk, high benefit``
low                       low                ``high risk, low benefit``
========================  =================  ==========================

A value equal to the split counts as high. Where the split is taken is a choice the paper leaves
open (``../shared/docs/indicators.md`` §11): ``reference="region"`` (default) splits at the mean
of the region's own candidates, ``reference="all"`` at the mean over every location's candidates
(a European benchmark). Sectors present nowhere in the period have no PCI: they are kept with
``quadrant`` NaN and take no part in the split.

Examples
--------
>>> df = pd.DataFrame({"year": 2020, "region": list("AAAAABBBBBCCCCCDDDDD"), "sector": list("vwxyz") * 4,
...                    "value": [9, 5, 1, 0, 0, 8, 6, 5, 1, 0, 0, 3, 6, 6, 4, 1, 0, 2, 5, 9]})
>>> q = smart_specialisation_quadrant(df, "A", loc="region", prod="sector")
>>> q[["sector", "relatedness_density", "complexity", "quadrant"]].round(2)
  sector  relatedness_density  complexity                quadrant
0      x                 50.0        0.00  low risk, high benefit
1      y                  0.0       -1.15  high risk, low benefit
2      z                  0.0       -1.15  high risk, low benefit
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib import complexity, relatedness
from clusterix_lib.errors import ParameterError, RegionError

__all__ = ["QUADRANTS", "plot_quadrant", "smart_specialisation_quadrant"]

#: quadrant labels by (high relatedness density, high complexity), in order of attractiveness
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "low risk, high benefit",
    (True, False): "low risk, low benefit",
    (False, True): "high risk, high benefit",
    (False, False): "high risk, low benefit",
}
_COLOURS = {
    "low risk, high benefit": "#1b7837",
    "low risk, low benefit": "#7fbf7b",
    "high risk, high benefit": "#2c6e9b",
    "high risk, low benefit": "#b0b6bf",
}


def smart_specialisation_quadrant(
    data,
    region: str,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    year: object = None,
    candidates: Literal["absent", "all"] = "absent",
    split: Literal["mean", "median"] = "mean",
    reference: Literal["region", "all"] = "region",
    method: relatedness.ProximityMethod = "min_conditional",
    convention: relatedness.DensityConvention = "econgeo",
    result: complexity.Complexity | None = None,
    **options,
) -> pd.DataFrame:
    """Candidate sectors of one region by relatedness density and complexity (Balland et al. 2019).

    Parameters
    ----------
    data
        Long table (time, location, sector, value) of *all* locations (or a
        :class:`~clusterix_lib.cube.Cube`): densities and PCI are relative to the whole set.
    region
        The location to profile.
    time, loc, prod, value
        Column names (``time=None``: a single period).
    year
        The period (default: the latest in which the region has data).
    candidates
        ``"absent"`` (default): sectors the region does not hold (RCA below the threshold), as in
        the paper; ``"all"``: every sector, with ``mcp`` telling which are held.
    split, reference
        Where the axes are cut: ``mean`` or ``median`` of the region's candidates
        (``reference="region"``) or of every location's (``"all"``).
    method, convention
        Proximity and density convention for the relatedness density (see
        :mod:`clusterix_lib.relatedness`).
    result
        The :func:`clusterix_lib.complexity.compute` result of exactly ``data`` with these
        ``options``, when the caller has it already (several regions of one panel); it is used
        instead of computing it again.
    options
        Passed to :func:`clusterix_lib.complexity.compute` (``presence=, rca_threshold=, pop=,
        missing=, duplicates=, sd=, sign=``...).

    Returns
    -------
    pandas.DataFrame
        ``region, {time}, sector, value, rca, mcp, relatedness_density, complexity, quadrant``,
        most attractive quadrant first, then by relatedness density. ``table.attrs`` holds the
        split values (``relatedness_split``, ``complexity_split``) for :func:`plot_quadrant`.
    """
    for name, val, choices in (
        ("candidates", candidates, ("absent", "all")),
        ("split", split, ("mean", "median")),
        ("reference", reference, ("region", "all")),
    ):
        if val not in choices:
            raise ParameterError(
                f"{name}={val!r} is not one of {', '.join(map(repr, choices))}", where=f"parameter {name}"
            )
    if method == "continuous":
        raise ParameterError("the quadrant uses a discrete proximity", where="parameter method")
    res = result
    if res is None:
        res = complexity.compute(data, time=time, loc=loc, prod=prod, value=value, density=False, **options)
    stage = res.stage
    cube = stage.cube
    li = cube.locs.get_indexer([region])[0]
    if li < 0:
        near = [str(c) for c in cube.locs if str(c).startswith(str(region)[:2])][:5]
        raise RegionError(
            f"region {region!r} is not in the data ({len(cube.locs)} locations)",
            where=f"column {cube.names['loc']!r}",
            hint=("did you mean " + ", ".join(near) + "?")
            if near
            else f"the locations include {', '.join(map(str, cube.locs[:5]))}",
        )
    active_t = np.nonzero(stage.active[:, li])[0]
    if year is None:
        if len(active_t) == 0:
            raise RegionError(f"region {region!r} has no data in any period", where=f"column {cube.names['loc']!r}")
        t = int(active_t[-1])
    else:
        t = int(cube.times.get_indexer([year])[0])
        if t < 0:
            raise ParameterError(
                f"year={year!r} is not a period of the data ({', '.join(map(str, cube.times))})", where="parameter year"
            )
        if not stage.active[t, li]:
            raise RegionError(f"region {region!r} has no data in {year}", where=f"column {cube.names['loc']!r}")
    diag, scale = relatedness.DENSITY_CONVENTIONS[convention]
    m_t = stage.m[t : t + 1]
    phi = relatedness.proximity_array(m_t, method=method)
    dens = relatedness.density_array(m_t, phi, diagonal=diag, scale=scale)[0]  # (L, P)
    pci = res.pci[t]
    held = m_t[0] > 0
    cand = np.ones_like(held) if candidates == "all" else ~held
    defined = np.isfinite(dens) & np.isfinite(pci)[None, :] & stage.active[t][:, None]
    pool = (cand & defined)[li] if reference == "region" else (cand & defined)
    rd_pool = dens[li][pool] if reference == "region" else dens[pool]
    cx_pool = np.broadcast_to(pci, dens.shape)[pool] if reference == "all" else pci[pool]
    agg = np.mean if split == "mean" else np.median
    rd_split = float(agg(rd_pool)) if rd_pool.size else np.nan
    cx_split = float(agg(cx_pool)) if cx_pool.size else np.nan
    rows = np.nonzero(cand[li])[0]
    rd = dens[li, rows]
    cxv = pci[rows]
    ok = np.isfinite(rd) & np.isfinite(cxv)
    labels = np.array(
        [QUADRANTS[(bool(a), bool(b))] for a, b in zip(rd >= rd_split, cxv >= cx_split, strict=True)], dtype=object
    )
    labels[~ok] = np.nan
    rca = stage.rca[t, li, rows] if stage.rca is not None else np.full(len(rows), np.nan)
    table = pd.DataFrame(
        {
            "region": region,
            cube.names["time"]: cube.times[t],
            "sector": cube.prods.take(rows),
            "value": cube.values[t, li, rows],
            "rca": rca,
            "mcp": held[li, rows].astype(np.int64),
            "relatedness_density": rd,
            "complexity": cxv,
            "quadrant": labels,
        }
    )
    if not stage.has_time:
        table = table.drop(columns=cube.names["time"])
    order = {label: i for i, label in enumerate(QUADRANTS.values())}
    table["_o"] = table["quadrant"].map(order).fillna(len(order))
    table = table.sort_values(["_o", "relatedness_density", "complexity"], ascending=[True, False, False])
    table = table.drop(columns="_o").reset_index(drop=True)
    table.attrs.update(
        relatedness_split=rd_split,
        complexity_split=cx_split,
        split=split,
        reference=reference,
        convention=convention,
        region=region,
        period=cube.times[t],
    )
    return table


def plot_quadrant(
    table: pd.DataFrame,
    ax=None,
    *,
    labels: Mapping[str, str] | None = None,
    annotate: int = 10,
    title: str = "",
):
    """Scatter of a :func:`smart_specialisation_quadrant` table: relatedness density × complexity.

    Dashed lines mark the splits (from ``table.attrs``, else the means of the table); points are
    coloured by quadrant; the ``annotate`` most attractive sectors are labelled with their code
    (or ``labels[code]``). Returns the matplotlib ``Figure`` (never shown).

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = pd.DataFrame({"sector": ["a", "b"], "relatedness_density": [10.0, 60.0],
    ...                   "complexity": [1.0, -1.0], "quadrant": ["high risk, high benefit", "low risk, low benefit"]})
    >>> fig = plot_quadrant(t)
    >>> fig.axes[0].get_xlabel()
    'Relatedness density (risk: high = low risk)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    else:
        fig = ax.figure
    data = table.dropna(subset=["relatedness_density", "complexity"])
    rd_split = table.attrs.get("relatedness_split", data["relatedness_density"].mean())
    cx_split = table.attrs.get("complexity_split", data["complexity"].mean())
    for label, colour in _COLOURS.items():
        part = data[data["quadrant"] == label]
        if len(part):
            ax.scatter(
                part["relatedness_density"],
                part["complexity"],
                s=36,
                color=colour,
                label=label,
                edgecolor="white",
                linewidth=0.5,
                zorder=3,
            )
    if np.isfinite(rd_split):
        ax.axvline(rd_split, color="#555", lw=1, ls="--", zorder=2)
    if np.isfinite(cx_split):
        ax.axhline(cx_split, color="#555", lw=1, ls="--", zorder=2)
    for _, row in data.head(max(int(annotate), 0)).iterrows():
        name = (labels or {}).get(row["sector"], row["sector"])
        ax.annotate(
            str(name),
            (row["relatedness_density"], row["complexity"]),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xlabel("Relatedness density (risk: high = low risk)")
    ax.set_ylabel("Complexity (PCI: high = high benefit)")
    ax.legend(loc="best", frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
