"""Maps of Europe: an indicator by region with the consortium outlined, and complementarity links.

Both draw on the simplified NUTS 2021 polygons in ``data/`` (all levels in one GeoJSON) with
matplotlib/geopandas and return a :class:`~matplotlib.figure.Figure` (rendered as PNG in reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from clusterix_lib.errors import ParameterError

__all__ = ["centroids", "plot_choropleth", "plot_links"]

_XLIM, _YLIM, _ASPECT = (-12, 35), (34, 71.5), 1.6


def _read(geometry: str | Path):
    import geopandas as gpd

    return gpd.read_file(geometry)


def centroids(codes: Iterable[str], geometry: str | Path) -> pd.DataFrame:
    """Longitude and latitude of a representative point of each region (any NUTS level); ``x, y`` by code."""
    gdf = _read(geometry)
    gdf = gdf[gdf["NUTS_ID"].isin(list(codes))]
    pts = gdf.geometry.representative_point()
    return pd.DataFrame({"x": pts.x.to_numpy(), "y": pts.y.to_numpy()}, index=gdf["NUTS_ID"].to_numpy())


def _frame(ax) -> None:
    ax.set_xlim(*_XLIM)
    ax.set_ylim(*_YLIM)
    ax.set_aspect(_ASPECT)
    ax.set_axis_off()


def plot_choropleth(
    values: pd.Series,
    geometry: str | Path,
    *,
    level: int = 2,
    highlight: Iterable[str] = (),
    title: str = "",
    label: str = "",
    cmap: str = "YlGnBu",
) -> Figure:
    """Regions of NUTS ``level`` shaded by ``values`` (indexed by NUTS code), ``highlight`` outlined in red.

    Regions without a value are grey (the legend says so); the highlighted regions may be of any
    level. Raises :class:`~clusterix_lib.errors.ParameterError` when no value matches a region.
    """
    import matplotlib.pyplot as plt

    gdf = _read(geometry)
    layer = gdf[gdf["LEVL_CODE"] == level].merge(
        values.rename("value"), left_on="NUTS_ID", right_index=True, how="left"
    )
    if layer["value"].notna().sum() == 0:
        raise ParameterError(
            "no value matches a region of the map",
            where=f"NUTS level {level}",
            hint="index the values by NUTS 2021 codes of that level",
        )
    fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
    layer[layer["value"].isna()].plot(ax=ax, color="#e3e5e8", edgecolor="white", linewidth=0.2)
    layer.dropna(subset=["value"]).plot(
        ax=ax,
        column="value",
        cmap=cmap,
        edgecolor="white",
        linewidth=0.2,
        legend=True,
        legend_kwds={"shrink": 0.6, "label": label},
    )
    gdf[gdf["LEVL_CODE"] == 0].boundary.plot(ax=ax, color="#8a8f98", linewidth=0.4)
    chosen = gdf[gdf["NUTS_ID"].isin(list(highlight))]
    if len(chosen):
        chosen.boundary.plot(ax=ax, color="#c0392b", linewidth=1.4)
    n_missing = int(layer["value"].isna().sum())
    if n_missing:
        ax.text(0.01, 0.01, f"grey: no figure ({n_missing} regions)", transform=ax.transAxes, fontsize=8)
    _frame(ax)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_links(
    links: pd.DataFrame,
    geometry: str | Path,
    *,
    value: str = "score",
    top: int = 10,
    focus: str | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "",
) -> Figure:
    """The ``top`` strongest links (``region_a, region_b, value``) as lines between regions, wider when stronger.

    Each unordered pair is drawn once; ``focus`` (a region) is marked with a star.
    """
    import matplotlib.pyplot as plt

    names = names or {}
    t = links.dropna(subset=[value]).copy()
    key = t[["region_a", "region_b"]].apply(lambda r: tuple(sorted(r)), axis=1)
    t = t.loc[~key.duplicated()].nlargest(top, value)
    codes = sorted(set(t["region_a"]) | set(t["region_b"]) | ({focus} if focus else set()))
    pts = centroids(codes, geometry)
    t = t[t["region_a"].isin(pts.index) & t["region_b"].isin(pts.index)]
    gdf = _read(geometry)
    fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
    gdf[gdf["LEVL_CODE"] == 0].plot(ax=ax, color="#eef0f2", edgecolor="#8a8f98", linewidth=0.4)
    if len(t):
        v = t[value].to_numpy(dtype=float)
        span = np.ptp(v) or 1.0
        widths = 1 + 4 * (v - v.min()) / span
        a, b = pts.loc[t["region_a"]].to_numpy(), pts.loc[t["region_b"]].to_numpy()
        ax.add_collection(
            LineCollection(np.stack([a, b], axis=1), linewidths=widths, colors="#2c7fb8", alpha=0.7, capstyle="round")
        )
    ax.scatter(pts["x"], pts["y"], s=18, color="#253494", zorder=3)
    for code, r in pts.iterrows():
        ax.annotate(names.get(code, code), (r["x"], r["y"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    if focus and focus in pts.index:
        ax.scatter([pts.at[focus, "x"]], [pts.at[focus, "y"]], s=120, marker="*", color="#c0392b", zorder=4)
    _frame(ax)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
