"""Tests of clusterix_lib.nuts.

Fixture tables: tests/data/nuts/ (README.md there gives the arithmetic behind every expected
number). Tests marked ``shared`` build the tables from the raw public files in ../shared/data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterix_lib import nuts, paths
from clusterix_lib.errors import DataFileError, ParameterError, RegionError
from clusterix_lib.fileio import write_csv_deterministic

FIXTURES = Path(__file__).parent / "data" / "nuts"
SHARED = paths.shared_data_dir()
shared = pytest.mark.skipif(
    SHARED is None or not (SHARED / "nuts_crosswalks_jrc_2006_2024.csv.gz").is_file(),
    reason="raw public files not found (../shared/data or CLUSTERIX_SHARED)",
)


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------


def _raw_codes(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"code": str})


def _raw_names(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def raw_crosswalk() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "nuts_crosswalks_jrc.csv")


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return nuts.build_regions_table(
        _raw_codes(FIXTURES, "nuts_codes_all_versions.csv"),
        _raw_names(FIXTURES, "nuts2021_codes_names.csv"),
    )


@pytest.fixture(scope="module")
def crosswalk(raw_crosswalk) -> pd.DataFrame:
    return nuts.build_crosswalk_table(raw_crosswalk)


@pytest.fixture()
def data_dir(tmp_path, monkeypatch, regions, crosswalk) -> Path:
    """The fixture tables written as the committed extracts of a data folder."""
    write_csv_deterministic(regions, tmp_path / nuts.REGIONS_FILE)
    write_csv_deterministic(crosswalk, tmp_path / nuts.CROSSWALK_FILE)
    monkeypatch.setenv("CLUSTERIX_DATA", str(tmp_path))
    return tmp_path


def _by_geo(out: pd.DataFrame, **filters) -> pd.DataFrame:
    for col, val in filters.items():
        out = out[out[col] == val]
    return out.set_index("geo")


def convert(df, crosswalk, regions=None, **kw):
    kw.setdefault("from_version", 2013)
    return nuts.convert_nuts_version(df, crosswalk=crosswalk, regions=regions, **kw)


# ------------------------------------------------------------------------------------------
# build_regions_table
# ------------------------------------------------------------------------------------------


def test_regions_table_columns_dtypes_and_order(regions):
    assert tuple(regions.columns) == nuts.REGION_COLUMNS
    assert regions["level"].dtype == np.int64
    assert regions["in_2021"].dtype == bool
    assert regions["code"].tolist() == sorted(regions["code"])
    assert not regions["code"].duplicated().any()
    assert not regions[["name", "name_native", "versions"]].isna().any().any()


def test_regions_table_versions_names_and_levels(regions):
    r = regions.set_index("code")
    assert r.at["FR71", "versions"] == "2006 2010 2013"
    assert r.at["FR71", "name"] == ""  # old codes keep an empty name
    assert not r.at["FR71", "in_2021"]
    assert r.at["FRK2", "versions"] == "2016 2021 2024"
    assert r.at["FRK2", "name"] == "Rhône-Alpes"
    assert r.at["FRK2", "level"] == 2
    assert r.at["SE224", "level"] == 3
    assert r.at["BE2", "level"] == 1
    assert r.at["EL30", "name_native"] == "Αττική"
    assert r.at["EL", "name_native"] == "Ελλάδα"  # trailing blank of the raw file stripped


def test_regions_table_country_codes(regions):
    r = regions.set_index("code")
    countries = r[r["level"] == 0]
    assert sorted(countries.index) == ["AT", "BE", "EL", "FR", "GR", "HU", "IT", "LI", "NO", "SE"]
    # a country exists where its regions do, and in 2021 where GISCO lists it
    assert r.at["AT", "versions"] == "2006 2010 2013 2016 2021 2024"
    assert r.at["AT", "name"] == "Österreich"
    assert r.at["GR", "versions"] == "2006"  # Greece before NUTS 2010
    assert r.at["EL", "versions"] == "2010 2013 2016 2021 2024"
    assert r.at["LI", "versions"] == "2021"
    # country = NUTS prefix, also for the NUTS 2006 Greek codes
    assert r.at["EL30", "country"] == "EL" and r.at["GR30", "country"] == "GR"


def test_regions_table_gisco_codes_count_as_2021(regions):
    # Liechtenstein is missing from the JRC list in 2021 but GISCO lists it
    r = regions.set_index("code")
    assert r.at["LI00", "in_2021"] and r.at["LI00", "versions"] == "2021"


def test_regions_table_is_deterministic():
    codes = _raw_codes(FIXTURES, "nuts_codes_all_versions.csv")
    names = _raw_names(FIXTURES, "nuts2021_codes_names.csv")
    a = nuts.build_regions_table(codes, names)
    b = nuts.build_regions_table(codes.sample(frac=1, random_state=1), names.sample(frac=1, random_state=2))
    assert a.to_csv(index=False) == b.to_csv(index=False)


def test_regions_table_rejects_malformed_code():
    codes = pd.DataFrame({"code": ["AT12", "A 12"], "version": [2021, 2021]})
    names = pd.DataFrame({"NUTS_ID": ["AT"], "NAME_LATN": ["Österreich"], "NUTS_NAME": ["Österreich"]})
    with pytest.raises(DataFileError, match="malformed"):
        nuts.build_regions_table(codes, names)


# ------------------------------------------------------------------------------------------
# build_crosswalk_table
# ------------------------------------------------------------------------------------------


def test_crosswalk_columns_and_dtypes(crosswalk):
    assert tuple(crosswalk.columns) == nuts.CROSSWALK_COLUMNS
    assert crosswalk["from_version"].dtype == np.int64
    assert crosswalk["level"].dtype == np.int64
    assert crosswalk["share"].dtype == np.float64
    keys = crosswalk[["from_version", "from_code", "to_code"]]
    assert keys.equals(keys.sort_values(["from_version", "from_code", "to_code"]))


def test_crosswalk_keeps_only_other_versions_towards_2021(crosswalk):
    # 29 raw pieces - FRK2 2021->2021 - FR71 2013->2016 - 2 slivers = 25
    assert len(crosswalk) == 25
    assert 2021 not in set(crosswalk["from_version"])
    assert sorted(set(crosswalk["from_version"])) == [2006, 2013, 2016]


def _piece(cw, from_version, from_code, to_code):
    row = cw[(cw["from_version"] == from_version) & (cw["from_code"] == from_code) & (cw["to_code"] == to_code)]
    assert len(row) == 1, (from_version, from_code, to_code)
    return row.iloc[0]


@pytest.mark.parametrize(
    ("from_version", "from_code", "to_code", "share", "kind"),
    [
        (2013, "AT12", "AT12", 1.0, "identical"),
        (2013, "AT11", "AT11", 1.0, "identical"),  # renormalised after the 200-person sliver
        (2013, "AT1", "AT1", 1.0, "identical"),
        (2013, "FR71", "FRK2", 1.0, "recoded"),
        (2013, "FR72", "FRK1", 1.0, "recoded"),
        (2013, "FR7", "FRK", 1.0, "recoded"),
        (2006, "GR30", "EL30", 1.0, "recoded"),
        (2013, "HU10", "HU11", 0.56, "split"),  # 1,680,000 / 3,000,000
        (2013, "HU10", "HU12", 0.44, "split"),  # 1,320,000 / 3,000,000
        (2013, "NO01", "NO08", 1.0, "merged"),
        (2013, "NO03", "NO08", 1.0, "merged"),
        (2013, "ITH3", "ITH3", 4_848_700 / 4_850_000, "split"),
        (2013, "ITH3", "ITH4", 1_300 / 4_850_000, "boundary change"),
        (2013, "ITH4", "ITH4", 1.0, "merged"),
        (2016, "FRK2", "FRK2", 1.0, "identical"),
    ],
)
def test_crosswalk_shares_and_kinds(crosswalk, from_version, from_code, to_code, share, kind):
    row = _piece(crosswalk, from_version, from_code, to_code)
    assert row["share"] == pytest.approx(share, abs=1e-12)
    assert row["kind"] == kind


def test_crosswalk_drops_and_counts_slivers(crosswalk, raw_crosswalk):
    assert crosswalk.attrs["slivers_dropped"] == 2
    assert crosswalk.attrs["zero_population_slivers"] == 1
    assert crosswalk.attrs["tolerance"] == nuts.SLIVER_TOLERANCE
    slivers = nuts.crosswalk_slivers(raw_crosswalk)
    assert set(zip(slivers["from_code"], slivers["to_code"], strict=True)) == {
        ("AT11", "AT12"),
        ("AT12", "AT11"),
    }
    assert slivers["share_of_source"].max() < nuts.SLIVER_TOLERANCE
    # the 1,300-person Sappada piece is 0.027 % of ITH3 but 0.109 % of ITH4: kept
    assert ((crosswalk["from_code"] == "ITH3") & (crosswalk["to_code"] == "ITH4")).any()


def test_crosswalk_tolerance_zero_keeps_positive_slivers(raw_crosswalk):
    cw = nuts.build_crosswalk_table(raw_crosswalk, tolerance=0.0)
    assert cw.attrs["slivers_dropped"] == 0
    at11 = _piece(cw, 2013, "AT11", "AT11")
    assert at11["share"] == pytest.approx(300_000 / 300_200)
    # AT11 now also receives the empty AT12 piece, and sends 200 people to AT12
    assert at11["kind"] == "boundary change"


def test_crosswalk_shares_sum_to_one(crosswalk):
    sums = crosswalk.groupby(["from_version", "from_code"])["share"].sum()
    assert np.allclose(sums, 1.0, atol=1e-12)


def test_crosswalk_uninhabited_source_weighted_by_area():
    raw = pd.DataFrame(
        {
            "from_code": ["NO0B", "NO0B"],
            "to_code": ["NO0B", "NO0C"],
            "from_version": 2024,
            "to_version": 2021,
            "level": 2.0,
            "areaKm": [300.0, 100.0],
            "pop21": [0.0, 0.0],
        }
    )
    cw = nuts.build_crosswalk_table(raw)
    assert cw["share"].tolist() == pytest.approx([0.75, 0.25])


def test_crosswalk_missing_columns():
    with pytest.raises(DataFileError, match="pop21"):
        nuts.build_crosswalk_table(pd.DataFrame({"from_code": ["AT12"]}))


# ------------------------------------------------------------------------------------------
# loading the extracts
# ------------------------------------------------------------------------------------------


def test_load_round_trip(data_dir, regions, crosswalk):
    loaded = nuts.load_regions()
    pd.testing.assert_frame_equal(loaded, regions, check_dtype=False)
    assert loaded["level"].dtype == np.int64 and loaded["in_2021"].dtype == bool
    assert loaded.set_index("code").at["FR71", "name"] == ""
    cw = nuts.load_crosswalk(data_dir / nuts.CROSSWALK_FILE)
    pd.testing.assert_frame_equal(cw, crosswalk, check_dtype=False, check_exact=True)


def test_load_returns_copies_of_cached_table(data_dir):
    a = nuts.load_regions()
    a.loc[0, "name"] = "changed"
    assert nuts.load_regions().loc[0, "name"] != "changed"


def test_load_rereads_changed_file(data_dir, regions):
    write_csv_deterministic(regions.head(3), data_dir / "other.csv")
    assert len(nuts.load_regions(data_dir / "other.csv")) == 3
    write_csv_deterministic(regions.head(5), data_dir / "other.csv")
    assert len(nuts.load_regions(data_dir / "other.csv")) == 5


@pytest.mark.parametrize("loader", [nuts.load_regions, nuts.load_crosswalk])
def test_load_missing_file(tmp_path, monkeypatch, loader):
    monkeypatch.setenv("CLUSTERIX_DATA", str(tmp_path))
    with pytest.raises(DataFileError) as info:
        loader()
    assert str(tmp_path) in str(info.value)
    assert "clusterix data build" in str(info.value)


def test_load_file_without_columns(tmp_path):
    (tmp_path / "r.csv").write_text("code,level\nAT,0\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="lacks the column"):
        nuts.load_regions(tmp_path / "r.csv")


# ------------------------------------------------------------------------------------------
# codes
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "level"), [("AT", 0), ("BE2", 1), ("AT12", 2), ("SE224", 3), (" fr71 ", 2)])
def test_nuts_level(code, level):
    assert nuts.nuts_level(code) == level


@pytest.mark.parametrize("code", ["A12", "AT1234", "EU27_2020", "", "12", None, 12])
def test_nuts_level_rejects_malformed(code):
    with pytest.raises(RegionError, match="is not a NUTS code"):
        nuts.nuts_level(code)


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("AT", True),
        ("AT12", True),
        ("NO0B", True),
        ("SE224", True),
        ("at12", False),
        ("A12", False),
        ("EU27_2020", False),
        ("AT1234", False),
        (" AT12", False),
        (None, False),
    ],
)
def test_is_valid_nuts_format(code, ok):
    assert nuts.is_valid_nuts_format(code) is ok


def test_parent_and_country():
    assert nuts.parent("SE224") == "SE22"
    assert nuts.parent("SE22") == "SE2"
    assert nuts.parent("SE2") == "SE"
    assert nuts.parent("SE") is None
    assert nuts.country_of("el30") == "EL"
    assert nuts.country_of("UKI3") == "UK"


def test_validate_region_normalises(regions, crosswalk):
    assert nuts.validate_region(" at12 ", regions=regions, crosswalk=crosswalk) == "AT12"
    assert nuts.validate_region("fr71", version=2013, regions=regions) == "FR71"


def test_validate_region_malformed(regions):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("A12", regions=regions)
    assert info.value.what == ("'A12' is not a NUTS code: two letters then up to three characters, e.g. AT12")


def test_validate_region_aggregate_and_name_hints(regions):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("EU27_2020", regions=regions)
    assert "aggregate of countries" in info.value.hint
    with pytest.raises(RegionError) as info:
        nuts.validate_region("Skåne", regions=regions)
    assert "SE224" in info.value.hint


def test_validate_region_old_code_says_what_it_became(regions, crosswalk):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("FR71", regions=regions, crosswalk=crosswalk)
    assert info.value.what == "FR71 is not a NUTS 2021 code"
    assert info.value.hint.startswith(
        "FR71 is a NUTS 2013 code (also NUTS 2006, 2010); in NUTS 2021 it is Rhône-Alpes (FRK2): use FRK2"
    )


def test_validate_region_split_code(regions, crosswalk):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("HU10", regions=regions, crosswalk=crosswalk)
    assert "its population lies in Budapest (HU11) 56%, Pest (HU12) 44%" in info.value.hint
    assert "use HU11 or HU12" in info.value.hint


def test_validate_region_newer_code_in_older_version(regions):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("FRK2", version=2013, regions=regions)
    assert info.value.what == "FRK2 is not a NUTS 2013 code"
    assert "FRK2 is a NUTS 2024 code (also NUTS 2016, 2021)" in info.value.hint


def test_validate_region_unknown_code_close_matches(regions):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("AT19", regions=regions)
    assert info.value.what == "AT19 is not a NUTS 2021 code"
    assert "AT12" in info.value.hint or "AT11" in info.value.hint


def test_validate_region_unknown_version(regions):
    with pytest.raises(ParameterError, match="unknown NUTS version"):
        nuts.validate_region("AT12", version=2015, regions=regions)


def test_validate_region_default_tables(data_dir):
    assert nuts.validate_region("SE224") == "SE224"
    with pytest.raises(RegionError, match="in NUTS 2021 it is Auvergne"):
        nuts.validate_region("FR72")


def test_region_name_and_children(regions):
    assert nuts.region_name("fRk2", regions=regions) == "Rhône-Alpes"
    assert nuts.region_name("FR71", regions=regions) == ""
    with pytest.raises(RegionError):
        nuts.region_name("XX99", regions=regions)
    assert nuts.children("BE2", regions=regions) == ["BE21", "BE22", "BE23", "BE24", "BE25"]
    assert nuts.children("FR", regions=regions) == ["FRK"]
    assert nuts.children("FR", level=2, version=2013, regions=regions) == ["FR71", "FR72"]
    assert nuts.children("SE2", level=3, regions=regions) == ["SE221", "SE224"]
    with pytest.raises(ParameterError):
        nuts.children("SE22", level=1, regions=regions)


def test_children_of_nuts3_is_an_error(regions):
    with pytest.raises(ParameterError, match="level 4"):
        nuts.children("SE224", regions=regions)


# ------------------------------------------------------------------------------------------
# convert_nuts_version
# ------------------------------------------------------------------------------------------


@pytest.fixture()
def counts_2014() -> pd.DataFrame:
    rows = {
        "AT": 25.0,
        "AT11": 5.0,
        "AT12": 20.0,
        "FR71": 100.0,
        "FR72": 10.0,
        "HU10": 50.0,
        "NO01": 7.0,
        "NO03": 3.0,
        "ITH3": 1000.0,
        "ITH4": 200.0,
    }
    return pd.DataFrame({"geo": list(rows), "year": 2014, "value": list(rows.values())})


def test_convert_counts_hand_computed(counts_2014, crosswalk):
    out = convert(counts_2014, crosswalk)
    assert list(out.columns) == ["geo", "year", "value", "nuts_conversion"]
    assert out["year"].dtype == counts_2014["year"].dtype
    got = out.set_index("geo")
    expected = {
        "AT": (25.0, "identical"),  # country: unchanged
        "AT11": (5.0, "identical"),
        "AT12": (20.0, "identical"),  # the empty AT12->AT11 sliver is not a piece
        "FRK2": (100.0, "recoded"),
        "FRK1": (10.0, "recoded"),
        "HU11": (28.0, "estimated"),  # 50 * 0.56
        "HU12": (22.0, "estimated"),  # 50 * 0.44
        "NO08": (10.0, "aggregated"),  # 7 + 3: two whole regions, exact
        "ITH3": (1000 * 4_848_700 / 4_850_000, "estimated"),  # 999.73195876
        "ITH4": (200 + 1000 * 1_300 / 4_850_000, "estimated"),  # 200.26804124
    }
    assert set(got.index) == set(expected)
    for geo, (value, how) in expected.items():
        assert got.at[geo, "value"] == pytest.approx(value, rel=1e-12), geo
        assert got.at[geo, "nuts_conversion"] == how, geo
    assert len(out.attrs["not_converted"]) == 0


def test_convert_row_order_follows_sources(counts_2014, crosswalk):
    out = convert(counts_2014, crosswalk)
    assert out["geo"].tolist()[:6] == ["AT", "AT11", "AT12", "FRK2", "FRK1", "HU11"]


def test_convert_nan_source_makes_target_nan(crosswalk):
    df = pd.DataFrame({"geo": ["HU10", "NO01", "NO03", "FR71"], "year": 2015, "value": [np.nan, np.nan, 3.0, 1.0]})
    got = convert(df, crosswalk).set_index("geo")["value"]
    assert math.isnan(got["HU11"]) and math.isnan(got["HU12"])
    assert math.isnan(got["NO08"])  # never 3, the lower total
    assert got["FRK2"] == 1.0


def test_convert_missing_source_row_is_reported_not_summed(crosswalk):
    df = pd.DataFrame({"geo": ["NO01", "FR71"], "year": 2016, "value": [7.0, 1.0]})
    out = convert(df, crosswalk)
    assert out["geo"].tolist() == ["FRK2"]
    nc = out.attrs["not_converted"]
    assert nc["geo"].tolist() == ["NO01"]
    assert nc["target_geo"].tolist() == ["NO08"]
    assert nc["reason"].iloc[0].startswith("incomplete")


def test_convert_flags_union(crosswalk):
    df = pd.DataFrame(
        {
            "geo": ["NO01", "NO03", "FR71", "HU10", "AT12"],
            "year": 2014,
            "value": [7.0, 3.0, 100.0, 50.0, 20.0],
            "flag": ["p", "be", "c", "e", ""],
        }
    )
    out = convert(df, crosswalk)
    assert list(out.columns) == ["geo", "year", "value", "flag", "nuts_conversion"]
    flags = out.set_index("geo")["flag"]
    assert flags["NO08"] == "bep"  # sorted union of p and b, e
    assert flags["FRK2"] == "c"
    assert flags["HU11"] == "e" and flags["HU12"] == "e"
    assert flags["AT12"] == ""


def test_convert_flags_missing_stay_missing(crosswalk):
    df = pd.DataFrame(
        {
            "geo": ["NO01", "NO03", "FR71"],
            "year": 2014,
            "value": [7.0, 3.0, 1.0],
            "flag": [None, None, "p"],
        }
    )
    flags = convert(df, crosswalk).set_index("geo")["flag"]
    assert pd.isna(flags["NO08"])
    assert flags["FRK2"] == "p"


def test_convert_ratio_only_one_to_one(crosswalk):
    df = pd.DataFrame(
        {
            "geo": ["FR71", "AT12", "HU10", "NO01", "NO03", "AT"],
            "year": 2014,
            "value": [12.5, 3.0, 40.0, 1.0, 2.0, 9.0],
        }
    )
    out = convert(df, crosswalk, kind="ratio")
    got = out.set_index("geo")
    assert got.loc["FRK2", "value"] == 12.5 and got.loc["FRK2", "nuts_conversion"] == "recoded"
    assert got.loc["AT12", "value"] == 3.0
    assert got.loc["AT", "value"] == 9.0
    assert sorted(got.index) == ["AT", "AT12", "FRK2"]
    nc = out.attrs["not_converted"]
    assert sorted(nc["geo"]) == ["HU10", "NO01", "NO03"]
    assert set(nc["reason"]) == {"ratio cannot be apportioned: boundaries changed"}


def test_convert_country_codes_pass(crosswalk, regions):
    df = pd.DataFrame({"geo": ["AT", "FR", "EL", "UK"], "value": [1.0, 2.0, 3.0, 4.0]})
    out = convert(df, crosswalk)
    assert out["geo"].tolist() == ["AT", "FR", "EL"]
    assert out["value"].tolist() == [1.0, 2.0, 3.0]
    assert set(out["nuts_conversion"]) == {"identical"}
    # UK is neither in the fixture crosswalk nor, here, in a regions table
    nc = out.attrs["not_converted"]
    assert nc[["geo", "reason"]].values.tolist() == [["UK", "unknown country code"]]
    # with the regions table every country code of any version passes (GR: NUTS 2006)
    out = convert(pd.DataFrame({"geo": ["GR", "LI"], "value": [1.0, 2.0]}), crosswalk, regions)
    assert out["geo"].tolist() == ["GR", "LI"]


def test_convert_unknown_codes_reported(crosswalk, regions):
    df = pd.DataFrame({"geo": ["EU27_2020", "FRZZ", "DEXX", "XX12", "A12", "LI00", "FR71"], "value": [1.0] * 7})
    out = convert(df, crosswalk)  # valid 2021 codes = the crosswalk's targets
    reasons = out.attrs["not_converted"].set_index("geo")["reason"]
    assert reasons["EU27_2020"] == "aggregate of countries (not a NUTS region)"
    assert reasons["A12"] == "not a NUTS code"
    assert reasons["FRZZ"] == "Extra-Regio code (no territory)"
    assert reasons["DEXX"] == "not regionalised (no territory)"
    assert reasons["XX12"] == "not a NUTS 2013 code nor a NUTS 2021 code"
    assert "LI00" in reasons.index
    # with the regions table, LI00 is known as a NUTS 2021 code (absent from the crosswalk)
    out = convert(df, crosswalk, regions)
    assert out.set_index("geo").at["LI00", "nuts_conversion"] == "identical"
    assert out["geo"].tolist() == ["LI00", "FRK2"]


def test_convert_valid_target_code_kept_as_identical(crosswalk):
    df = pd.DataFrame({"geo": ["FRK1"], "year": 2014, "value": [4.0]})
    out = convert(df, crosswalk)  # FRK1 is not a 2013 code but is a 2021 one
    assert out["geo"].tolist() == ["FRK1"] and out["nuts_conversion"].tolist() == ["identical"]


def test_convert_mixed_versions_for_one_target_not_summed(crosswalk):
    df = pd.DataFrame({"geo": ["FR71", "FRK2"], "year": 2014, "value": [100.0, 101.0]})
    out = convert(df, crosswalk)
    assert "FRK2" not in set(out["geo"])
    nc = out.attrs["not_converted"]
    assert sorted(nc["geo"]) == ["FR71", "FRK2"]
    assert nc["reason"].str.contains("mix NUTS versions").all()


def test_convert_from_version_per_row(crosswalk):
    df = pd.DataFrame(
        {
            "geo": ["HU10", "HU11", "HU12", "FR71"],
            "year": [2014, 2017, 2017, 2014],
            "value": [50.0, 30.0, 20.0, 1.0],
            "nuts_version": [2013, 2016, 2016, 2006],
        }
    )
    by_column = convert(df, crosswalk, from_version="nuts_version", by=["year"])
    by_series = convert(df.drop(columns="nuts_version"), crosswalk, from_version=df["nuts_version"])
    pd.testing.assert_frame_equal(by_column, by_series)
    got = by_column.set_index(["geo", "year"])["value"]
    assert got[("HU11", 2014)] == pytest.approx(28.0)
    assert got[("HU11", 2017)] == 30.0
    assert got[("FRK2", 2014)] == 1.0  # FR71 2006 -> FRK2


def test_convert_by_default_uses_other_columns(crosswalk):
    df = pd.DataFrame(
        {
            "nace_r2": ["C10", "C10", "C11"],
            "geo": ["HU10", "FR71", "HU10"],
            "year": 2014,
            "value": [10.0, 5.0, 20.0],
        }
    )
    out = convert(df, crosswalk)
    assert list(out.columns) == ["nace_r2", "geo", "year", "value", "nuts_conversion"]
    got = out.set_index(["nace_r2", "geo"])["value"]
    assert got[("C10", "HU11")] == pytest.approx(5.6)  # 10 * 0.56
    assert got[("C11", "HU12")] == pytest.approx(8.8)  # 20 * 0.44


def test_convert_parameter_errors(crosswalk, counts_2014):
    with pytest.raises(ParameterError, match="unknown NUTS version"):
        convert(counts_2014, crosswalk, from_version=2015)
    with pytest.raises(ParameterError, match="rows share their key"):
        convert(pd.concat([counts_2014, counts_2014]), crosswalk)
    with pytest.raises(ParameterError, match="unknown kind"):
        convert(counts_2014, crosswalk, kind="mean")
    with pytest.raises(ParameterError, match="lack the column"):
        convert(counts_2014, crosswalk, geo="region")
    with pytest.raises(ParameterError, match="converts to NUTS 2021"):
        nuts.convert_nuts_version(counts_2014, from_version=2013, to_version=2016)
    with pytest.raises(ParameterError, match="neither a NUTS version nor a column"):
        convert(counts_2014, crosswalk, from_version="vintage")


def test_convert_default_tables(data_dir, counts_2014):
    out = nuts.convert_nuts_version(counts_2014, from_version=2013)
    assert out.set_index("geo").at["HU11", "value"] == pytest.approx(28.0)


def test_converted_frames_can_be_concatenated_and_merged(counts_2014, crosswalk):
    a = convert(counts_2014.assign(geo=counts_2014["geo"].replace("AT", "EU27_2020")), crosswalk)
    b = convert(counts_2014.assign(year=2015, geo=counts_2014["geo"].replace("AT", "XX")), crosswalk)
    assert len(a.attrs["not_converted"]) == 1 and len(b.attrs["not_converted"]) == 1
    both = pd.concat([a, b], ignore_index=True)  # plain DataFrames in attrs would raise here
    assert len(both) == len(a) + len(b)
    merged = a.merge(b, on="geo")
    assert len(merged) == len(a)
    nc = a.attrs["not_converted"]
    assert isinstance(nc, nuts.NotConvertedFrame)
    assert (nc == nc.copy()) is True
    assert type(nc[["geo"]]) is pd.DataFrame
    assert nc.groupby("reason").size().to_dict() == {"aggregate of countries (not a NUTS region)": 1}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=10, max_size=10))
def test_property_fixture_conversion_preserves_totals(crosswalk, values):
    sources = ["AT11", "AT12", "EL30", "FR71", "FR72", "HU10", "ITH3", "ITH4", "NO01", "NO03"]
    df = pd.DataFrame({"geo": sources, "value": values})
    out = convert(df, crosswalk)
    assert len(out.attrs["not_converted"]) == 0
    assert out["value"].sum() == pytest.approx(sum(values), rel=1e-9, abs=1e-6)


@st.composite
def _random_crosswalk(draw):
    """A random partition: each source overlaps 1-3 of 4 targets, with positive population."""
    n_src = draw(st.integers(1, 5))
    rows = []
    for i in range(n_src):
        targets = draw(st.sets(st.integers(0, 3), min_size=1, max_size=3))
        for t in sorted(targets):
            pop = draw(st.floats(min_value=1, max_value=1e7, allow_nan=False))
            rows.append((f"ZZ{i}1", f"ZZ{t}9", pop))
    raw = pd.DataFrame(rows, columns=["from_code", "to_code", "pop21"]).assign(
        from_version=2013, to_version=2021, level=2.0, areaKm=1.0
    )
    values = draw(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=n_src, max_size=n_src))
    return raw, values


@settings(max_examples=60, deadline=None)
@given(case=_random_crosswalk())
def test_property_random_crosswalk_preserves_totals(case):
    raw, values = case
    cw = nuts.build_crosswalk_table(raw, tolerance=0.0)
    sources = sorted(set(raw["from_code"]))
    df = pd.DataFrame({"geo": sources, "value": values[: len(sources)]})
    out = nuts.convert_nuts_version(df, from_version=2013, crosswalk=cw)
    assert len(out.attrs["not_converted"]) == 0
    assert set(out["geo"]) == set(raw["to_code"])
    assert out["value"].sum() == pytest.approx(sum(values[: len(sources)]), rel=1e-9, abs=1e-6)


# ------------------------------------------------------------------------------------------
# harmonise_mixed_versions
# ------------------------------------------------------------------------------------------


def test_harmonise_prefers_native_values(crosswalk, regions):
    df = pd.DataFrame(
        {
            "geo": ["FR71", "FR71", "FRK2", "HU10", "HU11", "AT12", "EU27_2020"],
            "year": [2012, 2013, 2013, 2013, 2013, 2013, 2013],
            "value": [1.0, 2.0, 2.5, 50.0, 30.0, 7.0, 9.0],
        }
    )
    out = nuts.harmonise_mixed_versions(df, crosswalk=crosswalk, regions=regions)
    got = out.set_index(["geo", "year"])
    assert got.loc[("FRK2", 2012), "value"] == 1.0
    assert got.loc[("FRK2", 2012), "nuts_conversion"] == "recoded"
    assert got.loc[("FRK2", 2013), "value"] == 2.5  # native beats FR71's 2.0
    assert got.loc[("FRK2", 2013), "nuts_conversion"] == "identical"
    assert got.loc[("HU11", 2013), "value"] == 30.0  # native
    assert got.loc[("HU12", 2013), "value"] == pytest.approx(22.0)  # 50 * 0.44 from HU10
    assert got.loc[("AT12", 2013), "value"] == 7.0
    assert out.attrs["duplicates_dropped"] == 2  # FRK2 2013 and HU11 2013 from old codes
    assert out.attrs["not_converted"]["geo"].tolist() == ["EU27_2020"]


def test_harmonise_ratio(crosswalk, regions):
    df = pd.DataFrame({"geo": ["FR72", "HU10"], "year": 2012, "value": [3.0, 4.0]})
    out = nuts.harmonise_mixed_versions(df, kind="ratio", crosswalk=crosswalk, regions=regions)
    assert out["geo"].tolist() == ["FRK1"]
    assert out.attrs["not_converted"]["geo"].tolist() == ["HU10"]


# ------------------------------------------------------------------------------------------
# statistical_territory
# ------------------------------------------------------------------------------------------


def test_territory_nuts2_as_is(regions):
    t = nuts.statistical_territory("at12", ["AT12", "AT11"], regions=regions)
    assert t == nuts.Territory("AT12", "Niederösterreich", 2, ("AT12",), "as is", "")


def test_territory_nuts1_sum(regions):
    available = ["BE21", "BE22", "BE23", "BE24", "BE25", "AT12"]
    t = nuts.statistical_territory("BE2", available, regions=regions)
    assert t.stats_codes == ("BE21", "BE22", "BE23", "BE24", "BE25")
    assert t.method == "sum of NUTS 2 regions"
    assert t.level == 1 and t.name == "Vlaams Gewest"
    assert t.note.startswith(
        "Vlaams Gewest (BE2) is a NUTS 1 region; its statistics are the sum of its 5 NUTS 2 "
        "regions Prov. Antwerpen (BE21), "
    )
    assert t.note.endswith("and Prov. West-Vlaanderen (BE25).")


def test_territory_nuts1_with_missing_child(regions):
    t = nuts.statistical_territory("BE2", ["BE21", "BE22", "BE23", "BE25"], regions=regions)
    assert t.stats_codes == ("BE21", "BE22", "BE23", "BE25")
    assert "sum of 4 of its 5 NUTS 2 regions" in t.note
    assert "Prov. Vlaams-Brabant (BE24) has no data" in t.note


def test_territory_nuts1_without_any_child(regions):
    with pytest.raises(RegionError, match="no statistics for Vlaams Gewest"):
        nuts.statistical_territory("BE2", ["AT12"], regions=regions)


def test_territory_frk(regions):
    t = nuts.statistical_territory("FRK", ["FRK1", "FRK2", "FRK"], regions=regions)
    assert t.stats_codes == ("FRK1", "FRK2")
    assert t.note == (
        "Auvergne-Rhône-Alpes (FRK) is a NUTS 1 region; its statistics are the sum of its 2 "
        "NUTS 2 regions Auvergne (FRK1) and Rhône-Alpes (FRK2)."
    )


def test_territory_nuts3_parent(regions):
    t = nuts.statistical_territory("SE224", ["SE22", "SE21"], regions=regions)
    assert t.stats_codes == ("SE22",)
    assert t.method == "parent region"
    assert t.note == (
        "Skåne län (SE224) is a NUTS 3 region; statistics exist only for its NUTS 2 region "
        "Sydsverige (SE22), which also covers Blekinge län (SE221)."
    )
    with pytest.raises(RegionError, match="nor for its NUTS 2 region Sydsverige"):
        nuts.statistical_territory("SE224", ["SE21"], regions=regions)


def test_territory_country(regions):
    t = nuts.statistical_territory("HU", ["HU", "HU11"], regions=regions)
    assert t.method == "as is" and t.stats_codes == ("HU",)
    t = nuts.statistical_territory("HU", ["HU11", "HU12"], regions=regions)
    assert t.method == "sum of NUTS 2 regions" and t.stats_codes == ("HU11", "HU12")


def test_territory_errors(regions):
    with pytest.raises(RegionError, match="XX99 is not a NUTS 2021 code"):
        nuts.statistical_territory("XX99", ["AT12"], regions=regions)
    with pytest.raises(RegionError, match="FR71 is not a NUTS 2021 code"):
        nuts.statistical_territory("FR71", ["FRK2"], regions=regions)
    with pytest.raises(RegionError, match="no statistics for Niederösterreich"):
        nuts.statistical_territory("AT12", ["AT11"], regions=regions)


# ------------------------------------------------------------------------------------------
# the real public files
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_raw_crosswalk() -> pd.DataFrame:
    return pd.read_csv(SHARED / "nuts_crosswalks_jrc_2006_2024.csv.gz")


@pytest.fixture(scope="module")
def real_regions() -> pd.DataFrame:
    return nuts.build_regions_table(
        _raw_codes(SHARED, "nuts_codes_all_versions_2006_2024.csv.gz"),
        _raw_names(SHARED, "nuts2021_codes_names.csv"),
    )


@pytest.fixture(scope="module")
def real_crosswalk(real_raw_crosswalk) -> pd.DataFrame:
    return nuts.build_crosswalk_table(real_raw_crosswalk)


@shared
@pytest.mark.shared
def test_real_regions_table(real_regions):
    r = real_regions.set_index("code")
    assert r["level"].value_counts().to_dict()[0] == 38  # 37 GISCO countries + GR (NUTS 2006)
    assert r.at["BE2", "name"] == "Vlaams Gewest"
    assert r.at["FR71", "versions"] == "2006 2010 2013" and r.at["FR71", "name"] == ""
    assert r.at["SE224", "name"] == "Skåne län"
    assert r["in_2021"].sum() == 2009  # 2,007 GISCO codes + NO0B, NO0B1 of the JRC list
    for code in [
        "AT12",
        "BE2",
        "CZ08",
        "DK03",
        "FRK",
        "FRK1",
        "FRK2",
        "HU22",
        "ITH1",
        "RO21",
        "RO32",
        "SE22",
        "SE224",
    ]:
        assert r.at[code, "in_2021"], code


@shared
@pytest.mark.shared
@pytest.mark.parametrize("from_version", [2006, 2010, 2013])
@pytest.mark.parametrize(("old", "new"), [("FR71", "FRK2"), ("FR72", "FRK1")])
def test_real_french_codes_recoded(real_crosswalk, from_version, old, new):
    rows = real_crosswalk[(real_crosswalk["from_version"] == from_version) & (real_crosswalk["from_code"] == old)]
    assert len(rows) == 1
    assert rows["to_code"].iloc[0] == new
    assert abs(rows["share"].iloc[0] - 1) < 1e-9
    assert rows["kind"].iloc[0] == "recoded"


@shared
@pytest.mark.shared
@pytest.mark.parametrize("from_version", [2006, 2010, 2013, 2016, 2024])
def test_real_at12_identical(real_crosswalk, from_version):
    rows = real_crosswalk[(real_crosswalk["from_version"] == from_version) & (real_crosswalk["from_code"] == "AT12")]
    assert rows[["to_code", "share", "kind"]].values.tolist() == [["AT12", 1.0, "identical"]]


@shared
@pytest.mark.shared
def test_real_hu10_split(real_crosswalk):
    rows = real_crosswalk[(real_crosswalk["from_version"] == 2013) & (real_crosswalk["from_code"] == "HU10")].set_index(
        "to_code"
    )
    assert sorted(rows.index) == ["HU11", "HU12"]
    assert set(rows["kind"]) == {"split"}
    # JRC pop21: 1,682,078 / (1,682,078 + 1,332,109)
    assert rows.at["HU11", "share"] == pytest.approx(1_682_078 / 3_014_187, rel=1e-12)


@shared
@pytest.mark.shared
def test_real_crosswalk_slivers_and_consistency(real_crosswalk, real_raw_crosswalk, real_regions):
    assert real_crosswalk.attrs["slivers_dropped"] == 328
    assert real_crosswalk.attrs["zero_population_slivers"] == 210
    slivers = nuts.crosswalk_slivers(real_raw_crosswalk)
    assert slivers["share_of_source"].max() < 1e-3 and slivers["share_of_target"].max() < 1e-3
    sums = real_crosswalk.groupby(["from_version", "from_code"])["share"].sum()
    assert np.allclose(sums, 1.0, atol=1e-12)
    versions = real_regions.set_index("code")["versions"].str.split()
    assert real_crosswalk["to_code"].map(lambda c: "2021" in versions[c]).all()
    from_ok = [
        str(v) in versions[c] for v, c in zip(real_crosswalk["from_version"], real_crosswalk["from_code"], strict=True)
    ]
    assert all(from_ok)
    # the Sappada move (ITH3 -> ITH4, 0.03 % of Veneto, 0.11 % of Friuli) is kept
    sappada = real_crosswalk[
        (real_crosswalk["from_version"] == 2013)
        & (real_crosswalk["from_code"] == "ITH3")
        & (real_crosswalk["to_code"] == "ITH4")
    ]
    assert sappada["kind"].tolist() == ["boundary change"]


@shared
@pytest.mark.shared
def test_real_validate_region_messages(real_regions, real_crosswalk):
    with pytest.raises(RegionError) as info:
        nuts.validate_region("FR71", regions=real_regions, crosswalk=real_crosswalk)
    assert "FR71 is a NUTS 2013 code" in info.value.hint
    assert "in NUTS 2021 it is Rhône-Alpes (FRK2)" in info.value.hint
    with pytest.raises(RegionError) as info:
        nuts.validate_region("A12", regions=real_regions)
    assert "'A12' is not a NUTS code: two letters then up to three characters, e.g. AT12" in str(info.value)
    assert nuts.validate_region("se224", regions=real_regions) == "SE224"
    assert nuts.validate_region("FR71", version=2013, regions=real_regions) == "FR71"


@shared
@pytest.mark.shared
def test_real_statistical_territories(real_regions):
    nuts2 = real_regions.loc[(real_regions["level"] == 2) & real_regions["in_2021"], "code"]
    be2 = nuts.statistical_territory("BE2", nuts2, regions=real_regions)
    assert be2.stats_codes == ("BE21", "BE22", "BE23", "BE24", "BE25")
    assert "sum of its 5 NUTS 2 regions" in be2.note
    frk = nuts.statistical_territory("FRK", nuts2, regions=real_regions)
    assert frk.stats_codes == ("FRK1", "FRK2")
    se = nuts.statistical_territory("SE224", nuts2, regions=real_regions)
    assert se.stats_codes == ("SE22",) and se.method == "parent region"
    assert se.note == (
        "Skåne län (SE224) is a NUTS 3 region; statistics exist only for its NUTS 2 region "
        "Sydsverige (SE22), which also covers Blekinge län (SE221)."
    )


@shared
@pytest.mark.shared
def test_real_patents_conversion(real_crosswalk, real_regions):
    """EPO patents (NUTS 2010) of 2012, PROVENANCE.md file 10: partner values carried over."""
    pat = pd.read_csv(SHARED / "pat_ep_rtot_nuts_1977_2012.csv.gz").rename(columns={"values": "value"})
    pat = pat[(pat["time"] == 2012) & pat["unit"].isin(["NR", "P_MHAB"])]
    nr = nuts.convert_nuts_version(
        pat[pat["unit"] == "NR"],
        from_version=2010,
        by=["unit", "time"],
        crosswalk=real_crosswalk,
        regions=real_regions,
    ).set_index("geo")
    src = pat[pat["unit"] == "NR"].set_index("geo")["value"]
    assert nr.at["FRK2", "value"] == src["FR71"] and nr.at["FRK2", "nuts_conversion"] == "recoded"
    assert nr.at["HU11", "value"] + nr.at["HU12", "value"] == pytest.approx(src["HU10"])
    ratio = nuts.convert_nuts_version(
        pat[pat["unit"] == "P_MHAB"],
        from_version=2010,
        by=["unit", "time"],
        kind="ratio",
        crosswalk=real_crosswalk,
        regions=real_regions,
    ).set_index("geo")["value"]
    # PROVENANCE.md: FR71 214.6, FR72 99.2, AT12 145.4, SE22 367.8 (P_MHAB, 2012)
    assert round(ratio["FRK2"], 1) == 214.6 and round(ratio["FRK1"], 1) == 99.2
    assert round(ratio["AT12"], 1) == 145.4 and round(ratio["SE22"], 1) == 367.8
    assert "HU11" not in ratio.index  # a split region's ratio cannot be apportioned
