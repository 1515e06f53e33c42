"""The collaboration model: checks on hand-made tables, and the loaders on the committed extracts
cross-checked with plain pandas and with the figures of PROVENANCE.md."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import collaboration as co
from clusterix_lib import paths
from clusterix_lib.errors import DataFileError

DATA = paths.REPO_ROOT / "data"


def _tables():
    projects = pd.DataFrame({"project_id": ["p1", "p2"], "start_date": ["2016-02-01", ""]})
    orgs = pd.DataFrame(
        {
            "org_id": ["a", "b", "c"],
            "sector": ["enterprise", "knowledge", "public"],
            "country": ["AT", "CZ", "at"],
            "region": ["AT12", "", "at13"],
        }
    )
    parts = pd.DataFrame(
        {
            "project_id": ["p1", "p1", "p2", "p2"],
            "org_id": ["a", "b", "b", "c"],
            "role": ["coordinator", "participant", "participant", "partner"],
            "funding": [10.0, np.nan, 5.0, 0.0],
        }
    )
    return projects, orgs, parts


def test_make_collaboration_tidies_and_keeps_limits():
    m = co.make_collaboration(*_tables(), limits={"geography": "nuts", "sample": True})
    assert m.projects["year"].tolist()[0] == 2016 and pd.isna(m.projects["year"].iloc[1])
    assert m.organisations["country"].tolist() == ["AT", "CZ", "AT"]
    assert m.organisations["region"].tolist() == ["AT12", "", "AT13"]
    for frame in (m.projects, m.organisations, m.participations):
        assert frame.attrs["geography"] == "nuts" and frame.attrs["sample"] is True
    assert m.summary() == {"projects": 2, "organisations": 3, "participations": 4, "projects_with_2_or_more": 2}
    assert m.territory(0).to_dict() == {"a": "AT", "b": "CZ", "c": "AT"}
    assert m.territory(1).to_dict() == {"a": "AT1", "b": "", "c": "AT1"}
    sub = m.subset(m.projects["project_id"] == "p2")
    assert sub.participations["org_id"].tolist() == ["b", "c"] and len(sub.organisations) == 3
    assert sub.limits["sample"] is True


@pytest.mark.parametrize(
    ("table", "column", "value", "message", "line"),
    [
        ("orgs", "sector", "firm", "unknown sector", 2),
        ("parts", "role", "boss", "unknown role", 3),
        ("parts", "project_id", "p9", "unknown project", 4),
        ("parts", "org_id", "zz", "unknown organisation", 2),
        ("projects", "start_date", "2016/02/01", "malformed date", 2),
        ("projects", "start_date", "2016-02-30", "malformed date", 2),
        ("parts", "funding", -3.0, "non-negative", 2),
        ("orgs", "region", "CZ08", "outside the organisation's country", 2),
    ],
)
def test_make_collaboration_names_file_line_column_value(table, column, value, message, line):
    projects, orgs, parts = _tables()
    frame = {"projects": projects, "orgs": orgs, "parts": parts}[table]
    frame.loc[line - 2, column] = value
    files = {"projects": "p.csv", "organisations": "o.csv", "participations": "x.csv"}
    with pytest.raises(DataFileError) as err:
        co.make_collaboration(projects, orgs, parts, files=files)
    text = str(err.value)
    assert message in text and f"line {line}" in text and repr(column) in text and "What to do" in text
    assert {"projects": "p.csv", "orgs": "o.csv", "parts": "x.csv"}[table] in text


def test_duplicate_participation_and_ids_are_refused():
    projects, orgs, parts = _tables()
    with pytest.raises(DataFileError, match="listed twice in one project"):
        co.make_collaboration(projects, orgs, pd.concat([parts, parts.iloc[[0]]], ignore_index=True))
    with pytest.raises(DataFileError, match="organisation id used twice"):
        co.make_collaboration(projects, pd.concat([orgs, orgs.iloc[[1]]], ignore_index=True), parts)
    with pytest.raises(DataFileError, match="lacks the column"):
        co.make_collaboration(projects, orgs.drop(columns="sector"), parts)


def test_territory_codes_follow_nuts_prefixes():
    orgs = pd.DataFrame({"country": ["BE", "SE", "FR", ""], "region": ["BE211", "SE224", "", ""]})
    assert co.territory_codes(orgs, 1).tolist() == ["BE2", "SE2", "", ""]
    assert co.territory_codes(orgs, 2).tolist() == ["BE21", "SE22", "", ""]
    assert co.territory_codes(orgs, 3).tolist() == ["BE211", "SE224", "", ""]
    with pytest.raises(ValueError):
        co.territory_codes(orgs, 4)


def test_keep_partner_classification_rule():
    names = pd.Series(
        [
            "Technische Universität München",
            "Vysoká škola báňská - Technická univerzita Ostrava",
            "Lunds universitet",
            "Fraunhofer-Gesellschaft",
            "Research Institute of Agricultural Economics",
            "Faculty of Civil Engineering",
            "City of Ostrava",
            "Acme Research Tools GmbH",  # 'research' in a company name: the rule says knowledge (documented)
            "Chamber of Commerce",
        ]
    )
    status = pd.Series(["public", "public", "public", "private", "", "public", "public", "private", "private"])
    out = co.classify_keep_partner(names, status)
    assert out["sector"].tolist() == ["knowledge"] * 6 + ["public", "knowledge", "private"]
    assert out["type_basis"].tolist()[:6] == ["name pattern"] * 6
    assert co.classify_keep_partner(pd.Series(["X"]), pd.Series([""]))["sector"].tolist() == ["unknown"]


# ---------------------------------------------------------------------------------------------
# loaders on the committed extracts
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def h2020():
    return co.load_h2020()


@pytest.fixture(scope="module")
def keep():
    return co.load_interreg()


def test_h2020_counts_and_limits(h2020):
    # PROVENANCE.md, file 11: 144,726 rows, 31,451 projects, 35,871 PICs, 12,401 projects with 2+
    assert h2020.summary() == {
        "projects": 31_451,
        "organisations": 35_871,
        "participations": 144_726,
        "projects_with_2_or_more": 12_401,
    }
    assert h2020.limits["geography"] == "country" and h2020.organisations.attrs["geography"] == "country"
    assert (h2020.organisations["region"] == "").all()
    assert set(h2020.organisations["sector"]) == {"enterprise", "knowledge", "public", "other"}
    # "NA" is Namibia (Windhoek in the 2017 table), not a missing country
    assert (h2020.organisations["country"] == "NA").sum() == 8
    assert (h2020.organisations["country"] == "").sum() == 0


def test_h2020_partner_countries_against_provenance(h2020):
    """Participations / distinct PICs / projects per partner country, as in PROVENANCE.md."""
    expected = {
        "AT": (4_166, 948, 2_770),
        "CZ": (1_479, 400, 1_152),
        "FR": (12_771, 2_934, 7_019),
        "RO": (1_305, 463, 868),
        "SE": (4_255, 1_024, 2_950),
    }
    parts = h2020.participations.merge(h2020.organisations[["org_id", "country"]], on="org_id")
    for country, (n_parts, n_orgs, n_projects) in expected.items():
        sel = parts[parts["country"] == country]
        assert (len(sel), sel["org_id"].nunique(), sel["project_id"].nunique()) == (n_parts, n_orgs, n_projects)


def test_h2020_sector_split_equals_the_extract_text(h2020):
    """Activity shares (PROVENANCE: HES 34.0 %, PRC 33.3 %, REC 20.4 %) from the gzip text, not pandas."""
    with gzip.open(DATA / "h2020_organisations.csv.gz", "rt", encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
        i_pic, i_type = header.index("pic"), header.index("type_code")
        type_of = {}
        for line in fh:
            cells = line.rstrip("\n").split(",")
            type_of[int(cells[i_pic])] = cells[i_type]
    counts = h2020.participations["org_id"].map(type_of).value_counts(normalize=True)
    assert counts["HES"] == pytest.approx(0.340, abs=5e-4)
    assert counts["PRC"] == pytest.approx(0.333, abs=5e-4)
    assert counts["REC"] == pytest.approx(0.204, abs=5e-4)
    sector = h2020.participations.merge(h2020.organisations, on="org_id")["sector"].value_counts()
    assert sector["knowledge"] == (h2020.participations["org_id"].map(type_of).isin(["HES", "REC"])).sum()


def test_interreg_counts_limits_and_nuts_2021(keep):
    s = keep.summary()
    assert s["projects"] == 1_852
    # 8,621 partner rows; two bodies are named twice in one project and count once there
    assert s["participations"] == 8_621 - keep.limits["merged_participations"] == 8_619
    assert keep.limits["sample"] is True and keep.limits["nuts_version"] == 2021
    regions = keep.organisations["region"]
    assert not regions.str.startswith(("FR71", "FR72")).any() and regions.str.startswith("FRK").any()
    assert (keep.organisations["country"] != "").all()


def test_interreg_partner_regions_against_provenance(keep):
    """Partner rows and projects per partner region (PROVENANCE.md, file 14 table)."""
    expected = {
        "AT12": (19, 16),
        "CZ08": (34, 26),
        "DK03": (39, 17),
        "FRK": (50, 37),
        "HU22": (58, 40),
        "ITH1": (22, 19),
        "RO21": (4, 4),
        "RO32": (50, 39),
        "SE22": (36, 28),
        "BE2": (109, 29),
    }
    parts = keep.participations.merge(keep.organisations[["org_id", "region"]], on="org_id")
    for code, (rows, projects) in expected.items():
        sel = parts[parts["region"].str.startswith(code)]
        assert (len(sel), sel["project_id"].nunique()) == (rows, projects), code


def test_programme_records_are_illustrative_and_counted():
    rec = co.load_programme_records()
    assert rec.limits["illustrative"] is True and any("ILLUSTRATIVE" in n for n in rec.limits["notes"])
    raw = pd.read_csv(DATA / "collaborations_clusterix2.csv", dtype=str, keep_default_na=False)
    assert (raw["illustrative"] == "true").all()
    assert len(rec.projects) == raw["record_id"].nunique() and len(rec.participations) == len(raw)
    assert set(rec.projects["status"]) <= set(co.PARTNERSHIP_STATUSES)
    assert co.default_records_path().name == "collaborations_clusterix2.csv"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("status", "signed", "unknown status"),
        ("member_type", "firm", "unknown member_type"),
        ("start_date", "01.02.2017", "malformed date"),
        ("record_name", "Another name", "two different record_name"),
        ("member", "", "empty member"),
    ],
)
def test_programme_record_errors_name_the_line(tmp_path, column, value, message):
    raw = pd.read_csv(DATA / "collaborations_clusterix2.csv", dtype=str, keep_default_na=False).head(6)
    raw.loc[3, column] = value
    path = tmp_path / "collaborations_x.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(DataFileError) as err:
        co.load_programme_records(path)
    assert message in str(err.value) and "line 5" in str(err.value) and str(path) in str(err.value)


def test_programme_record_file_missing_or_short(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        co.load_programme_records(tmp_path / "none.csv")
    (tmp_path / "short.csv").write_text("record_id,member\nP1,x\n")
    with pytest.raises(DataFileError, match="lacks the column"):
        co.load_programme_records(tmp_path / "short.csv")


# ---------------------------------------------------------------------------------------------
# clusterix collaboration
# ---------------------------------------------------------------------------------------------


def test_cli_partners_table_equals_a_pandas_recount(tmp_path, capsys):
    from clusterix_lib import cli

    out = tmp_path / "cz08.csv"
    assert cli.main(["collaboration", "partners", "--source", "interreg", "--region", "CZ08", "-o", str(out)]) == 0
    assert "sample" in capsys.readouterr().out  # the source's limits are printed
    table = pd.read_csv(out)
    # recount with plain pandas: distinct (CZ08 organisation, partner organisation) pairs per partner region
    p = pd.read_csv(DATA / "interreg_partners.csv.gz", dtype=str, keep_default_na=False)
    p["project"] = p["programme"] + "|" + p["acronym"]
    p["org"] = p["nuts3"].where(p["nuts3"] != "", p["country"]) + ":" + co.normalise_name(p["name"])
    p["nuts2"] = p["nuts3"].str[:4]
    both = p.merge(p, on="project", suffixes=("", "_o"))
    both = both[(both["nuts2"] == "CZ08") & (both["nuts2_o"] != "CZ08") & (both["nuts2_o"] != "")]
    want = both.drop_duplicates(["org", "org_o"]).groupby("nuts2_o").size()
    assert table.set_index("partner")["links"].to_dict() == want.to_dict()
    assert table["partner"].iloc[0] == "PL22"


def test_cli_refuses_regions_for_cordis(tmp_path, capsys):
    from clusterix_lib import cli

    code = cli.main(["collaboration", "links", "--source", "h2020", "--level", "2", "-o", str(tmp_path / "x.csv")])
    assert code == 2 and "country only" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_cli_records_brokers_and_sectors(tmp_path):
    from clusterix_lib import cli

    for table in ("brokers", "sectors", "ek-links"):
        out = tmp_path / f"{table}.csv"
        assert cli.main(["collaboration", table, "--source", "records", "-o", str(out)]) == 0
        assert len(pd.read_csv(out)) > 0
