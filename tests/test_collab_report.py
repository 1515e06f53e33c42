"""Words and figures of the collaboration report: counts in singular and plural, sector and
country-group labels, wrapped network labels, whole-number axes for counts."""

from __future__ import annotations

import gzip

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from clusterix_lib import collab_indicators as ci
from clusterix_lib import collab_plots, paths
from clusterix_lib import collab_report as cr
from clusterix_lib import collaboration as co
from clusterix_lib.wording import counted

DATA = paths.REPO_ROOT / "data"


@pytest.mark.parametrize(
    ("n", "one", "several", "expected"),
    [
        (1, "organisation", None, "1 organisation"),
        (0, "organisation", None, "0 organisations"),
        (2, "public body", "public bodies", "2 public bodies"),
        (1, "public body", "public bodies", "1 public body"),
        (16973, "link", None, "16,973 links"),
        (np.int64(1), "time", None, "1 time"),
        (1.0, "link", None, "1 link"),  # a count that went through a float column
    ],
)
def test_counted_agrees_with_the_number(n, one, several, expected):
    assert counted(n, one, several) == expected


def test_every_sector_has_a_singular_and_a_plural():
    for sector in co.SECTORS:
        one, several = cr.SECTOR_NOUNS[sector]
        assert cr.sector_label(sector) == cr.sector_label(sector, 1) == one
        assert cr.sector_label(sector, 2) == cr.sector_label(sector, 0) == several
        assert one != several


def test_sector_counts_read_as_english():
    # the reviewer's examples: "1 private (...), 2 public body" and "113 knowledge institution, 70 public body"
    assert cr.sector_counts({"private": 1, "public": 2}) == (
        "1 private organisation (enterprise or non-profit), 2 public bodies"
    )
    assert cr.sector_counts({"knowledge": 113, "public": 70}) == "113 knowledge institutions, 70 public bodies"
    assert cr.sector_counts({"enterprise": 1, "knowledge": 1}) == "1 enterprise, 1 knowledge institution"
    assert cr.sector_counts({}) == ""


def test_every_country_group_in_the_h2020_extract_has_a_label():
    with gzip.open(DATA / "h2020_organisations.csv.gz", "rt", encoding="utf-8") as f:
        groups = pd.read_csv(f, dtype=str, keep_default_na=False)["country_group"]
    codes = sorted(set(groups) - {""})
    assert codes, "no country group in the extract"
    for code in codes:
        label = cr.country_group_label(code)
        assert label != code and label != code.upper(), f"CORDIS group {code!r} has no label"
    assert cr.country_group_label("eu13").startswith("EU-13")
    assert cr.country_group_label("zz") == "ZZ"  # an undocumented code is shown, not hidden


def test_wrap_label_never_cuts_a_word():
    name = "Région de Bruxelles-Capitale/ Brussels Hoofdstedelijk Gewest"
    wrapped = collab_plots.wrap_label(f"BE10\n{name}", 18)
    lines = wrapped.split("\n")
    assert lines[0] == "BE10"
    assert " ".join(lines[1:]).replace("- ", "-") == name  # every character kept, in order
    assert all(len(line) <= 18 for line in lines)
    assert collab_plots.wrap_label("Niederösterreich", 5) == "Niederösterreich"  # a long word stays whole


def test_partner_network_shows_whole_names():
    edges = pd.DataFrame({"group_a": ["RO21", "RO21"], "group_b": ["BE10", "BG41"], "links": [3, 1]})
    name = "Région de Bruxelles-Capitale/ Brussels Hoofdstedelijk Gewest"
    fig = collab_plots.plot_partner_network(
        edges, "RO21", labels={"RO21": "RO21\nNord-Est", "BE10": f"BE10\n{name}", "BG41": "BG41\nYugozapaden"}
    )
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        be10 = next(t for t in texts if t.startswith("BE10"))
        assert "Bruxelles" in be10 and "Gewest" in be10  # not cut at 18 characters ("Région de Bruxelle")
        assert all(len(line) <= 22 for line in be10.split("\n"))
    finally:
        plt.close(fig)


def _ytick_values(fig):
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    return [v for v in ax.get_yticks() if lo <= v <= hi]


def test_links_by_year_has_whole_number_ticks_for_counts():
    table = pd.DataFrame({"year": [2016, 2017, 2018, 2019], "links": [0, 1, 2, 1]})
    fig = collab_plots.plot_links_by_year(table, change_year=2018)
    try:
        ticks = _ytick_values(fig)
        assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), ticks
    finally:
        plt.close(fig)
    # a share keeps fractional ticks
    fig = collab_plots.plot_links_by_year(table.assign(links=[0.1, 0.25, 0.4, 0.3]))
    try:
        assert not all(float(v).is_integer() for v in _ytick_values(fig))
    finally:
        plt.close(fig)


def test_ranking_comparison_counts_links_as_integers():
    links = pd.DataFrame({"partner": ["A", "B"], "links": [3, 1]})
    ranking = pd.DataFrame({"partner": ["A", "B", "C"], "score": [42.540679, 30.0, 10.0]})
    table = ci.compare_with_ranking(links, ranking)["table"]
    assert pd.api.types.is_integer_dtype(table["links"])
    assert table.set_index("partner")["links"].to_dict() == {"A": 3, "B": 1, "C": 0}


def test_complementarity_ranking_or_a_plain_reason():
    table, note = cr.complementarity_ranking("AT12")
    assert list(table.columns) == ["partner", "score"] and "AT12" not in set(table["partner"]) and len(table)
    table, note = cr.complementarity_ranking("NO08")  # no sector statistics in NUTS 2021 for Oslo og Viken
    assert table is None and note.startswith("No complementarity ranking for NO08") and "clusterix_lib" not in note
