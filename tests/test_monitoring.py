"""Instrument monitoring: the committed data, hand-computed attainment, trends and delays, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clusterix_lib import monitoring as mo
from clusterix_lib.errors import ClusterixError, DataFileError


@pytest.fixture(scope="module")
def mon():
    return mo.load_monitoring()


def test_committed_data_public_and_illustrative_rows(mon):
    assert len(mon.instruments) == 10  # Lund University has no instrument of its own
    proj = mon.targets[mon.targets["scope"] == "project"]
    assert not proj["illustrative"].any() and mon.targets[mon.targets["scope"] != "project"]["illustrative"].all()
    assert mon.actions["illustrative"].all() and mon.status["illustrative"].all()
    ple = mo.target_attainment(mon, scopes=["project"]).set_index("indicator")
    # domain.md §1.3: target 32 (81 in kohesio), 117 events; 60 people against >= 50
    assert ple.loc["PLE", "target"] == 32 and ple.loc["PLE", "achieved"] == 117 and "81" in ple.loc["PLE", "note"]
    assert ple.loc["CAP", "progress"] == pytest.approx(60 / 50) and ple.loc["CAP", "flag"] == "achieved"
    assert ple.loc["GP", "flag"] == "no data" and np.isnan(ple.loc["GP", "achieved"])  # unknown, not zero
    assert ple.loc["MCP", "flag"] == "no target"
    assert mon.illustrative_in(["HU22-OP"]) and not mon.illustrative_in([])


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text.strip() + "\n", encoding="utf-8")


@pytest.fixture
def small(tmp_path):
    f = tmp_path / "monitoring"
    f.mkdir()
    _write(f, "instruments.csv", "instrument_id,nuts_code,name,type\nI1,AT12,Programme,IGJ/ERDF OP")
    _write(
        f,
        "indicators.csv",
        """
code,name,type,unit,definition,level
OUT,Projects,output,projects,projects funded,instrument
RES,Firms,result,firms,firms cooperating,instrument
DEC,Emissions,result,t,emissions,instrument
NOT,No target,output,events,events,instrument
""",
    )
    _write(
        f,
        "indicator_targets.csv",
        """
indicator,scope,baseline,baseline_date,target,target_date
OUT,I1,,2017-01-01,40,2021-01-01
RES,I1,,,50,2021-01-01
DEC,I1,100,2017-01-01,60,2021-01-01
""",
    )
    _write(
        f,
        "indicator_values.csv",
        """
indicator,scope,period,period_end,achieved
OUT,I1,2018,2018-01-01,5
OUT,I1,2019,2019-01-01,10
RES,I1,2019,2019-01-01,30
DEC,I1,2018,2018-01-01,95
DEC,I1,2019,2019-01-01,80
NOT,I1,2019,2019-01-01,3
""",
    )
    _write(
        f,
        "actions.csv",
        """
instrument_id,action_no,title,players,planned_start,planned_end,actual_start,actual_end,cost_eur,cost_note
I1,1,Call,agency; clusters,2019-01-01,2019-12-31,2019-04-01,2020-06-30,1000,
I1,2,Law,ministry,2019-06-01,2020-06-01,,,,none
""",
    )
    _write(
        f,
        "action_status.csv",
        """
instrument_id,action_no,period,period_end,status,rag
I1,1,2019-S2,2019-12-31,in progress,amber
I1,2,2019-S2,2019-12-31,not started,red
I1,1,2020-S1,2020-06-30,implemented,green
I1,2,2020-S1,2020-06-30,preparing,amber
""",
    )
    return f


def test_attainment_by_hand(small):
    m = mo.load_monitoring(small)
    with pytest.warns(mo.MonitoringWarning, match="OUT"):
        a = mo.target_attainment(m).set_index("indicator")
    # OUT: baseline missing for an output -> 0; progress 10/40 after 2 of 4 years (expected 0.5)
    assert a.loc["OUT", "baseline"] == 0 and "baseline taken as 0" in a.loc["OUT", "baseline_note"]
    assert a.loc["OUT", "progress"] == pytest.approx(0.25)
    assert a.loc["OUT", "expected"] == pytest.approx(2 / 4, abs=0.002)
    assert a.loc["OUT", "flag"] == "behind" and "25%" in a.loc["OUT", "reason"]
    # slope 5 per year, projected at 2021: 10 + 5 * 2 = 20 < 40
    assert a.loc["OUT", "slope_per_year"] == pytest.approx(5, rel=1e-3)
    assert a.loc["OUT", "projected"] == pytest.approx(20, rel=1e-2) and a.loc["OUT", "projected_shortfall"]
    # a result indicator without baseline is not guessed
    assert a.loc["RES", "flag"] == "no baseline" and np.isnan(a.loc["RES", "progress"])
    # a falling target: (80 - 100) / (60 - 100) = 0.5 after half the time -> on track
    assert a.loc["DEC", "progress"] == pytest.approx(0.5) and a.loc["DEC", "flag"] == "on track"
    assert a.loc["NOT", "flag"] == "no target"


def test_as_of_and_periods_outside_the_data(small):
    m = mo.load_monitoring(small)
    with pytest.warns(mo.MonitoringWarning):
        a = mo.target_attainment(m, as_of="2018-06-30").set_index("indicator")
    assert a.loc["OUT", "achieved"] == 5 and a.loc["RES", "flag"] == "no data"
    with pytest.raises(ClusterixError, match="2018-01-01"):
        mo.target_attainment(m, as_of="2010-01-01")
    with pytest.raises(ClusterixError, match="2019-S2, 2020-S1"):
        mo.status_in_period(m, "2021-S2")


def test_action_plan_status_delays_and_rag(small):
    m = mo.load_monitoring(small)
    s = mo.action_plan_status(m).set_index("action_no")
    assert s.loc[1, "start_delay"] == pytest.approx(round(90 / 30.4375, 1))  # 1 Jan -> 1 Apr
    assert s.loc[1, "end_delay"] == pytest.approx(round(182 / 30.4375, 1))
    assert np.isnan(s.loc[2, "start_delay"]) and s.loc[2, "status"] == "preparing"
    assert s.loc[1, "rag"] == "green"  # the latest period
    early = mo.action_plan_status(m, period="2019-S2").set_index("action_no")
    assert early.loc[2, "rag"] == "red"
    rag = mo.rag_by_period(m)
    assert rag.loc["2019-S2"].tolist() == [0, 1, 1] and rag.loc["2020-S1"].tolist() == [1, 1, 0]
    fig = mo.plot_gantt(s.reset_index(), as_of="2020-06-30")
    bars = [p for p in fig.axes[0].patches]
    assert len(bars) == 3  # two planned bars, one actual (action 2 has not started)


@pytest.mark.parametrize(
    ("file", "old", "new", "match"),
    [
        ("action_status.csv", "in progress,amber", "in progress,orange", "unknown RAG"),
        ("action_status.csv", "not started,red", "stalled,red", "unknown action status"),
        ("actions.csv", ",,,,none", ",,,,", "without a cost"),
        ("actions.csv", "2019-06-01,2020-06-01", "2020-06-01,2019-06-01", "planned end before"),
        ("indicator_values.csv", "NOT,I1", "XXX,I1", "unknown indicator"),
        ("indicator_values.csv", "2019-01-01,30", "2019-13-01,30", "not a date"),
        ("indicator_targets.csv", "60,2021", "sixty,2021", "target must be a number"),
        ("actions.csv", "2020-06-30,1000,", "2020-06-30,1.000,", "dot between groups of three digits"),
        ("actions.csv", "2020-06-30,1000,", "2020-06-30,1000 EUR,", "cost_eur must be a number"),
        ("indicator_values.csv", "RES,I1", "RES,I9", "unknown scope"),
    ],
)
def test_bad_input_names_file_line_column_value(small, file, old, new, match):
    p = small / file
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    with pytest.raises(DataFileError, match=match) as err:
        mo.load_monitoring(small)
    msg = str(err.value)
    assert file in msg and "line " in msg and "column " in msg


def test_missing_folder_and_file(tmp_path, small):
    with pytest.raises(DataFileError, match="no monitoring folder"):
        mo.load_monitoring(tmp_path / "nowhere")
    shutil.copytree(small, tmp_path / "copy")
    (tmp_path / "copy" / "actions.csv").unlink()
    with pytest.raises(DataFileError, match="actions.csv"):
        mo.load_monitoring(tmp_path / "copy")


def test_trend_is_vectorised_over_series():
    v = pd.DataFrame(
        {
            "indicator": ["A"] * 3 + ["B"] * 2 + ["C"],
            "scope": "s",
            "achieved": [1.0, 2.0, 3.0, 10.0, 4.0, 7.0],
            "period_end": pd.to_datetime(
                ["2018-01-01", "2019-01-01", "2020-01-01", "2018-01-01", "2020-01-01", "2019-01-01"]
            ),
        }
    )
    t = mo.indicator_trend(v).set_index("indicator")["slope_per_year"]
    assert t["A"] == pytest.approx(1.0, rel=2e-3) and t["B"] == pytest.approx(-3.0, rel=2e-3) and np.isnan(t["C"])


# ---------------------------------------------------------------------------------------------
# Disputed targets and readable figures (review of the policy-evaluation report)
# ---------------------------------------------------------------------------------------------


def test_committed_disputed_target_shows_both_progress_figures(mon):
    # PLE: 117 events; the project page says 32, Kohesio 81 -> neither 366 % nor 144 % alone
    a = mo.target_attainment(mon, scopes=["project"]).set_index("indicator")
    assert a.loc["PLE", "flag"] == "target disputed"
    assert a.loc["PLE", "target"] == 32 and a.loc["PLE", "target_other"] == 81
    assert a.loc["PLE", "progress"] == pytest.approx(117 / 32)
    assert a.loc["PLE", "progress_other"] == pytest.approx(117 / 81)
    assert "366%" in a.loc["PLE", "reason"] and "144%" in a.loc["PLE", "reason"]
    assert "achieved against both" in a.loc["PLE", "reason"]
    # an undisputed target keeps its flag and has no other target
    assert a.loc["CAP", "flag"] == "achieved" and np.isnan(a.loc["CAP", "target_other"])
    assert np.isnan(a.loc["CAP", "progress_other"])


def test_target_other_column_wins_and_flags_a_disagreement(small):
    text = (small / "indicator_targets.csv").read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    lines[0] += ",target_other,note"
    for i, line in enumerate(lines[1:], start=1):
        if line.startswith("DEC,"):
            lines[i] += ",120,"  # another source: 120 instead of 60
        elif line.startswith("NOT,"):
            lines[i] += ",,the sources disagree"  # no target at all: stays "no target"
        else:
            lines[i] += ",,"
    (small / "indicator_targets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    m = mo.load_monitoring(small)
    with pytest.warns(mo.MonitoringWarning):
        a = mo.target_attainment(m).set_index("indicator")
    # DEC: baseline 100, achieved 80; (80-100)/(60-100) = 0.5, (80-100)/(120-100) = -1
    assert a.loc["DEC", "flag"] == "target disputed"
    assert a.loc["DEC", "progress"] == pytest.approx(0.5) and a.loc["DEC", "progress_other"] == pytest.approx(-1)
    assert "achieved against neither" in a.loc["DEC", "reason"]
    assert a.loc["NOT", "flag"] == "no target" and a.loc["OUT", "flag"] == "behind"


def _overlapping_ticklabels(fig, ax) -> bool:
    fig.canvas.draw()
    boxes = sorted(
        (t.get_window_extent() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()), key=lambda b: b.x0
    )
    # labels that touch run together ("2018-012018-05"): ask for a visible gap between neighbours
    return any(b.x0 - a.x1 < 4 for a, b in zip(boxes[:-1], boxes[1:], strict=True))


def test_indicator_progress_dates_and_titles_readable(mon):
    import matplotlib

    matplotlib.use("Agg")
    pd.plotting.register_matplotlib_converters()  # as in a report, where pandas has registered its date units
    fig = mo.plot_indicator_progress(mon, "RO21-OP")
    name = mon.indicators.set_index("code").loc["INS-PROJ", "name"]
    for ax in fig.axes:
        assert not _overlapping_ticklabels(fig, ax)
        title = ax.get_title(loc="left")
        assert "…" not in title
    # the long indicator name is wrapped, word for word, not cut
    assert " ".join(fig.axes[0].get_title(loc="left").split()) == name
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:  # each title inside the figure and within its own panel's width
        box = ax._left_title.get_window_extent(renderer)
        assert box.x0 >= fig.bbox.x0 - 1 and box.x1 <= fig.bbox.x1 + 1


def test_gantt_dates_and_labels_readable(mon):
    import matplotlib

    matplotlib.use("Agg")
    pd.plotting.register_matplotlib_converters()
    acts = mo.action_plan_status(mon, instruments=["RO21-OP"])
    fig = mo.plot_gantt(acts, as_of="2020-12-31")
    ax = fig.axes[0]
    assert not _overlapping_ticklabels(fig, ax)
    labels = [" ".join(t.get_text().split()) for t in ax.get_yticklabels()]
    want = [f"{n}. {t}" for n, t in zip(acts["action_no"], acts["title"], strict=True)]
    assert labels == want  # whole titles, wrapped over lines, none cut
