"""The committed extracts in data/ are exactly what our code derives from the public raw files."""

import gzip
import http.server
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import datasets, extracts, nuts, paths
from clusterix_lib.errors import DataFileError

DATA = paths.REPO_ROOT / "data"


def _content(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, shared_dir):
    out = tmp_path_factory.mktemp("data")
    written = extracts.build_all(out, shared=shared_dir, online=False)
    return out, written


@pytest.mark.shared
def test_rebuild_from_shared_equals_committed(rebuilt):
    out, written = rebuilt
    assert set(written) >= {
        extracts.EMPLOYMENT_FILE,
        extracts.INDICATORS_FILE,
        extracts.REGIONS_FILE,
        extracts.CROSSWALK_FILE,
        extracts.NACE_FILE,
        extracts.GEOMETRY_FILE,
        extracts.SOURCES_FILE,
        extracts.NOT_CARRIED_FILE,
    }
    differ = [name for name in written if _content(out / name) != _content(DATA / name)]
    assert not differ, f"rebuilt extracts differ from the committed ones: {differ}; run `make data` and commit"
    # byte-identical gzip too: the writer is deterministic (no timestamp in the header)
    assert (out / extracts.EMPLOYMENT_FILE).read_bytes() == (DATA / extracts.EMPLOYMENT_FILE).read_bytes()


@pytest.mark.shared
def test_extract_values_match_the_raw_file(shared_dir):
    """Spot values read straight from the raw TSV text, independent of our reader and conversion."""
    emp = datasets.employment()
    got = emp.set_index(["geo", "nace_r2", "year"])
    raw_lines = {}
    with gzip.open(shared_dir / "sbs_r_nuts06_r2.tsv.gz", "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        years = [int(h) for h in header[1:]]
        for line in fh:
            key, *cells = line.rstrip("\n").split("\t")
            if key in ("C24,V16110,CZ08", "C29,V16110,HU22", "C10,V16110,FR71", "H51,V16110,AT12"):
                raw_lines[key] = dict(zip(years, cells, strict=True))
    cz = float(raw_lines["C24,V16110,CZ08"][2014].split()[0])
    assert got.loc[("CZ08", "C24", 2014), "value"] == cz
    # FR71 (NUTS 2013) is FRK2 (NUTS 2021): recoded, same value
    fr = float(raw_lines["C10,V16110,FR71"][2014].split()[0])
    assert got.loc[("FRK2", "C10", 2014), "value"] == fr
    assert got.loc[("FRK2", "C10", 2014), "nuts_conversion"] == "recoded"
    assert ("FR71", "C10", 2014) not in got.index
    # confidential cells are kept, without a value, with their flag
    conf = emp[(emp["flag"].str.contains("c")) & emp["value"].isna()]
    assert len(conf) > 10_000


def test_extracts_are_nuts_2021_and_tidy():
    emp = datasets.employment()
    assert list(emp.columns) == ["geo", "nace_r2", "year", "value", "flag", "nuts_conversion"]
    assert not emp.duplicated(["geo", "nace_r2", "year"]).any()
    assert emp["nace_r2"].str.fullmatch(r"[A-Z]\d{2}").all()
    regions = pd.read_csv(DATA / extracts.REGIONS_FILE, dtype=str, keep_default_na=False)
    in_2021 = set(regions.loc[regions["in_2021"] == "True", "code"])
    assert set(emp["geo"]) <= in_2021, sorted(set(emp["geo"]) - in_2021)[:10]
    assert set(emp["nuts_conversion"]) <= {"identical", "recoded", "aggregated", "estimated"}
    # partner regions are all there in their NUTS 2021 codes
    for code in ["AT12", "BE2", "BE21", "CZ08", "DK03", "FRK", "FRK1", "FRK2", "HU22", "ITH1", "RO21", "RO32", "SE22"]:
        assert emp.loc[(emp["geo"] == code) & (emp["year"] == 2014), "value"].notna().sum() >= 55, code
    # an estimated split: HU10 (2013) -> HU11 + HU12 (2021), parts add up to the source
    hu = emp[(emp["geo"].isin(["HU11", "HU12"])) & (emp["year"] == 2014) & (emp["nace_r2"] == "C10")]
    assert set(hu["nuts_conversion"]) == {"estimated"}


def test_every_dropped_row_is_logged():
    log = pd.read_csv(DATA / extracts.NOT_CARRIED_FILE)
    assert list(log.columns) == ["extract", "reason", "rows", "codes"]
    assert (log["rows"] > 0).all()
    extra = log[log["reason"].str.startswith("Extra-Regio")]
    assert extra["codes"].str.contains("ZZ").all()


def test_sources_name_publisher_licence_and_codes():
    src = datasets.sources()
    assert {"file", "dataset_code", "publisher", "licence", "retrieved"} <= set(src.columns)
    assert (src["licence"].str.len() > 10).all() and (src["publisher"] != "").all()
    assert "sbs_r_nuts06_r2" in set(src["dataset_code"])
    assert len(datasets.snapshot_id()) == 12


def test_innovation_from_api_filters_each_dataset_once():
    calls = []

    def fake_fetch(code):
        calls.append(code)
        dims = {
            "rd_e_gerdreg": {"sectperf": ["TOTAL", "BES"], "unit": ["PC_GDP", "MIO_EUR"]},
            "rd_p_persreg": {"sectperf": ["TOTAL"], "prof_pos": ["TOTAL"], "sex": ["T"], "unit": ["PC_EMP_FTE"]},
            "hrst_st_rcat": {"category": ["HRST"], "unit": ["PC_ACT"]},
            "pat_ep_rtot": {"unit": ["P_MHAB", "NR"]},
        }[code]
        idx = pd.MultiIndex.from_product(
            [*dims.values(), ["AT12", "EU27_2020"], ["2019", "2019Q1"]], names=[*dims, "geo", "time"]
        )
        df = idx.to_frame(index=False)
        df["value"] = np.arange(len(df), dtype=float)
        df["flag"] = ""
        return df

    out = extracts.innovation_from_api(fake_fetch)
    assert sorted(calls) == ["hrst_st_rcat", "pat_ep_rtot", "rd_e_gerdreg", "rd_p_persreg"]
    assert set(out["indicator"]) == {s.shared_id for s in extracts.INNOVATION_INDICATORS}
    assert set(out["year"]) == {2019}  # quarterly periods are not years
    gerd = out[(out["indicator"] == "rd_e_gerdreg_total_pc_gdp") & (out["region_id"] == "AT12")]
    assert len(gerd) == 1
    assert set(out.loc[out["region_id"] == "EU27_2020", "region_level"]) == {5}


def test_missing_raw_file_offline_names_it(tmp_path):
    with pytest.raises(DataFileError) as err:
        extracts.build_all(tmp_path / "out", shared=tmp_path, online=False)
    assert "CLUSTERIX_SHARED" in str(err.value) and str(tmp_path) in str(err.value)
    assert not (tmp_path / "out" / extracts.SOURCES_FILE).exists()


@pytest.mark.shared
def test_sbs_through_the_api_path(tmp_path, monkeypatch, shared_dir):
    """Without ../shared, the SBS file comes from the (here: local) Eurostat API."""
    served = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            served.append(self.path)
            code = self.path.split("?")[0].rsplit("/", 1)[-1]
            body = (shared_dir / f"{code}.tsv.gz").read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CLUSTERIX_EUROSTAT_API", f"http://127.0.0.1:{server.server_port}/data")
        monkeypatch.setenv("CLUSTERIX_CACHE", str(tmp_path / "cache"))
        raw = extracts.RawFiles(shared=tmp_path / "empty", online=True)
        sbs = raw.eurostat_table("sbs")
    finally:
        server.shutdown()
    assert raw.used["sbs"] == "api" and served and "sbs_r_nuts06_r2" in served[0]
    emp = extracts.build_employment(sbs, nuts.load_crosswalk(), nuts.load_regions())
    committed = datasets.employment()
    pd.testing.assert_frame_equal(emp.reset_index(drop=True), committed.reset_index(drop=True), check_dtype=False)
