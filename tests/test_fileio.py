"""The reader of hand-kept CSV files and of their numbers: what a spreadsheet does to a file."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterix_lib.errors import DataFileError
from clusterix_lib.fileio import number_column, read_text_csv, row_failer

REQUIRED = ["cluster_id", "region"]


def read(tmp_path, text: bytes | str):
    p = tmp_path / "clusters.csv"
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_text_csv(p, REQUIRED, what="cluster register", optional=["illustrative"])


def test_excel_utf8_with_bom_and_crlf_reads_like_a_plain_file(tmp_path):
    plain = read(tmp_path, "cluster_id,region,illustrative\nc1,AT12,yes\n")
    excel = read(tmp_path, b"\xef\xbb\xbfcluster_id,region,illustrative\r\nc1,AT12,yes\r\n")
    pd.testing.assert_frame_equal(plain, excel)


@pytest.mark.parametrize(
    ("text", "fragment", "where"),
    [
        ("", "is empty", "clusters.csv"),
        ("cluster_id;region;illustrative\nc1;AT12;yes\n", "separated by ';'", "line 1"),
        (
            "cluster_id,region,Illustrative\nc1,AT12,yes\n",
            "column 'Illustrative' should be named 'illustrative'",
            "line 1",
        ),
        ("cluster_id,region\nc1,AT12\n,\nc2,CZ08\n", "row without any value", "line 3"),
        ("cluster_id,name\nc1,One\n", "lacks the column(s) region", "line 1"),
    ],
)
def test_what_a_spreadsheet_does_is_named(tmp_path, text, fragment, where):
    with pytest.raises(DataFileError) as info:
        read(tmp_path, text)
    msg = str(info.value)
    assert fragment in msg and where in msg and "clusters.csv" in msg, msg


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", 1234.5),
        ("-3", -3.0),
        ("1e6", 1e6),
        ("250,000", 250000.0),
        ("175 000", 175000.0),
        ("0.125", 0.125),
        ("", None),
    ],
)
def test_numbers_that_read_one_way_only(value, expected):
    t = pd.DataFrame({"eur": [value]})
    got = number_column(t, "eur", row_failer("x.csv", t)).iloc[0]
    assert (pd.isna(got) and expected is None) or got == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("175.000", "dot between groups"),
        ("1.250.000", "dot between groups"),
        ("1,5", "decimal comma"),
        ("12 %", "must be a number"),
        ("n/a", "must be a number"),
    ],
)
def test_numbers_that_could_mean_two_things_are_refused(value, fragment):
    t = pd.DataFrame({"eur": ["10", value]})
    with pytest.raises(DataFileError, match=fragment) as info:
        number_column(t, "eur", row_failer("x.csv", t))
    assert "line 3" in str(info.value) and repr(value) in str(info.value)


def test_number_range_checks():
    t = pd.DataFrame({"n": ["3", "2.5"]})
    with pytest.raises(DataFileError, match="whole number"):
        number_column(t, "n", row_failer("x.csv", t), whole=True)
    t = pd.DataFrame({"n": ["3", "-1"]})
    with pytest.raises(DataFileError, match="≥ 0"):
        number_column(t, "n", row_failer("x.csv", t), lo=0)
