"""Peer-review records and analysis: hand-computed spreads, alpha against the reference package and
Krippendorff's published example, self-assessment, consensus movement, the default (illustrative) data,
consortium-relative review targets and the recommendations register."""

from __future__ import annotations

import shutil
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import paths
from clusterix_lib import peer_review as pr
from clusterix_lib import recommendations as rc
from clusterix_lib.consortium import default_consortium_path
from clusterix_lib.errors import DataFileError, ParameterError
from clusterix_lib.rubrics import load_rubric

MATURITY = load_rubric("cluster_policy_maturity")
WHEEL = load_rubric("ris3_wheel")


def scores_frame(rows: list[tuple[str, str, str, object]], review: str = "X") -> pd.DataFrame:
    """(round, reviewer, criterion, value) -> a score table; value "NA" marks NA."""
    out = pd.DataFrame(
        {
            "review": review,
            "round": [r[0] for r in rows],
            "reviewer": [r[1] for r in rows],
            "criterion": [r[2] for r in rows],
            "value": pd.array([None if r[3] == "NA" else r[3] for r in rows], dtype="Int64"),
            "na": [r[3] == "NA" for r in rows],
            "comment": "",
            "source_file": "",
            "source_sha256": "",
            "source_cell": "",
            "illustrative": False,
        }
    )
    return out


# M1: 2, 3, 5 (peers)  -> median 3, q1 2.5, q3 4, IQR 1.5, range 3, contested
# M2: 4, 4, NA         -> median 4, IQR 0, range 0
# M3: 1, 2, 2          -> median 2, q1 1.5, q3 2, range 1
PEERS = [
    ("independent", "A", "M1", 2),
    ("independent", "B", "M1", 3),
    ("independent", "C", "M1", 5),
    ("independent", "A", "M2", 4),
    ("independent", "B", "M2", 4),
    ("independent", "C", "M2", "NA"),
    ("independent", "A", "M3", 1),
    ("independent", "B", "M3", 2),
    ("independent", "C", "M3", 2),
]
SELF = [("self", "H", "M1", 5), ("self", "H", "M2", 4), ("self", "H", "M3", 1)]
CONS = [("consensus", "R", "M1", 4), ("consensus", "R", "M2", 4), ("consensus", "R", "M3", 2)]


def test_criterion_summary_by_hand():
    s = pr.criterion_summary(scores_frame(PEERS), MATURITY).set_index("criterion")
    assert s.loc["M1", ["median", "q1", "q3", "iqr", "min", "max", "range"]].tolist() == [3, 2.5, 4, 1.5, 2, 5, 3]
    assert s.loc["M2", ["n_scored", "n_na", "median", "iqr", "range"]].tolist() == [2, 1, 4, 0, 0]
    assert s.loc["M3", ["median", "q1", "q3", "range"]].tolist() == [2, 1.5, 2, 1]
    assert s["contested"].to_dict()["M1"] and not s.loc["M2", "contested"] and not s.loc["M3", "contested"]
    # every criterion of the rubric is listed, unscored ones with NaN and not contested
    assert len(s) == 9 and np.isnan(s.loc["M9", "median"]) and not s.loc["M9", "contested"]
    assert pr.criterion_summary(scores_frame(PEERS), MATURITY, threshold=4)["contested"].sum() == 0


def test_no_information_is_not_a_score():
    s = scores_frame(
        [
            ("independent", "A", "1a", 0),
            ("independent", "B", "1a", 4),
            ("independent", "C", "1a", 5),
            ("independent", "A", "1b", 2),
            ("independent", "B", "1b", 3),
            ("independent", "C", "1b", 0),
        ]
    )
    summ = pr.criterion_summary(s, WHEEL).set_index("criterion")
    assert summ.loc["1a", ["n_scored", "n_no_info", "median", "min"]].tolist() == [2, 1, 4.5, 4]
    m = pr.reliability_matrix(s, WHEEL)
    assert np.isnan(m.loc["A", "1a"]) and np.isnan(m.loc["C", "1b"]) and m.loc["B", "1a"] == 4


def test_alpha_of_krippendorffs_published_example():
    """Krippendorff (2011), 'Computing Krippendorff's Alpha-Reliability', four coders, twelve units:
    ordinal alpha = 0.815 (also the example of the krippendorff package)."""
    nan = np.nan
    data = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    assert round(pr.alpha_ordinal(data), 3) == 0.815


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=6, max_size=6), min_size=2, max_size=5))
def test_alpha_equals_the_reference_package(rows):
    m = np.array([[np.nan if v is None else v for v in r] for r in rows], float)
    ours = pr.alpha_ordinal(m)
    pairable = (~np.isnan(m)).sum(axis=0) >= 2
    values = m[:, pairable][~np.isnan(m[:, pairable])]
    if not pairable.any() or len(np.unique(values)) < 2:
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(krippendorff.alpha(reliability_data=m, level_of_measurement="ordinal"))


def test_alpha_perfect_agreement_is_one_and_bootstrap_is_seeded():
    perfect = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]], float)
    assert pr.alpha_ordinal(perfect) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    m = np.clip(np.arange(1, 10)[None, :] % 5 + 1 + rng.integers(-1, 2, size=(4, 9)), 1, 5).astype(float)
    a = pr.alpha_bootstrap(m, n_boot=300, seed=7)
    b = pr.alpha_bootstrap(m, n_boot=300, seed=7)
    c = pr.alpha_bootstrap(m, n_boot=300, seed=8)
    assert a == b and (a["ci_low"], a["ci_high"]) != (c["ci_low"], c["ci_high"])
    assert a["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=m, level_of_measurement="ordinal"))
    assert a["ci_low"] <= a["alpha"] <= a["ci_high"] and a["n_units"] == 9 and a["n_raters"] == 4
    assert a["n_valid"] == 300 and a["n_values"] == 36


def test_alpha_not_computable_without_variation():
    same = np.array([[3, 3, 3], [3, 3, 3]], float)
    out = pr.alpha_bootstrap(same, n_boot=50)
    assert np.isnan(out["alpha"]) and np.isnan(out["ci_low"]) and out["n_valid"] == 0
    assert pr.alpha_interpretation(out["alpha"]) == "not computable"


def test_agreement_and_verdicts():
    ag = pr.agreement(scores_frame(PEERS), MATURITY, n_boot=100)
    m = np.array([[2, 4, 1], [3, 4, 2], [5, np.nan, 2]], float).T  # raters x criteria
    assert ag["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=m.T, level_of_measurement="ordinal"))
    assert ag["contested"] == ["M1"] and ag["n_contested"] == 1 and ag["share_contested"] == pytest.approx(1 / 3)
    assert ag["n_raters"] == 3 and ag["round"] == "independent"
    assert [pr.alpha_interpretation(a) for a in (0.8, 0.667, 0.6)] == ["good", "acceptable", "low"]


def test_self_vs_peers_and_consensus_movement():
    s = scores_frame(PEERS + SELF + CONS)
    svp = pr.self_vs_peers(s, MATURITY).set_index("criterion")
    assert svp.loc["M1", ["self", "peers", "gap"]].tolist() == [5, 3, 2]
    assert svp.loc["M1", "position"] == "within the peers' range"  # 5 = the highest peer
    assert svp.loc["M3", "position"] == "within the peers' range"
    assert svp.loc["M9", "position"] == ""
    s2 = scores_frame(PEERS + [("self", "H", "M2", 5), ("self", "H", "M3", 1)])
    pos = pr.self_vs_peers(s2, MATURITY).set_index("criterion")["position"]
    assert pos["M2"] == "above all peers" and pos["M3"] == "within the peers' range"
    mv = pr.consensus_movement(s, MATURITY).set_index("criterion")
    assert mv.loc["M1", ["independent", "consensus", "change"]].tolist() == [3, 4, 1]
    assert not mv.loc["M1", "outside_range"]
    s3 = scores_frame(PEERS + [("consensus", "R", "M3", 4)])
    assert pr.consensus_movement(s3, MATURITY).set_index("criterion").loc["M3", "outside_range"]
    rm = pr.reviewer_movement(s, MATURITY).set_index("reviewer")
    # A: M1 2 vs 4, M2 4 vs 4, M3 1 vs 2 -> |diffs| 2, 0, 1
    assert rm.loc["A", ["n", "mean_abs_diff", "n_higher", "n_lower"]].tolist() == [3, 1.0, 0, 2]


def test_dimension_profile_uses_the_rubric_rule():
    s = scores_frame(PEERS + SELF + CONS)
    dims = pr.dimension_profile(s, MATURITY).set_index("dimension")
    # Strategy = M1, M2: peers' medians 3 and 4 -> median 3.5; Governance = M3 (M4 unscored) -> 2
    assert dims.loc["Strategy", "peers"] == 3.5 and dims.loc["Governance", "peers"] == 2
    assert np.isnan(dims.loc["Learning", "peers"]) and dims.loc["Strategy", "n_criteria"] == 2
    transfer = load_rubric("gp_transferability")  # weighted mean: T1 (weight 1.5) = 4, T2 (1.5) = 2
    t = scores_frame([("independent", "A", "T1", 4), ("independent", "A", "T2", 2)])
    t = pd.concat([t, scores_frame([("independent", "A", "T3", 5), ("independent", "A", "T4", 1)])])
    d = pr.dimension_profile(t, transfer).set_index("dimension")
    assert d.loc["Fit", "peers"] == pytest.approx((1.5 * 4 + 1.5 * 2) / 3)
    assert d.loc["Feasibility", "peers"] == pytest.approx(3.0)


# --------------------------------------------------------------------------------------
# The default (illustrative) reviews
# --------------------------------------------------------------------------------------


def test_default_reviews_are_plausible_and_marked_illustrative():
    reviews = pr.list_reviews()
    assert len(reviews) >= 2 and reviews["region"].nunique() == len(reviews)  # several host regions
    for r in reviews.itertuples():
        rv = pr.load_review(r.review)
        rubric = rv.rubric()
        s = pr.load_scores(rv.scores_path)
        assert rv.illustrative and s["illustrative"].all()
        assert (Path(rv.folder).parent / "README.md").read_text().count("ILLUSTRATIVE") >= 1
        assert set(s["round"]) == set(pr.ROUNDS)
        ok = s["na"] | s["value"].between(rubric.scale_min, rubric.scale_max)
        assert ok.all()
        assert set(s["criterion"]) <= set(rubric.criterion_ids)
        ind = s[s["round"] == "independent"]
        assert ind.groupby("reviewer").size().eq(len(rubric.criteria)).all()  # complete forms
        peers = rv.reviewers[rv.reviewers["role"].isin(pr.INDEPENDENT_ROLES)]
        assert len(peers) >= 3 and (peers["region"] != rv.host_region).all()
        assert peers["country"].nunique() >= 2 and rv.host_country not in set(peers["country"])
        ag = pr.agreement(s, rubric, n_boot=200)
        assert 0.3 < ag["alpha"] < 0.95 and ag["n_contested"] >= 1  # some disagreement, not chaos
        assert (ind["na"].sum() + (ind["value"] == rubric.no_information).sum()) >= 1  # a few NA
        recs = rc.load_recommendations(rv.recommendations_path, rubric)
        assert len(recs) >= 3 and recs["illustrative"].all()
        assert rv.instrument  # from the consortium file


def test_review_targets_default_and_another_consortium(tmp_path):
    assert pr.review_targets() == [{"region": r.region, "review": r.review} for r in pr.list_reviews().itertuples()]
    # another consortium: its own file and peer_reviews folder, nothing of the default
    cons = tmp_path / "partners.csv"
    cons.write_text(
        "partner_no,organisation,short_name,country,nuts_code,nuts_version\n"
        "1,Agency One,One,PL,PL91,2021\n2,Agency Two,Two,DE,DE21,2021\n3,Agency Three,Three,ES,ES51,2021\n",
        encoding="utf-8",
    )
    folder = tmp_path / "peer_reviews" / "PL91-2024"
    folder.mkdir(parents=True)
    (folder / "review.toml").write_text(
        'id = "PL91-2024"\ntitle = "T"\nconsortium = "partners.csv"\nhost_partner = 1\n'
        'challenge = "C"\nrubric = "cluster_policy_maturity"\nrubric_version = "1.0"\n'
        '[[reviewers]]\nid = "P1"\nrole = "peer"\npartner = 2\n'
        '[[reviewers]]\nid = "P2"\nrole = "peer"\npartner = 3\n',
        encoding="utf-8",
    )
    # a review of yet another consortium in the same folder is not listed
    other = tmp_path / "peer_reviews" / "XX-1"
    other.mkdir()
    (other / "review.toml").write_text('id = "XX-1"\nconsortium = "elsewhere.csv"\n', encoding="utf-8")
    targets = pr.review_targets(cons)
    assert targets == [{"region": "PL91", "review": "PL91-2024", "reviews_dir": str(tmp_path / "peer_reviews")}]
    rv = pr.load_review("PL91-2024", consortium_path=cons)
    assert rv.host_organisation == "Agency One" and rv.instrument == ""
    with pytest.raises(ParameterError, match="hosted by PL91, not DE21"):
        rv.check_region("DE21")


@pytest.fixture()
def review_copy(tmp_path):
    """A copy of the default data folder's consortium and one review, to break."""
    shutil.copy(default_consortium_path(), tmp_path / default_consortium_path().name)
    shutil.copytree(pr.reviews_dir() / "AT12-2017", tmp_path / "peer_reviews" / "AT12-2017")
    return tmp_path / "peer_reviews" / "AT12-2017" / "review.toml"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("host_partner = 1 ", "host_partner = 99 ", "host_partner is not a partner number"),
        ('id = "AT12-2017"', 'id = "AT12-2018"', "must equal its folder name"),
        ('role = "critical friend"', 'role = "friend"', "unknown reviewer role"),
        ("partner = 2\n", "partner = 1\n", "peer P1 comes from the host region AT12"),
        ('id = "P2"', 'id = "P1"', "reviewer id 'P1' used twice"),
        ("date_end = 2017-05-17", 'date_end = "17 May"', "date_end is not a date"),
        (
            'rubric = "cluster_policy_maturity"',
            'rubric = "cluster_policy_maturity"\ncolour = "red"',
            "unknown key 'colour'",
        ),
    ],
)
def test_review_record_errors_name_the_line(review_copy, old, new, fragment):
    text = review_copy.read_text(encoding="utf-8")
    assert old in text
    review_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        pr.read_review_file(review_copy)
    msg = str(info.value)
    assert fragment in msg and "review.toml" in msg, msg


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            lambda t: t.replace("AT12-2017,independent,P1,M3,", "AT12-2017,independent,P1,M3,6", 1),
            "outside the rubric's scale",
        ),
        (
            lambda t: t.replace("AT12-2017,independent,P1,", "AT12-2017,independent,P9,", 1),
            "not a reviewer of this review",
        ),
        (lambda t: t.replace("AT12-2017,independent,P1,M3,", "AT12-2017,independent,P1,M99,", 1), "not a criterion"),
        (lambda t: t.replace("AT12-2017,independent,", "AT12-2017,second,", 1), "unknown round"),
        (lambda t: t + t.splitlines()[1] + "\n", "a second score of this reviewer"),  # a row pasted twice
    ],
)
def test_hand_edited_scores_are_refused_with_their_line(review_copy, edit, fragment):
    rv = pr.read_review_file(review_copy)
    store = rv.scores_path
    store.write_text(edit(store.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(DataFileError, match=fragment) as info:
        pr.load_scores(store, rv, rv.rubric())
    assert "scores.csv" in str(info.value) and "line " in str(info.value)


def test_reviewers_without_scores_are_named(review_copy):
    rv = pr.read_review_file(review_copy)
    scores = pr.load_scores(rv.scores_path, rv, rv.rubric())
    kept = scores[~((scores["round"] == "independent") & scores["reviewer"].isin(["P2", "E1"]))]
    summary = pr.review_summary(kept, rv, rv.rubric(), n_boot=50)
    assert summary["n_asked"] == 4 and summary["n_reviewers"] == 2
    assert summary["missing_reviewers"] == ["P2", "E1"]
    assert pr.review_summary(scores, rv, rv.rubric(), n_boot=50)["missing_reviewers"] == []


def test_unknown_review_lists_the_known_ones():
    with pytest.raises(DataFileError, match="known reviews: AT12-2017"):
        pr.load_review("AT12-2099")


def test_anonymised_scores_show_no_reviewer_ids():
    rv = pr.load_review("AT12-2017")
    s = pr.load_scores(rv.scores_path)
    table = pr.anonymised_scores(s, rv, rv.rubric())
    labels = pr.reviewer_labels(rv)
    assert labels == {
        "HOST": "Host",
        "P1": "Reviewer A",
        "P2": "Reviewer B",
        "P3": "Reviewer C",
        "E1": "Reviewer D",
        "RAP": "Rapporteur",
    }
    text = table.to_csv()
    for rid in ("P1", "P2", "E1", "RAP", "VLAIO", "ecoplus"):
        assert rid not in text
    assert "Independent: Reviewer D" in table.columns and (table == "NA").any().any()
    assert list(table["Id"]) == rv.rubric().criterion_ids
    comments = pr.review_comments(s, rv, rv.rubric())
    assert set(comments["reviewer"]) <= set(labels.values()) and (comments["comment"] != "").all()


# --------------------------------------------------------------------------------------
# Recommendations register
# --------------------------------------------------------------------------------------


REC_HEADER = "id,dimension,text,priority,horizon,agreement,host_response,owner,due,good_practices,evidence\n"


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("R1,Strategy,Do it,urgent,quick win,unanimous,,,,,", "unknown priority"),
        ("R1,Strategy,Do it,high,someday,unanimous,,,,,", "unknown horizon"),
        ("R1,Strategy,Do it,high,quick win,most,,,,,", "unknown agreement"),
        ("R1,Strategy,Do it,high,quick win,unanimous,maybe,,,,", "unknown host response"),
        ("R1,Nowhere,Do it,high,quick win,unanimous,,,,,", "dimension not in rubric"),
        ("R1,Strategy,Do it,high,quick win,unanimous,,,,,M99", "evidence names a criterion not in rubric"),
        ("R1,Strategy,,high,quick win,unanimous,,,,,", "empty text"),
        ("R1,Strategy,Do it,high,quick win,unanimous,,,June,,", "due date is not"),
    ],
)
def test_recommendation_errors(tmp_path, row, fragment):
    path = tmp_path / "recommendations.csv"
    path.write_text(REC_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        rc.load_recommendations(path, MATURITY)
    assert fragment in str(info.value) and "line 2" in str(info.value)


def test_prioritise_todo_and_links(tmp_path):
    path = tmp_path / "recommendations.csv"
    path.write_text(
        REC_HEADER
        + "R1,Strategy,A,low,quick win,unanimous,accepted,Ann,2018-01,GP-1,M1\n"
        + "R2,Learning,B,high,>12 m,majority,rejected,,,,M9\n"
        + "R3,Delivery,C,high,≤12 m,unanimous,to study,,2019-02-28,GP-1;GP-2,M5;M6\n"
        + "R4,,D,high,quick win,unanimous,partially,Bo,,,\n",
        encoding="utf-8",
    )
    recs = rc.load_recommendations(path, MATURITY)
    assert rc.prioritise(recs)["id"].tolist() == ["R4", "R3", "R2", "R1"]
    todo = rc.todo_list(recs)
    assert todo["id"].tolist() == ["R4", "R3", "R1"]  # R2 was rejected
    assert todo.set_index("id").loc["R3", "owner"] == "(to assign)"
    links = rc.linked_good_practices(recs)
    assert links[["good_practice", "recommendation"]].values.tolist() == [
        ["GP-1", "R1"],
        ["GP-1", "R3"],
        ["GP-2", "R3"],
    ]
    register = pd.DataFrame({"id": ["GP-2"], "title": ["Vouchers"], "region": ["AT12"]})
    linked = rc.linked_good_practices(recs, register)
    assert linked["found"].tolist() == [False, False, True] and linked["title"].iloc[2] == "Vouchers"
    assert rc.good_practice_register(tmp_path / "consortium.csv") is None
    assert rc.load_recommendations(tmp_path / "missing.csv").empty


def test_paths_are_inside_the_data_folder():
    assert pr.reviews_dir() == paths.data_dir().resolve() / "peer_reviews"


def test_broken_record_in_the_folder_is_named(tmp_path):
    shutil.copy(default_consortium_path(), tmp_path / default_consortium_path().name)
    (tmp_path / "peer_reviews" / "BAD-1").mkdir(parents=True)
    (tmp_path / "peer_reviews" / "BAD-1" / "review.toml").write_text('id = "BAD-1\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"not valid TOML.*BAD-1/review.toml"):
        pr.list_reviews(tmp_path / default_consortium_path().name)


def test_cli_list_rubrics_and_summary(capsys):
    from clusterix_lib import cli

    assert cli.main(["peer-review", "list"]) == 0
    out = capsys.readouterr().out
    assert "AT12-2017" in out and "cluster_policy_maturity" in out
    assert cli.main(["peer-review", "rubrics"]) == 0
    assert "ris3_wheel" in capsys.readouterr().out
    assert cli.main(["peer-review", "summary", "CZ08-2018"]) == 0
    out = capsys.readouterr().out
    rv = pr.load_review("CZ08-2018")
    ag = pr.agreement(pr.load_scores(rv.scores_path), rv.rubric())
    assert f"alpha (ordinal) {ag['alpha']:.3f}" in out and "[ILLUSTRATIVE data]" in out


def test_withheld_comments_counts_only_emptied_comments_of_the_rounds():
    rubric = load_rubric("cluster_policy_maturity")
    c1, c2 = rubric.criterion_ids[:2]
    raw = pd.DataFrame(
        {
            "criterion": [c1, c1, c2, c2],
            "round": ["independent", "self", "consensus", "independent"],
            "comment": ["Unclear targets.", "Ours is fine.", "Agreed.", " "],
        }
    )
    shown = raw.assign(comment=["", "", "Agreed.", " "])
    dim = rubric.criteria.set_index("criterion")["dimension"]
    # the self-assessment round is not among the comments shown, a blank comment is no comment
    assert pr.withheld_comments(raw, shown, rubric).to_dict() == {dim[c1]: 1}
    with pytest.raises(ValueError, match="same rows"):
        pr.withheld_comments(raw, shown.iloc[:2], rubric)
