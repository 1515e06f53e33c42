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


#: The NUTS version of the statistics and the reports: every partner region must exist in it.
REPORT_VERSION = 2021


def _old_code_hint(code: str, version: int, regions: pd.DataFrame | None) -> str:
    """What to write instead of ``code``, a NUTS code that is not in ``version`` or not in NUTS 2021.

    Names the versions the code belongs to and, from the committed NUTS crosswalk (used only
    with the committed regions table, ``regions=None``, as in
    :func:`~clusterix_lib.nuts.validate_region`), the NUTS 2021 code(s) its territory lies in.
    ``""`` for a code of no version (a typo: the caller keeps the close matches of
    :func:`~clusterix_lib.nuts.validate_region`).

    >>> print(_old_code_hint("FR71", 2016, None))
    FR71 is a NUTS code of 2006, 2010, 2013; in NUTS 2021 it is Rhône-Alpes (FRK2): write FRK2 with \
nuts_version 2021
    >>> print(_old_code_hint("FRK2", 2013, None))
    FRK2 is a NUTS code of 2016, 2021, 2024: write nuts_version 2021 on this row
    """
    table = nuts.load_regions() if regions is None else regions
    norm = str(code).strip().upper()
    found = table.loc[table["code"].astype(str) == norm, "versions"]
    known = sorted(int(v) for v in str(found.iloc[0]).split()) if len(found) else []
    if not known:
        return ""
    text = f"{norm} is a NUTS code of {', '.join(map(str, known))}"
    if REPORT_VERSION in known:
        return f"{text}: write nuts_version {REPORT_VERSION} on this row"
    crosswalk = None
    if regions is None:
        try:
            crosswalk = nuts.load_crosswalk()
        except DataFileError:
            pass
    if crosswalk is None:
        return f"{text}: write the partner's NUTS {REPORT_VERSION} region with nuts_version {REPORT_VERSION}"
    from_version = version if version in known else max(known)
    rows = crosswalk[(crosswalk["from_code"] == norm) & (crosswalk["from_version"] == from_version)]
    if rows.empty:
        return f"{text}; it has no NUTS {REPORT_VERSION} counterpart: write the partner's NUTS {REPORT_VERSION} region"
    rows = rows.sort_values("share", ascending=False, kind="stable")
    targets = [str(t) for t in rows["to_code"]]
    named = [_label(t, regions) for t in targets]
    use = f"nuts_version {REPORT_VERSION}"
    if len(targets) == 1:
        verb = "is part of" if rows["kind"].iloc[0] in ("merged", "boundary change") else "is"
        return f"{text}; in NUTS {REPORT_VERSION} it {verb} {named[0]}: write {targets[0]} with {use}"
    shares = ", ".join(f"{n} {s:.0%}" for n, s in zip(named, rows["share"], strict=True))
    return (
        f"{text}; in NUTS {REPORT_VERSION} its population lies in {shares}: write {' or '.join(targets)} "
        f"(the region the partner is in) with {use}"
    )


def _label(code: str, regions: pd.DataFrame | None) -> str:
    name = nuts.name_or_code(code, regions=regions)
    return f"{name} ({code})" if name != code else code


def default_consortium_path() -> Path:
    """The consortium file used when none is named (``data/consortium_clusterix2.csv``)."""
    return paths.data_dir() / DEFAULT_CONSORTIUM


def load_consortium(path: str | Path | None = None, *, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a consortium file.

    Every code is read as text (so ``NO`` or ``012`` stay what they are). Each row is checked:
    required fields present, ``partner_no`` a unique whole number, ``nuts_code`` a NUTS code that
    exists in ``nuts_version`` *and* in NUTS 2021 (the version of the statistics: a report of a
    region that NUTS 2021 does not have would fail), ``country`` equal to the code's country
    prefix. The first problem raises :class:`~clusterix_lib.errors.DataFileError` naming file,
    line, column and value; for an old code (``LT00``, ``FR71``) it also names the NUTS 2021
    code(s) its territory lies in, from the committed crosswalk.

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
            norm = nuts.validate_region(code, version=version, regions=regions)
        except ClusterixError as exc:
            fail(
                row,
                "nuts_code",
                exc.what,
                _old_code_hint(code, version, regions) or exc.hint or "use a NUTS code of the stated version",
            )
        if version != REPORT_VERSION:
            try:
                nuts.validate_region(norm, version=REPORT_VERSION, regions=regions)
            except ClusterixError:
                fail(
                    row,
                    "nuts_code",
                    f"{norm} is a NUTS {version} code but not a NUTS {REPORT_VERSION} one, "
                    f"and the reports need NUTS {REPORT_VERSION} codes",
                    _old_code_hint(norm, version, regions),
                )
        codes.append(norm)
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
