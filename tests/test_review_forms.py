"""Reviewer forms: which forms a review needs, and what each workbook holds (sheets, locked criterion
cells, score cells validated to the scale, hidden metadata)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from clusterix_lib import cli
from clusterix_lib.errors import ParameterError
from clusterix_lib.peer_review import load_review
from clusterix_lib.review_forms import (
    COLUMNS,
    FIRST_ROW,
    FORM_KIND,
    META_KEYS,
    META_SHEET,
    SCORES_SHEET,
    form_plan,
    write_form,
    write_forms,
)


@pytest.fixture(scope="module")
def at12():
    return load_review("AT12-2017")


@pytest.fixture(scope="module")
def forms(at12, tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    return write_forms(at12, out)


def test_plan_gives_each_reviewer_their_round(at12):
    plan = form_plan(at12)
    assert plan[["reviewer", "round"]].values.tolist() == [
        ["HOST", "self"],
        ["P1", "independent"],
        ["P2", "independent"],
        ["P3", "independent"],
        ["E1", "independent"],
        ["RAP", "consensus"],
    ]
    assert plan["file"].iloc[1] == "AT12-2017_independent_P1.xlsx"
    assert form_plan(at12, ["consensus"])["reviewer"].tolist() == ["RAP"]


def test_without_a_rapporteur_every_peer_gets_the_consensus_form(at12):
    from dataclasses import replace

    no_rap = replace(at12, reviewers=at12.reviewers[at12.reviewers["role"] != "rapporteur"])
    assert form_plan(no_rap, ["consensus"])["reviewer"].tolist() == ["P1", "P2", "P3", "E1"]


def test_one_workbook_per_form(forms):
    assert sorted(p.name for p in forms) == sorted(form_plan(load_review("AT12-2017"))["file"])


def test_workbook_sheets_locks_and_validation(forms, at12):
    path = next(p for p in forms if p.name.endswith("_independent_P1.xlsx"))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instructions", "Rubric", SCORES_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.security.lockStructure  # sheets cannot be added, renamed or unhidden
    ws = wb[SCORES_SHEET]
    rubric = at12.rubric()
    assert ws.protection.sheet
    n = len(rubric.criteria)
    for i, crit in enumerate(rubric.criteria.itertuples()):
        row = FIRST_ROW + i
        assert ws[f"{COLUMNS['criterion']}{row}"].value == crit.criterion
        assert ws[f"{COLUMNS['text']}{row}"].value == crit.text
        for key in ("criterion", "dimension", "text"):
            assert ws[f"{COLUMNS[key]}{row}"].protection.locked
        for key in ("score", "comment"):
            assert not ws[f"{COLUMNS[key]}{row}"].protection.locked
            assert ws[f"{COLUMNS[key]}{row}"].value is None
    assert ws[f"A{FIRST_ROW + n}"].value is None  # nothing below the criteria
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"1,2,3,4,5,NA"' and dv.showErrorMessage
    assert str(dv.sqref) == f"D{FIRST_ROW}:D{FIRST_ROW + n - 1}"
    meta = {ws_row[0].value: ws_row[1].value for ws_row in wb[META_SHEET].iter_rows()}
    assert list(meta) == list(META_KEYS)
    assert meta["form"] == FORM_KIND and meta["review"] == "AT12-2017" and meta["reviewer"] == "P1"
    assert meta["round"] == "independent" and meta["role"] == "peer"
    assert meta["rubric"] == rubric.id and meta["rubric_version"] == rubric.version
    assert meta["rubric_fingerprint"] == rubric.fingerprint()
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert at12.challenge[:40] in text and "P1 (peer)" in text and at12.questions[0] in text
    rubric_text = " ".join(str(c.value) for row in wb["Rubric"].iter_rows() for c in row if c.value)
    assert "implemented and documented" in rubric_text and rubric.criteria["text"].iloc[-1] in rubric_text


def test_wheel_form_has_no_na_and_explains_zero(tmp_path):
    rv = load_review("CZ08-2018")
    (path,) = write_forms(rv, tmp_path, rounds=["self"])
    wb = load_workbook(path)
    (dv,) = wb[SCORES_SHEET].data_validations.dataValidation
    assert dv.formula1 == '"0,1,2,3,4,5"'
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "no information available" in text and "not for poor quality" in text


def test_wrong_reviewer_or_round_is_refused(at12, tmp_path):
    with pytest.raises(ParameterError, match="not a reviewer"):
        write_form(at12, at12.rubric(), "ZZ", "independent", tmp_path / "x.xlsx")
    with pytest.raises(ParameterError, match=r"P1 \(peer\) does not submit the 'self' round"):
        write_form(at12, at12.rubric(), "P1", "self", tmp_path / "x.xlsx")
    with pytest.raises(ParameterError, match="not a reviewer"):
        write_forms(at12, tmp_path, reviewers=["ZZ"])
    assert not list(tmp_path.iterdir())


def test_cli_forms(tmp_path, capsys):
    code = cli.main(["peer-review", "forms", "RO21-2019", "-o", str(tmp_path), "--round", "independent"])
    out = capsys.readouterr().out
    assert code == 0 and "3 form(s)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"RO21-2019_independent_P{i}.xlsx" for i in (1, 2, 3)]
    code = cli.main(["peer-review", "forms", "NOPE-1", "-o", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "unknown peer review 'NOPE-1'" in err[0]
