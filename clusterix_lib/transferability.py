r"""Could a good practice work elsewhere? Transferability scores, practices worth studying, and the transfer pipeline.

**Context similarity from the statistics.** Two measures between regions, each from 0 (nothing in
common) to 1 (identical):

- *economic structure*: :math:`S_{ab} = 1 - K_{ab}/2 = \sum_i \min(s_{ai}, s_{bi})`, with
  :math:`K_{ab} = \sum_i |s_{ai} - s_{bi}|` the Krugman index of region *a* against region *b*
  (:func:`clusterix_lib.specialisation.krugman_index` with *b* as the reference), over the NACE
  divisions both regions publish, in the latest year well covered for both;
- *innovation performance*: :math:`I_{ab} = 1 - \frac{1}{100\,m} \sum_k |p_{ak} - p_{bk}|`, where
  :math:`p_{ak}` is region *a*'s percentile among Europe's NUTS 2 regions on ratio indicator *k*
  (R&D expenditure, business R&D, R&D personnel, human resources in science and technology,
  patent applications per million inhabitants), over the *m* indicators both have.

**Transferability of a practice to a target region** (rubric R4 of ``docs/domain.md`` §10 where
peers scored it) is the weighted mean of the items available, all on the rubric's 1-5 scale:

- the peers' R4 scores (median over assessors, NA left out) with the rubric's weights;
- the two statistical items, :math:`1 + 4 P_S / 100` and :math:`1 + 4 P_I / 100`, where
  :math:`P_S, P_I` place the pair's similarities among all pairs of Europe's NUTS 2 regions
  (percentiles: 50 = a typical pair, 3 on the scale; weight ``stat_weight``, 1 by default).
  Raw similarities are bunched (most pairs of European regions share 65-80 % of their
  employment structure), so the percentile, not the raw value, says how alike two regions are;
- the visitors' own transferability rating after a study trip (median; weight 1).

The **limiting factor** is the lowest item (R4: "show the limiting factor"). A score resting
on the statistics alone says only that the contexts are alike: the report calls it preliminary.

**Transfer pipeline** (``docs/domain.md`` §8, GPTransfer): interest -> studied -> adapted ->
adopted in action plan -> implemented. Stages come from the transfer register
(``gp_transfers.csv``) and from the trips: a practice shown on a trip has been *studied* by the
visiting regions, and one a visitor marked of interest in the feedback has their *interest*. A
pair's stage is the furthest it reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib import nuts, profile
from clusterix_lib.confidentiality import level_of, read_levels
from clusterix_lib.errors import ClusterixError, DataFileError, location
from clusterix_lib.fileio import row_failer
from clusterix_lib.rubrics import Rubric
from clusterix_lib.wording import counted

__all__ = [
    "ASSESSMENT_COLUMNS",
    "STAT_ITEMS",
    "TRANSFER_COLUMNS",
    "TRANSFER_STAGES",
    "assessments_path",
    "context_similarity",
    "innovation_positions",
    "innovation_similarity",
    "load_assessments",
    "load_transfers",
    "most_worth_studying",
    "pipeline_counts",
    "practice_scores",
    "reference_innovation",
    "reference_structure",
    "structural_similarity",
    "transfer_pipeline",
    "transferability_items",
    "transferability_scores",
    "transfers_path",
    "trip_evidence",
]

TRANSFER_STAGES = ("interest", "studied", "adapted", "adopted in action plan", "implemented")
#: The statistical items of the transferability score.
STAT_ITEMS = {
    "S1": "Similar economic structure (vs European region pairs)",
    "S2": "Similar innovation performance (vs European region pairs)",
}
FEEDBACK_ITEM = ("F1", "Visitors' own rating after a study trip")
ASSESSMENT_COLUMNS = (
    "gp_id",
    "target_region",
    "assessor",
    "criterion",
    "value",
    "na",
    "comment",
    "illustrative",
    "confidentiality",
)
TRANSFER_COLUMNS = (
    "gp_id",
    "target_region",
    "stage",
    "date",
    "action",
    "note",
    "source",
    "illustrative",
    "confidentiality",
)
#: Ratio indicators of :func:`clusterix_lib.datasets.indicators` used for innovation performance.
INNOVATION_INDICATORS = ("gerd_pc_gdp", "berd_pc_gdp", "rd_personnel_pc_emp", "hrst_pc_act", "patents_p_mhab")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?(-(0[1-9]|[12]\d|3[01]))?$")


# --------------------------------------------------------------------------------------
# Context similarity from the statistics
# --------------------------------------------------------------------------------------


def _employment_vectors(employment: pd.DataFrame, regions: list[str], year: int | None) -> tuple[pd.DataFrame, int]:
    """Persons employed by division (columns) for each region (rows) in one year; NaN = withheld."""
    series, years = {}, []
    for code in regions:
        t = profile.sector_territory(code, employment)
        s = profile.territory_series(employment, t, by=["year", "nace_r2"])
        series[code] = s
        years.append(profile.choose_year(s))
    year = int(year or min(years))
    wide = pd.DataFrame(
        {code: s[s["year"] == year].set_index("nace_r2")["value"] for code, s in series.items()}
    ).T.reindex(regions)
    return wide.astype(float), year


def structural_similarity(employment: pd.DataFrame, regions: Iterable[str], *, year: int | None = None) -> pd.DataFrame:
    r"""Similarity of the regions' employment structures, every ordered pair.

    .. math:: S_{ab} = 1 - \frac{1}{2}\sum_{i \in D_{ab}} |s_{ai} - s_{bi}|, \quad
              s_{ai} = x_{ai} / \sum_{j \in D_{ab}} x_{aj}

    with :math:`D_{ab}` the divisions both publish. ``year`` defaults to the latest year well
    covered for every region (:func:`clusterix_lib.profile.choose_year`, the earliest of them).

    Returns ``region_a, region_b, similarity, krugman, n_divisions, year`` (1 on the diagonal).

    Examples
    --------
    >>> e = pd.DataFrame({"geo": ["AT12"] * 2 + ["CZ08"] * 2, "nace_r2": ["C10", "C20"] * 2,
    ...                   "year": 2015, "value": [30.0, 10.0, 10.0, 10.0]})
    >>> s = structural_similarity(e, ["AT12", "CZ08"])
    >>> s.loc[(s.region_a == "AT12") & (s.region_b == "CZ08"), ["krugman", "similarity"]].values.tolist()
    [[0.5, 0.75]]
    """
    regions = list(dict.fromkeys(regions))
    wide, year = _employment_vectors(employment, regions, year)
    krugman, n_div = _pairwise_krugman(wide.to_numpy(), wide.to_numpy())
    n = len(regions)
    return pd.DataFrame(
        {
            "region_a": np.repeat(regions, n),
            "region_b": np.tile(regions, n),
            "similarity": (1 - krugman / 2).ravel(),
            "krugman": krugman.ravel(),
            "n_divisions": n_div.ravel(),
            "year": year,
        }
    )


def _pairwise_krugman(xa: np.ndarray, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Krugman distance of every row of ``xa`` to every row of ``xb`` (counts by division, NaN =
    withheld), over the divisions both publish; and the number of divisions compared."""
    both = ~np.isnan(xa)[:, None, :] & ~np.isnan(xb)[None, :, :]
    a = np.where(both, np.nan_to_num(xa)[:, None, :], 0.0)
    b = np.where(both, np.nan_to_num(xb)[None, :, :], 0.0)
    ta, tb = a.sum(axis=2, keepdims=True), b.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.abs(a / ta - b / tb).sum(axis=2)
    k[(ta[..., 0] == 0) | (tb[..., 0] == 0)] = np.nan
    return k, both.sum(axis=2)


def reference_structure(employment: pd.DataFrame, year: int, *, chunk: int = 32) -> np.ndarray:
    """Structural similarity of every pair of Europe's NUTS 2 regions in ``year`` (each pair once):
    the reference distribution of :func:`context_similarity`'s percentiles. Rows are compared in
    chunks, so memory stays small."""
    part = employment[(employment["geo"].str.len() == 4) & (employment["year"] == year)]
    x = part.pivot_table(index="geo", columns="nace_r2", values="value", aggfunc="first", dropna=False).to_numpy(float)
    out = []
    for start in range(0, len(x), chunk):
        k, _ = _pairwise_krugman(x[start : start + chunk], x)
        rows = np.arange(start, start + len(k))
        out.append((1 - k / 2)[np.arange(len(x))[None, :] > rows[:, None]])
    values = np.concatenate(out) if out else np.array([])
    return values[np.isfinite(values)]


def reference_innovation(indicators: pd.DataFrame) -> np.ndarray:
    """Innovation-performance similarity of every pair of Europe's NUTS 2 regions (each pair once),
    each region at its latest value of each indicator."""
    part = indicators[
        indicators["indicator"].isin(INNOVATION_INDICATORS)
        & indicators["value"].notna()
        & (indicators["geo"].str.len() == 4)
    ]
    g = part.groupby(["indicator", "year"])["value"]
    part = part.assign(percentile=(g.rank(method="min") - 1) / g.transform("size") * 100)
    latest = part.sort_values("year").groupby(["indicator", "geo"]).tail(1)
    p = latest.pivot(index="geo", columns="indicator", values="percentile").to_numpy(float)
    diff = np.abs(p[:, None, :] - p[None, :, :])
    n = (~np.isnan(diff)).sum(axis=2)
    with np.errstate(invalid="ignore"):
        sim = 1 - np.nansum(diff, axis=2) / np.where(n > 0, n, np.nan) / 100
    values = sim[np.triu_indices(len(p), k=1)]
    return values[np.isfinite(values)]


def _percentile(values: pd.Series, reference: np.ndarray) -> pd.Series:
    """Share of the reference values not above each value, in % (NaN stays NaN)."""
    ref = np.sort(reference)
    pct = np.searchsorted(ref, values.to_numpy(float), side="right") / max(len(ref), 1) * 100
    return pd.Series(np.where(values.isna(), np.nan, pct), index=values.index)


def _stand_in(code: str, available: set[str]) -> str | None:
    """The region's own code where the indicator is published, else its nearest published parent."""
    c: str | None = code
    while c is not None:
        if c in available:
            return c
        c = nuts.parent(c)
    return None


def innovation_positions(indicators: pd.DataFrame, regions: Iterable[str]) -> pd.DataFrame:
    """Each region's latest value and European percentile on the innovation indicators.

    For every (region, indicator): the latest value of the region, or of its nearest parent that
    publishes it (a NUTS 3 region by its NUTS 2 region); its ``percentile`` = share of Europe's
    NUTS 2 regions with a lower value that year, in %. Columns ``region, indicator, geo, year,
    value, percentile, n_regions``.
    """
    regions = list(dict.fromkeys(regions))
    data = indicators[indicators["indicator"].isin(INNOVATION_INDICATORS) & indicators["value"].notna()]
    rows = []
    for ind, part in data.groupby("indicator", sort=False):
        published = set(part["geo"])
        latest = part.sort_values("year").groupby("geo").tail(1).set_index("geo")
        nuts2 = part[part["geo"].str.len() == 4]
        for code in regions:
            geo = _stand_in(code, published)
            if geo is None:
                continue
            year, value = int(latest.at[geo, "year"]), float(latest.at[geo, "value"])
            peers = nuts2.loc[nuts2["year"] == year, "value"]
            rows.append(
                {
                    "region": code,
                    "indicator": ind,
                    "geo": geo,
                    "year": year,
                    "value": value,
                    "percentile": float((peers < value).mean() * 100) if len(peers) else np.nan,
                    "n_regions": len(peers),
                }
            )
    cols = ["region", "indicator", "geo", "year", "value", "percentile", "n_regions"]
    return pd.DataFrame(rows, columns=cols)


def innovation_similarity(positions: pd.DataFrame) -> pd.DataFrame:
    r"""Similarity of innovation performance, every ordered pair of regions in ``positions``.

    .. math:: I_{ab} = 1 - \frac{1}{100\,m}\sum_k |p_{ak} - p_{bk}|

    over the *m* indicators both regions have. Returns ``region_a, region_b, similarity,
    n_indicators``.

    >>> p = pd.DataFrame({"region": ["A", "A", "B", "B"], "indicator": ["x", "y", "x", "y"],
    ...                   "percentile": [80.0, 60.0, 40.0, 60.0]})
    >>> innovation_similarity(p).query("region_a == 'A' and region_b == 'B'")["similarity"].item()
    0.8
    """
    wide = positions.pivot_table(index="region", columns="indicator", values="percentile", aggfunc="first")
    regions = list(dict.fromkeys(positions["region"]))
    wide = wide.reindex(regions)
    p = wide.to_numpy(float)
    diff = np.abs(p[:, None, :] - p[None, :, :])
    n = (~np.isnan(diff)).sum(axis=2)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(diff, axis=2) / np.where(n > 0, n, np.nan)
    k = len(regions)
    return pd.DataFrame(
        {
            "region_a": np.repeat(regions, k),
            "region_b": np.tile(regions, k),
            "similarity": (1 - mean / 100).ravel(),
            "n_indicators": n.ravel(),
        }
    )


def context_similarity(
    employment: pd.DataFrame, indicators: pd.DataFrame, regions: Iterable[str], *, year: int | None = None
) -> pd.DataFrame:
    """Both similarities for every ordered pair, and where each stands in Europe.

    Columns ``region_a, region_b, structure, innovation`` (0-1), ``structure_pct,
    innovation_pct`` (percentile of the pair among all pairs of Europe's NUTS 2 regions: the
    share of those pairs that are not more alike, in %), ``n_divisions, n_indicators, year``.
    """
    regions = list(dict.fromkeys(regions))
    s = structural_similarity(employment, regions, year=year)
    i = innovation_similarity(innovation_positions(indicators, regions))
    out = s.rename(columns={"similarity": "structure"}).merge(
        i.rename(columns={"similarity": "innovation"}), on=["region_a", "region_b"], how="left"
    )
    out["n_indicators"] = out["n_indicators"].fillna(0).astype(int)
    out["structure_pct"] = _percentile(out["structure"], reference_structure(employment, int(out["year"].iloc[0])))
    out["innovation_pct"] = _percentile(out["innovation"], reference_innovation(indicators))
    cols = [
        "region_a",
        "region_b",
        "structure",
        "innovation",
        "structure_pct",
        "innovation_pct",
        "n_divisions",
        "n_indicators",
        "year",
    ]
    return out[cols]


# --------------------------------------------------------------------------------------
# Peer assessments (rubric R4) and the transfer register
# --------------------------------------------------------------------------------------


def assessments_path(consortium_path: str | Path | None = None) -> Path:
    """Peer R4 scores of a consortium: ``gp_assessments.csv`` next to its consortium file."""
    from clusterix_lib.good_practices import register_path

    return register_path(consortium_path).parent / "gp_assessments.csv"


def transfers_path(consortium_path: str | Path | None = None) -> Path:
    """Transfer register of a consortium: ``gp_transfers.csv`` next to its consortium file."""
    from clusterix_lib.good_practices import register_path

    return register_path(consortium_path).parent / "gp_transfers.csv"


def _read_table(path: Path, columns: tuple[str, ...], required: tuple[str, ...], what: str) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataFileError(
            f"{what} lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"columns: {', '.join(columns)}",
        )
    for c in columns:
        if c not in table.columns:
            table[c] = ""
    return table[list(columns)].apply(lambda s: s.str.strip())


def _check_pairs(table: pd.DataFrame, path: Path, register: pd.DataFrame, regions: pd.DataFrame | None, fail) -> None:
    known = dict(zip(register["id"], register["region"], strict=True))
    for row, (gp, target) in enumerate(zip(table["gp_id"], table["target_region"], strict=True)):
        if gp not in known:
            fail(row, "gp_id", "unknown good practice", "use an id of the good-practice register")
        try:
            table.at[row, "target_region"] = code = nuts.validate_region(target, regions=regions)
        except ClusterixError as exc:
            fail(row, "target_region", f"target region is not a NUTS code: {exc.what}", exc.hint or "")
        if code == known[gp]:
            fail(row, "target_region", "a practice is not transferred to its own region", "name another region")


def load_assessments(
    path: str | Path | None,
    register: pd.DataFrame,
    rubric: Rubric,
    *,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read the peers' R4 scores (``gp_assessments.csv``); a missing file gives an empty table.

    One row per (practice, target region, assessor, criterion): ``value`` on the rubric's scale,
    or ``na = true``. Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming
    file, line, column and value: an unknown practice or criterion, a target region that is no
    NUTS code or is the practice's own region, a score off the scale, a criterion scored twice,
    an unknown ``confidentiality`` level (kept as a column; a missing column or an empty cell
    counts as restricted; the rule is in ``data/good_practices.md``).
    """
    from clusterix_lib.workbooks import parse_rating

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ASSESSMENT_COLUMNS})
    if path is None:
        return empty.assign(value=pd.Series(dtype=float))
    path = Path(path)
    table = _read_table(
        path, ASSESSMENT_COLUMNS, ("gp_id", "target_region", "assessor", "criterion", "value"), "assessment table"
    )
    if table is None:
        return empty.assign(value=pd.Series(dtype=float))
    read_levels(table, path)

    fail = row_failer(path, table)

    _check_pairs(table, path, register, regions, fail)
    values, nas = [], []
    for row, (crit, raw) in enumerate(zip(table["criterion"], table["value"], strict=True)):
        if crit not in rubric.criterion_ids:
            fail(
                row,
                "criterion",
                f"criterion not in rubric {rubric.id}",
                f"use one of {', '.join(rubric.criterion_ids)}",
            )
        try:
            value, na = parse_rating(raw, rubric.scale_min, rubric.scale_max, allows_na=rubric.allows_na)
        except ValueError as exc:
            scale = f"{rubric.scale_min}-{rubric.scale_max}" + (" or NA" if rubric.allows_na else "")
            fail(row, "value", str(exc), f"scores are {scale}")
        values.append(np.nan if na else float(value))
        nas.append(na)
    dup = table.duplicated(["gp_id", "target_region", "assessor", "criterion"])
    if dup.any():
        fail(int(dup.idxmax()), "criterion", "criterion scored twice by the same assessor", "keep one score")
    table["value"] = pd.Series(values, index=table.index, dtype=float)
    table["na"] = pd.Series(nas, index=table.index, dtype=bool)
    table["illustrative"] = table["illustrative"].str.lower().isin(["true", "1", "yes"])
    return table


def load_transfers(
    path: str | Path | None, register: pd.DataFrame, *, regions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read the transfer register (``gp_transfers.csv``): one row per (practice, target region)
    with the furthest ``stage`` reached (:data:`TRANSFER_STAGES`), its ``date`` (YYYY, YYYY-MM or
    YYYY-MM-DD), the action-plan ``action`` it became, a ``note`` and a ``source``.

    A missing file gives an empty table; problems raise :class:`DataFileError` naming file, line,
    column and value (an unknown ``confidentiality`` level among them; the column is kept, and a
    missing column or an empty cell counts as restricted).
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in TRANSFER_COLUMNS})
    table = (
        _read_table(Path(path), TRANSFER_COLUMNS, ("gp_id", "target_region", "stage"), "transfer register")
        if path
        else None
    )
    if table is None:
        return empty.assign(illustrative=pd.Series(dtype=bool))
    read_levels(table, path)

    fail = row_failer(path, table)

    _check_pairs(table, Path(path), register, regions, fail)
    table["stage"] = table["stage"].str.lower()
    bad = table.index[~table["stage"].isin(TRANSFER_STAGES)]
    if len(bad):
        fail(int(bad[0]), "stage", "unknown transfer stage", f"use one of {', '.join(TRANSFER_STAGES)}")
    bad = table.index[(table["date"] != "") & ~table["date"].str.match(_DATE)]
    if len(bad):
        fail(int(bad[0]), "date", "date is not YYYY, YYYY-MM or YYYY-MM-DD", "e.g. 2019-06")
    dup = table.duplicated(["gp_id", "target_region"])
    if dup.any():
        fail(
            int(dup.idxmax()),
            "gp_id",
            "practice and target region listed twice",
            "keep one row with the furthest stage",
        )
    table["illustrative"] = table["illustrative"].str.lower().isin(["true", "1", "yes"])
    return table


# --------------------------------------------------------------------------------------
# Transferability scores
# --------------------------------------------------------------------------------------


def transferability_items(
    register: pd.DataFrame,
    targets: Iterable[str],
    context: pd.DataFrame,
    *,
    rubric: Rubric | None = None,
    assessments: pd.DataFrame | None = None,
    perceived: pd.DataFrame | None = None,
    stat_weight: float = 1.0,
) -> pd.DataFrame:
    """Every item behind the transferability of each practice to each target region (not its own).

    Parameters
    ----------
    register
        Practices (``id``, ``region``); declined ones are left out.
    targets
        Target regions.
    context
        :func:`context_similarity` over the practices' and the targets' regions.
    rubric, assessments
        Rubric R4 and the peers' scores (:func:`load_assessments`).
    perceived
        Visitors' ratings after trips: ``practice, region, median`` (from
        :func:`clusterix_lib.trip_feedback.perceived_transferability`).
    stat_weight
        Weight of each statistical item.

    Returns a long table ``gp_id, target_region, item, label, source, value, weight, n`` with
    ``value`` on the 1-5 scale and ``n`` the number of assessors or raters behind it.
    """
    reg = register[register["status"] != "declined"]
    targets = list(dict.fromkeys(targets))
    pairs = pd.MultiIndex.from_product([reg["id"], targets], names=["gp_id", "target_region"]).to_frame(index=False)
    pairs = pairs.merge(reg[["id", "region"]].rename(columns={"id": "gp_id"}), on="gp_id")
    pairs = pairs[pairs["region"] != pairs["target_region"]]
    ctx = pairs.merge(
        context.rename(columns={"region_a": "region", "region_b": "target_region"}),
        on=["region", "target_region"],
        how="left",
    )
    parts = []
    for item, col in (("S1", "structure_pct"), ("S2", "innovation_pct")):
        part = ctx[["gp_id", "target_region"]].assign(
            item=item,
            label=STAT_ITEMS[item],
            source="statistics",
            value=1 + 4 * ctx[col] / 100,
            weight=stat_weight,
            n=1,
        )
        parts.append(part.dropna(subset=["value"]))
    if assessments is not None and len(assessments) and rubric is not None:
        scored = assessments[~assessments["na"]].dropna(subset=["value"])
        g = scored.groupby(["gp_id", "target_region", "criterion"])["value"]
        peer = pd.DataFrame({"value": g.median(), "n": g.size()}).reset_index().rename(columns={"criterion": "item"})
        crit = rubric.criteria.set_index("criterion")
        peer["label"] = peer["item"].map(crit["short"])
        peer["weight"] = peer["item"].map(crit["weight"])
        peer["source"] = "peer rubric"
        parts.append(peer.merge(pairs[["gp_id", "target_region"]], on=["gp_id", "target_region"]))
    if perceived is not None and len(perceived):
        f = perceived.rename(columns={"practice": "gp_id", "region": "target_region", "median": "value"})
        f = f.merge(pairs[["gp_id", "target_region"]], on=["gp_id", "target_region"])
        f = f.assign(n=f["n"] if "n" in f else 1)
        parts.append(f.assign(item=FEEDBACK_ITEM[0], label=FEEDBACK_ITEM[1], source="trip feedback", weight=1.0))
    cols = ["gp_id", "target_region", "item", "label", "source", "value", "weight", "n"]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    out["n"] = out["n"].astype(int)
    order = {"peer rubric": 0, "statistics": 1, "trip feedback": 2}
    return out.sort_values(
        ["gp_id", "target_region", "source", "item"], key=lambda s: s.map(order) if s.name == "source" else s
    ).reset_index(drop=True)


def _basis(sources: set[str]) -> str:
    names = [s for s in ("peer rubric", "statistics", "trip feedback") if s in sources]
    return " + ".join(names) if names != ["statistics"] else "statistics only (preliminary)"


def transferability_scores(items: pd.DataFrame) -> pd.DataFrame:
    r"""One score per (practice, target region) from :func:`transferability_items`.

    .. math:: T = \frac{\sum_j w_j v_j}{\sum_j w_j}

    over the items *j*; the limiting factor is the item with the lowest value (the first in
    item order on ties). Columns ``gp_id, target_region, score, n_items, basis, limiting_item,
    limiting_label, limiting_value, explanation``.

    Examples
    --------
    >>> items = pd.DataFrame({"gp_id": "G", "target_region": "R", "item": ["T1", "T4", "S1"],
    ...                       "label": ["Fit", "Legal", "Structure"],
    ...                       "source": ["peer rubric", "peer rubric", "statistics"],
    ...                       "value": [4.0, 2.0, 3.5], "weight": [1.5, 1.0, 1.0], "n": [3, 3, 1]})
    >>> s = transferability_scores(items).iloc[0]
    >>> round(float(s["score"]), 3), s["limiting_item"], s["basis"]
    (3.286, 'T4', 'peer rubric + statistics')
    """
    it = items.assign(wv=items["value"] * items["weight"])
    g = it.groupby(["gp_id", "target_region"], sort=False)
    out = pd.DataFrame(
        {
            "score": g["wv"].sum() / g["weight"].sum(),
            "n_items": g.size(),
            "basis": g["source"].agg(lambda s: _basis(set(s))),
        }
    )
    lim = it.loc[g["value"].idxmin()].set_index(["gp_id", "target_region"])
    out["limiting_item"] = lim["item"]
    out["limiting_label"] = lim["label"]
    out["limiting_value"] = lim["value"]
    out = out.reset_index()
    out["explanation"] = [
        f"{r.score:.1f}/5 from {counted(r.n_items, 'item')}, {r.basis}; "
        f"limited by {r.limiting_label} ({r.limiting_value:.1f}/5)"
        for r in out.itertuples()
    ]
    return out


def practice_scores(scores: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Transferability scores with the practice they are about, to download with a report.

    Parameters
    ----------
    scores
        :func:`transferability_scores` (one row per practice and target region).
    register
        The good-practice register (for ``title``, the practice's region and ``illustrative``).

    Returns
    -------
    pandas.DataFrame
        ``gp_id, title, from_region, illustrative`` followed by the columns of ``scores`` (but
        ``gp_id``), in the order of ``scores``.

    Examples
    --------
    >>> s = pd.DataFrame({"gp_id": ["GP-1"], "target_region": ["CZ08"], "score": [3.5]})
    >>> reg = pd.DataFrame({"id": ["GP-1"], "title": ["Vouchers"], "region": ["AT12"], "illustrative": [True]})
    >>> practice_scores(s, reg).values.tolist()
    [['GP-1', 'Vouchers', 'AT12', True, 'CZ08', 3.5]]
    """
    info = register[["id", "title", "region", "illustrative"]].rename(columns={"id": "gp_id", "region": "from_region"})
    out = scores.merge(info, on="gp_id", how="left")
    first = ["gp_id", "title", "from_region", "illustrative"]
    return out[first + [c for c in scores.columns if c != "gp_id"]].reset_index(drop=True)


def most_worth_studying(scores: pd.DataFrame, register: pd.DataFrame, region: str, *, n: int = 5) -> pd.DataFrame:
    """The practices of other regions most transferable to ``region``, best first.

    Ordered by score, then by evidence of success (rubric R3), then id; ``rank`` from 1.
    Columns ``rank, gp_id, title, from_region, score, basis, limiting_label, limiting_value,
    explanation, evidence_level, illustrative``.
    """
    s = scores[scores["target_region"] == region].merge(
        register[["id", "title", "region", "evidence_level", "illustrative"]].rename(
            columns={"id": "gp_id", "region": "from_region"}
        ),
        on="gp_id",
    )
    s = s.assign(_ev=s["evidence_level"].fillna(-1)).sort_values(
        ["score", "_ev", "gp_id"], ascending=[False, False, True], kind="stable"
    )
    s = s.head(n).reset_index(drop=True)
    s.insert(0, "rank", range(1, len(s) + 1))
    cols = [
        "rank",
        "gp_id",
        "title",
        "from_region",
        "score",
        "basis",
        "limiting_label",
        "limiting_value",
        "explanation",
        "evidence_level",
        "illustrative",
    ]
    return s[cols]


# --------------------------------------------------------------------------------------
# Transfer pipeline
# --------------------------------------------------------------------------------------


def trip_evidence(
    trips: Iterable[Any], feedback: pd.DataFrame | None = None, register: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Stages shown by the trips: ``studied`` for every practice shown to a visiting region, and
    ``interest`` where a visitor of a region marked it of interest in the feedback. With the
    ``register``, a practice shown to visitors from its own region is left out (nothing to
    transfer). Columns ``gp_id, target_region, stage, date, evidence, illustrative,
    confidentiality`` (``public`` for a practice shown on a trip, the most restrictive level of
    the feedback rows behind an ``interest``)."""
    rows = []
    for t in trips:
        for p in t.practices:
            for r in t.visiting_regions:
                rows.append(
                    {
                        "gp_id": p,
                        "target_region": r,
                        "stage": "studied",
                        "date": t.date_end,
                        "evidence": f"shown on study trip {t.id}",
                        "illustrative": t.illustrative,
                        "confidentiality": "public",
                    }
                )
    if feedback is not None and len(feedback):
        f = feedback[(feedback["section"] == "practice") & (feedback["item"] == "interest") & (feedback["value"] == 1)]
        for (trip, p, r), g in f.groupby(["trip", "practice", "region"]):
            rows.append(
                {
                    "gp_id": p,
                    "target_region": r,
                    "stage": "interest",
                    "date": "",
                    "evidence": f"{counted(len(g), 'visitor')} interested (trip {trip} feedback)",
                    "illustrative": bool(g["illustrative"].any()),
                    "confidentiality": level_of(g["confidentiality"]) if "confidentiality" in g else "restricted",
                }
            )
    out = pd.DataFrame(
        rows, columns=["gp_id", "target_region", "stage", "date", "evidence", "illustrative", "confidentiality"]
    )
    if register is not None:
        home = out["gp_id"].map(register.set_index("id")["region"])
        out = out[home != out["target_region"]].reset_index(drop=True)
    return out


#: One record of a transfer's way through the pipeline, from the register or from trip evidence.
_PIPELINE_ROW = (
    "gp_id",
    "target_region",
    "stage",
    "date",
    "evidence",
    "action",
    "illustrative",
    "confidentiality",
    "source",
)


def transfer_pipeline(transfers: pd.DataFrame, evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """The furthest stage of each (practice, target region), from the register and the trips.

    Columns ``gp_id, target_region, stage, stage_no`` (1-5) ``, date, evidence, action,
    illustrative, confidentiality, source, interest_marked``; ``evidence`` lists what supports
    every stage recorded for the pair; ``confidentiality`` is the most restrictive level of the
    rows behind the pair (a row without one counts as restricted), so a table of pairs goes
    through :func:`clusterix_lib.confidentiality.visible` while stage counts may use every pair;
    ``source`` joins the distinct ``source`` texts of the register rows behind the pair;
    ``interest_marked`` is True where a visitor of the target region marked the practice of
    interest (an ``interest`` row, from trip feedback or the register). A pair that went further
    counts at every earlier stage in :func:`pipeline_counts`, so the *interest* stage counts
    pairs without ``interest_marked`` too (a practice shown on a trip that no visitor marked).

    >>> t = pd.DataFrame({"gp_id": ["G"], "target_region": ["R"], "stage": ["adapted"], "date": ["2019"],
    ...                   "action": [""], "note": ["pilot"], "source": [""], "illustrative": [False]})
    >>> e = pd.DataFrame({"gp_id": ["G", "H"], "target_region": ["R", "R"], "stage": ["studied", "interest"],
    ...                   "date": ["2018-05-02", ""], "evidence": ["trip X", "feedback"], "illustrative": False})
    >>> transfer_pipeline(t, e)[["gp_id", "stage", "stage_no", "interest_marked"]].values.tolist()
    [['G', 'adapted', 3, False], ['H', 'interest', 1, True]]
    """
    reg = transfers.assign(evidence=transfers["note"].where(transfers["note"] != "", "transfer register"))
    if "confidentiality" not in reg:
        reg = reg.assign(confidentiality="")
    if "source" not in reg:
        reg = reg.assign(source="")
    parts = [reg[list(_PIPELINE_ROW)]]
    if evidence is not None and len(evidence):
        ev = evidence.assign(action="", source="")
        parts.append(ev if "confidentiality" in ev else ev.assign(confidentiality=""))
    allrows = pd.concat(parts, ignore_index=True)
    cols = [*_PIPELINE_ROW[:3], "stage_no", *_PIPELINE_ROW[3:], "interest_marked"]
    if allrows.empty:
        return pd.DataFrame(columns=cols)
    allrows["source"] = allrows["source"].fillna("").astype(str)
    allrows["stage_no"] = allrows["stage"].map({s: i + 1 for i, s in enumerate(TRANSFER_STAGES)})
    allrows = allrows.sort_values(["gp_id", "target_region", "stage_no"], ascending=[True, True, False], kind="stable")
    g = allrows.groupby(["gp_id", "target_region"], sort=False)
    top = g.head(1).set_index(["gp_id", "target_region"])
    top["evidence"] = g["evidence"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    top["action"] = g["action"].agg(lambda s: "; ".join(a for a in dict.fromkeys(s) if a))
    top["illustrative"] = g["illustrative"].any()
    top["confidentiality"] = g["confidentiality"].agg(level_of)
    top["source"] = g["source"].agg(lambda s: " ; ".join(a for a in dict.fromkeys(s) if a))
    top["interest_marked"] = g["stage"].agg(lambda s: bool((s == "interest").any()))
    return top.reset_index()[cols].reset_index(drop=True)


def pipeline_counts(pipeline: pd.DataFrame) -> pd.DataFrame:
    """How many (practice, region) pairs reached each stage: ``stage, reached`` (at least this
    stage) ``, at`` (exactly this stage).

    >>> p = pd.DataFrame({"stage_no": [1, 2, 2, 5]})
    >>> pipeline_counts(p)[["reached", "at"]].values.tolist()
    [[4, 1], [3, 2], [1, 0], [1, 0], [1, 1]]
    """
    no = pipeline["stage_no"].astype(int)
    return pd.DataFrame(
        {
            "stage": TRANSFER_STAGES,
            "reached": [int((no >= i + 1).sum()) for i in range(len(TRANSFER_STAGES))],
            "at": [int((no == i + 1).sum()) for i in range(len(TRANSFER_STAGES))],
        }
    )
