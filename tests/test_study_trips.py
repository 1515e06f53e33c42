"""Study trips as data: the default trips, and every bad trip file named by file, line, field and value."""

from __future__ import annotations

import shutil

import pytest

from clusterix_lib import study_trips as st
from clusterix_lib.consortium import default_consortium_path
from clusterix_lib.errors import DataFileError, ParameterError
from clusterix_lib.good_practices import load_good_practices, register_path

GOOD = """\
id = "X-1"
title = "A test trip"
consortium = "partners.csv"
host_partner = 1
visiting_regions = ["RO21", "CZ08"]
date_start = 2019-05-06
date_end = 2019-05-07

[[objectives]]
region = "RO21"
question = "How are clusters funded?"

[[site_visits]]
date = 2019-05-06
start = "09:00"
end = "11:00"
organisation = "ecoplus"
place = "St. Pölten"
purpose = "The cluster programme"
practices = ["GP-AT12-cluster-programme"]
questions = ["Which indicators?"]

[[site_visits]]
date = 2019-05-07
start = "09:00"
organisation = "A firm"
place = "Tulln"
purpose = "Company view"

[[participants]]
id = "V01"
name = "Participant A"
organisation = "ADR Nord-Est"
region = "RO21"
stakeholder_type = "agency"

[[participants]]
id = "H01"
name = "Host A"
organisation = "ecoplus"
region = "AT12"
stakeholder_type = "agency"
"""


@pytest.fixture()
def folder(tmp_path):
    """A consortium of its own (copy of the default partners and register) with one good trip."""
    shutil.copy(default_consortium_path(), tmp_path / "partners.csv")
    shutil.copy(register_path(), tmp_path / "good_practices.csv")
    (tmp_path / "study_trips").mkdir()
    (tmp_path / "study_trips" / "X-1.toml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_good_trip_reads(folder):
    t = st.load_trip("X-1", consortium_path=folder / "partners.csv")
    assert (t.host_region, t.visiting_regions, t.date_start, t.date_end) == (
        "AT12",
        ("RO21", "CZ08"),
        "2019-05-06",
        "2019-05-07",
    )
    assert t.practices == ["GP-AT12-cluster-programme"] and t.illustrative is False
    assert t.participants["side"].tolist() == ["visitor", "host"] and t.visitors["participant"].tolist() == ["V01"]
    # the objective's instrument comes from the consortium when the file names none
    assert t.objectives.at[0, "instrument"] == "Regional Operational Programme 2014-2020"
    assert t.feedback_dir == (folder / "trip_feedback" / "X-1").resolve()
    assert st.trip_targets(folder / "partners.csv") == [
        {"region": "AT12", "trip": "X-1", "trips_dir": str((folder / "study_trips").resolve())}
    ]
    t.check_region("at12")
    with pytest.raises(ParameterError, match="hosted by AT12, not CZ08"):
        t.check_region("CZ08")
    a = st.agenda(t, load_good_practices(folder / "good_practices.csv"))
    assert a["time"].tolist() == ["09:00–11:00", "09:00"]
    assert a.at[0, "practices"].startswith("GP-AT12-cluster-programme: Regional cluster programme")


BAD = {
    # name: (replace this, with this, line, field, value, fragment of the message)
    "unknown practice": (
        '"GP-AT12-cluster-programme"]',
        '"GP-AT12-cluster-programm"]',
        20,
        "site_visits[1].practices",
        "GP-AT12-cluster-programm",
        "did you mean 'GP-AT12-cluster-programme'?",
    ),
    "visiting region that does not exist": (
        '["RO21", "CZ08"]',
        '["RO21", "XX99"]',
        5,
        "visiting_regions[2]",
        "XX99",
        "unknown region",
    ),
    "visiting region outside the consortium": (
        '["RO21", "CZ08"]',
        '["RO21", "DE21"]',
        5,
        "visiting_regions[2]",
        "DE21",
        "is not a visiting region of this consortium",
    ),
    "host region among the visitors": (
        '["RO21", "CZ08"]',
        '["RO21", "AT12"]',
        5,
        "visiting_regions[2]",
        "AT12",
        "other than the host's AT12",
    ),
    "dates out of order": (
        "date_end = 2019-05-07",
        "date_end = 2019-05-05",
        7,
        "date_end",
        "2019-05-05",
        "dates out of order",
    ),
    "visit outside the trip": (
        "date = 2019-05-07\nstart",
        "date = 2019-05-09\nstart",
        24,
        "site_visits[2].date",
        "2019-05-09",
        "outside the trip's dates",
    ),
    "visit ends before it starts": (
        'end = "11:00"',
        'end = "08:30"',
        16,
        "site_visits[1].end",
        "08:30",
        "times out of order",
    ),
    "not a time": ('start = "09:00"\nend', 'start = "9h"\nend', 15, "site_visits[1].start", "9h", "is not a time"),
    "objective of a region not visiting": (
        'region = "RO21"\nquestion',
        'region = "DK03"\nquestion',
        10,
        "objectives[1].region",
        "DK03",
        "not a visiting region of this trip",
    ),
    "participant from another region": (
        'region = "RO21"\nstakeholder_type',
        'region = "ITH1"\nstakeholder_type',
        34,
        "participants[1].region",
        "ITH1",
        "not the host region or a visiting region",
    ),
    "unknown stakeholder type": (
        'stakeholder_type = "agency"\n\n[[participants]]',
        'stakeholder_type = "NGO"\n\n[[participants]]',
        35,
        "participants[1].stakeholder_type",
        "NGO",
        "unknown stakeholder type",
    ),
    "host not a partner": ("host_partner = 1", "host_partner = 12", 4, "host_partner", 12, "not a partner number"),
    "id differs from the file name": ('id = "X-1"', 'id = "X-2"', 1, "id", "X-2", "must equal the file name"),
    "misspelt key": (
        'purpose = "Company view"',
        'purpse = "Company view"',
        28,
        "site_visits[2].purpse",
        None,
        "did you mean 'purpose'",
    ),
    "not a date": ("date_start = 2019-05-06", 'date_start = "6 May 2019"', 6, "date_start", "6 May 2019", "not a date"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_trip_names_file_line_field_and_value(case, folder):
    old, new, line, field, value, fragment = BAD[case]
    path = folder / "study_trips" / "X-1.toml"
    assert old in GOOD, old
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        st.read_trip_file(path)
    msg = str(err.value)
    assert f"file {path}" in msg and f"line {line}," in msg and f"column {field!r}" in msg, msg
    if value is not None:
        assert f"value {value!r}" in msg, msg
    assert fragment in msg, msg


def test_bad_toml_and_missing_keys(folder):
    path = folder / "study_trips" / "X-1.toml"
    path.write_text(GOOD.replace("date_end = 2019-05-07", "date_end = "), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"not valid TOML.*line 7"):
        st.read_trip_file(path)
    path.write_text(GOOD.replace('title = "A test trip"\n', ""), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing key 'title'"):
        st.read_trip_file(path)
    with pytest.raises(DataFileError, match=r"unknown study trip 'X-11'.*did you mean 'X-1'"):
        st.load_trip("X-11", consortium_path=folder / "partners.csv")


def test_default_trips():
    table = st.list_trips()
    assert table["trip"].tolist() == ["AT12-2017-09", "RO32-2017-11", "DK03-2018-10"]
    assert table["illustrative"].all()
    register = set(load_good_practices()["id"])
    for trip_id in table["trip"]:
        t = st.load_trip(trip_id)
        assert set(t.practices) <= register and len(t.visitors) >= 4
        assert set(t.objectives["region"]) <= set(t.visiting_regions)
        assert (t.site_visits["date"] >= t.date_start).all() and (t.site_visits["date"] <= t.date_end).all()
    # the partner meeting in Bucharest shows the six practices presented there, and one from the database
    assert len(st.load_trip("RO32-2017-11").practices) == 7


def test_stakeholder_legend_explains_abbreviations_present():
    assert "managing authority" in st.stakeholder_legend(["agency", "MA/IB"])
    assert st.stakeholder_legend(["agency", "research"]) == ""
    assert set(st.STAKEHOLDER_LABELS) <= set(st.STAKEHOLDER_TYPES)
