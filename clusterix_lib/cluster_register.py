r"""The consortium's cluster register and cross-cluster matchmaking.

A register is a CSV (``data/clusters_clusterix2.csv``; columns in its ``.md``): one cluster
organisation per row with its home region, its sectors as NACE codes, members by type and its
excellence label where known. Rows without a public source are marked illustrative.

**Matchmaking.** Clusters *a* and *b* with sector sets :math:`A, B` (NACE divisions) are scored on

- *shared sectors* (partners for scale): Jaccard :math:`J_{ab} = |A \cap B| / |A \cup B|`;
- *complementary sectors* (partners for new value chains): the strongest relatedness between a
  sector only *a* covers and a sector only *b* covers,
  :math:`R_{ab} = \max_{i \in A \setminus B,\, j \in B \setminus A} \varphi_{ij}`, with
  :math:`\varphi` the proximity of sectors estimated from co-location across Europe's NUTS 2
  regions (:func:`clusterix_lib.complementarity.sector_proximity`);

and :math:`score = w J_{ab} + (1 - w) R_{ab}` (``w_shared``, default 0.4). Pairs within one region
are cross-sector partnerships (ClusteriX 2.0's first sub-objective), pairs across regions
interregional ones (its second). All pairs come from a few array operations over the
``(K, P)`` matrix of cluster sectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import nuts, paths
from clusterix_lib.competences import nace_divisions, prime_nace_codes
from clusterix_lib.errors import ClusterixError, ParameterError, location
from clusterix_lib.fileio import number_column, read_text_csv, row_failer

__all__ = ["CLUSTER_FILE", "MEMBER_TYPES", "cluster_pairs", "load_clusters", "region_clusters"]

CLUSTER_FILE = "clusters_clusterix2.csv"
MEMBER_TYPES = ("sme", "large", "research", "public", "other")
REQUIRED = ("cluster_id", "name", "region", "nace_codes")
LABELS = ("", "bronze", "silver", "gold")


def load_clusters(path: str | Path | None = None, *, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a cluster register.

    Checks: required columns and values (a cluster without a region is an error), unique
    ``cluster_id``, ``region`` a NUTS 2021 code, NACE codes known, member counts whole numbers
    ≥ 0, label empty or bronze/silver/gold. The first problem raises
    :class:`~clusterix_lib.errors.DataFileError` naming file, line, column and value. Adds
    ``divisions`` (list), ``members_total`` and ``illustrative`` (bool).
    """
    path = Path(path) if path else paths.data_dir() / CLUSTER_FILE
    member_cols = [f"members_{t}" for t in MEMBER_TYPES]
    table = read_text_csv(
        path, REQUIRED, what="cluster register", optional=[*member_cols, "label", "illustrative", "source"]
    )

    fail = row_failer(path, table)

    for col in REQUIRED:
        empty = table.index[table[col] == ""]
        if len(empty):
            fail(empty[0], col, f"cluster without {col}", f"fill in {col} for every cluster")
    dup = table.index[table["cluster_id"].duplicated()]
    if len(dup):
        fail(dup[0], "cluster_id", "cluster_id used twice", "give every cluster its own id")
    codes = []
    for row, code in enumerate(table["region"]):
        try:
            codes.append(nuts.validate_region(code, regions=regions))
        except ClusterixError as exc:
            fail(row, "region", exc.what, exc.hint or "use a NUTS 2021 code")
    # explicit dtypes: a header-only file gives the same columns and types as a filled one
    table["region"] = pd.Series(codes, index=table.index, dtype=table["cluster_id"].dtype)
    for col in member_cols:  # an empty count is unknown (NA), not zero
        table[col] = number_column(table, col, fail, whole=True, lo=0).astype("Int64")
    table["label"] = table["label"].str.lower()
    bad = table.index[~table["label"].isin(LABELS)]
    if len(bad):
        fail(bad[0], "label", "unknown label", "use bronze, silver, gold, or leave it empty")
    prime_nace_codes(table["nace_codes"])
    table["divisions"] = pd.Series(
        [
            nace_divisions(v, where=location(path, line=i + 2, column="nace_codes"))
            for i, v in enumerate(table["nace_codes"])
        ],
        index=table.index,
        dtype=object,
    )
    # the total is unknown when any count is (a partial sum would understate the cluster)
    table["members_total"] = table[member_cols].sum(axis=1, skipna=False)
    table["illustrative"] = table["illustrative"].str.lower().isin(["yes", "true", "1", "y"]).astype(bool)
    return table


def region_clusters(register: pd.DataFrame, code: str) -> pd.DataFrame:
    """The clusters of a region: those registered in it or in a region nested in it (or it in them)."""
    r = register["region"].astype(str)
    inside = np.array([c.startswith(code) or code.startswith(c) for c in r], dtype=bool)
    return register[inside].reset_index(drop=True)


def cluster_pairs(
    register: pd.DataFrame,
    proximity: np.ndarray,
    sectors: Sequence[str],
    *,
    scope: str = "all",
    region: str | None = None,
    w_shared: float = 0.4,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Every pair of clusters scored by shared and complementary sectors, best first, each with a one-line reason.

    ``scope``: ``"within"`` (same region), ``"across"`` (different regions) or ``"all"``;
    ``region``: keep the pairs involving a cluster of this region (first in each pair).
    ``proximity`` is a ``(P, P)`` array over ``sectors``; a sector outside them relates to nothing.
    Columns ``cluster_a, name_a, region_a, cluster_b, name_b, region_b, scope, shared, related,
    score, sector_a, sector_b, reason``.

    >>> reg = pd.DataFrame({"cluster_id": ["p", "m"], "name": ["Plastics", "Mechatronics"],
    ...                     "region": ["AT12", "HU22"], "divisions": [["C22"], ["C28"]]})
    >>> phi = np.array([[0.0, 0.6], [0.6, 0.0]])
    >>> cluster_pairs(reg, phi, ["C22", "C28"])[["cluster_a", "cluster_b", "related", "score"]].round(2).values.tolist()
    [['p', 'm', 0.6, 0.36]]
    """
    if scope not in ("all", "within", "across"):
        raise ParameterError(f"scope={scope!r} is not one of 'all', 'within', 'across'", where="parameter scope")
    if not 0 <= w_shared <= 1:
        raise ParameterError(f"w_shared={w_shared!r} must lie between 0 and 1", where="parameter w_shared")
    labels = labels or {}
    sec = list(sectors)
    pos = {s: i for i, s in enumerate(sec)}
    k, p = len(register), len(sec)
    x = np.zeros((k, p))
    ri = [(row, pos[d]) for row, divs in enumerate(register["divisions"]) for d in divs if d in pos]
    if ri:
        rows, cols = zip(*ri, strict=True)
        x[list(rows), list(cols)] = 1.0
    inter = x @ x.T
    size = x.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shared = np.nan_to_num(inter / (size[:, None] + size[None, :] - inter))
    only_a = x[:, None, :] * (1 - x[None, :, :])  # (K, K, P): sectors a covers and b does not
    # best[a, b, i, j] = only_a[a, b, i] * phi[i, j] * only_a[b, a, j]
    best = only_a[:, :, :, None] * proximity[None, None] * only_a.transpose(1, 0, 2)[:, :, None, :]
    flat = best.reshape(k, k, p * p)
    arg = flat.argmax(axis=2)
    related = np.take_along_axis(flat, arg[..., None], axis=2)[..., 0]
    score = w_shared * shared + (1 - w_shared) * related
    a, b = np.triu_indices(k, 1)
    reg_codes = register["region"].to_numpy()
    same = reg_codes[a] == reg_codes[b]
    if region is not None:
        in_a = np.array([c.startswith(region) or region.startswith(c) for c in reg_codes])
        swap = ~in_a[a] & in_a[b]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        keep = in_a[a]
        a, b, same = a[keep], b[keep], same[keep]
    if scope != "all":
        keep = same if scope == "within" else ~same
        a, b, same = a[keep], b[keep], same[keep]
    ids, names = register["cluster_id"].to_numpy(), register["name"].to_numpy()
    si, sj = arg[a, b] // p, arg[a, b] % p
    out = pd.DataFrame(
        {
            "cluster_a": ids[a],
            "name_a": names[a],
            "region_a": reg_codes[a],
            "cluster_b": ids[b],
            "name_b": names[b],
            "region_b": reg_codes[b],
            "scope": np.where(same, "within region", "across regions"),
            "shared": shared[a, b],
            "related": related[a, b],
            "score": score[a, b],
            "sector_a": np.where(related[a, b] > 0, np.array(sec, dtype=object)[si], ""),
            "sector_b": np.where(related[a, b] > 0, np.array(sec, dtype=object)[sj], ""),
        }
    )

    def lab(code: str) -> str:
        return f"{labels[code]} ({code})" if code in labels else code

    def reason(r) -> str:
        parts = []
        if r.related > 0:
            parts.append(
                f"{lab(r.sector_a)} and {lab(r.sector_b)} are related: regions strong in one are often "
                f"strong in the other (proximity {r.related:.2f})"
            )
        if r.shared > 0:
            parts.append(f"they share {r.shared:.0%} of their sectors")
        return "; ".join(parts) if parts else "no shared or related sectors"

    out["reason"] = [reason(r) for r in out.itertuples()]
    return out.sort_values(["score", "cluster_a", "cluster_b"], ascending=[False, True, True]).reset_index(drop=True)
