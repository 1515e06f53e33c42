"""Scoring rubrics as data: one TOML file per rubric, validated when it is loaded.

A rubric (``data/rubrics/<id>.toml``) names its scale, the label ("anchor") of every scale
point, whether NA is allowed, and its criteria grouped into dimensions. A user adds a rubric by
adding a file; :func:`load_rubric` checks it and names file, line, key and value of the first
problem. The file format::

    id = "cluster_policy_maturity"      # = the file name without .toml
    name = "Cluster-policy maturity"
    version = "1.0"                     # scores and forms remember the version they used
    scale_min = 1
    scale_max = 5
    allows_na = true                    # may a reviewer answer "NA" (does not apply / cannot judge)?
    no_information = 0                  # optional: a scale point meaning "no information", not a low score
    aggregation = "median"              # optional: mean | median | weighted mean (per dimension)
    dimensions = ["Strategy", ...]      # optional: order of the dimensions
    description = "..."                 # optional; also source = "...", status = "..."

    [anchors]                           # one label per integer scale point, no gaps
    1 = "not in place"
    ...

    [[criteria]]                        # one block per criterion, in form order
    id = "M1"                           # unique; letters, digits, . _ -
    dimension = "Strategy"
    text = "Policy rationale and objectives: ..."
    short = "Rationale and objectives"  # optional: label for charts
    guidance = "..."                    # optional: help for reviewers
    weight = 1.0                        # optional, > 0
    status = "..."                      # optional: e.g. "label assumed"
    [criteria.anchors]                  # optional: anchors of this criterion only
    1 = "..."

The committed rubrics are the RIS3 Assessment Wheel (R1), cluster-policy maturity (R2) and
good-practice transferability (R4) of ``docs/domain.md`` §10.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clusterix_lib import paths
from clusterix_lib.errors import DataFileError, location

__all__ = [
    "AGGREGATIONS",
    "Rubric",
    "list_rubrics",
    "load_rubric",
    "read_rubric_file",
    "rubric_dirs",
]

#: Allowed values of ``aggregation`` (how criterion scores combine into a dimension score).
AGGREGATIONS = ("mean", "median", "weighted mean")

_TOP_REQUIRED = ("id", "name", "version", "scale_min", "scale_max", "allows_na", "anchors", "criteria")
_TOP_OPTIONAL = ("no_information", "aggregation", "dimensions", "description", "source", "status")
_CRIT_REQUIRED = ("id", "dimension", "text")
_CRIT_OPTIONAL = ("short", "guidance", "weight", "status", "anchors")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def rubric_dirs() -> list[Path]:
    """Folders searched for rubric files: ``data/rubrics`` (or ``$CLUSTERIX_DATA/rubrics``)."""
    return [paths.data_dir() / "rubrics"]


@dataclass(frozen=True)
class Rubric:
    """A validated rubric (see the module docstring for the file format).

    ``criteria`` has one row per criterion, in file order, with columns ``criterion``,
    ``dimension``, ``text``, ``short``, ``guidance``, ``weight``, ``status`` and ``anchors``
    (a dict of the criterion's own anchors, empty when it uses the rubric's).
    """

    id: str
    name: str
    version: str
    scale_min: int
    scale_max: int
    allows_na: bool
    anchors: dict[int, str]
    criteria: pd.DataFrame = field(repr=False)
    dimensions: tuple[str, ...] = ()
    no_information: int | None = None
    aggregation: str = "mean"
    description: str = ""
    source: str = ""
    status: str = ""
    path: Path | None = None

    @property
    def scale(self) -> tuple[int, ...]:
        """Every scale point, low to high.

        >>> load_rubric("cluster_policy_maturity").scale
        (1, 2, 3, 4, 5)
        """
        return tuple(range(self.scale_min, self.scale_max + 1))

    @property
    def scored_scale(self) -> tuple[int, ...]:
        """Scale points that are judgements (the ``no_information`` point left out).

        >>> load_rubric("ris3_wheel").scored_scale
        (1, 2, 3, 4, 5)
        """
        return tuple(v for v in self.scale if v != self.no_information)

    @property
    def criterion_ids(self) -> list[str]:
        """Criterion ids in form order."""
        return list(self.criteria["criterion"])

    def entries(self) -> list[str]:
        """What a reviewer may type in a score cell: the scale points, and ``NA`` if allowed.

        >>> load_rubric("cluster_policy_maturity").entries()
        ['1', '2', '3', '4', '5', 'NA']
        """
        return [str(v) for v in self.scale] + (["NA"] if self.allows_na else [])

    def anchor(self, value: int, criterion: str | None = None) -> str:
        """Label of a scale point, the criterion's own where it has one.

        >>> load_rubric("ris3_wheel").anchor(0)
        'no information available'
        """
        if criterion is not None:
            own = self.criteria.set_index("criterion").at[criterion, "anchors"]
            if own:
                return own[int(value)]
        return self.anchors[int(value)]

    def fingerprint(self) -> str:
        """First 12 hex digits of the SHA-256 of id, version, scale and criterion ids and texts.

        Forms carry it, so a form whose locked cells were edited, or that was made from another
        version of the rubric, is recognised when it comes back.
        """
        h = hashlib.sha256(f"{self.id}\n{self.version}\n{self.scale_min}\n{self.scale_max}\n".encode())
        for cid, text in zip(self.criteria["criterion"], self.criteria["text"], strict=True):
            h.update(f"{cid}\t{text}\n".encode())
        return h.hexdigest()[:12]


# --------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------


class _Lines:
    """Line numbers of keys in a TOML file, for error messages (``[[block]]`` number n, key k)."""

    def __init__(self, text: str, block: str = "criteria"):
        self.lines = text.splitlines()
        self.block = block
        self.blocks = [
            i for i, line in enumerate(self.lines) if re.match(rf"^\s*\[\[\s*{re.escape(block)}\s*\]\]", line)
        ]
        first_table = next((i for i, line in enumerate(self.lines) if re.match(r"^\s*\[", line)), len(self.lines))
        self.top_end = first_table

    def _find(self, key: str, start: int, end: int) -> int | None:
        pat = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for i in range(start, end):
            if pat.match(self.lines[i]):
                return i + 1
        return None

    def top(self, key: str) -> int | None:
        if key == "anchors":
            return next((i + 1 for i, line in enumerate(self.lines) if re.match(r"^\s*\[\s*anchors\s*\]", line)), None)
        if key == self.block:
            return self.blocks[0] + 1 if self.blocks else None
        return self._find(key, 0, self.top_end)

    def anchor(self, key: str) -> int | None:
        start = self.top("anchors")
        if start is None:
            return None
        end = next((i for i in range(start, len(self.lines)) if re.match(r"^\s*\[", self.lines[i])), len(self.lines))
        return self._find(key, start, end) or start

    def item(self, n: int, key: str | None = None) -> int | None:
        if n >= len(self.blocks):
            return None
        start = self.blocks[n]
        end = self.blocks[n + 1] if n + 1 < len(self.blocks) else len(self.lines)
        if key is None:
            return start + 1
        if key == "anchors":
            found = next(
                (i + 1 for i in range(start, end) if re.match(rf"^\s*\[\s*{self.block}\.anchors\s*\]", self.lines[i])),
                None,
            )
            return found or start + 1
        return self._find(key, start + 1, end) or start + 1


def _fail(path: Path, what: str, *, line: int | None, column: str | None, value: Any = None, hint: str) -> None:
    raise DataFileError(what, where=location(path, line=line, column=column, value=value), hint=hint)


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(choices)}"


def _check_anchors(path: Path, anchors: Any, lo: int, hi: int, *, line_of, column: str) -> dict[int, str]:
    if not isinstance(anchors, dict) or not anchors:
        _fail(
            path,
            "anchors must be a table of scale point = label",
            line=line_of(None),
            column=column,
            hint='write e.g. [anchors] then 1 = "poor" on its own line, one per scale point',
        )
    out: dict[int, str] = {}
    for key, label in anchors.items():
        try:
            point = int(key)
        except ValueError:
            point = None
        if point is None or str(point) != str(key).strip():
            _fail(
                path,
                "anchor key is not a whole number",
                line=line_of(key),
                column=column,
                value=key,
                hint=f"use the scale points {lo}..{hi} as keys",
            )
        if not lo <= point <= hi:
            _fail(
                path,
                f"anchor {point} is outside the scale {lo}..{hi}",
                line=line_of(key),
                column=column,
                value=key,
                hint="remove it or widen scale_min/scale_max",
            )
        if not isinstance(label, str) or not label.strip():
            _fail(
                path,
                f"anchor {point} has no label",
                line=line_of(key),
                column=column,
                value=label,
                hint="give every scale point a short text label",
            )
        out[point] = label.strip()
    missing = [v for v in range(lo, hi + 1) if v not in out]
    if missing:
        _fail(
            path,
            f"no anchor for scale point(s) {', '.join(map(str, missing))}",
            line=line_of(None),
            column=column,
            hint="label every scale point from scale_min to scale_max",
        )
    return dict(sorted(out.items()))


def read_rubric_file(path: str | Path) -> Rubric:
    """Read and validate one rubric file.

    Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming the file, the line,
    the key (``criteria[3].dimension`` for the third criterion block) and the value: a TOML
    syntax error, a missing or unknown key, a wrong type, an id that is not the file name, a
    scale without an anchor for every point, a duplicate criterion id, a dimension not listed
    in ``dimensions``, a weight that is not positive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.toml"
    >>> _ = p.write_text('''id = "tiny"
    ... name = "Tiny"
    ... version = "1"
    ... scale_min = 1
    ... scale_max = 2
    ... allows_na = false
    ... [anchors]
    ... 1 = "low"
    ... 2 = "high"
    ... [[criteria]]
    ... id = "C1"
    ... dimension = "All"
    ... text = "The only criterion."
    ... ''')
    >>> r = read_rubric_file(p)
    >>> r.scale, r.criterion_ids, r.anchors
    ((1, 2), ['C1'], {1: 'low', 2: 'high'})
    >>> _ = p.write_text(p.read_text().replace('dimension = "All"', 'dimesion = "All"'))
    >>> read_rubric_file(p)
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: unknown key 'dimesion' in criterion 1 (file ..., line 12, ... 'dimension'?
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"rubric file not found: {path}", hint="check the name; rubrics live in data/rubrics")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"rubric file is not UTF-8: {exc}", where=location(path), hint="save it as UTF-8") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        raise DataFileError(
            f"rubric file is not valid TOML: {exc}",
            where=location(path, line=int(m.group(1)) if m else None, column=f"character {m.group(2)}" if m else None),
            hint="compare it with data/rubrics/cluster_policy_maturity.toml",
        ) from exc
    lines = _Lines(text)

    for key in data:
        if key not in _TOP_REQUIRED + _TOP_OPTIONAL:
            _fail(
                path,
                f"unknown key {key!r}",
                line=lines.top(key),
                column=key,
                value=data[key],
                hint=_suggest(key, _TOP_REQUIRED + _TOP_OPTIONAL),
            )
    for key in _TOP_REQUIRED:
        if key not in data:
            _fail(
                path, f"missing key {key!r}", line=None, column=key, hint=f"a rubric needs {', '.join(_TOP_REQUIRED)}"
            )

    def top_type(key: str, types: tuple[type, ...], what: str) -> Any:
        value = data[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            _fail(
                path,
                f"{key} must be {what}",
                line=lines.top(key),
                column=key,
                value=value,
                hint=f"write {key} = <{what}>",
            )
        if isinstance(value, str) and not value.strip():
            _fail(path, f"{key} is empty", line=lines.top(key), column=key, value=value, hint=f"fill in {key}")
        return value.strip() if isinstance(value, str) else value

    rid = top_type("id", (str,), "text")
    if rid != path.stem:
        _fail(
            path,
            f"rubric id {rid!r} differs from the file name {path.stem!r}",
            line=lines.top("id"),
            column="id",
            value=rid,
            hint=f'name the file {rid}.toml or set id = "{path.stem}"',
        )
    if not _ID.match(rid):
        _fail(
            path,
            "rubric id may hold only letters, digits, '.', '_' and '-'",
            line=lines.top("id"),
            column="id",
            value=rid,
            hint="e.g. cluster_policy_maturity",
        )
    name = top_type("name", (str,), "text")
    version = str(data["version"]).strip()
    if not isinstance(data["version"], (str, int, float)) or not version:
        _fail(
            path,
            'version must be text such as "1.0"',
            line=lines.top("version"),
            column="version",
            value=data["version"],
            hint='write version = "1.0"',
        )
    lo = top_type("scale_min", (int,), "a whole number")
    hi = top_type("scale_max", (int,), "a whole number")
    if lo >= hi:
        _fail(
            path,
            "scale_min must be below scale_max",
            line=lines.top("scale_max"),
            column="scale_max",
            value=hi,
            hint="e.g. scale_min = 1 and scale_max = 5",
        )
    if hi - lo > 20:
        _fail(
            path,
            "the scale has more than 21 points",
            line=lines.top("scale_max"),
            column="scale_max",
            value=hi,
            hint="rubrics are short ordinal scales (0-5, 1-5, 0-10)",
        )
    allows_na = top_type("allows_na", (bool,), "true or false")
    no_info = data.get("no_information")
    if no_info is not None and (isinstance(no_info, bool) or not isinstance(no_info, int) or not lo <= no_info <= hi):
        _fail(
            path,
            "no_information must be a scale point",
            line=lines.top("no_information"),
            column="no_information",
            value=no_info,
            hint=f"a whole number from {lo} to {hi}, or leave it out",
        )
    aggregation = data.get("aggregation", "mean")
    if aggregation not in AGGREGATIONS:
        _fail(
            path,
            "unknown aggregation",
            line=lines.top("aggregation"),
            column="aggregation",
            value=aggregation,
            hint=f"use one of {', '.join(AGGREGATIONS)}",
        )
    for key in ("description", "source", "status"):
        if key in data and not isinstance(data[key], str):
            _fail(
                path,
                f"{key} must be text",
                line=lines.top(key),
                column=key,
                value=data[key],
                hint=f'write {key} = "..."',
            )
    anchors = _check_anchors(
        path,
        data["anchors"],
        lo,
        hi,
        line_of=lambda k: lines.anchor(k) if k else lines.top("anchors"),
        column="anchors",
    )
    dims_given = data.get("dimensions")
    if dims_given is not None and (
        not isinstance(dims_given, list)
        or not dims_given
        or not all(isinstance(d, str) and d.strip() for d in dims_given)
        or len(set(dims_given)) != len(dims_given)
    ):
        _fail(
            path,
            "dimensions must be a list of distinct, non-empty names",
            line=lines.top("dimensions"),
            column="dimensions",
            value=dims_given,
            hint='write dimensions = ["Strategy", "Governance"]',
        )

    crits = data["criteria"]
    if not isinstance(crits, list) or not crits:
        _fail(
            path,
            "no criteria",
            line=lines.top("criteria"),
            column="criteria",
            hint="add one [[criteria]] block per criterion",
        )
    rows = []
    seen: dict[str, int] = {}
    for n, crit in enumerate(crits):
        col = f"criteria[{n + 1}]"
        if not isinstance(crit, dict):
            _fail(
                path,
                "criteria must be [[criteria]] blocks",
                line=lines.top("criteria"),
                column=col,
                hint="write each criterion as a [[criteria]] block",
            )
        for key in crit:
            if key not in _CRIT_REQUIRED + _CRIT_OPTIONAL:
                _fail(
                    path,
                    f"unknown key {key!r} in criterion {n + 1}",
                    line=lines.item(n, key),
                    column=f"{col}.{key}",
                    value=crit[key],
                    hint=_suggest(key, _CRIT_REQUIRED + _CRIT_OPTIONAL),
                )
        for key in _CRIT_REQUIRED:
            value = crit.get(key)
            if not isinstance(value, str) or not value.strip():
                _fail(
                    path,
                    f"criterion {n + 1} has no {key}",
                    line=lines.item(n, key if key in crit else None),
                    column=f"{col}.{key}",
                    value=value,
                    hint=f'write {key} = "..." in every [[criteria]] block',
                )
        cid = crit["id"].strip()
        if not _ID.match(cid):
            _fail(
                path,
                "criterion id may hold only letters, digits, '.', '_' and '-'",
                line=lines.item(n, "id"),
                column=f"{col}.id",
                value=cid,
                hint="e.g. M1, 2b, T3",
            )
        if cid in seen:
            _fail(
                path,
                f"criterion id {cid!r} used twice (criteria {seen[cid] + 1} and {n + 1})",
                line=lines.item(n, "id"),
                column=f"{col}.id",
                value=cid,
                hint="give every criterion its own id",
            )
        seen[cid] = n
        dim = crit["dimension"].strip()
        if dims_given is not None and dim not in dims_given:
            _fail(
                path,
                f"dimension {dim!r} is not in the dimensions list",
                line=lines.item(n, "dimension"),
                column=f"{col}.dimension",
                value=dim,
                hint=f"use one of {', '.join(dims_given)} or add it to dimensions",
            )
        weight = crit.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            _fail(
                path,
                "weight must be a positive number",
                line=lines.item(n, "weight"),
                column=f"{col}.weight",
                value=weight,
                hint="e.g. weight = 1.5, or leave it out (1)",
            )
        for key in ("short", "guidance", "status"):
            if key in crit and not isinstance(crit[key], str):
                _fail(
                    path,
                    f"{key} must be text",
                    line=lines.item(n, key),
                    column=f"{col}.{key}",
                    value=crit[key],
                    hint=f'write {key} = "..."',
                )
        own = {}
        if "anchors" in crit:
            own = _check_anchors(
                path, crit["anchors"], lo, hi, line_of=lambda _k, n=n: lines.item(n, "anchors"), column=f"{col}.anchors"
            )
        rows.append(
            {
                "criterion": cid,
                "dimension": dim,
                "text": " ".join(crit["text"].split()),
                "short": (crit.get("short") or "").strip() or cid,
                "guidance": (crit.get("guidance") or "").strip(),
                "weight": float(weight),
                "status": (crit.get("status") or "").strip(),
                "anchors": own,
            }
        )
    criteria = pd.DataFrame(rows)
    used = list(dict.fromkeys(criteria["dimension"]))
    dims = tuple(d for d in dims_given if d in used) if dims_given is not None else tuple(used)
    return Rubric(
        id=rid,
        name=name,
        version=version,
        scale_min=lo,
        scale_max=hi,
        allows_na=allows_na,
        anchors=anchors,
        criteria=criteria,
        dimensions=dims,
        no_information=no_info,
        aggregation=aggregation,
        description=(data.get("description") or "").strip(),
        source=(data.get("source") or "").strip(),
        status=(data.get("status") or "").strip(),
        path=path.resolve(),
    )


def _candidates(dirs: list[Path] | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in dirs if dirs is not None else rubric_dirs():
        for p in sorted(Path(d).glob("*.toml")):
            found.setdefault(p.stem, p)
    return found


def load_rubric(name: str | Path, *, version: str | None = None, dirs: list[Path] | None = None) -> Rubric:
    """Load a rubric by id (a file ``<id>.toml`` in :func:`rubric_dirs` or ``dirs``) or by path.

    Parameters
    ----------
    name
        Rubric id such as ``"ris3_wheel"``, or the path of a ``.toml`` file.
    version
        If given, the rubric's ``version`` must equal it (scores made with one version of a
        rubric are not read against another).
    dirs
        Folders to search instead of ``data/rubrics``.

    Examples
    --------
    >>> r = load_rubric("ris3_wheel")
    >>> len(r.criteria), r.dimensions[0], r.no_information
    (18, 'Analysis of regional context', 0)
    """
    p = Path(name)
    if p.suffix == ".toml" or p.is_file():
        rubric = read_rubric_file(p)
    else:
        found = _candidates(dirs)
        if str(name) not in found:
            close = difflib.get_close_matches(str(name), list(found), n=1)
            raise DataFileError(
                f"unknown rubric {str(name)!r}",
                where=", ".join(str(d) for d in (dirs if dirs is not None else rubric_dirs())),
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + f"known rubrics: {', '.join(found) or 'none'}; add a file <id>.toml to add one",
            )
        rubric = read_rubric_file(found[str(name)])
    if version is not None and str(version) != rubric.version:
        raise DataFileError(
            f"rubric {rubric.id!r} is version {rubric.version!r}, not {str(version)!r}",
            where=location(rubric.path, column="version", value=rubric.version),
            hint="keep the rubric version the scores were made with (add the new version under a new id)",
        )
    return rubric


def list_rubrics(dirs: list[Path] | None = None) -> pd.DataFrame:
    """Every rubric file found, validated: ``rubric, name, version, scale, allows_na, n_criteria, file``.

    A file that does not validate raises its :class:`~clusterix_lib.errors.DataFileError`.

    >>> list_rubrics()["rubric"].tolist()
    ['cluster_policy_maturity', 'gp_transferability', 'ris3_wheel']
    """
    rows = []
    for _, path in sorted(_candidates(dirs).items()):
        r = read_rubric_file(path)
        rows.append(
            {
                "rubric": r.id,
                "name": r.name,
                "version": r.version,
                "scale": f"{r.scale_min}-{r.scale_max}",
                "allows_na": r.allows_na,
                "n_criteria": len(r.criteria),
                "file": str(path),
            }
        )
    return pd.DataFrame(rows, columns=["rubric", "name", "version", "scale", "allows_na", "n_criteria", "file"])
