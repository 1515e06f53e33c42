"""Time the composite-indicator uncertainty analysis against a deterministic pass of the pipeline.

Monte Carlo uncertainty of the RIS-style scoreboard with 1,000 draws (normalisation, aggregation
and weights drawn for every draw) over all EU regions of the scoreboard's pool (NUTS 2, NUTS 1
where NUTS 2 data are thin), measured in one run together with two floors:

1. one deterministic pass of the pipeline on the same year (impute, treat, normalise, aggregate:
   :func:`clusterix_lib.composite.build_index`), and
2. one batched multiply of the same size as the draws (draws x regions x indicators).

Prints the time of each (median of ``--repeat`` runs), the ratio Monte Carlo / deterministic pass
(1,000 draws done one by one would cost about 1,000 passes) and the target (< 10 s on 2 cores).
Results go to ``build/bench/composite.json``. No assertions on time.

    python benchmarks/bench_composite.py [--draws 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_S = 10.0


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    import numpy as np

    from clusterix_lib import composite, datasets, scoreboard

    t0 = time.perf_counter()
    sb = scoreboard.build_scoreboard(datasets.indicators())
    t_build = time.perf_counter() - t0
    year = scoreboard.choose_scoreboard_year(sb)
    n_units = int(len(sb.pool))
    k = len(sb.framework)

    def monte_carlo():
        return scoreboard.scoreboard_uncertainty(sb, year, n_draws=args.draws, seed=2016)

    one_year = sb.result.treated[sb.result.treated["time"] == year]
    spec = composite.CompositeSpec(
        sb.framework[["indicator", "direction", "weight"]], treat=False, dat_thresh=sb.result.spec.dat_thresh
    )

    def deterministic_pass():
        return composite.build_index(one_year, spec, time="time")

    rng = np.random.default_rng(0)
    X = rng.random((args.draws, n_units + 2, k))
    w = rng.random((args.draws, k))

    def matmul():
        return np.einsum("dnk,dk->dn", X, w)

    monte_carlo()  # warm-up (imports, caches)
    t_mc = _median_time(monte_carlo, args.repeat)
    t_pass = _median_time(deterministic_pass, args.repeat)
    t_mm = _median_time(matmul, args.repeat)
    ratio = t_mc / t_pass
    result = {
        "draws": args.draws,
        "regions": n_units,
        "indicators": k,
        "year": year,
        "monte_carlo_s": t_mc,
        "deterministic_pass_s": t_pass,
        "matmul_s": t_mm,
        "ratio_mc_to_pass": ratio,
        "ratio_mc_to_matmul": t_mc / t_mm,
        "scoreboard_build_s": t_build,
        "target_s": TARGET_S,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(f"composite uncertainty: {args.draws} Monte Carlo draws over {n_units} EU regions x {k} indicators ({year})")
    verdict = "met" if t_mc < TARGET_S else "MISSED"
    print(f"  Monte Carlo            {t_mc:8.3f} s   (target < {TARGET_S:.0f} s: {verdict})")
    print(f"  one deterministic pass {t_pass:8.3f} s   ratio MC / pass = {ratio:.1f} (one-by-one draws: ~{args.draws})")
    print(f"  one batched multiply   {t_mm:8.3f} s   ratio MC / multiply = {t_mc / t_mm:.0f}")
    print(f"  (building the 10-year scoreboard itself: {t_build:.2f} s)")
    out = HERE.parent / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "composite.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
