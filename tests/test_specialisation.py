"""Location quotients, RPOP and specialisation indices: hand-computed examples (indicators.md §9 B2-B3),
properties, bad input and a real-data check."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import datasets, specialisation
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import ClusterixError, DataFileError, ParameterError
from clusterix_lib.specialisation import location_quotient

DATA = Path(__file__).parent / "data" / "indicators"
COLS = {"time": None, "loc": "region", "prod": "sector", "value": "value"}


def e1():
    """EconGeo's location_quotient example matrix (indicators.md B1): every row and column sums to 100."""
    return pd.read_csv(DATA / "e1.csv")


def wide(out, column, index="region", columns="sector"):
    return out.pivot(index=index, columns=columns, values=column)


# LQ = 5 x share, computed by hand (indicators.md B2)
E1_LQ = [
    [5.00, 0, 0, 0, 0],
    [0, 0.75, 0.25, 3.50, 0.50],
    [0, 1.00, 0.50, 1.00, 2.50],
    [0, 1.25, 1.50, 0.25, 2.00],
    [0, 2.00, 2.75, 0.25, 0],
]


def test_e1_location_quotients():
    out = location_quotient(e1(), **COLS)
    assert list(out.columns) == ["region", "sector", "value", "share", "reference_share", "lq"]
    np.testing.assert_allclose(wide(out, "lq").to_numpy(), E1_LQ, rtol=1e-12)
    np.testing.assert_allclose(out["reference_share"], 0.2)


def test_binary_presence_keeps_lq_equal_to_one():
    # B2: >= 1 gives R1 {I1}, R2 {I4}, R3 {I2, I4, I5}, R4 {I2, I3, I5}, R5 {I2, I3}
    out = specialisation.rca_presence(e1(), **COLS)
    got = out[out["presence"] == 1].groupby("region")["sector"].apply(list).to_dict()
    assert got == {"R1": ["I1"], "R2": ["I4"], "R3": ["I2", "I4", "I5"], "R4": ["I2", "I3", "I5"], "R5": ["I2", "I3"]}
    # LQ exactly 1 comes out as exactly 1 (one division of products), so the rule is exact
    assert out.loc[(out["region"] == "R3") & (out["sector"] == "I2"), "lq"].item() == 1.0
    # a strict "> 1" (any threshold just above 1) drops R3-I2 and R3-I4
    strict = specialisation.rca_presence(e1(), threshold=1 + 1e-9, **COLS)
    r3 = strict[(strict["region"] == "R3") & (strict["presence"] == 1)]["sector"].tolist()
    assert r3 == ["I5"]
    two = specialisation.rca_presence(e1(), threshold=2, **COLS)
    assert set(map(tuple, two.loc[two["presence"] == 1, ["region", "sector"]].to_numpy())) == {
        ("R1", "I1"),
        ("R2", "I4"),
        ("R3", "I5"),
        ("R4", "I5"),
        ("R5", "I2"),
        ("R5", "I3"),
    }


def test_e1_specialisation_indices():
    # indicators.md B3, by hand
    out = specialisation.specialisation_indices(e1(), **COLS).set_index("region")
    np.testing.assert_allclose(out["krugman"], [1.6, 1.0, 0.6, 0.7, 1.1], rtol=1e-12)
    np.testing.assert_allclose(out["hoover_specialisation"], [0.8, 0.5, 0.3, 0.35, 0.55], rtol=1e-12)
    np.testing.assert_allclose(out["average_lq"], [5, 2.625, 1.7, 1.575, 2.325], rtol=1e-12)
    np.testing.assert_allclose(out["hachman"], [0.2, 0.3810, 0.5882, 0.6349, 0.4301], atol=5e-5)
    # each single-index function returns the same numbers
    for fn, col in [
        (specialisation.krugman_index, "krugman"),
        (specialisation.hoover_specialisation, "hoover_specialisation"),
        (specialisation.average_lq, "average_lq"),
        (specialisation.hachman_index, "hachman"),
    ]:
        single = fn(e1(), **COLS)
        assert list(single.columns) == ["region", col]
        np.testing.assert_allclose(single[col], out[col].to_numpy(), rtol=1e-15)


def test_external_reference_hand_computed():
    # region A: 30 in s1, 70 in s2 -> shares .3/.7; EU: 200 in s1, 800 in s2 -> .2/.8
    data = pd.DataFrame({"year": 2020, "geo": ["A", "A"], "nace_r2": ["s1", "s2"], "value": [30.0, 70.0]})
    ref = pd.DataFrame({"nace_r2": ["s1", "s2"], "value": [200.0, 800.0]})
    out = location_quotient(data, reference=ref)
    assert out["lq"].tolist() == pytest.approx([0.3 / 0.2, 0.7 / 0.8])
    assert out["reference_share"].tolist() == pytest.approx([0.2, 0.8])
    k = specialisation.krugman_index(data, reference=ref)
    assert k["krugman"].item() == pytest.approx(0.2)


def test_reference_by_period_and_its_gaps():
    data = pd.DataFrame(
        {
            "year": [2020, 2020, 2021, 2021],
            "geo": "A",
            "nace_r2": ["s1", "s2", "s1", "s2"],
            "value": [1.0, 1, 1, 3],
        }
    )
    ref = pd.DataFrame({"year": [2020, 2020, 2021, 2021], "nace_r2": ["s1", "s2", "s1", "s2"], "value": [1.0, 3, 1, 1]})
    out = location_quotient(data, reference=ref).set_index(["year", "nace_r2"])["lq"]
    assert out.tolist() == pytest.approx([0.5 / 0.25, 0.5 / 0.75, 0.25 / 0.5, 0.75 / 0.5])
    with pytest.raises(DataFileError, match="no rows for period.*2021"):
        location_quotient(data, reference=ref[ref["year"] == 2020])
    # a sector without a reference value: NaN, and the warning names it
    with pytest.warns(DataWarning, match="no value for 1 sector.*s2"):
        out = location_quotient(data, reference=ref[ref["nace_r2"] == "s1"])
    assert out.loc[out["nace_r2"] == "s2", "lq"].isna().all()
    with pytest.raises(DataFileError, match="column.*'value' not found"):
        location_quotient(data, reference=ref.rename(columns={"value": "v"}))
    with pytest.raises(DataFileError, match="negative"):
        location_quotient(data, reference=ref.assign(value=-1.0))


def test_years_are_computed_separately():
    d14 = e1().assign(year=2014)
    d15 = e1().assign(year=2015, value=lambda d: 2 * d["value"])
    d15.loc[d15["region"] == "R1", "value"] = 0.0
    d15.loc[(d15["region"] == "R1") & (d15["sector"] == "I2"), "value"] = 200.0
    with pytest.warns(DataWarning, match="1 sector.*zero total.*I1 in 2015"):
        out = location_quotient(pd.concat([d15, d14]), time="year", loc="region", prod="sector")
    np.testing.assert_allclose(wide(out[out["year"] == 2014], "lq").to_numpy(), E1_LQ)
    # 2015: I2 total = 2*(0+15+20+25+40)+200 = 400 of 1000 -> R1 (all in I2) has LQ 1/0.4 = 2.5
    r1 = out[(out["year"] == 2015) & (out["region"] == "R1") & (out["sector"] == "I2")]["lq"].item()
    assert r1 == pytest.approx(2.5)


def test_missing_values_error_or_left_out():
    data = pd.DataFrame({"geo": ["A", "A", "A"], "nace_r2": ["s1", "s2", "s3"], "value": [30.0, np.nan, 70.0]})
    ref = pd.DataFrame({"nace_r2": ["s1", "s2", "s3"], "value": [100.0, 100.0, 300.0]})
    with pytest.raises(DataFileError, match="1 missing value.*nace_r2='s2'"):
        location_quotient(data, time=None, reference=ref)
    with pytest.warns(DataWarning, match="1 missing value.*left out.*s2"):
        out = location_quotient(data, time=None, reference=ref, missing="omit")
    assert np.isnan(out.loc[1, "lq"]) and np.isnan(out.loc[1, "value"])
    # both totals count only the sectors the region publishes: 100 in the region, 400 in the reference
    assert out.loc[0, "lq"] == pytest.approx((30 / 100) / (100 / 400))
    assert out.loc[0, "reference_share"] == pytest.approx(100 / 400) and np.isnan(out.loc[1, "reference_share"])
    with pytest.warns(DataWarning, match="treated as 0"):
        zero = location_quotient(data, time=None, reference=ref, missing="zero")
    assert zero.loc[1, "lq"] == 0.0


def test_bad_input_is_named():
    data = pd.DataFrame({"geo": ["A", "A", "B"], "nace_r2": ["s1", "s2", "s1"], "value": [30.0, -1.0, 5.0]})
    with pytest.raises(DataFileError, match="negative.*nace_r2='s2'"):
        location_quotient(data, time=None)
    with pytest.raises(DataFileError, match="'year' not found"):
        location_quotient(data)
    dup = pd.DataFrame({"geo": ["A", "A", "B"], "nace_r2": ["s1", "s1", "s2"], "value": [1.0, 2.0, 5.0]})
    with pytest.raises(DataFileError, match="repeat"):
        location_quotient(dup, time=None)
    with pytest.warns(DataWarning, match="summed"):
        summed = location_quotient(dup, time=None, duplicates="sum")
    assert summed.loc[summed["nace_r2"] == "s1", "value"].tolist() == [3.0, 0.0]
    with pytest.raises(ParameterError, match="threshold"):
        specialisation.rca_presence(dup, time=None, duplicates="sum", threshold=-1)
    with pytest.raises(ParameterError, match="missing"):
        location_quotient(data, time=None, missing="drop")
    with pytest.raises(ClusterixError, match="DataFrame"):
        location_quotient(data.to_numpy(), time=None)


def test_all_zero_and_single_location_are_warned():
    data = pd.DataFrame({"geo": ["A", "A", "B", "B"], "nace_r2": ["s1", "s2", "s1", "s2"], "value": [1.0, 3, 0, 0]})
    with pytest.warns(DataWarning, match="1 location.*zero total.*B"):
        out = specialisation.specialisation_indices(data, time=None)
    assert out.set_index("geo")["krugman"].isna().tolist() == [False, True]
    with pytest.warns(DataWarning, match="a single location"):
        single = location_quotient(data[data["geo"] == "A"], time=None)
    assert single["lq"].tolist() == [1.0, 1.0]
    zero_sector = pd.DataFrame(
        {"geo": ["A", "A", "B", "B"], "nace_r2": ["s1", "s2", "s1", "s2"], "value": [1.0, 0, 2, 0]}
    )
    with pytest.warns(DataWarning, match="1 sector.*zero total.*s2"):
        out = location_quotient(zero_sector, time=None)
    assert out.loc[out["nace_r2"] == "s2", "lq"].isna().all()


def test_rpop_hand_computed():
    data = pd.DataFrame(
        {
            "year": 2020,
            "geo": ["A", "A", "B", "B", "C"],
            "nace_r2": ["x", "y", "x", "y", "x"],
            "value": [30.0, 10, 10, 10, 5],
        }
    )
    pop = pd.DataFrame({"geo": ["A", "B"], "population": [100.0, 300.0]})
    with pytest.warns(DataWarning, match="population table has no value for 1 location.*C"):
        out = specialisation.rpop(data, pop, threshold=1)
    got = out.set_index(["geo", "nace_r2"])
    # over the locations with a population: x totals 40 / 20, population 400
    assert got.loc[("A", "x"), "rpop"] == pytest.approx((30 / 100) / (40 / 400))
    assert got.loc[("B", "y"), "rpop"] == pytest.approx((10 / 300) / (20 / 400))
    assert np.isnan(got.loc[("C", "x"), "rpop"]) and got.loc[("C", "x"), "presence"] is pd.NA
    assert got["presence"].dropna().tolist() == [1, 1, 0, 0]
    with pytest.raises(DataFileError, match="'population' not found"):
        specialisation.rpop(data, pop.rename(columns={"population": "pop"}))


def test_real_data_moravia_silesia_basic_metals():
    """CZ08 (Moravskoslezsko), 2014, against all NUTS-2 regions with published figures:
    basic metals (C24) is a strong specialisation (PROVENANCE: LQ ~8), and so in the binary matrix."""
    emp = datasets.employment()
    nuts2 = emp[(emp["geo"].str.len() == 4) & (emp["year"] == 2014)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = specialisation.rca_presence(nuts2, missing="omit")
    messages = [str(w.message) for w in caught]
    assert any("missing value(s) in 'value' left out" in m for m in messages)
    assert any("location(s) with a zero total" in m for m in messages)  # regions withholding everything
    assert all(w.filename == __file__ for w in caught)  # attributed to the caller
    cz = out[out["geo"] == "CZ08"].set_index("nace_r2")
    assert cz.loc["C24", "lq"] > 5 and cz.loc["C24", "presence"] == 1
    # by hand with pandas: shares in the region and in all regions, both over the divisions CZ08 publishes
    pub = nuts2.dropna(subset=["value"])
    region = pub[pub["geo"] == "CZ08"].set_index("nace_r2")["value"]
    total = pub.groupby("nace_r2")["value"].sum()
    total = total[total.index.isin(region.index)]
    assert cz.loc["C24", "lq"] == pytest.approx((region["C24"] / region.sum()) / (total["C24"] / total.sum()))


def _matrix_frame(rows):
    return pd.DataFrame(
        [(f"R{r}", f"S{i}", float(v)) for r, row in enumerate(rows) for i, v in enumerate(row)],
        columns=["region", "sector", "value"],
    )


matrices = st.lists(st.lists(st.integers(0, 1000), min_size=4, max_size=4), min_size=2, max_size=6)


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(0.01, 1000))
def test_lq_properties(rows, scale):
    df = _matrix_frame(rows)
    x = np.array(rows, dtype=float)
    if (x.sum(axis=1) == 0).any() or (x.sum(axis=0) == 0).any():
        return  # zero totals have their own test
    out = location_quotient(df, **COLS)
    lq = wide(out, "lq").to_numpy()
    # employment-weighted mean LQ is 1 in every sector: sum_r x_r. LQ_ri / x = 1
    np.testing.assert_allclose((x.sum(axis=1)[:, None] * lq).sum(axis=0) / x.sum(), 1.0, rtol=1e-12)
    # share-weighted: sum_i s_i LQ_ri = 1 in every region
    np.testing.assert_allclose((lq * x.sum(axis=0) / x.sum()).sum(axis=1), 1.0, rtol=1e-12)
    idx = specialisation.specialisation_indices(df, **COLS)
    assert ((idx["krugman"] >= 0) & (idx["krugman"] <= 2 + 1e-12)).all()
    assert ((idx["hoover_specialisation"] >= 0) & (idx["hoover_specialisation"] <= 1 + 1e-12)).all()
    assert (idx["average_lq"] >= 1 - 1e-12).all() and ((idx["hachman"] > 0) & (idx["hachman"] <= 1 + 1e-12)).all()
    scaled = location_quotient(df.assign(value=df["value"] * scale), **COLS)
    np.testing.assert_allclose(scaled["lq"], out["lq"], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(matrices, st.randoms(use_true_random=False))
def test_invariant_to_row_order_and_relabelling(rows, rnd):
    df = _matrix_frame(rows)
    df = df[df.groupby("region")["value"].transform("sum") > 0]
    if df.empty or df.groupby("sector")["value"].sum().eq(0).any():
        return
    shuffled = df.sample(frac=1, random_state=rnd.randrange(2**31))
    regions = sorted(df["region"].unique())
    new = dict(zip(regions, rnd.sample([f"Z{i:02d}" for i in range(50)], len(regions)), strict=True))
    relabelled = shuffled.assign(region=shuffled["region"].map(new))
    a = location_quotient(df, **COLS).set_index(["region", "sector"])["lq"]
    b = location_quotient(relabelled, **COLS)
    b = b.assign(region=b["region"].map({v: k for k, v in new.items()})).set_index(["region", "sector"])["lq"]
    pd.testing.assert_series_equal(a, b.loc[a.index], rtol=1e-12)
    ka = specialisation.specialisation_indices(df, **COLS).set_index("region")
    kb = specialisation.specialisation_indices(relabelled, **COLS)
    kb = kb.assign(region=kb["region"].map({v: k for k, v in new.items()})).set_index("region")
    pd.testing.assert_frame_equal(ka, kb.loc[ka.index], rtol=1e-12)
