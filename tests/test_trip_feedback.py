"""Trip feedback: the forms (sheets, locks, validation, hidden metadata), no-loss ingestion (every answer
stored or listed with file, sheet, cell and reason; same file again changes nothing; conflicts not merged)
and the analysis (rubric R7 capacity rule, R8 means, interest by practice and region)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from clusterix_lib import cli
from clusterix_lib import trip_feedback as fb
from clusterix_lib import trip_forms as tf
from clusterix_lib.errors import DataFileError, ParameterError
from clusterix_lib.study_trips import load_trip

TRIP = load_trip("AT12-2017-09")
PRACTICES = TRIP.practices  # cluster programme, competence mapping, innovation voucher


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    """Blank forms of the trip, by participant."""
    out = tmp_path_factory.mktemp("blank")
    return {p.stem.split("_")[1]: p for p in tf.write_feedback_forms(TRIP, out)}


def fill(
    form: Path,
    out: Path,
    *,
    practices=None,
    event=None,
    capacity=None,
    insights=None,
    follow=None,
    cells=None,
    meta=None,
) -> Path:
    """Fill a form as a visitor would."""
    wb = load_workbook(form)
    for i, answers in enumerate(practices or []):
        for col, v in zip("DEFGH", answers, strict=False):
            wb["Practices"][f"{col}{2 + i}"] = v
    for i, v in enumerate(event or []):
        wb["Trip"][f"C{2 + i}"] = v
    for i, (b, a) in enumerate(capacity or []):
        wb["Capacity"][f"C{2 + i}"] = b
        wb["Capacity"][f"D{2 + i}"] = a
    for i, answers in enumerate(insights or []):
        for col, v in zip("BCD", answers, strict=False):
            wb["Insights"][f"{col}{2 + i}"] = v
    for i, answers in enumerate(follow or []):
        for col, v in zip("BCDEF", answers, strict=False):
            wb["Follow-ups"][f"{col}{2 + i}"] = v
    for ref, value in (cells or {}).items():
        sheet, cell = ref.split("!")
        wb[sheet][cell] = value
    for key, value in (meta or {}).items():
        wb[tf.META_SHEET][f"B{tf.META_KEYS.index(key) + 1}"] = value
    wb.save(out)
    return out


GOOD = {
    "practices": [("yes", 5, 4, "Performance criteria in our call", "ROP"), ("no", 2, "NA"), ("yes", 3, 3)],
    "event": [5, 4, 4, 3],
    "capacity": [(2, 4), (2, 3), (3, 3), (3, 4)],
    "insights": [("cluster management", "Labels matter to funders", PRACTICES[0])],
    "follow": [("Draft the criteria", PRACTICES[0], "ROP", "Unit head", "2018-03")],
}


@pytest.fixture()
def store(tmp_path, blank):
    """A store holding V01's accepted feedback."""
    path = tmp_path / "feedback.csv"
    good = fill(blank["V01"], tmp_path / "V01.xlsx", **GOOD)
    result = tf.ingest_feedback(TRIP, [good], store=path, report=tmp_path / "rej.csv")
    assert result.ok, result.rejections
    return path


def run(files, store, tmp_path, **kw):
    return tf.ingest_feedback(TRIP, files, store=store, report=tmp_path / "rej.csv", **kw)


# --------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------


def test_one_form_per_visitor(blank):
    assert sorted(blank) == sorted(TRIP.visitors["participant"]) and "H01" not in blank
    with pytest.raises(ParameterError, match="'H01' is not a visiting participant"):
        tf.write_feedback_forms(TRIP, participants=["H01"])


def test_form_sheets_locks_validation_and_metadata(blank):
    wb = load_workbook(blank["V03"])
    assert wb.sheetnames == ["Instructions", *tf.SHEETS.values(), tf.META_SHEET]
    assert wb[tf.META_SHEET].sheet_state == "veryHidden" and wb.security.lockStructure
    ws = wb["Practices"]
    assert ws.protection.sheet
    assert [ws[f"A{2 + i}"].value for i in range(len(PRACTICES))] == PRACTICES
    assert ws["A2"].protection.locked and not ws["D2"].protection.locked and not ws["G2"].protection.locked
    formulas = sorted(dv.formula1 for dv in ws.data_validations.dataValidation)
    assert formulas == ['"1,2,3,4,5,NA"', '"yes,no"']
    (cap_dv,) = wb["Capacity"].data_validations.dataValidation
    assert cap_dv.formula1 == '"1,2,3,4,5"' and str(cap_dv.sqref) == "C2:D5"
    meta = {r[0].value: r[1].value for r in wb[tf.META_SHEET].iter_rows()}
    assert (meta["form"], meta["trip"], meta["participant"], meta["region"]) == (tf.FORM_KIND, TRIP.id, "V03", "RO32")
    assert meta["practices"] == ";".join(PRACTICES)
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert TRIP.title in text and "V03: Participant C" in text


# --------------------------------------------------------------------------------------
# Ingestion
# --------------------------------------------------------------------------------------


def test_accepted_answers_are_stored_with_their_cells(store):
    f = fb.load_feedback(store)
    assert set(f["participant"]) == {"V01"} and set(f["region"]) == {"RO21"} and not f["illustrative"].any()
    interest = f[(f["section"] == "practice") & (f["item"] == "interest")]
    assert interest["value"].tolist() == [1, 0, 1] and interest["source_cell"].tolist() == [
        "Practices!D2",
        "Practices!D3",
        "Practices!D4",
    ]
    na = f[(f["practice"] == PRACTICES[1]) & (f["item"] == "intent_to_act")].iloc[0]
    assert na["na"] and pd.isna(na["value"]) and na["source_cell"] == "Practices!F3"
    idea = f[f["item"] == "transfer_idea"].iloc[0]
    assert (idea["text"], idea["instrument"], idea["practice"]) == (
        "Performance criteria in our call",
        "ROP",
        PRACTICES[0],
    )
    follow = f[f["section"] == "follow_up"].iloc[0]
    assert (follow["owner"], follow["due"], follow["source_cell"]) == ("Unit head", "2018-03", "Follow-ups!B2")
    assert f["source_sha256"].str.len().eq(64).all()


def test_same_file_again_changes_nothing(store, tmp_path):
    before = store.read_bytes()
    result = run([tmp_path / "V01.xlsx"], store, tmp_path)
    assert result.ok and result.files["status"].tolist() == ["unchanged"] and result.accepted.empty
    assert store.read_bytes() == before


def test_second_form_of_a_participant_is_a_conflict_unless_replaced(store, tmp_path, blank):
    before = store.read_bytes()
    again = fill(blank["V01"], tmp_path / "V01_v2.xlsx", event=[1, 1, 1, 1])
    result = run([again], store, tmp_path)
    assert not result.ok and result.files["status"].tolist() == ["conflict"]
    assert store.read_bytes() == before
    assert result.rejections["reason"].str.startswith("conflict: V01 already has feedback from V01.xlsx").all()
    replaced = run([again], store, tmp_path, replace=True)
    assert replaced.ok and set(replaced.feedback["source_file"]) == {"V01_v2.xlsx"}
    assert replaced.feedback["value"].tolist() == [1, 1, 1, 1]


def test_dates_typed_as_dates_are_accepted(store, tmp_path, blank):
    form = fill(blank["V02"], tmp_path / "V02.xlsx", follow=[("Act", None, None, "Me", dt.datetime(2018, 5, 31))])
    result = run([form], store, tmp_path)
    assert result.ok and result.accepted.loc[0, "due"] == "2018-05-31"


BAD = {
    # name: (fill arguments, sheet, cell, fragment of the reason)
    "rating outside the scale": ({"practices": [("yes", 7)]}, "Practices", "E2", "rating 7 is outside the scale 1-5"),
    "text in a rating cell": ({"event": [4, "good"]}, "Trip", "C3", "text in a rating cell: 'good'"),
    "NA where not allowed": ({"capacity": [(2, "NA")]}, "Capacity", "D2", "NA is not allowed here"),
    "before without after": ({"capacity": [(2, None)]}, "Capacity", "D2", "give both ratings"),
    "interest not yes or no": ({"practices": [("maybe",)]}, "Practices", "D2", "interest must be yes or no"),
    "insight without theme": ({"insights": [(None, "Something learnt")]}, "Insights", "B2", "choose a theme"),
    "unknown theme": ({"insights": [("clusters", "Something")]}, "Insights", "B2", "unknown theme 'clusters'"),
    "insight from a practice not shown": (
        {"insights": [("other", "x", "GP-DK03-cluster-performance-survey")]},
        "Insights",
        "D2",
        "was not shown on this trip",
    ),
    "follow-up without owner": (
        {"follow": [("Do it", None, None, None, "2018-01")]},
        "Follow-ups",
        "E2",
        "needs an owner",
    ),
    "follow-up with a bad date": (
        {"follow": [("Do it", None, None, "Me", "next spring")]},
        "Follow-ups",
        "F2",
        "YYYY-MM",
    ),
    "instrument without an idea": (
        {"practices": [(None, None, None, None, "ROP")]},
        "Practices",
        "G2",
        "no transfer idea",
    ),
    "locked practice id edited": (
        {"cells": {"Practices!A3": "GP-X"}, "event": [3]},
        "Practices",
        "A3",
        "locked cell edited",
    ),
    "row added below the practices": ({"cells": {"Practices!D5": "yes"}, "event": [3]}, "Practices", "A5", "row added"),
    "workbook of another trip": ({"meta": {"trip": "DK03-2018-10"}}, tf.META_SHEET, "B3", "workbook from another trip"),
    "participant not a visitor": ({"meta": {"participant": "H01"}}, tf.META_SHEET, "B4", "not a visiting participant"),
    "region edited": ({"meta": {"region": "CZ08"}}, tf.META_SHEET, "B5", "metadata edited"),
    "empty form": ({}, "Practices", "D2", "empty form"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_feedback_is_rejected_with_file_sheet_and_cell(case, store, tmp_path, blank, capsys):
    kwargs, sheet, cell, fragment = BAD[case]
    path = fill(blank["V02"], tmp_path / "bad.xlsx", **kwargs)
    before = store.read_bytes()
    result = run([path], store, tmp_path)
    assert not result.ok and result.files["status"].tolist() == ["rejected"]
    rej = result.rejections
    assert list(rej.columns) == list(tf.REJECTION_COLUMNS)
    hit = rej[rej["reason"].str.contains(fragment, regex=False)]
    assert len(hit) >= 1, rej
    assert (hit["file"].iloc[0], hit["sheet"].iloc[0], hit["cell"].iloc[0]) == ("bad.xlsx", sheet, cell)
    assert store.read_bytes() == before  # nothing already accepted is lost, nothing half-added
    # the command line: exit 1, each rejection printed as "file sheet!cell: reason"
    code = cli.main(["trip", "ingest", TRIP.id, str(path), "--store", str(store), "--report", str(tmp_path / "r2.csv")])
    err = capsys.readouterr().err
    assert code == 1 and f"bad.xlsx {sheet}!{cell}: " in err and fragment in err
    assert store.read_bytes() == before


def test_readable_answers_of_a_rejected_form_are_held_back(store, tmp_path, blank):
    args = dict(GOOD, practices=[("yes", 9)])
    result = run([fill(blank["V02"], tmp_path / "bad.xlsx", **args)], store, tmp_path)
    rej = result.rejections
    held = rej[rej["reason"].str.startswith("held back")]
    assert len(rej) == len(held) + 1 and len(held) > 10
    assert "Trip" in set(held["sheet"]) and "Capacity" in set(held["sheet"])


def test_not_a_workbook_and_wrong_type(store, tmp_path):
    notes = tmp_path / "notes.xlsx"
    notes.write_text("my notes", encoding="utf-8")
    csv = tmp_path / "answers.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run([notes, csv], store, tmp_path)
    assert result.files["status"].tolist() == ["rejected", "rejected"]
    reasons = result.rejections["reason"].tolist()
    assert "not a readable Excel workbook" in reasons[0] and "unsupported file type .csv" in reasons[1]


def test_a_good_and_a_bad_form_together(store, tmp_path, blank):
    bad = fill(blank["V02"], tmp_path / "bad.xlsx", event=[6])
    good = fill(blank["V03"], tmp_path / "V03.xlsx", **GOOD)
    result = run([bad, good], store, tmp_path)
    assert result.files["status"].tolist() == ["rejected", "accepted"]
    assert set(result.feedback["participant"]) == {"V01", "V03"}


def test_cli_forms(tmp_path, capsys):
    code = cli.main(["trip", "forms", TRIP.id, "-o", str(tmp_path), "--participant", "V05"])
    out = capsys.readouterr().out
    assert code == 0 and "1 feedback form(s)" in out and (tmp_path / "AT12-2017-09_V05.xlsx").is_file()
    code = cli.main(["trip", "forms", "NOPE-1", "-o", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "unknown study trip 'NOPE-1'" in err[0]


# --------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------


def test_analysis_of_a_round_trip(store, tmp_path, blank):
    other = {
        "practices": [("no", 3, 2), ("yes", 4, 4), ("no", "NA", "NA")],
        "event": [4, 4, 5, 5],
        "capacity": [(3, 3), (3, 4), (3, 3), (3, 3)],
    }
    result = run([fill(blank["V03"], tmp_path / "V03.xlsx", **other)], store, tmp_path)
    f = result.feedback
    cap = fb.capacity_change(f).set_index("participant")
    # V01: +2, +1, 0, +1 -> 3 items up -> increased; V03: only C2 up -> not increased
    assert cap.loc["V01", "n_up"] == 3 and cap.loc["V01", "increased"]
    assert cap.loc["V03", "n_up"] == 1 and not cap.loc["V03", "increased"]
    assert cap.loc["V01", "mean_before"] == pytest.approx(2.5) and cap.loc["V01", "mean_after"] == pytest.approx(3.5)
    ev = fb.event_feedback(f).set_index("item")
    assert ev.loc["E1", "mean"] == pytest.approx(4.5) and ev.loc["E4", "mean"] == pytest.approx(4.0)
    assert ev.loc["E3", ["3", "4", "5"]].tolist() == [0, 1, 1]
    grid = fb.practice_interest(f, PRACTICES, list(TRIP.visiting_regions)).set_index(["practice", "region"])
    assert grid.loc[(PRACTICES[0], "RO21"), ["n_respondents", "n_interested", "share_interested"]].tolist() == [
        1,
        1,
        1.0,
    ]
    assert grid.loc[(PRACTICES[1], "RO32"), "transferability"] == 4.0
    assert pd.isna(grid.loc[(PRACTICES[2], "RO32"), "transferability"])  # NA answers left out
    assert pd.isna(grid.loc[(PRACTICES[0], "CZ08"), "share_interested"])  # no respondents
    s = fb.feedback_summary(f, TRIP.visitors)
    assert (s["n_forms"], s["n_visitors"], s["n_capacity_increased"], s["n_follow_ups"]) == (2, 7, 1, 1)
    perceived = fb.perceived_transferability(f).set_index(["practice", "region"])
    assert perceived.loc[(PRACTICES[0], "RO21"), "median"] == 5.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=4, max_size=4))
def test_capacity_rule_r7(pairs):
    rows = []
    for i, (before, after) in enumerate(pairs):
        rows.append(
            {"participant": "P", "region": "R", "section": "capacity_before", "item": f"C{i + 1}", "value": before}
        )
        rows.append(
            {"participant": "P", "region": "R", "section": "capacity_after", "item": f"C{i + 1}", "value": after}
        )
    out = fb.capacity_change(pd.DataFrame(rows)).iloc[0]
    up = sum(a - b >= 1 for b, a in pairs)
    assert out["n_up"] == up and out["increased"] == (up >= 2)


def test_default_feedback_is_illustrative_and_consistent():
    for trip_id in ("AT12-2017-09", "RO32-2017-11", "DK03-2018-10"):
        t = load_trip(trip_id)
        f = fb.load_feedback(fb.feedback_path(t))
        assert len(f) and f["illustrative"].all() and set(f["trip"]) == {trip_id}
        assert set(f["participant"]) <= set(t.visitors["participant"])
        assert set(f["practice"].replace("", pd.NA).dropna()) <= set(t.practices)


def test_interest_ranking_puts_most_interested_visitors_first():
    """One respondent of a small region marking a practice (share 1/1) does not beat a practice three
    of five visitors marked: the number interested ranks first, then share, then transferability."""
    rows = []
    visitors = {"V1": "R1", "V2": "R2", "V3": "R2", "V4": "R2", "V5": "R2"}
    marked = {"SOLO": {"V1"}, "POPULAR": {"V2", "V3", "V4"}, "TIED": {"V2", "V3", "V5"}}
    rating = {"SOLO": 5, "POPULAR": 4, "TIED": 3}
    for p, who in marked.items():
        for v, region in visitors.items():
            rows.append(
                {
                    "participant": v,
                    "region": region,
                    "section": "practice",
                    "item": "interest",
                    "practice": p,
                    "value": int(v in who),
                    "na": False,
                }
            )
            rows.append(
                {
                    "participant": v,
                    "region": region,
                    "section": "practice",
                    "item": "transferability",
                    "practice": p,
                    "value": rating[p],
                    "na": False,
                }
            )
    f = pd.DataFrame(rows)
    # the per-region view the old summary used: SOLO has the top share (1 of 1 in R1)
    per_region = fb.practice_interest(f, list(marked), ["R1", "R2"])
    assert per_region.sort_values("share_interested", ascending=False).iloc[0]["practice"] == "SOLO"
    r = fb.interest_ranking(f, ["SOLO", "TIED", "POPULAR", "UNSHOWN"])
    assert r["practice"].tolist() == ["POPULAR", "TIED", "SOLO", "UNSHOWN"]  # 3, 3 (higher rating first), 1, 0
    assert r["rank"].tolist() == [1, 2, 3, 4]
    top = r.iloc[0]
    assert (top["n_interested"], top["n_respondents"], top["share_interested"]) == (3, 5, 0.6)
    assert top["transferability"] == 4.0 and pd.isna(r.iloc[3]["transferability"])


def test_interest_ranking_of_the_default_trip_matches_the_table():
    trip = load_trip("RO32-2017-11")
    feedback = fb.load_feedback(fb.feedback_path(trip))
    r = fb.interest_ranking(feedback, trip.practices)
    assert sorted(r["practice"]) == sorted(trip.practices)
    assert r["n_interested"].is_monotonic_decreasing
    assert (r["n_respondents"] == feedback["participant"].nunique()).all()


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (",event,E1,,4,false", ",event,E1,,40,false", "rating outside its scale"),
        (",practice,interest,GP-AT12-cluster-programme,1,", ",practice,interest,GP-AT12-cluster-programme,3,", "scale"),
    ],
)
def test_a_hand_edited_store_is_checked(tmp_path, old, new, fragment):
    from clusterix_lib import paths

    text = (paths.data_dir() / "trip_feedback" / "AT12-2017-09" / "feedback.csv").read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "feedback.csv"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError, match=fragment) as info:
        fb.load_feedback(p)
    assert "feedback.csv" in str(info.value) and "line " in str(info.value)
    lines = text.splitlines()
    rated = next(line for line in lines if ",event,E1,," in line)
    p.write_text("\n".join([*lines, rated]) + "\n", encoding="utf-8")  # a rated row pasted twice
    with pytest.raises(DataFileError, match="second rating"):
        fb.load_feedback(p)
