"""The scoreboard and policy-evaluation reports, run with papermill and read back.

One case each: the consortium scoreboard of the default consortium, and the policy evaluation of
West Pannon (HU22), whose instrument data are illustrative. Recorded values are recomputed with
the library; the HTML must carry the illustrative banner and notes, no code and nothing online.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import batch, cli, consortium, datasets, evaluation, monitoring, scoreboard
from clusterix_lib.reporting import offline_violations, output_paths, read_records

pytestmark = pytest.mark.notebooks

N_DRAWS = 300


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    jobs = [
        cli.report_job("scoreboard", None, {"consortium": "consortium_clusterix2", "n_draws": N_DRAWS}, out_dir=out),
        cli.report_job("policy_evaluation", "HU22", out_dir=out),
    ]
    outcomes = batch.run_batch(jobs, workers=2, progress=False, timeout=600)
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return {o.job.notebook.stem: o for o in outcomes}


def table(outcome, name: str) -> pd.DataFrame:
    """A key table of a built report, read back from its CSV download."""
    return pd.read_csv(
        output_paths(outcome.job.output_stem)["tables"] / f"{name}.csv", keep_default_na=False, na_values=[""]
    )


@pytest.fixture(scope="module")
def board():
    regions = consortium.consortium_regions(consortium.load_consortium())["nuts_code"].tolist()
    return scoreboard.build_scoreboard(datasets.indicators(), regions=regions)


def test_scoreboard_records_equal_the_library(built, board):
    rec = read_records(built["scoreboard"].ipynb)
    year = scoreboard.choose_scoreboard_year(board)
    assert rec["year"] == year == 2019
    assert rec["n_pool"] == len(board.pool)
    t = board.region_table(year).dropna(subset=["relative"]).set_index("unit")
    assert rec["relative"] == pytest.approx(t["relative"].to_dict(), rel=1e-12)
    assert rec["group"] == t["group"].to_dict() and rec["subgroup"] == t["subgroup"].to_dict()
    assert rec["rank"] == t["rank"].to_dict()
    assert rec["eu_sii"] == pytest.approx(board.eu.loc[year])
    unc = scoreboard.scoreboard_uncertainty(board, year, n_draws=N_DRAWS, seed=2016).for_units(rec["units"])
    got = {u: v for u, v in rec["mc_relative_interval"].items() if v[0] is not None}
    want = {r.unit: [r.relative_low, r.relative_high] for r in unc.itertuples() if not np.isnan(r.relative_low)}
    assert got.keys() == want.keys()
    for u in want:
        assert got[u] == pytest.approx(want[u], rel=1e-12)
    assert 0.5 < rec["cronbach_alpha"] < 1
    # a published score at the edge of its range is said to be an upper (lower) estimate
    edges = {
        u: "top" if (rec["mc_nominal_relative"][u] - lo) >= 0.9 * (hi - lo) else "bottom"
        for u, (lo, hi) in got.items()
        if not 0.1 * (hi - lo) < rec["mc_nominal_relative"][u] - lo < 0.9 * (hi - lo)
    }
    assert rec["score_at_edge"] == edges
    html = built["scoreboard"].html.read_text(encoding="utf-8")
    assert ("upper estimate" in html) == ("top" in edges.values())


def test_scoreboard_tables_equal_the_library(built, board):
    outcome = built["scoreboard"]
    year = scoreboard.choose_scoreboard_year(board)
    scores = table(outcome, "scores")
    assert {"region", "unit", "name", "relative", "group", "subgroup", "rank", "n_ranked"} <= set(scores.columns)
    scores = scores.dropna(subset=["relative"]).set_index("unit")
    t = board.region_table(year).dropna(subset=["relative"]).set_index("unit")
    assert scores["relative"].to_dict() == pytest.approx(t["relative"].to_dict(), rel=1e-12)
    assert scores["rank"].to_dict() == t["rank"].to_dict() and scores["group"].to_dict() == t["group"].to_dict()
    units = read_records(outcome.ipynb)["units"]
    ind = table(outcome, "indicators")
    assert list(ind.columns) == ["unit", "indicator", "label", "measure", "value_used", "data_year", "normalised"]
    want = board.data_years(units, year)
    assert ind["value_used"].to_numpy() == pytest.approx(want["value_used"].to_numpy(), rel=1e-12, nan_ok=True)
    unc = table(outcome, "uncertainty")
    assert {"unit", "relative_low", "relative_high", "rank_low", "rank_high", "group_share"} <= set(unc.columns)
    trend = table(outcome, "trend")
    assert set(trend["unit"]) == set(units) and set(trend["time"]) == set(board.years)
    assert output_paths(outcome.job.output_stem)["xlsx"].is_file()


def test_policy_evaluation_records_equal_the_library(built):
    rec = read_records(built["policy_evaluation"].ipynb)
    assert rec["region"] == "HU22" and rec["illustrative"] is True and rec["instruments"] == ["HU22-OP"]
    mon = monitoring.load_monitoring()
    att = monitoring.target_attainment(mon, scopes=["HU22-OP"])
    assert rec["attainment_flags"] == dict(zip(att["indicator"], att["flag"], strict=True))
    ind = datasets.indicators()
    regions = consortium.consortium_regions(consortium.load_consortium())["nuts_code"].tolist()
    units = evaluation.evaluation_units(regions, ind)
    ok = units[units["unit"] != ""]
    cg = evaluation.comparison_group(ind, ok["unit"], k=3, exclude=regions)
    res = evaluation.did(evaluation.did_panel(ind, ok, cg["control"]))
    assert rec["did"]["estimate"] == pytest.approx(res.estimate, rel=1e-10)
    assert rec["did"]["ci"] == pytest.approx([res.ci_low, res.ci_high], rel=1e-10)
    assert rec["did"]["n_treated_clusters"] == 9  # Auvergne-Rhone-Alpes has no BERD after 2013
    assert rec["region_did"]["n_controls"] == 10 and 0 < rec["region_did"]["p"] <= 1
    assert any("not a random sample" in c for c in rec["caveats"])
    # the key tables: the estimates as numbers, the monitoring status with its illustrative column
    est = table(built["policy_evaluation"], "estimates")
    assert list(est.columns) == [
        "analysis",
        "series",
        "term",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n_obs",
    ]
    d = est[est["analysis"].str.startswith("difference-in-differences, all")].iloc[0]
    assert [d["estimate"], d["se"], d["ci_low"], d["ci_high"]] == pytest.approx(
        [res.estimate, res.se, res.ci_low, res.ci_high], rel=1e-10
    )
    assert (est["analysis"] == "interrupted time series").sum() >= 2
    targets = table(built["policy_evaluation"], "indicator_targets")
    assert dict(zip(targets["indicator"], targets["flag"], strict=True)) == rec["attainment_flags"]
    assert targets["illustrative"].all()
    acts = table(built["policy_evaluation"], "action_plan")
    assert {"action_no", "status", "rag", "illustrative", "deviation_reason"} <= set(acts.columns)
    assert len(acts) == len(monitoring.action_plan_status(mon, instruments=["HU22-OP"]))
    # a deviation reason above the public level is emptied, its action still listed
    hidden = acts["confidentiality"] != "public"
    assert hidden.any() and acts.loc[hidden, "deviation_reason"].isna().all()


@pytest.mark.parametrize("name", ["scoreboard", "policy_evaluation"])
def test_html_offline_no_code(built, name):
    html = built[name].html.read_text(encoding="utf-8")
    assert offline_violations(html) == []
    assert "<script" not in html.lower() and "from clusterix_lib" not in html and "record(" not in html
    assert "data:image/png;base64," in html
    assert re.search(r'class="cx-snapshot">[0-9a-f]{12}<', html)
    assert "rd_e_gerdreg" in html and "2011/833/EU" in html


def test_illustrative_data_are_said_where_used(built):
    html = built["policy_evaluation"].html.read_text(encoding="utf-8")
    assert 'class="cx-banner"' in html and "Illustrative data." in html
    assert html.count("ILLUSTRATIVE data.") >= 3  # instrument indicators, action plan, and the page note
    assert "ILLUSTRATIVE data" in html and "Kohesio" in html
    sb = built["scoreboard"].html.read_text(encoding="utf-8")
    assert 'class="cx-banner"' not in sb  # the scoreboard shows official statistics only


# --------------------------------------------------------------------------------------------
# The scoreboard of a list of regions (the audit's cases): a region standing for another, a UK
# region, French regions without recent R&D figures
# --------------------------------------------------------------------------------------------

AUDIT_REGIONS = ["HR05", "IE06", "UKI3", "FRK", "AT12"]


@pytest.fixture(scope="module")
def built_regions(tmp_path_factory):
    out = tmp_path_factory.mktemp("regions")
    job = cli.report_job("scoreboard", None, {"regions": AUDIT_REGIONS, "n_draws": N_DRAWS}, out_dir=out)
    assert job.output_stem.name == "scoreboard-regions-HR05-IE06-UKI3-FRK-AT12"
    (outcome,) = batch.run_batch([job], workers=1, progress=False, timeout=600)
    assert outcome.ok, outcome.error
    return outcome


@pytest.fixture(scope="module")
def board_regions():
    return scoreboard.build_scoreboard(datasets.indicators(), regions=AUDIT_REGIONS)


def _text(outcome) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(outcome.html.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


def test_regions_scoreboard_records_the_audit_cases(built_regions, board_regions):
    rec = read_records(built_regions.ipynb)
    year = rec["year"]
    assert rec["regions"] == AUDIT_REGIONS and year == 2019
    # Grad Zagreb and Eastern and Midland have some figures of their own: never "no indicator data"
    notes = rec["region_notes"]
    assert notes == board_regions.region_table(year).set_index("region")["note"].loc[list(notes)].to_dict()
    for code, parent in (("HR05", "HR0"), ("IE06", "IE0")):
        assert "has figures for only" in notes[code] and f"({parent}), the NUTS 1 region containing it" in notes[code]
        assert parent in rec["relative"] and parent in rec["rank"]
    assert not any("no indicator data" in n for n in notes.values())
    # the UK region is scored on the EU scale but not ranked among the EU regions
    assert rec["not_ranked"] == ["UKI3"] and "UKI3" in rec["relative"] and "UKI3" not in rec["rank"]
    assert "not an EU-27 member state" in notes["UKI3"]
    unc = table(built_regions, "uncertainty").set_index("unit")
    assert np.isnan(unc.loc["UKI3", "rank"]) and unc.loc["UKI3", "relative"] > 0
    # France: why its regions are grey in the map and its values missing in the data table
    france = (
        "For the regions of France (FR), the latest figures for R&D personnel (FTE), R&D expenditure in the "
        "public sector (GERD minus BERD) and R&D expenditure in the business sector (BERD) are from 2013, "
        "more than 3 years before 2019; older figures are not carried forward."
    )
    grey = board_regions.year_table(year).query("in_pool & relative.isna()")["unit"]
    assert (
        rec["grey_notes"] == scoreboard.missing_value_notes(board_regions, grey, year) and france in rec["grey_notes"]
    )
    assert rec["missing_notes"] == scoreboard.missing_value_notes(board_regions, rec["units"], year)
    assert france in rec["missing_notes"]
    text = _text(built_regions)
    assert france in text and "Grey regions have no score in 2019" in text
    assert "Auvergne-Rhône-Alpes (FRK) has no score in 2019" in text


def test_regions_scoreboard_articles_agree(built_regions):
    text = _text(built_regions)
    assert not re.search(r"\b[Aa] (?:Innovation|Emerging|[aeio])", text), re.findall(r"\b[Aa] [AEIOUaeiou]\w*", text)
    rec = read_records(built_regions.ipynb)
    share = {u: s for u, s in rec["mc_group_share"].items() if s is not None and s < 0.8}
    groups = {u: g for u, g in rec["group"].items() if u in share}
    for g in groups.values():
        assert f"is {scoreboard.with_article(g)} in" in text
