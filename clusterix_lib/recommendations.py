"""The recommendations register of a peer review: what the peers recommend, how strongly, and
what the host does about it.

One CSV per review (``peer_reviews/<review>/recommendations.csv``), one row per recommendation
(``docs/domain.md`` §8, Recommendation):

==============  =========================================================================
id              unique within the review, e.g. ``R1``
dimension       a dimension of the review's rubric (empty for cross-cutting advice)
text            the recommendation
priority        ``high``, ``medium`` or ``low``
horizon         ``quick win``, ``<=12 m`` or ``>12 m`` (also written ``≤12 m``)
agreement       ``unanimous``, ``majority`` or ``minority view``
host_response   ``accepted``, ``partially``, ``rejected``, ``to study`` or empty (not yet)
owner           who at the host acts on it (for the to-do list)
due             ``YYYY-MM`` or ``YYYY-MM-DD``, or empty
addressed_to    organisation the recommendation is addressed to (optional)
good_practices  ids of good practices from other partners, separated by ``;`` (optional)
evidence        criterion ids of the rubric the recommendation rests on, ``;``-separated
illustrative    ``true`` for invented demonstration rows
confidentiality ``public``, ``consortium`` or ``restricted`` (empty = restricted); the rule is in
                ``data/peer_reviews/README.md``
==============  =========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from clusterix_lib.confidentiality import read_levels
from clusterix_lib.errors import DataFileError, location
from clusterix_lib.fileio import row_failer
from clusterix_lib.rubrics import Rubric

__all__ = [
    "AGREEMENTS",
    "HORIZONS",
    "HORIZON_LABELS",
    "HOST_RESPONSES",
    "PRIORITIES",
    "RECOMMENDATION_COLUMNS",
    "good_practice_register",
    "linked_good_practices",
    "on_contested_criteria",
    "load_recommendations",
    "prioritise",
    "recommendations_table",
    "todo_list",
]

PRIORITIES = ("high", "medium", "low")
HORIZONS = ("quick win", "<=12 m", ">12 m")
#: How each horizon reads in a report.
HORIZON_LABELS = {"quick win": "quick win", "<=12 m": "within 12 months", ">12 m": "beyond 12 months", "": ""}
AGREEMENTS = ("unanimous", "majority", "minority view")
HOST_RESPONSES = ("accepted", "partially", "to study", "rejected", "")
REQUIRED = ("id", "text", "priority", "agreement")
RECOMMENDATION_COLUMNS = (
    "id",
    "dimension",
    "text",
    "priority",
    "horizon",
    "agreement",
    "host_response",
    "owner",
    "due",
    "addressed_to",
    "good_practices",
    "evidence",
    "illustrative",
    "confidentiality",
)
_DUE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")


def _split(text: str) -> list[str]:
    return [t.strip() for t in str(text).split(";") if t.strip()]


def load_recommendations(path: str | Path, rubric: Rubric | None = None) -> pd.DataFrame:
    """Read and check a recommendations register; a missing file is an empty register.

    Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming file, line, column
    and value: a missing column, an empty required field, a duplicate id, a value outside the
    allowed lists, a dimension or evidence criterion not in ``rubric``, a malformed due date.
    ``good_practices`` and ``evidence`` come back as lists. The ``confidentiality`` column is
    checked by :func:`clusterix_lib.confidentiality.read_levels` (an unknown word is an error; a
    missing column or an empty cell counts as restricted) and kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "recommendations.csv"
    >>> _ = p.write_text("id,text,priority,agreement,horizon\\nR1,Publish the criteria,high,unanimous,≤12 m\\n")
    >>> load_recommendations(p)[["id", "priority", "horizon", "good_practices"]].to_dict("records")
    [{'id': 'R1', 'priority': 'high', 'horizon': '<=12 m', 'good_practices': []}]
    >>> _ = p.write_text("id,text,priority,agreement\\nR1,Publish,urgent,unanimous\\n")
    >>> load_recommendations(p)
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: unknown priority (file ..., line 2, column 'priority', value 'urgent')...
    """
    path = Path(path)
    if not path.is_file():
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in RECOMMENDATION_COLUMNS})
        empty["illustrative"] = empty["illustrative"].astype(bool)
        return empty
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataFileError(
            f"recommendations register lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"columns: {', '.join(RECOMMENDATION_COLUMNS)}",
        )
    for c in RECOMMENDATION_COLUMNS:
        if c not in table.columns:
            table[c] = ""
    table = table[list(RECOMMENDATION_COLUMNS)].apply(lambda s: s.str.strip())
    table["priority"] = table["priority"].str.lower()
    table["agreement"] = table["agreement"].str.lower()
    table["host_response"] = table["host_response"].str.lower()
    table["horizon"] = (
        table["horizon"]
        .str.lower()
        .str.replace("≤", "<=", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.replace(r"^<=\s*12\s*m.*$", "<=12 m", regex=True)
        .str.replace(r"^>\s*12\s*m.*$", ">12 m", regex=True)
    )

    fail = row_failer(path, table)

    for c in REQUIRED:
        bad = table.index[table[c] == ""]
        if len(bad):
            fail(bad[0], c, f"empty {c}", f"fill in {c} for every recommendation")
    dup = table.index[table["id"].duplicated()]
    if len(dup):
        fail(dup[0], "id", "recommendation id used twice", "give every recommendation its own id")
    for c, allowed, required in (
        ("priority", PRIORITIES, True),
        ("agreement", AGREEMENTS, True),
        ("horizon", HORIZONS, False),
        ("host_response", HOST_RESPONSES, False),
    ):
        ok = table[c].isin(allowed) | (~required & (table[c] == ""))
        bad = table.index[~ok]
        if len(bad):
            fail(bad[0], c, f"unknown {c.replace('_', ' ')}", f"use one of {', '.join(a for a in allowed if a)}")
    bad = table.index[(table["due"] != "") & ~table["due"].str.match(_DUE)]
    if len(bad):
        fail(bad[0], "due", "due date is not YYYY-MM or YYYY-MM-DD", "e.g. 2018-06")
    if rubric is not None:
        bad = table.index[(table["dimension"] != "") & ~table["dimension"].isin(rubric.dimensions)]
        if len(bad):
            fail(
                bad[0],
                "dimension",
                f"dimension not in rubric {rubric.id}",
                f"use one of {', '.join(rubric.dimensions)}",
            )
        known = set(rubric.criterion_ids)
        bad = table.index[table["evidence"].map(lambda t: any(c not in known for c in _split(t)))]
        if len(bad):
            fail(
                bad[0],
                "evidence",
                f"evidence names a criterion not in rubric {rubric.id}",
                f"use criterion ids such as {', '.join(rubric.criterion_ids[:3])}, separated by ';'",
            )
    read_levels(table, path)
    table["good_practices"] = table["good_practices"].map(_split)
    table["evidence"] = table["evidence"].map(_split)
    table["illustrative"] = table["illustrative"].str.lower().isin(["true", "1", "yes"])
    return table


def prioritise(recs: pd.DataFrame) -> pd.DataFrame:
    """Recommendations in the order a host reads them: priority (high first), then agreement
    (unanimous first), then horizon (quick wins first), then id; with a ``rank`` column from 1."""
    order = {
        "priority": {p: i for i, p in enumerate(PRIORITIES)},
        "agreement": {a: i for i, a in enumerate(AGREEMENTS)},
        "horizon": {h: i for i, h in enumerate(HORIZONS)},
    }
    keys = pd.DataFrame({c: recs[c].map(m).fillna(len(m)) for c, m in order.items()})
    out = (
        recs.assign(**{f"_{c}": keys[c] for c in keys})
        .sort_values(["_priority", "_agreement", "_horizon", "id"], kind="stable")
        .drop(columns=[f"_{c}" for c in keys])
    )
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def recommendations_table(recs: pd.DataFrame) -> pd.DataFrame:
    """The recommendations as plain values, to download with a report.

    Parameters
    ----------
    recs
        Recommendations (:func:`load_recommendations`, filtered to what the build may show),
        ranked by :func:`prioritise` or not.

    Returns
    -------
    pandas.DataFrame
        One row per recommendation in the given order, every column kept; the lists
        ``good_practices`` and ``evidence`` become text (ids joined by ``"; "``).

    Examples
    --------
    >>> recs = pd.DataFrame({"id": ["R1"], "text": ["Open a call"], "good_practices": [["GP-1", "GP-2"]],
    ...                      "evidence": [["M7"]]})
    >>> recommendations_table(recs)[["id", "good_practices", "evidence"]].values.tolist()
    [['R1', 'GP-1; GP-2', 'M7']]
    """
    out = recs.copy()
    for c in ("good_practices", "evidence"):
        if c in out.columns:
            out[c] = out[c].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return out.reset_index(drop=True)


def on_contested_criteria(recs: pd.DataFrame, contested: Iterable[str]) -> pd.DataFrame:
    """Recommendations whose evidence includes a *contested* criterion (reviewers' independent
    scores more than a point apart): ``id, priority, criteria`` (the contested ones, as a list).

    A report flags them: the recommendation may be sound, but the scores it rests on do not agree.

    >>> recs = pd.DataFrame({"id": ["R1", "R2"], "priority": ["high", "low"], "evidence": [["4a", "M5"], ["M7"]]})
    >>> on_contested_criteria(recs, ["4a"]).to_dict("records")
    [{'id': 'R1', 'priority': 'high', 'criteria': ['4a']}]
    """
    contested = set(contested)
    hit = recs["evidence"].map(lambda ev: [c for c in ev if c in contested])
    out = recs.assign(criteria=hit)[hit.map(bool)]
    return out[["id", "priority", "criteria"]].reset_index(drop=True)


def todo_list(recs: pd.DataFrame) -> pd.DataFrame:
    """The host's to-do list: recommendations it accepted (fully or partly) or will study,
    prioritised, with ``id, action, owner, due, priority, horizon, host_response``; an empty
    owner reads ``"(to assign)"``."""
    todo = prioritise(recs[recs["host_response"].isin(["accepted", "partially", "to study"])])
    out = todo[["id", "text", "owner", "due", "priority", "horizon", "host_response"]].rename(
        columns={"text": "action"}
    )
    out["owner"] = out["owner"].replace("", "(to assign)")
    return out.reset_index(drop=True)


def good_practice_register(consortium_path: str | Path | None = None) -> pd.DataFrame | None:
    """The consortium's good-practice register, if one exists; else None.

    Looks for ``good_practices.csv`` next to the consortium file with at least an id column
    (``id`` or ``gp_id``) and ``title``; returns it with the id column named ``id``.
    """
    from clusterix_lib.consortium import default_consortium_path

    base = (Path(consortium_path) if consortium_path else default_consortium_path()).resolve().parent
    path = base / "good_practices.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "id" not in table.columns and "gp_id" in table.columns:
        table = table.rename(columns={"gp_id": "id"})
    if "id" not in table.columns or "title" not in table.columns:
        return None
    return table


def linked_good_practices(recs: pd.DataFrame, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (good practice, recommendation) link: ``good_practice, recommendation,
    dimension``, plus ``title``, ``region`` and ``found`` (in the register) when a register
    is given."""
    links = recs[["id", "dimension", "good_practices"]].explode("good_practices").dropna(subset=["good_practices"])
    links = links.rename(columns={"good_practices": "good_practice", "id": "recommendation"})
    links = links[["good_practice", "recommendation", "dimension"]].reset_index(drop=True)
    if register is not None:
        cols = [c for c in ("id", "title", "region", "nuts_code") if c in register.columns]
        links = links.merge(register[cols].rename(columns={"id": "good_practice"}), on="good_practice", how="left")
        links["found"] = links["title"].notna()
    return links
