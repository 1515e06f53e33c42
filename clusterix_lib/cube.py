"""Long (time, location, sector, value) tables to dense arrays and back, with input checks.

Every indicator in clusterix takes long, tidy data and returns long, tidy data; inside, it
works on a ``(time, location, sector)`` array built here once. Column names are mappable
because analysts' files differ (``year``/``geo``/``nace_r2`` in our extracts, ``time``/
``loc``/``prod`` in py-ecomplexity's examples).

Checks (each names the column, rows and values concerned):

- a missing column → :class:`~clusterix_lib.errors.DataFileError` listing the columns present;
- a non-numeric or infinite value → error;
- duplicated ``(time, location, sector)`` rows → error (``duplicates="sum"`` adds them up, with a
  warning listing them);
- a negative value → error;
- a missing value (NaN) → error, or ``missing="zero"``: treated as 0 with a warning that counts
  them (the rule py-ecomplexity applies silently).

Combinations absent from the input are zeros of the full rectangle (times × locations ×
sectors present anywhere in the input), as in py-ecomplexity.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from clusterix_lib.errors import DataFileError

__all__ = ["Cube", "DataWarning", "to_cube"]


class DataWarning(UserWarning):
    """A documented rule was applied to the input (duplicates summed, missing values as zero...)."""


def _examples(frame: pd.DataFrame, limit: int = 5) -> str:
    rows = frame.head(limit)
    text = "; ".join(
        "row " + str(int(i) + 2) + ": " + ", ".join(f"{c}={v!r}" for c, v in r.items()) for i, r in rows.iterrows()
    )
    more = len(frame) - len(rows)
    return text + (f" (and {more} more)" if more > 0 else "")


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Sorted labels of a key column and each row's position among them (-1 for a missing key).

    Text columns are hashed as a plain object array: pandas' string extension array takes about
    twice as long for the same result. Categorical columns reuse their codes.
    """
    if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype.kind in "iufbM":
        return pd.factorize(column, sort=True)
    codes, labels = pd.factorize(column.to_numpy(dtype=object), sort=True)
    return codes, pd.Index(labels, dtype=column.dtype)


@dataclass(frozen=True)
class Cube:
    """Values on the full ``(time, location, sector)`` rectangle.

    Attributes
    ----------
    values
        ``float64`` array of shape ``(n_times, n_locations, n_sectors)``; absent combinations are 0.
    times, locs, prods
        The labels along each axis, sorted.
    names
        The original column names: ``{"time": ..., "loc": ..., "prod": ..., "value": ...}``.
    """

    values: np.ndarray
    times: pd.Index
    locs: pd.Index
    prods: pd.Index
    names: Mapping[str, str]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape  # type: ignore[return-value]

    def long(self, **arrays: np.ndarray) -> pd.DataFrame:
        """Long table, one row per (time, location, sector), with one column per array.

        Each array has shape ``(T, L, P)``, ``(T, L)`` (broadcast over sectors) or ``(T, P)``
        (broadcast over locations).

        >>> c = to_cube(pd.DataFrame({"year": [2020, 2020], "geo": ["A", "B"], "nace_r2": ["x", "x"],
        ...                           "value": [1.0, 3.0]}))
        >>> c.long(share=c.values / c.values.sum(axis=1, keepdims=True))
           year geo nace_r2  share
        0  2020   A       x   0.25
        1  2020   B       x   0.75
        """
        t, n_l, n_p = self.shape
        index = pd.MultiIndex.from_product(
            [self.times, self.locs, self.prods], names=[self.names["time"], self.names["loc"], self.names["prod"]]
        )
        cols = {}
        for name, arr in arrays.items():
            arr = np.asarray(arr)
            if arr.shape == (t, n_l):
                arr = np.broadcast_to(arr[:, :, None], (t, n_l, n_p))
            elif arr.shape == (t, n_p):
                arr = np.broadcast_to(arr[:, None, :], (t, n_l, n_p))
            if arr.shape != (t, n_l, n_p):
                raise ValueError(
                    f"array {name!r} has shape {arr.shape}; expected {(t, n_l, n_p)}, {(t, n_l)} or {(t, n_p)}"
                )
            cols[name] = arr.reshape(-1)
        return pd.DataFrame(cols, index=index).reset_index()

    def long_by_location(self, **arrays: np.ndarray) -> pd.DataFrame:
        """Long table, one row per (time, location), from arrays of shape ``(T, L)``."""
        index = pd.MultiIndex.from_product([self.times, self.locs], names=[self.names["time"], self.names["loc"]])
        return pd.DataFrame({k: np.asarray(v).reshape(-1) for k, v in arrays.items()}, index=index).reset_index()

    def long_by_sector(self, **arrays: np.ndarray) -> pd.DataFrame:
        """Long table, one row per (time, sector), from arrays of shape ``(T, P)``."""
        index = pd.MultiIndex.from_product([self.times, self.prods], names=[self.names["time"], self.names["prod"]])
        return pd.DataFrame({k: np.asarray(v).reshape(-1) for k, v in arrays.items()}, index=index).reset_index()


def to_cube(
    data: pd.DataFrame,
    *,
    time: str = "year",
    loc: str = "geo",
    prod: str = "nace_r2",
    value: str = "value",
    duplicates: Literal["error", "sum"] = "error",
    missing: Literal["error", "zero"] = "error",
    source: str = "the input table",
) -> Cube:
    """Check a long table and put its values on the full (time, location, sector) rectangle.

    Parameters
    ----------
    data
        Long table with one row per (time, location, sector).
    time, loc, prod, value
        Column names. A table without a time dimension can use a constant column.
    duplicates
        ``"error"`` (default) or ``"sum"`` (added up, with a :class:`DataWarning`).
    missing
        ``"error"`` (default) or ``"zero"`` (NaN taken as 0, with a :class:`DataWarning`).
    source
        How to name the table in messages (a file name, say).

    Returns
    -------
    Cube

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020, 2020, 2020], "geo": ["A", "A", "B"],
    ...                    "nace_r2": ["x", "y", "x"], "value": [1.0, 2.0, 3.0]})
    >>> c = to_cube(df)
    >>> c.shape, c.values[0].tolist()
    ((1, 2, 2), [[1.0, 2.0], [3.0, 0.0]])
    """
    names = {"time": time, "loc": loc, "prod": prod, "value": value}
    absent = [c for c in names.values() if c not in data.columns]
    if absent:
        raise DataFileError(
            f"column(s) {', '.join(map(repr, absent))} not found; the table has {', '.join(map(repr, data.columns))}",
            where=source,
            hint="name the columns to use (time=, loc=, prod=, value= or --time/--loc/--prod/--value)",
        )
    frame = data[[time, loc, prod, value]]
    vals = pd.to_numeric(frame[value], errors="coerce")
    bad_text = vals.isna() & frame[value].notna()
    if bad_text.any():
        raise DataFileError(
            f"non-numeric value(s) in column {value!r}: {_examples(frame[bad_text])}",
            where=source,
            hint="values must be numbers; remove or correct those rows",
        )
    vals = vals.astype("float64")
    inf = np.isinf(vals.to_numpy())
    if inf.any():
        raise DataFileError(f"infinite value(s) in column {value!r}: {_examples(frame[inf])}", where=source)
    neg = vals < 0
    if neg.any():
        raise DataFileError(
            f"negative value(s) in column {value!r}: {_examples(frame[neg])}",
            where=source,
            hint="the indicators need non-negative quantities (employment, exports...); correct or drop those rows",
        )
    nan = vals.isna()
    if nan.any():
        if missing == "error":
            raise DataFileError(
                f"{int(nan.sum())} missing value(s) in column {value!r}: {_examples(frame[nan])}",
                where=source,
                hint="fill or drop them, or pass missing='zero' (--missing zero) to treat them as 0",
            )
        warnings.warn(
            f"{source}: {int(nan.sum())} missing value(s) in {value!r} treated as 0: {_examples(frame[nan], 3)}",
            DataWarning,
            stacklevel=2,
        )
        vals = vals.fillna(0.0)
    (t_codes, times), (l_codes, locs), (p_codes, prods) = (_codes(frame[c]) for c in (time, loc, prod))
    key_na = (t_codes < 0) | (l_codes < 0) | (p_codes < 0)  # factorize marks missing keys -1
    if key_na.any():
        raise DataFileError(
            f"missing {time}/{loc}/{prod} in {int(key_na.sum())} row(s): {_examples(frame[key_na])}",
            where=source,
            hint="every row needs a time, a location and a sector",
        )
    shape = (len(times), len(locs), len(prods))
    flat = (t_codes.astype(np.int64) * shape[1] + l_codes) * shape[2] + p_codes
    # duplicates from the flat cell index: one bincount instead of a hash over three columns
    counts = np.bincount(flat, minlength=shape[0] * shape[1] * shape[2])
    if counts.max(initial=0) > 1:
        dup = counts[flat] > 1
        if duplicates == "error":
            raise DataFileError(
                f"{int(dup.sum())} rows repeat a ({time}, {loc}, {prod}) combination: {_examples(frame[dup])}",
                where=source,
                hint="keep one row per combination, or pass duplicates='sum' to add them up",
            )
        warnings.warn(
            f"{source}: {int(dup.sum())} duplicated rows summed: {_examples(frame[dup], 3)}", DataWarning, stacklevel=2
        )
    cube = np.bincount(flat, weights=vals.to_numpy(), minlength=shape[0] * shape[1] * shape[2]).reshape(shape)
    return Cube(
        cube,
        pd.Index(times, name=time),
        pd.Index(locs, name=loc),
        pd.Index(prods, name=prod),
        names,
    )
