"""Peer reviews: the review records, their scores, and the analysis of reviewer agreement.

A peer review is a folder ``peer_reviews/<review id>/`` next to the consortium file (for the
default consortium ``data/peer_reviews/``) holding:

``review.toml``
    the record: host partner (its ``partner_no`` in the consortium, so the host region and the
    policy instrument come from the consortium file), challenge, questions from the host, rubric
    and rubric version, dates, reviewers with roles, and ``illustrative = true`` where the
    scores and comments are invented for demonstration.
``scores.csv``
    the accepted scores, one row per (round, reviewer, criterion), written by
    :mod:`clusterix_lib.review_ingest` (see :data:`SCORE_COLUMNS`).
``recommendations.csv``
    the recommendations register (:mod:`clusterix_lib.recommendations`).

Three rounds (:data:`ROUNDS`): the host's ``self`` assessment, the peers' ``independent``
scores (given before the discussion) and the ``consensus`` round after it (one rapporteur's
consensus scores with dissent notes, or every peer's post-discussion scores).

The analysis works on the long score table and never loops over criteria or reviewers:
per-criterion median, quartiles, IQR and range of the peers' independent scores; contested
items (range >= 2, rubric R12 of ``docs/domain.md``); Krippendorff's alpha (ordinal) computed by
the ``krippendorff`` package, with a seeded bootstrap interval over criteria; the host's
self-assessment against the peers; and the movement from the independent to the consensus
round. NA answers and the rubric's "no information" point (0 on the RIS3 wheel) are not
judgements: they are counted but left out of every statistic.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib.confidentiality import read_levels
from clusterix_lib.errors import DataFileError, ParameterError, location
from clusterix_lib.fileio import row_failer
from clusterix_lib.rubrics import Rubric, _Lines, load_rubric

__all__ = [
    "CONSENSUS_ROLES",
    "INDEPENDENT_ROLES",
    "ROLES",
    "ROUNDS",
    "SCORE_COLUMNS",
    "PeerReview",
    "agreement",
    "alpha_bootstrap",
    "alpha_interpretation",
    "alpha_ordinal",
    "anonymised_scores",
    "consensus_movement",
    "criterion_profile",
    "criterion_summary",
    "criterion_table",
    "describe_level",
    "dimension_profile",
    "empty_scores",
    "list_reviews",
    "load_review",
    "load_scores",
    "reliability_matrix",
    "review_comments",
    "withheld_comments",
    "review_sources",
    "review_summary",
    "review_targets",
    "reviewer_labels",
    "reviewer_movement",
    "reviews_dir",
    "score_values",
    "self_vs_peers",
]

#: The three rounds of a review, in the order they happen.
ROUNDS = ("self", "independent", "consensus")
#: Reviewer roles (``docs/domain.md`` §8 PeerReview, plus the host who self-assesses).
ROLES = ("host", "peer", "critical friend", "expert", "rapporteur", "facilitator")
#: Roles whose scores form the independent round.
INDEPENDENT_ROLES = ("peer", "critical friend", "expert")
#: Roles that may submit consensus-round scores (a rapporteur, or peers after the discussion).
CONSENSUS_ROLES = ("rapporteur", "facilitator", *INDEPENDENT_ROLES)
#: Which roles may submit each round.
ROUND_ROLES: dict[str, tuple[str, ...]] = {
    "self": ("host",),
    "independent": INDEPENDENT_ROLES,
    "consensus": CONSENSUS_ROLES,
}
#: Columns of ``scores.csv``.
SCORE_COLUMNS = (
    "review",
    "round",
    "reviewer",
    "criterion",
    "value",
    "na",
    "comment",
    "source_file",
    "source_sha256",
    "source_cell",
    "illustrative",
    "confidentiality",
)
#: Columns a score store may lack (read as empty: a missing level counts as restricted).
OPTIONAL_SCORE_COLUMNS = ("confidentiality",)
#: Krippendorff's usual thresholds (rubric R12): alpha >= 0.8 good, >= 0.667 acceptable.
ALPHA_GOOD, ALPHA_ACCEPTABLE = 0.8, 0.667

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TOP_REQUIRED = ("id", "title", "host_partner", "challenge", "rubric", "rubric_version", "reviewers")
_TOP_OPTIONAL = (
    "consortium",
    "host_region",
    "instrument",
    "questions",
    "event",
    "place",
    "date_start",
    "date_end",
    "illustrative",
    "note",
)
_REV_REQUIRED = ("id", "role")
_REV_OPTIONAL = ("partner", "label", "organisation")


# --------------------------------------------------------------------------------------
# Review records
# --------------------------------------------------------------------------------------


def reviews_dir(consortium_path: str | Path | None = None) -> Path:
    """Folder of a consortium's peer reviews: ``peer_reviews/`` next to its consortium file.

    >>> reviews_dir().name
    'peer_reviews'
    """
    from clusterix_lib.consortium import default_consortium_path

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    return path.resolve().parent / "peer_reviews"


@dataclass(frozen=True)
class PeerReview:
    """A peer review record (``review.toml``), checked against its consortium.

    ``reviewers`` has columns ``reviewer, role, partner, label, organisation, short_name,
    region, country`` (partner fields empty for reviewers from outside the consortium).
    """

    id: str
    title: str
    consortium: Path
    host_partner: int
    host_region: str
    host_organisation: str
    host_short_name: str
    host_country: str
    instrument: str
    challenge: str
    questions: tuple[str, ...]
    rubric_id: str
    rubric_version: str
    reviewers: pd.DataFrame = field(repr=False)
    event: str = ""
    place: str = ""
    date_start: str = ""
    date_end: str = ""
    illustrative: bool = False
    note: str = ""
    folder: Path | None = None

    @property
    def path(self) -> Path:
        """The ``review.toml`` file."""
        return self.folder / "review.toml"

    @property
    def scores_path(self) -> Path:
        """Default score store ``<review folder>/scores.csv``."""
        return self.folder / "scores.csv"

    @property
    def recommendations_path(self) -> Path:
        """Recommendations register ``<review folder>/recommendations.csv``."""
        return self.folder / "recommendations.csv"

    def rubric(self) -> Rubric:
        """The rubric the review scores with, in the version it names."""
        return load_rubric(self.rubric_id, version=self.rubric_version)

    def reviewer_role(self, reviewer: str) -> str | None:
        """Role of a reviewer id, or None if the id is not a reviewer of this review."""
        hit = self.reviewers.loc[self.reviewers["reviewer"] == reviewer, "role"]
        return None if hit.empty else str(hit.iloc[0])

    def check_region(self, region: str) -> None:
        """Raise :class:`ParameterError` unless ``region`` is the host region of this review."""
        if str(region).strip().upper() != self.host_region:
            raise ParameterError(
                f"review {self.id!r} is hosted by {self.host_region}, not {region}",
                where="parameters region and review",
                hint=f"use region={self.host_region}, or a review hosted by {region} (clusterix peer-review list)",
            )


def _fail(
    path: Path, what: str, *, line: int | None = None, column: str | None = None, value: Any = None, hint: str
) -> None:
    raise DataFileError(what, where=location(path, line=line, column=column, value=value), hint=hint)


def _date_text(value: Any, path: Path, lines: _Lines, key: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        _fail(path, f"{key} is not a date", line=lines.top(key), column=key, value=value, hint="write it as YYYY-MM-DD")
    return ""  # pragma: no cover


def read_review_file(path: str | Path, consortium: pd.DataFrame | None = None) -> PeerReview:
    """Read and check one ``review.toml``.

    Checks, each raising :class:`~clusterix_lib.errors.DataFileError` with file, line, key and
    value: required keys present, no unknown keys, the id equal to the folder name, the host
    partner and every reviewer's partner in the consortium, ``host_region`` (if given) equal to
    the host partner's region, reviewer ids unique, roles known, exactly one host reviewer at
    most, peers not from the host region, dates as ``YYYY-MM-DD``.
    """
    from clusterix_lib.consortium import load_consortium

    path = Path(path).resolve()
    if not path.is_file():
        raise DataFileError(f"review record not found: {path}", hint="each review folder holds a review.toml")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(
            f"review record is not valid TOML: {exc}",
            where=location(path),
            hint="compare it with data/peer_reviews/*/review.toml",
        ) from exc
    lines = _Lines(text, block="reviewers")
    allowed = _TOP_REQUIRED + _TOP_OPTIONAL
    for key in data:
        if key not in allowed:
            _fail(
                path,
                f"unknown key {key!r}",
                line=lines.top(key),
                column=key,
                value=data[key],
                hint=f"allowed keys: {', '.join(allowed)}",
            )
    for key in _TOP_REQUIRED:
        if key not in data or data[key] in ("", [], None):
            _fail(path, f"missing key {key!r}", column=key, hint=f"a review record needs {', '.join(_TOP_REQUIRED)}")
    rid = str(data["id"]).strip()
    if rid != path.parent.name or not _ID.match(rid):
        _fail(
            path,
            f"review id {rid!r} must equal its folder name {path.parent.name!r}",
            line=lines.top("id"),
            column="id",
            value=rid,
            hint="rename the folder or the id (letters, digits, '.', '_', '-')",
        )
    cons_name = str(data.get("consortium") or "").strip()
    cons_path = path.parent.parent.parent / cons_name if cons_name else None
    if consortium is None:
        consortium = load_consortium(cons_path)
    by_no = consortium.set_index("partner_no")
    host_no = data["host_partner"]
    if isinstance(host_no, bool) or not isinstance(host_no, int) or host_no not in by_no.index:
        _fail(
            path,
            "host_partner is not a partner number of the consortium",
            line=lines.top("host_partner"),
            column="host_partner",
            value=host_no,
            hint=f"use one of {', '.join(map(str, by_no.index))} (column partner_no of the consortium file)",
        )
    host = by_no.loc[host_no]
    region = str(data.get("host_region") or host["nuts_code"]).strip().upper()
    if region != host["nuts_code"]:
        _fail(
            path,
            f"host_region {region} is not the region of partner {host_no} ({host['nuts_code']})",
            line=lines.top("host_region"),
            column="host_region",
            value=region,
            hint="leave host_region out (it comes from the consortium) or correct it",
        )
    instrument = str(data.get("instrument") or host.get("main_instrument") or "").strip()
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        _fail(
            path,
            "questions must be a list of texts",
            line=lines.top("questions"),
            column="questions",
            value=questions,
            hint='write questions = ["...", "..."]',
        )
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        _fail(
            path,
            "illustrative must be true or false",
            line=lines.top("illustrative"),
            column="illustrative",
            value=illustrative,
            hint="write illustrative = true for invented scores",
        )

    revs = data["reviewers"]
    if not isinstance(revs, list) or not revs:
        _fail(path, "no reviewers", column="reviewers", hint="add one [[reviewers]] block per reviewer")
    rows = []
    for n, rev in enumerate(revs):
        col = f"reviewers[{n + 1}]"
        if not isinstance(rev, dict):
            _fail(path, "reviewers must be [[reviewers]] blocks", column=col, hint="one block per reviewer")
        for key in rev:
            if key not in _REV_REQUIRED + _REV_OPTIONAL:
                _fail(
                    path,
                    f"unknown key {key!r} in reviewer {n + 1}",
                    line=lines.item(n, key),
                    column=f"{col}.{key}",
                    value=rev[key],
                    hint=f"allowed: {', '.join(_REV_REQUIRED + _REV_OPTIONAL)}",
                )
        rev_id = str(rev.get("id", "")).strip()
        if not rev_id or not _ID.match(rev_id):
            _fail(
                path,
                "reviewer id missing or not an identifier",
                line=lines.item(n, "id"),
                column=f"{col}.id",
                value=rev.get("id"),
                hint="e.g. P1, HOST, RAP (letters, digits, '.', '_', '-')",
            )
        if rev_id in {r["reviewer"] for r in rows}:
            _fail(
                path,
                f"reviewer id {rev_id!r} used twice",
                line=lines.item(n, "id"),
                column=f"{col}.id",
                value=rev_id,
                hint="give every reviewer their own id",
            )
        role = str(rev.get("role", "")).strip().lower()
        if role not in ROLES:
            _fail(
                path,
                "unknown reviewer role",
                line=lines.item(n, "role"),
                column=f"{col}.role",
                value=rev.get("role"),
                hint=f"use one of {', '.join(ROLES)}",
            )
        partner = rev.get("partner")
        org, short, reg, country = str(rev.get("organisation") or "").strip(), "", "", ""
        if partner is not None:
            if isinstance(partner, bool) or not isinstance(partner, int) or partner not in by_no.index:
                _fail(
                    path,
                    "reviewer partner is not a partner number of the consortium",
                    line=lines.item(n, "partner"),
                    column=f"{col}.partner",
                    value=partner,
                    hint="use the partner_no of the consortium file, or leave partner out for outside experts",
                )
            p = by_no.loc[partner]
            org, short, reg, country = (
                p["organisation"],
                p["short_name"] or p["organisation"],
                p["nuts_code"],
                p["country"],
            )
        if role == "peer" and reg == region:
            _fail(
                path,
                f"peer {rev_id} comes from the host region {region}",
                line=lines.item(n, "partner"),
                column=f"{col}.partner",
                value=partner,
                hint="peers come from other regions; give a host colleague the role 'host' or 'facilitator'",
            )
        rows.append(
            {
                "reviewer": rev_id,
                "role": role,
                "partner": partner,
                "label": str(rev.get("label") or "").strip(),
                "organisation": org,
                "short_name": short,
                "region": reg,
                "country": country,
            }
        )
    reviewers = pd.DataFrame(rows)
    reviewers["partner"] = reviewers["partner"].astype("Int64")
    if (reviewers["role"] == "host").sum() > 1:
        _fail(
            path,
            "more than one reviewer with the role 'host'",
            column="reviewers",
            hint="one host self-assessment per review",
        )
    return PeerReview(
        id=rid,
        title=str(data["title"]).strip(),
        consortium=(cons_path or _default_consortium()).resolve(),
        host_partner=int(host_no),
        host_region=region,
        host_organisation=str(host["organisation"]),
        host_short_name=str(host["short_name"] or host["organisation"]),
        host_country=str(host["country"]),
        instrument=instrument,
        challenge=" ".join(str(data["challenge"]).split()),
        questions=tuple(" ".join(q.split()) for q in questions),
        rubric_id=str(data["rubric"]).strip(),
        rubric_version=str(data["rubric_version"]).strip(),
        reviewers=reviewers,
        event=str(data.get("event") or "").strip(),
        place=str(data.get("place") or "").strip(),
        date_start=_date_text(data.get("date_start"), path, lines, "date_start"),
        date_end=_date_text(data.get("date_end"), path, lines, "date_end"),
        illustrative=illustrative,
        note=" ".join(str(data.get("note") or "").split()),
        folder=path.parent,
    )


def _default_consortium() -> Path:
    from clusterix_lib.consortium import default_consortium_path

    return default_consortium_path()


def _review_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/review.toml")) if folder.is_dir() else []


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def list_reviews(consortium_path: str | Path | None = None) -> pd.DataFrame:
    """The peer reviews of a consortium: ``review, region, host, rubric, date_start, n_reviewers,
    illustrative, folder``, sorted by region and date.

    Reviews are the ``peer_reviews/*/review.toml`` next to the consortium file whose
    ``consortium`` key names that file (a folder can hold the reviews of several consortia).

    >>> list_reviews()["review"].tolist()
    ['AT12-2017', 'CZ08-2018', 'RO21-2019']
    """
    from clusterix_lib.consortium import default_consortium_path, load_consortium

    cpath = Path(consortium_path).resolve() if consortium_path else default_consortium_path().resolve()
    consortium = None
    rows = []
    for f in _review_files(reviews_dir(cpath)):
        try:
            named = tomllib.loads(f.read_text(encoding="utf-8")).get("consortium") or default_consortium_path().name
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            read_review_file(f)  # raises the DataFileError naming file and line
            raise  # pragma: no cover
        if not _same_file(f.parent.parent.parent / str(named), cpath):
            continue
        if consortium is None:
            consortium = load_consortium(cpath)
        r = read_review_file(f, consortium)
        rows.append(
            {
                "review": r.id,
                "region": r.host_region,
                "host": r.host_short_name,
                "rubric": r.rubric_id,
                "date_start": r.date_start,
                "n_reviewers": int(r.reviewers["role"].isin(INDEPENDENT_ROLES).sum()),
                "illustrative": r.illustrative,
                "folder": str(r.folder),
            }
        )
    cols = ["review", "region", "host", "rubric", "date_start", "n_reviewers", "illustrative", "folder"]
    return pd.DataFrame(rows, columns=cols).sort_values(["region", "date_start", "review"], ignore_index=True)


def load_review(
    review: str, *, consortium_path: str | Path | None = None, folder: str | Path | None = None
) -> PeerReview:
    """Load a review by id from the consortium's ``peer_reviews`` folder (or from ``folder``).

    >>> r = load_review("AT12-2017")
    >>> r.host_region, r.rubric_id, r.illustrative
    ('AT12', 'cluster_policy_maturity', True)
    """
    base = Path(folder) if folder else reviews_dir(consortium_path)
    path = base / str(review) / "review.toml"
    if not path.is_file():
        known = [p.parent.name for p in _review_files(base)]
        raise DataFileError(
            f"unknown peer review {review!r}",
            where=str(base),
            hint=f"known reviews: {', '.join(known) or 'none'} (clusterix peer-review list)",
        )
    return read_review_file(path)


def review_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """Default ``peer_review`` reports of a consortium: one per review, ``{"region", "review"}``.

    For a consortium file other than the default, ``reviews_dir`` (its ``peer_reviews`` folder)
    is added so the notebook reads that consortium's reviews.

    >>> review_targets()[0]
    {'region': 'AT12', 'review': 'AT12-2017'}
    """
    from clusterix_lib.consortium import default_consortium_path

    table = list_reviews(consortium_path)
    extra: dict[str, Any] = {}
    if consortium_path and not _same_file(Path(consortium_path), default_consortium_path()):
        extra["reviews_dir"] = str(reviews_dir(consortium_path))
    return [{"region": r.region, "review": r.review, **extra} for r in table.itertuples()]


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------


def empty_scores() -> pd.DataFrame:
    """An empty score table with the columns and dtypes of ``scores.csv``."""
    return _typed(pd.DataFrame({c: [] for c in SCORE_COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("review", "round", "reviewer", "criterion", "comment", "source_file", "source_sha256", "source_cell"):
        df[c] = df[c].fillna("").astype(str)
    if "confidentiality" not in df:
        df["confidentiality"] = ""
    df["confidentiality"] = df["confidentiality"].fillna("").astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype("Int64")

    def boolean(s: pd.Series) -> pd.Series:
        return s.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])

    df["na"] = boolean(df["na"])
    df["illustrative"] = boolean(df["illustrative"])
    return df[list(SCORE_COLUMNS)]


def load_scores(path: str | Path, review: PeerReview | None = None, rubric: Rubric | None = None) -> pd.DataFrame:
    """Read a score store (``scores.csv``); a missing file is an empty table.

    The ``confidentiality`` column (public / consortium / restricted; see ``data/peer_reviews/README.md``)
    is checked by :func:`clusterix_lib.confidentiality.read_levels` and kept; a store without it
    reads as all-empty levels, which count as restricted.

    With ``review`` (and its ``rubric``, read from the review if not given) every row is also
    checked against them: the review id, the
    round, a reviewer of the review, a criterion of the rubric, a value on the rubric's scale, and
    no second score of one reviewer for one criterion in one round (a store edited by hand).

    Raises :class:`~clusterix_lib.errors.DataFileError` if columns are missing, a value is not
    a whole number or a confidentiality level is unknown, or a check above fails (naming file,
    line, column and value).
    """
    path = Path(path)
    if not path.is_file():
        return empty_scores()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SCORE_COLUMNS if c not in raw.columns and c not in OPTIONAL_SCORE_COLUMNS]
    if missing:
        raise DataFileError(
            f"score store lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"the header is {','.join(SCORE_COLUMNS)}",
        )
    bad = raw.index[~raw["value"].str.fullmatch(r"-?\d*")]
    if len(bad):
        raise DataFileError(
            "score is not a whole number",
            where=location(path, line=int(bad[0]) + 2, column="value", value=raw.at[bad[0], "value"]),
            hint="fix or re-ingest the file",
        )
    read_levels(raw, path)
    if review is not None:
        _check_score_rows(raw, path, review, rubric or review.rubric())
    raw["value"] = raw["value"].replace("", None)
    return _typed(raw)


def _check_score_rows(raw: pd.DataFrame, path: Path, review: PeerReview, rubric: Rubric) -> None:
    fail = row_failer(path, raw)
    scale = {str(v) for v in (*rubric.scale, rubric.no_information) if v is not None}
    checks = (
        ("review", raw["review"] != review.id, "a score of another review", f"this store belongs to {review.id}"),
        ("round", ~raw["round"].isin(ROUNDS), "unknown round", f"use one of {', '.join(ROUNDS)}"),
        (
            "reviewer",
            ~raw["reviewer"].isin(review.reviewers["reviewer"]),
            "not a reviewer of this review",
            f"use a reviewer id of review.toml: {', '.join(review.reviewers['reviewer'])}",
        ),
        (
            "criterion",
            ~raw["criterion"].isin(rubric.criterion_ids),
            f"not a criterion of the rubric {rubric.id}",
            f"use one of {', '.join(rubric.criterion_ids)}",
        ),
        (
            "value",
            (raw["value"] != "") & ~raw["value"].isin(scale),
            f"score outside the rubric's scale {rubric.scale_min}-{rubric.scale_max}",
            "correct the score, or re-ingest the reviewer's form",
        ),
        (
            "criterion",
            raw.duplicated(["review", "round", "reviewer", "criterion"]),
            "a second score of this reviewer for this criterion in this round",
            "keep one row per reviewer, criterion and round",
        ),
    )
    for column, bad, what, hint in checks:
        rows = bad.to_numpy().nonzero()[0]
        if len(rows):
            fail(int(rows[0]), column, what, hint)


def score_values(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Add ``score`` (float; NaN for NA and for the rubric's "no information" point) and ``status``.

    ``status`` is ``"scored"``, ``"NA"`` or ``"no information"``.

    >>> r = load_rubric("ris3_wheel")
    >>> s = pd.DataFrame({"value": pd.array([3, 0, None], dtype="Int64"), "na": [False, False, True]})
    >>> score_values(s, r)[["score", "status"]].to_dict("list")
    {'score': [3.0, nan, nan], 'status': ['scored', 'no information', 'NA']}
    """
    out = scores.copy()
    value = out["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    no_info = np.zeros(len(out), bool) if rubric.no_information is None else value == rubric.no_information
    na = out["na"].to_numpy(bool) | np.isnan(value)
    out["status"] = np.select([na, no_info], ["NA", "no information"], "scored")
    out["score"] = np.where(na | no_info, np.nan, value)
    return out


def _round(scores: pd.DataFrame, rnd: str) -> pd.DataFrame:
    if rnd not in ROUNDS:
        raise ParameterError(f"unknown round {rnd!r}", hint=f"use one of {', '.join(ROUNDS)}")
    return scores[scores["round"] == rnd]


def reliability_matrix(scores: pd.DataFrame, rubric: Rubric, round: str = "independent") -> pd.DataFrame:
    """Reviewers x criteria table of one round's scores (NaN = NA, no information or not scored).

    Rows are reviewers in order of first appearance, columns every criterion of the rubric in
    rubric order: the ``reliability_data`` of :func:`krippendorff.alpha`.
    """
    s = score_values(_round(scores, round), rubric)
    m = s.pivot_table(index="reviewer", columns="criterion", values="score", aggfunc="first", sort=False, dropna=False)
    order = list(dict.fromkeys(s["reviewer"]))
    return m.reindex(index=order, columns=rubric.criterion_ids).astype(float)


def criterion_summary(
    scores: pd.DataFrame, rubric: Rubric, round: str = "independent", *, threshold: int = 2
) -> pd.DataFrame:
    """Spread of one round's scores per criterion.

    Columns: ``criterion, dimension, short, n_scored, n_na, n_no_info, median, q1, q3, iqr, min,
    max, range, contested``. Quartiles by linear interpolation (pandas' default); ``range`` =
    max - min; ``contested`` is ``range >= threshold`` (rubric R12: 2 points). Criteria nobody
    scored have NaN statistics and are not contested.

    Examples
    --------
    >>> r = load_rubric("cluster_policy_maturity")
    >>> s = pd.DataFrame({"round": "independent", "reviewer": ["A", "B", "C"], "criterion": "M1",
    ...                   "value": pd.array([2, 4, 3], dtype="Int64"), "na": False})
    >>> row = criterion_summary(s, r).iloc[0]
    >>> [float(row[k]) for k in ("median", "iqr", "range")], bool(row["contested"])
    ([3.0, 1.0, 2.0], True)
    """
    s = score_values(_round(scores, round), rubric)
    g = s.groupby("criterion")
    stats = pd.DataFrame(
        {
            "n_scored": g["score"].count(),
            "n_na": g["status"].agg(lambda x: int((x == "NA").sum())),
            "n_no_info": g["status"].agg(lambda x: int((x == "no information").sum())),
            "median": g["score"].median(),
            "q1": g["score"].quantile(0.25),
            "q3": g["score"].quantile(0.75),
            "min": g["score"].min(),
            "max": g["score"].max(),
        }
    )
    out = rubric.criteria[["criterion", "dimension", "short"]].merge(
        stats, left_on="criterion", right_index=True, how="left"
    )
    for c in ("n_scored", "n_na", "n_no_info"):
        out[c] = out[c].fillna(0).astype(int)
    out["iqr"] = out["q3"] - out["q1"]
    out["range"] = out["max"] - out["min"]
    out["contested"] = (out["range"] >= threshold).fillna(False).astype(bool)
    cols = [
        "criterion",
        "dimension",
        "short",
        "n_scored",
        "n_na",
        "n_no_info",
        "median",
        "q1",
        "q3",
        "iqr",
        "min",
        "max",
        "range",
        "contested",
    ]
    return out[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------


def alpha_ordinal(matrix: pd.DataFrame | np.ndarray) -> float:
    """Krippendorff's alpha, ordinal metric, of a raters x units matrix (NaN = missing).

    alpha = 1 - D_o / D_e: observed disagreement over the disagreement expected by chance, with
    the ordinal distance between values c and k
    d(c, k) = (sum of n_g for g from c to k - (n_c + n_k) / 2)^2, n_g the number of pairable
    values g. Computed by :func:`krippendorff.alpha` (the reference implementation); NaN when
    fewer than two values are pairable or all pairable values are equal.

    Examples
    --------
    Krippendorff's (2011) worked example of four coders and twelve units (ordinal alpha 0.815):

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(alpha_ordinal(np.array(data)), 3)
    0.815
    """
    import krippendorff

    data = np.asarray(matrix, dtype=float)
    values = data[~np.isnan(data)]
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if not pairable.any() or len(np.unique(data[:, pairable][~np.isnan(data[:, pairable])])) < 2:
        return float("nan")
    if len(np.unique(values)) < 2:  # pragma: no cover - covered by the line above
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal"))


def alpha_bootstrap(
    matrix: pd.DataFrame | np.ndarray, *, n_boot: int = 2000, seed: int = 20160401, level: float = 0.95
) -> dict[str, Any]:
    """Ordinal alpha with a percentile bootstrap interval over units (criteria).

    The units with at least two pairable values are resampled with replacement ``n_boot`` times
    (numpy ``default_rng(seed)``: the same seed gives the same interval); alpha of each resample
    comes from :func:`krippendorff.alpha` on the resampled value counts. Resamples in which alpha
    is undefined (every value equal) are dropped and counted. With few units (9 or 18 criteria)
    the interval is wide: it says how much the verdict depends on which criteria were asked.

    Returns
    -------
    dict
        ``alpha, ci_low, ci_high, level, n_boot, n_valid, seed, n_units, n_raters, n_values``.

    Examples
    --------
    >>> m = np.array([[1, 2, 3, 4, 5, 3], [1, 2, 4, 4, 5, 2], [2, 2, 3, 5, 5, 3]], float)
    >>> b = alpha_bootstrap(m, n_boot=500, seed=1)
    >>> round(b["alpha"], 3), b["ci_low"] <= b["alpha"] <= b["ci_high"], b["n_units"]
    (0.883, True, 6)
    """
    import krippendorff

    data = np.asarray(matrix, dtype=float)
    present = ~np.isnan(data)
    keep = present.sum(axis=0) >= 2
    data = data[:, keep]
    domain = np.unique(data[~np.isnan(data)])
    out: dict[str, Any] = {
        "alpha": alpha_ordinal(data) if data.size else float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "level": level,
        "n_boot": n_boot,
        "n_valid": 0,
        "seed": seed,
        "n_units": int(keep.sum()),
        "n_raters": int((present[:, keep].sum(axis=1) > 0).sum()),
        "n_values": int((~np.isnan(data)).sum()),
    }
    if not np.isfinite(out["alpha"]) or n_boot <= 0:
        return out
    counts = (data.T[..., np.newaxis] == domain[np.newaxis, np.newaxis, :]).sum(axis=1)  # units x values
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, counts.shape[0], size=(n_boot, counts.shape[0]))
    alphas = np.full(n_boot, np.nan)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for b, idx in enumerate(draws):  # one call of the reference implementation per resample
            vc = counts[idx]
            if (vc.sum(axis=0) > 0).sum() < 2:
                continue
            alphas[b] = krippendorff.alpha(value_counts=vc, value_domain=domain, level_of_measurement="ordinal")
    valid = alphas[np.isfinite(alphas)]
    out["n_valid"] = int(valid.size)
    if valid.size:
        tail = (1 - level) / 2 * 100
        out["ci_low"], out["ci_high"] = (float(x) for x in np.percentile(valid, [tail, 100 - tail]))
    return out


def agreement(
    scores: pd.DataFrame,
    rubric: Rubric,
    round: str = "independent",
    *,
    n_boot: int = 2000,
    seed: int = 20160401,
    threshold: int = 2,
) -> dict[str, Any]:
    """Agreement of one round (rubric R12): alpha with its bootstrap interval, the share of
    contested items and the verdict of :func:`alpha_interpretation`.

    Returns the keys of :func:`alpha_bootstrap` plus ``round, n_criteria, n_contested,
    share_contested, contested`` (criterion ids) and ``verdict``.
    """
    m = reliability_matrix(scores, rubric, round)
    out = alpha_bootstrap(m.to_numpy(), n_boot=n_boot, seed=seed)
    summary = criterion_summary(scores, rubric, round, threshold=threshold)
    contested = summary.loc[summary["contested"], "criterion"].tolist()
    scored = int((summary["n_scored"] >= 2).sum())
    out.update(
        round=round,
        n_raters=int(len(m.index)),
        n_criteria=len(rubric.criteria),
        n_contested=len(contested),
        share_contested=len(contested) / scored if scored else float("nan"),
        contested=contested,
        verdict=alpha_interpretation(out["alpha"]),
    )
    return out


def alpha_interpretation(alpha: float) -> str:
    """Krippendorff's usual reading of alpha (rubric R12).

    >>> [alpha_interpretation(a) for a in (0.85, 0.7, 0.4, float("nan"))]
    ['good', 'acceptable', 'low', 'not computable']
    """
    if alpha is None or not np.isfinite(alpha):
        return "not computable"
    if alpha >= ALPHA_GOOD:
        return "good"
    if alpha >= ALPHA_ACCEPTABLE:
        return "acceptable"
    return "low"


# --------------------------------------------------------------------------------------
# Self-assessment, consensus, profiles
# --------------------------------------------------------------------------------------


def _per_criterion(scores: pd.DataFrame, rubric: Rubric, rnd: str, name: str) -> pd.Series:
    s = score_values(_round(scores, rnd), rubric)
    return s.groupby("criterion")["score"].median().reindex(rubric.criterion_ids).rename(name)


def criterion_profile(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Per criterion: ``self`` (host), ``peers`` (median of the independent round) and
    ``consensus`` (median of the consensus round: the rapporteur's score where one submitted it).

    NaN where a round has no score (or only NA / no information) for the criterion.
    """
    parts = [
        _per_criterion(scores, rubric, r, n)
        for r, n in (("self", "self"), ("independent", "peers"), ("consensus", "consensus"))
    ]
    out = rubric.criteria[["criterion", "dimension", "short"]].set_index("criterion").join(parts)
    return out.reset_index()


def _aggregate(values: pd.DataFrame, rubric: Rubric, cols: list[str]) -> pd.DataFrame:
    v = values.merge(rubric.criteria[["criterion", "weight"]], on="criterion")
    g = v.groupby("dimension", sort=False)
    if rubric.aggregation == "median":
        out = g[cols].median()
    elif rubric.aggregation == "weighted mean":
        w = v["weight"].to_numpy()[:, None]
        x = v[cols].to_numpy(float)
        num = pd.DataFrame(np.where(np.isnan(x), 0, x * w), columns=cols).groupby(v["dimension"].to_numpy()).sum()
        den = pd.DataFrame(np.where(np.isnan(x), 0, w), columns=cols).groupby(v["dimension"].to_numpy()).sum()
        out = num / den.replace(0, np.nan)
    else:
        out = g[cols].mean()
    return out.reindex(list(rubric.dimensions))


def criterion_table(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Per criterion, the scores of every round and the spread of the independent round: the
    table to download with a peer-review report.

    Parameters
    ----------
    scores
        The review's scores (:func:`load_scores`; comments are not used).
    rubric
        The review's rubric.

    Returns
    -------
    pandas.DataFrame
        ``criterion, dimension, short, self, peers, consensus`` (:func:`criterion_profile`) and
        ``n_scored, n_na, n_no_info, q1, q3, iqr, min, max, range, contested`` of the independent
        round (:func:`criterion_summary`; its median is ``peers``), in rubric order.

    Examples
    --------
    >>> r = load_rubric("cluster_policy_maturity")
    >>> s = pd.DataFrame({"round": ["self", "independent", "independent", "consensus"],
    ...                   "reviewer": ["H", "A", "B", "R"], "criterion": "M1",
    ...                   "value": pd.array([5, 2, 4, 3], dtype="Int64"), "na": False})
    >>> criterion_table(s, r)[["self", "peers", "consensus", "range"]].iloc[0].astype(float).tolist()
    [5.0, 3.0, 3.0, 2.0]
    """
    spread = criterion_summary(scores, rubric).drop(columns=["dimension", "short", "median"])
    return criterion_profile(scores, rubric).merge(spread, on="criterion", how="left")


def dimension_profile(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Per dimension: ``self``, ``peers``, ``consensus`` and ``n_criteria``, combining the
    per-criterion values of :func:`criterion_profile` by the rubric's ``aggregation`` (mean,
    median or weighted mean; criteria without a value are left out)."""
    prof = criterion_profile(scores, rubric)
    out = _aggregate(prof, rubric, ["self", "peers", "consensus"])
    out["n_criteria"] = prof.groupby("dimension").size().reindex(out.index).astype(int)
    return out.reset_index().rename(columns={"index": "dimension"})


def self_vs_peers(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """The host's self-assessment against the peers' independent scores, per criterion.

    Columns: ``criterion, dimension, short, self, peers`` (median), ``min``, ``max`` (of the
    peers), ``gap = self - peers`` and ``position``: ``"above all peers"`` (self > max),
    ``"below all peers"`` (self < min), ``"within the peers' range"`` or ``""`` when either side
    is missing.
    """
    prof = criterion_profile(scores, rubric)[["criterion", "dimension", "short", "self", "peers"]]
    spread = criterion_summary(scores, rubric)[["criterion", "min", "max"]]
    out = prof.merge(spread, on="criterion")
    out["gap"] = out["self"] - out["peers"]
    known = out["self"].notna() & out["min"].notna()
    out["position"] = np.select(
        [known & (out["self"] > out["max"]), known & (out["self"] < out["min"]), known],
        ["above all peers", "below all peers", "within the peers' range"],
        "",
    )
    return out


def consensus_movement(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """From the independent round to the consensus, per criterion.

    Columns: ``criterion, dimension, short, independent`` (peers' median), ``min``, ``max``,
    ``consensus``, ``change = consensus - independent``, ``outside_range`` (consensus outside
    the independent min..max: the discussion moved beyond every reviewer's first view) and
    ``dissent`` (the consensus round's comments, joined).
    """
    summ = criterion_summary(scores, rubric)[["criterion", "dimension", "short", "median", "min", "max"]]
    summ = summ.rename(columns={"median": "independent"})
    cons = _per_criterion(scores, rubric, "consensus", "consensus")
    out = summ.merge(cons, left_on="criterion", right_index=True, how="left")
    out["change"] = out["consensus"] - out["independent"]
    out["outside_range"] = ((out["consensus"] < out["min"]) | (out["consensus"] > out["max"])).fillna(False)
    c = _round(scores, "consensus")
    notes = c[c["comment"].str.strip() != ""].groupby("criterion")["comment"].agg(" / ".join)
    out["dissent"] = [notes.get(c, "") for c in out["criterion"]]
    return out


def reviewer_movement(scores: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """How far each peer's independent scores lie from the consensus: ``reviewer, n,
    mean_abs_diff, n_higher, n_lower`` (reviewer above / below the consensus)."""
    ind = score_values(_round(scores, "independent"), rubric)[["reviewer", "criterion", "score"]]
    cons = _per_criterion(scores, rubric, "consensus", "consensus")
    d = ind.merge(cons, left_on="criterion", right_index=True).dropna(subset=["score", "consensus"])
    d["diff"] = d["score"] - d["consensus"]
    g = d.groupby("reviewer", sort=False)["diff"]
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean_abs_diff": g.apply(lambda x: x.abs().mean()),
            "n_higher": g.apply(lambda x: int((x > 0).sum())),
            "n_lower": g.apply(lambda x: int((x < 0).sum())),
        }
    )
    return out.reset_index()


def reviewer_labels(review: PeerReview) -> dict[str, str]:
    """Anonymous labels: the host ``"Host"``, independent reviewers ``"Reviewer A"``, ``"B"``...
    in the order of the record, rapporteurs and facilitators ``"Rapporteur"`` / ``"Facilitator"``."""
    labels: dict[str, str] = {}
    n = 0
    for rid, role in zip(review.reviewers["reviewer"], review.reviewers["role"], strict=True):
        if role == "host":
            labels[rid] = "Host"
        elif role in INDEPENDENT_ROLES:
            labels[rid] = f"Reviewer {chr(ord('A') + n) if n < 26 else n + 1}"
            n += 1
        else:
            same = [r for r in labels.values() if r.startswith(role.capitalize())]
            labels[rid] = role.capitalize() + (f" {len(same) + 1}" if same else "")
    return labels


def anonymised_scores(scores: pd.DataFrame, review: PeerReview, rubric: Rubric) -> pd.DataFrame:
    """Every score of the review, one row per criterion, one column per (round, anonymous reviewer).

    Cells hold the value, ``"NA"``, or the value with its anchor where it means "no
    information"; empty where nothing was submitted. Columns are ordered self, independent,
    consensus.
    """
    labels = reviewer_labels(review)
    s = scores.copy()
    text = s["value"].astype("string").fillna("")
    text = text.where(~s["na"], "NA")
    if rubric.no_information is not None:
        text = text.where(
            s["value"].astype("Float64").fillna(-1e9) != rubric.no_information, f"{rubric.no_information} (no info)"
        )
    s["cell"] = text
    round_name = {"self": "Self-assessment", "independent": "Independent", "consensus": "Consensus"}
    s["column"] = s["round"].map(round_name) + ": " + s["reviewer"].map(labels).fillna(s["reviewer"])
    s["order"] = s["round"].map({r: i for i, r in enumerate(ROUNDS)})
    cols = s.sort_values(["order", "column"])["column"].drop_duplicates().tolist()
    wide = s.pivot_table(index="criterion", columns="column", values="cell", aggfunc="first")
    wide = wide.reindex(index=rubric.criterion_ids, columns=cols).fillna("")
    wide.insert(0, "Criterion", rubric.criteria.set_index("criterion")["short"].reindex(wide.index))
    wide.columns.name = None
    return wide.reset_index().rename(columns={"criterion": "Id"})


def review_summary(scores: pd.DataFrame, review: PeerReview, rubric: Rubric, **agreement_kw: Any) -> dict[str, Any]:
    """The key facts of a review for its executive summary and records.

    Keys: ``review, region, rubric, n_reviewers`` (who scored in the independent round),
    ``n_asked`` and ``missing_reviewers`` (the review's peers, critical friends and experts, and
    those of them without an independent score), ``rounds`` (rows per
    round), ``overall_peers`` / ``overall_self`` / ``overall_consensus`` (the dimension profile
    aggregated once more by the rubric's rule), ``strongest`` / ``weakest`` (dimensions by the
    consensus, or by the peers where there is no consensus), ``self_gap_mean`` (mean of self -
    peers over criteria with both), ``n_self_above`` (criteria where the host rated itself above
    every peer), ``agreement`` (see :func:`agreement`), ``n_na`` and ``n_no_info``
    (independent round).
    """
    dims = dimension_profile(scores, rubric)
    ref = "consensus" if dims["consensus"].notna().any() else "peers"
    ranked = dims.dropna(subset=[ref]).sort_values(ref, ascending=False, kind="stable")
    svp = self_vs_peers(scores, rubric)
    ag = agreement(scores, rubric, **agreement_kw)
    summ = criterion_summary(scores, rubric)
    ind = _round(scores, "independent")
    asked = review.reviewers.loc[review.reviewers["role"].isin(INDEPENDENT_ROLES), "reviewer"].tolist()

    def overall(col: str) -> float:
        v = dims[col].dropna()
        if v.empty:
            return float("nan")
        return float(v.median() if rubric.aggregation == "median" else v.mean())

    return {
        "review": review.id,
        "region": review.host_region,
        "rubric": rubric.id,
        "n_reviewers": int(ind["reviewer"].nunique()),
        "n_asked": len(asked),
        "missing_reviewers": [r for r in asked if r not in set(ind["reviewer"])],
        "rounds": {r: int((scores["round"] == r).sum()) for r in ROUNDS},
        "overall_self": overall("self"),
        "overall_peers": overall("peers"),
        "overall_consensus": overall("consensus"),
        "reference": ref,
        "strongest": ranked["dimension"].head(1).tolist(),
        "weakest": ranked["dimension"].tail(1).tolist(),
        "self_gap_mean": float(svp["gap"].mean()) if svp["gap"].notna().any() else float("nan"),
        "n_self_above": int((svp["position"] == "above all peers").sum()),
        "n_self_below": int((svp["position"] == "below all peers").sum()),
        "agreement": ag,
        "n_na": int(summ["n_na"].sum()),
        "n_no_info": int(summ["n_no_info"].sum()),
    }


def describe_level(value: float, rubric: Rubric) -> str:
    """A score level in words, by the rubric's anchors.

    >>> r = load_rubric("cluster_policy_maturity")
    >>> describe_level(3.0, r), describe_level(float("nan"), r)
    ("3.0 ('partially implemented')", 'no score')
    >>> describe_level(3.5, r)
    "3.5 (between 'partially implemented' and 'implemented and documented')"
    """
    if value is None or not np.isfinite(value):
        return "no score"
    lo, hi = int(np.floor(value)), int(np.ceil(value))
    if lo == hi:
        return f"{value:.1f} ({rubric.anchors[lo]!r})"
    return f"{value:.1f} (between {rubric.anchors[lo]!r} and {rubric.anchors[hi]!r})"


def review_comments(
    scores: pd.DataFrame, review: PeerReview, rubric: Rubric, rounds: tuple[str, ...] = ("independent", "consensus")
) -> pd.DataFrame:
    """The non-empty comments of the given rounds, anonymised and in rubric order.

    Columns: ``dimension, criterion, short, round, reviewer`` (anonymous label, see
    :func:`reviewer_labels`), ``score`` (text: value, ``NA`` or ``no information``), ``comment``,
    ``confidentiality`` (the score row's level: pass the table through
    :func:`clusterix_lib.confidentiality.visible` before showing it).
    """
    labels = reviewer_labels(review)
    s = score_values(scores[scores["round"].isin(rounds) & (scores["comment"].str.strip() != "")], rubric)
    s = s.merge(rubric.criteria[["criterion", "dimension", "short"]], on="criterion", how="left")
    s["score_text"] = np.where(s["status"] == "scored", s["value"].astype("string").fillna(""), s["status"])
    order = {c: i for i, c in enumerate(rubric.criterion_ids)}
    s["_c"] = s["criterion"].map(order)
    s["_r"] = s["round"].map({r: i for i, r in enumerate(ROUNDS)})
    s["reviewer"] = s["reviewer"].map(labels).fillna(s["reviewer"])
    s = s.sort_values(["_c", "_r", "reviewer"], kind="stable")
    out = s[["dimension", "criterion", "short", "round", "reviewer", "score_text", "comment", "confidentiality"]]
    return out.rename(columns={"score_text": "score"}).reset_index(drop=True)


def withheld_comments(
    original: pd.DataFrame,
    shown: pd.DataFrame,
    rubric: Rubric,
    rounds: tuple[str, ...] = ("independent", "consensus"),
) -> pd.Series:
    """Comments per dimension that a build withholds: non-empty in ``original``, emptied in ``shown``.

    ``shown`` is ``original`` after :func:`clusterix_lib.confidentiality.redact` (same rows, same
    order). A report must not say "no comments were given" on a dimension whose comments exist
    but are above the build's confidentiality level.

    Returns
    -------
    pandas.Series
        Number of withheld comments, indexed by dimension (dimensions with none are left out).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rub = SimpleNamespace(criteria=pd.DataFrame({"criterion": ["1.1", "2.1"], "dimension": ["Design", "Delivery"]}))
    >>> raw = pd.DataFrame({"criterion": ["1.1", "1.1", "2.1"], "round": ["independent"] * 3,
    ...                     "comment": ["Unclear targets.", "Fine.", ""]})
    >>> withheld_comments(raw, raw.assign(comment=["", "Fine.", ""]), rub).to_dict()
    {'Design': 1}
    """
    if len(original) != len(shown):
        raise ValueError("withheld_comments: `shown` must be `original` after redaction (same rows)")
    in_round = original["round"].isin(rounds).to_numpy()
    had = original["comment"].fillna("").astype(str).str.strip().ne("").to_numpy()
    has = shown["comment"].fillna("").astype(str).str.strip().ne("").to_numpy()
    gone = original.loc[in_round & had & ~has, "criterion"]
    dims = gone.map(rubric.criteria.set_index("criterion")["dimension"])
    return dims.value_counts(sort=False).rename("withheld").rename_axis("dimension")


def review_sources(review: PeerReview, rubric: Rubric) -> list[dict[str, Any]]:
    """Sources for the report footer: the rubric (with its URL where its ``source`` names one)
    and the review's own records (marked illustrative where they are)."""
    url = re.search(r"https?://\S+", rubric.source)
    label = "illustrative, invented for demonstration" if review.illustrative else "consortium records"
    return [
        {
            "code": rubric.id,
            "title": f"{rubric.name}, version {rubric.version}" + (f" ({rubric.status})" if rubric.status else ""),
            "publisher": rubric.source.split(":")[0] if url else rubric.source,
            "url": url.group(0).rstrip(".,;)") if url else None,
        },
        {
            "code": review.id,
            "title": f"Peer-review record, scores and recommendations of review {review.id} ({label})",
            "publisher": review.host_organisation,
        },
    ]
