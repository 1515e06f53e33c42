"""Herfindahl, entropy, Gini, locational Gini and Hoover: hand-computed examples (indicators.md §9 B3-B4),
properties, bad input and a real-data check."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import concentration, datasets
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import DataFileError, ParameterError

DATA = Path(__file__).parent / "data" / "indicators"
COLS = {"time": None, "loc": "region", "prod": "sector", "value": "value"}


def e1():
    return pd.read_csv(DATA / "e1.csv")


def b4(values=(0, 10, 10, 30, 50)):
    """EconGeo's vectors of indicators.md B4: one industry over five regions, and their population."""
    data = pd.DataFrame({"region": list("abcde"), "sector": "ind", "value": values})
    pop = pd.DataFrame({"region": list("abcde"), "population": [10, 15, 20, 25, 30]})
    return data, pop


def test_e1_within_region_concentration():
    # indicators.md B3: Herfindahl and Shannon entropy (log2) of R1..R5
    h = concentration.herfindahl(e1(), **COLS)
    assert list(h.columns) == ["region", "herfindahl"]
    np.testing.assert_allclose(h["herfindahl"], [1, 0.525, 0.34, 0.315, 0.465], rtol=1e-12)
    e = concentration.entropy(e1(), **COLS)
    np.testing.assert_allclose(e["entropy"], [0, 1.319, 1.761, 1.766, 1.219], atol=5e-4)
    assert e["entropy"].iloc[0] == 0.0  # 0 log 0 = 0 exactly (EconGeo adds 1e-9)
    # R2 by hand: shares .15 .05 .7 .1
    r2 = -sum(s * np.log(s) for s in (0.15, 0.05, 0.7, 0.1))
    nats = concentration.entropy(e1(), base=np.e, **COLS)
    assert nats["entropy"].iloc[1] == pytest.approx(r2, rel=1e-12)


def test_e1_locational_gini():
    # indicators.md B3: 0.40, 0.18, 0.27, 0.31, 0.28; I1 by hand: curve (0, 0, 0, 0, 1) over steps of 0.2 ->
    # area under it 0.1, area between it and the diagonal 0.5 - 0.1 = 0.4
    lg = concentration.locational_gini(e1(), **COLS)
    assert list(lg.columns) == ["sector", "locational_gini"]
    np.testing.assert_allclose(lg["locational_gini"], [0.40, 0.18, 0.27, 0.31, 0.28], atol=1e-12)
    # twice the locational Gini is the Gini weighted by the locations' totals
    g = concentration.gini(e1(), population="total", **COLS)
    np.testing.assert_allclose(g["gini"], 2 * lg["locational_gini"], rtol=1e-12)


def test_b4_gini_hoover_hoover_gini():
    data, pop = b4()
    assert concentration.gini(data, **COLS)["gini"].item() == pytest.approx(0.48, abs=1e-12)
    # EconGeo hoover_gini(ind, pop) = 0.31; hoover_index = 25.0 (%)
    assert concentration.gini(data, population=pop, **COLS)["gini"].item() == pytest.approx(0.31, abs=1e-12)
    assert concentration.hoover_index(data, population=pop, **COLS)["hoover"].item() == pytest.approx(0.25)
    # uniform population by default: 0.5 * sum |ind/100 - 0.2| = 0.5 * (.2 + .1 + .1 + .1 + .3)
    assert concentration.hoover_index(data, **COLS)["hoover"].item() == pytest.approx(0.4)


def test_sector_direction_and_periods():
    d = pd.concat([e1().assign(year=2020), e1().assign(year=2021, value=lambda x: x["value"] * 3)])
    h = concentration.herfindahl(d, time="year", loc="region", prod="sector", by="prod")
    assert list(h.columns) == ["year", "sector", "herfindahl"] and len(h) == 10
    # I2 over regions: shares .15 .2 .25 .4 (every column total is 100)
    i2 = h[h["sector"] == "I2"]["herfindahl"].to_numpy()
    np.testing.assert_allclose(i2, 0.15**2 + 0.2**2 + 0.25**2 + 0.4**2, rtol=1e-12)
    e = concentration.entropy(d, time="year", loc="region", prod="sector", by="prod")
    assert e.loc[e["sector"] == "I1", "entropy"].tolist() == [0.0, 0.0]
    with pytest.raises(ParameterError, match="by="):
        concentration.herfindahl(d, time="year", loc="region", prod="sector", by="region")
    with pytest.raises(ParameterError, match="base"):
        concentration.entropy(d, time="year", loc="region", prod="sector", base=1)


def test_missing_cells_and_population_gaps():
    data, pop = b4([0.0, 10, np.nan, 30, 50])
    with pytest.raises(DataFileError, match="missing value"):
        concentration.gini(data, **COLS)
    with pytest.warns(DataWarning, match="1 missing value.*region='c'"):
        g = concentration.gini(data, missing="omit", **COLS)["gini"].item()
    # region c takes no part: Gini of (0, 10, 30, 50) over four regions
    four = pd.DataFrame({"region": list("abde"), "sector": "ind", "value": [0, 10, 30, 50]})
    assert g == pytest.approx(concentration.gini(four, **COLS)["gini"].item(), rel=1e-12)
    data, pop = b4()
    with pytest.warns(DataWarning, match="population table has no value for 1 location.*left out.*: e"):
        h = concentration.hoover_index(data, population=pop[pop["region"] != "e"], **COLS)["hoover"].item()
    four = pd.DataFrame({"region": list("abcd"), "sector": "ind", "value": [0, 10, 10, 30]})
    assert h == pytest.approx(
        concentration.hoover_index(four, population=pop[pop["region"] != "e"], **COLS)["hoover"].item()
    )
    with pytest.raises(DataFileError, match="10 rows repeat the same region.*the population table"):
        concentration.gini(data, population=pd.concat([pop, pop]), **COLS)
    with pytest.raises(ParameterError, match="population="):
        concentration.gini(data, population="people", **COLS)


def test_zero_and_single_inputs_are_warned():
    d = pd.DataFrame({"region": ["a", "b", "a", "b"], "sector": ["x", "x", "y", "y"], "value": [1.0, 2, 0, 0]})
    with pytest.warns(DataWarning, match="1 sector.*zero total.*y"):
        g = concentration.gini(d, **COLS)
    assert np.isnan(g.loc[g["sector"] == "y", "gini"].item())
    with pytest.warns(DataWarning, match="a single sector"):
        concentration.entropy(d[d["sector"] == "x"], **COLS)
    with pytest.warns(DataWarning, match="1 location.*zero total.*c"):
        h = concentration.herfindahl(pd.concat([d, pd.DataFrame([["c", "x", 0.0]], columns=d.columns)]), **COLS)
    assert np.isnan(h.loc[h["region"] == "c", "herfindahl"].item())


def test_real_data_retail_is_everywhere_coal_is_not():
    """NUTS-2 regions in 2014: retail trade (G47) follows total employment closely, mining of coal and
    lignite (B05) is concentrated in a few regions."""
    emp = datasets.employment()
    nuts2 = emp[(emp["geo"].str.len() == 4) & (emp["year"] == 2014)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # withheld cells, regions withholding everything
        lg = concentration.locational_gini(nuts2, missing="omit").set_index("nace_r2")["locational_gini"]
    assert lg["G47"] < 0.1 < 0.4 < lg["B05"]
    assert lg.rank()["G47"] <= 3


gini_rows = st.lists(st.lists(st.integers(0, 500), min_size=3, max_size=3), min_size=2, max_size=7)


@settings(max_examples=60, deadline=None)
@given(gini_rows, st.lists(st.integers(1, 100), min_size=7, max_size=7))
def test_bounds(rows, pops):
    x = np.array(rows, dtype=float)
    if (x.sum(axis=0) == 0).any() or (x.sum(axis=1) == 0).any():
        return
    n = len(rows)
    df = pd.DataFrame(
        [(f"R{r}", f"S{i}", v) for r, row in enumerate(rows) for i, v in enumerate(row)],
        columns=["region", "sector", "value"],
    )
    pop = pd.DataFrame({"region": [f"R{r}" for r in range(n)], "population": pops[:n]})
    g = concentration.gini(df, **COLS)["gini"]
    assert ((g >= -1e-12) & (g <= (n - 1) / n + 1e-12)).all()
    gp = concentration.gini(df, population=pop, **COLS)["gini"]
    assert ((gp >= -1e-12) & (gp < 1)).all()
    lg = concentration.locational_gini(df, **COLS)["locational_gini"]
    assert ((lg >= -1e-12) & (lg < 0.5)).all()
    hv = concentration.hoover_index(df, population=pop, **COLS)["hoover"]
    assert ((hv >= 0) & (hv <= 1)).all()
    hh = concentration.herfindahl(df, **COLS)["herfindahl"]
    assert ((hh >= 1 / 3 - 1e-12) & (hh <= 1 + 1e-12)).all()
    en = concentration.entropy(df, **COLS)["entropy"]
    assert ((en >= 0) & (en <= np.log2(3) + 1e-12)).all()
    # activity proportional to population: no concentration
    prop = pop.assign(sector="S0", value=pop["population"] * 7)
    assert concentration.gini(prop, population=pop, **COLS)["gini"].item() == pytest.approx(0, abs=1e-12)
    assert concentration.hoover_index(prop, population=pop, **COLS)["hoover"].item() == pytest.approx(0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(gini_rows, st.randoms(use_true_random=False))
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
    for fn in (concentration.gini, concentration.locational_gini, concentration.hoover_index):
        a, b = fn(df, **COLS), fn(other, **COLS)
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    back = {v: k for k, v in new.items()}
    for fn in (concentration.herfindahl, concentration.entropy):
        a = fn(df, **COLS).set_index("region")
        b = fn(other, **COLS).assign(region=lambda d: d["region"].map(back)).set_index("region").loc[a.index]
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
