"""The ``clusterix`` command: build data extracts and reports.

Expected errors (bad input, unknown region, missing file) print one message and exit with
status 2; a batch in which some reports failed exits with status 1 after naming them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clusterix_lib import __version__, paths
from clusterix_lib.errors import ClusterixError, ParameterError
from clusterix_lib.report_types import REPORT_TYPES, get_report_type

#: Report types built by ``clusterix reports`` when none are named (all of them).
DEFAULT_REPORTS: tuple[str, ...] = tuple(REPORT_TYPES)


def _key_param_default(rtype, region: str | None) -> Any:
    """The key parameter (``review``, ``trip``, ``consortium``) a command line left out.

    A consortium-wide report takes the notebook's own default (the default consortium); a
    regional one has no sensible default, so the error lists the values of the default
    consortium for that region.
    """
    from clusterix_lib.reporting import notebook_parameters

    declared = notebook_parameters(paths.notebooks_dir() / rtype.notebook).get(rtype.key_param, {})
    if rtype.region_param is None and declared.get("default"):
        return declared["default"]
    try:
        targets = rtype.default_targets()
    except Exception:  # noqa: BLE001 -- only a hint; the error below is what matters
        targets = []
    own = [t[rtype.key_param] for t in targets if str(t.get(rtype.region_param, "")).upper() == (region or "").upper()]
    hint = f"add -p {rtype.key_param}=VALUE"
    if own:
        hint += f"; the default consortium has for {region}: {', '.join(map(str, own))}"
    elif targets:
        others = ", ".join(
            f"{t[rtype.key_param]} ({t[rtype.region_param]})" if rtype.region_param in t else str(t[rtype.key_param])
            for t in targets
        )
        hint += f"; the default consortium has{f' none for {region}, but' if region else ''}: {others}"
    raise ParameterError(f"report type {rtype.name!r} needs the parameter {rtype.key_param!r}", hint=hint)


def report_key(key_param: str, params: dict[str, Any]) -> str:
    """The value naming a report by its key parameter in its title and file name.

    For a consortium-wide report (key ``consortium``) this is the consortium the report is really
    built from, so that two different reports never share a file:

    * ``regions`` given (a list of NUTS codes shown instead of the consortium's):
      ``"regions-AT12-CZ08"`` (codes upper-cased, letters and digits only, each once, in the order
      given); more than 40
      characters of codes become ``"regions-AT12-and-7-more-<hash>"``, the hash being the first
      8 hex digits of the SHA-1 of the sorted codes joined by commas;
    * ``consortium_file`` given: the file's name without ``.csv`` (``mine.csv`` -> ``"mine"``); if
      a different file of that name is in ``data/`` the name takes ``-<hash>`` of the file's
      absolute path, so it cannot overwrite that consortium's report;
    * otherwise the key parameter's value (``consortium_clusterix2``).

    Examples
    --------
    >>> report_key("consortium", {"consortium": "consortium_clusterix2", "regions": ["at12", "CZ08"]})
    'regions-AT12-CZ08'
    >>> report_key("consortium", {"consortium": "consortium_clusterix2", "consortium_file": "/tmp/mine.csv"})
    'mine'
    >>> report_key("review", {"review": "CZ08-2018"})
    'CZ08-2018'
    """
    value = str(params[key_param])
    if key_param != "consortium":
        return value
    regions = params.get("regions")
    if regions:
        codes = list(dict.fromkeys(re.sub(r"[^A-Z0-9]", "", str(r).upper()) for r in regions))
        joined = "-".join(codes)
        if len(joined) > 40:
            digest = hashlib.sha1(",".join(sorted(codes)).encode()).hexdigest()[:8]
            joined = f"{codes[0]}-and-{len(codes) - 1}-more-{digest}"
        return f"regions-{joined}"
    file = params.get("consortium_file")
    if file:
        path = Path(file).expanduser().resolve()
        namesake = (paths.data_dir() / f"{path.stem}.csv").resolve()
        if namesake.exists() and namesake != path:
            return f"{path.stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
        return path.stem
    return value


def report_job(report: str, region: str | None, params: dict | None = None, *, out_dir: Path | None = None):
    """The :class:`~clusterix_lib.batch.ReportJob` for one report of one region.

    ``params`` holds the notebook's other parameters (validated later, before any kernel starts).
    A report type without a region parameter (a consortium-wide scoreboard, say) takes
    ``region=None`` and is filed under ``consortium/`` by its key parameter -- by the consortium
    it is built from (:func:`report_key`), so a report of another consortium file or of a list
    of regions never overwrites the default consortium's.
    """
    from clusterix_lib import batch, datasets, nuts

    rtype = get_report_type(report)
    out_dir = out_dir or paths.reports_dir()
    all_params = dict(params or {})
    if rtype.key_param and rtype.key_param not in all_params:
        all_params[rtype.key_param] = _key_param_default(rtype, region)
    if all_params.get("consortium_file"):
        # the notebook runs in notebooks/: a path relative to where the command was typed would
        # name another file there than the one the report is named after
        all_params["consortium_file"] = str(Path(all_params["consortium_file"]).expanduser().resolve())
    named = dict(all_params)  # the parameters as the file name and title see them
    if rtype.key_param:
        named[rtype.key_param] = report_key(rtype.key_param, all_params)
    key = f" — {named[rtype.key_param]}" if rtype.key_param else ""
    if rtype.region_param is None:
        code = name = None
        title = f"{rtype.title}{key}"
        group = "Consortium-wide"
        folder = out_dir / "consortium"
    else:
        if region is None:
            raise ParameterError(f"report type {report!r} is about one region", hint="give --region CODE")
        code = nuts.validate_region(region)
        name = nuts.region_name(code)
        all_params[rtype.region_param] = code
        title = f"{rtype.title}: {name} ({code}){key}"
        group = f"{name} ({code})"
        folder = out_dir / code
    header = {
        "title": title,
        "report_type": rtype.title,
        "region": code,
        "region_name": name,
        "snapshot": datasets.snapshot_id(),
        "version": __version__,
        "date": dt.date.today().isoformat(),
    }
    return batch.ReportJob(
        notebook=paths.notebooks_dir() / rtype.notebook,
        params=all_params,
        output_stem=folder / rtype.stem(named),
        title=title,
        group=group,
        report_type=rtype.title,
        header=header,
    )


def default_jobs(
    consortium_path: str | Path | None = None, reports: Sequence[str] | None = None, *, out_dir: Path | None = None
):
    """The default report set of a consortium: for each report type, the reports its rule names."""
    jobs = []
    for name in reports or DEFAULT_REPORTS:
        rtype = get_report_type(name)
        for target in rtype.default_targets(consortium_path):
            params = dict(target)
            region = params.pop(rtype.region_param) if rtype.region_param else None
            jobs.append(report_job(name, region, params, out_dir=out_dir))
    return jobs


def _cmd_data_build(args) -> int:
    from clusterix_lib import extracts

    out = extracts.build_all(
        Path(args.out) if args.out else None,
        shared=Path(args.shared).resolve() if args.shared else None,
        online=not args.offline,
        progress=lambda msg: print(f"· {msg}", file=sys.stderr),
    )
    for path in out.values():
        print(f"wrote {path}")
    for what, n in extracts.not_carried_over().items():
        print(f"note: {what}: {n} rows could not be carried over to NUTS 2021 (see the log above)")
    return 0


def _site_dir(args) -> Path:
    """``--out``, else ``build/reports`` for a public build and ``build/reports-LEVEL`` otherwise
    (one folder per level, so a public site never holds a consortium report)."""
    if args.out:
        return Path(args.out).resolve()
    level = getattr(args, "level", "public")
    return paths.reports_dir() if level == "public" else paths.build_dir() / f"reports-{level}"


def _note(msg: str) -> None:
    print(f"clusterix: note: {msg}", file=sys.stderr)


def nuts2_jobs(
    reports: Sequence[str] | None,
    group: str = "EU27_2020",
    *,
    out_dir: Path | None = None,
    with_statistics: bool = True,
    notify=None,
):
    """One report of each region-based type for every NUTS 2 region (NUTS 2021) of a country group.

    ``group`` is a group of ``data/country_groups.csv`` (``EU27_2020``: the 242 EU regions) or
    ``all`` (every NUTS 2 region of the classification). Extra-regio codes (``..ZZ``) are left out,
    and with ``with_statistics`` the regions the employment extract has no figures for (their
    profile could only fail; ``notify`` is told which).
    """
    from clusterix_lib import datasets, nuts, profile

    regions = nuts.load_regions()
    mask = (regions["level"] == 2) & regions["in_2021"] & ~regions["code"].str.endswith("ZZ")
    if group != "all":
        mask &= regions["country"].isin(profile.country_group(group))
    codes = regions.loc[mask, "code"].tolist()
    if with_statistics:
        emp = datasets.employment()
        have = set(emp.loc[emp["value"].notna(), "geo"].unique())
        missing = [c for c in codes if c not in have]
        codes = [c for c in codes if c in have]
        if missing and notify is not None:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            notify(f"{len(missing)} NUTS 2 region(s) without employment statistics left out: {shown}")
    jobs = []
    for name in reports or DEFAULT_REPORTS:
        rtype = get_report_type(name)
        if rtype.region_param is None or rtype.key_param is not None:
            continue  # consortium-wide or per-event reports have no "every region" set
        jobs += [report_job(name, code, out_dir=out_dir) for code in codes]
    if not jobs:
        regional = ", ".join(n for n, r in REPORT_TYPES.items() if r.region_param and not r.key_param)
        raise ParameterError(
            "none of the chosen report types is about one region",
            hint=f"with --all-nuts2 choose one of: --reports {regional}",
        )
    return jobs


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM (e.g. `timeout`, a CI job cancelled) stops a batch like Ctrl-C: workers and kernels
    are killed and the manifest keeps what was finished."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _cmd_report(args) -> int:
    from clusterix_lib import batch
    from clusterix_lib.reporting import parse_cli_parameters, validate_parameters

    notebook = paths.notebooks_dir() / REPORT_TYPES[args.report].notebook
    # checked here, before the job is built, so that one bad parameter gives one line
    params = validate_parameters(notebook, parse_cli_parameters(notebook, args.param))
    out_dir = _site_dir(args)
    job = report_job(args.report, args.region, params, out_dir=out_dir)
    with _terminate_as_interrupt():
        outcomes = batch.run_batch(
            [job],
            workers=1,
            timeout=args.timeout,
            progress=False,
            level=args.level,
            manifest=out_dir / "manifest.json",
            force=args.force,
            notify=_note,
        )
    ok, text = batch.summarise(outcomes)
    print(text)
    if ok:
        print(f"open {job.output_stem.with_suffix('.html')}")
    return 0 if ok else 1


def _cmd_reports(args) -> int:
    from clusterix_lib import batch
    from clusterix_lib.manifest import Manifest
    from clusterix_lib.site import manifest_outcomes

    out_dir = _site_dir(args)
    if args.all_nuts2:
        jobs = nuts2_jobs(args.reports or None, args.all_nuts2, out_dir=out_dir, notify=_note)
    else:
        jobs = default_jobs(args.consortium, args.reports or None, out_dir=out_dir)
    if args.region:
        wanted = set(args.region)
        jobs = [j for j in jobs if j.header["region"] in wanted]
    manifest = out_dir / "manifest.json"
    with _terminate_as_interrupt():
        outcomes = batch.run_batch(
            jobs,
            workers=args.jobs,
            timeout=args.timeout,
            progress=not args.quiet,
            level=args.level,
            manifest=manifest,
            force=args.force,
            scheduler=args.scheduler,
            notify=_note,
        )
    earlier = manifest_outcomes(Manifest.load(manifest), exclude=[j.output_stem for j in jobs])
    index = batch.write_index(outcomes + earlier, out_dir / "index.html", level=args.level)
    ok, text = batch.summarise(outcomes)
    print(text)
    if earlier:
        print(f"the index also lists {len(earlier)} up-to-date report(s) built earlier")
    print(f"index: {index}")
    return 0 if ok else 1


def _cmd_regions(args) -> int:
    from clusterix_lib.consortium import consortium_regions, load_consortium

    table = consortium_regions(load_consortium(args.consortium))
    print(table.to_string(index=False))
    return 0


def _level_options(p: argparse.ArgumentParser) -> None:
    from clusterix_lib.confidentiality import LEVELS

    p.add_argument(
        "--level",
        choices=LEVELS,
        default="public",
        help="confidentiality level of the build (default public): reports show no record above it, "
        "and state it in their header; non-public builds go to build/reports-LEVEL",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="rebuild every report, even those whose notebook, parameters, data and library are unchanged",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="clusterix",
        description="Regional profiles and policy-learning reports from official statistics.",
        epilog="Examples:\n  clusterix reports                       # every partner region of the default consortium\n"
        "  clusterix report regional_profile --region CZ08\n"
        "  clusterix reports --consortium my_consortium.csv --jobs 4\n"
        "  clusterix reports --level consortium    # a consortium-internal build in build/reports-consortium\n"
        "  clusterix reports --all-nuts2 --reports regional_profile --scheduler tcp://host:8786\n"
        "  clusterix data build                    # rebuild data/ from ../shared/data or the Eurostat API",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"clusterix {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="show progress messages and full tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser("data", help="build the data extracts in data/")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    b = dsub.add_parser("build", help="derive the reduced extracts from the raw public files")
    b.add_argument("--shared", help="folder of the raw public files (default: ../shared/data or $CLUSTERIX_SHARED)")
    b.add_argument("--out", help="output folder (default: data/)")
    b.add_argument("--offline", action="store_true", help="never use the Eurostat API")
    b.set_defaults(func=_cmd_data_build)

    r = sub.add_parser("report", help="build one report for one region")
    r.add_argument("report", choices=sorted(REPORT_TYPES), help="report type")
    r.add_argument(
        "--region", help="NUTS 2021 code, any level (e.g. AT12, BE2, SE224); all report types but consortium-wide ones"
    )
    r.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another notebook parameter, e.g. -p year=2014 -p top_n=20",
    )
    r.add_argument("--out", help="output folder (default: build/reports, or build/reports-LEVEL)")
    r.add_argument("--timeout", type=float, default=900, help="seconds before the report is stopped (default 900)")
    _level_options(r)
    r.set_defaults(func=_cmd_report)

    rs = sub.add_parser("reports", help="build the default report set for every region of a consortium")
    rs.add_argument("--consortium", help="consortium CSV (default: data/consortium_clusterix2.csv)")
    rs.add_argument("--reports", nargs="*", choices=sorted(REPORT_TYPES), help="report types (default: all)")
    rs.add_argument("--region", action="append", help="only this region (repeatable)")
    rs.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel workers (default: cores)")
    rs.add_argument("--timeout", type=float, default=900, help="seconds per report before it is stopped")
    rs.add_argument("--out", help="output folder (default: build/reports, or build/reports-LEVEL)")
    rs.add_argument("--quiet", action="store_true", help="no progress bar")
    rs.add_argument(
        "--all-nuts2",
        nargs="?",
        const="EU27_2020",
        metavar="GROUP",
        help="instead of the consortium's regions: every NUTS 2 region of a country group that has statistics "
        "(default EU27_2020, 242 regions; 'all' for the whole classification); region-based report types only",
    )
    rs.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="hand the reports to a Dask distributed cluster: a scheduler address (tcp://host:8786) or "
        "'local' for a local cluster of --jobs processes (see docs/scaling.md)",
    )
    _level_options(rs)
    rs.set_defaults(func=_cmd_reports)

    g = sub.add_parser("regions", help="list the regions of a consortium")
    g.add_argument("--consortium", help="consortium CSV (default: data/consortium_clusterix2.csv)")
    g.set_defaults(func=_cmd_regions)

    from clusterix_lib.commands import command_modules

    for module in command_modules():
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.func(args)
    except ClusterixError as exc:
        if args.verbose:
            raise
        print(f"clusterix: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("clusterix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
