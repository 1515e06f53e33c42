"""Evaluation adapters: a known effect recovered on simulated data, equal to a hand-built statsmodels OLS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from clusterix_lib import datasets
from clusterix_lib import evaluation as ev
from clusterix_lib.errors import ClusterixError


def simulated_panel(effect: float = 0.5, *, n_treated: int = 8, n_control: int = 22, pre_trend: float = 0.0, seed=3):
    """Units with their own level, common year shocks, and ``effect`` for treated units from 2016."""
    rng = np.random.default_rng(seed)
    units = [f"T{i:02d}" for i in range(n_treated)] + [f"C{i:02d}" for i in range(n_control)]
    years = np.arange(2011, 2020)
    level = dict(zip(units, rng.normal(1.0, 0.3, len(units)), strict=True))
    shock = dict(zip(years, rng.normal(0, 0.05, len(years)), strict=True))
    rows = []
    for u in units:
        treated = int(u.startswith("T"))
        for t in years:
            post = int(t >= 2016)
            y = level[u] + shock[t] + effect * treated * post + pre_trend * treated * (t - 2015) * (1 - post)
            rows.append((u, u, t, y + rng.normal(0, 0.05), treated, post))
    p = pd.DataFrame(rows, columns=["unit", "cluster", "time", "y", "treated", "post"])
    p["D"] = p["treated"] * p["post"]
    p["rel_time"] = p["time"] - 2016
    return p


def test_did_recovers_a_known_effect_within_its_interval():
    p = simulated_panel(0.5)
    r = ev.did(p)
    assert r.ci_low <= 0.5 <= r.ci_high
    assert r.estimate == pytest.approx(0.5, abs=0.05)
    assert r.n_treated_clusters == 8 and r.n_clusters == 30 and r.n_obs == 30 * 9
    assert r.p_value < 0.001


def test_did_equals_a_hand_built_statsmodels_ols():
    p = simulated_panel(0.3, seed=11)
    r = ev.did(p)
    hand = smf.ols("y ~ D + C(unit) + C(time)", data=p).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(p["cluster"])[0]}
    )
    assert r.estimate == hand.params["D"]
    assert r.se == hand.bse["D"]
    assert (r.ci_low, r.ci_high) == tuple(hand.conf_int().loc["D"])
    # and the point estimate is the plain difference of differences on a balanced panel
    m = p.groupby(["treated", "post"])["y"].mean()
    assert r.estimate == pytest.approx((m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0]), abs=1e-12)


def test_clusters_follow_the_partner_region():
    p = simulated_panel(0.5)
    p.loc[p["unit"].isin(["T00", "T01"]), "cluster"] = "T0x"  # one partner represented by two units
    r = ev.did(p)
    assert r.n_treated_clusters == 7 and r.n_treated_units == 8
    assert any("Only 7 partner regions and" in c for c in r.caveats)
    assert any("not a random sample" in c for c in r.caveats)


def test_event_study_and_pretrend_test():
    es, p_pre = ev.event_study(simulated_panel(0.5))
    es = es.set_index("time")
    assert es.loc[2015, "coef"] == 0
    assert es.loc[2011:2014, "coef"].abs().max() < 0.1
    assert es.loc[2016:2019, "coef"].between(0.4, 0.6).all()
    assert p_pre > 0.05
    _, p_bad = ev.event_study(simulated_panel(0.5, pre_trend=0.15))
    assert p_bad < 0.01  # a diverging pre-trend is caught


def test_placebo_inference_for_one_region():
    p = simulated_panel(0.5, n_treated=1, n_control=12, seed=5)
    r = ev.placebo_did(p)
    hand = smf.ols("y ~ D + C(unit) + C(time)", data=p).fit()
    assert r.estimate == pytest.approx(hand.params["D"], abs=1e-10)  # Frisch-Waugh-Lovell = OLS
    assert r.n_controls == 12 and r.p_value == pytest.approx(1 / 13)  # larger than every placebo
    assert r.interval[0] < 0.5 < r.interval[1]
    c = p[p["treated"] == 0].copy()
    one = c["unit"] == "C03"
    c["D"] = (one & (c["post"] == 1)).astype(int)
    placebo = smf.ols("y ~ D + C(unit) + C(time)", data=c).fit().params["D"]
    assert r.placebo["C03"] == pytest.approx(placebo, abs=1e-10)
    null = ev.placebo_did(simulated_panel(0.0, n_treated=1, n_control=12, seed=5))
    assert null.p_value > 0.1


def test_its_exact_and_too_short():
    t = np.arange(2011, 2021.0)
    s = pd.DataFrame({"time": t, "y": 2 + 0.3 * (t - 2016) + 1.5 * (t >= 2016) - 0.2 * (t - 2016) * (t >= 2016)})
    r = ev.interrupted_time_series(s, 2016)
    assert r.level_change == pytest.approx(1.5) and r.slope_change == pytest.approx(-0.2)
    assert r.pre_slope == pytest.approx(0.3) and (r.n_pre, r.n_post) == (5, 5)
    with pytest.raises(ClusterixError, match="2 before"):
        ev.interrupted_time_series(s[s["time"] >= 2014], 2016)


def test_comparison_group_rule():
    ind = pd.DataFrame(
        {
            "indicator": "y",
            "geo": np.repeat(["AT12", "AT13", "CZ01", "DE11", "SE22", "DK01"], 4),
            "year": [2013, 2014, 2016, 2017] * 6,
            "value": [1, 1.1, 1, 1]
            + [2, 2.2, 2, 2]
            + [1.2, 1.3, 1, 1]
            + [5, 6, 5, 5]
            + [1, 1.1, 1, 1]
            + [1, 1.1, 1, 1],
        }
    )
    kw = {"outcome": "y", "min_pre": 2, "countries": ["AT", "CZ", "DE", "SE", "DK"]}
    cg = ev.comparison_group(ind, ["AT12"], k=2, **kw)
    # SE22 and DK01 copy AT12 exactly (distance 0): the tie is broken by code
    assert cg["control"].tolist() == ["DK01", "SE22"] and (cg["distance"] == 0).all()
    # a consortium territory never serves as comparison, at any NUTS level
    cg = ev.comparison_group(ind, ["AT12"], k=2, exclude=["SE224", "DK0"], **kw)
    assert cg["control"].tolist() == ["CZ01", "AT13"]
    assert cg["neighbour"].tolist() == [1, 2]


def test_real_units_and_targets():
    u = ev.evaluation_units(["SE224", "FRK", "BE2"], datasets.indicators()).set_index("region")
    assert u.loc["SE224", "unit"] == "SE22" and u.loc["SE224", "cluster"] == "SE224"
    assert u.loc["FRK", "unit"] == "" and "left out" in u.loc["FRK", "note"]
    assert u.loc["BE2", "unit"] == "BE2"
    t = ev.policy_evaluation_targets()
    assert len(t) == 10 and "consortium_file" not in t[0]


# ---------------------------------------------------------------------------------------------
# Readable labels and explicit caveats (review of the policy-evaluation report)
# ---------------------------------------------------------------------------------------------


def test_outcome_label_from_the_specs():
    specs = datasets.indicator_specs()
    got = ev.outcome_label("berd_pc_gdp")
    assert got == f"{specs.loc['berd_pc_gdp', 'label']} ({specs.loc['berd_pc_gdp', 'unit']})"
    assert "berd_pc_gdp" not in got and "% of GDP" in got
    toy = pd.DataFrame({"label": ["Widgets"], "unit": ["per firm"]}, index=pd.Index(["w"], name="indicator"))
    assert ev.outcome_label("w", toy) == "Widgets (per firm)" and ev.outcome_label("x", toy) == "x"


def test_its_few_points_after_the_interruption_are_said_with_their_number():
    t = np.arange(2011, 2020.0)  # 2016-2019: 4 points from the interruption on
    s = pd.DataFrame({"time": t, "y": [0.03, 0.1, 0.08, 0.06, 0.04, 0.04, 0.04, 0.04, 0.14]})
    r = ev.interrupted_time_series(s, 2016, label="BERD")
    few = [c for c in r.caveats if "only 4 points" in c]
    assert len(few) == 1 and "BERD" in few[0] and "fewer than 6" in few[0]
    long = pd.DataFrame({"time": np.arange(2005, 2021.0), "y": np.arange(16.0)})
    r2 = ev.interrupted_time_series(long, 2014, label="BERD")  # 7 points after
    assert r2.n_post == 7 and not any("rest on only" in c for c in r2.caveats)
    assert any("rest on only 7 points" in c for c in ev.interrupted_time_series(long, 2014, few_post=8).caveats)


def test_plot_its_labels_periods_and_whole_years():
    import matplotlib

    matplotlib.use("Agg")
    years = np.arange(2011, 2020.0)
    r = ev.interrupted_time_series(pd.DataFrame({"time": years, "y": np.sin(years)}), 2016)
    fig = ev.plot_its(r, ylabel=ev.outcome_label("berd_pc_gdp"))
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all(t.isdigit() for t in ticks)  # 2011, 2012 ... never 2017.5
    assert "berd_pc_gdp" not in fig.axes[0].get_ylabel()
    # semesters as fractional years, labelled with their periods
    periods = [f"{y}-S{h}" for y in range(2017, 2021) for h in (1, 2)]
    times = np.array([y + (0.49 if h == 1 else 0.999) for y in range(2017, 2021) for h in (1, 2)])
    r = ev.interrupted_time_series(
        pd.DataFrame({"time": times, "y": np.arange(8.0) % 3}), 2019.25, min_pre=3, min_post=2
    )
    fig = ev.plot_its(r, tick_labels=dict(zip(times, periods, strict=True)))
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == periods
