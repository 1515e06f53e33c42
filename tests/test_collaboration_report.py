"""The collaboration report, run with papermill for one partner region and read back.

Flanders (BE2, a NUTS 1 region) exercises the region-level keep.eu view (its five provinces
BE21-BE25) and the country-level Horizon 2020 view (Belgium). Counts are recomputed with plain
pandas from the extract files and compared with PROVENANCE.md; the HTML is checked for the
illustrative note, the country-level caveat, and the absence of code.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from clusterix_lib import batch, cli, paths
from clusterix_lib import collab_indicators as ci
from clusterix_lib import collaboration as co
from clusterix_lib.reporting import offline_violations, output_paths, read_records

pytestmark = pytest.mark.notebooks

REGION = "BE2"
DATA = paths.REPO_ROOT / "data"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    outcomes = batch.run_batch(
        [cli.report_job("collaboration", REGION, out_dir=out)], workers=1, progress=False, timeout=600
    )
    failed = [(o.job.title, o.error) for o in outcomes if not o.ok]
    assert not failed, failed
    return outcomes[0]


@pytest.fixture(scope="module")
def records(built):
    return read_records(built.ipynb)


def test_keep_counts_by_plain_pandas(records):
    partners = pd.read_csv(DATA / "interreg_partners.csv.gz", dtype=str, keep_default_na=False)
    mine = partners[partners["nuts3"].str.startswith(REGION)]
    # PROVENANCE.md: BE21-BE25 have 109 partner rows in 29 projects
    assert len(mine) == 109 and mine[["programme", "acronym"]].drop_duplicates().shape[0] == 29
    assert records["keep_projects"] == 29
    assert records["keep_participations"] == 109  # nobody named twice in one Flemish project
    leads = mine[mine["lead"] == "yes"][["programme", "acronym"]].drop_duplicates()
    assert records["keep_coordinated_projects"] == len(leads)


def test_h2020_counts_by_plain_pandas(records):
    orgs = pd.read_csv(DATA / "h2020_organisations.csv.gz", dtype={"country": str}, keep_default_na=False)
    parts = pd.read_csv(DATA / "h2020_participations.csv.gz", keep_default_na=False)
    be = parts[parts["pic"].isin(orgs.loc[orgs["country"] == "BE", "pic"])]
    # PROVENANCE.md: Belgium 7,022 participations, 1,507 PICs, 4,426 projects
    assert (len(be), be["pic"].nunique(), be["rcn"].nunique()) == (7_022, 1_507, 4_426)
    assert (records["h2020_participations"], records["h2020_organisations"], records["h2020_projects"]) == (
        7_022,
        1_507,
        4_426,
    )


def test_records_equal_the_library(records):
    keep = co.load_interreg()
    ter = keep.territory(1)
    ties = ci.organisation_pairs(keep, by_year=False)
    partners = ci.partner_links(ties, ter, REGION)
    assert records["keep_top_partners"] == dict(
        zip(partners["partner"].head(10), partners["links"].head(10).astype(int), strict=True)
    )
    sector = keep.organisations.set_index("org_id")["sector"]
    row = ci.link_counts(ties, ter, sector).set_index("territory").loc[REGION]
    assert records["keep_links"] == row["links"]
    assert records["keep_intra_share"] == pytest.approx(row["intra_share"])
    # E-I index of the region: (external - internal) / all of its links
    assert records["keep_ei_index"] == pytest.approx((row["links"] - 2 * row["intra"]) / row["links"])
    h = co.load_h2020()
    pairs = ci.organisation_pairs(h)
    ek = ci.enterprise_knowledge_links(pairs, h.territory(0), h.organisations.set_index("org_id")["sector"])
    ek = ek[(ek["territory"] == "BE") & ek["year"].between(2014, 2020)]
    assert records["h2020_ek_links_by_year"] == {str(y): int(n) for y, n in zip(ek["year"], ek["links"], strict=True)}
    change = ci.change_before_after(ek, 2018, first=2015, last=2020).iloc[0]
    assert records["h2020_ek_change_pct"] == pytest.approx(change["pct_change"])
    assert records["illustrative"] is True
    assert records["complementarity_available"] in (True, False)


def test_key_tables_equal_the_library(built):
    folder = output_paths(built.job.output_stem)["tables"]
    assert sorted(p.name for p in folder.glob("*.csv")) == [
        "h2020_links_by_year.csv",
        "interreg_links_by_year.csv",
        "interreg_partner_regions.csv",
    ]
    keep = co.load_interreg()
    partners = ci.partner_links(ci.organisation_pairs(keep, by_year=False), keep.territory(1), REGION)
    got = pd.read_csv(folder / "interreg_partner_regions.csv", keep_default_na=False)
    assert {"partner", "name", "links", "joint_projects", "share"} <= set(got.columns)
    assert got["partner"].tolist() == partners["partner"].tolist()  # the full list, not only the top 10
    assert got["links"].tolist() == partners["links"].astype(int).tolist()
    assert got["share"].to_numpy() == pytest.approx(partners["share"].to_numpy())
    h = pd.read_csv(folder / "h2020_links_by_year.csv")
    ek = h[h["kind"] == "enterprise–knowledge institution"]
    assert (
        dict(zip(ek["year"].astype(str), ek["links"], strict=True))
        == read_records(built.ipynb)["h2020_ek_links_by_year"]
    )
    assert output_paths(built.job.output_stem)["xlsx"].is_file()


def test_html_is_offline_says_its_limits_and_shows_no_code(built):
    html = built.html.read_text(encoding="utf-8")
    assert offline_violations(html) == []
    body = html[html.index("<body") :]
    assert "jp-InputPrompt" not in body and "In&nbsp;[" not in body
    assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|highlight)', body)
    assert "from clusterix_lib" not in html and "record(" not in html
    assert "ILLUSTRATIVE DATA" in html and "Illustrative data." in html  # note in the text and the banner
    assert "as a whole" in html and "CORDIS does not say where" in html  # country-level caveat
    assert "data:image/png;base64," in html
    assert 'class="cx-source-code">cordisH2020projects<' in html and "keep.eu" in html


def test_html_shows_placeholders_literally_and_no_empty_table(built, records):
    html = built.html.read_text(encoding="utf-8")
    body = html[html.index("<body") :]
    # the illustrative members' name pattern is text, not HTML tags the browser swallows
    assert "Company &lt;region&gt;-&lt;n&gt; (illustrative)" in body and "<region>" not in body
    # BE2's partnership records are all for the consortium only: the note says so, no header-only table
    assert records["records_partnerships"] > 0 and "are for the consortium only and not shown" in body
    assert not re.search(r"<tbody>\s*</tbody>", body)
    # country-level H2020 change is context, not the project's target; group codes are in words
    assert "not a measure of the project's target" in body
    assert "gatekeeper of its group (EU-15" in body
