"""NUTS region codes: levels, names, versions, and conversion of data between NUTS versions.

NUTS (Nomenclature of Territorial Units for Statistics) codes are two letters for the country
followed by one character per level: ``AT`` (country, level 0), ``AT1`` (NUTS 1), ``AT12``
(NUTS 2), ``AT123`` (NUTS 3). The country letters are the NUTS country codes, not ISO 3166:
Greece is ``EL`` (``GR`` in NUTS 2006) and the United Kingdom ``UK``.

The classification is revised every few years (versions 2006, 2010, 2013, 2016, 2021, 2024).
Eurostat publishes each reference year in the codes current at the time, so one table can hold
``FR71`` (Rhône-Alpes, NUTS 2013) next to ``FRK2`` (the same territory in NUTS 2016+). This
module converts such data to one version with the JRC population-weighted crosswalk.

Two reduced tables, built from the public raw files by :func:`build_regions_table` and
:func:`build_crosswalk_table` (``clusterix data build``), are committed in ``data/``:

``nuts_regions.csv``
    ``code, level, country, name, name_native, versions, in_2021`` -- every code of every
    version 2006-2024 plus the country codes, with the NUTS 2021 names.
``nuts_crosswalk_2021.csv.gz``
    ``from_version, from_code, to_code, level, pop21, share, kind`` -- for every older (and the
    2024) version, which NUTS 2021 regions each region's population lies in.

Functions taking ``regions=`` or ``crosswalk=`` use these committed tables when given ``None``.
Code arguments are stripped and upper-cased (``" at12"`` is read as ``AT12``), except in
:func:`is_valid_nuts_format`, which checks the exact string.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib import paths
from clusterix_lib.errors import ClusterixError, DataFileError, ParameterError, RegionError
from clusterix_lib.wording import listed

__all__ = [
    "NUTS_VERSIONS",
    "REGIONS_FILE",
    "CROSSWALK_FILE",
    "REGION_COLUMNS",
    "CROSSWALK_COLUMNS",
    "CONVERSION_COLUMN",
    "SLIVER_TOLERANCE",
    "NotConvertedFrame",
    "Territory",
    "build_regions_table",
    "build_crosswalk_table",
    "crosswalk_slivers",
    "load_regions",
    "load_crosswalk",
    "nuts_level",
    "is_valid_nuts_format",
    "validate_region",
    "name_or_code",
    "region_label",
    "region_name",
    "parent",
    "children",
    "country_of",
    "convert_nuts_version",
    "harmonise_mixed_versions",
    "statistical_territory",
    "estimation_groups",
    "group_key",
]

#: NUTS versions covered by the raw code list and crosswalk.
NUTS_VERSIONS: tuple[int, ...] = (2006, 2010, 2013, 2016, 2021, 2024)
#: File names of the committed extracts in ``data/``.
REGIONS_FILE = "nuts_regions.csv"
CROSSWALK_FILE = "nuts_crosswalk_2021.csv.gz"
REGION_COLUMNS: tuple[str, ...] = (
    "code",
    "level",
    "country",
    "name",
    "name_native",
    "versions",
    "in_2021",
)
CROSSWALK_COLUMNS: tuple[str, ...] = (
    "from_version",
    "from_code",
    "to_code",
    "level",
    "pop21",
    "share",
    "kind",
)
#: Column added by the conversion functions: ``identical``, ``recoded``, ``aggregated`` (sum of
#: whole source regions: exact) or ``estimated`` (part of a source region apportioned by population).
CONVERSION_COLUMN = "nuts_conversion"
#: A crosswalk piece holding less than this fraction of its source region's population *and*
#: less than this fraction of its target region's population is a sliver (see
#: :func:`build_crosswalk_table`).
SLIVER_TOLERANCE = 1e-3

_CODE_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
_EXTRA_REGIO = r"^[A-Z]{2}Z{1,3}$"  # FRZ, FRZZ, FRZZZ
_NOT_REGIONALISED = r"^[A-Z]{2}X{1,3}$"  # Eurostat's DEX, DEXX, DEXXX
_AGGREGATE = r"^(EU|EA|EEA|EFTA)\d"  # EU27_2020, EA19, EU28 ...
_DEFAULT_TO_VERSION = 2021
_BUILD_HINT = "run `clusterix data build` (it needs the raw public files in ../shared/data)"

Method = Literal[
    "as is",
    "sum of NUTS 1 regions",
    "sum of NUTS 2 regions",
    "sum of NUTS 3 regions",
    "parent region",
    "joint figures",
]


# --------------------------------------------------------------------------------------------
# Building the reduced extracts from the raw public files
# --------------------------------------------------------------------------------------------


def _require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataFileError(
            f"{what} lacks the column(s) {', '.join(missing)}",
            where=f"columns present: {', '.join(map(str, df.columns))}",
            hint="pass the table in the format described in the docstring",
        )


def build_regions_table(codes_all_versions: pd.DataFrame, names_2021: pd.DataFrame) -> pd.DataFrame:
    """The table of NUTS codes of every version, with the NUTS 2021 names.

    Parameters
    ----------
    codes_all_versions
        One row per code and version, columns ``code, version`` (the JRC list
        ``nuts_codes_all_versions_2006_2024.csv.gz``: levels 1-3, no country codes).
    names_2021
        The GISCO NUTS 2021 code list, columns ``NUTS_ID, NAME_LATN, NUTS_NAME``
        (``nuts2021_codes_names.csv``, levels 0-3).

    Returns
    -------
    DataFrame
        One row per code, sorted by code (so a country is followed by its regions), columns

        ``code`` (str), ``level`` (int 0-3, from the code's length), ``country`` (str, the
        two-letter prefix: NUTS country codes, so ``EL``/``UK``, and ``GR`` for the Greek codes
        of NUTS 2006), ``name`` (``NAME_LATN``) and ``name_native`` (``NUTS_NAME``), both empty
        for codes that do not exist in NUTS 2021 (e.g. ``FR71``), ``versions`` (the NUTS versions
        the code exists in, space-separated ascending, e.g. ``"2006 2010 2013"``), ``in_2021``
        (bool).

    Notes
    -----
    A code exists in a version if the JRC list has it for that version; every code of the GISCO
    2021 list also counts as NUTS 2021 (the JRC list lacks Liechtenstein in 2021 and the
    candidate countries AL, ME, MK, RS, TR). Country codes (level 0) are not in the JRC list:
    a country code exists in every version in which the JRC list has one of its regions, and in
    2021 if GISCO lists it. So ``AT`` gets all six versions, ``UK`` 2006-2021, ``TR`` only 2021,
    and ``GR`` (Greece in NUTS 2006, since replaced by ``EL``) only 2006.

    Examples
    --------
    >>> codes = pd.DataFrame({"code": ["FR71", "FRK2", "FRK2", "AT12", "AT12"],
    ...                       "version": [2013, 2016, 2021, 2013, 2021]})
    >>> names = pd.DataFrame({"NUTS_ID": ["AT", "AT12", "FRK2"], "LEVL_CODE": ["0", "2", "2"],
    ...                       "NAME_LATN": ["Österreich", "Niederösterreich", "Rhône-Alpes"],
    ...                       "NUTS_NAME": ["Österreich", "Niederösterreich", "Rhône-Alpes"]})
    >>> table = build_regions_table(codes, names)
    >>> table[["code", "level", "country", "name", "versions", "in_2021"]]
       code  level country              name        versions  in_2021
    0    AT      0      AT        Österreich       2013 2021     True
    1  AT12      2      AT  Niederösterreich       2013 2021     True
    2    FR      0      FR                    2013 2016 2021     True
    3  FR71      2      FR                              2013    False
    4  FRK2      2      FR       Rhône-Alpes       2016 2021     True
    """
    _require_columns(codes_all_versions, ("code", "version"), "the NUTS code list of all versions")
    _require_columns(names_2021, ("NUTS_ID", "NAME_LATN", "NUTS_NAME"), "the NUTS 2021 name list")
    codes = pd.DataFrame(
        {
            "code": codes_all_versions["code"].astype(str).str.strip(),
            "version": pd.to_numeric(codes_all_versions["version"], errors="raise").astype("int64"),
        }
    )
    names = pd.DataFrame(
        {
            "code": names_2021["NUTS_ID"].astype(str).str.strip(),
            "name": names_2021["NAME_LATN"].fillna("").astype(str).str.strip(),
            "name_native": names_2021["NUTS_NAME"].fillna("").astype(str).str.strip(),
        }
    )
    for what, col in (("NUTS code list", codes["code"]), ("NUTS 2021 name list", names["code"])):
        bad = col[~col.str.fullmatch(_CODE_RE.pattern)]
        if len(bad):
            raise DataFileError(
                f"the {what} holds {len(bad)} malformed code(s)",
                where=f"value {bad.iloc[0]!r}",
                hint="NUTS codes are two capital letters then up to three letters or digits",
            )
    if names["code"].duplicated().any():
        dup = names.loc[names["code"].duplicated(), "code"].iloc[0]
        raise DataFileError("the NUTS 2021 name list holds a code twice", where=f"value {dup!r}")
    versions_of_code = pd.concat(
        [
            codes,
            codes.assign(code=codes["code"].str[:2]),  # a country exists where its regions do
            pd.DataFrame({"code": names["code"], "version": _DEFAULT_TO_VERSION}),
        ],
        ignore_index=True,
    ).drop_duplicates()
    versions_of_code = versions_of_code.sort_values(["code", "version"], kind="stable")
    versions = (
        versions_of_code.assign(version=versions_of_code["version"].astype(str))
        .groupby("code", sort=True)["version"]
        .agg(" ".join)
    )
    table = versions.rename("versions").reset_index()
    table = table.merge(names, on="code", how="left", validate="one_to_one")
    out = pd.DataFrame(
        {
            "code": table["code"].astype(str),
            "level": (table["code"].str.len() - 2).astype("int64"),
            "country": table["code"].str[:2].astype(str),
            "name": table["name"].fillna("").astype(str),
            "name_native": table["name_native"].fillna("").astype(str),
            "versions": table["versions"].astype(str),
            "in_2021": table["versions"].str.split().map(lambda v: str(_DEFAULT_TO_VERSION) in v).astype(bool),
        }
    )
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def _crosswalk_pieces(crosswalk: pd.DataFrame, to_version: int, tolerance: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kept pieces (with renormalised ``share`` and ``kind``) and dropped slivers."""
    _require_columns(
        crosswalk,
        ("from_code", "to_code", "from_version", "to_version", "level", "pop21", "areaKm"),
        "the JRC NUTS crosswalk",
    )
    to_v = pd.to_numeric(crosswalk["to_version"], errors="raise").astype("int64")
    from_v = pd.to_numeric(crosswalk["from_version"], errors="raise").astype("int64")
    sel = crosswalk.loc[(to_v == to_version) & (from_v != to_version)]
    if sel.empty:
        raise DataFileError(
            f"the JRC NUTS crosswalk has no rows towards NUTS {to_version}",
            hint=f"use one of the versions {', '.join(map(str, NUTS_VERSIONS))}",
        )
    cw = pd.DataFrame(
        {
            "from_version": from_v.loc[sel.index].to_numpy(),
            "from_code": sel["from_code"].astype(str).str.strip().to_numpy(),
            "to_code": sel["to_code"].astype(str).str.strip().to_numpy(),
            "level": pd.to_numeric(sel["level"], errors="raise").astype("int64").to_numpy(),
            "pop21": pd.to_numeric(sel["pop21"], errors="raise").astype("float64").to_numpy(),
            "_area": pd.to_numeric(sel["areaKm"], errors="raise").astype("float64").to_numpy(),
        }
    )
    if cw.duplicated(["from_version", "from_code", "to_code"]).any():
        raise DataFileError("the JRC NUTS crosswalk holds a (from_version, from_code, to_code) piece twice")
    src = ["from_version", "from_code"]
    tgt = ["from_version", "to_code"]
    # Weight = 2021 population; an uninhabited source region (NO0B Svalbard og Jan Mayen) by area.
    src_pop = cw.groupby(src)["pop21"].transform("sum")
    cw["_w"] = np.where(src_pop > 0, cw["pop21"], cw["_area"])
    src_w = cw.groupby(src)["_w"].transform("sum")
    tgt_w = cw.groupby(tgt)["_w"].transform("sum")
    share_of_source = (cw["_w"] / src_w).fillna(1.0)
    share_of_target = (cw["_w"] / tgt_w).fillna(1.0)
    sliver = (share_of_source < tolerance) & (share_of_target < tolerance)
    dropped = cw.loc[sliver].assign(share_of_source=share_of_source[sliver], share_of_target=share_of_target[sliver])
    kept = cw.loc[~sliver].copy()
    kept["share"] = kept["_w"] / kept.groupby(src)["_w"].transform("sum")
    n_src = kept.groupby(src)["to_code"].transform("size")
    n_tgt = kept.groupby(tgt)["from_code"].transform("size")
    one_one = (n_src == 1) & (n_tgt == 1)
    kept["kind"] = np.select(
        [
            one_one & (kept["from_code"] == kept["to_code"]),
            one_one,
            (n_src > 1) & (n_tgt == 1),
            (n_src == 1) & (n_tgt > 1),
        ],
        ["identical", "recoded", "split", "merged"],
        default="boundary change",
    )
    kept["kind"] = kept["kind"].astype(str)
    order = ["from_version", "from_code", "to_code"]
    kept = kept.sort_values(order, kind="stable").reset_index(drop=True)
    dropped = dropped.sort_values(order, kind="stable").reset_index(drop=True)
    dropped = dropped[
        [
            "from_version",
            "from_code",
            "to_code",
            "level",
            "pop21",
            "share_of_source",
            "share_of_target",
        ]
    ]
    return kept[list(CROSSWALK_COLUMNS)], dropped


def build_crosswalk_table(
    crosswalk: pd.DataFrame,
    to_version: int = _DEFAULT_TO_VERSION,
    *,
    tolerance: float = SLIVER_TOLERANCE,
) -> pd.DataFrame:
    """Population shares from every other NUTS version to ``to_version`` (from the JRC table).

    Parameters
    ----------
    crosswalk
        The JRC NUTS converter table (``nuts_crosswalks_jrc_2006_2024.csv.gz``): one row per
        overlap of a source and a target region, columns ``from_code, to_code, from_version,
        to_version, level, areaKm, pop21`` (others ignored).
    to_version
        Target version; rows with ``to_version == to_version`` and ``from_version != to_version``
        are kept.
    tolerance
        Sliver threshold, see Notes.

    Returns
    -------
    DataFrame
        Sorted by ``from_version, from_code, to_code``; columns ``from_version`` (int),
        ``from_code``, ``to_code``, ``level`` (int 1-3), ``pop21`` (the JRC 2021 population of the
        piece), ``share`` (the piece's fraction of the source region's 2021 population, summing to
        1 over the kept pieces of a source) and ``kind``:

        ``identical``  same code, and the target receives nothing from other sources
        ``recoded``    one-to-one with a different code (``FR71`` -> ``FRK2``)
        ``split``      the source is shared among several targets; this target is all from it
        ``merged``     the source lies wholly in a target that also has other sources
        ``boundary change``  several sources and several targets (a border moved)

        ``attrs`` records ``to_version``, ``tolerance``, ``slivers_dropped`` (pieces dropped)
        and ``zero_population_slivers`` (those of them with no 2021 population).

    Notes
    -----
    The JRC overlaps are estimates on a 100 m population grid, so redrawn borders leave
    *slivers*: pieces that hold less than ``tolerance`` (0.1 %) of the source region's
    population **and** less than ``tolerance`` of the target region's. They are dropped and the
    shares of the source's remaining pieces renormalised, so that an unchanged region converts as
    ``identical`` (AT12 2006 -> 2021 has a 1 km² piece with nobody in it, in AT11) instead of
    making AT11 depend on AT12. Against the raw table 2006-2024 -> 2021 this drops 328 of 9,456
    pieces, 210 of them with a population of zero; the largest dropped piece holds 0.1 % of
    either region. A small piece that matters for either side is kept: the 1,308 people of
    Sappada that moved from Veneto (ITH3) to Friuli-Venezia Giulia (ITH4) are 0.03 % of ITH3 but
    0.11 % of ITH4, so ITH3 -> ITH4 stays a ``boundary change``. The only uninhabited source
    region (NO0B, Svalbard og Jan Mayen, NUTS 2024) is weighted by area.

    Examples
    --------
    >>> raw = pd.DataFrame({
    ...     "from_code": ["FR71", "HU10", "HU10", "AT12", "AT12", "AT11"],
    ...     "to_code": ["FRK2", "HU11", "HU12", "AT12", "AT11", "AT11"],
    ...     "from_version": 2013, "to_version": 2021, "level": 2.0,
    ...     "areaKm": [44961.6, 525.2, 6390.8, 19195.3, 1.0, 3961.8],
    ...     "pop21": [6738760.0, 1682078.0, 1332109.0, 1703170.0, 0.0, 296010.0]})
    >>> cw = build_crosswalk_table(raw)
    >>> cw[["from_code", "to_code", "share", "kind"]].round(4)
      from_code to_code   share       kind
    0      AT11    AT11  1.0000  identical
    1      AT12    AT12  1.0000  identical
    2      FR71    FRK2  1.0000    recoded
    3      HU10    HU11  0.5581      split
    4      HU10    HU12  0.4419      split
    >>> cw.attrs["slivers_dropped"], cw.attrs["zero_population_slivers"]
    (1, 1)
    """
    kept, dropped = _crosswalk_pieces(crosswalk, int(to_version), float(tolerance))
    kept.attrs = {
        "to_version": int(to_version),
        "tolerance": float(tolerance),
        "slivers_dropped": int(len(dropped)),
        "zero_population_slivers": int((dropped["pop21"] == 0).sum()),
    }
    return kept


def crosswalk_slivers(
    crosswalk: pd.DataFrame,
    to_version: int = _DEFAULT_TO_VERSION,
    *,
    tolerance: float = SLIVER_TOLERANCE,
) -> pd.DataFrame:
    """The pieces :func:`build_crosswalk_table` drops as slivers, for inspection.

    Columns ``from_version, from_code, to_code, level, pop21, share_of_source, share_of_target``.
    """
    return _crosswalk_pieces(crosswalk, int(to_version), float(tolerance))[1]


# --------------------------------------------------------------------------------------------
# Loading the committed extracts
# --------------------------------------------------------------------------------------------


def _file_key(path: str | Path | None, default_name: str, what: str) -> tuple[str, int, int]:
    p = Path(path) if path is not None else paths.data_dir() / default_name
    p = p.expanduser().resolve()
    if not p.is_file():
        raise DataFileError(
            f"{what} not found: {p}",
            where=str(p),
            hint=f"{_BUILD_HINT}, or restore it with `git checkout data/`",
        )
    st = p.stat()
    return str(p), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=8)
def _read_regions(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(f"cannot read the NUTS regions table: {exc}", where=path, hint=_BUILD_HINT) from exc
    _check_file_columns(table, REGION_COLUMNS, path)
    table = table[list(REGION_COLUMNS)].copy()
    table["level"] = table["level"].astype("int64")
    bad = ~table["in_2021"].isin(["True", "False"])
    if bad.any():
        raise DataFileError("in_2021 must be True or False", where=path, hint=_BUILD_HINT)
    table["in_2021"] = table["in_2021"] == "True"
    return table


@functools.lru_cache(maxsize=8)
def _read_crosswalk(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    try:
        table = pd.read_csv(
            path,
            dtype={"from_code": str, "to_code": str, "kind": str},
            keep_default_na=False,
            encoding="utf-8",
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(f"cannot read the NUTS crosswalk: {exc}", where=path, hint=_BUILD_HINT) from exc
    _check_file_columns(table, CROSSWALK_COLUMNS, path)
    table = table[list(CROSSWALK_COLUMNS)].copy()
    table = table.astype({"from_version": "int64", "level": "int64", "pop21": "float64", "share": "float64"})
    return table


def _check_file_columns(table: pd.DataFrame, columns: Iterable[str], path: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataFileError(f"the file lacks the column(s) {', '.join(missing)}", where=path, hint=_BUILD_HINT)


def load_regions(path: str | Path | None = None) -> pd.DataFrame:
    """The NUTS regions table (default ``data/nuts_regions.csv``); see :func:`build_regions_table`.

    The file is read once per path and modification time; each call returns a copy.
    A missing file raises :class:`~clusterix_lib.errors.DataFileError`.
    """
    return _read_regions(*_file_key(path, REGIONS_FILE, "NUTS regions table")).copy()


def load_crosswalk(path: str | Path | None = None) -> pd.DataFrame:
    """The NUTS -> 2021 crosswalk (default ``data/nuts_crosswalk_2021.csv.gz``); see
    :func:`build_crosswalk_table`. Cached like :func:`load_regions`."""
    return _read_crosswalk(*_file_key(path, CROSSWALK_FILE, "NUTS crosswalk")).copy()


def _default_regions() -> pd.DataFrame:
    return _read_regions(*_file_key(None, REGIONS_FILE, "NUTS regions table"))


def _default_crosswalk() -> pd.DataFrame:
    return _read_crosswalk(*_file_key(None, CROSSWALK_FILE, "NUTS crosswalk"))


@dataclass(frozen=True)
class _RegionIndex:
    codes: tuple[str, ...]
    names: dict[str, str]
    versions: dict[str, tuple[int, ...]]

    def exists(self, code: str, version: int) -> bool:
        return version in self.versions.get(code, ())

    def label(self, code: str) -> str:
        name = self.names.get(code, "")
        return f"{name} ({code})" if name else code

    def in_version(self, version: int) -> list[str]:
        return [c for c in self.codes if version in self.versions[c]]


def _build_index(regions: pd.DataFrame) -> _RegionIndex:
    _require_columns(regions, ("code", "versions"), "the NUTS regions table")
    codes = regions["code"].astype(str).tolist()
    names = regions["name"].fillna("").astype(str).tolist() if "name" in regions else [""] * len(codes)
    versions = [tuple(int(v) for v in str(s).split()) for s in regions["versions"].fillna("")]
    return _RegionIndex(tuple(codes), dict(zip(codes, names, strict=True)), dict(zip(codes, versions, strict=True)))


@functools.lru_cache(maxsize=4)
def _cached_index(path: str, mtime_ns: int, size: int) -> _RegionIndex:
    return _build_index(_read_regions(path, mtime_ns, size))


def _index(regions: pd.DataFrame | None) -> _RegionIndex:
    if regions is None:
        return _cached_index(*_file_key(None, REGIONS_FILE, "NUTS regions table"))
    return _build_index(regions)


# --------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------


def is_valid_nuts_format(code: object) -> bool:
    """True if ``code`` is shaped like a NUTS code: two capital letters, then up to three capital
    letters or digits. The exact string is checked (no stripping, no upper-casing).

    Examples
    --------
    >>> codes = ["AT", "AT12", "SE224", "at12", "A12", "EU27_2020", "AT1234"]
    >>> [is_valid_nuts_format(c) for c in codes]
    [True, True, True, False, False, False, False]
    """
    return isinstance(code, str) and bool(_CODE_RE.match(code))


def _normalise(code: object) -> str:
    """Strip and upper-case; RegionError if the result is not shaped like a NUTS code."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not _CODE_RE.match(text):
        raise _malformed(code)
    return text


def _malformed(code: object, index: _RegionIndex | None = None) -> RegionError:
    shown = code if isinstance(code, str) else repr(code)
    what = f"'{shown}' is not a NUTS code: two letters then up to three characters, e.g. AT12"
    hint = "write the code of the region (letters and digits, no spaces), e.g. AT12 or SE224"
    text = code.strip() if isinstance(code, str) else ""
    if re.match(_AGGREGATE, text.upper()):
        hint = f"{text} is an aggregate of countries, not a NUTS region; use a country or region code"
    elif index is not None and len(text) > 3:
        names = {name.lower(): c for c, name in index.names.items() if name}
        hits = [names[n] for n in difflib.get_close_matches(text.lower(), list(names), n=3, cutoff=0.7)]
        hits += [c for n, c in names.items() if text.lower() in n and c not in hits][: 3 - len(hits)]
        if hits:
            hint = "did you mean " + " or ".join(index.label(c) for c in hits) + "?"
    return RegionError(what, hint=hint)


def nuts_level(code: str) -> int:
    """The NUTS level (0 = country ... 3) from the code's length.

    Examples
    --------
    >>> [nuts_level(c) for c in ["BE", "BE2", "AT12", "SE224"]]
    [0, 1, 2, 3]
    """
    return len(_normalise(code)) - 2


def parent(code: str) -> str | None:
    """The region one level up (``AT12`` -> ``AT1``), or None for a country.

    Derived from the code alone (NUTS codes nest by construction).

    Examples
    --------
    >>> parent("SE224"), parent("SE2"), parent("SE")
    ('SE22', 'SE', None)
    """
    code = _normalise(code)
    return code[:-1] if len(code) > 2 else None


def country_of(code: str) -> str:
    """The NUTS country code (``EL`` for Greece, ``UK`` for the United Kingdom).

    Examples
    --------
    >>> country_of("el30"), country_of("UKI3")
    ('EL', 'UK')
    """
    return _normalise(code)[:2]


def _describe_versions(versions: Iterable[int]) -> str:
    vs = sorted(versions)
    text = f"a NUTS {vs[-1]} code"
    if len(vs) > 1:
        text += f" (also NUTS {', '.join(map(str, vs[:-1]))})"
    return text


def _became(
    code: str, from_version: int, crosswalk: pd.DataFrame, index: _RegionIndex, version: int
) -> tuple[str, list[str]]:
    """('in NUTS 2021 it is Rhône-Alpes (FRK2)', ['FRK2']) from the crosswalk, or ('', [])."""
    rows = crosswalk[(crosswalk["from_code"] == code) & (crosswalk["from_version"] == from_version)]
    if rows.empty:
        return "", []
    rows = rows.sort_values("share", ascending=False, kind="stable")
    targets = [str(t) for t in rows["to_code"]]
    if len(rows) == 1:
        verb = "is part of" if rows["kind"].iloc[0] in ("merged", "boundary change") else "is"
        return f"in NUTS {version} it {verb} {index.label(targets[0])}", targets
    parts = [f"{index.label(t)} {s:.0%}" for t, s in zip(targets, rows["share"], strict=True)]
    return f"in NUTS {version} its population lies in " + ", ".join(parts), targets


def validate_region(
    code: str,
    *,
    version: int = _DEFAULT_TO_VERSION,
    regions: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
) -> str:
    """Check that ``code`` is a NUTS code of ``version`` and return it normalised.

    Surrounding blanks are stripped and letters upper-cased, so ``" at12"`` is accepted as
    ``AT12``. Raises :class:`~clusterix_lib.errors.RegionError` for a malformed code, or for a
    code that does not exist in ``version``; the message then says in which versions it exists
    and, from the crosswalk (towards NUTS 2021 only), what it became, or lists close matches.

    Parameters
    ----------
    code
        The code to check.
    version
        The NUTS version the code must belong to.
    regions, crosswalk
        Tables as built by :func:`build_regions_table` / :func:`build_crosswalk_table`. With
        ``regions=None`` the committed extracts are used (the crosswalk only if it exists).
        When ``regions`` is given, the crosswalk is used only if given too; without it the
        message does not say what an old code became.

    Examples
    --------
    >>> regions = pd.DataFrame({"code": ["FR71", "FRK2", "AT12"],
    ...                         "name": ["", "Rhône-Alpes", "Niederösterreich"],
    ...                         "versions": ["2006 2010 2013", "2016 2021 2024", "2013 2016 2021"]})
    >>> cw = pd.DataFrame({"from_version": [2013], "from_code": ["FR71"], "to_code": ["FRK2"],
    ...                    "share": [1.0], "kind": ["recoded"]})
    >>> validate_region(" at12", regions=regions, crosswalk=cw)
    'AT12'
    >>> try:
    ...     validate_region("FR71", regions=regions, crosswalk=cw)
    ... except RegionError as exc:
    ...     print(exc.what)
    ...     print(exc.hint)  # doctest: +ELLIPSIS
    FR71 is not a NUTS 2021 code
    FR71 is a NUTS 2013 code (also NUTS 2006, 2010); in NUTS 2021 it is Rhône-Alpes (FRK2): use ...
    >>> validate_region("A12", regions=regions)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.RegionError: 'A12' is not a NUTS code: two letters then up to three
    characters, e.g. AT12. What to do: ...
    """
    version = _check_version(version, "version")
    index = _index(regions)
    if not (isinstance(code, str) and _CODE_RE.match(code.strip().upper())):
        raise _malformed(code, index)
    norm = code.strip().upper()
    if index.exists(norm, version):
        return norm
    known = index.versions.get(norm, ())
    if known:
        hint = f"{norm} is {_describe_versions(known)}"
        became, targets = "", []
        if crosswalk is not None or (regions is None and version == _DEFAULT_TO_VERSION):
            if crosswalk is None:
                try:
                    crosswalk = _default_crosswalk()
                except DataFileError:
                    crosswalk = None
            older = [v for v in known if v != version]
            if crosswalk is not None and older:
                became, targets = _became(norm, max(older), crosswalk, index, version)
        if became:
            use = " or ".join(targets)
            hint += f"; {became}: use {use}, or give the NUTS version the code belongs to"
        else:
            hint += f"; it does not exist in NUTS {version}: give the NUTS version the code belongs to"
        raise RegionError(f"{norm} is not a NUTS {version} code", hint=hint)
    known_now = index.in_version(version)
    same_level = [c for c in known_now if len(c) == len(norm)]
    same_country = [c for c in same_level if c[:2] == norm[:2]]
    candidates = same_country or same_level or known_now
    close = sorted(difflib.get_close_matches(norm, candidates, n=4, cutoff=0.5))
    hint = (
        "did you mean " + ", ".join(index.label(c) for c in close) + "?"
        if close
        else f"look the code up in {paths.data_dir() / REGIONS_FILE}"
    )
    raise RegionError(f"{norm} is not a NUTS {version} code", hint=hint)


def _check_version(version: object, name: str) -> int:
    try:
        v = int(version)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        v = -1
    if v not in NUTS_VERSIONS:
        raise ParameterError(
            f"unknown NUTS version {version!r}",
            where=f"parameter {name}",
            hint=f"use one of {', '.join(map(str, NUTS_VERSIONS))}",
        )
    return v


def region_name(code: str, *, regions: pd.DataFrame | None = None) -> str:
    """The NUTS 2021 name in Latin script (``NAME_LATN``).

    Codes that do not exist in NUTS 2021 (e.g. ``FR71``) have no name: the result is ``""``.
    An unknown code raises :class:`~clusterix_lib.errors.RegionError`.

    Examples
    --------
    >>> regions = pd.DataFrame({"code": ["SE224", "FR71"], "name": ["Skåne län", ""],
    ...                         "versions": ["2006 2010 2013 2016 2021 2024", "2006 2010 2013"]})
    >>> region_name("se224", regions=regions), region_name("FR71", regions=regions)
    ('Skåne län', '')
    """
    norm = _normalise(code)
    index = _index(regions)
    if norm not in index.versions:
        validate_region(norm, regions=regions)  # raises with close matches
    return index.names.get(norm, "")


def region_label(code: str, *, regions: pd.DataFrame | None = None) -> str:
    """``"Name (CODE)"`` for a region with a NUTS 2021 name, the code alone otherwise; never raises.

    >>> region_label("SE224"), region_label("HU10")
    ('Skåne län (SE224)', 'HU10')
    """
    return _index(regions).label(str(code))


def name_or_code(code: str, *, regions: pd.DataFrame | None = None) -> str:
    """The NUTS name of a code, or the code itself where NUTS has no name for it.

    For labels of partners that can lie outside NUTS (Bosnia and Herzegovina, ``BA``, in an
    Interreg project) or carry an older code; never raises.

    >>> name_or_code("SE224"), name_or_code("BA"), name_or_code("FR71")
    ('Skåne län', 'BA', 'FR71')

    A joint key of :func:`group_key` gives the names joined with " + ".
    """
    if "+" in code:
        return " + ".join(name_or_code(c, regions=regions) for c in code.split("+"))
    try:
        return region_name(code, regions=regions) or code
    except ClusterixError:
        return code


def children(
    code: str,
    level: int | None = None,
    version: int = _DEFAULT_TO_VERSION,
    *,
    regions: pd.DataFrame | None = None,
) -> list[str]:
    """The regions of ``version`` inside ``code`` at ``level`` (default: one level down), sorted.

    Examples
    --------
    >>> regions = pd.DataFrame({"code": ["FRK", "FRK1", "FRK2", "FR71", "FRK11"],
    ...                         "versions": ["2016 2021"] * 3 + ["2013", "2016 2021"]})
    >>> children("FRK", regions=regions), children("FR", level=2, version=2013, regions=regions)
    (['FRK1', 'FRK2'], ['FR71'])
    """
    norm = _normalise(code)
    version = _check_version(version, "version")
    own = len(norm) - 2
    level = own + 1 if level is None else int(level)
    if not own < level <= 3:
        raise ParameterError(
            f"no NUTS level {level} below {norm} (NUTS level {own})",
            where="parameter level",
            hint=f"use a level from {own + 1} to 3",
        )
    index = _index(regions)
    return sorted(c for c in index.codes if len(c) == level + 2 and c.startswith(norm) and version in index.versions[c])


# --------------------------------------------------------------------------------------------
# Converting data between versions
# --------------------------------------------------------------------------------------------


class NotConvertedFrame(pd.DataFrame):
    """The rows a conversion could not carry over, stored in ``result.attrs["not_converted"]``.

    A plain DataFrame in ``attrs`` makes ``pd.concat`` and ``merge`` of two converted frames
    fail (pandas compares the ``attrs`` of the inputs with ``==``, and a DataFrame comparison
    has no truth value). This subclass compares *as a whole*: ``a == b`` is a bool
    (``a.equals(b)``). Everything derived from it (selections, groupby results) is a plain
    DataFrame again, so use ``nc[cols] == x`` or ``nc["reason"] == x`` for element-wise
    comparisons.
    """

    @property
    def _constructor(self):
        return pd.DataFrame

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return isinstance(other, pd.DataFrame) and self.equals(other)

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict | None = None) -> NotConvertedFrame:
        return NotConvertedFrame(pd.DataFrame.copy(self, deep=True))


_ROW, _FV, _TO, _SHARE, _KIND, _SRCVER = "__row", "__fv", "__to", "__share", "__kind", "__srcver"
_INTERNAL = (_ROW, _FV, _TO, _SHARE, _KIND, _SRCVER)


def _conversion_tables(
    to_version: int,
    crosswalk: pd.DataFrame | None,
    regions: pd.DataFrame | None,
    *,
    need_regions: bool = False,
) -> tuple[pd.DataFrame, set[str], pd.DataFrame | None]:
    if crosswalk is None:
        if to_version != _DEFAULT_TO_VERSION:
            raise ParameterError(
                f"the committed crosswalk converts to NUTS {_DEFAULT_TO_VERSION}, not {to_version}",
                where="parameter to_version",
                hint=f"pass crosswalk=build_crosswalk_table(raw_jrc, to_version={to_version})",
            )
        crosswalk = _default_crosswalk()
        if regions is None:
            regions = _default_regions()
    if regions is None and need_regions:
        regions = _default_regions()
    _require_columns(crosswalk, ("from_version", "from_code", "to_code", "share", "kind"), "the NUTS crosswalk")
    cw = pd.DataFrame(
        {
            "from_version": pd.to_numeric(crosswalk["from_version"]).astype("int64"),
            "from_code": crosswalk["from_code"].astype(str),
            "to_code": crosswalk["to_code"].astype(str),
            "share": pd.to_numeric(crosswalk["share"]).astype("float64"),
            "kind": crosswalk["kind"].astype(str),
        }
    )
    valid = set(cw["to_code"])
    valid |= {c[:2] for c in valid} | {c[:2] for c in cw["from_code"]}  # their countries
    if regions is not None:
        index = _index(regions)
        valid |= set(index.in_version(to_version))
        valid |= {c for c in index.codes if len(c) == 2}  # country codes of any version
    return cw, valid, regions


def _from_versions(df: pd.DataFrame, from_version: int | str | pd.Series) -> np.ndarray:
    if isinstance(from_version, pd.Series):
        if not from_version.index.equals(df.index):
            raise ParameterError(
                "from_version is a Series whose index differs from the data's",
                where="parameter from_version",
                hint="pass a Series aligned with the rows of df, e.g. df['nuts_version']",
            )
        raw = from_version
    elif isinstance(from_version, str) and not from_version.strip().isdigit():
        if from_version not in df.columns:
            raise ParameterError(
                f"from_version {from_version!r} is neither a NUTS version nor a column",
                where="parameter from_version",
                hint=f"use one of {', '.join(map(str, NUTS_VERSIONS))} or a column holding them",
            )
        raw = df[from_version]
    else:
        return np.full(len(df), _check_version(from_version, "from_version"), dtype="int64")
    values = pd.to_numeric(raw, errors="coerce")
    bad = ~values.isin(NUTS_VERSIONS)
    if bad.any():
        raise ParameterError(
            f"unknown NUTS version {raw[bad].iloc[0]!r} in from_version ({int(bad.sum())} rows)",
            where="parameter from_version",
            hint=f"use one of {', '.join(map(str, NUTS_VERSIONS))}",
        )
    return values.astype("int64").to_numpy()


def _prepare(
    df: pd.DataFrame, geo: str, value: str, by: list[str] | None, kind: str
) -> tuple[pd.DataFrame, list[str], str | None, list[str]]:
    if kind not in ("count", "ratio"):
        raise ParameterError(f"unknown kind {kind!r}", where="parameter kind", hint="use 'count' or 'ratio'")
    missing = [c for c in (geo, value, *(by or [])) if c not in df.columns]
    if missing:
        raise ParameterError(
            f"the data lack the column(s) {', '.join(map(str, missing))}",
            hint=f"columns present: {', '.join(map(str, df.columns))}",
        )
    flag = "flag" if "flag" in df.columns and "flag" not in (geo, value) else None
    if by is None:
        by = [c for c in df.columns if c not in (geo, value, flag, CONVERSION_COLUMN)]
    else:
        by = [c for c in by if c not in (geo, value)]
    clash = [c for c in df.columns if c in _INTERNAL]
    if clash:
        raise ParameterError(f"column name(s) {clash} are reserved", hint="rename them")
    keep = [geo, *by, value] + ([flag] if flag else [])
    out_cols = [c for c in df.columns if c in keep] + [CONVERSION_COLUMN]
    work = df[keep].reset_index(drop=True)
    try:
        work[value] = work[value].astype("float64")
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"column {value!r} is not numeric: {exc}", where="parameter value") from exc
    work[geo] = work[geo].astype(str)
    dup = work.duplicated([*by, geo], keep=False)
    if dup.any():
        first = work.loc[dup].iloc[0]
        raise ParameterError(
            f"{int(dup.sum())} rows share their key ({', '.join([geo, *by])}), e.g. "
            + ", ".join(f"{c}={first[c]!r}" for c in [geo, *by]),
            where="parameter by",
            hint="name in by every column that distinguishes the rows, or aggregate duplicates",
        )
    work[_ROW] = np.arange(len(work), dtype="int64")
    return work, by, flag, out_cols


def _pieces(
    work: pd.DataFrame, geo: str, cw: pd.DataFrame, valid: set[str], to_version: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map each source row to its target pieces; returns (pieces, failed rows with reasons)."""
    codes = work[geo]
    fv = work[_FV]
    fmt_ok = codes.str.fullmatch(_CODE_RE.pattern).fillna(False).astype(bool)
    country = fmt_ok & (codes.str.len() == 2)
    regional = fmt_ok & ~country
    lookup = work.loc[regional & (fv != to_version), [_ROW, geo, _FV]]
    matched = lookup.merge(cw, left_on=[_FV, geo], right_on=["from_version", "from_code"], how="inner", sort=False)
    via_cw = pd.DataFrame(
        {
            _ROW: matched[_ROW].to_numpy(),
            _TO: matched["to_code"].to_numpy(),
            _SHARE: matched["share"].to_numpy(),
            _KIND: matched["kind"].to_numpy(),
            _SRCVER: matched[_FV].to_numpy(),
        }
    )
    in_cw = work[_ROW].isin(via_cw[_ROW])
    direct_mask = (country | (regional & ~in_cw)) & codes.isin(valid)
    direct = pd.DataFrame(
        {
            _ROW: work.loc[direct_mask, _ROW].to_numpy(),
            _TO: codes[direct_mask].to_numpy(),
            _SHARE: 1.0,
            _KIND: "identical",
            _SRCVER: to_version,
        }
    )
    pieces = pd.concat([via_cw, direct], ignore_index=True)
    pieces[_SRCVER] = pieces[_SRCVER].astype("int64")
    fail_mask = ~(in_cw | direct_mask)
    failed = work.loc[fail_mask, [_ROW]].copy()
    f_codes, f_fv = codes[fail_mask], fv[fail_mask].astype(str)
    reason = np.where(
        f_fv == str(to_version),
        f"not a NUTS {to_version} code",
        "not a NUTS " + f_fv + f" code nor a NUTS {to_version} code",
    )
    no_territory = {
        _EXTRA_REGIO: "Extra-Regio code (no territory)",
        _NOT_REGIONALISED: "not regionalised (no territory)",
    }
    for pattern, text in no_territory.items():
        reason = np.where(f_codes.str.fullmatch(pattern).fillna(False), text, reason)
    reason = np.where(country[fail_mask], "unknown country code", reason)
    reason = np.where(fmt_ok[fail_mask], reason, "not a NUTS code")
    aggregate = f_codes.str.match(_AGGREGATE).fillna(False)
    reason = np.where(aggregate, "aggregate of countries (not a NUTS region)", reason)
    failed["reason"] = reason
    failed["target_geo"] = ""
    return pieces, failed


def _fail_groups(pieces: pd.DataFrame, mask: pd.Series, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _ROW: pieces.loc[mask, _ROW].to_numpy(),
            "reason": reason,
            "target_geo": pieces.loc[mask, _TO].to_numpy(),
        }
    )


def _convert_core(
    work: pd.DataFrame,
    *,
    geo: str,
    value: str,
    by: list[str],
    flag: str | None,
    kind: str,
    to_version: int,
    cw: pd.DataFrame,
    valid: set[str],
    prefer_native: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Convert ``work`` (with ``_ROW`` and ``_FV``); returns (targets, failed, n duplicates)."""
    pieces, failed = _pieces(work, geo, cw, valid, to_version)
    fails = [failed]
    if kind == "ratio":
        apportioned = ~pieces[_KIND].isin(["identical", "recoded"])
        bad_rows = pieces.loc[apportioned, _ROW].unique()
        fails.append(
            pd.DataFrame(
                {
                    _ROW: bad_rows,
                    "reason": "ratio cannot be apportioned: boundaries changed",
                    "target_geo": "",
                }
            )
        )
        pieces = pieces[~pieces[_ROW].isin(bad_rows)]
    # attach the key columns of the source rows
    cols = [*by, value] + ([flag] if flag else [])
    src = work.set_index(_ROW)[cols]
    pieces = pd.concat([pieces.reset_index(drop=True), src.loc[pieces[_ROW]].reset_index(drop=True)], axis=1)
    group_keys = [*by, _TO]
    pieces["__g"] = pieces.groupby(group_keys, dropna=False, sort=False).ngroup()
    duplicates = 0
    n_versions = pieces.groupby("__g")[_SRCVER].transform("nunique")
    mixed = n_versions > 1
    if mixed.any():
        if prefer_native:
            # keep the native (to_version) contributions, else those of the newest source version
            rank = np.where(pieces[_SRCVER] == to_version, 10_000, pieces[_SRCVER])
            pieces["__rank"] = rank
            best = pieces.groupby("__g")["__rank"].transform("max")
            drop = pieces["__rank"] < best
            duplicates = int(pieces.loc[drop, "__g"].nunique())
            pieces = pieces.loc[~drop].drop(columns="__rank")
        else:
            fails.append(
                _fail_groups(
                    pieces,
                    mixed,
                    "data mix NUTS versions for this target (see harmonise_mixed_versions)",
                )
            )
            pieces = pieces.loc[~mixed]
    # completeness: a target needs every source region of its version
    expected = cw.groupby(["from_version", "to_code"]).size().rename("__exp").reset_index()
    pieces = pieces.merge(
        expected,
        left_on=[_SRCVER, _TO],
        right_on=["from_version", "to_code"],
        how="left",
        sort=False,
    ).drop(columns=["from_version", "to_code"])
    pieces["__exp"] = pieces["__exp"].where(pieces[_SRCVER] != to_version, 1).fillna(1).astype("int64")
    size = pieces.groupby("__g")[_ROW].transform("size")
    incomplete = size < pieces["__exp"]
    if incomplete.any():
        fails.append(_fail_groups(pieces, incomplete, "incomplete: another source region of this target has no row"))
        pieces = pieces.loc[~incomplete]
        size = size[~incomplete]
    # aggregate
    grouped = pieces.groupby("__g", sort=False)
    first = pieces.loc[grouped[_ROW].idxmin()].set_index("__g")
    if kind == "count":
        contrib = pieces[value] * pieces[_SHARE]
        total = contrib.groupby(pieces["__g"]).sum()
        has_nan = pieces[value].isna().groupby(pieces["__g"]).any()
        total[has_nan] = np.nan
    else:  # ratio: every target has exactly one (identical or recoded) source
        total = grouped[value].first()
    n = grouped[_ROW].size()
    # a target is exact when every piece is a whole source region (share 1: identical, recoded,
    # merged); it is an estimate as soon as one piece is a population share of a source region
    whole = (pieces[_SHARE] >= 1.0).groupby(pieces["__g"]).all()
    single = first[_KIND].where(first[_KIND].isin(["identical", "recoded"]) & (n == 1), "aggregated")
    conversion = single.where(whole, "estimated")
    out = first[[_ROW, _TO, *by]].copy()
    out[value] = total
    out[CONVERSION_COLUMN] = conversion.astype(str)
    if flag:
        out[flag] = first[flag]
        multi = pieces[size.to_numpy() > 1] if len(pieces) else pieces
        if len(multi):
            letters = multi[flag].fillna("").astype(str).str.findall(r"\S").explode().dropna()
            letters = pd.DataFrame({"__g": multi.loc[letters.index, "__g"].to_numpy(), "c": letters.to_numpy()})
            union = letters.drop_duplicates().sort_values(["__g", "c"]).groupby("__g")["c"].agg("".join)
            empty = np.nan if work[flag].isna().any() else ""
            multi_g = pd.Index(multi["__g"].unique())
            out.loc[multi_g, flag] = union.reindex(multi_g).fillna(empty).to_numpy() if len(union) else empty
    out = out.sort_values([_ROW, _TO], kind="stable")
    out[geo] = out[_TO].astype(str)
    failed_all = pd.concat(fails, ignore_index=True).drop_duplicates()
    return out.drop(columns=[_TO]), failed_all, duplicates


def _finish(
    df: pd.DataFrame,
    work: pd.DataFrame,
    out: pd.DataFrame,
    failed: pd.DataFrame,
    out_cols: list[str],
) -> pd.DataFrame:
    result = out[out_cols].reset_index(drop=True)
    failed = failed.sort_values([_ROW, "target_geo"], kind="stable")
    cols = [c for c in df.columns if c in work.columns]
    nc = work.set_index(_ROW).loc[failed[_ROW], [c for c in cols if c != _ROW]].reset_index(drop=True)
    nc["reason"] = failed["reason"].astype(str).to_numpy()
    nc["target_geo"] = failed["target_geo"].astype(str).to_numpy()
    result.attrs = {"not_converted": NotConvertedFrame(nc)}
    return result


def convert_nuts_version(
    df: pd.DataFrame,
    *,
    from_version: int | str | pd.Series,
    to_version: int = _DEFAULT_TO_VERSION,
    geo: str = "geo",
    value: str = "value",
    by: list[str] | None = None,
    kind: Literal["count", "ratio"] = "count",
    crosswalk: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Convert tidy data from one NUTS version to another with the JRC population shares.

    Parameters
    ----------
    df
        Long data: a region column ``geo``, a numeric ``value`` column, key columns ``by``, and
        optionally a ``flag`` column (Eurostat flag letters such as ``p``, ``e``, ``c``).
    from_version
        The NUTS version of the codes: one version (``2013`` or ``"2013"``), the name of a column
        holding each row's version, or a Series aligned with ``df``.
    to_version
        Target version. The committed crosswalk goes to 2021 only; for another target pass
        ``crosswalk=build_crosswalk_table(raw, to_version=...)``.
    geo, value
        Column names.
    by
        Key columns identifying a row together with ``geo`` (e.g. ``["nace_r2", "year"]``);
        default: every other column except ``flag``. Columns not in ``by`` are dropped.
    kind
        ``"count"`` (persons, euros, patents): a source value is shared out in proportion to
        the population of each piece and summed into each target. ``"ratio"`` (percentages,
        per-capita values): only regions that are ``identical`` or ``recoded`` are converted;
        rows of regions whose boundaries changed are not (convert numerator and denominator as
        counts and recompute the ratio instead).
    crosswalk, regions
        Tables from :func:`build_crosswalk_table` (towards ``to_version``) and
        :func:`build_regions_table`. With both None the committed extracts are used. With only
        ``crosswalk`` given, the valid ``to_version`` codes are its targets and their countries;
        pass ``regions`` too to also keep codes the crosswalk lacks (Liechtenstein, candidate
        countries).

    Returns
    -------
    DataFrame
        ``df``'s columns (``geo``, ``by``, ``value``, ``flag``) with ``geo`` in ``to_version``
        codes, plus ``nuts_conversion``: ``identical`` (code and territory unchanged),
        ``recoded`` (same territory, new code), ``aggregated`` (the sum of whole source regions,
        as exact as its sources) or ``estimated`` (at least one source region is shared out by
        population: the figure is an estimate, not a published value).
        Rows are in the order of their first source row. Nothing is dropped silently: the rows
        that could not be converted are in ``result.attrs["not_converted"]`` (a
        :class:`NotConvertedFrame`) with the source columns plus ``reason`` and ``target_geo``
        (the target that could not be built, where the reason concerns one target).

    Notes
    -----
    * Country codes (level 0) pass unchanged. A code that is not in the crosswalk for its
      ``from_version`` but is a valid ``to_version`` code is kept as ``identical``; any other
      code goes to ``not_converted``: aggregates (``EU27_2020``), Extra-Regio (``FRZZ``) and
      not-regionalised (``DEXX``) codes, typos, unknown countries.
    * An estimated target is NaN if any of its source values is NaN, and is not produced at all
      (reason ``incomplete``) if one of its source regions has no row for that key: a missing
      part never yields a smaller total.
    * Flags: a target built from several sources gets the sorted union of their flag letters.
    * If one target of one key receives data from several NUTS versions (``FR71`` under NUTS
      2013 and ``FRK2`` under NUTS 2021 for the same year) the target is not built: the data
      mix versions; use :func:`harmonise_mixed_versions`.

    Examples
    --------
    >>> cw = pd.DataFrame({"from_version": 2013, "from_code": ["FR71", "HU10", "HU10"],
    ...                    "to_code": ["FRK2", "HU11", "HU12"], "share": [1.0, 0.6, 0.4],
    ...                    "kind": ["recoded", "split", "split"]})
    >>> df = pd.DataFrame({"geo": ["FR71", "HU10", "FR", "EU27_2020"], "year": 2014,
    ...                    "value": [100.0, 50.0, 7.0, 1.0]})
    >>> out = convert_nuts_version(df, from_version=2013, crosswalk=cw)
    >>> out
        geo  year  value nuts_conversion
    0  FRK2  2014  100.0         recoded
    1  HU11  2014   30.0       estimated
    2  HU12  2014   20.0       estimated
    3    FR  2014    7.0       identical
    >>> out.attrs["not_converted"][["geo", "reason"]].values.tolist()
    [['EU27_2020', 'aggregate of countries (not a NUTS region)']]
    """
    to_version = _check_version(to_version, "to_version")
    work, by, flag, out_cols = _prepare(df, geo, value, by, kind)
    work[_FV] = _from_versions(df, from_version)
    cw, valid, _ = _conversion_tables(to_version, crosswalk, regions)
    out, failed, _ = _convert_core(
        work,
        geo=geo,
        value=value,
        by=by,
        flag=flag,
        kind=kind,
        to_version=to_version,
        cw=cw,
        valid=valid,
        prefer_native=False,
    )
    return _finish(df, work, out, failed, out_cols)


def harmonise_mixed_versions(
    df: pd.DataFrame,
    *,
    geo: str = "geo",
    value: str = "value",
    by: list[str] | None = None,
    kind: Literal["count", "ratio"] = "count",
    to_version: int = _DEFAULT_TO_VERSION,
    crosswalk: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Convert data whose codes mix NUTS versions (as in Eurostat's long series) to one version.

    Each code is read in the version it belongs to: a valid ``to_version`` code as it is,
    any other code in the newest version it exists in (``FR71`` -> NUTS 2013). The rows are
    then converted as by :func:`convert_nuts_version`. Where a target of one key gets both a
    native ``to_version`` value and a value converted from old codes, the native one is kept
    (among old versions only, the newest); ``result.attrs["duplicates_dropped"]`` counts the
    converted target values so discarded.

    Caveat: a code valid in ``to_version`` is taken to mean its ``to_version`` territory. Where a
    region kept its code but absorbed a neighbour, old data under that code is read as the new,
    larger region.

    Examples
    --------
    >>> regions = pd.DataFrame({"code": ["FR71", "FRK2"],
    ...                         "versions": ["2006 2010 2013", "2016 2021 2024"]})
    >>> cw = pd.DataFrame({"from_version": [2013], "from_code": ["FR71"], "to_code": ["FRK2"],
    ...                    "share": [1.0], "kind": ["recoded"]})
    >>> df = pd.DataFrame({"geo": ["FR71", "FR71", "FRK2"], "year": [2012, 2013, 2013],
    ...                    "value": [1.0, 2.0, 2.5]})
    >>> out = harmonise_mixed_versions(df, kind="ratio", crosswalk=cw, regions=regions)
    >>> out
        geo  year  value nuts_conversion
    0  FRK2  2012    1.0         recoded
    1  FRK2  2013    2.5       identical
    >>> out.attrs["duplicates_dropped"]
    1
    """
    to_version = _check_version(to_version, "to_version")
    work, by, flag, out_cols = _prepare(df, geo, value, by, kind)
    cw, valid, regions = _conversion_tables(to_version, crosswalk, regions, need_regions=True)
    table = regions if regions is not None else _default_regions()
    newest = table["versions"].fillna("").astype(str).str.split().map(lambda v: max(map(int, v)) if v else to_version)
    newest = pd.Series(newest.to_numpy(), index=table["code"].astype(str).to_numpy())
    code = work[geo]
    fv = code.map(newest).fillna(to_version).astype("int64")
    work[_FV] = np.where(code.isin(valid), to_version, fv)
    out, failed, duplicates = _convert_core(
        work,
        geo=geo,
        value=value,
        by=by,
        flag=flag,
        kind=kind,
        to_version=to_version,
        cw=cw,
        valid=valid,
        prefer_native=True,
    )
    result = _finish(df, work, out, failed, out_cols)
    result.attrs["duplicates_dropped"] = duplicates
    return result


# --------------------------------------------------------------------------------------------
# Territories without statistics of their own
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Territory:
    """How a region is covered by statistics published at a given NUTS level.

    ``code``, ``name``, ``level``: the region itself. ``stats_codes``: the published regions that
    stand for it. ``method``: ``"as is"``, ``"sum of NUTS 2 regions"`` (NUTS 1 and countries
    without own figures) or ``"parent region"`` (NUTS 3). ``note``: one or two sentences saying
    so, for a report.
    """

    code: str
    name: str
    level: int
    stats_codes: tuple[str, ...]
    method: Method
    note: str

    @property
    def figures_of(self) -> str:
        """Whose figures a chart or table of this territory shows, for its title or note.

        ``"Niederösterreich"`` as is; ``"Sydsverige (SE22), for Skåne län"`` for a NUTS 3 region
        shown with its NUTS 2 region's figures; ``"Centre-Est (sum of 2 NUTS 2 regions)"``.

        >>> Territory("SE224", "Skåne län", 3, ("SE22",), "parent region", "").figures_of
        'Sydsverige (SE22), for Skåne län'
        """
        if self.method == "parent region" and self.stats_codes:
            code = self.stats_codes[0]
            return f"{region_name(code)} ({code}), for {self.name}"
        if self.method == "sum of NUTS 2 regions":
            return f"{self.name} (sum of {len(self.stats_codes)} NUTS 2 regions)"
        if self.method == "joint figures":
            others = [name_or_code(c) for c in self.stats_codes if not self.code.startswith(c)]
            return f"{self.name} with {listed(others)} (joint figures)"
        return self.name

    @property
    def figures_note(self) -> str:
        """A short table note where the figures are not the territory's own ("value for SE22"), else ``""``.

        >>> Territory("FRK", "Centre-Est", 1, ("FRK1", "FRK2"), "sum of NUTS 2 regions", "").figures_note
        'sum of FRK1 and FRK2'
        """
        if self.method == "parent region" and self.stats_codes:
            return f"value for {self.stats_codes[0]}"
        if self.method == "sum of NUTS 2 regions":
            return "sum of " + listed(list(self.stats_codes))
        if self.method == "joint figures":
            return "joint figure of " + listed(list(self.stats_codes))
        return ""


_LEVEL_WORD = {0: "a country", 1: "a NUTS 1 region", 2: "a NUTS 2 region", 3: "a NUTS 3 region"}


def statistical_territory(
    code: str, available: Iterable[str], *, level: int = 2, regions: pd.DataFrame | None = None
) -> Territory:
    """Which regions with statistics at NUTS ``level`` stand for the region ``code``.

    Parameters
    ----------
    code
        A NUTS 2021 code of any level.
    available
        The codes that have data in the statistics at hand.
    level
        The NUTS level of the statistics (normally 2).
    regions
        Regions table (names, children); the committed extract if None.

    Returns
    -------
    Territory
        * a region of ``level``, or a country, that is in ``available``: ``as is``;
        * a region above ``level`` (NUTS 1, or a country without own figures): the sum of its
          NUTS ``level`` regions that are available, the note naming any that are not;
        * a region below ``level`` (NUTS 3): its parent region at ``level``, the note naming the
          other regions the parent covers.

        Raises :class:`~clusterix_lib.errors.RegionError` for an unknown code, or when none of
        the regions that would stand for it is available.

    Examples
    --------
    >>> regions = pd.DataFrame({"code": ["SE2", "SE22", "SE221", "SE224"],
    ...     "name": ["Södra Sverige", "Sydsverige", "Blekinge län", "Skåne län"],
    ...     "versions": "2021"})
    >>> t = statistical_territory("SE224", ["SE22", "SE21"], regions=regions)
    >>> t.stats_codes, t.method
    (('SE22',), 'parent region')
    >>> print(t.note)  # doctest: +NORMALIZE_WHITESPACE
    Skåne län (SE224) is a NUTS 3 region; statistics exist only for its NUTS 2 region
    Sydsverige (SE22), which also covers Blekinge län (SE221).
    """
    code = validate_region(code, version=_DEFAULT_TO_VERSION, regions=regions)
    if not 1 <= int(level) <= 3:
        raise ParameterError(
            f"level {level} is not a NUTS regional level",
            where="parameter level",
            hint="use 1, 2 or 3",
        )
    level = int(level)
    index = _index(regions)
    avail = {str(c).strip().upper() for c in available}
    own = len(code) - 2
    name = index.names.get(code, "")
    label = index.label(code)
    word = _LEVEL_WORD[own]
    if code in avail and own in (0, level):
        note = "" if own == level else f"{label} is {word}; its statistics are published for it directly."
        return Territory(code, name, own, (code,), "as is", note)
    if own == level:
        raise RegionError(
            f"no statistics for {label}",
            where=f"{len(avail)} regions have data",
            hint="choose another region or another statistic",
        )
    if own < level:
        parts = children(code, level=level, regions=regions)
        have = [c for c in parts if c in avail]
        lacking = [c for c in parts if c not in avail]
        if not have:
            raise RegionError(
                f"no statistics for {label} nor for any of its NUTS {level} regions",
                where=", ".join(parts) or "it has no NUTS regions at that level",
                hint="choose another region or another statistic",
            )
        have_text = listed([index.label(c) for c in have])
        if not lacking:
            if len(have) == 1:
                note = f"{label} is {word}; its statistics are those of its only NUTS {level} region "
                note += f"{have_text}."
            else:
                note = f"{label} is {word}; its statistics are the sum of its {len(have)} "
                note += f"NUTS {level} regions {have_text}."
        else:
            note = (
                f"{label} is {word}; its statistics are the sum of {len(have)} of its {len(parts)} "
                f"NUTS {level} "
                f"regions, {have_text}: {listed([index.label(c) for c in lacking])} "
                f"{'has' if len(lacking) == 1 else 'have'} no data, so the sum understates {label}."
            )
        return Territory(code, name, own, tuple(have), f"sum of NUTS {level} regions", note)  # type: ignore[arg-type]
    up = code[: level + 2]
    if up not in avail:
        raise RegionError(
            f"no statistics for {label} nor for its NUTS {level} region {index.label(up)}",
            hint="choose another region or another statistic",
        )
    others = [c for c in children(up, level=own, regions=regions) if c != code]
    note = f"{label} is {word}; statistics exist only for its NUTS {level} region {index.label(up)}"
    if not others:
        note += ", which covers the same territory."
    elif len(others) <= 5:
        note += f", which also covers {listed([index.label(c) for c in others])}."
    else:
        note += f", which also covers {len(others)} other NUTS {own} regions."
    return Territory(code, name, own, (up,), "parent region", note)


def group_key(codes: Iterable[str]) -> str:
    """The key under which regions with joint figures stand together in a panel: sorted codes joined by ``+``.

    >>> group_key(["LT02", "LT01"])
    'LT01+LT02'
    """
    return "+".join(sorted(codes))


def estimation_groups(
    codes: Iterable[str], *, from_version: int = 2013, crosswalk: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Group the regions whose figures were estimated from the same older regions.

    Statistics published in an older NUTS version reach a region whose boundaries changed only
    as population shares of the old regions (:func:`convert_nuts_version`). Every part of one old
    region then shows that region's structure: Vilnius (LT01) and the rest of Lithuania (LT02)
    get the same share of every industry. Together, though, the parts add up to the old
    regions' published figures. This finds those groups: the connected components of the graph
    linking each region of ``codes`` to the ``from_version`` regions it was estimated from.

    Parameters
    ----------
    codes
        Regions (``to_version`` codes) whose figures are estimated (``nuts_conversion ==
        "estimated"``).
    from_version
        The NUTS version the figures were published in.
    crosswalk
        Table of :func:`build_crosswalk_table`; the committed one if None.

    Returns
    -------
    DataFrame
        One row per region of ``codes`` found in the crosswalk: ``geo``, ``group`` (the
        :func:`group_key` of its members), ``members`` and ``sources`` (tuples of codes) and
        ``exact``: True when every source region lies wholly inside the group, so that the
        group's sum equals the published figures; False when part of a source went to a region
        outside the group (the sum is then still partly an estimate).

    Examples
    --------
    >>> cw = pd.DataFrame({"from_version": 2013, "from_code": ["LT00", "LT00", "X1", "X1", "X2"],
    ...                    "to_code": ["LT01", "LT02", "Y1", "Y2", "Y2"], "share": [0.3, 0.7, 0.6, 0.4, 1.0],
    ...                    "kind": "split"})
    >>> g = estimation_groups(["LT01", "LT02", "Y1"], crosswalk=cw)
    >>> g[["geo", "group", "exact"]].values.tolist()
    [['LT01', 'LT01+LT02', True], ['LT02', 'LT01+LT02', True], ['Y1', 'Y1', False]]
    >>> g.loc[0, "sources"]
    ('LT00',)
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    wanted = sorted({str(c) for c in codes})
    cw = crosswalk if crosswalk is not None else _default_crosswalk()
    cw = cw[(cw["from_version"].astype(int) == int(from_version)) & (cw["share"] > 0)]
    pieces = cw[cw["to_code"].isin(wanted)]
    if pieces.empty:
        return pd.DataFrame(columns=["geo", "group", "members", "sources", "exact"])
    # sources and targets can share a code (NO02 -> NO02): prefix the sources to keep them apart
    src = pd.Index("s:" + pieces["from_code"].astype(str))
    dst = pd.Index("t:" + pieces["to_code"].astype(str))
    nodes = src.union(dst).unique()
    i, j = nodes.get_indexer(src), nodes.get_indexer(dst)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(nodes), len(nodes)))
    _, label = connected_components(graph, directed=False)
    comp = pd.Series(label, index=nodes)
    targets = pieces.assign(comp=comp.loc[dst].to_numpy())
    members = targets.groupby("comp")["to_code"].agg(lambda s: tuple(sorted(set(s))))
    sources = targets.groupby("comp")["from_code"].agg(lambda s: tuple(sorted(set(s))))
    # exact: no piece of a group's sources goes to a region outside the group
    src_comp = targets.drop_duplicates("from_code").set_index("from_code")["comp"]
    leaves = cw.loc[cw["from_code"].isin(src_comp.index), ["from_code", "to_code"]]
    leaves = leaves.assign(comp=leaves["from_code"].map(src_comp).to_numpy())
    inside = members.explode().rename("to_code").reset_index().assign(inside=True)
    leaves = leaves.merge(inside, on=["comp", "to_code"], how="left")
    leaking = set(leaves.loc[leaves["inside"].isna(), "comp"])
    out = pd.DataFrame({"geo": wanted})
    out = out[out["geo"].isin(targets["to_code"])].reset_index(drop=True)
    c = out["geo"].map(targets.drop_duplicates("to_code").set_index("to_code")["comp"])
    out["members"] = c.map(members).to_numpy()
    out["group"] = out["members"].map(group_key)
    out["sources"] = c.map(sources).to_numpy()
    out["exact"] = ~c.isin(leaking).to_numpy()
    return out[["geo", "group", "members", "sources", "exact"]]
