"""Cluster Observatory stars: the worked example on E1 (indicators.md §9 B11), configurable rules,
bad input and real data."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import clusters, datasets
from clusterix_lib.clusters import Top
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import ParameterError

DATA = Path(__file__).parent / "data" / "indicators"
COLS = {"time": None, "loc": "region", "prod": "sector", "value": "value"}


def e1():
    return pd.read_csv(DATA / "e1.csv")


def starred(out, column):
    return {tuple(k) for k in out.loc[out[column] == 1, ["region", "sector"]].to_numpy()}


def test_b11_on_e1():
    out = clusters.cluster_stars(e1(), **COLS)
    assert list(out.columns) == [
        "region", "sector", "value", "size", "lq", "focus",
        "star_size", "star_specialisation", "star_focus", "stars", "strong",
    ]  # fmt: skip
    # specialisation: LQ >= 2 -- R5-I3 (2.75), R4-I5 (exactly 2.0), R3-I5 (2.5), and R1-I1, R2-I4, R5-I2
    assert starred(out, "star_specialisation") == {
        ("R1", "I1"), ("R2", "I4"), ("R3", "I5"), ("R4", "I5"), ("R5", "I2"), ("R5", "I3"),
    }  # fmt: skip
    # size: at or above the 90th percentile (linear) of the sector's positive cells, by hand:
    # I1 {100} -> 100; I2 {15, 20, 25, 40} -> 35.5; I3 {5, 10, 30, 55} -> 47.5; I4 {70, 20, 5, 5} -> 55;
    # I5 {10, 50, 40} -> 48
    expected_size = {("R1", "I1"), ("R5", "I2"), ("R5", "I3"), ("R2", "I4"), ("R3", "I5")}
    assert starred(out, "star_size") == expected_size
    # every region total is 100, so focus ranks like size within a sector
    assert starred(out, "star_focus") == expected_size
    np.testing.assert_allclose(out["size"], out["value"] / 100)
    np.testing.assert_allclose(out["focus"], out["value"] / 100)
    strong = {tuple(k) for k in out.loc[out["strong"], ["region", "sector"]].to_numpy()}
    assert strong == expected_size
    assert out.set_index(["region", "sector"]).loc[("R4", "I5"), "stars"] == 1


def test_focus_pool_and_other_rules():
    # all 16 positive cells: 90th percentile between 55 and 70 -> 62.5: R2-I4 (70) and R1-I1 (100)
    out = clusters.cluster_stars(e1(), focus_pool="all", **COLS)
    assert starred(out, "star_focus") == {("R1", "I1"), ("R2", "I4")}
    # thresholds instead of top shares: size >= 50 % of the sector, LQ in the top 20 % of the sector
    out = clusters.cluster_stars(e1(), size=0.5, specialisation=Top(0.2), focus=0.6, **COLS)
    assert starred(out, "star_size") == {("R1", "I1"), ("R2", "I4"), ("R5", "I3"), ("R3", "I5")}
    assert starred(out, "star_focus") == {("R1", "I1"), ("R2", "I4")}
    assert ("R5", "I2") in starred(out, "star_specialisation")
    three = clusters.cluster_stars(e1(), strong_stars=3, size=Top(0.1, method="higher"), **COLS)
    assert int(three["strong"].sum()) == 5
    # zero cells never get a star, even where the cut-off is 0
    assert (clusters.cluster_stars(e1(), size=0.0, focus=0.0, **COLS).query("value == 0")["stars"] == 0).all()


def test_bad_parameters():
    with pytest.raises(ParameterError, match="share must be in"):
        Top(0)
    with pytest.raises(ParameterError, match="share must be in"):
        Top(1.5)
    with pytest.raises(ParameterError, match="size='top'.*Top"):
        clusters.cluster_stars(e1(), size="top", **COLS)
    with pytest.raises(ParameterError, match="strong_stars"):
        clusters.cluster_stars(e1(), strong_stars=4, **COLS)
    with pytest.raises(ParameterError, match="focus_pool"):
        clusters.cluster_stars(e1(), focus_pool="region", **COLS)


def test_missing_cells_and_periods():
    d = e1()
    d.loc[(d["region"] == "R2") & (d["sector"] == "I3"), "value"] = np.nan
    with pytest.warns(DataWarning, match="left out"):
        out = clusters.cluster_stars(d, missing="omit", **COLS).set_index(["region", "sector"])
    assert out.loc[("R2", "I3"), ["star_size", "stars", "strong"]].isna().all()
    assert out["stars"].isna().sum() == 1
    panel = pd.concat([e1().assign(year=2000), e1().assign(year=2001, value=lambda x: x["value"][::-1].to_numpy())])
    both = clusters.cluster_stars(panel, time="year", loc="region", prod="sector")
    first = clusters.cluster_stars(e1(), **COLS)
    np.testing.assert_array_equal(both.loc[both["year"] == 2000, "stars"], first["stars"])


def test_real_data_known_clusters():
    """NUTS-2 regions, 2014: Moravia-Silesia's basic metals and Stuttgart's motor vehicles have all three stars."""
    emp = datasets.employment()
    nuts2 = emp[(emp["geo"].str.len() == 4) & (emp["year"] == 2014)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        out = clusters.cluster_stars(nuts2, missing="omit").set_index(["geo", "nace_r2"])
    assert out.loc[("CZ08", "C24"), "stars"] == 3 and out.loc[("DE11", "C29"), "stars"] == 3
    # top 10 %: per division, about a tenth of the regions with employment get the size star
    frac = out[out["value"] > 0].groupby("nace_r2")["star_size"].mean()
    assert frac.between(0.05, 0.2).mean() > 0.9


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 500), min_size=3, max_size=3), min_size=2, max_size=8),
    st.randoms(use_true_random=False),
)
def test_invariant_to_row_order_and_relabelling(rows, rnd):
    df = pd.DataFrame(
        [(f"R{r}", f"S{i}", float(v)) for r, row in enumerate(rows) for i, v in enumerate(row)],
        columns=["region", "sector", "value"],
    )
    if (df.groupby("sector")["value"].sum() == 0).any() or (df.groupby("region")["value"].sum() == 0).any():
        return
    regions = sorted(df["region"].unique())
    new = dict(zip(regions, rnd.sample([f"Z{i:02d}" for i in range(50)], len(regions)), strict=True))
    other = df.sample(frac=1, random_state=rnd.randrange(2**31)).assign(region=lambda d: d["region"].map(new))
    a = clusters.cluster_stars(df, **COLS).set_index(["region", "sector"])
    b = clusters.cluster_stars(other, **COLS)
    b = b.assign(region=b["region"].map({v: k for k, v in new.items()})).set_index(["region", "sector"]).loc[a.index]
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    assert ((a["stars"] >= 0) & (a["stars"] <= 3)).all()
    assert (a.loc[a["value"] == 0, "stars"] == 0).all()
