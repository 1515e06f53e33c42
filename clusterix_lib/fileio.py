"""File helpers: atomic writes, the reader of hand-kept CSV files and the errors naming their rows."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pandas as pd


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a" / "x.txt"
    >>> atomic_write_bytes(p, b"hello").read_bytes()
    b'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would (0666 minus umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding))


def write_csv_deterministic(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (gzip-compressed if ``path`` ends in ``.gz``), byte-reproducibly.

    The gzip header carries no timestamp or file name, so rebuilding the same table gives the
    same bytes -- the test that rebuilds the committed extracts relies on it.
    """
    path = Path(path)
    text = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    if path.suffix == ".gz":
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(text)
        text = buf.getvalue()
    return atomic_write_bytes(path, text)


def row_failer(
    path: str | Path, table: pd.DataFrame, *, first_line: int = 2
) -> Callable[[int, str, str, str], NoReturn]:
    """``fail(row, column, what, hint)`` for a loader's checks of ``table`` read from ``path``.

    It raises :class:`~clusterix_lib.errors.DataFileError` naming the file, the line (row 0 of
    the frame is line ``first_line``: line 1 is the header), the column and the cell's value.

    >>> t = pd.DataFrame({"year": ["2014", "20x5"]})
    >>> row_failer("a.csv", t)(1, "year", "not a year", "write four digits")
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: not a year (file a.csv, line 3, column 'year', value '20x5'). What to do: \
write four digits
    """
    from clusterix_lib.errors import DataFileError, location

    def fail(row: int, column: str, what: str, hint: str) -> NoReturn:
        raise DataFileError(
            what, where=location(path, line=row + first_line, column=column, value=table.at[row, column]), hint=hint
        )

    return fail


def read_text_csv(
    path: str | Path,
    required: list[str] | tuple[str, ...],
    *,
    what: str,
    optional: list[str] | tuple[str, ...] = (),
    hint: str | None = None,
) -> pd.DataFrame:
    """Read a hand-kept CSV (consortium records) as text, with the header checked.

    Every cell is read as stripped text (``NO`` stays Norway, ``012`` keeps its zero, an empty
    cell is ``""``); column names are stripped; ``optional`` columns absent from the file are
    added empty. A missing file, an unreadable one, or a header without a ``required`` column
    raises :class:`~clusterix_lib.errors.DataFileError` naming ``what``, the file and line 1.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("code , name\\n NO ,Norge\\n", encoding="utf-8")
    >>> read_text_csv(p, ["code"], what="the region list", optional=["note"]).to_dict("records")
    [{'code': 'NO', 'name': 'Norge', 'note': ''}]
    """
    from clusterix_lib.errors import DataFileError, location

    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"{what} not found: {path}", hint=hint or f"pass a CSV with the columns {', '.join(required)}"
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(
            f"{what} is empty: {path}", hint=f"restore it, or write a header with {', '.join(required)}"
        ) from exc
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(f"cannot read {what} {path}: {exc}", hint="save it as UTF-8 CSV") from exc
    table.columns = [str(c).strip() for c in table.columns]
    known = {c.lower(): c for c in (*required, *optional)}
    for col in table.columns:
        if col not in known.values() and col.lower() in known:
            raise DataFileError(
                f"{what}: column {col!r} should be named {known[col.lower()]!r}",
                where=location(path, line=1, column=col),
                hint="column names are case-sensitive: rename it in the header",
            )
    missing = [c for c in required if c not in table.columns]
    if missing:
        separator = next((sep for sep in (";", "\t", "|") if any(sep in str(c) for c in table.columns)), None)
        if separator is not None and len(table.columns) < len(required):
            hint = (
                f"the columns are separated by {'a tab' if separator == chr(9) else repr(separator)}, not by commas: "
                "save the file as 'CSV UTF-8 (comma delimited)'"
            )
        else:
            hint = f"the header must name {', '.join(required)}"
        raise DataFileError(f"{what} lacks the column(s) {', '.join(missing)}", where=location(path, line=1), hint=hint)
    for col in optional:
        if col not in table.columns:
            table[col] = ""
    table = table.apply(lambda s: s.str.strip())
    empty = (table == "").all(axis=1).to_numpy().nonzero()[0]
    if len(empty):
        raise DataFileError(
            f"{what} has a row without any value",
            where=location(path, line=int(empty[0]) + 2),
            hint="delete the empty row (a spreadsheet can save rows of only commas)",
        )
    return table


_PLAIN_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_GROUPED = r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?"  # 250,000 or 175 000 (a comma or space between thousands)
_DOT_GROUPED = r"[+-]?[1-9]\d{0,2}(\.\d{3})+"  # 175.000: thousands in much of Europe, but 175 in Python
_DECIMAL_COMMA = r"[+-]?\d+,\d{1,2}|[+-]?\d+,\d{4,}"  # 1,5 / 12,25: a decimal comma


def number_column(
    table: pd.DataFrame,
    column: str,
    fail: Callable[[int, str, str, str], NoReturn],
    *,
    whole: bool = False,
    lo: float | None = None,
    hi: float | None = None,
) -> pd.Series:
    """The numbers of a hand-kept text column; an empty cell is NaN.

    Accepted: plain numbers (``1234.5``, ``-3``, ``1e6``) and thousands separated by commas or
    spaces (``250,000``, ``175 000``). Refused, with the file, line, column and value named by
    ``fail`` (a :func:`row_failer`): anything else, and the two forms a spreadsheet in many
    European locales writes, which would otherwise be read as another number -- a dot between
    groups of three digits (``175.000``: 175 thousand, or 175?) and a decimal comma (``1,5``).
    ``whole``, ``lo`` and ``hi`` add a check of the range.

    >>> t = pd.DataFrame({"eur": ["250,000", "175 000", "", "12.5", "0.125"]})
    >>> number_column(t, "eur", row_failer("a.csv", t)).tolist()
    [250000.0, 175000.0, nan, 12.5, 0.125]
    >>> t = pd.DataFrame({"eur": ["175.000"]})
    >>> number_column(t, "eur", row_failer("a.csv", t))
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: eur: a dot between groups of three digits is ambiguous \
(file a.csv, line 2, column 'eur', value '175.000'). What to do: write 175000 for thousands, or 175.0 for a decimal
    """
    text = table[column].astype(str).str.strip()
    filled = text != ""
    grouped = text.str.fullmatch(_GROUPED)
    plain = text.str.fullmatch(_PLAIN_NUMBER)
    for pattern, what, hint in (
        (
            _DOT_GROUPED,
            "a dot between groups of three digits is ambiguous",
            "write {digits} for thousands, or {int_part}.0 for a decimal",
        ),
        (_DECIMAL_COMMA, "a decimal comma is not read as a decimal", "write {dot} (a dot before the decimals)"),
    ):
        odd = filled & text.str.fullmatch(pattern)
        if odd.any():
            row = int(odd.to_numpy().nonzero()[0][0])
            value = text.iloc[row]
            fail(
                row,
                column,
                f"{column}: {what}",
                hint.format(digits=value.replace(".", ""), int_part=value.split(".")[0], dot=value.replace(",", ".")),
            )
    values = pd.to_numeric(
        text.where(~grouped, text.str.replace(r"[, ]", "", regex=True)).where(filled), errors="coerce"
    )
    bad = filled & (values.isna() | ~(plain | grouped))
    scale = "a whole number" if whole else "a number"
    if lo is not None and hi is not None:
        scale += f" from {lo:g} to {hi:g}"
    elif lo is not None:
        scale += f" ≥ {lo:g}"
    if whole:
        bad |= filled & (values % 1 != 0)
    if lo is not None:
        bad |= filled & (values < lo)
    if hi is not None:
        bad |= filled & (values > hi)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        fail(row, column, f"{column} must be {scale}", f"write {scale} without units, or leave the cell empty")
    return values.astype(float)
