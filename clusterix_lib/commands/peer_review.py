"""``clusterix peer-review``: list reviews and rubrics, write reviewer forms, ingest returned forms."""

from __future__ import annotations

import argparse
from pathlib import Path

from clusterix_lib.peer_review import ROUNDS

EPILOG = """\
Examples:
  clusterix peer-review list                                  # reviews of the default consortium
  clusterix peer-review rubrics                               # rubric files found (and valid)
  clusterix peer-review forms AT12-2017                       # every form -> build/peer_review/AT12-2017/forms
  clusterix peer-review forms AT12-2017 --round independent -o forms/
  clusterix peer-review ingest AT12-2017 returned/*.xlsx      # store accepted rows, list rejected ones
  clusterix peer-review ingest AT12-2017 scores.csv --round consensus
  clusterix peer-review summary AT12-2017                     # agreement and contested items

Exit status: 0 ok; 1 ingest rejected rows or found a conflict (see the rejection report);
2 an expected error (unknown review, bad option, unreadable record), printed as one line.
"""


def _review(args):
    from clusterix_lib.peer_review import load_review

    return load_review(args.review, consortium_path=args.consortium)


def _cmd_list(args) -> int:
    from clusterix_lib.peer_review import list_reviews

    table = list_reviews(args.consortium)
    if table.empty:
        print("no peer reviews for this consortium")
        return 0
    shown = table.drop(columns=["folder"]).rename(columns={"n_reviewers": "reviewers", "date_start": "date"})
    print(shown.to_string(index=False))
    return 0


def _cmd_rubrics(args) -> int:
    from clusterix_lib.rubrics import list_rubrics

    print(list_rubrics().drop(columns=["file"]).to_string(index=False))
    return 0


def _cmd_forms(args) -> int:
    from clusterix_lib.review_forms import write_forms

    review = _review(args)
    written = write_forms(review, Path(args.out) if args.out else None, rounds=args.round, reviewers=args.reviewer)
    for p in written:
        print(f"wrote {p}")
    print(
        f"{len(written)} form(s) for review {review.id}; send each to its reviewer, then "
        f"clusterix peer-review ingest {review.id} FILES..."
    )
    return 0


def _cmd_ingest(args) -> int:
    from clusterix_lib.review_ingest import ingest

    review = _review(args)
    result = ingest(
        review,
        args.files,
        round=args.round,
        store=args.store,
        report=args.report,
        replace=args.replace,
        text_level=args.comment_level,
    )
    print(result.files.drop(columns=["reviewers", "rounds"]).to_string(index=False))
    print(f"store: {result.store} ({len(result.scores)} rows, {len(result.accepted)} added)")
    if result.ok:
        return 0
    from clusterix_lib.workbooks import print_rejections

    return print_rejections(result.rejections, result.report, show=args.show, what="row(s)")


def _cmd_summary(args) -> int:
    from clusterix_lib.peer_review import criterion_summary, load_scores, review_summary

    review = _review(args)
    rubric = review.rubric()
    scores = load_scores(args.store or review.scores_path)
    if scores.empty:
        print(f"review {review.id}: no scores yet")
        return 0
    s = review_summary(scores, review, rubric)
    ag = s["agreement"]
    print(
        f"review {review.id} ({review.host_region}, rubric {rubric.id} {rubric.version})"
        + ("  [ILLUSTRATIVE data]" if review.illustrative else "")
    )
    print(f"rows per round: {s['rounds']}")
    print(
        f"independent reviewers: {s['n_reviewers']}; Krippendorff's alpha (ordinal) {ag['alpha']:.3f} "
        f"[{ag['ci_low']:.3f}, {ag['ci_high']:.3f}] ({ag['verdict']}); contested: "
        f"{', '.join(ag['contested']) or 'none'}"
    )
    table = criterion_summary(scores, rubric)
    print(
        table[["criterion", "n_scored", "n_na", "n_no_info", "median", "iqr", "range", "contested"]].to_string(
            index=False
        )
    )
    return 0


def register(subparsers) -> None:
    """Add ``clusterix peer-review`` and its actions."""
    from clusterix_lib.confidentiality import LEVELS

    p = subparsers.add_parser(
        "peer-review",
        help="peer reviews: reviewer forms, ingestion of returned forms, agreement",
        description="Peer reviews of a consortium (data/peer_reviews/<review>/): write one Excel form per "
        "reviewer, read the returned forms (and CSV) into the review's score store, summarise agreement.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="peer_review_command", required=True, metavar="ACTION")

    def common(sp, review: bool = True) -> None:
        if review:
            sp.add_argument("review", metavar="REVIEW", help="review id (a folder of peer_reviews/), e.g. AT12-2017")
        sp.add_argument(
            "--consortium",
            help="consortium CSV whose peer_reviews/ folder to use (default: data/consortium_clusterix2.csv)",
        )

    ls = sub.add_parser(
        "list",
        help="list the peer reviews of a consortium",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(ls, review=False)
    ls.set_defaults(func=_cmd_list)

    rb = sub.add_parser(
        "rubrics",
        help="list (and validate) the rubric files in data/rubrics",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rb.set_defaults(func=_cmd_rubrics)

    fm = sub.add_parser(
        "forms",
        help="write one Excel form per reviewer and round",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(fm)
    fm.add_argument("-o", "--out", metavar="DIR", help="output folder (default: build/peer_review/REVIEW/forms)")
    fm.add_argument("--round", action="append", choices=ROUNDS, help="only this round (repeatable)")
    fm.add_argument("--reviewer", action="append", metavar="ID", help="only this reviewer (repeatable)")
    fm.set_defaults(func=_cmd_forms)

    ig = sub.add_parser(
        "ingest",
        help="read returned forms (.xlsx) or score tables (.csv)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(ig)
    ig.add_argument("files", nargs="+", metavar="FILES", help="returned .xlsx forms and/or .csv score tables")
    ig.add_argument(
        "--round",
        choices=ROUNDS,
        help="the round of the files (needed for a CSV without a round column; checked against forms)",
    )
    ig.add_argument("--store", help="score store CSV (default: the review's scores.csv)")
    ig.add_argument("--report", help="rejection report CSV (default: build/peer_review/REVIEW/rejections.csv)")
    ig.add_argument(
        "--replace",
        action="store_true",
        help="a new file for a reviewer and round that already has "
        "scores replaces them (otherwise: conflict, not merged)",
    )
    ig.add_argument(
        "--comment-level",
        choices=LEVELS,
        default="consortium",
        help="confidentiality level of a new row with a comment (default consortium; a score alone is public)",
    )
    ig.add_argument("--show", type=int, default=20, help="rejections printed (default 20; all are in the report)")
    ig.set_defaults(func=_cmd_ingest)

    sm = sub.add_parser(
        "summary",
        help="agreement and contested items of a review",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(sm)
    sm.add_argument("--store", help="score store CSV (default: the review's scores.csv)")
    sm.set_defaults(func=_cmd_summary)
