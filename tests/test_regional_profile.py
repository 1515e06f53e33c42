"""The regional-profile report, run with papermill on the committed extracts and read back.

Four regions cover the territory rules: AT12 (a NUTS 2 partner region), BE2 (NUTS 1: Eurostat
publishes Flanders directly), SE224 (NUTS 3: Skåne is represented by its NUTS 2 parent SE22) and
PL91 (a region of no partner; it publishes 2015 in full, but only 16 EU members do, so its
profile takes 2014 like the others: LQs against the EU-27 need the EU-27 covered). Every value
the notebook records is recomputed here with the library (and the LQs once more with plain
pandas), and the HTML is checked for what a shared page must not contain.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from clusterix_lib import batch, cli, datasets, nuts, profile
from clusterix_lib.reporting import offline_violations, read_records

pytestmark = pytest.mark.notebooks

REGIONS = ("AT12", "BE2", "SE224", "PL91")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    jobs = [cli.report_job("regional_profile", code, out_dir=out) for code in REGIONS]
    outcomes = batch.run_batch(jobs, workers=2, progress=False, timeout=600)
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return {o.job.params["region"]: o for o in outcomes}


@pytest.fixture(scope="module")
def employment():
    return datasets.employment()


@pytest.mark.parametrize("code", REGIONS)
def test_records_equal_the_library(built, employment, code):
    rec = read_records(built[code].ipynb)
    prof = profile.employment_profile(employment, code)
    table = prof["table"]
    assert rec["region"] == code
    assert rec["region_name"] == nuts.region_name(code)
    assert rec["year"] == prof["year"] == 2014
    assert rec["total_employment"] == pytest.approx(prof["total"], rel=1e-12)
    assert rec["n_divisions"] == prof["n_divisions"] and rec["n_withheld"] == prof["n_withheld"]
    lq = table.dropna(subset=["lq"]).set_index("nace_r2")["lq"]
    assert rec["lq"].keys() == set(lq.index)
    assert rec["lq"] == pytest.approx(lq.round(6).to_dict(), abs=1e-6)
    top = profile.top_specialisations(table, n=1)
    assert rec["top_division"] == top["nace_r2"].iloc[0]
    assert rec["top_lq"] == pytest.approx(top["lq"].iloc[0])
    codes = {s["code"] for s in rec["sources"] if s.get("code")}
    assert "sbs_r_nuts06_r2" in codes


def test_territory_rules(built):
    at, be, se, pl = (read_records(built[c].ipynb) for c in REGIONS)
    assert at["stats_codes"] == ["AT12"] and at["territory_method"] == "as is"
    assert be["stats_codes"] == ["BE2"] and be["territory_method"] == "as is"
    assert se["stats_codes"] == ["SE22"] and se["territory_method"] != "as is"
    # PL91's figures are population shares of PL12 (NUTS 2013): shown with PL92, their sum is published
    assert pl["stats_codes"] == ["PL91", "PL92"] and pl["territory_method"] == "joint figures"


def test_lq_by_plain_pandas_for_a_nuts1_region(built, employment):
    """BE2's LQs: Flemish employment against the EU27 (sum of the 27 countries) in 2014."""
    rec = read_records(built["BE2"].ipynb)
    e = employment[(employment["year"] == 2014) & employment["value"].notna()]
    region = e[e["geo"] == "BE2"].groupby("nace_r2")["value"].sum()
    eu = e[e["geo"].isin(profile.country_group("EU27_2020"))].groupby("nace_r2")["value"].sum()
    # the library compares the divisions the region publishes with the same divisions of the EU
    common = region.index.intersection(eu.index)
    expected = (region[common] / region[common].sum()) / (eu[common] / eu[common].sum())
    got = pd.Series(rec["lq"])
    assert set(got.index) == set(common)
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, atol=1e-6, rtol=0)


@pytest.mark.parametrize("code", REGIONS)
def test_html_is_offline_and_shows_no_code(built, code):
    html = built[code].html.read_text(encoding="utf-8")
    assert offline_violations(html) == []
    assert "<script" not in html.lower()
    body = html[html.index("<body") :]
    assert "jp-InputPrompt" not in body and "In&nbsp;[" not in body and "jp-OutputPrompt" not in body
    assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|highlight)', body)  # no code input area
    assert "from clusterix_lib" not in html and "record(" not in html
    assert "data:image/png;base64," in html  # figures inline
    # header: title, region, snapshot id, library version; footer: dataset code and licence
    assert f"<code>{code}</code>" in html
    assert re.search(r'class="cx-snapshot">[0-9a-f]{12}<', html)
    assert 'class="cx-version">' in html
    assert 'class="cx-source-code">sbs_r_nuts06_r2<' in html
    assert "Licence:" in html and "2011/833/EU" in html


@pytest.mark.parametrize("code", REGIONS)
def test_indicator_sections_equal_the_library(built, employment, code):
    """Structure, clusters, changes, diversification options and ECI as the library computes them."""
    from clusterix_lib import smart_profile

    rec = read_records(built[code].ipynb)
    prof = profile.employment_profile(employment, code)
    territory, year = prof["territory"], prof["year"]
    structure = smart_profile.structure_position(employment, territory, year).set_index("measure")
    assert rec["structure_krugman"] == pytest.approx(structure.loc["krugman", "value"], rel=1e-12)
    assert rec["structure_related_variety"] == pytest.approx(structure.loc["related_variety", "value"], rel=1e-12)
    stars = smart_profile.cluster_profile(employment, territory, year)
    assert rec["strong_clusters"] == stars.loc[stars["strong"], "nace_r2"].tolist()
    first = smart_profile.first_year(employment, territory)
    changes = smart_profile.specialisation_changes(employment, territory, first, year)
    assert rec["entries"] == changes.loc[changes["change"] == "entry", "nace_r2"].tolist()
    options = smart_profile.diversification_options(employment, territory, year)
    ideal = options[options["quadrant"] == "low risk, high benefit"]
    assert rec["diversification_top"] == ideal["nace_r2"].head(10).tolist()
    assert set(rec["relatedness_density"]).isdisjoint(options.attrs["withheld"])
    eci = smart_profile.complexity_position(employment, territory, year).set_index("measure").loc["eci"]
    assert rec["eci"] == pytest.approx(eci["value"], rel=1e-9)
    assert rec["eci_rank"] == eci["rank"] and 1 <= rec["eci_rank"] <= rec["eci_of"]
    # the caveat under the ECI: the exact log-supermodularity share of that year's RCA matrix
    from clusterix_lib import complexity, supermodularity

    panel = smart_profile.comparison_panel(employment, territory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = complexity.compute(panel[panel["year"] == year], missing="zero", density=False)
    share, pairs = supermodularity.log_supermodularity_arrays(res.stage.rca, res.eci, res.pci)
    assert pairs[0] > 1_000_000
    assert rec["eci_log_supermodularity"] == pytest.approx(share[0], abs=1e-6)


@pytest.mark.parametrize("code", ["AT12", "PL91"])
def test_research_and_declared_sections(built, code):
    """Research indicators as the library gives them; declared records only for consortium regions."""
    from clusterix_lib import cluster_register, competences

    rec = read_records(built[code].ipynb)
    territory = profile.employment_profile(datasets.employment(), code)["territory"]
    research = competences.research_competences(datasets.indicators(), territory, datasets.indicator_specs())
    expected = {
        r.indicator: (None if pd.isna(r.value) else pytest.approx(float(r.value))) for r in research.itertuples()
    }
    assert rec["research_indicators"] == expected
    register = cluster_register.region_clusters(cluster_register.load_clusters(), code)
    assert rec["register_clusters"] == register["cluster_id"].tolist()
    if code == "AT12":
        assert rec["declared_titles"] and rec["register_clusters"] and rec["illustrative"] is True
        assert "Illustrative records" in built[code].html.read_text(encoding="utf-8")
    else:
        assert rec["declared_titles"] == [] and rec["register_clusters"] == [] and rec["illustrative"] is False
