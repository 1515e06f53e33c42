"""Errors a user can act on.

Every expected failure (bad input file, unknown region, wrong parameter...) raises a
:class:`ClusterixError`. Its message names *what* went wrong, *where* (file, line, column,
value) and *what to do*; the command-line interface prints that message alone, without a
traceback, and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path


class ClusterixError(Exception):
    """An expected error with a message written for the analyst.

    Parameters
    ----------
    what
        One sentence saying what is wrong.
    where
        File, line, column, value -- whatever locates the problem (optional).
    hint
        What to do about it (optional).

    Examples
    --------
    >>> e = ClusterixError("unknown region 'XX99'", where="parameter region", hint="use a NUTS 2021 code")
    >>> print(e)
    unknown region 'XX99' (parameter region). What to do: use a NUTS 2021 code
    """

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None):
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        msg = self.what
        if self.where:
            msg += f" ({self.where})"
        if self.hint:
            msg += f". What to do: {self.hint}"
        return msg


def location(
    file: str | Path | None = None,
    *,
    line: int | None = None,
    column: str | None = None,
    value: object = None,
) -> str:
    """Format a location for :class:`ClusterixError` ``where``.

    Examples
    --------
    >>> location("x.tsv", line=3, column="2014", value="12q")
    "file x.tsv, line 3, column '2014', value '12q'"
    """
    parts = []
    if file is not None:
        parts.append(f"file {file}")
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {column!r}")
    if value is not None:
        parts.append(f"value {value!r}")
    return ", ".join(parts)


class DataFileError(ClusterixError):
    """A data file is missing, unreadable or malformed."""


class RegionError(ClusterixError):
    """A region code is malformed, unknown, or has no statistics."""


class ParameterError(ClusterixError):
    """A report parameter has an unknown name, the wrong type or a bad value."""


class ReportError(ClusterixError):
    """A report notebook failed to execute or export."""
