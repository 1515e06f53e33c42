"""Smart-profile sections on the committed extract, recomputed with plain pandas where it is cheap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import datasets, profile
from clusterix_lib import smart_profile as sp


@pytest.fixture(scope="module")
def employment():
    return datasets.employment()


@pytest.fixture(scope="module")
def cz08(employment):
    return profile.employment_profile(employment, "CZ08", year=2014)["territory"]


def test_comparison_panel_adds_a_nuts1_territory_once(employment):
    be2 = profile.employment_profile(employment, "BE2")["territory"]
    panel = sp.comparison_panel(employment, be2)
    assert (panel["geo"] == "BE2").any()
    single = panel.loc[~panel["geo"].str.contains("+", regex=False), "geo"]  # "LT01+LT02": joint figures
    assert set(single.str.len()) == {3, 4}  # NUTS 2 regions plus BE2 itself
    assert not panel.duplicated(["year", "geo", "nace_r2"]).any()
    se = profile.employment_profile(employment, "SE224")["territory"]
    geos = sp.comparison_panel(employment, se)["geo"]
    assert set(geos[~geos.str.contains("+", regex=False)].str.len()) == {4}  # SE22 stands for Skåne


def test_joint_region_is_ranked_once(employment):
    lt = profile.employment_profile(employment, "LT02")["territory"]
    panel = sp.comparison_panel(employment, lt)
    assert sp.panel_code(lt) == "LT01+LT02" and (panel["geo"] == "LT01+LT02").any()
    assert not panel["geo"].isin(["LT01", "LT02"]).any()
    year = profile.employment_profile(employment, "LT02")["year"]
    pos = sp.structure_position(employment, lt, year, panel=panel).set_index("measure")
    assert pos["rank"].notna().all()
    # both parts get the same position, that of the published whole
    lt1 = profile.employment_profile(employment, "LT01")["territory"]
    pos1 = sp.structure_position(employment, lt1, year).set_index("measure")
    pd.testing.assert_frame_equal(pos, pos1)


def test_krugman_and_entropy_by_hand(employment, cz08):
    table = sp.structure_position(employment, cz08, 2014).set_index("measure")
    e = employment[(employment["year"] == 2014) & employment["value"].notna()]
    region = e[e["geo"] == "CZ08"].set_index("nace_r2")["value"]
    eu = e[e["geo"].isin(profile.country_group())].groupby("nace_r2")["value"].sum()
    eu = eu[eu.index.isin(region.index)]
    s, s_eu = region / region.sum(), eu / eu.sum()
    krugman = (s - s_eu.reindex(s.index)).abs().sum()
    assert table.loc["krugman", "value"] == pytest.approx(krugman, rel=1e-9)
    p = s[s > 0]
    assert table.loc["entropy", "value"] == pytest.approx(-(p * np.log2(p)).sum(), rel=1e-9)
    sec = p.groupby(p.index.str[0]).sum()
    assert table.loc["unrelated_variety", "value"] == pytest.approx(-(sec * np.log2(sec)).sum(), rel=1e-9)
    # ranks are among the NUTS 2 regions with a value that year
    assert 1 <= table.loc["krugman", "rank"] <= table.loc["krugman", "of"] <= 300
    assert 0 <= table.loc["krugman", "percentile"] <= 100


def test_specialisation_changes_match_lq_threshold(employment, cz08):
    changes = sp.specialisation_changes(employment, cz08, 2009, 2014)
    assert set(changes["change"]) <= {"entry", "exit"}
    entries = changes[changes["change"] == "entry"]
    assert (entries["lq_start"] < 1).all() and (entries["lq_end"] >= 1).all()
    exits = changes[changes["change"] == "exit"]
    assert (exits["lq_start"] >= 1).all() and (exits["lq_end"] < 1).all()
    # recompute the LQs with the profile of each year, on data where the EU members report every
    # division in both years or in neither (the reference the changes use)
    both = employment[employment["year"].isin([2009, 2014])]
    member = both["geo"].isin(profile.country_group(profile.REFERENCE_GROUP))
    n = both[member & both["value"].notna()].groupby(["geo", "nace_r2"])["year"].transform("nunique")
    steady = both.drop(index=n[n < 2].index)
    assert len(entries) and len(steady) < len(both)
    code = entries["nace_r2"].iloc[0]
    for year, col in ((2009, "lq_start"), (2014, "lq_end")):
        t = profile.employment_profile(steady, "CZ08", year=year)["table"].set_index("nace_r2")
        assert entries[col].iloc[0] == pytest.approx(t.loc[code, "lq"], rel=1e-9)


def test_a_member_reporting_in_one_year_only_moves_no_lq(employment, cz08):
    # Malta's food (C10) in 2014 only: the changes 2009-2014 must not see it
    before = sp.specialisation_changes(employment, cz08, 2009, 2014)
    row = employment[(employment["geo"] == "MT") & (employment["year"] == 2014) & (employment["nace_r2"] == "C10")]
    extra = employment.drop(index=row.index)
    extra = pd.concat([extra, row.assign(value=5e6)], ignore_index=True)  # and a huge figure at that
    extra = extra[~((extra["geo"] == "MT") & (extra["nace_r2"] == "C10") & (extra["year"] == 2009))]
    pd.testing.assert_frame_equal(before, sp.specialisation_changes(extra, cz08, 2009, 2014))


def test_first_year_needs_the_eu_members(employment, cz08):
    # 2008 has figures for CZ08 but only 24 of the 27 EU members report anything that year
    assert employment.loc[(employment["geo"] == "CZ08") & (employment["year"] == 2008), "value"].notna().any()
    assert sp.first_year(employment, cz08) == 2009


def test_cluster_profile_basic_metals_in_moravia_silesia(employment, cz08):
    stars = sp.cluster_profile(employment, cz08, 2014)
    c24 = stars.set_index("nace_r2").loc["C24"]
    assert c24["stars"] == 3 and bool(c24["strong"])
    assert stars["stars"].is_monotonic_decreasing
    # the size star: CZ08's share of European (NUTS 2 panel) basic-metals employment
    e = employment[(employment["year"] == 2014) & (employment["geo"].str.len() == 4)]
    c24_all = e[e["nace_r2"] == "C24"].dropna(subset=["value"])
    assert c24["size"] == pytest.approx(
        c24_all.loc[c24_all["geo"] == "CZ08", "value"].iloc[0] / c24_all["value"].sum(), rel=1e-9
    )


def test_position_of_a_region_without_figures_is_nan():
    t = pd.DataFrame({"geo": ["A", "B"], "x": [1.0, 2.0]})
    out = sp._position(t, "C", ["x"])
    assert np.isnan(out["value"].iloc[0]) and np.isnan(out["rank"].iloc[0]) and out["of"].iloc[0] == 2


def _sections(employment, territory, year, panel):
    return {
        "structure": sp.structure_position(employment, territory, year, panel=panel),
        "stars": sp.cluster_profile(employment, territory, year, panel=panel),
        "options": sp.diversification_options(employment, territory, year, panel=panel),
        "eci": sp.complexity_position(employment, territory, year, panel=panel),
    }


def test_all_region_cache_gives_what_a_fresh_computation_gives(employment, cz08, monkeypatch):
    monkeypatch.setattr(sp, "_SHARED", type(sp._SHARED)())
    panel = sp.comparison_panel(employment, cz08)
    dk03 = profile.employment_profile(employment, "DK03", year=2014)["territory"]
    sp.warm(employment)  # the template's call: another region, the default year
    first = _sections(employment, dk03, 2014, panel)  # fills the cache for 2014
    assert {k[0] for k in sp._SHARED} == {"structure", "stars", "complexity", "eci"}
    cached = _sections(employment, cz08, 2014, panel)  # served from it
    sp._SHARED.clear()
    fresh = _sections(employment, cz08, 2014, panel)
    for name in fresh:
        pd.testing.assert_frame_equal(cached[name], fresh[name])
        assert cached[name].attrs == fresh[name].attrs
    assert not first["stars"].equals(fresh["stars"])  # the regions' own rows differ


def test_all_region_cache_is_never_stale(employment, cz08, monkeypatch):
    monkeypatch.setattr(sp, "_SHARED", type(sp._SHARED)())
    panel = sp.comparison_panel(employment, cz08)
    before = sp.structure_position(employment, cz08, 2014, panel=panel).set_index("measure")
    sp.complexity_position(employment, cz08, 2014, panel=panel)
    # the same object changed in place: CZ08's largest 2014 division doubled
    row = panel[(panel["geo"] == "CZ08") & (panel["year"] == 2014)]["value"].idxmax()
    panel.loc[row, "value"] *= 2
    after = sp.structure_position(employment, cz08, 2014, panel=panel).set_index("measure")
    eci_after = sp.complexity_position(employment, cz08, 2014, panel=panel)
    assert len(sp._SHARED) == 6  # the changed panel got entries of its own (structure, complexity, eci)
    assert after.loc["krugman", "value"] != pytest.approx(before.loc["krugman", "value"])
    sp._SHARED.clear()
    fresh = sp.structure_position(employment, cz08, 2014, panel=panel).set_index("measure")
    pd.testing.assert_frame_equal(after, fresh)
    pd.testing.assert_frame_equal(eci_after, sp.complexity_position(employment, cz08, 2014, panel=panel))


def test_cache_keeps_a_bounded_number_of_results(monkeypatch):
    monkeypatch.setattr(sp, "_SHARED", type(sp._SHARED)())
    calls = []
    for i in range(sp._SHARED_SIZE + 5):
        frame = pd.DataFrame({"x": [float(i)]})
        sp._shared("t", (frame,), lambda i=i: calls.append(i) or i)
    assert len(sp._SHARED) == sp._SHARED_SIZE and len(calls) == sp._SHARED_SIZE + 5
    assert sp._shared("t", (pd.DataFrame({"x": [float(sp._SHARED_SIZE + 4)]}),), lambda: -1) == sp._SHARED_SIZE + 4
    assert sp._shared("t", (pd.DataFrame({"x": [0.0]}),), lambda: -1) == -1  # the oldest was dropped
