"""Log-supermodularity: the exact count against a brute-force reference, hand examples, invariances."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import complexity, supermodularity
from clusterix_lib.cube import DataWarning
from clusterix_lib.errors import ParameterError
from clusterix_lib.supermodularity import log_supermodularity_arrays


def brute_force(m: np.ndarray, eci: np.ndarray, pci: np.ndarray) -> tuple[float, int]:
    """Every quadruple, one at a time, straight from the definition (one period)."""
    rows = [i for i in np.argsort(-np.nan_to_num(eci, nan=-np.inf), kind="stable") if np.isfinite(eci[i])]
    cols = [j for j in np.argsort(-np.nan_to_num(pci, nan=-np.inf), kind="stable") if np.isfinite(pci[j])]

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else 0.0

    holds = total = 0
    for c_hi, c_lo in itertools.combinations(rows, 2):  # c_hi has the higher ECI
        for p_hi, p_lo in itertools.combinations(cols, 2):  # p_hi has the higher PCI
            holds += ratio(m[c_hi, p_hi], m[c_hi, p_lo]) > ratio(m[c_lo, p_hi], m[c_lo, p_lo])
            total += 1
    return (holds / total if total else np.nan), total


def test_hand_example():
    # sector pairs (1,2): ratios 2, 1, 1 -> 2 of 3; (1,3): 4, 2, 0.5 -> 3; (2,3): 2, 2, 0.5 -> 2
    m = np.array([[[4.0, 2.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 2.0]]])
    share, pairs = log_supermodularity_arrays(m, np.array([[1.0, 0.0, -1.0]]), np.array([[0.5, 0.0, -0.5]]))
    assert pairs.tolist() == [9]
    assert share[0] == pytest.approx(7 / 9)


def test_a_log_supermodular_matrix_scores_one_and_its_reverse_zero():
    rng = np.random.default_rng(5)
    eci, pci = rng.standard_normal(9), rng.standard_normal(6)
    m = np.exp(np.outer(eci, pci))[None]  # log M = ECI x PCI: supermodular in that order
    share, _ = log_supermodularity_arrays(m, eci[None], pci[None])
    assert share[0] == 1.0
    share, _ = log_supermodularity_arrays(m, -eci[None], pci[None])
    assert share[0] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(2, 8),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
)
def test_equals_brute_force_with_zeros_ties_and_left_out_rows(t_n, n_l, n_p, seed):
    rng = np.random.default_rng(seed)
    m = rng.choice([0.0, 0.5, 1.0, 2.0, 3.0], size=(t_n, n_l, n_p))  # many ties and zeros
    eci, pci = rng.standard_normal((t_n, n_l)), rng.standard_normal((t_n, n_p))
    eci[rng.random(eci.shape) < 0.2] = np.nan
    pci[rng.random(pci.shape) < 0.2] = np.nan
    share, pairs = log_supermodularity_arrays(m, eci, pci)
    for t in range(t_n):
        want, n = brute_force(m[t], eci[t], pci[t])
        assert pairs[t] == n
        if n:
            assert share[t] == pytest.approx(want, abs=1e-12)
        else:
            assert np.isnan(share[t])


def test_more_than_64_locations_threads_and_chunks_change_nothing(monkeypatch):
    rng = np.random.default_rng(2)
    m = rng.lognormal(size=(2, 70, 7)) * (rng.random((2, 70, 7)) > 0.3)  # two words per bitset
    eci, pci = rng.standard_normal((2, 70)), rng.standard_normal((2, 7))
    one, _ = log_supermodularity_arrays(m, eci, pci, threads=1)
    want = [brute_force(m[t], eci[t], pci[t])[0] for t in range(2)]
    np.testing.assert_allclose(one, want, rtol=0, atol=1e-12)
    monkeypatch.setattr(supermodularity, "_CHUNK_CELLS", 1)  # one sector pair per chunk
    np.testing.assert_array_equal(log_supermodularity_arrays(m, eci, pci, threads=3)[0], one)


def test_shape_mismatch_is_a_parameter_error():
    with pytest.raises(ParameterError, match="shapes do not match"):
        log_supermodularity_arrays(np.ones((1, 3, 2)), np.ones((1, 2)), np.ones((1, 2)))


def table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    locs, prods = [f"R{i}" for i in range(12)], [f"S{j}" for j in range(6)]
    rows = [(y, loc, p, float(rng.integers(0, 50))) for y in (2019, 2020) for loc in locs for p in prods]
    return pd.DataFrame(rows, columns=["year", "geo", "nace_r2", "value"])


def test_result_method_uses_rca_and_the_warning_names_the_periods():
    df = table()
    res = complexity.compute(df)
    lsm = res.log_supermodularity()
    assert list(lsm.columns) == ["year", "share", "pairs", "below"]
    want = [brute_force(res.stage.rca[t], res.eci[t], res.pci[t])[0] for t in range(2)]
    np.testing.assert_allclose(lsm["share"], want, atol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = complexity.ecomplexity_table(df, check_logsupermodularity=True)
    assert len(out) == 2 * 12 * 6
    low = lsm[lsm["below"]]
    assert len(low) == 2  # random counts: about half the inequalities hold
    texts = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    texts = [t for t in texts if "log-supermodular" in t]
    assert len(texts) == 1 and all(f"{y}: " in texts[0] for y in low["year"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        complexity.ecomplexity_table(df)  # off by default
    assert not [w for w in caught if "log-supermodular" in str(w.message)]


def test_cli_prints_the_share(tmp_path, capsys):
    from clusterix_lib.cli import main

    src = tmp_path / "in.csv"
    table().to_csv(src, index=False)
    assert main(["complexity", str(src), "-o", str(tmp_path / "o.csv"), "--log-supermodularity"]) == 0
    out = capsys.readouterr().out
    assert "log-supermodularity 2019:" in out and "log-supermodularity 2020:" in out
    assert "of 990 inequalities hold" in out  # C(12, 2) x C(6, 2) = 66 x 15 per period


def test_negative_levels_are_refused():
    with pytest.raises(ParameterError, match="non-negative"):
        log_supermodularity_arrays(-np.ones((1, 3, 2)), np.ones((1, 3)), np.ones((1, 2)))


def test_too_large_an_input_is_refused_before_any_work():
    m = np.ones((2, 10, 5))
    with pytest.raises(ParameterError, match=r"compares 200 .* more than the limit of 100") as exc:
        log_supermodularity_arrays(m, np.ones((2, 10)), np.ones((2, 5)), max_cells=100)
    assert "max_cells=None" in exc.value.hint
    share, _ = log_supermodularity_arrays(m, np.ones((2, 10)), np.ones((2, 5)), max_cells=None)
    assert share.shape == (2,)
