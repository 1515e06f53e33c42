"""Figures for the reports. Each function returns a matplotlib ``Figure`` and never shows it.

Static PNG figures keep the shared HTML free of JavaScript and network requests.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

HIGHLIGHT = "#c0392b"
BASE = "#2c6e9b"
MUTED = "#d9dde3"


def _short(label: str, width: int = 48) -> str:
    return textwrap.shorten(label, width=width, placeholder="…")


def plot_specialisations(top: pd.DataFrame, *, title: str = "") -> Figure:
    """Horizontal bars of location quotients (strongest at the top), with the LQ = 1 line.

    ``top`` has columns ``nace_r2``, ``label``, ``lq`` and ``value`` (persons employed).
    """
    t = top.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(t) + 1.2), layout="constrained")
    names = [f"{c}  {_short(lbl)}" for c, lbl in zip(t["nace_r2"], t["label"], strict=True)]
    ax.barh(names, t["lq"], color=BASE)
    ax.axvline(1, color="#555", lw=1, ls="--")
    for y, (lq, v) in enumerate(zip(t["lq"], t["value"], strict=True)):
        ax.text(lq, y, f" {lq:.2f}  ({v:,.0f} persons)", va="center", fontsize=8)
    ax.set_xlabel("Location quotient (1 = same share as the EU)")
    ax.set_xlim(0, max(t["lq"].max() * 1.35, 1.5))
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_sections(table: pd.DataFrame, labels: pd.Series, *, title: str = "") -> Figure:
    """Employment by NACE section: the region's share next to the EU share.

    ``table`` is the division table of :func:`clusterix_lib.profile.employment_profile`.
    """
    sec = table.groupby("section").agg(value=("value", "sum"), ref=("reference_share", "sum"))
    sec["share"] = sec["value"] / sec["value"].sum()
    sec = sec.sort_values("share")
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(sec) + 1.2), layout="constrained")
    y = range(len(sec))
    ax.barh([i + 0.2 for i in y], sec["share"] * 100, height=0.4, color=BASE, label="region")
    ax.barh([i - 0.2 for i in y], sec["ref"] * 100, height=0.4, color=MUTED, label="EU-27")
    ax.set_yticks(list(y), [f"{s}  {_short(labels.get(s, s), 40)}" for s in sec.index])
    ax.set_xlabel("Share of persons employed in the business economy (%)")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


@functools.lru_cache(maxsize=4)
def _read_geometry(path: str, mtime_ns: int, size: int):
    import geopandas as gpd

    return gpd.read_file(path)


def load_geometry(geometry: str | Path):
    """The GeoJSON as a GeoDataFrame, read once per process while the file is unchanged.

    Treat the result as read-only (filter it; do not modify it in place).
    """
    p = Path(geometry)
    st = p.stat()
    return _read_geometry(str(p.resolve()), st.st_mtime_ns, st.st_size)


#: The map's window (longitude, latitude) and the vertical stretch that keeps Europe's shape
MAP_EXTENT = (-12.0, 35.0, 34.0, 71.5)
MAP_ASPECT = 1.6
#: Pixels per degree of longitude of the cached background (the figure shows about 11)
_MAP_PX_PER_DEG = 16


@functools.lru_cache(maxsize=8)
def _map_background(path: str, mtime_ns: int, size: int, level: int):
    """Every region of ``level`` (muted) and the country borders, drawn once as an RGBA image.

    Every report's map shares this layer; only the highlighted regions are drawn per report.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    gdf = load_geometry(path)
    x0, x1, y0, y1 = MAP_EXTENT
    width = round((x1 - x0) * _MAP_PX_PER_DEG)
    height = round((y1 - y0) * MAP_ASPECT * _MAP_PX_PER_DEG)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    gdf[gdf["LEVL_CODE"] == level].plot(ax=ax, color=MUTED, edgecolor="white", linewidth=0.3)
    gdf[gdf["LEVL_CODE"] == 0].boundary.plot(ax=ax, color="#8a8f98", linewidth=0.6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("auto")
    ax.set_axis_off()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba()).copy()
    image.setflags(write=False)
    return image


def map_background(geometry: str | Path, level: int):
    """The cached background of :func:`plot_region_map` (read-only RGBA array)."""
    p = Path(geometry)
    st = p.stat()
    return _map_background(str(p.resolve()), st.st_mtime_ns, st.st_size, int(level))


def _polygon_path(geometries) -> MplPath:
    """One compound path of (multi)polygons, rings oriented so that holes stay empty."""
    import numpy as np
    from shapely.geometry.polygon import orient

    rings = []
    for geom in geometries:
        for poly in getattr(geom, "geoms", [geom]):
            poly = orient(poly, sign=1.0)  # exterior counter-clockwise, holes clockwise
            rings += [MplPath(np.asarray(r.coords)[:, :2], closed=True) for r in (poly.exterior, *poly.interiors)]
    return MplPath.make_compound_path(*rings)


def plot_region_map(codes: list[str], geometry: str | Path, *, level: int, title: str = "") -> Figure:
    """Europe at NUTS ``level`` with the regions in ``codes`` highlighted.

    ``geometry`` is the simplified GeoJSON from ``data/`` (all levels in one file). The regions
    that are not highlighted and the borders come from one cached image per level
    (:func:`map_background`); the highlighted regions are drawn over it.
    """
    gdf = load_geometry(geometry)
    layer = gdf[gdf["LEVL_CODE"] == level]
    fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
    x0, x1, y0, y1 = MAP_EXTENT
    ax.imshow(map_background(geometry, level), extent=MAP_EXTENT, interpolation="antialiased", zorder=0)
    chosen = layer[layer["NUTS_ID"].isin(codes)]
    if len(chosen):  # one patch, drawn directly: GeoDataFrame.plot would redraw the whole figure
        ax.add_patch(
            PathPatch(_polygon_path(chosen.geometry), facecolor=HIGHLIGHT, edgecolor="#7b241c", linewidth=0.6, zorder=1)
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(MAP_ASPECT)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
