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
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from clusterix_lib.report_kernel import alt_text, register_alt_text  # noqa: F401 (re-exported)

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


#: A highlighted area smaller than this share of the window gets a circle around it: 0.06 % is a
#: square of about 13 x 13 pixels in a report (Cyprus is 0.05 %, Kärnten 0.063 %, NUTS 3 mostly less)
_MAP_SMALL = 6e-4
#: Parts of the highlighted regions less than this many degrees apart are one group: one inset or
#: one circle for the Azores, the Canaries, Malta with Gozo, Guadeloupe with Martinique
_MAP_GROUP_GAP = 3.0
#: A group with less than this share of its area inside the window is drawn in an inset
_MAP_OUTSIDE = 0.5
#: Places for insets (axes fractions x, y, width, height), in order of use: each lies where no
#: region of the geometry is drawn (tests/test_plotting.py checks it against the background)
_MAP_INSET_SLOTS = (
    (0.005, 0.845, 0.2, 0.15),  # top left, over the Norwegian Sea
    (0.21, 0.845, 0.2, 0.15),  # next to it
    (0.005, 0.69, 0.2, 0.15),  # below the first, north-west of Scotland
    (0.79, 0.385, 0.2, 0.15),  # east of Lithuania and Poland (no NUTS regions there)
)
#: The place of a single inset: larger
_MAP_INSET_ONE = (0.005, 0.815, 0.25, 0.18)
_MAP_EDGE = "#8a8f98"


def _map_parts(chosen):
    """The polygons of the highlighted regions: parts, the row of each, bounds and areas."""
    import numpy as np
    import shapely

    parts, row = shapely.get_parts(np.asarray(chosen.geometry.values), return_index=True)
    return parts, row, shapely.bounds(parts), shapely.area(parts)


def _map_groups(bounds, gap: float) -> list:
    """Indices of the parts in groups: parts whose bounding boxes come closer than ``gap`` are one."""
    import numpy as np
    from scipy.sparse.csgraph import connected_components

    b = bounds + np.array([-gap / 2, -gap / 2, gap / 2, gap / 2])
    near = (b[:, None, 0] <= b[None, :, 2]) & (b[None, :, 0] <= b[:, None, 2])
    near &= (b[:, None, 1] <= b[None, :, 3]) & (b[None, :, 1] <= b[:, None, 3])
    _, label = connected_components(near, directed=False)
    return [np.flatnonzero(label == k) for k in range(label.max() + 1)]


def _inside_area(parts, bounds, areas):
    """The area of each part inside the window (a shapely intersection only for parts on its edge)."""
    import numpy as np
    import shapely

    x0, x1, y0, y1 = MAP_EXTENT
    inside = (bounds[:, 0] >= x0) & (bounds[:, 2] <= x1) & (bounds[:, 1] >= y0) & (bounds[:, 3] <= y1)
    apart = (bounds[:, 2] < x0) | (bounds[:, 0] > x1) | (bounds[:, 3] < y0) | (bounds[:, 1] > y1)
    out = np.where(inside, areas, 0.0)
    edge = ~inside & ~apart
    if edge.any():
        out[edge] = shapely.area(shapely.intersection(parts[edge], shapely.box(x0, y0, x1, y1)))
    return out


def _inset_label(chosen, rows, gdf, level: int, bounds) -> str:
    """Name and code of the region in an inset, or names of several; a country's or NUTS 1 region's NUTS 2 regions."""
    import numpy as np
    import shapely

    picked = chosen.iloc[np.unique(rows)]
    if level < 2:  # a country or NUTS 1 region: name the NUTS 2 regions of it that the inset shows
        finer = gdf[(gdf["LEVL_CODE"] == 2) & gdf["NUTS_ID"].str.startswith(tuple(picked["NUTS_ID"]))]
        p = shapely.point_on_surface(np.asarray(finer.geometry.values))
        x, y = shapely.get_x(p), shapely.get_y(p)
        within = (x >= bounds[0]) & (y >= bounds[1]) & (x <= bounds[2]) & (y <= bounds[3])
        picked = finer[within] if within.any() else picked
    if len(picked) == 1:
        return f"{picked['NAME_LATN'].iloc[0]} ({picked['NUTS_ID'].iloc[0]})"
    return ", ".join(picked["NAME_LATN"])


def _draw_inset(ax, slot, parts, layer, label: str):
    """An inset at ``slot`` showing ``parts`` (highlighted) among the regions of ``layer``."""
    import math

    import numpy as np
    import shapely

    sx, sy, sw, sh = slot
    x0, x1, y0, y1 = MAP_EXTENT
    ratio = sw * (x1 - x0) / (sh * (y1 - y0) * MAP_ASPECT)  # the inset's width / height on the page
    chars = max(12, round(sw * 85))  # 6.5 pt characters on a line of the inset's width
    lines = textwrap.wrap(label, width=chars) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], _short(" ".join(lines[2:]), chars)]
    top = 0.06 + 0.12 * len(lines)  # the label's share of the inset's height
    bx0, by0, bx1, by1 = shapely.total_bounds(parts)
    stretch = min(2.0, 1 / math.cos(math.radians((by0 + by1) / 2)))  # keeps shapes at that latitude
    w, h = bx1 - bx0, (by1 - by0) * stretch
    pad = 0.12 * max(w, h) + 0.3  # the neighbourhood
    view_h = max((h + 2 * pad) / (1 - top), (w + 2 * pad) / ratio)
    view_w = view_h * ratio
    cx, bottom = (bx0 + bx1) / 2, (by0 + by1) / 2 * stretch - view_h * (1 - top) / 2
    xlim, ylim = (cx - view_w / 2, cx + view_w / 2), (bottom / stretch, (bottom + view_h) / stretch)

    inset = ax.inset_axes(slot, zorder=4)
    inset.set_gid("region-inset")
    b = shapely.bounds(np.asarray(layer.geometry.values))
    near = (b[:, 2] >= xlim[0]) & (b[:, 0] <= xlim[1]) & (b[:, 3] >= ylim[0]) & (b[:, 1] <= ylim[1])
    if near.any():
        inset.add_patch(
            PathPatch(_polygon_path(layer.geometry.values[near]), facecolor=MUTED, edgecolor="white", linewidth=0.3)
        )
    inset.add_patch(
        PathPatch(_polygon_path(parts), facecolor=HIGHLIGHT, edgecolor=HIGHLIGHT, linewidth=0.8)
    )  # small islands stay visible
    inset.set_xlim(*xlim)
    inset.set_ylim(*ylim)
    inset.set_axis_off()  # no ticks to lay out: a white, framed rectangle instead of the axes' patch and spines
    inset.add_patch(
        Rectangle((0, 0), 1, 1, transform=inset.transAxes, facecolor="white", edgecolor=_MAP_EDGE, linewidth=0.8,
                  zorder=0, clip_on=False)
    )  # fmt: skip
    inset.text(
        0.04, 0.97, "\n".join(lines), transform=inset.transAxes, va="top", fontsize=6.5, linespacing=1.1, clip_on=True,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
    )  # fmt: skip
    return inset


def _mark_small(ax, parts, fig_height: float):
    """A circle around ``parts`` (too small to see at the map's scale), sized to enclose them."""
    import math

    import shapely

    x0, x1, y0, y1 = MAP_EXTENT
    pt_lat = fig_height * 72 * 0.95 / (y1 - y0)  # points per degree of latitude (the axes fill the height)
    bx0, by0, bx1, by1 = shapely.total_bounds(parts)
    across = math.hypot((bx1 - bx0) * pt_lat / MAP_ASPECT, (by1 - by0) * pt_lat)
    c = shapely.centroid(shapely.multipolygons(parts))
    (line,) = ax.plot(
        [c.x], [c.y], marker="o", markersize=max(16.0, across + 8), markerfacecolor="none",
        markeredgecolor=HIGHLIGHT, markeredgewidth=1.6, linestyle="none", zorder=3, clip_on=False,
    )  # fmt: skip
    line.set_gid("region-marker")
    return line


def _add_outside_and_small(ax, chosen, layer, gdf, level: int, fig_height: float) -> tuple[list[str], bool]:
    """Insets for highlighted parts outside the window, a circle for highlighted areas too small to see.

    Returns the insets' labels and whether a circle was drawn. Regions lying entirely inside the
    window and large enough (most) return after a bounds check.
    """
    x0, x1, y0, y1 = MAP_EXTENT
    small = _MAP_SMALL * (x1 - x0) * (y1 - y0)
    parts, rows, bounds, areas = _map_parts(chosen)
    inside = (bounds[:, 0] >= x0) & (bounds[:, 2] <= x1) & (bounds[:, 1] >= y0) & (bounds[:, 3] <= y1)
    if inside.all() and areas.sum() >= small:
        return [], False
    seen = _inside_area(parts, bounds, areas)
    groups = _map_groups(bounds, _MAP_GROUP_GAP)
    outside = [g for g in groups if seen[g].sum() < _MAP_OUTSIDE * areas[g].sum()]
    shown = [g for g in groups if seen[g].sum() >= _MAP_OUTSIDE * areas[g].sum()]
    marks = []
    if shown and sum(seen[g].sum() for g in shown) < small:
        marks = [_mark_small(ax, parts[g], fig_height) for g in shown]
    if not outside:
        return [], bool(marks)
    outside.sort(key=lambda g: -areas[g].sum())
    slots = [_MAP_INSET_ONE, *_MAP_INSET_SLOTS] if len(outside) == 1 else list(_MAP_INSET_SLOTS)
    to_axes = ax.transData + ax.transAxes.inverted()
    taken = [to_axes.transform(m.get_xydata()[0]) for m in marks]
    slots = [
        s
        for s in slots
        if not any(s[0] - 0.04 < x < s[0] + s[2] + 0.04 and s[1] - 0.04 < y < s[1] + s[3] + 0.04 for x, y in taken)
    ]
    labels = []
    for slot, g in zip(slots, outside, strict=False):  # (a single inset takes the first free place)
        gb = (*bounds[g, :2].min(axis=0), *bounds[g, 2:].max(axis=0))
        labels.append(_inset_label(chosen, rows[g], gdf, level, gb))
        _draw_inset(ax, slot, parts[g], layer, labels[-1])
    if len(outside) > len(slots):
        n = len(outside) - len(slots)
        ax.text(0.01, 0.01, f"{n} more part{'s' if n > 1 else ''} outside the map", transform=ax.transAxes, fontsize=7)
    return labels, bool(marks)


def plot_region_map(codes: list[str], geometry: str | Path, *, level: int, title: str = "") -> Figure:
    """Europe at NUTS ``level`` with the regions in ``codes`` highlighted.

    ``geometry`` is the simplified GeoJSON from ``data/`` (all levels in one file). The regions
    that are not highlighted and the borders come from one cached image per level
    (:func:`map_background`); the highlighted regions are drawn over it.

    Highlighted parts mostly outside the window (the outermost regions: Canaries, Azores, Madeira,
    the French overseas regions) are shown in framed insets named after their regions, at most four,
    over the sea of the top-left corner first. When everything highlighted inside the window covers
    less than 0.06 % of it (Malta, Luxembourg, Cyprus, most NUTS 3 regions), a red circle marks it.
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
    insets, marked = (
        _add_outside_and_small(ax, chosen, layer, gdf, level, fig.get_figheight()) if len(chosen) else ([], False)
    )
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    fig.set_label(_map_description(chosen, level, insets, marked, title))
    return fig


_LEVEL_WORDS = {0: "countries", 1: "NUTS 1 regions", 2: "NUTS 2 regions", 3: "NUTS 3 regions"}


def _map_description(chosen, level: int, insets: list[str], marked: bool, title: str) -> str:
    """What :func:`plot_region_map` shows, in a sentence or three (the figure's label, its alt text)."""
    names = [f"{n} ({c})" for c, n in zip(chosen["NUTS_ID"], chosen["NAME_LATN"], strict=True)]
    if len(names) > 4:
        names = [*names[:3], f"{len(names) - 3} more"]
    what = f"Map of Europe ({_LEVEL_WORDS.get(level, f'NUTS level {level}')})"
    if not names:
        text = f"{what}; no region highlighted."
    else:
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text = f"{what} with {listed} highlighted."
    if marked:
        text += " A circle marks it, small at this scale." if len(chosen) == 1 else " A circle marks them."
    if insets:
        text += (
            f" {'Insets show' if len(insets) > 1 else 'An inset shows'} what lies outside the map: {'; '.join(insets)}."
        )
    return f"{title}. {text}" if title else text


# --------------------------------------------------------------------------------------
# Alt text of figures in the exported reports
# --------------------------------------------------------------------------------------
