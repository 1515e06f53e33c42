"""Transferability: context similarity from the statistics (checked against the Krugman index of the
indicator engine and by hand), the explained score with its limiting factor, the ranking of practices worth
studying, the peer-score and transfer registers with their bad input, and the transfer pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import datasets
from clusterix_lib import transferability as tr
from clusterix_lib.errors import DataFileError
from clusterix_lib.good_practices import COLUMNS, load_good_practices
from clusterix_lib.rubrics import load_rubric
from clusterix_lib.specialisation import krugman_index
from clusterix_lib.study_trips import load_trip

RUBRIC = load_rubric("gp_transferability")


def employment(values: dict[str, list[float]], divisions=("C10", "C20", "C30")) -> pd.DataFrame:
    rows = [
        {"geo": geo, "nace_r2": d, "year": 2015, "value": v}
        for geo, vs in values.items()
        for d, v in zip(divisions, vs, strict=True)
    ]
    return pd.DataFrame(rows)


def register(*rows) -> pd.DataFrame:
    base = {c: "" for c in COLUMNS} | {"status": "published", "illustrative": False, "evidence_level": np.nan}
    return pd.DataFrame([base | r for r in rows])


# --------------------------------------------------------------------------------------
# Context similarity
# --------------------------------------------------------------------------------------


def test_structural_similarity_by_hand_and_against_krugman():
    e = employment({"AT12": [30.0, 10.0, 0.0], "CZ08": [10.0, 10.0, 20.0], "RO21": [5.0, 5.0, 10.0]})
    s = tr.structural_similarity(e, ["AT12", "CZ08", "RO21"]).set_index(["region_a", "region_b"])
    # AT12 shares (.75, .25, 0), CZ08 (.25, .25, .5): K = .5 + 0 + .5 = 1, S = 0.5
    assert s.loc[("AT12", "CZ08"), "krugman"] == pytest.approx(1.0)
    assert s.loc[("AT12", "CZ08"), "similarity"] == pytest.approx(0.5)
    assert s.loc[("CZ08", "RO21"), "similarity"] == pytest.approx(1.0)  # same shares, different size
    assert s.loc[("AT12", "AT12"), "similarity"] == pytest.approx(1.0)
    # the indicator engine's Krugman index of AT12 against CZ08 as the reference economy
    ref = e[e["geo"] == "CZ08"][["nace_r2", "value"]]
    k = krugman_index(e[e["geo"] == "AT12"], reference=ref)["krugman"].item()
    assert s.loc[("AT12", "CZ08"), "krugman"] == pytest.approx(k)


def test_reference_distribution_is_every_pair_of_nuts2_regions_once():
    e = employment({"AT11": [3.0, 1.0, 0.0], "AT12": [30.0, 10.0, 0.0], "CZ08": [10.0, 10.0, 20.0], "CZ0": [1, 1, 1]})
    ref = np.sort(tr.reference_structure(e, 2015))
    s = tr.structural_similarity(e, ["AT11", "AT12", "CZ08"]).set_index(["region_a", "region_b"])["similarity"]
    pairs = [s[("AT11", "AT12")], s[("AT11", "CZ08")], s[("AT12", "CZ08")]]
    assert ref.tolist() == pytest.approx(sorted(pairs))  # NUTS 1 "CZ0" is not a reference region


def test_withheld_divisions_are_left_out_of_both_regions():
    e = employment({"AT12": [30.0, 10.0, np.nan], "CZ08": [10.0, 10.0, 20.0]})
    s = tr.structural_similarity(e, ["AT12", "CZ08"]).set_index(["region_a", "region_b"])
    # over C10, C20 only: AT12 (.75, .25), CZ08 (.5, .5): K = .5, S = .75
    assert s.loc[("AT12", "CZ08"), "similarity"] == pytest.approx(0.75)
    assert s.loc[("AT12", "CZ08"), "n_divisions"] == 2


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=4, max_size=4), min_size=3, max_size=3))
def test_structural_similarity_properties(rows):
    divisions = ("C10", "C20", "C30", "C31")
    values = {code: [float(v) + 1 for v in r] for code, r in zip(["AT12", "CZ08", "RO21"], rows, strict=True)}
    s = tr.structural_similarity(employment(values, divisions), list(values))
    m = s.pivot(index="region_a", columns="region_b", values="similarity").to_numpy()
    assert np.allclose(m, m.T) and np.allclose(np.diag(m), 1) and (m >= -1e-12).all() and (m <= 1 + 1e-12).all()


def test_innovation_positions_and_similarity():
    ind = pd.DataFrame(
        {
            "indicator": "gerd_pc_gdp",
            "geo": ["AT11", "AT12", "AT13", "CZ08", "SE22", "SE22", "XX"],
            "year": [2019, 2019, 2019, 2019, 2017, 2019, 2019],
            "value": [1.0, 2.0, 3.0, 4.0, 9.0, 2.5, 99.0],
        }
    )
    pos = tr.innovation_positions(ind, ["AT12", "SE224", "CZ08"]).set_index("region")
    # AT12 = 2.0 among the five NUTS 2 values of 2019 (1, 2, 3, 4, 2.5): one lower -> 20 %
    assert pos.loc["AT12", "percentile"] == pytest.approx(20.0) and pos.loc["AT12", "n_regions"] == 5
    # SE224 has no figure of its own: its NUTS 2 region SE22 stands for it, latest year 2019
    assert pos.loc["SE224", ["geo", "year", "value"]].tolist() == ["SE22", 2019, 2.5]
    assert pos.loc["SE224", "percentile"] == pytest.approx(40.0)
    sim = tr.innovation_similarity(pos.reset_index()).set_index(["region_a", "region_b"])
    assert sim.loc[("AT12", "CZ08"), "similarity"] == pytest.approx(1 - 0.6)  # 20 % vs 80 %


# --------------------------------------------------------------------------------------
# Scores, limiting factor, ranking
# --------------------------------------------------------------------------------------

REG = register(
    {"id": "G1", "title": "One", "region": "AT12", "evidence_level": 3.0},
    {"id": "G2", "title": "Two", "region": "AT12", "evidence_level": 1.0},
    {"id": "G3", "title": "Three", "region": "CZ08"},
    {"id": "G4", "title": "Gone", "region": "AT12", "status": "declined"},
)
CONTEXT = pd.DataFrame(
    {
        "region_a": ["AT12", "AT12", "CZ08", "CZ08"],
        "region_b": ["CZ08", "RO21", "AT12", "RO21"],
        "structure_pct": [50.0, 75.0, 50.0, 90.0],
        "innovation_pct": [25.0, 50.0, 25.0, np.nan],
    }
)


def assessments(*rows) -> pd.DataFrame:
    cols = ["gp_id", "target_region", "assessor", "criterion", "value", "na"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


def test_items_and_explained_score_by_hand():
    a = assessments(
        ("G1", "RO21", "A1", "T1", 4.0, False),
        ("G1", "RO21", "A2", "T1", 5.0, False),
        ("G1", "RO21", "A3", "T1", 3.0, False),
        ("G1", "RO21", "A1", "T4", 2.0, False),
        ("G1", "RO21", "A2", "T4", np.nan, True),
    )
    perceived = pd.DataFrame({"practice": ["G1"], "region": ["RO21"], "median": [4.0]})
    items = tr.transferability_items(REG, ["RO21", "AT12"], CONTEXT, rubric=RUBRIC, assessments=a, perceived=perceived)
    g1 = items[(items["gp_id"] == "G1") & (items["target_region"] == "RO21")].set_index("item")
    # T1: median of 4, 5, 3 = 4 (weight 1.5); T4: 2 (NA left out); S1 = 1 + 4 * 75 / 100 = 4; S2 = 1 + 4 * .5 = 3;
    # F1 = 4
    assert g1["value"].to_dict() == {"T1": 4.0, "T4": 2.0, "S1": 4.0, "S2": 3.0, "F1": 4.0}
    assert g1.loc["T1", ["weight", "n"]].tolist() == [1.5, 3] and g1.loc["T4", "n"] == 1
    scores = tr.transferability_scores(items).set_index(["gp_id", "target_region"])
    s = scores.loc[("G1", "RO21")]
    assert s["score"] == pytest.approx((1.5 * 4 + 2 + 4 + 3 + 4) / 5.5)
    assert (s["limiting_item"], s["limiting_value"]) == ("T4", 2.0)
    assert s["basis"] == "peer rubric + statistics + trip feedback"
    # a practice is never scored for its own region, a declined one never at all
    assert ("G1", "AT12") not in scores.index and "G4" not in scores.index.get_level_values(0)
    # statistics only: preliminary; a missing similarity (CZ08 -> RO21 innovation) drops out
    g3 = scores.loc[("G3", "RO21")]
    assert g3["basis"] == "statistics only (preliminary)" and g3["n_items"] == 1
    assert g3["score"] == pytest.approx(1 + 4 * 0.9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 5), min_size=1, max_size=6), st.lists(st.floats(0.5, 2), min_size=6, max_size=6))
def test_score_is_a_weighted_mean_bounded_by_its_items(values, weights):
    n = len(values)
    items = pd.DataFrame(
        {
            "gp_id": "G",
            "target_region": "R",
            "item": [f"I{i}" for i in range(n)],
            "label": "x",
            "source": "peer rubric",
            "value": values,
            "weight": weights[:n],
            "n": 1,
        }
    )
    s = tr.transferability_scores(items).iloc[0]
    assert min(values) - 1e-9 <= s["score"] <= max(values) + 1e-9
    assert s["limiting_value"] == min(values)


def test_ranking_of_practices_worth_studying():
    items = tr.transferability_items(REG, ["RO21"], CONTEXT)
    ranked = tr.most_worth_studying(tr.transferability_scores(items), REG, "RO21", n=5)
    # G3 (CZ08, structure percentile 90 only: 4.6) first; G1 and G2 tie (AT12 context): evidence breaks the tie
    assert ranked["gp_id"].tolist() == ["G3", "G1", "G2"] and ranked["rank"].tolist() == [1, 2, 3]
    assert tr.most_worth_studying(tr.transferability_scores(items), REG, "RO21", n=1)["gp_id"].tolist() == ["G3"]


# --------------------------------------------------------------------------------------
# Registers and their bad input
# --------------------------------------------------------------------------------------

A_HEADER = "gp_id,target_region,assessor,criterion,value\n"


@pytest.mark.parametrize(
    "row, column, fragment",
    [
        ("GP-NOPE,RO21,A1,T1,3", "gp_id", "unknown good practice"),
        ("GP-AT12-innovation-voucher,XX99,A1,T1,3", "target_region", "not a NUTS code"),
        ("GP-AT12-innovation-voucher,AT12,A1,T1,3", "target_region", "not transferred to its own region"),
        ("GP-AT12-innovation-voucher,CZ08,A1,T9,3", "criterion", "criterion not in rubric gp_transferability"),
        ("GP-AT12-innovation-voucher,CZ08,A1,T1,6", "value", "score 6 is outside the scale 1-5"),
        ("GP-AT12-innovation-voucher,CZ08,A1,T1,high", "value", "text in a score cell"),
    ],
)
def test_bad_assessments(tmp_path, row, column, fragment):
    path = tmp_path / "gp_assessments.csv"
    path.write_text(A_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        tr.load_assessments(path, load_good_practices(), RUBRIC)
    msg = str(err.value)
    assert fragment in msg and f"file {path}, line 2, column {column!r}" in msg, msg


def test_assessment_scored_twice(tmp_path):
    path = tmp_path / "gp_assessments.csv"
    row = "GP-AT12-innovation-voucher,CZ08,A1,T1,3\n"
    path.write_text(A_HEADER + row + row, encoding="utf-8")
    with pytest.raises(DataFileError, match="scored twice.*line 3"):
        tr.load_assessments(path, load_good_practices(), RUBRIC)


@pytest.mark.parametrize(
    "row, line, column, fragment",
    [
        ("GP-AT12-innovation-voucher,CZ08,copied", 2, "stage", "unknown transfer stage"),
        ("GP-AT12-innovation-voucher,CZ08,adapted,May 2019", 2, "date", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("GP-NOPE,CZ08,adapted,2019", 2, "gp_id", "unknown good practice"),
    ],
)
def test_bad_transfers(tmp_path, row, line, column, fragment):
    path = tmp_path / "gp_transfers.csv"
    path.write_text("gp_id,target_region,stage,date\n" + row + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        tr.load_transfers(path, load_good_practices())
    msg = str(err.value)
    assert fragment in msg and f"line {line}, column {column!r}" in msg, msg


# --------------------------------------------------------------------------------------
# Pipeline
# --------------------------------------------------------------------------------------


def test_pipeline_from_register_and_trips():
    reg = load_good_practices()
    transfers = tr.load_transfers(tr.transfers_path(), reg)
    trip = load_trip("DK03-2018-10")
    feedback = pd.DataFrame(
        {
            "trip": trip.id,
            "participant": ["V01", "V02"],
            "region": ["FRK", "FRK"],
            "section": "practice",
            "item": "interest",
            "practice": "GP-SE224-cluster-evaluation-guide",
            "value": [1, 1],
            "illustrative": False,
        }
    )
    evidence = tr.trip_evidence([trip], feedback, reg)
    studied = evidence[evidence["stage"] == "studied"]
    # every practice shown to every visiting region, except the Skåne practice to the visitors from Skåne
    assert len(studied) == len(trip.practices) * len(trip.visiting_regions) - 1
    assert not ((studied["gp_id"] == "GP-SE224-cluster-evaluation-guide") & (studied["target_region"] == "SE224")).any()
    assert len(tr.trip_evidence([trip])) == len(trip.practices) * len(trip.visiting_regions)
    interest = evidence[evidence["stage"] == "interest"].iloc[0]
    assert (interest["gp_id"], interest["target_region"], interest["evidence"]) == (
        "GP-SE224-cluster-evaluation-guide",
        "FRK",
        "2 visitors interested (trip DK03-2018-10 feedback)",
    )
    pipe = tr.transfer_pipeline(transfers, evidence).set_index(["gp_id", "target_region"])
    # CZ08 studied the survey on the trip and adopted it in its action plan: the furthest stage wins
    row = pipe.loc[("GP-DK03-cluster-performance-survey", "CZ08")]
    assert row["stage"] == "adopted in action plan" and row["stage_no"] == 4
    assert "shown on study trip DK03-2018-10" in row["evidence"] and row["action"].startswith("CZ08-OP action 3")
    # the public transfer (staff exchange -> the Romanian funding scheme) is implemented and not illustrative
    public = pipe.loc[("GP-AT12-cluster-manager-exchange", "RO32")]
    assert public["stage"] == "implemented" and not public["illustrative"]
    counts = tr.pipeline_counts(pipe.reset_index()).set_index("stage")
    assert counts["reached"].is_monotonic_decreasing and counts.loc["interest", "reached"] == len(pipe)


def test_default_context_covers_every_partner_region():
    regions = ["AT12", "BE2", "CZ08", "DK03", "SE224", "FRK", "HU22", "ITH1", "RO32", "RO21"]
    c = tr.context_similarity(datasets.employment(), datasets.indicators(), regions)
    off = c[c["region_a"] != c["region_b"]]
    assert len(off) == 90 and off["structure"].between(0, 1).all() and off["innovation"].between(0, 1).all()
    assert (off["n_indicators"] == 5).all() and (off["n_divisions"] >= 40).all()
    assert off["structure_pct"].between(0, 100).all() and off["innovation_pct"].between(0, 100).all()
    # a percentile is the share of European pairs not more alike: recompute one by hand
    ref = tr.reference_structure(datasets.employment(), int(c["year"].iloc[0]))
    row = off.iloc[0]
    assert row["structure_pct"] == pytest.approx((ref <= row["structure"]).mean() * 100)


def test_pipeline_marks_which_pairs_had_visitor_interest_and_keeps_sources():
    """The funnel counts a pair at every stage up to its furthest, so *interest* counts every pair;
    ``interest_marked`` says which pairs really had a visitor's interest (what the report's text
    reports next to the funnel), and real transfers keep their published source."""
    reg = load_good_practices()
    transfers = tr.load_transfers(tr.transfers_path(), reg)
    trip = load_trip("DK03-2018-10")
    feedback = pd.DataFrame(
        {
            "trip": trip.id,
            "participant": ["V01"],
            "region": ["FRK"],
            "section": "practice",
            "item": "interest",
            "practice": "GP-SE224-cluster-evaluation-guide",
            "value": [1],
            "illustrative": False,
        }
    )
    evidence = tr.trip_evidence([trip], feedback, reg)
    assert "1 visitor interested (trip DK03-2018-10 feedback)" in evidence["evidence"].tolist()
    pipe = tr.transfer_pipeline(transfers, evidence)
    keyed = pipe.set_index(["gp_id", "target_region"])
    assert keyed.loc[("GP-SE224-cluster-evaluation-guide", "FRK"), "interest_marked"]
    studied_only = pipe[(pipe["stage"] == "studied") & ~pipe["evidence"].str.contains("interested")]
    assert len(studied_only) and not studied_only["interest_marked"].any()
    counts = tr.pipeline_counts(pipe).set_index("stage")
    assert counts.loc["interest", "reached"] == len(pipe) > int(pipe["interest_marked"].sum())
    public = keyed.loc[("GP-AT12-cluster-manager-exchange", "RO32")]
    assert "interregeurope.eu/policylearning/news/4111" in public["source"] and not public["illustrative"]


def test_explanation_writes_singular_and_plural():
    items = pd.DataFrame(
        {
            "gp_id": ["G", "H", "H"],
            "target_region": "R",
            "item": ["S1", "S1", "S2"],
            "label": ["Structure", "Structure", "Innovation"],
            "source": "statistics",
            "value": [3.0, 3.0, 2.0],
            "weight": 1.0,
            "n": 1,
        }
    )
    exp = tr.transferability_scores(items).set_index("gp_id")["explanation"]
    assert "from 1 item," in exp["G"] and "from 2 items," in exp["H"] and "(s)" not in "".join(exp)
