"""Excel forms sent out and read back: the machinery every kind of form shares.

A form is an openpyxl workbook whose fixed cells are locked (the sheets are protected), whose
answer cells are unlocked and restricted by data validation, and which carries a *very hidden*
``_meta`` sheet saying which form it is (kind, event, respondent, versions). Peer-review scoring
forms (:mod:`clusterix_lib.review_forms`, :mod:`clusterix_lib.review_ingest`) and study-trip
feedback forms (:mod:`clusterix_lib.trip_forms`) are built and read with these helpers.

Reading back follows the same no-loss rules for every kind:

- every row of a returned file is either accepted or listed in a rejection report with file,
  sheet, cell and reason;
- a file is stored whole or not at all: one rejected row keeps the whole file out, and its
  readable rows are listed as "held back";
- a file whose SHA-256 is already in the store changes nothing;
- a second, different file for a submission key already in the store (the same reviewer and
  round, the same trip participant) is a conflict and is not merged, unless ``replace`` is set;
- the store is rewritten atomically, under a lock, so rows already accepted are never lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import math
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from clusterix_lib.fileio import atomic_write_bytes

__all__ = [
    "BOLD",
    "INPUT_FILL",
    "LOCKED_FILL",
    "WRAP",
    "FileRead",
    "StoreResult",
    "cell_text",
    "clip",
    "file_sha256",
    "input_cell",
    "list_validation",
    "locked",
    "locked_cell",
    "open_form",
    "parse_rating",
    "rejection_table",
    "save_form",
    "set_widths",
    "store_files",
    "write_key_values",
    "write_meta",
]

LOCKED_FILL = PatternFill("solid", fgColor="EEF1F5")
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
_NA_TEXT = {"na", "n/a", "n.a.", "not applicable"}


# --------------------------------------------------------------------------------------
# Writing forms
# --------------------------------------------------------------------------------------


def set_widths(ws, widths: Mapping[str, float]) -> None:
    """Set column widths, e.g. ``{"A": 10, "B": 60}``."""
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


def locked_cell(cell, value: Any) -> None:
    """Write a fixed (locked, grey) cell."""
    cell.value = value
    cell.alignment = WRAP
    cell.fill = LOCKED_FILL


def input_cell(cell, value: Any = None) -> None:
    """Make a cell an answer cell: unlocked, yellow, wrapped (optionally pre-filled)."""
    cell.value = value
    cell.protection = Protection(locked=False)
    cell.fill = INPUT_FILL
    cell.alignment = WRAP


def write_key_values(ws, rows: Iterable[tuple[str, Any]], *, widths: tuple[float, float] = (26, 100)) -> None:
    """An instructions sheet: bold keys in column A, wrapped text in B, the first row as a title;
    the sheet is protected."""
    set_widths(ws, {"A": widths[0], "B": widths[1]})
    for i, (k, v) in enumerate(rows, 1):
        ws.cell(i, 1, k).font = BOLD
        ws.cell(i, 2, v).alignment = WRAP
    ws["A1"].font = Font(bold=True, size=14)
    ws.protection.sheet = True


def write_meta(ws, keys: Sequence[str], values: Mapping[str, Any]) -> None:
    """The hidden metadata sheet: one key per row (column A) and its value (column B), very hidden
    (not even listed under Unhide in Excel) and protected."""
    for i, key in enumerate(keys, 1):
        ws.cell(i, 1, key)
        ws.cell(i, 2, str(values[key]))
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def list_validation(
    ws, entries: Sequence[str], cells: str, *, title: str, prompt: str, allow_blank: bool = True
) -> DataValidation:
    """Restrict ``cells`` (e.g. ``"D2:D10"``) to a drop-down list of ``entries``; anything else
    is refused by Excel with a message listing them."""
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(entries) + '"',
        allow_blank=allow_blank,
        showErrorMessage=True,
        errorTitle="Not allowed here",
        error=f"Enter one of {', '.join(entries)}.",
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
    )
    ws.add_data_validation(dv)
    dv.add(cells)
    return dv


def save_form(wb, path: str | Path, *, active: str) -> Path:
    """Lock the workbook structure (no sheet added, renamed or unhidden), make ``active`` the
    sheet it opens on, and write it atomically."""
    wb.active = wb.sheetnames.index(active)
    wb.security = WorkbookProtection(lockStructure=True)
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


# --------------------------------------------------------------------------------------
# Reading returned forms
# --------------------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cell_text(value: Any) -> str:
    """A cell's value as trimmed text; whole floats without ``.0``; empty for None.

    >>> cell_text(3.0), cell_text(None), cell_text("  a ")
    ('3', '', 'a')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def clip(text: str, width: int = 60) -> str:
    """Collapse white space and shorten to ``width`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class FileRead:
    """What one returned file gave: candidate rows and the problems found (with their cells)."""

    file: str
    sha256: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, sheet: str, cell: str, reason: str, **ctx: Any) -> None:
        self.problems.append({"file": self.file, "sheet": sheet, "cell": cell, "reason": reason, **ctx})


def open_form(
    fr: FileRead, path: Path, *, kind: str, meta_sheet: str, meta_keys: Sequence[str], other_hint: str = ""
) -> tuple[Any, dict[str, tuple[str, str]]] | None:
    """Open a returned form and read its metadata: ``(workbook, {key: (value, cell)})``.

    Records a problem in ``fr`` and returns None when the file is not a readable workbook, has no
    metadata sheet, or is not a form of this ``kind``. A key missing from the metadata reads as
    ``("", <its usual cell>)``.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        fr.reject("(none)", "A1", f"not a readable Excel workbook (.xlsx): {type(exc).__name__}")
        return None
    if meta_sheet not in wb.sheetnames:
        fr.reject(meta_sheet, "A1", f"not a {kind}: the hidden metadata sheet is missing{other_hint}")
        return None
    ws = wb[meta_sheet]
    found: dict[str, tuple[str, str]] = {}
    for row in range(1, len(meta_keys) + 3):
        key = cell_text(ws.cell(row, 1).value)
        if key:
            found[key] = (cell_text(ws.cell(row, 2).value), f"B{row}")
    meta = {k: found.get(k, ("", f"B{i + 1}")) for i, k in enumerate(meta_keys)}
    if meta[meta_keys[0]][0] != kind:
        fr.reject(meta_sheet, meta[meta_keys[0]][1], f"not a {kind} (metadata edited?)")
        return None
    return wb, meta


def parse_rating(
    raw: Any,
    lo: int,
    hi: int,
    *,
    allows_na: bool = False,
    what: str = "score",
    na_refusal: str | None = None,
) -> tuple[int | None, bool]:
    """Read one rating cell: ``(value, na)``, or :class:`ValueError` with the reason.

    Whole numbers from ``lo`` to ``hi`` are accepted as numbers or text (``3``, ``3.0``, ``"3"``),
    ``NA`` (also ``n/a``) where ``allows_na``; ``na_refusal`` is the message when NA is not allowed.

    Examples
    --------
    >>> parse_rating("4", 1, 5, what="rating")
    (4, False)
    >>> parse_rating(9, 1, 5, what="rating")
    Traceback (most recent call last):
    ...
    ValueError: rating 9 is outside the scale 1-5
    """
    allowed = f"a whole number from {lo} to {hi}" + (" or NA" if allows_na else "")
    if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw)):
        raise ValueError(f"no {what}: enter {allowed}")
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a {what}; enter {allowed}")
    if isinstance(raw, str):
        text = raw.strip()
        if text.lower() in _NA_TEXT:
            if not allows_na:
                raise ValueError(na_refusal or f"NA is not allowed here; enter {allowed}")
            return None, True
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"text in a {what} cell: {text!r} is not a {what}; enter {allowed}") from None
    elif isinstance(raw, (int, float)):
        number = float(raw)
    else:
        raise ValueError(f"{type(raw).__name__} in a {what} cell: {raw!r} is not a {what}; enter {allowed}")
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"{what} {raw!r} is not a whole number; enter {allowed}")
    value = int(number)
    if not lo <= value <= hi:
        raise ValueError(f"{what} {value} is outside the scale {lo}-{hi}")
    return value, False


def rejection_table(records: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Rejection records as a table of text columns (missing fields empty)."""
    rows = [{c: "" if r.get(c) is None else str(r.get(c)) for c in columns} for r in records]
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


@contextlib.contextmanager
def locked(store: Path) -> Iterator[None]:
    """An exclusive lock for one store (a lock file in the temp folder, named by the store's path)."""
    name = hashlib.sha256(str(Path(store).resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"clusterix-scores-{name}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class StoreResult:
    """What :func:`store_files` did: one dict per file (``file, status, accepted, rejected,
    message`` plus the ``describe`` fields), the accepted row tables, and the rejection records."""

    files: list[dict[str, Any]]
    accepted: list[pd.DataFrame]
    rejected: list[dict[str, Any]]


def store_files(
    reads: Sequence[tuple[Path, pd.DataFrame, pd.DataFrame]],
    *,
    store: Path,
    load: Callable[[Path], pd.DataFrame],
    write: Callable[[pd.DataFrame, Path], Any],
    keys: Sequence[str],
    held_back: Callable[[pd.DataFrame, str], list[dict[str, Any]]],
    conflict: Callable[[tuple, list[str]], str],
    describe: Callable[[pd.DataFrame], dict[str, Any]] | None = None,
    replace: bool = False,
) -> StoreResult:
    """Add the rows read from files to a store under the no-loss rules (module docstring).

    Parameters
    ----------
    reads
        ``(path, rows, problems)`` per file: the rows readable from it (with ``source_sha256``,
        ``source_file`` and the ``keys`` columns) and its problems (rejection records).
    store, load, write
        The store file, how to read it (an empty table with the columns when absent) and how to
        write it (atomically).
    keys
        Columns naming one submission; a second file for a key in the store is a conflict.
    held_back
        Rejection records for readable rows kept out, with the given reason.
    conflict
        The message for a conflict, from the key and the files that supplied it.
    describe
        Extra fields of a file's row in ``files`` (e.g. who submitted it).
    replace
        A new file for a key in the store replaces that key's rows instead of being a conflict.
    """
    files: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    accepted: list[pd.DataFrame] = []
    keys = list(keys)
    with locked(store):
        current = load(store)
        for path, rows, problems in reads:
            info = {"file": path.name, **(describe(rows) if describe else {}), "accepted": 0}
            if file_sha256(path) in set(current["source_sha256"]):
                files.append(
                    {
                        **info,
                        "status": "unchanged",
                        "rejected": 0,
                        "message": "already ingested (same content): nothing changed",
                    }
                )
                continue
            if not problems.empty:
                first = problems.iloc[0]
                rejected += problems.to_dict("records")
                rejected += held_back(
                    rows,
                    f"held back: this file has {len(problems)} rejected row(s); fix them and ingest the file again",
                )
                files.append(
                    {
                        **info,
                        "status": "rejected",
                        "rejected": len(problems) + len(rows),
                        "message": f"{len(problems)} problem(s), first: "
                        f"{first['sheet']}!{first['cell']}: {first['reason']}",
                    }
                )
                continue
            row_keys = pd.MultiIndex.from_frame(rows[keys].astype(str))
            cur_keys = pd.MultiIndex.from_frame(current[keys].astype(str))
            clash = sorted(set(row_keys) & set(cur_keys))
            if clash and not replace:
                old = sorted(set(current.loc[cur_keys.isin([clash[0]]), "source_file"]))
                msg = conflict(clash[0], old)
                in_clash = row_keys.isin(clash)
                rejected += held_back(rows[in_clash], msg)
                rejected += held_back(rows[~in_clash], "held back: another part of this file conflicts")
                files.append({**info, "status": "conflict", "rejected": len(rows), "message": msg})
                continue
            current = current[~cur_keys.isin(clash)]
            current = pd.concat([current, rows], ignore_index=True) if len(current) else rows.copy()
            accepted.append(rows)
            note = f"replaced {len(clash)} earlier submission(s)" if clash else f"{len(rows)} rows stored"
            files.append({**info, "status": "accepted", "accepted": len(rows), "rejected": 0, "message": note})
        if accepted:
            write(current, store)
    return StoreResult(files=files, accepted=accepted, rejected=rejected)


def print_rejections(rejections: pd.DataFrame, report: Path | str, *, show: int = 20, what: str = "row(s)") -> int:
    """Tell a command-line user which entries an ingestion did not store; returns exit status 1.

    Prints, on standard error, the count and the rejection report's path, then up to ``show``
    entries as ``file sheet!cell: reason``.
    """
    import sys

    n = len(rejections)
    print(f"{n} {what} not stored; rejection report: {report}", file=sys.stderr)
    for r in rejections.head(show).itertuples():
        print(f"  {r.file} {r.sheet}!{r.cell}: {r.reason}", file=sys.stderr)
    if n > show:
        print(f"  ... and {n - show} more in the report", file=sys.stderr)
    return 1
