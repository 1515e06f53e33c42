"""``clusterix complexity``: py-ecomplexity's outputs (ECI, PCI, density, COI, COG...) for any long CSV."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from clusterix_lib.errors import DataFileError, ParameterError

EPILOG = """\
Examples:
  clusterix complexity exports.csv --time year --loc origin --prod hs92 --value export_val -o out.csv
  clusterix complexity employment.csv --loc geo --prod nace_r2 --missing zero \\
      --proximity proximity.csv -o complexity.csv
  clusterix complexity exports.csv --loc origin --prod hs92 --value export_val \\
      --presence rpop --pop population.csv -o out.csv          # population: year, origin, population

The output has one row per (time, loc, prod) of the full rectangle (zeros included) with the
columns of py-ecomplexity / Stata ecomplexity: rca, [rpop,] mcp, diversity, ubiquity, eci, pci,
density, distance, coi, cog. The defaults reproduce Stata's results; --sd ddof0 --diagonal
reproduce py-ecomplexity's. --proximity writes the sector proximity table (time, prod_1, prod_2,
proximity). Formulas and conventions: `python -m pydoc clusterix_lib.complexity`.

Exit status: 0 ok; 2 bad input or option (one line naming the file, row, column and value).
"""


def _read_csv(path: str, *, text_columns: list[str], what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"{what} not found: {path}", hint="check the path")
    try:
        head = pd.read_csv(p, nrows=0)
        dtypes = {c: str for c in text_columns if c in head.columns}
        return pd.read_csv(p, dtype=dtypes)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read {what} as CSV: {exc}".rstrip(), where=f"file {path}") from None


def _cmd_complexity(args) -> int:
    from clusterix_lib import complexity
    from clusterix_lib.fileio import write_csv_deterministic

    time = None if args.time.lower() == "none" else args.time
    data = _read_csv(args.input, text_columns=[args.loc, args.prod], what="input file")
    pop = None
    if args.pop:
        pop = _read_csv(args.pop, text_columns=[args.loc], what="population file")
    if args.knn is not None and args.knn < 1:
        raise ParameterError(f"--knn {args.knn} must be a positive integer", where="option --knn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = complexity.compute(
            data,
            time=time,
            loc=args.loc,
            prod=args.prod,
            value=args.value,
            presence=args.presence,
            rca_threshold=args.rca_threshold,
            rpop_threshold=args.rpop_threshold,
            pop=pop,
            pop_value=args.pop_value,
            continuous=args.continuous,
            asymmetric=args.asymmetric,
            knn=args.knn,
            knn_ties=args.knn_ties,
            diagonal=args.diagonal,
            sd=args.sd,
            missing=args.missing,
            duplicates=args.duplicates,
            source=f"file {args.input}",
        )
        lsm = complexity.warn_log_supermodularity(res) if args.log_supermodularity else None
        table = res.table()
        prox = res.proximity_table() if args.proximity else None
    for w in caught:
        print(f"clusterix: warning: {w.message}", file=sys.stderr)
    out = write_csv_deterministic(table, args.output)
    t_n, l_n, p_n = res.cube.shape
    print(f"wrote {out} ({len(table)} rows: {t_n} period(s) x {l_n} locations x {p_n} sectors)")
    if lsm is not None:
        for row in lsm.itertuples(index=False):
            label = f"{row[0]}: " if res.stage.has_time else ""
            print(f"log-supermodularity {label}{row.share:.2%} of {row.pairs:,} inequalities hold")
    if prox is not None:
        out_p = write_csv_deterministic(prox, args.proximity)
        print(f"wrote {out_p} ({len(prox)} sector pairs)")
    return 0


def register(subparsers) -> None:
    """Add ``clusterix complexity``."""
    p = subparsers.add_parser(
        "complexity",
        help="ECI, PCI, density, COI, COG of any long CSV (py-ecomplexity compatible)",
        description="Economic complexity of a long table (time, location, sector, value): one output row per "
        "(time, location, sector) with py-ecomplexity's columns.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="INPUT.csv", help="long table, one row per (time, location, sector)")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT.csv", help="output table (.csv or .csv.gz)")
    g = p.add_argument_group("columns of INPUT.csv")
    g.add_argument("--time", default="year", metavar="COL", help="period column, or 'none' (default: year)")
    g.add_argument("--loc", default="geo", metavar="COL", help="location column (default: geo)")
    g.add_argument("--prod", default="nace_r2", metavar="COL", help="sector/product column (default: nace_r2)")
    g.add_argument("--value", default="value", metavar="COL", help="value column (default: value)")
    g = p.add_argument_group("presence")
    g.add_argument(
        "--presence",
        choices=["rca", "rpop", "either", "manual"],
        default="rca",
        help="rca (default); rpop (needs --pop); either (RCA or RPOP); manual (the value column is 0/1)",
    )
    g.add_argument("--rca-threshold", type=float, default=1.0, metavar="X", help="M = 1 where RCA >= X (default 1)")
    g.add_argument("--rpop-threshold", type=float, default=1.0, metavar="X", help="M = 1 where RPOP >= X (default 1)")
    g.add_argument("--pop", metavar="FILE", help="population CSV: time, location and population columns")
    g.add_argument("--pop-value", metavar="COL", help="population column of --pop (default: its only other column)")
    g = p.add_argument_group("proximity and density")
    g.add_argument("--continuous", action="store_true", help="proximity = (1 + corr of RCA columns) / 2")
    g.add_argument("--asymmetric", action="store_true", help="proximity = P(q | p) instead of the minimum")
    g.add_argument("--knn", type=int, metavar="K", help="density over the K nearest sectors only (weighted)")
    g.add_argument(
        "--knn-ties", choices=["stata", "all"], default="stata", help="ties at the K-th neighbour (default: stata)"
    )
    g.add_argument("--diagonal", action="store_true", help="count self-proximity in density/COI/COG (py-ecomplexity)")
    g.add_argument("--proximity", metavar="PROX.csv", help="also write the proximity table (time, prod_1, prod_2)")
    g = p.add_argument_group("conventions and input rules")
    g.add_argument(
        "--sd",
        choices=["stata", "ddof0", "ddof1"],
        default="stata",
        help="standard deviation of the ECI normalisation (default: stata, over the long rows, n-1)",
    )
    g.add_argument(
        "--missing", choices=["error", "zero"], default="error", help="empty values: error (default) or zero"
    )
    g.add_argument(
        "--log-supermodularity",
        action="store_true",
        help="also check, exactly, that the matrix is log-supermodular in the ECI/PCI order (py-ecomplexity's "
        "default check): prints the share per period, warns below 80%%",
    )
    g.add_argument(
        "--duplicates", choices=["error", "sum"], default="error", help="repeated rows: error (default) or sum"
    )
    p.set_defaults(func=_cmd_complexity)
