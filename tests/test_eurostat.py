"""Tests of clusterix_lib.eurostat: TSV / SDMX-CSV readers and the cached downloader.

Fixtures live in tests/data/eurostat (see its README.md). Tests marked ``shared`` read the raw
public files in ../shared/data in place and are skipped where that folder is absent. The
download tests talk only to a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import re
import shutil
import socket
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterix_lib.errors import DataFileError
from clusterix_lib.eurostat import (
    FLAG_LETTERS,
    download_dataset,
    fetch_dataset,
    read_eurostat,
    read_eurostat_tsv,
    read_sdmx_csv,
)
from clusterix_lib.paths import shared_data_dir

DATA = Path(__file__).parent / "data" / "eurostat"
SHARED = shared_data_dir()
SBS_REAL = SHARED / "sbs_r_nuts06_r2.tsv.gz" if SHARED else None
LFS_REAL = SHARED / "lfst_r_lfe2en2.tsv.gz" if SHARED else None
needs_shared = pytest.mark.skipif(
    SBS_REAL is None or not SBS_REAL.is_file() or not LFS_REAL.is_file(),
    reason="raw public files not found: ../shared/data (or $CLUSTERIX_SHARED) is absent",
)
SBS_YEARS = [str(y) for y in range(2015, 2007, -1)]


def tidy(dims: dict[str, list[str]], time_: list[str], value: list[float], flag: list[str]):
    """Expected frame in the readers' shape and dtypes."""
    out = {k: pd.array(v, dtype="str") for k, v in dims.items()}
    out["time"] = pd.array(time_, dtype="str")
    out["value"] = np.array(value, dtype=float)
    out["flag"] = pd.array(flag, dtype="str")
    return pd.DataFrame(out)


def assert_error(exc: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(exc.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


nan = np.nan


# ----------------------------------------------------------------------------- TSV fixtures


def test_sbs_fragment_first_series_and_spot_cells():
    df = read_eurostat_tsv(DATA / "sbs_fragment.tsv")
    assert list(df.columns) == ["nace_r2", "indic_sb", "geo", "time", "value", "flag"]
    assert len(df) == 7 * 8
    expected = tidy(
        {"nace_r2": ["B"] * 16, "indic_sb": ["V11210"] * 16, "geo": ["AT11"] * 8 + ["AT12"] * 8},
        SBS_YEARS * 2,
        [26, 27, 26, 26, 27, 30, 33, 36, 171, 169, 167, 158, 148, 154, 162, 166],
        [""] * 16,
    )
    pd.testing.assert_frame_equal(df.iloc[:16], expected, check_exact=True)

    cell = df.set_index(["nace_r2", "indic_sb", "geo", "time"])
    for year in ("2012", "2011"):  # ': c'
        assert np.isnan(cell.loc[("C21", "V16110", "AT12", year), "value"])
        assert cell.loc[("C21", "V16110", "AT12", year), "flag"] == "c"
    assert cell.loc[("C10", "V11210", "CZ08", "2008")].tolist() == [761.0, "p"]
    assert cell.loc[("C10", "V91290", "CZ08", "2009")].tolist() == [-0.5, "p"]
    assert cell.loc[("B", "V11210", "DE41", "2009")].tolist() == [13.0, "i"]
    assert cell.loc[("B", "V13320", "DE25", "2009")].tolist() == [15.3, "d"]
    assert np.isnan(cell.loc[("B", "V13320", "DE25", "2008"), "value"])
    assert cell.loc[("B", "V13320", "DE25", "2008"), "flag"] == "cd"
    # every missing cell is kept: 5 ':' in DE41, 1 in DE25, 2 in C10/V91290, 2 in C21
    assert df["value"].isna().sum() == 10
    assert df["flag"].value_counts().to_dict() == {"": 48, "c": 2, "i": 2, "p": 2, "d": 1, "cd": 1}


def test_lfs_fragment_gz_equals_hand_checked_frame():
    df = read_eurostat_tsv(DATA / "lfs_fragment.tsv.gz")
    keys = [
        ("A", "Y15-24", "AT11"),
        ("A", "Y15-24", "AT12"),
        ("B-E", "Y_GE15", "CZ08"),
        ("TOTAL", "Y_GE15", "AT12"),
    ]
    expected = tidy(
        {
            "unit": ["THS"] * 32,
            "nace_r2": [k[0] for k in keys for _ in range(8)],
            "age": [k[1] for k in keys for _ in range(8)],
            "geo": [k[2] for k in keys for _ in range(8)],
        },
        SBS_YEARS * 4,
        [nan] * 8
        + [4.6, 3.9, nan, nan, nan, 4.9, 3.2, 3.1]
        + [192.2, 187.0, 178.3, 191.4, 196.4, 188.5, 183.9, 201.5]
        + [798.5, 790.5, 782.3, 784.5, 780.6, 775.6, 765.4, 775.4],
        ["u"] * 7 + ["bu"] + ["u"] * 7 + ["bu"] + ["", "", "", "", "b", "", "", "b"] + [""] * 8,
    )
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    reference = read_eurostat_tsv(DATA / "lfs_fragment.tsv.gz")
    renamed = tmp_path / "lfs.tsv"  # gzip content, no .gz suffix
    shutil.copy(DATA / "lfs_fragment.tsv.gz", renamed)
    plain_named_gz = tmp_path / "plain.tsv.gz"  # plain text under a .gz name
    plain_named_gz.write_bytes(gzip.decompress((DATA / "lfs_fragment.tsv.gz").read_bytes()))
    for source in (renamed, plain_named_gz, str(renamed)):
        pd.testing.assert_frame_equal(read_eurostat_tsv(source), reference)
    with open(renamed, "rb") as fh:  # binary stream
        pd.testing.assert_frame_equal(read_eurostat_tsv(fh), reference)


def test_text_stream_crlf_and_bom_give_the_same_frame():
    text = (DATA / "sbs_fragment.tsv").read_text()
    reference = read_eurostat_tsv(io.StringIO(text))
    crlf = "\ufeff" + text.replace("\n", "\r\n") + "\r\n\r\n"  # BOM, CRLF, trailing blank lines
    pd.testing.assert_frame_equal(read_eurostat_tsv(io.BytesIO(crlf.encode("utf-8"))), reference)
    pd.testing.assert_frame_equal(read_eurostat_tsv(DATA / "sbs_fragment.tsv"), reference)


def test_api_tsv_header_form_and_cells_without_trailing_space():
    df = read_eurostat_tsv(DATA / "api_fragment.tsv")
    expected = tidy(
        {"freq": ["Q"] * 8, "unit": ["THS_PER"] * 8, "geo": ["AT"] * 4 + ["AT12"] * 4},
        ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"] * 2,
        [4516.2, 4530.1, nan, nan, 800.5, nan, 801.0, -0.5],
        ["", "p", "c", "", "e", "", "", ""],
    )
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def test_header_only_gives_an_empty_frame_with_the_columns():
    df = read_eurostat_tsv(io.StringIO("unit,geo\\time\t2015 \t2014 \n"))
    assert list(df.columns) == ["unit", "geo", "time", "value", "flag"]
    assert len(df) == 0 and df["value"].dtype == np.float64


@pytest.mark.parametrize(
    ("cell", "value", "flag"),
    [
        ("1e3 ", 1000.0, ""),
        ("-.5 e", -0.5, "e"),
        ("+7. p", 7.0, "p"),
        ("12", 12.0, ""),
        (":", nan, ""),
        (": ", nan, ""),
        (": bcu", nan, "bcu"),
        ("0 z", 0.0, "z"),
        ("4.0 bu ", 4.0, "bu"),
    ],
)
def test_valid_cell_forms(cell, value, flag):
    df = read_eurostat_tsv(io.StringIO(f"geo\\time\t2015 \nAT12\t{cell}\n"))
    got = df.loc[0, "value"]
    assert (np.isnan(got) and np.isnan(value)) or got == value
    assert df.loc[0, "flag"] == flag


# ----------------------------------------------------------------------------- TSV errors


@pytest.mark.parametrize(
    ("fixture", "parts"),
    [
        (
            "bad_cell.tsv",
            [
                "line 3",
                "column '2014'",
                "value '12q'",
                "2 malformed cell(s)",
                "number optionally followed by a space and flag letters",
            ],
        ),
        ("bad_flag.tsv", ["line 7", "column '2011'", "value ': x'", "unknown flag", "1 malformed"]),
        ("bad_fields.tsv", ["line 4", "8 tab-separated fields", "header has 9", "1 row(s)"]),
        (
            "bad_key.tsv",
            [
                "line 5",
                "column 'nace_r2,indic_sb,geo\\\\time'",
                "value 'B,DE25'",
                "2 comma-separated parts",
                "3 dimensions",
            ],
        ),
        ("no_backslash.tsv", ["line 1", "exactly one '\\'", "geo,time"]),
        ("empty.tsv", ["empty"]),
    ],
)
def test_malformed_fixtures_name_file_line_column_value(fixture, parts):
    path = DATA / fixture
    with pytest.raises(DataFileError) as exc:
        read_eurostat_tsv(path)
    assert_error(exc, f"file {path}", *parts)
    assert exc.value.hint  # every message says what to do


def test_error_uses_the_given_name():
    with pytest.raises(DataFileError) as exc:
        read_eurostat_tsv(io.BytesIO((DATA / "bad_cell.tsv").read_bytes()), name="my-upload.tsv")
    assert_error(exc, "file my-upload.tsv", "line 3")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("geo\\time\t2015 \nAT12\tnan \n", ["value 'nan '", "not a number"]),
        ("geo\\time\t2015 \nAT12\t1e999 \n", ["out of the float range"]),
        ("geo\\time\t2015 \nAT12\t12p\n", ["value '12p'"]),
        ("geo\\time\t2015 \nAT12\t12 P\n", ["unknown flag"]),
        ("geo\\time\t2015 \nAT12\t\n", ["value ''"]),
        ("geo\\time\t2015 \nAT12\t1 \n\nAT11\t2 \n", ["line 3", "1 tab-separated fields"]),
        ("geo\\time\t2015 \t2015 \nAT12\t1 \t2 \n", ["line 1", "period '2015' twice"]),
        ("geo\\time\t2015 \nAT12\t1 \nAT11\t1 \nAT12\t2 \n", ["line 4", "first on line 2"]),
        ("geo,time\\x\t2015 \nAT12,1\t1 \n", ["reserved name"]),
        ("geo\\time\n", ["no period columns"]),
        ("  \n\n", ["empty"]),
    ],
)
def test_malformed_text(text, parts):
    with pytest.raises(DataFileError) as exc:
        read_eurostat_tsv(io.StringIO(text), name="t.tsv")
    assert_error(exc, "file t.tsv", *parts)


def test_missing_file_says_path_and_how_to_get_it(tmp_path):
    path = tmp_path / "nowhere" / "sbs_r_nuts06_r2.tsv.gz"
    with pytest.raises(DataFileError) as exc:
        read_eurostat(path)
    assert_error(exc, "not found", str(path), "clusterix data build", "download")


def test_truncated_gzip_and_non_utf8(tmp_path):
    truncated = tmp_path / "cut.tsv.gz"
    truncated.write_bytes((DATA / "lfs_fragment.tsv.gz").read_bytes()[:-20])
    with pytest.raises(DataFileError) as exc:
        read_eurostat_tsv(truncated)
    assert_error(exc, "gzip", str(truncated))
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("geo\\time\t2015 \nNiederösterreich\t1 \n".encode("latin-1"))
    with pytest.raises(DataFileError) as exc:
        read_eurostat_tsv(latin1)
    assert_error(exc, "UTF-8", "line 2")


# ----------------------------------------------------------------------------- SDMX-CSV


def tsv_to_sdmx_csv(text: str) -> str:
    """Rewrite a Eurostat TSV as SDMX-CSV 1.0, line by line (an independent, naive converter)."""
    lines = text.splitlines()
    key_header, *period_headers = lines[0].split("\t")
    dims = key_header.split("\\")[0].split(",")
    out = ["DATAFLOW,LAST UPDATE," + ",".join(dims) + ",TIME_PERIOD,OBS_VALUE,OBS_FLAG"]
    for line in lines[1:]:
        key, *cells = line.split("\t")
        for period, cell in zip(period_headers, cells, strict=True):
            number, _, flag = cell.partition(" ")
            number = "" if number == ":" else number
            out.append(f"ESTAT:X(1.0),31/07/17 23:00:00,{key},{period.strip()},{number},{flag}")
    return "\n".join(out) + "\n"


def test_sdmx_csv_and_tsv_readers_agree_on_the_sbs_fragment():
    from_tsv = read_eurostat_tsv(DATA / "sbs_fragment.tsv")
    from_fixture = read_sdmx_csv(DATA / "sbs_fragment.sdmx.csv")
    pd.testing.assert_frame_equal(from_fixture, from_tsv, check_exact=True)
    converted = tsv_to_sdmx_csv((DATA / "sbs_fragment.tsv").read_text())
    pd.testing.assert_frame_equal(read_sdmx_csv(io.StringIO(converted)), from_tsv, check_exact=True)
    assert from_tsv["flag"].str.contains("c").sum() == 3  # the confidential cells survive


def test_sdmx2_with_conf_status():
    df = read_sdmx_csv(DATA / "sdmx2_fragment.csv")
    expected = tidy(
        {
            "freq": ["A"] * 6,
            "unit": ["THS"] * 6,
            "nace_r2": ["TOTAL", "A", "A", "B-E", "B-E", "B-E"],
            "age": ["Y_GE15", "Y15-24", "Y15-24", "Y_GE15", "Y_GE15", "Y_GE15"],
            "geo": ["AT12", "AT12", "AT11", "CZ08", "CZ08", "CZ08"],
        },
        ["2015", "2008", "2015", "2011", "2008", "2009"],
        [798.5, 3.1, nan, nan, nan, 183.9],
        ["", "bu", "u", "c", "bc", ""],
    )
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def test_sdmx_with_labels_keeps_the_codes():
    df = read_sdmx_csv(DATA / "sdmx_labels_fragment.csv")
    assert list(df.columns) == ["freq", "unit", "nace_r2", "age", "geo", "time", "value", "flag"]
    assert df["geo"].tolist() == ["AT12", "AT12", "CZ08"]
    assert df["nace_r2"].tolist() == ["TOTAL", "A", "B-E"]
    assert df["age"].tolist() == ["Y_GE15", "Y15-24", "Y_GE15"]
    assert df["time"].tolist() == ["2015", "2015", "2011"]
    assert df["flag"].tolist() == ["", "u", "c"]
    np.testing.assert_array_equal(df["value"].to_numpy(), [798.5, 4.6, nan])


def test_sdmx_bad_value_names_line_column_value_and_count():
    path = DATA / "bad_value.sdmx.csv"
    with pytest.raises(DataFileError) as exc:
        read_sdmx_csv(path)
    assert_error(
        exc,
        f"file {path}",
        "line 5",
        "column 'OBS_VALUE'",
        "value '1,030'",
        "2 bad value(s)",
        "OBS_VALUE must be a finite number",
    )


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("geo,TIME_PERIOD,OBS_VALUE\nAT12,2015,1\nAT11,2015\n", ["line 3", "2 comma-separated"]),
        ('geo,TIME_PERIOD,OBS_VALUE\n"AT12",2015,1,9\n', ["line 2", "4 comma-separated"]),
        ("geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\nAT12,2015,1,q\n", ["line 2", "value 'q'", "flag"]),
        ("geo,TIME_PERIOD,OBS_VALUE,CONF_STATUS\nAT12,2015,,X\n", ["line 2", "CONF_STATUS"]),
        ("geo,TIME_PERIOD,OBS_VALUE\nAT12,2015,inf\n", ["value 'inf'"]),
        ("geo,time,OBS_VALUE\nAT12,2015,1\n", ["line 1", "TIME_PERIOD"]),
        ("", ["empty"]),
    ],
)
def test_sdmx_malformed_text(text, parts):
    with pytest.raises(DataFileError) as exc:
        read_sdmx_csv(io.StringIO(text), name="s.csv")
    assert_error(exc, "file s.csv", *parts)


def test_read_eurostat_dispatches_on_content(tmp_path):
    tsv = read_eurostat(DATA / "sbs_fragment.tsv")
    sdmx = read_eurostat(DATA / "sbs_fragment.sdmx.csv")
    pd.testing.assert_frame_equal(tsv, sdmx)
    gz = tmp_path / "anything.bin"
    gz.write_bytes(gzip.compress((DATA / "sdmx2_fragment.csv").read_bytes()))
    pd.testing.assert_frame_equal(read_eurostat(gz), read_sdmx_csv(DATA / "sdmx2_fragment.csv"))
    with pytest.raises(DataFileError) as exc:
        read_eurostat(io.StringIO("a,b,c\n1,2,3\n"), name="x.csv")
    assert_error(exc, "not a Eurostat TSV or SDMX-CSV", "file x.csv", "line 1")
    with pytest.raises(DataFileError, match="empty"):
        read_eurostat(DATA / "empty.tsv")


# ----------------------------------------------------------------------------- property test

DIM_NAMES = ["unit", "nace_r2", "indic_sb", "age", "sex", "geo"]
CODES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1, max_size=6)
PERIODS = st.from_regex(r"\A(19|20)[0-9]{2}(Q[1-4]|M(0[1-9]|1[0-2])|-Q[1-4]|-(0[1-9]|1[0-2]))?\Z", fullmatch=True)
CELLS = st.tuples(
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    st.text(alphabet=FLAG_LETTERS, max_size=3),
)


@st.composite
def tidy_frames(draw):
    dims = draw(st.permutations(DIM_NAMES))[: draw(st.integers(1, 3))]
    keys = draw(st.lists(st.tuples(*[CODES] * len(dims)), min_size=1, max_size=4, unique=True))
    periods = draw(st.lists(PERIODS, min_size=1, max_size=4, unique=True))
    n = len(keys) * len(periods)
    cells = draw(st.lists(CELLS, min_size=n, max_size=n))
    rows = [(k, p) for k in keys for p in periods]
    frame = tidy(
        {d: [k[j] for k, _ in rows] for j, d in enumerate(dims)},
        [p for _, p in rows],
        [nan if v is None else v for v, _ in cells],
        [f for _, f in cells],
    )
    return dims, keys, periods, cells, frame


def write_tsv(dims, keys, periods, cells) -> str:
    lines = [",".join(dims) + "\\time\t" + "\t".join(f"{p} " for p in periods)]
    it = iter(cells)
    for key in keys:
        row = [f"{':' if v is None else repr(v)} {f}" for v, f in (next(it) for _ in periods)]
        lines.append(",".join(key) + "\t" + "\t".join(row))
    return "\n".join(lines) + "\n"


def write_sdmx(dims, keys, periods, cells) -> str:
    lines = ["DATAFLOW,LAST UPDATE," + ",".join(dims) + ",TIME_PERIOD,OBS_VALUE,OBS_FLAG"]
    it = iter(cells)
    for key in keys:
        for period in periods:
            v, f = next(it)
            value = "" if v is None else repr(v)
            lines.append(f"ESTAT:X(1.0),01/01/24 23:00:00,{','.join(key)},{period},{value},{f}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(tidy_frames())
def test_round_trip_tidy_to_tsv_and_sdmx_csv(case):
    dims, keys, periods, cells, expected = case
    tsv = write_tsv(dims, keys, periods, cells)
    pd.testing.assert_frame_equal(read_eurostat_tsv(io.StringIO(tsv)), expected, check_exact=True)
    gz = io.BytesIO(gzip.compress(tsv.encode()))
    pd.testing.assert_frame_equal(read_eurostat(gz), expected, check_exact=True)
    sdmx = write_sdmx(dims, keys, periods, cells)
    pd.testing.assert_frame_equal(read_sdmx_csv(io.StringIO(sdmx)), expected, check_exact=True)


# ----------------------------------------------------------------------------- real shared files


@pytest.fixture(scope="module")
def sbs_real():
    start = time.perf_counter()
    df = read_eurostat_tsv(SBS_REAL)
    elapsed = time.perf_counter() - start
    print(f"\nread_eurostat_tsv(sbs_r_nuts06_r2.tsv.gz): {len(df):,} cells in {elapsed:.2f} s")
    return df, elapsed


@pytest.mark.shared
@needs_shared
def test_real_sbs_shape_values_and_flags(sbs_real):
    df, elapsed = sbs_real
    assert len(df) == 1_561_816 == 195_227 * 8
    assert df[["nace_r2", "indic_sb", "geo"]].drop_duplicates().shape[0] == 195_227
    assert df["time"].unique().tolist() == SBS_YEARS
    cell = df.set_index(["nace_r2", "indic_sb", "geo", "time"])["value"]
    assert cell[("B", "V11210", "AT12", "2015")] == 171
    assert cell[("C10", "V94310", "AT12", "2014")] == 14.4  # PROVENANCE section 1
    assert (df["flag"] == "c").sum() == 93_421  # "about 93 k" confidential cells
    assert df.loc[df["flag"].str.contains("c"), "value"].isna().all()
    assert df["value"].notna().sum() == 1_100_929  # "1.10 M of them with a value"
    assert elapsed < 10, f"reading the SBS file took {elapsed:.1f} s"


@pytest.mark.shared
@needs_shared
def test_real_sbs_partner_division_counts_match_provenance(sbs_real):
    df, _ = sbs_real
    divisions = df["nace_r2"].str.fullmatch(r"[A-Z][0-9]{2}")
    assert df.loc[divisions, "nace_r2"].nunique() == 68
    have = df[divisions & (df["indic_sb"] == "V16110") & (df["time"] == "2014")]
    counts = have[have["value"].notna()].groupby("geo").size()
    assert counts[["AT12", "CZ08", "DK03", "FR71", "FR72", "HU22", "ITH1", "SE22"]].tolist() == [
        61,
        62,
        64,
        60,
        62,
        64,
        64,
        58,
    ]


@pytest.mark.shared
@needs_shared
def test_real_lfs_partner_employment_2015():
    df = read_eurostat_tsv(LFS_REAL)
    assert len(df) == 28_065 * 8
    assert set(df["unit"]) == {"THS"}
    total = df[(df["nace_r2"] == "TOTAL") & (df["age"] == "Y_GE15") & (df["time"] == "2015")]
    got = total.set_index("geo")["value"]
    expected = {
        "AT12": 798.5,
        "BE21": 764.7,
        "CZ08": 550.9,
        "DK03": 563.4,
        "FR71": 2728.7,
        "FR72": 528.2,
        "HU22": 450.1,
        "ITH1": 244.6,
        "RO21": 1609.6,
        "RO32": 1084.5,
        "SE22": 692.0,
    }
    assert got[list(expected)].to_dict() == expected
    assert (df["flag"] == "bu").sum() > 0


# ----------------------------------------------------------------------------- downloads


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):  # a client that hung up: not our concern
        pass


@pytest.fixture
def server(monkeypatch):
    """A local stand-in for the Eurostat API; records every request it gets."""
    for var in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "CLUSTERIX_EUROSTAT_API",
    ):
        monkeypatch.delenv(var, raising=False)
    requests: list[tuple[str, dict]] = []
    release = threading.Event()
    tsv = (DATA / "sbs_fragment.tsv").read_bytes()
    bodies = {
        ("sbs_fragment", "TSV"): gzip.compress(tsv),
        ("sbs_fragment", "SDMX-CSV"): gzip.compress((DATA / "sbs_fragment.sdmx.csv").read_bytes()),
        ("plain_fragment", "TSV"): tsv,
        ("html_page", "TSV"): b"<html><body>Service unavailable</body></html>",
    }
    if SBS_REAL is not None and SBS_REAL.is_file():
        bodies[("sbs_r_nuts06_r2", "TSV")] = SBS_REAL.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            code = url.path.rsplit("/", 1)[-1]
            query = parse_qs(url.query)
            requests.append((url.path, query))
            fmt = query.get("format", [""])[0]
            if query.get("compressed") != ["true"] or fmt not in ("TSV", "SDMX-CSV"):
                self.send_error(400)
            elif code == "slow":
                release.wait(10)
                self.send_error(503)
            elif code == "server_error":
                self.send_error(500)
            elif code == "cut_off":
                body = gzip.compress(tsv)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif (code, fmt) in bodies:
                body = bodies[(code, fmt)]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

    srv = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{srv.server_port}/data",
        requests=requests,
        tsv_gz=bodies[("sbs_fragment", "TSV")],
    )
    release.set()
    srv.shutdown()
    srv.server_close()


def cache_files(cache: Path) -> list[str]:
    folder = cache / "eurostat"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_lands_in_cache_then_is_reused_until_refresh(server, tmp_path):
    path = download_dataset("sbs_fragment", cache=tmp_path, base_url=server.url)
    assert path == tmp_path / "eurostat" / "sbs_fragment.tsv.gz"
    assert path.read_bytes() == server.tsv_gz
    assert server.requests == [("/data/sbs_fragment", {"format": ["TSV"], "compressed": ["true"]})]
    sidecar = json.loads(path.with_name("sbs_fragment.tsv.gz.json").read_text())
    assert sidecar["url"] == f"{server.url}/sbs_fragment?format=TSV&compressed=true"
    assert sidecar["size"] == len(server.tsv_gz)
    assert sidecar["sha256"] == hashlib.sha256(server.tsv_gz).hexdigest()
    assert datetime.fromisoformat(sidecar["downloaded_utc"]).utcoffset().total_seconds() == 0
    assert cache_files(tmp_path) == ["sbs_fragment.tsv.gz", "sbs_fragment.tsv.gz.json"]

    assert download_dataset("sbs_fragment", cache=tmp_path, base_url=server.url) == path
    assert len(server.requests) == 1  # cached: no request
    df = fetch_dataset("sbs_fragment", cache=tmp_path, base_url=server.url)
    assert len(server.requests) == 1
    pd.testing.assert_frame_equal(df, read_eurostat_tsv(DATA / "sbs_fragment.tsv"))

    df = fetch_dataset("sbs_fragment", cache=tmp_path, base_url=server.url, refresh=True)
    assert len(server.requests) == 2
    pd.testing.assert_frame_equal(df, read_eurostat_tsv(DATA / "sbs_fragment.tsv"))


def test_sdmx_csv_download_and_env_base_url(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERIX_EUROSTAT_API", server.url + "/")
    df = fetch_dataset("sbs_fragment", fmt="sdmx-csv", cache=tmp_path)
    assert server.requests[-1][1]["format"] == ["SDMX-CSV"]
    assert cache_files(tmp_path) == ["sbs_fragment.sdmx.csv.gz", "sbs_fragment.sdmx.csv.gz.json"]
    pd.testing.assert_frame_equal(df, read_eurostat_tsv(DATA / "sbs_fragment.tsv"))


def test_default_cache_is_clusterix_cache(server, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERIX_CACHE", str(tmp_path / "c"))
    path = download_dataset("plain_fragment", base_url=server.url)
    assert path == (tmp_path / "c" / "eurostat" / "plain_fragment.tsv.gz").resolve()
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # a plain answer is stored gzip-compressed
    assert gzip.decompress(path.read_bytes()) == (DATA / "sbs_fragment.tsv").read_bytes()


@pytest.mark.parametrize(
    ("code", "parts"),
    [
        (
            "no_such_dataset",
            [
                "dataset code 'no_such_dataset' not found at Eurostat",
                "HTTP 404",
                "Eurostat data browser",
            ],
        ),
        ("cut_off", ["cut off", "received"]),
        ("server_error", ["HTTP 500", "try again"]),
        ("html_page", ["not a valid TSV file"]),
    ],
)
def test_failed_download_leaves_no_cache_file(server, tmp_path, code, parts):
    with pytest.raises(DataFileError) as exc:
        download_dataset(code, cache=tmp_path, base_url=server.url)
    assert_error(exc, *parts)
    assert cache_files(tmp_path) == []
    assert len(server.requests) == 1


def test_failed_refresh_keeps_the_previous_file(server, tmp_path):
    target = tmp_path / "eurostat" / "cut_off.tsv.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(server.tsv_gz)
    with pytest.raises(DataFileError, match="cut off"):
        download_dataset("cut_off", cache=tmp_path, base_url=server.url, refresh=True)
    assert target.read_bytes() == server.tsv_gz
    assert cache_files(tmp_path) == ["cut_off.tsv.gz"]


def test_timeout(server, tmp_path):
    start = time.perf_counter()
    with pytest.raises(DataFileError) as exc:
        download_dataset("slow", cache=tmp_path, base_url=server.url, timeout=0.3)
    assert time.perf_counter() - start < 5
    assert_error(exc, "timed out after 0.3 s", "'slow'")
    assert cache_files(tmp_path) == []


def test_no_connection(tmp_path, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DataFileError) as exc:
        download_dataset("sbs_fragment", cache=tmp_path, base_url=f"http://127.0.0.1:{port}/d")
    assert_error(exc, f"no connection to 127.0.0.1:{port}", "CLUSTERIX_SHARED", "data/")
    assert cache_files(tmp_path) == []


@pytest.mark.parametrize("code", ["SBS_R_NUTS06_R2", "sbs r", "../etc/passwd", "", "sbs-r"])
def test_invalid_code_is_refused_before_any_request(server, tmp_path, code):
    with pytest.raises(DataFileError, match="invalid Eurostat dataset code"):
        download_dataset(code, cache=tmp_path, base_url=server.url)
    assert server.requests == []


def test_unknown_format_is_refused(server, tmp_path):
    with pytest.raises(DataFileError, match="unknown download format"):
        download_dataset("sbs_fragment", fmt="json", cache=tmp_path, base_url=server.url)
    assert server.requests == []


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(server, tmp_path, monkeypatch):
    not_a_tty = io.StringIO()
    monkeypatch.setattr(sys, "stderr", not_a_tty)
    download_dataset("sbs_fragment", cache=tmp_path / "a", base_url=server.url)
    assert not_a_tty.getvalue() == ""
    tty = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    download_dataset("sbs_fragment", cache=tmp_path / "b", base_url=server.url)
    assert re.search(r"sbs_fragment: +[0-9]+%", tty.getvalue())


@pytest.mark.shared
@needs_shared
def test_real_sbs_through_the_local_api(server, tmp_path):
    df = fetch_dataset("sbs_r_nuts06_r2", cache=tmp_path, base_url=server.url)
    path = tmp_path / "eurostat" / "sbs_r_nuts06_r2.tsv.gz"
    assert path.read_bytes() == SBS_REAL.read_bytes()
    assert len(df) == 1_561_816
    assert df.iloc[24][["geo", "time", "value"]].tolist() == ["AT12", "2015", 171.0]
    assert download_dataset("sbs_r_nuts06_r2", cache=tmp_path, base_url=server.url) == path
    assert len(server.requests) == 1
