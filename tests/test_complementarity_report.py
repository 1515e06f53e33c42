"""The complementarity report, run with papermill on the committed extracts and read back.

AT12 (a partner region) and DE21 (a region of no partner): the ranking, the top
recommendations, the cluster pairings and the rank intervals the report records equal what the
library returns for the same inputs.
"""

from __future__ import annotations

import pytest

from clusterix_lib import batch, cli, cluster_register, competences, consortium, datasets
from clusterix_lib import complementarity as cm
from clusterix_lib.reporting import offline_violations, read_records

pytestmark = pytest.mark.notebooks

REGIONS = ("AT12", "DE21")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    jobs = [cli.report_job("complementarity", code, out_dir=out) for code in REGIONS]
    outcomes = batch.run_batch(jobs, workers=2, progress=False, timeout=900)
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return {o.job.params["region"]: o for o in outcomes}


@pytest.fixture(scope="module")
def library():
    employment = datasets.employment()
    partners = consortium.consortium_regions(consortium.load_consortium())["nuts_code"].tolist()
    declared = competences.declared_divisions(competences.load_declared_competences())
    return employment, partners, declared


@pytest.mark.parametrize("code", REGIONS)
def test_recommendations_equal_the_library(built, library, code):
    employment, partners, declared = library
    rec = read_records(built[code].ipynb)
    assert rec["region"] == code and rec["year"] == 2014
    assert rec["is_partner"] == (code in partners)
    s = cm.europe_strengths(employment, 2014, [*partners, code])
    ranking = cm.partner_ranking(s, code, partners, declared=declared)
    assert code not in rec["partners_ranked"]
    assert rec["partners_ranked"] == ranking["region_b"].tolist()
    assert rec["scores"] == pytest.approx(ranking.set_index("region_b")["score"].round(6).to_dict(), abs=1e-6)
    assert rec["top_partners"] == ranking["region_b"].head(5).tolist()
    top = cm.contributions(s, code, ranking["region_b"].head(5).tolist(), n=2)
    assert rec["top_opportunities"] == [[r.region_b, r.kind, r.sector_a, r.sector_b] for r in top.itertuples()]
    eu = [g for g, ref in zip(s.geos, s.reference, strict=True) if ref]
    eu_rank = cm.partner_ranking(s, code, eu, weights={"overlap": 0.3, "complementarity": 0.5, "declared": 0})
    assert rec["europe_top"] == eu_rank["region_b"].head(10).tolist()


def test_cluster_pairings_equal_the_library(built, library):
    employment, partners, _ = library
    rec = read_records(built["AT12"].ipynb)
    s = cm.europe_strengths(employment, 2014, [*partners, "AT12"])
    pairs = cluster_register.cluster_pairs(
        cluster_register.load_clusters(), cm.sector_proximity(s), s.sectors, region="AT12"
    )
    expected = [
        [r.cluster_a, r.cluster_b]
        for scope in ("within region", "across regions")
        for r in pairs[pairs["scope"] == scope].head(5).itertuples()
    ]
    assert rec["cluster_pairs_top"] == expected
    # a region without clusters says so instead of showing an empty table
    de = read_records(built["DE21"].ipynb)
    assert de["n_clusters"] == 0 and de["cluster_pairs_top"] == []
    assert "lists no cluster in DE21" in built["DE21"].html.read_text(encoding="utf-8")


def test_rank_intervals_contain_the_default_rank(built):
    rec = read_records(built["AT12"].ipynb)
    for rank, code in enumerate(rec["partners_ranked"], start=1):
        best, worst = rec["rank_intervals"][code]
        assert best <= rank <= worst


@pytest.mark.parametrize("code", REGIONS)
def test_html_is_offline_and_explains_the_method(built, code):
    html = built[code].html.read_text(encoding="utf-8")
    assert offline_violations(html) == []
    assert "from clusterix_lib" not in html
    assert "How the score works" in html and "illustrative" in html
    assert html.count("data:image/png;base64,") >= 4  # heatmap, links map, sensitivity, choropleth


def test_ties_and_robustness_are_stated(built):
    rec = read_records(built["AT12"].ipynb)
    scores = rec["scores"]
    for run in rec["score_ties"]:
        steps = [scores[a] - scores[b] for a, b in zip(run, run[1:], strict=False)]
        assert len(run) > 1 and all(0 <= s < 2 for s in steps)
    html = built["AT12"].html.read_text(encoding="utf-8")
    assert ("read their order as a tie" in html) == bool(rec["score_ties"])
    assert "First over the 27 settings" in html


def test_a_sector_scope_restricts_every_comparison(tmp_path, library):
    employment, partners, declared = library
    job = cli.report_job("complementarity", "AT12", {"scope": "manufacturing", "europe": False}, out_dir=tmp_path)
    (outcome,) = batch.run_batch([job], workers=1, progress=False, timeout=900)
    assert outcome.ok, outcome.error
    rec = read_records(outcome.ipynb)
    s = cm.europe_strengths(employment, 2014, [*partners, "AT12"])
    s = s.only(cm.scope_sectors(s.sectors, "manufacturing"))
    assert rec["scope"] == "manufacturing" and rec["n_sectors"] == len(s.sectors) == 24
    ranking = cm.partner_ranking(s, "AT12", partners, declared=declared[declared["nace_r2"].isin(s.sectors)])
    assert rec["partners_ranked"] == ranking["region_b"].tolist()
    assert all(sa.startswith("C") and sb.startswith("C") for _, _, sa, sb in rec["top_opportunities"])
    assert "Only manufacturing (NACE section C) is compared" in outcome.html.read_text(encoding="utf-8")
