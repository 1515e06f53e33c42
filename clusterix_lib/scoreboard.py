r"""A Regional-Innovation-Scoreboard-style index on the committed Eurostat indicators.

The method follows the European and Regional Innovation Scoreboards (EIS/RIS) where the data
allow it, using :mod:`clusterix_lib.composite`:

1. **Indicators** (:func:`ris_framework`): five RIS-type indicators Eurostat publishes by region --
   human resources in science and technology, R&D personnel, public R&D expenditure (GERD minus
   BERD), business R&D expenditure (BERD), EPO patent applications. The RIS's survey-based
   indicators (innovating SMEs, co-publications...) have no regional Eurostat series and are
   left out: this is a *RIS-style* index, not the RIS.
2. **Pool** (:func:`pool_units`): the NUTS 2 regions of the EU-27; in a country whose NUTS 2
   regions carry fewer than half of the R&D and HRST indicator-years while its NUTS 1 regions
   carry more, its NUTS 1 regions (RIS also mixes levels: Belgium is scored at NUTS 1). The EU-27
   members come from ``data/country_groups.csv``; a requested region of another country (a UK
   region) is scored on the pool's scale for comparison but not ranked
   (:meth:`Scoreboard.outside`); a requested region without enough data of its own is stood for
   by the scored region containing it (:func:`scoreboard_regions`).
3. **Missing values**: the latest available year is carried forward (EIS rule), at most 3 years
   for the R&D and HRST indicators; patents stop in 2012 (Eurostat ended the regional series), so
   their 2012 value stands for every later year -- for every region alike, and the report says so.
   A region-year with fewer than 3 of the 5 indicators gets no score (listed, never zero);
   :func:`missing_value_notes` says in words why an indicator is missing in a year (the latest
   figure is too old, figures start later, or there are none).
4. **Outliers**: the skew-kurtosis rule over all region-years (winsorise, else log), see
   :func:`clusterix_lib.composite.treat`.
5. **Normalisation**: min-max to [0, 100] over all regions **and** years (EIS), so that scores
   of different years compare; the EU-27 and regions outside the pool use the pool's bounds.
6. **Index**: unweighted mean of the normalised indicators (EIS/RIS); score relative to the EU:
   :math:`S_{r,t} = 100 \cdot SII_{r,t} / SII_{EU,t}`; change over time relative to the EU of
   the first year: :math:`100 \cdot SII_{r,t} / SII_{EU,t_0}`.
7. **Groups** (:func:`performance_group`, :func:`performance_subgroup`): Innovation Leader
   (S > 125), Strong (100-125), Moderate (70-100), Emerging (<= 70), with RIS 2021 +/- subgroups:
   thirds of the Strong and Moderate bands, and of the ranges from 125 to the highest and from
   the lowest score to 70 for Leaders and Emerging. Whether a score exactly on a threshold
   goes to the lower or the upper group is not documented by the EC: ``boundary`` chooses.

Uncertainty (:func:`scoreboard_uncertainty`): Monte Carlo over normalisation (min-max with and
without outlier treatment, percentile rank), aggregation (arithmetic, geometric) and weights
(each +/- 25 %), giving intervals of the relative score, the EU rank and the group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from clusterix_lib import composite as cp
from clusterix_lib import nuts
from clusterix_lib.errors import ClusterixError, ParameterError, RegionError

__all__ = [
    "EU",
    "GROUPS",
    "THRESHOLDS",
    "Scoreboard",
    "ScoreboardUncertainty",
    "build_scoreboard",
    "candidate_units",
    "choose_scoreboard_year",
    "group_code",
    "missing_value_notes",
    "missing_values",
    "performance_group",
    "performance_subgroup",
    "plot_group_map",
    "plot_rank_uncertainty",
    "plot_relative_trend",
    "pool_units",
    "region_coverage",
    "ris_framework",
    "scoreboard_data",
    "scoreboard_regions",
    "scoreboard_sensitivity",
    "scoreboard_targets",
    "scoreboard_uncertainty",
    "score_at_range_edge",
    "subgroup_cutoffs",
    "treatment_summary",
    "with_article",
]

EU = "EU27_2020"
GROUPS = ("Emerging Innovator", "Moderate Innovator", "Strong Innovator", "Innovation Leader")
THRESHOLDS = (70.0, 100.0, 125.0)
GROUP_COLOURS = {
    "Innovation Leader": "#1f4e79",
    "Strong Innovator": "#4a90c2",
    "Moderate Innovator": "#a9cce3",
    "Emerging Innovator": "#f5cba7",
}
YEARS = tuple(range(2011, 2021))
MIN_COVERAGE = 0.6  # 3 of the 5 indicators
SCALE_NOTE = "scored on the scale of the EU regions (not one of the pool's units)"
Boundary = Literal["lower", "upper"]


def with_article(phrase: str) -> str:
    """``phrase`` with "a" or "an" before it, by the sound of its first word.

    A word is read as spoken: "an" before a vowel letter, except words sounding like "you" or
    "one" (``Eu...``, ``Uni...``, ``One...``: "a European region"), and before a silent h
    (``hour``, ``honest``). An abbreviation of at most three capitals is read letter by letter
    ("an EU region", "an R&D unit", "a CZ region"); a longer one as a word ("a NUTS 2 region").

    Examples
    --------
    >>> with_article("Innovation Leader"), with_article("Emerging Innovator"), with_article("Strong Innovator")
    ('an Innovation Leader', 'an Emerging Innovator', 'a Strong Innovator')
    >>> with_article("upper estimate"), with_article("European region"), with_article("EU region")
    ('an upper estimate', 'a European region', 'an EU region')
    >>> with_article("NUTS 2 region"), with_article("hour")
    ('a NUTS 2 region', 'an hour')
    """
    phrase = phrase.strip()
    word = phrase.split(" ")[0]
    low = word.lower()
    letters = [c for c in word if c.isalpha()]
    if letters and "".join(letters).isupper() and len(letters) <= 3:  # spelt out: "ef", "em", "ar"...
        vowel = letters[0].lower() in "aefhilmnorsx"
    else:
        vowel = low[:1] in ("a", "e", "i", "o", "u") and not low.startswith(("eu", "uni", "use", "one", "once"))
        vowel = vowel or low.startswith(("hour", "honest", "honour", "heir"))
    return f"{'an' if vowel else 'a'} {phrase}"


# ----------------------------------------------------------------------------------------------
# Groups
# ----------------------------------------------------------------------------------------------


def group_code(score: Any, *, thresholds: Sequence[float] = THRESHOLDS, boundary: Boundary = "lower") -> np.ndarray:
    """Performance group as an integer: 0 Emerging, 1 Moderate, 2 Strong, 3 Leader; -1 without a score.

    ``boundary="lower"``: a score exactly on a threshold belongs to the lower group (Leader means
    S > 125, as the EC's wording "above 125 %"); ``"upper"``: to the upper group (S >= 125).

    Examples
    --------
    >>> group_code([60, 70, 70.01, 100, 125, 130, float("nan")]).tolist()
    [0, 0, 1, 1, 2, 3, -1]
    >>> group_code([70, 100, 125], boundary="upper").tolist()
    [1, 2, 3]
    """
    if boundary not in ("lower", "upper"):
        raise ParameterError(f"boundary must be 'lower' or 'upper', not {boundary!r}")
    s = np.asarray(score, dtype=float)
    side = "left" if boundary == "lower" else "right"
    code = np.searchsorted(np.asarray(thresholds, dtype=float), s, side=side)
    return np.where(np.isnan(s), -1, code)


def performance_group(
    score: Any, *, thresholds: Sequence[float] = THRESHOLDS, boundary: Boundary = "lower"
) -> np.ndarray:
    """EIS/RIS performance group of relative scores (see :func:`group_code`); ``""`` without a score.

    Examples
    --------
    >>> performance_group([130, 110, 85, 60]).tolist()
    ['Innovation Leader', 'Strong Innovator', 'Moderate Innovator', 'Emerging Innovator']
    """
    code = group_code(score, thresholds=thresholds, boundary=boundary)
    labels = np.array([*GROUPS, ""], dtype=object)
    return labels[code]


def subgroup_cutoffs(
    score_max: float, score_min: float, *, thresholds: Sequence[float] = THRESHOLDS
) -> dict[str, tuple[float, float]]:
    """The two cut-offs splitting each group into -, middle and + (RIS 2021).

    Strong and Moderate: thirds of their bands. Leaders: thirds of the range from the top
    threshold to the highest score; Emerging: thirds from the lowest score to the bottom threshold.

    Examples
    --------
    >>> c = subgroup_cutoffs(154.7, 16.1)
    >>> [round(v, 1) for v in c["Innovation Leader"]], [round(v, 1) for v in c["Strong Innovator"]]
    ([134.9, 144.8], [108.3, 116.7])
    >>> [round(v, 1) for v in c["Moderate Innovator"]], [round(v, 1) for v in c["Emerging Innovator"]]
    ([80.0, 90.0], [34.1, 52.0])
    """
    lo, mid, hi = thresholds
    bands = {
        "Emerging Innovator": (min(score_min, lo), lo),
        "Moderate Innovator": (lo, mid),
        "Strong Innovator": (mid, hi),
        "Innovation Leader": (hi, max(score_max, hi)),
    }
    return {g: (a + (b - a) / 3.0, a + 2.0 * (b - a) / 3.0) for g, (a, b) in bands.items()}


def performance_subgroup(
    score: Any,
    *,
    score_max: float | None = None,
    score_min: float | None = None,
    thresholds: Sequence[float] = THRESHOLDS,
    boundary: Boundary = "lower",
) -> np.ndarray:
    """Group with RIS subgroup: ``"Strong Innovator +"``, ``"Strong Innovator"`` (middle third),
    ``"Strong Innovator -"``.

    ``score_max`` and ``score_min`` (the highest and lowest regional scores, which bound the
    Leader and Emerging bands) default to those of ``score``. Cut-offs follow ``boundary`` too.

    Examples
    --------
    >>> performance_subgroup([112, 91, 40], score_max=154.7, score_min=16.1).tolist()
    ['Strong Innovator', 'Moderate Innovator +', 'Emerging Innovator']
    """
    s = np.asarray(score, dtype=float)
    smax = float(np.nanmax(s)) if score_max is None else score_max
    smin = float(np.nanmin(s)) if score_min is None else score_min
    code = group_code(s, thresholds=thresholds, boundary=boundary)
    cuts = subgroup_cutoffs(smax, smin, thresholds=thresholds)
    c = np.array([cuts[g] for g in GROUPS])  # (4, 2)
    out = np.full(s.shape, "", dtype=object)
    ok = code >= 0
    lower, upper = c[np.where(ok, code, 0), 0], c[np.where(ok, code, 0), 1]
    if boundary == "lower":
        minus, plus = s <= lower, s > upper
    else:
        minus, plus = s < lower, s >= upper
    base = np.array(GROUPS, dtype=object)[np.where(ok, code, 0)]
    suffix = np.where(minus, " -", np.where(plus, " +", ""))
    out[ok] = (base + suffix)[ok]
    return out


# ----------------------------------------------------------------------------------------------
# Indicators and pool
# ----------------------------------------------------------------------------------------------


def ris_framework() -> pd.DataFrame:
    """The scoreboard's indicators: ``indicator, dimension, label, unit, direction, weight, max_time``.

    ``max_time``: how many years the latest value may be carried forward (inf for patents,
    whose regional series ended in 2012).

    Examples
    --------
    >>> ris_framework()["indicator"].tolist()[:2]
    ['hrst_pc_act', 'rd_personnel_pc_emp']
    """
    rows = [
        ("hrst_pc_act", "Human resources", "Human resources in science and technology", "% of active population", 3),
        ("rd_personnel_pc_emp", "Human resources", "R&D personnel (FTE)", "% of total employment", 3),
        (
            "rd_public_pc_gdp",
            "Finance and support",
            "R&D expenditure in the public sector (GERD minus BERD)",
            "% of GDP",
            3,
        ),
        ("berd_pc_gdp", "Firm investments", "R&D expenditure in the business sector (BERD)", "% of GDP", 3),
        ("patents_p_mhab", "Intellectual assets", "EPO patent applications", "per million inhabitants", math.inf),
    ]
    fw = pd.DataFrame(rows, columns=["indicator", "dimension", "label", "unit", "max_time"])
    fw["direction"] = 1
    fw["weight"] = 1.0
    return fw


def _eu_members(data_dir: str | Path | None = None) -> list[str]:
    from clusterix_lib.profile import country_group

    return country_group(EU, data_dir)


def candidate_units(countries: Iterable[str] | None = None, *, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """NUTS 2021 regions of levels 1 and 2 of ``countries`` (default EU-27), Extra-Regio left out.

    Returns ``unit, level, country``.
    """
    countries = list(countries) if countries is not None else _eu_members()
    table = nuts.load_regions() if regions is None else regions
    table = table[table["in_2021"].astype(bool) & ~table["code"].str.contains("ZZ") & table["level"].isin([1, 2])]
    table = table[table["country"].isin(countries)]
    return table[["code", "level", "country"]].rename(columns={"code": "unit"}).reset_index(drop=True)


def pool_units(data: pd.DataFrame, candidates: pd.DataFrame, *, threshold: float = 0.5) -> pd.DataFrame:
    """The regions scored and ranked: NUTS 2 of each country, or NUTS 1 where NUTS 2 data are thin.

    ``data`` is the scoreboard's long table (:func:`scoreboard_data`), ``candidates`` the regions
    of levels 1 and 2 (:func:`candidate_units`). Rule: a country's NUTS 2 regions are used unless
    they carry fewer than ``threshold`` of the possible (region, indicator, year) cells of the
    yearly indicators (all but patents, whose regional series ended in 2012) while its NUTS 1
    regions carry more; then its NUTS 1 regions.

    Returns
    -------
    DataFrame ``unit, level, country, coverage`` (coverage of the level chosen).

    Examples
    --------
    >>> cand = pd.DataFrame({"unit": ["XX1", "XX11", "XX12"], "level": [1, 2, 2], "country": "XX"})
    >>> d = pd.DataFrame({"unit": ["XX1", "XX11", "XX12"], "time": 2019, "indicator": "hrst_pc_act",
    ...                   "value": [1.0, 2.0, None]})
    >>> pool_units(d, cand, threshold=0.75)["unit"].tolist()
    ['XX1']
    """
    yearly = [i for i in ris_framework()["indicator"] if i != "patents_p_mhab"]
    d = data[data["indicator"].isin(yearly) & data["unit"].isin(candidates["unit"])]
    cells = d["indicator"].nunique() * d["time"].nunique()
    observed = d[d["value"].notna()].groupby("unit").size()
    table = candidates.assign(cells=candidates["unit"].map(observed).fillna(0))
    cov = table.groupby(["country", "level"]).agg(cells=("cells", "sum"), n=("unit", "size"))
    cov["coverage"] = cov["cells"] / (cov["n"] * max(cells, 1))
    cov = cov["coverage"].unstack("level").reindex(columns=[1, 2]).fillna(0.0)
    level = pd.Series(np.where((cov[2] < threshold) & (cov[1] > cov[2]), 1, 2), index=cov.index)
    out = table[table["level"] == table["country"].map(level)]
    out = out.assign(coverage=[cov.loc[c, lv] for c, lv in zip(out["country"], out["level"], strict=True)])
    return out[["unit", "level", "country", "coverage"]].reset_index(drop=True)


def scoreboard_data(
    indicators: pd.DataFrame,
    units: Iterable[str],
    *,
    years: Sequence[int] = YEARS,
    data_dir: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long table ``unit, time, indicator, value`` the scoreboard scores, and notes on derived values.

    * ``rd_public_pc_gdp`` = GERD - BERD (% of GDP) where both are published (it also holds the
      small private non-profit sector); a negative difference is left missing and noted.
    * The EU-27 patent rate: Eurostat publishes no EU-27 row in the regional patent series, so it
      is the sum of the member states' applications over the sum of their populations (each
      population = applications / applications per million inhabitants).

    Every unit of ``units`` (and the EU) gets a row for every year and indicator, missing or not.
    """
    fw = ris_framework()
    units = list(dict.fromkeys([*units, EU]))
    need = ["hrst_pc_act", "rd_personnel_pc_emp", "gerd_pc_gdp", "berd_pc_gdp", "patents_p_mhab", "patents_nr"]
    d = indicators[indicators["indicator"].isin(need) & indicators["year"].isin(years)]
    wide = d.pivot_table(index=["geo", "year"], columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(columns=need)
    notes = []
    public = wide["gerd_pc_gdp"] - wide["berd_pc_gdp"]
    negative = public < 0
    if negative.any():
        for geo, year in public.index[negative]:
            notes.append(
                {"unit": geo, "time": year, "indicator": "rd_public_pc_gdp", "note": "GERD < BERD: left missing"}
            )
    wide["rd_public_pc_gdp"] = public.where(~negative)
    members = _eu_members(data_dir)
    c = wide[wide.index.get_level_values("geo").isin(members)]
    c = c[c["patents_nr"].notna() & (c["patents_p_mhab"] > 0)]
    pop = c["patents_nr"] / c["patents_p_mhab"]
    by_year = pd.DataFrame({"nr": c["patents_nr"], "pop": pop}).groupby(level="year").sum()
    n_countries = c.groupby(level="year").size()
    for year, row in by_year.iterrows():
        wide.loc[(EU, year), "patents_p_mhab"] = row["nr"] / row["pop"]
        notes.append(
            {
                "unit": EU,
                "time": year,
                "indicator": "patents_p_mhab",
                "note": f"sum over {n_countries[year]} of {len(members)} member states' applications and populations",
            }
        )
    wide = wide.sort_index()
    grid = pd.MultiIndex.from_product([units, list(years)], names=["geo", "year"])
    wide = wide.reindex(grid)[list(fw["indicator"])]
    long = wide.stack(future_stack=True).rename("value").reset_index()
    long = long.rename(columns={"geo": "unit", "year": "time", "level_2": "indicator"})
    long.columns = ["unit", "time", "indicator", "value"]
    return long, pd.DataFrame(notes, columns=["unit", "time", "indicator", "note"])


def _in_sentence(label: str) -> str:
    """An indicator label inside a sentence: ``"Human resources..."`` -> ``"human resources..."``;
    an abbreviation (``"R&D ..."``, ``"EPO ..."``) keeps its capitals."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _years_phrase(years: pd.Series) -> str:
    """``"in 2020"`` or ``"in 2012–2020"`` for the years a figure is published."""
    lo, hi = int(years.min()), int(years.max())
    return f"in {lo}" if lo == hi else f"in {lo}–{hi}"


def region_coverage(code: str, data: pd.DataFrame, framework: pd.DataFrame | None = None) -> str:
    """The indicators a unit has figures for in ``data``, in words, e.g.
    ``"human resources in science and technology in 2012–2020"`` (``""`` if none).

    Indicators published for the same years are listed together, in the framework's order.

    >>> d = pd.DataFrame({"unit": "XX1", "time": [2019, 2020, 2020, 2020], "value": [1.0, 2.0, 3.0, None],
    ...                   "indicator": ["hrst_pc_act", "hrst_pc_act", "berd_pc_gdp", "rd_public_pc_gdp"]})
    >>> region_coverage("XX1", d)
    'human resources in science and technology in 2019–2020 and R&D expenditure in the business sector (BERD) in 2020'
    """
    from clusterix_lib.wording import listed

    fw = ris_framework() if framework is None else framework
    d = data[(data["unit"] == code) & data["value"].notna()]
    if d.empty:
        return ""
    spans = d.groupby("indicator")["time"].agg(_years_phrase)
    labels = fw.set_index("indicator")["label"]
    order = [i for i in fw["indicator"] if i in spans.index]
    groups: dict[str, list[str]] = {}
    for ind in order:
        groups.setdefault(spans[ind], []).append(_in_sentence(str(labels[ind])))
    return listed([f"{listed(labs)} {span}" for span, labs in groups.items()])


def scoreboard_regions(
    regions: Iterable[str], data: pd.DataFrame, pool: Sequence[str], *, min_coverage: float = MIN_COVERAGE
) -> pd.DataFrame:
    """Which scored units stand for each requested region.

    A region in the pool stands for itself; a region outside the pool with data for at least
    ``min_coverage`` of the indicators in some year is scored on the pool's scale; otherwise the
    regions publishing data stand for it (a NUTS 3 region by its NUTS 2 region, a NUTS 1 region by
    its NUTS 2 regions), as in the regional profile; failing those, the nearest larger region
    containing it that is scored (a NUTS 2 region of a country the pool scores at NUTS 1, such as
    Grad Zagreb, HR05, by Croatia's NUTS 1 region HR0). The note then says which indicators the
    region itself has (too few for a score), never that it has none when it has some.

    Returns ``region, name, unit, note`` (several rows for a region standing for several units;
    ``unit`` empty where none has data).
    """
    from clusterix_lib.profile import profile_territory

    n_ind = data["indicator"].nunique()
    need = math.ceil(min_coverage * n_ind - 1e-9)
    observed = data[data["value"].notna()]
    cov = observed.groupby(["unit", "time"]).size().groupby("unit").max() / n_ind
    available = set(cov.index[cov >= min_coverage]) | set(pool)
    pool_set = set(pool)
    span = f"{int(data['time'].min())}–{int(data['time'].max())}" if len(data) else ""
    rows = []
    for code in dict.fromkeys(regions):
        code = nuts.validate_region(code)
        name = nuts.region_name(code)
        if code in available:
            note = "" if code in pool_set else SCALE_NOTE
            rows.append({"region": code, "name": name, "unit": code, "note": note})
            continue
        try:
            t = profile_territory(code, available)
        except RegionError:
            pass
        else:
            for u in t.stats_codes:
                rows.append({"region": code, "name": name, "unit": u, "note": t.note})
            continue
        has = region_coverage(code, data)
        own = (
            f"{name} ({code}) has figures for only {has}: fewer than {need} of the {n_ind} indicators in any "
            f"year, too few for a score"
            if has
            else f"{name} ({code}) has no figures for any of the {n_ind} indicators in {span}"
        )
        up = next((code[:k] for k in range(len(code) - 1, 2, -1) if code[:k] in available), None)
        if up is None:
            rows.append(
                {
                    "region": code,
                    "name": name,
                    "unit": "",
                    "note": f"{own}, and no larger region containing it has enough data to stand for it.",
                }
            )
            continue
        note = f"{own}. {nuts.region_name(up)} ({up}), the NUTS {nuts.nuts_level(up)} region containing it, "
        note += "stands for it"
        if up in pool_set and nuts.nuts_level(up) == 1:
            note += f": the scoreboard scores {nuts.region_name(code[:2])} ({code[:2]}) by its NUTS 1 regions"
        rows.append({"region": code, "name": name, "unit": up, "note": note + "."})
    return pd.DataFrame(rows, columns=["region", "name", "unit", "note"])


# ----------------------------------------------------------------------------------------------
# The scoreboard
# ----------------------------------------------------------------------------------------------


@dataclass
class Scoreboard:
    """A scoreboard over years.

    ``scores``: ``unit, name, level, time, sii, relative, relative_to_base, group, subgroup,
    rank, n_ranked, coverage, in_pool``; ``eu``: the EU-27 SII by year; ``regions``: the requested
    regions and the units standing for them; ``log``: every imputation, treatment and gap;
    ``notes``: derived values; ``result``: the :class:`~clusterix_lib.composite.CompositeResult`;
    ``countries``: the pool's countries (by default the EU-27 of ``data/country_groups.csv``) --
    a unit of another country (a UK region, say) is scored on the same scale but not ranked, and
    ``scope`` says in words what those countries are.
    """

    scores: pd.DataFrame
    eu: pd.Series
    pool: pd.DataFrame
    regions: pd.DataFrame
    framework: pd.DataFrame
    data: pd.DataFrame
    notes: pd.DataFrame
    result: cp.CompositeResult
    boundary: Boundary
    years: tuple[int, ...]
    extra: list[str] = field(default_factory=list)
    countries: tuple[str, ...] = ()
    scope: str = "an EU-27 member state"

    def outside(self, units: Iterable[str]) -> np.ndarray:
        """Whether each unit lies outside the pool's countries (never ranked); False for the EU-27 and ``""``.

        Units are NUTS codes, whose first two letters are the country.
        """
        u = pd.Series(list(units), dtype=object).fillna("")
        if not self.countries:
            return np.zeros(len(u), dtype=bool)
        return ((u != EU) & (u != "") & ~u.str[:2].isin(list(self.countries))).to_numpy()

    @property
    def log(self) -> pd.DataFrame:
        return self.result.log

    @property
    def base_year(self) -> int:
        return self.years[0]

    def year_table(self, year: int) -> pd.DataFrame:
        """Scores of one year, pool and extra units, best first."""
        if year not in self.years:
            raise ParameterError(
                f"year {year} is outside the scoreboard", hint=f"choose one of {self.years[0]}-{self.years[-1]}"
            )
        t = self.scores[self.scores["time"] == year]
        return t.sort_values(["relative", "unit"], ascending=[False, True], na_position="last").reset_index(drop=True)

    def region_table(self, year: int) -> pd.DataFrame:
        """The requested regions in ``year``: one row per (region, unit) with score, group and rank.

        ``note`` is true of ``year``: a region outside the pool without a score in ``year`` is not
        said to be "scored on the scale of the EU regions", but to have no score that year; a unit
        outside the pool's countries (:meth:`outside`) is said to be scored for comparison but not
        ranked (its ``rank`` is empty).
        """
        t = self.year_table(year).drop(columns="name")
        out = self.regions.merge(t, on="unit", how="left")
        unscored = (out["note"] == SCALE_NOTE) & out["relative"].isna()
        out.loc[unscored, "note"] = (
            f"not one of the pool's units: it is placed on the scale of the EU regions in the years it has "
            f"enough data, but has no score in {year}."
        )
        for i in np.flatnonzero(self.outside(out["unit"])):
            unit = out.at[i, "unit"]
            cc = unit[:2]
            text = (
                f"its country, {nuts.region_name(cc)} ({cc}), is not {self.scope}, so it is placed on the scale "
                "of the EU regions for comparison but not ranked among them"
                + ("." if pd.notna(out.at[i, "relative"]) else f"; it has no score in {year}.")
            )
            old = out.at[i, "note"]
            out.at[i, "note"] = (
                text if old in ("", SCALE_NOTE) or old.startswith("not one of the pool") else f"{old} I{text[1:]}"
            )
        return out.sort_values(["relative", "region"], ascending=[False, True], na_position="last").reset_index(
            drop=True
        )

    def labels(self) -> dict[str, str]:
        """Display label of every scored unit: its own NUTS name and code, and whom it stands for.

        A unit standing for a requested region of another code (a NUTS 2 region for a NUTS 3
        partner region) says so: ``"Sydsverige (SE22), for Skåne län (SE224)"``. The EU-27 is
        ``"EU-27"``.
        """
        names = dict(zip(self.scores["unit"], self.scores["name"], strict=True))
        names.update({u: nuts.region_name(u) for u in self.regions["unit"] if u and u not in names})
        stands = {}
        for r in self.regions[
            (self.regions["unit"] != "") & (self.regions["unit"] != self.regions["region"])
        ].itertuples():
            stands.setdefault(r.unit, []).append(f"{nuts.region_name(r.region)} ({r.region})")
        out = {}
        for u, n in names.items():
            if u == EU:
                out[u] = n
                continue
            out[u] = f"{n} ({u})" + (f", for {' and '.join(stands[u])}" if u in stands else "")
        return out

    def data_years(self, units: Iterable[str], year: int) -> pd.DataFrame:
        """For each unit and indicator in ``year``: the value used, its data year and its normalised value."""
        units = list(units)
        d = self.data[(self.data["time"] == year) & self.data["unit"].isin(units)]
        imp = self.result.imputed
        imp = imp[(imp["time"] == year) & imp["unit"].isin(units)]
        x = d.merge(imp[["unit", "indicator", "source_time"]], on=["unit", "indicator"], how="left")
        x["data_year"] = np.where(x["value"].notna(), year, x["source_time"])
        filled = self.result.params["X"]
        keys = self.result.params["keys"]
        fw = list(self.framework["indicator"])
        row = keys.reset_index(drop=True)
        sel = (row["time"] == year) & row["unit"].isin(units)
        val = pd.DataFrame(filled[sel.to_numpy()], columns=fw).assign(unit=row.loc[sel, "unit"].to_numpy())
        val = val.melt(id_vars="unit", var_name="indicator", value_name="value_used")
        norm = self.result.normalised
        norm = norm[(norm["time"] == year) & norm["unit"].isin(units)].rename(columns={"value": "normalised"})
        x = x.merge(val, on=["unit", "indicator"], how="left").merge(
            norm[["unit", "indicator", "normalised"]], on=["unit", "indicator"], how="left"
        )
        x = x.merge(self.framework[["indicator", "label", "unit"]].rename(columns={"unit": "measure"}), on="indicator")
        return x[["unit", "indicator", "label", "measure", "value_used", "data_year", "normalised"]]


def build_scoreboard(
    indicators: pd.DataFrame | None = None,
    regions: Iterable[str] = (),
    *,
    years: Sequence[int] = YEARS,
    countries: Iterable[str] | None = None,
    boundary: Boundary = "lower",
    min_coverage: float = MIN_COVERAGE,
) -> Scoreboard:
    """Build the RIS-style scoreboard (module docstring) for the pool and the requested ``regions``.

    Parameters
    ----------
    indicators
        The long indicator table (default: the committed extract, :func:`clusterix_lib.datasets.indicators`).
    regions
        NUTS 2021 codes of any level to show (a consortium's regions); they need not be in the pool.
    years
        The years scored (the EU-27 reference must exist in each).
    countries
        The pool's countries (default EU-27).
    boundary
        Where a score exactly on a group threshold goes (:func:`group_code`).
    min_coverage
        The share of the indicators a region-year needs for a score.

    A requested region of a country outside ``countries`` (UKI3, Inner London -- West, in an
    EU-27 scoreboard) is scored on the pool's scale, but gets no rank: ranks are among the pool.
    """
    if indicators is None:
        from clusterix_lib import datasets

        indicators = datasets.indicators()
    years = tuple(int(y) for y in years)
    if not years:
        raise ParameterError("the scoreboard needs at least one year")
    scope = (
        "one of the scoreboard's countries"
        if countries is not None
        else "an EU-27 member state (data/country_groups.csv)"
    )
    countries = list(countries) if countries is not None else _eu_members()
    candidates = candidate_units(countries)
    data_all, notes = scoreboard_data(indicators, [*candidates["unit"], *regions], years=years)
    pool = pool_units(data_all, candidates)
    reg = scoreboard_regions(list(regions), data_all, list(pool["unit"]), min_coverage=min_coverage)
    extra = sorted(set(reg["unit"]) - set(pool["unit"]) - {""})
    units = [*pool["unit"], *extra, EU]
    data = data_all[data_all["unit"].isin(units)].reset_index(drop=True)
    eu_rows = data[data["unit"] == EU]
    no_eu = sorted(set(eu_rows.loc[eu_rows["value"].isna(), "time"]))
    fw = ris_framework()
    eu_missing = eu_rows[eu_rows["value"].isna()].merge(fw[["indicator", "max_time"]], on="indicator")
    # the EU reference is carried forward like any region (patents after 2012); a year before any
    # EU value cannot be scored
    spec = cp.CompositeSpec(
        fw[["indicator", "direction", "weight", "max_time"]],
        impute="latest",
        treat=True,
        winmax=_winmax(len(pool) * len(years)),
        normalisation="minmax",
        norm_params={"l_u": (0.0, 100.0)},
        aggregation="arithmetic",
        dat_thresh=min_coverage,
    )
    result = cp.build_index(data, spec, time="time", outside_pool=[*extra, EU])
    s = result.scores.copy()
    eu = s[s["unit"] == EU].set_index("time")["score"]
    if eu.isna().any():
        bad = eu.index[eu.isna()].tolist()
        raise ClusterixError(
            f"no EU-27 reference score for {', '.join(map(str, bad))}",
            where=f"EU-27 values missing: {', '.join(sorted(set(eu_missing['indicator'])))} ({no_eu})",
            hint="choose years for which Eurostat publishes the EU-27 values",
        )
    s["sii"] = s["score"]
    s["relative"] = 100.0 * s["score"] / s["time"].map(eu)
    s["relative_to_base"] = 100.0 * s["score"] / eu.loc[years[0]]
    s.loc[s["unit"] == EU, "rank"] = np.nan
    s["group"] = performance_group(s["relative"], boundary=boundary)
    s["subgroup"] = ""
    pool_set = set(pool["unit"])
    for _, part in s.groupby("time"):  # years (one subgroup range each)
        in_pool = part["unit"].isin(pool_set)
        smax, smin = part.loc[in_pool, "relative"].max(), part.loc[in_pool, "relative"].min()
        s.loc[part.index, "subgroup"] = performance_subgroup(
            part["relative"], score_max=smax, score_min=smin, boundary=boundary
        )
    # an extra unit's rank among the pool: 1 + pool units scoring higher; a unit outside the pool's
    # countries (a UK region in an EU scoreboard) is scored for comparison but never ranked
    pool_scores = s[s["unit"].isin(pool_set)]
    ranked_extra = [u for u in extra if u[:2] in set(countries)]
    for year, part in s[s["unit"].isin(ranked_extra)].groupby("time"):
        ps = pool_scores.loc[pool_scores["time"] == year, "score"].to_numpy()
        s.loc[part.index, "rank"] = np.where(
            part["score"].notna(), 1 + (ps[None, :] > part["score"].to_numpy()[:, None]).sum(axis=1), np.nan
        )
    s["n_ranked"] = s["time"].map(pool_scores.groupby("time")["score"].count())
    levels = dict(zip(pool["unit"], pool["level"], strict=True))
    s["level"] = s["unit"].map(lambda u: levels.get(u, 0 if u == EU else nuts.nuts_level(u)))
    s["name"] = s["unit"].map(lambda u: "EU-27" if u == EU else nuts.region_name(u))
    cols = ["unit", "name", "level", "time", "sii", "relative", "relative_to_base", "group", "subgroup", "rank"]
    scores = s[[*cols, "n_ranked", "coverage", "in_pool"]].reset_index(drop=True)
    return Scoreboard(
        scores=scores,
        eu=eu,
        pool=pool,
        regions=reg,
        framework=fw,
        data=data,
        notes=notes,
        result=result,
        boundary=boundary,
        years=years,
        extra=extra,
        countries=tuple(countries),
        scope=scope,
    )


def _winmax(n_rows: int) -> int:
    """Winsorising budget for the pooled region-years: one point per 200 (at least COINr's default, 5)."""
    return max(5, int(math.ceil(0.05 * n_rows / 10)))


def treatment_summary(sb: Scoreboard) -> pd.DataFrame:
    """What the pipeline did to the data, counted and in plain words, for a report's analysts.

    Parameters
    ----------
    sb
        A :func:`build_scoreboard` result; its :attr:`Scoreboard.log` is summarised.

    Returns
    -------
    pandas.DataFrame
        ``what, indicator, extent, n``: one row per kind of treatment and indicator (the
        indicator's label; ``""`` where the treatment concerns no single indicator). ``n`` counts
        region-years; a transformation applied to a whole indicator (the log transform) has no
        count (``n`` is NaN) and ``extent`` says it applies to every region and year instead of
        counting the one log entry. A region-year scored without some indicators is counted once
        under each indicator it lacks.
    """
    from clusterix_lib.wording import counted

    lab = dict(zip(sb.framework["indicator"], sb.framework["label"], strict=True))
    n_ind = len(sb.framework)
    need = math.ceil(MIN_COVERAGE * n_ind - 1e-9)
    log = sb.log
    rows: list[dict[str, Any]] = []

    def add(what: str, indicator: str, n: float, whole: bool = False) -> None:
        extent = "every region and year (the whole indicator)" if whole else counted(n, "region-year")
        rows.append({"what": what, "indicator": lab.get(indicator, indicator), "extent": extent, "n": n})

    order = list(sb.framework["indicator"])

    def counts(values: pd.Series) -> list[tuple[str, int]]:
        c = values.value_counts()
        return [(i, int(c[i])) for i in [*order, *sorted(set(c.index) - set(order))] if i in c.index]

    for ind, n in counts(log.loc[log["step"] == "imputed (latest)", "indicator"]):
        add("Missing figure filled with the latest earlier one (carried forward)", ind, n)
    for ind, n in counts(log.loc[log["step"] == "winsorised", "indicator"]):
        add("Extreme value pulled in (winsorised)", ind, n)
    for ind, _ in counts(log.loc[log["step"] == "log transform", "indicator"]):
        add("Log-transformed to tame a very skewed distribution", ind, float("nan"), whole=True)
    for ind, n in counts(log.loc[log["step"] == "scored without", "detail"].str.split(", ").explode()):
        add(f"Scored without this indicator (on {need} to {n_ind - 1} of the {n_ind})", ind, n)
    n_none = int((log["step"] == "no score").sum())
    if n_none:
        add(f"No score: data for fewer than {need} of the {n_ind} indicators", "", n_none)
    known = {"imputed (latest)", "winsorised", "log transform", "scored without", "no score"}
    for (step, ind), n in log[~log["step"].isin(known)].groupby(["step", "indicator"], dropna=False).size().items():
        add(str(step), "" if pd.isna(ind) else str(ind), n)
    return pd.DataFrame(rows, columns=["what", "indicator", "extent", "n"])


def choose_scoreboard_year(sb: Scoreboard, *, min_share: float = 0.7) -> int:
    """The latest year in which the pool's R&D data are fresh enough.

    The number of pool units with an *observed* (not carried forward) BERD or public R&D value
    must reach ``min_share`` of the best year's (R&D surveys are biennial in several countries,
    and the latest year is thin).
    """
    d = sb.data[sb.data["unit"].isin(sb.pool["unit"]) & sb.data["indicator"].isin(["berd_pc_gdp", "rd_public_pc_gdp"])]
    counts = d[d["value"].notna()].groupby("time")["unit"].nunique().reindex(sb.years, fill_value=0)
    ok = counts[counts >= min_share * counts.max()]
    return int(ok.index.max())


def missing_values(sb: Scoreboard, units: Iterable[str], year: int) -> pd.DataFrame:
    """The indicators each unit lacks in ``year`` even after carrying figures forward, and why.

    Parameters
    ----------
    sb
        A :func:`build_scoreboard` result.
    units
        Scored units (pool, extra units).
    year
        The report year.

    Returns
    -------
    pandas.DataFrame
        ``unit, country, indicator, label, max_time, last_year, next_year, country_wide``: one row
        per unit and missing indicator (framework order). ``last_year`` is the unit's latest
        figure up to ``year`` (missing in ``year`` because it is more than ``max_time`` years
        old), ``next_year`` its first figure after ``year``, both NaN where there is none in the
        scoreboard's years. ``country_wide`` is true when the country has at least two pool units
        and none has a later figure up to ``year`` than this unit (the French regions' R&D
        figures all stop in 2013): the gap is the country's, not the region's.
    """
    fw = sb.framework
    units = list(dict.fromkeys(units))
    dy = sb.data_years(units, year)
    miss = dy.loc[dy["value_used"].isna(), ["unit", "indicator", "label"]]
    obs = sb.data[sb.data["value"].notna()]
    last = obs[obs["time"] <= year].groupby(["unit", "indicator"])["time"].max().rename("last_year")
    nxt = obs[obs["time"] > year].groupby(["unit", "indicator"])["time"].min().rename("next_year")
    miss = miss.join(last, on=["unit", "indicator"]).join(nxt, on=["unit", "indicator"])
    miss["country"] = miss["unit"].str[:2]
    pool = sb.pool.assign(country=sb.pool["unit"].str[:2])
    p_obs = obs[obs["unit"].isin(pool["unit"]) & (obs["time"] <= year)]
    c_last = p_obs.groupby([p_obs["unit"].str[:2].rename("country"), "indicator"])["time"].max().rename("c_last")
    miss = miss.join(c_last, on=["country", "indicator"])
    n_pool = miss["country"].map(pool["country"].value_counts()).fillna(0)
    same = (miss["last_year"] == miss["c_last"]) | (miss["last_year"].isna() & miss["c_last"].isna())
    miss["country_wide"] = (n_pool >= 2) & same
    miss = miss.merge(fw[["indicator", "max_time"]], on="indicator")
    order = {u: i for i, u in enumerate(units)}
    rank = {ind: i for i, ind in enumerate(fw["indicator"])}
    miss = miss.sort_values(["unit", "indicator"], key=lambda c: c.map(order if c.name == "unit" else rank))
    cols = ["unit", "country", "indicator", "label", "max_time", "last_year", "next_year", "country_wide"]
    return miss[cols].reset_index(drop=True)


def missing_value_notes(sb: Scoreboard, units: Iterable[str], year: int) -> list[str]:
    """Plain sentences saying why the units lack indicators in ``year`` (see :func:`missing_values`).

    A gap every region of a country shares is said once for the country ("For the regions of
    France (FR), the latest figures for R&D personnel (FTE) ... are from 2013, more than 3 years
    before 2019; older figures are not carried forward."); regions with the same gap share a
    sentence. Three cases: the latest figure is too old to be carried forward; figures start
    only after ``year``; there is none in the scoreboard's years up to ``year``.

    Returns
    -------
    list of str
        One sentence per gap, in the order of the units; empty when nothing is missing.
    """
    from clusterix_lib.wording import listed

    m = missing_values(sb, units, year)
    if m.empty:
        return []
    subject = np.where(
        m["country_wide"],
        "the regions of " + m["country"].map(lambda c: f"{nuts.region_name(c)} ({c})"),
        m["unit"].map(lambda u: f"{nuts.region_name(u)} ({u})"),
    )
    m = m.assign(subject=subject, last=m["last_year"].fillna(-1), next=m["next_year"].fillna(-1))
    m["label"] = m["label"].map(_in_sentence)
    gaps = m.groupby(["subject", "last", "next"], sort=False).agg(
        labels=("label", lambda s: tuple(dict.fromkeys(s))), max_time=("max_time", "max")
    )
    gaps = gaps.reset_index().groupby(["last", "next", "labels", "max_time"], sort=False)["subject"]
    out = []
    for (lo, hi, labels, max_time), subjects in gaps:
        who, what = listed(list(dict.fromkeys(subjects))), listed(list(labels))
        if lo >= 0:
            old = f"more than {int(max_time)} years" if math.isfinite(max_time) else "too long"
            out.append(
                f"For {who}, the latest figures for {what} are from {int(lo)}, {old} before {year}; "
                "older figures are not carried forward."
            )
        elif hi >= 0:
            out.append(f"For {who}, figures for {what} start only in {int(hi)}, after {year}.")
        else:
            out.append(f"For {who}, there are no figures for {what} in {sb.years[0]}–{year}.")
    return out


# ----------------------------------------------------------------------------------------------
# Uncertainty
# ----------------------------------------------------------------------------------------------


@dataclass
class ScoreboardUncertainty:
    """Monte Carlo results for one year.

    ``summary``: per unit (pool, extra units, EU): nominal and median relative score with its
    5-95 % interval, EU rank (nominal, median, interval), nominal group, the share of draws in it
    and the most frequent group; ``relative``: ``(draws, units)``; ``mc``: the
    :class:`~clusterix_lib.composite.MonteCarloResult`.
    """

    year: int
    summary: pd.DataFrame
    relative: np.ndarray
    eu_rank: np.ndarray
    mc: cp.MonteCarloResult
    alternatives: list[str]

    def for_units(self, units: Iterable[str]) -> pd.DataFrame:
        units = list(units)
        s = self.summary.set_index("unit")
        return s.loc[[u for u in units if u in s.index]].reset_index()


def _bank(sb: Scoreboard, year: int) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Normalised alternatives of one year's rows (pool, extra units, EU), higher = better."""
    p = sb.result.params
    keys = p["keys"].reset_index(drop=True)
    rows = (keys["time"] == year).to_numpy()
    pool_rows = p["in_pool"]
    d = p["direction"]
    with np.errstate(invalid="ignore"):
        bank = {
            "min-max (outliers treated)": p["N"][rows],
            "min-max (no outlier treatment)": cp.minmax(p["X"][rows] * d, ref=p["X"][pool_rows] * d),
            "percentile rank": 100.0 * cp.percentile_rank(p["T"][rows] * d, ref=p["T"][pool_rows] * d),
        }
    return bank, pool_rows[rows], keys.loc[rows, "unit"].tolist()


def score_at_range_edge(table: pd.DataFrame, *, share: float = 0.1) -> pd.DataFrame:
    """Units whose published score lies at the top or the bottom of its uncertainty range.

    ``table`` is :meth:`ScoreboardUncertainty.for_units` (columns ``unit``, ``relative`` -- the
    published, nominal score -- and ``relative_low``/``relative_high``, the 5th and 95th
    percentiles of the draws). The position of the published score in its range is

    .. math:: p = (\\text{relative} - \\text{low}) / (\\text{high} - \\text{low}),

    and a unit is at the ``"top"`` edge when :math:`p \\ge 1 - \\text{share}` (most other methods
    score it lower: read its score as an upper estimate), at the ``"bottom"`` when
    :math:`p \\le \\text{share}`. Units without a range are left out.

    >>> t = pd.DataFrame({"unit": ["A", "B", "C"], "relative": [60.0, 95.0, 121.0],
    ...                   "relative_low": [40.0, 90.0, 120.0], "relative_high": [61.0, 100.0, 140.0]})
    >>> score_at_range_edge(t)[["unit", "edge"]].to_dict("records")
    [{'unit': 'A', 'edge': 'top'}, {'unit': 'C', 'edge': 'bottom'}]
    """
    width = table["relative_high"] - table["relative_low"]
    position = (table["relative"] - table["relative_low"]) / width.where(width > 0)
    edge = np.select([position >= 1 - share, position <= share], ["top", "bottom"], default="")
    out = table.assign(position=position, edge=edge)
    return out.loc[out["edge"] != "", ["unit", "relative", "relative_low", "relative_high", "position", "edge"]]


def scoreboard_uncertainty(
    sb: Scoreboard,
    year: int,
    *,
    n_draws: int = 1000,
    seed: int = 2016,
    weight_noise: float = 0.25,
    aggregations: Sequence[str] = ("arithmetic", "geometric"),
) -> ScoreboardUncertainty:
    """Monte Carlo uncertainty of the relative scores, EU ranks and groups in ``year``.

    Each draw picks a normalisation (min-max with / without outlier treatment, percentile rank),
    an aggregation (arithmetic, geometric) and weights :math:`w_k (1 + U(-f, f))`; the EU-27 is
    scored in the same draw, so each draw's relative score is :math:`100\\,SII_r / SII_{EU}`.
    The nominal draw (min-max treated, arithmetic, equal weights) equals the scoreboard.
    """
    if year not in sb.years:
        raise ParameterError(f"year {year} is outside the scoreboard", hint=f"choose one of {sb.years}")
    bank, in_pool, units = _bank(sb, year)
    w = sb.framework["weight"].to_numpy(dtype=float)
    mc = cp.monte_carlo(
        bank,
        w,
        units=units,
        aggregations=aggregations,
        weight_noise=weight_noise,
        n_draws=n_draws,
        seed=seed,
        nominal=("min-max (outliers treated)", "arithmetic"),
        dat_thresh=sb.result.spec.dat_thresh,
    )
    eu_i = units.index(EU)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = 100.0 * mc.scores / mc.scores[:, [eu_i]]
        rel_nom = 100.0 * mc.nominal_score / mc.nominal_score[eu_i]
    # EU rank: 1 + pool units scoring higher in the same draw (pool units: rank among the pool)
    pool_scores = np.where(in_pool, mc.scores, np.nan)
    rank = np.full(mc.scores.shape, np.nan)
    rank[:, in_pool] = cp.rank_desc(mc.scores[:, in_pool], axis=1)
    out = ~in_pool
    with np.errstate(invalid="ignore"):
        rank[:, out] = 1 + np.nansum(pool_scores[:, None, :] > mc.scores[:, out][:, :, None], axis=2)
    rank[np.isnan(mc.scores)] = np.nan
    rank[:, eu_i] = np.nan
    foreign = sb.outside(units)  # outside the pool's countries: scored, never ranked
    rank[:, foreign] = np.nan
    nom_rank = np.full(len(units), np.nan)
    nom_rank[in_pool] = cp.rank_desc(mc.nominal_score[in_pool])
    ps = mc.nominal_score[in_pool]
    nom_rank[out] = 1 + (ps[None, :] > mc.nominal_score[out][:, None]).sum(axis=1)
    nom_rank[np.isnan(mc.nominal_score)] = np.nan
    nom_rank[eu_i] = np.nan
    nom_rank[foreign] = np.nan
    g = group_code(rel, boundary=sb.boundary)
    g_nom = group_code(rel_nom, boundary=sb.boundary)
    same = (g == g_nom[None, :]).mean(axis=0)
    counts = np.stack([(g == k).sum(axis=0) for k in range(4)])  # the four groups
    modal = np.where(counts.max(axis=0) > 0, counts.argmax(axis=0), -1)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(rel, [0.05, 0.5, 0.95], axis=0)
            r = np.nanquantile(rank, [0.05, 0.5, 0.95], axis=0)
    labels = np.array([*GROUPS, ""], dtype=object)
    summary = pd.DataFrame(
        {
            "unit": units,
            "in_pool": in_pool,
            "relative": rel_nom,
            "relative_median": q[1],
            "relative_low": q[0],
            "relative_high": q[2],
            "rank": nom_rank,
            "rank_median": r[1],
            "rank_low": r[0],
            "rank_high": r[2],
            "group": labels[g_nom],
            "group_share": np.where(g_nom >= 0, same, np.nan),
            "modal_group": labels[modal],
        }
    )
    return ScoreboardUncertainty(year=year, summary=summary, relative=rel, eu_rank=rank, mc=mc, alternatives=list(bank))


def scoreboard_sensitivity(
    sb: Scoreboard, year: int, *, n: int = 256, seed: int = 2016, weight_noise: float = 0.25
) -> pd.DataFrame:
    """First- and total-order Sobol indices of the pool's mean absolute rank shift in ``year``.

    Factors: normalisation, aggregation and each indicator's weight (as in
    :func:`scoreboard_uncertainty`). Returns ``factor, S, ST, S_low, S_high, ST_low, ST_high``.
    """
    bank, in_pool, units = _bank(sb, year)
    pool_bank = {k: v[in_pool] for k, v in bank.items()}
    r = cp.sensitivity(
        pool_bank,
        sb.framework["weight"].to_numpy(dtype=float),
        indicators=list(sb.framework["indicator"]),
        aggregations=("arithmetic", "geometric"),
        weight_noise=weight_noise,
        n=n,
        seed=seed,
        nominal=("min-max (outliers treated)", "arithmetic"),
        dat_thresh=sb.result.spec.dat_thresh,
    )
    return r.indices.drop(columns="output")


# ----------------------------------------------------------------------------------------------
# Report targets and figures
# ----------------------------------------------------------------------------------------------


def scoreboard_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """The default scoreboard: one for the consortium, keyed by the consortium file's stem.

    A consortium file other than the one in ``data/`` is passed as ``consortium_file``.

    >>> scoreboard_targets()
    [{'consortium': 'consortium_clusterix2'}]
    """
    from clusterix_lib.consortium import default_consortium_path

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    target: dict[str, Any] = {"consortium": path.stem}
    if path.resolve() != (default_consortium_path().parent / path.name).resolve():
        target["consortium_file"] = str(path.resolve())
    return [target]


def plot_group_map(table: pd.DataFrame, geometry: str | Path, *, highlight: Iterable[str] = (), title: str = "") -> Any:
    """Europe coloured by performance group (``table``: ``unit, group``); ``highlight`` outlined.

    Units may mix NUTS levels (each is drawn with its own polygon); regions without a score are grey.
    """
    import geopandas as gpd
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    gdf = gpd.read_file(geometry)
    countries = gdf[gdf["LEVL_CODE"] == 0]
    fig, ax = plt.subplots(figsize=(7.5, 6.8), layout="constrained")
    countries.plot(ax=ax, color="#e5e7eb", edgecolor="white", linewidth=0.3)
    shapes = gdf.merge(table[["unit", "group"]], left_on="NUTS_ID", right_on="unit")
    shapes = shapes.assign(colour=shapes["group"].map(GROUP_COLOURS).fillna("#d1d5db"))
    shapes.plot(ax=ax, color=shapes["colour"], edgecolor="white", linewidth=0.15)
    countries.boundary.plot(ax=ax, color="#6b7280", linewidth=0.35)
    hl = gdf[gdf["NUTS_ID"].isin(list(highlight))]
    if len(hl):
        hl.boundary.plot(ax=ax, color="#b91c1c", linewidth=1.3)
    handles = [Patch(color=GROUP_COLOURS[g], label=g) for g in reversed(GROUPS)]
    handles.append(Patch(color="#d1d5db", label="no score"))
    if len(hl):
        handles.append(Patch(facecolor="none", edgecolor="#b91c1c", label="consortium region"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    ax.set_xlim(-12, 35)
    ax.set_ylim(34, 71.5)
    ax.set_aspect(1.6)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def _bands(ax: Any, vertical: bool = True) -> None:
    edges = [0, *THRESHOLDS, 1000]
    for g, lo, hi in zip(GROUPS, edges[:-1], edges[1:], strict=True):
        (ax.axvspan if vertical else ax.axhspan)(lo, hi, color=GROUP_COLOURS[g], alpha=0.25, lw=0)


def plot_rank_uncertainty(summary: pd.DataFrame, labels: dict[str, str] | None = None, *, title: str = "") -> Any:
    """Relative score (with the group bands) and EU rank of each region, with their 5-95 % intervals.

    ``summary``: rows of :attr:`ScoreboardUncertainty.summary`, ordered as they should appear.
    """
    import matplotlib.pyplot as plt

    s = summary.dropna(subset=["relative"]).iloc[::-1].reset_index(drop=True)
    labels = labels or {}
    y = np.arange(len(s))
    fig, (a1, a2) = plt.subplots(
        1, 2, figsize=(9, 0.42 * len(s) + 1.4), sharey=True, layout="constrained", width_ratios=[3, 2]
    )
    _bands(a1)
    a1.hlines(y, s["relative_low"], s["relative_high"], color="#374151", lw=2)
    a1.plot(s["relative"], y, "o", color="#b91c1c", ms=5, label="nominal")
    a1.plot(s["relative_median"], y, "|", color="#111827", ms=10, label="median of draws")
    hi = float(np.nanmax(s["relative_high"])) if len(s) else 150
    a1.set_xlim(0, max(150.0, hi * 1.05))
    a1.set_xlabel("score relative to the EU-27\n(EU = 100)")
    a1.set_yticks(y, [labels.get(u, u) for u in s["unit"]], fontsize=8)
    a1.legend(fontsize=7, loc="lower right", frameon=False)
    a2.hlines(y, s["rank_low"], s["rank_high"], color="#374151", lw=2)
    a2.plot(s["rank"], y, "o", color="#b91c1c", ms=5)
    a2.invert_xaxis()
    a2.set_xlabel("rank among the EU regions\n(1 = best)")
    a2.grid(axis="x", color="#e5e7eb")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def plot_relative_trend(
    scores: pd.DataFrame,
    units: Sequence[str],
    labels: dict[str, str] | None = None,
    *,
    until: int | None = None,
    title: str = "",
) -> Any:
    """Score relative to the EU of the first year, by year, for the given units (EU-27 dashed).

    Parameters
    ----------
    scores
        :attr:`Scoreboard.scores`.
    units
        The units drawn; ``labels`` their legend labels (default: the codes).
    until
        The last year drawn (the report year, so that the chart ends where the report's tables
        end); default: every year of ``scores``.
    title
        Title of the chart.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    labels = labels or {}
    if until is not None:
        scores = scores[scores["time"] <= until]
        if scores.empty:
            raise ParameterError(f"no scores up to {until}")
    fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
    _bands(ax, vertical=False)
    for u in units:
        d = scores[scores["unit"] == u].sort_values("time")
        if d["relative_to_base"].notna().any():
            ax.plot(d["time"], d["relative_to_base"], marker="o", ms=3, lw=1.4, label=labels.get(u, u))
    eu = scores[scores["unit"] == EU].sort_values("time")
    ax.plot(eu["time"], eu["relative_to_base"], ls="--", color="#111827", lw=1.5, label="EU-27")
    top = float(np.nanmax(scores.loc[scores["unit"].isin([*units, EU]), "relative_to_base"]))
    ax.set_ylim(0, max(150.0, top * 1.05))
    ax.set_ylabel(f"relative to the EU-27 in {int(scores['time'].min())} (= 100)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
