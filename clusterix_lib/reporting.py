"""Run a report notebook with papermill, read the values it recorded, export offline HTML.

The pipeline for one report (:func:`render_report`)::

    validate_parameters  ->  execute_notebook  ->  read_records  ->  export_html  ->  {stem}.json
    (no kernel yet)          (papermill)           (from .ipynb)     (templates/clusterix)

Inside a notebook, values leave through :func:`record` (a display output with the vendor
mimetype ``application/vnd.clusterix.record+json``): they travel in the executed ``.ipynb``,
are read back by :func:`read_records` (tests, the JSON sidecar, the batch index) and never
show in the HTML.

Every file is written atomically: a reader (or the batch index) never sees a half-written
``.ipynb``, ``.html`` or ``.json``. A failed run keeps its executed notebook -- with
papermill's red error banner -- as ``{stem}.failed.ipynb``, never under the final name.

Heavy dependencies (papermill, nbconvert) are imported inside the functions that need them,
so ``from clusterix_lib.reporting import record`` in a kernel stays cheap.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import datetime as _dt
import difflib
import html as _html
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterix_lib.errors import ParameterError, ReportError
from clusterix_lib.paths import templates_dir

if TYPE_CHECKING:  # pragma: no cover
    from nbformat import NotebookNode

__all__ = [
    "RECORD_MIMETYPE",
    "RECORD_OUTPUT_TAG",
    "REMOVED_CELL_TAGS",
    "TABLE_MIMETYPE",
    "PARAMETER_BOUNDS",
    "ReportResult",
    "escape",
    "execute_notebook",
    "export_html",
    "failed_path_for",
    "notebook_parameters",
    "offline_violations",
    "one_line",
    "output_paths",
    "parameter_bounds",
    "read_records",
    "read_tables",
    "record",
    "record_table",
    "remove_outputs",
    "render_report",
    "running_path_for",
    "validate_parameters",
    "write_text",
]

#: Mimetype of the display output written by :func:`record`.
RECORD_MIMETYPE = "application/vnd.clusterix.record+json"
#: Mimetype of the display output written by :func:`record_table` (a key table to download).
TABLE_MIMETYPE = "application/vnd.clusterix.table+json"
#: Output-metadata tag of record outputs; the HTML export removes outputs carrying it.
RECORD_OUTPUT_TAG = "clusterix-record"
#: Cells with any of these tags are removed from the HTML.
REMOVED_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove_cell"})
#: Name of our nbconvert template (a folder under :func:`clusterix_lib.paths.templates_dir`).
TEMPLATE_NAME = "clusterix"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_WS = re.compile(r"\s+")


# --------------------------------------------------------------------------------------
# record() / read_records()
# --------------------------------------------------------------------------------------


def _to_json(value: Any, where: str) -> Any:
    """Convert ``value`` to plain JSON types, or raise :class:`TypeError` naming ``where``."""
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, str):  # str subclasses, e.g. numpy.str_
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    # numpy / pandas without importing them here
    mod = type(value).__module__.split(".")[0]
    if mod == "numpy":
        import numpy as np

        if isinstance(value, np.generic):
            return _to_json(value.item(), where)
        if isinstance(value, np.ndarray):
            return _to_json(value.tolist(), where)
    if mod == "pandas":
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if isinstance(value, (pd.Series, pd.DataFrame)):
            raise TypeError(
                f"{where} is a pandas {type(value).__name__}; record plain values, e.g. "
                f"value.to_dict() or a few summary numbers"
            )
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has a non-string key {k!r}; JSON keys must be strings")
            out[str(k)] = _to_json(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"{where} has type {type(value).__module__}.{type(value).__qualname__}, which is not "
        f"JSON-serialisable; record str, int, float, bool, None, lists or dicts of them"
    )


def record(name: str, value: Any) -> None:
    """Record a named value in the executed notebook (invisible in the HTML).

    Displays ``{"application/vnd.clusterix.record+json": {"name": name, "value": value}}``
    with ``raw=True``; :func:`read_records` reads it back from the executed ``.ipynb``.

    Parameters
    ----------
    name
        Identifier of the value (a later record with the same name overrides it).
    value
        A JSON-serialisable value. numpy scalars and arrays become Python numbers and lists,
        ``nan``/``inf``/``pd.NA``/``NaT`` become ``None``, dates become ISO strings; anything
        else (DataFrames, arbitrary objects) raises :class:`TypeError`.

    Examples
    --------
    Outside a kernel the payload is printed:

    >>> record("n_squared", 49)
    {'application/vnd.clusterix.record+json': {'name': 'n_squared', 'value': 49}}
    >>> record("share", float("nan"))
    {'application/vnd.clusterix.record+json': {'name': 'share', 'value': None}}
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"record name must be a non-empty string, got {name!r}")
    payload = {"name": name, "value": _to_json(value, f"record {name!r}")}
    # Fail here, in the notebook cell, rather than when the notebook is saved.
    json.dumps(payload, allow_nan=False)
    from IPython.display import display

    display({RECORD_MIMETYPE: payload}, raw=True, metadata={"tags": [RECORD_OUTPUT_TAG]})


def _load_nb(nb: str | Path | NotebookNode) -> NotebookNode:
    import nbformat

    if isinstance(nb, (str, Path)):
        return nbformat.read(str(nb), as_version=4)
    return nb


def read_records(nb: str | Path | NotebookNode) -> dict[str, Any]:
    """Return the values recorded by :func:`record` in an executed notebook.

    Parameters
    ----------
    nb
        Path of an executed ``.ipynb`` or a :class:`nbformat.NotebookNode`.

    Returns
    -------
    dict
        ``{name: value}`` in notebook order; a later record of a name overrides earlier ones.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> def rec(name, value):
    ...     data = {RECORD_MIMETYPE: {"name": name, "value": value}}
    ...     return nbformat.v4.new_output("display_data", data=data)
    >>> nb.cells.append(nbformat.v4.new_code_cell("", outputs=[rec("n", 1), rec("n", 2)]))
    >>> read_records(nb)
    {'n': 2}
    """
    node = _load_nb(nb)
    records: dict[str, Any] = {}
    for cell in node.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            payload = data.get(RECORD_MIMETYPE)
            if payload is None:
                continue
            if isinstance(payload, str):  # very old nbformat writers store JSON as text
                payload = json.loads(payload)
            records[payload["name"]] = payload.get("value")
    return records


_TABLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def record_table(name: str, frame: Any, *, title: str | None = None) -> None:
    """Record a key table of the report; the site offers it as CSV and XLSX downloads.

    Like :func:`record`, the table travels invisibly in the executed notebook (mimetype
    ``application/vnd.clusterix.table+json``); :func:`render_report` writes it to
    ``{stem}.tables/{name}.csv`` and a sheet of ``{stem}.xlsx``. Record what a reader would
    want to reuse -- the numbers behind a chart, the full ranking -- as plain values, not the
    formatted strings shown in the page. Filter confidential rows first
    (:func:`clusterix_lib.confidentiality.visible`): a recorded table is published with the report.

    Parameters
    ----------
    name
        File name without suffix: letters, digits, ``_`` and ``-`` (at most 64 characters).
    frame
        A :class:`pandas.DataFrame` (its index is kept as columns when it is named) or
        anything ``pandas.DataFrame(frame)`` accepts.
    title
        Caption for the download link (default: ``name``).

    Examples
    --------
    >>> import pandas as pd
    >>> record_table("lq", pd.DataFrame({"nace_r2": ["C10"], "lq": [1.25]}), title="Location quotients")
    {'application/vnd.clusterix.table+json': {'name': 'lq', 'title': 'Location quotients', \
'columns': ['nace_r2', 'lq'], 'data': [['C10', 1.25]]}}
    """
    import pandas as pd

    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise ValueError(f"table name {name!r} must be 1-64 letters, digits, '_' or '-' (it becomes a file name)")
    df = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    if any(n is not None for n in df.index.names):
        df = df.reset_index()
    payload = {
        "name": name,
        "title": str(title or name),
        "columns": [str(c) for c in df.columns],
        "data": _to_json(df.astype(object).where(df.notna(), None).to_numpy().tolist(), f"table {name!r}"),
    }
    json.dumps(payload, allow_nan=False)
    from IPython.display import display

    display({TABLE_MIMETYPE: payload}, raw=True, metadata={"tags": [RECORD_OUTPUT_TAG]})


def read_tables(nb: str | Path | NotebookNode) -> dict[str, dict[str, Any]]:
    """The tables recorded by :func:`record_table`: ``{name: {"title", "columns", "data"}}``.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> out = nbformat.v4.new_output("display_data", data={TABLE_MIMETYPE: {
    ...     "name": "t", "title": "T", "columns": ["a"], "data": [[1], [2]]}})
    >>> nb.cells.append(nbformat.v4.new_code_cell("", outputs=[out]))
    >>> read_tables(nb)["t"]["data"]
    [[1], [2]]
    """
    node = _load_nb(nb)
    tables: dict[str, dict[str, Any]] = {}
    for cell in node.get("cells", []):
        for output in cell.get("outputs", []) or []:
            payload = (output.get("data") or {}).get(TABLE_MIMETYPE)
            if payload is None:
                continue
            if isinstance(payload, str):
                payload = json.loads(payload)
            tables[payload["name"]] = {
                "title": payload.get("title") or payload["name"],
                "columns": list(payload.get("columns") or []),
                "data": list(payload.get("data") or []),
            }
    return tables


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _ast_parameters(source: str) -> dict[str, dict[str, Any]]:
    """Parameters of a ``parameters`` cell read with :mod:`ast` (papermill's regex misses some,
    e.g. ``label: str | None = None``).

    >>> _ast_parameters('label: str | None = None  # optional label')
    {'label': {'type': 'str | None', 'default': None, 'help': 'optional label'}}
    """
    import io
    import tokenize

    try:
        tree = ast.parse(source)
        comments = {
            tok.start[0]: tok.string.lstrip("#").strip()
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError, ValueError):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, type_name, value = stmt.target.id, ast.unparse(stmt.annotation), stmt.value
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, type_name, value = stmt.targets[0].id, "any", stmt.value
        else:
            continue
        help_text = comments.get(stmt.end_lineno or stmt.lineno, "")
        if help_text.startswith("type:"):
            type_name, help_text = help_text[5:].strip() or type_name, ""
        out[name] = {
            "type": type_name.strip("'\""),
            "default": _literal(ast.unparse(value)) if value is not None else None,
            "help": help_text,
        }
    return out


class _CaptureParseWarnings(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Unable to parse line"):
            self.records.append(record)
            return False
        return True


@contextlib.contextmanager
def _papermill_parse_warnings() -> Iterator[list[logging.LogRecord]]:
    """Hold back papermill's "Unable to parse line" warnings (its regex cannot read a line
    with two ``=``, e.g. a help comment containing ``=``); our ast reading covers them."""
    flt = _CaptureParseWarnings()
    logger = logging.getLogger("papermill.translators")
    logger.addFilter(flt)
    try:
        yield flt.records
    finally:
        logger.removeFilter(flt)


@lru_cache(maxsize=64)
def _notebook_parameters_cached(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    import nbformat
    import papermill

    with _papermill_parse_warnings() as skipped:
        try:
            raw = papermill.inspect_notebook(path)
        except ValueError:  # e.g. no kernelspec in the notebook: the ast reading below
            raw = {}
    found: dict[str, dict[str, Any]] = {}
    for name, p in raw.items():
        type_name = str(p.get("inferred_type_name") or "None").strip()
        found[name] = {
            "type": "any" if type_name == "None" else type_name,
            "default": _literal(str(p.get("default", "")).strip()),
            "help": str(p.get("help") or "").strip(),
        }
    nb = nbformat.read(path, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return found
    parsed = _ast_parameters(cell.source)
    if not parsed:  # ast could not read the cell either: pass papermill's warnings on
        for rec in skipped:
            logging.getLogger("papermill.translators").handle(rec)
    # Cell order; papermill's reading where it has one, ast's for lines its regex skipped.
    out = {name: found.get(name, parsed[name]) for name in parsed}
    out.update({name: p for name, p in found.items() if name not in out})
    return out


def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """Parameters declared in a notebook's cell tagged ``parameters``.

    Parsed by :func:`papermill.inspect_notebook` (no kernel is started). The type comes from
    the annotation -- ``region: str = "AT12"  # NUTS code`` gives ``type="str"``,
    ``default="AT12"``, ``help="NUTS code"``; an unannotated parameter has type ``"any"``.
    Lines papermill's regex cannot read (an annotation like ``str | None``, a help comment
    containing ``=``) are read with :mod:`ast` instead, so no declared parameter is missed.

    Parameters
    ----------
    path
        The notebook (``.ipynb``).

    Returns
    -------
    dict
        ``{name: {"type": str, "default": value, "help": str}}`` in cell order. ``default`` is
        the Python literal (``ast.literal_eval``), or the source text if it is not a literal.
        Empty if the notebook has no ``parameters`` cell.
    """
    p = Path(path).resolve()
    if not p.is_file():
        raise ParameterError(f"notebook not found: {p}")
    return copy.deepcopy(_notebook_parameters_cached(str(p), p.stat().st_mtime_ns))


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "tuple": (list,),
}


def _parse_annotation(text: str) -> tuple[set[str], bool] | None:
    """``"int | None"`` -> ({"int"}, True); unknown annotations -> None (no type check).

    >>> _parse_annotation("Optional[float]")
    ({'float'}, True)
    >>> _parse_annotation("list[str]")
    ({'list'}, False)
    >>> _parse_annotation("date") is None
    True
    """
    text = text.replace("typing.", "").replace(" ", "")
    m = re.fullmatch(r"Optional\[(.+)\]", text)
    if m:
        inner = _parse_annotation(m.group(1))
        return None if inner is None else (inner[0], True)
    m = re.fullmatch(r"Union\[(.+)\]", text)
    parts = m.group(1).split(",") if m else text.split("|")
    names: set[str] = set()
    allow_none = False
    for part in parts:
        base = re.sub(r"\[.*\]$", "", part).lower()  # list[str] -> list, List[int] -> list
        if base in ("none", "nonetype"):
            allow_none = True
        elif base in _SIMPLE_TYPES:
            names.add(base)
        else:
            return None
    return (names, allow_none) if names or allow_none else None


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, tuples -> lists (recursively)."""
    if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "item"):
        try:
            value = value.item()
        except (ValueError, TypeError):
            return value
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _is_plain_json(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return all(_is_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain_json(v) for k, v in value.items())
    return False


def _check_type(name: str, value: Any, type_text: str) -> tuple[Any, str | None]:
    """Return (converted value, problem or None)."""
    value = _plain(value)
    if not _is_plain_json(value):
        return value, (
            f"parameter {name!r}: {type(value).__name__} value {value!r} is not a plain "
            f"str/int/float/bool/None/list/dict (pass dates as ISO strings)"
        )
    parsed = _parse_annotation(type_text) if type_text != "any" else None
    if parsed is None:
        return value, None
    names, allow_none = parsed
    if value is None:
        if allow_none:
            return None, None
        return value, f"parameter {name!r} must be {type_text}, got None"
    if isinstance(value, bool):
        ok = "bool" in names
    elif isinstance(value, int):
        if "int" in names:
            ok = True
        elif "float" in names:
            return float(value), None
        else:
            ok = False
    else:
        ok = any(isinstance(value, _SIMPLE_TYPES[n]) for n in names)
    if ok:
        return value, None
    return value, (f"parameter {name!r} must be {type_text}, got {type(value).__name__} {value!r}")


#: Range rules by parameter name, for the parameters that mean the same in every report notebook: a
#: count of things shown, compared or drawn is at least 1, ``year`` is 0 ("the latest") or a year,
#: a random seed is not negative. ``(low, high)``, ``None`` for no bound. A notebook can state its
#: own rule at the end of a parameter's comment -- ``top_n: int = 15  # bars shown (>= 1, <= 40)``
#: -- which wins over this table (see :func:`parameter_bounds`).
PARAMETER_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "top_n": (1, None),
    "n_worth": (1, None),
    "k": (1, None),
    "k_region": (1, None),
    "n_boot": (1, None),
    "n_draws": (1, None),
    "seed": (0, None),
    "year": (0, None),
}

_BOUND = r"(>=|≥|<=|≤)\s*([+-]?\d+(?:\.\d+)?)"
_RANGE_RULE = re.compile(rf"\(\s*{_BOUND}\s*(?:,\s*{_BOUND}\s*)?\)")


def parameter_bounds(name: str, help_text: str = "") -> tuple[float | None, float | None]:
    """The range rule of a numeric parameter: ``(low, high)``, ``None`` where there is no bound.

    A rule in the parameter's help comment -- ``(>= 1)``, ``(≤ 50)`` or ``(>= 1, <= 50)`` --
    wins; otherwise :data:`PARAMETER_BOUNDS` by name; otherwise no rule. Text like
    ``(level 0-3)`` is not a rule.

    Examples
    --------
    >>> parameter_bounds("top_n", "bars shown (>= 1, <= 40)")
    (1, 40)
    >>> parameter_bounds("top_n", "number of specialisations shown")
    (1, None)
    >>> parameter_bounds("share", "of the total (≥ 0.5)"), parameter_bounds("level", "NUTS level (level 0-3)")
    ((0.5, None), (None, None))
    """
    m = _RANGE_RULE.search(help_text or "")
    if m is None:
        return PARAMETER_BOUNDS.get(name, (None, None))
    low: float | None = None
    high: float | None = None
    for op, number in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
        if op is None:
            continue
        bound = float(number)
        bound = int(bound) if bound.is_integer() else bound
        if op in (">=", "≥"):
            low = bound
        else:
            high = bound
    return low, high


def _check_range(name: str, value: Any, bounds: tuple[float | None, float | None]) -> str | None:
    """The problem with a number outside ``bounds`` (NaN is outside every bound), or None."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (low is None and high is None):
        return None
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        rule = f"from {low:g} to {high:g}"
    elif low is not None:
        rule = f"≥ {low:g}"
    else:
        rule = f"≤ {high:g}"
    return f"parameter {name!r} must be {rule}, got {value!r}"


def validate_parameters(
    notebook: str | Path,
    params: Mapping[str, Any],
    validators: Mapping[str, Callable[[Any], Any]] | None = None,
) -> dict[str, Any]:
    """Check parameters against a notebook's ``parameters`` cell -- before any kernel starts.

    Checks, collecting every problem:

    1. unknown names (the message lists the known ones and suggests a close match);
    2. types, by the annotation in the ``parameters`` cell: ``int`` is accepted for
       ``float`` (converted), ``bool`` is *not* an ``int``, numpy scalars become plain Python;
       ``X | None`` / ``Optional[X]`` accept ``None``; values must be plain JSON types;
    3. ranges of numbers, by :func:`parameter_bounds`: a rule in the parameter's comment
       (``# bars shown (>= 1)``) or, for the shared names, :data:`PARAMETER_BOUNDS`
       (``top_n=-5`` is refused);
    4. custom ``validators``, called for parameters that passed 1-3. A validator returns the
       (possibly normalised) value, or ``None`` to keep it; it signals a bad value by raising
       :class:`~clusterix_lib.errors.ParameterError` (``ValueError``/``TypeError`` count too).

    Parameters
    ----------
    notebook
        The notebook (``.ipynb``).
    params
        ``{name: value}`` to inject; names not given keep the notebook defaults.
    validators
        ``{name: callable}``; validators for names not in ``params`` are not called.

    Returns
    -------
    dict
        The parameters, converted and normalised, ready for papermill.

    Raises
    ------
    ParameterError
        One error listing all problems, naming the notebook; ``.problems`` holds the list.
    """
    nb_path = Path(notebook)
    declared = notebook_parameters(nb_path)
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in declared:
            if not declared:
                problems.append(f"unknown parameter {name!r}: the notebook has no cell tagged 'parameters'")
                continue
            close = difflib.get_close_matches(str(name), list(declared), n=1, cutoff=0.6)
            hint = f" -- did you mean {close[0]!r}?" if close else ""
            problems.append(f"unknown parameter {name!r}{hint} (known: {', '.join(declared)})")
            continue
        converted, problem = _check_type(name, value, declared[name]["type"])
        if problem is None:
            problem = _check_range(name, converted, parameter_bounds(name, declared[name].get("help", "")))
        if problem:
            problems.append(problem)
            continue
        validator = (validators or {}).get(name)
        if validator is not None:
            try:
                result = validator(converted)
            except (ParameterError, ValueError, TypeError) as exc:
                problems.append(f"parameter {name!r} = {converted!r}: {exc}")
                continue
            if result is not None:
                converted = _plain(result)
        out[name] = converted
    if problems:
        n = len(problems)
        what = (
            f"{problems[0]} in the parameters of {nb_path.name}"
            if n == 1
            else f"{n} problems with the parameters of {nb_path.name}:\n  - " + "\n  - ".join(problems)
        )
        err = ParameterError(
            what,
            hint=f"fix the parameters; papermill --help-notebook {nb_path} lists the declared ones",
        )
        err.problems = problems  # type: ignore[attr-defined]
        err.notebook = nb_path  # type: ignore[attr-defined]
        raise err
    return out


# --------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------


def running_path_for(output_ipynb: str | Path) -> Path:
    """Where papermill writes while a notebook runs: ``.{stem}.running.ipynb`` beside it.

    >>> running_path_for("/b/r/x.ipynb").as_posix()
    '/b/r/.x.running.ipynb'
    """
    p = Path(output_ipynb)
    return p.with_name(f".{p.stem}.running.ipynb")


def failed_path_for(output_ipynb: str | Path) -> Path:
    """Where a failed run's notebook is kept: ``{stem}.failed.ipynb``.

    >>> failed_path_for("/b/r/x.ipynb").as_posix()
    '/b/r/x.failed.ipynb'
    """
    p = Path(output_ipynb)
    return p.with_name(f"{p.stem}.failed.ipynb")


def one_line(text: str, limit: int = 400) -> str:
    """Strip ANSI codes, collapse whitespace, truncate.

    >>> one_line("\\x1b[31mValueError\\x1b[0m:  bad\\n value")
    'ValueError: bad value'
    """
    text = _WS.sub(" ", _ANSI.sub("", str(text))).strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _fmt_path(path: str | Path) -> str:
    """Escape ``{``/``}`` -- papermill formats paths with the parameters."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _without_error_cells(executed: Any) -> list[Any]:
    return [c for c in executed.cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]


def _source_cell_index(executed: Any, index: int) -> int:
    """Index in the source notebook of cell ``index`` of the executed notebook.

    ``index`` counts cells without papermill's error-marker cells (as
    ``PapermillExecutionError.cell_index`` does); the injected-parameters cell is not in the
    source notebook.
    """
    cells = _without_error_cells(executed)
    injected = sum(1 for c in cells[:index] if "injected-parameters" in c.get("metadata", {}).get("tags", []))
    return index - injected


def _running_cell(nb_path: Path) -> tuple[int | None, Any]:
    """(source cell index, execution count) of the cell a run stopped in.

    The cell papermill marked ``running`` (a killed run), else the last cell that started
    (papermill marks every cell completed when it gives up, e.g. on a cell timeout).
    """
    try:
        nb = _load_nb(nb_path)
    except Exception:  # noqa: BLE001 -- partial or unreadable: no detail
        return None, None
    last = None
    for i, cell in enumerate(_without_error_cells(nb)):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("status") == "running":
            last = i
            break
        if pm.get("start_time"):
            last = i
    if last is None:
        return None, None
    cell = _without_error_cells(nb)[last]
    return _source_cell_index(nb, last), cell.get("execution_count")


def _in(count: Any) -> str:
    return f" (In [{count}])" if count is not None else ""


def _no_cell_started(nb_path: Path) -> bool:
    try:
        nb = _load_nb(nb_path)
    except Exception:  # noqa: BLE001
        return True
    return all(
        c.get("metadata", {}).get("papermill", {}).get("status", "pending") == "pending"
        for c in nb.cells
        if c.get("cell_type") == "code"
    )


def _report_error(
    what: str, notebook: Path, failed: Path | None, *, cell_index=None, ename=None, evalue=None
) -> ReportError:
    where = f"failed notebook kept at {failed}" if failed else None
    err = ReportError(what, where=where)
    err.notebook = notebook  # type: ignore[attr-defined]
    err.failed_ipynb = failed  # type: ignore[attr-defined]
    err.cell_index = cell_index  # type: ignore[attr-defined]
    err.ename = ename  # type: ignore[attr-defined]
    err.evalue = evalue  # type: ignore[attr-defined]
    return err


_ENGINE_NAME = "clusterix"


@lru_cache(maxsize=1)
def _register_engine() -> str:
    """Register the papermill engine :func:`execute_notebook` uses; returns its name.

    papermill's engine saves the whole notebook (re-validated) when *any* cell starts and ends:
    twice per cell, half a second per report for a long notebook with figures. Ours saves when a
    *code* cell starts -- so a killed run still shows the cell it was in -- and otherwise only every
    ``autosave_cell_every`` seconds, with plain JSON. Saves while the notebook runs are compact
    (one line: the C JSON encoder, ~10x faster than the indented one); the last save, when the
    notebook is complete or has failed, is indented as nbformat writes it.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, catch_nb_assignment, papermill_engines

    class LeanExecutionManager(NotebookExecutionManager):
        _quiet = False
        _complete = False

        @catch_nb_assignment
        def save(self, **kwargs: Any) -> None:
            if self._quiet and (self.now() - self.last_save_time).total_seconds() < self.autosave_cell_every:
                return
            if self.output_path:
                indent = 1 if self._complete else None
                text = json.dumps(self.nb, ensure_ascii=False, indent=indent, sort_keys=True, default=str)
                Path(self.output_path).write_text(text + "\n", encoding="utf-8")
            self.last_save_time = self.now()

        def notebook_complete(self, **kwargs: Any) -> None:
            self._complete = True
            super().notebook_complete(**kwargs)

        @catch_nb_assignment
        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self._quiet = cell.get("cell_type") != "code"
            try:
                super().cell_start(cell, cell_index, **kwargs)
            finally:
                self._quiet = False

        @catch_nb_assignment
        def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self._quiet = True
            try:
                super().cell_complete(cell, cell_index, **kwargs)
            finally:
                self._quiet = False

    class LeanEngine(NBClientEngine):
        @classmethod
        def execute_notebook(
            cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False, autosave_cell_every=30, **kw
        ):
            nb_man = LeanExecutionManager(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kw)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(_ENGINE_NAME, LeanEngine)
    return _ENGINE_NAME


def execute_notebook(
    notebook: str | Path,
    output_ipynb: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    timeout_cell: float | None = 600,
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    start_timeout: float = 60,
) -> NotebookNode:
    """Execute a notebook with papermill; write the result atomically.

    papermill saves the notebook after every cell, so it writes to
    :func:`running_path_for` (``.{stem}.running.ipynb`` in the same folder) and the file is
    renamed to ``output_ipynb`` only when every cell succeeded. On failure it is renamed to
    :func:`failed_path_for` (``{stem}.failed.ipynb``, with papermill's error banner) and any
    previous ``output_ipynb`` is removed, so a stale report is never mistaken for this run.

    Parameters
    ----------
    notebook
        Source notebook.
    output_ipynb
        Final path of the executed notebook.
    params
        Parameters to inject (validate them first with :func:`validate_parameters`).
    timeout_cell
        Per-cell time limit in seconds (nbclient ``timeout``); ``None`` for none.
    kernel_name
        Kernel to run; ``"python3"`` is the native kernel, i.e. this interpreter's environment.
    cwd
        Kernel working directory; default: the notebook's folder. (papermill changes the
        process-wide working directory: do not call this from several threads.)
    start_timeout
        Seconds to wait for the kernel to start.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    ReportError
        One line: notebook, cell, ``ename: evalue``, and where the failed notebook is kept.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = Path(notebook).resolve()
    out = Path(output_ipynb).resolve()
    if not src.is_file():
        raise ReportError(f"notebook not found: {src}")
    out.parent.mkdir(parents=True, exist_ok=True)
    running = running_path_for(out)
    failed = failed_path_for(out)
    workdir = Path(cwd).resolve() if cwd is not None else src.parent
    engine_kwargs: dict[str, Any] = {}
    if timeout_cell is not None:
        engine_kwargs["execution_timeout"] = timeout_cell
    from clusterix_lib import kernel_fork

    fork_manager = kernel_fork.manager_class()  # a batch worker's warm kernel template, if any
    if fork_manager is not None:
        engine_kwargs["kernel_manager_class"] = fork_manager
    # report kernels keep no IPython history (no SQLite file shared by parallel kernels), draw each
    # figure once (every clusterix figure uses layout="constrained", so the inline backend's default
    # bbox_inches="tight" -- a second full draw to measure the margins -- adds nothing, and
    # report_kernel.configure removes matplotlib's unseen redraw after each cell), and are
    # stopped at once when the last cell's outputs are in (nothing is left to flush)
    engine_kwargs["extra_arguments"] = [
        "--HistoryManager.enabled=False",
        "--InlineBackend.print_figure_kwargs={'bbox_inches': None}",
        "--IPKernelApp.exec_lines=['__import__(\"clusterix_lib.report_kernel\").report_kernel.configure()']",
    ]
    engine_kwargs["shutdown_kernel"] = "immediate"

    def _fail(exc_what: str, **kw: Any) -> ReportError:
        out.unlink(missing_ok=True)
        kept: Path | None = None
        if running.exists():
            os.replace(running, failed)
            kept = failed
        return _report_error(exc_what, src, kept, **kw)

    for attempt in (1, 2):
        running.unlink(missing_ok=True)
        try:
            with _papermill_parse_warnings():  # already reported by notebook_parameters()
                nb = papermill.execute_notebook(
                    _fmt_path(src),
                    _fmt_path(running),
                    engine_name=_register_engine(),
                    parameters=dict(params or {}),
                    kernel_name=kernel_name,
                    progress_bar=False,
                    start_timeout=start_timeout,
                    cwd=str(workdir),
                    **engine_kwargs,
                )
        except PapermillExecutionError as exc:
            cell = None
            if running.exists():
                try:
                    cell = _source_cell_index(_load_nb(running), exc.cell_index)
                except Exception:  # noqa: BLE001
                    cell = None
            cell = exc.cell_index if cell is None else cell
            msg = f"{exc.ename}: {exc.evalue}" if exc.evalue else str(exc.ename)
            raise _fail(
                f"{src.name} failed in cell {cell + 1}{_in(exc.exec_count)}: {one_line(msg)}",
                cell_index=cell,
                ename=exc.ename,
                evalue=one_line(exc.evalue),
            ) from None
        except Exception as exc:  # kernel start failure, dead kernel, cell timeout...
            if attempt == 1 and _is_start_failure(exc, running):
                continue  # e.g. a ZMQ port race with a parallel kernel: retry once
            cell, count = _running_cell(running) if running.exists() else (None, None)
            ename = type(exc).__name__
            if ename == "CellTimeoutError":
                detail = f"cell timed out after {timeout_cell:g} s (timeout_cell)"
            else:
                detail = f"{ename}: {one_line(str(exc), 300)}"
            at = f" in cell {cell + 1}{_in(count)}" if cell is not None else ""
            raise _fail(
                f"{src.name} failed{at}: {detail}",
                cell_index=cell,
                ename=ename,
                evalue=one_line(str(exc), 300),
            ) from None
        except BaseException:
            # KeyboardInterrupt / SystemExit: keep what ran, never under the final name.
            if running.exists():
                os.replace(running, failed)
            raise
        break
    os.replace(running, out)
    failed.unlink(missing_ok=True)
    return nb


def _is_start_failure(exc: Exception, running: Path) -> bool:
    name = type(exc).__name__
    if name in ("CellTimeoutError", "PapermillMissingParameterException", "NoSuchKernel"):
        return False
    if name == "ZMQError":
        return True
    return _no_cell_started(running)


# --------------------------------------------------------------------------------------
# HTML export
# --------------------------------------------------------------------------------------


class _ResourceScanner(HTMLParser):
    """Collect every reference that would make a browser load something."""

    _SRC_TAGS = {
        "script",
        "img",
        "iframe",
        "embed",
        "source",
        "video",
        "audio",
        "track",
        "input",
        "frame",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "style":
            self._in_style = True
        if tag in self._SRC_TAGS and "src" in a and not a["src"].startswith("data:"):
            self.found.append(f"<{tag} src={a['src'][:120]!r}>")
        if "srcset" in a:
            self.found.append(f"<{tag} srcset={a['srcset'][:120]!r}>")
        if tag == "link" and a.get("href") and not a["href"].startswith("data:"):
            self.found.append(f"<link href={a['href'][:120]!r}>")
        if tag == "object" and a.get("data") and not a["data"].startswith("data:"):
            self.found.append(f"<object data={a['data'][:120]!r}>")
        if tag in ("video",) and a.get("poster") and not a["poster"].startswith("data:"):
            self.found.append(f"<video poster={a['poster'][:120]!r}>")
        if "style" in a:
            self.found.extend(_css_urls(a["style"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(_css_urls(data))


_CSS_URL = re.compile(r"""url\(\s*['"]?(?!data:|#)([^'")\s]+)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]+)""", re.IGNORECASE)


def _css_urls(css: str) -> list[str]:
    return [f"css url({u[:120]!r})" for u in _CSS_URL.findall(css)] + [
        f"css @import {u[:120]!r}" for u in _CSS_IMPORT.findall(css)
    ]


def offline_violations(html_text: str) -> list[str]:
    """Every reference in ``html_text`` that would make a browser load a resource.

    Links (``<a href>``) are fine; ``<script src>``, ``<link href>``, non-``data:`` images,
    frames and CSS ``url()``/``@import`` are not.

    >>> offline_violations('<a href="https://x.eu">x</a><img src="data:image/png;base64,AA">')
    []
    >>> offline_violations('<script src="https://cdn/x.js"></script><img src="fig.png">')
    ["<script src='https://cdn/x.js'>", "<img src='fig.png'>"]
    """
    scanner = _ResourceScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.found


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
_FOCUSABLE = re.compile(r'<div class="((?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?)"')


def _accessible(html_text: str) -> str:
    """nbconvert's accessibility pass, on the text: ``alt`` on images that lack one, and the
    notebook's input and output areas focusable (``tabindex="0"``).

    >>> print(_accessible('<div class="x jp-OutputArea-output"><img src="a.png"></div>'))  # doctest: +ELLIPSIS
    <div tabindex="0" class="x jp-OutputArea-output"><img alt="No description ... image" src="a.png"></div>
    >>> _accessible('<div class="jp-OutputArea-output-x"><img alt="Map" src="m.png"></div>')
    '<div class="jp-OutputArea-output-x"><img alt="Map" src="m.png"></div>'
    """
    html_text = _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', html_text)
    return _FOCUSABLE.sub(r'<div tabindex="0" class="\1"', html_text)


@lru_cache(maxsize=4)
def _exporter(template_base: str) -> Any:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from traitlets.config import Config

    class _Exporter(HTMLExporter):
        """HTMLExporter whose accessibility pass is :func:`_accessible` on the text instead of a
        BeautifulSoup parse and rewrite of the whole page (~0.1 s per report with figures).

        The filters registered are those of nbconvert 7's ``HTMLExporter.from_notebook_node``;
        ``tests/test_reporting.py`` checks that the page has the same tags, attributes and text.
        """

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            html_text, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(html_text), resources

    c = Config()
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True  # markdown images -> data: URIs
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVED_CELL_TAGS)
    c.TagRemovePreprocessor.remove_single_output_tags = {RECORD_OUTPUT_TAG}
    return _Exporter(config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[template_base])


def _strip_records(nb: Any) -> Any:
    """A copy of ``nb`` without record outputs, papermill error markers, output-less code cells."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if not {RECORD_MIMETYPE, TABLE_MIMETYPE} & set(o.get("data") or {})
            ]
            if not cell.outputs:  # nothing to show (inputs are excluded anyway)
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


_SOURCE_KEYS = ("code", "title", "publisher", "licence", "url", "extracted")


def _as_sources(value: Any) -> list[dict[str, Any]]:
    if not value:
        return []
    if isinstance(value, Mapping):
        value = [value]
    out = []
    for item in value:
        if isinstance(item, Mapping):
            d = {k: item.get(k) for k in _SOURCE_KEYS}
            if item.get("license") and not d["licence"]:
                d["licence"] = item["license"]
            out.append(d)
        else:
            out.append(
                {
                    "code": None,
                    "title": str(item),
                    "publisher": None,
                    "licence": None,
                    "url": None,
                    "extracted": None,
                }
            )
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def _header_context(nb: Any, header: Mapping[str, Any], records: Mapping[str, Any]) -> dict:
    import clusterix_lib

    pm = nb.get("metadata", {}).get("papermill", {}) or {}
    params = header.get("parameters")
    if params is None:
        params = {**(pm.get("default_parameters") or {}), **(pm.get("parameters") or {})}
    sources: list[dict[str, Any]] = []
    seen: set[tuple[Any, Any, Any]] = set()
    for s in _as_sources(header.get("sources")) + _as_sources(records.get("sources")):
        key = (s.get("code"), s.get("url"), s.get("title"))
        if key not in seen:
            seen.add(key)
            sources.append(s)
    snapshot = header.get("snapshot") or header.get("data_snapshot") or records.get("snapshot")
    built = header.get("built") or header.get("date") or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    level = header.get("level")
    return {
        "level": level,
        "level_text": _level_text(level),
        "downloads": [
            {"label": str(d.get("label") or d.get("href")), "href": str(d["href"]), "kind": str(d.get("kind") or "")}
            for d in header.get("downloads") or []
            if isinstance(d, Mapping) and d.get("href")
        ],
        "title": str(header.get("title") or nb.get("metadata", {}).get("title") or "Report"),
        "subtitle": header.get("subtitle"),
        "region": header.get("region") or params.get("region"),
        "region_name": header.get("region_name"),
        "report_type": header.get("report_type"),
        "parameters": {str(k): _display_value(v) for k, v in params.items()},
        "snapshot": snapshot,
        "version": str(header.get("version") or clusterix_lib.__version__),
        "built": str(built),
        "sources": sources,
        "illustrative": _truthy(header.get("illustrative")) or _truthy(records.get("illustrative")),
    }


def _level_text(level: Any) -> str:
    from clusterix_lib import confidentiality

    if not level:
        return "Confidentiality level not stated."
    return confidentiality.describe(str(level))


class _Headings(HTMLParser):
    """Positions, levels, ids and text of the ``h2``/``h3`` headings in the report body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "h3") and self._open is None:
            self._open = {"level": int(tag[1]), "id": dict(attrs).get("id"), "text": []}
        elif self._open is not None and tag == "a" and "anchor-link" in (dict(attrs).get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == "a" and self._skip:
            self._skip -= 1
        elif self._open is not None and tag == f"h{self._open['level']}":
            text = _WS.sub(" ", "".join(self._open["text"])).strip().rstrip("\u00b6").strip()
            self._open["text"] = text
            self.found.append(self._open)
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._skip:
            self._open["text"].append(data)


_HEADING = re.compile(r"<(h[23])((?:\s[^>]*)?)>", re.IGNORECASE)
_ID_ATTR = re.compile(r"""\sid=(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def _slug(text: str) -> str:
    """ASCII anchor from heading text.

    >>> _slug("Niederösterreich (AT12)")
    'niederosterreich-at12'
    """
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def add_table_of_contents(body: str, *, min_headings: int = 2) -> str:
    """Give the report's ``h2``/``h3`` headings plain ASCII ids and fill the ``<!--cx-toc-->`` slot.

    The table of contents is plain HTML (a ``<nav>`` with nested lists; no script), so it works
    offline, in print and with JavaScript disabled. Headings in the page header and footer are not
    listed. With fewer than ``min_headings`` headings the slot is removed.

    >>> page = '<main class="cx-main"><!--cx-toc--><h2 id="A%C3%A9">Aé<a class="anchor-link" href="#A%C3%A9">¶</a></h2>'
    >>> page += '<h3>Detail</h3><h2 id="b">B</h2></main>'
    >>> out = add_table_of_contents(page)
    >>> 'href="#s-ae"' in out and 'id="s-ae"' in out and 'href="#s-detail"' in out
    True
    """
    start = body.find('<main class="cx-main">')
    end = body.rfind("</main>")
    if start < 0 or end < 0:
        return body.replace("<!--cx-toc-->", "")
    main = body[start:end]
    parser = _Headings()
    parser.feed(main)
    parser.close()
    used: set[str] = set()
    new_ids: list[str] = []
    for h in parser.found:
        base = f"s-{_slug(h['text'])}"
        new, n = base, 2
        while new in used:
            new, n = f"{base}-{n}", n + 1
        used.add(new)
        new_ids.append(new)
    it = iter(zip(parser.found, new_ids, strict=True))
    renames: dict[str, str] = {}

    def _rename(m: re.Match) -> str:
        try:
            h, new = next(it)
        except StopIteration:  # pragma: no cover - parser and regex disagree
            return m.group(0)
        attrs = m.group(2) or ""
        if h["id"]:
            renames[h["id"]] = new
            attrs = _ID_ATTR.sub(f' id="{new}"', attrs, count=1)
        else:
            attrs = f' id="{new}"{attrs}'
        return f"<{m.group(1)}{attrs}>"

    main = _HEADING.sub(_rename, main)
    for old, new in renames.items():
        main = main.replace(f'href="#{old}"', f'href="#{new}"')
    toc = ""
    if len(parser.found) >= min_headings:
        items: list[str] = []
        open_sub = False
        for i, (h, new) in enumerate(zip(parser.found, new_ids, strict=True)):
            link = f'<a href="#{new}">{escape(h["text"])}</a>'
            if h["level"] == 3 and i > 0:
                if not open_sub:
                    items.append("<ul>")
                    open_sub = True
                items.append(f"<li>{link}</li>")
                continue
            if open_sub:
                items.append("</ul>")
                open_sub = False
            if items:
                items.append("</li>")
            items.append(f"<li>{link}")
        if open_sub:
            items.append("</ul>")
        items.append("</li>")
        toc = (
            '<nav class="cx-toc" aria-label="Contents"><h2 class="cx-toc-title">Contents</h2><ol>'
            + "".join(items)
            + "</ol></nav>"
        )
    main = main.replace("<!--cx-toc-->", toc, 1)
    return body[:start] + main + body[end:]


def _display_value(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, default=str)


def export_html(
    nb: str | Path | NotebookNode,
    output_html: str | Path,
    *,
    header: Mapping[str, Any] | None = None,
) -> Path:
    """Export an executed notebook to offline HTML with the ``templates/clusterix`` template.

    No code, no prompts, no cells tagged ``parameters``/``injected-parameters``/``remove_cell``,
    no record outputs; images are inlined. The page has a header band (title, region,
    parameters, data snapshot, library version, build date), an "illustrative data" banner
    if ``header["illustrative"]`` or a record ``illustrative`` is true, and a footer listing
    the sources (``header["sources"]`` and/or a record named ``sources``: dicts with keys
    ``code``, ``title``, ``publisher``, ``licence``, ``url``, ``extracted``).

    Parameters
    ----------
    nb
        Executed notebook (path or ``NotebookNode``).
    output_html
        Where to write (atomically).
    header
        ``title``, ``region``, ``region_name``, ``report_type``, ``parameters`` (default: the
        papermill parameters of ``nb``), ``snapshot``, ``version`` (default
        ``clusterix_lib.__version__``), ``built`` (or ``date``; default: now, UTC), ``sources``,
        ``illustrative``, ``subtitle``.

    Returns
    -------
    Path
        ``output_html``.

    Raises
    ------
    ReportError
        If the export fails or the HTML would load anything from outside the file
        (see :func:`offline_violations`).
    """
    node = _load_nb(nb)
    header = dict(header or {})
    records = read_records(node)
    ctx = _header_context(node, header, records)
    clean = _strip_records(node)
    clean.metadata["title"] = ctx["title"]
    pm = node.get("metadata", {}).get("papermill", {}) or {}
    in_path = pm.get("input_path")
    base = (
        str(Path(in_path).parent)
        if in_path
        else (str(Path(nb).resolve().parent) if isinstance(nb, (str, Path)) else os.getcwd())
    )
    out = Path(output_html).resolve()
    resources = {"metadata": {"name": ctx["title"], "path": base}, "clusterix": ctx}
    try:
        body, _ = _exporter(str(templates_dir())).from_notebook_node(clean, resources=resources)
    except Exception as exc:
        raise ReportError(
            f"HTML export of {out.name} failed: {type(exc).__name__}: {one_line(str(exc), 300)}",
            hint="check templates/clusterix",
        ) from exc
    body = add_table_of_contents(body)
    bad = offline_violations(body)
    if bad:
        raise ReportError(
            f"the HTML of {out.name} would load external resources: {'; '.join(bad[:5])}",
            hint="embed images (PNG via matplotlib, data: URIs), no JavaScript/CDN outputs",
        )
    return write_text(out, body)


# --------------------------------------------------------------------------------------
# One report, end to end
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(path: str | Path, text: str) -> Path:
    """:func:`~clusterix_lib.fileio.atomic_write_text`, then the usual ``0o666 & ~umask`` mode
    (``mkstemp`` creates 0600 files, which a web server serving ``build/reports`` cannot read).
    """
    from clusterix_lib.fileio import atomic_write_text  # imports pandas: not at module level

    out = atomic_write_text(path, text)
    os.chmod(out, _file_mode())
    return out


@dataclass
class ReportResult:
    """What :func:`render_report` produced."""

    notebook: Path
    ipynb: Path
    html: Path
    json: Path
    params: dict[str, Any]
    records: dict[str, Any]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def output_paths(output_stem: str | Path) -> dict[str, Path]:
    """The files of a report (absolute paths).

    ``ipynb``, ``html``, ``json`` (written last: the report is complete), ``xlsx`` (all recorded
    tables) and the folder ``tables`` (one CSV each), ``failed`` and ``running`` (see
    :func:`execute_notebook`).

    >>> sorted(output_paths("/b/AT12/regional_profile"))
    ['failed', 'html', 'ipynb', 'json', 'running', 'tables', 'xlsx']
    """
    stem = Path(output_stem).resolve()
    ipynb = stem.with_name(stem.name + ".ipynb")
    return {
        "ipynb": ipynb,
        "html": stem.with_name(stem.name + ".html"),
        "json": stem.with_name(stem.name + ".json"),
        "xlsx": stem.with_name(stem.name + ".xlsx"),
        "tables": stem.with_name(stem.name + ".tables"),
        "failed": failed_path_for(ipynb),
        "running": running_path_for(ipynb),
    }


def remove_outputs(output_stem: str | Path, *, keep_failed: bool = True) -> None:
    """Remove a report's final files (and leftovers of interrupted atomic writes)."""
    paths = output_paths(output_stem)
    paths["json"].unlink(missing_ok=True)  # first: without it the report counts as incomplete
    for key in ("ipynb", "html", "xlsx"):
        paths[key].unlink(missing_ok=True)
    if paths["tables"].is_dir():
        import shutil

        shutil.rmtree(paths["tables"], ignore_errors=True)
    if not keep_failed:
        paths["failed"].unlink(missing_ok=True)
    remove_temporaries(output_stem)


def remove_temporaries(output_stem: str | Path) -> None:
    """Remove ``.{stem}.*.tmp`` leftovers of :func:`~clusterix_lib.fileio.atomic_write_bytes`."""
    stem = Path(output_stem).resolve()
    if stem.parent.is_dir():
        for p in stem.parent.glob(f".{glob_escape(stem.name)}.*.tmp"):
            p.unlink(missing_ok=True)


def glob_escape(text: str) -> str:
    """Escape glob metacharacters.

    >>> glob_escape("a[1]*")
    'a[[]1][*]'
    """
    return re.sub(r"([\[*?])", r"[\1]", text)


def report_files(output_stem: str | Path) -> list[Path]:
    """The final files of a built report that exist: ipynb, html, xlsx, the table CSVs, json."""
    paths = output_paths(output_stem)
    files = [paths[k] for k in ("ipynb", "html", "xlsx") if paths[k].is_file()]
    if paths["tables"].is_dir():
        files += sorted(paths["tables"].glob("*.csv"))
    if paths["json"].is_file():
        files.append(paths["json"])
    return files


def _frame(table: Mapping[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame(table["data"], columns=table["columns"])


def write_tables(tables: Mapping[str, Mapping[str, Any]], output_stem: str | Path) -> dict[str, Path]:
    """Write recorded tables as ``{stem}.tables/{name}.csv`` and one workbook ``{stem}.xlsx``.

    Returns ``{name: csv path}`` plus ``"__xlsx__"`` for the workbook (absent without tables).
    A table folder from an earlier build is replaced, so no stale CSV survives.
    """
    import io
    import shutil

    from clusterix_lib.fileio import atomic_write_bytes

    paths = output_paths(output_stem)
    if paths["tables"].is_dir():
        shutil.rmtree(paths["tables"])
    paths["xlsx"].unlink(missing_ok=True)
    out: dict[str, Path] = {}
    if not tables:
        return out
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        used: set[str] = set()
        for name, table in tables.items():
            df = _frame(table)
            out[name] = atomic_write_bytes(
                paths["tables"] / f"{name}.csv", df.to_csv(index=False, lineterminator="\n").encode("utf-8")
            )
            sheet = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
            base, n = sheet, 2
            while sheet.lower() in used:
                sheet = f"{base[:28]}-{n}"
                n += 1
            used.add(sheet.lower())
            df.to_excel(xl, sheet_name=sheet, index=False)
    out["__xlsx__"] = atomic_write_bytes(paths["xlsx"], buf.getvalue())
    for f in [*out.values()]:
        os.chmod(f, _file_mode())
    return out


def _href(path: Path, base: Path) -> str:
    import urllib.parse

    return urllib.parse.quote(Path(os.path.relpath(path, base)).as_posix())


def _downloads(paths: Mapping[str, Path], tables: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    base = paths["html"].parent
    out = [{"label": "Executed notebook (.ipynb)", "href": _href(paths["ipynb"], base), "kind": "ipynb"}]
    for name, table in tables.items():
        out.append(
            {
                "label": f"{table.get('title') or name} (CSV)",
                "href": _href(paths["tables"] / f"{name}.csv", base),
                "kind": "csv",
            }
        )
    if tables:
        out.append({"label": "All tables (XLSX)", "href": _href(paths["xlsx"], base), "kind": "xlsx"})
    return out


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def confidential_dirs(params: Mapping[str, Any] | None = None) -> list[Path]:
    """Folders whose CSV records the leak search reads: ``data/`` and any folder a parameter names.

    A parameter whose value is an existing file or folder (a consortium file, a review folder)
    adds that folder, so records a report reads from outside ``data/`` are checked too.
    """
    from clusterix_lib.paths import data_dir

    dirs = [data_dir()]
    for value in (params or {}).values():
        if isinstance(value, str) and value and ("/" in value or os.sep in value):
            p = Path(value).expanduser()
            if p.exists():
                d = (p if p.is_dir() else p.parent).resolve()
                if d not in dirs:
                    dirs.append(d)
    return dirs


_SECRETS: dict[tuple, dict[str, str]] = {}


def _secrets(level: str, dirs: list[Path]) -> dict[str, str]:
    """:func:`clusterix_lib.confidentiality.secret_strings`, cached while the CSV files are unchanged."""
    from clusterix_lib import confidentiality

    if level == confidentiality.LEVELS[-1]:
        return {}
    stamp = []
    for d in dirs:
        if d.is_dir():
            for f in sorted(d.rglob("*.csv")):
                st = f.stat()
                stamp.append((str(f), st.st_mtime_ns, st.st_size))
    key = (level, tuple(stamp))
    if key not in _SECRETS:
        _SECRETS.clear()
        _SECRETS[key] = confidentiality.secret_strings(level, dirs)
    return _SECRETS[key]


def check_leaks(files: list[Path], level: str, dirs: list[Path]) -> list[str]:
    """Leaks of records above ``level`` (from the CSVs in ``dirs``) in ``files``; empty when clean."""
    from clusterix_lib import confidentiality

    return confidentiality.find_leaks(files, _secrets(level, dirs))


def render_report(
    notebook: str | Path,
    output_stem: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    header: Mapping[str, Any] | None = None,
    validators: Mapping[str, Callable[[Any], Any]] | None = None,
    timeout_cell: float | None = 600,
    kernel_name: str = "python3",
    start_timeout: float = 60,
    level: str | None = None,
) -> ReportResult:
    """Validate, execute, read records, export: ``{stem}.ipynb``, ``{stem}.html``, ``{stem}.json``.

    Tables recorded with :func:`record_table` become ``{stem}.tables/{name}.csv`` and sheets of
    ``{stem}.xlsx``; the report's header links them and the executed notebook. The files are
    written atomically, the ``.json`` last (its presence means the report is complete). On failure
    no final file remains (stale ones from an earlier build are removed) and the executed notebook
    is kept as ``{stem}.failed.ipynb``.

    Below the ``restricted`` level every built file is searched for the text of records above the
    build's level (:func:`check_leaks`); a report that shows one fails with
    :class:`~clusterix_lib.confidentiality.LeakError` and none of its files is kept.

    Parameters
    ----------
    notebook
        Source notebook.
    output_stem
        Path without suffix, e.g. ``build/reports/AT12/regional_profile``.
    params
        Parameters, checked by :func:`validate_parameters` (with ``validators``).
    header
        Passed to :func:`export_html`; ``parameters`` defaults to the validated ``params``.
    validators, timeout_cell, kernel_name, start_timeout
        See :func:`validate_parameters` and :func:`execute_notebook`.
    level
        Confidentiality level of the build (``public``, ``consortium``, ``restricted``); default
        :func:`clusterix_lib.confidentiality.build_level`. The kernel gets it as
        ``$CLUSTERIX_LEVEL`` (read by :func:`clusterix_lib.confidentiality.visible`); the header
        states it.

    Returns
    -------
    ReportResult

    Raises
    ------
    ParameterError
        Before any kernel starts.
    ReportError
        Execution or export failed.
    LeakError
        The report shows a record above the build's level.
    """
    from clusterix_lib import confidentiality

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    src = Path(notebook).resolve()
    paths = output_paths(output_stem)
    level = confidentiality.check_level(level) if level else confidentiality.build_level()
    clean = validate_parameters(src, dict(params or {}), validators)
    timings["validate"] = time.perf_counter() - t0
    hdr = dict(header or {})
    hdr["level"] = level
    declared = notebook_parameters(src)
    hdr.setdefault("parameters", {**{k: p["default"] for k, p in declared.items()}, **clean})
    dirs = confidential_dirs({**hdr.get("parameters", {}), **clean}) if level != "restricted" else []
    try:
        t = time.perf_counter()
        with _environment(confidentiality.ENV_VAR, level):
            nb = execute_notebook(
                src,
                paths["ipynb"],
                clean,
                timeout_cell=timeout_cell,
                kernel_name=kernel_name,
                start_timeout=start_timeout,
            )
        timings["execute"] = time.perf_counter() - t
        records = read_records(nb)
        tables = read_tables(nb)
        t = time.perf_counter()
        write_tables(tables, output_stem)
        hdr.setdefault("downloads", _downloads(paths, tables))
        export_html(nb, paths["html"], header=hdr)
        timings["export"] = time.perf_counter() - t
        if dirs:
            t = time.perf_counter()
            leaks = check_leaks(report_files(output_stem), level, dirs)
            timings["leak_check"] = time.perf_counter() - t
            if leaks:
                remove_outputs(output_stem, keep_failed=False)
                raise confidentiality.LeakError(
                    f"{src.name} shows records above the {level} level of this build: {'; '.join(leaks[:5])}",
                    where=f"report {paths['html'].name}, removed",
                    hint="filter the records with clusterix_lib.confidentiality.visible() before showing them",
                )
    except ReportError:
        if paths["ipynb"].exists():  # executed fine, export failed
            os.replace(paths["ipynb"], paths["failed"])
        remove_outputs(output_stem)
        if dirs and paths["failed"].exists() and check_leaks([paths["failed"]], level, dirs):
            paths["failed"].unlink()  # it shows non-public records: not kept in a lower-level site
        raise
    except BaseException:
        remove_outputs(output_stem)
        raise
    seconds = time.perf_counter() - t0
    timings["total"] = seconds
    import clusterix_lib

    summary = {
        "notebook": str(src),
        "title": hdr.get("title"),
        "params": clean,
        "level": level,
        "illustrative": _truthy(hdr.get("illustrative")) or _truthy(records.get("illustrative")),
        "records": records,
        "tables": {name: f"{paths['tables'].name}/{name}.csv" for name in tables},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "version": clusterix_lib.__version__,
        "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "outputs": {k: paths[k].name for k in ("ipynb", "html")} | ({"xlsx": paths["xlsx"].name} if tables else {}),
    }
    write_text(paths["json"], json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    paths["failed"].unlink(missing_ok=True)
    return ReportResult(
        notebook=src,
        ipynb=paths["ipynb"],
        html=paths["html"],
        json=paths["json"],
        params=clean,
        records=records,
        seconds=seconds,
        timings=timings,
    )


def escape(text: Any) -> str:
    """HTML-escape ``text`` (``None`` -> empty string).

    >>> escape('<a & "b">')
    '&lt;a &amp; &quot;b&quot;&gt;'
    """
    return "" if text is None else _html.escape(str(text), quote=True)


def parse_cli_value(value: str, type_text: str) -> Any:
    """Convert a command-line ``NAME=VALUE`` value by the parameter's declared type.

    ``int``, ``float`` and ``bool`` annotations convert; a list annotation (``list``,
    ``list[str]``, ``list[int] | None``, ``Optional[list[str]]``) takes either a JSON or Python
    list (``["AT12", "CZ08"]``) or plain comma-separated items (``AT12,CZ08``), each stripped
    and, for ``list[int]``/``list[float]``/``list[bool]``, converted like a single value; an
    empty value is the empty list. Everything else stays text, so a region code such as ``NO``
    or ``012`` is never mangled (papermill's ``-p`` would). A value that cannot be converted is
    returned as text, and :func:`validate_parameters` then names the parameter and its type.

    Examples
    --------
    >>> parse_cli_value("2014", "int"), parse_cli_value("NO", "str"), parse_cli_value("yes", "bool")
    (2014, 'NO', True)
    >>> parse_cli_value("AT12, CZ08", "list[str]"), parse_cli_value('["AT12", "CZ08"]', "list[str] | None")
    (['AT12', 'CZ08'], ['AT12', 'CZ08'])
    >>> parse_cli_value("2014,2019", "list[int]"), parse_cli_value("", "list"), parse_cli_value("NO", "list[str]")
    ([2014, 2019], [], ['NO'])
    """
    t = type_text.replace(" ", "").replace("typing.", "").lower()
    if value.strip().lower() == "none" and "none" in t:
        return None
    unwrapped = re.fullmatch(r"(?:optional|union)\[(.+)\]", t)
    parts = (unwrapped.group(1) if unwrapped else t).replace(",none", "|none").split("|")
    base = {re.sub(r"\[.*\]$", "", p) for p in parts} - {"none", "nonetype"}
    if base == {"list"}:
        inner = re.fullmatch(r"list\[(.+)\]", next(p for p in parts if p.startswith("list")))
        item_type = inner.group(1) if inner else "str"
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                try:
                    items = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    return value  # left as text: validate_parameters reports the wrong type
            if not isinstance(items, list):
                return value
            return [parse_cli_value(i.strip(), item_type) if isinstance(i, str) else i for i in items]
        return [parse_cli_value(i.strip(), item_type) for i in text.split(",") if i.strip()]
    try:
        if base == {"int"}:
            return int(value)
        if base & {"float"}:
            return float(value)
    except ValueError:
        return value  # left as text: validate_parameters reports the wrong type with the name
    if base == {"bool"}:
        low = value.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
    return value


def parse_cli_parameters(notebook: str | Path, pairs: list[str]) -> dict[str, Any]:
    """``["year=2014", "top_n=20"]`` -> ``{"year": 2014, "top_n": 20}`` by the notebook's annotations.

    Unknown names are kept (``validate_parameters`` then names them with a suggestion).
    """
    declared = notebook_parameters(notebook)
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"parameter {pair!r} is not NAME=VALUE", hint="write e.g. -p year=2014")
        name, value = (s.strip() for s in pair.split("=", 1))
        out[name] = parse_cli_value(value, declared.get(name, {}).get("type", "str"))
    return out
