"""Read returned reviewer forms (.xlsx) and score tables (.csv) into a review's score store.

Rules
-----
- **Every row is accepted or listed.** A row that cannot be read goes to the rejection report
  with file, sheet, cell and reason: a score outside the scale, text in a score cell, an empty
  score, NA where the rubric has none, a criterion id not in the rubric, a criterion scored twice,
  a locked cell edited (criterion id, dimension or text differ from the rubric), a missing or
  unknown reviewer id, a round the reviewer's role does not submit.
- **A file is stored whole or not at all.** Whole-file problems (an empty or unreadable file, a
  workbook of another review or rubric version, a missing sheet or metadata) and any rejected
  row keep the whole file out; its readable rows are listed as "held back", so the reviewer
  fixes the file and sends it again.
- **Same file again changes nothing**: a file whose SHA-256 is already in the store is skipped.
- **No silent merge**: a second, different file for a (reviewer, round) that already has scores
  is a conflict, listed and not stored, unless ``replace=True`` (``--replace``) says the new file
  supersedes the old one.
- The store (``scores.csv``, columns :data:`~clusterix_lib.peer_review.SCORE_COLUMNS`) is
  rewritten atomically under a lock; rows already accepted are never lost.

CSV input has a header with ``reviewer, criterion, score`` and optionally ``review, round,
comment`` (one file may hold several reviewers); cells are named like spreadsheet cells
(``C4`` = third column, fourth line) on a sheet called ``(csv)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clusterix_lib import paths
from clusterix_lib.confidentiality import levels_by_text, text_columns
from clusterix_lib.errors import ParameterError
from clusterix_lib.fileio import atomic_write_text
from clusterix_lib.peer_review import ROUND_ROLES, ROUNDS, SCORE_COLUMNS, PeerReview, empty_scores, load_scores
from clusterix_lib.review_forms import COLUMNS, FIRST_ROW, FORM_KIND, META_KEYS, META_SHEET, SCORES_SHEET
from clusterix_lib.rubrics import Rubric
from clusterix_lib.workbooks import (
    FileRead,
    cell_text,
    clip,
    file_sha256,
    open_form,
    parse_rating,
    rejection_table,
    store_files,
)

__all__ = [
    "CSV_SHEET",
    "REJECTION_COLUMNS",
    "IngestResult",
    "file_sha256",
    "ingest",
    "parse_score",
    "read_score_file",
    "rejections_path",
    "write_scores",
]

#: Sheet name used in messages about CSV files.
CSV_SHEET = "(csv)"
#: Columns of the rejection report.
REJECTION_COLUMNS = ("file", "sheet", "cell", "reviewer", "round", "criterion", "value", "reason")


def rejections_path(review: str) -> Path:
    """Default rejection report: ``build/peer_review/<review>/rejections.csv``."""
    return paths.build_dir() / "peer_review" / review / "rejections.csv"


def parse_score(raw: Any, rubric: Rubric) -> tuple[int | None, bool]:
    """Read one score cell: ``(value, na)``, or :class:`ValueError` with the reason.

    Whole numbers on the scale are accepted as numbers or text (``3``, ``3.0``, ``"3"``);
    ``NA`` (also ``n/a``) where the rubric allows it.

    Examples
    --------
    >>> from clusterix_lib.rubrics import load_rubric
    >>> r = load_rubric("cluster_policy_maturity")
    >>> parse_score(4, r), parse_score(" 2 ", r), parse_score("na", r)
    ((4, False), (2, False), (None, True))
    >>> parse_score(7, r)
    Traceback (most recent call last):
    ...
    ValueError: score 7 is outside the scale 1-5
    >>> parse_score("three", r)
    Traceback (most recent call last):
    ...
    ValueError: text in a score cell: 'three' is not a score; enter a whole number from 1 to 5 or NA
    """
    refusal = f"NA is not allowed in rubric {rubric.id}" + (
        f" (use {rubric.no_information} = '{rubric.anchors[rubric.no_information]}')"
        if rubric.no_information is not None
        else ""
    )
    return parse_rating(
        raw, rubric.scale_min, rubric.scale_max, allows_na=rubric.allows_na, what="score", na_refusal=refusal
    )


@dataclass
class IngestResult:
    """Outcome of :func:`ingest`.

    ``files`` has one row per input file: ``file, status`` (``accepted``, ``unchanged``,
    ``rejected``, ``conflict``), ``reviewers, rounds, accepted, rejected, message``.
    ``rejections`` has the columns of :data:`REJECTION_COLUMNS`; ``accepted`` the rows added to
    the store; ``scores`` the whole store after ingestion.
    """

    files: pd.DataFrame
    accepted: pd.DataFrame
    rejections: pd.DataFrame
    scores: pd.DataFrame
    store: Path
    report: Path | None

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and there was no conflict."""
        return self.rejections.empty


def _check_reviewer(
    fr: FileRead, review: PeerReview, reviewer: str, rnd: str, sheet: str, cell: str, **ctx: Any
) -> bool:
    if not reviewer:
        fr.reject(sheet, cell, "missing reviewer id", round=rnd, **ctx)
        return False
    role = review.reviewer_role(reviewer)
    if role is None:
        fr.reject(
            sheet,
            cell,
            f"reviewer {reviewer!r} is not a reviewer of review {review.id} "
            f"(reviewers: {', '.join(review.reviewers['reviewer'])})",
            reviewer=reviewer,
            round=rnd,
            **ctx,
        )
        return False
    if rnd in ROUNDS and role not in ROUND_ROLES[rnd]:
        fr.reject(
            sheet,
            cell,
            f"reviewer {reviewer} is the {role}, who does not submit the {rnd} round",
            reviewer=reviewer,
            round=rnd,
            **ctx,
        )
        return False
    return True


def _add_row(
    fr: FileRead,
    rubric: Rubric,
    seen: dict[tuple[str, str, str], str],
    *,
    reviewer: str,
    rnd: str,
    criterion: str,
    raw: Any,
    comment: str,
    sheet: str,
    score_cell: str,
    crit_cell: str,
) -> None:
    ctx = {"reviewer": reviewer, "round": rnd, "criterion": criterion, "value": cell_text(raw)}
    if not criterion:
        fr.reject(sheet, crit_cell, "missing criterion id", **ctx)
        return
    if criterion not in set(rubric.criterion_ids):
        fr.reject(
            sheet, crit_cell, f"criterion {criterion!r} is not in rubric {rubric.id} version {rubric.version}", **ctx
        )
        return
    key = (reviewer, rnd, criterion)
    if key in seen:
        fr.reject(
            sheet,
            crit_cell,
            f"criterion {criterion} scored twice by {reviewer} in this file (first at {seen[key]})",
            **ctx,
        )
        return
    seen[key] = score_cell
    try:
        value, na = parse_score(raw, rubric)
    except ValueError as exc:
        fr.reject(sheet, score_cell, str(exc), **ctx)
        return
    fr.rows.append(
        {
            "round": rnd,
            "reviewer": reviewer,
            "criterion": criterion,
            "value": value,
            "na": na,
            "comment": comment,
            "source_cell": f"{sheet}!{score_cell}",
        }
    )


def _read_xlsx(fr: FileRead, path: Path, review: PeerReview, rubric: Rubric, round: str | None) -> None:
    opened = open_form(
        fr,
        path,
        kind=FORM_KIND,
        meta_sheet=META_SHEET,
        meta_keys=META_KEYS,
        other_hint=" (send scores without a form as CSV)",
    )
    if opened is None:
        return
    wb, meta = opened

    def m(key: str) -> tuple[str, str]:
        return meta[key]

    value, cell = m("review")
    if value != review.id:
        fr.reject(
            META_SHEET,
            cell,
            f"workbook from another review: it belongs to review {value or '(none)'!r}, not {review.id!r}",
            value=value,
        )
        return
    value, cell = m("rubric")
    version, vcell = m("rubric_version")
    if value != rubric.id or version != rubric.version:
        fr.reject(
            META_SHEET,
            vcell if value == rubric.id else cell,
            f"form made with rubric {value} version {version}; review {review.id} uses {rubric.id} "
            f"version {rubric.version}",
            value=f"{value} {version}",
        )
        return
    rnd, rcell = m("round")
    if rnd not in ROUNDS:
        fr.reject(META_SHEET, rcell, f"unknown round {rnd!r} in the form metadata", value=rnd)
        return
    if round is not None and rnd != round:
        fr.reject(
            META_SHEET,
            rcell,
            f"the form is for the {rnd} round, not the {round} round given on the command line",
            round=rnd,
            value=rnd,
        )
        return
    reviewer, cell = m("reviewer")
    if not _check_reviewer(fr, review, reviewer, rnd, META_SHEET, cell, value=reviewer):
        return
    if SCORES_SHEET not in wb.sheetnames:
        fr.reject(
            SCORES_SHEET, "A1", f"sheet {SCORES_SHEET!r} is missing (renamed or deleted?)", reviewer=reviewer, round=rnd
        )
        return
    ws = wb[SCORES_SHEET]
    last = ws.max_row
    crit = rubric.criteria.reset_index(drop=True)
    n = len(crit)
    data_rows = [r for r in range(FIRST_ROW, last + 1) if any(cell_text(ws[f"{c}{r}"].value) for c in COLUMNS.values())]
    if not data_rows:
        fr.reject(SCORES_SHEET, f"A{FIRST_ROW}", "empty form: no criterion rows", reviewer=reviewer, round=rnd)
        return
    seen: dict[tuple[str, str, str], str] = {}
    for r in data_rows:
        cid = cell_text(ws[f"{COLUMNS['criterion']}{r}"].value)
        i = r - FIRST_ROW
        ctx = {"reviewer": reviewer, "round": rnd, "criterion": cid}
        if i < n:  # locked cells must read as the rubric says
            expected = crit.iloc[i]
            edited = [
                (k, expected[k2])
                for k, k2 in (("criterion", "criterion"), ("dimension", "dimension"), ("text", "text"))
                if " ".join(cell_text(ws[f"{COLUMNS[k]}{r}"].value).split()) != expected[k2]
            ]
            if edited:
                k, want = edited[0]
                got = cell_text(ws[f"{COLUMNS[k]}{r}"].value)
                fr.reject(
                    SCORES_SHEET,
                    f"{COLUMNS[k]}{r}",
                    f"locked cell edited: reads {clip(got)!r}, the rubric says {clip(want)!r}",
                    value=got,
                    **{**ctx, "criterion": cid or expected["criterion"]},
                )
                continue
        elif cid in set(crit["criterion"]):
            fr.reject(
                SCORES_SHEET,
                f"{COLUMNS['criterion']}{r}",
                "locked sheet edited: row added below the criteria",
                value=cid,
                **ctx,
            )
            continue
        _add_row(
            fr,
            rubric,
            seen,
            reviewer=reviewer,
            rnd=rnd,
            criterion=cid,
            raw=ws[f"{COLUMNS['score']}{r}"].value,
            comment=cell_text(ws[f"{COLUMNS['comment']}{r}"].value),
            sheet=SCORES_SHEET,
            score_cell=f"{COLUMNS['score']}{r}",
            crit_cell=f"{COLUMNS['criterion']}{r}",
        )
    found = {cell_text(ws[f"{COLUMNS['criterion']}{r}"].value) for r in data_rows}
    for i, cid in enumerate(crit["criterion"]):
        if cid not in found:
            fr.reject(
                SCORES_SHEET,
                f"{COLUMNS['criterion']}{FIRST_ROW + i}",
                f"locked sheet edited: criterion {cid} is missing (rows deleted?)",
                reviewer=reviewer,
                round=rnd,
                criterion=cid,
            )


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _read_csv(fr: FileRead, path: Path, review: PeerReview, rubric: Rubric, round: str | None) -> None:
    sheet = CSV_SHEET
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        fr.reject(sheet, "A1", "empty file: no header and no rows")
        return
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        fr.reject(sheet, "A1", f"cannot read the CSV: {type(exc).__name__}: {str(exc)[:120]} (save it as UTF-8 CSV)")
        return
    table.columns = [str(c).strip().lower() for c in table.columns]
    col = {c: i for i, c in enumerate(table.columns)}
    missing = [c for c in ("reviewer", "criterion", "score") if c not in col]
    if missing:
        fr.reject(
            sheet,
            f"{_col_letter(len(col))}1" if col else "A1",
            f"the header lacks the column(s) {', '.join(missing)} (need reviewer, criterion, score; "
            "optional review, round, comment)",
        )
        return
    if "round" not in col and round is None:
        fr.reject(sheet, "A1", f"no round column and no --round given: say which round ({', '.join(ROUNDS)})")
        return
    if table.empty:
        fr.reject(sheet, "A2", "empty file: a header but no rows")
        return
    seen: dict[tuple[str, str, str], str] = {}
    for i, row in enumerate(table.to_dict("records")):
        line = i + 2

        def cell(name: str, line: int = line) -> str:
            return f"{_col_letter(col[name])}{line}"

        rnd = row.get("round", "").strip().lower() or (round or "")
        cid = row["criterion"].strip()
        ctx = {"criterion": cid, "round": rnd}
        if "review" in col and row["review"].strip() and row["review"].strip() != review.id:
            fr.reject(
                sheet,
                cell("review"),
                f"row from another review: {row['review'].strip()!r}, not {review.id!r}",
                value=row["review"],
                **ctx,
            )
            continue
        if rnd not in ROUNDS:
            fr.reject(
                sheet,
                cell("round") if "round" in col else "A1",
                f"unknown round {rnd!r}: use one of {', '.join(ROUNDS)}",
                value=rnd,
                criterion=cid,
            )
            continue
        if round is not None and rnd != round:
            fr.reject(sheet, cell("round"), f"round {rnd} differs from --round {round}", value=rnd, **ctx)
            continue
        reviewer = row["reviewer"].strip()
        if not _check_reviewer(fr, review, reviewer, rnd, sheet, cell("reviewer"), value=reviewer, criterion=cid):
            continue
        _add_row(
            fr,
            rubric,
            seen,
            reviewer=reviewer,
            rnd=rnd,
            criterion=cid,
            raw=row["score"],
            comment=row.get("comment", "").strip(),
            sheet=sheet,
            score_cell=cell("score"),
            crit_cell=cell("criterion"),
        )


def _rejection_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    return rejection_table(records, REJECTION_COLUMNS)


def read_score_file(
    path: str | Path,
    review: PeerReview,
    rubric: Rubric | None = None,
    *,
    round: str | None = None,
    text_level: str = "consortium",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one returned form (``.xlsx``) or score table (``.csv``) without storing anything.

    Returns ``(rows, problems)``: the readable rows with the store's columns, and the problems
    with the columns of :data:`REJECTION_COLUMNS`. Each row gets a ``confidentiality`` level:
    ``text_level`` (default ``consortium``) when it has a comment, ``public`` when it is a score
    alone (:func:`clusterix_lib.confidentiality.levels_by_text`; the rule of
    ``data/peer_reviews/README.md``).
    """
    path = Path(path)
    rubric = rubric or review.rubric()
    if round is not None and round not in ROUNDS:
        raise ParameterError(f"unknown round {round!r}", hint=f"use one of {', '.join(ROUNDS)}")
    if not path.is_file():
        raise ParameterError(f"file not found: {path}", hint="check the path of the returned form")
    fr = FileRead(file=path.name, sha256=file_sha256(path))
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        fr.reject(CSV_SHEET if suffix == ".csv" else "(none)", "A1", "empty file (0 bytes)")
    elif suffix in (".xlsx", ".xlsm"):
        _read_xlsx(fr, path, review, rubric, round)
    elif suffix in (".csv", ".txt"):
        _read_csv(fr, path, review, rubric, round)
    else:
        fr.reject("(none)", "A1", f"unsupported file type {suffix or '(none)'}: send the .xlsx form or a .csv")
    rows = pd.DataFrame(fr.rows, columns=["round", "reviewer", "criterion", "value", "na", "comment", "source_cell"])
    rows.insert(0, "review", review.id)
    rows["source_file"] = fr.file
    rows["source_sha256"] = fr.sha256
    rows["illustrative"] = False
    rows["confidentiality"] = levels_by_text(rows, text_columns("scores.csv") or (), with_text=text_level)
    rows["value"] = rows["value"].astype("Int64")
    rows["na"] = rows["na"].astype(bool)
    problems = _rejection_table(fr.problems)
    return rows[list(SCORE_COLUMNS)], problems


def write_scores(scores: pd.DataFrame, path: str | Path, rubric: Rubric | None = None) -> Path:
    """Write a score store atomically, sorted by round, reviewer and criterion (rubric order)."""
    s = scores.copy()
    s["_r"] = s["round"].map({r: i for i, r in enumerate(ROUNDS)})
    order = {c: i for i, c in enumerate(rubric.criterion_ids)} if rubric else {}
    s["_c"] = s["criterion"].map(order).fillna(len(order))
    s = s.sort_values(["_r", "reviewer", "_c", "criterion"], kind="stable")[list(SCORE_COLUMNS)]
    s["na"] = s["na"].map({True: "true", False: "false"})
    s["illustrative"] = s["illustrative"].map({True: "true", False: "false"})
    return atomic_write_text(path, s.to_csv(index=False, lineterminator="\n"))


def _held_back(rows: pd.DataFrame, reason: str) -> list[dict[str, Any]]:
    out = []
    for r in rows.itertuples():
        sheet, _, cell = r.source_cell.partition("!")
        out.append(
            {
                "file": r.source_file,
                "sheet": sheet,
                "cell": cell,
                "reviewer": r.reviewer,
                "round": r.round,
                "criterion": r.criterion,
                "value": "NA" if r.na else ("" if pd.isna(r.value) else str(r.value)),
                "reason": reason,
            }
        )
    return out


def ingest(
    review: PeerReview,
    files: Sequence[str | Path],
    *,
    round: str | None = None,
    store: str | Path | None = None,
    report: str | Path | None = None,
    replace: bool = False,
    text_level: str = "consortium",
) -> IngestResult:
    """Read ``files`` and add their rows to the review's score store (see the module rules).

    Parameters
    ----------
    review
        The review the files belong to.
    files
        Returned forms (``.xlsx``) and/or CSV score tables.
    round
        Expected round (``self``, ``independent``, ``consensus``); required for a CSV without a
        ``round`` column, checked against forms.
    store
        Score store (default ``<review folder>/scores.csv``).
    report
        Rejection report to write (default :func:`rejections_path`); always written, with only
        the header when nothing was rejected. ``False``-y empty string: no report.
    replace
        A new file for a (reviewer, round) that already has scores replaces them instead of
        being a conflict.
    text_level
        Confidentiality level of a new row with a comment (default ``consortium``); a score
        without a comment is ``public``. Rows already in the store keep their level.
    """
    rubric = review.rubric()
    store = Path(store) if store else review.scores_path
    report_path = rejections_path(review.id) if report is None else (Path(report) if report else None)
    reads = [(Path(f), *read_score_file(f, review, rubric, round=round, text_level=text_level)) for f in files]
    done = store_files(
        reads,
        store=store,
        load=load_scores,
        write=lambda scores, path: write_scores(scores, path, rubric),
        keys=("reviewer", "round"),
        held_back=_held_back,
        conflict=lambda key, old: (
            f"conflict: {key[0]} already has {key[1]}-round scores from {', '.join(old)}; not merged "
            "(use --replace if this file supersedes it)"
        ),
        describe=lambda rows: {
            "reviewers": ", ".join(sorted(set(rows["reviewer"]))),
            "rounds": ", ".join(sorted(set(rows["round"]))),
        },
        replace=replace,
    )
    file_rows, rejected, accepted_parts = done.files, done.rejected, done.accepted
    rejections = _rejection_table(rejected)
    if report_path is not None:
        atomic_write_text(report_path, rejections.to_csv(index=False, lineterminator="\n"))
    accepted = pd.concat(accepted_parts, ignore_index=True) if accepted_parts else empty_scores()
    files_table = pd.DataFrame(
        file_rows, columns=["file", "status", "reviewers", "rounds", "accepted", "rejected", "message"]
    )
    return IngestResult(
        files=files_table,
        accepted=accepted,
        rejections=rejections,
        scores=load_scores(store),
        store=store,
        report=report_path,
    )
