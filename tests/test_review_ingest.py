"""Ingestion of returned forms and CSV: every row accepted or listed with file, sheet, cell and reason;
re-ingesting changes nothing; a second file for the same reviewer and round is a conflict; a bad file
never costs rows already accepted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from clusterix_lib import cli
from clusterix_lib.errors import ParameterError
from clusterix_lib.peer_review import load_review
from clusterix_lib.review_forms import META_KEYS, META_SHEET, write_forms
from clusterix_lib.review_ingest import REJECTION_COLUMNS, ingest, parse_score, read_score_file
from clusterix_lib.rubrics import load_rubric

REVIEW = load_review("AT12-2017")
RUBRIC = REVIEW.rubric()
P1_SCORES = [4, 3, "NA", 3, 2, 4, 2, 3, 2]  # M1..M9


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    """Blank forms of AT12-2017, by (round, reviewer)."""
    out = tmp_path_factory.mktemp("blank")
    return {tuple(p.stem.split("_")[1:]): p for p in write_forms(REVIEW, out)}


def fill(form: Path, out: Path, scores, comments=None, *, cells=None, meta=None) -> Path:
    """Fill a form as a reviewer would: scores in D, comments in E, optional other cell edits."""
    wb = load_workbook(form)
    ws = wb["Scores"]
    for i, value in enumerate(scores):
        ws[f"D{2 + i}"] = value
        ws[f"E{2 + i}"] = (comments or {}).get(i, f"reason {i}")
    for ref, value in (cells or {}).items():
        ws[ref] = value
    for key, value in (meta or {}).items():
        wb[META_SHEET][f"B{META_KEYS.index(key) + 1}"] = value
    wb.save(out)
    return out


@pytest.fixture()
def store(tmp_path, blank):
    """A store that already holds P1's accepted independent scores."""
    path = tmp_path / "scores.csv"
    good = fill(blank[("independent", "P1")], tmp_path / "P1.xlsx", P1_SCORES)
    result = ingest(REVIEW, [good], store=path, report=tmp_path / "rej.csv")
    assert result.ok and len(result.accepted) == 9
    return path


def run(files, store, tmp_path, **kw):
    return ingest(REVIEW, files, store=store, report=tmp_path / "rej.csv", **kw)


def test_accepted_rows_are_stored_with_their_cells(store):
    s = pd.read_csv(store, dtype=str, keep_default_na=False)
    assert len(s) == 9 and set(s["reviewer"]) == {"P1"} and set(s["round"]) == {"independent"}
    m3 = s[s["criterion"] == "M3"].iloc[0]
    assert (m3["value"], m3["na"], m3["comment"], m3["source_cell"]) == ("", "true", "reason 2", "Scores!D4")
    assert s["value"].tolist()[:2] == ["4", "3"] and s["source_file"].iloc[0] == "P1.xlsx"
    assert s["illustrative"].eq("false").all() and s["source_sha256"].str.len().eq(64).all()


def test_same_file_again_changes_nothing(store, tmp_path):
    before = store.read_bytes()
    result = run([tmp_path / "P1.xlsx"], store, tmp_path)
    assert result.ok and result.files["status"].tolist() == ["unchanged"] and result.accepted.empty
    assert store.read_bytes() == before


def test_second_file_same_reviewer_and_round_is_a_conflict(store, tmp_path, blank):
    before = store.read_bytes()
    other = fill(blank[("independent", "P1")], tmp_path / "P1_v2.xlsx", [5] * 9)
    result = run([other], store, tmp_path)
    assert not result.ok and result.files["status"].tolist() == ["conflict"]
    assert store.read_bytes() == before  # not merged
    assert len(result.rejections) == 9 and result.rejections["reason"].str.contains("conflict: P1").all()
    assert "P1.xlsx" in result.rejections["reason"].iloc[0]
    replaced = run([other], store, tmp_path, replace=True)
    assert replaced.ok and replaced.files["status"].tolist() == ["accepted"]
    s = replaced.scores
    assert len(s) == 9 and (s["value"] == 5).all() and set(s["source_file"]) == {"P1_v2.xlsx"}


def test_other_reviewers_and_rounds_are_added(store, tmp_path, blank):
    files = [
        fill(blank[("independent", "P2")], tmp_path / "P2.xlsx", [3] * 9),
        fill(blank[("self", "HOST")], tmp_path / "HOST.xlsx", [5] * 9),
        fill(blank[("consensus", "RAP")], tmp_path / "RAP.xlsx", [4] * 9, {0: "dissent: one reviewer lower"}),
    ]
    result = run(files, store, tmp_path)
    assert result.ok and result.files["status"].tolist() == ["accepted"] * 3
    s = result.scores
    assert len(s) == 36 and s.groupby("round").size().to_dict() == {"consensus": 9, "independent": 18, "self": 9}
    assert s.loc[(s["round"] == "consensus") & (s["criterion"] == "M1"), "comment"].item().startswith("dissent")
    # stored in a stable order: round, reviewer, criterion order of the rubric
    assert s["round"].tolist() == ["self"] * 9 + ["independent"] * 18 + ["consensus"] * 9
    assert s["criterion"].tolist()[:9] == RUBRIC.criterion_ids


# --------------------------------------------------------------------------------------
# Bad input: each rejected with file, sheet, cell and reason; nothing accepted is lost
# --------------------------------------------------------------------------------------


def bad_outside_scale(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "out.xlsx", [3, 7, 3, 3, 3, 3, 3, 3, 3])


def bad_text_in_score(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "text.xlsx", [3, 3, "three", 3, 3, 3, 3, 3, 3])


def bad_missing_reviewer(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "noid.xlsx", [3] * 9, meta={"reviewer": None})


def bad_criterion_not_in_rubric(blank, tmp):
    path = tmp / "crit.csv"
    path.write_text("reviewer,criterion,score,round\nP2,M1,3,independent\nP2,M10,4,independent\n", encoding="utf-8")
    return path


def bad_other_review(blank, tmp):
    (other,) = write_forms(load_review("RO21-2019"), tmp / "ro", rounds=["independent"], reviewers=["P2"])
    return fill(other, tmp / "other.xlsx", [3] * 9)


def bad_empty_xlsx(blank, tmp):
    path = tmp / "empty.xlsx"
    path.write_bytes(b"")
    return path


def bad_empty_csv(blank, tmp):
    path = tmp / "empty.csv"
    path.write_text("", encoding="utf-8")
    return path


def bad_locked_edited(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "locked.xlsx", [3] * 9, cells={"C4": "Something else entirely"})


def bad_locked_id_edited(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "lockedid.xlsx", [3] * 9, cells={"A6": "M99"})


def bad_empty_score(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "blankcell.xlsx", [3, 3, 3, 3, None, 3, 3, 3, 3])


def bad_wrong_role(blank, tmp):
    return fill(blank[("independent", "P2")], tmp / "role.xlsx", [3] * 9, meta={"reviewer": "HOST"})


def bad_not_a_workbook(blank, tmp):
    path = tmp / "notes.xlsx"
    path.write_text("these are my notes", encoding="utf-8")
    return path


BAD = {
    # name: (maker, sheet, cell, reason fragment)
    "score outside the scale": (bad_outside_scale, "Scores", "D3", "score 7 is outside the scale 1-5"),
    "text in a score cell": (bad_text_in_score, "Scores", "D4", "text in a score cell: 'three'"),
    "missing reviewer id": (bad_missing_reviewer, META_SHEET, "B4", "missing reviewer id"),
    "criterion not in the rubric": (bad_criterion_not_in_rubric, "(csv)", "B3", "criterion 'M10' is not in rubric"),
    "workbook from another review": (bad_other_review, META_SHEET, "B3", "workbook from another review"),
    "empty xlsx file": (bad_empty_xlsx, "(none)", "A1", "empty file"),
    "empty csv file": (bad_empty_csv, "(csv)", "A1", "empty file"),
    "locked sheet edited (text)": (bad_locked_edited, "Scores", "C4", "locked cell edited"),
    "locked sheet edited (id)": (bad_locked_id_edited, "Scores", "A6", "locked cell edited: reads 'M99'"),
    "empty score cell": (bad_empty_score, "Scores", "D6", "no score"),
    "round not of the role": (bad_wrong_role, META_SHEET, "B4", "does not submit the independent round"),
    "not a workbook": (bad_not_a_workbook, "(none)", "A1", "not a readable Excel workbook"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_rejected_with_file_sheet_and_cell(case, store, tmp_path, blank, capsys):
    maker, sheet, cell, fragment = BAD[case]
    path = maker(blank, tmp_path)
    before = store.read_bytes()
    result = run([path], store, tmp_path)
    assert not result.ok and result.files["status"].tolist() == ["rejected"]
    rej = result.rejections
    assert list(rej.columns) == list(REJECTION_COLUMNS)
    hit = rej[rej["reason"].str.contains(fragment, regex=False)]
    assert len(hit) >= 1, rej
    assert (hit["file"].iloc[0], hit["sheet"].iloc[0], hit["cell"].iloc[0]) == (path.name, sheet, cell)
    assert store.read_bytes() == before  # nothing already accepted is lost, nothing half-added
    report = pd.read_csv(tmp_path / "rej.csv", dtype=str, keep_default_na=False)
    assert len(report) == len(rej) and fragment in " ".join(report["reason"])
    # the command line: exit 1, and each rejection printed as "file sheet!cell: reason"
    code = cli.main(
        ["peer-review", "ingest", "AT12-2017", str(path), "--store", str(store), "--report", str(tmp_path / "rej2.csv")]
    )
    err = capsys.readouterr().err
    assert code == 1 and f"{path.name} {sheet}!{cell}: " in err and fragment in err
    assert store.read_bytes() == before


def test_readable_rows_of_a_rejected_file_are_listed_as_held_back(store, tmp_path, blank):
    result = run([bad_outside_scale(blank, tmp_path)], store, tmp_path)
    rej = result.rejections
    assert len(rej) == 9  # one problem plus eight held-back rows: every row is listed
    assert (rej["reason"].str.startswith("held back")).sum() == 8
    assert sorted(rej["criterion"]) == sorted(RUBRIC.criterion_ids)


def test_a_good_and_a_bad_file_together(store, tmp_path, blank):
    good = fill(blank[("independent", "P3")], tmp_path / "P3.xlsx", [2] * 9)
    result = run([bad_text_in_score(blank, tmp_path), good], store, tmp_path)
    assert result.files["status"].tolist() == ["rejected", "accepted"]
    assert len(result.scores) == 18 and set(result.scores["reviewer"]) == {"P1", "P3"}


def test_csv_rounds_and_several_reviewers(store, tmp_path):
    path = tmp_path / "workshop.csv"
    rows = ["review,round,reviewer,criterion,score,comment"]
    rows += [
        f"AT12-2017,independent,E1,{c},{v},from the workshop"
        for c, v in zip(RUBRIC.criterion_ids, [4, 2, 3, 3, "NA", 4, 1, 3, 2], strict=True)
    ]
    rows += [f"AT12-2017,consensus,RAP,{c},3," for c in RUBRIC.criterion_ids]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run([path], store, tmp_path)
    assert result.ok, result.rejections
    s = result.scores
    assert len(s) == 27 and s.loc[(s["reviewer"] == "E1") & (s["criterion"] == "M5"), "na"].item()
    assert s.loc[s["reviewer"] == "E1", "source_cell"].iloc[0] == "(csv)!E2"
    # a CSV without a round column needs --round
    bare = tmp_path / "bare.csv"
    bare.write_text("reviewer,criterion,score\nP2,M1,3\n", encoding="utf-8")
    assert "no round column" in run([bare], store, tmp_path).rejections["reason"].iloc[0]
    assert run([bare], store, tmp_path, round="independent").ok
    # a form whose round differs from --round
    wrong = run([tmp_path / "P1.xlsx"], tmp_path / "fresh.csv", tmp_path, round="consensus")
    assert "not the consensus round" in wrong.rejections["reason"].iloc[0]


def test_csv_row_errors_name_their_cells(store, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        "reviewer,criterion,score,round\n"
        ",M1,3,independent\n"  # missing reviewer id -> A2
        "ZZ,M1,3,independent\n"  # unknown reviewer -> A3
        "P2,M1,3,independent\n"
        "P2,M1,4,independent\n"  # scored twice -> B5
        "P2,M2,3.5,independent\n"  # not whole -> C6
        "P2,M3,3,final\n",  # unknown round -> D7
        encoding="utf-8",
    )
    rej = run([path], store, tmp_path).rejections
    problems = rej[~rej["reason"].str.startswith("held back")]
    got = dict(zip(problems["cell"], problems["reason"], strict=True))
    assert got["A2"] == "missing reviewer id" and "'ZZ' is not a reviewer" in got["A3"]
    assert "scored twice" in got["B5"] and "not a whole number" in got["C6"] and "unknown round" in got["D7"]
    assert set(rej["cell"]) >= {"C4"}  # the good row is listed as held back


def test_read_score_file_does_not_store(tmp_path, blank):
    good = fill(blank[("independent", "P2")], tmp_path / "P2.xlsx", [3] * 9)
    rows, problems = read_score_file(good, REVIEW)
    assert problems.empty and len(rows) == 9 and not (tmp_path / "scores.csv").exists()
    with pytest.raises(ParameterError, match="unknown round"):
        read_score_file(good, REVIEW, round="final")


@given(st.integers(-20, 20))
def test_parse_score_accepts_exactly_the_scale(value):
    wheel = load_rubric("ris3_wheel")
    if 0 <= value <= 5:
        assert parse_score(value, wheel) == (value, False)
        assert parse_score(f" {value} ", wheel) == (value, False)
        assert parse_score(float(value), wheel) == (value, False)
    else:
        with pytest.raises(ValueError, match="outside the scale 0-5"):
            parse_score(value, wheel)


def test_parse_score_na_rules():
    wheel = load_rubric("ris3_wheel")
    with pytest.raises(ValueError, match=r"NA is not allowed in rubric ris3_wheel \(use 0 = 'no information"):
        parse_score("NA", wheel)
    assert parse_score("n/a", RUBRIC) == (None, True)
    for bad in (True, 2.5, "", None, "4+"):
        with pytest.raises(ValueError):
            parse_score(bad, RUBRIC)
