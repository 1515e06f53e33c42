"""What the visitors of a study trip report afterwards: the feedback store and its analysis.

Each visitor returns one feedback form (:mod:`clusterix_lib.trip_forms`); accepted answers are
stored in ``trip_feedback/<trip>/feedback.csv`` next to the consortium file, one row per answer
(:data:`FEEDBACK_COLUMNS`), in sections:

==================  =============================================================================
``practice``        per good practice shown: ``interest`` (1 yes, 0 no), ``transferability`` and
                    ``intent_to_act`` (1-5, or NA), ``transfer_idea`` (text, with ``instrument``)
``event``           the trip itself, rubric R8 (:data:`EVENT_ITEMS`), 1-5
``capacity_before`` rubric R7 (:data:`CAPACITY_ITEMS`), 1-5, the participant's level before the
``capacity_after``  trip and after it (a retrospective pre/post self-assessment)
``insight``         up to five insights: ``theme`` (:data:`~clusterix_lib.good_practices.THEMES`),
                    ``text``, optionally the ``practice`` it comes from
``follow_up``       up to five follow-ups: ``text`` (the action), ``owner``, ``due``, optionally
                    ``practice`` and ``instrument``
==================  =============================================================================

Rules (``docs/domain.md`` §10): a participant's capacity **increased** (R7) when the rating
after the trip exceeds the one before by at least 1 on at least 2 of the 4 items; this feeds the
programme indicator "people with increased professional capacity". Event feedback (R8) is
summarised by the mean and the distribution of each item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib.confidentiality import read_levels
from clusterix_lib.errors import DataFileError, location
from clusterix_lib.fileio import row_failer

__all__ = [
    "CAPACITY_ITEMS",
    "EVENT_ITEMS",
    "FEEDBACK_COLUMNS",
    "PRACTICE_ITEMS",
    "RATING_ANCHORS",
    "SECTIONS",
    "capacity_change",
    "empty_feedback",
    "event_feedback",
    "feedback_path",
    "follow_ups",
    "insights",
    "insights_by_theme",
    "interest_ranking",
    "load_all_feedback",
    "load_feedback",
    "practice_interest",
    "transfer_ideas",
    "write_feedback",
]

SECTIONS = ("practice", "event", "capacity_before", "capacity_after", "insight", "follow_up")
#: Rubric R7 (capacity increase), rated before and after the trip.
CAPACITY_ITEMS = {
    "C1": "Knowledge of how other regions approach the topic of the trip",
    "C2": "Ability to apply what I saw to my own policy instrument",
    "C3": "Network: people in other regions I can ask for advice",
    "C4": "Confidence to propose a change in my organisation",
}
#: Rubric R8 (learning-event feedback).
EVENT_ITEMS = {
    "E1": "Relevance of the trip to my work",
    "E2": "Quality of the preparation (briefing, agenda, contacts)",
    "E3": "Transferability of what I saw to my region",
    "E4": "My intention to act on what I learnt",
}
#: Items of the practice section.
PRACTICE_ITEMS = ("interest", "transferability", "intent_to_act", "transfer_idea")
#: Labels of the 1-5 scale of every rating.
RATING_ANCHORS = {1: "very low", 2: "low", 3: "moderate", 4: "high", 5: "very high"}
#: Columns of ``feedback.csv``.
FEEDBACK_COLUMNS = (
    "trip",
    "participant",
    "region",
    "section",
    "item",
    "practice",
    "value",
    "na",
    "text",
    "theme",
    "instrument",
    "owner",
    "due",
    "source_file",
    "source_sha256",
    "source_cell",
    "illustrative",
    "confidentiality",
)
#: Columns a feedback store may lack (read as empty: a missing level counts as restricted).
OPTIONAL_FEEDBACK_COLUMNS = ("confidentiality",)
_TEXT = tuple(c for c in FEEDBACK_COLUMNS if c not in ("value", "na", "illustrative"))


def feedback_path(trip) -> Path:
    """The feedback store of a trip: ``trip_feedback/<trip>/feedback.csv`` next to the consortium file."""
    return trip.feedback_dir / "feedback.csv"


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in OPTIONAL_FEEDBACK_COLUMNS:
        if c not in df:
            df[c] = ""
    for c in _TEXT:
        df[c] = df[c].fillna("").astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype("Int64")
    for c in ("na", "illustrative"):
        df[c] = df[c].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
    return df[list(FEEDBACK_COLUMNS)]


def empty_feedback() -> pd.DataFrame:
    """An empty feedback table with the columns and types of ``feedback.csv``."""
    return _typed(pd.DataFrame({c: [] for c in FEEDBACK_COLUMNS}))


def load_feedback(path: str | Path) -> pd.DataFrame:
    """Read a feedback store; a missing file is an empty table.

    The ``confidentiality`` column (see ``data/trip_feedback/README.md``: free text consortium,
    ratings public) is checked by :func:`clusterix_lib.confidentiality.read_levels` and kept; a
    store without it reads as empty levels, which count as restricted.

    Raises :class:`~clusterix_lib.errors.DataFileError` for missing columns, an unknown section,
    a value that is not a whole number or an unknown confidentiality level (naming file, line,
    column and value).
    """
    path = Path(path)
    if not path.is_file():
        return empty_feedback()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in FEEDBACK_COLUMNS if c not in raw.columns and c not in OPTIONAL_FEEDBACK_COLUMNS]
    if missing:
        raise DataFileError(
            f"feedback store lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"the header is {','.join(FEEDBACK_COLUMNS)}",
        )
    for col, ok in (("section", raw["section"].isin(SECTIONS)), ("value", raw["value"].str.fullmatch(r"-?\d*"))):
        bad = raw.index[~ok]
        if len(bad):
            raise DataFileError(
                f"bad {col} in the feedback store",
                where=location(path, line=int(bad[0]) + 2, column=col, value=raw.at[bad[0], col]),
                hint=f"sections: {', '.join(SECTIONS)}; values are whole numbers; fix or re-ingest the form",
            )
    valued = raw["value"] != ""
    numbers = pd.to_numeric(raw["value"].where(valued), errors="coerce")
    interest = (raw["section"] == "practice") & (raw["item"] == "interest")
    out_of_range = valued & ((interest & ~numbers.isin([0, 1])) | (~interest & ~numbers.between(1, 5)))
    duplicate = raw.duplicated(["trip", "participant", "section", "item", "practice"]) & valued
    fail = row_failer(path, raw)
    for column, bad, what, hint in (
        (
            "value",
            out_of_range,
            "rating outside its scale",
            "ratings are 1-5 (interest in a practice is 0 = no, 1 = yes); fix or re-ingest the form",
        ),
        (
            "item",
            duplicate,
            "a second rating of this participant for this item",
            "keep one row per participant, section, item and practice",
        ),
    ):
        if bad.any():
            fail(int(bad.to_numpy().nonzero()[0][0]), column, what, hint)
    read_levels(raw, path)
    raw["value"] = raw["value"].replace("", None)
    return _typed(raw)


def load_all_feedback(trips) -> pd.DataFrame:
    """The stored feedback of several trips in one table (an empty table when there is none)."""
    parts = [load_feedback(feedback_path(t)) for t in trips]
    return pd.concat(parts, ignore_index=True) if parts else empty_feedback()


def write_feedback(feedback: pd.DataFrame, path: str | Path) -> Path:
    """Write a feedback store atomically, sorted by participant, section and item."""
    from clusterix_lib.fileio import atomic_write_text

    f = feedback.copy()
    f["_s"] = f["section"].map({s: i for i, s in enumerate(SECTIONS)})
    f = f.sort_values(["participant", "_s", "practice", "item"], kind="stable")[list(FEEDBACK_COLUMNS)]
    for c in ("na", "illustrative"):
        f[c] = f[c].map({True: "true", False: "false"})
    return atomic_write_text(path, f.to_csv(index=False, lineterminator="\n"))


def capacity_change(feedback: pd.DataFrame) -> pd.DataFrame:
    """Rubric R7 per participant: ``participant, region, n_items, n_up, mean_before, mean_after,
    increased``.

    ``n_up`` counts the items rated at least 1 point higher after the trip than before;
    ``increased`` is ``n_up >= 2``.

    Examples
    --------
    >>> f = pd.DataFrame({"participant": ["A"] * 4 + ["B"] * 4, "region": "X",
    ...                   "section": ["capacity_before", "capacity_after"] * 4,
    ...                   "item": ["C1", "C1", "C2", "C2"] * 2, "value": [2, 3, 3, 4, 2, 3, 4, 4]})
    >>> capacity_change(f)[["participant", "n_up", "increased"]].values.tolist()
    [['A', 2, True], ['B', 1, False]]
    """
    cap = feedback[feedback["section"].isin(["capacity_before", "capacity_after"])]
    cols = ["participant", "region", "n_items", "n_up", "mean_before", "mean_after", "increased"]
    if cap.empty:
        return pd.DataFrame(columns=cols)
    wide = cap.pivot_table(
        index=["participant", "region", "item"], columns="section", values="value", aggfunc="first"
    ).astype(float)
    wide = wide.dropna(subset=["capacity_before", "capacity_after"])
    up = (wide["capacity_after"] - wide["capacity_before"]) >= 1
    g = wide.assign(up=up).groupby(level=["participant", "region"], sort=False)
    out = pd.DataFrame(
        {
            "n_items": g.size(),
            "n_up": g["up"].sum().astype(int),
            "mean_before": g["capacity_before"].mean(),
            "mean_after": g["capacity_after"].mean(),
        }
    ).reset_index()
    out["increased"] = out["n_up"] >= 2
    return out[cols]


def event_feedback(feedback: pd.DataFrame) -> pd.DataFrame:
    """Rubric R8: per item, ``item, label, n, mean`` and the count of each rating ``1`` ... ``5``.

    >>> f = pd.DataFrame({"section": "event", "item": ["E1", "E1", "E2"], "value": [4, 5, 3], "na": False})
    >>> event_feedback(f)[["item", "n", "mean", "5"]].values.tolist()[:2]
    [['E1', 2, 4.5, 1], ['E2', 1, 3.0, 0]]
    """
    ev = feedback[(feedback["section"] == "event") & ~feedback["na"].astype(bool)].dropna(subset=["value"])
    counts = pd.crosstab(ev["item"], ev["value"].astype(int)).reindex(
        index=list(EVENT_ITEMS), columns=list(RATING_ANCHORS), fill_value=0
    )
    stats = ev.groupby("item")["value"].agg(["size", "mean"]).reindex(list(EVENT_ITEMS))
    out = pd.DataFrame(
        {
            "item": list(EVENT_ITEMS),
            "label": list(EVENT_ITEMS.values()),
            "n": stats["size"].fillna(0).astype(int).to_numpy(),
            "mean": stats["mean"].astype(float).to_numpy(),
        }
    )
    for v in RATING_ANCHORS:
        out[str(v)] = counts[v].to_numpy()
    return out


def practice_interest(feedback: pd.DataFrame, practices: list[str], regions: list[str]) -> pd.DataFrame:
    """Interest in each practice by visiting region: one row per (practice, region).

    Columns ``practice, region, n_respondents`` (participants of the region who returned a form),
    ``n_interested``, ``share_interested`` (NaN without respondents), ``transferability`` and
    ``intent_to_act`` (means of the ratings given, NA left out). Every practice and region
    appears, in the order given, so a heat map has no hidden gaps.

    >>> f = pd.DataFrame({"participant": ["A", "A", "B"], "region": ["R1", "R1", "R1"],
    ...                   "section": "practice", "item": ["interest", "transferability", "interest"],
    ...                   "practice": "P", "value": [1, 4, 0], "na": False})
    >>> practice_interest(f, ["P"], ["R1", "R2"])[["region", "n_respondents", "share_interested"]].values.tolist()
    [['R1', 2, 0.5], ['R2', 0, nan]]
    """
    resp = feedback.groupby("region")["participant"].nunique()
    pr = feedback[(feedback["section"] == "practice") & ~feedback["na"].astype(bool)].dropna(subset=["value"])
    pr = pr.assign(value=pr["value"].astype(float))
    stats = pr.pivot_table(index=["practice", "region"], columns="item", values="value", aggfunc=["sum", "mean"])
    grid = pd.MultiIndex.from_product([practices, regions], names=["practice", "region"])
    out = pd.DataFrame(index=grid).reset_index()
    out["n_respondents"] = out["region"].map(resp).fillna(0).astype(int)

    def col(agg: str, item: str) -> pd.Series:
        key = (agg, item)
        if key not in stats.columns:
            return pd.Series(np.nan, index=grid)
        return stats[key].reindex(grid)

    out["n_interested"] = col("sum", "interest").fillna(0).astype(int).to_numpy()
    out["share_interested"] = np.where(
        out["n_respondents"] > 0, out["n_interested"] / out["n_respondents"].where(out["n_respondents"] > 0), np.nan
    )
    out["transferability"] = col("mean", "transferability").to_numpy()
    out["intent_to_act"] = col("mean", "intent_to_act").to_numpy()
    return out


def interest_ranking(feedback: pd.DataFrame, practices: list[str]) -> pd.DataFrame:
    """The practices of a trip ranked by the visitors' interest, most interest first.

    Ranked by the number of respondents who marked the practice of interest, then by their share
    of the respondents, then by the mean rated transferability, then by id: a practice three of
    five visitors marked comes before one marked by the single respondent of a region.

    Parameters
    ----------
    feedback
        The trip's feedback (:func:`load_feedback`); every participant in it returned a form.
    practices
        The practices shown on the trip; each appears, with zero interest if none was marked.

    Returns
    -------
    pandas.DataFrame
        ``rank, practice, n_interested, n_respondents, share_interested`` (NaN without
        respondents) ``, transferability, intent_to_act`` (means of the ratings given, NA left
        out), best first.

    Examples
    --------
    >>> f = pd.DataFrame({"participant": ["A", "B", "C", "A", "B", "C"], "region": ["R1", "R1", "R2"] * 2,
    ...                   "section": "practice", "item": "interest", "na": False,
    ...                   "practice": ["P", "P", "P", "Q", "Q", "Q"], "value": [1, 1, 0, 0, 0, 1]})
    >>> interest_ranking(f, ["Q", "P"])[["rank", "practice", "n_interested", "n_respondents"]].values.tolist()
    [[1, 'P', 2, 3], [2, 'Q', 1, 3]]
    """
    regions = list(dict.fromkeys(feedback["region"])) if len(feedback) else []
    per = practice_interest(feedback, list(practices), regions)
    out = (
        per.groupby("practice", sort=False)
        .agg(n_interested=("n_interested", "sum"), n_respondents=("n_respondents", "sum"))
        .reindex(list(dict.fromkeys(practices)))
        .fillna(0)
        .astype(int)
    )
    out["share_interested"] = out["n_interested"] / out["n_respondents"].where(out["n_respondents"] > 0)
    pr = feedback[(feedback["section"] == "practice") & ~feedback["na"].astype(bool)].dropna(subset=["value"])
    means = pr.assign(value=pr["value"].astype(float)).groupby(["practice", "item"])["value"].mean().unstack()
    for item in ("transferability", "intent_to_act"):
        out[item] = means[item].reindex(out.index) if item in means else np.nan
    out = out.rename_axis("practice").reset_index()
    out = out.sort_values(
        ["n_interested", "share_interested", "transferability", "practice"],
        ascending=[False, False, False, True],
        na_position="last",
        kind="stable",
    ).reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def insights(feedback: pd.DataFrame) -> pd.DataFrame:
    """Every insight: ``theme, region, participant, text, practice``, by theme then region."""
    ins = feedback[feedback["section"] == "insight"]
    return ins.sort_values(["theme", "region", "participant", "item"])[
        ["theme", "region", "participant", "text", "practice"]
    ].reset_index(drop=True)


def insights_by_theme(feedback: pd.DataFrame) -> pd.DataFrame:
    """Per theme: ``theme, n_insights, n_regions, regions`` (most insights first)."""
    ins = insights(feedback)
    g = ins.groupby("theme")
    out = pd.DataFrame(
        {
            "n_insights": g.size(),
            "n_regions": g["region"].nunique(),
            "regions": g["region"].agg(lambda s: ", ".join(sorted(set(s)))),
        }
    ).reset_index()
    return out.sort_values(["n_insights", "theme"], ascending=[False, True], ignore_index=True)


def transfer_ideas(feedback: pd.DataFrame) -> pd.DataFrame:
    """The transfer ideas written per practice: ``practice, region, participant, idea, instrument``."""
    t = feedback[(feedback["section"] == "practice") & (feedback["item"] == "transfer_idea")]
    return t.rename(columns={"text": "idea"})[["practice", "region", "participant", "idea", "instrument"]].sort_values(
        ["practice", "region", "participant"], ignore_index=True
    )


def follow_ups(feedback: pd.DataFrame) -> pd.DataFrame:
    """The follow-ups: ``due, action, owner, region, participant, practice, instrument``, by due date."""
    f = feedback[feedback["section"] == "follow_up"].rename(columns={"text": "action"})
    return f.sort_values(["due", "region", "participant", "item"])[
        ["due", "action", "owner", "region", "participant", "practice", "instrument"]
    ].reset_index(drop=True)


def perceived_transferability(feedback: pd.DataFrame) -> pd.DataFrame:
    """The visitors' own transferability ratings: ``practice, region, n, median`` (NA left out)."""
    t = feedback[
        (feedback["section"] == "practice") & (feedback["item"] == "transferability") & ~feedback["na"].astype(bool)
    ].dropna(subset=["value"])
    g = t.assign(value=t["value"].astype(float)).groupby(["practice", "region"])["value"]
    return pd.DataFrame({"n": g.size(), "median": g.median()}).reset_index()


def feedback_summary(feedback: pd.DataFrame, visitors: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers: forms returned, response rate, people whose capacity increased, follow-ups."""
    cap = capacity_change(feedback)
    n_vis = len(visitors)
    n_forms = int(feedback["participant"].nunique())
    return {
        "n_visitors": n_vis,
        "n_forms": n_forms,
        "response_rate": n_forms / n_vis if n_vis else float("nan"),
        "n_capacity_assessed": len(cap),
        "n_capacity_increased": int(cap["increased"].sum()) if len(cap) else 0,
        "n_insights": int((feedback["section"] == "insight").sum()),
        "n_follow_ups": int((feedback["section"] == "follow_up").sum()),
        "n_transfer_ideas": int(((feedback["section"] == "practice") & (feedback["item"] == "transfer_idea")).sum()),
        "illustrative": bool(feedback["illustrative"].any()),
    }
