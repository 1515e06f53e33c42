"""Figures of the peer-review report. Each function returns a matplotlib ``Figure`` (never shows it).

Static PNG figures keep the shared HTML free of JavaScript and network requests.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from clusterix_lib.rubrics import Rubric
from clusterix_lib.tables import style_table  # noqa: F401 - kept here for notebooks written against it

__all__ = ["SERIES_STYLE", "plot_radar", "plot_score_spread", "style_table"]

#: Colour, line style, line width and label of each series of the spider chart, in drawing order
#: (the consensus wide and pale underneath, so the peers' line stays visible where they coincide).
SERIES_STYLE = {
    "consensus": ("#7bc96f", "-", 5.0, "Consensus"),
    "peers": ("#2c6e9b", "-", 1.8, "Peers, independent (median)"),
    "self": ("#c0392b", "--", 1.8, "Host self-assessment"),
}


def _wrap(label: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(label, width, break_long_words=False)) or label


def plot_radar(profile: pd.DataFrame, rubric: Rubric, *, label: str = "short", title: str = "") -> Figure:
    """Spider chart of the host's self-assessment, the peers' median and the consensus.

    Parameters
    ----------
    profile
        One row per axis with a ``label`` column and the series columns ``self``, ``peers``,
        ``consensus`` (NaN = no value: the line is broken there) -- e.g.
        :func:`clusterix_lib.peer_review.criterion_profile`.
    rubric
        For the radial scale (``scale_min`` to ``scale_max``; the "no information" point is not
        drawn as a ring, as it is not a level of quality).
    label
        Column holding the axis labels.
    """
    n = len(profile)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    fig, ax = plt.subplots(figsize=(7.5, 7.5), subplot_kw={"projection": "polar"}, layout="constrained")
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    lo = rubric.scale_min if rubric.no_information != rubric.scale_min else rubric.scale_min + 1
    lo_axis = rubric.scale_min - (0 if rubric.scale_min == 0 else 1)
    ax.set_ylim(lo_axis, rubric.scale_max)
    ax.set_yticks(list(range(lo, rubric.scale_max + 1)))
    ax.set_yticklabels([str(v) for v in range(lo, rubric.scale_max + 1)], fontsize=8, color="#555")
    ax.set_xticks(angles)
    ax.set_xticklabels([_wrap(str(t)) for t in profile[label]], fontsize=8)
    closed = np.append(angles, angles[0])
    for col, (colour, style, width, name) in SERIES_STYLE.items():
        if col not in profile or profile[col].isna().all():
            continue
        values = profile[col].to_numpy(float)
        vals = np.append(values, values[0])
        ax.plot(
            closed,
            vals,
            color=colour,
            ls=style,
            lw=width,
            label=name,
            marker="o",
            ms=4 if width < 3 else 0,
            solid_capstyle="round",
        )
        if col == "peers":
            ax.fill(closed, np.nan_to_num(vals, nan=lo_axis), color=colour, alpha=0.08)
    handles, names = ax.get_legend_handles_labels()
    order = [
        names.index(n)
        for _, _, _, n in (SERIES_STYLE["self"], SERIES_STYLE["peers"], SERIES_STYLE["consensus"])
        if n in names
    ]
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.04),
        ncol=3,
        frameon=False,
        fontsize=9,
    )
    if title:
        ax.set_title(title, loc="left", fontsize=11, pad=24)
    return fig


def plot_score_spread(scores: pd.DataFrame, summary: pd.DataFrame, rubric: Rubric, *, title: str = "") -> Figure:
    """Every independent score per criterion (a dot per score value, its size and number the
    count of reviewers who gave it), the median (bar) and contested criteria highlighted.

    Parameters
    ----------
    scores
        Independent-round rows with ``criterion`` and ``score`` (NaN = NA / no information,
        not drawn), e.g. from :func:`clusterix_lib.peer_review.score_values`.
    summary
        :func:`clusterix_lib.peer_review.criterion_summary` (``criterion, short, median,
        contested``).
    """
    order = list(summary["criterion"])
    y = {c: i for i, c in enumerate(order[::-1])}
    fig, ax = plt.subplots(figsize=(8.5, 0.36 * len(order) + 1.4), layout="constrained")
    contested = summary.set_index("criterion")["contested"]
    for c in order:
        if contested.get(c, False):
            ax.axhspan(y[c] - 0.45, y[c] + 0.45, color="#fdebd0", zorder=0)
    s = scores.dropna(subset=["score"])
    s = s[s["criterion"].isin(order)].copy()
    counts = s.groupby(["criterion", "score"]).size().rename("n").reset_index()
    counts["y"] = counts["criterion"].map(y)
    ax.scatter(
        counts["score"],
        counts["y"],
        s=90 + 70 * (counts["n"] - 1),
        color="#2c6e9b",
        zorder=3,
        label="reviewers giving the score (number)",
    )
    for r in counts.itertuples():
        ax.text(
            r.score, r.y, str(r.n), color="white", ha="center", va="center", fontsize=7, zorder=5, fontweight="bold"
        )
    med = summary.dropna(subset=["median"])
    ax.scatter(
        med["median"], med["criterion"].map(y), marker="|", s=500, color="#222", zorder=4, label="median", linewidths=2
    )
    ax.set_yticks(
        [y[c] for c in order], [f"{c}  {_short}" for c, _short in zip(order, summary["short"], strict=True)], fontsize=8
    )
    ax.set_xlim(rubric.scale_min - 0.5, rubric.scale_max + 0.5)
    ax.set_xticks(list(rubric.scale))
    ax.set_xlabel(f"Score ({rubric.scale_min}-{rubric.scale_max}); shaded rows are contested (range ≥ 2)")
    ax.grid(axis="x", color="#e5e5e5")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(-0.6, len(order) - 0.4)
    fig.legend(loc="outside lower center", ncol=2, frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
