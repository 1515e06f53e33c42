"""The peer-review report end to end.

A full round trip on a consortium of its own (a copy of the default partner list with one new,
non-illustrative review): forms are generated, filled programmatically with openpyxl, ingested with
the command line, and the report is built by the batch runner from the consortium's default targets;
the values it records are checked against numbers computed here independently (alpha with the
``krippendorff`` package on the scores written into the forms). One default report (illustrative data)
is built in the same batch, and its HTML is checked for the illustrative note and the absence of code.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from clusterix_lib import batch, cli, confidentiality
from clusterix_lib import peer_review as pr
from clusterix_lib import recommendations as rec_lib
from clusterix_lib.consortium import default_consortium_path
from clusterix_lib.reporting import RECORD_MIMETYPE, offline_violations, output_paths, read_records, report_files
from clusterix_lib.review_forms import write_forms

pytestmark = pytest.mark.notebooks

CRITERIA = ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9"]
NA = "NA"
FILLED = {  # (round, reviewer) -> scores M1..M9, as typed into the forms
    ("self", "HOST"): [5, 4, 4, 4, 4, 5, 3, 4, 3],
    ("independent", "P1"): [4, 2, 4, 3, 3, 4, 2, 3, 2],
    ("independent", "P2"): [4, 4, 4, 3, 2, 3, 2, NA, 2],
    ("independent", "P3"): [3, 3, 4, 3, 3, 4, 4, 4, 2],
    ("independent", "P4"): [4, 2, 3, 2, NA, 4, 1, 3, 2],
    ("consensus", "RAP"): [4, 3, 4, 3, 3, 4, 2, 3, 2],
}
REVIEW_TOML = """\
id = "DK03-RT"
title = "Round-trip review of a cluster programme"
consortium = "partners.csv"
host_partner = 4
rubric = "cluster_policy_maturity"
rubric_version = "1.0"
challenge = "How can the cluster programme support cross-sector projects?"
questions = ["Which incentives work?"]
date_start = 2024-05-02

[[reviewers]]
id = "HOST"
role = "host"
partner = 4

[[reviewers]]
id = "P1"
role = "peer"
partner = 1

[[reviewers]]
id = "P2"
role = "peer"
partner = 3

[[reviewers]]
id = "P3"
role = "peer"
partner = 8

[[reviewers]]
id = "P4"
role = "expert"
partner = 5

[[reviewers]]
id = "RAP"
role = "rapporteur"
partner = 7
"""
RECS = """\
id,dimension,text,priority,horizon,agreement,host_response,owner,due,good_practices,evidence,confidentiality
R1,Cooperation,Open a cross-sector call,high,<=12 m,unanimous,accepted,Programme manager,2025-01,GP-X-1,M7,public
R2,Learning,Agree outcome indicators,medium,>12 m,majority,,,,,M9,consortium
"""


def _independent_matrix() -> np.ndarray:
    rows = [v for (rnd, _), v in FILLED.items() if rnd == "independent"]
    return np.array([[np.nan if x == NA else x for x in r] for r in rows], float)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("rt")
    consortium = root / "partners.csv"
    shutil.copy(default_consortium_path(), consortium)
    folder = root / "peer_reviews" / "DK03-RT"
    folder.mkdir(parents=True)
    (folder / "review.toml").write_text(REVIEW_TOML, encoding="utf-8")
    (folder / "recommendations.csv").write_text(RECS, encoding="utf-8")

    # 1. forms
    review = pr.load_review("DK03-RT", consortium_path=consortium)
    forms = write_forms(review, root / "forms")
    assert len(forms) == len(FILLED)
    # 2. fill them as the reviewers would
    returned = []
    for form in forms:
        _, rnd, reviewer = form.stem.split("_")
        wb = load_workbook(form)
        ws = wb["Scores"]
        for i, value in enumerate(FILLED[(rnd, reviewer)]):
            ws[f"D{2 + i}"] = value
            ws[f"E{2 + i}"] = f"{reviewer} on {CRITERIA[i]}: evidence seen" if i % 2 == 0 else None
        out = root / "returned" / form.name
        out.parent.mkdir(exist_ok=True)
        wb.save(out)
        returned.append(out)
    # 3. ingest with the command line
    code = cli.main(
        [
            "peer-review",
            "ingest",
            "DK03-RT",
            *map(str, returned),
            "--consortium",
            str(consortium),
            "--report",
            str(root / "rejections.csv"),
        ]
    )
    assert code == 0
    assert len(pr.load_scores(folder / "scores.csv")) == 9 * len(FILLED)
    # 4. the reports: the consortium's default peer-review targets, plus one default (illustrative) review
    jobs = cli.default_jobs(consortium, ["peer_review"], out_dir=root / "reports")
    assert [(j.header["region"], j.params["review"]) for j in jobs] == [("DK03", "DK03-RT")]
    assert jobs[0].params["reviews_dir"] == str(root / "peer_reviews")
    jobs.append(cli.report_job("peer_review", "AT12", {"review": "AT12-2017"}, out_dir=root / "reports"))
    outcomes = batch.run_batch(jobs, workers=2, progress=False, timeout=600)
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return {o.job.params["review"]: o for o in outcomes}


def test_round_trip_records_match_independent_computation(built):
    rec = read_records(built["DK03-RT"].ipynb)
    m = _independent_matrix()
    assert rec["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=m, level_of_measurement="ordinal"), abs=1e-12
    )
    assert rec["n_reviewers"] == 4 and rec["review"] == "DK03-RT" and rec["region"] == "DK03"
    assert rec["rounds"] == {"self": 9, "independent": 36, "consensus": 9}
    ranges = np.nanmax(m, axis=0) - np.nanmin(m, axis=0)
    assert rec["contested"] == [c for c, r in zip(CRITERIA, ranges, strict=True) if r >= 2] == ["M2", "M7"]
    assert rec["medians"] == dict(zip(CRITERIA, np.nanmedian(m, axis=0).tolist(), strict=True))
    assert rec["ranges"] == dict(zip(CRITERIA, ranges.tolist(), strict=True))
    assert rec["self_scores"] == dict(zip(CRITERIA, map(float, FILLED[("self", "HOST")]), strict=True))
    assert rec["consensus"] == dict(zip(CRITERIA, map(float, FILLED[("consensus", "RAP")]), strict=True))
    gaps = np.array(FILLED[("self", "HOST")], float) - np.nanmedian(m, axis=0)
    assert rec["self_gap_mean"] == pytest.approx(gaps.mean())
    lo, hi = rec["alpha_ci"]
    assert lo <= rec["alpha"] <= hi and rec["alpha_n_boot"] == 2000 and rec["alpha_seed"] == 20160401
    assert rec["n_na"] == 2 and rec["n_recommendations"] == 2 and rec["n_todo"] == 1
    assert rec["n_hidden_recommendations"] == 1  # R2 (no host response yet) is for the consortium only
    assert rec["illustrative"] is False and rec["good_practice_register"] is False


def test_round_trip_html(built):
    html = built["DK03-RT"].html.read_text(encoding="utf-8")
    assert "Illustrative data" not in html  # real (test) data: no note
    assert "Round-trip review of a cluster programme" in html and "Reviewer D" in html
    # the comments typed into the forms were ingested as consortium records: a public build
    # counts their scores but shows no comment, and says so
    assert "P4 on M1: evidence seen" not in html
    assert "reviewer comments are for the consortium only and not shown in this public build" in html
    assert "GP-X-1" in html and "register is not available yet" in html
    assert html.count('src="data:image/png;base64,') == 2  # spider chart and spread chart


def test_default_report_is_marked_illustrative_and_shows_no_code(built):
    outcome = built["AT12-2017"]
    html = outcome.html.read_text(encoding="utf-8")
    assert "Illustrative data." in html and "were invented to demonstrate the report" in html
    assert 'class="cx-banner"' in html  # the header banner as well as the note in the body
    assert offline_violations(html) == [] and "<script" not in html
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)  # the inlined CSS names every class
    for code in (
        "import pandas",
        "record(",
        "pr.load_review",
        "jp-CodeMirrorEditor",
        'class="jp-InputPrompt',
        'class="highlight',
        "celltag_parameters",
        RECORD_MIMETYPE,
        "Traceback",
    ):
        assert code not in body, code
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in body  # no warnings shown
    for section in (
        "Assessment and recommendations",
        "Context and challenge",
        "Agreement between reviewers",
        "Findings per dimension",
        "Recommendations",
        "Good practices from other partners",
        "To-do list",
        "Annex: anonymised scores",
    ):
        assert f">{section}" in html, section
    assert html.index("Assessment and recommendations") < html.index("Context and challenge")
    rec = read_records(outcome.ipynb)
    review = pr.load_review("AT12-2017")
    ag = pr.agreement(pr.load_scores(review.scores_path), review.rubric())
    assert rec["alpha"] == pytest.approx(ag["alpha"]) and rec["alpha_ci"] == pytest.approx(
        [ag["ci_low"], ag["ci_high"]]
    )
    assert rec["contested"] == ag["contested"] and rec["illustrative"] is True
    titles = [s.get("title", "") for s in rec["sources"]]
    assert any("illustrative" in t for t in titles)


def _tables(outcome) -> dict[str, pd.DataFrame]:
    folder = output_paths(outcome.job.output_stem)["tables"]
    return {p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in sorted(folder.glob("*.csv"))}


def test_round_trip_tables(built):
    outcome = built["DK03-RT"]
    tables = _tables(outcome)
    assert set(tables) == {"criteria", "dimensions", "recommendations", "anonymised_scores"}
    crit = tables["criteria"]
    assert {"criterion", "short", "self", "peers", "consensus", "iqr", "range", "contested"} <= set(crit.columns)
    review = pr.load_review("DK03-RT", folder=outcome.job.params["reviews_dir"])
    profile = pr.criterion_profile(pr.load_scores(review.scores_path), review.rubric())
    for col in ("self", "peers", "consensus"):
        assert crit[col].tolist() == pytest.approx(profile[col].tolist())
    assert crit["consensus"].tolist() == list(map(float, FILLED[("consensus", "RAP")]))
    # R2 is for the consortium only: the public download lists R1 alone, lists as plain text
    recs = tables["recommendations"]
    assert (
        recs["id"].tolist() == ["R1"] and recs.loc[0, "evidence"] == "M7" and recs.loc[0, "good_practices"] == "GP-X-1"
    )
    assert "illustrative" in recs.columns and not recs["illustrative"].any()
    assert output_paths(outcome.job.output_stem)["xlsx"].is_file()
    # the annex: every score, as the report shows it
    annex = pr.anonymised_scores(pr.load_scores(review.scores_path), review, review.rubric())
    got = tables["anonymised_scores"]
    assert list(got.columns) == list(annex.columns) and got["Id"].tolist() == annex["Id"].tolist()
    text = got.drop(columns=["Id", "Criterion"]).astype("string").fillna("").to_numpy()
    assert text.tolist() == annex.drop(columns=["Id", "Criterion"]).astype("string").fillna("").to_numpy().tolist()


@pytest.mark.parametrize("review", ["DK03-RT", "AT12-2017"])
def test_public_tables_hold_no_consortium_text(built, review):
    outcome = built[review]
    folder = Path(outcome.job.params.get("reviews_dir") or pr.reviews_dir()).parent
    secrets = confidentiality.secret_strings("public", [folder] if review == "DK03-RT" else None)
    assert any("recommendations.csv" in v for v in secrets.values())  # there is something to leak
    csvs = [p for p in report_files(outcome.job.output_stem) if p.suffix == ".csv"]
    assert len(csvs) == 4
    assert confidentiality.find_leaks(csvs, secrets) == []
    all_recs = rec_lib.load_recommendations(
        pr.load_review(review, folder=outcome.job.params.get("reviews_dir") or None).recommendations_path
    )
    shown = _tables(outcome)["recommendations"]["id"].tolist()
    assert shown == [i for i in rec_lib.prioritise(confidentiality.visible(all_recs, "public"))["id"]]


def test_default_report_set_has_a_peer_review_per_host_region():
    jobs = cli.default_jobs(None, ["peer_review"])
    hosts = {r.region: r.review for r in pr.list_reviews().itertuples()}
    assert {j.header["region"]: j.params["review"] for j in jobs} == hosts
    assert all(j.output_stem.name == f"peer_review-{j.params['review']}" for j in jobs)


def test_withheld_comments_are_not_called_missing(built):
    """Every reviewer comment of the default review is for the consortium: the public report says,
    per dimension, how many are withheld -- never that none were given."""
    import html as html_lib

    outcome = built["AT12-2017"]
    text = html_lib.unescape(outcome.html.read_text(encoding="utf-8"))
    review = pr.load_review("AT12-2017")
    raw = pr.load_scores(review.scores_path)
    shown, n_hidden, _ = confidentiality.redact(raw, ["comment"], "reviewer comment", level="public")
    withheld = pr.withheld_comments(raw, shown, review.rubric())
    assert n_hidden > 0 and withheld.sum() > 0
    assert "No comments were given on this dimension" not in text
    found = [int(n) for n in re.findall(r"(\d+) comments? on this dimension (?:is|are) above", text)]
    assert sorted(found) == sorted(withheld.tolist())


def test_recommendations_on_contested_criteria_are_flagged(built):
    """A recommendation resting on a criterion the reviewers disagreed on says so under the table."""
    import html as html_lib

    from clusterix_lib import recommendations as rec

    outcome = built["AT12-2017"]
    text = html_lib.unescape(outcome.html.read_text(encoding="utf-8"))
    review = pr.load_review("AT12-2017")
    rubric = review.rubric()
    scores = pr.load_scores(review.scores_path)
    contested = pr.review_summary(scores, review, rubric, n_boot=50, seed=1)["agreement"]["contested"]
    recs = confidentiality.visible(rec.load_recommendations(review.recommendations_path, rubric), "public")
    shaky = rec.on_contested_criteria(recs, contested)
    assert len(shaky)  # the default review has some (R1 on M7, R4 on M2)
    assert "Rests on contested scores:" in text
    for r in shaky.itertuples():
        assert f"{r.id} ({r.priority} priority) on {', '.join(r.criteria)}" in text
