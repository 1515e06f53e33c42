"""A region's competence profile, from several sources held apart and labelled by their basis.

ClusteriX 2.0 partners look for "complementary industrial and research competences". What a
region is good at is known in different ways, and a report must not blend them:

- ``basis="statistics"``, industrial: the divisions the region is specialised in (LQ ≥ 1 against
  the EU-27), the *emerging* ones (LQ rising by at least ``min_growth`` between two years) and the
  related diversification options (the smart-specialisation quadrant,
  :func:`clusterix_lib.smart_profile.diversification_options`);
- ``basis="statistics"``, research and technology: R&D expenditure and personnel, human
  resources in science and technology, patents (Eurostat), each with its year, and a gap said
  where Eurostat publishes nothing for the region;
- declared competences and S3 priorities from the consortium's own file (a ``basis`` column:
  ``statistics``, ``self-declared``, ``expert``, ``peer-validated``), for what statistics cannot
  see. Illustrative rows are marked and stay marked in every table.

The declared file is ``data/declared_competences_clusterix2.csv`` (columns in its ``.md``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import nuts, paths, profile, smart_profile
from clusterix_lib.errors import ClusterixError, DataFileError, location
from clusterix_lib.fileio import read_text_csv, row_failer
from clusterix_lib.nace import load_nace, nace_labels, parse_nace_codes

__all__ = [
    "BASES",
    "DECLARED_FILE",
    "RESEARCH_INDICATORS",
    "competence_profile",
    "declared_divisions",
    "load_declared_competences",
    "nace_divisions",
    "prime_nace_codes",
    "region_declared",
    "research_competences",
    "statistical_competences",
]

DECLARED_FILE = "declared_competences_clusterix2.csv"
#: Who vouches for a competence (``domain.md`` §8, CompetenceAssertion.basis).
BASES = ("statistics", "self-declared", "expert", "peer-validated")
KINDS = ("s3_priority", "competence")
DECLARED_COLUMNS = ("region", "kind", "title", "nace_codes", "basis")
#: Indicators of research and technology competence in :func:`clusterix_lib.datasets.indicators`.
RESEARCH_INDICATORS = ("gerd_pc_gdp", "berd_pc_gdp", "rd_personnel_pc_emp", "hrst_pc_act", "patents_p_mhab")


def nace_divisions(text: str, *, where: str = "") -> list[str]:
    """The NACE divisions a ``;``-separated list of codes covers (a section stands for all its divisions).

    Groups and classes count for their division. An unknown code raises
    :class:`~clusterix_lib.errors.DataFileError` naming it.

    >>> nace_divisions("C22; 28.1; J")
    ['C22', 'C28', 'J58', 'J59', 'J60', 'J61', 'J62', 'J63']
    """
    codes = [c.strip() for c in str(text).split(";") if c.strip()]
    if not codes:
        raise DataFileError(
            "no NACE code given", where=where or None, hint="list NACE Rev. 2 codes separated by ';', e.g. C22;C28"
        )
    divisions, bad = _divisions_of(tuple(codes))
    if bad is not None:
        raise DataFileError(
            f"unknown NACE Rev. 2 code {bad!r}",
            where=f"{where}, value {bad!r}" if where else None,
            hint="use a section letter, a division (C22), a group (C22.2) or a class (C22.21); see data/nace_r2.csv",
        )
    return list(divisions)


#: code -> divisions it covers (None: not a NACE code); filled by :func:`prime_nace_codes`
_CODE_DIVISIONS: dict[str, tuple[str, ...] | None] = {}


def prime_nace_codes(lists) -> None:
    """Parse every code of many ``;``-separated lists in one pass (a register's whole column).

    :func:`~clusterix_lib.nace.parse_nace_codes` costs about the same for one code as for a
    hundred, so a loader calls this once before :func:`nace_divisions` on each row.
    """
    codes = {c.strip() for text in lists for c in str(text).split(";") if c.strip()} - _CODE_DIVISIONS.keys()
    if not codes:
        return
    parsed = parse_nace_codes(sorted(codes))
    table = load_nace()
    divisions = table[table["level"] == "division"]
    by_section = divisions.groupby("section")["code"].agg(tuple).to_dict()
    for r in parsed.itertuples():
        _CODE_DIVISIONS[r.code] = (
            None
            if pd.isna(r.level)  # not recognised
            else by_section.get(r.section, ())
            if r.level == "section"
            else (r.division,)
        )


@functools.lru_cache(maxsize=4096)
def _divisions_of(codes: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """Divisions covered by ``codes`` and the first unknown code (cached: registers repeat code lists)."""
    prime_nace_codes(codes)
    out: list[str] = []
    for code in codes:  # the handful of codes of one list
        divs = _CODE_DIVISIONS[code]
        if divs is None:
            return (), code
        out += divs
    return tuple(sorted(dict.fromkeys(out))), None


def load_declared_competences(path: str | Path | None = None, *, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a declared-competences file; one row per statement.

    Checks: required columns; ``region`` a NUTS 2021 code; ``kind`` and ``basis`` from their
    lists; every NACE code known. The first problem raises
    :class:`~clusterix_lib.errors.DataFileError` naming file, line, column and value. Adds
    ``divisions`` (list of NACE divisions) and ``illustrative`` as bool.

    A file with the header and no rows gives an empty table with the same columns and types as
    a filled one (text columns, ``year`` Int64, ``illustrative`` bool, ``divisions`` object), so
    the code that reads it runs unchanged; take a region's rows with :func:`region_declared`.
    """
    path = Path(path) if path else paths.data_dir() / DECLARED_FILE
    table = read_text_csv(
        path, DECLARED_COLUMNS, what="declared-competences file", optional=["year", "illustrative", "source"]
    )

    fail = row_failer(path, table)

    for col in DECLARED_COLUMNS:
        empty = table.index[table[col] == ""]
        if len(empty):
            fail(empty[0], col, f"empty {col}", f"fill in {col} on every row")
    for col, allowed in (("kind", KINDS), ("basis", BASES)):
        bad = table.index[~table[col].isin(allowed)]
        if len(bad):
            fail(bad[0], col, f"unknown {col}", f"use one of {', '.join(allowed)}")
    codes = []
    for row, code in enumerate(table["region"]):
        try:
            codes.append(nuts.validate_region(code, regions=regions))
        except ClusterixError as exc:
            fail(row, "region", exc.what, exc.hint or "use a NUTS 2021 code")
    # explicit dtypes: a header-only file gives the same columns and types as a filled one
    table["region"] = pd.Series(codes, index=table.index, dtype=table["kind"].dtype)
    prime_nace_codes(table["nace_codes"])
    table["divisions"] = pd.Series(
        [
            nace_divisions(v, where=location(path, line=i + 2, column="nace_codes"))
            for i, v in enumerate(table["nace_codes"])
        ],
        index=table.index,
        dtype=object,
    )
    table["illustrative"] = table["illustrative"].str.lower().isin(["yes", "true", "1", "y"]).astype(bool)
    table["year"] = pd.to_numeric(table["year"], errors="coerce").astype("Int64")
    return table


def region_declared(declared: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of ``declared`` about the territory ``code``: the region itself, the larger
    regions it lies in and the smaller ones it contains (``AT1`` and ``AT127`` for ``AT12``).

    Works on an empty table (a header-only file): the result then keeps every column, where a
    mask built with ``Series.map`` would select no column at all.

    >>> d = pd.DataFrame({"region": ["AT12", "AT1", "AT127", "AT13"], "title": ["a", "b", "c", "d"]})
    >>> region_declared(d, "AT12")["title"].tolist()
    ['a', 'b', 'c']
    >>> list(region_declared(d.iloc[:0], "AT12").columns)
    ['region', 'title']
    """
    inside = np.array([c.startswith(code) or code.startswith(c) for c in declared["region"].astype(str)], dtype=bool)
    return declared[inside]


def declared_divisions(declared: pd.DataFrame, kinds: tuple[str, ...] = KINDS) -> pd.DataFrame:
    """Long table ``geo, nace_r2, kind, basis, title, illustrative, year``: one row per declared division.

    >>> d = pd.DataFrame({"region": ["AT12"], "kind": ["s3_priority"], "title": ["Food"], "basis": ["expert"],
    ...                   "divisions": [["C10", "C11"]], "illustrative": [True]})
    >>> declared_divisions(d)["nace_r2"].tolist()
    ['C10', 'C11']
    """
    d = declared[declared["kind"].isin(kinds)].explode("divisions")
    d = d.rename(columns={"region": "geo", "divisions": "nace_r2"})
    if "year" not in d:
        d["year"] = pd.NA
    return d[["geo", "nace_r2", "kind", "basis", "title", "illustrative", "year"]].reset_index(drop=True)


def statistical_competences(
    employment: pd.DataFrame,
    code: str,
    *,
    year: int | None = None,
    start: int | None = None,
    min_growth: float = 0.2,
    n_options: int = 10,
) -> pd.DataFrame:
    """Industrial competences from statistics: specialisations, emerging specialisations, diversification options.

    - ``specialisation``: LQ ≥ 1 against the EU-27 (divisions of at least 0.1 % of the region);
    - ``emerging``: :math:`LQ_{end} / LQ_{start} - 1 \\ge` ``min_growth`` between ``start``
      (default: the first year of the statistics) and ``year``, the division already at
      LQ ≥ 0.5 in ``year`` (so that growth from nothing is not a competence);
    - ``diversification option``: the ``n_options`` divisions of the *low risk, high benefit*
      quadrant with the highest relatedness density.

    Columns ``basis`` (``statistics``), ``kind``, ``nace_r2, label, value`` (LQ, or relatedness
    density for an option), ``detail``, ``year``.
    """
    prof = profile.employment_profile(employment, code, year=year)
    year, territory, table = prof["year"], prof["territory"], prof["table"]
    labels = nace_labels()
    top = profile.top_specialisations(table, n=len(table))
    spec = top[top["lq"] >= 1].assign(
        kind="specialisation",
        value=lambda t: t["lq"],
        detail=lambda t: "share " + (100 * t["share"]).map("{:.1f}".format) + " %",
    )
    start = int(employment["year"].min()) if start is None else start
    parts = [spec]
    if start < year:
        first = profile.employment_profile(employment, code, year=start)["table"][["nace_r2", "lq"]]
        both = table[["nace_r2", "lq", "share"]].merge(first, on="nace_r2", suffixes=("", "_start")).dropna()
        growth = both["lq"] / both["lq_start"].replace(0, np.nan) - 1
        em = (
            both[(growth >= min_growth) & (both["lq"] >= 0.5) & (both["share"] >= 0.001)]
            .assign(growth=growth)
            .sort_values("growth", ascending=False)
        )
        parts.append(
            em.assign(
                kind="emerging",
                value=em["lq"],
                detail=f"LQ {start}: "
                + em["lq_start"].map("{:.2f}".format)
                + f" → {year}: "
                + em["lq"].map("{:.2f}".format),
            )
        )
    options = smart_profile.diversification_options(employment, territory, year)
    ideal = options[options["quadrant"] == "low risk, high benefit"].head(n_options)
    parts.append(
        ideal.assign(
            kind="diversification option",
            value=ideal["relatedness_density"],
            detail="relatedness density "
            + ideal["relatedness_density"].map("{:.0f}".format)
            + ", complexity "
            + ideal["complexity"].map("{:.2f}".format),
        )
    )
    out = pd.concat([p[["nace_r2", "kind", "value", "detail"]] for p in parts], ignore_index=True)
    out["label"] = out["nace_r2"].map(labels).fillna("")
    out["basis"] = "statistics"
    out["year"] = year
    return out[["basis", "kind", "nace_r2", "label", "value", "detail", "year"]]


def research_competences(
    indicators: pd.DataFrame, territory: nuts.Territory, specs: pd.DataFrame, *, latest_year: int | None = None
) -> pd.DataFrame:
    """Research and technology indicators of the territory, each with its year, the EU value and the gap said.

    ``ratio_to_eu`` is value / EU-27 value of the same year. ``gap`` says ``"not published for this
    region"`` where Eurostat has no figure, or ``"latest figure N years older"`` where the
    region's latest year lags the latest year of the indicator (``latest_year``: the newest year
    in the data for the indicator when not given). Columns ``basis, indicator, label, unit, year,
    value, reference_value, ratio_to_eu, dataset_code, gap``.
    """
    specs = specs.loc[[i for i in RESEARCH_INDICATORS if i in specs.index]]
    facts = profile.key_figures(indicators, territory, specs)
    newest = indicators.dropna(subset=["value"]).groupby("indicator")["year"].max()
    year = pd.to_numeric(facts["year"], errors="coerce")
    lag = (latest_year if latest_year is not None else facts["indicator"].map(newest)) - year
    with np.errstate(invalid="ignore", divide="ignore"):
        facts["ratio_to_eu"] = facts["value"] / facts["reference_value"]
    facts["gap"] = np.where(
        facts["value"].isna(),
        "not published for this region",
        np.where(
            lag > 0,
            "latest figure "
            + lag.fillna(0).astype(int).astype(str)
            + np.where(lag == 1, " year", " years")
            + " older than Europe's",
            "",
        ),
    )
    facts["basis"] = "statistics"
    return facts[
        [
            "basis",
            "indicator",
            "label",
            "unit",
            "year",
            "value",
            "reference_value",
            "ratio_to_eu",
            "dataset_code",
            "gap",
            "note",
        ]
    ]


def competence_profile(
    employment: pd.DataFrame, code: str, declared: pd.DataFrame | None = None, *, year: int | None = None
) -> pd.DataFrame:
    """Industrial competences from statistics and declared ones, in one long table kept apart by ``basis``.

    Columns ``basis, kind, nace_r2, label, value, detail, year, illustrative``; declared rows
    (one per declared division) have no value and carry their title in ``detail``.
    """
    stats = statistical_competences(employment, code, year=year).assign(illustrative=False)
    if declared is None or declared.empty:
        return stats
    own = declared_divisions(declared[declared["region"] == code])
    own = own.assign(label=own["nace_r2"].map(nace_labels()).fillna(""), value=np.nan, detail=own["title"])
    return pd.concat(
        [stats, own[["basis", "kind", "nace_r2", "label", "value", "detail", "year", "illustrative"]]],
        ignore_index=True,
    )
