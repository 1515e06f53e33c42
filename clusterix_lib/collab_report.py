"""Tables of the ``collaboration`` report, assembled from :mod:`clusterix_lib.collab_indicators`.

The notebook narrates; these functions compute what it shows for one territory (the *focus*),
so a test can recompute every recorded number with the same calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import collab_indicators as ci
from clusterix_lib import paths
from clusterix_lib.collaboration import Collaboration

__all__ = [
    "COUNTRY_GROUPS",
    "SECTOR_NOUNS",
    "FocusCounts",
    "build_issues",
    "complementarity_ranking",
    "country_group_label",
    "ego_network",
    "focus_counts",
    "organisation_brokers",
    "sector_counts",
    "sector_label",
    "territory_brokers",
]

#: Each sector of :data:`clusterix_lib.collaboration.SECTORS` in words: ``(one, several)``.
SECTOR_NOUNS: dict[str, tuple[str, str]] = {
    "enterprise": ("enterprise", "enterprises"),
    "knowledge": ("knowledge institution", "knowledge institutions"),
    "public": ("public body", "public bodies"),
    "private": (
        "private organisation (enterprise or non-profit)",
        "private organisations (enterprises or non-profits)",
    ),
    "other": ("other organisation", "other organisations"),
    "unknown": ("organisation of unknown type", "organisations of unknown type"),
}

#: The country groups of the CORDIS Horizon 2020 participant files (column ``group``, kept as
#: ``country_group`` in ``h2020_organisations.csv.gz``): CORDIS's own codes and their meaning.
COUNTRY_GROUPS: dict[str, str] = {
    "eu15": "EU-15, the member states before 2004",
    "eu13": "EU-13, the member states that joined from 2004",
    "ac": "countries associated to Horizon 2020",
    "tc": "third countries",
}


def sector_label(sector: str, n: int = 1) -> str:
    """The sector code ``sector`` in words, singular (``n == 1``) or plural (:data:`SECTOR_NOUNS`).

    An unknown code is returned as it is.

    Examples
    --------
    >>> sector_label("public"), sector_label("public", 2), sector_label("cluster")
    ('public body', 'public bodies', 'cluster')
    """
    one, several = SECTOR_NOUNS.get(sector, (sector, sector))
    return one if n == 1 else several


def sector_counts(by_sector: Mapping[str, int]) -> str:
    """Organisations by sector in words, e.g. ``FocusCounts.by_sector`` as "1 enterprise, 2 public bodies".

    Examples
    --------
    >>> sector_counts({"private": 1, "public": 2})
    '1 private organisation (enterprise or non-profit), 2 public bodies'
    >>> sector_counts({"knowledge": 1113, "enterprise": 1})
    '1,113 knowledge institutions, 1 enterprise'
    """
    return ", ".join(f"{int(n):,} {sector_label(s, int(n))}" for s, n in by_sector.items())


def country_group_label(group: str) -> str:
    """A CORDIS country group code (``eu13``, from the ``country_group`` column of the H2020
    organisations) in words (:data:`COUNTRY_GROUPS`); a code CORDIS does not document is shown
    upper-case, as it is.

    Examples
    --------
    >>> country_group_label("eu13")
    'EU-13, the member states that joined from 2004'
    >>> country_group_label(" TC "), country_group_label("xx")
    ('third countries', 'XX')
    """
    code = str(group).strip()
    return COUNTRY_GROUPS.get(code.lower(), code.upper())


@dataclass(frozen=True)
class FocusCounts:
    """How much of a model concerns one territory."""

    organisations: int  # organisations located in the territory
    projects: int  # projects with at least one of them
    participations: int  # their participations
    coordinated: int  # projects one of them coordinates
    by_sector: dict[str, int]  # organisations by sector


def focus_counts(model: Collaboration, territory: pd.Series, focus: str) -> FocusCounts:
    """Organisations, projects, participations and coordinated projects of the territory ``focus``.

    >>> from clusterix_lib.collaboration import make_collaboration
    >>> m = make_collaboration(pd.DataFrame({"project_id": ["p", "q"]}),
    ...     pd.DataFrame({"org_id": ["a", "b", "c"], "sector": ["enterprise", "knowledge", "public"],
    ...                   "country": ["AT", "AT", "CZ"]}),
    ...     pd.DataFrame({"project_id": ["p", "p", "q"], "org_id": ["a", "c", "b"],
    ...                   "role": ["participant", "coordinator", "coordinator"]}))
    >>> c = focus_counts(m, m.territory(0), "AT")
    >>> c.organisations, c.projects, c.participations, c.coordinated, c.by_sector
    (2, 2, 2, 1, {'enterprise': 1, 'knowledge': 1})
    """
    orgs = model.organisations
    located = territory.reindex(orgs["org_id"]).fillna("").to_numpy() == focus
    ids = orgs.loc[located, "org_id"]
    parts = model.participations[model.participations["org_id"].isin(ids)]
    by_sector = orgs.loc[located, "sector"].value_counts().sort_index()
    return FocusCounts(
        organisations=int(located.sum()),
        projects=int(parts["project_id"].nunique()),
        participations=len(parts),
        coordinated=int(parts.loc[parts["role"] == "coordinator", "project_id"].nunique()),
        by_sector={str(k): int(v) for k, v in by_sector.items()},
    )


def ego_network(ties: pd.DataFrame, territory: pd.Series, focus: str, *, top_n: int = 12) -> pd.DataFrame:
    """The links between ``focus``, its ``top_n`` partner territories, and among those partners.

    ``ties`` are all-period organisation pairs; result as :func:`~clusterix_lib.collab_indicators.group_pair_links`
    without links inside one territory, for :func:`clusterix_lib.collab_plots.plot_partner_network`.
    """
    partners = ci.partner_links(ties, territory, focus).head(top_n)["partner"].tolist()
    keep = {focus, *partners}
    ta = territory.reindex(ties["org_a"]).fillna("").to_numpy()
    tb = territory.reindex(ties["org_b"]).fillna("").to_numpy()
    sel = np.isin(ta, list(keep)) & np.isin(tb, list(keep))
    table = ci.group_pair_links(ties[sel], territory)
    return table[table["group_a"] != table["group_b"]].reset_index(drop=True)


def organisation_brokers(
    model: Collaboration, ties: pd.DataFrame, territory: pd.Series, focus: str, *, top_n: int = 10
) -> pd.DataFrame:
    """Gould–Fernandez roles and betweenness of the focus territory's organisations in their network.

    The network: the territory's organisations, every organisation sharing a project with one of
    them, and every link among these (``ties``: all-period pairs). Groups are territories (an
    organisation with none is its own group ``"?"``), so gatekeepers and representatives are the
    organisations that connect the territory with outside. Returns the focus's organisations with
    at least one brokered path, most brokerage first: ``org_id, name, sector, gatekeeper,
    representative, liaison, itinerant, coordinator, brokerage, betweenness, degree``.
    """
    located = territory.reindex(ties["org_a"]).fillna("").to_numpy() == focus
    located_b = territory.reindex(ties["org_b"]).fillna("").to_numpy() == focus
    ego = pd.Index(
        pd.unique(
            np.concatenate(
                [ties["org_a"].to_numpy()[located | located_b], ties["org_b"].to_numpy()[located | located_b]]
            )
        )
    )
    sub = ties[ties["org_a"].isin(ego) & ties["org_b"].isin(ego)]
    columns = [
        "org_id",
        "name",
        "sector",
        "gatekeeper",
        "representative",
        "liaison",
        "itinerant",
        "coordinator",
        "brokerage",
        "betweenness",
        "degree",
    ]
    if sub.empty:
        return pd.DataFrame(columns=columns)
    groups = territory.reindex(ego).fillna("").replace("", "?")
    roles = ci.brokerage_roles(sub, groups, source="org_a", target="org_b")
    cent = ci.centrality(sub, source="org_a", target="org_b", nodes=ego)
    out = roles.merge(cent[["node", "betweenness", "degree"]], on="node").rename(columns={"node": "org_id"})
    out = out[out["group"] == focus]
    attrs = model.organisations.set_index("org_id")
    out["name"] = attrs["name"].reindex(out["org_id"]).to_numpy()
    out["sector"] = attrs["sector"].reindex(out["org_id"]).to_numpy()
    out = out[out["brokerage"] > 0].sort_values(["brokerage", "betweenness", "org_id"], ascending=[False, False, True])
    return out[columns].head(top_n).reset_index(drop=True)


def territory_brokers(ties: pd.DataFrame, territory: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Brokerage roles, degree and betweenness of territories in the territory network.

    Nodes are territories (links inside one are left out), edges join territories with at least
    one link; ``groups`` gives each territory's group (e.g. CORDIS country groups eu15, eu13,
    ac, tc). One row per territory, most betweenness first.
    """
    table = ci.group_pair_links(ties, territory)
    edges = table[table["group_a"] != table["group_b"]]
    nodes = pd.Index(sorted(set(edges["group_a"]) | set(edges["group_b"])))
    g = groups.reindex(nodes).fillna("other")
    roles = ci.brokerage_roles(edges, g, source="group_a", target="group_b")
    cent = ci.centrality(edges, source="group_a", target="group_b", weight="links", nodes=nodes)
    out = roles.merge(cent, on="node").rename(columns={"node": "territory"})
    return out.sort_values(["betweenness", "territory"], ascending=[False, True], kind="stable").reset_index(drop=True)


def build_issues(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The problems the last ``clusterix data build`` found in the raw collaboration files
    (``data/collaboration_issues.csv``: ``extract, issue, rows, action, examples``)."""
    from clusterix_lib.collab_extracts import ISSUE_COLUMNS, ISSUES_FILE

    p = Path(data_dir or paths.data_dir()) / ISSUES_FILE
    if not p.is_file():
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    return pd.read_csv(p, dtype={"examples": str}, keep_default_na=False)


def complementarity_ranking(code: str) -> tuple[pd.DataFrame | None, str]:
    """The complementarity ranking of ``code``'s partner regions (:func:`complementarity.rank_partners`).

    Returns ``(table, note)``: ``table`` has ``partner`` and ``score`` (higher = more
    complementary), or is ``None`` with ``note`` saying in plain words why there is none (no
    sector statistics for the region, say).
    """
    from clusterix_lib import complementarity
    from clusterix_lib.errors import ClusterixError

    try:
        table = complementarity.rank_partners(code)
    except ClusterixError as exc:
        return None, f"No complementarity ranking for {code}: {exc.what}."
    out = table[["region_b", "score"]].rename(columns={"region_b": "partner"})
    out = out[out["partner"] != code]
    return out.reset_index(drop=True), "Complementarity scores as in this region's complementarity report."
