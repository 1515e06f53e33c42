"""The sections of a smart regional profile that compare a region with every European region.

:mod:`clusterix_lib.profile` describes one region against the EU total. This module places it
among the NUTS 2 regions of Europe, on the same extract and year: how specialised and how
diversified its economy is (Krugman, Hachman, related and unrelated variety), which
specialisations it gained or lost, and where it has clusters by the European Cluster Observatory
star rules.

Every function takes ``panel=``, the :func:`comparison_panel` of the territory, so that a
report computing several sections builds it once. The comparison panel is every NUTS 2 region
with figures, plus the profiled territory itself
when it is not a NUTS 2 region (a NUTS 1 region Eurostat publishes, or a sum of NUTS 2
regions); a NUTS 3 region is represented by its NUTS 2 region. Withheld figures are left out
(``missing="omit"`` in the indicator engine), and the tables say how many were.

The parts computed over *every* region (structure measures, cluster stars, the complexity
result) are the same for all NUTS 2 reports of one extract and year. They are kept in a small
in-process cache keyed by the *content* of their input (:func:`frame_fingerprint` of the
panel's year), never by object identity, so a changed or different panel is always computed
afresh; a batch's kernel template fills it once (:func:`warm`) for every report it forks.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib import clusters, complexity, diversity, dynamics, nuts, profile, quadrant, specialisation
from clusterix_lib.errors import RegionError
from clusterix_lib.nace import nace_labels

__all__ = [
    "panel_code",
    "comparison_panel",
    "covers_several_nuts2",
    "eu_reference",
    "first_year",
    "quadrant_caveats",
    "cluster_profile",
    "complexity_position",
    "diversification_options",
    "specialisation_changes",
    "structure_position",
]


#: All-region results by (kind, content fingerprints of the inputs); least recently used dropped.
_SHARED: OrderedDict[tuple[str, ...], Any] = OrderedDict()
_SHARED_SIZE = 24


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A digest of a frame's column names, dtypes and values in row order (not its index).

    Equal frames give equal digests; any change of a value, a row's position, a column or a
    dtype gives another (BLAKE2b over pandas' row hashes). About 1 ms per 10,000 rows.

    >>> a = pd.DataFrame({"geo": ["AT12", "AT13"], "value": [1.0, 2.0]})
    >>> frame_fingerprint(a) == frame_fingerprint(a.copy())
    True
    >>> frame_fingerprint(a) == frame_fingerprint(a.assign(value=[1.0, 2.5]))
    False
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _shared(kind: str, frames: tuple[pd.DataFrame, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, or its earlier result for inputs with the same content. Callers must not
    modify what it returns."""
    key = (kind, *(frame_fingerprint(f) for f in frames))
    if key in _SHARED:
        _SHARED.move_to_end(key)
        return _SHARED[key]
    value = _SHARED[key] = compute()
    while len(_SHARED) > _SHARED_SIZE:
        _SHARED.popitem(last=False)
    return value


def _quiet(func, *args, missing: str = "omit", **kwargs):
    """Call an indicator on the panel, whose warnings about withheld cells are expected here.

    ``missing="omit"`` (specialisation indices) leaves withheld cells out of every total;
    ``missing="zero"`` (complexity, which needs a full matrix) counts them as absent.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, missing=missing, **kwargs)


def panel_code(territory: nuts.Territory) -> str:
    """The code under which the territory appears in :func:`comparison_panel`.

    A territory represented by one NUTS 2 region (a NUTS 3 region by its parent) appears as that
    region; one with joint figures under the key of its regions (``"LT01+LT02"``, see
    :func:`clusterix_lib.profile.nuts2_panel`); any other as itself.

    >>> panel_code(nuts.Territory("SE224", "Skåne län", 3, ("SE22",), "parent", ""))
    'SE22'
    """
    if territory.method == "joint figures":
        return nuts.group_key(territory.stats_codes)
    if len(territory.stats_codes) == 1 and len(territory.stats_codes[0]) == 4:
        return territory.stats_codes[0]
    return territory.code


def covers_several_nuts2(territory: nuts.Territory, *, regions: pd.DataFrame | None = None) -> bool:
    """True when the territory's figures cover more than one NUTS 2 region's territory.

    Such a territory is larger than the NUTS 2 regions it is compared with, so a ranking by size
    (cluster *size* stars) favours it. A country or NUTS 1 region with a single NUTS 2 region
    (Estonia, Luxembourg) is not larger; joint figures are.

    >>> covers_several_nuts2(nuts.Territory("EE", "Eesti", 0, ("EE",), "as is", ""))
    False
    >>> covers_several_nuts2(nuts.Territory("AT1", "Ostösterreich", 1, ("AT1",), "as is", ""))
    True
    >>> covers_several_nuts2(nuts.Territory("SE224", "Skåne län", 3, ("SE22",), "parent region", ""))
    False
    """
    if len(territory.stats_codes) > 1:
        return True
    code = territory.stats_codes[0]
    if len(code) >= 4:
        return False
    return len(nuts.children(code, level=2, regions=regions)) > 1


def comparison_panel(employment: pd.DataFrame, territory: nuts.Territory) -> pd.DataFrame:
    """Every NUTS 2 region's employment by division and year; a territory that is not one replaces
    the NUTS 2 regions it is made of.

    Columns ``year, geo, nace_r2, value``; the territory's rows carry ``geo = panel_code(territory)``.
    A NUTS 1 region or a country stands in the panel instead of its NUTS 2 regions, so that no
    employment is counted twice in the European totals (cluster size, relatedness, complexity).

    >>> e = pd.DataFrame({"year": 2014, "geo": ["AT", "AT12", "AT13", "AT1", "BE21"], "nace_r2": "C10",
    ...                   "value": [9.0, 2.0, 3.0, 5.0, 4.0]})
    >>> t = nuts.Territory("AT1", "Ostösterreich", 1, ("AT1",), "as is", "")
    >>> comparison_panel(e, t)["geo"].tolist()
    ['BE21', 'AT1']
    """
    cols = ["year", "geo", "nace_r2", "value"]
    nuts2 = profile.nuts2_panel(employment, columns=cols)
    if (nuts2["geo"] == panel_code(territory)).any():
        return nuts2.reset_index(drop=True)
    own = profile.territory_series(employment, territory, by=["year", "nace_r2"]).assign(geo=territory.code)
    inside = nuts2["geo"].str.startswith(territory.code) | nuts2["geo"].isin(territory.stats_codes)
    return pd.concat([nuts2[~inside], own[cols]], ignore_index=True)


def eu_reference(employment: pd.DataFrame, group: str = profile.REFERENCE_GROUP) -> pd.DataFrame:
    """Reference counts by year and division: the sum of the group's countries (EU-27 by default)."""
    ref = profile.reference_totals(employment, profile.country_group(group), by=["year", "nace_r2"])
    return ref.dropna(subset=["value"])[["year", "nace_r2", "value"]]


def _position(table: pd.DataFrame, code: str, columns: list[str]) -> pd.DataFrame:
    """Value, rank and percentile of ``code`` among the rows of ``table`` for each column."""
    rows = []
    for col in columns:
        s = table.set_index("geo")[col].dropna()
        if code not in s.index:
            rows.append({"measure": col, "value": np.nan, "rank": np.nan, "of": len(s), "percentile": np.nan})
            continue
        rank = s.rank(ascending=False, method="min")
        rows.append(
            {
                "measure": col,
                "value": float(s[code]),
                "rank": int(rank[code]),
                "of": len(s),
                "percentile": float((s < s[code]).mean() * 100),
                "median": float(s.median()),
            }
        )
    return pd.DataFrame(rows)


#: Plain-language names of the structure measures, for tables.
STRUCTURE_LABELS = {
    "krugman": "Krugman specialisation index (0 = EU structure, 2 = nothing in common)",
    "hachman": "Hachman index (1 = EU structure, towards 0 = dissimilar)",
    "entropy": "Diversity: Shannon entropy over divisions (bits)",
    "related_variety": "Related variety: entropy of divisions within sections (bits)",
    "unrelated_variety": "Unrelated variety: entropy between sections (bits)",
}


def structure_position(
    employment: pd.DataFrame,
    territory: nuts.Territory,
    year: int,
    *,
    reference_group: str = profile.REFERENCE_GROUP,
    panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How specialised and how diversified the territory is, among Europe's NUTS 2 regions.

    Krugman :math:`K_r = \\sum_i |s_{ri} - s_i|` and Hachman :math:`HI_r = 1 / \\sum_i s_{ri} LQ_{ri}`
    against the reference group's structure; entropy :math:`H_r = -\\sum_i s_{ri} \\log_2 s_{ri}`
    split into unrelated variety (between NACE sections) and related variety (within sections).

    Returns one row per measure: ``measure, label, value, rank`` (1 = highest), ``of`` (regions
    compared), ``percentile`` (share of regions below), ``median``.
    """
    panel = comparison_panel(employment, territory) if panel is None else panel
    panel = panel[panel["year"] == year]
    ref = eu_reference(employment[employment["year"] == year], reference_group)

    def measures() -> pd.DataFrame:
        spec = _quiet(specialisation.specialisation_indices, panel, reference=ref)
        var = _quiet(diversity.related_variety, panel)
        return spec.merge(var, on=["year", "geo"])

    table = _shared("structure", (panel, ref), measures)
    out = _position(table, panel_code(territory), list(STRUCTURE_LABELS))
    out.insert(1, "label", out["measure"].map(STRUCTURE_LABELS))
    return out


def first_year(
    employment: pd.DataFrame,
    territory: nuts.Territory,
    *,
    panel: pd.DataFrame | None = None,
    reference_group: str = profile.REFERENCE_GROUP,
) -> int:
    """The first year in which the territory has sector figures and the reference group is well
    covered (:func:`profile.reference_years`): where a comparison over time starts.

    Not the extract's first year: many regions (e.g. the French ones) have no figures before 2010,
    and a comparison from a year without figures would find no change at all; and in 2008 only 24
    of the 27 EU members report, so location quotients "against the EU-27" of 2008 are against
    another, smaller EU.

    Examples
    --------
    >>> from clusterix_lib import datasets
    >>> emp = datasets.employment()
    >>> have = emp.loc[emp["value"].notna(), "geo"].unique()
    >>> [first_year(emp, profile.profile_territory(code, have)) for code in ("AT12", "FRK")]
    [2009, 2010]
    """
    panel = comparison_panel(employment, territory) if panel is None else panel
    own = panel[(panel["geo"] == panel_code(territory)) & panel["value"].notna()]
    if own.empty:
        raise RegionError(f"no sector figures for {territory.code}", hint="choose another region")
    members = employment[employment["geo"].isin(profile.country_group(reference_group))]
    covered = own["year"].isin(profile.reference_years(members))
    return int(own.loc[covered, "year"].min() if covered.any() else own["year"].min())


def quadrant_caveats(
    options: pd.DataFrame, log_supermodularity: float, *, min_lsm: float = 0.8, max_corr: float = 0.8
) -> list[str]:
    """Sentences a report must add under the smart-specialisation quadrant when its axes are weak.

    * The "benefit" axis is the product complexity of the same ranking whose support is the
      log-supermodularity share (:func:`complexity_position`); below ``min_lsm`` (py-ecomplexity's
      80 % warning) "high" and "low benefit" are uncertain.
    * When relatedness density and complexity are correlated beyond ``max_corr`` (Pearson, over
      the candidates with both; at least five), the quadrants mostly separate near from far
      divisions rather than answering two questions.

    Examples
    --------
    >>> opts = pd.DataFrame({"relatedness_density": [10, 20, 30, 40, 50.0], "complexity": [-2, -1, 0, 1, 2.0]})
    >>> [c[:40] for c in quadrant_caveats(opts, 0.51)]
    ['The benefit axis rests on the complexity', 'Relatedness density and complexity move ']
    >>> quadrant_caveats(opts.assign(complexity=[1, -1, 2, -2, 0.0]), 0.9)
    []
    """
    out = []
    if pd.notna(log_supermodularity) and log_supermodularity < min_lsm:
        out.append(
            f"The benefit axis rests on the complexity ranking tested under *Economic complexity* below, and only "
            f"{log_supermodularity:.0%} of the comparisons bear that ranking out (50 % is chance): read *high* "
            "and *low benefit* as uncertain."
        )
    both = options[["relatedness_density", "complexity"]].dropna()
    if len(both) >= 5 and both.std().gt(0).all():
        r = float(np.corrcoef(both["relatedness_density"], both["complexity"])[0, 1])
        if abs(r) > max_corr:
            out.append(
                f"Relatedness density and complexity move together across these candidates (r = {r:.2f}): the "
                "quadrants mostly separate near from far divisions, not low from high benefit."
            )
    return out


def specialisation_changes(
    employment: pd.DataFrame,
    territory: nuts.Territory,
    start: int,
    end: int,
    *,
    reference_group: str = profile.REFERENCE_GROUP,
    threshold: float = 1.0,
    panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Divisions in which the territory became specialised (entry) or stopped being so (exit).

    A specialisation is :math:`LQ \\ge` ``threshold`` against the reference group in that year;
    divisions withheld in either year are left out. The reference total of a division sums, in both
    years, only the member countries that report it in both years: in 2009 food (C10) counts 23
    EU members and in 2014 26, and an "EU-27" total that gains three countries would lower every
    region's LQ with no change on the ground. Columns ``nace_r2, label, lq_start,
    lq_end, change`` (``"entry"`` or ``"exit"``), sorted by the LQ reached.
    """
    panel = comparison_panel(employment, territory) if panel is None else panel
    panel = panel[(panel["geo"] == panel_code(territory)) & panel["year"].isin([start, end])]
    both = employment[employment["year"].isin([start, end])]
    # the reference of both years: the members that report the division in both (a member missing
    # in one year would move the "EU" LQ with no change on the ground)
    group = both["geo"].isin(profile.country_group(reference_group))
    reported = both[group & both["value"].notna()].groupby(["geo", "nace_r2"])["year"].nunique()
    steady = reported[reported == 2].index
    keys = pd.MultiIndex.from_frame(both[["geo", "nace_r2"]])
    ref = eu_reference(both[~group | keys.isin(steady)], reference_group)
    ee = _quiet(dynamics.entry_exit, panel, start=start, end=end, reference=ref, threshold=threshold)
    entry, exit_ = ee["entry"].fillna(0).eq(1), ee["exit"].fillna(0).eq(1)
    ee = ee.assign(change=np.where(entry, "entry", "exit"))[entry | exit_]
    ee = ee.assign(label=ee["nace_r2"].map(nace_labels()).fillna(""))
    ee = ee.sort_values(["change", "lq_end"], ascending=[True, False])
    return ee[["nace_r2", "label", "lq_start", "lq_end", "change"]].reset_index(drop=True)


def cluster_profile(
    employment: pd.DataFrame,
    territory: nuts.Territory,
    year: int,
    *,
    min_stars: int = 1,
    panel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The territory's divisions with European Cluster Observatory stars, among NUTS 2 regions.

    One star each for size (top 10 % of regions by share of the division's European
    employment), specialisation (LQ ≥ 2) and focus (top 10 % by share of the region's
    employment); see :func:`clusterix_lib.clusters.cluster_stars`. Columns ``nace_r2, label,
    value, lq, size, focus, stars, strong``, most stars first.
    """
    panel = comparison_panel(employment, territory) if panel is None else panel
    panel = panel[panel["year"] == year]
    stars = _shared("stars", (panel,), lambda: _quiet(clusters.cluster_stars, panel))
    own = stars[(stars["geo"] == panel_code(territory)) & (stars["stars"] >= min_stars)].copy()
    own["label"] = own["nace_r2"].map(nace_labels()).fillna("")
    own = own.sort_values(["stars", "lq"], ascending=[False, False])
    return own[["nace_r2", "label", "value", "lq", "size", "focus", "stars", "strong"]].reset_index(drop=True)


def _year_panel(
    employment: pd.DataFrame, territory: nuts.Territory, year: int, panel: pd.DataFrame | None = None
) -> pd.DataFrame:
    panel = comparison_panel(employment, territory) if panel is None else panel
    return panel[panel["year"] == year]


def _complexity(panel: pd.DataFrame) -> complexity.Complexity:
    """The complexity result of one year's panel (withheld cells absent); shared by the quadrant
    and the ECI."""
    return _shared("complexity", (panel,), lambda: _quiet(complexity.compute, panel, missing="zero", density=False))


def diversification_options(
    employment: pd.DataFrame, territory: nuts.Territory, year: int, *, panel: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Divisions the territory does not hold yet, by relatedness density and complexity.

    The smart-specialisation quadrant of Balland et al. (2019)
    (:func:`clusterix_lib.quadrant.smart_specialisation_quadrant`) over Europe's NUTS 2 regions
    in ``year``: a division is *held* where :math:`RCA \\ge 1`; relatedness density (0-100) is
    the share of the division's related divisions (minimum conditional probability of
    co-specialisation) that the region holds; complexity is the division's PCI. Withheld figures
    count as absent when the relatedness is estimated, but a division whose figure is withheld
    *for this region* is no candidate (whether the region holds it is unknown); ``attrs["withheld"]``
    lists them.

    Columns ``nace_r2, label, value, rca, relatedness_density, complexity, quadrant``, the
    attractive quadrant first; ``attrs`` carries the split values for
    :func:`clusterix_lib.quadrant.plot_quadrant`.
    """
    panel = _year_panel(employment, territory, year, panel)
    code = panel_code(territory)
    withheld = sorted(panel.loc[(panel["geo"] == code) & panel["value"].isna(), "nace_r2"])
    q = _quiet(quadrant.smart_specialisation_quadrant, panel, code, missing="zero", result=_complexity(panel))
    attrs = dict(q.attrs)
    q = q[~q["sector"].isin(withheld)].rename(columns={"sector": "nace_r2"})
    q = q.assign(label=q["nace_r2"].map(nace_labels()).fillna(""))
    columns = ["nace_r2", "label", "value", "rca", "relatedness_density", "complexity", "quadrant"]
    out = q[columns].reset_index(drop=True)
    out.attrs = {**attrs, "withheld": withheld}
    return out


def complexity_position(
    employment: pd.DataFrame, territory: nuts.Territory, year: int, *, panel: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The territory's Economic Complexity Index among Europe's NUTS 2 regions in ``year``.

    ECI by the eigenvector method with Stata's conventions (:func:`clusterix_lib.complexity.eci_pci`:
    z-score, sign so that ECI rises with diversity) on the binary matrix :math:`RCA \\ge 1` of
    regions × NACE divisions. Returns one row per measure (``eci``, ``diversity`` — the number of
    divisions held) with ``value, rank, of, percentile, median`` as :func:`structure_position`.

    ``attrs["log_supermodularity"]`` is the share of the inequalities
    :math:`RCA_{c'p'}/RCA_{c'p} > RCA_{cp'}/RCA_{cp}` (:math:`c'` higher ECI, :math:`p'` higher PCI)
    that hold among all pairs of regions and divisions that year
    (:mod:`clusterix_lib.supermodularity`): near 1 the ECI ranks regions by what the data show;
    near 0.5 the ranking is not borne out by the data, and the position should be read with care.
    """
    panel = _year_panel(employment, territory, year, panel)

    def ranking() -> tuple[pd.DataFrame, float]:
        res = _complexity(panel)
        ranked = res.locations().dropna(subset=["eci"])  # regions with figures that year
        return ranked, float(res.log_supermodularity(threads=1)["share"].iloc[0])

    ranked, share = _shared("eci", (panel,), ranking)
    out = _position(ranked, panel_code(territory), ["eci", "diversity"])
    out.attrs["log_supermodularity"] = share
    return out


def warm(employment: pd.DataFrame | None = None) -> int:
    """Fill the all-region cache for the default year of the extract (a batch's kernel template
    calls this once, so that every NUTS 2 report forked from it starts with these parts computed).

    Returns the year warmed.
    """
    from clusterix_lib import datasets

    employment = datasets.employment() if employment is None else employment
    nuts2 = employment.loc[employment["geo"].str.len() == 4, "geo"]
    prof = profile.employment_profile(employment, str(nuts2.iloc[0]))
    territory, year = prof["territory"], int(prof["year"])
    panel = comparison_panel(employment, territory)
    structure_position(employment, territory, year, panel=panel)
    cluster_profile(employment, territory, year, panel=panel)
    diversification_options(employment, territory, year, panel=panel)
    complexity_position(employment, territory, year, panel=panel)
    return year
