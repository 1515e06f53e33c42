"""Relatedness: co-occurrence, proximity and its normalisations, density conventions, kNN and significance
(hand-computed examples of indicators.md §9 B5-B6 in tests/data/complexity, properties, bad input)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from clusterix_lib import relatedness
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import DataFileError, ParameterError

DATA = Path(__file__).parent / "data" / "complexity"
E1 = {"time": None, "loc": "region", "prod": "sector", "value": "value"}


def e1() -> pd.DataFrame:
    return pd.read_csv(DATA / "e1.csv")


def pairs_lookup(table: pd.DataFrame, column: str) -> dict[tuple[str, str], float]:
    return {(a, b): v for a, b, v in zip(table["sector_1"], table["sector_2"], table[column], strict=True)}


def test_b5_cooccurrence_and_proximities():
    expected = pd.read_csv(DATA / "e1_pairs_expected.csv")
    co = pairs_lookup(relatedness.co_occurrence(e1(), **E1), "co_occurrence")
    assert [co[(s, s)] for s in ["I1", "I2", "I3", "I4", "I5"]] == [1, 3, 2, 2, 2]  # ubiquity (B5)
    for column, method in [
        ("co_occurrence", None),
        ("min_conditional", "min_conditional"),
        ("prob", "prob"),
        ("association", "association"),
        ("cosine", "cosine"),
        ("jaccard", "jaccard"),
    ]:
        got = co if method is None else pairs_lookup(relatedness.proximity(e1(), **E1, method=method), "proximity")
        for _, row in expected.iterrows():
            a, b = row["sector_1"], row["sector_2"]
            assert got[(a, b)] == pytest.approx(row[column], abs=5e-5), (column, a, b)
            assert got[(b, a)] == pytest.approx(row[column], abs=5e-5), (column, b, a)  # symmetric
    # Salton's cosine uses occurrence counts: C / sqrt(u_p u_q) = 2 / sqrt(3 * 2) for I2-I3
    salton = pairs_lookup(relatedness.proximity(e1(), **E1, method="salton"), "proximity")
    assert salton[("I2", "I3")] == pytest.approx(2 / np.sqrt(6))
    # conditional probability: row p gives P(q | p) = C_pq / u_p
    cond = pairs_lookup(relatedness.proximity(e1(), **E1, method="conditional"), "proximity")
    assert cond[("I2", "I3")] == pytest.approx(2 / 3) and cond[("I3", "I2")] == pytest.approx(1.0)


def test_b6_density_conventions():
    expected = pd.read_csv(DATA / "e1_density_expected.csv")
    for convention, column in (("ecomplexity", "density_ecomplexity"), ("stata", "density_stata")):
        got = relatedness.density(e1(), **E1, convention=convention)
        np.testing.assert_array_equal(got["mcp"], expected["mcp"])
        np.testing.assert_allclose(got["density"], expected[column], atol=5e-5, equal_nan=True, err_msg=convention)
    # EconGeo: 0-100 with the binary relatedness R = 1[prob > 1] (edges I2-I3, I2-I4, I4-I5)
    prob = relatedness.proximity(e1(), **E1, method="prob")
    r = prob.assign(proximity=(prob["proximity"] > 1).astype(float))
    got = relatedness.density(e1(), **E1, proximity=r, convention="econgeo")
    np.testing.assert_allclose(got["density"], expected["density_econgeo_prob"], atol=1e-12, equal_nan=True)
    # the isolated industry I1 has no defined density without the diagonal (0/0)
    assert got.loc[got["sector"] == "I1", "density"].isna().all()


def test_knn_density_is_weighted_and_ties_rules():
    m = np.array([[[1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 1, 0]]], dtype=float)
    phi = np.array([[[1, 0.9, 0.5, 0.1], [0.9, 1, 0.2, 0.2], [0.5, 0.2, 1, 0.7], [0.1, 0.2, 0.7, 1]]])
    two = relatedness.density_array(m, phi, diagonal=False, knn=2)
    # sector 0: neighbours 1 (0.9) and 2 (0.5): location 0 holds neither, location 1 holds 1, location 2 both
    np.testing.assert_allclose(two[0, :, 0], [0, 0.9 / 1.4, 1.0])
    assert not np.allclose(two, np.round(two))  # not py-ecomplexity's integer counts (its issue #35)
    # sector 1: 0.2 ties between sectors 2 and 3 at the 2nd place: both kept
    np.testing.assert_allclose(two[0, :, 1], [(0.9 + 0.2) / 1.3, 0, (0.9 + 0.2) / 1.3])
    # knn = P - 1 is the plain density
    full = relatedness.density_array(m, phi, diagonal=False)
    np.testing.assert_allclose(relatedness.density_array(m, phi, diagonal=False, knn=3), full)
    with pytest.raises(ParameterError, match="knn"):
        relatedness.density_array(m, phi, knn=4)
    # Stata's threshold: the round trip through 1 + phi lands above 0.6, so every tie at 0.6 goes
    phi6 = np.array([[[1, 0.8, 0.6, 0.6], [0.8, 1, 0.6, 0.6], [0.6, 0.6, 1, 0.6], [0.6, 0.6, 0.6, 1]]])
    stata = relatedness.density_array(m, phi6, diagonal=False, knn=2, knn_ties="stata")
    np.testing.assert_allclose(stata[0, :, 0], m[0, :, 1])  # sector 0 keeps only sector 1 (0.8)
    np.testing.assert_allclose(stata[0, :, 2], 0.0)  # every neighbour tied at 0.6: none left -> 0
    kept_all = relatedness.density_array(m, phi6, diagonal=False, knn=2, knn_ties="all")
    np.testing.assert_allclose(kept_all[0, :, 2], m[0, :, [0, 1, 3]].mean(axis=0))


def test_significance_against_the_hypergeometric_null():
    rng = np.random.default_rng(5)
    m = (rng.random((1, 30, 6)) < 0.4).astype(float)
    r = relatedness.significance_arrays(m)
    u = m[0].sum(0)
    c = m[0].T @ m[0]
    for p, q in [(0, 1), (2, 5), (3, 4)]:
        assert r["co_occurrence"][0, p, q] == c[p, q]
        assert r["expected"][0, p, q] == pytest.approx(u[p] * u[q] / 30)
        assert r["p_value"][0, p, q] == pytest.approx(hypergeom.sf(c[p, q] - 1, 30, u[p], u[q]))
        var = u[p] * u[q] / 30 * (1 - u[p] / 30) * (30 - u[q]) / 29
        assert r["z"][0, p, q] == pytest.approx((c[p, q] - u[p] * u[q] / 30) / np.sqrt(var))
    # two blocks of sectors held by two disjoint groups of locations: within-block pairs significant
    block = np.zeros((1, 20, 4))
    block[0, :10, :2] = 1
    block[0, 10:, 2:] = 1
    df = pd.DataFrame(
        {"loc": np.repeat(np.arange(20), 4), "prod": list("abcd") * 20, "value": block.reshape(-1).astype(int)}
    )
    sig = relatedness.cooccurrence_significance(df, time=None, loc="loc", prod="prod", presence="manual")
    within = sig[(sig["prod_1"] == "a") & (sig["prod_2"] == "b")].iloc[0]
    across = sig[(sig["prod_1"] == "a") & (sig["prod_2"] == "c")].iloc[0]
    assert within["p_value"] < 1e-4 and within["q_value"] < 1e-3
    assert across["p_value"] == 1.0 and across["z"] < 0
    assert (sig["q_value"] >= sig["p_value"] - 1e-15).all()


@st.composite
def presence_cubes(draw):
    t = draw(st.integers(1, 2))
    n_l = draw(st.integers(2, 8))
    n_p = draw(st.integers(2, 7))
    bits = draw(st.lists(st.booleans(), min_size=t * n_l * n_p, max_size=t * n_l * n_p))
    return np.array(bits, dtype=float).reshape(t, n_l, n_p)


@settings(max_examples=60, deadline=None)
@given(presence_cubes())
def test_proximities_are_symmetric_and_in_unit_interval(m):
    for method in ("min_conditional", "salton", "jaccard", "cosine"):
        phi = relatedness.proximity_array(m, method=method)
        np.testing.assert_allclose(phi, phi.transpose(0, 2, 1), err_msg=method)
        assert ((phi >= 0) & (phi <= 1 + 1e-12)).all(), method
    cond = relatedness.proximity_array(m, method="conditional")
    assert ((cond >= 0) & (cond <= 1)).all()
    np.testing.assert_allclose(np.minimum(cond, cond.transpose(0, 2, 1)), relatedness.proximity_array(m))
    levels = m * np.arange(1, m.shape[1] + 1)[None, :, None]
    cont = relatedness.proximity_array(m, method="continuous", levels=levels)
    np.testing.assert_allclose(cont, cont.transpose(0, 2, 1), atol=1e-12)
    assert ((cont >= 0) & (cont <= 1)).all()
    for diagonal, scale in ((True, 1.0), (False, 1.0), (False, 100.0)):
        d = relatedness.density_array(m, relatedness.proximity_array(m), diagonal=diagonal, scale=scale)
        finite = d[np.isfinite(d)]
        assert ((finite >= 0) & (finite <= scale * (1 + 1e-12))).all()


def test_user_proximity_table_by_period_and_bad_tables():
    df = pd.concat([e1().assign(year=2000), e1().assign(year=2001)])
    cols = {**E1, "time": "year"}
    prox = relatedness.proximity(df, **cols)
    # a table for 2001 only: 2000 has no proximities, so its densities are undefined
    only = prox[prox["year"] == 2001]
    got = relatedness.density(df, **cols, proximity=only)
    want = relatedness.density(df, **cols)
    sel = got["year"] == 2001
    np.testing.assert_allclose(got.loc[sel, "density"], want.loc[sel, "density"])
    assert got.loc[~sel, "density"].isna().all()
    # without its self-pairs the table means the same (a missing self-pair counts as 1, as in py-ecomplexity)
    no_self = prox[prox["sector_1"] != prox["sector_2"]]
    np.testing.assert_allclose(
        relatedness.density(df, **cols, proximity=no_self)["density"], want["density"], equal_nan=True
    )
    with pytest.raises(DataFileError, match="sector_1"):
        relatedness.density(df, **cols, proximity=prox.rename(columns={"sector_1": "a"}))
    with pytest.raises(DataFileError, match="non-negative"):
        relatedness.density(df, **cols, proximity=prox.assign(proximity=-1.0))


def test_parameter_and_input_errors():
    with pytest.raises(ParameterError, match="method"):
        relatedness.proximity(e1(), **E1, method="pearson")
    with pytest.raises(ParameterError, match="convention"):
        relatedness.density(e1(), **E1, convention="percent")
    with pytest.raises(ParameterError, match="continuous"):
        relatedness.proximity(e1(), **E1, method="continuous", presence="manual")
    with pytest.raises(DataFileError, match="negative"):
        relatedness.proximity(e1().assign(value=-1), **E1)
    with pytest.raises(DataFileError, match="'sector' not found"):
        relatedness.density(e1().drop(columns="sector"), **E1)


def test_zero_region_is_left_out_with_a_warning():
    df = pd.concat([e1(), pd.DataFrame({"region": "R6", "sector": ["I1", "I2"], "value": 0})])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = relatedness.density(df, **E1)
    assert any(issubclass(w.category, DataWarning) and "R6" in str(w.message) for w in caught)
    assert got.loc[got["region"] == "R6", "density"].isna().all()
    base = relatedness.density(e1(), **E1)
    np.testing.assert_allclose(got.loc[got["region"] != "R6", "density"], base["density"], equal_nan=True)
