r"""Log-supermodularity: does the ECI/PCI ranking describe the matrix it was computed from?

The ECI and PCI rank locations and sectors; they are a faithful *structural* ranking when the
matrix :math:`M` (RCA, RPOP or presence) is log-supermodular in that order (Schetter, Diodato,
Protzer, Neffke & Hausmann, *A structural ranking of economic complexity*, Growth Lab 2024): for
every pair of locations :math:`c' \succ c` (higher ECI) and every pair of sectors
:math:`p' \succ p` (higher PCI),

.. math:: \frac{M_{c'p'}}{M_{c'p}} > \frac{M_{cp'}}{M_{cp}},

i.e. the more complex location is relatively stronger in the more complex sector. Real data never
satisfy every inequality; the share that holds is the diagnostic, and py-ecomplexity warns below
80 %. A ratio with a zero denominator counts as 0 (py-ecomplexity's rule), so an inequality
holds only if its left side is positive and larger.

py-ecomplexity estimates the share from a random sample of about 10,000 matrix cells (half the
locations and half the sectors on a 288 × 68 matrix) with dense four-dimensional arrays. Here it
is **exact** -- every pair of valid locations and every pair of valid sectors -- and
deterministic: for each sector pair :math:`(p', p)` the ratios
:math:`r_c = M_{cp'}/M_{cp}` are taken in ECI order and the pairs :math:`c' \succ c` with
:math:`r_{c'} > r_c` are counted as inversions with a Fenwick tree that runs over the locations
once for all sector pairs and periods together. Cost :math:`O(T L P^2 \log L)` time; memory is
bounded by working through the sector pairs in chunks.

Locations with an undefined ECI (zero total, diversity 0) and sectors with an undefined PCI are
left out; a period with fewer than two of either has no pairs (share NaN).

>>> m = np.array([[[4.0, 2.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 2.0]]])  # (T, L, P)
>>> eci = np.array([[1.0, 0.0, -1.0]])
>>> pci = np.array([[0.5, 0.0, -0.5]])
>>> share, pairs = log_supermodularity_arrays(m, eci, pci)
>>> pairs.tolist(), share.round(3).tolist()
([9], [0.778])
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from clusterix_lib.errors import ParameterError

__all__ = ["THRESHOLD", "log_supermodularity_arrays", "log_supermodularity_table"]

#: py-ecomplexity's bar: below this share of inequalities holding it warns that the ECI and PCI
#: "may not be a true representation of the complexity".
THRESHOLD = 0.8
#: (period, sector pair, location) cells handled together (bounds memory at ~ 30 bytes each)
_CHUNK_CELLS = 40_000_000
#: default limit of :func:`log_supermodularity_arrays`: 100 times the real NUTS 2 extract
MAX_CELLS = 5e8


def _order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per period: positions sorted by value, highest first (undefined last), and the valid count."""
    valid = np.isfinite(values)
    key = np.where(valid, -values, np.inf)
    return np.argsort(key, axis=1, kind="stable"), valid.sum(axis=1)


def _inversions(r: np.ndarray, n_valid: np.ndarray) -> np.ndarray:
    """Per row of ``r`` ``(C, L)``: pairs ``i' < i < n_valid[row]`` with ``r[i'] > r[i]``.

    A stable sort gives each row's order (of equal values the earlier position comes first, so
    it never counts as greater). The elements are then taken from the largest down, every row
    at once, with one bitset per row of the positions taken so far: an element's count is the
    popcount of the taken positions before its own. ``ceil(L / 64)`` words per row; positions
    from ``n_valid`` on (left-out locations, placed last) are taken but never counted.
    """
    c, n = r.shape
    # r >= 0 (+0.0, never -0.0): its IEEE-754 bits order as int64 exactly as the floats do, and
    # numpy's stable sort runs faster on integers
    order = np.argsort(r.view(np.int64), axis=1, kind="stable")
    order = order.astype(np.int16 if n < 2**15 else np.int64).T.copy()  # (L, C): one rank at a time
    words = (n + 63) // 64
    bit = np.arange(words * 64, dtype=np.uint64)
    before = (bit[None, :] < np.arange(n, dtype=np.uint64)[:, None]).reshape(n, words, 64)
    before = np.bitwise_or.reduce(before.astype(np.uint64) << bit[:64], axis=2).T.copy()  # (words, n): positions < p
    taken = np.zeros((words, c), dtype=np.uint64)  # word-major: each word of every row contiguous
    flat = taken.reshape(-1)
    cols = np.arange(c, dtype=np.int64)
    one = np.uint64(1)
    count = np.zeros(c, dtype=np.int64)
    hits = np.empty((words, c), dtype=np.uint64)
    for k in range(n - 1, -1, -1):  # ranks, largest first
        pos = order[k].astype(np.int64)
        np.take(before, pos, axis=1, out=hits)
        hits &= taken
        greater = np.bitwise_count(hits).sum(axis=0, dtype=np.int64)
        greater[pos >= n_valid] = 0
        count += greater
        flat[(pos >> 6) * c + cols] |= one << (pos & 63).astype(np.uint64)
    return count


def log_supermodularity_arrays(
    matrix: np.ndarray,
    eci: np.ndarray,
    pci: np.ndarray,
    *,
    threads: int | None = None,
    max_cells: float | None = MAX_CELLS,
) -> tuple[np.ndarray, np.ndarray]:
    """Share of log-supermodular inequalities per period, exactly (see the module docstring).

    Parameters
    ----------
    matrix
        ``(T, L, P)`` non-negative levels (RCA, RPOP or 0/1 presence); NaN counts as 0.
    eci, pci
        ``(T, L)`` and ``(T, P)``; NaN marks a location or sector left out.
    threads
        Threads sharing the sector pairs (numpy's sorts and loops release the GIL); default: the
        CPUs this process may use.
    max_cells
        Refuse (:class:`~clusterix_lib.errors.ParameterError`) inputs with more than this many
        (period, sector pair, location) cells -- the work grows with the square of the sectors;
        ``None``: no limit.

    Returns
    -------
    share, pairs
        ``(T,)`` share of the inequalities that hold (NaN without pairs) and ``(T,)`` number of
        inequalities compared, :math:`\\binom{L_t}{2}\\binom{P_t}{2}`.
    """
    matrix = np.asarray(matrix, dtype=float)
    eci, pci = np.asarray(eci, dtype=float), np.asarray(pci, dtype=float)
    if matrix.ndim != 3 or eci.shape != matrix.shape[:2] or pci.shape != (matrix.shape[0], matrix.shape[2]):
        raise ParameterError(
            f"shapes do not match: matrix {matrix.shape}, eci {eci.shape}, pci {pci.shape}; "
            "expected (T, L, P), (T, L), (T, P)",
            where="log_supermodularity_arrays",
        )
    if (matrix < 0).any() or np.isinf(matrix).any():
        raise ParameterError(
            "the matrix must hold non-negative finite levels (RCA, RPOP or 0/1 presence)",
            where="log_supermodularity_arrays",
        )
    matrix = np.nan_to_num(matrix, nan=0.0)  # NaN cells (locations left out of a period) count as 0
    t_n, n_l, n_p = matrix.shape
    cells = t_n * n_l * n_p * (n_p - 1) / 2
    if max_cells is not None and cells > max_cells:
        raise ParameterError(
            f"the exact log-supermodularity check of {t_n} period(s) x {n_l} locations x {n_p} sectors "
            f"compares {cells:,.0f} (period, sector pair, location) cells, more than the limit of {max_cells:,.0f} "
            f"(about a minute of work on one core)",
            where="log-supermodularity check",
            hint="check fewer periods or a coarser sector level, or pass max_cells=None to run it anyway",
        )
    rows, n_loc = _order(eci)
    cols, n_sec = _order(pci)
    m = np.take_along_axis(matrix, rows[:, :, None], axis=1)
    m = np.take_along_axis(m, cols[:, None, :], axis=2)  # locations by ECI, sectors by PCI, both descending
    m = np.ascontiguousarray(m.transpose(0, 2, 1))  # (T, P, L): a sector's locations contiguous
    hi, lo = np.triu_indices(n_p, 1)  # sector pairs p' (more complex) before p
    pairs_ok = lo[None, :] < n_sec[:, None]  # (T, pairs): both sectors valid
    threads = max(1, threads or os.cpu_count() or 1)
    # chunks of sector pairs: at least one per thread, each small enough to bound the memory
    per_chunk = max(1, min(_CHUNK_CELLS // max(1, t_n * n_l), -(-hi.size // threads)))
    chunks = [slice(a, a + per_chunk) for a in range(0, hi.size, per_chunk)]

    def holds_in(chunk: slice) -> np.ndarray:
        h, lw = hi[chunk], lo[chunk]
        num, den = m[:, h, :], m[:, lw, :]  # (T, C, L)
        r = np.zeros(num.shape)
        np.divide(num, den, out=r, where=den > 0)  # a zero denominator counts as 0 (+0.0)
        k = h.size
        inv = _inversions(r.reshape(t_n * k, n_l), np.repeat(n_loc, k)).reshape(t_n, k)
        return np.where(pairs_ok[:, chunk], inv, 0).sum(axis=1)

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(chunks))) as pool:
            parts = list(pool.map(holds_in, chunks))
    else:
        parts = [holds_in(c) for c in chunks]
    holds = np.sum(parts, axis=0, dtype=np.int64)
    total = (n_loc * (n_loc - 1) // 2) * (n_sec * (n_sec - 1) // 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, holds / np.maximum(total, 1), np.nan)
    return share, total.astype(np.int64)


def log_supermodularity_table(
    matrix: np.ndarray, eci: np.ndarray, pci: np.ndarray, times: pd.Index, *, threads: int | None = None
) -> pd.DataFrame:
    """One row per period: ``share`` of inequalities holding, ``pairs`` compared, ``below`` the 80 % bar.

    >>> m = np.array([[[4.0, 2.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 2.0]]])
    >>> log_supermodularity_table(m, [[1.0, 0.0, -1.0]], [[0.5, 0.0, -0.5]], pd.Index([2020], name="year"))
       year     share  pairs  below
    0  2020  0.777778      9   True
    """
    share, pairs = log_supermodularity_arrays(matrix, eci, pci, threads=threads)
    return pd.DataFrame(
        {times.name or "time": np.asarray(times), "share": share, "pairs": pairs, "below": ~(share >= THRESHOLD)}
    )
