"""Location quotients: hand-computed examples and properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib.specialisation import location_quotient

# EconGeo's location_quotient example matrix (indicators.md B1): every row and column sums to 100.
E1 = {
    "R1": [100, 0, 0, 0, 0],
    "R2": [0, 15, 5, 70, 10],
    "R3": [0, 20, 10, 20, 50],
    "R4": [0, 25, 30, 5, 40],
    "R5": [0, 40, 55, 5, 0],
}
# LQ = 5 x share, computed by hand (indicators.md B2)
E1_LQ = {
    "R1": [5.00, 0, 0, 0, 0],
    "R2": [0, 0.75, 0.25, 3.50, 0.50],
    "R3": [0, 1.00, 0.50, 1.00, 2.50],
    "R4": [0, 1.25, 1.50, 0.25, 2.00],
    "R5": [0, 2.00, 2.75, 0.25, 0],
}


def tidy(matrix, year=None):
    rows = [(r, f"I{i + 1}", float(v)) for r, row in matrix.items() for i, v in enumerate(row)]
    df = pd.DataFrame(rows, columns=["region", "sector", "value"])
    if year is not None:
        df["year"] = year
    return df


def test_econgeo_matrix():
    lq = location_quotient(tidy(E1)).pivot(index="region", columns="sector", values="lq")
    np.testing.assert_allclose(lq.loc[list(E1_LQ)].to_numpy(), np.array(list(E1_LQ.values())), rtol=1e-12)


def test_binary_convention_keeps_lq_equal_to_one():
    # R3-I2 and R3-I4 have LQ exactly 1: the ">= 1" convention counts them (indicators.md B2)
    lq = location_quotient(tidy(E1))
    r3 = lq[lq["region"] == "R3"].set_index("sector")["lq"]
    assert sorted(r3.index[r3.round(12) >= 1]) == ["I2", "I4", "I5"]


def test_external_reference_hand_computed():
    # region A: 30 in s1, 70 in s2 -> shares .3/.7; EU: 200 in s1, 800 in s2 -> .2/.8
    data = pd.DataFrame({"region": ["A", "A"], "sector": ["s1", "s2"], "value": [30.0, 70.0]})
    ref = pd.DataFrame({"sector": ["s1", "s2"], "value": [200.0, 800.0]})
    out = location_quotient(data, reference=ref)
    assert out["lq"].tolist() == pytest.approx([0.3 / 0.2, 0.7 / 0.8])
    assert out["reference_share"].tolist() == pytest.approx([0.2, 0.8])


def test_years_are_computed_separately():
    df = pd.concat([tidy(E1, 2014), tidy({k: [2 * v for v in row] for k, row in E1.items()}, 2015)])
    df.loc[(df["year"] == 2015) & (df["region"] == "R1"), "value"] = 0.0
    df.loc[(df["year"] == 2015) & (df["region"] == "R1") & (df["sector"] == "I2"), "value"] = 200.0
    out = location_quotient(df, by="year")
    y14 = out[out["year"] == 2014].pivot(index="region", columns="sector", values="lq")
    np.testing.assert_allclose(y14.loc[list(E1_LQ)].to_numpy(), np.array(list(E1_LQ.values())))
    # 2015: I2 total = 2*(0+15+20+25+40)+200 = 400 of 1000 -> R1 (all in I2) has LQ 1/0.4 = 2.5
    r1 = out[(out["year"] == 2015) & (out["region"] == "R1") & (out["sector"] == "I2")]["lq"].item()
    assert r1 == pytest.approx(2.5)


def test_missing_values_stay_missing_and_do_not_count():
    data = pd.DataFrame({"region": ["A", "A", "A"], "sector": ["s1", "s2", "s3"], "value": [30.0, np.nan, 70.0]})
    ref = pd.DataFrame({"sector": ["s1", "s2", "s3"], "value": [100.0, 100.0, 300.0]})
    out = location_quotient(data, reference=ref)
    assert np.isnan(out.loc[1, "lq"])
    # region total counts only published cells (100); the reference total counts all of it (500)
    assert out.loc[0, "lq"] == pytest.approx((30 / 100) / (100 / 500))


def test_negative_counts_are_refused():
    data = pd.DataFrame({"region": ["A", "A"], "sector": ["s1", "s2"], "value": [30.0, -1.0]})
    with pytest.raises(ValueError, match="non-negative"):
        location_quotient(data)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 1000), min_size=4, max_size=4), min_size=2, max_size=6), st.floats(0.01, 1000))
def test_shares_weighted_lq_sum_to_one_and_scale_invariance(rows, scale):
    matrix = {f"R{i}": row for i, row in enumerate(rows)}
    df = tidy(matrix)
    out = location_quotient(df)
    # sum_i LQ_ri * X_i/X = sum_i s_ri = 1 for every region with employment
    weighted = (out["lq"] * out["reference_share"]).groupby(out["region"]).sum(min_count=1)
    totals = df.groupby("region")["value"].sum()
    for region, w in weighted.items():
        if totals[region] > 0:
            assert w == pytest.approx(1.0)
    scaled = location_quotient(df.assign(value=df["value"] * scale))
    np.testing.assert_allclose(scaled["lq"].to_numpy(), out["lq"].to_numpy(), rtol=1e-9, equal_nan=True)
