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

import contextlib
import fcntl
import hashlib
import math
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clusterix_lib import paths
from clusterix_lib.errors import ParameterError
from clusterix_lib.fileio import atomic_write_text
from clusterix_lib.peer_review import ROUND_ROLES, ROUNDS, SCORE_COLUMNS, PeerReview, empty_scores, load_scores
from clusterix_lib.review_forms import COLUMNS, FIRST_ROW, FORM_KIND, META_KEYS, META_SHEET, SCORES_SHEET
from clusterix_lib.rubrics import Rubric

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
_NA_TEXT = {"na", "n/a", "n.a.", "not applicable"}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
    allowed = f"a whole number from {rubric.scale_min} to {rubric.scale_max}" + (" or NA" if rubric.allows_na else "")
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw)):
        raise ValueError(f"no score: enter {allowed}")
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a score; enter {allowed}")
    if isinstance(raw, str):
        text = raw.strip()
        if text.lower() in _NA_TEXT:
            if not rubric.allows_na:
                extra = (
                    f" (use {rubric.no_information} = '{rubric.anchors[rubric.no_information]}')"
                    if rubric.no_information is not None
                    else ""
                )
                raise ValueError(f"NA is not allowed in rubric {rubric.id}{extra}")
            return None, True
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"text in a score cell: {text!r} is not a score; enter {allowed}") from None
    elif isinstance(raw, (int, float)):
        number = float(raw)
    else:
        raise ValueError(f"{type(raw).__name__} in a score cell: {raw!r} is not a score; enter {allowed}")
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"score {raw!r} is not a whole number; enter {allowed}")
    value = int(number)
    if not rubric.scale_min <= value <= rubric.scale_max:
        raise ValueError(f"score {value} is outside the scale {rubric.scale_min}-{rubric.scale_max}")
    return value, False


@dataclass
class _FileRead:
    """What one input file gave: candidate rows (with their cells) and problems."""

    file: str
    sha256: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, sheet: str, cell: str, reason: str, **ctx: Any) -> None:
        self.problems.append({"file": self.file, "sheet": sheet, "cell": cell, "reason": reason, **ctx})


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


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _check_reviewer(
    fr: _FileRead, review: PeerReview, reviewer: str, rnd: str, sheet: str, cell: str, **ctx: Any
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
    fr: _FileRead,
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
    ctx = {"reviewer": reviewer, "round": rnd, "criterion": criterion, "value": _cell_text(raw)}
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


def _read_xlsx(fr: _FileRead, path: Path, review: PeerReview, rubric: Rubric, round: str | None) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        fr.reject("(none)", "A1", f"not a readable Excel workbook (.xlsx): {type(exc).__name__}")
        return
    if META_SHEET not in wb.sheetnames:
        fr.reject(
            META_SHEET,
            "A1",
            "not a clusterix review form: the hidden metadata sheet is missing (send scores without a form as CSV)",
        )
        return
    meta_ws = wb[META_SHEET]
    meta: dict[str, tuple[str, str]] = {}
    for row in range(1, len(META_KEYS) + 3):
        key = _cell_text(meta_ws.cell(row, 1).value)
        if key:
            meta[key] = (_cell_text(meta_ws.cell(row, 2).value), f"B{row}")

    def m(key: str) -> tuple[str, str]:
        return meta.get(key, ("", f"B{META_KEYS.index(key) + 1}"))

    if m("form")[0] != FORM_KIND:
        fr.reject(META_SHEET, m("form")[1], "not a clusterix review form (metadata edited?)")
        return
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
    data_rows = [
        r for r in range(FIRST_ROW, last + 1) if any(_cell_text(ws[f"{c}{r}"].value) for c in COLUMNS.values())
    ]
    if not data_rows:
        fr.reject(SCORES_SHEET, f"A{FIRST_ROW}", "empty form: no criterion rows", reviewer=reviewer, round=rnd)
        return
    seen: dict[tuple[str, str, str], str] = {}
    for r in data_rows:
        cid = _cell_text(ws[f"{COLUMNS['criterion']}{r}"].value)
        i = r - FIRST_ROW
        ctx = {"reviewer": reviewer, "round": rnd, "criterion": cid}
        if i < n:  # locked cells must read as the rubric says
            expected = crit.iloc[i]
            edited = [
                (k, expected[k2])
                for k, k2 in (("criterion", "criterion"), ("dimension", "dimension"), ("text", "text"))
                if " ".join(_cell_text(ws[f"{COLUMNS[k]}{r}"].value).split()) != expected[k2]
            ]
            if edited:
                k, want = edited[0]
                got = _cell_text(ws[f"{COLUMNS[k]}{r}"].value)
                fr.reject(
                    SCORES_SHEET,
                    f"{COLUMNS[k]}{r}",
                    f"locked cell edited: reads {_clip(got)!r}, the rubric says {_clip(want)!r}",
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
            comment=_cell_text(ws[f"{COLUMNS['comment']}{r}"].value),
            sheet=SCORES_SHEET,
            score_cell=f"{COLUMNS['score']}{r}",
            crit_cell=f"{COLUMNS['criterion']}{r}",
        )
    found = {_cell_text(ws[f"{COLUMNS['criterion']}{r}"].value) for r in data_rows}
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


def _read_csv(fr: _FileRead, path: Path, review: PeerReview, rubric: Rubric, round: str | None) -> None:
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
    rows = [{c: "" if r.get(c) is None else str(r.get(c)) for c in REJECTION_COLUMNS} for r in records]
    return pd.DataFrame(rows, columns=list(REJECTION_COLUMNS), dtype=object)


def read_score_file(
    path: str | Path, review: PeerReview, rubric: Rubric | None = None, *, round: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one returned form (``.xlsx``) or score table (``.csv``) without storing anything.

    Returns ``(rows, problems)``: the readable rows with the store's columns, and the problems
    with the columns of :data:`REJECTION_COLUMNS`.
    """
    path = Path(path)
    rubric = rubric or review.rubric()
    if round is not None and round not in ROUNDS:
        raise ParameterError(f"unknown round {round!r}", hint=f"use one of {', '.join(ROUNDS)}")
    if not path.is_file():
        raise ParameterError(f"file not found: {path}", hint="check the path of the returned form")
    fr = _FileRead(file=path.name, sha256=file_sha256(path))
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


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    """An exclusive lock for one store (a lock file in the temp folder, named by the store's path)."""
    name = hashlib.sha256(str(store.resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"clusterix-scores-{name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    """
    rubric = review.rubric()
    store = Path(store) if store else review.scores_path
    report_path = rejections_path(review.id) if report is None else (Path(report) if report else None)
    file_rows: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    reads = [(Path(f), *read_score_file(f, review, rubric, round=round)) for f in files]
    with _locked(store):
        current = load_scores(store)
        before = current.copy()
        accepted_parts: list[pd.DataFrame] = []
        for path, rows, problems in reads:
            sha = file_sha256(path)
            groups = sorted(set(zip(rows["reviewer"], rows["round"], strict=True)))
            info = {
                "file": path.name,
                "reviewers": ", ".join(sorted({g[0] for g in groups})),
                "rounds": ", ".join(sorted({g[1] for g in groups})),
                "accepted": 0,
            }
            if sha in set(current["source_sha256"]):
                file_rows.append(
                    {
                        **info,
                        "status": "unchanged",
                        "rejected": 0,
                        "message": "already ingested (same content): nothing changed",
                    }
                )
                continue
            if not problems.empty:
                rejected += problems.to_dict("records")
                rejected += _held_back(
                    rows,
                    f"held back: this file has {len(problems)} rejected row(s); fix them and ingest the file again",
                )
                file_rows.append(
                    {
                        **info,
                        "status": "rejected",
                        "rejected": len(problems) + len(rows),
                        "message": f"{len(problems)} problem(s), first: {problems.iloc[0]['sheet']}!"
                        f"{problems.iloc[0]['cell']}: {problems.iloc[0]['reason']}",
                    }
                )
                continue
            clash = []
            for reviewer, rnd in groups:
                mask = (current["reviewer"] == reviewer) & (current["round"] == rnd)
                if mask.any():
                    clash.append((reviewer, rnd, mask, sorted(set(current.loc[mask, "source_file"]))))
            if clash and not replace:
                reviewer, rnd, _, old = clash[0]
                msg = (
                    f"conflict: {reviewer} already has {rnd}-round scores from {', '.join(old)}; not merged "
                    "(use --replace if this file supersedes it)"
                )
                rejected += _held_back(
                    rows[rows["reviewer"].isin([c[0] for c in clash]) & rows["round"].isin([c[1] for c in clash])], msg
                )
                rejected += _held_back(
                    rows[~(rows["reviewer"].isin([c[0] for c in clash]) & rows["round"].isin([c[1] for c in clash]))],
                    "held back: another part of this file conflicts",
                )
                file_rows.append({**info, "status": "conflict", "rejected": len(rows), "message": msg})
                continue
            for _, _, mask, _ in clash:
                current = current[~mask.reindex(current.index, fill_value=False)]
            current = pd.concat([current, rows], ignore_index=True) if len(current) else rows.copy()
            accepted_parts.append(rows)
            note = f"replaced {len(clash)} earlier submission(s)" if clash else ""
            file_rows.append(
                {
                    **info,
                    "status": "accepted",
                    "accepted": len(rows),
                    "rejected": 0,
                    "message": note or f"{len(rows)} rows stored",
                }
            )
        if accepted_parts:
            write_scores(current, store, rubric)
        elif not before.equals(current):  # pragma: no cover - nothing accepted means nothing changed
            raise AssertionError("store changed without accepted rows")
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
