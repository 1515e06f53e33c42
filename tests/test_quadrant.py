"""Smart-specialisation quadrant: classification against its own inputs, options, errors, chart, real data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import complexity, datasets, nuts, quadrant, relatedness
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import ParameterError, RegionError

COLS = {"loc": "region", "prod": "sector"}


def toy() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    regions = [f"R{i}" for i in range(8)]
    sectors = [f"S{j}" for j in range(7)]
    a, b = rng.random(8), rng.random(7)
    x = np.round(rng.lognormal(2, 1, (8, 7)) * np.where(a[:, None] + 0.4 * rng.random((8, 7)) > b, 4, 0.3))
    idx = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    return pd.DataFrame({"value": x.reshape(-1)}, index=idx).reset_index().assign(year=2020)


def test_quadrants_follow_the_splits_and_the_inputs():
    q = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS)
    assert list(q.columns) == [
        "region", "year", "sector", "value", "rca", "mcp", "relatedness_density", "complexity", "quadrant"
    ]  # fmt: skip
    assert (q["mcp"] == 0).all() and (q["rca"] < 1).all()
    rd_split, cx_split = q.attrs["relatedness_split"], q.attrs["complexity_split"]
    assert rd_split == pytest.approx(q["relatedness_density"].mean())
    assert cx_split == pytest.approx(q["complexity"].mean())
    for _, row in q.iterrows():
        key = (row["relatedness_density"] >= rd_split, row["complexity"] >= cx_split)
        assert row["quadrant"] == quadrant.QUADRANTS[key]
    # the axes are the library's relatedness density (EconGeo 0-100) and PCI
    dens = relatedness.density(toy(), **COLS, convention="econgeo")
    dens = dens[dens["region"] == "R3"].set_index("sector")["density"]
    np.testing.assert_allclose(q["relatedness_density"], dens.loc[q["sector"]].to_numpy())
    pci = complexity.eci_pci(toy(), **COLS).sectors.set_index("sector")["pci"]
    np.testing.assert_allclose(q["complexity"], pci.loc[q["sector"]].to_numpy())
    # most attractive first
    order = [list(quadrant.QUADRANTS.values()).index(v) for v in q["quadrant"]]
    assert order == sorted(order)


def test_options_candidates_split_reference_year():
    all_ = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS, candidates="all")
    absent = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS)
    assert len(all_) == 7 and set(absent["sector"]) == set(all_.loc[all_["mcp"] == 0, "sector"])
    med = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS, split="median")
    assert med.attrs["relatedness_split"] == pytest.approx(med["relatedness_density"].median())
    europe = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS, reference="all")
    assert europe.attrs["complexity_split"] != pytest.approx(absent.attrs["complexity_split"])
    two = pd.concat([toy().assign(year=2019), toy()])
    assert quadrant.smart_specialisation_quadrant(two, "R3", **COLS)["year"].unique().tolist() == [2020]
    assert quadrant.smart_specialisation_quadrant(two, "R3", **COLS, year=2019)["year"].unique().tolist() == [2019]
    single = quadrant.smart_specialisation_quadrant(toy().drop(columns="year"), "R3", **COLS, time=None)
    assert "year" not in single.columns


def test_errors():
    with pytest.raises(RegionError, match="'R99' is not in the data.*R0"):
        quadrant.smart_specialisation_quadrant(toy(), "R99", **COLS)
    with pytest.raises(ParameterError, match="2031"):
        quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS, year=2031)
    with pytest.raises(ParameterError, match="split"):
        quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS, split="mode")
    empty = pd.concat([toy().assign(year=2019), toy().assign(value=lambda d: d["value"].where(d["region"] != "R3", 0))])
    with pytest.raises(RegionError, match="no data in 2020"), pytest.warns(UserWarning):
        quadrant.smart_specialisation_quadrant(empty, "R3", **COLS, year=2020)


def test_plot_quadrant():
    q = quadrant.smart_specialisation_quadrant(toy(), "R3", **COLS)
    fig = quadrant.plot_quadrant(q, labels={"S1": "Sector one"}, title="R3")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "R3"
    assert len(ax.lines) == 2  # the two split lines
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(q)
    import matplotlib.pyplot as plt

    fig2, ax2 = plt.subplots()
    assert quadrant.plot_quadrant(q, ax=ax2, annotate=0) is fig2
    plt.close("all")


def test_real_employment_data():
    e = datasets.employment()
    e = e[e["geo"].map(nuts.nuts_level) == 2]
    with pytest.warns(DataWarning) as record:
        q = quadrant.smart_specialisation_quadrant(e, "AT12", missing="zero")
    text = " ".join(str(w.message) for w in record)
    assert "missing value(s) in 'value' treated as 0" in text and "zero total" in text
    assert len(q) > 10 and q["year"].unique().tolist() == [2015]
    assert set(q["quadrant"].dropna()) <= set(quadrant.QUADRANTS.values())
    assert np.isfinite([q.attrs["relatedness_split"], q.attrs["complexity_split"]]).all()
    assert q["relatedness_density"].between(0, 100).all()


def test_a_precomputed_result_is_used_and_gives_the_same_table(monkeypatch):
    data = toy()
    res = complexity.compute(data, loc="region", prod="sector", density=False)
    expected = quadrant.smart_specialisation_quadrant(data, "R3", **COLS)
    monkeypatch.setattr(complexity, "compute", lambda *a, **k: pytest.fail("computed again"))
    for region in ("R3", "R5"):  # one result serves every region of the panel
        got = quadrant.smart_specialisation_quadrant(data, region, **COLS, result=res)
        if region == "R3":
            pd.testing.assert_frame_equal(got, expected)
            assert got.attrs == expected.attrs
        assert set(got["region"]) == {region}
