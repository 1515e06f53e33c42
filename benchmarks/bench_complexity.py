"""Time the complexity pipeline against py-ecomplexity, and on a large synthetic case.

1. **Real data**: the employment extract (``clusterix_lib.datasets.employment()``), NUTS-2
   regions, NACE divisions, all years, withheld values (NaN) as 0. The full pipeline (long table
   in, long table out: :func:`clusterix_lib.complexity.ecomplexity_table` with py-ecomplexity's
   conventions ``sd="ddof0", diagonal=True``) against ``ecomplexity.ecomplexity`` on the same
   DataFrame, side by side in one run, best of a few repeats. The outputs must agree (asserted;
   the max absolute difference per column is printed). Also timed: the same from a prebuilt
   :class:`~clusterix_lib.cube.Cube`, the engine alone (arrays out), and the floors -- building
   the cube from the long table (:func:`~clusterix_lib.cube.to_cube`), building the long output,
   one batched co-occurrence product. And the package's *default* pipeline, which includes its
   log-supermodularity check, against ours with the same check
   (``check_logsupermodularity=True``: exact over every pair instead of py-ecomplexity's
   ~10,000-cell sample; its shares are printed next to ours, they differ because its sampled
   version pairs the wrong cells -- see :mod:`clusterix_lib.supermodularity`), with the check's
   floor: one stable sort of every sector pair's ratios over the locations.
2. **Synthetic**: 1,500 regions x 600 sectors x 20 years from an in-memory cube through the whole
   engine (ECI/PCI, proximity, density, COI, COG), in a fresh process so that its peak memory is
   its own: wall time, peak RSS (``getrusage``) and the tracemalloc peak of a second run. The long
   output of that case (18 million rows x 14 columns, ~2 GB) is not built: at that size use the
   arrays of :func:`clusterix_lib.complexity.compute`.

``--quick``: a small synthetic case only (seconds), for the test suite. Results also go to
``build/bench/complexity.json``. No assertions on time: compare runs on the same machine.

    python benchmarks/bench_complexity.py            # make bench
    python benchmarks/bench_complexity.py --quick
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "bench" / "complexity.json"
COLUMNS = ("rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")
RTOL = 1e-8


def best_of(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def synthetic_cube(n_loc: int, n_prod: int, n_time: int, seed: int = 0):
    """Nested-ish counts: capable regions hold complex sectors, lognormal sizes, 30 % zeros."""
    from clusterix_lib.cube import Cube

    rng = np.random.default_rng(seed)
    capability, difficulty = rng.random(n_loc), rng.random(n_prod)
    base = np.where(capability[:, None] + 0.3 * rng.standard_normal((n_loc, n_prod)) > difficulty[None, :], 1.0, 0.05)
    x = np.empty((n_time, n_loc, n_prod))
    for t in range(n_time):  # building the input, not measured
        x[t] = np.round(base * rng.lognormal(3, 1.5, (n_loc, n_prod)) * (rng.random((n_loc, n_prod)) > 0.3))
    names = {"time": "year", "loc": "geo", "prod": "nace_r2", "value": "value"}
    return Cube(
        x,
        pd.Index(range(2000, 2000 + n_time), name="year"),
        pd.Index([f"R{i:04d}" for i in range(n_loc)], name="geo"),
        pd.Index([f"S{j:03d}" for j in range(n_prod)], name="nace_r2"),
        names,
    )


def real_input() -> pd.DataFrame:
    from clusterix_lib import datasets, nuts

    emp = datasets.employment()
    emp = emp[emp["geo"].map(nuts.nuts_level) == 2]
    return emp.assign(value=emp["value"].fillna(0.0))[["year", "geo", "nace_r2", "value"]].reset_index(drop=True)


PEER_LSM_LINE = "Percentage of pairs compared that meet log-supermodularity condition:"


def run_ecomplexity(df: pd.DataFrame, printed: list | None = None, **kwargs) -> pd.DataFrame:
    """py-ecomplexity on our table; what it prints (the check's shares) goes to ``printed``."""
    from ecomplexity import ecomplexity

    cols = {"time": "year", "loc": "geo", "prod": "nace_r2", "val": "value"}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity(df, cols, verbose=False, **kwargs)
    if printed is not None:
        lines = buf.getvalue().splitlines()
        printed[:] = [float(line.split(":")[1].strip(" %")) / 100 for line in lines if line.startswith(PEER_LSM_LINE)]
    return out


def compare(theirs: pd.DataFrame, ours: pd.DataFrame) -> dict[str, float]:
    """Max absolute difference per column; asserts agreement and the same undefined cells."""
    merged = theirs.merge(ours, on=["year", "geo", "nace_r2"], suffixes=("_pe", ""), validate="1:1")
    assert len(merged) == len(theirs) == len(ours), (len(merged), len(theirs), len(ours))
    diffs = {}
    for col in COLUMNS:
        a = merged[col].to_numpy(dtype=float)
        b = merged[col + "_pe"].to_numpy(dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        # both leave out a region with a zero total in a year: NaN for its cell results; on its rows
        # py-ecomplexity also blanks the sector attributes (ubiquity, pci), which we keep, and
        # the presence and diversity, which are 0 for us
        assert not (np.isfinite(b) & ~np.isfinite(a)).any(), col
        if col in ("rca", "eci", "density", "coi", "cog"):
            assert (np.isfinite(a) == np.isfinite(b)).all(), col
        diffs[col] = float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0
        np.testing.assert_allclose(a[both], b[both], rtol=RTOL, atol=1e-10, err_msg=col)
    return diffs


def quiet(fn):
    def wrapped():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return wrapped


def real_case(repeats: int, with_lsm: bool) -> dict:
    from clusterix_lib import complexity, cube

    df = real_input()
    have_peer = True
    try:
        import ecomplexity  # noqa: F401
    except ImportError:
        have_peer = False
    opts = {"sd": "ddof0", "diagonal": True}  # py-ecomplexity's conventions
    t_ours, ours = best_of(quiet(lambda: complexity.ecomplexity_table(df, **opts)), repeats)
    t_ours_lsm, _ = best_of(
        quiet(lambda: complexity.ecomplexity_table(df, **opts, check_logsupermodularity=True)), repeats
    )
    t_cube, c = best_of(quiet(lambda: cube.to_cube(df)), repeats)
    t_from_cube, _ = best_of(quiet(lambda: complexity.ecomplexity_table(c, **opts)), repeats)
    t_engine, res = best_of(quiet(lambda: complexity.compute(c, **opts)), repeats)
    t_long, _ = best_of(res.table, repeats)
    m = res.mcp
    t_matmul, _ = best_of(lambda: np.matmul(m.transpose(0, 2, 1), m), repeats)
    t_lsm, lsm = best_of(quiet(res.log_supermodularity), repeats)
    # the check's irreducible part: one stable sort of every sector pair's ratios over the locations
    n_pairs = c.shape[2] * (c.shape[2] - 1) // 2
    # as the check sorts them: the bits of non-negative doubles as int64
    ratios = np.random.default_rng(0).random((c.shape[0] * n_pairs, c.shape[1])).view(np.int64)
    t_sort, _ = best_of(lambda: np.argsort(ratios, axis=1, kind="stable"), repeats)
    row = {
        "shape": list(c.shape),
        "rows": len(df),
        "ours_long_to_long_s": t_ours,
        "ours_with_lsm_check_s": t_ours_lsm,
        "ours_lsm_alone_s": t_lsm,
        "floor_lsm_sort_s": t_sort,
        "lsm_share_exact": [round(float(v), 4) for v in lsm["share"]],
        "ours_from_cube_s": t_from_cube,
        "ours_engine_s": t_engine,
        "floor_to_cube_s": t_cube,
        "floor_long_output_s": t_long,
        "floor_one_matmul_s": t_matmul,
    }
    if have_peer:
        t_peer, theirs = best_of(lambda: run_ecomplexity(df, check_logsupermodularity=False), max(2, repeats // 2))
        row["ecomplexity_s"] = t_peer
        row["max_abs_diff"] = compare(theirs, ours)
        if with_lsm:
            printed: list = []
            t_peer_lsm, _ = best_of(lambda: run_ecomplexity(df, printed), 1)
            row["ecomplexity_default_with_lsm_s"] = t_peer_lsm
            row["lsm_share_ecomplexity_sampled"] = [round(v, 4) for v in printed]
    return row


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM (Linux; not inherited from the parent), else getrusage."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def synthetic_child(n_loc: int, n_prod: int, n_time: int, trace: bool) -> None:
    """Runs in a fresh process: one synthetic case, JSON on stdout."""
    from clusterix_lib import complexity

    c = synthetic_cube(n_loc, n_prod, n_time)
    rss_input = peak_rss_mb()
    if trace:
        tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = complexity.compute(c)
        wall = time.perf_counter() - t0
    out = {"wall_s": wall, "peak_rss_mb": peak_rss_mb(), "input_rss_mb": rss_input}
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out["eci_finite"] = bool(np.isfinite(res.eci).all())
    # the eigsh path loops over periods: its Python overhead against the time of the solves
    side = min(n_loc, n_prod)
    if side > complexity.DENSE_MAX:
        t0 = time.perf_counter()
        complexity.eigenvector_arrays(res.mcp, solver="sparse")
        out["eigsh_all_periods_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _t in range(n_time):
            pass
        out["loop_overhead_s"] = time.perf_counter() - t0
    print(json.dumps(out))


def synthetic_case(n_loc: int, n_prod: int, n_time: int) -> dict:
    env = {**os.environ}
    base = [sys.executable, str(Path(__file__).resolve()), "--child", f"{n_loc},{n_prod},{n_time}"]
    timed = subprocess.run(base, capture_output=True, text=True, check=True, env=env)
    traced = subprocess.run([*base, "--trace"], capture_output=True, text=True, check=True, env=env)
    out = json.loads(timed.stdout.strip().splitlines()[-1])
    out["tracemalloc_peak_mb"] = json.loads(traced.stdout.strip().splitlines()[-1])["tracemalloc_peak_mb"]
    out["shape"] = [n_time, n_loc, n_prod]
    return out


def quick_check() -> dict:
    """Small synthetic case: ours against py-ecomplexity if installed, else dense against sparse solver."""
    from clusterix_lib import complexity

    c = synthetic_cube(60, 30, 3, seed=1)
    df = c.long(value=c.values)
    t_ours, ours = best_of(quiet(lambda: complexity.ecomplexity_table(df, sd="ddof0", diagonal=True)), 3)
    try:
        t_peer, theirs = best_of(lambda: run_ecomplexity(df, check_logsupermodularity=False), 2)
        return {
            "shape": list(c.shape),
            "ours_s": t_ours,
            "ecomplexity_s": t_peer,
            "max_abs_diff": compare(theirs, ours),
        }
    except ImportError:
        m = complexity.compute(c, density=False).mcp
        dense = complexity.eigenvector_arrays(m, solver="dense")["eci"]
        sparse = complexity.eigenvector_arrays(m, solver="sparse")["eci"]
        diff = float(np.nanmax(np.abs(dense - sparse)))
        assert diff < 1e-9
        return {"shape": list(c.shape), "ours_s": t_ours, "max_abs_diff": {"eci (dense vs sparse solver)": diff}}


def fmt_ms(s: float | None) -> str:
    return "-" if s is None else f"{s * 1e3:9.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small synthetic case only (seconds)")
    p.add_argument("--repeats", type=int, default=5, help="repeats per measurement (best kept; default 5)")
    p.add_argument("--no-lsm", action="store_true", help="skip timing ecomplexity with its default check (slow)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        n_loc, n_prod, n_time = map(int, args.child.split(","))
        synthetic_child(n_loc, n_prod, n_time, args.trace)
        return 0
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"complexity benchmark -- {platform.processor() or platform.machine()}, OMP_NUM_THREADS={threads}")
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "threads": threads}
    if args.quick:
        q = quick_check()
        results["quick"] = q
        print(f"quick synthetic {q['shape']} (T, L, P): ours {fmt_ms(q['ours_s'])}", end="")
        if "ecomplexity_s" in q:
            print(f", ecomplexity {fmt_ms(q['ecomplexity_s'])}, ratio {q['ecomplexity_s'] / q['ours_s']:.0f}x")
        else:
            print(" (py-ecomplexity not installed: solvers compared instead)")
        for col, d in q["max_abs_diff"].items():
            print(f"  max abs diff {col:<12} {d:.2e}")
        return 0

    real = real_case(args.repeats, with_lsm=not args.no_lsm)
    results["real"] = real
    t_n, l_n, p_n = real["shape"]
    print(f"\n1. Employment extract: {l_n} NUTS-2 regions x {p_n} NACE divisions x {t_n} years ({real['rows']} rows)")
    peer_lsm = real.get("ecomplexity_default_with_lsm_s")
    print("\n   a) The package's default pipeline, log-supermodularity check included (py-ecomplexity samples ~10,000")
    print("      cells with 4-D arrays; clusterix counts every inequality exactly) -- the issue's target is >= 50x")
    print(f"   {'measurement':<70}{'time':>12}{'ecomplexity / this':>20}")
    for label, t in [
        ("py-ecomplexity, ecomplexity(...) with its defaults", peer_lsm),
        ("clusterix ecomplexity_table(..., check_logsupermodularity=True)", real["ours_with_lsm_check_s"]),
        ("clusterix check alone (Complexity.log_supermodularity)", real["ours_lsm_alone_s"]),
        ("floor: one stable sort of every sector pair's ratios, one thread", real["floor_lsm_sort_s"]),
    ]:
        ratio = f"{peer_lsm / t:17.1f}x" if (peer_lsm and t) else ""
        print(f"   {label:<70}{fmt_ms(t):>12}{ratio:>20}")
    exact = ", ".join(f"{v:.3f}" for v in real["lsm_share_exact"])
    print("      share of inequalities holding, clusterix exact: " + exact)
    if real.get("lsm_share_ecomplexity_sampled"):
        print(
            "      py-ecomplexity's estimate (random sample; its 4-D arrays pair the wrong cells, see "
            "clusterix_lib.supermodularity): " + ", ".join(f"{v:.3f}" for v in real["lsm_share_ecomplexity_sampled"])
        )
    print("\n   b) Without the check")
    print(f"   {'measurement':<70}{'time':>12}{'ecomplexity / this':>20}")
    peer = real.get("ecomplexity_s")
    lines = [
        ("py-ecomplexity, ecomplexity(..., check_logsupermodularity=False)", peer),
        ("clusterix ecomplexity_table: long table in, long table out", real["ours_long_to_long_s"]),
        ("clusterix from a prebuilt Cube, long table out", real["ours_from_cube_s"]),
        ("clusterix engine only (Cube in, arrays out)", real["ours_engine_s"]),
        ("floor: to_cube (input checks, long -> cube; shared by all indicators)", real["floor_to_cube_s"]),
        ("floor: building the long output table", real["floor_long_output_s"]),
        ("floor: one batched co-occurrence product M'M", real["floor_one_matmul_s"]),
    ]
    for label, t in lines:
        ratio = f"{peer / t:17.1f}x" if (peer and t) else ""
        print(f"   {label:<70}{fmt_ms(t):>12}{ratio:>20}")
    if "max_abs_diff" in real:
        print(f"   outputs equal (rtol {RTOL:g}); max abs diff per column:")
        print("     " + ", ".join(f"{k} {v:.1e}" for k, v in real["max_abs_diff"].items()))
    else:
        print("   py-ecomplexity not installed (pip install -e '.[bench]'): no comparison")

    syn = synthetic_case(1500, 600, 20)
    results["synthetic"] = syn
    print("\n2. Synthetic 1,500 regions x 600 sectors x 20 years, Cube in, every output array (fresh process)")
    print(f"   wall time                  {syn['wall_s']:8.2f} s   (target < 10 s)")
    print(
        f"   peak RSS                   {syn['peak_rss_mb']:8.0f} MB  (target < 2048 MB; "
        f"{syn['input_rss_mb']:.0f} MB of it before the run: interpreter, libraries, the 144 MB input cube)"
    )
    print(f"   tracemalloc peak           {syn['tracemalloc_peak_mb']:8.0f} MB  (numpy allocations during the run)")
    if "eigsh_all_periods_s" in syn:
        print(
            f"   eigsh over the 20 periods  {syn['eigsh_all_periods_s']:8.2f} s   (one call per period; "
            f"the Python loop itself: {syn['loop_overhead_s'] * 1e6:.1f} us)"
        )
    assert syn["eci_finite"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
