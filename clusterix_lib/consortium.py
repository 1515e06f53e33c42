"""A consortium is data: a CSV of partners, each with its organisation, NUTS region and instrument.

Nothing in the library names a particular consortium or region. ``data/consortium_clusterix2.csv``
is the default file; another consortium is another file with the same columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterix_lib import nuts, paths
from clusterix_lib.errors import ClusterixError, DataFileError, location
from clusterix_lib.fileio import read_text_csv, row_failer

DEFAULT_CONSORTIUM = "consortium_clusterix2.csv"

REQUIRED_COLUMNS = ("partner_no", "organisation", "country", "nuts_code", "nuts_version")
OPTIONAL_COLUMNS = (
    "short_name",
    "aliases",
    "org_type",
    "role",
    "main_instrument",
    "instrument_type",
    "source",
)


def default_consortium_path() -> Path:
    """The consortium file used when none is named (``data/consortium_clusterix2.csv``)."""
    return paths.data_dir() / DEFAULT_CONSORTIUM


def load_consortium(path: str | Path | None = None, *, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a consortium file.

    Every code is read as text (so ``NO`` or ``012`` stay what they are). Each row is checked:
    required fields present, ``partner_no`` a unique whole number, ``nuts_code`` a NUTS code that
    exists in ``nuts_version``, ``country`` equal to the code's country prefix. The first problem
    raises :class:`~clusterix_lib.errors.DataFileError` naming file, line, column and value.

    Returns
    -------
    DataFrame with the file's columns plus ``nuts_level`` (0-3) and ``region_name``.
    """
    path = Path(path) if path else default_consortium_path()
    table = read_text_csv(
        path,
        REQUIRED_COLUMNS,
        what="consortium file",
        optional=OPTIONAL_COLUMNS,
        hint=f"pass an existing CSV with the columns {', '.join(REQUIRED_COLUMNS)} "
        f"(see {default_consortium_path()} for an example)",
    )
    if table.empty:
        raise DataFileError("consortium file has no partners", where=location(path), hint="add one row per partner")

    fail = row_failer(path, table)

    for col in REQUIRED_COLUMNS:
        empty = table.index[table[col] == ""]
        if len(empty):
            fail(empty[0], col, f"empty {col}", f"fill in {col} for every partner")
    numbers = pd.to_numeric(table["partner_no"], errors="coerce")
    bad = table.index[numbers.isna() | (numbers % 1 != 0)]
    if len(bad):
        fail(bad[0], "partner_no", "partner_no is not a whole number", "number the partners 1, 2, 3 ...")
    dup = table.index[numbers.duplicated()]
    if len(dup):
        fail(dup[0], "partner_no", "partner_no used twice", "give every partner its own number")
    versions = pd.to_numeric(table["nuts_version"], errors="coerce")
    bad = table.index[~versions.isin(nuts.NUTS_VERSIONS)]
    if len(bad):
        fail(bad[0], "nuts_version", "unknown NUTS version", f"use one of {', '.join(map(str, nuts.NUTS_VERSIONS))}")

    codes = []
    for row, (code, version) in enumerate(zip(table["nuts_code"], versions.astype(int), strict=True)):
        try:
            codes.append(nuts.validate_region(code, version=version, regions=regions))
        except ClusterixError as exc:
            fail(row, "nuts_code", exc.what, exc.hint or "use a NUTS code of the stated version")
    table["nuts_code"] = codes
    prefix = table["nuts_code"].str[:2]
    bad = table.index[prefix != table["country"].str.upper()]
    if len(bad):
        fail(
            bad[0],
            "country",
            f"country does not match the NUTS code {table.at[bad[0], 'nuts_code']}",
            "use the two-letter prefix of the NUTS code (EL for Greece, UK for the United Kingdom)",
        )
    table["partner_no"] = numbers.astype(int)
    table["nuts_version"] = versions.astype(int)
    table["nuts_level"] = table["nuts_code"].map(nuts.nuts_level)
    table["region_name"] = table["nuts_code"].map(lambda c: nuts.region_name(c, regions=regions))
    return table.sort_values("partner_no").reset_index(drop=True)


def consortium_regions(consortium: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct region of a consortium, with the partners located there.

    Partners sharing a territory (a university and its regional authority) give one region.

    Examples
    --------
    >>> c = pd.DataFrame({"partner_no": [1, 2, 3], "short_name": ["A", "B", "C"],
    ...                   "nuts_code": ["SE224", "AT12", "SE224"], "nuts_version": [2021] * 3,
    ...                   "nuts_level": [3, 2, 3], "region_name": ["Skåne län", "Niederösterreich", "Skåne län"]})
    >>> consortium_regions(c)[["nuts_code", "partners"]].to_dict("records")
    [{'nuts_code': 'SE224', 'partners': 'A; C'}, {'nuts_code': 'AT12', 'partners': 'B'}]
    """
    grouped = consortium.groupby("nuts_code", sort=False)
    out = grouped.agg(
        nuts_version=("nuts_version", "first"),
        nuts_level=("nuts_level", "first"),
        region_name=("region_name", "first"),
        partners=("short_name", lambda s: "; ".join(s)),
        first_partner=("partner_no", "min"),
    )
    return out.sort_values("first_partner").drop(columns="first_partner").reset_index()
