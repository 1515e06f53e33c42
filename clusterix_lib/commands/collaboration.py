"""``clusterix collaboration``: the collaboration indicators of one source as a CSV table."""

from __future__ import annotations

import argparse

from clusterix_lib.errors import ParameterError

TABLES = ("links", "ek-links", "partners", "pairs", "sectors", "brokers")
SOURCES = ("h2020", "interreg", "records")

EPILOG = """\
Tables (one row per territory, and per start year with --by-year):
  links      all links: intra/inter-territory, cross-sector, repeated, coordinated, funding, shares
  ek-links   the same for enterprise-knowledge-institution links (keep.eu: private-knowledge links)
  partners   the partner territories of --region, most links first
  pairs      the territory-pair link matrix with densities (long)
  sectors    the sector-pair (type-pair) link matrix with densities (long)
  brokers    Gould-Fernandez brokerage, degree and betweenness of territories (groups: countries;
             for Horizon 2020, the CORDIS country groups eu15, eu13, ac, tc)

Sources: h2020 (CORDIS Horizon 2020: countries only, --level 0), interreg (keep.eu sample of
closed Interreg 2014-2020 projects, NUTS 2021), records (the consortium's own partnership records;
the shipped file is illustrative). A link is a pair of organisations in the same project.

Examples:
  clusterix collaboration ek-links --source h2020 --by-year -o ek_by_country_year.csv
  clusterix collaboration partners --source interreg --region CZ08 -o cz08_partners.csv
  clusterix collaboration links --source records --records data/collaborations_clusterix2.csv -o rec.csv

Exit status: 0 ok; 2 bad input or option (one line naming the file, row, column and value).
"""


def _cmd_collaboration(args) -> int:
    import pandas as pd

    from clusterix_lib import collab_indicators as ci
    from clusterix_lib import collab_report as cr
    from clusterix_lib import collaboration as co
    from clusterix_lib import nuts
    from clusterix_lib.fileio import write_csv_deterministic

    level = args.level if args.level is not None else (0 if args.source == "h2020" else 2)
    region = nuts.validate_region(args.region) if args.region else None
    if region is not None and args.level is None:
        level = nuts.nuts_level(region)
    if args.source == "h2020" and level != 0:
        raise ParameterError(
            f"Horizon 2020 (CORDIS) locates organisations by country only, not at NUTS level {level}",
            where="option --level / --region",
            hint="use --level 0 (or a country code as --region), or --source interreg for regions",
        )
    if args.table == "partners" and region is None:
        raise ParameterError("the partners table is about one territory", where="option --region", hint="add --region")
    if args.source == "h2020":
        model = co.load_h2020()
    elif args.source == "interreg":
        model = co.load_interreg()
    else:
        model = co.load_programme_records(args.records)
        model = model.subset(model.projects["status"].isin(co.COUNTED_STATUSES))
    territory = model.territory(level)
    sector = model.organisations.set_index("org_id")["sector"]
    pairs = ci.organisation_pairs(model, by_year=args.by_year)
    enterprise = ("private",) if args.source == "interreg" else ("enterprise",)
    if args.table == "links":
        table = ci.link_counts(pairs, territory, sector)
    elif args.table == "ek-links":
        table = ci.enterprise_knowledge_links(pairs, territory, sector, enterprise=enterprise)
    elif args.table == "partners":
        table = ci.partner_links(pairs, territory, region)
    elif args.table == "pairs":
        table = ci.group_pair_links(pairs, territory)
    elif args.table == "sectors":
        table = ci.group_pair_links(pairs, sector)
    else:
        if level == 0 and "country_group" in model.organisations:
            groups = model.organisations.drop_duplicates("country").set_index("country")["country_group"]
        else:
            codes = pd.Series(territory.unique())
            groups = pd.Series(codes.str[:2].to_numpy(), index=codes.to_numpy())
        table = cr.territory_brokers(pairs, territory, groups)
    out = write_csv_deterministic(table, args.output)
    print(f"wrote {out} ({len(table)} rows; {model.limits.get('source', args.source)})")
    for note in model.limits.get("notes", ()):
        print(f"  note: {note}")
    return 0


def register(subparsers) -> None:
    """Add ``clusterix collaboration``."""
    p = subparsers.add_parser(
        "collaboration",
        help="collaboration indicators (links, enterprise-knowledge links, partners, brokers) as CSV",
        description="Collaboration indicators of Horizon 2020, Interreg or the consortium's records, as a tidy CSV.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("table", choices=TABLES, help="which table")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT.csv", help="output table (.csv or .csv.gz)")
    p.add_argument("--source", choices=SOURCES, default="h2020", help="data source (default: h2020)")
    p.add_argument("--level", type=int, choices=[0, 1, 2, 3], help="NUTS level of the territories (0 = country)")
    p.add_argument("--region", metavar="CODE", help="the territory of the partners table (NUTS 2021 code)")
    p.add_argument("--by-year", action="store_true", help="one row per project start year as well")
    p.add_argument("--records", metavar="FILE", help="records file for --source records (default: the consortium's)")
    p.set_defaults(func=_cmd_collaboration)
