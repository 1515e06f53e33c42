"""Plumbing shared by the indicator modules: a checked (time, location, sector) array and long output.

Not public API. :func:`prepare` runs :func:`clusterix_lib.cube.to_cube`'s checks once and adds
the rule for missing values that the indicators share (``missing="omit"``); :func:`aux_array`
aligns a reference or population table on the same axes; the ``Panel`` methods turn arrays back
into tidy long tables with the caller's column names.

Rules applied here (each says what it touched in a :class:`~clusterix_lib.cube.DataWarning`):

- ``missing="omit"``: a missing value (NaN) leaves its cell out -- it adds nothing to any total
  and its own results are NaN; sums over cells run over the cells with a value.
- a location (or sector) whose values are all zero in a period has undefined shares there: its
  results are NaN (:meth:`Panel.warn_empty`).
- with a single location or a single sector the measures are trivial (every LQ is 1 against
  the input's own total): :meth:`Panel.warn_single`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib.cube import Cube, DataWarning, _examples, to_cube
from clusterix_lib.errors import DataFileError, ParameterError

Missing = Literal["error", "zero", "omit"]
Duplicates = Literal["error", "sum"]

# stand-in columns for an absent axis; they show in to_cube's messages, so they read as words
_NO_TIME = "(all periods)"
_NO_LOC = "(reference)"
_NO_PROD = "(all sectors)"


def _check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    if value not in choices:
        raise ParameterError(
            f"{name}={value!r} is not one of {', '.join(map(repr, choices))}", where=f"parameter {name}"
        )


_PACKAGE = str(Path(__file__).resolve().parent)


def warn(message: str) -> None:
    """A :class:`DataWarning` attributed to the first caller outside clusterix_lib."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DataWarning, stacklevel=level)


def _list(labels: Sequence[object], limit: int = 8) -> str:
    labels = list(labels)
    text = ", ".join(map(str, labels[:limit]))
    return text + (f" (and {len(labels) - limit} more)" if len(labels) > limit else "")


@dataclass(frozen=True)
class Panel:
    """A checked input: the cube and its values with NaN where a missing value was left out."""

    cube: Cube
    x: np.ndarray
    has_time: bool
    source: str

    @property
    def names(self) -> dict[str, str]:
        return dict(self.cube.names)

    @property
    def observed(self) -> np.ndarray:
        return ~np.isnan(self.x)

    @property
    def filled(self) -> np.ndarray:
        """Values with left-out cells as 0 (for totals)."""
        return np.nan_to_num(self.x, nan=0.0)

    def _drop_time(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame if self.has_time else frame.drop(columns=self.names["time"])

    def long(self, **arrays: np.ndarray) -> pd.DataFrame:
        return self._drop_time(self.cube.long(**arrays))

    def long_by_location(self, **arrays: np.ndarray) -> pd.DataFrame:
        return self._drop_time(self.cube.long_by_location(**arrays))

    def long_by_sector(self, **arrays: np.ndarray) -> pd.DataFrame:
        return self._drop_time(self.cube.long_by_sector(**arrays))

    def time_label(self, i: int) -> object:
        return self.cube.times[i]

    def warn_empty(self, *, locations: bool = True, sectors: bool = True) -> None:
        """Warn about locations / sectors whose total is zero in some period (their shares are NaN)."""
        filled = self.filled
        for flag, axis, labels, kind in (
            (locations, 2, self.cube.locs, "location"),
            (sectors, 1, self.cube.prods, "sector"),
        ):
            if not flag:
                continue
            totals = filled.sum(axis=axis)
            t_idx, k_idx = np.nonzero(totals == 0)
            if len(t_idx) == 0:
                continue
            if self.has_time:
                cells = [f"{labels[k]} in {self.cube.times[t]}" for t, k in zip(t_idx, k_idx, strict=True)]
            else:
                cells = [str(labels[k]) for k in k_idx]
            warn(
                f"{self.source}: {len(cells)} {kind}(s) with a zero total (all values 0 or missing), so their "
                f"shares are undefined and their results NaN: {_list(cells)}"
            )

    def warn_single(self, *, locations: bool = True, sectors: bool = True) -> None:
        """Warn when the input has a single location or sector (the measures are then trivial)."""
        n_t, n_l, n_p = self.cube.shape
        if locations and n_l == 1:
            warn(
                f"{self.source}: a single location ({self.cube.locs[0]}): against the input's own total every "
                "location quotient is 1 and every index trivial; pass reference= (e.g. the EU total)"
            )
        if sectors and n_p == 1:
            warn(
                f"{self.source}: a single sector ({self.cube.prods[0]}): every share is 1 and the measures are trivial"
            )

    def pairs(self, start: object | None, end: object | None) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the period pairs to compare: ``(start, end)``, or every consecutive pair."""
        times = self.cube.times
        if not self.has_time:
            raise ParameterError(
                "comparing two periods needs a time column", where="parameter time", hint="name it with time="
            )
        if (start is None) != (end is None):
            raise ParameterError(
                "give both start= and end=, or neither (every pair of consecutive periods)",
                where=f"start={start!r}, end={end!r}",
            )
        if start is None:
            if len(times) < 2:
                raise DataFileError(
                    f"a single period ({_list(times)}) in column {self.names['time']!r}: nothing to compare",
                    where=self.source,
                    hint="the input needs at least two periods",
                )
            i0 = np.arange(len(times) - 1)
            return i0, i0 + 1
        idx = []
        for name, label in (("start", start), ("end", end)):
            pos = times.get_indexer([label])[0]
            if pos < 0:
                raise ParameterError(
                    f"{name}={label!r} is not a period of the input",
                    where=f"column {self.names['time']!r} of {self.source}",
                    hint=f"choose one of {_list(times, 20)}",
                )
            idx.append(pos)
        if idx[0] >= idx[1]:
            raise ParameterError(f"start={start!r} must come before end={end!r}", where="parameters start, end")
        return np.array([idx[0]]), np.array([idx[1]])

    def long_pairs(self, i0: np.ndarray, i1: np.ndarray, axes: str, **arrays: np.ndarray) -> pd.DataFrame:
        """Long table over (pair, [location], [sector]); ``axes`` is ``"lp"``, ``"l"``, ``"p"`` or ``""``."""
        levels: list[tuple[str, pd.Index]] = [("__pair", pd.RangeIndex(len(i0)))]
        if "l" in axes:
            levels.append((self.names["loc"], self.cube.locs))
        if "p" in axes:
            levels.append((self.names["prod"], self.cube.prods))
        index = pd.MultiIndex.from_product([lv for _, lv in levels], names=[n for n, _ in levels])
        frame = pd.DataFrame({k: np.asarray(v).reshape(-1) for k, v in arrays.items()}, index=index).reset_index()
        pair = frame.pop("__pair").to_numpy()
        frame.insert(0, "end", self.cube.times[i1].take(pair))
        frame.insert(0, "start", self.cube.times[i0].take(pair))
        return frame


def prepare(
    data: pd.DataFrame,
    *,
    time: str | None,
    loc: str,
    prod: str,
    value: str,
    missing: Missing = "error",
    duplicates: Duplicates = "error",
    source: str = "the input table",
) -> Panel:
    """Check ``data`` with :func:`~clusterix_lib.cube.to_cube` and apply the ``missing`` rule."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"expected a pandas DataFrame (a long table), got {type(data).__name__}")
    _check_choice("missing", missing, ("error", "zero", "omit"))
    _check_choice("duplicates", duplicates, ("error", "sum"))
    has_time = time is not None
    if not has_time:
        absent = [c for c in (loc, prod, value) if c not in data.columns]
        if absent:
            raise DataFileError(
                f"column(s) {', '.join(map(repr, absent))} not found; the table has "
                f"{', '.join(map(repr, data.columns))}",
                where=source,
                hint="name the columns to use (loc=, prod=, value=)",
            )
        time = _NO_TIME
        data = data.assign(**{_NO_TIME: 0})
    nan_rows = None
    if missing == "omit" and value in data.columns:
        raw = data[value]
        nan = raw.isna().to_numpy()
        if nan.any():
            nan_rows = data.loc[nan, [time, loc, prod]]
            data = data.assign(**{value: raw.where(~nan, 0.0)})
    cube = to_cube(
        data,
        time=time,
        loc=loc,
        prod=prod,
        value=value,
        duplicates=duplicates,
        missing="error" if missing == "omit" else missing,
        source=source,
    )
    x = cube.values
    if nan_rows is not None:
        x = x.copy()
        it = cube.times.get_indexer(nan_rows[time])
        il = cube.locs.get_indexer(nan_rows[loc])
        ip = cube.prods.get_indexer(nan_rows[prod])
        x[it, il, ip] = np.nan
        shown = nan_rows.drop(columns=_NO_TIME, errors="ignore")
        warn(
            f"{source}: {len(nan_rows)} missing value(s) in {value!r} left out (their results are NaN and no total "
            f"includes them): {_examples(shown, 3)}"
        )
    return Panel(cube=cube, x=x, has_time=has_time, source=source)


def aux_array(
    panel: Panel,
    table: pd.DataFrame,
    *,
    axis: Literal["loc", "prod"],
    value: str,
    what: str,
) -> np.ndarray:
    """Align a reference (per sector) or population (per location) table on the panel's axes.

    The table has the panel's ``prod`` (or ``loc``) column, the ``value`` column and, optionally,
    the panel's ``time`` column (without it, the same values serve every period). Its values are
    checked as the input's are (numbers, non-negative, no duplicates, no NaN). Returns an array of
    shape ``(T, P)`` (or ``(T, L)``) with NaN where the table has no row; a period of the panel
    absent from a time-varying table is an error. Rows for other sectors (locations) or periods
    are ignored.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"{what}: expected a pandas DataFrame, got {type(table).__name__}", where=what)
    names = panel.names
    key = names[axis]
    absent = [c for c in (key, value) if c not in table.columns]
    if absent:
        raise DataFileError(
            f"column(s) {', '.join(map(repr, absent))} not found; the table has {', '.join(map(repr, table.columns))}",
            where=what,
            hint=f"{what} needs the columns {key!r} and {value!r} (and optionally {names['time']!r})",
        )
    time = names["time"] if panel.has_time and names["time"] in table.columns else None
    keys = [time, key] if time else [key]
    frame = table[[*keys, value]]
    vals = pd.to_numeric(frame[value], errors="coerce").astype("float64")
    bad = (vals.isna() | np.isinf(vals) | (vals < 0)).to_numpy()
    if bad.any():
        raise DataFileError(
            f"{int(bad.sum())} value(s) in column {value!r} missing, non-numeric, infinite or negative: "
            f"{_examples(frame[bad])}",
            where=what,
            hint="the values must be non-negative numbers; correct those rows, or drop them (their results are NaN)",
        )
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        raise DataFileError(
            f"{int(dup.sum())} rows repeat the same "
            + (f"({', '.join(keys)}) combination" if time else key)
            + f": {_examples(frame[dup])}",
            where=what,
            hint="keep one row per "
            + ("combination" if time else key)
            + (f" (without a {names['time']!r} column the values serve every period)" if panel.has_time else ""),
        )
    target = panel.cube.locs if axis == "loc" else panel.cube.prods
    times = panel.cube.times
    k_idx = target.get_indexer(frame[key])
    out = np.full((len(times), len(target)), np.nan)
    if time is None:
        ok = k_idx >= 0
        out[:, k_idx[ok]] = vals.to_numpy()[ok]
        return out
    missing_t = ~times.isin(frame[time])
    if missing_t.any():
        raise DataFileError(
            f"{what} has no rows for period(s) {_list(times[missing_t])} of the input",
            where=f"column {time!r}",
            hint=f"add those periods, or drop the {time!r} column to use the same values for every period",
        )
    t_idx = times.get_indexer(frame[time])
    ok = (k_idx >= 0) & (t_idx >= 0)
    out[t_idx[ok], k_idx[ok]] = vals.to_numpy()[ok]
    return out


def warn_aux_gaps(
    panel: Panel, arr: np.ndarray, *, axis: Literal["loc", "prod"], what: str, consequence: str = "results are NaN"
) -> None:
    """Warn when observed input cells get NaN results because ``arr`` (T, L or P) has no value for them."""
    obs = panel.observed & (panel.filled > 0)
    used = obs.any(axis=2) if axis == "loc" else obs.any(axis=1)
    gap = np.isnan(arr) & used
    if gap.any():
        labels = panel.cube.locs if axis == "loc" else panel.cube.prods
        kinds = "location" if axis == "loc" else "sector"
        absent = sorted({str(labels[k]) for k in np.nonzero(gap)[1]})
        warn(f"{what} has no value for {len(absent)} {kinds}(s) of the input (their {consequence}): {_list(absent)}")


def population_array(
    panel: Panel,
    population: pd.DataFrame | Literal["total"] | None,
    *,
    value: str,
    what: str = "the population table",
    consequence: str = "results are NaN",
) -> np.ndarray:
    """(T, L) weights of the locations: a population table, ``"total"`` (their input totals) or uniform."""
    if population is None:
        return np.ones(panel.cube.shape[:2])
    if isinstance(population, str):
        _check_choice("population", population, ("total",))
        return panel.filled.sum(axis=2)
    arr = aux_array(panel, population, axis="loc", value=value, what=what)
    warn_aux_gaps(panel, arr, axis="loc", what=what, consequence=consequence)
    return arr


def safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 or NaN (never inf)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    out = np.full(num.shape, np.nan)
    ok = den != 0
    np.divide(num, den, out=out, where=ok)
    return out


def to_nullable_int(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Float 0/1 columns with NaN as pandas nullable integers (NaN → <NA>)."""
    for c in columns:
        frame[c] = frame[c].astype("Int8")
    return frame
