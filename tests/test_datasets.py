"""The embedded extracts: a damaged, garbled or incomplete extract is refused naming the file and the way back."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from clusterix_lib import datasets, extracts, paths
from clusterix_lib.errors import DataFileError

EMPLOYMENT = extracts.EMPLOYMENT_FILE
INDICATORS = extracts.INDICATORS_FILE


def _assert_names_file_and_restore(msg: str, path, name: str) -> None:
    assert str(path) in msg
    assert f"git checkout data/{name}" in msg and "clusterix data build" in msg
    assert "What to do" in msg


def test_committed_extracts_load_with_numeric_year_and_value():
    e = datasets.employment()
    assert list(e.columns) == list(datasets.COLUMNS[EMPLOYMENT])
    assert pd.api.types.is_integer_dtype(e["year"]) and pd.api.types.is_float_dtype(e["value"])
    i = datasets.indicators()
    assert list(i.columns) == list(datasets.COLUMNS[INDICATORS])


@pytest.mark.parametrize("through", ["argument", "environment"])
def test_truncated_gzip_names_the_file_and_how_to_restore_it(tmp_path, monkeypatch, through):
    raw = (paths.data_dir() / EMPLOYMENT).read_bytes()
    cut = tmp_path / EMPLOYMENT
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataFileError, match="damaged") as err:
        if through == "argument":
            datasets.employment(tmp_path)
        else:
            monkeypatch.setenv("CLUSTERIX_DATA", str(tmp_path))
            datasets.employment()
    _assert_names_file_and_restore(str(err.value), cut, EMPLOYMENT)
    assert isinstance(err.value.__cause__, EOFError)


def test_garbled_file_that_is_not_gzip(tmp_path):
    bad = tmp_path / INDICATORS
    bad.write_bytes(b"indicator,geo,year,value\nthis was saved as plain text\n")
    with pytest.raises(DataFileError, match="not a valid .csv.gz file") as err:
        datasets.indicators(tmp_path)
    _assert_names_file_and_restore(str(err.value), bad, INDICATORS)


def test_missing_column_is_named_on_line_1(tmp_path):
    p = tmp_path / EMPLOYMENT
    p.write_bytes(gzip.compress(b"geo,nace_r2,year,flag,nuts_conversion\nAT12,C10,2014,,identical\n"))
    with pytest.raises(DataFileError, match="lacks the column") as err:
        datasets.employment(tmp_path)
    msg = str(err.value)
    assert "value" in msg.split("lacks the column(s)")[1].split("(")[0]
    assert "line 1" in msg
    _assert_names_file_and_restore(msg, p, EMPLOYMENT)


def test_cell_that_is_not_a_number_names_line_column_value(tmp_path):
    p = tmp_path / EMPLOYMENT
    body = "geo,nace_r2,year,value,flag,nuts_conversion\nAT12,C10,2014,12.5,,identical\nAT12,C11,2014,1x3,,identical\n"
    p.write_bytes(gzip.compress(body.encode()))
    with pytest.raises(DataFileError) as err:
        datasets.employment(tmp_path)
    msg = str(err.value)
    assert "line 3" in msg and "column 'value'" in msg and "value '1x3'" in msg
    _assert_names_file_and_restore(msg, p, EMPLOYMENT)


def test_empty_value_stays_missing_not_an_error(tmp_path):
    p = tmp_path / EMPLOYMENT
    body = "geo,nace_r2,year,value,flag,nuts_conversion\nAT12,C10,2014,,c,identical\nAT12,C11,2014,7,,identical\n"
    p.write_bytes(gzip.compress(body.encode()))
    e = datasets.employment(tmp_path)
    assert e["value"].isna().tolist() == [True, False] and e["flag"].tolist() == ["c", ""]
