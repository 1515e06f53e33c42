"""RIS-style scoreboard: group thresholds at their boundaries, a hand-computed scoreboard, the real preset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import datasets
from clusterix_lib import scoreboard as sc
from clusterix_lib.errors import ParameterError

# -------------------------------------------------------------------------------------- groups


@pytest.mark.parametrize(
    ("score", "lower", "upper"),
    [
        (69.999, "Emerging Innovator", "Emerging Innovator"),
        (70.0, "Emerging Innovator", "Moderate Innovator"),
        (70.001, "Moderate Innovator", "Moderate Innovator"),
        (100.0, "Moderate Innovator", "Strong Innovator"),
        (100.001, "Strong Innovator", "Strong Innovator"),
        (125.0, "Strong Innovator", "Innovation Leader"),
        (125.001, "Innovation Leader", "Innovation Leader"),
        (0.0, "Emerging Innovator", "Emerging Innovator"),
    ],
)
def test_group_thresholds_at_the_boundaries(score, lower, upper):
    assert sc.performance_group([score], boundary="lower")[0] == lower
    assert sc.performance_group([score], boundary="upper")[0] == upper


def test_worked_examples_b10():
    assert sc.performance_group([130, 110, 85, 60]).tolist() == [
        "Innovation Leader",
        "Strong Innovator",
        "Moderate Innovator",
        "Emerging Innovator",
    ]
    sub = sc.performance_subgroup([112, 91, 40], score_max=154.7, score_min=16.1)
    assert sub.tolist() == ["Strong Innovator", "Moderate Innovator +", "Emerging Innovator"]
    assert sc.performance_group([np.nan])[0] == "" and sc.group_code([np.nan])[0] == -1
    with pytest.raises(ParameterError):
        sc.group_code([1.0], boundary="middle")


def test_ris_2021_subgroup_cutoffs():
    c = sc.subgroup_cutoffs(154.7, 16.1)
    assert c["Innovation Leader"] == pytest.approx((134.9, 144.8), abs=0.05)
    assert c["Strong Innovator"] == pytest.approx((100 + 25 / 3, 100 + 50 / 3))
    assert c["Moderate Innovator"] == pytest.approx((80, 90))
    # RIS 2021 prints 34.1 and 52.1: the implied minimum 16.1 is itself rounded
    assert c["Emerging Innovator"] == pytest.approx((34.07, 52.03), abs=0.01)


def test_subgroup_boundaries_follow_the_boundary_rule():
    cut = 100 + 50 / 3
    assert sc.performance_subgroup([cut], score_max=150, score_min=10)[0] == "Strong Innovator"
    assert sc.performance_subgroup([cut], score_max=150, score_min=10, boundary="upper")[0] == "Strong Innovator +"
    low = 100 + 25 / 3
    assert sc.performance_subgroup([low], score_max=150, score_min=10)[0] == "Strong Innovator -"
    assert sc.performance_subgroup([low], score_max=150, score_min=10, boundary="upper")[0] == "Strong Innovator"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 300), min_size=2, max_size=30), st.sampled_from(["lower", "upper"]))
def test_groups_never_fall_as_the_score_rises(scores, boundary):
    s = np.sort(np.array(scores))
    assert (np.diff(sc.group_code(s, boundary=boundary)) >= 0).all()


# ------------------------------------------------------------------------- a hand-built case


def _toy_indicators() -> pd.DataFrame:
    rows = []
    regions = {
        # hrst, R&D personnel, GERD, BERD, patents per million
        "AT12": (10, 1, 2, 1, 100),
        "AT13": (30, 3, 4, 2, 300),
        "CZ01": (20, 2, 3, 1, 200),
        "EU27_2020": (20, 2, 3, 1.5, None),
    }
    for geo, (h, r, g, b, p) in regions.items():
        for year in (2018, 2019):
            hh = 20 if (geo == "AT12" and year == 2019) else h
            rows += [
                ("hrst_pc_act", geo, year, hh),
                ("rd_personnel_pc_emp", geo, year, r),
                ("gerd_pc_gdp", geo, year, g),
                ("berd_pc_gdp", geo, year, b),
            ]
        if p is not None:
            rows.append(("patents_p_mhab", geo, 2018, p))
    # countries: 1000 applications / 10 M people and 100 / 10 M -> EU-27 rate 1100 / 20 M = 55 per million
    rows += [
        ("patents_nr", "AT", 2018, 1000),
        ("patents_p_mhab", "AT", 2018, 100),
        ("patents_nr", "CZ", 2018, 100),
        ("patents_p_mhab", "CZ", 2018, 10),
    ]
    d = pd.DataFrame(rows, columns=["indicator", "geo", "year", "value"])
    return d.assign(flag="", nuts_conversion="identical")


@pytest.fixture(scope="module")
def toy():
    return sc.build_scoreboard(_toy_indicators(), regions=["AT12", "CZ01"], years=(2018, 2019))


def test_toy_scoreboard_by_hand(toy):
    s = toy.scores.set_index(["unit", "time"])
    # min-max over the three regions and both years (module docstring); EU patents 55 < pool
    # minimum 100 is clipped to it: EU SII = (50 + 50 + 50 + 50 + 0) / 5 = 40
    assert toy.eu.to_dict() == pytest.approx({2018: 40.0, 2019: 40.0})
    assert s.loc[("AT13", 2018), "sii"] == pytest.approx(100)
    assert s.loc[("CZ01", 2018), "sii"] == pytest.approx((50 + 50 + 100 + 0 + 50) / 5)
    assert s.loc[("AT12", 2018), "relative"] == pytest.approx(0)
    assert s.loc[("AT12", 2019), "relative"] == pytest.approx(100 * 10 / 40)  # hrst 10 -> 20 = 50 points / 5
    assert s.loc[("AT13", 2019), "relative"] == pytest.approx(250)
    # CZ01 sits exactly on the Leader threshold: the lower group by the default rule
    assert s.loc[("CZ01", 2019), "relative"] == pytest.approx(125)
    assert s.loc[("CZ01", 2019), "group"] == "Strong Innovator"
    assert s.loc[("AT13", 2019), "rank"] == 1 and s.loc[("AT12", 2019), "rank"] == 3
    assert s.loc[("AT12", 2019), "relative_to_base"] == pytest.approx(25)
    upper = sc.build_scoreboard(_toy_indicators(), regions=["CZ01"], years=(2018, 2019), boundary="upper")
    assert upper.scores.set_index(["unit", "time"]).loc[("CZ01", 2019), "group"] == "Innovation Leader"


def test_toy_missing_values_are_carried_and_said(toy):
    imp = toy.log[toy.log["step"] == "imputed (latest)"]
    patents_2019 = imp[(imp["indicator"] == "patents_p_mhab") & (imp["time"] == 2019)]
    assert set(patents_2019["unit"]) == {"AT12", "AT13", "CZ01", "EU27_2020"}
    assert set(patents_2019["detail"]) == {"value of 2018"}
    # the other Austrian and Czech regions have no data: no score, listed
    nos = toy.log[toy.log["step"] == "no score"]
    assert "AT11" in set(nos["unit"]) and np.isnan(toy.scores.set_index(["unit", "time"]).loc[("AT11", 2019), "sii"])
    eu_note = toy.notes[toy.notes["unit"] == sc.EU]["note"].iloc[0]
    assert "2 of 27" in eu_note
    dy = toy.data_years(["AT12"], 2019).set_index("indicator")
    assert dy.loc["patents_p_mhab", "data_year"] == 2018 and dy.loc["hrst_pc_act", "data_year"] == 2019


def test_toy_bad_year(toy):
    with pytest.raises(ParameterError, match="outside"):
        toy.year_table(2030)
    with pytest.raises(ParameterError, match="outside"):
        sc.scoreboard_uncertainty(toy, 2030)


# ------------------------------------------------------------------------- the real preset


@pytest.fixture(scope="module")
def real():
    regions = ["AT12", "BE2", "CZ08", "FRK", "SE224", "RO21"]
    return sc.build_scoreboard(datasets.indicators(), regions=regions)


def test_pool_rule(real):
    pool = real.pool
    assert not pool["unit"].str.contains("ZZ").any()
    nuts1 = set(pool.loc[pool["level"] == 1, "country"])
    assert nuts1 == {"BE", "HR", "IE", "NL"}  # thin NUTS 2 data (Belgian provinces publish no BERD)
    assert {"BE2", "CZ08", "AT12", "SE22"} <= set(pool["unit"]) and "BE21" not in set(pool["unit"])
    assert set(pool["country"]) <= set(datasets.indicators()["geo"].str[:2])


def test_real_regions_and_reference(real):
    reg = real.regions.set_index("region")
    assert reg.loc["SE224", "unit"] == "SE22" and "NUTS 3" in reg.loc["SE224", "note"]
    assert reg.loc["FRK", "unit"] == "FRK"  # published for the NUTS 1 region itself
    eu = real.scores[real.scores["unit"] == sc.EU]
    assert np.allclose(eu["relative"], 100)
    year = sc.choose_scoreboard_year(real)
    assert year == 2019
    t = real.region_table(year).set_index("unit")
    assert np.isnan(t.loc["FRK", "relative"])  # French regional R&D stops in 2013 in the extract
    assert t.loc["SE22", "group"] == "Innovation Leader" and t.loc["RO21", "group"] == "Emerging Innovator"
    pat = real.log[(real.log["step"] == "imputed (latest)") & (real.log["indicator"] == "patents_p_mhab")]
    # the regional patent series ends in 2012: later years carry the latest of 2011-2012, said in the log
    assert set(pat.loc[pat["time"] >= 2013, "detail"]) <= {"value of 2012", "value of 2011"}
    assert (pat["time"] == 2019).sum() > 150


def test_real_uncertainty_nominal_equals_the_scoreboard(real):
    u = sc.scoreboard_uncertainty(real, 2019, n_draws=200, seed=7)
    s = u.summary.set_index("unit")
    t = real.year_table(2019).set_index("unit")
    common = t.index[t["relative"].notna()]
    np.testing.assert_allclose(s.loc[common, "relative"], t.loc[common, "relative"], rtol=1e-9)
    np.testing.assert_array_equal(s.loc[common, "rank"], t.loc[common, "rank"])
    ok = s.dropna(subset=["relative"])
    assert (ok["relative_low"] <= ok["relative_high"]).all() and ok["group_share"].between(0, 1).all()
    again = sc.scoreboard_uncertainty(real, 2019, n_draws=200, seed=7)
    np.testing.assert_array_equal(u.relative, again.relative)


def test_targets_for_default_and_other_consortium(tmp_path):
    assert sc.scoreboard_targets() == [{"consortium": "consortium_clusterix2"}]
    other = tmp_path / "partners.csv"
    other.write_text("x")
    assert sc.scoreboard_targets(other) == [{"consortium": "partners", "consortium_file": str(other.resolve())}]


# ---------------------------------------------------------------------------------------------
# Labels, notes and tables an analyst reads (review of the scoreboard report)
# ---------------------------------------------------------------------------------------------


def test_units_are_labelled_with_their_own_nuts_name(real):
    lab = real.labels()
    # SE22 stands for the partner region Skåne (SE224, NUTS 3) but is Sydsverige
    assert lab["SE22"].startswith("Sydsverige (SE22)") and "for Skåne län (SE224)" in lab["SE22"]
    assert not lab["SE22"].startswith("Skåne")
    assert lab["AT12"] == "Niederösterreich (AT12)" and lab["FRK"] == "Auvergne-Rhône-Alpes (FRK)"
    assert lab[sc.EU] == "EU-27"
    assert set(real.region_table(2019)["unit"]) - {""} <= set(lab)


def test_region_notes_are_true_of_the_year(real):
    t = real.region_table(2019).set_index("unit")
    # FRK has no score in 2019: its note must not say it is scored
    assert np.isnan(t.loc["FRK", "relative"])
    assert "scored on the scale" not in t.loc["FRK", "note"] and "no score in 2019" in t.loc["FRK", "note"]
    early = real.region_table(2012).set_index("unit")
    assert early.loc["FRK", "relative"] > 0 and early.loc["FRK", "note"] == sc.SCALE_NOTE


def test_treatment_summary_is_plain_and_counts_right(real):
    s = sc.treatment_summary(real)
    assert list(s.columns) == ["what", "indicator", "extent", "n"]
    labels = set(real.framework["label"])
    assert set(s["indicator"]) <= labels | {""}
    assert not s["what"].isin(["scored without", "log transform", "no score", "imputed (latest)"]).any()
    log = real.log
    logged = s[s["what"].str.startswith("Log-transformed")]
    # the log transform applies to the whole indicator: no "1 region-year"
    assert len(logged) == (log["step"] == "log transform").sum() >= 1
    assert logged["n"].isna().all() and logged["extent"].str.contains("every region and year").all()
    none = s[s["what"].str.startswith("No score")]
    assert none["n"].sum() == (log["step"] == "no score").sum()
    carried = s[s["what"].str.contains("carried forward")]
    assert carried["n"].sum() == (log["step"] == "imputed (latest)").sum()
    without = s[s["what"].str.startswith("Scored without")]
    lacking = log.loc[log["step"] == "scored without", "detail"].str.count(",") + 1
    assert without["n"].sum() == lacking.sum()


def test_trend_chart_ends_at_the_report_year_with_a_title(real):
    import matplotlib

    matplotlib.use("Agg")
    lab = real.labels()
    fig = sc.plot_relative_trend(real.scores, ["AT12", "SE22"], lab, until=2019, title="Change over the years")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Change over the years"
    xmax = max(max(line.get_xdata()) for line in ax.get_lines())
    assert xmax == 2019 and max(real.years) > 2019
    assert "Sydsverige (SE22), for Skåne län (SE224)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_uncertainty_chart_axis_labels_fit(real):
    import matplotlib

    matplotlib.use("Agg")
    units = ["AT12", "SE22", "RO21", "BE2", "CZ08"]
    u = sc.scoreboard_uncertainty(real, 2019, n_draws=50, seed=1).for_units(units)
    long = {x: f"Provincia Autonoma di Bolzano/Bozen ({x})" for x in units}  # long names squeeze the axes
    fig = sc.plot_rank_uncertainty(u, long, title="t")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for ax in fig.axes:
        box = ax.xaxis.label.get_window_extent(r)
        assert box.x0 >= fig.bbox.x0 and box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0
        assert "1 = best" in ax.get_xlabel() or "EU = 100" in ax.get_xlabel()


def test_score_at_range_edge_by_hand():
    t = pd.DataFrame(
        {
            "unit": ["A", "B", "C", "D", "E"],
            "relative": [60.0, 95.0, 121.0, 50.0, 70.0],
            "relative_low": [40.0, 90.0, 120.0, 50.0, np.nan],
            "relative_high": [61.0, 100.0, 140.0, 50.0, np.nan],
        }
    )
    got = sc.score_at_range_edge(t)
    # A: (60-40)/21 = 0.952 -> top; B: 0.5 -> neither; C: 0.05 -> bottom; D: no width; E: no range
    assert got["unit"].tolist() == ["A", "C"] and got["edge"].tolist() == ["top", "bottom"]
    assert got["position"].tolist() == pytest.approx([20 / 21, 1 / 20])
    assert sc.score_at_range_edge(t, share=0.5)["unit"].tolist() == ["A", "B", "C"]


# ---------------------------------------------------------------------------------------------
# Audit of the scoreboard report: articles, regions a larger region stands for, regions outside
# the EU, and why an indicator is missing in the report year
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Innovation Leader", "an Innovation Leader"),
        ("Emerging Innovator", "an Emerging Innovator"),
        ("Strong Innovator", "a Strong Innovator"),
        ("Moderate Innovator", "a Moderate Innovator"),
        ("upper estimate", "an upper estimate"),
        ("lower estimate", "a lower estimate"),
        ("European region", "a European region"),
        ("unit", "a unit"),
        ("hour", "an hour"),
        ("EU region", "an EU region"),  # spelt out: "ee-you"
        ("R&D unit", "an R&D unit"),
        ("NUTS 2 region", "a NUTS 2 region"),  # read as a word
        ("  Innovation Leader ", "an Innovation Leader"),
    ],
)
def test_with_article(phrase, expected):
    assert sc.with_article(phrase) == expected


def _gap_indicators() -> pd.DataFrame:
    """2014-2019: the Austrian regions' GERD and BERD stop in 2014, Praha has no R&D personnel,
    Střední Čechy's GERD and BERD start in 2019; the EU-27 has everything."""
    rows = []
    full = {"hrst_pc_act": 30, "rd_personnel_pc_emp": 2, "gerd_pc_gdp": 3, "berd_pc_gdp": 1}
    for geo, k in (("AT12", 1.0), ("AT13", 1.5), ("CZ01", 1.2), ("CZ02", 0.8), ("EU27_2020", 1.1)):
        for year in range(2014, 2020):
            for ind, v in full.items():
                if geo.startswith("AT") and ind in ("gerd_pc_gdp", "berd_pc_gdp") and year > 2014:
                    continue
                if geo == "CZ01" and ind == "rd_personnel_pc_emp":
                    continue
                if geo == "CZ02" and ind in ("gerd_pc_gdp", "berd_pc_gdp") and year < 2019:
                    continue
                rows.append((ind, geo, year, v * k))
        rows.append(("patents_p_mhab", geo, 2014, 100 * k))
    d = pd.DataFrame(rows, columns=["indicator", "geo", "year", "value"])
    return d.assign(flag="", nuts_conversion="identical")


@pytest.fixture(scope="module")
def gaps():
    return sc.build_scoreboard(_gap_indicators(), regions=["AT12", "AT13", "CZ01", "CZ02"], years=range(2014, 2020))


def test_missing_values_say_the_latest_year_and_whose_gap_it_is(gaps):
    m = sc.missing_values(gaps, ["AT12", "AT13", "CZ01", "CZ02"], 2019)
    got = {(r.unit, r.indicator): (r.last_year, r.next_year, r.country_wide) for r in m.itertuples()}
    assert set(got) == {
        ("AT12", "rd_public_pc_gdp"),
        ("AT12", "berd_pc_gdp"),
        ("AT13", "rd_public_pc_gdp"),
        ("AT13", "berd_pc_gdp"),
        ("CZ01", "rd_personnel_pc_emp"),
    }
    # 2014 is 5 years before 2019, more than the 3 a figure is carried forward; no Austrian pool
    # region has a later figure: the gap is Austria's
    assert got[("AT12", "berd_pc_gdp")] == (2014, pytest.approx(np.nan, nan_ok=True), True)
    last, nxt, wide = got[("CZ01", "rd_personnel_pc_emp")]
    assert np.isnan(last) and np.isnan(nxt) and not wide  # none at all; Střední Čechy has R&D personnel
    assert sc.missing_value_notes(gaps, ["AT12", "AT13", "CZ01", "CZ02"], 2019) == [
        "For the regions of Österreich (AT), the latest figures for R&D expenditure in the public sector "
        "(GERD minus BERD) and R&D expenditure in the business sector (BERD) are from 2014, more than 3 years "
        "before 2019; older figures are not carried forward.",
        "For Praha (CZ01), there are no figures for R&D personnel (FTE) in 2014–2019.",
    ]
    # three years old is still carried forward: nothing missing for Austria in 2017
    assert sc.missing_values(gaps, ["AT12"], 2017).empty and sc.missing_value_notes(gaps, ["AT12"], 2017) == []
    assert sc.missing_value_notes(gaps, ["CZ02"], 2018) == [
        "For Střední Čechy (CZ02), figures for R&D expenditure in the public sector (GERD minus BERD) and "
        "R&D expenditure in the business sector (BERD) start only in 2019, after 2018."
    ]


def test_a_region_of_another_country_is_scored_but_not_ranked():
    sb = sc.build_scoreboard(
        _gap_indicators(), regions=["AT12", "CZ01", "CZ03"], countries=["AT"], years=range(2014, 2020)
    )
    assert sb.countries == ("AT",) and sb.outside(["AT12", "CZ01", sc.EU, ""]).tolist() == [False, True, False, False]
    t = sb.region_table(2019).set_index("region")
    assert t.loc["CZ01", "relative"] > 0 and np.isnan(t.loc["CZ01", "rank"])
    assert t.loc["AT12", "rank"] == 2  # behind Wien (AT13), whose figures are all 1.5 times larger
    assert "Česko (CZ), is not one of the scoreboard's countries" in t.loc["CZ01", "note"]
    assert "not ranked" in t.loc["CZ01", "note"] and t.loc["AT12", "note"] == ""
    # a region without any figure, and no larger region to stand for it, is said to have none
    assert t.loc["CZ03", "unit"] == "" and t.loc["CZ03", "note"] == (
        "Jihozápad (CZ03) has no figures for any of the 5 indicators in 2014–2019, and no larger region "
        "containing it has enough data to stand for it."
    )
    u = sc.scoreboard_uncertainty(sb, 2019, n_draws=20).summary.set_index("unit")
    assert np.isnan(u.loc["CZ01", "rank"]) and np.isnan(u.loc["CZ01", "rank_low"]) and u.loc["AT12", "rank"] == 2


@pytest.fixture(scope="module")
def audited():
    return sc.build_scoreboard(datasets.indicators(), regions=["HR05", "IE06", "UKI3", "HR050", "TR10"])


def test_regions_with_some_data_are_never_said_to_have_none(audited):
    ind = datasets.indicators()
    reg = audited.regions.set_index("region")
    for code, parent in (("HR05", "HR0"), ("IE06", "IE0"), ("HR050", "HR0")):
        assert (
            ind.loc[ind["geo"] == code, "indicator"]
            .isin(audited.framework["indicator"].tolist() + ["gerd_pc_gdp"])
            .any()
        )
        note = reg.loc[code, "note"]
        assert reg.loc[code, "unit"] == parent and "no indicator data" not in note and "has figures for only" in note
        assert f"({parent}), the NUTS 1 region containing it, stands for it" in note
    # Grad Zagreb (NUTS 2021) has GERD and BERD for 2020 only; Eastern and Midland only HRST
    assert "R&D expenditure in the business sector (BERD) in 2020" in reg.loc["HR05", "note"]
    assert "human resources in science and technology in 2012–2020" in reg.loc["IE06", "note"]
    assert "no larger region containing it" in reg.loc["TR10", "note"] and reg.loc["TR10", "unit"] == ""
    t = audited.region_table(2019).set_index("region")
    assert t.loc["HR05", "relative"] == t.loc["HR050", "relative"] > 0


def test_uk_region_is_not_ranked_among_the_eu_regions(audited):
    assert "UK" not in audited.countries and len(audited.countries) == 27  # data/country_groups.csv
    t = audited.region_table(2019).set_index("region")
    assert t.loc["UKI3", "relative"] > 0 and np.isnan(t.loc["UKI3", "rank"])
    assert "United Kingdom (UK), is not an EU-27 member state (data/country_groups.csv)" in t.loc["UKI3", "note"]
    # EU ranks are unchanged by the UK region: the 190 EU regions scored are ranked 1..190
    ranks = audited.year_table(2019).query("in_pool")["rank"].dropna()
    assert sorted(ranks) == list(range(1, len(ranks) + 1))


def test_treatment_summary_counts_one_region_year_in_the_singular(audited):
    s = sc.treatment_summary(audited)
    counts = s.dropna(subset=["n"])
    assert not counts["extent"].str.startswith("1 region-years").any()
    assert (counts.loc[counts["n"] == 1, "extent"] == "1 region-year").all()
    assert (counts.loc[counts["n"] != 1, "extent"].str.endswith(" region-years")).all()
    assert (counts["n"] == 1).any()  # one HRST figure is carried forward: Inner London - West's of 2019 to 2020
