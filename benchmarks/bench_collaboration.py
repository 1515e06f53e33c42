"""Time every collaboration indicator on all 144,726 Horizon 2020 participations, against a floor.

In one run, best of ``--repeats``:

* **floor**: read the three committed H2020 extracts into the model
  (:func:`clusterix_lib.collaboration.load_h2020`) and build the participation incidence matrix
  (organisation x project, :func:`clusterix_lib.collab_indicators.incidence_matrix`);
* **all indicators**: the same, then the organisation links by year and over the whole period
  (co-participation P Pᵀ with coordinator and funding products), enterprise–knowledge links by
  country and year with their quality and intensity, every link count by country (intra/inter,
  cross-sector, repeated, coordinated, funding), the change before/after 2018 for every country,
  the country-pair and type-pair link matrices with densities, the E–I index of the
  organisation network by type and of the country network by country group, assortativity,
  Gould–Fernandez brokerage of the country network and of the type network, degree and
  betweenness of the country network.

Prints each step's time, the totals, and the ratio total / floor (how much the indicators cost
above reading the data). Target: under 10 s on 2 cores. Results also go to
``build/bench/collaboration.json``. No assertions on time: compare runs on the same machine.

    python benchmarks/bench_collaboration.py             # make bench
    python benchmarks/bench_collaboration.py --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import pandas as pd

from clusterix_lib import collab_indicators as ci
from clusterix_lib import collab_report as cr
from clusterix_lib import collaboration as co

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "bench" / "collaboration.json"


def floor() -> dict[str, float]:
    t0 = time.perf_counter()
    model = co.load_h2020()
    t1 = time.perf_counter()
    ci.incidence_matrix(model)
    t2 = time.perf_counter()
    return {"read extracts into the model": t1 - t0, "incidence matrix P (org x project)": t2 - t1}


def everything() -> tuple[dict[str, float], dict[str, int]]:
    steps: dict[str, float] = {}
    t = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = now - t
        t = now

    model = co.load_h2020()
    step("read extracts into the model")
    ci.incidence_matrix(model)
    step("incidence matrix P (org x project)")
    pairs = ci.organisation_pairs(model)
    step("links by start year (P Pᵀ, coordinators, funding)")
    ties = ci.organisation_pairs(model, by_year=False)
    step("links over the whole period")
    country = model.territory(0)
    sector = model.organisations.set_index("org_id")["sector"]
    ek_year = ci.enterprise_knowledge_links(pairs, country, sector)
    step("enterprise-knowledge links by country and year (quality)")
    ek_all = ci.enterprise_knowledge_links(ties, country, sector)
    step("enterprise-knowledge links by country (intensity)")
    counts = ci.link_counts(ties, country, sector)
    step("all links by country: intra/inter, cross-sector, repeated, coordinated")
    ci.change_before_after(ek_year, 2018, by="territory", first=2015, last=2020)
    step("change before/after 2018, every country")
    country_pairs = ci.group_pair_links(ties, country)
    step("country-pair link matrix and densities")
    type_pairs = ci.group_pair_links(ties, sector)
    step("type-pair link matrix and densities")
    ci.ei_index(ties, sector, source="org_a", target="org_b")
    step("E-I index of the organisation network by type")
    edges = country_pairs[country_pairs["group_a"] != country_pairs["group_b"]]
    groups = model.organisations.drop_duplicates("country").set_index("country")["country_group"]
    nodes = sorted(set(edges["group_a"]) | set(edges["group_b"]))
    ci.ei_index(edges, groups.reindex(nodes).fillna("other"), source="group_a", target="group_b")
    ci.assortativity(type_pairs)
    step("E-I index of the country network by group; type assortativity")
    cr.territory_brokers(ties, country, groups)
    step("country network: Gould-Fernandez brokerage, degree, betweenness")
    type_edges = type_pairs[type_pairs["group_a"] != type_pairs["group_b"]]
    types = sorted(set(type_edges["group_a"]) | set(type_edges["group_b"]))
    # each type its own group: a type brokers (as liaison) between two other types with no link
    ci.brokerage_roles(type_edges, pd.Series(types, index=types), source="group_a", target="group_b")
    ci.centrality(type_edges, source="group_a", target="group_b", weight="links")
    step("type network: brokerage, degree, betweenness")
    sizes = {
        "participations": len(model.participations),
        "organisations": len(model.organisations),
        "projects": len(model.projects),
        "links_by_year": len(pairs),
        "links": len(ties),
        "countries": int(counts["territory"].nunique()),
        "country_pairs": len(country_pairs),
        "ek_links": int(ci.sector_pair_mask(ties, sector).sum()),
        "ek_links_counted_by_country": int(ek_all["links"].sum()),
    }
    return steps, sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs (default 3)")
    args = p.parse_args(argv)
    floors = [floor() for _ in range(args.repeats)]
    runs = [everything() for _ in range(args.repeats)]
    best_floor = min(floors, key=lambda f: sum(f.values()))
    best_steps, sizes = min(runs, key=lambda r: sum(r[0].values()))
    t_floor, t_all = sum(best_floor.values()), sum(best_steps.values())
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(
        f"collaboration benchmark -- {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, OMP_NUM_THREADS={threads}, best of {args.repeats}"
    )
    print(
        f"Horizon 2020: {sizes['participations']:,} participations, {sizes['organisations']:,} organisations, "
        f"{sizes['projects']:,} projects -> {sizes['links']:,} links ({sizes['links_by_year']:,} by year), "
        f"{sizes['countries']} countries, {sizes['country_pairs']:,} country pairs"
    )
    print(f"\n  {'step':<72}{'time':>10}")
    for name, s in best_steps.items():
        print(f"  {name:<72}{s:>9.3f}s")
    print(f"\n  floor: read the extracts and build the incidence matrix {t_floor:>25.3f}s")
    print(f"  all indicators (including the floor)                    {t_all:>25.3f}s   (target < 10 s)")
    print(f"  ratio all / floor                                       {t_all / t_floor:>25.1f}x")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "floor_s": t_floor,
                "total_s": t_all,
                "ratio": t_all / t_floor,
                "steps": best_steps,
                "floor_steps": best_floor,
                "sizes": sizes,
                "repeats": args.repeats,
            },
            indent=2,
        )
    )
    print(f"\nwrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
