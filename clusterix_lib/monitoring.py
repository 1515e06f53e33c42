"""Policy instruments, their indicators and the action plans that improve them: data and monitoring.

A consortium's monitoring data live in ``monitoring/`` next to its consortium file
(``data/monitoring/`` for the default consortium); :func:`load_monitoring` reads and checks them:

=========================  ==========================================================================
``instruments.csv``        the policy instruments: ``instrument_id, nuts_code, partner_nos, name, type,
                           managing_authority, period``
``indicators.csv``         indicator definitions (Interreg CENTRAL EUROPE format): ``code, name, type,
                           unit, definition, counting_rules, time_of_measurement, scheme, level,
                           cumulative``
``indicator_targets.csv``  ``indicator, scope`` (``project`` or an instrument id), ``baseline,
                           baseline_date, target, target_date``; optional ``target_other`` (the
                           target another source gives, where the sources disagree)
``indicator_values.csv``   achievements by period: ``indicator, scope, period, period_end, achieved,
                           evidence, status``
``actions.csv``            action-plan actions: ``instrument_id, action_no, title, improvement_type,
                           players, planned_start, planned_end, actual_start, actual_end, cost_eur,
                           cost_note, funding_sources``
``action_status.csv``      monitoring of each action by period: ``instrument_id, action_no, period,
                           period_end, status, rag, deviation_reason, evidence``
=========================  ==========================================================================

Every file also has ``illustrative`` (true for made-up example rows, which every report showing
them must say) and ``source``. Monitoring rules:

* **Progress** toward a target: :math:`p = (a - b) / (T - b)` with a the latest achievement, b
  the baseline and T the target (any direction: a target below the baseline works the same way).
  **Expected progress** by the date of a: the share of the time from the baseline date to the
  target date that has passed. **Flags**: ``achieved`` (p >= 1), ``on track`` (p >= expected -
  ``tolerance``), ``behind``; ``no data``, ``no target``, ``no baseline`` where they cannot be computed.
* **Disputed target**: where the sources disagree on a target -- a ``target_other`` (the figure a
  second source gives) differing from ``target`` -- the flag is ``target disputed``
  rather than one progress figure presented as fact; progress against the other target is
  ``progress_other`` and the ``reason`` gives both.
* A missing baseline of an **output** indicator (things the project produces, counted from its
  start) is taken as 0 and said so; a missing baseline of a result indicator is not guessed: the
  indicator gets ``no baseline``.
* **Trend**: the least-squares slope of the achievements per year, and the value it projects for
  the target date (``projected_shortfall`` when below target).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib.confidentiality import read_levels
from clusterix_lib.errors import ClusterixError, DataFileError, ParameterError, location
from clusterix_lib.fileio import number_column, read_text_csv, row_failer

__all__ = [
    "ACTION_STATUSES",
    "RAG",
    "Monitoring",
    "MonitoringWarning",
    "action_plan_status",
    "indicator_trend",
    "load_monitoring",
    "monitoring_dir",
    "plot_gantt",
    "plot_indicator_progress",
    "rag_by_period",
    "status_in_period",
    "target_attainment",
]

ACTION_STATUSES = ("not started", "preparing", "in progress", "implemented", "implemented with effect", "abandoned")
RAG = ("green", "amber", "red")
INDICATOR_TYPES = ("output", "result", "performance", "self-defined", "cluster KPI")
RAG_COLOURS = {"green": "#2e7d32", "amber": "#f59e0b", "red": "#c62828", "": "#9ca3af"}

FILES = {
    "instruments": "instruments.csv",
    "indicators": "indicators.csv",
    "targets": "indicator_targets.csv",
    "values": "indicator_values.csv",
    "actions": "actions.csv",
    "status": "action_status.csv",
}
REQUIRED = {
    "instruments": ["instrument_id", "nuts_code", "name", "type"],
    "indicators": ["code", "name", "type", "unit", "definition", "level"],
    "targets": ["indicator", "scope", "baseline", "baseline_date", "target", "target_date"],
    "values": ["indicator", "scope", "period", "period_end", "achieved"],
    "actions": ["instrument_id", "action_no", "title", "players", "planned_start", "planned_end"],
    "status": ["instrument_id", "action_no", "period", "period_end", "status", "rag"],
}
OPTIONAL = {
    "instruments": ["partner_nos", "managing_authority", "period", "note"],
    "indicators": ["counting_rules", "time_of_measurement", "scheme", "cumulative"],
    "targets": ["note", "target_other"],
    "values": ["evidence", "status", "note"],
    "actions": [
        "improvement_type",
        "actual_start",
        "actual_end",
        "cost_eur",
        "cost_note",
        "funding_sources",
    ],
    "status": ["deviation_reason", "evidence", "confidentiality"],
}
NUMBERS = {
    "targets": ["baseline", "target", "target_other"],
    "values": ["achieved"],
    "actions": ["cost_eur", "action_no"],
}
DATES = {
    "targets": ["baseline_date", "target_date"],
    "values": ["period_end"],
    "actions": ["planned_start", "planned_end", "actual_start", "actual_end"],
    "status": ["period_end"],
}
NON_EMPTY_DATES = {"values": ["period_end"], "actions": ["planned_start", "planned_end"], "status": ["period_end"]}


class MonitoringWarning(UserWarning):
    """A documented monitoring rule was applied (baseline taken as 0, values left out...)."""


def monitoring_dir(consortium_path: str | Path | None = None) -> Path:
    """Folder of a consortium's monitoring data: ``monitoring/`` next to its consortium file.

    >>> monitoring_dir().name
    'monitoring'
    """
    from clusterix_lib.consortium import default_consortium_path

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    return path.resolve().parent / "monitoring"


def _truthy(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "y"])


def _read(folder: Path, key: str) -> pd.DataFrame:
    path = folder / FILES[key]
    table = read_text_csv(
        path,
        REQUIRED[key],
        what=f"monitoring file {FILES[key]}",
        optional=[*OPTIONAL[key], "illustrative", "source"],
        hint=f"add {FILES[key]} with the columns {', '.join(REQUIRED[key])} (see data/monitoring/README.md)",
    )

    fail = row_failer(path, table)

    required_filled = [c for c in REQUIRED[key] if c not in ("baseline", "baseline_date", "target", "target_date")]
    if key == "values":
        required_filled = [c for c in required_filled if c != "achieved"]
    for c in required_filled:
        empty = table.index[table[c] == ""]
        if len(empty):
            fail(empty[0], c, f"empty {c}", f"fill in {c} on every row")
    for c in NUMBERS.get(key, []):
        table[c] = number_column(table, c, fail)
    for c in DATES.get(key, []):
        d = pd.to_datetime(table[c], errors="coerce", format="%Y-%m-%d")
        bad = table.index[(table[c] != "") & d.isna()]
        if len(bad):
            fail(bad[0], c, f"{c} is not a date", "write dates as YYYY-MM-DD")
        empty = table.index[d.isna()] if c in NON_EMPTY_DATES.get(key, []) else []
        if len(empty):
            fail(empty[0], c, f"empty {c}", "every row needs this date")
        table[c] = d
    table["illustrative"] = _truthy(table["illustrative"])
    if "confidentiality" in OPTIONAL[key]:
        read_levels(table, path)
    table.attrs["path"] = str(path)
    return table


@dataclass
class Monitoring:
    """The checked monitoring tables of a consortium (see the module docstring)."""

    folder: Path
    instruments: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    values: pd.DataFrame
    actions: pd.DataFrame
    status: pd.DataFrame

    def instruments_of(self, region: str) -> pd.DataFrame:
        """The instruments of a region (NUTS code)."""
        return self.instruments[self.instruments["nuts_code"] == region].reset_index(drop=True)

    def scopes_of(self, region: str) -> list[str]:
        return self.instruments_of(region)["instrument_id"].tolist()

    def illustrative_in(self, scopes: list[str] | None = None) -> bool:
        """Whether any row about these instruments (or any row at all) is illustrative."""
        tables = [
            (self.targets, "scope"),
            (self.values, "scope"),
            (self.actions, "instrument_id"),
            (self.status, "instrument_id"),
            (self.instruments, "instrument_id"),
        ]
        for t, col in tables:
            rows = t if scopes is None else t[t[col].isin(scopes)]
            if rows["illustrative"].any():
                return True
        return False


def load_monitoring(folder: str | Path | None = None) -> Monitoring:
    """Read and check the monitoring files of a consortium (default: ``data/monitoring/``).

    Checks, each failing with a :class:`~clusterix_lib.errors.DataFileError` naming file, line,
    column and value: required columns and fields; numbers and ``YYYY-MM-DD`` dates; indicator
    types, action statuses and RAG values from their lists; every target, value and action
    referring to a known indicator and instrument; no duplicate (indicator, scope, period) or
    (instrument, action); every action with players and a planned timeframe (start <= end); an
    action without cost says so (``cost_note`` ``none``) rather than leaving it blank; a known
    ``confidentiality`` level in ``action_status.csv`` (kept as a column; a missing column or an
    empty cell counts as restricted; the rule is in ``data/monitoring/README.md``).
    """
    folder = Path(folder) if folder else monitoring_dir()
    if not folder.is_dir():
        raise DataFileError(
            f"no monitoring folder {folder}",
            hint="create it with the files described in data/monitoring/README.md, or run the report without "
            "instrument monitoring",
        )
    t = {k: _read(folder, k) for k in FILES}
    path = {k: t[k].attrs["path"] for k in t}

    def fail(key: str, row: int, column: str, what: str, hint: str) -> None:
        raise DataFileError(
            what, where=location(path[key], line=int(row) + 2, column=column, value=t[key].at[row, column]), hint=hint
        )

    def check_in(key: str, column: str, allowed, what: str, hint: str) -> None:
        bad = t[key].index[~t[key][column].isin(list(allowed))]
        if len(bad):
            fail(key, bad[0], column, what, hint)

    check_in(
        "indicators", "type", INDICATOR_TYPES, "unknown indicator type", f"use one of {', '.join(INDICATOR_TYPES)}"
    )
    check_in("indicators", "level", ("project", "instrument"), "unknown level", "use project or instrument")
    dup = t["indicators"].index[t["indicators"]["code"].duplicated()]
    if len(dup):
        fail("indicators", dup[0], "code", "indicator code used twice", "give every indicator its own code")
    dup = t["instruments"].index[t["instruments"]["instrument_id"].duplicated()]
    if len(dup):
        fail("instruments", dup[0], "instrument_id", "instrument id used twice", "give every instrument its own id")
    codes = set(t["indicators"]["code"])
    scopes = {"project", *t["instruments"]["instrument_id"]}
    for key in ("targets", "values"):
        check_in(key, "indicator", codes, "unknown indicator", "define it in indicators.csv first")
        check_in(key, "scope", scopes, "unknown scope", "use 'project' or an instrument_id of instruments.csv")
    for key in ("actions", "status"):
        check_in(key, "instrument_id", scopes - {"project"}, "unknown instrument", "add it to instruments.csv")
    dup = t["targets"].index[t["targets"].duplicated(["indicator", "scope"])]
    if len(dup):
        fail("targets", dup[0], "indicator", "two targets for the same indicator and scope", "keep one row")
    dup = t["values"].index[t["values"].duplicated(["indicator", "scope", "period"])]
    if len(dup):
        fail("values", dup[0], "period", "two values for the same indicator, scope and period", "keep one row")
    check_in("status", "status", ACTION_STATUSES, "unknown action status", f"use one of {', '.join(ACTION_STATUSES)}")
    check_in("status", "rag", RAG, "unknown RAG rating", "use green, amber or red")
    a = t["actions"]
    dup = a.index[a.duplicated(["instrument_id", "action_no"])]
    if len(dup):
        fail("actions", dup[0], "action_no", "action number used twice in one plan", "number the actions 1, 2, 3 ...")
    bad = a.index[a["planned_end"] < a["planned_start"]]
    if len(bad):
        fail("actions", bad[0], "planned_end", "planned end before the planned start", "check the two dates")
    bad = a.index[a["actual_end"].notna() & a["actual_start"].notna() & (a["actual_end"] < a["actual_start"])]
    if len(bad):
        fail("actions", bad[0], "actual_end", "actual end before the actual start", "check the two dates")
    bad = a.index[a["cost_eur"].isna() & (a["cost_note"].str.lower() != "none")]
    if len(bad):
        fail(
            "actions",
            bad[0],
            "cost_eur",
            "action without a cost",
            "give the cost in EUR, or write 'none' in cost_note if the action costs nothing",
        )
    s = t["status"]
    known = set(zip(a["instrument_id"], a["action_no"].astype(int), strict=True))
    s["action_no"] = pd.to_numeric(s["action_no"], errors="coerce")
    bad = s.index[[(i, n) not in known for i, n in zip(s["instrument_id"], s["action_no"], strict=True)]]
    if len(bad):
        fail("status", bad[0], "action_no", "status of an action that is not in actions.csv", "add the action first")
    a["action_no"] = a["action_no"].astype(int)
    s["action_no"] = s["action_no"].astype(int)
    return Monitoring(folder, t["instruments"], t["indicators"], t["targets"], t["values"], a, s)


# ----------------------------------------------------------------------------------------------
# Indicators: attainment and trend
# ----------------------------------------------------------------------------------------------


def _years(d: pd.Series) -> np.ndarray:
    """Dates as fractional years."""
    d = pd.to_datetime(d)
    return (d.dt.year + (d.dt.day_of_year - 1) / 365.25).to_numpy(dtype=float)


def indicator_trend(values: pd.DataFrame) -> pd.DataFrame:
    r"""Least-squares slope of each (indicator, scope) series per year.

    :math:`\hat\beta = \sum (t - \bar t)(y - \bar y) / \sum (t - \bar t)^2`, t in years from
    ``period_end``; series with fewer than two values get NaN. Computed for all series at once
    (grouped sums, no loop over series).

    Examples
    --------
    >>> v = pd.DataFrame({"indicator": "X", "scope": "A", "achieved": [1.0, 3.0, 5.0],
    ...                   "period_end": pd.to_datetime(["2017-12-31", "2018-12-31", "2019-12-31"])})
    >>> round(float(indicator_trend(v)["slope_per_year"].iloc[0]), 3)
    2.0
    """
    v = values.dropna(subset=["achieved"]).copy()
    v["t"] = _years(v["period_end"])
    g = v.groupby(["indicator", "scope"])
    v["dt"] = v["t"] - g["t"].transform("mean")
    v["dy"] = v["achieved"] - g["achieved"].transform("mean")
    v["sxy"] = v["dt"] * v["dy"]
    v["sxx"] = v["dt"] ** 2
    agg = v.groupby(["indicator", "scope"]).agg(
        n=("achieved", "size"),
        sxy=("sxy", "sum"),
        sxx=("sxx", "sum"),
        t_mean=("t", "mean"),
        y_mean=("achieved", "mean"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["slope_per_year"] = np.where((agg["n"] >= 2) & (agg["sxx"] > 0), agg["sxy"] / agg["sxx"], np.nan)
    return agg.reset_index()[["indicator", "scope", "n", "slope_per_year", "t_mean", "y_mean"]]


def target_attainment(
    mon: Monitoring, *, scopes: list[str] | None = None, as_of: str | pd.Timestamp | None = None, tolerance: float = 0.1
) -> pd.DataFrame:
    """Progress of every (indicator, scope) toward its target, with flags (module docstring).

    Parameters
    ----------
    scopes
        Restrict to these scopes (``project`` and/or instrument ids).
    as_of
        Use achievements up to this date (``YYYY-MM-DD``); default all. A date before every
        reported period raises a :class:`~clusterix_lib.errors.ClusterixError` naming the periods.
    tolerance
        How far (share of the way to the target) progress may lag the time elapsed before
        ``behind`` is flagged.

    Returns
    -------
    DataFrame ``indicator, name, type, unit, scope, baseline, baseline_note, target, target_other,
    target_date, achieved, period, period_end, progress, progress_other, expected, slope_per_year,
    projected, projected_shortfall, flag, reason, illustrative, note``. Where the sources disagree
    on the target (a ``target_other`` differing from ``target``), ``flag`` is ``target disputed``, ``target_other`` and
    ``progress_other`` are the other source's target and the progress against it, and ``reason``
    gives the progress against both.
    """
    defs = mon.indicators.set_index("code")
    tg = mon.targets.copy()
    va = mon.values.copy()
    if scopes is not None:
        tg = tg[tg["scope"].isin(scopes)]
        va = va[va["scope"].isin(scopes)]
    if as_of is not None:
        cutoff = pd.Timestamp(as_of)
        if len(va) and not (va["period_end"] <= cutoff).any():
            raise ClusterixError(
                f"no reported period ends on or before {cutoff.date()}",
                where=f"periods from {va['period_end'].min().date()} to {va['period_end'].max().date()}",
                hint="choose a date inside the monitoring data",
            )
        va = va[va["period_end"] <= cutoff]
    # every (indicator, scope) with a target or a value
    keys = pd.concat([tg[["indicator", "scope"]], va[["indicator", "scope"]]]).drop_duplicates()
    latest = va.dropna(subset=["achieved"]).sort_values("period_end").groupby(["indicator", "scope"]).tail(1)
    out = keys.merge(tg, on=["indicator", "scope"], how="left", suffixes=("", "_t"))
    out = out.merge(
        latest[["indicator", "scope", "achieved", "period", "period_end", "illustrative", "note"]],
        on=["indicator", "scope"],
        how="left",
        suffixes=("_target", "_value"),
    )
    out["name"] = out["indicator"].map(defs["name"])
    out["type"] = out["indicator"].map(defs["type"])
    out["unit"] = out["indicator"].map(defs["unit"])
    # baseline rule
    out["baseline_note"] = ""
    assume = out["baseline"].isna() & out["target"].notna() & (out["type"] == "output")
    if assume.any():
        out.loc[assume, "baseline"] = 0.0
        out.loc[assume, "baseline_note"] = "baseline taken as 0 (an output is counted from the start)"
        warnings.warn(
            "baseline taken as 0 for output indicator(s): "
            + ", ".join(
                f"{i} ({s})" for i, s in zip(out.loc[assume, "indicator"], out.loc[assume, "scope"], strict=True)
            ),
            MonitoringWarning,
            2,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        span = out["target"] - out["baseline"]
        out["progress"] = np.where(span != 0, (out["achieved"] - out["baseline"]) / span, np.nan)
        t0 = _years(out["baseline_date"].fillna(pd.Timestamp("1900-01-01")))
        t1 = _years(out["target_date"].fillna(pd.Timestamp("1900-01-01")))
        tn = _years(out["period_end"].fillna(pd.Timestamp("1900-01-01")))
        expected = np.clip((tn - t0) / (t1 - t0), 0, 1)
    ok_dates = out["baseline_date"].notna() & out["target_date"].notna() & out["period_end"].notna() & (t1 > t0)
    out["expected"] = np.where(ok_dates, expected, np.nan)
    trend = indicator_trend(va)
    out = out.merge(
        trend[["indicator", "scope", "slope_per_year", "t_mean", "y_mean"]], on=["indicator", "scope"], how="left"
    )
    out["projected"] = np.where(
        out["target_date"].notna(), out["y_mean"] + out["slope_per_year"] * (t1 - out["t_mean"]), np.nan
    )
    flag = np.full(len(out), "", dtype=object)
    reason = np.full(len(out), "", dtype=object)
    no_target = out["target"].isna()
    no_data = out["achieved"].isna()
    no_base = out["baseline"].isna() & ~no_target
    flag[no_target] = "no target"
    reason[no_target] = "no target set: progress cannot be measured"
    flag[no_data & ~no_target] = "no data"
    reason[no_data & ~no_target] = "no achievement reported yet"
    flag[no_base & ~no_data] = "no baseline"
    reason[no_base & ~no_data] = "target without baseline: progress cannot be measured"
    rest = ~no_target & ~no_data & ~no_base
    p, e = out["progress"].to_numpy(), out["expected"].to_numpy()
    achieved = rest & (p >= 1)
    on_track = rest & ~achieved & (np.isnan(e) | (p >= e - tolerance))
    behind = rest & ~achieved & ~on_track
    flag[achieved] = "achieved"
    flag[on_track] = "on track"
    flag[behind] = "behind"
    reason[behind] = [
        f"{pp:.0%} of the way to the target after {ee:.0%} of the time"
        for pp, ee in zip(p[behind], e[behind], strict=True)
    ]
    short = (
        rest & ~achieved & (out["projected"] < out["target"]).to_numpy() & (out["target"] > out["baseline"]).to_numpy()
    )
    out["projected_shortfall"] = short
    # sources disagreeing on the target: no single progress figure is presented as fact
    target_other = pd.to_numeric(out.get("target_other", pd.Series(np.nan, index=out.index)))
    disputed = (
        target_other.notna() & out["target"].notna() & (target_other != out["target"])
    ).to_numpy() & ~no_target.to_numpy()
    out["target_other"] = np.where(disputed, target_other, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        span_o = out["target_other"] - out["baseline"]
        out["progress_other"] = np.where(span_o != 0, (out["achieved"] - out["baseline"]) / span_o, np.nan)
    measured = disputed & rest
    for i in np.flatnonzero(disputed):
        t, o, pp, po = out.at[i, "target"], out.at[i, "target_other"], p[i], out.at[i, "progress_other"]
        if not measured[i]:
            reason[i] = (
                f"the sources disagree on the target ({t:,.6g}"
                + (f" or {o:,.6g}); " if pd.notna(o) else ", see the note); ")
                + (reason[i] or "progress cannot be measured")
            )
        elif pd.isna(o):
            reason[i] = f"the sources disagree on the target: {pp:.0%} of the way to {t:,.6g}, see the note"
        else:
            both = (
                "achieved against both"
                if pp >= 1 and po >= 1
                else "achieved against neither"
                if pp < 1 and po < 1
                else "achieved against one only"
            )
            reason[i] = (
                f"the sources disagree on the target: {pp:.0%} of the way to {t:,.6g}, "
                f"{po:.0%} of the way to {o:,.6g} ({both})"
            )
    flag[measured] = "target disputed"
    out["flag"] = flag
    out["reason"] = reason
    ill_t = out["illustrative_target"].fillna(False).astype(bool)
    ill_v = out["illustrative_value"].fillna(False).astype(bool)
    out["illustrative"] = ill_t | ill_v
    out["note"] = [
        "; ".join(x for x in (a, b) if isinstance(x, str) and x)
        for a, b in zip(out["note_target"], out["note_value"], strict=True)
    ]
    cols = [
        "indicator",
        "name",
        "type",
        "unit",
        "scope",
        "baseline",
        "baseline_note",
        "target",
        "target_other",
        "target_date",
        "achieved",
        "period",
        "period_end",
        "progress",
        "progress_other",
        "expected",
        "slope_per_year",
        "projected",
        "projected_shortfall",
        "flag",
        "reason",
        "illustrative",
        "note",
    ]
    return out[cols].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Action plans
# ----------------------------------------------------------------------------------------------


def status_in_period(mon: Monitoring, period: str, *, instruments: list[str] | None = None) -> pd.DataFrame:
    """The status and RAG of each action in one monitoring period (e.g. ``"2020-S2"``).

    A period that is not in the data raises a :class:`~clusterix_lib.errors.ClusterixError`
    listing the periods there are.
    """
    s = mon.status
    if instruments is not None:
        s = s[s["instrument_id"].isin(instruments)]
    periods = sorted(s["period"].unique())
    if period not in periods:
        raise ClusterixError(
            f"no action monitoring for the period {period!r}",
            where=f"periods in {FILES['status']}: {', '.join(periods) or 'none'}",
            hint="choose one of those periods",
        )
    return s[s["period"] == period].reset_index(drop=True)


def _months(a: pd.Series, b: pd.Series) -> pd.Series:
    return ((b - a).dt.days / 30.4375).round(1)


def action_plan_status(
    mon: Monitoring, *, instruments: list[str] | None = None, period: str | None = None
) -> pd.DataFrame:
    """One row per action: plan and actual dates, delays (months), status and RAG in ``period``
    (default: the latest period), deviation reason and the ``confidentiality`` of that status row
    (empty, i.e. restricted, for an action without one): pass the table through
    :func:`clusterix_lib.confidentiality.redact` on ``deviation_reason`` before showing it.

    ``start_delay`` / ``end_delay``: actual minus planned, in months (NaN while not started /
    not finished).
    """
    a = mon.actions if instruments is None else mon.actions[mon.actions["instrument_id"].isin(instruments)]
    s = mon.status if instruments is None else mon.status[mon.status["instrument_id"].isin(instruments)]
    if period is None:
        cur = s.sort_values("period_end").groupby(["instrument_id", "action_no"]).tail(1)
    else:
        cur = status_in_period(mon, period, instruments=instruments)
    out = a.merge(
        cur[["instrument_id", "action_no", "period", "status", "rag", "deviation_reason", "confidentiality"]],
        on=["instrument_id", "action_no"],
        how="left",
    )
    out["start_delay"] = _months(out["planned_start"], out["actual_start"])
    out["end_delay"] = _months(out["planned_end"], out["actual_end"])
    out["status"] = out["status"].fillna("not reported")
    out["rag"] = out["rag"].fillna("")
    out["deviation_reason"] = out["deviation_reason"].fillna("")
    out["confidentiality"] = out["confidentiality"].fillna("")
    return out.sort_values(["instrument_id", "action_no"]).reset_index(drop=True)


def rag_by_period(mon: Monitoring, *, instruments: list[str] | None = None) -> pd.DataFrame:
    """Number of actions rated green, amber and red in each period (periods as rows).

    Examples
    --------
    >>> m = load_monitoring()
    >>> t = rag_by_period(m, instruments=["AT12-OP"])
    >>> list(t.columns), int(t.sum(axis=1).iloc[0])
    (['green', 'amber', 'red'], 3)
    """
    s = mon.status if instruments is None else mon.status[mon.status["instrument_id"].isin(instruments)]
    t = pd.crosstab(s["period"], s["rag"]).reindex(columns=list(RAG), fill_value=0)
    t.columns.name = None
    return t


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def _wrap(text: str, width: int, max_lines: int = 3) -> str:
    r"""``text`` broken into lines of at most ``width`` characters (words kept whole).

    Beyond ``max_lines`` lines the last one ends with an ellipsis; no word is cut.

    >>> _wrap("Cluster and cross-cluster collaboration projects supported by the instrument", 30)
    'Cluster and cross-cluster\ncollaboration projects\nsupported by the instrument'
    """
    import textwrap

    lines = textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
    return "\n".join(lines)


def _date_axis(ax: Any, *, maxticks: int = 8) -> None:
    """Dates on the x axis without overlap: automatic locator, concise labels (years, then months)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plot_gantt(actions: pd.DataFrame, *, as_of: str | pd.Timestamp | None = None, title: str = "") -> Any:
    """Gantt chart of planned (light bar) against actual (RAG-coloured bar) timeframes.

    ``actions``: rows of :func:`action_plan_status`. An action still running is drawn up to
    ``as_of`` (default: the latest planned or actual date) with an open end. Action titles are
    wrapped over up to three lines, not cut; dates are labelled concisely (years, then months).
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    a = actions.reset_index(drop=True)
    if a.empty:
        raise ParameterError("no actions to draw", hint="check the instrument id")
    as_of = (
        pd.Timestamp(as_of)
        if as_of is not None
        else max(
            a["planned_end"].max(), a["actual_end"].max() if a["actual_end"].notna().any() else a["planned_end"].max()
        )
    )
    lines = max(_wrap(f"{n}. {t}", 40).count("\n") + 1 for n, t in zip(a["action_no"], a["title"], strict=True))
    fig, ax = plt.subplots(figsize=(10, (0.32 + 0.16 * lines) * len(a) + 1.4), layout="constrained")
    y = np.arange(len(a))[::-1]
    ps, pe = mdates.date2num(a["planned_start"]), mdates.date2num(a["planned_end"])
    ax.barh(y + 0.18, pe - ps, left=ps, height=0.3, color="#d1d5db", edgecolor="#6b7280", label="planned")
    started = a["actual_start"].notna().to_numpy()
    ast = mdates.date2num(a["actual_start"].fillna(as_of))
    aen = mdates.date2num(a["actual_end"].fillna(as_of))
    colours = [RAG_COLOURS.get(r, RAG_COLOURS[""]) for r in a["rag"]]
    open_end = a["actual_end"].isna().to_numpy()
    ax.barh(
        y[started] - 0.18,
        (aen - ast)[started],
        left=ast[started],
        height=0.3,
        color=np.array(colours, dtype=object)[started],
        hatch=None,
    )
    running = started & open_end
    if running.any():
        ax.plot(aen[running], y[running] - 0.18, ">", color="#111827", ms=5, ls="none")
    ax.axvline(mdates.date2num(as_of), color="#111827", lw=0.8, ls=":")
    labels = [_wrap(f"{n}. {t}", 40) for n, t in zip(a["action_no"], a["title"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.xaxis_date()
    _date_axis(ax, maxticks=10)
    handles = [Patch(color="#d1d5db", label="planned")] + [
        Patch(color=RAG_COLOURS[r], label=f"actual ({r})") for r in RAG
    ]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="x", color="#e5e7eb")
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def plot_indicator_progress(mon: Monitoring, scope: str, *, title: str = "") -> Any:
    """Achievements of each indicator of one scope against baseline and target, one panel each.

    Panel titles (the indicator names) are wrapped, not cut; dates are labelled concisely
    (years, then months) so that they do not run together.
    """
    import matplotlib.pyplot as plt

    va = mon.values[mon.values["scope"] == scope].dropna(subset=["achieved"])
    tg = mon.targets[mon.targets["scope"] == scope].set_index("indicator")
    inds = list(dict.fromkeys(va["indicator"]))
    if not inds:
        raise ParameterError(f"no achievements reported for {scope!r}")
    names = mon.indicators.set_index("code")["name"]
    fig, axes = plt.subplots(1, len(inds), figsize=(4.8 * len(inds), 3.6), layout="constrained", squeeze=False)
    for ax, ind in zip(axes[0], inds, strict=True):
        d = va[va["indicator"] == ind].sort_values("period_end")
        ax.plot(d["period_end"], d["achieved"], "o-", color="#1f4e79", ms=4, label="achieved")
        if ind in tg.index:
            t = tg.loc[ind]
            if pd.notna(t["target"]) and pd.notna(t["target_date"]):
                ax.plot([t["target_date"]], [t["target"]], "*", color="#b91c1c", ms=12, label="target")
            if pd.notna(t["baseline"]) and pd.notna(t["baseline_date"]):
                ax.plot([t["baseline_date"]], [t["baseline"]], "s", color="#6b7280", ms=6, label="baseline")
                if pd.notna(t["target"]) and pd.notna(t["target_date"]):
                    ax.plot([t["baseline_date"], t["target_date"]], [t["baseline"], t["target"]], ":", color="#6b7280")
        ax.set_title(_wrap(names.get(ind, ind), 48), fontsize=8, loc="left")
        _date_axis(ax, maxticks=6)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig
