"""Growth, entry/exit of specialisations and shift-share: hand-computed examples (indicators.md §9 B4 and
tests/data/indicators/README.md), panels, properties and bad input."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import datasets, dynamics
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import DataFileError, ParameterError

DATA = Path(__file__).parent / "data" / "indicators"


def two_by_two():
    return pd.read_csv(DATA / "shift_share.csv")


def e1_panel():
    """E1 in 2000; in 2001 R3 moves 10 from I2 to I3, and R5 moves 40 from I2 to I1."""
    e1 = pd.read_csv(DATA / "e1.csv").rename(columns={"region": "geo", "sector": "nace_r2"})
    later = e1.set_index(["geo", "nace_r2"])["value"].copy()
    later[("R3", "I2")] -= 10
    later[("R3", "I3")] += 10
    later[("R5", "I2")] -= 40
    later[("R5", "I1")] += 40
    return pd.concat([e1.assign(year=2000), later.reset_index().assign(year=2001)])


def test_b4_classic_shift_share():
    data = pd.DataFrame({"year": [0, 1], "geo": "r", "nace_r2": "i", "value": [100.0, 120.0]})
    ref = pd.DataFrame({"year": [0, 0, 1, 1], "nace_r2": ["i", "rest"] * 2, "value": [200.0, 800, 220, 830]})
    out = dynamics.shift_share(data, reference=ref).iloc[0]
    assert (out["national_growth"], out["sector_growth"], out["local_growth"]) == pytest.approx((0.05, 0.1, 0.2))
    assert (out["national_share"], out["industry_mix"], out["regional_shift"]) == pytest.approx((5, 5, 10))
    assert out["change"] == 20
    with pytest.raises(DataFileError, match="reference table needs the 'year' column"):
        dynamics.shift_share(data, reference=ref.drop(columns="year").iloc[:2])


def test_shift_share_hand_computed_both_methods():
    classic = dynamics.shift_share(two_by_two()).set_index(["geo", "nace_r2"])
    cols = ["national_share", "industry_mix", "regional_shift"]
    expected = [[15, -3, 3], [10, 2, -12], [10, -2, -3], [15, 3, 12]]
    np.testing.assert_allclose(classic[cols].to_numpy(), expected, atol=1e-12)
    assert classic[["start", "end"]].drop_duplicates().to_numpy().tolist() == [[2010, 2015]]
    em = dynamics.shift_share(two_by_two(), method="esteban_marquillas").set_index(["geo", "nace_r2"])
    np.testing.assert_allclose(em["homothetic_start"], 50.0)
    np.testing.assert_allclose(
        em[["competitive_effect", "allocation_effect"]].to_numpy(), [[2.5, 0.5], [-15, 3], [-3.75, 0.75], [10, 2]]
    )
    np.testing.assert_allclose(em["competitive_effect"] + em["allocation_effect"], classic["regional_shift"])
    by_loc = dynamics.shift_share(two_by_two(), level="loc").set_index("geo")
    np.testing.assert_allclose(by_loc[["change", *cols]].to_numpy(), [[15, 25, -1, -9], [35, 25, 1, 9]], atol=1e-12)
    assert by_loc["n_missing"].tolist() == [0, 0]


def test_cells_starting_at_zero():
    data = pd.DataFrame(
        {"year": [1, 1, 1, 2, 2, 2], "geo": ["r", "r", "s"] * 2, "nace_r2": ["a", "b", "a"] * 2,
         "value": [10.0, 0, 10, 10, 5, 20]}
    )  # fmt: skip
    out = dynamics.shift_share(data).set_index(["geo", "nace_r2"])
    # r-b starts at 0: no national share or industry mix; the regional shift is the whole change
    assert out.loc[("r", "b"), ["national_share", "industry_mix", "regional_shift"]].tolist() == [0, 0, 5]
    assert np.isnan(out.loc[("r", "b"), "local_growth"])
    # s-b is 0 in both periods: all zero, in both methods
    assert out.loc[("s", "b"), ["change", "national_share", "industry_mix", "regional_shift"]].tolist() == [0] * 4
    with pytest.warns(DataWarning, match="1 cell.*grow from 0.*r/b"):
        em = dynamics.shift_share(data, method="esteban_marquillas").set_index(["geo", "nace_r2"])
    assert em.loc[("r", "b"), ["competitive_effect", "allocation_effect"]].isna().all()
    assert em.loc[("s", "b"), ["competitive_effect", "allocation_effect"]].tolist() == [0, 0]


def test_growth_levels_and_pairs():
    d = two_by_two()
    cell = dynamics.growth(d).set_index(["geo", "nace_r2"])
    np.testing.assert_allclose(cell["growth"], [0.25, 0.0, 0.125, 0.5])
    np.testing.assert_allclose(cell["annual_growth"], np.array([1.25, 1.0, 1.125, 1.5]) ** (1 / 5) - 1)
    loc = dynamics.growth(d, level="loc").set_index("geo")
    assert loc["change"].tolist() == [15, 35] and loc["growth"].tolist() == pytest.approx([0.15, 0.35])
    prod = dynamics.growth(d, level="prod").set_index("nace_r2")
    assert prod["growth"].tolist() == pytest.approx([0.2, 0.3])
    total = dynamics.growth(d, level="total")
    assert list(total.columns) == ["start", "end", "value_start", "value_end", "change", "growth", "annual_growth",
                                   "n_missing"]  # fmt: skip
    assert total["growth"].item() == pytest.approx(0.25)
    # three periods: consecutive pairs by default, or one chosen pair
    d3 = pd.concat([d, d[d["year"] == 2015].assign(year=2020, value=lambda x: x["value"] * 2)])
    pairs = dynamics.growth(d3, level="total")
    assert pairs[["start", "end"]].to_numpy().tolist() == [[2010, 2015], [2015, 2020]]
    assert pairs["growth"].tolist() == pytest.approx([0.25, 1.0])
    chosen = dynamics.growth(d3, level="total", start=2010, end=2020)
    assert chosen["growth"].item() == pytest.approx(1.5)


def test_period_errors():
    d = two_by_two()
    with pytest.raises(ParameterError, match="both start= and end="):
        dynamics.growth(d, start=2010)
    with pytest.raises(ParameterError, match="end=2011 is not a period.*2010, 2015"):
        dynamics.growth(d, start=2010, end=2011)
    with pytest.raises(ParameterError, match="must come before"):
        dynamics.entry_exit(d, start=2015, end=2010)
    with pytest.raises(DataFileError, match="a single period"):
        dynamics.shift_share(d[d["year"] == 2010])
    with pytest.raises(ParameterError, match="level="):
        dynamics.growth(d, level="region")
    with pytest.raises(ParameterError, match="method="):
        dynamics.shift_share(d, method="dynamic")
    with pytest.raises(DataFileError, match="'year' not found"):
        dynamics.growth(d.rename(columns={"year": "period"}))


def test_missing_cells_compare_like_with_like():
    d = two_by_two()
    d.loc[(d["year"] == 2015) & (d["geo"] == "r") & (d["nace_r2"] == "b"), "value"] = np.nan
    with pytest.raises(DataFileError, match="missing value"):
        dynamics.growth(d)
    with pytest.warns(DataWarning, match="left out"):
        loc = dynamics.growth(d, level="loc", missing="omit").set_index("geo")
    # r-b is out of both periods: r grows 60 -> 75
    assert loc.loc["r", ["value_start", "value_end", "n_missing"]].tolist() == [60, 75, 1]
    with pytest.warns(DataWarning, match="left out"):
        ss = dynamics.shift_share(d, missing="omit").set_index(["geo", "nace_r2"])
    own = ["value_start", "value_end", "change", "national_share", "industry_mix", "regional_shift", "local_growth"]
    assert ss.loc[("r", "b"), own].isna().all()
    # reference without r-b: a 100 -> 120, b 60 -> 90, total 160 -> 210
    assert ss.loc[("s", "b"), "national_growth"] == pytest.approx(50 / 160)
    parts = ss[["national_share", "industry_mix", "regional_shift"]].sum(axis=1, skipna=False)
    np.testing.assert_allclose(parts.dropna(), ss["change"].dropna())


def test_entry_exit_hand_computed_and_panels():
    out = dynamics.entry_exit(e1_panel()).set_index(["geo", "nace_r2"])
    assert list(out.columns) == ["start", "end", "lq_start", "lq_end", "entry", "exit"]
    # 2001 column totals: I1 140, I2 50, I3 110, I4 100, I5 100 (of 500)
    # R3 I3: 20/100 / (110/500) = 0.909 -> no entry; R3 I2: 10/100 / (50/500) = 1 -> stays (exit 0)
    assert out.loc[("R3", "I2"), "lq_end"] == pytest.approx(1.0) and out.loc[("R3", "I2"), "exit"] == 0
    assert out.loc[("R3", "I3"), "entry"] == 0 and out.loc[("R3", "I3"), "exit"] is pd.NA
    # R5 I1: 40/100 / (140/500) = 1.43 -> entry; R5 I2: 0 -> exit; R1 I1: 1/(140/500) -> stays
    assert out.loc[("R5", "I1"), "entry"] == 1 and out.loc[("R5", "I2"), "exit"] == 1
    assert out.loc[("R1", "I1"), "exit"] == 0 and out.loc[("R1", "I1"), "entry"] is pd.NA
    # R2 I2: 15/100 / (50/500) = 1.5 (was 0.75) -> entry; nothing else crosses the threshold
    entries = out[out["entry"] == 1].index.tolist()
    exits = out[out["exit"] == 1].index.tolist()
    assert entries == [("R2", "I2"), ("R5", "I1")] and exits == [("R5", "I2")]
    # a panel of three periods = each consecutive pair on its own (EconGeo's entry_list defect)
    p3 = pd.concat([e1_panel(), e1_panel().query("year == 2000").assign(year=2002)])
    panel = dynamics.entry_exit(p3)
    assert panel[["start", "end"]].drop_duplicates().to_numpy().tolist() == [[2000, 2001], [2001, 2002]]
    second = dynamics.entry_exit(p3, start=2001, end=2002)
    pd.testing.assert_frame_equal(panel[panel["start"] == 2001].reset_index(drop=True), second)
    # and going back reverses: 2001 -> 2002 has R5 I2 entering, R5 I1 exiting
    s = second.set_index(["geo", "nace_r2"])
    assert s.loc[("R5", "I2"), "entry"] == 1 and s.loc[("R5", "I1"), "exit"] == 1


def test_entry_exit_undefined_lq_is_na():
    d = two_by_two()
    d.loc[(d["year"] == 2015) & (d["geo"] == "r"), "value"] = 0.0  # r has no activity in 2015
    with pytest.warns(DataWarning, match="1 location.*zero total.*r in 2015"):
        out = dynamics.entry_exit(d).set_index(["geo", "nace_r2"])
    assert out.loc["r", ["entry", "exit"]].isna().all().all()
    assert out.loc["s", "entry"].notna().any()


def test_real_data_shift_share_adds_up():
    """Czech NUTS-2 regions 2010 -> 2014 against their own total, with withheld cells left out."""
    emp = datasets.employment()
    cz = emp[(emp["geo"].str.match(r"^CZ\d\d$")) & emp["year"].isin([2010, 2014])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ss = dynamics.shift_share(cz, start=2010, end=2014, missing="omit", level="loc")
        em = dynamics.shift_share(cz, start=2010, end=2014, missing="omit", method="esteban_marquillas")
    assert len(ss) == 8 and (ss["n_missing"] > 0).any()
    parts = ss[["national_share", "industry_mix", "regional_shift"]].sum(axis=1, skipna=False)
    np.testing.assert_allclose(parts, ss["change"], rtol=1e-9)
    # against their own total, the industry mix and the regional shifts cancel over all regions
    assert ss["industry_mix"].sum() == pytest.approx(0, abs=1e-6)
    assert ss["regional_shift"].sum() == pytest.approx(0, abs=1e-6)
    ok = em["competitive_effect"].notna()
    em_parts = em.loc[ok, ["national_share", "industry_mix", "competitive_effect", "allocation_effect"]].sum(axis=1)
    np.testing.assert_allclose(em_parts, em.loc[ok, "change"], rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), min_size=4, max_size=12),
    st.randoms(use_true_random=False),
)
def test_shift_share_components_add_up(cells, rnd):
    n = len(cells)
    rows = [(y, f"R{k % 3}", f"S{k // 3}", float(v[i])) for k, v in enumerate(cells) for i, y in enumerate((1, 2))]
    d = pd.DataFrame(rows, columns=["year", "geo", "nace_r2", "value"])
    if d.groupby("year")["value"].sum().eq(0).any() or d[d["year"] == 1].groupby("nace_r2")["value"].sum().eq(0).any():
        return
    for method, parts in (
        ("classic", ["national_share", "industry_mix", "regional_shift"]),
        ("esteban_marquillas", ["national_share", "industry_mix", "competitive_effect", "allocation_effect"]),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            out = dynamics.shift_share(d, method=method)
            shuffled = dynamics.shift_share(d.sample(frac=1, random_state=rnd.randrange(2**31)), method=method)
        ok = out[parts].notna().all(axis=1)
        assert ok.sum() >= (out["value_start"] > 0).sum()
        np.testing.assert_allclose(out.loc[ok, parts].sum(axis=1), out.loc[ok, "change"], rtol=1e-9, atol=1e-9)
        pd.testing.assert_frame_equal(out, shuffled)
    # against the input's own total, regional shifts cancel within each sector and the industry mix overall
    classic = dynamics.shift_share(d)
    np.testing.assert_allclose(classic.groupby("nace_r2")["regional_shift"].sum(), 0, atol=1e-9)
    assert classic["industry_mix"].sum() == pytest.approx(0, abs=1e-9)
    assert classic["national_share"].sum() == pytest.approx(
        d[d["year"] == 1]["value"].sum() * (d[d["year"] == 2]["value"].sum() / d[d["year"] == 1]["value"].sum() - 1)
    )
    assert len(classic) == 3 * ((n + 2) // 3)
