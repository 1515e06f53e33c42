r"""Economic complexity: presence, diversity and ubiquity, ECI/PCI, fitness, complexity outlook.

The measures of Hidalgo & Hausmann (2009) and the Atlas of Economic Complexity, with the outputs
of Harvard's Stata ``ecomplexity`` command and its Python port py-ecomplexity (same column names
and meanings, so their users can switch), computed for every period at once.

**Input.** A long table, one row per (time, location, sector) with a non-negative value
(exports, persons employed...). Column names are mappable: ``time=, loc=, prod=, value=`` (the
defaults are our extracts' ``year, geo, nace_r2, value``; ``time=None`` for a table without
periods). Absent combinations are zeros of the full rectangle. A
:class:`~clusterix_lib.cube.Cube` built once with :func:`~clusterix_lib.cube.to_cube` is accepted
too. :func:`~clusterix_lib.cube.to_cube` rejects, with the file/row/column/value named, a missing
column, a non-numeric or negative value, duplicated (time, loc, prod) rows (``duplicates="sum"``
adds them up, with a warning) and missing values (``missing="zero"`` takes them as 0, with a
warning counting them). A single location or a single sector is an error: nothing is relative.

**Presence** :math:`M_{cp}` (``presence=``):

- ``"rca"``: :math:`RCA_{cp} = (x_{cp}/x_{c\cdot}) / (x_{\cdot p}/x_{\cdot\cdot}) \ge` ``rca_threshold``
  (Balassa; computed as :math:`x_{cp} x_{\cdot\cdot} / (x_{c\cdot} x_{\cdot p})` so that an exact 1
  stays exactly 1);
- ``"rpop"``: :math:`RPOP_{cp} = (x_{cp}/pop_c) / (x_{\cdot p}/\sum_c pop_c) \ge` ``rpop_threshold``,
  with ``pop`` a long table (time, loc, population);
- ``"either"``: RCA or RPOP above its threshold (Stata's ``rca() rpop()`` together);
- ``"manual"``: the value column *is* :math:`M` (0/1; anything else is an error).

The thresholds keep a value equal to them (≥, as py-ecomplexity and EconGeo; Stata uses >, which
differs only for a ratio exactly equal to the threshold).

**Rules for empty rows** (each applied with a :class:`~clusterix_lib.cube.DataWarning` that lists
what it touched): a location with a zero total in a period -- or, for RPOP, without a positive
population -- is left out of that period (as Stata does; its RCA is NaN and every result for it
NaN). A location holding no sector (diversity 0) or a sector held nowhere (ubiquity 0) is dropped
from the eigenproblem and gets NaN ECI / PCI (py-ecomplexity's rule; Stata returns no ECI at all
for such a period).

**Complexity.** Diversity :math:`k_c = \sum_p M_{cp}`, ubiquity :math:`k_p = \sum_c M_{cp}`; the
method of reflections :math:`k_{c,n} = \frac{1}{k_c}\sum_p M_{cp} k_{p,n-1}`,
:math:`k_{p,n} = \frac{1}{k_p}\sum_c M_{cp} k_{c,n-1}`. The ECI is the eigenvector of the
second-largest eigenvalue of :math:`\tilde M = D^{-1} M U^{-1} M^\top` (*D*, *U* the diagonal
diversity and ubiquity matrices), found through the symmetric matrix
:math:`B B^\top`, :math:`B = D^{-1/2} M U^{-1/2}` (same eigenvalues; eigenvectors rescaled by
:math:`D^{-1/2}`), on its smaller side (:math:`B^\top B` when there are fewer sectors than
locations): a dense batched eigen-solver for all periods at once up to 100 rows, else
:func:`scipy.sparse.linalg.eigsh` on the implicit operator with the leading eigenvector (known:
:math:`\propto \sqrt{k}`) deflated. :math:`k_p` is the sector eigenvector and
:math:`k_c = D^{-1} M k_p`, as in Stata.

**Sign** (``sign=``): eigenvectors have no sign. ``"diversity"`` (Harvard, default) makes ECI
correlate positively with diversity (when every location is equally diverse: negatively with the
mean ubiquity of the sectors it holds); ``"reflections"`` aligns it with the method of reflections
after 20 steps (EconGeo ``kci``); a :class:`pandas.Series` of a location attribute indexed by
location (or by (time, location)) aligns it with that (e.g. GDP per head).

**Standard-deviation convention** (``sd=``):

- ``"stata"`` (default): :math:`ECI = (k_c - \bar k_c)/s`, where :math:`\bar k_c` and *s* are the
  mean and the sample standard deviation (n − 1) over the *long* location × sector rows, as Stata's
  ``summarize`` sees them -- every location's value repeated once per sector, so
  :math:`s^2 = P \sum_c (k_c - \bar k_c)^2 / (L P - 1)` with *L* the locations with diversity > 0
  and *P* the sectors with a positive total in the period. This reproduces the Stata fixtures to
  1e-14;
- ``"ddof0"``: population sd over the *L* locations (numpy's default, py-ecomplexity). It differs
  from ``"stata"`` by the factor :math:`\sqrt{LP/(LP-1)}` (0.17 % on 10 × 30);
- ``"ddof1"``: sample sd over the *L* locations.

PCI uses the ECI's mean and sd, :math:`PCI = (k_p - \bar k_c)/s`, so that a location's ECI is the
mean PCI of the sectors it holds; COG is divided by *s*; COI is z-scored with its own mean and sd
(same convention). Either way ECI has mean 0 and sd 1 under the chosen convention.

**Density, COI, COG, distance** (:mod:`clusterix_lib.relatedness` for proximities and density):
:math:`\omega_{cp} = \sum_q M_{cq}\varphi_{pq} / \sum_q \varphi_{pq}`; distance
:math:`= \sum_q (1 - M_{cq})\varphi_{pq} / \sum_q \varphi_{pq}` (:math:`1 - \omega` for binary
*M*); :math:`COI_c = \sum_p \omega_{cp} (1 - M_{cp}) k_p` (z-scored);
:math:`COG_{cp} = (1 - M_{cp}) \sum_q (1 - M_{cq}) k_q\, \varphi_{qp} / \sum_r \varphi_{qr}` (over
*s*): what acquiring *p* adds to the density of each missing *q*, weighted by its complexity. With
``continuous=True`` the proximity is :math:`(1 + r)/2` of the RCA (RPOP) columns and the density
uses the RCA (RPOP) levels instead of *M*. ``diagonal=False`` (default) leaves
:math:`\varphi_{pp}` out of density, distance, COI and COG as Stata does; ``diagonal=True``
counts it (:math:`\varphi_{pp} = 1`) as py-ecomplexity does. **To reproduce py-ecomplexity:**
``sd="ddof0", diagonal=True`` (its kNN density is wrong, see :mod:`~clusterix_lib.relatedness`).

**Log-supermodularity** (py-ecomplexity's default check, here exact and optional):
:meth:`Complexity.log_supermodularity` gives, per period, the share of the inequalities
:math:`M_{c'p'}/M_{c'p} > M_{cp'}/M_{cp}` (:math:`c'` higher ECI, :math:`p'` higher PCI) that hold
on the RCA levels -- how far the data bear the ECI/PCI ranking out; ``ecomplexity_table(...,
check_logsupermodularity=True)`` warns below 80 % (see :mod:`clusterix_lib.supermodularity`, which
also explains why py-ecomplexity's sampled figure differs).

**Fitness and complexity** (Tacchella et al. 2012): :math:`F_c = \sum_p M_{cp} Q_p`,
:math:`Q_p = 1 / \sum_c M_{cp}/F_c`, both divided by their mean at every iteration.

Examples
--------
>>> toy = pd.DataFrame({"year": 2000, "country": ["C1"] * 4 + ["C2", "C3", "C3", "C4"],
...                     "product": ["P1", "P2", "P3", "P4", "P2", "P3", "P4", "P4"], "m": 1})
>>> res = eci_pci(toy, loc="country", prod="product", value="m", presence="manual", sd="ddof0")
>>> res.locations.round(4)
   year country  diversity     eci
0  2000      C1          4 -0.0754
1  2000      C2          1 -1.6029
2  2000      C3          2  0.7478
3  2000      C4          1  0.9305
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from clusterix_lib import relatedness
from clusterix_lib.cube import Cube, DataWarning, to_cube
from clusterix_lib.errors import DataFileError, ParameterError

__all__ = [
    "Complexity",
    "EciPci",
    "Fitness",
    "Reflections",
    "compute",
    "eci_pci",
    "ecomplexity_table",
    "eigenvector_arrays",
    "fitness_arrays",
    "fitness_complexity",
    "presence",
    "proximity_table",
    "rca",
    "rca_array",
    "reflections",
    "reflections_arrays",
    "rpop",
    "rpop_array",
    "warn_log_supermodularity",
]

Presence = Literal["rca", "rpop", "either", "manual"]
SdConvention = Literal["stata", "ddof0", "ddof1"]
Solver = Literal["auto", "dense", "sparse"]
PRESENCE = ("rca", "rpop", "either", "manual")
SD = ("stata", "ddof0", "ddof1")
SOLVERS = ("auto", "dense", "sparse")
#: above this many rows on the smaller side, ``solver="auto"`` switches from batched dense to eigsh
DENSE_MAX = 100
_NO_TIME = "(all periods)"


def _choice(name: str, value: object, choices) -> None:
    if value not in choices:
        raise ParameterError(
            f"{name}={value!r} is not one of {', '.join(map(repr, choices))}", where=f"parameter {name}"
        )


_PACKAGE = str(Path(__file__).resolve().parent)


def _warn(message: str) -> None:
    """A :class:`DataWarning` attributed to the first caller outside clusterix_lib."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DataWarning, stacklevel=level)


def _listing(items: list[str], total: int | None = None, limit: int = 8) -> str:
    total = len(items) if total is None else total
    text = ", ".join(items[:limit])
    return text + (f" (and {total - limit} more)" if total > limit else "")


def _cells(cube: Cube, t_idx: np.ndarray, k_idx: np.ndarray, labels: pd.Index, has_time: bool) -> str:
    """The first few (label in time) cells, and how many more."""
    first = zip(t_idx[:8], k_idx[:8], strict=True)
    items = [f"{labels[k]} in {cube.times[t]}" if has_time else str(labels[k]) for t, k in first]
    return _listing(items, len(t_idx))


# --------------------------------------------------------------------------------------------
# arrays: values (T, L, P); per-location (T, L); per-sector (T, P)
# --------------------------------------------------------------------------------------------


def rca_array(x: np.ndarray) -> np.ndarray:
    r"""Balassa RCA :math:`x_{cp} x_{\cdot\cdot} / (x_{c\cdot} x_{\cdot p})` per period; NaN where undefined.

    >>> rca_array(np.array([[[1.0, 3.0], [1.0, 1.0]]]))[0].round(3).tolist()
    [[0.75, 1.125], [1.5, 0.75]]
    """
    x = np.asarray(x, dtype=float)
    loc_tot = x.sum(axis=2)
    prod_tot = x.sum(axis=1)
    total = prod_tot.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * total[:, None, None]
        out /= loc_tot[:, :, None] * prod_tot[:, None, :]
    undefined = (loc_tot == 0)[:, :, None] | (prod_tot == 0)[:, None, :]
    if undefined.any():
        out[undefined] = np.nan
    return out


def rpop_array(x: np.ndarray, pop: np.ndarray) -> np.ndarray:
    r"""RPOP :math:`(x_{cp}/pop_c) / (x_{\cdot p}/\sum_c pop_c)` per period; ``pop`` is ``(T, L)``.

    >>> rpop_array(np.array([[[1.0, 3.0], [1.0, 1.0]]]), np.array([[1.0, 3.0]]))[0].round(3).tolist()
    [[2.0, 3.0], [0.667, 0.333]]
    """
    x = np.asarray(x, dtype=float)
    pop = np.asarray(pop, dtype=float)
    prod_tot = x.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * pop.sum(axis=1)[:, None, None]
        out /= pop[:, :, None] * prod_tot[:, None, :]
    undefined = (pop == 0)[:, :, None] | (prod_tot == 0)[:, None, :]
    if undefined.any():
        out[undefined] = np.nan
    return out


def reflections_arrays(m: np.ndarray, steps: int = 20) -> tuple[np.ndarray, np.ndarray]:
    r"""Method of reflections: ``kc`` ``(steps+1, T, L)`` and ``kp`` ``(steps+1, T, P)`` (step 0 = diversity/ubiquity).

    :math:`k_{c,n} = \frac{1}{k_{c,0}}\sum_p M_{cp} k_{p,n-1}`,
    :math:`k_{p,n} = \frac{1}{k_{p,0}}\sum_c M_{cp} k_{c,n-1}`; NaN where the diversity (ubiquity) is 0.

    >>> m = np.array([[[1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]], dtype=float)
    >>> kc, kp = reflections_arrays(m, 2)
    >>> kc[1, 0].tolist(), kp[1, 0].round(4).tolist(), kc[2, 0].round(4).tolist()
    ([2.0, 2.0, 2.5, 3.0], [4.0, 2.5, 3.0, 2.3333], [2.9583, 2.5, 2.6667, 2.3333])
    """
    m = np.asarray(m, dtype=float)
    k = m.sum(axis=2)
    u = m.sum(axis=1)
    kc = np.empty((steps + 1, *k.shape))
    kp = np.empty((steps + 1, *u.shape))
    kc[0], kp[0] = k, u
    with np.errstate(divide="ignore", invalid="ignore"):
        for n in range(1, steps + 1):  # a loop over reflection steps (all periods at once)
            kc[n] = np.einsum("tlp,tp->tl", m, np.nan_to_num(kp[n - 1])) / k
            kp[n] = np.einsum("tlp,tl->tp", m, np.nan_to_num(kc[n - 1])) / u
    kc[:, k == 0] = np.nan
    kp[:, u == 0] = np.nan
    return kc, kp


def fitness_arrays(m: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    r"""Fitness ``(T, L)`` and complexity ``(T, P)`` of Tacchella et al. (2012), mean-normalised.

    :math:`\tilde F_c^{(n)} = \sum_p M_{cp} Q_p^{(n-1)}`, :math:`\tilde Q_p^{(n)} = 1/\sum_c M_{cp}/F_c^{(n-1)}`,
    each divided by its mean over the locations (sectors) present. Locations or sectors without
    any presence get NaN. The least fit values tend to 0 as iterations grow: compare rankings.

    >>> m = np.array([[[1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]], dtype=float)
    >>> f, q = fitness_arrays(m, 200)
    >>> np.argsort(-f[0]).tolist()
    [0, 2, 1, 3]
    """
    m = np.asarray(m, dtype=float)
    vl = m.sum(axis=2) > 0
    vp = m.sum(axis=1) > 0
    f = vl.astype(float)
    q = vp.astype(float)
    nl = np.maximum(vl.sum(axis=1, keepdims=True), 1)
    np_ = np.maximum(vp.sum(axis=1, keepdims=True), 1)
    mt = m.transpose(0, 2, 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(iterations):  # a loop over iterations (all periods at once)
            f_new = np.matmul(m, q[:, :, None])[:, :, 0]
            inv_f = np.where(vl & (f > 0), 1.0 / f, 0.0)
            s = np.matmul(mt, inv_f[:, :, None])[:, :, 0]
            q_new = np.where(vp & (s > 0), 1.0 / s, 0.0)
            f = f_new / (f_new.sum(axis=1, keepdims=True) / nl)
            q = q_new / (q_new.sum(axis=1, keepdims=True) / np_)
    return np.where(vl, f, np.nan), np.where(vp, q, np.nan)


def _masked_moments(v: np.ndarray, valid: np.ndarray, sd: SdConvention, n_long: np.ndarray) -> tuple:
    """Mean and sd over the valid entries of each period, under the sd convention."""
    n = valid.sum(axis=1)
    vz = np.where(valid, v, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = vz.sum(axis=1) / n
        ss = (np.where(valid, v - mean[:, None], 0.0) ** 2).sum(axis=1)
        if sd == "stata":
            var = ss * (n_long / n) / (n_long - 1)
        elif sd == "ddof0":
            var = ss / n
        else:
            var = ss / (n - 1)
    s = np.sqrt(var)
    bad = ~(s > 1e-12 * np.maximum(np.abs(mean), 1.0))  # constant or undefined
    s = np.where(bad, np.nan, s)
    return mean, s


def _masked_cov(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Covariance (sum of centred products) of a and b over the valid finite entries of each period."""
    ok = valid & np.isfinite(a) & np.isfinite(b)
    n = np.maximum(ok.sum(axis=1, keepdims=True), 1)
    ca = np.where(ok, a - np.where(ok, a, 0.0).sum(1, keepdims=True) / n, 0.0)
    cb = np.where(ok, b - np.where(ok, b, 0.0).sum(1, keepdims=True) / n, 0.0)
    return (ca * cb).sum(axis=1)


def _second_dense(b: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Second eigenpair of BᵀB (side "p") or BBᵀ (side "l") for all periods: batched eigh."""
    g = np.matmul(b.transpose(0, 2, 1), b) if side == "p" else np.matmul(b, b.transpose(0, 2, 1))
    w, v = np.linalg.eigh(g)
    return w[:, -2], v[:, :, -2]


def _second_sparse(b: np.ndarray, side: str, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second eigenpair with eigsh on the implicit operator, the known top eigenvector deflated.

    One eigsh per period: each call costs far more than the loop around it (see the benchmark).
    """
    from scipy import sparse
    from scipy.sparse.linalg import LinearOperator, eigsh

    t_n = b.shape[0]
    n = b.shape[2] if side == "p" else b.shape[1]
    lam = np.empty(t_n)
    vec = np.empty((t_n, n))
    for t in range(t_n):
        bt = b[t]
        if np.count_nonzero(bt) < 0.2 * bt.size:
            bt = sparse.csr_matrix(bt)
        btt = bt.T
        a, c = (bt, btt) if side == "p" else (btt, bt)  # operator x -> c @ (a @ x)
        v1 = top[t]

        def matvec(x, a=a, c=c, v1=v1):
            x = np.ravel(x)
            return c @ (a @ x) - v1 * (v1 @ x)

        op = LinearOperator((n, n), matvec=matvec, dtype=float)
        v0 = np.linspace(1.0, 2.0, n)
        try:
            w, v = eigsh(op, k=1, which="LA", v0=v0, tol=1e-13, maxiter=max(1000, 20 * n))
            lam[t], vec[t] = w[0], v[:, 0]
        except Exception:  # pragma: no cover - falls back to the dense solver for that period
            w, v = _second_dense(b[t : t + 1], side)
            lam[t], vec[t] = w[0], v[0]
    return lam, vec


def eigenvector_arrays(
    m: np.ndarray,
    *,
    n_long: np.ndarray | None = None,
    sd: SdConvention = "stata",
    sign: str | np.ndarray = "diversity",
    solver: Solver = "auto",
) -> dict[str, np.ndarray]:
    r"""ECI and PCI for every period of a binary presence array ``m`` ``(T, L, P)``.

    Returns a dict with ``eci`` ``(T, L)``, ``pci`` ``(T, P)``, the unnormalised eigenvectors
    ``kc``, ``kp`` (sign applied, :math:`k_c = D^{-1} M k_p`), ``mean`` and ``sd`` ``(T,)`` (the
    moments used), and ``eigenvalue`` ``(T,)`` (the second eigenvalue).

    Parameters
    ----------
    n_long
        ``(T,)`` number of long rows per period for ``sd="stata"`` (default: valid locations × all
        sectors).
    sign
        ``"diversity"``, ``"reflections"``, ``"none"`` or a ``(T, L)`` array to correlate with.
    solver
        ``"dense"`` (batched ``eigh``), ``"sparse"`` (``eigsh`` per period) or ``"auto"``.

    >>> m = np.array([[[1, 1, 1, 1], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]], dtype=float)
    >>> r = eigenvector_arrays(m, sd="ddof0")
    >>> r["eci"][0].round(4).tolist(), r["pci"][0].round(4).tolist()
    ([-0.0754, -1.6029, 0.7478, 0.9305], [-0.1941, -1.6029, 0.5651, 0.9305])
    """
    _choice("sd", sd, SD)
    _choice("solver", solver, SOLVERS)
    m = np.asarray(m, dtype=float)
    t_n, n_l, n_p = m.shape
    k = m.sum(axis=2)
    u = m.sum(axis=1)
    vl, vp = k > 0, u > 0
    with np.errstate(divide="ignore"):
        dl = np.where(vl, 1.0 / np.sqrt(np.where(vl, k, 1.0)), 0.0)
        dp = np.where(vp, 1.0 / np.sqrt(np.where(vp, u, 1.0)), 0.0)
    b = m * dl[:, :, None]
    b *= dp[:, None, :]
    side = "p" if n_p <= n_l else "l"
    n_small = min(n_l, n_p)
    use_dense = solver == "dense" or (solver == "auto" and n_small <= DENSE_MAX)
    if use_dense:
        lam, vec = _second_dense(b, side)
    else:
        top = np.sqrt(u) if side == "p" else np.sqrt(k)
        top = top / np.linalg.norm(top, axis=1, keepdims=True).clip(min=1e-300)
        lam, vec = _second_sparse(b, side, top)
    with np.errstate(divide="ignore", invalid="ignore"):
        if side == "p":
            kp = vec * dp
            kc = np.matmul(m, kp[:, :, None])[:, :, 0] / k
        else:
            kc = vec * dl
            kp = np.matmul(m.transpose(0, 2, 1), kc[:, :, None])[:, :, 0] / u / lam[:, None]
    kc = np.where(vl, kc, np.nan)
    kp = np.where(vp, kp, np.nan)
    # sign
    refs: list[np.ndarray] = []
    if isinstance(sign, str):
        _choice("sign", sign, ("diversity", "reflections", "none"))
        if sign == "diversity":
            # ties (every location equally diverse): fall back on minus the mean ubiquity of the
            # sectors held (reflection step 1): a location of rare sectors is the complex one
            refs = [k, -reflections_arrays(m, 1)[0][1]]
        elif sign == "reflections":
            refs = [reflections_arrays(m, 20)[0][20]]
    else:
        refs = [np.asarray(sign, dtype=float)]
    if refs:
        s = np.zeros(t_n)
        for ref in refs:
            cov = _masked_cov(kc, ref, vl)
            scale = np.sqrt(_masked_cov(kc, kc, vl) * _masked_cov(ref, ref, vl))
            decided = (s == 0) & (np.abs(cov) > 1e-9 * scale)
            s[decided] = np.sign(cov[decided])
        s[s == 0] = 1.0
        kc = kc * s[:, None]
        kp = kp * s[:, None]
    if n_long is None:
        n_long = vl.sum(axis=1) * n_p
    mean, sdv = _masked_moments(kc, vl, sd, np.asarray(n_long, dtype=float))
    eci = (kc - mean[:, None]) / sdv[:, None]
    pci = (kp - mean[:, None]) / sdv[:, None]
    return {"eci": eci, "pci": pci, "kc": kc, "kp": kp, "mean": mean, "sd": sdv, "eigenvalue": lam}


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------


@dataclass
class _Stage:
    """A checked input with its presence matrix: the shared first stage of every measure."""

    cube: Cube
    has_time: bool
    source: str
    presence: str
    x: np.ndarray  # values of the active locations (others 0)
    active: np.ndarray  # (T, L)
    m: np.ndarray  # (T, L, P) float 0/1
    rca: np.ndarray | None = None
    rpop: np.ndarray | None = None
    levels: np.ndarray | None = None
    pop: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def _drop_time(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame if self.has_time else frame.drop(columns=self.cube.names["time"])

    def long(self, **arrays) -> pd.DataFrame:
        """One row per (time, loc, prod); each array is ``(T, L, P)``, or ``("loc", (T, L))`` / ``("prod", (T, P))``."""
        cube = self.cube
        t_n, l_n, p_n = cube.shape
        names = cube.names
        t_codes = np.repeat(np.arange(t_n), l_n * p_n)
        l_codes = np.tile(np.repeat(np.arange(l_n), p_n), t_n)
        p_codes = np.tile(np.arange(p_n), t_n * l_n)
        frame = {
            names["time"]: cube.times.take(t_codes),
            names["loc"]: cube.locs.take(l_codes),
            names["prod"]: cube.prods.take(p_codes),
        }
        shape = (t_n, l_n, p_n)
        for key, arr in arrays.items():
            if isinstance(arr, tuple):  # broadcast (a contiguous copy) rather than gather by codes
                kind, arr = arr
                arr = np.asarray(arr)
                arr = arr[:, :, None] if kind == "loc" else arr[:, None, :]
                frame[key] = np.broadcast_to(arr, shape).reshape(-1)
            else:
                frame[key] = np.asarray(arr).reshape(-1)
        return self._drop_time(pd.DataFrame(frame, copy=False))

    def long_by_location(self, **arrays) -> pd.DataFrame:
        return self._drop_time(self.cube.long_by_location(**arrays))

    def long_by_sector(self, **arrays) -> pd.DataFrame:
        return self._drop_time(self.cube.long_by_sector(**arrays))


def _cube(data, *, time, loc, prod, value, missing, duplicates, source) -> tuple[Cube, bool]:
    if isinstance(data, Cube):
        return data, True
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            f"expected a pandas DataFrame (long table) or a Cube, got {type(data).__name__}", where="parameter data"
        )
    has_time = time is not None
    if not has_time:
        time = _NO_TIME
        data = data.assign(**{_NO_TIME: 0})
    cube = to_cube(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    return cube, has_time


def _population(cube: Cube, pop: pd.DataFrame, pop_value: str | None, has_time: bool) -> np.ndarray:
    """The population table aligned on the cube's (time, location) axes; 0 where absent."""
    names = cube.names
    time, loc = names["time"], names["loc"]
    if not isinstance(pop, pd.DataFrame):
        raise ParameterError("pop= must be a long table (time, location, population)", where="parameter pop")
    if loc not in pop.columns:
        raise DataFileError(
            f"column {loc!r} not found in the population table; it has {', '.join(map(repr, pop.columns))}",
            where="the population table",
            hint="name the location column as in the data",
        )
    use_time = has_time and time in pop.columns
    if pop_value is None:
        others = [c for c in pop.columns if c not in (time, loc)]
        if len(others) != 1:
            raise ParameterError(
                f"cannot tell which column of the population table holds the population among "
                f"{', '.join(map(repr, others)) or '(none)'}",
                where="parameter pop_value",
                hint="pass pop_value=COLUMN (--pop-value)",
            )
        pop_value = others[0]
    frame = pop.assign(_sector="population")
    if not use_time:
        frame = frame.assign(_time=0)
    pc = to_cube(
        frame,
        time=time if use_time else "_time",
        loc=loc,
        prod="_sector",
        value=pop_value,
        source="the population table",
    )
    li = pc.locs.get_indexer(cube.locs)
    out = np.zeros(cube.shape[:2])
    if use_time:
        ti = pc.times.get_indexer(cube.times)
        vals = pc.values[:, :, 0]
        ok_t, ok_l = ti >= 0, li >= 0
        out[np.ix_(ok_t, ok_l)] = vals[np.ix_(ti[ok_t], li[ok_l])]
    else:
        out[:, li >= 0] = pc.values[0, li[li >= 0], 0][None, :]
    return out


def _presence_stage(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    presence: Presence = "rca",
    rca_threshold: float = 1.0,
    rpop_threshold: float = 1.0,
    pop: pd.DataFrame | None = None,
    pop_value: str | None = None,
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
    levels: bool = False,
    source: str = "the input table",
) -> _Stage:
    """Check the input, leave out empty locations (warned) and compute RCA/RPOP and presence."""
    _choice("presence", presence, PRESENCE)
    for name, thr in (("rca_threshold", rca_threshold), ("rpop_threshold", rpop_threshold)):
        if not (isinstance(thr, (int, float, np.floating)) and np.isfinite(thr) and thr > 0):
            raise ParameterError(f"{name}={thr!r} must be a positive number", where=f"parameter {name}")
    if presence in ("rpop", "either") and pop is None:
        raise ParameterError(
            f"presence={presence!r} needs the population: pass pop= (a table time, location, population)",
            where="parameter pop",
            hint="or use presence='rca'",
        )
    if levels and presence == "manual":
        raise ParameterError(
            "continuous proximities need RCA or RPOP levels; with presence='manual' there are none",
            where="parameter continuous",
            hint="use presence='rca' or 'rpop', or a discrete proximity",
        )
    if levels and presence == "either":
        raise ParameterError(
            "continuous proximities need one level (RCA or RPOP), not presence='either'",
            where="parameter continuous",
        )
    cube, has_time = _cube(
        data, time=time, loc=loc, prod=prod, value=value, missing=missing, duplicates=duplicates, source=source
    )
    _t_n, n_l, n_p = cube.shape
    if n_l < 2 or n_p < 2:
        what = (
            f"{n_l} location(s) ({', '.join(map(str, cube.locs[:3]))})"
            if n_l < 2
            else (f"{n_p} sector(s) ({', '.join(map(str, cube.prods[:3]))})")
        )
        raise DataFileError(
            f"complexity and relatedness need at least 2 locations and 2 sectors; the input has {what}",
            where=source,
            hint="give the table of all locations and sectors (the measures are relative to the whole set)",
        )
    x = cube.values
    if presence == "manual":
        bad = (x != 0) & (x != 1)
        if bad.any():
            t, li, p = (a[:5] for a in np.nonzero(bad))
            cells = [
                f"{cube.locs[a]}/{cube.prods[c]} in {cube.times[b]}: {x[b, a, c]!r}"
                for b, a, c in zip(t, li, p, strict=True)
            ]
            raise DataFileError(
                f"presence='manual' needs 0/1 values in column {cube.names['value']!r}; found "
                f"{int(bad.sum())} other value(s): {', '.join(cells)}",
                where=source,
                hint="give the binary presence matrix, or use presence='rca' on the raw values",
            )
    loc_tot = x.sum(axis=2)
    active = loc_tot > 0
    pop_arr = None
    if presence in ("rpop", "either"):
        pop_arr = _population(cube, pop, pop_value, has_time)
        no_pop = active & ~(pop_arr > 0)
        if no_pop.any():
            t_idx, l_idx = np.nonzero(no_pop)
            _warn(
                f"{source}: {len(t_idx)} location(s) without a positive population left out of the computation "
                f"(as Stata does; their results are NaN): {_cells(cube, t_idx, l_idx, cube.locs, has_time)}"
            )
        active &= pop_arr > 0
    empty = ~(loc_tot > 0)
    if empty.any():
        t_idx, l_idx = np.nonzero(empty)
        _warn(
            f"{source}: {len(t_idx)} location(s) with a zero total in a period left out of it (results NaN): "
            f"{_cells(cube, t_idx, l_idx, cube.locs, has_time)}"
        )
    xa = x if active.all() else x * active[:, :, None]
    stage = _Stage(cube, has_time, source, presence, xa, active, np.zeros(0))
    if presence == "manual":
        stage.m = xa.astype(float)
        return stage
    stage.rca = rca_array(xa)
    with np.errstate(invalid="ignore"):  # NaN (undefined) compares False: absent
        m = stage.rca >= rca_threshold if presence in ("rca", "either") else None
        if pop_arr is not None:
            stage.pop = np.where(active, pop_arr, np.nan)
            stage.rpop = rpop_array(xa, np.where(active, pop_arr, 0.0))
            mp = stage.rpop >= rpop_threshold
            m = mp if m is None else (m | mp)
    stage.m = m.astype(float)
    if levels:
        stage.levels = stage.rpop if presence == "rpop" else stage.rca
    return stage


def _common(time, loc, prod, value) -> dict:
    return {"time": time, "loc": loc, "prod": prod, "value": value}


# --------------------------------------------------------------------------------------------
# the full pipeline
# --------------------------------------------------------------------------------------------


@dataclass
class Complexity:
    """Every complexity output of one run, as arrays on the cube's axes, with tidy views.

    Attributes hold ``(T, L, P)`` arrays (``rca``, ``rpop``, ``mcp``, ``density``, ``distance``,
    ``cog``), ``(T, L)`` arrays (``diversity``, ``eci``, ``coi``), ``(T, P)`` arrays
    (``ubiquity``, ``pci``) and the ``(T, P, P)`` ``proximity`` used for density (diagonal as
    the ``diagonal`` option says). Build it with :func:`compute`.
    """

    stage: _Stage
    diversity: np.ndarray
    ubiquity: np.ndarray
    eci: np.ndarray
    pci: np.ndarray
    kc: np.ndarray
    kp: np.ndarray
    sd: np.ndarray
    proximity: np.ndarray | None = None
    weights: np.ndarray | None = None
    density: np.ndarray | None = None
    coi: np.ndarray | None = None
    cog: np.ndarray | None = None
    options: dict = field(default_factory=dict)

    @property
    def cube(self) -> Cube:
        return self.stage.cube

    @property
    def mcp(self) -> np.ndarray:
        return self.stage.m

    @property
    def distance(self) -> np.ndarray | None:
        """:math:`\\sum_q (1 - M_{cq})\\varphi_{pq} / \\sum_q \\varphi_{pq}` (``1 - density`` for binary presence)."""
        if self.weights is None:
            return None
        m = self.stage.m
        share = self.density if self.stage.levels is None else np.matmul(m, self.weights)
        with np.errstate(invalid="ignore"):
            out = self.weights.sum(axis=1)[:, None, :] - share
        out[~self.stage.active] = np.nan
        return out

    def table(self) -> pd.DataFrame:
        """One row per (time, loc, prod) of the full rectangle, zeros included (py-ecomplexity's columns).

        ``value`` (under the input's name), ``rca``, ``rpop`` (RPOP presence only), ``mcp``,
        ``diversity``, ``ubiquity``, ``eci``, ``pci``, ``density``, ``distance``, ``coi``, ``cog``.
        """
        st = self.stage
        cols: dict[str, np.ndarray] = {st.cube.names["value"]: st.cube.values}
        nan3 = np.full(st.m.shape, np.nan)
        cols["rca"] = st.rca if st.rca is not None else nan3
        if st.rpop is not None:
            cols["rpop"] = st.rpop
        cols["mcp"] = st.m.astype(np.int64)
        cols["diversity"] = ("loc", self.diversity.astype(np.int64))
        cols["ubiquity"] = ("prod", self.ubiquity.astype(np.int64))
        cols["eci"] = ("loc", self.eci)
        cols["pci"] = ("prod", self.pci)
        if self.density is not None:
            cols["density"] = self.density
            cols["distance"] = self.distance
            cols["coi"] = ("loc", self.coi)
            cols["cog"] = self.cog
        return st.long(**cols)

    def locations(self) -> pd.DataFrame:
        """One row per (time, loc): ``diversity, eci, coi``."""
        cols = {"diversity": self.diversity.astype(np.int64), "eci": self.eci}
        if self.coi is not None:
            cols["coi"] = self.coi
        return self.stage.long_by_location(**cols)

    def sectors(self) -> pd.DataFrame:
        """One row per (time, prod): ``ubiquity, pci``."""
        return self.stage.long_by_sector(ubiquity=self.ubiquity.astype(np.int64), pci=self.pci)

    def log_supermodularity(self, *, threads: int | None = None) -> pd.DataFrame:
        """Per period, the share of log-supermodular inequalities in the ECI/PCI order, exactly.

        On the RCA levels (RPOP for ``presence="rpop"``, :math:`M` for ``"manual"``), as
        py-ecomplexity's check; see :mod:`clusterix_lib.supermodularity`. Columns: time (unless
        the input had none), ``share``, ``pairs`` (inequalities compared), ``below`` (share < 0.8).
        """
        from clusterix_lib import supermodularity

        st = self.stage
        matrix = st.rca if st.rca is not None and st.presence != "rpop" else st.rpop if st.rpop is not None else st.m
        frame = supermodularity.log_supermodularity_table(matrix, self.eci, self.pci, st.cube.times, threads=threads)
        return st._drop_time(frame)

    def proximity_table(self) -> pd.DataFrame:
        """Every ordered sector pair per period: ``time, {prod}_1, {prod}_2, proximity``."""
        if self.proximity is None:
            raise ParameterError("this result was computed without proximities", where="compute(..., density=False)")
        return relatedness._pairs_frame(
            self.cube, {"proximity": self.proximity}, unique=False, has_time=self.stage.has_time
        )


def _warn_invalid(stage: _Stage, k: np.ndarray, u: np.ndarray) -> None:
    cube, has_time = stage.cube, stage.has_time
    zero_l = stage.active & (k == 0)
    if zero_l.any():
        t_idx, l_idx = np.nonzero(zero_l)
        _warn(
            f"{stage.source}: {len(t_idx)} location(s) hold no sector (diversity 0): dropped from the eigenproblem, "
            f"ECI NaN: {_cells(cube, t_idx, l_idx, cube.locs, has_time)}"
        )
    zero_p = u == 0
    if zero_p.any():
        t_idx, p_idx = np.nonzero(zero_p)
        _warn(
            f"{stage.source}: {len(t_idx)} sector(s) present nowhere (ubiquity 0): dropped from the eigenproblem, "
            f"PCI NaN: {_cells(cube, t_idx, p_idx, cube.prods, has_time)}"
        )


def _warn_eigen(stage: _Stage, lam: np.ndarray, sd: np.ndarray) -> None:
    times = [stage.cube.times[t] for t in np.nonzero(lam > 1 - 1e-9)[0]]
    if times:
        _warn(
            f"{stage.source}: the location-sector network falls apart into separate groups in "
            f"{_listing(list(map(str, times)))}: the second eigenvalue is 1 and the ECI only tells the groups apart"
        )
    times = [stage.cube.times[t] for t in np.nonzero(~np.isfinite(sd))[0]]
    if times:
        _warn(f"{stage.source}: ECI undefined (no variation between locations) in {_listing(list(map(str, times)))}")


def compute(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    presence: Presence = "rca",
    rca_threshold: float = 1.0,
    rpop_threshold: float = 1.0,
    pop: pd.DataFrame | None = None,
    pop_value: str | None = None,
    continuous: bool = False,
    asymmetric: bool = False,
    proximity: pd.DataFrame | None = None,
    knn: int | None = None,
    knn_ties: relatedness.KnnTies = "stata",
    diagonal: bool = False,
    sd: SdConvention = "stata",
    sign: str | pd.Series = "diversity",
    solver: Solver = "auto",
    density: bool = True,
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
    source: str = "the input table",
) -> Complexity:
    """Run the whole complexity pipeline once and keep every result (see the module docstring).

    Parameters
    ----------
    data
        Long table or :class:`~clusterix_lib.cube.Cube`.
    time, loc, prod, value
        Column names (``time=None``: no periods).
    presence, rca_threshold, rpop_threshold, pop, pop_value
        How :math:`M_{cp}` is obtained; ``pop`` is a long table (time, loc, population) with the
        data's column names for time and location (without a time column: the same every period).
    continuous, asymmetric
        Proximity for density, COI and COG: correlation of RCA (RPOP) levels, or the conditional
        probability :math:`P(q \\mid p)`; default the minimum conditional probability.
    proximity
        A proximity table ``{prod}_1, {prod}_2, proximity`` (optionally by time) to use instead.
    knn, knn_ties
        Density over the ``knn`` nearest neighbours only (weighted; ``"stata"`` ties reproduce
        Stata's ``knn()``, ``"all"`` keeps every tie).
    diagonal
        Count self-proximity in density, distance, COI and COG (py-ecomplexity) or not (Stata).
    sd, sign, solver
        ECI conventions and eigen-solver (module docstring).
    density
        False skips proximity, density, distance, COI and COG (ECI/PCI only).
    missing, duplicates, source
        Passed to :func:`~clusterix_lib.cube.to_cube`.
    """
    _choice("sd", sd, SD)
    _choice("solver", solver, SOLVERS)
    if asymmetric and continuous:
        raise ParameterError("choose one of continuous= and asymmetric=", where="parameters continuous, asymmetric")
    stage = _presence_stage(
        data,
        **_common(time, loc, prod, value),
        presence=presence,
        rca_threshold=rca_threshold,
        rpop_threshold=rpop_threshold,
        pop=pop,
        pop_value=pop_value,
        missing=missing,
        duplicates=duplicates,
        levels=continuous and proximity is None,
        source=source,
    )
    m = stage.m
    k = m.sum(axis=2)
    u = m.sum(axis=1)
    _warn_invalid(stage, k, u)
    # Stata's long rows: valid locations x sectors with a positive total in the period
    prod_active = stage.x.sum(axis=1) > 0
    n_long = (k > 0).sum(axis=1) * prod_active.sum(axis=1)
    sign_arg: str | np.ndarray = sign
    if isinstance(sign, pd.Series):
        sign_arg = _align_sign(sign, stage)
    eig = eigenvector_arrays(m, n_long=n_long, sd=sd, sign=sign_arg, solver=solver)
    _warn_eigen(stage, eig["eigenvalue"], eig["sd"])
    res = Complexity(
        stage,
        k,
        u,
        eig["eci"],
        eig["pci"],
        eig["kc"],
        eig["kp"],
        eig["sd"],
        options={"sd": sd, "diagonal": diagonal, "presence": presence},
    )
    if not density:
        return res
    if proximity is not None:
        names = stage.cube.names
        phi = relatedness._proximity_from_table(
            proximity, stage.cube, prod=names["prod"], time=names["time"], has_time=stage.has_time
        )
    else:
        method = "continuous" if continuous else ("conditional" if asymmetric else "min_conditional")
        phi = relatedness.proximity_array(m, method=method, levels=stage.levels, active=stage.active)
    if not diagonal:
        relatedness._set_diagonal(phi, 0.0)
    res.proximity = phi
    w = relatedness.density_array(None, phi, diagonal=diagonal, knn=knn, knn_ties=knn_ties, weights=True)
    res.weights = w
    levels = np.nan_to_num(stage.levels, nan=0.0) if stage.levels is not None else m
    dens = np.matmul(levels, w)
    # COI and COG on the unnormalised kp; sectors outside the eigenproblem contribute nothing
    kp0 = np.nan_to_num(eig["kp"], nan=0.0)
    d0 = np.nan_to_num(dens) if np.isnan(w).any() else dens  # sectors related to nothing add nothing
    coi_raw = np.einsum("tlp,tp->tl", d0, kp0) - np.einsum("tlp,tlp,tp->tl", d0, m, kp0)
    del d0
    vl = k > 0
    coi_mean, coi_sd = _masked_moments(coi_raw, vl, sd, n_long.astype(float))
    coi = np.where(vl, (coi_raw - coi_mean[:, None]) / coi_sd[:, None], np.nan)
    rowsum = phi.sum(axis=2)  # sum_r phi_qr, (T, Q)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(rowsum > 0, kp0 / rowsum, 0.0)  # (T, Q)
    # cog_cp = (1 - M_cp) sum_q (1 - M_cq) gain_q phi_qp, without (T, L, P) temporaries beyond one
    held = m * gain[:, None, :]
    cog = np.matmul(held, phi)
    del held
    np.subtract(np.matmul(gain[:, None, :], phi), cog, out=cog)
    cog[m > 0] = 0.0
    cog /= eig["sd"][:, None, None]
    inactive = ~stage.active
    dens[inactive] = np.nan
    cog[inactive] = np.nan
    res.density, res.coi, res.cog = dens, coi, cog
    return res


def _align_sign(sign: pd.Series, stage: _Stage) -> np.ndarray:
    """A location attribute (indexed by loc, or by (time, loc)) on the cube's axes."""
    cube = stage.cube
    if isinstance(sign.index, pd.MultiIndex):
        idx = pd.MultiIndex.from_product([cube.times, cube.locs])
        return sign.reindex(idx).to_numpy(dtype=float).reshape(cube.shape[:2])
    return np.broadcast_to(sign.reindex(cube.locs).to_numpy(dtype=float), cube.shape[:2])


def ecomplexity_table(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    presence: Presence = "rca",
    rca_threshold: float = 1.0,
    rpop_threshold: float = 1.0,
    pop: pd.DataFrame | None = None,
    pop_value: str | None = None,
    continuous: bool = False,
    asymmetric: bool = False,
    proximity: pd.DataFrame | None = None,
    knn: int | None = None,
    knn_ties: relatedness.KnnTies = "stata",
    diagonal: bool = False,
    sd: SdConvention = "stata",
    sign: str | pd.Series = "diversity",
    solver: Solver = "auto",
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
    source: str = "the input table",
    check_logsupermodularity: bool = False,
) -> pd.DataFrame:
    """py-ecomplexity-compatible output: one row per (time, loc, prod) of the full rectangle.

    Columns: the input value, ``rca`` (NaN with ``presence="manual"``), ``rpop`` (with a
    population), ``mcp, diversity, ubiquity, eci, pci, density, distance, coi, cog`` -- the names
    and meanings of py-ecomplexity / Stata ``ecomplexity``. The defaults reproduce Stata's outputs;
    ``sd="ddof0", diagonal=True`` reproduce py-ecomplexity's. Parameters as :func:`compute`;
    ``check_logsupermodularity=True`` also runs py-ecomplexity's default check -- exactly, see
    :meth:`Complexity.log_supermodularity` -- and warns (:class:`~clusterix_lib.cube.DataWarning`)
    naming the periods where less than 80 % of the inequalities hold.

    Examples
    --------
    >>> df = pd.DataFrame({"year": 2020, "country": list("AAABBBCCC"), "product": list("xyzxyzxyz"),
    ...                    "export": [5, 3, 0, 1, 0, 4, 2, 2, 2]})
    >>> out = ecomplexity_table(df, loc="country", prod="product", value="export")
    >>> out[["country", "product", "mcp", "diversity", "ubiquity", "eci", "pci"]].head(3).round(3)
      country product  mcp  diversity  ubiquity    eci    pci
    0       A       x    1          2         1  1.234  1.774
    1       A       y    1          2         2  1.234  0.694
    2       A       z    0          2         2  1.234 -1.054
    """
    res = compute(
        data,
        **_common(time, loc, prod, value),
        presence=presence,
        rca_threshold=rca_threshold,
        rpop_threshold=rpop_threshold,
        pop=pop,
        pop_value=pop_value,
        continuous=continuous,
        asymmetric=asymmetric,
        proximity=proximity,
        knn=knn,
        knn_ties=knn_ties,
        diagonal=diagonal,
        sd=sd,
        sign=sign,
        solver=solver,
        missing=missing,
        duplicates=duplicates,
        source=source,
    )
    if check_logsupermodularity:
        warn_log_supermodularity(res)
    return res.table()


def warn_log_supermodularity(res: Complexity) -> pd.DataFrame:
    """Run :meth:`Complexity.log_supermodularity` and warn about the periods below the 80 % bar."""
    lsm = res.log_supermodularity()
    low = lsm[lsm["below"]]
    if len(low):
        names = res.cube.names
        where = (
            [f"{t}: {v:.1%}" for t, v in zip(low[names["time"]], low["share"], strict=True)]
            if res.stage.has_time
            else [f"{v:.1%}" for v in low["share"]]
        )
        _warn(
            f"{res.stage.source}: the matrix is not log-supermodular in the ECI/PCI order -- share of the "
            f"inequalities that hold {_listing(where)} (below 80 %): the ECI and PCI may not rank the "
            "locations and sectors by what the data show (see clusterix_lib.supermodularity)"
        )
    return lsm


def proximity_table(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    presence: Presence = "rca",
    rca_threshold: float = 1.0,
    rpop_threshold: float = 1.0,
    pop: pd.DataFrame | None = None,
    pop_value: str | None = None,
    continuous: bool = False,
    asymmetric: bool = False,
    diagonal: bool = False,
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
    source: str = "the input table",
) -> pd.DataFrame:
    """py-ecomplexity's ``proximity()``: ``time, {prod}_1, {prod}_2, proximity`` for every ordered pair.

    Discrete symmetric (minimum conditional probability), ``asymmetric`` (row = :math:`P(q \\mid p)`,
    as Stata's ``genproximity ..., asym``) or ``continuous``. Self-pairs are reported as 0 unless
    ``diagonal=True`` (then 1), as Stata's ``genproximity`` files do.

    >>> df = pd.DataFrame({"year": 2020, "c": list("AABBCC"), "p": list("xyxyxy"), "v": [1, 0, 1, 1, 0, 1]})
    >>> proximity_table(df, loc="c", prod="p", value="v", presence="manual")["proximity"].tolist()
    [0.0, 0.5, 0.5, 0.0]
    """
    method = "continuous" if continuous else ("conditional" if asymmetric else "min_conditional")
    return relatedness.proximity(
        data,
        **_common(time, loc, prod, value),
        method=method,
        diagonal=diagonal,
        presence=presence,
        rca_threshold=rca_threshold,
        rpop_threshold=rpop_threshold,
        pop=pop,
        pop_value=pop_value,
        missing=missing,
        duplicates=duplicates,
        source=source,
    )


class EciPci(NamedTuple):
    """ECI by location (``time, loc, diversity, eci``) and PCI by sector (``time, prod, ubiquity, pci``)."""

    locations: pd.DataFrame
    sectors: pd.DataFrame


class Reflections(NamedTuple):
    """Method of reflections: ``kc_0 … kc_n`` by location and ``kp_0 … kp_n`` by sector."""

    locations: pd.DataFrame
    sectors: pd.DataFrame


class Fitness(NamedTuple):
    """Fitness by location (``time, loc, fitness``) and complexity by sector (``time, prod, complexity``)."""

    locations: pd.DataFrame
    sectors: pd.DataFrame


def eci_pci(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    presence: Presence = "rca",
    rca_threshold: float = 1.0,
    rpop_threshold: float = 1.0,
    pop: pd.DataFrame | None = None,
    pop_value: str | None = None,
    sd: SdConvention = "stata",
    sign: str | pd.Series = "diversity",
    solver: Solver = "auto",
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
) -> EciPci:
    """Economic Complexity Index of every location and Product Complexity Index of every sector, by period.

    Conventions (sign, sd) in the module docstring; the example there is the Hidalgo-Hausmann toy.
    """
    res = compute(
        data,
        **_common(time, loc, prod, value),
        presence=presence,
        rca_threshold=rca_threshold,
        rpop_threshold=rpop_threshold,
        pop=pop,
        pop_value=pop_value,
        sd=sd,
        sign=sign,
        solver=solver,
        density=False,
        missing=missing,
        duplicates=duplicates,
    )
    return EciPci(
        res.stage.long_by_location(diversity=res.diversity.astype(np.int64), eci=res.eci),
        res.stage.long_by_sector(ubiquity=res.ubiquity.astype(np.int64), pci=res.pci),
    )


def reflections(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    steps: int = 20,
    **presence_options,
) -> Reflections:
    """Method of reflections (Hidalgo & Hausmann 2009), raw (not EconGeo's 0-100 rescaling).

    >>> toy = pd.DataFrame({"year": 2000, "c": ["C1"] * 4 + ["C2", "C3", "C3", "C4"],
    ...                     "p": ["P1", "P2", "P3", "P4", "P2", "P3", "P4", "P4"], "m": 1})
    >>> reflections(toy, loc="c", prod="p", value="m", steps=2, presence="manual").locations.round(4)
       year   c  kc_0  kc_1    kc_2
    0  2000  C1   4.0   2.0  2.9583
    1  2000  C2   1.0   2.0  2.5000
    2  2000  C3   2.0   2.5  2.6667
    3  2000  C4   1.0   3.0  2.3333
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ParameterError(f"steps={steps!r} must be a non-negative integer", where="parameter steps")
    stage = _presence_stage(data, **_common(time, loc, prod, value), **presence_options)
    kc, kp = reflections_arrays(stage.m, int(steps))
    return Reflections(
        stage.long_by_location(**{f"kc_{n}": kc[n] for n in range(steps + 1)}),
        stage.long_by_sector(**{f"kp_{n}": kp[n] for n in range(steps + 1)}),
    )


def fitness_complexity(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    iterations: int = 200,
    **presence_options,
) -> Fitness:
    """Fitness of locations and complexity of sectors (Tacchella et al. 2012), by period.

    >>> toy = pd.DataFrame({"year": 2000, "c": ["C1"] * 4 + ["C2", "C3", "C3", "C4"],
    ...                     "p": ["P1", "P2", "P3", "P4", "P2", "P3", "P4", "P4"], "m": 1})
    >>> f = fitness_complexity(toy, loc="c", prod="p", value="m", presence="manual").locations
    >>> f.sort_values("fitness", ascending=False)["c"].tolist()
    ['C1', 'C3', 'C2', 'C4']
    """
    if not (isinstance(iterations, (int, np.integer)) and iterations >= 1):
        raise ParameterError(f"iterations={iterations!r} must be a positive integer", where="parameter iterations")
    stage = _presence_stage(data, **_common(time, loc, prod, value), **presence_options)
    f, q = fitness_arrays(stage.m, int(iterations))
    return Fitness(stage.long_by_location(fitness=f), stage.long_by_sector(complexity=q))


def rca(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
) -> pd.DataFrame:
    """Balassa RCA of every (time, loc, prod): columns ``value, rca`` (NaN for an empty location or sector).

    >>> df = pd.DataFrame({"year": 2020, "c": list("AABB"), "p": list("xyxy"), "v": [1, 3, 1, 1]})
    >>> rca(df, loc="c", prod="p", value="v")["rca"].round(3).tolist()
    [0.75, 1.125, 1.5, 0.75]
    """
    stage = _presence_stage(data, **_common(time, loc, prod, value), missing=missing, duplicates=duplicates)
    return stage.long(**{stage.cube.names["value"]: stage.cube.values, "rca": stage.rca})


def rpop(
    data,
    pop: pd.DataFrame,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    pop_value: str | None = None,
    missing: Literal["error", "zero"] = "error",
    duplicates: Literal["error", "sum"] = "error",
) -> pd.DataFrame:
    """RPOP of every (time, loc, prod): columns ``value, population, rpop``.

    >>> df = pd.DataFrame({"year": 2020, "c": list("AABB"), "p": list("xyxy"), "v": [1, 3, 1, 1]})
    >>> pop = pd.DataFrame({"year": 2020, "c": ["A", "B"], "inhabitants": [1, 3]})
    >>> rpop(df, pop, loc="c", prod="p", value="v")["rpop"].round(3).tolist()
    [2.0, 3.0, 0.667, 0.333]
    """
    stage = _presence_stage(
        data,
        **_common(time, loc, prod, value),
        presence="rpop",
        pop=pop,
        pop_value=pop_value,
        missing=missing,
        duplicates=duplicates,
    )
    return stage.long(
        **{stage.cube.names["value"]: stage.cube.values, "population": ("loc", stage.pop), "rpop": stage.rpop}
    )


def presence(
    data,
    *,
    time: str | None = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    **presence_options,
) -> pd.DataFrame:
    """Binary presence ``mcp`` of every (time, loc, prod), with ``rca`` / ``rpop`` when computed.

    ``presence_options``: ``presence="rca"|"rpop"|"either"|"manual", rca_threshold=1,
    rpop_threshold=1, pop=None, pop_value=None, missing="error", duplicates="error"``.

    >>> df = pd.DataFrame({"year": 2020, "c": list("AABB"), "p": list("xyxy"), "v": [1, 3, 1, 1]})
    >>> presence(df, loc="c", prod="p", value="v")["mcp"].tolist()
    [0, 1, 1, 0]
    """
    stage = _presence_stage(data, **_common(time, loc, prod, value), **presence_options)
    cols = {}
    if stage.rca is not None:
        cols["rca"] = stage.rca
    if stage.rpop is not None:
        cols["rpop"] = stage.rpop
    cols["mcp"] = stage.m.astype(np.int64)
    return stage.long(**cols)
