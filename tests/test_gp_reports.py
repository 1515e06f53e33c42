"""The good-practice, study-trip and programme reports end to end.

A full round trip on a consortium of its own (the default partners and register, plus one new,
non-illustrative trip): feedback forms are written and filled with openpyxl, ingested with the command
line, and the lessons report is built by the batch runner from the consortium's default targets; its
records are checked against numbers worked out here by hand. In the same batch one default report of each
type is built (illustrative data), and each HTML is checked for the illustrative note, offline safety and
the absence of code; their records are checked against the library computed independently.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from clusterix_lib import batch, cli, datasets
from clusterix_lib import good_practices as gp
from clusterix_lib import programme as pg
from clusterix_lib import transferability as tr
from clusterix_lib import trip_feedback as fb
from clusterix_lib.consortium import default_consortium_path
from clusterix_lib.reporting import RECORD_MIMETYPE, offline_violations, output_paths, read_records, read_tables
from clusterix_lib.rubrics import load_rubric
from clusterix_lib.study_trips import list_trips, load_trip

pytestmark = pytest.mark.notebooks

TRIP_TOML = """\
id = "X-2024"
title = "Round-trip visit on cluster monitoring"
consortium = "partners.csv"
host_partner = 4
visiting_regions = ["CZ08", "FRK"]
date_start = 2024-05-06
date_end = 2024-05-07

[[site_visits]]
date = 2024-05-06
start = "10:00"
end = "12:00"
organisation = "Regional cluster secretariat"
place = "Vejle"
purpose = "The member survey"
practices = ["GP-DK03-cluster-performance-survey", "GP-SE224-cluster-evaluation-guide"]

[[participants]]
id = "V01"
name = "Visitor One"
organisation = "Moravian-Silesian Region"
region = "CZ08"
stakeholder_type = "MA/IB"

[[participants]]
id = "V02"
name = "Visitor Two"
organisation = "Regional Council of Auvergne-Rhône-Alpes"
region = "FRK"
stakeholder_type = "regional authority"
"""
# participant -> (practice answers: interest, transferability, intent; event E1-E4; capacity before/after C1-C4)
FILLED = {
    "V01": ([("yes", 5, 4), ("no", 2, 2)], [5, 4, 4, 5], [(2, 4), (2, 3), (3, 3), (3, 4)]),
    "V02": ([("yes", 3, 3), ("yes", 4, "NA")], [3, 4, 2, 3], [(3, 3), (3, 4), (3, 3), (3, 3)]),
}
CODE_MARKERS = (
    "import pandas",
    "record(",
    "jp-CodeMirrorEditor",
    'class="jp-InputPrompt',
    'class="highlight',
    "celltag_parameters",
    RECORD_MIMETYPE,
    "Traceback",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("gp")
    consortium = root / "partners.csv"
    shutil.copy(default_consortium_path(), consortium)
    shutil.copy(gp.register_path(), root / "good_practices.csv")
    (root / "study_trips").mkdir()
    (root / "study_trips" / "X-2024.toml").write_text(TRIP_TOML, encoding="utf-8")
    # 1. forms, with the command line
    assert cli.main(["trip", "forms", "X-2024", "--consortium", str(consortium), "-o", str(root / "forms")]) == 0
    returned = []
    for pid, (practices, event, capacity) in FILLED.items():
        form = root / "forms" / f"X-2024_{pid}.xlsx"
        wb = load_workbook(form)
        for i, answers in enumerate(practices):
            for col, v in zip("DEF", answers, strict=True):
                wb["Practices"][f"{col}{2 + i}"] = v
        for i, v in enumerate(event):
            wb["Trip"][f"C{2 + i}"] = v
        for i, (b, a) in enumerate(capacity):
            wb["Capacity"][f"C{2 + i}"], wb["Capacity"][f"D{2 + i}"] = b, a
        wb["Insights"]["B2"], wb["Insights"]["C2"] = "monitoring and evaluation", f"Insight of {pid}"
        wb["Follow-ups"]["B2"], wb["Follow-ups"]["E2"], wb["Follow-ups"]["F2"] = f"Action of {pid}", "Owner", "2024-09"
        out = root / "returned" / form.name
        out.parent.mkdir(exist_ok=True)
        wb.save(out)
        returned.append(out)
    # 2. ingest, with the command line
    args = ["trip", "ingest", "X-2024", *map(str, returned), "--consortium", str(consortium)]
    assert cli.main([*args, "--report", str(root / "rejections.csv")]) == 0
    # 3. the reports: the consortium's default lessons report, and one default report of each type
    out = root / "reports"
    jobs = cli.default_jobs(consortium, ["trip_lessons"], out_dir=out)
    assert [(j.header["region"], j.params["trip"]) for j in jobs] == [("DK03", "X-2024")]
    assert jobs[0].params["trips_dir"] == str((root / "study_trips").resolve())
    jobs += [
        cli.report_job("good_practice", "AT12", {}, out_dir=out),
        cli.report_job("trip_briefing", "AT12", {"trip": "AT12-2017-09"}, out_dir=out),
        cli.report_job("trip_lessons", "AT12", {"trip": "AT12-2017-09"}, out_dir=out),
        cli.report_job("programme_dashboard", None, {"consortium": "consortium_clusterix2"}, out_dir=out),
    ]
    outcomes = batch.run_batch(jobs, workers=2, progress=False, timeout=600)
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return {o.job.output_stem.name if o.job.output_stem.parent.name != "DK03" else "round-trip": o for o in outcomes}


def html_body(outcome) -> str:
    html = outcome.html.read_text(encoding="utf-8")
    assert offline_violations(html) == [] and "<script" not in html
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)  # the inlined CSS names every class
    for code in CODE_MARKERS:
        assert code not in body, code
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in body  # no warnings shown
    return html


def tables(outcome) -> dict[str, pd.DataFrame]:
    """The key tables of a built report, read back from their CSV downloads."""
    paths = output_paths(outcome.job.output_stem)
    assert paths["xlsx"].is_file()
    return {
        p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in sorted(paths["tables"].glob("*.csv"))
    }


def test_round_trip_lessons_records(built):
    rec = read_records(built["round-trip"].ipynb)
    assert (rec["trip"], rec["region"], rec["n_visitors"], rec["n_forms"], rec["response_rate"]) == (
        "X-2024",
        "DK03",
        2,
        2,
        1.0,
    )
    # V01: C1 +2, C2 +1, C4 +1 -> increased; V02: only C2 +1 -> not
    assert rec["capacity_increased"] == ["V01"] and rec["n_capacity_increased"] == 1
    assert rec["event_means"] == {"E1": 4.0, "E2": 4.0, "E3": 3.0, "E4": 4.0}
    assert rec["interest"] == {
        "GP-DK03-cluster-performance-survey": {"CZ08": 1.0, "FRK": 1.0},
        "GP-SE224-cluster-evaluation-guide": {"CZ08": 0.0, "FRK": 1.0},
    }
    assert rec["themes"] == {"monitoring and evaluation": 2} and rec["n_follow_ups"] == 2
    # answers in the participants' own words are ingested as consortium records: a public build
    # counts them (themes, n_follow_ups) but lists none
    assert rec["follow_ups"] == [] and rec["n_hidden_texts"] >= 4
    assert rec["illustrative"] is False


def test_round_trip_lessons_tables(built):
    outcome = built["round-trip"]
    t = tables(outcome)
    assert set(t) == {"trip_ratings", "practice_interest", "capacity", "follow_ups"}
    feedback = fb.load_feedback(fb.feedback_path(load_trip("X-2024", folder=outcome.job.params["trips_dir"])))
    event = fb.event_feedback(feedback)
    assert {"item", "label", "n", "mean"} <= set(t["trip_ratings"].columns)
    assert t["trip_ratings"]["mean"].tolist() == pytest.approx(event["mean"].tolist())
    cap = fb.capacity_change(feedback)
    assert t["capacity"]["increased"].tolist() == cap["increased"].tolist()
    assert {"practice", "region", "n_interested", "share_interested"} <= set(t["practice_interest"].columns)
    # the follow-ups in the participants' own words are consortium records: none in a public download
    assert t["follow_ups"].empty and list(t["follow_ups"].columns)[:3] == ["due", "action", "owner"]


def test_round_trip_lessons_html(built):
    html = html_body(built["round-trip"])
    assert "Illustrative data" not in html  # real (test) data: no note
    assert "Insight of V01" not in html and "Action of V02" not in html  # consortium records
    assert "2 follow-ups are for the consortium only and not shown in this public build" in html
    for section in ("Summary", "Attendance", "Insights by theme", "Interest in the practices", "Follow-ups"):
        assert f">{section}" in html, section
    assert html.count('src="data:image/png;base64,') == 3  # heat map, capacity, trip ratings


def test_good_practice_report(built):
    outcome = built["good_practice"]
    html = html_body(outcome)
    rec = read_records(outcome.ipynb)
    reg = gp.load_good_practices()
    own = reg[reg["region"] == "AT12"]
    assert rec["practices"] == own["id"].tolist() and rec["n_practices"] == 4
    comp = gp.completeness_summary(own)
    assert rec["completeness"] == pytest.approx(dict(zip(comp["id"], comp["share"], strict=True)))
    assert rec["countable"] == [
        "GP-AT12-cluster-manager-exchange",
        "GP-AT12-cluster-programme",
        "GP-AT12-innovation-voucher",
    ]
    # the ranking, recomputed with the library from the same inputs
    regions = ["AT12", "BE2", "CZ08", "DK03", "SE224", "FRK", "HU22", "ITH1", "RO32", "RO21"]
    rubric = load_rubric("gp_transferability")
    context = tr.context_similarity(datasets.employment(), datasets.indicators(), regions)
    feedback = pd.concat([fb.load_feedback(fb.feedback_path(load_trip(t))) for t in list_trips()["trip"]])
    items = tr.transferability_items(
        reg,
        ["AT12"],
        context,
        rubric=rubric,
        assessments=tr.load_assessments(tr.assessments_path(), reg, rubric),
        perceived=fb.perceived_transferability(feedback),
    )
    worth = tr.most_worth_studying(tr.transferability_scores(items), reg, "AT12", n=5)
    assert rec["worth_studying"] == worth["gp_id"].tolist()
    assert rec["worth_scores"] == pytest.approx(dict(zip(worth["gp_id"], worth["score"], strict=True)))
    assert rec["pipeline_in"]["adopted in action plan"] == 2 and rec["illustrative"] is True
    t = tables(outcome)
    assert set(t) == {"own_practices", "transferability", "transferability_items", "transfers"}
    ranking = t["transferability"]
    assert {"rank", "gp_id", "title", "from_region", "score", "limiting_label", "illustrative"} <= set(ranking.columns)
    assert ranking["gp_id"].head(5).tolist() == worth["gp_id"].tolist()  # the full ranking, top 5 as shown
    assert ranking["score"].head(5).tolist() == pytest.approx(worth["score"].tolist())
    assert len(ranking) == (reg["region"] != "AT12").sum()
    mine = t["own_practices"]
    assert mine["id"].tolist() == own["id"].tolist() and "illustrative" in mine.columns
    assert mine["completeness"].tolist() == pytest.approx(comp["share"].tolist())
    assert set(t["transfers"]["direction"]) <= {"to the region", "from the region"}
    assert "illustrative" in t["transfers"].columns
    assert "Illustrative data." in html and 'class="cx-banner"' in html
    assert html.count('class="cx-page-break"') == 4  # one page per own practice
    for section in ("Summary", "own practices", "Before submission", "most worth studying", "Transfer pipeline"):
        assert section in html, section


def test_briefing_pack(built):
    outcome = built["trip_briefing-AT12-2017-09"]
    html = html_body(outcome)
    rec = read_records(outcome.ipynb)
    trip = load_trip("AT12-2017-09")
    assert rec["practices"] == trip.practices and rec["visiting_regions"] == list(trip.visiting_regions)
    assert rec["names_withheld"] == int((~trip.participants["consent_publish"]).sum()) == 6
    context = tr.context_similarity(
        datasets.employment(), datasets.indicators(), ["AT12", *trip.visiting_regions, "AT12"]
    ).set_index(["region_a", "region_b"])
    for v, sim in rec["similarity"].items():
        assert sim["structure"] == pytest.approx(context.loc[("AT12", v), "structure"])
        assert sim["innovation"] == pytest.approx(context.loc[("AT12", v), "innovation"])
    assert set(rec["complementarity"]) == set(trip.visiting_regions)
    t = tables(outcome)
    assert set(t) == {"agenda", "practices", "visitor_complementarity", "context_similarity"}
    sim = t["context_similarity"].set_index(["region_a", "region_b"])
    for v in trip.visiting_regions:  # the downloaded pairs are the library's
        for col in ("structure", "innovation", "structure_pct", "innovation_pct"):
            assert sim.loc[("AT12", v), col] == pytest.approx(context.loc[("AT12", v), col], nan_ok=True)
    assert len(t["agenda"]) == len(trip.site_visits) and {"date", "time", "organisation", "purpose"} <= set(
        t["agenda"].columns
    )
    practices = t["practices"]
    assert {"gp_id", "title", "from_region", "illustrative", "target_region", "score"} <= set(practices.columns)
    assert set(practices["gp_id"]) == set(trip.practices)
    reg = gp.load_good_practices()
    visited = reg.set_index("id").loc[trip.practices].reset_index()
    rubric = load_rubric("gp_transferability")
    items = tr.transferability_items(
        visited,
        trip.visiting_regions,
        context.reset_index(),
        rubric=rubric,
        assessments=tr.load_assessments(tr.assessments_path(), reg, rubric),
    )
    want = tr.transferability_scores(items).set_index(["gp_id", "target_region"])["score"]
    got = practices.set_index(["gp_id", "target_region"])["score"]
    assert got.to_dict() == pytest.approx(want.to_dict(), nan_ok=True)
    assert practices["illustrative"].tolist() == practices["gp_id"].map(reg.set_index("id")["illustrative"]).tolist()
    # printable: each practice and the participants start a new page
    assert html.count("break-before: page") == len(trip.practices) + 1
    # names without consent and personal needs stay out of the pack
    assert "Participant A" in html and "Participant B" not in html and "vegetarian" not in html
    assert "Illustrative data." in html
    for section in (
        "Learning objectives",
        "The host region",
        "Host and visitors compared",
        "Agenda",
        "Good practices to be visited",
        "Participants",
        "Logistics and pre-reading",
    ):
        assert f">{section}" in html, section


def test_default_lessons_report_is_marked_illustrative(built):
    outcome = built["trip_lessons-AT12-2017-09"]
    html = html_body(outcome)
    rec = read_records(outcome.ipynb)
    assert rec["illustrative"] is True and "Illustrative data." in html and rec["n_forms"] == 6


def test_programme_dashboard(built):
    outcome = built["programme_dashboard-consortium_clusterix2"]
    assert outcome.job.output_stem.parent.name == "consortium"
    html = html_body(outcome)
    rec = read_records(outcome.ipynb)
    published = pg.load_programme_indicators().set_index("code")
    assert rec["targets"]["CAP"] == 50 and rec["achieved"]["PLE"] == 117 and rec["achieved"]["GP"] is None
    assert rec["n_targets_met"] == 2 and rec["status"]["MCP"] == "no target published"
    assert rec["recorded"] == pg.recorded_indicators().set_index("code")["recorded"].to_dict()
    assert rec["illustrative"] is True and "Illustrative data." in html
    assert "https://westpannon.hu/de/projects/clusterix-2-0" in html  # the sources are cited
    assert len(published) == len(rec["targets"])
    t = tables(outcome)
    assert set(t) == {"indicators", "partner_contributions", "transfer_pipeline", "register_by_region"}
    ind = t["indicators"]
    assert {"code", "name", "target", "achieved", "share", "status", "recorded", "recorded_illustrative"} <= set(
        ind.columns
    )
    recorded = pg.recorded_indicators().set_index("code")["recorded"]
    assert ind.set_index("code")["recorded"].dropna().to_dict() == recorded.dropna().to_dict()
    assert ind.set_index("code")["target"].to_dict() == pytest.approx(published["target"].to_dict(), nan_ok=True)
    partners = pg.partner_contributions()
    assert t["partner_contributions"]["region"].tolist() == partners["region"].tolist()
    assert t["partner_contributions"]["practices"].tolist() == partners["practices"].tolist()
    # counts from illustrative records say so: a column where rows differ, the caption otherwise
    assert ind["recorded_illustrative"].any()
    captions = {name: v["title"] for name, v in read_tables(outcome.ipynb).items()}
    assert "illustrative" in captions["partner_contributions"] and "illustrative" in captions["transfer_pipeline"]


def test_default_report_set():
    jobs = cli.default_jobs(None, ["good_practice", "trip_briefing", "trip_lessons", "programme_dashboard"])
    by_type = {}
    for j in jobs:
        by_type.setdefault(j.report_type, []).append(j)
    assert len(by_type["Good practices"]) == 10
    assert [j.params["trip"] for j in by_type["Study-trip briefing pack"]] == [
        "AT12-2017-09",
        "RO32-2017-11",
        "DK03-2018-10",
    ]
    assert len(by_type["Study-trip lessons learnt"]) == 3
    (dash,) = by_type["Programme indicators"]
    assert dash.output_stem.parent.name == "consortium" and dash.params == {"consortium": "consortium_clusterix2"}


def _text(outcome) -> str:
    body = re.sub(r"<style.*?</style>", "", html_body(outcome), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_reports_write_words_not_templates_or_codes(built):
    texts = {
        name: _text(built[name])
        for name in (
            "good_practice",
            "trip_briefing-AT12-2017-09",
            "trip_lessons-AT12-2017-09",
            "programme_dashboard-consortium_clusterix2",
        )
    }
    for name, text in texts.items():
        assert "(s) " not in text and "(s)." not in text, name  # no templated plural
        for code in ("validated_platform", "approved_project"):
            assert code not in text, (name, code)  # workflow codes shown as words
    assert "still to be checked" not in texts["good_practice"]  # no note for developers
    assert "structural funds" not in texts["programme_dashboard-consortium_clusterix2"]
    # the summary says the sources disagree once (the note it quotes no longer repeats it)
    dashboard = texts["programme_dashboard-consortium_clusterix2"]
    summary = dashboard.split(" Summary ")[-1].split("Targets and published")[0]
    assert summary.count("sources disagree") == 1 and ": the sources disagree." not in summary


def test_lessons_say_what_is_withheld(built):
    text = _text(built["trip_lessons-AT12-2017-09"])
    assert "are for the consortium only and withheld from this public build (the counts include them)" in text
    assert "offered for download is empty for the same reason" in text
    caption = read_tables(built["trip_lessons-AT12-2017-09"].ipynb)["follow_ups"]["title"]
    assert "empty in this public build" in caption
