"""Competence profiles: statistics, research indicators and declared competences held apart by basis."""

from __future__ import annotations

import pandas as pd
import pytest

from clusterix_lib import competences as cp
from clusterix_lib import datasets, nuts, profile
from clusterix_lib.errors import DataFileError

HEADER = "region,kind,title,nace_codes,basis,year,illustrative,source\n"


def _write(tmp_path, body: str):
    p = tmp_path / "declared.csv"
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_committed_file_loads_and_is_marked_illustrative():
    d = cp.load_declared_competences()
    assert set(d["basis"]) <= set(cp.BASES)
    assert d["illustrative"].all()  # no public source: every row says so
    assert (d["source"] == "").all()


def test_codes_expand_to_divisions(tmp_path):
    d = cp.load_declared_competences(_write(tmp_path, "AT12,competence,Plastics,C22.2;J,expert,2018,no,x\n"))
    assert d["divisions"].iloc[0] == ["C22", "J58", "J59", "J60", "J61", "J62", "J63"]
    long = cp.declared_divisions(d)
    assert long["nace_r2"].tolist()[:2] == ["C22", "J58"] and (long["basis"] == "expert").all()


@pytest.mark.parametrize(
    "row, column, value",
    [
        ("AT12,competence,Plastics,C22;C99,expert,2018,yes,\n", "nace_codes", "C99"),
        ("AT12,competence,Plastics,C22,rumour,2018,yes,\n", "basis", "rumour"),
        ("XX99,competence,Plastics,C22,expert,2018,yes,\n", "region", "XX99"),
        (",competence,Plastics,C22,expert,2018,yes,\n", "region", ""),
        ("AT12,wish,Plastics,C22,expert,2018,yes,\n", "kind", "wish"),
    ],
)
def test_bad_rows_name_file_line_column_value(tmp_path, row, column, value):
    path = _write(tmp_path, "AT12,competence,Food,C10,expert,2018,yes,\n" + row)
    with pytest.raises(DataFileError) as exc:
        cp.load_declared_competences(path)
    msg = str(exc.value)
    assert str(path) in msg and "line 3" in msg and column in msg and repr(value) in msg
    assert "What to do" in msg


def test_statistical_competences_are_the_profile_specialisations():
    e = datasets.employment()
    comp = cp.statistical_competences(e, "AT12")
    assert (comp["basis"] == "statistics").all()
    prof = profile.employment_profile(e, "AT12")
    t = prof["table"].dropna(subset=["lq"])
    expected = set(t.loc[(t["lq"] >= 1) & (t["share"] >= 0.001), "nace_r2"])
    assert set(comp.loc[comp["kind"] == "specialisation", "nace_r2"]) == expected
    em = comp[comp["kind"] == "emerging"]
    first = profile.employment_profile(e, "AT12", year=2008)["table"].set_index("nace_r2")["lq"]
    assert ((em["value"].to_numpy() / first[em["nace_r2"]].to_numpy()) >= 1.2 - 1e-12).all()


def test_research_competences_show_year_and_gaps():
    e, ind = datasets.employment(), datasets.indicators()
    t = profile.employment_profile(e, "SE224")["territory"]
    r = cp.research_competences(ind, t, datasets.indicator_specs())
    assert set(r["indicator"]) == set(cp.RESEARCH_INDICATORS)
    published = r.dropna(subset=["value"])
    assert published["year"].notna().all()
    # hand-made: an indicator without figures for the region says so
    ind2 = ind[~((ind["indicator"] == "hrst_pc_act") & ind["geo"].isin(["SE224", "SE22"]))]
    r2 = cp.research_competences(ind2, t, datasets.indicator_specs()).set_index("indicator")
    assert r2.loc["hrst_pc_act", "gap"] == "not published for this region"
    assert pd.isna(r2.loc["hrst_pc_act", "value"])


def test_competence_profile_keeps_bases_apart():
    e = datasets.employment()
    d = cp.load_declared_competences()
    prof = cp.competence_profile(e, "AT12", d)
    assert {"statistics", "self-declared"} <= set(prof["basis"])
    declared = prof[prof["basis"] != "statistics"]
    assert declared["illustrative"].all() and declared["value"].isna().all()
    assert nuts.validate_region("AT12") == "AT12"


def test_header_only_file_gives_a_typed_empty_table(tmp_path):
    empty = cp.load_declared_competences(_write(tmp_path, ""))
    full = cp.load_declared_competences()
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert empty["illustrative"].dtype == bool and str(empty["year"].dtype) == "Int64"


@pytest.mark.parametrize("body", ["", "CZ08,competence,Steel,C24,expert,2018,yes,\n"])
def test_regional_profile_cell_runs_without_declarations_for_the_region(tmp_path, body):
    """The expressions of the 'Declared priorities' cell of notebooks/regional_profile.ipynb."""
    from clusterix_lib import cluster_register

    declared = cp.load_declared_competences(_write(tmp_path, body))
    territory = profile.employment_profile(datasets.employment(), "AT12")["territory"]
    own_declared = cp.region_declared(declared, territory.code)
    own_clusters = cluster_register.region_clusters(cluster_register.load_clusters(), territory.code)
    assert own_declared.empty and own_declared["title"].tolist() == []
    illustrative = bool(own_declared["illustrative"].any() or own_clusters["illustrative"].any())
    assert isinstance(illustrative, bool)
    shown = own_declared.rename(
        columns={"kind": "Kind", "title": "Priority or competence", "nace_codes": "NACE", "basis": "Basis"}
    )[["Priority or competence", "Kind", "NACE", "Basis", "year"]]
    assert shown.empty
    # the other readers of the table: the complementarity notebook and the competence profile
    assert cp.declared_divisions(declared)["geo"].tolist() == declared["region"].tolist()
    prof = cp.competence_profile(datasets.employment(), "AT12", declared)
    assert (prof["basis"] == "statistics").all()


def test_region_declared_takes_the_region_its_parents_and_children():
    d = cp.load_declared_competences()
    own = cp.region_declared(d, "AT12")
    assert len(own) and set(own["region"]) <= {"AT", "AT1", "AT12"} | {c for c in d["region"] if c.startswith("AT12")}
    assert cp.region_declared(d, "AT").shape[0] >= own.shape[0]
