"""Reduced collaboration extracts in ``data/``, derived from the raw CORDIS and keep.eu files.

Called by :func:`clusterix_lib.extracts.build_all` (``clusterix data build``); writes, each
deterministically (same input, same bytes):

================================  ===============================================================
``h2020_projects.csv.gz``         ``rcn, start_date, end_date, max_contribution, total_cost,
                                  programme`` (H2020 programme parts joined with ``;``)
``h2020_organisations.csv.gz``    ``pic, type_code, country, country_group, name`` (name from the
                                  2017 CORDIS organisation table, where it lists the PIC)
``h2020_participations.csv.gz``   ``rcn, pic, role, contribution``
``interreg_projects.csv.gz``      ``programme, acronym, start_date, end_date, eu_funding, budget,
                                  theme, thematic_objective``
``interreg_partners.csv.gz``      ``programme, acronym, partner_row, name, lead, legal_status,
                                  country, nuts3_2013, nuts3, nuts_conversion, nuts_share``
``collaboration_issues.csv``      every problem found in the raw rows: ``extract, issue, rows,
                                  action, examples``
================================  ===============================================================

Bad rows are never dropped silently. Each rule below is counted in ``collaboration_issues.csv``
(and rows not carried over also in ``not_carried_over.csv``):

* a participation listed twice (same project and organisation): the first row is kept;
* an unknown activity code: kept, with the raw code (the model gives it the sector ``unknown``);
* an organisation with no (or a malformed) country: kept with an empty country;
* an organisation whose rows disagree on type or country: the most frequent value is kept;
* a malformed or missing date: left empty; an end before the start is counted and kept;
* a malformed or negative contribution: left empty;
* a keep.eu NUTS 2013 code: converted with the JRC crosswalk (:func:`locate_in_nuts2021`); a code
  that cannot be converted leaves the region empty (the country is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clusterix_lib import nuts
from clusterix_lib.collaboration import ACTIVITY_SECTORS, H2020_FILES, INTERREG_FILES, ROLES, normalise_name
from clusterix_lib.errors import DataFileError
from clusterix_lib.fileio import write_csv_deterministic

if TYPE_CHECKING:  # pragma: no cover
    from clusterix_lib.extracts import RawFiles

log = logging.getLogger(__name__)

__all__ = [
    "ISSUES_FILE",
    "RAW_KEYS",
    "MAX_EXAMPLES",
    "build_collaboration_extracts",
    "locate_in_nuts2021",
    "not_carried_over",
    "reduce_h2020",
    "reduce_keep",
]

ISSUES_FILE = "collaboration_issues.csv"
#: The raw sources (keys of :data:`clusterix_lib.extracts.RAW_SOURCES`) behind each extract.
RAW_KEYS: dict[str, list[str]] = {
    H2020_FILES["projects"]: ["h2020_participations", "h2020_programme_parts"],
    H2020_FILES["organisations"]: ["h2020_participations", "h2020_organisations"],
    H2020_FILES["participations"]: ["h2020_participations"],
    INTERREG_FILES["projects"]: ["keep_projects"],
    INTERREG_FILES["partners"]: ["keep_partners", "nuts_crosswalk"],
    ISSUES_FILE: [
        "h2020_participations",
        "h2020_programme_parts",
        "h2020_organisations",
        "keep_partners",
        "keep_projects",
    ],
}
ISSUE_COLUMNS = ["extract", "issue", "rows", "action", "examples"]
#: How many example values an issue row lists.
MAX_EXAMPLES = 8
NOT_CARRIED = "not carried over"

H2020_RAW_COLUMNS = (
    "rcn",
    "role",
    "pic",
    "type",
    "contribution",
    "country",
    "start_date",
    "end_date",
    "max_contribution",
    "total_cost",
    "group",
)
KEEP_PARTNER_COLUMNS = (
    "partner_row",
    "Programme",
    "Acronym",
    "Project Partner",
    "Lead Partner",
    "Legal Status",
    "country_iso2",
    "nuts3_code",
)
KEEP_PROJECT_COLUMNS = (
    "Programme",
    "Acronym",
    "Project start",
    "Project end",
    "EU Funding (EUR, parsed)",
    "Budget (EUR, parsed)",
    "Thematic1",
    "Thematic2",
    "Thematic3",
    "Thematic Obj",
)


class _Issues:
    """Collects issue rows: what, how many rows, what was done, a few examples."""

    def __init__(self, extract: str):
        self.extract = extract
        self.rows: list[dict] = []

    def add(self, issue: str, mask_or_values, action: str, examples=None) -> None:
        values = np.asarray(mask_or_values)
        n = int(values.sum()) if values.dtype == bool else int(values.size)
        if n == 0:
            return
        ex = pd.Series(examples if examples is not None else []).astype(str)
        ex = sorted(set(ex[ex != ""]))[:MAX_EXAMPLES]
        self.rows.append(
            {"extract": self.extract, "issue": issue, "rows": n, "action": action, "examples": "; ".join(ex)}
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=ISSUE_COLUMNS)


def _require(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataFileError(
            f"the raw {what} file lacks the column(s) {', '.join(missing)}",
            where=f"columns present: {', '.join(map(str, df.columns))}",
            hint="use the file described in ../shared/data/PROVENANCE.md",
        )


def _iso_dates(values: pd.Series, fmt: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates as ``YYYY-MM-DD`` text; returns (dates, missing mask, malformed mask)."""
    text = values.fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text.where(text != ""), format=fmt, errors="coerce")
    missing = (text == "").to_numpy()
    malformed = (~missing) & parsed.isna().to_numpy()
    return parsed.dt.strftime("%Y-%m-%d").fillna(""), missing, malformed


def _mode_by(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """The most frequent non-empty value of ``col`` per ``key`` (ties: the first seen)."""
    sub = df.loc[df[col] != "", [key, col]]
    counts = sub.groupby([key, col], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates(key)
    return counts.set_index(key)[col]


# --------------------------------------------------------------------------------------------
# CORDIS Horizon 2020
# --------------------------------------------------------------------------------------------


def reduce_h2020(
    participations: pd.DataFrame,
    programme_parts: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three H2020 extracts and the issue table from the raw CORDIS files.

    Parameters
    ----------
    participations
        File 11 of PROVENANCE.md (one row per organisation per project).
    programme_parts
        File 12 (``rcn, programme_part``), optional.
    organisations
        File 13 (``pic, name, ...``, 2017 vintage), optional: only the names are used.

    Returns
    -------
    projects, organisations, participations, issues
        Columns as in the module docstring, sorted by their keys.

    Examples
    --------
    >>> raw = pd.DataFrame({"rcn": [1, 1, 1, 2], "role": ["coordinator", "participant", "participant", "chief"],
    ...     "pic": [10, 11, 11, 12], "type": ["PRC", "HES", "HES", "XYZ"], "contribution": [5.0, -1, 2, None],
    ...     "country": ["AT", "", "", "AT"], "start_date": ["2016-01-01"] * 3 + ["2016-13-01"],
    ...     "end_date": "2018-12-31", "max_contribution": 9.0, "total_cost": 9.0, "group": "eu15"})
    >>> proj, orgs, parts, issues = reduce_h2020(raw)
    >>> parts.values.tolist()
    [[1, 10, 'coordinator', 5.0], [1, 11, 'participant', nan], [2, 12, 'participant', nan]]
    >>> orgs[["pic", "type_code", "country"]].values.tolist()
    [[10, 'PRC', 'AT'], [11, 'HES', ''], [12, 'XYZ', 'AT']]
    >>> for r in issues.itertuples():
    ...     print(f"{r.rows}  {r.issue}  ({r.action})")
    1  duplicate participation (same project and organisation)  (not carried over: the first row of each is kept)
    1  unknown role  (kept as participant)
    1  malformed or negative EC contribution  (kept; contribution left empty)
    1  participation without an EC contribution  (kept; contribution left empty)
    1  participation with an unknown activity code  (kept; raw code in type_code, sector 'unknown')
    1  organisation with no country  (kept; country left empty (no territory))
    1  malformed start date  (kept; start date left empty (no year))
    """
    _require(participations, H2020_RAW_COLUMNS, "CORDIS Horizon 2020 participations")
    issues = _Issues("h2020")
    raw = participations.reset_index(drop=True)
    raw = raw.assign(
        rcn=pd.to_numeric(raw["rcn"], errors="raise").astype("int64"),
        pic=pd.to_numeric(raw["pic"], errors="raise").astype("int64"),
    )
    dup = raw.duplicated(["rcn", "pic"]).to_numpy()
    issues.add(
        "duplicate participation (same project and organisation)",
        dup,
        f"{NOT_CARRIED}: the first row of each is kept",
        raw.loc[dup, "rcn"].astype(str) + ":" + raw.loc[dup, "pic"].astype(str),
    )
    raw = raw.loc[~dup].reset_index(drop=True)

    # participations
    role = raw["role"].fillna("").astype(str).str.strip().str.lower()
    bad_role = ~role.isin(ROLES)
    issues.add("unknown role", bad_role, "kept as participant", role[bad_role])
    role = role.where(~bad_role, "participant")
    contrib = pd.to_numeric(raw["contribution"], errors="coerce")
    given = raw["contribution"].notna() & (raw["contribution"].astype(str).str.strip() != "")
    bad_money = (given & contrib.isna()) | (contrib < 0)
    issues.add(
        "malformed or negative EC contribution",
        bad_money,
        "kept; contribution left empty",
        raw.loc[bad_money, "contribution"],
    )
    contrib = contrib.where(~bad_money)
    issues.add("participation without an EC contribution", (~given).to_numpy(), "kept; contribution left empty")
    parts = pd.DataFrame({"rcn": raw["rcn"], "pic": raw["pic"], "role": role, "contribution": contrib})
    parts = parts.sort_values(["rcn", "pic"], kind="stable").reset_index(drop=True)

    # organisations: one row per PIC, the most frequent code and country
    org_rows = pd.DataFrame(
        {
            "pic": raw["pic"],
            "type_code": raw["type"].fillna("").astype(str).str.strip().str.upper(),
            "country": raw["country"].fillna("").astype(str).str.strip().str.upper(),
            "country_group": raw["group"].fillna("").astype(str).str.strip(),
        }
    )
    bad_country = (org_rows["country"] != "") & ~org_rows["country"].str.fullmatch(r"[A-Z]{2}")
    issues.add("malformed country code", bad_country, "kept; country left empty", org_rows.loc[bad_country, "country"])
    org_rows.loc[bad_country, "country"] = ""
    distinct = org_rows.groupby("pic")[["type_code", "country"]].nunique()
    conflicting = distinct.index[(distinct > 1).any(axis=1)]
    issues.add(
        "organisation with conflicting activity code or country across rows",
        np.asarray(conflicting),
        "the most frequent value is kept",
        conflicting,
    )
    pics = pd.Index(np.sort(org_rows["pic"].unique()), name="pic")
    orgs = pd.DataFrame(index=pics)
    for col in ("type_code", "country", "country_group"):
        orgs[col] = _mode_by(org_rows, "pic", col).reindex(pics).fillna("")
    unknown_code = ~org_rows["type_code"].isin(list(ACTIVITY_SECTORS))
    issues.add(
        "participation with an unknown activity code",
        unknown_code.to_numpy(),
        "kept; raw code in type_code, sector 'unknown'",
        org_rows.loc[unknown_code, "type_code"],
    )
    no_country = orgs["country"] == ""
    issues.add(
        "organisation with no country",
        no_country.to_numpy(),
        "kept; country left empty (no territory)",
        orgs.index[no_country].astype(str),
    )
    orgs["name"] = ""
    if organisations is not None:
        names = organisations.assign(pic=pd.to_numeric(organisations["pic"], errors="coerce"))
        names = names.dropna(subset=["pic"]).drop_duplicates("pic").set_index("pic")["name"]
        names.index = names.index.astype("int64")
        orgs["name"] = names.reindex(pics).fillna("").astype(str).str.strip().to_numpy()
        issues.add("organisation not in the 2017 name table", (orgs["name"] == "").to_numpy(), "kept; name left empty")
    orgs = orgs.reset_index()

    # projects: one row per rcn (first row's values)
    first = raw.drop_duplicates("rcn")
    level = ["start_date", "end_date", "max_contribution", "total_cost"]
    differs = raw.groupby("rcn")[level].nunique().gt(1).any(axis=1)
    issues.add(
        "project whose rows disagree on dates or budget",
        differs.to_numpy(),
        "the first row's values are kept",
        differs.index[differs].astype(str),
    )
    start, s_missing, s_bad = _iso_dates(first["start_date"], "%Y-%m-%d")
    end, e_missing, e_bad = _iso_dates(first["end_date"], "%Y-%m-%d")
    rcn = first["rcn"].astype(str)
    issues.add("malformed start date", s_bad, "kept; start date left empty (no year)", first.loc[s_bad, "start_date"])
    issues.add("malformed end date", e_bad, "kept; end date left empty", first.loc[e_bad, "end_date"])
    issues.add("project without a start date", s_missing, "kept; no year", rcn[s_missing])
    issues.add("project without an end date", e_missing, "kept", rcn[e_missing])
    backwards = ((start != "") & (end != "") & (end < start)).to_numpy()
    issues.add("project ending before it starts", backwards, "kept as published", rcn[backwards])
    projects = pd.DataFrame(
        {
            "rcn": first["rcn"].to_numpy(),
            "start_date": start.to_numpy(),
            "end_date": end.to_numpy(),
            "max_contribution": pd.to_numeric(first["max_contribution"], errors="coerce").to_numpy(),
            "total_cost": pd.to_numeric(first["total_cost"], errors="coerce").to_numpy(),
        }
    )
    projects["programme"] = ""
    if programme_parts is not None:
        pp = programme_parts.dropna().assign(rcn=lambda d: pd.to_numeric(d["rcn"], errors="coerce"))
        orphan = ~pp["rcn"].isin(projects["rcn"])
        issues.add(
            "programme part of a project with no participation",
            orphan.to_numpy(),
            NOT_CARRIED,
            pp.loc[orphan, "rcn"].astype("Int64").astype(str),
        )
        pp = pp[~orphan].drop_duplicates().sort_values(["rcn", "programme_part"])
        joined = pp.groupby("rcn")["programme_part"].agg(";".join)
        projects["programme"] = projects["rcn"].map(joined).fillna("")
        issues.add(
            "project without a programme part",
            (projects["programme"] == "").to_numpy(),
            "kept; programme left empty",
            projects.loc[projects["programme"] == "", "rcn"].astype(str),
        )
    projects = projects.sort_values("rcn", kind="stable").reset_index(drop=True)
    return projects, orgs[["pic", "type_code", "country", "country_group", "name"]], parts, issues.frame()


# --------------------------------------------------------------------------------------------
# keep.eu Interreg 2014-2020
# --------------------------------------------------------------------------------------------


def locate_in_nuts2021(
    codes: pd.Series,
    *,
    from_version: int = 2013,
    crosswalk: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Where each place given by a NUTS code of ``from_version`` lies in NUTS 2021.

    A place (an organisation's address) lies in *one* region, so unlike
    :func:`clusterix_lib.nuts.convert_nuts_version` (which shares counts out among the pieces of
    a region) this picks one target per code, from the JRC crosswalk of :mod:`clusterix_lib.nuts`:

    * a code of ``from_version`` with one NUTS 2021 piece: that piece (``identical``, ``recoded``,
      or ``merged`` into a larger region);
    * a code split among several NUTS 2021 regions: the piece with most of its 2021 population
      (``largest piece``; ``nuts_share`` says how much, so the rest is a known uncertainty);
    * a code not of ``from_version`` but valid in NUTS 2021: kept (``identical``); one of another
      version: converted from the newest version it exists in;
    * anything else: ``not converted`` with a ``reason``, region empty; an empty code: ``no code``.

    Returns a frame aligned with ``codes``: ``nuts2021, nuts_conversion, nuts_share, reason``.

    Examples
    --------
    >>> cw = pd.DataFrame({"from_version": 2013, "from_code": ["FR711", "HU101", "HU101"],
    ...                    "to_code": ["FRK21", "HU110", "HU120"], "share": [1.0, 0.3, 0.7],
    ...                    "kind": ["recoded", "split", "split"]})
    >>> regions = pd.DataFrame({"code": ["FR711", "FRK21", "HU101", "HU110", "HU120", "MK001"],
    ...     "versions": ["2013", "2016 2021", "2013", "2016 2021", "2016 2021", "2016 2021"]})
    >>> out = locate_in_nuts2021(pd.Series(["FR711", "HU101", "MK001", "XX999", ""]), crosswalk=cw, regions=regions)
    >>> out[["nuts2021", "nuts_conversion", "nuts_share"]]
      nuts2021 nuts_conversion  nuts_share
    0    FRK21         recoded         1.0
    1    HU120   largest piece         0.7
    2    MK001       identical         1.0
    3            not converted         NaN
    4                  no code         NaN
    >>> out.loc[3, "reason"]
    'not a NUTS code of any version'
    """
    cw = crosswalk if crosswalk is not None else nuts.load_crosswalk()
    reg = regions if regions is not None else nuts.load_regions()
    text = codes.fillna("").astype(str).str.strip().str.upper().reset_index(drop=True)
    versions = reg.set_index(reg["code"].astype(str))["versions"].fillna("").astype(str)
    ver = text.map(versions).fillna("")
    has = ver.str.split()
    in_from = has.map(lambda v: str(from_version) in v).astype(bool)
    in_2021 = has.map(lambda v: "2021" in v).astype(bool)
    newest = has.map(lambda v: max(map(int, v)) if v else 0).astype("int64")
    use_version = np.where(in_from, from_version, newest)
    lookup = pd.DataFrame({"__row": np.arange(len(text)), "code": text, "version": use_version})
    lookup = lookup[(text != "") & (in_from | ~in_2021) & (use_version != 2021) & (use_version > 0)]
    pieces = lookup.merge(
        cw[["from_version", "from_code", "to_code", "share", "kind"]],
        left_on=["version", "code"],
        right_on=["from_version", "from_code"],
        how="inner",
    )
    n_pieces = pieces.groupby("__row")["to_code"].transform("size")
    best = pieces.sort_values(["__row", "share", "to_code"], ascending=[True, False, True], kind="stable")
    best = best.assign(n=n_pieces.loc[best.index]).drop_duplicates("__row").set_index("__row")
    out = pd.DataFrame(
        {"nuts2021": "", "nuts_conversion": "not converted", "nuts_share": np.nan, "reason": ""}, index=text.index
    )
    rows = best.index.to_numpy()
    out.loc[rows, "nuts2021"] = best["to_code"].to_numpy()
    out.loc[rows, "nuts_conversion"] = np.where(best["n"] > 1, "largest piece", best["kind"]).astype(str)
    out.loc[rows, "nuts_share"] = best["share"].to_numpy()
    direct = (text != "") & in_2021 & ~out.index.isin(rows)
    out.loc[direct, "nuts2021"] = text[direct]
    out.loc[direct, "nuts_conversion"] = "identical"
    out.loc[direct, "nuts_share"] = 1.0
    left = (out["nuts_conversion"] == "not converted") & (text != "")
    known = ver != ""
    out.loc[left & known, "reason"] = "no NUTS 2021 region in the JRC crosswalk"
    out.loc[left & ~known, "reason"] = "not a NUTS code of any version"
    out.loc[text == "", "nuts_conversion"] = "no code"
    return out.set_index(codes.index)


def reduce_keep(
    partners: pd.DataFrame,
    projects: pd.DataFrame,
    *,
    crosswalk: pd.DataFrame | None = None,
    regions: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The two keep.eu extracts and the issue table from the raw partner and project files.

    Partners keep their row number (``partner_row``), name, lead flag, legal status and country;
    their NUTS 3 code (NUTS 2013) is located in NUTS 2021 with :func:`locate_in_nuts2021`.
    Projects are keyed by ``programme`` + ``acronym``; the extra lead-partner rows of cross-border
    projects (one per side of the border) give one project.
    """
    _require(partners, KEEP_PARTNER_COLUMNS, "keep.eu partners")
    _require(projects, KEEP_PROJECT_COLUMNS, "keep.eu projects")
    issues = _Issues("interreg")
    p = partners.reset_index(drop=True)

    def text(col: str, frame: pd.DataFrame = p) -> pd.Series:
        return frame[col].fillna("").astype(str).str.strip()

    located = locate_in_nuts2021(text("nuts3_code"), crosswalk=crosswalk, regions=regions)
    country = text("country_iso2").str.upper()
    region = located["nuts2021"]
    clash = (region != "") & (country != "") & (region.str[:2] != country)
    issues.add(
        "NUTS code outside the partner's country",
        clash,
        "kept; country kept, region left empty",
        country[clash] + "/" + region[clash],
    )
    region = region.where(~clash, "")
    conversion = located["nuts_conversion"].where(~clash, "outside the country")
    country = country.where((country != "") | (region == ""), region.str[:2])
    largest = conversion == "largest piece"
    issues.add(
        "NUTS 2013 region split in NUTS 2021",
        largest,
        "kept; assigned to the NUTS 2021 region with most of its population",
        text("nuts3_code")[largest],
    )
    issues.add(
        "partner with no country",
        (country == "").to_numpy(),
        "kept; country left empty (no territory)",
        text("partner_row")[country == ""],
    )
    no_code = located["nuts_conversion"] == "no code"
    issues.add("partner with no NUTS code", no_code, "kept; region left empty, country kept", country[no_code])
    failed = located["nuts_conversion"] == "not converted"
    issues.add(
        "NUTS 2013 code not converted to NUTS 2021",
        failed,
        f"{NOT_CARRIED} (region): region left empty, country kept",
        text("nuts3_code")[failed],
    )
    status = text("Legal Status").str.lower()
    issues.add(
        "partner without legal status",
        (status == "").to_numpy(),
        "kept; sector 'unknown' unless the name marks a knowledge institution",
    )
    name = text("Project Partner")
    issues.add("partner without a name", (name == "").to_numpy(), "kept", text("partner_row")[name == ""])
    key = text("Programme") + " | " + text("Acronym") + " | " + text("nuts3_code") + " | " + normalise_name(name)
    dup_name = key.duplicated().to_numpy()
    issues.add(
        "same partner name twice in one project",
        dup_name,
        "kept; the model counts the organisation once in that project",
        text("Acronym")[dup_name],
    )
    lead = text("Lead Partner").str.lower().map({"yes": "yes", "no": "no"}).fillna("")
    issues.add(
        "lead-partner flag neither Yes nor No",
        (lead == "").to_numpy(),
        "kept as not lead",
        text("Lead Partner")[lead == ""],
    )
    out_partners = pd.DataFrame(
        {
            "programme": text("Programme"),
            "acronym": text("Acronym"),
            "partner_row": pd.to_numeric(p["partner_row"], errors="raise").astype("int64"),
            "name": name,
            "lead": lead.replace("", "no"),
            "legal_status": status,
            "country": country,
            "nuts3_2013": text("nuts3_code").str.upper(),
            "nuts3": region,
            "nuts_conversion": conversion,
            "nuts_share": located["nuts_share"].round(6),
        }
    ).sort_values(["programme", "acronym", "partner_row"], kind="stable")

    q = projects.reset_index(drop=True)
    qkey = text("Programme", q) + " | " + text("Acronym", q)
    dup = qkey.duplicated().to_numpy()
    issues.add(
        "project listed twice (one lead partner per side of a border)",
        dup,
        f"{NOT_CARRIED}: the first row is kept",
        text("Acronym", q)[dup],
    )
    q = q.loc[~dup].reset_index(drop=True)
    start, s_missing, s_bad = _iso_dates(text("Project start", q), "%Y/%m/%d")
    end, e_missing, e_bad = _iso_dates(text("Project end", q), "%Y/%m/%d")
    issues.add("malformed start date", s_bad, "kept; start date left empty (no year)", text("Project start", q)[s_bad])
    issues.add("malformed end date", e_bad, "kept; end date left empty", text("Project end", q)[e_bad])
    issues.add("project without a start date", s_missing, "kept; no year", text("Acronym", q)[s_missing])
    backwards = ((start != "") & (end != "") & (end < start)).to_numpy()
    issues.add("project ending before it starts", backwards, "kept as published", text("Acronym", q)[backwards])
    themes = pd.concat([text(f"Thematic{i}", q) for i in (1, 2, 3)], axis=1)
    theme = themes.apply(lambda r: "; ".join(v for v in r if v), axis=1) if len(q) else pd.Series([], dtype=str)
    objective = text("Thematic Obj", q).str.extract(r"^\((\d+)\)", expand=False).fillna("")
    out_projects = pd.DataFrame(
        {
            "programme": text("Programme", q),
            "acronym": text("Acronym", q),
            "start_date": start.to_numpy(),
            "end_date": end.to_numpy(),
            "eu_funding": pd.to_numeric(q["EU Funding (EUR, parsed)"], errors="coerce").round(2),
            "budget": pd.to_numeric(q["Budget (EUR, parsed)"], errors="coerce").round(2),
            "theme": theme.to_numpy(),
            "thematic_objective": objective.to_numpy(),
        }
    )
    known = pd.Index(out_projects["programme"] + " | " + out_projects["acronym"])
    pkey = out_partners["programme"] + " | " + out_partners["acronym"]
    orphan = ~pkey.isin(known)
    issues.add(
        "partner of a project missing from the project table",
        orphan,
        "kept; the project is added without dates or funding",
        out_partners.loc[orphan, "acronym"],
    )
    if orphan.any():
        stubs = out_partners.loc[orphan, ["programme", "acronym"]].drop_duplicates()
        out_projects = pd.concat([out_projects, stubs], ignore_index=True).fillna(
            {"start_date": "", "end_date": "", "theme": "", "thematic_objective": ""}
        )
    out_projects = out_projects.sort_values(["programme", "acronym"], kind="stable").reset_index(drop=True)
    return out_projects, out_partners.reset_index(drop=True), issues.frame()


# --------------------------------------------------------------------------------------------
# The build step
# --------------------------------------------------------------------------------------------


def build_collaboration_extracts(raw: RawFiles, out_dir: Path, say: Callable[[str], None]) -> dict[str, Path]:
    """Write the collaboration extracts and ``collaboration_issues.csv`` into ``out_dir``.

    ``raw`` is the build's :class:`~clusterix_lib.extracts.RawFiles` (shared folder; these files
    have no API, so a missing file raises its "not found" error). The NUTS crosswalk and region
    table are the ones just written into ``out_dir`` by the same build (the committed ones
    otherwise). Returns the written paths by file name.
    """
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}
    say("collaboration: CORDIS Horizon 2020 participations")
    # "NA" is Namibia in the country column (CORDIS), but R's missing value in the numbers and dates
    missing = ["", "NA"]
    parts_raw = raw.csv(
        "h2020_participations",
        dtype={"type": str, "country": str, "role": str, "group": str},
        keep_default_na=False,
        na_values={c: missing for c in ("contribution", "max_contribution", "total_cost", "start_date", "end_date")},
    )
    programme = raw.csv("h2020_programme_parts", dtype={"programme_part": str})
    names = raw.csv("h2020_organisations", dtype={"name": str}, usecols=["pic", "name"], keep_default_na=False)
    proj, orgs, parts, h_issues = reduce_h2020(parts_raw, programme, names)
    for name, table in (("projects", proj), ("organisations", orgs), ("participations", parts)):
        written[H2020_FILES[name]] = write_csv_deterministic(table, out_dir / H2020_FILES[name])

    say("collaboration: keep.eu Interreg 2014-2020 partners (NUTS 2013 -> 2021)")
    partners_raw = raw.csv("keep_partners", dtype=str, keep_default_na=False)
    projects_raw = raw.csv("keep_projects", dtype=str, keep_default_na=False, usecols=list(KEEP_PROJECT_COLUMNS))
    cw_path, reg_path = out_dir / nuts.CROSSWALK_FILE, out_dir / nuts.REGIONS_FILE
    crosswalk = nuts.load_crosswalk(cw_path) if cw_path.is_file() else None
    regions = nuts.load_regions(reg_path) if reg_path.is_file() else None
    kproj, kpart, k_issues = reduce_keep(partners_raw, projects_raw, crosswalk=crosswalk, regions=regions)
    written[INTERREG_FILES["projects"]] = write_csv_deterministic(kproj, out_dir / INTERREG_FILES["projects"])
    written[INTERREG_FILES["partners"]] = write_csv_deterministic(kpart, out_dir / INTERREG_FILES["partners"])

    issues = pd.concat([h_issues, k_issues], ignore_index=True)
    written[ISSUES_FILE] = write_csv_deterministic(issues, out_dir / ISSUES_FILE)
    for r in issues.itertuples():
        log.info("%s: %s: %d rows (%s)", r.extract, r.issue, r.rows, r.action)
    return written


def not_carried_over(out_dir: Path) -> pd.DataFrame:
    """The issues of the last build whose rows (or regions) were not carried over, in the layout
    of ``not_carried_over.csv``: ``extract, reason, rows, codes``."""
    issues = pd.read_csv(Path(out_dir) / ISSUES_FILE, dtype={"examples": str}, keep_default_na=False)
    sel = issues[issues["action"].str.startswith(NOT_CARRIED)]
    return pd.DataFrame(
        {
            "extract": "collaboration (" + sel["extract"] + ")",
            "reason": sel["issue"],
            "rows": sel["rows"].astype(int),
            "codes": sel["examples"],
        }
    )
