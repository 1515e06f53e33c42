"""The consortium file: the default one loads; bad rows are refused with file, line, column and value."""

import pandas as pd
import pytest

from clusterix_lib.consortium import consortium_regions, default_consortium_path, load_consortium
from clusterix_lib.errors import DataFileError

HEADER = "partner_no,organisation,short_name,country,nuts_code,nuts_version\n"


def write(tmp_path, body, header=HEADER):
    p = tmp_path / "partners.csv"
    p.write_text(header + body, encoding="utf-8")
    return p


def test_default_consortium_has_eleven_partners_in_ten_regions():
    c = load_consortium()
    assert len(c) == 11
    assert c["partner_no"].tolist() == list(range(1, 12))
    lund = c[c["short_name"] == "LU"].iloc[0]
    assert lund["partner_no"] == 5 and lund["nuts_code"] == "SE224" and lund["nuts_level"] == 3
    regions = consortium_regions(c)
    assert len(regions) == 10
    skane = regions[regions["nuts_code"] == "SE224"].iloc[0]
    assert skane["partners"] == "LU; Region Skåne"
    assert set(c.loc[c["nuts_level"] == 1, "nuts_code"]) == {"BE2", "FRK"}


def test_another_consortium_is_another_file(tmp_path):
    p = write(tmp_path, "1,Agency A,A,DE,DE21,2021\n2,University B,B,PL,PL91,2021\n3,Agency C,C,NO,NO08,2021\n")
    c = load_consortium(p)
    assert c["nuts_code"].tolist() == ["DE21", "PL91", "NO08"]
    assert c.loc[2, "country"] == "NO"  # read as text: Norway is not False


@pytest.mark.parametrize(
    ("body", "line", "column", "value"),
    [
        ("1,A,A,AT,AT12,2021\n2,B,B,CZ,CZ99,2021\n", 3, "nuts_code", "CZ99"),
        ("1,A,A,AT,A12,2021\n", 2, "nuts_code", "A12"),
        ("1,A,A,FR,FR71,2021\n", 2, "nuts_code", "FR71"),
        ("1,A,A,AT,AT12,2021\n1,B,B,CZ,CZ08,2021\n", 3, "partner_no", "1"),
        ("x,A,A,AT,AT12,2021\n", 2, "partner_no", "x"),
        ("1,A,A,DE,AT12,2021\n", 2, "country", "DE"),
        ("1,A,A,AT,AT12,2019\n", 2, "nuts_version", "2019"),
        ("1,,A,AT,AT12,2021\n", 2, "organisation", ""),
    ],
)
def test_bad_rows_name_file_line_column_value(tmp_path, body, line, column, value):
    p = write(tmp_path, body)
    with pytest.raises(DataFileError) as err:
        load_consortium(p)
    msg = str(err.value)
    assert str(p) in msg and f"line {line}" in msg and f"column '{column}'" in msg and f"value '{value}'" in msg
    assert "What to do" in msg


def test_old_nuts_code_says_what_it_became(tmp_path):
    p = write(tmp_path, "1,A,A,FR,FR71,2021\n")
    with pytest.raises(DataFileError, match="FRK2"):
        load_consortium(p)


@pytest.mark.parametrize(
    ("body", "version", "current"),
    [
        # codes of NUTS 2013 that NUTS 2016/2021 split: stated as 2016 (wrong) and as 2013 (right, but not 2021)
        ("1,A,A,AT,AT12,2021\n2,B,B,LT,LT00,2016\n", 2016, ["LT01", "LT02"]),
        ("1,A,A,AT,AT12,2021\n2,B,B,HU,HU10,2016\n", 2016, ["HU11", "HU12"]),
        ("1,A,A,AT,AT12,2021\n2,B,B,LT,LT00,2013\n", 2013, ["LT01", "LT02"]),
        ("1,A,A,AT,AT12,2021\n2,B,B,FR,fr71,2013\n", 2013, ["FRK2"]),
    ],
)
def test_old_code_is_refused_at_load_with_its_current_codes(tmp_path, body, version, current):
    p = write(tmp_path, body)
    with pytest.raises(DataFileError) as err:
        load_consortium(p)
    msg = str(err.value)
    old = body.splitlines()[1].split(",")[4]
    assert str(p) in msg and "line 3" in msg and "column 'nuts_code'" in msg and f"value '{old}'" in msg
    assert f"NUTS {version}" in msg
    hint = msg.split("What to do:")[1]
    assert all(code in hint for code in current) and "nuts_version 2021" in hint


def test_code_of_the_wrong_version_that_is_current_says_to_fix_the_version(tmp_path):
    p = write(tmp_path, "1,A,A,FR,FRK2,2013\n")
    with pytest.raises(DataFileError, match="FRK2 is not a NUTS 2013 code") as err:
        load_consortium(p)
    assert "write nuts_version 2021" in str(err.value)


def test_code_of_an_older_version_that_still_exists_is_accepted(tmp_path):
    p = write(tmp_path, "1,A,A,FR,FRK2,2016\n2,B,B,AT,AT12,2013\n")
    c = load_consortium(p)
    assert c["nuts_code"].tolist() == ["FRK2", "AT12"] and c["nuts_version"].tolist() == [2016, 2013]


def test_missing_column_and_missing_file(tmp_path):
    p = write(tmp_path, "1,A,AT,AT12\n", header="partner_no,organisation,country,nuts_code\n")
    with pytest.raises(DataFileError, match="nuts_version"):
        load_consortium(p)
    with pytest.raises(DataFileError, match="not found"):
        load_consortium(tmp_path / "nope.csv")


def test_default_path_is_in_data():
    assert default_consortium_path().name == "consortium_clusterix2.csv"
    assert isinstance(pd.read_csv(default_consortium_path(), dtype=str), pd.DataFrame)
