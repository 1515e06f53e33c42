r"""Complementarity between regions: who should partner with whom, and why.

ClusteriX 2.0 looks for "complementary industrial and research competences" between regions.
This module scores a pair of regions *a*, *b* on three components, each explainable by the
sectors behind it.

Notation. For every region (row) and NACE division (column) of one year, :math:`LQ_{ri}` is the
location quotient against the total of Europe's NUTS 2 regions, and a region is **strong** in a
division when :math:`LQ_{ri} \ge t` (the RCA threshold, 1 by default) and the division holds at
least ``min_share`` of its employment (tiny divisions give unstable quotients):
:math:`M_{ri} \in \{0, 1\}`. The **strength** :math:`s_{ri} = M_{ri} \min(LQ_{ri}, c)` weighs a
strong division by its quotient, capped at ``cap`` :math:`c` so that one extreme quotient does not
dominate. Sectors are related when Europe's NUTS 2 regions tend to be strong in both:
:math:`\varphi_{ij}` is :func:`clusterix_lib.relatedness.proximity_array` on the binary matrix of
those regions (minimum conditional probability by default), with :math:`\varphi_{ii} = 0`.

(a) **Shared strengths** (partners for scale) -- the cosine of the strength profiles,

.. math:: O_{ab} = \frac{\sum_i s_{ai} s_{bi}}{\lVert s_a \rVert \, \lVert s_b \rVert} \in [0, 1]

(1 for identical profiles, 0 when no strength is shared; symmetric).

(b) **Complementary strengths** (partners for new value chains) -- *a* is strong in *i* where
*b* is not, *b* is strong in a *related but different* *j* where *a* is not:

.. math:: K_{ab} = \frac{\sum_{i, j} s_{ai} (1 - M_{bi}) \, \varphi_{ij} \, s_{bj} (1 - M_{aj})}
          {\sum_i s_{ai} \sum_j s_{bj}} \in [0, 1]

the proximity-weighted share of all pairs of strengths that are such complementary pairs. It is
0 for identical profiles (nothing one brings that the other lacks) and symmetric when the
proximity is (``conditional`` is not: then :math:`K_{ab} \ne K_{ba}` in general).

(c) **Declared priorities in common** -- the Jaccard index of the divisions the two regions
declare as competences or S3 priorities (:mod:`clusterix_lib.competences`); undefined (NaN)
when either has declared none.

**Score** (0-100). The statistical components live on different scales, so each is placed among
all pairs of European NUTS 2 regions: :math:`P_O, P_K` are the percentiles (share of European
pairs with a value not above it). Then

.. math:: S_{ab} = 100 \, \frac{w_O P_O + w_K P_K + w_D D_{ab}}{w_O + w_K + w_D}

with weights ``weights`` (default 0.3, 0.5, 0.2); a component that is undefined for the pair
drops out of both sums (the table says which basis each score rests on).

Everything is vectorised: the overlap of *n* regions with *m* regions is one matrix product, the
complementarity one product of ``(n, P²)`` by ``(P², m)`` arrays, so one region against all ~290
European regions (or all pairs) costs a couple of matrix products.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import nuts, profile, relatedness
from clusterix_lib.errors import ParameterError, RegionError
from clusterix_lib.specialisation import location_quotient

__all__ = [
    "DEFAULT_WEIGHTS",
    "Strengths",
    "complementarity",
    "consortium_matrix",
    "contributions",
    "europe_strengths",
    "map_values",
    "partner_ranking",
    "proximity_percentile",
    "rank_partners",
    "plot_heatmap",
    "plot_rank_intervals",
    "rank_intervals",
    "ranking_robustness",
    "score_components",
    "score_ties",
    "sector_proximity",
    "SCOPES",
    "scope_label",
    "scope_sectors",
    "sensitivity",
    "strength_matrix",
]

#: Sector scopes of a comparison: NACE Rev. 2 sections whose divisions are compared (None: all).
SCOPES: dict[str, str | None] = {
    "all": None,
    "industry": "BCDE",
    "manufacturing": "C",
    "services": "GHIJLMN",
}

#: Default weights of the shared, complementary and declared components.
DEFAULT_WEIGHTS: dict[str, float] = {"overlap": 0.3, "complementarity": 0.5, "declared": 0.2}


@dataclass(frozen=True)
class Strengths:
    """Regions × sectors of one year: location quotients, shares, and which regions estimate relatedness.

    ``lq`` and ``share`` are ``(L, P)`` arrays (NaN where a figure is withheld); ``reference``
    marks the rows (Europe's NUTS 2 regions) from which proximities and percentiles are taken.
    """

    geos: tuple[str, ...]
    sectors: tuple[str, ...]
    lq: np.ndarray
    share: np.ndarray
    reference: np.ndarray
    year: int | None
    threshold: float = 1.0
    min_share: float = 0.001
    cap: float = 3.0
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def strong(self) -> np.ndarray:
        """Binary :math:`M_{ri}`: LQ ≥ threshold and share ≥ min_share (withheld = not strong)."""
        with np.errstate(invalid="ignore"):
            return (np.nan_to_num(self.lq) >= self.threshold) & (np.nan_to_num(self.share) >= self.min_share)

    @property
    def weight(self) -> np.ndarray:
        """Strengths :math:`s_{ri} = M_{ri} \\min(LQ_{ri}, cap)`."""
        return np.where(self.strong, np.minimum(np.nan_to_num(self.lq), self.cap), 0.0)

    def row(self, code: str) -> int:
        """Row of a region (its own code, or the code it is represented by)."""
        code = self.aliases.get(code, code)
        try:
            return self.geos.index(code)
        except ValueError:
            raise RegionError(
                f"no sector statistics for {code!r}" + (f" in {self.year}" if self.year else ""),
                where="complementarity panel",
                hint="choose a region Eurostat publishes employment by NACE division for, or another year",
            ) from None

    def has(self, code: str) -> bool:
        """True when the region (or the code standing for it) has a row with at least one figure.

        >>> s = strength_matrix(pd.DataFrame({"geo": ["A", "B"], "nace_r2": "x", "value": [1.0, np.nan]}))
        >>> s.has("A"), s.has("B"), s.has("C")
        (True, False, False)
        """
        geo = self.aliases.get(code, code)
        if geo not in self.geos:
            return False
        return bool(np.isfinite(self.lq[self.geos.index(geo)]).any())

    def rows(self, codes: Iterable[str]) -> np.ndarray:
        return np.array([self.row(c) for c in codes], dtype=int)

    def with_threshold(self, threshold: float) -> Strengths:
        """The same figures with another RCA threshold."""
        return dataclasses.replace(self, threshold=threshold)

    def only(self, sectors: Iterable[str]) -> Strengths:
        """The same regions restricted to ``sectors`` (in this object's order).

        Location quotients and shares keep their meaning (measured against the whole business
        economy); only the sectors compared, related and ranked change. Unknown codes are ignored.
        """
        wanted = set(sectors)
        keep = [j for j, s in enumerate(self.sectors) if s in wanted]
        if not keep:
            raise ParameterError(
                "none of the sectors asked for is in the statistics",
                where=", ".join(sorted(wanted)[:10]) or "no sector given",
                hint=f"choose among {', '.join(self.sectors[:5])}...",
            )
        return dataclasses.replace(
            self,
            sectors=tuple(self.sectors[j] for j in keep),
            lq=self.lq[:, keep],
            share=self.share[:, keep],
        )


def scope_sectors(sectors: Iterable[str], scope: str = "all") -> list[str]:
    """The NACE divisions of ``sectors`` that belong to ``scope`` (a key of :data:`SCOPES`).

    ``"industry"`` is NACE sections B-E (mining, manufacturing, energy, water), ``"manufacturing"``
    section C, ``"services"`` the business services of G-N; ``"all"`` keeps every division.
    Restricting the comparison keeps metropolitan services (air transport, media, head offices),
    whose co-location in large cities makes them look related, out of an industrial comparison.

    >>> scope_sectors(["B08", "C24", "C29", "H51", "J59"], "manufacturing")
    ['C24', 'C29']
    >>> scope_sectors(["B08", "C24", "H51"], "industry")
    ['B08', 'C24']
    """
    sectors = list(sectors)
    if scope not in SCOPES:
        raise ParameterError(
            f"unknown sector scope {scope!r}", where="parameter scope", hint=f"choose one of {', '.join(SCOPES)}"
        )
    letters = SCOPES[scope]
    if letters is None:
        return sectors
    return [s for s in sectors if s[:1] in letters]


def scope_label(scope: str) -> str:
    """A scope in words, with its NACE sections.

    >>> scope_label("industry"), scope_label("manufacturing"), scope_label("all")
    ('industry (NACE sections B–E)', 'manufacturing (NACE section C)', 'all industries')
    """
    letters = SCOPES[scope]
    if letters is None:
        return "all industries"
    if len(letters) == 1:
        return f"{scope} (NACE section {letters})"
    return f"{scope} (NACE sections {letters[0]}–{letters[-1]})"


def strength_matrix(
    panel: pd.DataFrame,
    *,
    reference_geos: Iterable[str] | None = None,
    threshold: float = 1.0,
    min_share: float = 0.001,
    cap: float = 3.0,
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
) -> Strengths:
    """Location quotients of every region of a one-year panel against the total of the reference regions.

    :math:`LQ_{ri} = (x_{ri} / x_{r\\cdot}) / (X_i / X)` with :math:`X` summed over
    ``reference_geos`` (default: every region of the panel), so that a territory added on top of
    its NUTS 2 regions (a NUTS 1 region) is not counted twice. Withheld cells (NaN) are left out.

    >>> df = pd.DataFrame({"geo": list("AABB"), "nace_r2": list("xyxy"), "value": [3, 1, 1, 3]})
    >>> s = strength_matrix(df)
    >>> s.lq.tolist(), s.strong.tolist()
    ([[1.5, 0.5], [0.5, 1.5]], [[True, False], [False, True]])
    """
    if threshold <= 0:
        raise ParameterError(f"RCA threshold {threshold!r} must be positive", where="parameter threshold")
    data = panel[[loc, prod, value]].rename(columns={loc: "geo", prod: "nace_r2", value: "value"})
    ref_geos = set(data["geo"]) if reference_geos is None else set(reference_geos)
    ref = data[data["geo"].isin(ref_geos)].groupby("nace_r2", as_index=False)["value"].sum(min_count=1)
    ref = ref.dropna(subset=["value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lq = location_quotient(data, time=None, reference=ref, missing="omit")
    geos = tuple(pd.unique(data["geo"]))
    sectors = tuple(sorted(pd.unique(data["nace_r2"])))
    wide_lq = lq.pivot(index="geo", columns="nace_r2", values="lq").reindex(index=list(geos), columns=list(sectors))
    wide_sh = lq.pivot(index="geo", columns="nace_r2", values="share").reindex(index=list(geos), columns=list(sectors))
    return Strengths(
        geos=geos,
        sectors=sectors,
        lq=wide_lq.to_numpy(dtype=float),
        share=wide_sh.to_numpy(dtype=float),
        reference=np.array([g in ref_geos for g in geos]),
        year=int(panel["year"].iloc[0]) if "year" in panel and len(panel) else None,
        threshold=threshold,
        min_share=min_share,
        cap=cap,
    )


def europe_strengths(
    employment: pd.DataFrame,
    year: int,
    codes: Iterable[str] = (),
    *,
    threshold: float = 1.0,
    min_share: float = 0.001,
    cap: float = 3.0,
    regions: pd.DataFrame | None = None,
) -> Strengths:
    """Strengths of every NUTS 2 region in ``year``, plus the territories standing for ``codes``.

    A region of ``codes`` that is a NUTS 2 region (or a NUTS 3 region, represented by its NUTS 2
    parent) is a row of the panel already; another (a NUTS 1 region) is added as a row of its
    own, and does not enter the reference total or the proximities. ``aliases`` maps each code to
    its row. Regions with joint figures (:func:`clusterix_lib.profile.nuts2_panel`) are one row
    (``"LT01+LT02"``), so that no industry mix is counted twice. A code with no statistics at
    all (e.g. a partner outside the data) gets no row: :meth:`Strengths.has` is False for it.
    """
    from clusterix_lib.smart_profile import panel_code

    year_rows = employment[employment["year"] == year]
    if year_rows.empty:
        raise RegionError(
            f"no sector statistics for {year}",
            where="parameter year",
            hint=f"choose one of {sorted(employment['year'].unique().tolist())}",
        )
    nuts2 = profile.nuts2_panel(year_rows, columns=["geo", "nace_r2", "value"])
    extra, aliases = [], {}
    for code in codes:
        try:
            territory = profile.sector_territory(code, employment, regions=regions)
        except RegionError:
            continue  # no statistics: Strengths.has(code) is False, the report says so
        key = panel_code(territory)
        aliases[code] = key
        if key not in set(nuts2["geo"]) and key not in {e["geo"].iloc[0] for e in extra}:
            own = profile.territory_series(year_rows, territory, by=["nace_r2"]).assign(geo=key)
            extra.append(own[["geo", "nace_r2", "value"]])
    panel = pd.concat([nuts2, *extra], ignore_index=True).assign(year=year)
    s = strength_matrix(panel, reference_geos=set(nuts2["geo"]), threshold=threshold, min_share=min_share, cap=cap)
    return Strengths(s.geos, s.sectors, s.lq, s.share, s.reference, year, threshold, min_share, cap, aliases)


def sector_proximity(strengths: Strengths, method: str = "min_conditional") -> np.ndarray:
    """Proximity :math:`\\varphi_{ij}` between sectors from the reference regions' strengths, diagonal 0.

    ``method``: any of :data:`clusterix_lib.relatedness.PROXIMITY_METHODS` (``continuous``
    correlates the capped quotients).

    >>> df = pd.DataFrame({"geo": list("AAABBBCCC"), "nace_r2": list("xyz") * 3,
    ...                    "value": [5, 5, 1, 5, 5, 1, 1, 1, 8]})
    >>> sector_proximity(strength_matrix(df)).round(2).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    ref = strengths.reference
    m = strengths.strong[ref].astype(float)[None]
    levels = np.minimum(np.nan_to_num(strengths.lq[ref]), strengths.cap)[None] if method == "continuous" else None
    phi = relatedness.proximity_array(m, method=method, levels=levels)[0].copy()
    np.fill_diagonal(phi, 0.0)
    return phi


def _components(s: Strengths, phi: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Overlap and complementarity of every (a, b) in rows_a × rows_b: two ``(n_a, n_b)`` arrays."""
    w, m = s.weight, s.strong.astype(float)
    wa, wb, ma, mb = w[rows_a], w[rows_b], m[rows_a], m[rows_b]
    na, nb = np.linalg.norm(wa, axis=1), np.linalg.norm(wb, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        overlap = (wa @ wb.T) / np.outer(na, nb)
    p = len(s.sectors)
    # U[a, i, j] = s_ai (1 - M_aj) phi_ij ; V[b, i, j] = (1 - M_bi) s_bj
    u = (wa[:, :, None] * (1.0 - ma[:, None, :]) * phi[None]).reshape(len(rows_a), p * p)
    v = ((1.0 - mb[:, :, None]) * wb[:, None, :]).reshape(len(rows_b), p * p)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = (u @ v.T) / np.outer(wa.sum(axis=1), wb.sum(axis=1))
    return overlap, comp


def _declared_matrix(
    declared: pd.DataFrame | None, codes_a: Sequence[str], codes_b: Sequence[str], sectors: Sequence[str]
) -> np.ndarray:
    """Jaccard index of the declared divisions of every (a, b); NaN where either declares none."""
    out = np.full((len(codes_a), len(codes_b)), np.nan)
    if declared is None or declared.empty:
        return out
    d = declared[["geo", "nace_r2"]].drop_duplicates()
    cols = pd.Index(sorted(set(d["nace_r2"]) | set(sectors)))
    wide = pd.crosstab(d["geo"], d["nace_r2"]).reindex(columns=cols, fill_value=0).clip(upper=1)
    da = wide.reindex(list(codes_a)).to_numpy(dtype=float)
    db = wide.reindex(list(codes_b)).to_numpy(dtype=float)
    inter = np.nan_to_num(da) @ np.nan_to_num(db).T
    union = np.nansum(da, axis=1)[:, None] + np.nansum(db, axis=1)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inter / union
    has_a, has_b = np.nansum(da, axis=1) > 0, np.nansum(db, axis=1) > 0
    out[~(has_a[:, None] & has_b[None, :])] = np.nan
    return out


def _percentile(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Share (0-1) of the reference values not above each value; NaN stays NaN."""
    # rounded: a pair's value computed in another matrix product may differ in the last bits from
    # the same pair in the reference, which must not move it across a tie
    ref = np.sort(np.round(reference[np.isfinite(reference)], 10))
    if ref.size == 0:
        return np.full(values.shape, np.nan)
    pct = np.searchsorted(ref, np.round(np.nan_to_num(values), 10), side="right") / ref.size
    return np.where(np.isfinite(values), pct, np.nan)


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(DEFAULT_WEIGHTS)
    if unknown or any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ParameterError(
            f"weights {w!r} are not valid",
            where="parameter weights",
            hint="give non-negative weights for 'overlap', 'complementarity' and 'declared', not all zero",
        )
    return {k: float(w.get(k, 0.0)) for k in DEFAULT_WEIGHTS}


def complementarity(
    strengths: Strengths,
    codes_a: Sequence[str],
    codes_b: Sequence[str] | None = None,
    *,
    proximity: np.ndarray | None = None,
    method: str = "min_conditional",
    declared: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Scores of every pair in ``codes_a`` × ``codes_b`` (default: ``codes_a``), a long table.

    Columns ``region_a, region_b, overlap, complementarity, declared, overlap_pct,
    complementarity_pct, score, basis`` (the components the score rests on). Self-pairs are left
    out. ``declared``: a table with columns ``geo, nace_r2`` (declared competences and
    priorities, :func:`clusterix_lib.competences.declared_divisions`).

    >>> df = pd.DataFrame({"geo": list("AAABBBCCC"), "nace_r2": list("xyz") * 3,
    ...                    "value": [5, 5, 1, 5, 5, 1, 1, 1, 8]})
    >>> t = complementarity(strength_matrix(df), ["A", "B"])
    >>> t[["region_a", "region_b", "overlap", "complementarity"]].round(2).to_dict("records")[0]
    {'region_a': 'A', 'region_b': 'B', 'overlap': 1.0, 'complementarity': 0.0}
    """
    w = _check_weights(weights)
    codes_b = list(codes_a) if codes_b is None else list(codes_b)
    phi = sector_proximity(strengths, method) if proximity is None else proximity
    ra, rb = strengths.rows(codes_a), strengths.rows(codes_b)
    overlap, comp = _components(strengths, phi, ra, rb)
    ref_rows = np.flatnonzero(strengths.reference)
    ref_o, ref_k = _components(strengths, phi, ref_rows, ref_rows)
    off = ~np.eye(len(ref_rows), dtype=bool)
    decl = _declared_matrix(declared, codes_a, codes_b, strengths.sectors)
    o_pct, k_pct = _percentile(overlap, ref_o[off]), _percentile(comp, ref_k[off])
    parts = np.stack([o_pct, k_pct, decl])  # (3, n_a, n_b)
    wv = np.array([w["overlap"], w["complementarity"], w["declared"]])[:, None, None]
    avail = np.isfinite(parts) & (wv > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = 100 * np.where(avail, parts * wv, 0).sum(axis=0) / np.where(avail, wv, 0).sum(axis=0)
    names = np.array(["shared", "complementary", "declared"])
    basis = [" + ".join(names[avail[:, i, j]]) for i in range(len(ra)) for j in range(len(rb))]
    out = pd.DataFrame(
        {
            "region_a": np.repeat(list(codes_a), len(codes_b)),
            "region_b": np.tile(codes_b, len(codes_a)),
            "overlap": overlap.ravel(),
            "complementarity": comp.ravel(),
            "declared": decl.ravel(),
            "overlap_pct": 100 * o_pct.ravel(),
            "complementarity_pct": 100 * k_pct.ravel(),
            "score": score.ravel(),
            "basis": basis,
        }
    )
    same = np.repeat(ra, len(rb)) == np.tile(rb, len(ra))
    return out[~same].reset_index(drop=True)


def proximity_percentile(proximity: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share (%) of the pairs of different sectors in ``proximity`` that are less close than each of ``values``.

    Tells a report whether two divisions called "related" are closer than a typical pair.

    >>> phi = np.array([[1, .1, .2], [.1, 1, .5], [.2, .5, 1]])
    >>> proximity_percentile(phi, np.array([.5, .15])).round(1).tolist()
    [66.7, 33.3]
    """
    off = np.sort(proximity[~np.eye(len(proximity), dtype=bool)])
    off = off[np.isfinite(off)]
    if not len(off):
        return np.full(len(values), np.nan)
    return 100 * np.searchsorted(off, np.asarray(values, float), side="left") / len(off)


def contributions(
    strengths: Strengths,
    code_a: str,
    codes_b: Sequence[str],
    *,
    proximity: np.ndarray | None = None,
    method: str = "min_conditional",
    n: int = 3,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The sector pairs that contribute most to the overlap and complementarity of ``code_a`` with each of ``codes_b``.

    Shared: :math:`s_{ai} s_{bi} / (\\lVert s_a\\rVert \\lVert s_b\\rVert)`, pair (i, i);
    complementary: the term :math:`(i, j)` of :math:`K_{ab}`. Columns ``region_a, region_b,
    kind, sector_a, sector_b, proximity, contribution, reason``; ``n`` of each kind per partner.
    """
    phi = sector_proximity(strengths, method) if proximity is None else proximity
    labels = labels or {}
    ra, rb = strengths.row(code_a), strengths.rows(codes_b)
    w, m = strengths.weight, strengths.strong.astype(float)
    wa, ma, wb, mb = w[ra], m[ra], w[rb], m[rb]
    p = len(strengths.sectors)
    with np.errstate(invalid="ignore", divide="ignore"):
        shared = wa[None, :] * wb / (np.linalg.norm(wa) * np.linalg.norm(wb, axis=1))[:, None]  # (nb, P)
        comp = wa[None, :, None] * (1 - ma[None, None, :]) * phi[None] * ((1 - mb[:, :, None]) * wb[:, None, :])
        comp = comp / (wa.sum() * wb.sum(axis=1))[:, None, None]  # (nb, P, P)
    sec = np.array(strengths.sectors)
    rows = []
    for kind, arr in (("shared", np.nan_to_num(shared)), ("complementary", np.nan_to_num(comp.reshape(len(rb), -1)))):
        k = min(n, arr.shape[1])
        top = np.argsort(-arr, axis=1, kind="stable")[:, :k]
        val = np.take_along_axis(arr, top, axis=1)
        i, j = (top, top) if kind == "shared" else (top // p, top % p)
        rows.append(
            pd.DataFrame(
                {
                    "region_a": code_a,
                    "region_b": np.repeat(list(codes_b), k),
                    "kind": kind,
                    "sector_a": sec[i].ravel(),
                    "sector_b": sec[j].ravel(),
                    "proximity": np.where(i == j, 1.0, phi[i, j]).ravel(),
                    "contribution": val.ravel(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out = out[out["contribution"] > 0].copy()

    def lab(code: str) -> str:
        return f"{labels.get(code, code)} ({code})" if labels.get(code) else code

    reason_shared = "both are specialised in " + out["sector_a"].map(lab)
    # "related" only for a pair closer than the typical (median) pair of different divisions
    closer = proximity_percentile(phi, out["proximity"].to_numpy())
    reason_comp = (
        out["region_a"]
        + " is strong in "
        + out["sector_a"].map(lab)
        + ", "
        + out["region_b"]
        + np.where(closer >= 50, " in the related ", " in ")
        + out["sector_b"].map(lab)
        + " (proximity "
        + out["proximity"].map("{:.2f}".format)
        + ", "
        + np.where(
            closer >= 50,
            "closer than " + pd.Series(closer, index=out.index).map("{:.0f}".format) + " % of division pairs)",
            "less related than most division pairs)",
        )
    )
    out["reason"] = np.where(out["kind"] == "shared", reason_shared, reason_comp)
    order = {c: i for i, c in enumerate(codes_b)}
    out = out.sort_values(
        ["region_b", "kind", "contribution"],
        ascending=[True, False, False],
        key=lambda s: s.map(order) if s.name == "region_b" else s,
    )
    return out.reset_index(drop=True)


def partner_ranking(
    strengths: Strengths,
    region: str,
    candidates: Sequence[str],
    *,
    proximity: np.ndarray | None = None,
    method: str = "min_conditional",
    declared: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``region``'s ranking of ``candidates`` (best first), each with its strongest reasons.

    Candidates that are the region itself, or nested in it or it in them (BE2 and BE21), are left
    out. Columns as :func:`complementarity` plus ``rank``, ``top_shared`` and
    ``top_complementary`` (the leading sector pair of each kind, in words).
    """
    own = strengths.aliases.get(region, region)
    keep = [
        c
        for c in dict.fromkeys(candidates)
        if not (strengths.aliases.get(c, c).startswith(own) or own.startswith(strengths.aliases.get(c, c)))
    ]
    phi = sector_proximity(strengths, method) if proximity is None else proximity
    table = complementarity(strengths, [region], keep, proximity=phi, declared=declared, weights=weights)
    table = table.sort_values(["score", "region_b"], ascending=[False, True], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    top = contributions(strengths, region, table["region_b"].tolist(), proximity=phi, n=1, labels=labels)
    for kind in ("shared", "complementary"):
        reasons = top[top["kind"] == kind].set_index("region_b")["reason"]
        table[f"top_{kind}"] = table["region_b"].map(reasons).astype(object).fillna("")
    return table


def score_components(table: pd.DataFrame) -> pd.DataFrame:
    """The three parts of each score of a :func:`complementarity` (or :func:`partner_ranking`) table,
    on the 0-100 scale of the score itself.

    ``shared`` and ``complementary`` are the percentiles of the overlap and the complementarity
    among European pairs (``overlap_pct``, ``complementarity_pct``), ``declared`` the share (%) of
    declared divisions in common (the Jaccard index times 100, NaN where either region declares
    none). With the weights ``w`` the table was scored with, ``score`` is the ``w``-weighted mean
    of the parts that are not NaN; the raw ``overlap`` and ``complementarity`` (cosine, weighted
    share of complementary pairs) are on other scales and are not comparable with it.

    Returns ``region_a, region_b, shared, complementary, declared, score`` (same rows).

    >>> t = pd.DataFrame({"region_a": ["A"], "region_b": ["B"], "overlap_pct": [40.0],
    ...                   "complementarity_pct": [80.0], "declared": [0.5], "score": [62.0]})
    >>> score_components(t).to_dict("records")
    [{'region_a': 'A', 'region_b': 'B', 'shared': 40.0, 'complementary': 80.0, 'declared': 50.0, 'score': 62.0}]
    """
    return pd.DataFrame(
        {
            "region_a": table["region_a"],
            "region_b": table["region_b"],
            "shared": table["overlap_pct"].astype(float),
            "complementary": table["complementarity_pct"].astype(float),
            "declared": 100 * table["declared"].astype(float),
            "score": table["score"].astype(float),
        },
        index=table.index,
    )


def map_values(indicators: pd.DataFrame, indicator: str, *, code_length: int = 4) -> tuple[int | None, pd.Series]:
    """The year and the regional values of ``indicator`` to map across Europe.

    ``indicators`` as :func:`clusterix_lib.datasets.indicators` (``indicator, geo, year, value``);
    regions are the codes of ``code_length`` characters (4: NUTS 2). The year is the one with the
    most regions with a value (the latest of those on a tie), so the map has as few grey regions
    as possible -- it need not be the latest year. Returns ``(year, values by geo)``, or
    ``(None, empty)`` when no region has a value.

    >>> df = pd.DataFrame({"indicator": "x", "geo": ["AT12", "AT13", "AT12", "AT13", "AT"],
    ...                    "year": [2011, 2011, 2012, 2012, 2013], "value": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> map_values(df, "x")
    (2012, geo
    AT12    3.0
    AT13    4.0
    Name: value, dtype: float64)
    """
    ind = indicators[(indicators["indicator"] == indicator) & (indicators["geo"].str.len() == code_length)]
    ind = ind.dropna(subset=["value"])
    if ind.empty:
        return None, pd.Series(dtype=float, name="value")
    counts = ind.groupby("year").size()
    year = int(counts[counts == counts.max()].index.max())
    return year, ind[ind["year"] == year].set_index("geo")["value"]


def rank_partners(
    region: str,
    consortium_path: str | Path | None = None,
    *,
    year: int = 0,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """``region``'s ranking of the consortium's regions, from the committed data in one call.

    The steps of the complementarity report: strengths of every NUTS 2 region in ``year`` (0: the
    latest year well covered across Europe), proximities from co-location, the consortium's
    declared competences, then :func:`partner_ranking` over the partner regions with statistics.
    """
    from clusterix_lib import competences, consortium, datasets

    code = nuts.validate_region(region)
    partners = consortium.consortium_regions(consortium.load_consortium(consortium_path))
    employment = datasets.employment()
    if year == 0:
        year = profile.choose_year(employment[employment["geo"].str.len() == 4])
    strengths = europe_strengths(employment, year, [*partners["nuts_code"], code])
    declared = competences.declared_divisions(competences.load_declared_competences())
    candidates = [c for c in partners["nuts_code"] if strengths.has(c)]
    return partner_ranking(strengths, code, candidates, declared=declared, weights=weights)


def consortium_matrix(table: pd.DataFrame, value: str = "score") -> pd.DataFrame:
    """A :func:`complementarity` table as a square matrix (rows ``region_a``, columns ``region_b``)."""
    codes = list(dict.fromkeys([*table["region_a"], *table["region_b"]]))
    return table.pivot(index="region_a", columns="region_b", values=value).reindex(index=codes, columns=codes)


def sensitivity(
    strengths: Strengths,
    region: str,
    candidates: Sequence[str],
    *,
    thresholds: Sequence[float] = (0.8, 1.0, 1.25),
    methods: Sequence[str] = ("min_conditional", "salton", "jaccard"),
    weight_sets: Sequence[Mapping[str, float]] = (
        DEFAULT_WEIGHTS,
        {"overlap": 0.5, "complementarity": 0.3, "declared": 0.2},
        {"overlap": 0.2, "complementarity": 0.8, "declared": 0.0},
    ),
    declared: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``region``'s ranking of ``candidates`` under every combination of RCA threshold, proximity and weights.

    A long table ``threshold, method, weights, region_b, rank, score`` (one row per setting and
    candidate); :func:`rank_intervals` summarises it.
    """
    rows = []
    for t, meth in itertools.product(thresholds, methods):
        s = strengths.with_threshold(t)
        phi = sector_proximity(s, meth)
        for k, w in enumerate(weight_sets):
            r = partner_ranking(s, region, candidates, proximity=phi, declared=declared, weights=w)
            rows.append(r[["region_b", "rank", "score"]].assign(threshold=t, method=meth, weights=k))
    return pd.concat(rows, ignore_index=True)[["threshold", "method", "weights", "region_b", "rank", "score"]]


def rank_intervals(runs: pd.DataFrame, baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Best, median and worst rank of each candidate over the settings of :func:`sensitivity`.

    ``robust`` is True where the candidate's rank moves by at most 1 either way. With
    ``baseline`` (a :func:`partner_ranking`), its ``rank`` is added and the rows follow it.

    >>> runs = pd.DataFrame({"region_b": ["X", "Y", "X", "Y"], "rank": [1, 2, 2, 1]})
    >>> rank_intervals(runs)[["region_b", "best", "worst"]].to_dict("records")
    [{'region_b': 'X', 'best': 1, 'worst': 2}, {'region_b': 'Y', 'best': 1, 'worst': 2}]
    """
    g = runs.groupby("region_b")["rank"]
    out = pd.DataFrame({"best": g.min(), "median": g.median(), "worst": g.max()}).reset_index()
    out["robust"] = (out["worst"] - out["best"]) <= 2
    if baseline is not None:
        out = baseline[["region_b", "rank"]].merge(out, on="region_b", how="left")
    else:
        out = out.sort_values(["median", "best", "region_b"]).reset_index(drop=True)
    return out


def score_ties(ranking: pd.DataFrame, *, within: float = 2.0) -> list[pd.DataFrame]:
    """Runs of consecutive partners whose scores differ by less than ``within`` points.

    A score is an average of percentiles: a gap of one or two points between two partners is
    smaller than what a change of setting moves (see :func:`sensitivity`), so their order is a tie
    in practice. Each run is a slice of ``ranking`` (sorted by ``rank``) of at least two rows in
    which every score is less than ``within`` below the one before it.

    >>> r = pd.DataFrame({"region_b": list("ABCD"), "rank": [1, 2, 3, 4], "score": [50.0, 44.0, 43.5, 42.9]})
    >>> [t["region_b"].tolist() for t in score_ties(r)]
    [['B', 'C', 'D']]
    """
    r = ranking.dropna(subset=["score"]).sort_values("rank")
    if len(r) < 2:
        return []
    gap = -r["score"].diff().to_numpy()
    new_run = ~(gap < within)  # the first row, and every row that is clearly below the one before it
    run_id = np.cumsum(new_run)
    return [g for _, g in r.groupby(run_id, sort=True) if len(g) > 1]


def ranking_robustness(
    runs: pd.DataFrame, intervals: pd.DataFrame, *, names: Mapping[str, str] | None = None
) -> list[str]:
    """What the sensitivity runs say about the ranking, as sentences for a report.

    Names the partners whose rank stays within one place either way (``intervals["robust"]``)
    or says that none does, and how often each partner is first over the settings of
    :func:`sensitivity` (``runs``).

    >>> runs = pd.DataFrame({"region_b": ["X", "Y"] * 3, "rank": [1, 2, 1, 2, 2, 1]})
    >>> ranking_robustness(runs, rank_intervals(runs))[1]
    'First over the 3 settings: X in 2, Y in 1.'
    """
    names = names or {}

    def who(code: str) -> str:
        return f"{names[code]} ({code})" if names.get(code) else code

    settings = int(runs.groupby("region_b").size().max())  # every candidate is ranked once per setting
    robust = intervals[intervals["robust"].astype(bool)]
    out = []
    if robust.empty:
        out.append(
            f"No partner keeps its rank within one place either way over the {settings} settings: read the "
            "ranking as a grouping (who tends to rank high, who low), not as an order."
        )
    else:
        shown = ", ".join(f"{who(r.region_b)} (ranks {int(r.best)}–{int(r.worst)})" for r in robust.itertuples())
        out.append(f"Robust over the {settings} settings (rank within one place either way): {shown}.")
    first = runs.loc[runs["rank"] == 1, "region_b"].value_counts().rename("n").reset_index()
    if len(first):
        first = first.sort_values(["n", "region_b"], ascending=[False, True])
        out.append(
            f"First over the {settings} settings: "
            + ", ".join(f"{who(r.region_b)} in {r.n}" for r in first.itertuples())
            + "."
        )
    return out


def plot_rank_intervals(intervals: pd.DataFrame, *, names: Mapping[str, str] | None = None, title: str = ""):
    """Horizontal bars from best to worst rank, a dot at the baseline (or median) rank.

    The axis says only what a rank is; the report's text says what the bar and the dot show (a
    longer axis label is cut off by the figure's edge).
    """
    import matplotlib.pyplot as plt

    names = names or {}
    t = intervals.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(t) + 1.2), layout="constrained")
    y = np.arange(len(t))
    ax.hlines(y, t["best"], t["worst"], color="#4c72b0", linewidth=6, alpha=0.45)
    mark = t["rank"] if "rank" in t else t["median"]
    ax.plot(mark, y, "o", color="#c0392b")
    ax.set_yticks(y, [f"{names.get(c, c)} ({c})" if names.get(c) else c for c in t["region_b"]], fontsize=8)
    ax.set_xlabel("rank (1 = best partner)")
    ax.invert_xaxis()
    ax.set_xlim(max(t["worst"].max(), 1) + 0.5, 0.5)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_heatmap(matrix: pd.DataFrame, *, title: str = "", fmt: str = "{:.0f}"):
    """A square score matrix as a heatmap with the values written in the cells."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(0.55 * len(matrix) + 2.5, 0.5 * len(matrix) + 1.8), layout="constrained")
    vals = matrix.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(vals), cmap="YlGnBu", vmin=0, vmax=100)
    ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=90, fontsize=8)
    ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
    for (i, j), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7, color="white" if v > 60 else "black")
    fig.colorbar(im, ax=ax, shrink=0.8, label="score (0-100)")
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig
