"""Composite-indicator engine: COINr's deterministic test cases as golden values, and properties.

The expected numbers are derived by hand from the documented formulas (indicators.md §4.2, §9 B9,
§10) -- the cases COINr's own tests check (normalise, treat, aggregate, impute, impute_panel,
sensitivity) -- not from COINr's code.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterix_lib import composite as cp
from clusterix_lib.errors import ClusterixError, DataFileError, ParameterError

# ----------------------------------------------------------------------------------- normalise


def test_minmax_to_2_7():
    v = cp.minmax(np.arange(1, 11), l_u=(2, 7))
    assert v.min() == 2 and v.max() == 7
    np.testing.assert_allclose(np.diff(v), 5 / 9)


def test_zscore_mean_5_sd_2():
    v = cp.zscore(np.arange(1, 11), m_sd=(5, 2))
    assert v.mean() == pytest.approx(5) and v.std(ddof=1) == pytest.approx(2)
    # (x - 5.5) / sd(1..10) * 2 + 5, sd = sqrt(55/6)
    assert v[0] == pytest.approx((1 - 5.5) / np.sqrt(55 / 6) * 2 + 5)


def test_distance_to_target():
    np.testing.assert_allclose(cp.distance_to_target([0, 5, 11], 10), [0, 0.5, 1.1])
    np.testing.assert_allclose(cp.distance_to_target([0, 5, 11], 10, cap=True), [0, 0.5, 1])
    np.testing.assert_allclose(cp.distance_to_target([-1, 1, 10], 0, direction=-1), [1.1, 0.9, 0])
    np.testing.assert_allclose(cp.distance_to_target([-1, 1, 10], 0, direction=-1, cap=True), [1, 0.9, 0])


def test_goalposts():
    np.testing.assert_allclose(cp.goalposts([1, 11, -1], (0, 10, 1)), [0.1, 1, 0])
    np.testing.assert_allclose(cp.goalposts([1, -1, 11], (0, 10, 1), direction=-1), [0.9, 1, 0])
    np.testing.assert_allclose(cp.goalposts([11], (0, 10, 100), trunc=False), [110])
    with pytest.raises(ParameterError):
        cp.goalposts([1], (5, 5, 1))


def test_identities_between_normalisations():
    x = np.array([3.0, 7.0, 1.0, 12.0])
    np.testing.assert_allclose(cp.distance_to_max(x), cp.minmax(x, (0, 1)))
    np.testing.assert_allclose(cp.distance_to_reference(x, x.max()), cp.distance_to_max(x))
    np.testing.assert_allclose(cp.fraction_of_max(x), x / 12)
    np.testing.assert_allclose(cp.percentile_rank(x), (cp.rank(x) - 1) / 3)


def test_direction_flip_in_a_table():
    # default normalisation of a table: min-max 0-100 per column, direction -1 reversed
    x = np.array([[1.0, 10], [2, 30], [4, 20]])
    out = cp.normalise(x, "minmax", direction=[1, -1])
    np.testing.assert_allclose(out, [[0, 100], [100 / 3, 0], [100, 50]])


def test_reference_set():
    # a unit outside the reference set is placed on the reference's scale
    np.testing.assert_allclose(cp.minmax([5.0], ref=[0.0, 10.0]), [50])
    np.testing.assert_allclose(cp.zscore([4.0], ref=[2.0, 4.0, 6.0]), [0])
    np.testing.assert_allclose(cp.percentile_rank([20.0, 45.0], ref=[10, 20, 30, 40]), [0.375, 1.0])


def test_constant_column_is_missing_not_zero():
    with pytest.warns(cp.CompositeWarning, match="single value"):
        out = cp.minmax(np.array([[1.0, 3], [2, 3]]))
    assert np.isnan(out[:, 1]).all() and out[1, 0] == 100


# ------------------------------------------------------------------------------------- treat


def test_skewness_kurtosis_and_winsorising_golden():
    x = np.array([*range(1, 11), 100.0])
    assert cp.skewness(x) == pytest.approx(3.256, abs=5e-4)
    assert cp.kurtosis(x) == pytest.approx(10.707, abs=5e-4)
    assert not cp.passes_skew_kurt(x)
    y, n = cp.winsorise(x, winmax=5)
    assert n == 1 and y[-1] == 10 and (y[:-1] == x[:-1]).all()
    assert cp.skewness(y) == pytest.approx(-0.128, abs=5e-4)
    assert cp.kurtosis(y) == pytest.approx(-1.337, abs=5e-4)
    assert cp.passes_skew_kurt(y)


def test_winsorising_not_enough_then_log():
    x = np.array([*range(1, 21), 100.0, 200.0])
    r = cp.treat(x, winmax=1, f2=None)
    assert r.n_winsorised[0] == 1 and not r.passes[0]  # one point is not enough
    r = cp.treat(x, winmax=1, f2="log")
    assert r.log_transformed[0]
    np.testing.assert_allclose(r.values, np.log(x))  # f2 on the original values
    r = cp.treat(x, winmax=1)  # default f2: log_CT
    np.testing.assert_allclose(r.values, np.log(x - 1 + 0.01 * 199))


def test_forced_winsorising_treats_exactly_winmax_points():
    x = np.array([*range(1, 11), 50.0, 100.0, 200.0])
    y, n = cp.winsorise(x, winmax=3, force=True)
    # round 1: 200 -> 100; round 2: both 100s -> 50
    assert n == 3
    np.testing.assert_array_equal(y, [*range(1, 11), 50, 50, 50])


def test_treat_columns_independently():
    x = np.column_stack([[*range(1, 11), 100.0], np.arange(11.0)])
    r = cp.treat(x)
    assert r.n_winsorised.tolist() == [1, 0] and r.passes.all()
    np.testing.assert_array_equal(r.values[:, 1], np.arange(11.0))


# ---------------------------------------------------------------------------------- aggregate


def test_default_aggregation_is_row_mean_and_weighted_mean():
    x = np.array([[1.0, 2, 3], [4, 5, 9]])
    np.testing.assert_allclose(cp.arithmetic_mean(x), x.mean(axis=1))
    w = np.array([1.0, 2, 5])
    np.testing.assert_allclose(cp.arithmetic_mean(x, w), np.average(x, axis=1, weights=w))


def test_dat_thresh_and_missing_skipped():
    x = np.array([[1.0, np.nan, np.nan, np.nan, np.nan], [1, 2, 3, np.nan, 5]])
    out = cp.arithmetic_mean(x, dat_thresh=0.5)
    assert np.isnan(out[0]) and out[1] == pytest.approx(11 / 4)
    # weights renormalised over the available values
    assert cp.arithmetic_mean([[2.0, np.nan, 6]], [1, 5, 3])[0] == pytest.approx((2 + 18) / 4)


def test_geometric_harmonic_generalised():
    x = np.array([[2.0, 8.0]])
    assert cp.geometric_mean(x)[0] == pytest.approx(4)
    assert cp.harmonic_mean(x)[0] == pytest.approx(2 / (1 / 2 + 1 / 8))
    assert cp.geometric_mean(x, [3, 1])[0] == pytest.approx(2**0.75 * 8**0.25)
    assert cp.generalised_mean(x, p=2)[0] == pytest.approx(np.sqrt(34))
    assert cp.generalised_mean(x, p=0)[0] == pytest.approx(4)


def test_geometric_refuses_zero_and_rescaling_makes_it_safe():
    n = cp.minmax(np.array([[1.0, 5], [3, 2], [2, 9]]))  # the worst unit of each column gets 0
    with pytest.raises(ClusterixError, match="positive"):
        cp.geometric_mean(n)
    pos = cp.rescale_positive(n)
    assert pos.min() == 1 and pos.max() == 100
    assert np.isfinite(cp.geometric_mean(pos)).all()


def test_outranking_and_copeland_golden():
    X = np.column_stack([[1, 2, 3, 4], [3, 2, 1, 5], [2, 3, 1, 4]]).astype(float)
    o = cp.outranking_matrix(X)
    assert o[1, 0] == pytest.approx(2 / 3) and o[2, 0] == pytest.approx(1 / 3) and o[3, 0] == 1
    # dominance: a pair where one unit is better on every indicator
    dominant = [(i, j) for i in range(4) for j in range(i + 1, 4) if o[i, j] in (0, 1)]
    assert len(dominant) == 3 and len(dominant) / 6 == 0.5
    np.testing.assert_array_equal(cp.copeland(X), [-1, 1, -3, 3])


def test_effective_weights_sum_to_one():
    fw = pd.DataFrame({"indicator": list("abcd"), "pillar": list("PPQQ"), "weight": [1, 3, 1, 1]})
    w = cp.effective_weights(fw, {"P": 2, "Q": 1})
    assert w.sum() == pytest.approx(1)
    np.testing.assert_allclose(w.to_numpy(), [2 / 3 * 1 / 4, 2 / 3 * 3 / 4, 1 / 6, 1 / 6])


# ------------------------------------------------------------------------------------ impute


def test_impute_panel_linear_and_constant_golden():
    X = pd.DataFrame(
        {
            "unit": "A",
            "time": [2020, 2021, 2022],
            "i1": [1, 2, 3],
            "i2": [3, np.nan, 5],
            "i3": [np.nan, 5, 6],
            "i4": [7, 8, np.nan],
        }
    )
    long = X.melt(id_vars=["unit", "time"], var_name="ind", value_name="value")
    lin = cp.impute_panel(long, by=["ind"], method="linear").pivot(index="time", columns="ind", values="value")
    con = cp.impute_panel(long, by=["ind"], method="constant").pivot(index="time", columns="ind", values="value")
    assert lin["i1"].tolist() == [1, 2, 3]
    assert lin["i2"].tolist() == [3, 4, 5] and con["i2"].tolist() == [3, 3, 5]
    assert lin["i3"].tolist() == [5, 5, 6] and con["i3"].tolist() == [5, 5, 6]
    assert lin["i4"].tolist() == [7, 8, 8] and con["i4"].tolist() == [7, 8, 8]


def test_impute_panel_latest_and_max_time():
    d = pd.DataFrame(
        {"unit": "A", "time": [2011, 2012, 2013, 2014, 2015], "value": [np.nan, 2, np.nan, np.nan, np.nan]}
    )
    out = cp.impute_panel(d, method="latest")
    assert np.isnan(out["value"].iloc[0])  # nothing to carry forward before the first observation
    assert out["value"].iloc[1:].tolist() == [2, 2, 2, 2]
    assert out["source_time"].iloc[1:].tolist() == [2012] * 4
    assert out["imputed"].tolist() == [False, False, True, True, True]
    out = cp.impute_panel(d, method="latest", max_time=2)
    assert out["value"].iloc[1:4].tolist() == [2, 2, 2] and np.isnan(out["value"].iloc[4])
    with pytest.raises(ParameterError, match="twice"):
        cp.impute_panel(pd.concat([d, d.iloc[:1]]))


def test_impute_column_mean_median_and_groups():
    x = np.array([[1.0, 10], [np.nan, 20], [3, np.nan], [100, 40]])
    np.testing.assert_allclose(cp.impute_mean(x), [[1, 10], [104 / 3, 20], [3, 70 / 3], [100, 40]])
    np.testing.assert_allclose(cp.impute_median(x)[1, 0], 3)
    g = ["a", "a", "b", "b"]
    out = cp.impute_mean(x, groups=g)
    assert out[1, 0] == 1 and out[2, 1] == 40
    allna = cp.impute_median([np.nan, np.nan, 5.0], groups=["a", "a", "b"])
    assert np.isnan(allna[:2]).all() and allna[2] == 5


# ---------------------------------------------------------------------------------- denominate


def test_zero_denominator_is_an_error_or_a_reported_gap():
    with pytest.raises(ClusterixError, match="AT12"):
        cp.denominate([1.0, 2], [0, 4], labels=["AT12", "CZ08"])
    with pytest.warns(cp.CompositeWarning, match="AT12"):
        out = cp.denominate([1.0, 2], [0, 4], on_zero="missing", labels=["AT12", "CZ08"])
    assert np.isnan(out[0]) and out[1] == 0.5
    # a missing value over a zero denominator is simply missing, not an error
    assert np.isnan(cp.denominate([np.nan], [0.0])[0])


# ------------------------------------------------------------------------------------- audit


def test_cronbach_alpha_hand_computed():
    # var(a) = var(b) = 5/3, var(a + b) = var(3, 3, 7, 7) = 16/3 -> 2 * (1 - (10/3) / (16/3)) = 0.75
    assert cp.cronbach_alpha([[1, 2], [2, 1], [3, 4], [4, 3]]) == pytest.approx(0.75)
    assert cp.cronbach_alpha([[1, 1], [2, 2], [3, 3]]) == pytest.approx(1.0)


def test_correlation_audit_flags():
    z = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [1, 2, 3, 5.0], "c": [2, 1, 4, 3.0]})
    fw = pd.DataFrame({"indicator": ["a", "b", "c"], "pillar": ["P", "P", "Q"]})
    pillars = pd.DataFrame({"P": (z["a"] + z["b"]) / 2, "Q": z["c"]})
    index = pillars.mean(axis=1)
    audit = correlation_key(cp.correlation_audit(z, fw, pillars, index))
    assert audit[("indicator-indicator", "a", "b")][1] == "redundant"
    assert audit[("indicator-pillar", "c", "Q")][0] == pytest.approx(1.0)
    assert audit[("indicator-index", "a", "index")][0] == pytest.approx(np.corrcoef(z["a"], index)[0, 1])


def correlation_key(df: pd.DataFrame) -> dict:
    return {(r.level, r.a, r.b): (r.r, r.flag) for r in df.itertuples()}


# ---------------------------------------------------------------------------------- pipeline


def _toy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": list("ABCD") * 3,
            "indicator": ["x"] * 4 + ["y"] * 4 + ["z"] * 4,
            "value": [1, 2, 3, 4, 40, 30, 20, 10, 5, np.nan, 7, 8],
        }
    )


def test_build_index_by_hand():
    fw = pd.DataFrame({"indicator": ["x", "y", "z"], "direction": [1, -1, 1], "pillar": ["P", "P", "Q"]})
    r = cp.build_index(_toy(), cp.CompositeSpec(fw, treat=False))
    # x -> 0, 33.3, 66.7, 100; y reversed -> 0, 33.3, 66.7, 100; z -> 0, nan, 66.7, 100
    s = r.scores.set_index("unit")["score"]
    assert s["A"] == pytest.approx(0) and s["D"] == pytest.approx(100)
    assert s["B"] == pytest.approx(100 / 3)  # Q has no data for B: the index is P alone
    assert s["C"] == pytest.approx(200 / 3)
    assert r.log.query("step == 'scored without'")["unit"].tolist() == ["B"]


def test_build_index_dat_thresh_and_imputation_logged():
    fw = pd.DataFrame({"indicator": ["x", "y", "z"]})
    r = cp.build_index(_toy(), cp.CompositeSpec(fw, treat=False, dat_thresh=1.0))
    assert np.isnan(r.scores.set_index("unit").loc["B", "score"])
    assert "no score" in set(r.log["step"])
    r = cp.build_index(_toy(), cp.CompositeSpec(fw, treat=False, impute="median", dat_thresh=1.0))
    imp = r.log[r.log["step"] == "imputed (median)"]
    assert imp[["indicator", "unit"]].values.tolist() == [["z", "B"]]
    assert "7" in imp["detail"].iloc[0]


def test_build_index_geometric_is_made_safe_and_said():
    fw = pd.DataFrame({"indicator": ["x", "y"]})
    d = _toy()[lambda t: t["indicator"] != "z"]
    r = cp.build_index(d, cp.CompositeSpec(fw, treat=False, aggregation="geometric"))
    assert np.isfinite(r.scores["score"]).all()
    assert (r.log["step"] == "rescaled to [1, 100]").any()


def test_build_index_outside_pool_uses_pool_parameters():
    fw = pd.DataFrame({"indicator": ["x"]})
    d = pd.DataFrame({"unit": ["A", "B", "C", "EU"], "indicator": "x", "value": [0, 5, 10, 2.5]})
    r = cp.build_index(d, cp.CompositeSpec(fw, treat=False), outside_pool=["EU"])
    s = r.scores.set_index("unit")
    assert s.loc["EU", "score"] == pytest.approx(25) and np.isnan(s.loc["EU", "rank"])
    assert s.loc["C", "rank"] == 1


def test_build_index_panel_pools_all_years():
    d = pd.DataFrame(
        {
            "unit": ["A", "B"] * 2,
            "time": [2019, 2019, 2020, 2020],
            "indicator": "x",
            "value": [0, 10, np.nan, 20],
        }
    )
    r = cp.build_index(
        d, cp.CompositeSpec(pd.DataFrame({"indicator": ["x"]}), treat=False, impute="latest"), time="time"
    )
    s = r.scores.set_index(["unit", "time"])["score"]
    # min-max over both years: 0 -> 0, 10 -> 50, 20 -> 100; A 2020 is A 2019 carried forward
    assert s[("B", 2019)] == 50 and s[("B", 2020)] == 100 and s[("A", 2020)] == 0
    assert r.log.query("step == 'imputed (latest)'")["detail"].tolist() == ["value of 2019"]


def test_build_index_bad_input():
    fw = pd.DataFrame({"indicator": ["x", "w"]})
    with pytest.raises(DataFileError, match="no data at all for the indicator"):
        cp.build_index(_toy(), cp.CompositeSpec(fw))
    with pytest.raises(DataFileError, match="two values"):
        cp.build_index(pd.concat([_toy(), _toy().iloc[:1]]), cp.CompositeSpec(pd.DataFrame({"indicator": ["x"]})))
    with pytest.raises(ParameterError, match="direction"):
        cp.build_index(_toy(), cp.CompositeSpec(pd.DataFrame({"indicator": ["x"], "direction": [0]})))


# ------------------------------------------------------------------------------ uncertainty


def test_monte_carlo_without_noise_reproduces_the_nominal_index():
    N = cp.minmax(np.array([[1.0, 4, 2], [2, 3, 9], [3, 1, 5], [4, 2, 1]]))
    mc = cp.monte_carlo({"minmax": N}, [1, 1, 1], aggregations=("arithmetic",), weight_noise=0, n_draws=50)
    np.testing.assert_allclose(mc.scores, np.broadcast_to(mc.nominal_score, mc.scores.shape))
    np.testing.assert_allclose(mc.nominal_score, cp.arithmetic_mean(N))
    assert (mc.mean_rank_shift() == 0).all()


def test_monte_carlo_is_seeded_and_a_dominant_unit_always_ranks_first():
    rng = np.random.default_rng(0)
    X = rng.random((30, 4))
    X[7] = 2.0  # better than every other unit on every indicator
    bank = {"minmax": cp.minmax(X), "zscore": cp.zscore(X), "rank": cp.percentile_rank(X)}
    a = cp.monte_carlo(
        bank,
        np.ones(4),
        pillars=["P", "P", "Q", "Q"],
        aggregations=("arithmetic", "geometric", "harmonic"),
        n_draws=300,
        seed=5,
    )
    b = cp.monte_carlo(
        bank,
        np.ones(4),
        pillars=["P", "P", "Q", "Q"],
        aggregations=("arithmetic", "geometric", "harmonic"),
        n_draws=300,
        seed=5,
    )
    np.testing.assert_array_equal(a.scores, b.scores)
    assert (a.ranks[:, 7] == 1).all()
    summary = a.rank_summary()
    row = summary[summary["unit"] == "7"].iloc[0]
    assert row["rank_low"] == row["rank_high"] == 1
    assert set(a.draws["aggregation"]) == {"arithmetic", "geometric", "harmonic"}
    assert (summary["rank_low"] <= summary["median_rank"]).all() and (
        summary["median_rank"] <= summary["rank_high"]
    ).all()


def test_batched_draws_equal_one_pipeline_pass_per_draw():
    rng = np.random.default_rng(1)
    X = rng.random((12, 3)) * 10
    bank = {"minmax": cp.minmax(X), "rank": cp.percentile_rank(X)}
    mc = cp.monte_carlo(bank, [1, 2, 1], aggregations=("arithmetic", "geometric"), n_draws=40, seed=2)
    for d in (0, 1, 17, 39):  # spot-check draws against the plain aggregation functions
        row = mc.draws.iloc[d]
        N = bank[row["normalisation"]]
        w = row[["w0", "w1", "w2"]].to_numpy(dtype=float)
        expected = (
            cp.arithmetic_mean(N, w)
            if row["aggregation"] == "arithmetic"
            else cp.geometric_mean(cp.rescale_positive(N), w)
        )
        np.testing.assert_allclose(mc.scores[d], expected, rtol=1e-12)


def test_saltelli_design_and_sobol_invariants():
    n, d = 256, 3
    A, B, AB = cp.saltelli_sample(n, d, seed=4)
    rows = np.concatenate([A, B, AB.reshape(-1, d)])
    assert rows.shape == (n * (d + 2), d) and rows.min() >= 0 and rows.max() <= 1

    def f(X):
        return X[..., 0] + 10 * X[..., 1]  # X3 unused

    S, ST, _, _ = cp.sobol_indices(f(A), f(B), f(AB))
    assert S[2] == 0 and ST[2] == 0  # exactly: y_AB3 equals y_A
    A, B, AB = cp.saltelli_sample(20000, d, seed=4)
    S, ST, ci_s, _ = cp.sobol_indices(f(A), f(B), f(AB), n_boot=50)
    assert S[0] == pytest.approx(1 / 101, abs=0.01) and S[1] == pytest.approx(100 / 101, abs=0.03)
    assert ST[1] == pytest.approx(100 / 101, abs=0.03)
    assert ci_s[0, 1] <= S[1] <= ci_s[1, 1]


def test_sensitivity_unused_factor_has_zero_index():
    X = np.random.default_rng(3).random((20, 3))
    # one normalisation, one aggregation: those factors cannot move anything
    r = cp.sensitivity({"minmax": cp.minmax(X)}, [1, 1, 1], aggregations=("arithmetic",), n=128, n_boot=0)
    idx = r.indices.set_index("factor")
    assert idx.loc["normalisation", "S"] == 0 and idx.loc["aggregation", "ST"] == 0
    assert (idx.loc[["weight 0", "weight 1", "weight 2"], "ST"] > 0).all()
    assert r.n_runs == 128 * 7


# --------------------------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(2, 20), st.integers(1, 4)), elements=finite))
def test_minmax_bounds_and_order(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cp.CompositeWarning)
        y = cp.minmax(x, (0, 100))
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) > 0:
            assert np.nanmin(y[:, j]) == pytest.approx(0, abs=1e-9) and np.nanmax(y[:, j]) == pytest.approx(100)
            order = np.argsort(x[:, j], kind="stable")
            assert (np.diff(y[order, j]) >= -1e-9).all()


@settings(max_examples=60, deadline=None)
@given(
    arrays(float, st.tuples(st.integers(1, 10), st.integers(1, 5)), elements=st.floats(0.01, 1e3)),
    st.lists(st.floats(0.1, 10), min_size=5, max_size=5),
)
def test_means_order_and_bounds(x, w):
    w = np.array(w[: x.shape[1]])
    a, g, h = cp.arithmetic_mean(x, w), cp.geometric_mean(x, w), cp.harmonic_mean(x, w)
    assert (h <= g * (1 + 1e-9)).all() and (g <= a * (1 + 1e-9)).all()
    assert (a <= x.max(axis=1) * (1 + 1e-12)).all() and (a >= x.min(axis=1) * (1 - 1e-12)).all()


@settings(max_examples=40, deadline=None)
@given(arrays(float, st.integers(3, 30), elements=st.floats(-100, 100)))
def test_percentile_rank_in_unit_interval(x):
    p = cp.percentile_rank(x)
    assert ((p >= 0) & (p <= 1)).all()
