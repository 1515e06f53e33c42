"""The regional profile: a region's employment structure, specialisations and key figures.

Functions here turn the tidy extracts into the tables the ``regional_profile`` notebook shows.
They work for any NUTS region (level 0-3): a NUTS 1 region is profiled directly where Eurostat
publishes it, otherwise as the sum of its NUTS 2 regions; a NUTS 3 region by its NUTS 2 parent.
The :class:`~clusterix_lib.nuts.Territory` returned says which, in words a report can print.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import nuts, paths
from clusterix_lib.errors import DataFileError, RegionError
from clusterix_lib.nace import nace_labels
from clusterix_lib.specialisation import location_quotient
from clusterix_lib.wording import listed

REFERENCE_GROUP = "EU27_2020"


def country_group(group: str = REFERENCE_GROUP, data_dir: str | Path | None = None) -> list[str]:
    """Member countries of a group listed in ``data/country_groups.csv`` (e.g. ``EU27_2020``)."""
    path = Path(data_dir or paths.data_dir()) / "country_groups.csv"
    if not path.is_file():
        raise DataFileError(f"country group file missing: {path}", hint="restore data/country_groups.csv from git")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    members = table.loc[table["group"] == group, "country"].tolist()
    if not members:
        raise DataFileError(
            f"no country group '{group}'", where=str(path), hint=f"use one of {sorted(table['group'].unique())}"
        )
    return members


def profile_territory(
    code: str, available: Iterable[str], *, regions: pd.DataFrame | None = None, dataset: str | None = None
) -> nuts.Territory:
    """Which published regions stand for ``code`` in the sector statistics.

    ``dataset`` names the statistics in the error raised when none cover the region (e.g.
    ``"persons employed by NACE division (Eurostat sbs_r_nuts06_r2)"``).

    A region with its own statistics stands for itself; a note still says so when it is not a
    NUTS 2 region, since users compare it with NUTS 2 regions. Otherwise
    :func:`clusterix_lib.nuts.statistical_territory` decides (sum of NUTS 2 regions, or parent).
    """
    code = nuts.validate_region(code, regions=regions)
    available = set(available)
    if code in available:
        level = nuts.nuts_level(code)
        name = nuts.region_name(code, regions=regions)
        note = ""
        if level != 2:
            kind = {0: "a country", 1: "a NUTS 1 region", 3: "a NUTS 3 region"}[level]
            note = f"{name} ({code}) is {kind}; Eurostat publishes these statistics for it directly."
        return nuts.Territory(code=code, name=name, level=level, stats_codes=(code,), method="as is", note=note)
    try:
        return nuts.statistical_territory(code, available, regions=regions)
    except RegionError as exc:
        if dataset is None:
            raise
        countries = sorted({c[:2] for c in available})
        raise RegionError(
            f"{exc.what}: {dataset} has no figures for it",
            where=f"the data cover {len(countries)} countries: {', '.join(countries)}",
            hint="choose a region in one of those countries, or add statistics for this one (clusterix data build)",
        ) from None


def estimated_regions(data: pd.DataFrame, *, geo: str = "geo") -> set[str]:
    """Codes whose figures in ``data`` are population-share estimates (``nuts_conversion == "estimated"``).

    >>> d = pd.DataFrame({"geo": ["AT12", "LT01"], "nuts_conversion": ["identical", "estimated"]})
    >>> estimated_regions(d)
    {'LT01'}
    """
    if nuts.CONVERSION_COLUMN not in data:
        return set()
    return set(data.loc[data[nuts.CONVERSION_COLUMN].eq("estimated").to_numpy(), geo].unique())


def _estimation_groups(codes: Iterable[str]) -> pd.DataFrame:
    return _groups_cached(tuple(sorted(codes)))


@functools.lru_cache(maxsize=8)
def _groups_cached(codes: tuple[str, ...]) -> pd.DataFrame:
    return nuts.estimation_groups(codes)


def _codes_text(codes: Iterable[str]) -> str:
    return listed([nuts.region_label(c) for c in codes])


def sector_territory(
    code: str, data: pd.DataFrame, *, regions: pd.DataFrame | None = None, dataset: str | None = None
) -> nuts.Territory:
    """Which published regions stand for ``code`` in the sector statistics ``data``, never an estimate alone.

    As :func:`profile_territory`, with the rows' ``nuts_conversion`` taken into account.
    Eurostat published the sector statistics in NUTS 2013; a region cut differently in NUTS 2021
    has figures only as population shares of the older regions, which give every part of one
    old region the same mix of industries (Vilnius, LT01, would look like all of Lithuania). So:

    * a NUTS 2 region with estimated figures is shown together with the other regions estimated
      from the same old regions (method ``"joint figures"``; their sum is the published figure:
      LT01 + LT02 = LT00);
    * a NUTS 1 region whose own figure is an estimate is the sum of its NUTS 2 regions instead
      (FRC, estimated from the NUTS 2013 "ZEAT" regions, is FRC1 + FRC2, which are exact);
    * a NUTS 3 region is shown by its parent as before, joined in the same way when needed.

    The territory's ``note`` says so in words a report can print.

    Examples
    --------
    >>> d = pd.DataFrame({"geo": ["LT01", "LT02", "AT12"], "value": [1.0, 2.0, 3.0],
    ...                   "nuts_conversion": ["estimated", "estimated", "identical"]})
    >>> t = sector_territory("LT01", d)
    >>> t.stats_codes, t.method
    (('LT01', 'LT02'), 'joint figures')
    >>> sector_territory("AT12", d).method
    'as is'
    """
    available = set(data.loc[data["value"].notna(), "geo"].unique())
    estimated = estimated_regions(data)
    code = nuts.validate_region(code, regions=regions)
    own_estimate = code in estimated and nuts.nuts_level(code) < 2
    territory = None
    if own_estimate:
        try:
            territory = profile_territory(code, available - {code}, regions=regions)
        except RegionError:
            territory = None
    if territory is None:
        territory = profile_territory(code, available, regions=regions, dataset=dataset)
    elif territory.stats_codes != (code,):
        territory = nuts.Territory(
            territory.code,
            territory.name,
            territory.level,
            territory.stats_codes,
            territory.method,
            territory.note + f" Eurostat's own figure for {code} is left aside: it was estimated by population from "
            "NUTS 2013 regions with other boundaries, while the regions summed here are published as they are.",
        )
    inside = [c for c in territory.stats_codes if c in estimated]
    if not inside:
        return territory
    groups = _estimation_groups({c for c in estimated if len(c) == 4})
    groups = groups[groups["geo"].isin(inside)]
    if groups.empty:
        return territory
    members = sorted(set(territory.stats_codes).union(*groups["members"]))
    sources = sorted(set().union(*groups["sources"]))
    exact = bool(groups["exact"].all())
    if territory.method == "as is" and territory.stats_codes == (code,) and len(members) == 1:
        note = (
            f"{nuts.region_label(code)} did not exist in NUTS 2013, in which Eurostat published these "
            f"statistics; its figures are population shares of {_codes_text(sources)} (NUTS 2013), "
            "so its mix of industries is that of the older region, not its own."
        )
        return nuts.Territory(code, territory.name, territory.level, territory.stats_codes, "as is", note)
    if members == sorted(territory.stats_codes):
        if exact:
            return territory
        note = (
            f" Part of these figures is estimated: parts of {_codes_text(sources)} (NUTS 2013) went to "
            "other regions and were shared out by population."
        )
        return nuts.Territory(
            code,
            territory.name,
            territory.level,
            territory.stats_codes,
            territory.method,
            (territory.note + note).strip(),
        )
    missing = [m for m in members if m not in available]
    others = [m for m in members if m not in territory.stats_codes]
    lead = f"{territory.note} " if territory.note else ""
    if missing:
        note = (
            f"{lead}Eurostat published these statistics in NUTS 2013 for {_codes_text(sources)}; "
            f"the figures of {_codes_text(inside)} are population shares of them, so the mix of industries "
            f"is that of the older region, not the region's own (joining {_codes_text(missing)} would "
            "give the published figures, but it has none)."
        )
        return nuts.Territory(code, territory.name, territory.level, territory.stats_codes, territory.method, note)
    who = territory.name or code
    if exact:
        note = (
            f"{lead}Eurostat published these statistics in NUTS 2013 for {_codes_text(sources)}, which NUTS 2021 "
            f"divides into {_codes_text(members)}. Shared out by population, every part would show the same mix "
            f"of industries, so this report shows {who} together with {_codes_text(others)}: their sum is what "
            "Eurostat published."
        )
    else:
        note = (
            f"{lead}Eurostat published these statistics in NUTS 2013 for {_codes_text(sources)}, whose territory "
            f"NUTS 2021 redraws. {_codes_text(members)} have only population shares of them, which give every part "
            f"the same mix of industries, so this report shows {who} together with {_codes_text(others)}. Their sum "
            "is still partly an estimate: pieces of the older regions now belong to other regions."
        )
    return nuts.Territory(code, territory.name, territory.level, tuple(members), "joint figures", note)


def nuts2_panel(data: pd.DataFrame, *, columns: Iterable[str] = ("year", "geo", "nace_r2", "value")) -> pd.DataFrame:
    """The NUTS 2 rows of ``data``, with regions that have only joint figures standing together.

    Regions whose figures are population-share estimates of the same older regions (see
    :func:`sector_territory`) would enter a Europe-wide comparison as copies of one structure;
    they are replaced by one row per key with their sum, under the key
    :func:`clusterix_lib.nuts.group_key` (``"LT01+LT02"``). A sum is NaN when a member's value is
    missing or withheld.

    >>> d = pd.DataFrame({"year": 2014, "geo": ["LT01", "LT02", "AT12", "AT1"], "nace_r2": "C10",
    ...                   "value": [1.0, 2.0, 3.0, 9.0],
    ...                   "nuts_conversion": ["estimated", "estimated", "identical", "identical"]})
    >>> nuts2_panel(d)[["geo", "value"]].values.tolist()
    [['AT12', 3.0], ['LT01+LT02', 3.0]]
    """
    columns = list(columns)
    nuts2 = data.loc[data["geo"].str.len().eq(4).to_numpy()]
    estimated = estimated_regions(nuts2)
    groups = _estimation_groups(estimated) if estimated else pd.DataFrame(columns=["geo", "group", "members"])
    groups = groups[groups["members"].map(len) > 1]
    if groups.empty:
        return nuts2[columns].reset_index(drop=True)
    key = nuts2["geo"].map(groups.set_index("geo")["group"])
    joined = key.notna().to_numpy()
    keys = [c for c in columns if c not in ("geo", "value")]
    parts = nuts2.loc[joined, columns].assign(geo=key[joined].to_numpy())
    grouped = parts.groupby([*keys, "geo"], sort=False)["value"]
    summed = grouped.sum(min_count=1).to_frame()
    counts = grouped.count()
    expected = summed.index.get_level_values("geo").map(
        groups.drop_duplicates("group").set_index("group")["members"].map(len)
    )
    summed.loc[counts.to_numpy() < np.asarray(expected), "value"] = np.nan
    out = pd.concat([nuts2.loc[~joined, columns], summed.reset_index()[columns]], ignore_index=True)
    return out


def territory_series(data: pd.DataFrame, territory: nuts.Territory, *, by: list[str], geo: str = "geo") -> pd.DataFrame:
    """Sum the published regions standing for ``territory`` (counts only).

    A sum is NaN as soon as one component is NaN (a confidential provincial figure makes the sum
    unknown, never smaller); flags of the components are combined.
    """
    part = data[data[geo].isin(territory.stats_codes)]
    n = len(territory.stats_codes)
    grouped = part.groupby(by, sort=True)
    out = grouped["value"].sum(min_count=1).to_frame()
    out["n_components"] = grouped["value"].count()
    out.loc[out["n_components"] < n, "value"] = np.nan
    if "flag" in part:
        # the components' flag letters, each once, in alphabetical order ("c" + "dc" -> "cd")
        flags = part["flag"].astype(object).fillna("").astype(str)
        joined = flags.groupby([part[c] for c in by], sort=True).agg("".join)
        out["flag"] = joined.map({f: "".join(sorted(set(f))) for f in joined.unique()})
    return out.reset_index().drop(columns="n_components")


def reference_totals(data: pd.DataFrame, members: Iterable[str], *, by: list[str], geo: str = "geo") -> pd.DataFrame:
    """Reference counts (e.g. the EU) as the sum of the member countries' published figures.

    Adds ``n_members``: how many members report each cell. Where a member withholds a figure the
    sum is a lower bound; the profile shows the coverage.
    """
    members = list(members)
    part = data[data[geo].isin(members)]
    grouped = part.groupby(by, sort=True)["value"]
    out = grouped.sum(min_count=1).to_frame()
    out["n_members"] = grouped.count()
    out["members_expected"] = len(members)
    return out.reset_index()


def choose_year(
    structure: pd.DataFrame,
    *,
    year_col: str = "year",
    min_coverage: float = 0.9,
    reference: pd.DataFrame | None = None,
    reference_geo: str = "geo",
) -> int:
    """The latest year whose number of sectors with a value reaches ``min_coverage`` of the best year.

    With ``reference`` (the rows of the reference group's members, e.g. the EU-27 countries) the
    year must also be well covered there: the number of members with a value must reach
    ``min_coverage`` of its best year. Otherwise a region's location quotients "against the
    EU-27" would be computed against whichever members happened to report (in the 2017 SBS file,
    16 of the 27 in 2015). If no year meets both rules, the region's rule alone decides.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2014, 2014, 2015, 2015], "value": [1.0, 2.0, 3.0, np.nan]})
    >>> choose_year(df)
    2014
    >>> region = pd.DataFrame({"year": [2014, 2015], "value": [1.0, 2.0]})
    >>> eu = pd.DataFrame({"geo": ["AT", "BE", "AT"], "year": [2014, 2014, 2015], "value": [5.0, 6.0, 7.0]})
    >>> choose_year(region), choose_year(region, reference=eu)
    (2015, 2014)
    """
    counts = structure.groupby(year_col)["value"].count()
    if counts.empty or counts.max() == 0:
        raise RegionError(
            "no sector statistics with a value for this region",
            hint="choose another region or check data/employment_nace2_nuts.csv.gz",
        )
    good = counts[counts >= min_coverage * counts.max()]
    if reference is not None and len(reference):
        covered = reference_years(reference, year_col=year_col, geo=reference_geo, min_coverage=min_coverage)
        both = good[good.index.isin(covered)]
        if len(both):
            good = both
        elif len(covered) and counts[counts.index.isin(covered)].max() > 0:
            # no year is good for both: the best-covered region year among the reference's good years
            # (HR05: 61 of 68 divisions in 2014 beat 68 divisions against 16 EU members in 2015)
            among = counts[counts.index.isin(covered)]
            good = among[among == among.max()]
    return int(good.index.max())


def reference_years(
    reference: pd.DataFrame, *, year_col: str = "year", geo: str = "geo", min_coverage: float = 0.9
) -> list[int]:
    """Years in which the reference group is well covered: its members with a value reach
    ``min_coverage`` of the best year's (e.g. 25 of the 27 EU members, where 27 report in 2014).

    >>> eu = pd.DataFrame({"geo": ["AT", "BE", "AT"], "year": [2014, 2014, 2015], "value": [5.0, 6.0, 7.0]})
    >>> reference_years(eu)
    [2014]
    """
    members = reference.dropna(subset=["value"]).groupby(year_col)[geo].nunique()
    if members.empty:
        return []
    return [int(y) for y in members[members >= min_coverage * members.max()].index]


def employment_profile(
    employment: pd.DataFrame,
    code: str,
    *,
    year: int | None = None,
    reference_group: str = REFERENCE_GROUP,
    regions: pd.DataFrame | None = None,
) -> dict:
    """Employment structure and location quotients of a region against a reference group.

    .. math:: LQ_i = \\frac{x_{ri} / \\sum_{j \\in P} x_{rj}}{X_i / \\sum_{j \\in P} X_j}

    where :math:`X` sums the reference group's countries and :math:`P` is the set of divisions
    the region publishes (withheld divisions are left out of both totals, so that they bias
    neither share).

    Returns a dict with ``territory`` (:class:`~clusterix_lib.nuts.Territory`), ``year``,
    ``table`` (one row per NACE division: ``nace_r2, label, section, value, flag, share,
    reference_share, lq, reference_members``), ``total`` (persons employed in the divisions with a
    value), ``n_divisions`` and ``n_withheld`` (divisions whose figure is withheld).
    """
    territory = sector_territory(
        code, employment, regions=regions, dataset="persons employed by NACE division (Eurostat sbs_r_nuts06_r2)"
    )
    series = territory_series(employment, territory, by=["year", "nace_r2"])
    if year is None or year == 0:
        members = employment[employment["geo"].isin(country_group(reference_group))]
        year = choose_year(series, reference=members)
    elif year not in set(series["year"]):
        years = sorted(set(series["year"]))
        raise RegionError(
            f"no sector statistics for {territory.code} in {year}",
            where="parameter year",
            hint=f"choose one of {', '.join(map(str, years))}, or 0 for the latest well-covered year",
        )
    series = series[series["year"] == year]
    ref = reference_totals(employment[employment["year"] == year], country_group(reference_group), by=["nace_r2"])
    # Both shares are taken over the divisions the region publishes: a withheld division then
    # inflates neither the region's shares (its total lacks it) nor deflates the reference's.
    published = set(series.loc[series["value"].notna(), "nace_r2"])
    lq = location_quotient(
        series.dropna(subset=["value"]).assign(region=territory.code),
        time="year",
        loc="region",
        prod="nace_r2",
        value="value",
        reference=ref[ref["nace_r2"].isin(published)].dropna(subset=["value"])[["nace_r2", "value"]],
    )
    lq = series.merge(lq[["nace_r2", "share", "reference_share", "lq"]], on="nace_r2", how="left")
    labels = nace_labels()
    table = lq.merge(ref[["nace_r2", "n_members"]], on="nace_r2", how="left")
    table["label"] = table["nace_r2"].map(labels).fillna("")
    table["section"] = table["nace_r2"].str[0]
    table = table.rename(columns={"n_members": "reference_members"})
    table = table[
        ["nace_r2", "label", "section", "value", "flag", "share", "reference_share", "lq", "reference_members"]
    ]
    return {
        "territory": territory,
        "year": int(year),
        "table": table.sort_values("nace_r2").reset_index(drop=True),
        "total": float(table["value"].sum()),
        "n_divisions": int(table["value"].notna().sum()),
        "n_withheld": int(table["value"].isna().sum()),
        "reference_group": reference_group,
    }


#: Divisions whose regional employment says more about where firms are registered than where the
#: work is done; a report names the caveat when such a division is among a region's strongest.
DIVISION_CAVEATS: dict[str, str] = {
    "N78": (
        "Employment activities (N78) count temporary agency workers where the agency's unit is "
        "registered, not where they work: a high LQ often marks an agency's head office rather than "
        "a regional cluster."
    ),
    "M70": (
        "Activities of head offices (M70) count staff where groups keep their head offices: a high LQ "
        "marks a location of headquarters, not of production."
    ),
}


def division_caveats(codes: Iterable[str]) -> list[str]:
    """The :data:`DIVISION_CAVEATS` for those of ``codes`` that have one, in the order given.

    >>> division_caveats(["C24", "N78"])[0].startswith("Employment activities (N78)")
    True
    >>> division_caveats(["C24"])
    []
    """
    return [DIVISION_CAVEATS[c] for c in dict.fromkeys(codes) if c in DIVISION_CAVEATS]


def top_specialisations(table: pd.DataFrame, n: int = 15, *, min_share: float = 0.001) -> pd.DataFrame:
    """The ``n`` divisions with the highest LQ, leaving out tiny ones (share below ``min_share``).

    Tiny divisions give large, unstable quotients; 0.1 % of the region's employment is the floor.
    """
    t = table.dropna(subset=["lq"])
    t = t[t["share"] >= min_share]
    return t.sort_values(["lq", "nace_r2"], ascending=[False, True]).head(n).reset_index(drop=True)


def withheld_caveat(n_withheld: int, n_divisions: int, *, threshold: int = 15) -> str:
    """A caveat for measures built from a region's published divisions when many are withheld.

    Diversity, specialisation indices, complexity and ranks computed over the published
    divisions describe only part of a region whose figures Eurostat withholds for many divisions
    (in 2014 the median NUTS 2 region has 7 of 68 withheld; Malta 24, the Irish regions 40).
    Returns ``""`` below ``threshold`` withheld divisions.

    >>> withheld_caveat(3, 65)
    ''
    >>> withheld_caveat(24, 44)[:60]
    '**Read with care:** 24 of 68 divisions (35 %) are withheld f'
    """
    if n_withheld < threshold:
        return ""
    total = n_withheld + n_divisions
    return (
        f"**Read with care:** {n_withheld} of {total} divisions ({n_withheld / total:.0%}".replace("%", " %")
        + ") are withheld for this region, so these measures and ranks rest on the part of its economy "
        "that is published, and can differ much from the whole."
    )


def key_figures(
    indicators: pd.DataFrame,
    territory: nuts.Territory,
    specs: pd.DataFrame,
    *,
    reference: str = REFERENCE_GROUP,
) -> pd.DataFrame:
    """Latest value of each indicator for the territory, with its year and the EU value that year.

    The region's own code is used where the indicator is published for it; otherwise the
    published regions standing for it -- summed for counts, and only a single stand-in for
    ratios (a ratio cannot be summed). Columns: ``indicator, label, unit, geo, year, value, flag,
    reference_value, dataset_code, note``.

    Joint figures (:func:`sector_territory`) concern the sector statistics only: here the region
    stands for itself (or a NUTS 3 region for its parent). A value that is a population-share
    estimate (``nuts_conversion == "estimated"``) says so in its note.
    """
    if territory.method == "joint figures":
        own_codes = tuple(c for c in territory.stats_codes if territory.code.startswith(c)) or (territory.code,)
        method = "as is" if own_codes == (territory.code,) else "parent region"
        territory = nuts.Territory(territory.code, territory.name, territory.level, own_codes, method, "")
    cols = ["year", "value", "flag"] + ([nuts.CONVERSION_COLUMN] if nuts.CONVERSION_COLUMN in indicators else [])
    rows = []
    for ind, spec in specs.iterrows():
        data = indicators[(indicators["indicator"] == ind) & indicators["value"].notna()]
        own = data[data["geo"] == territory.code]
        note = ""
        if not own.empty:
            series = own[cols]
            geo = territory.code
        elif len(territory.stats_codes) == 1:
            geo = territory.stats_codes[0]
            series = data.loc[data["geo"] == geo, cols]
            note = f"value for {geo}" if geo != territory.code else ""
        elif spec.get("kind", "ratio") == "count":
            series = territory_series(data, territory, by=["year"]).dropna(subset=["value"])
            geo = "+".join(territory.stats_codes)
            note = f"sum of {', '.join(territory.stats_codes)}"
        else:
            series = pd.DataFrame(columns=["year", "value", "flag"])
            geo = territory.code
        if series.empty:
            rows.append(
                {
                    "indicator": ind,
                    "label": spec["label"],
                    "unit": spec["unit"],
                    "geo": geo,
                    "year": pd.NA,
                    "value": np.nan,
                    "flag": "",
                    "reference_value": np.nan,
                    "dataset_code": spec["dataset_code"],
                    "note": note or "not published for this region",
                }
            )
            continue
        latest = series.sort_values("year").iloc[-1]
        if latest.get(nuts.CONVERSION_COLUMN) == "estimated":
            note = "; ".join(n for n in (note, "estimated by population from NUTS 2013 regions") if n)
        ref = indicators[
            (indicators["indicator"] == ind) & (indicators["geo"] == reference) & (indicators["year"] == latest["year"])
        ]
        rows.append(
            {
                "indicator": ind,
                "label": spec["label"],
                "unit": spec["unit"],
                "geo": geo,
                "year": int(latest["year"]),
                "value": float(latest["value"]),
                "flag": latest.get("flag", ""),
                "reference_value": float(ref["value"].iloc[0]) if len(ref) else np.nan,
                "dataset_code": spec["dataset_code"],
                "note": note,
            }
        )
    return pd.DataFrame(rows)
