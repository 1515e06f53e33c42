"""Collaboration indicators: hand-made networks with known values (indicators.md §9 B12), brute-force
enumerations on random networks (hypothesis), and a count on the real data recomputed with plain pandas."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterix_lib import collab_indicators as ci
from clusterix_lib import collaboration as co
from clusterix_lib.errors import ParameterError

# indicators.md §9 B12: triangle {1, 2, 3} (sector A), triangle {4, 5, 6} (sector B), bridges 3-4 and 2-5
B12_EDGES = pd.DataFrame({"source": [1, 1, 2, 4, 4, 5, 3, 2], "target": [2, 3, 3, 5, 6, 6, 4, 5]})
B12_GROUPS = pd.Series({1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B"})
B12_PAIRS = B12_EDGES.rename(columns={"source": "org_a", "target": "org_b"}).assign(joint_projects=1)


def test_b12_ei_index_density_and_mixing():
    ei = ci.ei_index(B12_EDGES, B12_GROUPS)
    net = ei[ei["level"] == "network"].iloc[0]
    assert (net["external"], net["internal"], net["ei"]) == (2, 6, -0.5)
    assert ci.density(6, len(B12_EDGES)) == pytest.approx(0.5333, abs=1e-4)
    nodes = ei[ei["level"] == "node"].set_index("unit")
    # cross-sector share of a node = E_i / k_i: 1/3 for the bridge ends, 0 otherwise
    share = nodes["external"] / (nodes["external"] + nodes["internal"])
    assert share.to_dict() == pytest.approx({1: 0, 2: 1 / 3, 3: 1 / 3, 4: 1 / 3, 5: 1 / 3, 6: 0})
    mix = ci.group_pair_links(B12_PAIRS, B12_GROUPS).set_index(["group_a", "group_b"])
    assert mix["links"].to_dict() == {("A", "A"): 3, ("A", "B"): 2, ("B", "B"): 3}  # ordered ends [[6, 2], [2, 6]]
    assert mix.loc[("A", "A"), "density"] == 1.0 and mix.loc[("B", "B"), "density"] == 1.0
    assert mix.loc[("A", "B"), "density"] == pytest.approx(2 / 9)
    assert ci.assortativity(mix.reset_index()) == pytest.approx(0.5)


def test_b12_betweenness_and_degree():
    c = ci.centrality(B12_EDGES).set_index("node")
    assert c["betweenness"].to_dict() == pytest.approx({1: 0, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2, 6: 0})
    assert c["degree"].to_dict() == {1: 2, 2: 3, 3: 3, 4: 3, 5: 3, 6: 2}
    assert c["degree_centrality"][2] == pytest.approx(3 / 5)


def test_b12_brokerage_by_hand():
    """Undirected B12, read both ways. Broker 2 (A): open paths 1-2-5 (A,A,B), 3-2-5 (A,A,B): each once as
    representative (a in 2's group) and once as gatekeeper (c in 2's group). 2's other pairs are linked."""
    br = ci.brokerage_roles(B12_EDGES, B12_GROUPS).set_index("node")
    assert br.loc[2, ["coordinator", "itinerant", "representative", "gatekeeper", "liaison"]].tolist() == [
        0,
        0,
        2,
        2,
        0,
    ]
    assert br.loc[1, "total"] == 0 and br.loc[6, "total"] == 0
    # 3: paths 1-3-4, 2-3-4 (A,A,B) -> 2 representative + 2 gatekeeper
    assert br.loc[3, ["representative", "gatekeeper", "total"]].tolist() == [2, 2, 4]


def test_brokerage_star_by_hand():
    """Broker b (group A) with leaves a1 (A), c1, c2 (B), d1 (C), no ties among leaves: 12 ordered paths."""
    edges = pd.DataFrame({"source": ["b"] * 4, "target": ["a1", "c1", "c2", "d1"]})
    groups = pd.Series({"b": "A", "a1": "A", "c1": "B", "c2": "B", "d1": "C"})
    b = ci.brokerage_roles(edges, groups).set_index("node").loc["b"]
    assert b[["coordinator", "itinerant", "representative", "gatekeeper", "liaison", "total"]].tolist() == [
        0,
        2,
        3,
        3,
        4,
        12,
    ]
    # chance, ends drawn from the 4 others (1 of A, 2 of B, 1 of C): coordinator 0, representative 12*1*3/12
    assert b["expected_coordinator"] == 0 and b["expected_representative"] == pytest.approx(3.0)
    assert b[[f"expected_{r}" for r in ci.BROKERAGE_ROLES]].sum() == pytest.approx(12)


def test_brokerage_directed_counts_one_way():
    edges = pd.DataFrame({"source": [1, 2], "target": [2, 3]})
    br = ci.brokerage_roles(edges, pd.Series({1: "X", 2: "Y", 3: "Y"}), directed=True).set_index("node")
    assert br.loc[2, ["gatekeeper", "representative", "total"]].tolist() == [1, 0, 1]
    with pytest.raises(ParameterError, match="without a group"):
        ci.brokerage_roles(edges, pd.Series({1: "X", 2: "Y"}))


def _brute_brokerage(edges, groups, directed):
    adj = set()
    for s, t in zip(edges["source"], edges["target"], strict=True):
        if s != t:
            adj.add((s, t))
            if not directed:
                adj.add((t, s))
    out = {n: dict.fromkeys(ci.BROKERAGE_ROLES, 0) for n in groups.index}
    for a, b, c in itertools.permutations(groups.index, 3):
        if (a, b) in adj and (b, c) in adj and (a, c) not in adj:
            ga, gb, gc = groups[a], groups[b], groups[c]
            if ga == gb == gc:
                role = "coordinator"
            elif ga == gc:
                role = "itinerant"
            elif ga == gb:
                role = "representative"
            elif gb == gc:
                role = "gatekeeper"
            else:
                role = "liaison"
            out[b][role] += 1
    return pd.DataFrame(out).T


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(3, 9),
    data=st.data(),
    directed=st.booleans(),
)
def test_brokerage_equals_brute_force(n, data, directed):
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = data.draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs)))
    groups = pd.Series(data.draw(st.lists(st.sampled_from("XYZ"), min_size=n, max_size=n)), index=range(n))
    edges = pd.DataFrame(chosen, columns=["source", "target"])
    got = ci.brokerage_roles(edges, groups, directed=directed).set_index("node")
    want = _brute_brokerage(edges, groups, directed)
    for role in ci.BROKERAGE_ROLES:
        assert got[role].tolist() == want[role].tolist(), role
    expected = got[[f"expected_{r}" for r in ci.BROKERAGE_ROLES]].sum(axis=1)
    assert np.allclose(expected, got["total"])  # chance spreads exactly the observed paths over the roles


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # networkx on one-group graphs
@settings(max_examples=30, deadline=None)
@given(st.data())
def test_assortativity_and_centrality_match_networkx(data):
    n = data.draw(st.integers(3, 10))
    edges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=25))
    edges = [(a, b) for a, b in edges if a != b]
    groups = pd.Series(data.draw(st.lists(st.sampled_from("AB C"), min_size=n, max_size=n)), index=range(n))
    if not edges:
        return
    g = nx.Graph(edges)
    frame = pd.DataFrame(list(g.edges()), columns=["source", "target"])
    nx.set_node_attributes(g, groups.to_dict(), "grp")
    pairs = frame.rename(columns={"source": "org_a", "target": "org_b"}).assign(joint_projects=1)
    ours = ci.assortativity(ci.group_pair_links(pairs, groups.replace(" ", "D")))
    theirs = nx.attribute_assortativity_coefficient(g, "grp")
    assert ours == pytest.approx(theirs, nan_ok=True, abs=1e-9) or (np.isnan(ours) and not np.isfinite(theirs))
    c = ci.centrality(frame).set_index("node")
    bc = nx.betweenness_centrality(g)
    assert c["betweenness"].to_dict() == pytest.approx(bc)


# ---------------------------------------------------------------------------------------------
# organisation pairs (sparse) against a brute-force enumeration of projects
# ---------------------------------------------------------------------------------------------


@st.composite
def models(draw):
    n_org = draw(st.integers(2, 7))
    n_proj = draw(st.integers(1, 6))
    years = draw(
        st.lists(st.sampled_from(["2015-01-01", "2016-06-01", "2017-03-01", ""]), min_size=n_proj, max_size=n_proj)
    )
    rows = []
    for p in range(n_proj):
        members = draw(st.lists(st.integers(0, n_org - 1), min_size=1, max_size=n_org, unique=True))
        for m in members:
            rows.append(
                {
                    "project_id": f"p{p}",
                    "org_id": f"o{m}",
                    "role": draw(st.sampled_from(["coordinator", "participant", "partner"])),
                    "funding": draw(st.one_of(st.just(np.nan), st.floats(0, 1000, allow_nan=False))),
                }
            )
    orgs = pd.DataFrame(
        {
            "org_id": [f"o{i}" for i in range(n_org)],
            "sector": draw(
                st.lists(st.sampled_from(["enterprise", "knowledge", "public"]), min_size=n_org, max_size=n_org)
            ),
            "country": draw(st.lists(st.sampled_from(["AT", "CZ", ""]), min_size=n_org, max_size=n_org)),
        }
    )
    projects = pd.DataFrame({"project_id": [f"p{p}" for p in range(n_proj)], "start_date": years})
    return co.make_collaboration(
        projects, orgs, pd.DataFrame(rows, columns=["project_id", "org_id", "role", "funding"])
    )


def _brute_pairs(model, by_year):
    order = {o: i for i, o in enumerate(model.organisations["org_id"])}
    year = model.projects.set_index("project_id")["year"]
    out = {}
    for pid, grp in model.participations.groupby("project_id"):
        n = len(grp)
        members = sorted(grp.itertuples(index=False), key=lambda r: order[r.org_id])
        for a, b in itertools.combinations(members, 2):
            y = year[pid] if by_year else None
            key = (a.org_id, b.org_id, None if pd.isna(y) else int(y)) if by_year else (a.org_id, b.org_id)
            r = out.setdefault(key, [0, 0, 0, 0.0, 0])
            r[0] += 1
            r[1] += a.role == "coordinator"
            r[2] += b.role == "coordinator"
            r[3] += (np.nan_to_num(a.funding) + np.nan_to_num(b.funding)) / (n - 1)
            r[4] += int(np.isnan(a.funding)) + int(np.isnan(b.funding))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.booleans())
def test_organisation_pairs_equal_brute_force(model, by_year):
    got = ci.organisation_pairs(model, by_year=by_year)
    want = _brute_pairs(model, by_year)
    assert len(got) == len(want)
    for r in got.itertuples(index=False):
        key = (r.org_a, r.org_b, None if pd.isna(r.year) else int(r.year)) if by_year else (r.org_a, r.org_b)
        jp, ca, cb, f, u = want[key]
        assert (r.joint_projects, r.coordinated_a, r.coordinated_b, r.funding_unknown) == (jp, ca, cb, u)
        assert r.funding == pytest.approx(f)
    # funding is conserved: the links of a project carry exactly its known funding
    sizes = model.participations.groupby("project_id")["org_id"].transform("size")
    assert got["funding"].sum() == pytest.approx(model.participations.loc[sizes > 1, "funding"].fillna(0).sum())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_link_counts_equal_a_plain_recount(model):
    pairs = ci.organisation_pairs(model, by_year=False)
    territory = model.territory(0)
    sector = model.organisations.set_index("org_id")["sector"]
    got = ci.link_counts(pairs, territory, sector).set_index("territory")
    ta = pairs["org_a"].map(territory)
    tb = pairs["org_b"].map(territory)
    sa, sb = pairs["org_a"].map(sector), pairs["org_b"].map(sector)
    for t in sorted(set(ta) | set(tb) - {""}):
        if t == "":
            continue
        mine = pairs[(ta == t) | (tb == t)]
        row = got.loc[t]
        assert row["links"] == len(mine)
        assert row["intra"] == ((ta == t) & (tb == t)).sum()
        assert row["unlocated"] == (((ta == t) & (tb == "")) | ((tb == t) & (ta == ""))).sum()
        assert row["repeated"] == (mine["joint_projects"] >= 2).sum()
        assert row["cross_sector"] == (sa[mine.index] != sb[mine.index]).sum()
        own = ((ta[mine.index] == t) & (mine["coordinated_a"] > 0)) | (
            (tb[mine.index] == t) & (mine["coordinated_b"] > 0)
        )
        assert row["coordinated"] == own.sum()
        assert row["funding"] == pytest.approx(mine["funding"].sum())
    assert got.attrs["unlocated_links"] == ((ta == "") & (tb == "")).sum()


def test_link_counts_by_year_and_select():
    m = co.make_collaboration(
        pd.DataFrame({"project_id": ["p", "q", "r"], "start_date": ["2016-01-01", "2016-05-01", "2018-01-01"]}),
        pd.DataFrame(
            {"org_id": ["e", "k", "g"], "sector": ["enterprise", "knowledge", "public"], "country": ["AT", "AT", "CZ"]}
        ),
        pd.DataFrame(
            {
                "project_id": ["p", "p", "q", "q", "r", "r", "r"],
                "org_id": ["e", "k", "e", "k", "e", "k", "g"],
                "role": [
                    "coordinator",
                    "participant",
                    "participant",
                    "participant",
                    "participant",
                    "participant",
                    "coordinator",
                ],
            }
        ),
    )
    pairs = ci.organisation_pairs(m)
    sector = m.organisations.set_index("org_id")["sector"]
    ek = ci.enterprise_knowledge_links(pairs, m.territory(0), sector)
    assert ek[["territory", "year", "links", "joint_projects", "intra", "repeated", "coordinated"]].values.tolist() == [
        ["AT", 2016, 1, 2, 1, 1, 1],
        ["AT", 2018, 1, 1, 1, 0, 0],
    ]
    change = ci.change_before_after(ek, 2017, by="territory")
    assert change[["before_mean", "after_mean", "pct_change"]].values.tolist() == [[1.0, 0.5, -50.0]]  # 2017 had none
    with pytest.raises(ParameterError, match="change year"):
        ci.change_before_after(ek, 2016)


def test_change_before_after_fills_missing_years_with_zero():
    t = pd.DataFrame({"year": [2015, 2019], "links": [4, 9]})
    out = ci.change_before_after(t, 2017, first=2014, last=2019).iloc[0]
    assert out["before_mean"] == pytest.approx(4 / 3) and out["after_mean"] == 3.0
    assert out["pct_change"] == pytest.approx(100 * (3 - 4 / 3) / (4 / 3))
    assert (out["before_years"], out["after_years"]) == ("2014-2016", "2017-2019")


def test_partner_links_and_ranking_comparison():
    pairs = pd.DataFrame({"org_a": ["a", "a", "a", "b"], "org_b": ["c", "d", "e", "e"], "joint_projects": 1})
    t = pd.Series({"a": "R1", "b": "R1", "c": "R2", "d": "R2", "e": "R3"})
    p = ci.partner_links(pairs, t, "R1")
    assert p[["partner", "links"]].values.tolist() == [["R2", 2], ["R3", 2]] and p.attrs["intra"] == 0
    ranking = pd.DataFrame({"partner": ["R3", "R2", "R4"], "score": [3.0, 2.0, 1.0]})
    r = ci.compare_with_ranking(p, ranking, top=1)
    assert r["n"] == 3 and r["table"]["links"].tolist() == [2, 2, 0]
    assert r["top_overlap"] == 1  # R3 is first by score and (tied, broken by score) first by links


# ---------------------------------------------------------------------------------------------
# real data: enterprise-knowledge links of one country, recomputed with a pandas self-merge
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def h2020():
    return co.load_h2020()


def test_h2020_enterprise_knowledge_links_by_year_cross_check(h2020):
    country = "CZ"
    pairs = ci.organisation_pairs(h2020)
    sector = h2020.organisations.set_index("org_id")["sector"]
    ek = ci.enterprise_knowledge_links(pairs, h2020.territory(0), sector)
    got = ek[ek["territory"] == country].set_index("year")["links"]
    # independent: every (project, org, org) of projects with a Czech member, deduplicated per year
    p = h2020.participations.merge(h2020.organisations[["org_id", "sector", "country"]], on="org_id")
    p = p.merge(h2020.projects[["project_id", "year"]], on="project_id")
    czech_projects = p.loc[p["country"] == country, "project_id"].unique()
    p = p[p["project_id"].isin(czech_projects)]
    both = p.merge(p, on=["project_id", "year"], suffixes=("_a", "_b"))
    both = both[both["org_id_a"] < both["org_id_b"]]
    ek_pair = ((both["sector_a"] == "enterprise") & (both["sector_b"] == "knowledge")) | (
        (both["sector_a"] == "knowledge") & (both["sector_b"] == "enterprise")
    )
    touches = (both["country_a"] == country) | (both["country_b"] == country)
    want = both[ek_pair & touches].drop_duplicates(["org_id_a", "org_id_b", "year"]).groupby("year").size()
    assert got.to_dict() == want.to_dict()
    assert got.loc[2018] > 300  # the Czech Republic has hundreds of such links a year


def test_group_pair_links_country_totals(h2020):
    ties = ci.organisation_pairs(h2020, by_year=False)
    country = h2020.territory(0)
    matrix = ci.group_pair_links(ties, country)
    lc = ci.link_counts(ties, country).set_index("territory")
    # a country's links = its row of the matrix (inside counted once) plus links to unlocated partners
    rows = matrix[(matrix["group_a"] == "AT") | (matrix["group_b"] == "AT")]["links"].sum()
    assert rows + lc.loc["AT", "unlocated"] == lc.loc["AT", "links"]
    assert matrix["links"].sum() + matrix.attrs["unlocated_links"] == len(ties)
