"""Read Eurostat data files (bulk TSV, SDMX-CSV) and download them by dataset code.

Every reader returns the same *tidy* frame: one row per observation, with

- one ``str`` column per dimension, named as in the file (lower-case), e.g. ``nace_r2``,
  ``indic_sb``, ``geo``;
- ``time`` (``str``): the period as published, e.g. ``"2014"``, ``"2014Q1"``, ``"2014-03"``;
- ``value`` (``float64``): NaN where Eurostat publishes ``:`` (missing or confidential);
- ``flag`` (``str``): Eurostat's flag letters, ``""`` when none, e.g. ``"c"``, ``"p"``, ``"bu"``.

Rows whose value is missing are kept (a confidential ``: c`` is information). Nothing is dropped
silently: a malformed file raises :class:`~clusterix_lib.errors.DataFileError` naming the file,
the line, the column and the offending value.

Flag letters (Eurostat): ``b`` break in series, ``c`` confidential, ``d`` definition differs,
``e`` estimated, ``f`` forecast, ``i`` see metadata, ``n`` not significant, ``p`` provisional,
``r`` revised, ``s`` Eurostat estimate, ``u`` low reliability, ``z`` not applicable.

The online functions use Eurostat's dissemination API (standard library only) and keep the
downloads in ``<cache>/eurostat/`` (see :func:`clusterix_lib.paths.cache_dir`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd
from tqdm import tqdm

from clusterix_lib._version import __version__
from clusterix_lib.errors import DataFileError, location
from clusterix_lib.fileio import atomic_write_bytes
from clusterix_lib.paths import cache_dir

__all__ = [
    "FLAG_MEANINGS",
    "flag_meaning",
    "DEFAULT_BASE_URL",
    "FLAG_LETTERS",
    "download_dataset",
    "fetch_dataset",
    "read_eurostat",
    "read_eurostat_tsv",
    "read_sdmx_csv",
]

#: Eurostat dissemination API (SDMX 2.1 data endpoint); ``CLUSTERIX_EUROSTAT_API`` overrides it.
DEFAULT_BASE_URL = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data"

#: The flag letters Eurostat uses; any other letter in a cell is an error.
FLAG_LETTERS = "bcdefinprsuz"

#: What each flag letter means, in Eurostat's words (shortened).
FLAG_MEANINGS: dict[str, str] = {
    "b": "break in time series",
    "c": "confidential",
    "d": "definition differs",
    "e": "estimated",
    "f": "forecast",
    "i": "see metadata",
    "n": "not significant",
    "p": "provisional",
    "r": "revised",
    "s": "Eurostat estimate",
    "u": "low reliability",
    "z": "not applicable",
}


def flag_meaning(flag: str) -> str:
    """Plain words for a cell's flag letters, in their order; ``""`` for no flag.

    >>> flag_meaning("bc"), flag_meaning(""), flag_meaning("c")
    ('break in time series, confidential', '', 'confidential')
    """
    text = "" if flag is None or flag != flag else str(flag)
    return ", ".join(FLAG_MEANINGS.get(letter, f"unknown flag '{letter}'") for letter in text if not letter.isspace())


Source = str | Path | IO[bytes] | IO[str]

_GZIP_MAGIC = b"\x1f\x8b"
_RESERVED = ("time", "value", "flag")
_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
# A TSV cell: a number or ':', then optionally spaces and a flag word, then optional spaces.
_CELL_RE = rf"^(?P<v>:|{_NUMBER})(?: +(?P<f>[^ ]*))? *\Z"
_NUMBER_RE = re.compile(rf"{_NUMBER}\Z")
_FLAGS_RE = re.compile(rf"[{FLAG_LETTERS}]*\Z")
_CODE_RE = re.compile(r"[a-z0-9_]+\Z")
_CELL_HINT = (
    "the cell must be a number optionally followed by a space and flag letters "
    "(e.g. '123', '4.0 bu'), or ':' for a missing value optionally followed by flags "
    f"(e.g. ': c'); Eurostat flag letters are {' '.join(FLAG_LETTERS)}"
)
_MISSING_HINT = (
    "run `clusterix data build`, or download it from Eurostat "
    "(clusterix_lib.eurostat.download_dataset('<dataset code>'))"
)
_SDMX_META = {"DATAFLOW", "LAST UPDATE", "STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION"}
# SDMX confidentiality status codes; all but F (free) mean the value is withheld.
_CONF_STATUS = {"": False, "F": False, "C": True, "D": True, "N": True, "S": True}
_FORMATS = {"tsv": ("TSV", ".tsv.gz"), "sdmx-csv": ("SDMX-CSV", ".sdmx.csv.gz")}


# --------------------------------------------------------------------------- public readers


def read_eurostat_tsv(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read a Eurostat TSV file (bulk download or dissemination API) into a tidy frame.

    Parameters
    ----------
    source
        Path of a ``.tsv`` or gzip-compressed file (gzip is recognised by its magic bytes,
        whatever the file name), or an open binary or text file object.
    name
        Name of the file in error messages (default: the path, or the object's ``name``).

    Returns
    -------
    pandas.DataFrame
        One ``str`` column per key dimension (the header's names, lower-case, e.g. ``nace_r2``,
        ``indic_sb``, ``geo``), then ``time`` (``str``), ``value`` (``float64``, NaN for ``:``)
        and ``flag`` (``str``, ``""`` when none). One row per series and period, in file order;
        missing values are kept.

    Raises
    ------
    DataFileError
        If the file is missing, empty, not gzip/UTF-8, has no ``\\`` in its header, a row with
        the wrong number of fields, a key with the wrong number of comma-separated parts, a
        repeated key, or a cell that is not ``number [flags]`` / ``: [flags]`` (unknown flag
        letters included). The message names the first bad line and counts the bad ones.

    Examples
    --------
    >>> import io
    >>> text = "nace_r2,indic_sb,geo\\\\time\\t2015 \\t2014 \\nB,V11210,AT12\\t171 \\t: c\\n"
    >>> read_eurostat_tsv(io.StringIO(text))  # doctest: +NORMALIZE_WHITESPACE
      nace_r2 indic_sb   geo  time  value flag
    0       B   V11210  AT12  2015  171.0
    1       B   V11210  AT12  2014    NaN    c
    """
    text, display = _load_text(source, name)
    return _parse_tsv(text, display)


def read_sdmx_csv(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read a Eurostat SDMX-CSV file (1.0, 2.0, or with labels) into the tidy frame.

    Handles SDMX-CSV 1.0 (``DATAFLOW, LAST UPDATE, freq, ..., TIME_PERIOD, OBS_VALUE,
    OBS_FLAG``), 2.0 (``STRUCTURE, STRUCTURE_ID, [ACTION,] ...``) and the variant with labels
    (header ``geo: Geopolitical entity (reporting)``, cells ``AT12: Niederösterreich``: the
    code before ``:`` is kept). The metadata columns are dropped; every column between them and
    ``OBS_VALUE`` except ``TIME_PERIOD`` is a dimension. ``OBS_VALUE`` empty or ``:`` is a
    missing value. ``OBS_FLAG`` gives the flag; a ``CONF_STATUS`` other than ``F`` (free) adds
    the letter ``c``, as Eurostat's TSV shows confidential cells. Other attribute columns are
    not read.

    Parameters
    ----------
    source
        Path of a ``.csv`` or gzip-compressed file, or an open binary or text file object.
    name
        Name of the file in error messages (default: the path, or the object's ``name``).

    Returns
    -------
    pandas.DataFrame
        Same shape as :func:`read_eurostat_tsv`: dimension columns (lower-case), ``time``,
        ``value``, ``flag``; rows in file order.

    Raises
    ------
    DataFileError
        Missing or empty file, no ``TIME_PERIOD``/``OBS_VALUE`` column, a row with the wrong
        number of fields, a non-numeric ``OBS_VALUE``, an unknown flag or ``CONF_STATUS``.

    Examples
    --------
    >>> import io
    >>> text = ("DATAFLOW,LAST UPDATE,freq,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\\n"
    ...         "ESTAT:X(1.0),01/01/24 23:00:00,A,AT12,2014,798.5,b\\n")
    >>> read_sdmx_csv(io.StringIO(text))
      freq   geo  time  value flag
    0    A  AT12  2014  798.5    b
    """
    text, display = _load_text(source, name)
    return _parse_sdmx_csv(text, display)


def read_eurostat(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read a Eurostat TSV or SDMX-CSV file, recognising the format from its first line.

    Parameters
    ----------
    source, name
        As for :func:`read_eurostat_tsv`.

    Returns
    -------
    pandas.DataFrame
        The tidy frame of :func:`read_eurostat_tsv` / :func:`read_sdmx_csv`.

    Examples
    --------
    >>> import io
    >>> text = "unit,geo\\\\time\\t2015 \\nTHS,AT12\\t798.5 \\n"
    >>> read_eurostat(io.StringIO(text))  # doctest: +NORMALIZE_WHITESPACE
      unit   geo  time  value flag
    0  THS  AT12  2015  798.5
    """
    text, display = _load_text(source, name)
    first = text.split("\n", 1)[0]
    if "\t" in first and "\\" in first.split("\t", 1)[0]:
        return _parse_tsv(text, display)
    if "OBS_VALUE" in first.upper():
        return _parse_sdmx_csv(text, display)
    if not text.strip():
        _parse_tsv(text, display)  # raises the "empty file" error
    raise DataFileError(
        "not a Eurostat TSV or SDMX-CSV file",
        where=location(display, line=1, value=_short(first)),
        hint="a Eurostat TSV starts with a key header such as 'nace_r2,indic_sb,geo\\time' "
        "followed by tab-separated periods; an SDMX-CSV header has TIME_PERIOD and OBS_VALUE "
        "columns",
    )


# --------------------------------------------------------------------------- online


def download_dataset(
    code: str,
    *,
    fmt: Literal["tsv", "sdmx-csv"] = "tsv",
    cache: Path | None = None,
    refresh: bool = False,
    base_url: str | None = None,
    timeout: float = 120,
) -> Path:
    """Download a Eurostat dataset into the cache (once) and return the cached file's path.

    The URL is ``{base_url}/{code}?format=TSV&compressed=true`` (or ``format=SDMX-CSV``).
    The file lands in ``{cache}/eurostat/{code}.tsv.gz`` (or ``.sdmx.csv.gz``), next to a
    sidecar ``{file}.json`` holding the URL, the download time (UTC, ISO 8601), the size and the
    SHA-256. The download is held in memory, checked (complete, gzip, parses as the format) and
    only then written atomically: a failed download never leaves a cache file behind, and a
    failed ``refresh`` keeps the previous file. A progress bar shows on a terminal.

    Parameters
    ----------
    code
        Eurostat dataset code, lower-case letters, digits and ``_``, e.g. ``"sbs_r_nuts06_r2"``.
        Checked before any request.
    fmt
        ``"tsv"`` (Eurostat TSV) or ``"sdmx-csv"``.
    cache
        Cache root (default :func:`clusterix_lib.paths.cache_dir`, i.e. ``CLUSTERIX_CACHE``).
    refresh
        Download again even if the file is cached. Without it a cached file is returned with no
        network access at all.
    base_url
        API endpoint (default: env var ``CLUSTERIX_EUROSTAT_API``, else :data:`DEFAULT_BASE_URL`).
    timeout
        Seconds to wait for the server (connection and each read).

    Returns
    -------
    pathlib.Path
        The cached gzip file.

    Raises
    ------
    DataFileError
        Bad code or format, dataset not found (HTTP 404), other HTTP errors, no connection,
        timeout, a download cut short, or content that does not parse.

    Examples
    --------
    A cached file is returned without touching the network:

    >>> import gzip, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> cached = root / "eurostat" / "demo_x.tsv.gz"
    >>> cached.parent.mkdir()
    >>> _ = cached.write_bytes(gzip.compress(b"geo\\\\time\\t2015 \\nAT12\\t1 \\n"))
    >>> download_dataset("demo_x", cache=root) == cached
    True
    """
    path, _ = _download(code, fmt, cache, refresh, base_url, timeout)
    return path


def fetch_dataset(
    code: str,
    *,
    fmt: Literal["tsv", "sdmx-csv"] = "tsv",
    cache: Path | None = None,
    refresh: bool = False,
    base_url: str | None = None,
    timeout: float = 120,
) -> pd.DataFrame:
    """Download a Eurostat dataset (see :func:`download_dataset`) and read it as a tidy frame.

    Parameters
    ----------
    code, fmt, cache, refresh, base_url, timeout
        As for :func:`download_dataset`.

    Returns
    -------
    pandas.DataFrame
        The tidy frame of :func:`read_eurostat_tsv` / :func:`read_sdmx_csv`.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "eurostat").mkdir()
    >>> _ = (root / "eurostat" / "demo_x.tsv.gz").write_bytes(
    ...     gzip.compress(b"unit,geo\\\\time\\t2015 \\nTHS,AT12\\t798.5 \\n"))
    >>> fetch_dataset("demo_x", cache=root)  # doctest: +NORMALIZE_WHITESPACE
      unit   geo  time  value flag
    0  THS  AT12  2015  798.5
    """
    path, frame = _download(code, fmt, cache, refresh, base_url, timeout)
    return frame if frame is not None else read_eurostat(path)


# --------------------------------------------------------------------------- loading


def _load_text(source: Source, name: str | None) -> tuple[str, str]:
    """Return the decoded text of ``source`` (gunzipped if needed) and its display name."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        display = name or str(path)
        if not path.is_file():
            raise DataFileError(
                "data file not found" if not path.exists() else "not a file",
                where=location(display),
                hint=_MISSING_HINT,
            )
        try:
            data: bytes | str = path.read_bytes()
        except OSError as exc:
            raise DataFileError(
                f"cannot read the data file: {exc.strerror or exc}",
                where=location(display),
                hint="check the file's permissions",
            ) from exc
    else:
        display = name or str(getattr(source, "name", None) or "<stream>")
        data = source.read()
    if isinstance(data, str):
        return data, display
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(
                f"corrupt or truncated gzip file ({exc})",
                where=location(display),
                hint="download the file again (download_dataset(code, refresh=True))",
            ) from exc
    try:
        return data.decode("utf-8-sig"), display
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFileError(
            "the file is not UTF-8 text",
            where=location(display, line=line, value=data[exc.start : exc.start + 8]),
            hint="Eurostat files are UTF-8 (or gzip-compressed UTF-8); is this the right file?",
        ) from exc


def _lines(text: str, display: str) -> list[str]:
    """Split into lines (LF or CRLF), without trailing blank lines; error if nothing is left."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataFileError(
            "the file is empty",
            where=location(display),
            hint="download it again; an interrupted download leaves an empty file",
        )
    return lines


def _count_per_line(text: str, char: str, nlines: int) -> np.ndarray:
    """How often the one-byte ``char`` occurs on each of the ``nlines`` lines of ``text``."""
    buf = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(buf == 10) + 1))
    assert len(starts) == nlines  # the caller joined exactly nlines lines with "\n"
    if len(buf) == 0:
        return np.zeros(nlines, dtype=np.int64)
    hits = (buf == ord(char)).astype(np.int64)
    counts = np.add.reduceat(hits, np.minimum(starts, len(buf) - 1))
    counts[starts >= len(buf)] = 0  # an empty last line
    return counts


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _str_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="str")


# --------------------------------------------------------------------------- TSV


def _parse_tsv_header(header: str, display: str) -> tuple[list[str], list[str]]:
    fields = header.split("\t")
    first = fields[0]
    if first.count("\\") != 1:
        raise DataFileError(
            "the header's first field must contain exactly one '\\' separating the key "
            "dimensions from the time dimension",
            where=location(display, line=1, column=first, value=_short(header)),
            hint="a Eurostat TSV starts like 'nace_r2,indic_sb,geo\\time<TAB>2015 <TAB>2014 ...'; "
            "for SDMX-CSV files use read_sdmx_csv",
        )
    key_part, _, time_part = first.partition("\\")
    dims = [d.strip().lower() for d in key_part.split(",")]
    periods = [p.strip() for p in fields[1:]]
    problem = None
    if any(not d for d in dims) or not time_part.strip():
        problem = "the header has an empty dimension name"
    elif len(set(dims)) != len(dims):
        problem = "the header names a dimension twice"
    elif set(dims) & set(_RESERVED):
        problem = f"a dimension is named {sorted(set(dims) & set(_RESERVED))[0]!r}, a reserved name"
    elif not periods:
        problem = "the header has no period columns"
    elif any(not p for p in periods):
        problem = "the header has an empty period column"
    elif len(set(periods)) != len(periods):
        dup = pd.Series(periods)[pd.Series(periods).duplicated()].iloc[0]
        problem = f"the header lists the period {dup!r} twice"
    if problem:
        raise DataFileError(
            problem,
            where=location(display, line=1, value=_short(header)),
            hint="the header must be 'dim1,dim2,...\\time' followed by distinct, tab-separated "
            "periods; fix the header or download the file again",
        )
    return dims, periods


def _parse_tsv(text: str, display: str) -> pd.DataFrame:
    lines = _lines(text, display)
    dims, periods = _parse_tsv_header(lines[0], display)
    body = lines[1:]
    n, nper, ndim = len(body), len(periods), len(dims)
    ncols = nper + 1
    if n == 0:
        return _empty_frame(dims)

    # 1. every row has the key plus one cell per period
    joined = "\n".join(body)
    nfields = _count_per_line(joined, "\t", n) + 1
    bad = nfields != ncols
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFileError(
            f"a row has {nfields[i]} tab-separated fields but the header has {ncols} "
            f"(key + {nper} periods); {int(bad.sum())} row(s) in the file have the wrong count, "
            "the first is shown",
            where=location(display, line=i + 2, value=_short(body[i])),
            hint="every row must hold the series key and one cell per period; the file may be "
            "cut or edited by hand: download it again",
        )
    flat = np.array(joined.replace("\n", "\t").split("\t"), dtype=object).reshape(n, ncols)
    keys = flat[:, 0]

    # 2. every key has one part per dimension, and no key repeats
    key_series = pd.Series(keys, dtype=object)
    nparts = _count_per_line("\n".join(keys), ",", n) + 1
    bad = nparts != ndim
    key_column = lines[0].split("\t", 1)[0]
    if bad.any():
        i = int(np.argmax(bad))
        raise DataFileError(
            f"a series key has {nparts[i]} comma-separated parts but the header names {ndim} "
            f"dimensions ({','.join(dims)}); {int(bad.sum())} key(s) in the file are wrong, "
            "the first is shown",
            where=location(display, line=i + 2, column=key_column, value=keys[i]),
            hint="each key must give one code per dimension of the header, separated by commas",
        )
    dup = key_series.duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        j = int(np.argmax(keys == keys[i]))
        raise DataFileError(
            f"the series key appears twice (first on line {j + 2}); {int(dup.sum())} repeated key(s) in the file",
            where=location(display, line=i + 2, column=key_column, value=keys[i]),
            hint="a Eurostat file has one row per series; remove the duplicate row or download the file again",
        )
    parts = np.array(",".join(keys).split(","), dtype=object).reshape(n, ndim)

    # 3. cells: parse each distinct cell text once
    cells = flat[:, 1:].ravel()
    codes, uniq = pd.factorize(cells)
    values_u, flags_u, reason_u = _parse_cells(uniq)
    bad_u = reason_u != ""
    if bad_u.any():
        bad = bad_u[codes]
        k = int(np.argmax(bad))
        raise DataFileError(
            f"malformed cell: {reason_u[codes[k]]}; {int(bad.sum())} malformed cell(s) in the file, the first is shown",
            where=location(display, line=k // nper + 2, column=periods[k % nper], value=cells[k]),
            hint=_CELL_HINT,
        )

    out: dict[str, object] = {}
    for j, dim in enumerate(dims):
        out[dim] = _str_array(np.repeat(parts[:, j], nper))
    out["time"] = _str_array(np.tile(np.array(periods, dtype=object), n))
    out["value"] = values_u[codes]
    out["flag"] = _str_array(flags_u[codes])
    return pd.DataFrame(out)


def _parse_cells(uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse distinct TSV cell texts into (values, flags, reasons); reason "" means valid."""
    m = len(uniq)
    parts = pd.Series(uniq, dtype=object).str.extract(_CELL_RE)
    tokens = parts["v"].to_numpy(dtype=object)
    flags = parts["f"].fillna("").to_numpy(dtype=object, copy=True)
    matched = ~pd.isna(tokens)
    reason = np.full(m, "", dtype=object)
    reason[~matched] = "not a number with optional flags, nor ':'"

    values = np.full(m, np.nan)
    is_num = matched & (tokens != ":")
    if is_num.any():
        values[is_num] = pd.to_numeric(pd.Series(tokens[is_num], dtype=object)).to_numpy(float)
    out_of_range = is_num & ~np.isfinite(values)
    reason[out_of_range] = "the number is out of the float range"
    values[out_of_range] = np.nan

    bad_flags = _bad_flags(flags) & matched
    reason[bad_flags & (reason == "")] = "unknown flag letter(s)"
    flags[reason != ""] = ""
    return values, flags, reason


def _bad_flags(flags: np.ndarray) -> np.ndarray:
    """Mask of flag strings holding a letter that is not a Eurostat flag."""
    codes, uniq = pd.factorize(flags)
    bad_u = np.array([_FLAGS_RE.match(f) is None for f in uniq], dtype=bool)  # few distinct
    return bad_u[codes] if len(codes) else np.zeros(0, dtype=bool)


def _empty_frame(dims: list[str]) -> pd.DataFrame:
    out: dict[str, object] = {d: _str_array(np.array([], dtype=object)) for d in [*dims, "time"]}
    out["value"] = np.array([], dtype=float)
    out["flag"] = _str_array(np.array([], dtype=object))
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- SDMX-CSV


def _parse_sdmx_csv(text: str, display: str) -> pd.DataFrame:
    lines = _lines(text, display)
    header_line = lines[0]
    raw_cols = next(csv.reader([header_line]))
    names = [c.split(":", 1)[0].strip() for c in raw_cols]
    labelled = [":" in c for c in raw_cols]
    upper = [c.upper() for c in names]
    if "OBS_VALUE" not in upper or "TIME_PERIOD" not in upper:
        raise DataFileError(
            "not an SDMX-CSV header: no TIME_PERIOD and OBS_VALUE columns",
            where=location(display, line=1, value=_short(header_line)),
            hint="an SDMX-CSV file starts with 'DATAFLOW,LAST UPDATE,...,TIME_PERIOD,OBS_VALUE,"
            "OBS_FLAG' (or 'STRUCTURE,STRUCTURE_ID,...'); for Eurostat TSV use read_eurostat_tsv",
        )
    if len(set(upper)) != len(upper):
        dup = pd.Series(upper)[pd.Series(upper).duplicated()].iloc[0]
        raise DataFileError(
            f"the header names the column {dup!r} twice",
            where=location(display, line=1, value=_short(header_line)),
            hint="fix the header or download the file again",
        )
    t_i, v_i = upper.index("TIME_PERIOD"), upper.index("OBS_VALUE")
    dim_i = [i for i in range(v_i) if i != t_i and upper[i] not in _SDMX_META]
    dims = [names[i].lower() for i in dim_i]
    if any(not d for d in dims) or set(dims) & set(_RESERVED) or len(set(dims)) != len(dims):
        raise DataFileError(
            "the header has an empty, repeated or reserved ('time', 'value', 'flag') dimension name",
            where=location(display, line=1, value=_short(header_line)),
            hint="fix the header or download the file again",
        )
    ncols = len(raw_cols)
    body = "\n".join(lines[1:])
    if len(lines) == 1:
        return _empty_frame(dims)

    # 1. field counts (vectorised when nothing is quoted, else through the csv module)
    if '"' not in body:
        nfields = _count_per_line(body, ",", len(lines) - 1) + 1
        bad_rows = np.flatnonzero(nfields != ncols)
        first_bad = (int(bad_rows[0]) + 2, int(nfields[bad_rows[0]])) if len(bad_rows) else None
        nbad = len(bad_rows)
    else:
        first_bad, nbad = None, 0
        reader = csv.reader(io.StringIO(body))
        for row in reader:
            if len(row) != ncols:
                nbad += 1
                if first_bad is None:
                    first_bad = (reader.line_num + 1, len(row))
    if first_bad is not None:
        line, got = first_bad
        raise DataFileError(
            f"a row has {got} comma-separated fields but the header has {ncols}; {nbad} row(s) "
            "in the file have the wrong count, the first is shown",
            where=location(display, line=line, value=_short(_text_line(lines, line))),
            hint="every row must have one field per header column; the file may be cut or "
            "edited by hand: download it again",
        )
    frame = pd.read_csv(
        io.StringIO(body),
        header=None,
        names=list(range(ncols)),
        dtype=object,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )
    if len(frame) != len(lines) - 1 and '"' not in body:  # pragma: no cover - defensive
        raise DataFileError(
            "the file has stray carriage returns or quotes",
            where=location(display),
            hint="download the file again",
        )

    def column(i: int) -> np.ndarray:
        values = frame[i].to_numpy(dtype=object)
        codes, uniq = pd.factorize(values)
        clean = pd.Series(uniq, dtype=object).str.strip()
        if labelled[i]:
            clean = clean.str.split(":", n=1).str[0].str.strip()
        return clean.to_numpy(dtype=object)[codes] if len(codes) else np.array([], dtype=object)

    # 2. values
    raw_values = frame[v_i].to_numpy(dtype=object)
    codes, uniq = pd.factorize(raw_values)
    stripped = pd.Series(uniq, dtype=object).str.strip()
    missing = stripped.isin(["", ":"]).to_numpy()
    numeric = np.array([_NUMBER_RE.match(s) is not None for s in stripped[~missing]], dtype=bool)
    values_u = np.full(len(uniq), np.nan)
    ok = np.zeros(len(uniq), dtype=bool)
    ok[missing] = True
    idx = np.flatnonzero(~missing)[numeric]
    if len(idx):
        values_u[idx] = pd.to_numeric(stripped.iloc[idx]).to_numpy(float)
    ok[idx] = np.isfinite(values_u[idx])
    if not ok.all():
        bad = ~ok[codes]
        k = int(np.argmax(bad))
        raise DataFileError(
            f"OBS_VALUE is not a number; {int(bad.sum())} bad value(s) in the file, the first is shown",
            where=location(display, line=k + 2, column=raw_cols[v_i], value=raw_values[k]),
            hint="OBS_VALUE must be a finite number, or empty (or ':') for a missing value; flags belong in OBS_FLAG",
        )
    values = values_u[codes]

    # 3. flags (OBS_FLAG, plus 'c' for a withheld CONF_STATUS)
    n = len(frame)
    if "OBS_FLAG" in upper:
        f_i = upper.index("OBS_FLAG")
        flags = column(f_i)
        bad = _bad_flags(flags)
        if bad.any():
            k = int(np.argmax(bad))
            raise DataFileError(
                f"unknown flag letter(s) in OBS_FLAG; {int(bad.sum())} bad flag(s) in the file, the first is shown",
                where=location(display, line=k + 2, column=raw_cols[f_i], value=frame[f_i][k]),
                hint=f"Eurostat flag letters are {' '.join(FLAG_LETTERS)}",
            )
    else:
        flags = np.full(n, "", dtype=object)
    if "CONF_STATUS" in upper:
        c_i = upper.index("CONF_STATUS")
        status = column(c_i)
        codes, uniq = pd.factorize(status)
        known = np.array([u.upper() in _CONF_STATUS for u in uniq], dtype=bool)
        if not known.all():
            bad = ~known[codes]
            k = int(np.argmax(bad))
            raise DataFileError(
                f"unknown CONF_STATUS; {int(bad.sum())} bad value(s) in the file, the first is shown",
                where=location(display, line=k + 2, column=raw_cols[c_i], value=frame[c_i][k]),
                hint="CONF_STATUS must be empty or one of F, C, D, N, S",
            )
        withheld_u = np.array([_CONF_STATUS[u.upper()] for u in uniq], dtype=bool)
        add_c = withheld_u[codes] if n else np.zeros(0, dtype=bool)
        if add_c.any():
            flags = flags.copy()
            fcodes, funiq = pd.factorize(flags[add_c])
            merged = np.array([f if "c" in f else "".join(sorted(f + "c")) for f in funiq], dtype=object)
            flags[add_c] = merged[fcodes]

    out: dict[str, object] = {}
    for dim, i in zip(dims, dim_i, strict=True):
        out[dim] = _str_array(column(i))
    out["time"] = _str_array(column(t_i))
    out["value"] = values
    out["flag"] = _str_array(flags)
    return pd.DataFrame(out)


def _text_line(lines: list[str], line: int) -> str:
    """The text of 1-based ``line`` (``""`` past the end); used for error messages."""
    return lines[line - 1] if 0 < line <= len(lines) else ""


# --------------------------------------------------------------------------- download


def _check_code(code: object) -> str:
    if not isinstance(code, str) or not _CODE_RE.match(code):
        suggestion = ""
        if isinstance(code, str) and _CODE_RE.match(code.strip().lower()):
            suggestion = f" (did you mean {code.strip().lower()!r}?)"
        raise DataFileError(
            f"invalid Eurostat dataset code {code!r}{suggestion}",
            where="parameter code",
            hint="a dataset code is lower-case letters, digits and '_', e.g. 'sbs_r_nuts06_r2'; "
            "copy it from the Eurostat data browser",
        )
    return code


def _download(
    code: str,
    fmt: str,
    cache: Path | None,
    refresh: bool,
    base_url: str | None,
    timeout: float,
) -> tuple[Path, pd.DataFrame | None]:
    code = _check_code(code)
    if fmt not in _FORMATS:
        raise DataFileError(
            f"unknown download format {fmt!r}",
            where="parameter fmt",
            hint="use 'tsv' or 'sdmx-csv'",
        )
    api_format, suffix = _FORMATS[fmt]
    target = Path(cache if cache is not None else cache_dir()) / "eurostat" / f"{code}{suffix}"
    if target.is_file() and not refresh:
        return target, None

    base = (base_url or os.environ.get("CLUSTERIX_EUROSTAT_API") or DEFAULT_BASE_URL).rstrip("/")
    url = f"{base}/{code}?format={api_format}&compressed=true"
    raw = _http_get(url, code, timeout)

    # verify before anything is written: gzip (compress it if the server sent plain text) ...
    if raw[:2] == _GZIP_MAGIC:
        try:
            text_bytes = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(
                f"the download of '{code}' is not a complete gzip file ({exc})",
                where=f"url {url}",
                hint="try again (the connection may have broken off)",
            ) from exc
    else:
        text_bytes = raw
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
            gz.write(raw)
        raw = buf.getvalue()
    # ... and parses as the requested format
    try:
        text = text_bytes.decode("utf-8-sig")
        frame = _parse_tsv(text, url) if fmt == "tsv" else _parse_sdmx_csv(text, url)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"Eurostat sent something that is not UTF-8 text for '{code}'",
            where=f"url {url}",
            hint="try again later, or download the file by hand from the Eurostat data browser",
        ) from exc
    except DataFileError as exc:
        raise DataFileError(
            f"the file downloaded for '{code}' is not a valid {api_format} file: {exc.what}",
            where=exc.where,
            hint="try again later, or download the file by hand from the Eurostat data browser",
        ) from exc

    atomic_write_bytes(target, raw)
    sidecar = {
        "code": code,
        "format": fmt,
        "url": url,
        "downloaded_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    atomic_write_bytes(
        target.with_name(target.name + ".json"),
        (json.dumps(sidecar, indent=2) + "\n").encode("utf-8"),
    )
    return target, frame


def _http_get(url: str, code: str, timeout: float) -> bytes:
    """GET ``url`` fully into memory; every failure becomes a :class:`DataFileError`."""
    host = urllib.parse.urlsplit(url).netloc or url
    request = urllib.request.Request(
        url, headers={"User-Agent": f"clusterix/{__version__}", "Accept-Encoding": "identity"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.strip().isdigit() else None
            chunks: list[bytes] = []
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=code,
                file=sys.stderr,
                leave=False,
                disable=not (total and sys.stderr.isatty()),
            ) as bar:
                while chunk := response.read(1 << 16):
                    chunks.append(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise DataFileError(
                f"dataset code '{code}' not found at Eurostat",
                where=f"url {url}, HTTP 404",
                hint="check the code on the Eurostat data browser (https://ec.europa.eu/eurostat/databrowser)",
            ) from exc
        raise DataFileError(
            f"Eurostat answered HTTP {exc.code} ({exc.reason}) for dataset '{code}'",
            where=f"url {url}",
            hint="try again later; if it persists, download the file from the Eurostat data browser",
        ) from exc
    except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            raise DataFileError(
                f"the download of '{code}' timed out after {timeout:g} s",
                where=f"url {url}",
                hint="try again, or pass a larger timeout=",
            ) from exc
        if isinstance(exc, urllib.error.URLError):
            raise DataFileError(
                f"no connection to {host} ({reason})",
                where=f"url {url}",
                hint="check the internet connection (or proxy); without internet use the files "
                "in data/ or set CLUSTERIX_SHARED to a folder of downloaded files",
            ) from exc
        raise DataFileError(
            f"the connection to {host} broke off during the download of '{code}' ({exc})",
            where=f"url {url}",
            hint="try again",
        ) from exc
    data = b"".join(chunks)
    if total is not None and len(data) != total:
        raise DataFileError(
            f"the download of '{code}' was cut off: received {len(data)} of {total} bytes",
            where=f"url {url}",
            hint="try again (the connection broke off)",
        )
    return data
