"""The collaboration model: projects, organisations, and who took part in which project.

One model for three kinds of record, so that every indicator in
:mod:`clusterix_lib.collab_indicators` counts them the same way:

* Horizon 2020 participations (CORDIS, :func:`load_h2020`): every project of the programme,
  organisations typed by their CORDIS activity code, located by **country only**;
* Interreg 2014-2020 partners (keep.eu, :func:`load_interreg`): a **sample** of closed projects,
  partners located by NUTS region (converted from NUTS 2013 to NUTS 2021 when the extract was
  built), typed only as public or private by keep.eu;
* the consortium's own partnership records (:func:`load_programme_records`), where a
  partnership is a "project" and its members are the organisations. No public source exists for
  them: the shipped file is **illustrative** and says so in a column.

A :class:`Collaboration` holds three tidy tables:

``projects``        ``project_id, programme, start_date, end_date, year, funding, theme, status``
``organisations``   ``org_id, name, sector, type_code, type_basis, country, region``
``participations``  ``project_id, org_id, role, funding``

``sector`` is one of :data:`SECTORS`. CORDIS activity codes map as :data:`ACTIVITY_SECTORS`
(HES and REC are *knowledge institutions*, PRC *enterprises*); the raw code stays in
``type_code`` and ``type_basis`` says where the sector came from. ``region`` is a NUTS 2021 code
(empty where only the country is known); ``role`` is one of :data:`ROLES`. The limits of the data
(``source``, ``geography``, ``nuts_version``, ``sample``, ``illustrative``, ``notes`` ...) are kept in
:attr:`Collaboration.limits` and copied to the ``attrs`` of each table, so a table taken out of
the model still says, for instance, ``attrs["geography"] == "country"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib import paths
from clusterix_lib.confidentiality import level_of, read_levels
from clusterix_lib.errors import DataFileError, location
from clusterix_lib.fileio import read_text_csv

__all__ = [
    "ACTIVITY_SECTORS",
    "COUNTED_STATUSES",
    "Collaboration",
    "H2020_FILES",
    "INTERREG_FILES",
    "KNOWLEDGE_NAME_PATTERN",
    "MEMBER_TYPE_SECTORS",
    "PARTNERSHIP_STATUSES",
    "PARTNERSHIP_TYPES",
    "ROLES",
    "SECTORS",
    "classify_keep_partner",
    "default_records_path",
    "load_h2020",
    "load_interreg",
    "load_programme_records",
    "make_collaboration",
    "normalise_name",
    "territory_codes",
]

#: Organisation sectors. ``private`` is keep.eu's "private" legal status, which mixes enterprises
#: with associations, chambers and other non-profits; ``unknown`` has no usable type.
SECTORS: tuple[str, ...] = ("enterprise", "knowledge", "public", "private", "other", "unknown")
#: CORDIS activity types: HES higher or secondary education and REC research organisation are
#: knowledge institutions; PRC private for-profit company; PUB public body; OTH other.
ACTIVITY_SECTORS: dict[str, str] = {
    "HES": "knowledge",
    "REC": "knowledge",
    "PRC": "enterprise",
    "PUB": "public",
    "OTH": "other",
}
#: Roles in a project: the ``coordinator`` (lead partner), a ``participant``, or an unfunded
#: ``partner`` (CORDIS uses it in Marie Skłodowska-Curie actions).
ROLES: tuple[str, ...] = ("coordinator", "participant", "partner")

#: Partnership types and statuses of the consortium's records (the data model of docs/domain.md §8).
PARTNERSHIP_TYPES: tuple[str, ...] = (
    "intra-regional cross-cluster",
    "interregional",
    "ESCP-S3",
    "ESCP-4i",
    "other",
)
PARTNERSHIP_STATUSES: tuple[str, ...] = ("idea", "exploring", "agreement signed", "joint project", "dormant")
#: Statuses counted as a collaboration: an idea or an exploration is not one yet; a dormant
#: partnership was one when it started.
COUNTED_STATUSES: tuple[str, ...] = ("agreement signed", "joint project", "dormant")
#: Member types of the records (the Organisation type of the data model) and their sector.
MEMBER_TYPE_SECTORS: dict[str, str] = {
    "company": "enterprise",
    "university": "knowledge",
    "research org": "knowledge",
    "regional authority": "public",
    "agency": "public",
    "MA/IB": "public",
    "cluster org": "other",
    "other": "other",
}

#: Names that mark a keep.eu partner as a knowledge institution (university, college, research
#: institute), in the main languages of the partner table. Applied to the name lower-cased and
#: stripped of accents; a match overrides keep.eu's public/private status (universities are mostly
#: "public" there).
KNOWLEDGE_NAME_PATTERN = re.compile(
    r"univer[sz]|uniwersytet|universit|hochschule|hogskola|hogskolen|hojskole|egyetem|"
    r"politecnic|polytechn|politechnika|technische universit|college of|university college|"
    r"ecole (?:nationale )?superieure|sveuciliste|visoka skola|\bresearch\b|\bforschung|\brecherche\b|"
    r"\bricerca\b|investigacion|onderzoek|kutato|vyzkumn|istraziva|fraunhofer|max planck|"
    r"\bfaculty\b|\bfakultet|\bfakulta\b|\bfaculdade\b|\bfacultad\b|\bfaculte\b|"
    r"helmholtz|\bcnrs\b|\bcnr\b|\binra\b|\btno\b|\bvtt\b|\bsintef\b|academy of sciences|"
    r"akademie der wissenschaften|institute of technology|technological institute|"
    r"research institute|research centre|research center|centre de recherche|centro de investigacion|"
    r"centro di ricerca|forschungszentrum|forschungsinstitut|instytut badawczy"
)

H2020_FILES = {
    "projects": "h2020_projects.csv.gz",
    "organisations": "h2020_organisations.csv.gz",
    "participations": "h2020_participations.csv.gz",
}
INTERREG_FILES = {
    "projects": "interreg_projects.csv.gz",
    "partners": "interreg_partners.csv.gz",
}
RECORDS_PREFIX = "collaborations_"

PROJECT_COLUMNS = ("project_id", "programme", "start_date", "end_date", "year", "funding", "theme", "status")
ORGANISATION_COLUMNS = ("org_id", "name", "sector", "type_code", "type_basis", "country", "region")
PARTICIPATION_COLUMNS = ("project_id", "org_id", "role", "funding")


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Collaboration:
    """Projects, organisations and participations of one source, with the source's limits.

    Build it with :func:`make_collaboration` (which checks the tables) or a loader.

    Attributes
    ----------
    projects, organisations, participations
        The three tables (columns in the module docstring).
    limits
        What the data can and cannot say: ``source``, ``geography`` (``"country"`` or ``"nuts"``),
        ``nuts_version``, ``sample`` (bool), ``illustrative`` (bool), ``sector_basis`` and
        ``notes`` (sentences a report can print).
    """

    projects: pd.DataFrame
    organisations: pd.DataFrame
    participations: pd.DataFrame
    limits: Mapping[str, Any] = field(default_factory=dict)

    def territory(self, level: int) -> pd.Series:
        """Each organisation's territory at NUTS ``level`` (0 = country), indexed by ``org_id``.

        See :func:`territory_codes`; ``""`` where the data do not locate the organisation that finely.
        """
        return pd.Series(
            territory_codes(self.organisations, level), index=pd.Index(self.organisations["org_id"], name="org_id")
        )

    def subset(self, projects: pd.Series | np.ndarray) -> Collaboration:
        """The model restricted to the projects where the boolean mask ``projects`` is true.

        Organisations are kept whole (so counts of organisations per territory do not change).
        """
        mask = np.asarray(projects, dtype=bool)
        kept = self.projects[mask]
        parts = self.participations[self.participations["project_id"].isin(kept["project_id"])]
        return _with_limits(kept, self.organisations, parts, self.limits)

    def summary(self) -> dict[str, int]:
        """Counts of projects, organisations and participations, and projects with two or more members."""
        size = self.participations.groupby("project_id").size()
        return {
            "projects": len(self.projects),
            "organisations": len(self.organisations),
            "participations": len(self.participations),
            "projects_with_2_or_more": int((size >= 2).sum()),
        }


def territory_codes(organisations: pd.DataFrame, level: int) -> np.ndarray:
    """Territory code of each organisation at NUTS ``level``: the country (0) or the region's
    first ``level + 2`` characters, ``""`` where the region is unknown or coarser than ``level``.

    NUTS codes nest by prefix (``BE2`` contains ``BE21``, ``SE22`` contains ``SE224``).

    Examples
    --------
    >>> orgs = pd.DataFrame({"country": ["BE", "SE", "FR"], "region": ["BE211", "SE22", ""]})
    >>> territory_codes(orgs, 1).tolist(), territory_codes(orgs, 3).tolist()
    (['BE2', 'SE2', ''], ['BE211', '', ''])
    >>> territory_codes(orgs, 0).tolist()
    ['BE', 'SE', 'FR']
    """
    if level not in (0, 1, 2, 3):
        raise ValueError(f"level must be 0-3, not {level!r}")
    if level == 0:
        return organisations["country"].fillna("").astype(str).to_numpy()
    region = organisations["region"].fillna("").astype(str)
    return np.where(region.str.len() >= level + 2, region.str[: level + 2], "")


def _with_limits(projects, organisations, participations, limits) -> Collaboration:
    limits = dict(limits)
    for frame in (projects, organisations, participations):
        frame.attrs = dict(limits)
    return Collaboration(projects, organisations, participations, limits)


def _fail(file: str | None, row: int | None, column: str, value: object, what: str, hint: str) -> DataFileError:
    line = None if row is None else int(row) + 2  # row 0 is line 2 (line 1 is the header)
    return DataFileError(what, where=location(file, line=line, column=column, value=value), hint=hint)


def make_collaboration(
    projects: pd.DataFrame,
    organisations: pd.DataFrame,
    participations: pd.DataFrame,
    *,
    limits: Mapping[str, Any] | None = None,
    files: Mapping[str, str] | None = None,
) -> Collaboration:
    """Check and tidy the three tables into a :class:`Collaboration`.

    Missing optional columns are added empty; ``year`` is derived from ``start_date`` when absent.
    Checks (the first failure raises :class:`~clusterix_lib.errors.DataFileError` naming file, line,
    column and value; ``files`` maps ``"projects"``, ``"organisations"``, ``"participations"`` to the
    file names to cite): ids present and unique, dates ISO (``YYYY-MM-DD``) or empty, sectors in
    :data:`SECTORS`, roles in :data:`ROLES`, each participation naming a known project and
    organisation, no organisation twice in one project, funding numeric and not negative.

    Examples
    --------
    >>> c = make_collaboration(
    ...     pd.DataFrame({"project_id": ["p1"], "start_date": ["2016-01-01"]}),
    ...     pd.DataFrame({"org_id": ["a", "b"], "sector": ["enterprise", "knowledge"], "country": ["AT", "CZ"]}),
    ...     pd.DataFrame({"project_id": ["p1", "p1"], "org_id": ["a", "b"], "role": ["coordinator", "participant"]}),
    ...     limits={"geography": "country"})
    >>> c.summary()
    {'projects': 1, 'organisations': 2, 'participations': 2, 'projects_with_2_or_more': 1}
    >>> c.projects.loc[0, "year"], c.organisations.attrs["geography"]
    (np.int64(2016), 'country')
    """
    files = dict(files or {})
    proj = _tidy_projects(projects, files.get("projects"))
    orgs = _tidy_organisations(organisations, files.get("organisations"))
    parts = _tidy_participations(participations, proj, orgs, files.get("participations"))
    return _with_limits(proj, orgs, parts, limits or {})


def _need(df: pd.DataFrame, cols: tuple[str, ...], file: str | None, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataFileError(
            f"the {what} table lacks the column(s) {', '.join(missing)}",
            where=location(file, line=1) if file else None,
            hint=f"columns present: {', '.join(map(str, df.columns))}",
        )


def _check_ids(df: pd.DataFrame, col: str, file: str | None, what: str) -> None:
    empty = df[col].isna() | (df[col].astype(str).str.strip() == "")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise _fail(file, row, col, "", f"a {what} without an id", f"give every {what} a {col}")
    dup = df[col].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise _fail(file, row, col, df[col].iloc[row], f"{what} id used twice", f"give every {what} its own {col}")


def _dates(values: pd.Series, file: str | None, column: str) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    ok = (text == "") | text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    bad = ~ok | ((text != "") & parsed.isna())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(
            file, row, column, text.iloc[row], "malformed date", "write dates as YYYY-MM-DD or leave them empty"
        )
    return text


def _tidy_projects(df: pd.DataFrame, file: str | None) -> pd.DataFrame:
    _need(df, ("project_id",), file, "projects")
    out = df.reset_index(drop=True).copy()
    _check_ids(out, "project_id", file, "project")
    for col in ("programme", "theme", "status"):
        out[col] = out[col].fillna("").astype(str) if col in out else ""
    for col in ("start_date", "end_date"):
        out[col] = _dates(out[col], file, col) if col in out else ""
    if "year" not in out:
        out["year"] = pd.to_numeric(out["start_date"].str[:4], errors="coerce")
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    out["funding"] = _money(out["funding"], file, "funding") if "funding" in out else np.nan
    extra = [c for c in out.columns if c not in PROJECT_COLUMNS]
    return out[[*PROJECT_COLUMNS, *extra]]


def _money(values: pd.Series, file: str | None, column: str) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    bad = (num.isna() & values.notna() & (values.astype(str).str.strip() != "")) | (num < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(
            file, row, column, values.iloc[row], "funding is not a non-negative number", "write euros, e.g. 125000.5"
        )
    return num.astype("float64")


def _tidy_organisations(df: pd.DataFrame, file: str | None) -> pd.DataFrame:
    _need(df, ("org_id", "sector", "country"), file, "organisations")
    out = df.reset_index(drop=True).copy()
    _check_ids(out, "org_id", file, "organisation")
    for col in ("name", "type_code", "type_basis", "region"):
        out[col] = out[col].fillna("").astype(str) if col in out else ""
    out["country"] = out["country"].fillna("").astype(str).str.strip().str.upper()
    out["region"] = out["region"].str.strip().str.upper()
    out["sector"] = out["sector"].fillna("unknown").astype(str)
    bad = ~out["sector"].isin(SECTORS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(file, row, "sector", out["sector"].iloc[row], "unknown sector", f"use one of {', '.join(SECTORS)}")
    clash = (out["region"] != "") & (out["country"] != "") & (out["region"].str[:2] != out["country"])
    if clash.any():
        row = int(np.flatnonzero(clash.to_numpy())[0])
        raise _fail(
            file,
            row,
            "region",
            out["region"].iloc[row],
            "region lies outside the organisation's country",
            "use a NUTS code whose two letters are the country (EL for Greece, UK for the United Kingdom)",
        )
    extra = [c for c in out.columns if c not in ORGANISATION_COLUMNS]
    return out[[*ORGANISATION_COLUMNS, *extra]]


def _tidy_participations(df: pd.DataFrame, proj: pd.DataFrame, orgs: pd.DataFrame, file: str | None) -> pd.DataFrame:
    _need(df, ("project_id", "org_id"), file, "participations")
    out = df.reset_index(drop=True).copy()
    out["role"] = out["role"].fillna("participant").astype(str) if "role" in out else "participant"
    for col, known, what in (
        ("project_id", proj["project_id"], "project"),
        ("org_id", orgs["org_id"], "organisation"),
    ):
        unknown = ~out[col].isin(known)
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise _fail(
                file,
                row,
                col,
                out[col].iloc[row],
                f"participation of an unknown {what}",
                f"add the {what} to its table or correct the id",
            )
    bad = ~out["role"].isin(ROLES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(file, row, "role", out["role"].iloc[row], "unknown role", f"use one of {', '.join(ROLES)}")
    dup = out.duplicated(["project_id", "org_id"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise _fail(
            file,
            row,
            "org_id",
            out["org_id"].iloc[row],
            "organisation listed twice in one project",
            "keep one row per organisation and project (merge the roles and funding)",
        )
    out["funding"] = _money(out["funding"], file, "funding") if "funding" in out else np.nan
    extra = [c for c in out.columns if c not in PARTICIPATION_COLUMNS]
    return out[[*PARTICIPATION_COLUMNS, *extra]]


# --------------------------------------------------------------------------------------------
# Loaders of the committed extracts
# --------------------------------------------------------------------------------------------


def _extract(name: str, data_dir: str | Path | None, numeric: tuple[str, ...] = (), **kw) -> pd.DataFrame:
    """Read a committed extract: text stays text (``NA`` is Namibia), empty numbers are NaN."""
    p = Path(data_dir or paths.data_dir()) / name
    if not p.is_file():
        raise DataFileError(
            f"data extract missing: {p}",
            hint="restore it with `git checkout data/` or rebuild it with `clusterix data build`",
        )
    return pd.read_csv(p, keep_default_na=False, na_values={c: [""] for c in numeric}, **kw)


def load_h2020(data_dir: str | Path | None = None) -> Collaboration:
    """Every Horizon 2020 participation (CORDIS, December 2020) as a :class:`Collaboration`.

    Organisations are PICs, located by **country only** (``region`` is empty; CORDIS exports had
    no NUTS code before 2021): ``limits["geography"] == "country"``. Sector from the activity
    code (:data:`ACTIVITY_SECTORS`; an unknown code gives ``unknown``, code kept in
    ``type_code``). Project ``funding`` is the EC maximum contribution; participation ``funding`` the
    organisation's EC contribution at signature (empty for about one participation in ten).
    ``programme`` holds the H2020 programme part(s) (ERC, MSCA, LEIT, SC1 ...).
    """
    files = dict(H2020_FILES)
    proj = _extract(files["projects"], data_dir, ("max_contribution", "total_cost"), dtype={"programme": str})
    orgs = _extract(files["organisations"], data_dir, dtype={"type_code": str, "country": str, "name": str})
    parts = _extract(files["participations"], data_dir, ("contribution",), dtype={"role": str})
    proj = proj.rename(columns={"rcn": "project_id", "max_contribution": "funding"})
    orgs = orgs.rename(columns={"pic": "org_id"})
    orgs["sector"] = orgs["type_code"].map(ACTIVITY_SECTORS).fillna("unknown")
    orgs["type_basis"] = "CORDIS activity type"
    parts = parts.rename(columns={"rcn": "project_id", "pic": "org_id", "contribution": "funding"})
    limits = {
        "source": "CORDIS Horizon 2020 participations (December 2020)",
        "geography": "country",
        "nuts_version": None,
        "sample": False,
        "illustrative": False,
        "sector_basis": "CORDIS activity type (HES/REC knowledge institution, PRC enterprise, PUB public, OTH other)",
        "notes": (
            "CORDIS locates Horizon 2020 participants by country only: regional figures cannot be "
            "taken from it, so it is read at the level of the region's country.",
            "Projects signed after mid-December 2020 are missing, so 2020 and later years are incomplete.",
            "EC contributions are amounts at grant signature; about one participation in ten has none.",
        ),
    }
    return make_collaboration(proj, orgs, parts, limits=limits, files=files)


def normalise_name(names: pd.Series) -> pd.Series:
    """Names lower-cased, stripped of accents, punctuation and repeated spaces (a matching key).

    >>> normalise_name(pd.Series(["Université  Lyon-1", "UNIVERSITE LYON 1"])).tolist()
    ['universite lyon 1', 'universite lyon 1']
    """
    text = names.fillna("").astype(str).map(lambda s: unicodedata.normalize("NFKD", s))
    text = text.str.encode("ascii", "ignore").str.decode("ascii").str.lower()
    return text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def classify_keep_partner(names: pd.Series, legal_status: pd.Series) -> pd.DataFrame:
    """Sector of keep.eu partners from their name and legal status (the documented rule).

    A name matching :data:`KNOWLEDGE_NAME_PATTERN` gives ``knowledge`` (basis ``name pattern``);
    otherwise keep.eu's legal status gives ``public`` or ``private`` (basis ``legal status``),
    and no status ``unknown``. keep.eu has no enterprise flag: ``private`` partners include
    associations and chambers, so they are a proxy for enterprises, not enterprises.

    Examples
    --------
    >>> classify_keep_partner(pd.Series(["Universität Wien", "Acme GmbH", "Town of X", "Y"]),
    ...                       pd.Series(["public", "private", "public", ""])).values.tolist()
    [['knowledge', 'name pattern'], ['private', 'legal status'], ['public', 'legal status'], ['unknown', 'no type']]
    """
    key = normalise_name(names)
    status = legal_status.fillna("").astype(str).str.strip().str.lower()
    knowledge = key.str.contains(KNOWLEDGE_NAME_PATTERN).to_numpy()
    sector = np.select(
        [knowledge, status == "public", status == "private"], ["knowledge", "public", "private"], "unknown"
    )
    basis = np.select([knowledge, np.isin(status, ["public", "private"])], ["name pattern", "legal status"], "no type")
    return pd.DataFrame({"sector": sector, "type_basis": basis}, index=names.index)


def load_interreg(data_dir: str | Path | None = None) -> Collaboration:
    """The keep.eu sample of closed Interreg 2014-2020 projects as a :class:`Collaboration`.

    keep.eu has no organisation id: an organisation is a normalised partner name within one NUTS 3
    region (or country, where the partner has no NUTS code), so different spellings of one body
    count as different organisations, and a body named twice in one project counts once there
    (role coordinator if either row is the lead partner; ``limits["merged_participations"]``).
    Regions are NUTS 2021 (converted from keep.eu's NUTS 2013 when the extract was built; see
    ``nuts_conversion`` in the organisations table). Sectors follow :func:`classify_keep_partner`.
    """
    pfile, rfile = INTERREG_FILES["projects"], INTERREG_FILES["partners"]
    proj = _extract(pfile, data_dir, dtype=str)
    rows = _extract(rfile, data_dir, dtype=str)
    proj = proj.assign(
        project_id=proj["programme"] + " | " + proj["acronym"],
        funding=pd.to_numeric(proj["eu_funding"], errors="coerce"),
    )
    rows = rows.assign(project_id=rows["programme"] + " | " + rows["acronym"])
    key = normalise_name(rows["name"])
    rows["org_id"] = np.where(rows["nuts3"] != "", rows["nuts3"], rows["country"]) + ":" + key
    rows["is_lead"] = rows["lead"].str.lower().isin(["yes", "true", "1"])
    typed = classify_keep_partner(rows["name"], rows["legal_status"])
    rows = pd.concat([rows, typed], axis=1)
    # one organisation row: the first spelling and the first known legal status
    rows["status_missing"] = rows["legal_status"] == ""
    first = rows.sort_values(["org_id", "status_missing"], kind="stable").drop_duplicates("org_id")
    orgs = pd.DataFrame(
        {
            "org_id": first["org_id"].to_numpy(),
            "name": first["name"].to_numpy(),
            "sector": first["sector"].to_numpy(),
            "type_code": first["legal_status"].to_numpy(),
            "type_basis": first["type_basis"].to_numpy(),
            "country": first["country"].to_numpy(),
            "region": first["nuts3"].to_numpy(),
            "nuts_conversion": first["nuts_conversion"].to_numpy(),
        }
    ).sort_values("org_id", kind="stable")
    grouped = rows.groupby(["project_id", "org_id"], sort=False)
    parts = grouped.agg(lead=("is_lead", "any"), n=("is_lead", "size")).reset_index()
    parts["role"] = np.where(parts["lead"], "coordinator", "participant")
    merged = int((parts["n"] - 1).sum())
    limits = {
        "source": "keep.eu, closed Interreg 2014-2020 projects (export of 2019)",
        "geography": "nuts",
        "nuts_version": 2021,
        "sample": True,
        "illustrative": False,
        "merged_participations": merged,
        "sector_basis": "keep.eu legal status (public/private) plus a name rule for universities and research",
        "notes": (
            "keep.eu's closed-project export is a sample (about 1,850 of 10,000+ Interreg 2014-2020 projects, "
            "mostly started 2015-2017), not the programme: compare shares and partners, not totals.",
            "keep.eu only says public or private; knowledge institutions are recognised by their names, and "
            "'private' partners (enterprises, associations, chambers) stand in for enterprises.",
            "NUTS 2013 codes were converted to NUTS 2021; a region whose boundaries changed is assigned to "
            "the NUTS 2021 region holding most of its population.",
        ),
    }
    return make_collaboration(
        proj[
            ["project_id", "programme", "acronym", "start_date", "end_date", "funding", "theme", "thematic_objective"]
        ],
        orgs,
        parts[["project_id", "org_id", "role"]],
        limits=limits,
        files={"projects": pfile, "organisations": rfile, "participations": rfile},
    )


RECORD_COLUMNS = (
    "record_id",
    "record_name",
    "record_type",
    "status",
    "start_date",
    "end_date",
    "themes",
    "member",
    "member_type",
    "member_country",
    "member_region",
    "role",
    "illustrative",
)


def default_records_path(consortium_path: str | Path | None = None) -> Path:
    """``data/collaborations_<name>.csv`` next to the consortium file ``consortium_<name>.csv``."""
    from clusterix_lib.consortium import default_consortium_path

    cpath = Path(consortium_path) if consortium_path else default_consortium_path()
    name = cpath.stem.removeprefix("consortium_")
    return cpath.with_name(f"{RECORDS_PREFIX}{name}.csv")


def load_programme_records(path: str | Path | None = None) -> Collaboration:
    """The consortium's own partnership records (one row per member of a partnership).

    A partnership becomes a project (``status`` in :data:`PARTNERSHIP_STATUSES`, ``programme`` its
    ``record_type``, ``theme`` its themes), a member an organisation (``member_type`` mapped with
    :data:`MEMBER_TYPE_SECTORS`, ``region`` its NUTS 2021 code), ``role`` lead → coordinator.
    Partnership-level columns must agree on every row of a partnership. Every problem raises a
    :class:`~clusterix_lib.errors.DataFileError` naming file, line, column and value.
    ``limits["illustrative"]`` is true when any row is marked illustrative. The optional
    ``confidentiality`` column is checked (an unknown word is an error; a missing column or an
    empty cell counts as restricted); a project's ``confidentiality`` is the most restrictive
    level of its member rows, so a table of partnerships goes through
    :func:`clusterix_lib.confidentiality.visible` (counts and links may use every record).

    Count only :data:`COUNTED_STATUSES` as collaborations (``model.subset(...)``).
    """
    path = Path(path) if path else default_records_path()
    t = read_text_csv(
        path,
        RECORD_COLUMNS,
        what="collaboration records",
        optional=["confidentiality"],
        hint=f"create a CSV with the columns {', '.join(RECORD_COLUMNS)} (see data/collaborations_clusterix2.md)",
    )
    read_levels(t, path)
    file = str(path)
    for col in ("record_id", "record_name", "member", "member_type", "member_country", "status", "record_type"):
        empty = t[col] == ""
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise _fail(file, row, col, "", f"empty {col}", f"fill in {col} on every row")
    checks = (
        ("record_type", PARTNERSHIP_TYPES),
        ("status", PARTNERSHIP_STATUSES),
        ("member_type", tuple(MEMBER_TYPE_SECTORS)),
        ("role", ("lead", "member")),
        ("illustrative", ("true", "false")),
    )
    for col, allowed in checks:
        values = t[col].str.lower() if col == "illustrative" else t[col]
        bad = ~values.isin(allowed)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise _fail(file, row, col, t[col].iloc[row], f"unknown {col}", f"use one of {', '.join(allowed)}")
    for col in ("start_date", "end_date"):
        _dates(t[col], file, col)
    level_cols = ["record_name", "record_type", "status", "start_date", "end_date", "themes", "illustrative"]
    first = t.groupby("record_id")[level_cols].transform("first")
    clash = (t[level_cols] != first).to_numpy()
    if clash.any():
        r, c = np.argwhere(clash)[0]
        col = level_cols[c]
        raise _fail(
            file,
            int(r),
            col,
            t[col].iloc[r],
            f"partnership {t['record_id'].iloc[r]} has two different {col}",
            f"give every row of a partnership the same {col} (its first row says {first[col].iloc[r]!r})",
        )
    t["member_country"] = t["member_country"].str.upper()
    t["member_region"] = t["member_region"].str.upper()
    t["org_id"] = (
        np.where(t["member_region"] != "", t["member_region"], t["member_country"]) + ":" + normalise_name(t["member"])
    )
    types = t.groupby("org_id")["member_type"].transform("nunique")
    if (types > 1).any():
        row = int(np.flatnonzero((types > 1).to_numpy())[0])
        raise _fail(
            file,
            row,
            "member_type",
            t["member_type"].iloc[row],
            f"member {t['member'].iloc[row]!r} has two different member types",
            "give a member the same member_type on every row",
        )
    proj = t.drop_duplicates("record_id")
    projects = pd.DataFrame(
        {
            "project_id": proj["record_id"].to_numpy(),
            "programme": proj["record_type"].to_numpy(),
            "start_date": proj["start_date"].to_numpy(),
            "end_date": proj["end_date"].to_numpy(),
            "theme": proj["themes"].to_numpy(),
            "status": proj["status"].to_numpy(),
            "name": proj["record_name"].to_numpy(),
            "illustrative": proj["illustrative"].str.lower().eq("true").to_numpy(),
            "confidentiality": t.groupby("record_id")["confidentiality"]
            .agg(level_of)
            .reindex(proj["record_id"])
            .to_numpy(),
        }
    )
    members = t.drop_duplicates("org_id")
    orgs = pd.DataFrame(
        {
            "org_id": members["org_id"].to_numpy(),
            "name": members["member"].to_numpy(),
            "sector": members["member_type"].map(MEMBER_TYPE_SECTORS).to_numpy(),
            "type_code": members["member_type"].to_numpy(),
            "type_basis": "consortium records",
            "country": members["member_country"].to_numpy(),
            "region": members["member_region"].to_numpy(),
        }
    )
    parts = pd.DataFrame(
        {
            "project_id": t["record_id"].to_numpy(),
            "org_id": t["org_id"].to_numpy(),
            "role": np.where(t["role"] == "lead", "coordinator", "participant"),
        }
    )
    illustrative = bool(projects["illustrative"].any())
    notes = ["Partnership records kept by the consortium; a partnership counts from its start date."]
    if illustrative:
        notes.insert(
            0,
            "ILLUSTRATIVE: no public source lists the consortium's partnerships; these records are made up to "
            "show how the consortium's own records are counted. Replace them with real records.",
        )
    limits = {
        "source": f"consortium records ({path.name})",
        "geography": "nuts",
        "nuts_version": 2021,
        "sample": False,
        "illustrative": illustrative,
        "sector_basis": "member type recorded by the consortium",
        "notes": tuple(notes),
    }
    return make_collaboration(
        projects, orgs, parts, limits=limits, files=dict.fromkeys(("projects", "organisations", "participations"), file)
    )
