"""Time the default report batch against the pipeline's floor.

Runs, in one invocation and with the same workers and number of reports:

1. the *floor*: ``benchmarks/trivial.ipynb`` (one markdown cell, one record) through the
   same pipeline -- worker process, kernel start, papermill, HTML export, JSON sidecar;
2. the *batch*: the real report jobs.

and prints wall time, per-report time and the ratio ``per-report / floor`` (how much the
notebooks themselves cost above the fixed price of a report). Results go to
``build/bench/reports.json``. No assertions on time: compare runs on the same machine.

Jobs come from ``clusterix_lib.cli.default_jobs(consortium)`` (``--jobs-from consortium``,
the default when that function exists) or from one notebook and parameters::

    python benchmarks/bench_reports.py
    python benchmarks/bench_reports.py --jobs-from consortium \\
        --consortium data/consortium_clusterix2.csv --workers 2
    python benchmarks/bench_reports.py --notebook notebooks/regional_profile.ipynb \\
        --param region=AT12 --param region=CZ08 --workers 2

``--all-nuts2`` is the scale benchmark (``make bench-site``): one regional profile for every
EU NUTS 2 region (242) built cold through the incremental site pipeline (manifest, index), the
floor on a sample of the same size as the workers' batches, and then a no-change rebuild through
the ``clusterix reports`` command (a new process, as a user runs it), which must find every report
up to date::

    python benchmarks/bench_reports.py --all-nuts2 --workers 2

Repeated ``--param NAME=VALUE`` with the same NAME make one job per value (several names:
every combination). Values are converted by the notebook's annotations (``int``, ``float``,
``bool``); everything else stays text, so region codes are never mangled.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import inspect
import itertools
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOOR_NOTEBOOK = HERE / "trivial.ipynb"
DEFAULT_CONSORTIUM = HERE.parent / "data" / "consortium_clusterix2.csv"  # as in the Makefile


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time the report batch and compare it with the pipeline's floor "
        "(the trivial notebook, same number of reports, same workers).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Jobs come from" + __doc__.split("Jobs come from", 1)[1],
    )
    src = p.add_argument_group("where the jobs come from")
    src.add_argument(
        "--jobs-from",
        choices=["consortium"],
        default=None,
        help="build the jobs with clusterix_lib.cli.default_jobs(CONSORTIUM) (default when --notebook is not given)",
    )
    src.add_argument(
        "--consortium",
        type=Path,
        default=DEFAULT_CONSORTIUM,
        help="consortium file for --jobs-from consortium (default data/consortium_clusterix2.csv)",
    )
    src.add_argument("--notebook", type=Path, help="one report notebook, run once per --param set")
    src.add_argument(
        "--all-nuts2",
        nargs="?",
        const="EU27_2020",
        metavar="GROUP",
        help="every NUTS 2 region of a country group (default EU27_2020): cold site build, floor, no-change rebuild",
    )
    src.add_argument(
        "--reports",
        default="regional_profile",
        help="report type for --all-nuts2 (default regional_profile)",
    )
    src.add_argument(
        "--floor-sample",
        type=int,
        default=None,
        help="with --all-nuts2: trivial reports in the floor measurement (default: as many as the batch, "
        "so that worker and kernel-template start-ups weigh the same in both)",
    )
    src.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter for --notebook; repeat a NAME for several jobs",
    )
    run = p.add_argument_group("how to run")
    run.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: CPU count)")
    run.add_argument("--timeout", type=float, default=900, help="per-report limit in s (900)")
    run.add_argument(
        "--floor-notebook",
        type=Path,
        default=FLOOR_NOTEBOOK,
        help="notebook measuring the floor (default benchmarks/trivial.ipynb)",
    )
    run.add_argument("--limit", type=int, default=None, help="only the first N jobs")
    run.add_argument("--skip-floor", action="store_true", help="do not run the floor")
    run.add_argument(
        "--skeleton-sample",
        type=int,
        default=40,
        help="with --all-nuts2: reports of the notebook with its code cells emptied, the least its structure "
        "costs (default 40; 0 = skip)",
    )
    run.add_argument(
        "--no-warmup",
        action="store_true",
        help="skip the unmeasured warm-up report (fills OS and font caches)",
    )
    run.add_argument("--out", type=Path, default=None, help="results JSON (default build/bench/reports.json)")
    run.add_argument(
        "--keep",
        action="store_true",
        help="keep the rendered reports under build/bench/ (default: delete)",
    )
    run.add_argument("--progress", action="store_true", help="show progress bars")
    return p.parse_args(argv)


def jobs_from_params(notebook: Path, pairs: list[str], out_dir: Path) -> list:
    from clusterix_lib.batch import ReportJob
    from clusterix_lib.reporting import parse_cli_parameters

    values: dict[str, list] = {}
    for pair in pairs:
        for name, value in parse_cli_parameters(notebook, [pair]).items():
            values.setdefault(name, []).append(value)
    names = list(values)
    combos = list(itertools.product(*(values[n] for n in names))) or [()]
    jobs = []
    for i, combo in enumerate(combos):
        params = dict(zip(names, combo, strict=True))
        label = "-".join(str(v) for v in combo) or "defaults"
        region = params.get("region")
        jobs.append(
            ReportJob(
                notebook=notebook,
                params=params,
                output_stem=out_dir / f"{i:03d}-{label}" / notebook.stem,
                title=f"{notebook.stem} {label}",
                group=str(region or label),
                report_type=notebook.stem,
                header={"region": region} if region else {},
            )
        )
    return jobs


def jobs_from_consortium(consortium: Path, out_dir: Path) -> list:
    try:
        from clusterix_lib.cli import default_jobs
    except ImportError as exc:
        raise SystemExit(
            f"--jobs-from consortium needs clusterix_lib.cli.default_jobs ({exc}); "
            "use --notebook PATH --param region=AT12 ... instead"
        ) from None
    if "out_dir" in inspect.signature(default_jobs).parameters:
        return list(default_jobs(consortium, out_dir=out_dir))
    jobs = list(default_jobs(consortium))  # an older default_jobs(consortium) without out_dir
    return [
        dataclasses.replace(j, output_stem=out_dir / f"{i:03d}" / Path(j.output_stem).name) for i, j in enumerate(jobs)
    ]


def floor_jobs(jobs: list, floor_notebook: Path, out_dir: Path) -> list:
    """The trivial notebook once per job, with the parameters it declares."""
    from clusterix_lib.batch import ReportJob
    from clusterix_lib.reporting import notebook_parameters

    known = notebook_parameters(floor_notebook)
    out = []
    for i, job in enumerate(jobs):
        params = {k: v for k, v in job.params.items() if k in known}
        out.append(
            ReportJob(
                notebook=floor_notebook,
                params=params,
                output_stem=out_dir / f"{i:03d}" / "floor",
                title=f"floor {i}",
                group=job.group,
                report_type="floor",
                header=dict(job.header),
            )
        )
    return out


def skeleton_notebook(notebook: Path, dest: Path) -> Path:
    """``notebook`` with every code cell but the parameters emptied (``pass``), markdown kept.

    Run through the same pipeline it measures what the report's *structure* costs -- its cells
    and pages of text, before any computation or figure: the least this notebook can take.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" not in (cell.metadata.get("tags") or []):
            cell.source = "pass"
            cell.outputs = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def cell_times(outcomes, top: int = 8) -> list[dict]:
    """The code cells taking the most time, as papermill recorded them in the executed notebooks.

    One row per code cell of the notebook (the reports must share one notebook): its position,
    its first line, and the median and mean of its duration over the reports, largest first.
    """
    import nbformat

    durations: dict[int, list[float]] = {}
    first_line: dict[int, str] = {}
    for o in outcomes:
        if not (o.ok and o.ipynb and Path(o.ipynb).exists()):
            continue
        nb = nbformat.read(o.ipynb, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            d = cell.metadata.get("papermill", {}).get("duration")
            if d is not None:
                durations.setdefault(i, []).append(float(d))
                first_line.setdefault(i, next((ln for ln in cell.source.splitlines() if ln.strip()), ""))
    rows = [
        {
            "cell": i,
            "first_line": first_line[i][:90],
            "median_s": round(statistics.median(v), 4),
            "mean_s": round(statistics.fmean(v), 4),
        }
        for i, v in durations.items()
    ]
    total = {"cell": "all", "first_line": f"{len(rows)} code cells", "mean_s": round(sum(r["mean_s"] for r in rows), 3)}
    return [total, *sorted(rows, key=lambda r: -r["mean_s"])[:top]]


def _stage_means(outcomes) -> dict[str, float]:
    stages: dict[str, list[float]] = {}
    for o in outcomes:
        if o.ok and o.json is not None and Path(o.json).exists():
            timings = json.loads(Path(o.json).read_text(encoding="utf-8")).get("timings", {})
            for k, v in timings.items():
                stages.setdefault(k, []).append(float(v))
    return {k: round(statistics.fmean(v), 3) for k, v in stages.items()}


def measure(
    name: str, jobs: list, workers: int, timeout: float, progress: bool, site: Path | None = None, cells: bool = False
) -> dict:
    """Run ``jobs``; with ``site``, as ``clusterix reports`` does: manifest (forced), then the index."""
    from clusterix_lib.batch import run_batch, summarise, write_index

    print(f"{name}: {len(jobs)} reports, {workers} workers ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    kw = {"manifest": site / "manifest.json", "force": True} if site is not None else {}
    outcomes = run_batch(jobs, workers=workers, timeout=timeout, progress="always" if progress else False, **kw)
    if site is not None:
        write_index(outcomes, site / "index.html")
    wall = time.perf_counter() - t0
    secs = [o.seconds for o in outcomes]
    ok, text = summarise(outcomes)
    if not ok:
        print(text, file=sys.stderr)
    return {
        "reports": len(outcomes),
        "ok": sum(o.ok for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
        "timeout": sum(o.status == "timeout" for o in outcomes),
        "wall_s": round(wall, 3),
        "wall_per_report_s": round(wall / max(1, len(outcomes)), 3),
        "per_report_mean_s": round(statistics.fmean(secs), 3) if secs else None,
        "per_report_median_s": round(statistics.median(secs), 3) if secs else None,
        "per_report_max_s": round(max(secs), 3) if secs else None,
        "stage_means_s": _stage_means(outcomes),
        "cells": cell_times(outcomes) if cells else None,
        "details": [
            {
                "title": o.job.title,
                "status": o.status,
                "seconds": round(o.seconds, 3),
                "error": o.error,
            }
            for o in outcomes
        ],
    }


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import clusterix_lib
    from clusterix_lib.fileio import atomic_write_text
    from clusterix_lib.paths import build_dir

    bench_dir = build_dir() / "bench"
    work = bench_dir / "reports"
    if work.exists():
        shutil.rmtree(work)
    if args.all_nuts2:
        return main_all_nuts2(args, work, bench_dir)
    if args.notebook is not None:
        if args.jobs_from:
            raise SystemExit("give either --jobs-from or --notebook, not both")
        jobs = jobs_from_params(args.notebook.resolve(), args.param, work / "batch")
        source = f"notebook {args.notebook}"
    else:
        jobs = jobs_from_consortium(args.consortium, work / "batch")
        source = f"consortium {args.consortium}"
    if args.limit:
        jobs = jobs[: args.limit]
    if not jobs:
        raise SystemExit("no jobs to run")
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(jobs)))

    if not args.no_warmup:  # one unmeasured floor report: cold caches would bias the first run
        measure(
            "warm-up",
            floor_jobs(jobs[:1], args.floor_notebook.resolve(), work / "warmup"),
            1,
            args.timeout,
            False,
        )
    floor = None
    if not args.skip_floor:
        floor = measure(
            "floor",
            floor_jobs(jobs, args.floor_notebook.resolve(), work / "floor"),
            workers,
            args.timeout,
            args.progress,
        )
    result = measure("batch", jobs, workers, args.timeout, args.progress)

    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "jobs_from": source,
        "workers": workers,
        "timeout_s": args.timeout,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "clusterix": clusterix_lib.__version__,
        "batch": result,
        "floor": floor,
        "ratio_per_report": _ratio(result["per_report_mean_s"], floor and floor["per_report_mean_s"]),
        "ratio_wall": _ratio(result["wall_s"], floor and floor["wall_s"]),
    }
    out = args.out or bench_dir / "reports.json"
    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    print(f"jobs:                {len(jobs)} from {source}, {workers} workers")
    print(
        f"batch wall time:     {result['wall_s']:.2f} s ({result['wall_per_report_s']:.2f} s per report of wall time)"
    )
    print(
        f"per report:          mean {result['per_report_mean_s']:.2f} s, "
        f"median {result['per_report_median_s']:.2f} s, max {result['per_report_max_s']:.2f} s"
    )
    if result["stage_means_s"]:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in result["stage_means_s"].items())
        print(f"  inside the worker: {stages} (s, mean)")
    if floor:
        print(f"floor wall time:     {floor['wall_s']:.2f} s")
        print(f"floor per report:    mean {floor['per_report_mean_s']:.2f} s")
        print(f"ratio per-report / floor: {report['ratio_per_report']}   (wall: {report['ratio_wall']})")
    print(f"wrote {out}")
    bad = result["ok"] < result["reports"] or (floor is not None and floor["ok"] < floor["reports"])
    return 1 if bad else 0


def no_change_rebuild(site: Path, group: str, report: str, workers: int, regions: list[str] | None) -> dict:
    """``clusterix reports --all-nuts2 ...`` in a new process on the built site; nothing may run."""
    import subprocess

    cmd = [
        sys.executable,
        "-m",
        "clusterix_lib.cli",
        "reports",
        "--all-nuts2",
        group,
        "--reports",
        report,
        "--out",
        str(site),
        "--jobs",
        str(workers),
        "--quiet",
    ]
    for code in regions or []:  # with --limit: only the regions built
        cmd += ["--region", code]
    print("no-change rebuild: " + " ".join(cmd[3:]), file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    first = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else proc.stderr.strip()[-300:]
    return {"wall_s": round(wall, 3), "exit": proc.returncode, "summary": first}


def main_all_nuts2(args: argparse.Namespace, work: Path, bench_dir: Path) -> int:
    import clusterix_lib
    from clusterix_lib.cli import nuts2_jobs
    from clusterix_lib.fileio import atomic_write_text

    site = work / "site"
    jobs = nuts2_jobs([args.reports], args.all_nuts2, out_dir=site)
    if args.limit:
        jobs = jobs[: args.limit]
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(jobs)))
    floor_notebook = args.floor_notebook.resolve()
    if not args.no_warmup:
        measure("warm-up", floor_jobs(jobs[:1], floor_notebook, work / "warmup"), 1, args.timeout, False)
    floor = measure(
        "floor",
        floor_jobs(jobs[: max(workers, args.floor_sample or len(jobs))], floor_notebook, work / "floor"),
        workers,
        args.timeout,
        args.progress,
    )
    skeleton = None
    if args.skeleton_sample:
        skel_nb = skeleton_notebook(jobs[0].notebook, work / "skeleton-nb" / jobs[0].notebook.name)
        skel_jobs = floor_jobs(jobs[: max(workers, args.skeleton_sample)], skel_nb, work / "skeleton")
        skeleton = measure("skeleton", skel_jobs, workers, args.timeout, args.progress)
    result = measure("batch", jobs, workers, args.timeout, args.progress, site=site, cells=True)
    regions = [j.header["region"] for j in jobs] if args.limit else None
    rebuild = no_change_rebuild(site, args.all_nuts2, args.reports, workers, regions)
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "jobs_from": f"every NUTS 2 region of {args.all_nuts2}, report {args.reports}",
        "workers": workers,
        "timeout_s": args.timeout,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "clusterix": clusterix_lib.__version__,
        "batch": result,
        "floor": floor,
        "no_change_rebuild": rebuild,
        "ratio_per_report": _ratio(result["per_report_mean_s"], floor["per_report_mean_s"]),
        "ratio_median": _ratio(result["per_report_median_s"], floor["per_report_median_s"]),
        "skeleton": skeleton,
        "ratio_skeleton": skeleton and _ratio(skeleton["per_report_mean_s"], floor["per_report_mean_s"]),
    }
    out = args.out or bench_dir / "site.json"
    atomic_write_text(out, json.dumps(report, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ok = result["ok"] == result["reports"] and floor["ok"] == floor["reports"] and rebuild["exit"] == 0
    ok = ok and (skeleton is None or skeleton["ok"] == skeleton["reports"])
    print(f"jobs:                  {len(jobs)} {args.reports} reports, every NUTS 2 region of {args.all_nuts2}")
    print(f"workers:               {workers} (CPUs: {os.cpu_count()})")
    print(
        f"cold site build:       {result['wall_s']:.1f} s wall for {result['reports']} reports "
        f"({result['ok']} ok)  [target < 300 s]"
    )
    print(
        f"per report:            mean {result['per_report_mean_s']:.2f} s, median "
        f"{result['per_report_median_s']:.2f} s, max {result['per_report_max_s']:.2f} s"
    )
    if result["stage_means_s"]:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in result["stage_means_s"].items())
        print(f"  inside the worker:   {stages} (s, mean)")
    if result["cells"]:
        total, *heavy = result["cells"]
        print(f"  in its cells:        {total['mean_s']:.2f} s ({total['first_line']}, mean); the heaviest:")
        for r in heavy:
            print(f"    cell {r['cell']:>3}  mean {r['mean_s']:.3f} s, median {r['median_s']:.3f} s  {r['first_line']}")
    print(
        f"floor per report:      mean {floor['per_report_mean_s']:.2f} s, median {floor['per_report_median_s']:.2f} s "
        f"({floor['reports']} trivial reports, {floor['wall_s']:.1f} s wall)"
    )
    print(
        f"ratio per-report/floor: {report['ratio_per_report']} (means), "
        f"{report['ratio_median']} (medians)  [target <= 1.5]"
    )
    if skeleton:
        print(
            f"skeleton per report:   mean {skeleton['per_report_mean_s']:.2f} s, median "
            f"{skeleton['per_report_median_s']:.2f} s ({skeleton['reports']} reports of {jobs[0].notebook.name} with "
            f"every code cell emptied; ratio to the floor {report['ratio_skeleton']}: the least this notebook's "
            "cells and text can cost)"
        )
    print(f"no-change rebuild:     {rebuild['wall_s']:.2f} s ({rebuild['summary']})  [target < 5 s]")
    print(f"wrote {out}")
    return 0 if ok else 1


def _cli() -> int:
    from clusterix_lib.errors import ClusterixError

    try:
        return main()
    except ClusterixError as exc:  # expected problems: one message, no traceback
        print(f"bench_reports: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_cli())
