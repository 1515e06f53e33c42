"""Programme indicators: ClusteriX 2.0's published targets and results (docs/domain.md §1.3) as the
default, checked against the monitoring data that carry the same facts; progress against targets; the
counts from the consortium's records, recomputed here from the records themselves; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import programme as pg
from clusterix_lib import trip_feedback as fb
from clusterix_lib.errors import DataFileError
from clusterix_lib.monitoring import load_monitoring
from clusterix_lib.peer_review import list_reviews
from clusterix_lib.study_trips import list_trips, load_trip

# docs/domain.md §1.3 (target, achieved; NaN = none published)
PUBLISHED = {
    "PLE": (32, 117),
    "GP": (20, np.nan),
    "CAP": (50, 60),
    "AP": (10, np.nan),
    "MEDIA": (50, np.nan),
    "PI": (10, np.nan),
    "FUNDS": (np.nan, 13_000_000),
    "MCP": (np.nan, 70),
    "COLL": (5, np.nan),
}


def test_default_is_the_published_clusterix2_figures():
    t = pg.load_programme_indicators().set_index("code")
    assert list(t.index) == list(PUBLISHED)
    for code, (target, achieved) in PUBLISHED.items():
        assert t.loc[code, "target"] == pytest.approx(target, nan_ok=True), code
        assert t.loc[code, "achieved"] == pytest.approx(achieved, nan_ok=True), code
    assert t.loc["PLE", "target_alternative"] == 81 and "disagree" in t.loc["PLE", "target_note"]
    assert t["source"].str.startswith("https://").all()


def test_published_figures_agree_with_the_monitoring_data():
    mon = load_monitoring()
    targets = mon.targets[mon.targets["scope"] == "project"].set_index("indicator")["target"]
    values = mon.values[mon.values["scope"] == "project"].set_index("indicator")["achieved"]
    t = pg.load_programme_indicators().set_index("code")
    for code in t.index:
        assert t.loc[code, "target"] == pytest.approx(targets.get(code, np.nan), nan_ok=True), code
        assert t.loc[code, "achieved"] == pytest.approx(values.get(code, np.nan), nan_ok=True), code


def test_progress_statuses():
    p = pg.indicator_progress(pg.load_programme_indicators()).set_index("code")
    assert p.loc["PLE", "share"] == pytest.approx(117 / 32) and p.loc["PLE", "status"] == "target met"
    assert p.loc["CAP", "share"] == pytest.approx(1.2) and p.loc["CAP", "status"] == "target met"
    assert p.loc["GP", "status"] == "no result published" and p.loc["MCP", "status"] == "no target published"
    below = pg.indicator_progress(pd.DataFrame({"code": ["X"], "target": [10.0], "achieved": [4.0]}))
    assert below["status"].item() == "below target" and below["share"].item() == 0.4


def test_recorded_counts_recomputed_from_the_records():
    rec = pg.recorded_indicators().set_index("code")
    trips = [load_trip(t) for t in list_trips()["trip"]]
    assert rec.loc["PLE", "recorded"] == len(trips) + len(list_reviews()) == 6
    # people: the R7 rule on each trip's feedback, one person counted once across trips
    people = set()
    for t in trips:
        f = fb.load_feedback(fb.feedback_path(t))
        wide = f[f["section"].str.startswith("capacity")].pivot_table(
            index=["participant", "item"], columns="section", values="value", aggfunc="first"
        )
        up = (wide["capacity_after"] - wide["capacity_before"] >= 1).groupby(level="participant").sum()
        names = t.participants.set_index("participant")[["name", "organisation"]]
        people |= {tuple(names.loc[p]) for p in up[up >= 2].index}
    assert rec.loc["CAP", "recorded"] == len(people)
    assert rec.loc["GP", "recorded"] == 4 and rec.loc["AP", "recorded"] == 10
    assert rec["recorded_illustrative"].all()


def test_partner_contributions_add_up():
    c = pg.partner_contributions()
    trips = list_trips()
    assert c["trips_hosted"].sum() == len(trips)
    assert c["trips_visited"].sum() == trips["visiting"].str.split(", ").map(len).sum()
    assert c["transfers_in"].sum() == c["transfers_out"].sum()
    assert (
        c["practices"].sum() == 18
        and c["people_capacity_increased"].sum() == pg.recorded_indicators().set_index("code").loc["CAP", "recorded"]
    )


def test_targets_of_another_consortium(tmp_path):
    other = tmp_path / "my_partners.csv"
    other.write_text("x", encoding="utf-8")
    assert pg.programme_targets() == [{"consortium": "consortium_clusterix2"}]
    assert pg.programme_targets(other) == [{"consortium": "my_partners", "consortium_file": str(other.resolve())}]
    assert pg.indicators_path(other) == tmp_path / "programme_indicators.csv"


HEADER = ",".join(pg.INDICATOR_COLUMNS)


@pytest.mark.parametrize(
    "row, column, fragment",
    [
        ("PLE,Events,output,events,many,,,117,,2021-03-31,x", "target", "target is not a number"),
        ("PLE,Events,outcome,events,32,,,117,,2021-03-31,x", "type", "unknown indicator type"),
        ("PLE,Events,output,events,32,,,117,,31/03/2021,x", "period_end", "period_end is not a date"),
        (",Events,output,events,32,,,117,,2021-03-31,x", "code", "empty code"),
    ],
)
def test_bad_indicator_table(tmp_path, row, column, fragment):
    path = tmp_path / "programme_indicators.csv"
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        pg.load_programme_indicators(path)
    msg = str(err.value)
    assert fragment in msg and f"file {path}, line 2, column {column!r}" in msg, msg


def test_duplicate_code_and_missing_file(tmp_path):
    path = tmp_path / "programme_indicators.csv"
    row = "PLE,Events,output,events,32,,,117,,2021-03-31,x"
    path.write_text(f"{HEADER}\n{row}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="indicator code used twice.*line 3"):
        pg.load_programme_indicators(path)
    with pytest.raises(DataFileError, match="programme indicators not found"):
        pg.load_programme_indicators(tmp_path / "none.csv")


def test_summary_keeps_proper_nouns_and_says_disagreement_once():
    progress = pg.indicator_progress(pg.load_programme_indicators(pg.indicators_path()))
    text = "\n".join(pg.summary_lines(progress))
    assert "(Structural Funds and other)" in text and "structural funds" not in text
    assert text.count("the sources disagree") + text.count("The sources disagree") == 1
    assert "policy-learning events organised (117 against 32)" in text
    assert "(s)" not in text and "5 indicators:" in text
