"""The scoreboard and policy-evaluation reports, run with papermill and read back.

One case each: the consortium scoreboard of the default consortium, and the policy evaluation of
West Pannon (HU22), whose instrument data are illustrative. Recorded values are recomputed with
the library; the HTML must carry the illustrative banner and notes, no code and nothing online.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from clusterix_lib import batch, cli, consortium, datasets, evaluation, monitoring, scoreboard
from clusterix_lib.reporting import offline_violations, read_records

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
