"""Confidentiality levels of records, and what a build at a given level may show.

Every record that is not public statistics (a peer-review comment, a participant list, member-level
cluster data...) carries a level in a column named ``confidentiality``:

``public``
    may appear on the open web (the default build).
``consortium``
    for the partners of the consortium only.
``restricted``
    for the named people who produced it (e.g. a review team's raw comments).

A build has one level (``clusterix reports --level public``, the default). A report of that build
shows the records at that level *or below*: a public build only public records, a consortium build
public and consortium records, a restricted build everything. Notebooks never compare levels
themselves; they call :func:`visible` on every frame of records before showing or recording it::

    from clusterix_lib.confidentiality import visible
    comments = visible(peer_review.comments(review_id))   # the build's level, from the runner

The runner passes the build's level to the kernel in the environment variable
``CLUSTERIX_LEVEL`` (:func:`build_level`); a notebook run by hand, without it, is a public build.

Fail-closed rules: an empty level cell counts as ``restricted``; an unknown word is an error
naming the rows; a frame *without* the column is an error unless the caller states what its rows
are (``visible(frame, default="public")`` for a table of published statistics). A notebook cannot
ask for more than its build allows (``visible(frame, "restricted")`` in a public build raises).

After a public build the runner also searches every built file for the text of the non-public
records it can find in the data folder (:func:`secret_strings`, :func:`find_leaks`): a report
that shows one anyway fails instead of being published.

The consortium's record files and their rules (each documented next to the file):

* loaders read the column with :func:`read_levels` (an unknown word is an error naming file, line,
  column and value; a missing column or an empty cell counts as ``restricted``);
* ingestion gives new rows a level with :func:`levels_by_text` (``consortium`` for a row with free
  text, ``public`` for a row of ratings only);
* notebooks show records through :func:`shown` (the visible rows and a one-line note on what is
  hidden) or, where a record's numbers are statistics and only its free text is confidential (a
  reviewer's score and comment), :func:`redact` (every row, the free text of the hidden ones
  emptied);
* :data:`TEXT_COLUMNS` names the free-text columns of the known record files: the leak search
  looks for those (ids, codes and words of a fixed vocabulary in the other columns also appear in
  public files and reports and are no secret); any other CSV with a ``confidentiality`` column is
  searched in every column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterix_lib.errors import ClusterixError, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "COLUMN",
    "ENV_VAR",
    "LEVELS",
    "LeakError",
    "build_level",
    "TEXT_COLUMNS",
    "Shown",
    "check_level",
    "find_leaks",
    "levels_by_text",
    "rank",
    "read_levels",
    "redact",
    "secret_strings",
    "shown",
    "text_columns",
    "visible",
]

#: The levels, from the most open to the most closed.
LEVELS: tuple[str, ...] = ("public", "consortium", "restricted")
#: Name of the column holding a record's level.
COLUMN = "confidentiality"
#: Environment variable through which the runner tells the kernel the build's level.
ENV_VAR = "CLUSTERIX_LEVEL"
#: Shortest text of a non-public record that the leak search looks for (shorter strings --
#: "yes", a score, a year -- are not distinctive and would match everywhere).
MIN_SECRET_LENGTH = 12
#: A record also counts as shown when its first this-many characters appear (a truncated cell).
PREFIX_LENGTH = 32
#: Free-text columns of the consortium's record files, by file name (``fnmatch`` pattern): what
#: the leak search looks for in a report, and what makes a new row ``consortium``
#: (:func:`levels_by_text`). Ids, codes, dates, words of a fixed list and people's roles (an
#: owner "Monitoring officer") are left out: they also stand in public files and reports. A CSV
#: not listed here is searched in every column.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "scores.csv": ("comment",),
    "recommendations.csv": ("text",),
    "gp_assessments.csv": ("comment",),
    "gp_transfers.csv": ("note",),
    "feedback.csv": ("text",),
    "action_status.csv": ("deviation_reason",),
    "collaborations_*.csv": ("record_name", "member"),
}


class LeakError(ClusterixError):
    """A built file contains the text of a record above the build's level."""


class Secrets(dict):
    """``{text: where it comes from}`` of non-public records, and the texts of the visible ones
    (``visible_texts``: a secret whose opening words a visible record shares is only matched whole)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visible_texts: set[str] = set()


def check_level(level: str, *, where: str = "confidentiality level") -> str:
    """Return ``level`` normalised (lower case, stripped), or raise :class:`ParameterError`.

    >>> check_level(" Consortium ")
    'consortium'
    >>> check_level("secret")
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.ParameterError: unknown confidentiality level 'secret' (confidentiality level). \
What to do: use one of public, consortium, restricted
    """
    norm = str(level).strip().lower()
    if norm not in LEVELS:
        raise ParameterError(
            f"unknown confidentiality level {level!r}", where=where, hint=f"use one of {', '.join(LEVELS)}"
        )
    return norm


def rank(level: str) -> int:
    """Position of ``level`` in :data:`LEVELS` (0 = public).

    >>> [rank(x) for x in LEVELS]
    [0, 1, 2]
    """
    return LEVELS.index(check_level(level))


def build_level() -> str:
    """The level of the build this code runs in: ``$CLUSTERIX_LEVEL``, else ``"public"``.

    >>> import os; os.environ.pop("CLUSTERIX_LEVEL", None) and None
    >>> build_level()
    'public'
    """
    value = os.environ.get(ENV_VAR)
    return check_level(value, where=f"environment variable {ENV_VAR}") if value else "public"


def text_columns(path: str | Path) -> tuple[str, ...] | None:
    """The free-text columns of a record file (:data:`TEXT_COLUMNS`), or None for an unknown file.

    >>> text_columns("data/peer_reviews/AT12-2017/scores.csv")
    ('comment',)
    >>> text_columns("data/collaborations_clusterix2.csv")
    ('record_name', 'member')
    >>> text_columns("comments.csv") is None
    True
    """
    from fnmatch import fnmatch

    name = Path(path).name
    for pattern, columns in TEXT_COLUMNS.items():
        if fnmatch(name, pattern):
            return columns
    return None


def read_levels(table: pd.DataFrame, path: str | Path, *, column: str = COLUMN, first_line: int = 2) -> pd.DataFrame:
    """Check and normalise the level column of a record file just read; return the table.

    Loaders call it on the table as read (row ``i`` is line ``i + first_line`` of the file). A
    missing column is added empty; every cell is stripped and lower-cased; an empty cell stays
    empty (it counts as ``restricted`` in :func:`visible`).

    Raises
    ------
    DataFileError
        An unknown word, naming file, line, column and value.

    Examples
    --------
    >>> import pandas as pd
    >>> read_levels(pd.DataFrame({"confidentiality": [" Public", ""]}), "x.csv")["confidentiality"].tolist()
    ['public', '']
    >>> read_levels(pd.DataFrame({"confidentiality": ["public", "secret"]}), "x.csv")
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: unknown confidentiality level (file x.csv, line 3, column \
'confidentiality', value 'secret'). What to do: write public, consortium or restricted (an empty cell \
counts as restricted)
    """
    from clusterix_lib.errors import DataFileError, location

    if column not in table.columns:
        table[column] = ""
        return table
    norm, bad = _level_words(table[column])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataFileError(
            "unknown confidentiality level",
            where=location(path, line=i + first_line, column=column, value=str(table[column].iloc[i])),
            hint=f"write {', '.join(LEVELS[:-1])} or {LEVELS[-1]} (an empty cell counts as restricted)",
        )
    table[column] = norm.to_numpy()
    return table


def levels_by_text(
    frame: pd.DataFrame,
    columns: Iterable[str],
    *,
    with_text: str = "consortium",
    without_text: str = "public",
) -> pd.Series:
    """The level of new rows by the rule of the record files: ``with_text`` for a row with any
    non-empty cell in ``columns`` (a comment, an insight), ``without_text`` for the others.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"value": [3, 4], "comment": ["", "Unclear targets."]})
    >>> levels_by_text(df, ["comment"]).tolist()
    ['public', 'consortium']
    """
    import numpy as np
    import pandas as pd

    with_text, without_text = check_level(with_text), check_level(without_text)
    has_text = _any_text(frame, [c for c in columns if c in frame.columns])
    return pd.Series(np.where(has_text, with_text, without_text), index=frame.index, dtype=object)


def _level_words(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The cells of a level column stripped and lower-cased (``""`` for an empty cell), and a
    mask of those that are no level word (empty cells are allowed)."""
    norm = raw.astype("string").fillna("").str.strip().str.lower()
    return norm, ~norm.isin(["", *LEVELS])


def _row_levels(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """The level of every row as an integer rank (blank = restricted); errors name the rows."""
    import pandas as pd

    raw = frame[column]
    text, bad = _level_words(raw)
    blank = text == ""
    ranks = text.map({lvl: i for i, lvl in enumerate(LEVELS)})
    if bad.any():
        rows = list(frame.index[bad.to_numpy()][:5])
        values = sorted({str(v) for v in raw[bad]})[:5]
        raise ClusterixError(
            f"unknown {column} value(s) {', '.join(repr(v) for v in values)}",
            where=f"{where}, rows {rows}",
            hint=f"write one of {', '.join(LEVELS)} (an empty cell counts as restricted)",
        )
    return pd.Series(ranks.where(~blank, len(LEVELS) - 1).astype(int).to_numpy(), index=frame.index)


def visible(
    frame: pd.DataFrame,
    level: str | None = None,
    *,
    default: str | None = None,
    column: str = COLUMN,
    where: str = "records",
) -> pd.DataFrame:
    """The rows of ``frame`` a build at ``level`` may show.

    Parameters
    ----------
    frame
        Records with a ``confidentiality`` column (``public``/``consortium``/``restricted``;
        case and surrounding spaces do not matter; an empty cell counts as ``restricted``).
    level
        The build's level; default :func:`build_level` (what the runner set). A level above the
        build's raises: a notebook cannot widen what its build may show.
    default
        The level of every row when ``frame`` has no ``confidentiality`` column. Without it a
        missing column is an error: say ``default="public"`` only for records known to be public.
    column
        Name of the level column.
    where
        What ``frame`` is (a file name...), for error messages.

    Returns
    -------
    pandas.DataFrame
        The visible rows, in their order, index kept.

    Raises
    ------
    ClusterixError
        Missing column without ``default``; unknown level words (the message names the rows).
    ParameterError
        ``level`` unknown, or above the build's level.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"comment": ["open", "partners", "team", "unset"],
    ...                    "confidentiality": ["public", "Consortium", "restricted", ""]})
    >>> visible(df)["comment"].tolist()          # a public build (no CLUSTERIX_LEVEL set)
    ['open']
    >>> import os; os.environ["CLUSTERIX_LEVEL"] = "consortium"   # what the runner does
    >>> visible(df)["comment"].tolist()
    ['open', 'partners']
    >>> visible(df, "public")["comment"].tolist()  # narrower than the build: allowed
    ['open']
    >>> del os.environ["CLUSTERIX_LEVEL"]
    >>> visible(pd.DataFrame({"x": [1]}), "public", default="public")["x"].tolist()
    [1]
    """
    allowed = build_level()
    if level is None:
        level = allowed
    level = check_level(level, where="visible(level=...)")
    if rank(level) > rank(allowed):
        raise ParameterError(
            f"a {allowed} build cannot show {level} records",
            where=where,
            hint=f"call visible() without a level, or build with --level {level}",
        )
    if column not in frame.columns:
        if default is None:
            raise ClusterixError(
                f"{where} have no {column!r} column, so their confidentiality is unknown",
                hint=f"add a {column!r} column ({', '.join(LEVELS)}) to the data, or call "
                f"visible(frame, default='public') if every row is public",
            )
        return frame if rank(check_level(default, where="visible(default=...)")) <= rank(level) else frame.iloc[0:0]
    keep = _row_levels(frame, column, where) <= rank(level)
    return frame[keep.to_numpy()]


class Shown(tuple):
    """What :func:`shown` and :func:`redact` return: ``(frame, n_hidden, note)``.

    ``frame`` is what the report may show, ``n_hidden`` how many records (or texts) were held
    back, ``note`` one sentence saying so for the report (empty when nothing was hidden).
    """

    __slots__ = ()

    def __new__(cls, frame: pd.DataFrame, n_hidden: int, note: str) -> Shown:
        return super().__new__(cls, (frame, n_hidden, note))

    frame = property(lambda self: self[0])
    n_hidden = property(lambda self: self[1])
    note = property(lambda self: self[2])


def _hidden_note(hidden_levels: list[int], what: str, plural: str | None, level: str) -> str:
    n = len(hidden_levels)
    if not n:
        return ""
    noun = what if n == 1 else (plural or f"{what}s")
    verb = "is" if n == 1 else "are"
    worst = max(hidden_levels)
    if min(hidden_levels) == worst:
        whom = "for the consortium only" if LEVELS[worst] == "consortium" else "restricted to the people who wrote them"
        if n == 1 and LEVELS[worst] == "restricted":
            whom = "restricted to the people who wrote it"
    else:
        whom = "for the consortium or restricted"
    return f"{n} {noun} {verb} {whom} and not shown in this {level} build."


def shown(
    frame: pd.DataFrame,
    what: str,
    *,
    plural: str | None = None,
    level: str | None = None,
    default: str | None = None,
    where: str | None = None,
) -> Shown:
    """:func:`visible` rows of ``frame``, with the number of hidden rows and a note for the report.

    Parameters
    ----------
    frame
        Records with a ``confidentiality`` column.
    what, plural
        What one row is, for the note ("reviewer comment"; plural default ``what + "s"``).
    level, default, where
        As in :func:`visible` (``where`` defaults to ``what``).

    Returns
    -------
    Shown
        ``(frame, n_hidden, note)``; ``note`` is ``""`` when nothing is hidden.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["a", "b", "c", "d"],
    ...                    "confidentiality": ["public", "consortium", "consortium", "consortium"]})
    >>> rows, n, note = shown(df, "reviewer comment", level="public")
    >>> rows["text"].tolist(), n
    (['a'], 3)
    >>> note
    '3 reviewer comments are for the consortium only and not shown in this public build.'
    """
    build = check_level(level) if level else build_level()
    out = visible(frame, build, default=default, where=where or f"{what} records")
    if COLUMN in frame.columns and len(out) < len(frame):
        ranks = _row_levels(frame, COLUMN, where or what)
        hidden = ranks[~frame.index.isin(out.index)].tolist()
    else:
        hidden = [rank(default)] * (len(frame) - len(out)) if default else []
    return Shown(out, len(hidden), _hidden_note(hidden, what, plural, build))


def redact(
    frame: pd.DataFrame,
    columns: Iterable[str],
    what: str,
    *,
    plural: str | None = None,
    level: str | None = None,
    where: str | None = None,
) -> Shown:
    """Every row of ``frame``, with the text in ``columns`` emptied where the row is not visible.

    For records whose numbers are statistics and whose free text is what is confidential: a
    reviewer's score counts in every median and may stand in the anonymised score table, the
    comment beside it is for the consortium. Which rows keep their text is decided by
    :func:`visible`; ``n_hidden`` counts the non-empty texts emptied.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"value": [3, 4, 5], "comment": ["", "Unclear targets.", "Fine."],
    ...                    "confidentiality": ["public", "consortium", "public"]})
    >>> out, n, note = redact(df, ["comment"], "reviewer comment", level="public")
    >>> out[["value", "comment"]].values.tolist(), n
    ([[3, ''], [4, ''], [5, 'Fine.']], 1)
    >>> note
    '1 reviewer comment is for the consortium only and not shown in this public build.'
    """
    build = check_level(level) if level else build_level()
    columns = [c for c in columns if c in frame.columns]
    keep = frame.index.isin(visible(frame, build, where=where or f"{what} records").index)
    has_text = _any_text(frame, columns)
    hidden_mask = ~keep & has_text
    ranks = _row_levels(frame, COLUMN, where or what) if hidden_mask.any() else None
    hidden = ranks[hidden_mask].tolist() if ranks is not None else []
    out = frame.copy()
    for c in columns:
        out.loc[~keep, c] = ""
    return Shown(out, len(hidden), _hidden_note(hidden, what, plural, build))


def _any_text(frame: pd.DataFrame, columns: Iterable[str]) -> Any:
    """Whether each row has a non-empty cell in ``columns`` (a numpy boolean array)."""
    import numpy as np

    out = np.zeros(len(frame), dtype=bool)
    for c in columns:
        out |= (frame[c].fillna("").astype(str).str.strip() != "").to_numpy()
    return out


# --------------------------------------------------------------------------------------
# Leak search: the text of non-public records must not appear in a build of a lower level
# --------------------------------------------------------------------------------------


def _tables_with_levels(data_dir: Path) -> Iterable[tuple[Path, pd.DataFrame]]:
    import pandas as pd

    for path in sorted(data_dir.rglob("*.csv")):
        if any(part.startswith(".") for part in path.relative_to(data_dir).parts):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                first = fh.readline()
        except OSError:
            continue
        if COLUMN not in first:
            continue
        try:
            yield path, pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception as exc:  # noqa: BLE001 - a malformed file is reported, not skipped silently
            raise ClusterixError(
                f"cannot read {path.name} to check confidentiality: {type(exc).__name__}: {exc}",
                where=str(path),
                hint="fix the file (it has a confidentiality column)",
            ) from exc


def secret_strings(level: str, data_dirs: Iterable[str | Path] | None = None) -> Secrets:
    """Distinctive texts of the records above ``level`` in the CSV files of ``data_dirs``.

    Every ``*.csv`` (recursively) whose header has a ``confidentiality`` column is read; for each
    row above ``level`` every text cell of at least :data:`MIN_SECRET_LENGTH` characters is
    returned, mapped to where it comes from (``file, line N, column C``); a text that a visible
    record also holds is not a secret. In the record files of :data:`TEXT_COLUMNS` only their
    free-text columns are read (their ids and vocabulary words are public elsewhere).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.csv").write_text("comment,confidentiality\\nOpen remark about AT12,public\\n"
    ...                              "Internal remark about CZ08,restricted\\n", encoding="utf-8")
    >>> secret_strings("public", [d])
    {'Internal remark about CZ08': 'c.csv, line 3, column comment'}
    """
    from clusterix_lib import paths

    limit = rank(level)
    out = Secrets()
    for base in [Path(p) for p in (data_dirs or [paths.data_dir()])]:
        if not base.is_dir():
            continue
        for path, table in _tables_with_levels(base):
            ranks = _row_levels(table, COLUMN, str(path))
            hidden = (ranks > limit).to_numpy()
            known = text_columns(path)
            searched = [c for c in table.columns if c != COLUMN and (known is None or c in known)]
            for i, row_hidden in zip(table.index, hidden, strict=True):
                for col in searched:
                    text = str(table.at[i, col]).strip()
                    if len(text) < MIN_SECRET_LENGTH:
                        continue
                    if not row_hidden:
                        out.visible_texts.add(text)
                    elif text not in out:
                        out[text] = f"{path.relative_to(base)}, line {int(i) + 2}, column {col}"
    for text in list(out):  # a text that is also in a visible record is not a secret
        if text in out.visible_texts:
            del out[text]
    return out


def _variants(text: str, visible_texts: Iterable[str] = ()) -> set[str]:
    """How a text may appear in a built file: as is, HTML-escaped, JSON-escaped (an ``.ipynb``
    stores HTML outputs as JSON strings), and the same for its first :data:`PREFIX_LENGTH`
    characters (pandas cuts long cells to 50 characters) -- unless a visible text contains that
    prefix too."""
    import html
    import json

    out: set[str] = set()
    prefix = text[:PREFIX_LENGTH]
    forms = {text} if any(prefix in v for v in visible_texts) else {text, prefix}
    for t in forms:
        for h in {t, html.escape(t, quote=True), html.escape(t, quote=False)}:
            out.add(h)
            out.add(json.dumps(h, ensure_ascii=False)[1:-1])
            out.add(json.dumps(h)[1:-1])
    # an escaped prefix may end in a cut entity or escape: drop the unfinished tail
    return {re.sub(r"(&[#\w]*|\\u?[0-9a-fA-F]{0,3}|\\)$", "", v) for v in out if len(v) >= MIN_SECRET_LENGTH}


_TEXT_SUFFIXES = (".html", ".ipynb", ".csv", ".json", ".txt", ".md")


def _searchable_text(path: Path) -> str | None:
    """The text :func:`find_leaks` searches in ``path``; ``None`` for a file it does not search.

    An XLSX workbook is a zip of XML parts: their text with the XML entities resolved, so a
    record's raw text is found whatever the workbook writer escaped.
    """
    suffix = path.suffix.lower()
    if not path.is_file():
        return None
    if suffix in _TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8", errors="replace")
    if suffix == ".xlsx":
        import html
        import zipfile
        import zlib

        try:
            with zipfile.ZipFile(path) as book:
                parts = [book.read(n).decode("utf-8", errors="replace") for n in book.namelist() if n.endswith(".xml")]
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise ValueError(f"it is not a readable workbook ({exc})") from exc
        return "\n".join(html.unescape(part) for part in parts)
    return None


def find_leaks(files: Iterable[str | Path], secrets: Mapping[str, str]) -> list[str]:
    """Every (file, record) pair where a file shows the text of a secret record; empty when clean.

    A record counts as shown when its whole text, or its first :data:`PREFIX_LENGTH` characters,
    appear -- raw, HTML-escaped or JSON-escaped. Files are searched as UTF-8 text (HTML,
    ``.ipynb``, CSV, JSON, text); an XLSX workbook by the text of its XML parts (cells, shared
    strings, sheet names), unescaped. Other files are not searched.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "r.html"
    >>> _ = f.write_text("<td>Internal remark about CZ08 and the manag...</td>", encoding="utf-8")
    >>> find_leaks([f], {"Internal remark about CZ08 and the managing authority": "c.csv, line 3, column comment"})
    ['r.html shows the non-public record c.csv, line 3, column comment']
    """
    if not secrets:
        return []
    patterns: dict[str, str] = {}
    visible_texts = getattr(secrets, "visible_texts", set())
    for text, origin in secrets.items():
        for v in _variants(text, visible_texts):
            patterns.setdefault(v, origin)
    found: list[str] = []
    for f in files:
        p = Path(f)
        try:
            content = _searchable_text(p)
        except ValueError as exc:  # what cannot be searched is not shipped as clean
            found.append(f"{p.name} cannot be searched for non-public records: {exc}")
            continue
        if content is None:
            continue
        seen: set[str] = set()
        for pattern, origin in patterns.items():
            if origin not in seen and pattern in content:
                seen.add(origin)
                found.append(f"{p.name} shows the non-public record {origin}")
    return found


def describe(level: str) -> str:
    """One sentence for a report header.

    >>> describe("consortium")
    'Consortium: for the partners of the consortium only; do not pass on.'
    """
    return {
        "public": "Public: contains only records cleared for publication.",
        "consortium": "Consortium: for the partners of the consortium only; do not pass on.",
        "restricted": "Restricted: contains restricted records; for the named recipients only.",
    }[check_level(level)]


def level_of(values: Any) -> str:
    """The most restrictive level among ``values`` (blank = restricted).

    >>> level_of(["public", "consortium"])
    'consortium'
    """
    worst = 0
    for v in values:
        text = "" if v is None else str(v).strip().lower()
        worst = max(worst, len(LEVELS) - 1 if not text else rank(text))
    return LEVELS[worst]
