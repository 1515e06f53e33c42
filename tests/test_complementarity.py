"""Complementarity between regions: hand-made panels with obvious answers, properties, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import complementarity as cm
from clusterix_lib.errors import ParameterError, RegionError


def _panel(rows: dict[str, list[float]], sectors: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(g, s, v) for g, vals in rows.items() for s, v in zip(sectors, vals, strict=True)],
        columns=["geo", "nace_r2", "value"],
    ).assign(year=2014)


SECTORS = ["up", "down", "x", "y", "z"]  # "up"/"down": two halves of one value chain

# Europe: the two halves of the chain are co-located in R1-R4; x, y, z scattered.
EUROPE = {
    "R1": [10, 10, 1, 1, 1],
    "R2": [10, 10, 1, 1, 1],
    "R3": [10, 10, 1, 1, 1],
    "R4": [9, 11, 1, 1, 1],
    "R5": [1, 1, 10, 1, 1],
    "R6": [1, 1, 1, 10, 1],
    "R7": [1, 1, 1, 1, 10],
    "R8": [1, 1, 10, 10, 1],
    # candidate partners
    "A": [20, 1, 1, 1, 1],  # strong upstream only
    "B": [1, 20, 1, 1, 1],  # strong downstream only: A's value-chain partner
    "C": [1, 1, 1, 1, 20],  # strong in z, unrelated to "up"
    "D": [20, 1, 1, 1, 1],  # the same profile as A
    "E": [1, 1, 20, 1, 1],  # strong in x
}


@pytest.fixture(scope="module")
def strengths():
    # proximities and percentiles from the "European" regions R1-R8, as for NUTS 2 regions in the reports
    return cm.strength_matrix(_panel(EUROPE, SECTORS), reference_geos=[f"R{k}" for k in range(1, 9)])


def test_value_chain_halves_rank_first_and_are_complementary(strengths):
    phi = cm.sector_proximity(strengths)
    i, j = SECTORS.index("up"), SECTORS.index("down")
    assert phi[i, j] == pytest.approx(1.0)  # strong together in every region strong in either
    ranking = cm.partner_ranking(strengths, "A", ["B", "C", "D", "E"], weights={"overlap": 0, "complementarity": 1})
    assert ranking["region_b"].iloc[0] == "B"
    row = ranking.iloc[0]
    assert row["complementarity"] > 0 and row["overlap"] == 0
    assert "up" in row["top_complementary"] and "down" in row["top_complementary"]
    # unrelated strengths bring no complementarity
    others = ranking.set_index("region_b")
    assert others.loc["C", "complementarity"] == 0 and others.loc["E", "complementarity"] == 0


def test_identical_profiles_overlap_fully_and_complement_nothing(strengths):
    t = cm.complementarity(strengths, ["A"], ["D"])
    assert t["overlap"].iloc[0] == pytest.approx(1.0)
    assert t["complementarity"].iloc[0] == 0.0
    # default weights: scale partners (D) rank first when only overlap counts
    r = cm.partner_ranking(strengths, "A", ["B", "C", "D"], weights={"overlap": 1, "complementarity": 0})
    assert r["region_b"].iloc[0] == "D"


def test_contributions_name_the_value_chain_pair(strengths):
    c = cm.contributions(strengths, "A", ["B"], n=1)
    comp = c[c["kind"] == "complementary"].iloc[0]
    assert (comp["sector_a"], comp["sector_b"]) == ("up", "down")
    assert comp["proximity"] == pytest.approx(1.0)
    total = cm.complementarity(strengths, ["A"], ["B"])["complementarity"].iloc[0]
    assert comp["contribution"] == pytest.approx(total)  # the only pair


def test_declared_overlap_and_missing_declarations(strengths):
    declared = pd.DataFrame({"geo": ["A", "A", "B", "C"], "nace_r2": ["up", "x", "up", "z"]})
    t = cm.complementarity(strengths, ["A"], ["B", "C", "E"], declared=declared).set_index("region_b")
    assert t.loc["B", "declared"] == pytest.approx(1 / 2)  # {up, x} vs {up}
    assert t.loc["C", "declared"] == 0.0
    assert np.isnan(t.loc["E", "declared"]) and "declared" not in t.loc["E", "basis"]
    assert "declared" in t.loc["B", "basis"]


def test_consortium_matrix_is_symmetric_for_a_symmetric_proximity(strengths):
    codes = ["A", "B", "C", "D", "E"]
    m = cm.consortium_matrix(cm.complementarity(strengths, codes))
    vals = m.to_numpy(dtype=float)
    assert np.allclose(vals, vals.T, equal_nan=True)
    assert np.isnan(np.diag(vals)).all()


def test_asymmetric_proximity_gives_asymmetric_complementarity():
    rows = {**EUROPE, "R9": [10, 1, 1, 1, 1], "R10": [10, 1, 1, 1, 1]}  # "up" more ubiquitous than "down"
    s = cm.strength_matrix(_panel(rows, SECTORS))
    t = cm.complementarity(s, ["A", "B"], method="conditional").set_index(["region_a", "region_b"])
    assert t.loc[("A", "B"), "complementarity"] != pytest.approx(t.loc[("B", "A"), "complementarity"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=4, max_size=4), min_size=4, max_size=8))
def test_properties_on_random_panels(values):
    rows = {f"G{k}": [v + 1 for v in vals] for k, vals in enumerate(values)}
    s = cm.strength_matrix(_panel(rows, list("pqrs")))
    codes = list(rows)
    t = cm.complementarity(s, codes)
    for col in ("overlap", "complementarity"):
        v = t[col].dropna()
        assert ((v >= -1e-12) & (v <= 1 + 1e-12)).all()
        m = cm.consortium_matrix(t, col).to_numpy(dtype=float)
        assert np.allclose(m, m.T, equal_nan=True)  # min-conditional proximity is symmetric
    assert t["score"].dropna().between(0, 100).all()
    # a region against its copy: complementarity 0
    s2 = cm.strength_matrix(_panel({**rows, "COPY": rows["G0"]}, list("pqrs")))
    assert cm.complementarity(s2, ["G0"], ["COPY"])["complementarity"].fillna(0).iloc[0] == 0


def test_sensitivity_rank_intervals(strengths):
    runs = cm.sensitivity(strengths, "A", ["B", "C", "D", "E"], thresholds=(1.0, 1.5), methods=("min_conditional",))
    assert len(runs) == 2 * 1 * 3 * 4
    iv = cm.rank_intervals(runs)
    assert (iv["best"] <= iv["median"]).all() and (iv["median"] <= iv["worst"]).all()
    assert iv["best"].min() == 1


def test_bad_input():
    s = cm.strength_matrix(_panel(EUROPE, SECTORS))
    with pytest.raises(RegionError, match="no sector statistics for 'ZZ'"):
        cm.complementarity(s, ["A"], ["ZZ"])
    with pytest.raises(ParameterError, match="weights"):
        cm.complementarity(s, ["A"], ["B"], weights={"overlap": -1})
    with pytest.raises(ParameterError, match="method"):
        cm.sector_proximity(s, "nonsense")
    with pytest.raises(ParameterError, match="threshold"):
        cm.strength_matrix(_panel(EUROPE, SECTORS), threshold=0)


def test_rank_partners_in_one_call_orders_the_other_partner_regions():
    from clusterix_lib.complementarity import rank_partners

    table = rank_partners("AT12")
    assert "AT12" not in set(table["region_b"]) and len(table) == 9  # ten regions, less itself
    assert table["score"].is_monotonic_decreasing and table["rank"].tolist() == list(range(1, 10))
    assert set(table["region_b"]) == {"BE2", "CZ08", "DK03", "SE224", "FRK", "HU22", "ITH1", "RO32", "RO21"}


def test_score_components_rebuild_the_score(strengths):
    # the ranking table shows these parts beside the score: the weighted mean of what is shown must be the score
    declared = pd.DataFrame({"geo": ["A", "A", "B", "C"], "nace_r2": ["up", "x", "up", "z"]})
    ranking = cm.partner_ranking(strengths, "A", ["B", "C", "E"], declared=declared)
    parts = cm.score_components(ranking)
    assert parts["region_b"].tolist() == ranking["region_b"].tolist()
    w = cm.DEFAULT_WEIGHTS
    weights = np.array([w["overlap"], w["complementarity"], w["declared"]])
    values = parts[["shared", "complementary", "declared"]].to_numpy()
    assert np.nanmax(values) <= 100 and np.nanmin(values) >= 0  # one scale with the score
    have = np.isfinite(values)
    rebuilt = np.where(have, values * weights, 0).sum(axis=1) / np.where(have, weights, 0).sum(axis=1)
    assert rebuilt == pytest.approx(ranking["score"].to_numpy())
    assert parts.set_index("region_b").loc["B", "declared"] == pytest.approx(50.0)  # {up, x} vs {up}
    assert np.isnan(parts.set_index("region_b").loc["E", "declared"])


def test_rank_interval_axis_label_fits_in_the_figure():
    import matplotlib.pyplot as plt

    intervals = pd.DataFrame({"region_b": ["X", "Y", "Z"], "rank": [1, 2, 3], "best": [1, 1, 2], "worst": [3, 3, 3]})
    fig = cm.plot_rank_intervals(intervals, names={"X": "A long region name of a partner"}, title="Rank")
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.axes[0].xaxis.label.get_window_extent(renderer)
        width = fig.bbox.width
        assert box.x0 >= 0 and box.x1 <= width, (box, width)  # not cut at the figure's edge
    finally:
        plt.close(fig)


def test_map_values_take_the_best_covered_year_and_say_it():
    df = pd.DataFrame(
        {
            "indicator": ["gerd"] * 6 + ["other"],
            "geo": ["AT12", "AT13", "AT12", "AT12", "AT13", "AT", "AT12"],
            "year": [2011, 2011, 2012, 2013, 2013, 2013, 2020],
            "value": [1.0, 2.0, 3.0, 4.0, np.nan, 9.0, 1.0],
        }
    )
    year, values = cm.map_values(df, "gerd")
    assert year == 2011  # two regions with a value; 2013 has one (NaN and the country do not count)
    assert values.to_dict() == {"AT12": 1.0, "AT13": 2.0}
    tie = df.assign(value=df["value"].fillna(5.0))
    assert cm.map_values(tie, "gerd")[0] == 2013  # a tie goes to the latest year
    assert cm.map_values(df, "missing")[0] is None and cm.map_values(df, "missing")[1].empty


def test_a_pair_is_called_related_only_when_closer_than_the_typical_pair():
    """The complementary reasons say "the related" only for division pairs above the median proximity."""
    phi = np.array([[1.0, 0.9, 0.05], [0.9, 1.0, 0.1], [0.05, 0.1, 1.0]])
    pct = cm.proximity_percentile(phi, np.array([0.9, 0.05]))
    assert pct[0] > 50 > pct[1]
    # every reason of the real data agrees with its pair's percentile
    from clusterix_lib import datasets

    emp = datasets.employment()
    year = 2014
    strengths = cm.europe_strengths(emp, year, ["AT12", "ITH1", "BE2"])
    real_phi = cm.sector_proximity(strengths)
    c = cm.contributions(strengths, "AT12", ["ITH1", "BE2"], proximity=real_phi, n=5)
    comp = c[c["kind"] == "complementary"]
    closer = cm.proximity_percentile(real_phi, comp["proximity"].to_numpy())
    said = comp["reason"].str.contains(" in the related ").to_numpy()
    assert len(comp) and (said == (closer >= 50)).all()


def test_score_ties_are_runs_of_small_gaps():
    r = pd.DataFrame(
        {"region_b": list("ABCDEF"), "rank": [1, 2, 3, 4, 5, 6], "score": [60.0, 50.0, 48.5, 47.0, 40.0, 39.99]}
    )
    # 50 -> 48.5 -> 47 are steps of 1.5 (< 2); 47 -> 40 is not; 40 -> 39.99 is
    assert [t["region_b"].tolist() for t in cm.score_ties(r)] == [["B", "C", "D"], ["E", "F"]]
    assert [t["region_b"].tolist() for t in cm.score_ties(r, within=1.0)] == [["E", "F"]]
    # a gap of exactly `within` is not a tie; order follows the rank, not the row order
    assert cm.score_ties(pd.DataFrame({"region_b": ["Y", "X"], "rank": [2, 1], "score": [48.0, 50.0]})) == []
    assert cm.score_ties(r.head(1)) == []


def test_ranking_robustness_sentences():
    # three settings, three candidates: X is first twice, Y once; Z is always last (robust)
    runs = pd.DataFrame({"region_b": ["X", "Y", "Z"] * 3, "rank": [1, 2, 3, 1, 3, 2, 2, 1, 3]})
    iv = cm.rank_intervals(runs)
    text = cm.ranking_robustness(runs, iv, names={"X": "Xland"})
    assert text[0].startswith("Robust over the 3 settings")
    assert "Xland (X) (ranks 1–2)" in text[0] and "Z (ranks 2–3)" in text[0]
    assert text[1] == "First over the 3 settings: Xland (X) in 2, Y in 1."
    # four settings in which every candidate is once first and once last
    wide = pd.DataFrame({"region_b": list("ABCD") * 4, "rank": [1, 2, 3, 4, 4, 3, 2, 1, 2, 1, 4, 3, 3, 4, 1, 2]})
    assert cm.ranking_robustness(wide, cm.rank_intervals(wide))[0].startswith("No partner keeps its rank")


def test_scope_keeps_the_sections_divisions_and_their_figures(strengths):
    assert cm.scope_sectors(["B08", "C10", "D35", "E38", "F41", "G46", "N82"], "industry") == [
        "B08",
        "C10",
        "D35",
        "E38",
    ]
    assert cm.scope_sectors(["B08", "F41", "G46", "N82"], "services") == ["G46", "N82"]
    with pytest.raises(ParameterError, match="unknown sector scope 'farming'"):
        cm.scope_sectors(["C10"], "farming")
    keep = list(strengths.sectors[1:3])
    sub = strengths.only([*keep, "Z99"])  # an unknown code is ignored
    assert sub.sectors == tuple(keep) and sub.geos == strengths.geos
    np.testing.assert_array_equal(sub.lq, strengths.lq[:, 1:3])
    np.testing.assert_array_equal(sub.strong, strengths.strong[:, 1:3])  # LQs are not recomputed
    assert sub.with_threshold(1.5).sectors == sub.sectors
    with pytest.raises(ParameterError, match="none of the sectors"):
        strengths.only(["Z99"])


def test_partner_without_statistics_is_left_out_not_fatal(tmp_path):
    # NO08 (Oslo og Viken) has no SBS figures in NUTS 2021 (its NUTS 2013 sources are incomplete)
    from clusterix_lib import datasets, paths

    employment = datasets.employment()
    assert not employment.loc[employment["geo"] == "NO08", "value"].notna().any()
    s = cm.europe_strengths(employment, 2014, ["AT12", "NO08", "LT01"])
    assert s.has("AT12") and not s.has("NO08")
    assert s.aliases["LT01"] == "LT01+LT02" and s.has("LT01")  # joint figures, one row
    text = (paths.data_dir() / "consortium_clusterix2.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    row = dict.fromkeys(header, "")
    row |= {
        "partner_no": "99",
        "organisation": "Test agency",
        "short_name": "TEST",
        "org_type": "agency",
        "country": "NO",
        "nuts_code": "NO08",
        "nuts_version": "2021",
        "role": "partner",
        "source": "test",
    }
    path = tmp_path / "consortium.csv"
    path.write_text(text.rstrip("\n") + "\n" + ",".join(row[h] for h in header) + "\n", encoding="utf-8")
    table = cm.rank_partners("AT12", path, year=2014)
    assert "NO08" not in set(table["region_b"]) and len(table) >= 5
