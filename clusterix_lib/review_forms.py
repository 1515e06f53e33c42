"""Reviewer forms: one Excel workbook per reviewer and round, written with openpyxl.

Each workbook has

``Instructions``
    the review (host, instrument, challenge, questions from the host), who the form is for,
    which round it is, the scale and how to fill in and return the form;
``Rubric``
    the scale with its anchors and every criterion with its guidance (and its own anchors
    where the rubric gives them);
``Scores``
    one row per criterion: id, dimension and criterion text (locked), a score cell restricted
    by data validation to the scale (plus ``NA`` where the rubric allows it) and a comment cell
    (both unlocked); the sheet is protected, so only score and comment cells can be edited;
``_meta``
    a *very hidden* sheet naming the form's review, reviewer, role, round, rubric, rubric
    version and the rubric's fingerprint, which :mod:`clusterix_lib.review_ingest` checks when
    the form comes back.

Which forms a review needs (:func:`form_plan`): the host gets the ``self`` form, every peer,
critical friend and expert an ``independent`` form, and the rapporteurs and facilitators the
``consensus`` form (every independent reviewer gets one when the review has no rapporteur).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from clusterix_lib import __version__, paths
from clusterix_lib.errors import ParameterError
from clusterix_lib.peer_review import INDEPENDENT_ROLES, ROUND_ROLES, ROUNDS, PeerReview
from clusterix_lib.rubrics import Rubric
from clusterix_lib.workbooks import (
    BOLD,
    WRAP,
    input_cell,
    list_validation,
    locked_cell,
    save_form,
    set_widths,
    write_key_values,
    write_meta,
)

__all__ = [
    "COLUMNS",
    "FIRST_ROW",
    "FORM_KIND",
    "FORM_VERSION",
    "META_KEYS",
    "META_SHEET",
    "SCORES_SHEET",
    "form_filename",
    "form_plan",
    "forms_dir",
    "write_form",
    "write_forms",
]

SCORES_SHEET = "Scores"
META_SHEET = "_meta"
INSTRUCTIONS_SHEET = "Instructions"
RUBRIC_SHEET = "Rubric"
#: Column letters of the Scores sheet.
COLUMNS = {"criterion": "A", "dimension": "B", "text": "C", "score": "D", "comment": "E"}
#: Row of the first criterion on the Scores sheet (row 1 holds the headers).
FIRST_ROW = 2
#: Value of the ``form`` key in the _meta sheet.
FORM_KIND = "clusterix peer-review form"
FORM_VERSION = "1"
#: Keys of the _meta sheet, in row order (key in column A, value in column B).
META_KEYS = (
    "form",
    "form_version",
    "review",
    "reviewer",
    "role",
    "round",
    "rubric",
    "rubric_version",
    "rubric_fingerprint",
    "n_criteria",
    "clusterix_version",
)

ROUND_TEXT = {
    "self": "Host self-assessment: score your own instrument before the peers' visit.",
    "independent": "Independent round: score on your own, before the discussion with the other reviewers.",
    "consensus": "Consensus round: the scores agreed after the discussion; note any dissent in the comment.",
}


def forms_dir(review: str) -> Path:
    """Default output folder of a review's forms: ``build/peer_review/<review>/forms``."""
    return paths.build_dir() / "peer_review" / review / "forms"


def form_filename(review: str, round: str, reviewer: str) -> str:
    """``<review>_<round>_<reviewer>.xlsx``.

    >>> form_filename("AT12-2017", "independent", "P1")
    'AT12-2017_independent_P1.xlsx'
    """
    return f"{review}_{round}_{reviewer}.xlsx"


def form_plan(review: PeerReview, rounds: list[str] | None = None) -> pd.DataFrame:
    """Which forms a review needs: ``reviewer, role, round, file``, in round then record order.

    Examples
    --------
    >>> from clusterix_lib.peer_review import load_review
    >>> plan = form_plan(load_review("AT12-2017"))
    >>> plan.groupby("round", sort=False).size().to_dict()
    {'self': 1, 'independent': 4, 'consensus': 1}
    """
    rounds = list(rounds or ROUNDS)
    bad = [r for r in rounds if r not in ROUNDS]
    if bad:
        raise ParameterError(f"unknown round {bad[0]!r}", hint=f"use one of {', '.join(ROUNDS)}")
    revs = review.reviewers
    has_rapporteur = revs["role"].isin(["rapporteur", "facilitator"]).any()
    rows = []
    for rnd in rounds:
        if rnd == "consensus":
            roles = ("rapporteur", "facilitator") if has_rapporteur else INDEPENDENT_ROLES
        else:
            roles = ROUND_ROLES[rnd]
        for r in revs[revs["role"].isin(roles)].itertuples():
            rows.append(
                {
                    "reviewer": r.reviewer,
                    "role": r.role,
                    "round": rnd,
                    "file": form_filename(review.id, rnd, r.reviewer),
                }
            )
    return pd.DataFrame(rows, columns=["reviewer", "role", "round", "file"])


def _instructions(ws, review: PeerReview, rubric: Rubric, reviewer: str, role: str, rnd: str) -> None:
    ws.title = INSTRUCTIONS_SHEET
    label = review.reviewers.set_index("reviewer").at[reviewer, "label"]
    host = f"{review.host_organisation} ({review.host_region})"
    na = " or NA (does not apply / cannot judge)" if rubric.allows_na else ""
    rows: list[tuple[str, str]] = [
        ("Peer-review scoring form", ""),
        ("Review", f"{review.id}: {review.title}"),
        ("Host", host),
        ("Policy instrument", review.instrument or "(not named)"),
        ("Policy challenge", review.challenge),
    ]
    rows += [(f"Question {i}", q) for i, q in enumerate(review.questions, 1)]
    if review.date_start:
        dates = review.date_start + (f" to {review.date_end}" if review.date_end else "")
        rows.append(("Dates", dates + (f", {review.place}" if review.place else "")))
    rows += [
        ("This form is for", f"{reviewer} ({role})" + (f": {label}" if label else "")),
        ("Round", ROUND_TEXT[rnd]),
        ("Rubric", f"{rubric.name}, version {rubric.version}"),
        ("Scale", "; ".join(f"{k} = {v}" for k, v in rubric.anchors.items())),
        (
            "How to fill in",
            f"On the sheet '{SCORES_SHEET}', give each criterion a score from {rubric.scale_min} "
            f"to {rubric.scale_max}{na} in the yellow column, and explain it in the comment column (evidence, "
            f"reasons). The sheet '{RUBRIC_SHEET}' explains the criteria and the anchors.",
        ),
        (
            "Do not",
            "rename sheets, add or delete rows, or edit the grey cells: the form is read back "
            "automatically and edited criteria are refused.",
        ),
        (
            "Return",
            "Save the file (keep the .xlsx format and the file name) and send it to the organiser of the review.",
        ),
    ]
    if rubric.no_information is not None:
        rows.append(
            (
                "Note",
                f"{rubric.no_information} means '{rubric.anchors[rubric.no_information]}': use it "
                "when no evidence was shown, not for poor quality.",
            )
        )
    write_key_values(ws, rows)


def _rubric_sheet(ws, rubric: Rubric) -> None:
    set_widths(ws, {"A": 10, "B": 28, "C": 70, "D": 50, "E": 60})
    ws.append(["Score", "Meaning"])
    for k, v in rubric.anchors.items():
        ws.append([k, v])
    if rubric.allows_na:
        ws.append(["NA", "does not apply to this instrument, or cannot be judged"])
    ws.append([])
    header_row = ws.max_row + 1
    ws.append(["Id", "Dimension", "Criterion", "Guidance", "Anchors of this criterion"])
    for r in rubric.criteria.itertuples():
        own = "; ".join(f"{k} = {v}" for k, v in r.anchors.items()) if r.anchors else ""
        ws.append([r.criterion, r.dimension, r.text, r.guidance, own])
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for c in row:
            c.alignment = WRAP
    for c in ws[1] + ws[header_row]:
        c.font = BOLD
    ws.protection.sheet = True


def _scores_sheet(ws, rubric: Rubric, rnd: str) -> None:
    set_widths(ws, {"A": 8, "B": 26, "C": 70, "D": 9, "E": 60})
    ws.append(
        [
            "Id",
            "Dimension",
            "Criterion",
            "Score",
            "Comment / dissent" if rnd == "consensus" else "Comment (evidence, reasons)",
        ]
    )
    for c in ws[1]:
        c.font = BOLD
    ws.freeze_panes = "D2"
    last = FIRST_ROW + len(rubric.criteria) - 1
    for i, r in enumerate(rubric.criteria.itertuples()):
        row = FIRST_ROW + i
        for key, value in (("criterion", r.criterion), ("dimension", r.dimension), ("text", r.text)):
            locked_cell(ws[f"{COLUMNS[key]}{row}"], value)
        for key in ("score", "comment"):
            input_cell(ws[f"{COLUMNS[key]}{row}"])
    list_validation(
        ws,
        rubric.entries(),
        f"{COLUMNS['score']}{FIRST_ROW}:{COLUMNS['score']}{last}",
        title="Score",
        prompt=f"{rubric.scale_min}-{rubric.scale_max}" + (" or NA" if rubric.allows_na else ""),
    )
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # reviewers may widen columns and rows
    ws.protection.formatRows = False


def write_form(review: PeerReview, rubric: Rubric, reviewer: str, round: str, path: str | Path) -> Path:
    """Write one reviewer's form (atomically) and return its path.

    Raises :class:`~clusterix_lib.errors.ParameterError` if ``reviewer`` is not a reviewer of
    the review, or ``round`` is not a round the reviewer's role may submit.
    """
    role = review.reviewer_role(reviewer)
    if role is None:
        raise ParameterError(
            f"{reviewer!r} is not a reviewer of review {review.id}",
            hint=f"reviewers: {', '.join(review.reviewers['reviewer'])}",
        )
    if round not in ROUNDS or role not in ROUND_ROLES[round]:
        raise ParameterError(
            f"reviewer {reviewer} ({role}) does not submit the {round!r} round",
            hint="see clusterix_lib.peer_review.ROUND_ROLES",
        )
    wb = Workbook()
    _instructions(wb.active, review, rubric, reviewer, role, round)
    _rubric_sheet(wb.create_sheet(RUBRIC_SHEET), rubric)
    _scores_sheet(wb.create_sheet(SCORES_SHEET), rubric, round)
    write_meta(
        wb.create_sheet(META_SHEET),
        META_KEYS,
        {
            "form": FORM_KIND,
            "form_version": FORM_VERSION,
            "review": review.id,
            "reviewer": reviewer,
            "role": role,
            "round": round,
            "rubric": rubric.id,
            "rubric_version": rubric.version,
            "rubric_fingerprint": rubric.fingerprint(),
            "n_criteria": len(rubric.criteria),
            "clusterix_version": __version__,
        },
    )
    return save_form(wb, path, active=SCORES_SHEET)


def write_forms(
    review: PeerReview,
    out_dir: str | Path | None = None,
    *,
    rounds: list[str] | None = None,
    reviewers: list[str] | None = None,
) -> list[Path]:
    """Write the forms of :func:`form_plan` (optionally only some rounds or reviewers) into
    ``out_dir`` (default :func:`forms_dir`); returns their paths."""
    rubric = review.rubric()
    plan = form_plan(review, rounds)
    if reviewers:
        unknown = sorted(set(reviewers) - set(review.reviewers["reviewer"]))
        if unknown:
            raise ParameterError(
                f"{unknown[0]!r} is not a reviewer of review {review.id}",
                hint=f"reviewers: {', '.join(review.reviewers['reviewer'])}",
            )
        plan = plan[plan["reviewer"].isin(reviewers)]
    if plan.empty:
        raise ParameterError(
            f"no forms to write for review {review.id} with these options",
            hint="check --round and --reviewer against the review's reviewers and roles",
        )
    out = Path(out_dir) if out_dir else forms_dir(review.id)
    return [write_form(review, rubric, r.reviewer, r.round, out / r.file) for r in plan.itertuples()]
