"""Programme indicators against their targets: the published figures, and what the consortium's own records count.

The targets and results a project reports to the programme live in ``programme_indicators.csv``
next to the consortium file. For the default consortium (``data/programme_indicators.csv``)
these are ClusteriX 2.0's published targets and results (``docs/domain.md`` §1.3: the West
Pannon project page, the Kohesio record Q4302240 and the 5th-call news item; each row cites its
sources). Columns:

==================  =========================================================================
code                indicator code (``PLE``, ``GP``, ``CAP``, ``AP``, ``MEDIA``, ``PI``,
                    ``FUNDS``, ``MCP``, ``COLL``; the same codes as ``monitoring/indicators.csv``)
name, type, unit    as in the 2014-2020 progress report (type: output, result, self-defined)
target              the target (empty: none published); ``target_alternative`` another source's
                    target where the sources disagree, explained in ``target_note``
achieved            the published result (empty: none published), explained in ``achieved_note``
period_end          end of the period the result covers (YYYY-MM-DD)
source              URL(s), ``;``-separated
==================  =========================================================================

Next to the published figures, :func:`recorded_indicators` counts what the consortium's own
data in clusterix record, with the rules of the programme (each marked illustrative where the
underlying records are):

- **PLE** learning events: study trips plus peer reviews on record;
- **GP** good practices: practices that count for the indicator (rubric R3 countable, linked to
  the project, approved or further: :func:`clusterix_lib.good_practices.quality`);
- **CAP** people with increased capacity: distinct visitors (name and organisation) whose
  self-assessment rose on at least 2 of the 4 items of rubric R7 on any trip;
- **AP** action plans: instruments with at least one action-plan action in ``monitoring/``;
- **transfers**: practices adopted in an action plan or implemented elsewhere (not a programme
  indicator; shown for the learning chain).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib.errors import DataFileError, location
from clusterix_lib.wording import counted

__all__ = [
    "INDICATOR_COLUMNS",
    "indicator_progress",
    "indicators_path",
    "load_programme_indicators",
    "partner_contributions",
    "programme_sources",
    "programme_targets",
    "recorded_indicators",
    "summary_lines",
]

INDICATOR_COLUMNS = (
    "code",
    "name",
    "type",
    "unit",
    "target",
    "target_alternative",
    "target_note",
    "achieved",
    "achieved_note",
    "period_end",
    "source",
)
TYPES = ("output", "result", "self-defined")


def indicators_path(consortium_path: str | Path | None = None) -> Path:
    """``programme_indicators.csv`` next to the consortium file.

    >>> indicators_path().name
    'programme_indicators.csv'
    """
    from clusterix_lib.good_practices import register_path

    return register_path(consortium_path).parent / "programme_indicators.csv"


def load_programme_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a programme-indicator table (default: ClusteriX 2.0's published figures).

    Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming file, line, column
    and value: a missing column, an empty code or name, a code used twice, an unknown type, a
    target or result that is not a number, a malformed date. Numbers come back as floats (NaN
    where none is published).

    >>> t = load_programme_indicators()
    >>> t.set_index("code").loc["CAP", ["target", "achieved"]].tolist()
    [50.0, 60.0]
    """
    path = Path(path) if path else indicators_path()
    if not path.is_file():
        raise DataFileError(
            f"programme indicators not found: {path}",
            hint="restore data/programme_indicators.csv from git, or give the path of the consortium's own table",
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in INDICATOR_COLUMNS if c not in table.columns]
    if missing:
        raise DataFileError(
            f"programme-indicator table lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"columns: {', '.join(INDICATOR_COLUMNS)}",
        )
    table = table[list(INDICATOR_COLUMNS)].apply(lambda s: s.str.strip())

    def fail(mask: pd.Series, column: str, what: str, hint: str) -> None:
        rows = table.index[mask]
        if len(rows):
            r = int(rows[0])
            raise DataFileError(
                what, where=location(path, line=r + 2, column=column, value=table.at[r, column]), hint=hint
            )

    for c in ("code", "name"):
        fail(table[c] == "", c, f"empty {c}", f"fill in {c} for every indicator")
    fail(table["code"].duplicated(), "code", "indicator code used twice", "one row per indicator")
    fail(~table["type"].isin(TYPES), "type", "unknown indicator type", f"use one of {', '.join(TYPES)}")
    for c in ("target", "target_alternative", "achieved"):
        num = pd.to_numeric(table[c], errors="coerce")
        fail((table[c] != "") & num.isna(), c, f"{c} is not a number", "write a number, or leave it empty")
        table[c] = num.astype(float)
    dates = pd.to_datetime(table["period_end"], format="%Y-%m-%d", errors="coerce")
    fail((table["period_end"] != "") & dates.isna(), "period_end", "period_end is not a date", "write YYYY-MM-DD")
    return table


def indicator_progress(indicators: pd.DataFrame, recorded: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Published results against targets, with what the consortium's records count.

    ``share`` = achieved / target (NaN without both); ``status`` is ``target met`` (share >= 1),
    ``below target``, ``no result published`` or ``no target published``. With ``recorded``
    (:func:`recorded_indicators`), adds ``recorded, recorded_share, recorded_note,
    recorded_illustrative``.

    >>> t = pd.DataFrame({"code": ["A", "B", "C"], "target": [10.0, 10.0, np.nan],
    ...                   "achieved": [12.0, np.nan, 5.0]})
    >>> indicator_progress(t)[["share", "status"]].values.tolist()
    [[1.2, 'target met'], [nan, 'no result published'], [nan, 'no target published']]
    """
    out = indicators.copy()
    out["share"] = out["achieved"] / out["target"]
    out["status"] = np.select(
        [out["target"].isna(), out["achieved"].isna(), out["share"] >= 1],
        ["no target published", "no result published", "target met"],
        "below target",
    )
    if recorded is not None:
        out = out.merge(recorded, on="code", how="left")
        out["recorded_share"] = out["recorded"] / out["target"]
        out["recorded_illustrative"] = out["recorded_illustrative"].fillna(False).astype(bool)
        out["recorded_note"] = out["recorded_note"].fillna("not recorded in the consortium's data")
    return out


def _consortium_records(consortium_path: str | Path | None) -> dict[str, Any]:
    from clusterix_lib import good_practices, peer_review, study_trips, trip_feedback
    from clusterix_lib.monitoring import load_monitoring, monitoring_dir

    register = good_practices.load_good_practices(consortium_path=consortium_path)
    trips = [
        study_trips.load_trip(t, consortium_path=consortium_path)
        for t in study_trips.list_trips(consortium_path)["trip"]
    ]
    feedback = trip_feedback.load_all_feedback(trips)
    reviews = peer_review.list_reviews(consortium_path)
    mdir = monitoring_dir(consortium_path)
    actions = (
        load_monitoring(mdir).actions if mdir.is_dir() else pd.DataFrame(columns=["instrument_id", "illustrative"])
    )
    return {"register": register, "trips": trips, "feedback": feedback, "reviews": reviews, "actions": actions}


def _capacity_people(trips: list, feedback: pd.DataFrame) -> pd.DataFrame:
    """Visitors whose capacity increased, with their identity across trips (name and organisation)."""
    from clusterix_lib.trip_feedback import capacity_change

    if feedback.empty:
        return pd.DataFrame(columns=["trip", "participant", "region", "person", "illustrative"])
    people = pd.concat([t.participants.assign(trip=t.id) for t in trips], ignore_index=True)[
        ["trip", "participant", "name", "organisation"]
    ]
    rows = []
    for trip, f in feedback.groupby("trip", sort=False):
        cap = capacity_change(f)
        cap = cap[cap["increased"]].assign(trip=trip, illustrative=bool(f["illustrative"].any()))
        rows.append(cap[["trip", "participant", "region", "illustrative"]])
    inc = pd.concat(rows, ignore_index=True).merge(people, on=["trip", "participant"], how="left")
    inc["person"] = inc["name"].str.lower().str.strip() + " | " + inc["organisation"].str.lower().str.strip()
    return inc[["trip", "participant", "region", "person", "illustrative"]]


def recorded_indicators(consortium_path: str | Path | None = None) -> pd.DataFrame:
    """What the consortium's records in clusterix count, per indicator code (module docstring).

    Columns ``code, recorded, recorded_note, recorded_illustrative``.
    """
    from clusterix_lib.good_practices import quality

    r = _consortium_records(consortium_path)
    reg, trips, reviews, actions = r["register"], r["trips"], r["reviews"], r["actions"]
    q = quality(reg).merge(reg[["id", "illustrative"]], on="id")
    countable = q[q["counts_for_indicator"]]
    cap = _capacity_people(trips, r["feedback"])
    people = cap.drop_duplicates("person")
    plans = actions.drop_duplicates("instrument_id")
    n_events = len(trips) + len(reviews)
    rows = [
        {
            "code": "PLE",
            "recorded": float(n_events),
            "recorded_note": f"{counted(len(trips), 'study trip')} and "
            f"{counted(len(reviews), 'peer review')} on record",
            "recorded_illustrative": any(t.illustrative for t in trips) or bool(reviews["illustrative"].any()),
        },
        {
            "code": "GP",
            "recorded": float(len(countable)),
            "recorded_note": f"{len(countable)} of {len(reg)} practices in the register count (R3 countable, linked to "
            "the project, approved or further)",
            "recorded_illustrative": bool(countable["illustrative"].any()),
        },
        {
            "code": "CAP",
            "recorded": float(len(people)),
            "recorded_note": f"{counted(len(people), 'visitor')} whose self-assessment rose on at least 2 of 4 "
            "items (R7), "
            f"from the feedback of {counted(r['feedback']['trip'].nunique(), 'trip')}",
            "recorded_illustrative": bool(people["illustrative"].any()),
        },
        {
            "code": "AP",
            "recorded": float(len(plans)),
            "recorded_note": f"{counted(len(plans), 'instrument')} with action-plan actions in the monitoring data",
            "recorded_illustrative": bool(plans["illustrative"].astype(str).str.lower().isin(["true", "1"]).any()),
        },
    ]
    return pd.DataFrame(rows)


def partner_contributions(consortium_path: str | Path | None = None) -> pd.DataFrame:
    """Per consortium region: ``region, region_name, trips_hosted, trips_visited, peer_reviews_hosted,
    practices, practices_counting, people_capacity_increased, transfers_in`` (practices from other
    regions adopted in an action plan or implemented there) and ``transfers_out`` (its practices
    adopted or implemented elsewhere)."""
    from clusterix_lib.consortium import consortium_regions, load_consortium
    from clusterix_lib.good_practices import quality
    from clusterix_lib.transferability import load_transfers, transfers_path

    r = _consortium_records(consortium_path)
    regions = consortium_regions(load_consortium(consortium_path))[["nuts_code", "region_name"]]
    regions = regions.rename(columns={"nuts_code": "region"})
    reg = r["register"]
    q = quality(reg).merge(reg[["id", "region"]], on="id")
    hosted = pd.Series([t.host_region for t in r["trips"]]).value_counts()
    visited = pd.Series([v for t in r["trips"] for v in t.visiting_regions]).value_counts()
    cap = _capacity_people(r["trips"], r["feedback"]).drop_duplicates("person")["region"].value_counts()
    transfers = load_transfers(transfers_path(consortium_path), reg)
    far = transfers[transfers["stage"].isin(["adopted in action plan", "implemented"])]
    far = far.merge(reg[["id", "region"]].rename(columns={"id": "gp_id", "region": "from_region"}), on="gp_id")
    out = regions.copy()
    out["trips_hosted"] = out["region"].map(hosted)
    out["trips_visited"] = out["region"].map(visited)
    out["peer_reviews_hosted"] = out["region"].map(r["reviews"]["region"].value_counts())
    out["practices"] = out["region"].map(reg["region"].value_counts())
    out["practices_counting"] = out["region"].map(q.loc[q["counts_for_indicator"], "region"].value_counts())
    out["people_capacity_increased"] = out["region"].map(cap)
    out["transfers_in"] = out["region"].map(far["target_region"].value_counts())
    out["transfers_out"] = out["region"].map(far["from_region"].value_counts())
    num = out.columns[2:]
    out[num] = out[num].fillna(0).astype(int)
    return out


def programme_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """The default ``programme_dashboard`` report of a consortium: one, keyed by the consortium file's name.

    >>> programme_targets()
    [{'consortium': 'consortium_clusterix2'}]
    """
    from clusterix_lib.consortium import default_consortium_path

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    extra: dict[str, Any] = {}
    if path.resolve() != default_consortium_path().resolve():
        extra["consortium_file"] = str(path.resolve())
    return [{"consortium": path.stem, **extra}]


def programme_sources(indicators: pd.DataFrame) -> list[dict[str, Any]]:
    """One footer source per distinct URL cited by the indicator table."""
    urls = indicators["source"].str.split(";").explode().str.strip()
    return [
        {"code": None, "title": "ClusteriX 2.0 published targets and results", "url": u}
        for u in dict.fromkeys(u for u in urls.dropna() if u.startswith("http"))
    ]


def _in_sentence(name: str) -> str:
    """An indicator name inside a sentence: only its first letter lowered, and not for an
    abbreviation ("Policy instruments addressed (Structural Funds and other)" -> "policy
    instruments addressed (Structural Funds and other)"; "EU funds" stays)."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name


def _disagreement(note: str) -> str:
    """The target note without a trailing "the sources disagree" (the sentence says it)."""
    return re.sub(r"[\s:;,.-]*the sources disagree[\s.]*$", "", str(note), flags=re.IGNORECASE).strip()


def summary_lines(progress: pd.DataFrame) -> list[str]:
    """The summary of the dashboard as Markdown bullets: targets met, indicators without a
    published result, and the targets on which the sources disagree.

    Parameters
    ----------
    progress
        :func:`indicator_progress`.

    Returns
    -------
    list of str
        One bullet per line; indicator names keep their capitals but the first letter (proper
        nouns such as "Structural Funds" stay as published), counts in proper singular or plural.

    Examples
    --------
    >>> p = pd.DataFrame({"code": ["A", "B"], "name": ["Events organised", "Funds (Structural Funds)"],
    ...                   "target": [32.0, 10.0], "achieved": [117.0, np.nan],
    ...                   "target_alternative": [81.0, np.nan],
    ...                   "target_note": ["32 on page X; 81 in record Y: the sources disagree", ""]})
    >>> lines = summary_lines(indicator_progress(p))
    >>> lines[0].endswith("meets it: events organised (117 against 32).")
    True
    >>> for line in lines[1:]:
    ...     print(line)
    - No result is published for 1 indicator: funds (Structural Funds).
    - The sources disagree on the target for events organised: 32 on page X; 81 in record Y.
    """
    met = progress[progress["status"] == "target met"]
    no_result = progress[progress["status"] == "no result published"]
    n_targets = int(progress["target"].notna().sum())
    lines = [
        f"- **{len(met)} of {n_targets}** indicators with a published target also have a published result that "
        "meets it"
        + (
            ": "
            + ", ".join(f"{_in_sentence(r.name)} ({r.achieved:,.0f} against {r.target:,.0f})" for r in met.itertuples())
            if len(met)
            else ""
        )
        + ".",
    ]
    if len(no_result):
        lines.append(
            f"- No result is published for {counted(len(no_result), 'indicator')}: "
            + ", ".join(_in_sentence(n) for n in no_result["name"])
            + "."
        )
    if "target_alternative" in progress:
        for r in progress.dropna(subset=["target_alternative"]).itertuples():
            note = _disagreement(r.target_note) or f"{r.target:,.0f} or {r.target_alternative:,.0f}"
            lines.append(f"- The sources disagree on the target for {_in_sentence(r.name)}: {note}.")
    return lines
