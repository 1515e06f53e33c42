"""Collaboration indicators: how many links, how good, how intense, between whom, brokered by whom.

A **link** is a pair of organisations that took part in the same project (a *tie*); its
**weight** (tie strength) is the number of projects they share. Everything starts from the
participation incidence matrix P (organisation × project, 1 where the organisation took part):
the co-participation matrix C = P Pᵀ holds, off the diagonal, the number of joint projects of
each pair (:func:`organisation_pairs`). With one row of P per (organisation, start year), C
splits by year at no extra cost, since a project has one start year.

Tables in and out are long and tidy. Territory and sector come in as Series indexed by
``org_id`` (``model.territory(level)``, ``model.organisations.set_index("org_id")["sector"]``);
``""`` means unknown.

==============================  ===============================================================
:func:`organisation_pairs`      the links (pairs with joint projects, coordinator counts, funding)
:func:`link_counts`             per territory (and year): links, intra/inter, cross-sector,
                                repeated, coordinated, funding, shares and tie strength
:func:`enterprise_knowledge_links`  the same restricted to enterprise–knowledge-institution links
:func:`group_pair_links`        territory-pair (or sector-pair) link matrix with densities
:func:`partner_links`           a territory's partner territories, ranked
:func:`ei_index`                Krackhardt–Stern E–I index (network, group, node)
:func:`brokerage_roles`         Gould–Fernandez roles with their expected counts
:func:`centrality`              degree and betweenness (networkx)
:func:`assortativity`           Newman's attribute assortativity from the mixing matrix
:func:`change_before_after`     annual mean before and from a year, and the % change
:func:`compare_with_ranking`    collaboration vs another ranking of partners (Spearman)
==============================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from clusterix_lib.collaboration import Collaboration
from clusterix_lib.errors import ParameterError

__all__ = [
    "BROKERAGE_ROLES",
    "assortativity",
    "brokerage_roles",
    "centrality",
    "change_before_after",
    "compare_with_ranking",
    "density",
    "ei_index",
    "enterprise_knowledge_links",
    "group_pair_links",
    "incidence_matrix",
    "link_counts",
    "organisation_pairs",
    "partner_links",
    "sector_pair_mask",
]

#: Gould–Fernandez roles of a broker b on a two-path a → b → c (a and c not linked):
#: coordinator (a, b, c in one group), itinerant (a, c in one group, b in another),
#: representative (a in b's group, c not), gatekeeper (c in b's group, a not), liaison (all differ).
BROKERAGE_ROLES: tuple[str, ...] = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


# --------------------------------------------------------------------------------------------
# Incidence and pairs
# --------------------------------------------------------------------------------------------


def incidence_matrix(model: Collaboration) -> tuple[sp.csr_matrix, pd.Index, pd.Index]:
    """The participation incidence matrix P (organisations × projects, 1 = took part).

    Returns ``(P, org_ids, project_ids)``: rows in the order of ``model.organisations``, columns in
    the order of ``model.projects``.

    Examples
    --------
    >>> from clusterix_lib.collaboration import make_collaboration
    >>> m = make_collaboration(pd.DataFrame({"project_id": ["p", "q"]}),
    ...     pd.DataFrame({"org_id": ["a", "b", "c"], "sector": "other", "country": "AT"}),
    ...     pd.DataFrame({"project_id": ["p", "p", "q", "q"], "org_id": ["a", "b", "b", "c"]}))
    >>> P, orgs, projects = incidence_matrix(m)
    >>> P.toarray()
    array([[1, 0],
           [1, 1],
           [0, 1]], dtype=int8)
    >>> (P @ P.T).toarray()  # joint projects of each pair; the diagonal counts each one's projects
    array([[1, 1, 0],
           [1, 2, 1],
           [0, 1, 1]], dtype=int8)
    """
    orgs = pd.Index(model.organisations["org_id"])
    projects = pd.Index(model.projects["project_id"])
    rows = orgs.get_indexer(model.participations["org_id"])
    cols = projects.get_indexer(model.participations["project_id"])
    data = np.ones(len(rows), dtype=np.int8)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(orgs), len(projects))), orgs, projects


def organisation_pairs(model: Collaboration, *, by_year: bool = True) -> pd.DataFrame:
    """Every link: a pair of organisations with at least one joint project (per start year).

    With P the incidence matrix with one row per (organisation, year), C = P Pᵀ counts the joint
    projects of each pair in each year (pairs of different years never meet, since a project has
    one start year); the upper triangle of C lists each link once. Further products give, per
    link, how many of the joint projects each end coordinated (K = P_coord Pᵀ) and the link's
    share of EC funding, F = P_fund Pᵀ with P_fund[i, p] = f_ip / (n_p − 1): each organisation's
    funding f_ip in project p is shared equally among its n_p − 1 links there, so the funding of
    all links of a project adds up to the project's funding.

    Parameters
    ----------
    model
        A :class:`~clusterix_lib.collaboration.Collaboration`.
    by_year
        One row per pair and project start year (``year``, ``<NA>`` where unknown); ``False``: one
        row per pair over the whole period.

    Returns
    -------
    DataFrame
        ``org_a, org_b, [year], joint_projects, coordinated_a, coordinated_b, funding,
        funding_unknown`` (``coordinated_a``: joint projects coordinated by ``org_a``;
        ``funding_unknown``: participations of the two in their joint projects without a funding
        figure, counted as 0 in ``funding``). Rows are sorted by ``org_a``, ``year``, ``org_b`` (in the
        order of ``model.organisations``); ``attrs`` carries the model's limits.

    Examples
    --------
    >>> from clusterix_lib.collaboration import make_collaboration
    >>> m = make_collaboration(
    ...     pd.DataFrame({"project_id": ["p", "q"], "start_date": ["2016-01-01", "2017-03-01"]}),
    ...     pd.DataFrame({"org_id": ["a", "b", "c"], "sector": "other", "country": "AT"}),
    ...     pd.DataFrame({"project_id": ["p", "p", "p", "q", "q"], "org_id": ["a", "b", "c", "a", "b"],
    ...                   "role": ["coordinator", "participant", "participant", "participant", "coordinator"],
    ...                   "funding": [60.0, 30.0, 30.0, 10.0, 20.0]}))
    >>> print(organisation_pairs(m, by_year=False).to_string())
      org_a org_b  joint_projects  coordinated_a  coordinated_b  funding  funding_unknown
    0     a     b               2              1              1     75.0                0
    1     a     c               1              1              0     45.0                0
    2     b     c               1              0              0     30.0                0
    >>> organisation_pairs(m)[["org_a", "org_b", "year", "joint_projects"]].values.tolist()
    [['a', 'b', 2016, 1], ['a', 'c', 2016, 1], ['a', 'b', 2017, 1], ['b', 'c', 2016, 1]]
    """
    parts = model.participations
    orgs = pd.Index(model.organisations["org_id"])
    projects = pd.Index(model.projects["project_id"])
    o = orgs.get_indexer(parts["org_id"])
    p = projects.get_indexer(parts["project_id"])
    if by_year:
        y_codes, y_labels = pd.factorize(model.projects["year"], sort=True, use_na_sentinel=False)
        n_y = max(len(y_labels), 1)
        rows = o.astype(np.int64) * n_y + y_codes[p]
    else:
        n_y, rows = 1, o.astype(np.int64)
    shape = (len(orgs) * n_y, len(projects))
    Pt = sp.csr_matrix((np.ones(len(p)), (p, rows)), shape=(shape[1], shape[0]))
    n_p = np.bincount(p, minlength=len(projects))
    funding = parts["funding"].to_numpy(dtype=np.float64)
    unknown = np.isnan(funding)
    share = np.where(unknown, 0.0, funding) / np.maximum(n_p[p] - 1, 1)
    coord = (parts["role"].to_numpy() == "coordinator").astype(np.float64)
    # Two complex products carry the four measures: (P + i P_coord) Pᵀ = C + i K and
    # (P + P_fund + i P_unknown) Pᵀ = (C + F) + i U. Their real parts are > 0 wherever C has an
    # entry, so both have exactly C's pattern; with sorted indices their data line up entry by entry
    # (and those of their transposes, C being symmetric, too): no lookups by (row, column).
    first = sp.csr_matrix((1.0 + 1j * coord, (rows, p)), shape=shape) @ Pt
    second = sp.csr_matrix((1.0 + share + 1j * unknown, (rows, p)), shape=shape) @ Pt
    values = []
    for m in (first, second):
        m.sort_indices()
        mt = m.T.tocsr()
        mt.sort_indices()
        values.append((m.data, mt.data))
    ref = first
    row_of = np.repeat(np.arange(ref.shape[0], dtype=np.int64), np.diff(ref.indptr))
    upper = row_of < ref.indices
    ra, rb = row_of[upper], ref.indices[upper].astype(np.int64)  # sorted by org_a, year, org_b
    (m1, m1t), (m2, m2t) = values
    c_ab = m1.real[upper]
    joint = c_ab
    out = pd.DataFrame(
        {
            "org_a": orgs[ra // n_y],
            "org_b": orgs[rb // n_y],
        }
    )
    if by_year:
        out["year"] = pd.array(np.asarray(y_labels, dtype=object)[ra % n_y], dtype="Int64")
    out["joint_projects"] = np.rint(joint).astype(np.int64)
    out["coordinated_a"] = np.rint(m1.imag[upper]).astype(np.int64)
    out["coordinated_b"] = np.rint(m1t.imag[upper]).astype(np.int64)
    out["funding"] = (m2.real[upper] - c_ab) + (m2t.real[upper] - c_ab)
    out["funding_unknown"] = np.rint(m2.imag[upper] + m2t.imag[upper]).astype(np.int64)
    out.attrs = dict(model.limits)
    return out


# --------------------------------------------------------------------------------------------
# Counts by territory
# --------------------------------------------------------------------------------------------


def _check_attribute(attribute: pd.Series, name: str) -> None:
    if not isinstance(attribute, pd.Series):
        raise ParameterError(f"{name} must be a Series indexed by org_id", where=f"parameter {name}")


def _ends(pairs: pd.DataFrame, attribute: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The attribute of both ends of each pair (``""`` where the organisation is not in ``attribute``)."""
    _check_attribute(attribute, name)
    values = np.append(attribute.fillna("").astype(str).to_numpy(), "")
    ia = attribute.index.get_indexer(pairs["org_a"])
    ib = attribute.index.get_indexer(pairs["org_b"])
    return values[ia], values[ib]  # -1 picks the appended ""


def _end_codes(pairs: pd.DataFrame, attribute: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of the attribute of both ends (−1: unknown or ``""``) and the sorted labels."""
    _check_attribute(attribute, name)
    codes, labels = pd.factorize(attribute.fillna("").astype(str), sort=True)
    labels = np.asarray(labels, dtype=object)
    if len(labels) and labels[0] == "":  # "" sorts first: unknown
        codes, labels = codes - 1, labels[1:]
    codes = np.append(codes, -1)
    ia = attribute.index.get_indexer(pairs["org_a"])
    ib = attribute.index.get_indexer(pairs["org_b"])
    return codes[ia], codes[ib], labels  # -1 picks the appended -1


def _years(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels of the pairs' years (one code 0 when there is no year column)."""
    if "year" not in pairs:
        return np.zeros(len(pairs), dtype=np.int64), np.array([None], dtype=object)
    codes, labels = pd.factorize(pairs["year"], sort=True, use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _group_sums(key: np.ndarray, values: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sums of each value array per distinct ``key`` (sorted), vectorised."""
    top = int(key.max()) + 1 if len(key) else 0
    if top <= max(4 * len(key), 1 << 16):  # small key space: count straight into it
        uniq = np.flatnonzero(np.bincount(key, minlength=top))
        return uniq, {k: np.bincount(key, weights=v, minlength=top)[uniq] for k, v in values.items()}
    uniq, inverse = np.unique(key, return_inverse=True)
    return uniq, {k: np.bincount(inverse, weights=v, minlength=len(uniq)) for k, v in values.items()}


def sector_pair_mask(
    pairs: pd.DataFrame, sector: pd.Series, a: Iterable[str] = ("enterprise",), b: Iterable[str] = ("knowledge",)
) -> np.ndarray:
    """True for links with one end in sectors ``a`` and the other in sectors ``b`` (either way round).

    >>> pairs = pd.DataFrame({"org_a": ["x", "x", "y"], "org_b": ["y", "z", "z"]})
    >>> sector = pd.Series({"x": "enterprise", "y": "knowledge", "z": "enterprise"})
    >>> sector_pair_mask(pairs, sector).tolist()
    [True, False, True]
    """
    sa, sb, labels = _end_codes(pairs, sector, "sector")
    in_a = np.append(np.isin(labels, list(a)), False)  # code -1 (unknown) picks the appended False
    in_b = np.append(np.isin(labels, list(b)), False)
    return (in_a[sa] & in_b[sb]) | (in_b[sa] & in_a[sb])


def link_counts(
    pairs: pd.DataFrame,
    territory: pd.Series,
    sector: pd.Series | None = None,
    *,
    select: np.ndarray | None = None,
) -> pd.DataFrame:
    """Links of each territory (and year, when ``pairs`` has one), with quality and intensity.

    A link counts for a territory when at least one of its two organisations is located there
    (once, even when both are). Per territory (and year):

    ``links``              number of links
    ``intra``              links with both ends in the territory; ``inter`` the others with a
                           located partner; ``unlocated`` those whose partner has no territory
    ``cross_sector``       links between organisations of different sectors (needs ``sector``)
    ``repeated``           links with two or more joint projects
    ``joint_projects``     sum of the links' joint projects
    ``coordinated``        links in which an organisation of the territory coordinated a joint project
    ``funding``            sum of the links' apportioned EC funding (see :func:`organisation_pairs`)

    and the ratios ``intra_share = intra / (intra + inter)``, ``cross_sector_share``,
    ``repeated_share``, ``coordinated_share`` (each / ``links``), ``tie_strength =
    joint_projects / links`` and ``funding_per_link = funding / links``.

    ``select`` (a boolean mask over ``pairs``, e.g. :func:`sector_pair_mask`) restricts the links.
    Links neither of whose ends is located are in ``attrs["unlocated_links"]``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"org_a": ["a", "a", "b"], "org_b": ["b", "c", "c"], "joint_projects": [2, 1, 1],
    ...                       "coordinated_a": [1, 0, 0], "coordinated_b": [0, 0, 1], "funding": [10.0, 4, 6]})
    >>> territory = pd.Series({"a": "AT", "b": "AT", "c": "CZ"})
    >>> out = link_counts(pairs, territory)
    >>> out[["territory", "links", "intra", "inter", "repeated", "coordinated", "funding"]]
      territory  links  intra  inter  repeated  coordinated  funding
    0        AT      3      1      2         1            1     20.0
    1        CZ      2      0      2         0            1     10.0
    """
    ta, tb, labels = _end_codes(pairs, territory, "territory")
    n = len(pairs)
    keep = np.ones(n, dtype=bool) if select is None else np.asarray(select, dtype=bool)
    jp = pairs["joint_projects"].to_numpy(dtype=np.float64)
    ca = pairs["coordinated_a"].to_numpy() > 0 if "coordinated_a" in pairs else np.zeros(n, bool)
    cb = pairs["coordinated_b"].to_numpy() > 0 if "coordinated_b" in pairs else np.zeros(n, bool)
    fund = pairs["funding"].to_numpy(dtype=np.float64) if "funding" in pairs else np.zeros(n)
    if sector is not None:
        sa, sb, _ = _end_codes(pairs, sector, "sector")
        cross = (sa != sb) & (sa >= 0) & (sb >= 0)
    else:
        cross = np.zeros(n, dtype=bool)
    intra = ta == tb
    side_a = keep & (ta >= 0)
    side_b = keep & (tb >= 0) & ~intra
    years, year_labels = _years(pairs)
    ny = len(year_labels)

    def both(va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        return np.concatenate([va[side_a], vb[side_b]]).astype(np.float64)

    key = both(ta * ny + years, tb * ny + years).astype(np.int64)
    zeros = np.zeros(n)
    uniq, sums = _group_sums(
        key,
        {
            "links": both(np.ones(n), np.ones(n)),
            "intra": both(intra, zeros),
            "unlocated": both(tb < 0, ta < 0),
            "cross_sector": both(cross, cross),
            "repeated": both(jp >= 2, jp >= 2),
            "joint_projects": both(jp, jp),
            "coordinated": both(ca | (intra & cb), cb),
            "funding": both(fund, fund),
        },
    )
    keys = ["territory"]
    out = pd.DataFrame({"territory": labels[uniq // ny] if len(uniq) else np.array([], dtype=object)})
    if "year" in pairs:
        out["year"] = pd.array(year_labels[uniq % ny], dtype="Int64")
        keys.append("year")
    for col, v in sums.items():
        out[col] = v if col == "funding" else np.rint(v).astype(np.int64)
    out["inter"] = out["links"] - out["intra"] - out["unlocated"]
    located = out["intra"] + out["inter"]
    out["intra_share"] = out["intra"] / located.where(located > 0)
    for col in ("cross_sector", "repeated", "coordinated"):
        out[f"{col}_share"] = out[col] / out["links"]
    out["tie_strength"] = out["joint_projects"] / out["links"]
    out["funding_per_link"] = out["funding"] / out["links"]
    cols = [
        *keys,
        "links",
        "intra",
        "inter",
        "unlocated",
        "cross_sector",
        "repeated",
        "joint_projects",
        "coordinated",
        "funding",
        "intra_share",
        "cross_sector_share",
        "repeated_share",
        "coordinated_share",
        "tie_strength",
        "funding_per_link",
    ]
    out = out[cols]
    if sector is None:
        out = out.drop(columns=["cross_sector", "cross_sector_share"])
    out.attrs = {**pairs.attrs, "unlocated_links": int((keep & (ta < 0) & (tb < 0)).sum())}
    return out


def enterprise_knowledge_links(
    pairs: pd.DataFrame,
    territory: pd.Series,
    sector: pd.Series,
    *,
    enterprise: Iterable[str] = ("enterprise",),
    knowledge: Iterable[str] = ("knowledge",),
) -> pd.DataFrame:
    """:func:`link_counts` of the links between an enterprise and a knowledge institution.

    ``enterprise`` and ``knowledge`` name the sectors on each side (for keep.eu, which has no
    enterprise flag, pass ``enterprise=("private",)`` and say so).

    >>> pairs = pd.DataFrame({"org_a": ["a", "a"], "org_b": ["b", "c"], "joint_projects": [1, 3]})
    >>> sector = pd.Series({"a": "enterprise", "b": "knowledge", "c": "public"})
    >>> enterprise_knowledge_links(pairs, pd.Series({"a": "AT", "b": "DE", "c": "AT"}), sector)[
    ...     ["territory", "links", "joint_projects"]].values.tolist()
    [['AT', 1, 1], ['DE', 1, 1]]
    """
    mask = sector_pair_mask(pairs, sector, enterprise, knowledge)
    out = link_counts(pairs, territory, sector, select=mask)
    return out.drop(columns=["cross_sector", "cross_sector_share"])


def group_pair_links(
    pairs: pd.DataFrame,
    groups: pd.Series,
    *,
    sizes: pd.Series | None = None,
) -> pd.DataFrame:
    """The link matrix between groups (territories or sectors), long, with densities.

    One row per unordered pair of groups ``group_a <= group_b`` (``group_a == group_b``: links
    inside the group), and per ``year`` when ``pairs`` has one: ``links``, ``joint_projects``,
    ``n_a``, ``n_b`` (organisations in each group; default: counted in ``groups``, or pass
    ``sizes``), ``possible`` pairs (n_a n_b between groups, n_a (n_a − 1) / 2 within) and
    ``density = links / possible``. Links with an end of unknown group (``""``) are left out and
    counted in ``attrs["unlocated_links"]``.

    Examples
    --------
    Two triangles {1, 2, 3} (A) and {4, 5, 6} (B) bridged by 3–4 and 2–5:

    >>> pairs = pd.DataFrame({"org_a": [1, 1, 2, 4, 4, 5, 3, 2], "org_b": [2, 3, 3, 5, 6, 6, 4, 5],
    ...                       "joint_projects": 1})
    >>> groups = pd.Series({1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B"})
    >>> group_pair_links(pairs, groups)[["group_a", "group_b", "links", "possible", "density"]].round(4)
      group_a group_b  links  possible  density
    0       A       A      3       3.0   1.0000
    1       A       B      2       9.0   0.2222
    2       B       B      3       3.0   1.0000
    """
    ga, gb, labels = _end_codes(pairs, groups, "groups")
    located = (ga >= 0) & (gb >= 0)
    k = np.int64(max(len(labels), 1))
    lo, hi = np.minimum(ga, gb)[located], np.maximum(ga, gb)[located]
    years, year_labels = _years(pairs)
    ny = np.int64(len(year_labels))
    key = (lo.astype(np.int64) * k + hi) * ny + years[located]
    uniq, sums = _group_sums(
        key, {"links": np.ones(len(key)), "joint_projects": pairs["joint_projects"].to_numpy(np.float64)[located]}
    )
    keys = ["group_a", "group_b"]
    out = pd.DataFrame({"group_a": labels[uniq // ny // k], "group_b": labels[uniq // ny % k]})
    if "year" in pairs:
        out["year"] = pd.array(year_labels[uniq % ny], dtype="Int64")
        keys.append("year")
    out["links"] = np.rint(sums["links"]).astype(np.int64)
    out["joint_projects"] = np.rint(sums["joint_projects"]).astype(np.int64)
    text = groups.fillna("").astype(str)
    counts = sizes if sizes is not None else text[text != ""].value_counts()
    out["n_a"] = out["group_a"].map(counts).fillna(0).astype(np.int64)
    out["n_b"] = out["group_b"].map(counts).fillna(0).astype(np.int64)
    same = out["group_a"] == out["group_b"]
    possible = np.where(same, out["n_a"] * (out["n_a"] - 1) / 2, out["n_a"] * out["n_b"]).astype(np.float64)
    out["possible"] = possible
    out["density"] = out["links"] / out["possible"].where(out["possible"] > 0)
    out = out[[*keys, "links", "joint_projects", "n_a", "n_b", "possible", "density"]]
    out.attrs = {**pairs.attrs, "unlocated_links": int((~located).sum())}
    return out


def density(n_nodes: int, n_links: int) -> float:
    """Density of an undirected network: 2E / (n (n − 1)).

    >>> round(density(6, 8), 4)
    0.5333
    """
    return 2.0 * n_links / (n_nodes * (n_nodes - 1)) if n_nodes > 1 else float("nan")


def partner_links(
    pairs: pd.DataFrame, territory: pd.Series, focus: str, *, select: np.ndarray | None = None
) -> pd.DataFrame:
    """The partner territories of ``focus``: links between ``focus`` and each other territory.

    Columns ``partner, links, joint_projects, share`` (of the focus's links with located partners
    elsewhere), most links first (ties by code); links inside ``focus`` are in ``attrs["intra"]``.

    >>> pairs = pd.DataFrame({"org_a": ["a", "a", "b", "c"], "org_b": ["b", "c", "d", "d"],
    ...                       "joint_projects": [1, 2, 1, 5]})
    >>> t = pd.Series({"a": "AT", "b": "AT", "c": "CZ", "d": "DE"})
    >>> partner_links(pairs, t, "AT").values.tolist()
    [['CZ', 1, 2, 0.5], ['DE', 1, 1, 0.5]]
    """
    ta, tb = _ends(pairs, territory, "territory")
    keep = np.ones(len(pairs), dtype=bool) if select is None else np.asarray(select, dtype=bool)
    jp = pairs["joint_projects"].to_numpy()
    from_a = keep & (ta == focus) & (tb != focus) & (tb != "")
    from_b = keep & (tb == focus) & (ta != focus) & (ta != "")
    long = pd.DataFrame(
        {
            "partner": np.concatenate([tb[from_a], ta[from_b]]),
            "links": 1,
            "joint_projects": np.concatenate([jp[from_a], jp[from_b]]),
        }
    )
    out = long.groupby("partner", sort=True).sum().reset_index()
    out["share"] = out["links"] / out["links"].sum() if len(out) else np.nan
    out = out.sort_values(["links", "partner"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.attrs = {"intra": int((keep & (ta == focus) & (tb == focus)).sum())}
    return out


# --------------------------------------------------------------------------------------------
# Network measures on an edge list
# --------------------------------------------------------------------------------------------


def _edge_arrays(
    edges: pd.DataFrame, groups: pd.Series | None, source: str, target: str, nodes: Sequence | None = None
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    missing = [c for c in (source, target) if c not in edges.columns]
    if missing:
        raise ParameterError(f"the edge list lacks the column(s) {missing}", hint="name them with source=, target=")
    if nodes is None:
        nodes = groups.index if groups is not None else pd.Index(pd.unique(edges[[source, target]].to_numpy().ravel()))
    elif groups is None:
        extra = pd.unique(edges[[source, target]].to_numpy().ravel())
        nodes = pd.Index(nodes).append(pd.Index(extra).difference(pd.Index(nodes)))
    index = pd.Index(nodes)
    if not index.is_unique:
        raise ParameterError("a node is listed twice in groups", hint="give each node one group")
    s, t = index.get_indexer(edges[source]), index.get_indexer(edges[target])
    if (s < 0).any() or (t < 0).any():
        bad = edges[source].to_numpy()[s < 0].tolist() + edges[target].to_numpy()[t < 0].tolist()
        raise ParameterError(f"edge end(s) without a group: {bad[:5]}", hint="give every node of the edges a group")
    return index, s, t


def _adjacency(n: int, s: np.ndarray, t: np.ndarray, directed: bool) -> sp.csr_matrix:
    """Binary adjacency without self-ties (repeated edges count once; undirected: both directions)."""
    keep = s != t
    s, t = s[keep], t[keep]
    if not directed:
        s, t = np.concatenate([s, t]), np.concatenate([t, s])
    a = sp.csr_matrix((np.ones(len(s)), (s, t)), shape=(n, n))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def ei_index(
    edges: pd.DataFrame,
    groups: pd.Series,
    *,
    source: str = "source",
    target: str = "target",
    weight: str | None = None,
) -> pd.DataFrame:
    """Krackhardt–Stern E–I index: (E − I) / (E + I), from −1 (all ties internal) to +1 (all external).

    E counts ties between different groups, I ties within a group (undirected, each tie once;
    with ``weight``, tie weights are summed instead). Rows at three levels (``level`` column):
    ``network`` (all ties), ``group`` (ties touching the group: I inside it, E leaving it) and
    ``node`` (a node's own ties); columns ``level, unit, group, internal, external, ei``.
    Self-ties are ignored.

    Examples
    --------
    The network of indicators.md §9 B12: two triangles bridged by two ties.

    >>> edges = pd.DataFrame({"source": [1, 1, 2, 4, 4, 5, 3, 2], "target": [2, 3, 3, 5, 6, 6, 4, 5]})
    >>> groups = pd.Series({1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B"})
    >>> ei = ei_index(edges, groups)
    >>> ei[ei["level"] != "node"][["unit", "internal", "external", "ei"]]
          unit  internal  external   ei
    0  network       6.0       2.0 -0.5
    1        A       3.0       2.0 -0.2
    2        B       3.0       2.0 -0.2
    >>> ei.loc[ei["unit"].isin([1, 3]), "ei"].tolist()
    [-1.0, -0.3333333333333333]
    """
    index, s, t = _edge_arrays(edges, groups, source, target)
    keep = s != t
    s, t = s[keep], t[keep]
    w = edges[weight].to_numpy(dtype=np.float64)[keep] if weight else np.ones(len(s))
    g_codes, g_labels = pd.factorize(groups.reindex(index).astype(str), sort=True)
    gs, gt = g_codes[s], g_codes[t]
    internal = gs == gt
    n, k = len(index), len(g_labels)
    node_i = np.bincount(s, w * internal, n) + np.bincount(t, w * internal, n)
    node_e = np.bincount(s, w * ~internal, n) + np.bincount(t, w * ~internal, n)
    grp_i = np.bincount(gs[internal], w[internal], k)
    grp_e = np.bincount(gs[~internal], w[~internal], k) + np.bincount(gt[~internal], w[~internal], k)
    net_i, net_e = float(w[internal].sum()), float(w[~internal].sum())

    def ei(e, i):
        e, i = np.asarray(e, float), np.asarray(i, float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(e + i > 0, (e - i) / (e + i), np.nan)

    rows = [
        pd.DataFrame(
            {
                "level": "network",
                "unit": ["network"],
                "group": [""],
                "internal": [net_i],
                "external": [net_e],
                "ei": ei([net_e], [net_i]),
            }
        ),
        pd.DataFrame(
            {
                "level": "group",
                "unit": list(g_labels),
                "group": list(g_labels),
                "internal": grp_i,
                "external": grp_e,
                "ei": ei(grp_e, grp_i),
            }
        ),
        pd.DataFrame(
            {
                "level": "node",
                "unit": list(index),
                "group": list(g_labels[g_codes]),
                "internal": node_i,
                "external": node_e,
                "ei": ei(node_e, node_i),
            }
        ),
    ]
    return pd.concat(rows, ignore_index=True)


def _two_paths(x: sp.csr_matrix, y: sp.csr_matrix, a: sp.csr_matrix) -> np.ndarray:
    """For each broker b: Σ_{a,c} x_ab y_bc [a ≠ c][no tie a → c] (open two-paths a → b → c)."""
    all_paths = np.asarray(x.sum(axis=0)).ravel() * np.asarray(y.sum(axis=1)).ravel()
    closed = np.asarray(x.T.multiply(y @ a.T).sum(axis=1)).ravel()
    back = np.asarray(x.T.multiply(y).sum(axis=1)).ravel()
    return all_paths - closed - back


def _two_paths_same_ends(x: sp.csr_matrix, y: sp.csr_matrix, a_same: sp.csr_matrix, g: sp.csr_matrix) -> np.ndarray:
    """As :func:`_two_paths`, counting only paths whose ends a and c are in one group."""
    same_group = np.asarray((x.T @ g).multiply(y @ g).sum(axis=1)).ravel()
    closed = np.asarray(x.T.multiply(y @ a_same.T).sum(axis=1)).ravel()
    back = np.asarray(x.T.multiply(y).sum(axis=1)).ravel()
    return same_group - closed - back


def brokerage_roles(
    edges: pd.DataFrame,
    groups: pd.Series,
    *,
    source: str = "source",
    target: str = "target",
    directed: bool = False,
) -> pd.DataFrame:
    """Gould–Fernandez brokerage: how often each node brokers, in each role, and how often chance would have it.

    A broker b sits on a two-path a → b → c where a ≠ c and there is no tie a → c. By the groups
    of a, b and c the path is *coordinator* (all one group), *itinerant* (a and c in one group,
    b in another), *representative* (a in b's group, c not), *gatekeeper* (c in b's group,
    a not) or *liaison* (three groups). Counted with sparse products, no loop over nodes: with A
    the binary adjacency, X and Y its within-group or between-group parts, the paths through b are
    Σ_{a,c} X_ab Y_bc − Σ_a X_ab (Y Aᵀ)_ba − Σ_a X_ab Y_ba (all two-paths, minus closed ones,
    minus a = c).

    An undirected network (``directed=False``) is read as ties in both directions, as in R's
    ``sna::brokerage``: each open path is counted once each way, so a coordinator, itinerant or
    liaison path counts twice and a path between b's group and another counts once as gatekeeper
    and once as representative.

    Expected counts (``expected_<role>``) hold the node's open two-paths fixed and draw the groups
    of a and c at random without replacement from the other nodes (group sizes as observed).

    Returns
    -------
    DataFrame
        ``node, group, coordinator, itinerant, representative, gatekeeper, liaison, total``, the
        expected counts, and ``brokerage`` (= total − coordinator: paths crossing a group border).

    Examples
    --------
    A path 1 – 2 – 3 with 1 in group X and 2, 3 in group Y: broker 2 is a gatekeeper one way and a
    representative the other.

    >>> edges = pd.DataFrame({"source": [1, 2], "target": [2, 3]})
    >>> br = brokerage_roles(edges, pd.Series({1: "X", 2: "Y", 3: "Y"}))
    >>> br.set_index("node").loc[2, ["gatekeeper", "representative", "total"]].tolist()
    [1.0, 1.0, 2.0]
    >>> br.set_index("node").loc[2, ["expected_gatekeeper", "expected_coordinator"]].tolist()
    [1.0, 0.0]
    """
    index, s, t = _edge_arrays(edges, groups, source, target)
    n = len(index)
    g_codes, g_labels = pd.factorize(groups.reindex(index).astype(str), sort=True)
    k = len(g_labels)
    a = _adjacency(n, s, t, directed)
    g = sp.csr_matrix((np.ones(n), (np.arange(n), g_codes)), shape=(n, k))
    coo = a.tocoo()
    same = g_codes[coo.row] == g_codes[coo.col]
    a_same = sp.csr_matrix((coo.data * same, (coo.row, coo.col)), shape=(n, n))
    a_diff = sp.csr_matrix((coo.data * ~same, (coo.row, coo.col)), shape=(n, n))
    a_same.eliminate_zeros()
    a_diff.eliminate_zeros()
    coordinator = _two_paths(a_same, a_same, a)
    representative = _two_paths(a_same, a_diff, a)
    gatekeeper = _two_paths(a_diff, a_same, a)
    out_out = _two_paths(a_diff, a_diff, a)
    itinerant = _two_paths_same_ends(a_diff, a_diff, a_same, g)
    liaison = out_out - itinerant
    counts = {
        "coordinator": coordinator,
        "itinerant": itinerant,
        "representative": representative,
        "gatekeeper": gatekeeper,
        "liaison": liaison,
    }
    total = sum(counts.values())
    # chance: the ends a, c drawn without replacement from the n - 1 other nodes
    sizes = np.bincount(g_codes, minlength=k).astype(np.float64)
    own = sizes[g_codes]
    pairs_total = (n - 1.0) * (n - 2.0)
    other_sq = (sizes * (sizes - 1)).sum() - own * (own - 1)
    rest = n - own
    prob = {
        "coordinator": (own - 1) * (own - 2),
        "itinerant": other_sq,
        "representative": (own - 1) * rest,
        "gatekeeper": rest * (own - 1),
        "liaison": rest * (rest - 1) - other_sq,
    }
    out = pd.DataFrame({"node": list(index), "group": list(g_labels[g_codes])})
    for role in BROKERAGE_ROLES:
        out[role] = np.rint(counts[role]).astype(np.float64)
    out["total"] = np.rint(total).astype(np.float64)
    for role in BROKERAGE_ROLES:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"expected_{role}"] = np.where(pairs_total > 0, out["total"] * prob[role] / pairs_total, np.nan)
    out["brokerage"] = out["total"] - out["coordinator"]
    return out


def centrality(
    edges: pd.DataFrame,
    *,
    source: str = "source",
    target: str = "target",
    weight: str | None = None,
    nodes: Sequence | None = None,
) -> pd.DataFrame:
    """Degree and betweenness of each node of an undirected network (networkx).

    ``degree`` is the number of distinct neighbours, ``degree_centrality`` = degree / (n − 1),
    ``strength`` the sum of ``weight`` over the node's ties (= degree without ``weight``),
    ``betweenness`` the normalised betweenness Σ_{s≠t} σ_st(i) / σ_st × 2 / ((n − 1)(n − 2)) on
    unweighted shortest paths (collaboration weights are strengths, not distances). ``nodes``
    adds isolated nodes.

    >>> edges = pd.DataFrame({"source": [1, 1, 2, 4, 4, 5, 3, 2], "target": [2, 3, 3, 5, 6, 6, 4, 5]})
    >>> c = centrality(edges)
    >>> c["node"].tolist(), c["degree"].tolist(), c["betweenness"].round(4).tolist()
    ([1, 2, 3, 4, 5, 6], [2, 3, 3, 3, 3, 2], [0.0, 0.2, 0.2, 0.2, 0.2, 0.0])
    """
    index, s, t = _edge_arrays(edges, None, source, target, nodes)
    w = edges[weight].to_numpy(dtype=np.float64) if weight else np.ones(len(edges))
    keep = s != t
    lo, hi = np.minimum(s, t)[keep], np.maximum(s, t)[keep]
    summed = pd.DataFrame({"u": lo, "v": hi, "w": w[keep]}).groupby(["u", "v"], sort=True)["w"].sum().reset_index()
    graph = nx.Graph()
    graph.add_nodes_from(index)
    graph.add_weighted_edges_from(
        zip(index[summed["u"]].tolist(), index[summed["v"]].tolist(), summed["w"].tolist(), strict=True)
    )
    order = list(index)
    degree = dict(graph.degree())
    strength = dict(graph.degree(weight="weight"))
    between = nx.betweenness_centrality(graph, normalized=True)
    dc = nx.degree_centrality(graph) if len(graph) > 1 else dict.fromkeys(graph.nodes, 0.0)
    return pd.DataFrame(
        {
            "node": order,
            "degree": [degree[v] for v in order],
            "degree_centrality": [dc[v] for v in order],
            "strength": [float(strength[v]) for v in order],
            "betweenness": [between[v] for v in order],
        }
    )


def assortativity(pairs_by_group: pd.DataFrame) -> float:
    """Newman's attribute assortativity r from a group-pair link table (:func:`group_pair_links`).

    With e the symmetric mixing matrix of edge ends normalised to sum 1 and a its row sums,
    r = (Σ_g e_gg − Σ_g a_g²) / (1 − Σ_g a_g²): 1 when every tie is inside a group, 0 when ties
    ignore groups. Equals networkx's ``attribute_assortativity_coefficient``.

    >>> t = pd.DataFrame({"group_a": ["A", "A", "B"], "group_b": ["A", "B", "B"], "links": [3, 2, 3]})
    >>> assortativity(t)
    0.5
    """
    t = pairs_by_group
    if "year" in t:
        t = t.groupby(["group_a", "group_b"], as_index=False)["links"].sum()
    labels = pd.Index(sorted(set(t["group_a"]) | set(t["group_b"])))
    i, j = labels.get_indexer(t["group_a"]), labels.get_indexer(t["group_b"])
    w = t["links"].to_numpy(dtype=np.float64)
    e = np.zeros((len(labels), len(labels)))
    np.add.at(e, (i, j), w)
    np.add.at(e, (j, i), w)  # the diagonal gets 2 ends per internal tie
    total = e.sum()
    if total == 0:
        return float("nan")
    e /= total
    a = e.sum(axis=1)
    denom = 1.0 - (a**2).sum()
    return float((np.trace(e) - (a**2).sum()) / denom) if denom > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# Change over time and comparison with a ranking
# --------------------------------------------------------------------------------------------


def change_before_after(
    table: pd.DataFrame,
    year: int,
    *,
    value: str = "links",
    by: str | Sequence[str] | None = None,
    first: int | None = None,
    last: int | None = None,
) -> pd.DataFrame:
    """Annual mean of ``value`` before ``year`` and from ``year`` on, and the change.

    Years ``first`` … ``year − 1`` are *before*, ``year`` … ``last`` *after* (defaults: the
    table's first and last year). A year with no row counts as 0 (counts tables list only years
    with links); rows with an unknown year are left out. Columns: ``by`` …, ``before_years``,
    ``after_years`` (e.g. ``"2014-2016"``), ``before_mean``, ``after_mean``, ``change``
    (after − before) and ``pct_change`` (100 × change / before; NaN when before is 0).

    Examples
    --------
    >>> t = pd.DataFrame({"territory": ["AT"] * 3 + ["CZ"], "year": [2015, 2016, 2018, 2018],
    ...                   "links": [10, 20, 21, 4]})
    >>> change_before_after(t, 2017, by="territory", first=2015, last=2018)[
    ...     ["territory", "before_mean", "after_mean", "pct_change"]].values.tolist()
    [['AT', 15.0, 10.5, -30.0], ['CZ', 0.0, 2.0, nan]]
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    t = table[table["year"].notna()]
    years = t["year"].astype(int)
    first = int(years.min()) if first is None else int(first)
    last = int(years.max()) if last is None else int(last)
    if not first < year <= last:
        raise ParameterError(
            f"the change year {year} must lie after the first year {first} and not after the last {last}",
            where="parameter year",
            hint=f"choose a year between {first + 1} and {last}",
        )
    span = np.arange(first, last + 1)
    t = t.assign(year=years)[(years >= first) & (years <= last)]
    if keys:
        wide = t.pivot_table(index=keys, columns="year", values=value, aggfunc="sum", fill_value=0)
        wide = wide.reindex(columns=span, fill_value=0)
        out = wide.index.to_frame(index=False)
    else:
        wide = t.groupby("year")[value].sum().reindex(span, fill_value=0).to_frame().T
        out = pd.DataFrame(index=[0])
    full = wide.to_numpy(dtype=np.float64)
    before = full[:, span < year].mean(axis=1)
    after = full[:, span >= year].mean(axis=1)
    out["before_years"] = f"{first}-{year - 1}"
    out["after_years"] = f"{year}-{last}"
    out["before_mean"] = before
    out["after_mean"] = after
    out["change"] = after - before
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct_change"] = np.where(before > 0, 100.0 * (after - before) / before, np.nan)
    return out.reset_index(drop=True)


def compare_with_ranking(
    links: pd.DataFrame,
    ranking: pd.DataFrame,
    *,
    key: str = "partner",
    score: str = "score",
    top: int = 5,
) -> dict:
    """Do the partners a territory works with most match another ranking of partners?

    ``links`` has ``key`` and ``links`` (e.g. :func:`partner_links`), ``ranking`` has ``key`` and
    ``score`` (higher = better, e.g. a complementarity score). Partners missing from ``links``
    have 0 links. Returns ``{"table", "spearman", "p_value", "n", "top_overlap"}``: the merged
    table (``links`` as integers), Spearman's rank correlation of links and score over the ranked
    partners, and how many of the ``top`` partners by score are among the ``top`` by links.

    >>> links = pd.DataFrame({"partner": ["A", "B", "C"], "links": [9, 5, 1]})
    >>> ranking = pd.DataFrame({"partner": ["A", "B", "C", "D"], "score": [0.9, 0.7, 0.5, 0.1]})
    >>> r = compare_with_ranking(links, ranking, top=2)
    >>> round(r["spearman"], 3), r["n"], r["top_overlap"]
    (1.0, 4, 2)
    """
    table = ranking[[key, score]].merge(links[[key, "links"]], on=key, how="left").fillna({"links": 0})
    table["links"] = table["links"].round().astype("int64")  # a count, whatever the merge made of it
    table = table.sort_values(score, ascending=False, kind="stable").reset_index(drop=True)
    if len(table) >= 3 and table["links"].nunique() > 1 and table[score].nunique() > 1:
        rho, p = stats.spearmanr(table[score], table["links"])
        rho, p = float(rho), float(p)
    else:
        rho = p = float("nan")
    top_score = set(table[key].head(top))
    linked = table[table["links"] > 0]  # a partner with no link is never among those worked with most
    top_links = set(linked.sort_values(["links", score], ascending=False, kind="stable")[key].head(top))
    return {"table": table, "spearman": rho, "p_value": p, "n": len(table), "top_overlap": len(top_score & top_links)}
