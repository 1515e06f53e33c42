"""The embedded default data: load the extracts in ``data/`` and describe them.

Reports read only these extracts, so they run on a machine without the raw public files and
without internet. :func:`snapshot_id` fingerprints the extracts; every report prints it.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from pathlib import Path

import pandas as pd

from clusterix_lib import extracts, paths
from clusterix_lib.errors import DataFileError, location
from clusterix_lib.fileio import row_failer

#: Columns of each table extract (a file lacking one is refused when read).
COLUMNS: dict[str, tuple[str, ...]] = {
    extracts.EMPLOYMENT_FILE: ("geo", "nace_r2", "year", "value", "flag", "nuts_conversion"),
    extracts.INDICATORS_FILE: ("indicator", "geo", "year", "value", "flag", "nuts_conversion"),
}
#: Numeric columns of the extracts: a cell that is not a number names its line.
_NUMERIC = ("year", "value")


def _path(name: str, data_dir: str | Path | None) -> Path:
    p = Path(data_dir or paths.data_dir()) / name
    if not p.is_file():
        raise DataFileError(f"data extract missing: {p}", hint=_restore_hint(name))
    return p


def _restore_hint(name: str) -> str:
    """What to do about a missing or damaged extract ``name`` of ``data/``."""
    return (
        f"restore the committed copy with `git checkout data/{name}` (in the clusterix repository), "
        "or rebuild the extracts with `clusterix data build` (`make data`)"
    )


@functools.lru_cache(maxsize=8)
def _read(path: Path, mtime: float) -> pd.DataFrame:
    """Read a table extract, checked: a damaged file, a missing column or a cell that is not a
    number raises :class:`~clusterix_lib.errors.DataFileError` naming the file (and line, column,
    value) and how to restore it. Cached by path and modification time."""
    try:
        table = pd.read_csv(
            path,
            dtype={"geo": str, "nace_r2": str, "flag": str, "indicator": str},
            keep_default_na=False,
            na_values={"value": [""]},
        )
    except (EOFError, zlib.error, OSError) as exc:  # gzip: truncated (EOFError), not gzip (BadGzipFile), corrupt
        raise DataFileError(
            f"data extract {path.name} is damaged (truncated or not a valid {''.join(path.suffixes)} file): {exc}",
            where=location(path),
            hint=_restore_hint(path.name),
        ) from exc
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(
            f"data extract {path.name} cannot be read as CSV: {exc}",
            where=location(path),
            hint=_restore_hint(path.name),
        ) from exc
    expected = COLUMNS.get(path.name, ())
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise DataFileError(
            f"data extract {path.name} lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"the header must name {', '.join(expected)}; {_restore_hint(path.name)}",
        )
    for col in (c for c in _NUMERIC if c in table.columns):
        if pd.api.types.is_numeric_dtype(table[col]):
            continue
        bad = table[col].notna() & pd.to_numeric(table[col], errors="coerce").isna()
        if bad.any():
            fail = row_failer(path, table)
            fail(int(bad.to_numpy().nonzero()[0][0]), col, f"{col} is not a number", _restore_hint(path.name))
        table[col] = pd.to_numeric(table[col])
    return table


def _load(name: str, data_dir) -> pd.DataFrame:
    p = _path(name, data_dir)
    return _read(p, p.stat().st_mtime).copy()


def employment(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Persons employed by NACE division, region (NUTS 2021) and year.

    Columns ``geo, nace_r2, year, value, flag, nuts_conversion``; ``value`` is NaN where
    Eurostat withheld the figure (``flag`` says why, ``c`` = confidential).
    """
    return _load(extracts.EMPLOYMENT_FILE, data_dir)


def indicators(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Innovation indicators and total employment: ``indicator, geo, year, value, flag, nuts_conversion``."""
    return _load(extracts.INDICATORS_FILE, data_dir)


def indicator_specs() -> pd.DataFrame:
    """Label, unit and Eurostat dataset of each indicator in :func:`indicators`."""
    specs = [*extracts.INNOVATION_INDICATORS, extracts.EMPLOYMENT_TOTAL]
    return pd.DataFrame(
        [
            {"indicator": s.id, "label": s.label, "unit": s.unit, "dataset_code": s.dataset, "kind": s.kind}
            for s in specs
        ]
    ).set_index("indicator")


def sources(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Provenance of each extract (publisher, dataset code, licence, retrieval date)."""
    return pd.read_csv(_path(extracts.SOURCES_FILE, data_dir), dtype=str, keep_default_na=False)


def geometry_path(data_dir: str | Path | None = None) -> Path:
    """The simplified NUTS 2021 polygons (GeoJSON, all levels)."""
    return _path(extracts.GEOMETRY_FILE, data_dir)


def snapshot_id(data_dir: str | Path | None = None) -> str:
    """A short fingerprint of the data extracts listed in ``sources.csv`` (first 12 hex of SHA-256).

    Two reports with the same snapshot id were built from identical data.
    """
    src = _path(extracts.SOURCES_FILE, data_dir)
    st = src.stat()
    files = _snapshot_files(str(src), st.st_mtime_ns, st.st_size)
    stamps = []
    for name in files:
        fst = _path(name, data_dir).stat()
        stamps.append((name, fst.st_mtime_ns, fst.st_size))
    return _snapshot_hash(str(Path(data_dir or paths.data_dir())), tuple(stamps))


@functools.lru_cache(maxsize=8)
def _snapshot_files(sources_path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    table = pd.read_csv(sources_path, dtype=str, keep_default_na=False)
    return (*sorted(set(table["file"])), extracts.SOURCES_FILE)


@functools.lru_cache(maxsize=8)
def _snapshot_hash(data_dir: str, stamps: tuple[tuple[str, int, int], ...]) -> str:
    """The hash itself, computed once per process while no file changed (a batch asks 240 times)."""
    h = hashlib.sha256()
    for name, _, _ in stamps:
        h.update(name.encode())
        h.update((Path(data_dir) / name).read_bytes())
    return h.hexdigest()[:12]


def report_sources(files: list[str], data_dir: str | Path | None = None) -> list[dict[str, str]]:
    """The sources behind the given extract files, one dict each (for a report footer).

    Keys: ``code``, ``title``, ``publisher``, ``licence``, ``url``, ``extracted``.
    """
    table = sources(data_dir)
    table = table[table["file"].isin(files)].drop_duplicates(["title"])
    return [
        {
            "code": r.dataset_code,
            "title": r.title,
            "publisher": r.publisher,
            "licence": r.licence,
            "url": r.url,
            "extracted": f"{r.retrieved} ({r.vintage})" if r.vintage else r.retrieved,
        }
        for r in table.itertuples()
    ]
