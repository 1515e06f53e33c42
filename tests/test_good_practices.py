"""The good-practice register: loading and its checks, completeness against the template, rubric R3
quality and the checks before submission; the default register and the peer-review lookup."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterix_lib import good_practices as gp
from clusterix_lib import recommendations as rc
from clusterix_lib.errors import DataFileError
from clusterix_lib.peer_review import list_reviews, load_review

HEADER = "id,title,region,status,linked_to_project,illustrative"


def write(tmp_path, text: str):
    path = tmp_path / "good_practices.csv"
    path.write_text(text, encoding="utf-8")
    return path


def row(**fields) -> pd.DataFrame:
    """One register row: every column empty except ``fields``."""
    base = {c: "" for c in gp.COLUMNS} | {"id": "GP-1", "linked_to_project": True, "illustrative": False}
    return pd.DataFrame([base | fields])


# --------------------------------------------------------------------------------------
# The default register
# --------------------------------------------------------------------------------------


def test_default_register_loads_and_is_marked():
    reg = gp.load_good_practices()
    assert len(reg) >= 15 and reg["id"].is_unique
    public = reg[~reg["illustrative"]]
    # every practice taken from public material names its source; invented ones say so in the note
    assert public["source"].str.startswith("https://").all()
    assert reg.loc[reg["illustrative"], "note"].str.startswith("ILLUSTRATIVE").all()
    # every partner region has practices of its own
    from clusterix_lib.consortium import consortium_regions, load_consortium

    assert set(consortium_regions(load_consortium())["nuts_code"]) <= set(reg["region"])
    assert reg["in_consortium"].all()


def test_peer_review_recommendations_find_their_practices():
    register = rc.good_practice_register()
    assert register is not None and {"id", "title"} <= set(register.columns)
    for review in list_reviews()["review"]:
        rv = load_review(review)
        links = rc.linked_good_practices(rc.load_recommendations(rv.recommendations_path, rv.rubric()), register)
        assert links["found"].all(), links[~links["found"]]


def test_missing_register_is_empty(tmp_path):
    reg = gp.load_good_practices(tmp_path / "none.csv")
    assert reg.empty and list(reg.columns) == [*gp.COLUMNS, "in_consortium"]


# --------------------------------------------------------------------------------------
# Bad input: a clear message naming file, line, column and value
# --------------------------------------------------------------------------------------

BAD = {
    "unknown status": (f"{HEADER}\nGP-1,A,AT12,aproved,true,false\n", 2, "status", "aproved"),
    "duplicate id": (f"{HEADER}\nGP-1,A,AT12,draft,true,false\nGP-1,B,CZ08,draft,true,false\n", 3, "id", "GP-1"),
    "region not a NUTS code": (f"{HEADER}\nGP-1,A,XX99,draft,true,false\n", 2, "region", "XX99"),
    "empty title": (f"{HEADER}\nGP-1,,AT12,draft,true,false\n", 2, "title", ""),
    "not true or false": (f"{HEADER}\nGP-1,A,AT12,draft,maybe,false\n", 2, "linked_to_project", "maybe"),
    "ends before it starts": (
        f"{HEADER},timescale_start,timescale_end\nGP-1,A,AT12,draft,true,false,2018-05,2017\n",
        2,
        "timescale_end",
        "2017",
    ),
    "malformed start": (
        f"{HEADER},timescale_start\nGP-1,A,AT12,draft,true,false,May 2018\n",
        2,
        "timescale_start",
        None,
    ),
    "evidence out of scale": (f"{HEADER},evidence_level\nGP-1,A,AT12,draft,true,false,4\n", 2, "evidence_level", "4"),
    "policy link not whole": (f"{HEADER},policy_link\nGP-1,A,AT12,draft,true,false,1.5\n", 2, "policy_link", "1.5"),
    "negative cost": (f"{HEADER},resources_eur\nGP-1,A,AT12,draft,true,false,-5\n", 2, "resources_eur", "-5"),
    "unknown theme": (f"{HEADER},theme\nGP-1,A,AT12,draft,true,false,clusters\n", 2, "theme", "clusters"),
    "unknown topic": (f"{HEADER},topic\nGP-1,A,AT12,draft,true,false,Digital\n", 2, "topic", "Digital"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_register_names_file_line_column_and_value(case, tmp_path):
    text, line, column, value = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as err:
        gp.load_good_practices(path)
    msg = str(err.value)
    assert f"file {path}" in msg and f"line {line}" in msg and f"column {column!r}" in msg, msg
    if value is not None:
        assert f"value {value!r}" in msg, msg
    assert "What to do:" in msg


def test_missing_and_unknown_columns(tmp_path):
    with pytest.raises(DataFileError, match=r"lacks the column\(s\) status.*line 1"):
        gp.load_good_practices(write(tmp_path, "id,title,region,linked_to_project,illustrative\n"))
    with pytest.raises(DataFileError, match=r"unknown column 'summmary'"):
        gp.load_good_practices(write(tmp_path, f"{HEADER},summmary\nGP-1,A,AT12,draft,true,false,x\n"))


def test_values_are_normalised(tmp_path):
    path = write(
        tmp_path,
        f'{HEADER},timescale_start,timescale_end,resources_eur\n GP-1 , A , at12 ,Draft,Yes,no,2016,Ongoing,"12,500"\n',
    )
    r = gp.load_good_practices(path).iloc[0]
    assert (r["id"], r["region"], r["status"], r["linked_to_project"], r["illustrative"]) == (
        "GP-1",
        "AT12",
        "draft",
        True,
        False,
    )
    assert r["timescale_end"] == "ongoing" and r["resources_eur"] == 12500.0


# --------------------------------------------------------------------------------------
# Completeness, quality (R3), submission checks
# --------------------------------------------------------------------------------------


def test_completeness_counts_the_template_fields():
    reg = row(title="Vouchers", region="AT12", summary="s", timescale_start="2016", status="draft")
    summary = gp.completeness_summary(reg).iloc[0]
    # title, region, summary, status filled; the timescale needs an end (or "ongoing") as well
    assert (summary["n_filled"], summary["n_fields"]) == (4, 14)
    assert summary["share"] == pytest.approx(4 / 14)
    assert summary["missing"][:3] == ["Main institution", "Topic", "Detailed description"]
    assert "Timescale (start, end or ongoing)" in summary["missing"]
    full = row(
        **{f: "x" for f in gp.TEMPLATE_FIELDS if f != "timescale"}, timescale_start="2016", timescale_end="ongoing"
    )
    assert gp.completeness_summary(full)["share"].item() == 1.0
    assert gp.submission_checks(full.assign(evidence_level=3.0, policy_link=2.0)).empty


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3), st.integers(0, 2), st.sampled_from(gp.STATUSES), st.booleans())
def test_r3_countable_rule(evidence, link, status, linked):
    q = gp.quality(
        row(evidence_level=float(evidence), policy_link=float(link), status=status, linked_to_project=linked)
    )
    countable = evidence >= 2 and link >= 1
    assert q["countable"].item() == countable
    assert q["counts_for_indicator"].item() == (countable and linked and status in gp.COUNTING_STATUSES)


def test_not_assessed_is_not_countable_and_is_flagged():
    reg = row(title="T", status="published")
    q = gp.quality(reg).iloc[0]
    assert not q["assessed"] and not q["countable"]
    checks = gp.submission_checks(reg)
    assert "evidence and policy link not assessed (rubric R3)" in checks["message"].tolist()
    low = gp.submission_checks(row(title="T", evidence_level=1.0, policy_link=2.0, linked_to_project=False))
    assert "not countable: evidence 1 (needs >= 2), policy link 2 (needs >= 1)" in low["message"].tolist()
    assert "not linked to the project: it will not count" in low["message"].tolist()


def test_default_register_indicator_count():
    reg = gp.load_good_practices()
    q = gp.quality(reg)
    expected = reg[
        (reg["evidence_level"] >= 2)
        & (reg["policy_link"] >= 1)
        & reg["linked_to_project"]
        & reg["status"].isin(["approved_project", "published", "validated_platform"])
    ]["id"]
    assert q.loc[q["counts_for_indicator"], "id"].tolist() == expected.tolist()
    assert len(expected) == 4


def test_practice_page_follows_the_template():
    page = gp.practice_page(
        row(
            title="Vouchers",
            region="AT12",
            city="St. Pölten",
            resources_needed="A budget line",
            resources_eur=1500000.0,
            resources_fte=1.0,
            timescale_end="ongoing",
            theme="skills and talent",
        ).iloc[0]
    )
    labels = [label for label, _ in page]
    assert labels == list(gp.TEMPLATE_FIELDS.values())
    text = dict(page)
    assert text["Location (NUTS region)"] == "AT12, St. Pölten"
    assert text["Resources needed"] == "A budget line (€1,500,000, 1 FTE)"
    assert text["Timescale (start, end or ongoing)"] == "ongoing (start not given)"
    assert text["Detailed description"] == "(not yet described)"
    assert text["Topic"] == "(no topic); theme: skills and talent"


def test_sources_list_each_url_once_and_the_illustrative_entries():
    reg = gp.load_good_practices()
    sources = gp.gp_sources(reg)
    urls = [s["url"] for s in sources if s.get("url")]
    assert len(urls) == len(set(urls)) and all(u.startswith("https://") for u in urls)
    assert any("illustrative" in s["title"] for s in sources)


# ----------------------------------------------------------------- words for the reports


def test_every_status_has_a_readable_label_on_the_practice_page():
    assert set(gp.STATUS_LABELS) == set(gp.STATUSES)
    assert all("_" not in label for label in gp.STATUS_LABELS.values())
    page = dict(gp.practice_page(pd.Series({c: "" for c in gp.COLUMNS} | {"status": "validated_platform"})))
    assert page["Status in the workflow"] == gp.STATUS_LABELS["validated_platform"]
    assert "validated_platform" not in gp.practice_markdown(
        pd.Series({c: "" for c in gp.COLUMNS} | {"id": "GP-1", "title": "T", "status": "validated_platform"})
    )


def test_data_label_is_never_blank():
    ill = pd.Series([True, False, False, False])
    src = pd.Series(["ILLUSTRATIVE (made up)", "https://a.eu/x ; https://a.eu/x", "", None])
    assert gp.data_label(ill, src).tolist() == ["illustrative", "https://a.eu/x", "public", "public"]
    assert gp.data_label(pd.Series([False, True])).tolist() == ["public", "illustrative"]
