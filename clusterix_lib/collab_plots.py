"""Figures of the collaboration report. Each function returns a matplotlib ``Figure`` (static PNG
in the HTML, no JavaScript) and never shows it.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from clusterix_lib.plotting import BASE, HIGHLIGHT, MUTED

__all__ = ["plot_links_by_year", "plot_partner_network", "wrap_label"]


def wrap_label(text: str, width: int = 22) -> str:
    r"""``text`` broken into lines of at most ``width`` characters between words (a word longer
    than ``width`` stays whole); existing line breaks are kept.

    Examples
    --------
    >>> wrap_label("BE10\nRégion de Bruxelles-Capitale/ Brussels Hoofdstedelijk Gewest")
    'BE10\nRégion de Bruxelles-\nCapitale/ Brussels\nHoofdstedelijk Gewest'
    >>> wrap_label("Niederösterreich", 10)
    'Niederösterreich'
    """
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=False)) or line for line in str(text).split("\n")
    )


def plot_partner_network(
    edges: pd.DataFrame,
    focus: str,
    *,
    sizes: pd.Series | None = None,
    labels: dict[str, str] | None = None,
    title: str = "",
    wrap: int = 22,
) -> Figure:
    """A territory's collaboration network: the focus (red) in the middle, its partners around it.

    ``edges`` has ``group_a, group_b, links`` (as from
    :func:`clusterix_lib.collab_indicators.group_pair_links`, without the diagonal); line width
    grows with the number of links. ``sizes`` (organisations per territory) sets the node areas.
    ``labels`` (default: the codes) are wrapped between words at ``wrap`` characters
    (:func:`wrap_label`), so a long region name is shown whole.
    The focus sits in the centre and its partners on a circle, most links first clockwise from
    the top, so the figure is the same on every run.
    """
    graph = nx.Graph()
    graph.add_node(focus)
    for a, b, w in edges[["group_a", "group_b", "links"]].itertuples(index=False, name=None):
        if a != b:
            graph.add_edge(a, b, weight=float(w))
    fig, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    ax.set_axis_off()
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.25, 1.25)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    if graph.number_of_edges() == 0:
        ax.text(0.5, 0.5, "No links to show", ha="center", va="center", transform=ax.transAxes)
        return fig
    # focus in the centre, partners on a circle, most links first (clockwise from the top)
    to_focus = {n: graph[focus][n]["weight"] if graph.has_edge(focus, n) else 0.0 for n in graph if n != focus}
    ring = sorted(to_focus, key=lambda n: (-to_focus[n], str(n)))
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(ring)) / max(len(ring), 1)
    pos = {focus: np.array([0.0, 0.0])}
    pos.update({n: np.array([np.cos(a), np.sin(a)]) for n, a in zip(ring, angles, strict=True)})
    weights = np.array([d["weight"] for _, _, d in graph.edges(data=True)])
    widths = 0.5 + 5.5 * np.sqrt(weights / weights.max())
    ego = [focus in (u, v) for u, v in graph.edges()]
    nx.draw_networkx_edges(
        graph, pos, ax=ax, width=widths, edge_color=[HIGHLIGHT if e else MUTED for e in ego], alpha=0.7
    )
    nodes = list(graph.nodes)
    s = sizes.reindex(nodes).fillna(1).to_numpy(dtype=float) if sizes is not None else np.ones(len(nodes))
    area = 120 + 1400 * np.sqrt(s / s.max())
    nx.draw_networkx_nodes(
        graph,
        pos,
        ax=ax,
        nodelist=nodes,
        node_size=area,
        node_color=[HIGHLIGHT if n == focus else BASE for n in nodes],
        alpha=0.9,
    )
    names = {n: wrap_label((labels or {}).get(n, n), wrap) for n in nodes}
    nx.draw_networkx_labels(graph, pos, labels=names, ax=ax, font_size=8)
    return fig


def plot_links_by_year(
    table: pd.DataFrame,
    *,
    value: str = "links",
    series: str | None = None,
    change_year: int | None = None,
    ylabel: str = "links",
    title: str = "",
) -> Figure:
    """Lines of ``value`` per ``year`` (one line per ``series`` value), with the change year marked.

    When every value is a whole number (a count of links), the y axis has whole-number ticks only.
    """
    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    groups = [(None, table)] if series is None else list(table.groupby(series, sort=False))
    colours = [HIGHLIGHT, BASE, "#7f8c8d", "#27ae60"]
    for i, (name, t) in enumerate(groups):
        t = t.dropna(subset=["year"]).sort_values("year")
        ax.plot(t["year"].astype(int), t[value], marker="o", color=colours[i % len(colours)], label=name)
    if change_year is not None:
        ax.axvline(change_year - 0.5, color="#555", lw=1, ls="--")
        ax.text(change_year - 0.45, ax.get_ylim()[1], f" from {change_year}", va="top", fontsize=8, color="#555")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    values = pd.to_numeric(table[value], errors="coerce").dropna().to_numpy(dtype=float)
    if np.all(values == np.round(values)):  # a count: no tick at 0.5 links
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    if series is not None:
        ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
