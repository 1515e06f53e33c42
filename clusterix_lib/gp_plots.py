"""Figures of the good-practice, study-trip and programme reports. Each returns a matplotlib ``Figure``.

Static PNG figures keep the shared HTML free of JavaScript and network requests.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "SOURCE_COLOURS",
    "plot_capacity",
    "plot_event_feedback",
    "plot_interest_heatmap",
    "plot_pipeline",
    "plot_programme",
    "plot_similarity",
    "plot_transferability",
]

BASE = "#2c6e9b"
MUTED = "#d9dde3"
ACCENT = "#c0392b"
#: Colour of each kind of transferability item.
SOURCE_COLOURS = {"peer rubric": "#2c6e9b", "statistics": "#8a8f98", "trip feedback": "#e08a1e"}


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def _finish(ax, title: str) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)


def plot_pipeline(counts: pd.DataFrame, *, title: str = "") -> Figure:
    """The transfer pipeline as a funnel: pairs (practice, region) that reached each stage.

    ``counts`` is :func:`clusterix_lib.transferability.pipeline_counts` (``stage, reached, at``).
    """
    c = counts.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(c) + 1.2), layout="constrained")
    ax.barh(c["stage"], c["reached"], color=BASE)
    ax.barh(c["stage"], c["at"], color=ACCENT, height=0.35, label="furthest stage reached")
    top = max(int(c["reached"].max()), 1)
    for y, (r, a) in enumerate(zip(c["reached"], c["at"], strict=True)):
        ax.text(r + top * 0.01, y, f"{r} reached ({a} stopped here)", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("Practice and target-region pairs")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    _finish(ax, title)
    return fig


def plot_interest_heatmap(interest: pd.DataFrame, labels: dict[str, str] | None = None, *, title: str = "") -> Figure:
    """Practice x visiting region: share of the region's respondents interested in the practice.

    ``interest`` is :func:`clusterix_lib.trip_feedback.practice_interest`; cells read ``k/n``
    (interested / respondents); a region without respondents is hatched grey.
    """
    practices = list(dict.fromkeys(interest["practice"]))
    regions = list(dict.fromkeys(interest["region"]))
    share = interest.pivot(index="practice", columns="region", values="share_interested").reindex(practices)[regions]
    k = interest.pivot(index="practice", columns="region", values="n_interested").reindex(practices)[regions]
    n = interest.pivot(index="practice", columns="region", values="n_respondents").reindex(practices)[regions]
    fig, ax = plt.subplots(figsize=(1.1 * len(regions) + 4.5, 0.55 * len(practices) + 1.5), layout="constrained")
    data = np.ma.masked_invalid(share.to_numpy(float))
    cmap = plt.get_cmap("Blues").copy()
    cmap.set_bad(MUTED)
    im = ax.imshow(data, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(practices)):
        for j in range(len(regions)):
            if n.iat[i, j] > 0:
                v = share.iat[i, j]
                ax.text(
                    j,
                    i,
                    f"{int(k.iat[i, j])}/{int(n.iat[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.6 else "#1f2933",
                )
            else:
                ax.text(j, i, "no form", ha="center", va="center", fontsize=7, color="#52606d")
    ax.set_xticks(range(len(regions)), regions)
    names = [_wrap((labels or {}).get(p, p), 40) for p in practices]
    ax.set_yticks(range(len(practices)), names, fontsize=8)
    ax.xaxis.tick_top()
    fig.colorbar(im, ax=ax, shrink=0.7, label="Share of the region's respondents interested")
    if title:
        ax.set_title(title, loc="left", fontsize=11, pad=24)
    return fig


def plot_transferability(items: pd.DataFrame, ranking: pd.DataFrame, *, title: str = "") -> Figure:
    """The items behind the scores of the ranked practices: one row per practice, one dot per item
    (colour by kind), a bar for the weighted score, the limiting item ringed in red.

    ``items``: :func:`clusterix_lib.transferability.transferability_items` for one target region;
    ``ranking``: :func:`clusterix_lib.transferability.most_worth_studying`. Rows are labelled
    with the practice's title (wrapped) and its region.
    """
    order = list(ranking["gp_id"])
    lines = sum(
        len(textwrap.wrap(f"{t} ({r})", 34, break_long_words=False))
        for t, r in zip(ranking["title"], ranking["from_region"], strict=True)
    )
    fig, ax = plt.subplots(figsize=(9, max(0.6 * len(order), 0.3 * lines) + 1.6), layout="constrained")
    ys = {g: len(order) - 1 - i for i, g in enumerate(order)}
    ax.barh([ys[g] for g in order], ranking["score"] - 1, left=1, color=MUTED, height=0.55, label="score")
    seen = set()
    for r in items[items["gp_id"].isin(order)].itertuples():
        y = ys[r.gp_id] + {"peer rubric": 0.12, "statistics": 0.0, "trip feedback": -0.12}[r.source]
        label = r.source if r.source not in seen else None
        seen.add(r.source)
        ax.scatter(r.value, y, s=28, color=SOURCE_COLOURS[r.source], zorder=3, label=label)
    for r in ranking.itertuples():
        ax.scatter(r.limiting_value, ys[r.gp_id], s=150, facecolors="none", edgecolors=ACCENT, lw=1.4, zorder=4)
        ax.text(5.08, ys[r.gp_id], f"{r.score:.1f}", va="center", fontsize=9)
    ax.scatter([], [], s=150, facecolors="none", edgecolors=ACCENT, label="limiting factor")
    names = [_wrap(f"{r.title} ({r.from_region})", 34) for r in ranking.itertuples()]
    ax.set_yticks([ys[g] for g in order], names, fontsize=8)
    ax.set_xlim(1, 5.4)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel("Transferability items and score (1 = very low, 5 = very high)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=5, frameon=False, fontsize=8)
    _finish(ax, title)
    return fig


def plot_similarity(context: pd.DataFrame, host: str, visitors: list[str], *, title: str = "") -> Figure:
    """How alike the host and each visitor are, as the percentile of the pair among all pairs of
    Europe's NUTS 2 regions (economic structure; innovation performance), with the raw similarity
    (0-1) in the label.

    The percentile is the measure the transferability scores use: raw similarities are bunched
    (most European pairs share 65-80 % of their employment structure), so a raw 0.70 can be a
    pair less alike than most. A dashed line marks the typical pair (50th percentile).
    ``context`` is :func:`clusterix_lib.transferability.context_similarity` (columns
    ``structure, structure_pct, innovation, innovation_pct``).
    """
    c = (
        context[(context["region_a"] == host) & context["region_b"].isin(visitors)]
        .set_index("region_b")
        .reindex(visitors)
    )
    y = np.arange(len(visitors))
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(visitors) + 1.6), layout="constrained")
    bars = (("structure", "economic structure", BASE, -0.18), ("innovation", "innovation performance", "#8a8f98", 0.18))
    for col, label, colour, dy in bars:
        pct = c[f"{col}_pct"].to_numpy(float)
        ax.barh(y + dy, np.nan_to_num(pct), height=0.34, color=colour, label=label)
        for yy, (p, raw) in enumerate(zip(pct, c[col], strict=True)):
            if pd.notna(p):
                ax.text(p + 1, yy + dy, f"{p:.0f} (raw {raw:.2f})", va="center", fontsize=8)
            else:
                ax.text(1, yy + dy, "no data", va="center", fontsize=8, color="#52606d")
    ax.axvline(50, color="#555", ls="--", lw=1)
    ax.text(50, -0.75, "typical European pair", ha="center", va="bottom", fontsize=7, color="#555")
    ax.set_yticks(y, visitors)
    ax.set_ylim(len(visitors) - 0.5, -0.9)
    ax.set_xlim(0, 125)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel(
        f"Similarity with the host {host}: percentile among all pairs of European NUTS 2 regions\n"
        "(100 = more alike than every other pair; raw similarity 0-1 in brackets)"
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2, frameon=False, fontsize=8)
    _finish(ax, title)
    return fig


def plot_capacity(feedback: pd.DataFrame, items: dict[str, str], *, title: str = "") -> Figure:
    """Mean self-assessment before and after the trip, per capacity item (rubric R7)."""
    cap = feedback[feedback["section"].isin(["capacity_before", "capacity_after"])].dropna(subset=["value"])
    means = (
        cap.assign(value=cap["value"].astype(float))
        .pivot_table(index="item", columns="section", values="value", aggfunc="mean")
        .reindex(list(items))
    )
    y = np.arange(len(items))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(items) + 1.3), layout="constrained")
    for yy, (b, a) in zip(y, means[["capacity_before", "capacity_after"]].to_numpy(), strict=True):
        ax.plot([b, a], [yy, yy], color=MUTED, lw=3, zorder=1)
    ax.scatter(means["capacity_before"], y, color="#8a8f98", s=50, label="before the trip", zorder=2)
    ax.scatter(means["capacity_after"], y, color=BASE, s=50, label="after the trip", zorder=3)
    ax.set_yticks(y, [_wrap(f"{k} {v}", 44) for k, v in items.items()], fontsize=8)
    ax.set_xlim(1, 5)
    ax.set_xlabel("Mean self-assessment (1 = very low, 5 = very high)")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    _finish(ax, title)
    return fig


def plot_event_feedback(event: pd.DataFrame, *, title: str = "") -> Figure:
    """Distribution of the ratings of each event-feedback item (rubric R8), stacked 1 to 5."""
    ev = event.iloc[::-1]
    colours = ["#c0392b", "#e59866", "#d9dde3", "#7fb3d5", "#2c6e9b"]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(ev) + 1.3), layout="constrained")
    left = np.zeros(len(ev))
    for v, col in zip(["1", "2", "3", "4", "5"], colours, strict=True):
        ax.barh(range(len(ev)), ev[v], left=left, color=col, label=v)
        left += ev[v].to_numpy()
    for y, (n, m) in enumerate(zip(ev["n"], ev["mean"], strict=True)):
        if n:
            ax.text(left[y] + 0.05, y, f"mean {m:.1f} (n = {n})", va="center", fontsize=8)
    ax.set_yticks(range(len(ev)), [_wrap(t, 40) for t in ev["label"]], fontsize=8)
    ax.set_xlim(0, max(left.max(), 1) * 1.45)
    ax.set_xlabel("Respondents")
    # beside the axes, never over the bars or their labels
    ax.legend(title="rating", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
    _finish(ax, title)
    return fig


def plot_programme(progress: pd.DataFrame, *, title: str = "") -> Figure:
    """Indicators against their targets (% of target): the published result (bar) and what the
    consortium's records count (diamond). Indicators without a target are left out.

    A count resting on illustrative records (``recorded_illustrative``) is drawn as a hollow
    diamond and named illustrative in the legend, so it is not read as a published result;
    where no result is published the bar is absent and the row says so.
    """
    p = progress.dropna(subset=["target"]).iloc[::-1]
    y = np.arange(len(p))
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(p) + 1.8), layout="constrained")
    share = (p["share"] * 100).to_numpy()
    colours = [BASE if s >= 100 else "#7fb3d5" for s in np.nan_to_num(share)]
    ax.barh(y, np.nan_to_num(share), color=colours)
    if (share >= 100).any():
        ax.barh([], [], color=BASE, label="published result, target met")
    if (share < 100).any():
        ax.barh([], [], color="#7fb3d5", label="published result, below target")
    rec = np.full(len(p), np.nan)
    if "recorded_share" in p:
        rec = (p["recorded_share"] * 100).to_numpy(float)
        has = ~np.isnan(rec)
        ill = has & (
            p["recorded_illustrative"].fillna(False).astype(bool).to_numpy()
            if "recorded_illustrative" in p
            else np.zeros(len(p), bool)
        )
        real = has & ~ill
        if real.any():
            ax.scatter(rec[real], y[real], marker="D", color=ACCENT, zorder=3, label="count from clusterix records")
        if ill.any():
            ax.scatter(
                rec[ill],
                y[ill],
                marker="D",
                facecolors="white",
                edgecolors=ACCENT,
                lw=1.3,
                zorder=3,
                label="count from clusterix records: ILLUSTRATIVE (invented), not a published result",
            )
    for yy, (s, note, r) in enumerate(zip(share, p["status"], rec, strict=True)):
        if np.isnan(s):  # no bar: the status in grey, clear of a diamond
            x = 2 if np.isnan(r) or r > 45 else r + 5
            ax.text(x, yy, note, va="center", fontsize=8, color="#52606d", style="italic")
        else:
            ax.text(s + 2, yy, f"{s:.0f} %", va="center", fontsize=8)
    ax.axvline(100, color="#555", ls="--", lw=1)
    ax.set_yticks(y, [_wrap(f"{c}: {n}", 46) for c, n in zip(p["code"], p["name"], strict=True)], fontsize=8)
    ax.set_xlabel("% of the target")
    top = np.nanmax(np.r_[share, (p.get("recorded_share", pd.Series(dtype=float)) * 100).to_numpy(float), 100])
    ax.set_xlim(0, top * 1.25)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False, fontsize=8)
    _finish(ax, title)
    return fig
