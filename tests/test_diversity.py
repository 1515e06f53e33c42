"""Related and unrelated variety: hand-computed examples (indicators.md §9 B4), the NACE hierarchy,
the entropy decomposition identity, bad input and real data."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import concentration, datasets, diversity, nace
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import DataFileError, ParameterError

DATA = Path(__file__).parent / "data" / "indicators"
H2 = np.log2


def test_b4_frenken_example():
    # shares (0.3, 0.2 | 0.4, 0.1) in groups A | B -> UV = 1.0, RV = 0.84644, total 1.84644
    df = pd.DataFrame({"geo": "R", "nace_r2": ["C10", "C11", "G45", "G46"], "value": [30.0, 20, 40, 10]})
    out = diversity.related_variety(df, time=None)
    assert list(out.columns) == ["geo", "entropy", "unrelated_variety", "related_variety"]
    row = out.iloc[0]
    rv = 0.5 * -(0.6 * H2(0.6) + 0.4 * H2(0.4)) + 0.5 * -(0.8 * H2(0.8) + 0.2 * H2(0.2))
    assert row["unrelated_variety"] == pytest.approx(1.0, abs=1e-12)
    assert row["related_variety"] == pytest.approx(rv, abs=1e-12) and rv == pytest.approx(0.84644, abs=5e-6)
    assert row["entropy"] == pytest.approx(1.84644, abs=5e-6)
    # the same grouping given explicitly, on codes that are not NACE
    other = df.assign(nace_r2=["a1", "a2", "b1", "b2"])
    again = diversity.related_variety(other, time=None, groups={"a1": "A", "a2": "A", "b1": "B", "b2": "B"})
    pd.testing.assert_frame_equal(again, out)


def test_section_division_group_levels():
    df = pd.read_csv(DATA / "nace_groups.csv")  # hand values in tests/data/indicators/README.md
    sec = diversity.related_variety(df, time=None).set_index("geo")
    div = diversity.related_variety(df, time=None, coarse="division").set_index("geo")
    np.testing.assert_allclose(sec["entropy"], [2.17095, 1.0], atol=5e-6)
    np.testing.assert_allclose(sec["unrelated_variety"], [-(0.4 * H2(0.4) + 0.6 * H2(0.6)), 1.0], rtol=1e-12)
    np.testing.assert_allclose(sec["related_variety"], [1.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(div["related_variety"], [0.2, 0.0], atol=1e-12)
    # divisions within sections: UV(division) - UV(section)
    np.testing.assert_allclose(div["unrelated_variety"] - sec["unrelated_variety"], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(div["entropy"], sec["entropy"], rtol=1e-15)


def test_nace_codes_in_any_form():
    parsed = nace.parse_nace_codes(["C10", "10", "C10.1", "C101", "10.1", "C10.11", "C1011", "G", "N82", "S95"])
    assert parsed["level"].tolist() == ["division"] * 2 + ["group"] * 3 + ["class"] * 2 + ["section"] + ["division"] * 2
    assert parsed["division"].tolist()[:7] == ["C10"] * 7
    assert parsed["group"].tolist()[2:7] == ["C10.1"] * 5
    assert parsed["section"].tolist()[-3:] == ["G", "N", "S"]
    # every division of our extract finds its section
    codes = datasets.employment()["nace_r2"].unique()
    assert (nace.nace_parent(codes, "section") == pd.Series(codes).str[0]).all()


def test_bad_codes_and_levels():
    df = pd.DataFrame({"geo": "R", "nace_r2": ["C10", "B-E", "X99", "A10"], "value": 1.0})
    with pytest.raises(DataFileError, match="3 code.*not NACE.*A10, B-E, X99"):
        diversity.related_variety(df, time=None)
    mixed = pd.DataFrame({"geo": "R", "nace_r2": ["C", "C10", "C11"], "value": 1.0})
    with pytest.raises(DataFileError, match="mixes NACE levels.*section e.g. C.*count twice"):
        diversity.related_variety(mixed, time=None)
    with pytest.raises(ParameterError, match="divisions.*coarse='division'"):
        diversity.related_variety(mixed[mixed["nace_r2"] != "C"], time=None, coarse="division")
    with pytest.raises(ParameterError, match="coarse"):
        diversity.related_variety(mixed, time=None, coarse="country")
    with pytest.raises(DataFileError, match="1 sector.*no group: C11"):
        diversity.related_variety(mixed[mixed["nace_r2"] != "C"], time=None, groups={"C10": "x"})


def test_empty_location_and_missing_cells():
    df = pd.DataFrame({"geo": ["R", "R", "S", "S"], "nace_r2": ["C10", "G45", "C10", "G45"], "value": [1, 3, 0, 0]})
    with pytest.warns(DataWarning, match="1 location.*zero total.*S"):
        out = diversity.related_variety(df, time=None).set_index("geo")
    assert out.loc["S"].isna().all()
    df = pd.DataFrame({"geo": "R", "nace_r2": ["C10", "C11", "G45"], "value": [1.0, np.nan, 1.0]})
    with pytest.warns(DataWarning, match="left out"):
        out = diversity.related_variety(df, time=None, missing="omit")
    assert out[["entropy", "unrelated_variety", "related_variety"]].iloc[0].tolist() == [1.0, 1.0, 0.0]


def test_real_data_identity_and_agreement_with_entropy():
    emp = datasets.employment()
    nuts2 = emp[(emp["geo"].str.len() == 4) & emp["year"].isin([2013, 2014])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        out = diversity.related_variety(nuts2, missing="omit")
        ent = concentration.entropy(nuts2, missing="omit")
    ok = out["entropy"].notna()
    assert ok.sum() > 300
    np.testing.assert_allclose(out["unrelated_variety"] + out["related_variety"], out["entropy"], rtol=1e-12)
    np.testing.assert_allclose(out["entropy"], ent["entropy"], rtol=1e-12)
    # 68 divisions in 15 sections: both parts within their bounds
    assert (out.loc[ok, "unrelated_variety"] <= np.log2(15)).all() and (out.loc[ok, "related_variety"] > 0).all()


SECTIONS = ["C10", "C11", "C12", "G45", "G46", "J58", "J62", "M69"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 1000), min_size=len(SECTIONS), max_size=len(SECTIONS)), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_decomposition_identity_and_invariance(rows, rnd):
    df = pd.DataFrame(
        [(f"R{r}", code, float(v)) for r, row in enumerate(rows) for code, v in zip(SECTIONS, row, strict=True)],
        columns=["geo", "nace_r2", "value"],
    )
    df = df[df.groupby("geo")["value"].transform("sum") > 0]
    if df.empty:
        return
    out = diversity.related_variety(df, time=None)
    np.testing.assert_allclose(out["unrelated_variety"] + out["related_variety"], out["entropy"], atol=1e-12)
    assert (out["unrelated_variety"] >= -1e-12).all() and (out["unrelated_variety"] <= 2 + 1e-12).all()
    assert (out["related_variety"] >= -1e-12).all()
    regions = sorted(df["geo"].unique())
    new = dict(zip(regions, rnd.sample([f"Z{i:02d}" for i in range(50)], len(regions)), strict=True))
    other = df.sample(frac=1, random_state=rnd.randrange(2**31)).assign(geo=lambda d: d["geo"].map(new))
    back = diversity.related_variety(other, time=None).assign(
        geo=lambda d: d["geo"].map({v: k for k, v in new.items()})
    )
    pd.testing.assert_frame_equal(out.set_index("geo"), back.set_index("geo").loc[out["geo"]], rtol=1e-12)
