"""The collaboration extracts: bad raw rows counted (never silently dropped), NUTS 2013 places located
in NUTS 2021, and the committed files equal to a rebuild from the raw public files."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import collab_extracts as ce
from clusterix_lib import datasets, extracts, paths
from clusterix_lib.collaboration import H2020_FILES, INTERREG_FILES
from clusterix_lib.errors import DataFileError

DATA = paths.REPO_ROOT / "data"
OURS = [*H2020_FILES.values(), *INTERREG_FILES.values(), ce.ISSUES_FILE]

RAW_H2020 = (
    (
        "rcn,role,pic,type,contribution,country,start_date,end_date,max_contribution,total_cost,"
        "start_year,end_year,duration,group,nunique\n"
    )
    + """1,coordinator,10,PRC,100,AT,2016-01-01,2018-12-31,900,1000,2016,2018,36,eu15,3
1,participant,11,HES,NA,NA,2016-01-01,2018-12-31,900,1000,2016,2018,36,tc,3
1,participant,11,HES,50,NA,2016-01-01,2018-12-31,900,1000,2016,2018,36,tc,3
1,participant,12,XYZ,-5,,2016-01-01,2018-12-31,900,1000,2016,2018,36,eu13,3
2,participant,10,PRC,70,AT,2017-13-01,2016-12-31,80,80,2017,2016,12,eu15,1
2,chief,13,REC,20,DE,2017-13-01,2016-12-31,80,80,2017,2016,12,eu15,1
3,participant,13,PUB,1,DE,NA,NA,5,5,NA,NA,NA,eu15,1
"""
)


def _issues(frame: pd.DataFrame) -> dict[str, int]:
    return dict(zip(frame["issue"], frame["rows"], strict=True))


def test_reduce_h2020_counts_every_bad_row():
    raw = pd.read_csv(
        pd.io.common.StringIO(RAW_H2020),
        keep_default_na=False,
        na_values={c: ["", "NA"] for c in ("contribution", "max_contribution", "total_cost", "start_date", "end_date")},
        dtype={"country": str, "type": str},
    )
    programme = pd.DataFrame({"rcn": [1, 1, 9], "programme_part": ["LEIT", "SC1", "ERC"]})
    names = pd.DataFrame({"pic": [10, 99], "name": ["Acme", "Other"]})
    proj, orgs, parts, issues = ce.reduce_h2020(raw, programme, names)
    got = _issues(issues)
    assert got["duplicate participation (same project and organisation)"] == 1
    assert got["unknown role"] == 1 and got["malformed or negative EC contribution"] == 1
    assert got["participation without an EC contribution"] == 1  # the NA contribution, not the NA country
    assert got["participation with an unknown activity code"] == 1
    assert got["organisation with no country"] == 1  # PIC 12; PIC 11 is in Namibia ("NA")
    assert got["organisation with conflicting activity code or country across rows"] == 1  # PIC 13: REC and PUB
    assert got["malformed start date"] == 1 and got["project without a start date"] == 1
    assert got["programme part of a project with no participation"] == 1
    assert got["project without a programme part"] == 2
    assert got["organisation not in the 2017 name table"] == 3
    # nothing else was dropped: 7 rows - 1 duplicate
    assert len(parts) == 6 and parts["role"].tolist().count("participant") == 5
    assert orgs.set_index("pic")["country"].to_dict() == {10: "AT", 11: "NA", 12: "", 13: "DE"}
    assert orgs.set_index("pic").loc[12, "type_code"] == "XYZ" and orgs.set_index("pic").loc[10, "name"] == "Acme"
    assert proj.set_index("rcn")["programme"].to_dict() == {1: "LEIT;SC1", 2: "", 3: ""}
    assert proj.set_index("rcn").loc[2, "start_date"] == "" and proj.set_index("rcn").loc[1, "end_date"] == "2018-12-31"
    assert np.isnan(parts.set_index(["rcn", "pic"]).loc[(1, 12), "contribution"])


def _keep_raw():
    partners = pd.DataFrame(
        {
            "partner_row": ["1", "2", "3", "4", "5", "6"],
            "Programme": ["Prog A"] * 4 + ["Prog B"] * 2,
            "Acronym": ["X", "X", "X", "X", "Y", "Z"],
            "Project Partner": ["Univ. of Somewhere", "City A", "CITY A!", "Firm", "Body", "Far away"],
            "Lead Partner": ["Yes", "No", "No", "maybe", "Yes", "Yes"],
            "Legal Status": ["public", "public", "public", "private", "", "public"],
            "country_iso2": ["FR", "HU", "HU", "RU", "PL", "NO"],
            "nuts3_code": ["FR711", "HU101", "HU101", "EE007", "PL129", ""],
        }
    )
    projects = pd.DataFrame(
        {
            "Programme": ["Prog A", "Prog A", "Prog B"],
            "Acronym": ["X", "X", "Y"],
            "Project start": ["2016/01/31", "2016/01/31", "2016/31/01"],
            "Project end": ["2018/12/31", "2018/12/31", "2015/01/01"],
            "EU Funding (EUR, parsed)": ["100.5", "100.5", ""],
            "Budget (EUR, parsed)": ["200", "200", "10"],
            "Thematic1": ["Tourism", "Tourism", ""],
            "Thematic2": ["Culture", "Culture", ""],
            "Thematic3": ["", "", ""],
            "Thematic Obj": ["(6) preserving the environment by:", "(6) x", ""],
        }
    )
    return partners, projects


def test_reduce_keep_locates_places_and_counts_problems():
    partners, projects = _keep_raw()
    proj, part, issues = ce.reduce_keep(partners, projects)
    got = _issues(issues)
    assert got["NUTS code outside the partner's country"] == 1  # a Russian partner with an Estonian code
    assert got["partner with no NUTS code"] == 1 and got["NUTS 2013 region split in NUTS 2021"] == 1
    assert got["same partner name twice in one project"] == 1  # "City A" and "CITY A!"
    assert got["lead-partner flag neither Yes nor No"] == 1 and got["partner without legal status"] == 1
    assert got["project listed twice (one lead partner per side of a border)"] == 1
    assert got["malformed start date"] == 1
    assert got["partner of a project missing from the project table"] == 1  # Prog B / Z
    p = part.set_index("partner_row")
    assert p.loc[1, ["nuts3", "nuts_conversion"]].tolist() == ["FRK21", "recoded"]
    assert p.loc[2, ["nuts3", "nuts_conversion"]].tolist() == ["HU110", "recoded"]
    assert p.loc[4, ["country", "nuts3", "nuts_conversion"]].tolist() == ["RU", "", "outside the country"]
    assert p.loc[5, ["nuts3", "nuts_conversion"]].tolist() == ["PL912", "largest piece"]
    assert p.loc[5, "nuts_share"] == pytest.approx(0.785839, abs=1e-6)
    assert p.loc[6, ["country", "nuts3", "nuts_conversion"]].tolist() == ["NO", "", "no code"]
    assert len(part) == 6  # every partner row kept
    assert proj["acronym"].tolist() == ["X", "Y", "Z"]
    x = proj.set_index("acronym").loc["X"]
    assert (x["start_date"], x["eu_funding"], x["theme"], x["thematic_objective"]) == (
        "2016-01-31",
        100.5,
        "Tourism; Culture",
        "6",
    )


def test_locate_in_nuts2021_with_the_committed_crosswalk():
    out = ce.locate_in_nuts2021(pd.Series(["FR711", "AT127", "DE915", "UKN02", "MK004", "XX123", "FR7", ""]))
    assert out["nuts2021"].tolist() == ["FRK21", "AT127", "DE91C", "UKN0E", "MK004", "", "FRK", ""]
    assert out["nuts_conversion"].tolist() == [
        "recoded",
        "identical",
        "merged",
        "largest piece",
        "identical",
        "not converted",
        "recoded",
        "no code",
    ]
    assert out.loc[5, "reason"] == "not a NUTS code of any version"


def test_raw_sources_are_registered_with_licence_and_publisher():
    for key in (
        "h2020_participations",
        "h2020_programme_parts",
        "h2020_organisations",
        "keep_partners",
        "keep_projects",
    ):
        s = extracts.RAW_SOURCES[key]
        assert s.publisher and len(s.licence) > 10 and s.url.startswith("https://")
    src = datasets.sources()
    assert set(OURS) <= set(src["file"])
    assert "cordisH2020projects" in set(src["dataset_code"])
    assert src.loc[src["file"] == "interreg_partners.csv.gz", "title"].str.contains("NUTS converter").any()


def test_committed_extracts_are_small_and_logged():
    for name in OURS:
        assert (DATA / name).stat().st_size < 2_000_000, name
    issues = pd.read_csv(DATA / ce.ISSUES_FILE, keep_default_na=False)
    assert list(issues.columns) == ce.ISSUE_COLUMNS and (issues["rows"] > 0).all()
    log = pd.read_csv(DATA / extracts.NOT_CARRIED_FILE, keep_default_na=False)
    ours = log[log["extract"].str.startswith("collaboration")]
    not_carried = issues[issues["action"].str.startswith(ce.NOT_CARRIED)]
    assert sorted(ours["reason"]) == sorted(not_carried["issue"])


def test_missing_raw_file_names_the_shared_folder(tmp_path):
    raw = extracts.RawFiles(shared=tmp_path, online=False)
    with pytest.raises(DataFileError) as err:
        ce.build_collaboration_extracts(raw, tmp_path / "out", lambda m: None)
    assert "CLUSTERIX_SHARED" in str(err.value) and "cordis_h2020_participations" in str(err.value)


def test_build_reads_na_as_namibia_in_text_and_missing_in_numbers(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    with gzip.open(shared / extracts.RAW_SOURCES["h2020_participations"].shared_file, "wt") as fh:
        fh.write(RAW_H2020)
    pd.DataFrame({"rcn": [1], "programme_part": ["LEIT"]}).to_csv(
        shared / extracts.RAW_SOURCES["h2020_programme_parts"].shared_file, index=False
    )
    pd.DataFrame({"pic": [11], "name": ["NA"], "country": ["NA"]}).to_csv(
        shared / extracts.RAW_SOURCES["h2020_organisations"].shared_file, index=False
    )
    partners, projects = _keep_raw()
    partners.to_csv(shared / extracts.RAW_SOURCES["keep_partners"].shared_file, index=False)
    projects.to_csv(shared / extracts.RAW_SOURCES["keep_projects"].shared_file, index=False)
    raw = extracts.RawFiles(shared=shared, online=False)
    written = ce.build_collaboration_extracts(raw, tmp_path / "out", lambda m: None)
    assert set(written) == set(OURS)
    orgs = pd.read_csv(written[H2020_FILES["organisations"]], keep_default_na=False, dtype=str)
    assert orgs.set_index("pic").loc["11", ["country", "name"]].tolist() == ["NA", "NA"]
    parts = pd.read_csv(written[H2020_FILES["participations"]], keep_default_na=False, dtype=str)
    assert parts.set_index(["rcn", "pic"]).loc[("1", "11"), "contribution"] == ""
    assert set(raw.used) == {
        "h2020_participations",
        "h2020_programme_parts",
        "h2020_organisations",
        "keep_partners",
        "keep_projects",
    }
    summary = ce.not_carried_over(tmp_path / "out")
    assert list(summary.columns) == ["extract", "reason", "rows", "codes"] and len(summary) >= 2


@pytest.mark.shared
def test_rebuild_from_shared_equals_committed(tmp_path, shared_dir):
    raw = extracts.RawFiles(shared=shared_dir, online=False)
    written = ce.build_collaboration_extracts(raw, tmp_path, lambda m: None)
    differ = [name for name, p in written.items() if p.read_bytes() != (DATA / name).read_bytes()]
    assert not differ, f"rebuilt collaboration extracts differ from the committed ones: {differ}; run `make data`"
    issues = _issues(pd.read_csv(written[ce.ISSUES_FILE], keep_default_na=False))
    # PROVENANCE.md: contribution missing for 13,754 rows; 4.4 % of keep.eu rows (377) without NUTS code;
    # 39 extra lead-partner rows; no duplicate (rcn, pic) pair; Namibia is not "no country"
    assert issues["participation without an EC contribution"] == 13_754
    assert issues["partner with no NUTS code"] == 377
    assert issues["project listed twice (one lead partner per side of a border)"] == 39
    assert "duplicate participation (same project and organisation)" not in issues
    assert "organisation with no country" not in issues
