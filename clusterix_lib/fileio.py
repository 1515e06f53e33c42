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
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(f"cannot read {what} {path}: {exc}", hint="save it as UTF-8 CSV") from exc
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataFileError(
            f"{what} lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"the header must name {', '.join(required)}",
        )
    for col in optional:
        if col not in table.columns:
            table[col] = ""
    return table.apply(lambda s: s.str.strip())
