r"""Relatedness between sectors: co-occurrence, proximity, relatedness density and its significance.

Two sectors are *related* when the same locations tend to hold both (Hidalgo et al. 2007; Balland
2019). Everything starts from the binary presence matrix :math:`M_{cp}` (location *c* holds
sector *p*: RCA ≥ threshold, see :mod:`clusterix_lib.complexity`), per period.

Notation: :math:`u_p = \sum_c M_{cp}` (ubiquity), :math:`C = M^\top M` (co-occurrence: the
number of locations holding both *p* and *q*; :math:`C_{pp} = u_p`).

**Proximity** :math:`\varphi_{pq}` (``method=``):

- ``"min_conditional"`` (Hidalgo et al. 2007, the product space; py-ecomplexity and Stata
  default): :math:`\varphi_{pq} = \min\{P(q \mid p), P(p \mid q)\} = C_{pq} / \max(u_p, u_q)`;
  symmetric, in [0, 1].
- ``"conditional"`` (py-ecomplexity ``asymmetric=True``, Stata ``asym``):
  :math:`\varphi_{pq} = P(q \mid p) = C_{pq} / u_p`.
- ``"continuous"``: :math:`\varphi_{pq} = (1 + r_{pq}) / 2` with :math:`r` the Pearson correlation
  of the RCA (or RPOP) columns of *p* and *q* across the locations present in the period (Stata
  ``cont``); in [0, 1]. A sector without variance (absent everywhere) gets proximity 0.
- EconGeo's normalisations of co-occurrence (``relatedness(mat, method=)``), computed on *C*
  with its diagonal set to 0, :math:`s_p = \sum_q C_{pq}` (off-diagonal totals) and
  :math:`t = \sum_p s_p`: ``"association"`` :math:`C_{pq} t / (s_p s_q)`; ``"cosine"``
  :math:`C_{pq} / \sqrt{s_p s_q}`; ``"jaccard"`` :math:`C_{pq} / (s_p + s_q - C_{pq})`;
  ``"prob"`` :math:`C_{pq} / [\tfrac{t}{2}(\tfrac{s_p}{t}\tfrac{s_q}{t - s_p} + \tfrac{s_q}{t}
  \tfrac{s_p}{t - s_q})]`. Values above 1 (prob, association) mean "more often together than
  expected". EconGeo's "cosine" uses those off-diagonal totals; ``"salton"`` is the usual cosine
  on occurrence counts, :math:`C_{pq} / \sqrt{u_p u_q}`. Undefined values (0/0) are 0.

The **diagonal** :math:`\varphi_{pp}` is 1 for the conditional probabilities and the continuous
proximity of a sector present somewhere, 0 for EconGeo's normalisations; the density conventions
below decide whether it counts.

**Relatedness density** of location *c* around sector *p* -- the share of *p*'s related sectors
that *c* already holds, each weighted by its proximity to *p*:

.. math:: \omega_{cp} = \frac{\sum_q M_{cq}\, \varphi_{pq}}{\sum_q \varphi_{pq}}

(the row of the target sector *p*; for an asymmetric proximity this is the orientation Stata
uses). ``convention=``: ``"ecomplexity"`` (0-1, diagonal included as py-ecomplexity, so a location
holding *p* gets a boost), ``"stata"`` (0-1, diagonal excluded: what the Stata ``ecomplexity``
outputs in ``../shared/data/reference/ecomplexity`` contain) and ``"econgeo"`` (0-100, diagonal
excluded: EconGeo's ``relatedness_density``, without its rounding to 2 decimals). With
``continuous`` proximities the RCA (or RPOP) levels replace *M*. A sector related to nothing
(:math:`\sum_q \varphi_{pq} = 0`) has an undefined density: NaN.

**k nearest neighbours** (``knn=k``): only the *k* sectors most proximate to *p* (excluding *p*
itself) enter the sums, each still weighted by its proximity. Sectors tied with the *k*-th are all
kept (``knn_ties="all"``), so more than *k* may enter. py-ecomplexity (≤ 0.5.3) gets this wrong:
it sums the *unweighted* presences of the neighbours, giving integer "densities" (its issue #35).
``knn_ties="stata"`` reproduces Stata's ``knn()`` outputs: its threshold is the *k*-th largest
proximity after a round trip through :math:`1 + \varphi` in floating point, which sometimes lands
one step above the *k*-th value -- every sector tied at it is then dropped, and a sector left with
no neighbour at all gets density 0 (reverse-engineered from the fixtures, which it matches to
4e-16; the Stata code behind it is not in the public repository's history we checked).

**Significance of co-occurrence** (:func:`cooccurrence_significance`): the null model keeps every
sector's ubiquity and the number of locations *N* in the period fixed and places each sector in a
uniformly random set of :math:`u_p` locations, independently across sectors (the hypergeometric
model of Teece et al. 1994, EconGeo's ``z_score``). Then :math:`C_{pq}` is hypergeometric with
mean :math:`\mu = u_p u_q / N`, variance :math:`\mu (1 - u_p/N)(N - u_q)/(N - 1)`; the one-sided
p-value is :math:`P(C \ge C^{obs}_{pq})`, and q-values control the false discovery rate over the
pairs of a period (Benjamini-Hochberg).

Input and output are tidy long tables (:mod:`clusterix_lib.complexity` describes the input rules:
column names, presence, bad input); inside, every period is one slice of a stacked array,
computed together (no loop over periods or locations). The ``*_array`` functions take and return
those stacked arrays, for callers that hold them already.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib.errors import ParameterError

__all__ = [
    "DENSITY_CONVENTIONS",
    "PROXIMITY_METHODS",
    "co_occurrence",
    "cooccurrence_array",
    "cooccurrence_significance",
    "density",
    "density_array",
    "proximity",
    "proximity_array",
    "significance_arrays",
]

ProximityMethod = Literal[
    "min_conditional", "conditional", "continuous", "association", "cosine", "jaccard", "prob", "salton"
]
PROXIMITY_METHODS: tuple[str, ...] = (
    "min_conditional",
    "conditional",
    "continuous",
    "association",
    "cosine",
    "jaccard",
    "prob",
    "salton",
)
DensityConvention = Literal["ecomplexity", "stata", "econgeo"]
#: density conventions: (diagonal included, scale)
DENSITY_CONVENTIONS: dict[str, tuple[bool, float]] = {
    "ecomplexity": (True, 1.0),
    "stata": (False, 1.0),
    "econgeo": (False, 100.0),
}
KnnTies = Literal["all", "stata"]


def _choice(name: str, value: object, choices) -> None:
    if value not in choices:
        raise ParameterError(
            f"{name}={value!r} is not one of {', '.join(map(repr, choices))}", where=f"parameter {name}"
        )


# --------------------------------------------------------------------------------------------
# arrays: (T, L, P) presence / levels, (T, P, P) proximities
# --------------------------------------------------------------------------------------------


def cooccurrence_array(m: np.ndarray) -> np.ndarray:
    """Co-occurrence counts :math:`C = M^\\top M` per period, shape ``(T, P, P)``.

    Binary ``m`` is multiplied in single precision when that is exact (counts below 2**24), which
    halves the time of the largest matrix product of the pipeline.

    >>> m = np.array([[[1, 1, 0], [1, 0, 1]]], dtype=float)
    >>> cooccurrence_array(m)[0].tolist()
    [[2.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    m = np.asarray(m)
    if m.shape[1] < 2**24:
        m32 = m.astype(np.float32)
        return np.matmul(m32.transpose(0, 2, 1), m32).astype(np.float64)
    return np.matmul(m.transpose(0, 2, 1), m)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _set_diagonal(phi: np.ndarray, values: np.ndarray | float) -> None:
    idx = np.arange(phi.shape[-1])
    phi[:, idx, idx] = values


def proximity_array(
    m: np.ndarray,
    *,
    method: ProximityMethod = "min_conditional",
    levels: np.ndarray | None = None,
    active: np.ndarray | None = None,
    cooccurrence: np.ndarray | None = None,
) -> np.ndarray:
    r"""Proximity between sectors per period, shape ``(T, P, P)``, ``phi[t, p, q]`` = :math:`\varphi_{pq}`.

    Parameters
    ----------
    m
        Binary presence, shape ``(T, L, P)``.
    method
        See the module docstring.
    levels
        RCA or RPOP, shape ``(T, L, P)``; needed for ``method="continuous"`` (NaN count as 0).
    active
        ``(T, L)`` boolean: the locations present in each period (default: all). The continuous
        proximity correlates over those only.
    cooccurrence
        :func:`cooccurrence_array` of ``m`` if already computed.

    Examples
    --------
    >>> m = np.array([[[1, 1, 0], [1, 0, 1], [1, 1, 1]]], dtype=float)
    >>> proximity_array(m)[0].round(3).tolist()
    [[1.0, 0.667, 0.667], [0.667, 1.0, 0.5], [0.667, 0.5, 1.0]]
    >>> proximity_array(m, method="conditional")[0].round(3).tolist()
    [[1.0, 0.667, 0.667], [1.0, 1.0, 0.5], [1.0, 0.5, 1.0]]
    """
    _choice("method", method, PROXIMITY_METHODS)
    m = np.asarray(m, dtype=float)
    if method == "continuous":
        if levels is None:
            raise ParameterError("the continuous proximity needs RCA or RPOP levels", where="parameter levels")
        return _continuous_proximity(np.asarray(levels, dtype=float), active)
    c = cooccurrence_array(m) if cooccurrence is None else cooccurrence
    u = np.diagonal(c, axis1=1, axis2=2)  # ubiquity = C_pp
    if method == "min_conditional":
        return _safe_div(c, np.maximum(u[:, :, None], u[:, None, :]))
    if method == "conditional":
        return _safe_div(c, u[:, :, None])
    if method == "salton":
        return _safe_div(c, np.sqrt(u[:, :, None] * u[:, None, :]))
    # EconGeo normalisations on the off-diagonal co-occurrence
    c = c.copy()
    _set_diagonal(c, 0.0)
    s = c.sum(axis=2)  # (T, P)
    t = s.sum(axis=1)[:, None, None]  # (T, 1, 1)
    sp, sq = s[:, :, None], s[:, None, :]
    if method == "association":
        out = _safe_div(c * t, sp * sq)
    elif method == "cosine":
        out = _safe_div(c, np.sqrt(sp * sq))
    elif method == "jaccard":
        out = _safe_div(c, sp + sq - c)
    else:  # prob
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = (t / 2) * ((sp / t) * (sq / (t - sp)) + (sq / t) * (sp / (t - sq)))
        expected = np.nan_to_num(expected, nan=0.0, posinf=0.0, neginf=0.0)
        out = _safe_div(c, expected)
    _set_diagonal(out, 0.0)
    return out


def _continuous_proximity(levels: np.ndarray, active: np.ndarray | None) -> np.ndarray:
    """(1 + Pearson correlation of the level columns over the active locations) / 2."""
    x = np.nan_to_num(levels, nan=0.0)
    w = np.ones(x.shape[:2]) if active is None else np.asarray(active, dtype=float)
    n = w.sum(axis=1)[:, None]  # (T, 1)
    mean = _safe_div(np.einsum("tl,tlp->tp", w, x), n)
    z = (x - mean[:, None, :]) * w[:, :, None]
    ss = np.einsum("tlp,tlp->tp", z, z)
    norm = np.sqrt(ss)
    z = _safe_div(z, norm[:, None, :])
    r = np.matmul(z.transpose(0, 2, 1), z)
    np.clip(r, -1.0, 1.0, out=r)
    phi = (1.0 + r) / 2.0
    dead = norm == 0  # no variance: absent everywhere (or equal everywhere)
    phi[np.broadcast_to(dead[:, :, None], phi.shape)] = 0.0
    phi[np.broadcast_to(dead[:, None, :], phi.shape)] = 0.0
    _set_diagonal(phi, np.where(dead, 0.0, 1.0))
    return phi


def _neighbour_mask(phi: np.ndarray, knn: int, ties: KnnTies) -> np.ndarray:
    """``mask[t, p, q]``: q is among the ``knn`` sectors most proximate to p (q != p), ties as documented."""
    n_p = phi.shape[-1]
    if not 1 <= knn < n_p:
        raise ParameterError(
            f"knn={knn!r} must be between 1 and the number of sectors minus one ({n_p - 1})", where="parameter knn"
        )
    ranked = phi.copy()
    _set_diagonal(ranked, -np.inf)
    kth = -np.partition(-ranked, knn - 1, axis=2)[:, :, knn - 1]  # k-th largest per row, (T, P)
    if ties == "stata":
        kth = (1.0 + kth) - 1.0
    return ranked >= kth[:, :, None]


def density_array(
    levels: np.ndarray,
    phi: np.ndarray,
    *,
    diagonal: bool = True,
    knn: int | None = None,
    knn_ties: KnnTies = "all",
    scale: float = 1.0,
    weights: bool = False,
) -> np.ndarray:
    r"""Relatedness density :math:`\omega_{cp} = \sum_q x_{cq}\varphi_{pq} / \sum_q \varphi_{pq}`, ``(T, L, P)``.

    Parameters
    ----------
    levels
        Binary presence (or RCA/RPOP levels for continuous proximities), ``(T, L, P)``.
    phi
        Proximity ``(T, P, P)``, ``phi[t, p, q]`` = :math:`\varphi_{pq}` (row = target sector).
    diagonal
        Count :math:`\varphi_{pp}` (as stored in ``phi``) or not.
    knn, knn_ties
        Keep only the ``knn`` nearest neighbours of each target (see the module docstring).
    scale
        1 for 0-1 densities, 100 for EconGeo's percentages.
    weights
        Return the normalised weight matrix ``W[t, q, p]`` (``density = levels @ W``) instead.

    Examples
    --------
    >>> m = np.array([[[1, 1, 0], [0, 0, 1]]], dtype=float)
    >>> phi = np.array([[[1, .5, .2], [.5, 1, 0], [.2, 0, 1]]])
    >>> density_array(m, phi)[0].round(3).tolist()
    [[0.882, 1.0, 0.167], [0.118, 0.0, 0.833]]
    >>> density_array(m, phi, diagonal=False)[0].round(3).tolist()
    [[0.714, 1.0, 1.0], [0.286, 0.0, 0.0]]
    """
    _choice("knn_ties", knn_ties, ("all", "stata"))
    w = np.array(phi, dtype=float)
    n_p = w.shape[-1]
    if not diagonal:
        _set_diagonal(w, 0.0)
    emptied = None
    if knn is not None:
        keep = _neighbour_mask(w, int(knn), knn_ties)
        if diagonal:
            idx = np.arange(n_p)
            keep[:, idx, idx] = True
        before = w.sum(axis=2, keepdims=True) > 0
        w *= keep
        emptied = before & ~(w.sum(axis=2, keepdims=True) > 0)  # Stata's rule dropped every neighbour
    total = w.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = w / total  # rows of isolated sectors become NaN -> NaN density
    if emptied is not None and emptied.any():
        w[np.broadcast_to(emptied, w.shape)] = 0.0  # ... Stata then reports density 0
    w = w.transpose(0, 2, 1)
    if weights:
        return w
    out = np.matmul(np.asarray(levels, dtype=float), w)
    if scale != 1.0:
        out *= scale
    return out


def significance_arrays(m: np.ndarray, active: np.ndarray | None = None) -> dict[str, np.ndarray]:
    r"""Co-occurrence against the fixed-ubiquity hypergeometric null, each ``(T, P, P)``.

    Returns ``co_occurrence``, ``expected`` (:math:`u_p u_q / N`), ``z`` and ``p_value``
    (:math:`P(C \ge C^{obs})`); *N* = number of active locations in the period.

    >>> m = np.array([[[1, 1], [1, 1], [0, 0], [0, 0]]], dtype=float)
    >>> r = significance_arrays(m)
    >>> float(r["expected"][0, 0, 1]), round(float(r["p_value"][0, 0, 1]), 4)
    (1.0, 0.1667)
    """
    from scipy.stats import hypergeom

    m = np.asarray(m, dtype=float)
    c = cooccurrence_array(m)
    u = np.diagonal(c, axis1=1, axis2=2)
    n_loc = (np.ones(m.shape[:2]) if active is None else np.asarray(active, dtype=float)).sum(axis=1)
    n = n_loc[:, None, None]
    up, uq = u[:, :, None], u[:, None, :]
    expected = _safe_div(up * uq, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = expected * (1 - up / n) * (n - uq) / (n - 1)
        z = (c - expected) / np.sqrt(var)
    z = np.where(var > 0, z, np.nan)
    nn = np.broadcast_to(n, c.shape).astype(np.int64)
    p = hypergeom.sf(c.astype(np.int64) - 1, nn, np.broadcast_to(up, c.shape).astype(np.int64), uq.astype(np.int64))
    p = np.where((up > 0) & (uq > 0), p, 1.0)
    return {"co_occurrence": c, "expected": expected, "z": z, "p_value": np.clip(p, 0.0, 1.0)}


def _bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis (vectorised over the leading axes)."""
    n = p.shape[-1]
    if n == 0:
        return p.copy()
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, axis=-1) * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return q


# --------------------------------------------------------------------------------------------
# tidy tables
# --------------------------------------------------------------------------------------------


def _pairs_frame(cube, arrays: dict[str, np.ndarray], *, unique: bool, has_time: bool) -> pd.DataFrame:
    """Long table of sector pairs from ``(T, P, P)`` arrays: all ordered pairs, or p < q only."""
    t_n, _, n_p = cube.shape
    names = cube.names
    if unique:
        i, j = np.triu_indices(n_p, k=1)
    else:
        i, j = (a.ravel() for a in np.meshgrid(np.arange(n_p), np.arange(n_p), indexing="ij"))
    n_pairs = len(i)
    t_idx = np.repeat(np.arange(t_n), n_pairs)
    frame = {
        names["time"]: cube.times.take(t_idx),
        f"{names['prod']}_1": cube.prods.take(np.tile(i, t_n)),
        f"{names['prod']}_2": cube.prods.take(np.tile(j, t_n)),
    }
    for key, arr in arrays.items():
        frame[key] = arr[:, i, j].reshape(-1)
    out = pd.DataFrame(frame)
    return out if has_time else out.drop(columns=names["time"])


def co_occurrence(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    **presence_options,
) -> pd.DataFrame:
    """Co-occurrence counts of sector pairs: in how many locations both are present (RCA ≥ threshold).

    Returns one row per ordered pair (self-pairs give the ubiquity): ``time, {prod}_1, {prod}_2,
    co_occurrence``. ``presence_options`` as :func:`clusterix_lib.complexity.presence`.

    >>> df = pd.DataFrame({"region": ["A", "A", "B", "B"], "sector": ["x", "y", "x", "y"],
    ...                    "value": [1, 1, 1, 0], "year": 2020})
    >>> co_occurrence(df, loc="region", prod="sector", presence="manual")
       year sector_1 sector_2  co_occurrence
    0  2020        x        x            2.0
    1  2020        x        y            1.0
    2  2020        y        x            1.0
    3  2020        y        y            1.0
    """
    from clusterix_lib import complexity

    pres = complexity._presence_stage(data, time=time, loc=loc, prod=prod, value=value, **presence_options)
    return _pairs_frame(pres.cube, {"co_occurrence": cooccurrence_array(pres.m)}, unique=False, has_time=pres.has_time)


def proximity(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    method: ProximityMethod = "min_conditional",
    diagonal: bool = True,
    **presence_options,
) -> pd.DataFrame:
    """Proximity of every ordered pair of sectors, period by period: ``time, {prod}_1, {prod}_2, proximity``.

    Parameters
    ----------
    data
        Long table (or :class:`~clusterix_lib.cube.Cube`); see :mod:`clusterix_lib.complexity`.
    method
        ``min_conditional`` (default), ``conditional`` (asymmetric: row = :math:`P(q \\mid p)`),
        ``continuous``, ``association``, ``cosine``, ``jaccard``, ``prob``, ``salton``.
    diagonal
        Keep the self-pairs' values (True) or report them as 0, as Stata's ``genproximity`` does.
    presence_options
        ``presence=, rca_threshold=, rpop_threshold=, pop=, missing=, duplicates=`` as
        :func:`clusterix_lib.complexity.presence`.

    Examples
    --------
    >>> df = pd.DataFrame({"year": 2020, "region": list("AABBCC"), "sector": list("xyxyxy"),
    ...                    "value": [1, 0, 1, 1, 0, 1]})
    >>> proximity(df, loc="region", prod="sector", presence="manual")
       year sector_1 sector_2  proximity
    0  2020        x        x        1.0
    1  2020        x        y        0.5
    2  2020        y        x        0.5
    3  2020        y        y        1.0
    """
    from clusterix_lib import complexity

    _choice("method", method, PROXIMITY_METHODS)
    pres = complexity._presence_stage(
        data, time=time, loc=loc, prod=prod, value=value, levels=method == "continuous", **presence_options
    )
    phi = proximity_array(pres.m, method=method, levels=pres.levels, active=pres.active)
    if not diagonal:
        _set_diagonal(phi, 0.0)
    return _pairs_frame(pres.cube, {"proximity": phi}, unique=False, has_time=pres.has_time)


def _proximity_from_table(table: pd.DataFrame, cube, *, prod: str, time: str | None, has_time: bool) -> np.ndarray:
    """A user proximity table ``({prod}_1, {prod}_2, proximity[, time])`` as ``(T, P, P)`` on the cube's sectors."""
    from clusterix_lib.errors import DataFileError

    c1, c2 = f"{prod}_1", f"{prod}_2"
    value_col = "proximity" if "proximity" in table.columns else None
    if value_col is None:
        others = [c for c in table.columns if c not in (c1, c2, time)]
        if len(others) != 1:
            raise DataFileError(
                f"the proximity table needs columns {c1!r}, {c2!r} and 'proximity'; it has "
                f"{', '.join(map(repr, table.columns))}",
                where="the proximity table",
            )
        value_col = others[0]
    missing = [c for c in (c1, c2) if c not in table.columns]
    if missing:
        raise DataFileError(
            f"column(s) {', '.join(map(repr, missing))} not found in the proximity table; it has "
            f"{', '.join(map(repr, table.columns))}",
            where="the proximity table",
            hint=f"name the sector columns {c1!r} and {c2!r} (the output of relatedness.proximity)",
        )
    vals = pd.to_numeric(table[value_col], errors="coerce")
    if vals.isna().any() or (vals < 0).any():
        bad = table[vals.isna() | (vals < 0)].head(3)
        raise DataFileError(
            f"proximity values must be non-negative numbers: {bad.to_dict('records')}",
            where=f"the proximity table, column {value_col!r}",
        )
    t_n, _, n_p = cube.shape
    i = cube.prods.get_indexer(table[c1])
    j = cube.prods.get_indexer(table[c2])
    ok = (i >= 0) & (j >= 0)
    phi = np.full((t_n, n_p, n_p), np.nan)
    per_time = has_time and time in table.columns
    if per_time:
        k = cube.times.get_indexer(table[time])
        ok &= k >= 0
        phi[k[ok], i[ok], j[ok]] = vals.to_numpy()[ok]
        given = np.zeros(t_n, dtype=bool)
        given[k[ok]] = True
        phi[~given] = 0.0  # a period without proximities: every density of it undefined
    else:
        phi[:, i[ok], j[ok]] = vals.to_numpy()[ok]
    # py-ecomplexity's rule for a partial table: a missing self-pair is 1, any other missing pair 0
    idx = np.arange(n_p)
    diag = phi[:, idx, idx]
    phi[:, idx, idx] = np.where(np.isnan(diag), 1.0, diag)
    return np.nan_to_num(phi, nan=0.0)


def density(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    proximity: pd.DataFrame | None = None,
    method: ProximityMethod = "min_conditional",
    convention: DensityConvention = "ecomplexity",
    diagonal: bool | None = None,
    knn: int | None = None,
    knn_ties: KnnTies = "all",
    **presence_options,
) -> pd.DataFrame:
    r"""Relatedness density of every location around every sector: ``time, loc, prod, mcp, density``.

    Parameters
    ----------
    data
        Long table (or :class:`~clusterix_lib.cube.Cube`); see :mod:`clusterix_lib.complexity`.
    proximity
        A proximity / relatedness table ``{prod}_1, {prod}_2, proximity`` (optionally by
        ``time``), e.g. :func:`proximity` output, a thresholded EconGeo relatedness or an
        external one. Pairs it lacks count as 0, a lacking self-pair as 1 (py-ecomplexity's rule;
        whether the diagonal counts is the convention's choice). Default: computed from ``data``
        with ``method``.
    method
        Proximity method when ``proximity`` is not given (see :func:`proximity`).
    convention
        ``"ecomplexity"`` (0-1, diagonal included), ``"stata"`` (0-1, diagonal excluded) or
        ``"econgeo"`` (0-100, diagonal excluded).
    diagonal
        Override the convention's diagonal rule.
    knn, knn_ties
        k-nearest-neighbour density (weighted), see the module docstring.

    Examples
    --------
    >>> df = pd.DataFrame({"year": 2020, "region": list("AABBCC"), "sector": list("xyxyxy"),
    ...                    "value": [1, 0, 1, 1, 0, 1]})
    >>> density(df, loc="region", prod="sector", presence="manual", convention="econgeo")
       year region sector  mcp  density
    0  2020      A      x    1      0.0
    1  2020      A      y    0    100.0
    2  2020      B      x    1    100.0
    3  2020      B      y    1    100.0
    4  2020      C      x    0    100.0
    5  2020      C      y    1      0.0
    """
    from clusterix_lib import complexity

    _choice("convention", convention, tuple(DENSITY_CONVENTIONS))
    diag, scale = DENSITY_CONVENTIONS[convention]
    if diagonal is not None:
        diag = bool(diagonal)
    continuous = proximity is None and method == "continuous"
    pres = complexity._presence_stage(
        data, time=time, loc=loc, prod=prod, value=value, levels=continuous, **presence_options
    )
    if proximity is not None:
        phi = _proximity_from_table(
            proximity, pres.cube, prod=pres.cube.names["prod"], time=pres.cube.names["time"], has_time=pres.has_time
        )
    else:
        phi = proximity_array(pres.m, method=method, levels=pres.levels, active=pres.active)
    lev = np.nan_to_num(pres.levels, nan=0.0) if continuous else pres.m
    dens = density_array(lev, phi, diagonal=diag, knn=knn, knn_ties=knn_ties, scale=scale)
    dens[~pres.active] = np.nan
    return pres.long(mcp=pres.m.astype(np.int64), density=dens)


def cooccurrence_significance(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    **presence_options,
) -> pd.DataFrame:
    r"""Is a pair of sectors co-located more often than chance? One row per unordered pair and period.

    Columns ``time, {prod}_1, {prod}_2, co_occurrence, expected, z, p_value, q_value``: the
    observed count, its expectation and z-score under the fixed-ubiquity hypergeometric null,
    the one-sided p-value :math:`P(C \ge C^{obs})` and the Benjamini-Hochberg q-value over the
    pairs of the period (see the module docstring for the model).

    Examples
    --------
    >>> df = pd.DataFrame({"year": 2020, "region": list("AAABBBCCCDDD"), "sector": list("xyz") * 4,
    ...                    "value": [1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1]})
    >>> cooccurrence_significance(df, loc="region", prod="sector", presence="manual").round(4)
       year sector_1 sector_2  co_occurrence  expected       z  p_value  q_value
    0  2020        x        y            2.0       1.0  1.7321   0.1667      0.5
    1  2020        x        z            0.0       1.0 -1.7321   1.0000      1.0
    2  2020        y        z            0.0       1.0 -1.7321   1.0000      1.0
    """
    from clusterix_lib import complexity

    pres = complexity._presence_stage(data, time=time, loc=loc, prod=prod, value=value, **presence_options)
    arrays = significance_arrays(pres.m, pres.active)
    n_p = pres.m.shape[2]
    i, j = np.triu_indices(n_p, k=1)
    arrays["q_value"] = np.zeros_like(arrays["p_value"])
    arrays["q_value"][:, i, j] = _bh_qvalues(arrays["p_value"][:, i, j])
    return _pairs_frame(pres.cube, arrays, unique=True, has_time=pres.has_time)
