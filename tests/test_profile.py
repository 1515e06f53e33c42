"""The regional profile: territories, sums, EU reference and location quotients on real extracts."""

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import datasets, nuts, profile
from clusterix_lib.errors import RegionError


@pytest.fixture(scope="module")
def employment():
    return datasets.employment()


def test_partner_territories(employment):
    available = employment.loc[employment["value"].notna(), "geo"].unique()
    t = profile.profile_territory("AT12", available)
    assert (t.method, t.stats_codes, t.note) == ("as is", ("AT12",), "")
    # NUTS 1 partners: Eurostat publishes BE2 and FRK (FR7 in NUTS 2013) directly; the note says so
    for code in ("BE2", "FRK"):
        t = profile.profile_territory(code, available)
        assert t.method == "as is" and t.stats_codes == (code,)
        assert "NUTS 1" in t.note
    # NUTS 3 partner: Skåne by its NUTS 2 region
    t = profile.profile_territory("SE224", available)
    assert t.method == "parent region" and t.stats_codes == ("SE22",)
    assert "SE22" in t.note and "SE224" in t.note
    # a NUTS 1 region without its own figures is the sum of its NUTS 2 regions
    t = profile.profile_territory("BE2", set(available) - {"BE2"})
    assert t.method == "sum of NUTS 2 regions"
    assert t.stats_codes == ("BE21", "BE22", "BE23", "BE24", "BE25")


def test_territory_sum_is_unknown_when_a_part_is_withheld():
    data = pd.DataFrame(
        {
            "geo": ["X1", "X2", "X1", "X2"],
            "year": [2014] * 4,
            "nace_r2": ["C10", "C10", "C11", "C11"],
            "value": [10.0, 5.0, 3.0, np.nan],
            "flag": ["", "p", "", "c"],
        }
    )
    t = nuts.Territory(code="X", name="X", level=1, stats_codes=("X1", "X2"), method="sum of NUTS 2 regions", note="")
    out = profile.territory_series(data, t, by=["year", "nace_r2"]).set_index("nace_r2")
    assert out.loc["C10", "value"] == 15.0 and out.loc["C10", "flag"] == "p"
    assert np.isnan(out.loc["C11", "value"]) and out.loc["C11", "flag"] == "c"


def test_territory_sum_combines_flags_letter_by_letter():
    data = pd.DataFrame(
        {
            "geo": ["X1", "X2", "X1", "X2"],
            "year": [2014] * 4,
            "nace_r2": ["C10", "C10", "C11", "C11"],
            "value": [1.0, 2.0, 3.0, 4.0],
            "flag": pd.array(["dc", "bc", None, "e"], dtype="string"),
        }
    )
    t = nuts.Territory(code="X", name="X", level=1, stats_codes=("X1", "X2"), method="sum of NUTS 2 regions", note="")
    out = profile.territory_series(data, t, by=["year", "nace_r2"]).set_index("nace_r2")
    assert out["flag"].to_dict() == {"C10": "bcd", "C11": "e"}  # each letter once, sorted; a missing flag is none


def test_territory_sum_flags_on_real_data():
    e = datasets.employment()
    t = profile.profile_territory("BE2", set(e["geo"]) - {"BE2"})
    out = profile.territory_series(e, t, by=["year", "nace_r2"]).set_index(["year", "nace_r2"])["flag"]
    parts = e[e["geo"].isin(t.stats_codes)]
    want = {k: "".join(sorted(set("".join(g.fillna(""))))) for k, g in parts.groupby(["year", "nace_r2"])["flag"]}
    assert out.to_dict() == want and sum(map(bool, want.values())) > 10


def test_reference_totals_count_members():
    data = pd.DataFrame(
        {
            "geo": ["AT", "BE", "AT", "BE", "NO"],
            "nace_r2": ["C10", "C10", "C11", "C11", "C10"],
            "value": [1.0, 2.0, 4.0, np.nan, 100.0],
        }
    )
    ref = profile.reference_totals(data, ["AT", "BE"], by=["nace_r2"]).set_index("nace_r2")
    assert ref.loc["C10", "value"] == 3.0 and ref.loc["C10", "n_members"] == 2  # NO is not a member
    assert ref.loc["C11", "value"] == 4.0 and ref.loc["C11", "n_members"] == 1


def test_eu_members_are_data():
    eu = profile.country_group("EU27_2020")
    assert len(eu) == 27 and "UK" not in eu and "EL" in eu
    with pytest.raises(Exception, match="EU27_2020"):
        profile.country_group("EU99")


def test_employment_profile_lq_by_hand(employment):
    """CZ08 in 2014, recomputed with plain pandas from the extract.

    Moravia-Silesia: coal-mining support services (B09) and basic metals (C24, PROVENANCE: LQ ~8
    against the sum of all NUTS-2 regions; ~7 against EU27 here) lead its specialisations."""
    prof = profile.employment_profile(employment, "CZ08", year=2014)
    table = prof["table"].set_index("nace_r2")
    e = employment[employment["year"] == 2014]
    region = e[e["geo"] == "CZ08"].set_index("nace_r2")["value"]
    eu = e[e["geo"].isin(profile.country_group())].groupby("nace_r2")["value"].sum(min_count=1)
    region, eu = region.dropna(), eu.dropna()
    eu = eu[eu.index.isin(region.index)]  # shares over the divisions the region publishes
    lq_c24 = (region["C24"] / region.sum()) / (eu["C24"] / eu.sum())
    assert table.loc["C24", "lq"] == pytest.approx(lq_c24, rel=1e-12)
    assert prof["total"] == pytest.approx(region.sum())
    top = profile.top_specialisations(prof["table"], n=3)
    assert list(top["nace_r2"].iloc[:2]) == ["B09", "C24"]
    assert (top["lq"].iloc[:2] > 5).all() and top["lq"].is_monotonic_decreasing


def test_year_choice_and_bad_year(employment):
    prof = profile.employment_profile(employment, "AT12")
    assert prof["year"] == 2014  # 2015 is thin for most countries in the 2017 file
    with pytest.raises(RegionError, match="2014"):
        profile.employment_profile(employment, "AT12", year=1990)


def test_year_choice_needs_the_reference_group_covered_too(employment):
    """CZ08 publishes 2015 in full, but only 16 of the 27 EU members do: its LQs "against the
    EU-27" would be against those 16, so the profile takes 2014 (27 members)."""
    eu = employment[employment["geo"].isin(profile.country_group("EU27_2020")) & employment["value"].notna()]
    members = eu.groupby("year")["geo"].nunique()
    assert members[2015] < 0.9 * members.max() <= members[2014]  # the premise, from the extract
    cz = profile.territory_series(
        employment, profile.profile_territory("CZ08", employment["geo"].unique()), by=["year", "nace_r2"]
    )
    assert profile.choose_year(cz) == 2015  # the region alone would take 2015
    assert profile.employment_profile(employment, "CZ08")["year"] == 2014
    # the explicit year is still honoured
    assert profile.employment_profile(employment, "CZ08", year=2015)["year"] == 2015


def test_year_choice_falls_back_to_the_region_when_no_year_meets_both():
    region = pd.DataFrame({"year": [2015, 2015], "value": [1.0, 2.0]})
    eu = pd.DataFrame({"geo": ["AT", "BE"], "year": [2014, 2014], "value": [1.0, 2.0]})
    assert profile.choose_year(region, reference=eu) == 2015


def test_key_figures_with_years_and_sources(employment):
    specs = datasets.indicator_specs()
    ind = datasets.indicators()
    t = profile.profile_territory("AT12", employment["geo"].unique())
    facts = profile.key_figures(ind, t, specs).set_index("indicator")
    # PROVENANCE.md spot value: GERD 2019 AT12 1.80 % of GDP; LFS 2015 AT12 798.5 thousand
    assert facts.loc["gerd_pc_gdp", "year"] == 2019 and facts.loc["gerd_pc_gdp", "value"] == pytest.approx(1.80)
    assert facts.loc["employment_ths", "value"] == pytest.approx(798.5)
    assert facts.loc["gerd_pc_gdp", "dataset_code"] == "rd_e_gerdreg"
    # SE224: patents are published for the NUTS 3 region itself; GERD only for SE22
    t = profile.profile_territory("SE224", employment.loc[employment["value"].notna(), "geo"].unique())
    facts = profile.key_figures(ind, t, specs).set_index("indicator")
    assert facts.loc["patents_p_mhab", "geo"] == "SE224"
    assert facts.loc["gerd_pc_gdp", "geo"] == "SE22" and facts.loc["gerd_pc_gdp", "value"] == pytest.approx(3.64)


def test_any_nuts_region_works_not_only_partners(employment):
    # a non-partner region whose NUTS 2013 code changed: PL12 split into PL91 + PL92 -> joint figures
    prof = profile.employment_profile(employment, "PL91")
    assert prof["territory"].stats_codes == ("PL91", "PL92") and prof["n_divisions"] > 30
    prof = profile.employment_profile(employment, "DE")  # a country
    assert prof["territory"].level == 0 and prof["total"] > 1e7


# ------------------------------------------------------------------------------------------
# regions whose figures are population-share estimates (NUTS 2013 -> 2021)
# ------------------------------------------------------------------------------------------


def test_estimated_parts_copy_one_structure(employment):
    # why estimates are never shown alone: PL91 and PL92 are both population shares of PL12, so
    # every division has the same share in both (the industry mix of PL12, not their own)
    d = employment[(employment["year"] == 2014) & employment["geo"].isin(["PL91", "PL92"])]
    wide = d.pivot(index="nace_r2", columns="geo", values="value").dropna()
    shares = wide / wide.sum()
    assert len(wide) > 40
    np.testing.assert_allclose(shares["PL91"], shares["PL92"], rtol=1e-6)  # extract values are rounded
    # an exact region's structure differs from its neighbour's
    d = employment[(employment["year"] == 2014) & employment["geo"].isin(["AT12", "AT13"])]
    wide = d.pivot(index="nace_r2", columns="geo", values="value").dropna()
    assert not np.allclose((wide / wide.sum())["AT12"], (wide / wide.sum())["AT13"], rtol=1e-3)


def test_joint_figures_are_the_sum_of_the_group(employment):
    prof = profile.employment_profile(employment, "LT01")
    t = prof["territory"]
    assert (t.method, t.stats_codes) == ("joint figures", ("LT01", "LT02"))
    assert "LT00" in t.note and "Eurostat published" in t.note
    assert t.figures_of == "Sostinės regionas with Vidurio ir vakarų Lietuvos regionas (joint figures)"
    y = prof["year"]
    d = employment[(employment["year"] == y) & employment["geo"].isin(["LT01", "LT02"])]
    by_div = d.groupby("nace_r2")["value"].sum(min_count=2)
    table = prof["table"].set_index("nace_r2")
    np.testing.assert_allclose(table["value"].dropna(), by_div.reindex(table["value"].dropna().index))
    assert prof["total"] == pytest.approx(by_div.sum())
    # a NUTS 3 region inside the group is joined the same way, after its parent
    t3 = profile.sector_territory("HU110", employment)
    assert t3.stats_codes == ("HU11", "HU12") and t3.figures_of == "Budapest with Pest (joint figures)"
    assert t3.note.startswith("Budapest (HU110) is a NUTS 3 region")


def test_partly_estimated_group_says_so(employment):
    t = profile.sector_territory("NO09", employment)
    assert t.stats_codes == ("NO09", "NO0A")
    assert "still partly an estimate" in t.note


def test_exact_regions_and_nuts1_estimates(employment):
    assert profile.sector_territory("AT12", employment) == profile.profile_territory(
        "AT12", employment.loc[employment["value"].notna(), "geo"].unique()
    )
    # FRC's own NUTS 1 figure is estimated (from the 2013 ZEAT regions); its NUTS 2 regions are exact
    t = profile.sector_territory("FRC", employment)
    assert (t.method, t.stats_codes) == ("sum of NUTS 2 regions", ("FRC1", "FRC2"))
    assert "left aside" in t.note
    assert profile.sector_territory("FRK", employment).stats_codes == ("FRK",)  # FR7 recoded: exact


def test_nuts2_panel_counts_each_structure_once(employment):
    year = employment[employment["year"] == 2014]
    panel = profile.nuts2_panel(year)
    geos = set(panel["geo"])
    for key in ["LT01+LT02", "HU11+HU12", "PL91+PL92", "HR02+HR05+HR06", "IE04+IE05+IE06", "UKM7+UKM8+UKM9"]:
        assert key in geos, key
        assert not set(key.split("+")) & geos
    assert not any(len(g) != 4 and "+" not in g for g in geos)
    got = panel[(panel["geo"] == "LT01+LT02") & (panel["nace_r2"] == "C10")]["value"].item()
    parts = year[year["geo"].isin(["LT01", "LT02"]) & (year["nace_r2"] == "C10")]["value"]
    assert got == pytest.approx(parts.sum())
    # a withheld member makes the sum unknown, never smaller
    hidden = year.copy()
    hidden.loc[(hidden["geo"] == "LT02") & (hidden["nace_r2"] == "C10"), "value"] = np.nan
    p2 = profile.nuts2_panel(hidden)
    assert np.isnan(p2[(p2["geo"] == "LT01+LT02") & (p2["nace_r2"] == "C10")]["value"].item())
    # every other region's rows are untouched
    untouched = panel[~panel["geo"].str.contains("+", regex=False)]
    assert len(untouched) == len(
        year[(year["geo"].str.len() == 4) & ~year["geo"].isin(profile.estimated_regions(year))]
    )


def test_key_figures_of_a_joint_region_are_its_own(employment):
    # joint figures concern the sector statistics only; innovation indicators are published for HU11 itself
    ind, specs = datasets.indicators(), datasets.indicator_specs()
    t = profile.sector_territory("HU11", employment)
    assert t.method == "joint figures"
    facts = profile.key_figures(ind, t, specs).set_index("indicator")
    assert (facts["geo"] == "HU11").all()
    own = ind[(ind["geo"] == "HU11") & (ind["indicator"] == "gerd_pc_gdp")].sort_values("year").iloc[-1]
    assert facts.loc["gerd_pc_gdp", "value"] == pytest.approx(own["value"])
    # the LFS employment of HU11 up to 2015 is a population share of HU10: the note says so
    assert "estimated by population" in facts.loc["employment_ths", "note"]
    assert "estimated" not in facts.loc["gerd_pc_gdp", "note"]


def test_withheld_caveat_threshold_and_words():
    assert profile.withheld_caveat(14, 54) == ""
    text = profile.withheld_caveat(15, 53)
    assert "15 of 68 divisions (22 %)" in text and "Read with care" in text
