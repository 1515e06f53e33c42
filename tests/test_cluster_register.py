"""Cluster register: loading, bad input, and cross-cluster matchmaking on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import cluster_register as cr
from clusterix_lib.errors import DataFileError, ParameterError

HEADER = (
    "cluster_id,name,region,nace_codes,members_sme,members_large,members_research,members_public,"
    "members_other,label,illustrative,source\n"
)


def test_committed_register_loads():
    reg = cr.load_clusters()
    assert reg["illustrative"].all()
    assert (reg["members_total"] > 0).all()
    assert reg["cluster_id"].is_unique


@pytest.mark.parametrize(
    "row, column, value",
    [
        ("c2,Two,,C22,1,1,1,1,1,,yes,\n", "region", ""),  # a cluster without a region
        ("c2,Two,AT12,C22;X1,1,1,1,1,1,,yes,\n", "nace_codes", "X1"),
        ("c2,Two,AT12,C22,-3,1,1,1,1,,yes,\n", "members_sme", "-3"),
        ("c2,Two,AT12,C22,1.000,1,1,1,1,,yes,\n", "members_sme", "1.000"),  # 1000 or 1? refused
        ("c2,Two,AT12,C22,2.5,1,1,1,1,,yes,\n", "members_sme", "2.5"),
        ("c2,Two,AT12,C22,1,1,1,1,1,platinum,yes,\n", "label", "platinum"),
        ("c1,Two,AT12,C22,1,1,1,1,1,,yes,\n", "cluster_id", "c1"),
    ],
)
def test_bad_rows(tmp_path, row, column, value):
    p = tmp_path / "clusters.csv"
    p.write_text(HEADER + "c1,One,AT12,C10,1,1,1,1,1,gold,yes,\n" + row, encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        cr.load_clusters(p)
    msg = str(exc.value)
    assert str(p) in msg and "line 3" in msg and column in msg and repr(value) in msg


def _register():
    return pd.DataFrame(
        {
            "cluster_id": ["plast", "auto", "food", "plast2"],
            "name": ["Plastics", "Automotive", "Food", "Plastics too"],
            "region": ["AT12", "AT12", "HU22", "HU22"],
            "divisions": [["C22"], ["C29"], ["C10"], ["C22"]],
        }
    )


SECTORS = ["C10", "C22", "C29"]
PHI = np.array([[0.0, 0.1, 0.0], [0.1, 0.0, 0.8], [0.0, 0.8, 0.0]])


def test_unknown_member_counts_stay_unknown(tmp_path):
    p = tmp_path / "clusters.csv"
    p.write_text(
        HEADER + "c1,One,AT12,C10,10,1,1,1,1,gold,yes,\nc2,Two,AT12,C22,,,,,,,yes,\n"
        'c3,Three,AT12,C23,"1,030",2,,1,1,,yes,\n',
        encoding="utf-8",
    )
    reg = cr.load_clusters(p).set_index("cluster_id")
    assert reg.at["c1", "members_total"] == 14
    assert pd.isna(reg.at["c2", "members_sme"]) and pd.isna(reg.at["c2", "members_total"])  # not 0
    assert reg.at["c3", "members_sme"] == 1030 and pd.isna(reg.at["c3", "members_total"])  # no partial sum


def test_value_chain_pair_ranks_first_within_region():
    pairs = cr.cluster_pairs(_register(), PHI, SECTORS, scope="within")
    top = pairs.iloc[0]
    assert {top["cluster_a"], top["cluster_b"]} == {"plast", "auto"}
    assert top["related"] == pytest.approx(0.8) and top["shared"] == 0
    assert "proximity 0.80" in top["reason"]
    assert set(pairs["scope"]) == {"within region"}


def test_same_sectors_share_fully_across_regions():
    pairs = cr.cluster_pairs(_register(), PHI, SECTORS, scope="across", region="AT12")
    assert (pairs["region_a"] == "AT12").all() and (pairs["region_b"] == "HU22").all()
    same = pairs[(pairs["cluster_a"] == "plast") & (pairs["cluster_b"] == "plast2")].iloc[0]
    assert same["shared"] == 1.0 and same["related"] == 0.0
    assert same["score"] == pytest.approx(0.4)
    assert "share 100%" in same["reason"]


def test_pairs_are_each_listed_once_and_scores_bounded():
    pairs = cr.cluster_pairs(_register(), PHI, SECTORS)
    assert len(pairs) == 6
    assert pairs["score"].between(0, 1).all()
    assert pairs["score"].is_monotonic_decreasing


def test_bad_parameters():
    with pytest.raises(ParameterError):
        cr.cluster_pairs(_register(), PHI, SECTORS, scope="everywhere")
    with pytest.raises(ParameterError):
        cr.cluster_pairs(_register(), PHI, SECTORS, w_shared=2)


def test_header_only_register_is_an_empty_register(tmp_path):
    # a partner who has no cluster yet: the file has only its header; the profile code must run on it
    p = tmp_path / "clusters.csv"
    p.write_text(HEADER, encoding="utf-8")
    empty = cr.load_clusters(p)
    full = cr.load_clusters()
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert empty["illustrative"].dtype == bool and empty["divisions"].dtype == object
    own = cr.region_clusters(empty, "AT12")
    assert own.empty and "cluster_id" in own.columns
    assert not bool(own["illustrative"].any())
    assert cr.region_clusters(full, "AT1")["region"].str.startswith("AT1").all()
