"""``clusterix trip``: list study trips, build briefing packs and lessons reports, write and ingest feedback forms."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
Examples:
  clusterix trip list                                 # trips of the default consortium
  clusterix trip brief AT12-2017-09                   # briefing pack -> build/reports/AT12/trip_briefing-...html
  clusterix trip forms AT12-2017-09                   # a feedback form per visitor -> build/trip_feedback/.../forms
  clusterix trip ingest AT12-2017-09 returned/*.xlsx  # store accepted answers, list rejected ones
  clusterix trip lessons AT12-2017-09                 # lessons-learnt report from the stored feedback

Exit status: 0 ok; 1 a report failed, or ingest rejected answers or found a conflict (see the
rejection report); 2 an expected error (unknown trip, bad option, unreadable trip file), printed as one line.
"""


def _trip(args):
    from clusterix_lib.study_trips import load_trip

    return load_trip(args.trip, consortium_path=args.consortium)


def _cmd_list(args) -> int:
    from clusterix_lib.study_trips import list_trips

    table = list_trips(args.consortium)
    if table.empty:
        print("no study trips for this consortium")
        return 0
    shown = table.drop(columns=["file"]).rename(
        columns={"n_site_visits": "visits", "n_participants": "people", "n_practices": "practices"}
    )
    print(shown.to_string(index=False))
    return 0


def _build(args, report: str) -> int:
    from clusterix_lib import batch, cli
    from clusterix_lib.consortium import default_consortium_path

    trip = _trip(args)
    params: dict = {"trip": trip.id}
    if trip.consortium.resolve() != default_consortium_path().resolve():
        params["trips_dir"] = str(trip.path.parent)
    out_dir = Path(args.out).resolve() if args.out else None
    job = cli.report_job(report, trip.host_region, params, out_dir=out_dir)
    outcomes = batch.run_batch([job], workers=1, timeout=args.timeout, progress=False)
    ok, text = batch.summarise(outcomes)
    print(text)
    if ok:
        print(f"open {job.output_stem.with_suffix('.html')}")
    return 0 if ok else 1


def _cmd_brief(args) -> int:
    return _build(args, "trip_briefing")


def _cmd_lessons(args) -> int:
    return _build(args, "trip_lessons")


def _cmd_forms(args) -> int:
    from clusterix_lib.trip_forms import write_feedback_forms

    trip = _trip(args)
    written = write_feedback_forms(trip, Path(args.out) if args.out else None, participants=args.participant)
    for p in written:
        print(f"wrote {p}")
    print(
        f"{len(written)} feedback form(s) for trip {trip.id}; send each to its participant after the trip, then "
        f"clusterix trip ingest {trip.id} FILES..."
    )
    return 0


def _cmd_ingest(args) -> int:
    from clusterix_lib.trip_forms import ingest_feedback

    trip = _trip(args)
    result = ingest_feedback(
        trip, args.files, store=args.store, report=args.report, replace=args.replace, text_level=args.text_level
    )
    print(result.files.to_string(index=False))
    print(f"store: {result.store} ({len(result.feedback)} rows, {len(result.accepted)} added)")
    if result.ok:
        return 0
    from clusterix_lib.workbooks import print_rejections

    return print_rejections(result.rejections, result.report, show=args.show, what="answer(s)")


def register(subparsers) -> None:
    """Add ``clusterix trip`` and its actions."""
    from clusterix_lib.confidentiality import LEVELS

    p = subparsers.add_parser(
        "trip",
        help="study trips: briefing packs, feedback forms, lessons-learnt reports",
        description="Study trips of a consortium (data/study_trips/<trip>.toml): list them, build a trip's "
        "briefing pack or lessons-learnt report, write one feedback form per visitor and read the returned forms.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="trip_command", required=True, metavar="ACTION")

    def action(name: str, help: str, func, trip: bool = True):
        sp = sub.add_parser(name, help=help, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        if trip:
            sp.add_argument("trip", metavar="TRIP", help="trip id (a file of study_trips/), e.g. AT12-2017-09")
        sp.add_argument(
            "--consortium",
            help="consortium CSV whose study_trips/ folder to use (default: data/consortium_clusterix2.csv)",
        )
        sp.set_defaults(func=func)
        return sp

    action("list", "list the study trips of a consortium", _cmd_list, trip=False)
    for name, help, func in (
        ("brief", "build the trip's briefing pack (HTML, printable)", _cmd_brief),
        ("lessons", "build the trip's lessons-learnt report from the stored feedback", _cmd_lessons),
    ):
        sp = action(name, help, func)
        sp.add_argument("--out", help="output folder (default: build/reports)")
        sp.add_argument("--timeout", type=float, default=900, help="seconds before the report is stopped (default 900)")
    fm = action("forms", "write one Excel feedback form per visiting participant", _cmd_forms)
    fm.add_argument("-o", "--out", metavar="DIR", help="output folder (default: build/trip_feedback/TRIP/forms)")
    fm.add_argument("--participant", action="append", metavar="ID", help="only this participant (repeatable)")
    ig = action("ingest", "read returned feedback forms (.xlsx) into the trip's feedback store", _cmd_ingest)
    ig.add_argument("files", nargs="+", metavar="FILES", help="returned .xlsx feedback forms")
    ig.add_argument("--store", help="feedback store CSV (default: trip_feedback/TRIP/feedback.csv)")
    ig.add_argument("--report", help="rejection report CSV (default: build/trip_feedback/TRIP/rejections.csv)")
    ig.add_argument(
        "--replace",
        action="store_true",
        help="a new form from a participant who already has feedback replaces it (otherwise: conflict, not merged)",
    )
    ig.add_argument(
        "--text-level",
        choices=LEVELS,
        default="consortium",
        help="confidentiality level of a new answer in the participant's own words (default consortium; "
        "ratings are public)",
    )
    ig.add_argument("--show", type=int, default=20, help="rejections printed (default 20; all are in the report)")
