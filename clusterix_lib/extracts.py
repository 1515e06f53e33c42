"""``clusterix data build``: derive the reduced extracts in ``data/`` from public raw files.

Raw files are read from ``../shared/data`` (or ``$CLUSTERIX_SHARED``) where present, otherwise
downloaded by dataset code from Eurostat's API into the cache. The raw files are never copied:
only the reduced tables below are written, each deterministically (same input, same bytes), and
``data/sources.csv`` names publisher, dataset code, licence and retrieval date of each.

=================================  ==========================================================
``employment_nace2_nuts.csv.gz``   persons employed (SBS ``V16110``) by NACE Rev. 2 division,
                                   country / NUTS 1 / NUTS 2 region (NUTS 2021) and year
``innovation_indicators.csv.gz``   R&D, human resources, patents and total employment by region
``nuts_regions.csv``               NUTS codes, levels, names and the versions each exists in
``nuts_crosswalk_2021.csv.gz``     JRC population shares from older NUTS versions to 2021
``nace_r2.csv``                    NACE Rev. 2 sections and divisions with English labels
``nuts2021_geometry.geojson``      simplified NUTS 2021 polygons for maps (GISCO 1:20 M)
``sources.csv``                    provenance of each extract
=================================  ==========================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import collab_extracts, eurostat, nace, nuts, paths
from clusterix_lib.errors import DataFileError
from clusterix_lib.fileio import atomic_write_text, write_csv_deterministic

log = logging.getLogger(__name__)

EUROSTAT_LICENCE = (
    "Eurostat reuse policy: free reuse with acknowledgement of the source (Commission Decision 2011/833/EU)"
)
GISCO_LICENCE = "© EuroGeographics for the administrative boundaries; Eurostat GISCO terms of use"
JRC_LICENCE = "European Commission reuse policy (Decision 2011/833/EU); packaged in the R package nuts (MIT)"
CORDIS_LICENCE = "European Commission reuse policy (Decision 2011/833/EU; CC BY 4.0 on data.europa.eu)"
KEEP_LICENCE = "no licence stated; keep.eu is run by Interact (EU-funded): cite keep.eu as the source"


@dataclass(frozen=True)
class RawSource:
    """A public raw file: its name in the shared folder and how to get it from the publisher."""

    key: str
    shared_file: str
    title: str
    publisher: str
    licence: str
    dataset_code: str = ""  # Eurostat code, when the API can serve it
    url: str = ""
    shared_retrieved: str = "2026-11-24"  # when the copy in ../shared/data was taken (PROVENANCE.md)
    vintage: str = ""


RAW_SOURCES: dict[str, RawSource] = {
    s.key: s
    for s in [
        RawSource(
            "sbs",
            "sbs_r_nuts06_r2.tsv.gz",
            "SBS data by NUTS 2 regions and NACE Rev. 2 (2008 onwards)",
            "Eurostat",
            EUROSTAT_LICENCE,
            "sbs_r_nuts06_r2",
            "https://ec.europa.eu/eurostat/databrowser/view/sbs_r_nuts06_r2/default/table",
            vintage="bulk file of mid-2017",
        ),
        RawSource(
            "lfs",
            "lfst_r_lfe2en2.tsv.gz",
            "Employment by age, economic activity and NUTS 2 regions (NACE Rev. 2)",
            "Eurostat (EU Labour Force Survey)",
            EUROSTAT_LICENCE,
            "lfst_r_lfe2en2",
            "https://ec.europa.eu/eurostat/databrowser/view/lfst_r_lfe2en2/default/table",
            vintage="bulk file of 2017",
        ),
        RawSource(
            "innovation",
            "eurostat_innovation_indicators_nuts_2011_2020.csv.gz",
            "R&D expenditure, R&D personnel, HRST and EPO patents by NUTS region",
            "Eurostat (datasets rd_e_gerdreg, rd_p_persreg, hrst_st_rcat, pat_ep_rtot; stacked by Nesta/EURITO)",
            EUROSTAT_LICENCE,
            "rd_e_gerdreg rd_p_persreg hrst_st_rcat pat_ep_rtot",
            "https://ec.europa.eu/eurostat/web/science-technology-innovation/database",
            vintage="Eurostat API, 2022-03-31",
        ),
        RawSource(
            "nuts_codes",
            "nuts_codes_all_versions_2006_2024.csv.gz",
            "NUTS codes of every version 2006-2024",
            "European Commission, Joint Research Centre (NUTS converter)",
            JRC_LICENCE,
            url="https://github.com/ropensci/nuts",
        ),
        RawSource(
            "nuts_crosswalk",
            "nuts_crosswalks_jrc_2006_2024.csv.gz",
            "NUTS converter matrices between versions",
            "European Commission, Joint Research Centre",
            JRC_LICENCE,
            url="https://github.com/ropensci/nuts",
            vintage="release 2025.08",
        ),
        RawSource(
            "nuts_names",
            "nuts2021_codes_names.csv",
            "NUTS 2021 codes and names",
            "Eurostat GISCO",
            GISCO_LICENCE,
            url="https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/territorial-units-statistics",
        ),
        RawSource(
            "nace",
            "nace_rev2_codes_en.csv",
            "NACE Rev. 2 classification, English labels",
            "Eurostat",
            EUROSTAT_LICENCE,
            url="https://ec.europa.eu/eurostat/web/nace",
        ),
        RawSource(
            "geometry",
            "NUTS_RG_20M_2021_4326_LEVL_{level}.geojson",
            "NUTS 2021 regions, 1:20 million, EPSG:4326",
            "Eurostat GISCO",
            GISCO_LICENCE,
            url="https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/territorial-units-statistics",
        ),
        # collaboration data (issue 8): CORDIS Horizon 2020 and keep.eu Interreg; no API, shared files only
        RawSource(
            "h2020_participations",
            "cordis_h2020_participations_2020-12.csv.gz",
            "EU research projects under Horizon 2020 (2014-2020): participations",
            "European Commission, CORDIS (Publications Office); tidied by J. Martins (GitHub zambujo/eunets)",
            CORDIS_LICENCE,
            "cordisH2020projects",
            "https://data.europa.eu/data/datasets/cordish2020projects",
            vintage="CORDIS export of 2020-12-14",
        ),
        RawSource(
            "h2020_programme_parts",
            "cordis_h2020_programme_parts_2020-12.csv.gz",
            "Horizon 2020 programme part of each project",
            "European Commission, CORDIS (Publications Office); tidied by J. Martins (GitHub zambujo/eunets)",
            CORDIS_LICENCE,
            "cordisH2020projects",
            "https://data.europa.eu/data/datasets/cordish2020projects",
            vintage="CORDIS export of 2020-12-14",
        ),
        RawSource(
            "h2020_organisations",
            "cordis_h2020_organisations_2017.csv.gz",
            "Horizon 2020 organisations: names and addresses",
            "European Commission, CORDIS (Publications Office); via GitHub spaghetti-open-data/ODFest2017",
            CORDIS_LICENCE,
            "cordisH2020projects",
            "https://data.europa.eu/data/datasets/cordish2020projects",
            vintage="CORDIS export of mid-2017",
        ),
        RawSource(
            "keep_partners",
            "keep_interreg_2014-2020_closed_partners.csv.gz",
            "Interreg 2014-2020 closed projects: partners with NUTS regions",
            "keep.eu (Interact programme); via GitHub pgourdongeo/Chap3_LocationalAnalysis",
            KEEP_LICENCE,
            url="https://keep.eu/",
            vintage="keep.eu export of 2019 (closed projects)",
        ),
        RawSource(
            "keep_projects",
            "keep_interreg_2014-2020_closed_projects.csv.gz",
            "Interreg 2014-2020 closed projects: dates, budget, themes",
            "keep.eu (Interact programme); via GitHub pgourdongeo/Chap3_LocationalAnalysis",
            KEEP_LICENCE,
            url="https://keep.eu/",
            vintage="keep.eu export of 2019 (closed projects)",
        ),
    ]
}


# The innovation indicators the profile shows. `shared_id` names the series in the stacked
# shared file; `dataset` and `filters` name the same series in Eurostat's API.
@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    label: str
    unit: str
    dataset: str
    filters: dict[str, str] = field(default_factory=dict)
    shared_id: str = ""
    kind: str = "ratio"  # "ratio" cannot be split between regions; "count" can


INNOVATION_INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "gerd_pc_gdp",
        "R&D expenditure (GERD), all sectors",
        "% of GDP",
        "rd_e_gerdreg",
        {"sectperf": "TOTAL", "unit": "PC_GDP"},
        "rd_e_gerdreg_total_pc_gdp",
    ),
    IndicatorSpec(
        "berd_pc_gdp",
        "R&D expenditure of business enterprises (BERD)",
        "% of GDP",
        "rd_e_gerdreg",
        {"sectperf": "BES", "unit": "PC_GDP"},
        "rd_e_gerdreg_bes_pc_gdp",
    ),
    IndicatorSpec(
        "rd_personnel_pc_emp",
        "R&D personnel, all sectors (FTE)",
        "% of total employment",
        "rd_p_persreg",
        {"sectperf": "TOTAL", "prof_pos": "TOTAL", "sex": "T", "unit": "PC_EMP_FTE"},
        "rd_p_persreg_total_total_t_pc_emp_fte",
    ),
    IndicatorSpec(
        "hrst_pc_act",
        "Human resources in science and technology (HRST)",
        "% of active population",
        "hrst_st_rcat",
        {"category": "HRST", "unit": "PC_ACT"},
        "hrst_st_rcat_hrst_pc_act",
    ),
    IndicatorSpec(
        "patents_p_mhab",
        "EPO patent applications",
        "per million inhabitants",
        "pat_ep_rtot",
        {"unit": "P_MHAB"},
        "pat_ep_rtot_p_mhab",
    ),
    # the number of applications: with the rate above it gives each country's population, hence the
    # EU-27 rate (Eurostat publishes no EU-27 aggregate in the regional patent series)
    IndicatorSpec(
        "patents_nr",
        "EPO patent applications",
        "applications (fractional count by inventors' regions)",
        "pat_ep_rtot",
        {"unit": "NR"},
        "pat_ep_rtot_nr",
        kind="count",
    ),
)
EMPLOYMENT_TOTAL = IndicatorSpec(
    "employment_ths",
    "Employment, all activities, age 15 and over (LFS)",
    "thousand persons",
    "lfst_r_lfe2en2",
    {"unit": "THS", "nace_r2": "TOTAL", "age": "Y_GE15"},
    kind="count",
)

EMPLOYMENT_FILE = "employment_nace2_nuts.csv.gz"
INDICATORS_FILE = "innovation_indicators.csv.gz"
REGIONS_FILE = "nuts_regions.csv"
CROSSWALK_FILE = "nuts_crosswalk_2021.csv.gz"
NACE_FILE = nace.NACE_FILE
GEOMETRY_FILE = "nuts2021_geometry.geojson"
SOURCES_FILE = "sources.csv"
SBS_NUTS_VERSION = 2013  # PROVENANCE.md: the 2017 SBS and LFS bulk files use NUTS 2013 codes


class RawFiles:
    """Finds raw inputs: the shared folder first, the Eurostat API second."""

    def __init__(self, shared: Path | None = None, *, online: bool = True):
        self.shared = shared if shared is not None else paths.shared_data_dir()
        self.online = online
        self.used: dict[str, str] = {}  # source key -> "shared" | "api"

    def path(self, key: str, **fmt) -> Path | None:
        source = RAW_SOURCES[key]
        if self.shared is None:
            return None
        p = self.shared / source.shared_file.format(**fmt)
        return p if p.is_file() else None

    def eurostat_table(self, key: str) -> pd.DataFrame:
        """A Eurostat bulk table in tidy form, from the shared file or the API."""
        source = RAW_SOURCES[key]
        p = self.path(key)
        if p is not None:
            self.used[key] = "shared"
            return eurostat.read_eurostat_tsv(p)
        if not (self.online and source.dataset_code):
            raise self._missing(key)
        self.used[key] = "api"
        return eurostat.fetch_dataset(source.dataset_code)

    def csv(self, key: str, **kw) -> pd.DataFrame:
        p = self.path(key)
        if p is None:
            raise self._missing(key)
        self.used[key] = "shared"
        return pd.read_csv(p, **kw)

    def _missing(self, key: str) -> DataFileError:
        source = RAW_SOURCES[key]
        where = str(self.shared / source.shared_file) if self.shared else "../shared/data (not present)"
        return DataFileError(
            f"raw file for '{source.title}' not found",
            where=where,
            hint="set CLUSTERIX_SHARED to the folder holding the public raw files, or connect to the internet "
            "so that the Eurostat API can be used; the committed extracts in data/ need no rebuild to run the reports",
        )


def build_employment(raw: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Persons employed (``V16110``) by NACE division, region and year, recoded to NUTS 2021.

    Keeps every region of the source (countries, NUTS 1 and NUTS 2) and every cell, including the
    confidential ones (value empty, flag ``c``): a report must be able to say a figure is
    confidential rather than absent. Regions whose boundaries changed are estimated with the
    JRC population shares and marked ``nuts_conversion = estimated``.
    """
    sel = raw[(raw["indic_sb"] == "V16110") & raw["nace_r2"].str.match(r"^[A-Z]\d{2}$")]
    sel = sel[["geo", "nace_r2", "time", "value", "flag"]].rename(columns={"time": "year"})
    sel = sel.assign(year=sel["year"].astype(int))
    # the 2017 bulk file is mostly NUTS 2013 but still carries some older codes (DE41, EL11 ...)
    converted = nuts.harmonise_mixed_versions(
        sel,
        geo="geo",
        value="value",
        by=["nace_r2", "year"],
        kind="count",
        crosswalk=crosswalk,
        regions=regions,
    )
    return _finish(converted, ["geo", "nace_r2", "year"], "employment (SBS)")


def innovation_from_api(fetch: Callable[[str], pd.DataFrame] | None = None) -> pd.DataFrame:
    """The series of :data:`INNOVATION_INDICATORS` from Eurostat's API, in the shared file's layout.

    Each dataset is downloaded once (``fetch`` defaults to :func:`clusterix_lib.eurostat.fetch_dataset`)
    and filtered on the spec's dimensions; the result has the columns ``indicator`` (the shared id),
    ``year``, ``region_id``, ``region_level`` and ``value`` that :func:`build_indicators` reads.
    """
    fetch = fetch or eurostat.fetch_dataset
    tables: dict[str, pd.DataFrame] = {}
    parts = []
    for spec in INNOVATION_INDICATORS:
        if spec.dataset not in tables:
            tables[spec.dataset] = fetch(spec.dataset)
        table = tables[spec.dataset]
        mask = np.ones(len(table), dtype=bool)
        for dim, val in spec.filters.items():
            if dim not in table.columns:
                raise DataFileError(
                    f"Eurostat dataset {spec.dataset} has no dimension '{dim}'",
                    hint="Eurostat may have changed the dataset's structure; update INNOVATION_INDICATORS",
                )
            mask &= (table[dim] == val).to_numpy()
        sel = table[mask & table["value"].notna().to_numpy() & table["time"].str.fullmatch(r"\d{4}").to_numpy()]
        geo = sel["geo"].astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "indicator": spec.shared_id,
                    "year": sel["time"].astype(int),
                    "region_id": geo,
                    "region_level": np.where(geo == "EU27_2020", 5, geo.str.len() - 2),
                    "value": sel["value"].astype(float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def build_indicators(
    innovation: pd.DataFrame | None, lfs: pd.DataFrame, crosswalk: pd.DataFrame, regions: pd.DataFrame
) -> pd.DataFrame:
    """The innovation indicators of :data:`INNOVATION_INDICATORS` plus total employment (LFS).

    ``innovation`` is the stacked shared file (columns ``indicator, year, region_id, value``);
    the codes there mix NUTS versions (Eurostat published old years under old codes), so they are
    harmonised to NUTS 2021; ratios are carried over only where the region is unchanged or merely
    recoded. Columns: ``indicator, geo, year, value, flag, nuts_conversion``.
    """
    parts = []
    if innovation is not None:
        ids = {s.shared_id: s.id for s in INNOVATION_INDICATORS}
        inn = innovation[innovation["indicator"].isin(ids)]
        eu = inn["region_id"] == "EU27_2020"
        keep = eu | (inn["region_id"].str.match(r"^[A-Z]{2}[0-9A-Z]{0,3}$") & (inn["region_level"].astype(int) <= 3))
        inn = inn[keep]
        tidy = pd.DataFrame(
            {
                "indicator": inn["indicator"].map(ids),
                "geo": inn["region_id"].astype(str),
                "year": inn["year"].astype(int),
                "value": inn["value"].astype(float),
                "flag": "",
            }
        )
        eu_rows = tidy[tidy["geo"] == "EU27_2020"].assign(nuts_conversion="identical")
        harmonised = nuts.harmonise_mixed_versions(
            tidy[tidy["geo"] != "EU27_2020"],
            geo="geo",
            value="value",
            by=["indicator", "year"],
            kind="ratio",
            crosswalk=crosswalk,
            regions=regions,
        )
        parts += [_finish(harmonised, ["indicator", "geo", "year"], "innovation indicators"), eu_rows]
    spec = EMPLOYMENT_TOTAL
    mask = np.ones(len(lfs), dtype=bool)
    for dim, val in spec.filters.items():
        mask &= (lfs[dim] == val).to_numpy()
    emp = lfs.loc[mask, ["geo", "time", "value", "flag"]].rename(columns={"time": "year"})
    emp = emp.assign(year=emp["year"].astype(int), indicator=spec.id)
    emp = nuts.harmonise_mixed_versions(
        emp,
        geo="geo",
        value="value",
        by=["indicator", "year"],
        kind="count",
        crosswalk=crosswalk,
        regions=regions,
    )
    parts.append(_finish(emp, ["indicator", "geo", "year"], "employment (LFS)"))
    out = pd.concat(parts, ignore_index=True)
    out = out[["indicator", "geo", "year", "value", "flag", "nuts_conversion"]]
    return out.sort_values(["indicator", "geo", "year"], kind="stable").reset_index(drop=True)


def _finish(df: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """Sort, tidy dtypes, and log what the NUTS conversion could not carry over."""
    dropped = df.attrs.get("not_converted")
    if dropped is not None and len(dropped):
        dropped = pd.DataFrame(dropped)
        reasons = dropped.groupby("reason").size().to_dict()
        log.warning("%s: %d rows not carried over to NUTS 2021: %s", what, len(dropped), reasons)
        _NOT_CARRIED[what] = int(len(dropped))
        summary = (
            dropped.groupby("reason", sort=True)
            .agg(rows=("reason", "size"), codes=("geo", lambda s: " ".join(sorted(set(s.astype(str))))))
            .reset_index()
        )
        _NOT_CARRIED_DETAIL.append(summary.assign(extract=what)[["extract", "reason", "rows", "codes"]])
    df = df.copy()
    df["flag"] = df["flag"].fillna("").astype(str)
    df["value"] = df["value"].astype(float).round(6)
    df["year"] = df["year"].astype(int)
    cols = [*keys, "value", "flag", "nuts_conversion"]
    return df[cols].sort_values(keys, kind="stable").reset_index(drop=True)


_NOT_CARRIED: dict[str, int] = {}
_NOT_CARRIED_DETAIL: list[pd.DataFrame] = []
NOT_CARRIED_FILE = "not_carried_over.csv"


def build_geometry(levels: dict[int, dict], *, tolerance: float = 0.01, decimals: int = 3) -> dict:
    """Simplify the GISCO NUTS 2021 polygons for small report maps.

    Geometries are simplified (Douglas-Peucker with ``tolerance`` degrees, topology kept) and
    coordinates rounded to ``decimals``; properties are reduced to ``NUTS_ID``, ``LEVL_CODE``,
    ``CNTR_CODE`` and ``NAME_LATN``. One FeatureCollection holds all levels.
    """
    import shapely
    from shapely.geometry import mapping, shape

    features = []
    for level in sorted(levels):
        for f in levels[level]["features"]:
            geom = shape(f["geometry"]).simplify(tolerance, preserve_topology=True)
            geom = shapely.set_precision(geom, 10**-decimals)
            props = f["properties"]
            features.append(
                {
                    "type": "Feature",
                    "properties": {k: props[k] for k in ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NAME_LATN")},
                    "geometry": mapping(geom),
                }
            )
    features.sort(key=lambda f: (f["properties"]["LEVL_CODE"], f["properties"]["NUTS_ID"]))
    return {"type": "FeatureCollection", "features": features}


def _sources_table(raw: RawFiles, built: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for out_file, keys in built.items():
        for key in keys:
            s = RAW_SOURCES[key]
            origin = raw.used.get(key, "shared")
            rows.append(
                {
                    "file": out_file,
                    "dataset_code": s.dataset_code,
                    "title": s.title,
                    "publisher": s.publisher,
                    "licence": s.licence,
                    "url": s.url,
                    "vintage": s.vintage,
                    "retrieved": s.shared_retrieved
                    if origin == "shared"
                    else pd.Timestamp.now("UTC").date().isoformat(),
                    "retrieved_from": "public copy in ../shared/data (see PROVENANCE.md)"
                    if origin == "shared"
                    else "Eurostat dissemination API",
                }
            )
    return pd.DataFrame(rows)


def build_all(
    out_dir: Path | None = None,
    *,
    shared: Path | None = None,
    online: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Build every extract into ``out_dir`` (default ``data/``) and return the written paths."""
    out_dir = Path(out_dir) if out_dir else paths.data_dir()
    raw = RawFiles(shared, online=online)
    say = progress or (lambda msg: log.info(msg))
    written: dict[str, Path] = {}
    _NOT_CARRIED.clear()
    _NOT_CARRIED_DETAIL.clear()

    say("NUTS codes and crosswalk")
    codes = raw.csv("nuts_codes", dtype={"code": str})
    names = raw.csv("nuts_names", dtype=str, keep_default_na=False)
    regions = nuts.build_regions_table(codes, names)
    crosswalk = nuts.build_crosswalk_table(raw.csv("nuts_crosswalk"))
    written[REGIONS_FILE] = write_csv_deterministic(regions, out_dir / REGIONS_FILE)
    written[CROSSWALK_FILE] = write_csv_deterministic(crosswalk, out_dir / CROSSWALK_FILE)

    say("NACE Rev. 2 labels")
    written[NACE_FILE] = write_csv_deterministic(
        nace.build_nace_table(raw.csv("nace", dtype=str, keep_default_na=False)), out_dir / NACE_FILE
    )

    say("employment by NACE division (SBS)")
    employment = build_employment(raw.eurostat_table("sbs"), crosswalk, regions)
    written[EMPLOYMENT_FILE] = write_csv_deterministic(employment, out_dir / EMPLOYMENT_FILE)

    say("innovation indicators and total employment (LFS)")
    inn_path = raw.path("innovation")
    if inn_path is not None:
        innovation = pd.read_csv(inn_path)
        raw.used["innovation"] = "shared"
    elif online:
        innovation = innovation_from_api()
        raw.used["innovation"] = "api"
    else:
        raise raw._missing("innovation")
    indicators = build_indicators(innovation, raw.eurostat_table("lfs"), crosswalk, regions)
    written[INDICATORS_FILE] = write_csv_deterministic(indicators, out_dir / INDICATORS_FILE)

    say("map geometry")
    levels = {}
    for level in range(4):
        p = raw.path("geometry", level=level)
        if p is None:
            raise raw._missing("geometry")
        levels[level] = json.loads(p.read_text(encoding="utf-8"))
    raw.used["geometry"] = "shared"
    geo = build_geometry(levels)
    written[GEOMETRY_FILE] = atomic_write_text(out_dir / GEOMETRY_FILE, json.dumps(geo, separators=(",", ":")) + "\n")

    say("collaboration data (CORDIS Horizon 2020, keep.eu Interreg 2014-2020)")
    collab = collab_extracts.build_collaboration_extracts(raw, out_dir, say)
    written.update(collab)
    _NOT_CARRIED_DETAIL.append(collab_extracts.not_carried_over(out_dir))

    built = {
        REGIONS_FILE: ["nuts_codes", "nuts_names"],
        CROSSWALK_FILE: ["nuts_crosswalk"],
        NACE_FILE: ["nace"],
        EMPLOYMENT_FILE: ["sbs", "nuts_crosswalk"],
        INDICATORS_FILE: (["innovation"] if innovation is not None else []) + ["lfs", "nuts_crosswalk"],
        GEOMETRY_FILE: ["geometry"],
        **collab_extracts.RAW_KEYS,
    }
    # every source row that did not make it into an extract, by reason, with the codes concerned
    detail = (
        pd.concat(_NOT_CARRIED_DETAIL, ignore_index=True)
        if _NOT_CARRIED_DETAIL
        else pd.DataFrame(columns=["extract", "reason", "rows", "codes"])
    )
    written[NOT_CARRIED_FILE] = write_csv_deterministic(detail, out_dir / NOT_CARRIED_FILE)
    written[SOURCES_FILE] = write_csv_deterministic(_sources_table(raw, built), out_dir / SOURCES_FILE)
    return written


def not_carried_over() -> dict[str, int]:
    """Rows the last :func:`build_all` could not carry over to NUTS 2021, by extract."""
    return dict(_NOT_CARRIED)
