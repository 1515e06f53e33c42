"""How report tables are shown: one pandas ``Styler`` recipe for every notebook.

Readers scan text down its left edge and compare numbers by their last digits, so a column of
words is left-aligned and a column of numbers right-aligned -- also when the numbers were
already turned into text (``"12.5 %"``, ``"+3"``). The report stylesheet right-aligns table
cells (most report tables are numbers); :func:`style_table` marks the text columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["number_text", "numeric_looking", "style_table", "text_columns"]

#: A number written as text: optional sign, digits with thousands separators and a decimal
#: point, optional per cent or per mille sign ("1,234", "-0.5", "−3.2 %", "+12").
_NUMBER_TEXT = re.compile(r"^[+\-−]?\s*\d[\d,\u202f\u00a0 ]*(\.\d+)?\s*[%‰]?$")
#: What a table shows for "no value": left out when deciding how a column looks.
_BLANKS = frozenset({"", "–", "-", "—", "n/a", "na"})


def numeric_looking(values: pd.Series) -> bool:
    """Whether a column holds numbers, or text that reads as numbers ("12.5 %", "+3", "1,234").

    A column of missing values and dashes only counts as numeric (it holds no words).

    >>> numeric_looking(pd.Series([1.5, None]))
    True
    >>> numeric_looking(pd.Series(["12.5 %", "–", "+3"]))
    True
    >>> numeric_looking(pd.Series(["C24", "1,234"]))
    False
    """
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    shown = values.dropna().astype(str).str.strip()
    shown = shown[~shown.str.lower().isin(_BLANKS)]
    return bool(shown.str.fullmatch(_NUMBER_TEXT).all())


def text_columns(table: pd.DataFrame) -> list[Any]:
    """The columns of ``table`` shown left-aligned: those that are not :func:`numeric_looking`.

    >>> text_columns(pd.DataFrame({"NACE": ["C24"], "LQ": [2.3], "Share": ["4.0 %"]}))
    ['NACE']
    """
    return [c for c in table.columns if not numeric_looking(table[c])]


def number_text(value: Any, decimals: int = 2, *, na_rep: str = "–") -> str:
    """A figure for a column that mixes scales: thousands separators, and ``decimals`` decimals
    only below 1,000 (a count of 434,685 persons is not "434,685.00"; a share of 1.8 % keeps "1.80").

    >>> number_text(434685.0), number_text(1.8), number_text(798.5), number_text(None)
    ('434,685', '1.80', '798.50', '–')
    """
    if value is None or pd.isna(value):
        return na_rep
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.{decimals}f}"


def style_table(
    table: pd.DataFrame,
    *,
    precision: int = 1,
    formats: Mapping[Any, str | Callable[[Any], str]] | None = None,
    na_rep: str = "–",
) -> Styler:
    """A report table: no index, text left-aligned and numbers right-aligned, missing values as ``na_rep``.

    Floats show ``precision`` decimals unless ``formats`` names a format for their column
    (a format string such as ``"{:,.0f}"`` or a function). A chain such as
    ``frame.pipe(style_table).format({"LQ": "{:.2f}"})`` refines the formats afterwards.
    Column headers take the alignment of their column.

    Parameters
    ----------
    table
        The rows to show, columns already renamed for readers.
    precision
        Decimals of float columns without a format of their own.
    formats
        Column -> format (``str.format`` pattern or callable), applied after the default.
    na_rep
        Text for a missing value.

    Returns
    -------
    pandas.io.formats.style.Styler

    Examples
    --------
    >>> t = pd.DataFrame({"Division": ["Air transport"], "Persons employed": [5439.0], "LQ": [6.8412]})
    >>> html = style_table(t, formats={"Persons employed": "{:,.0f}", "LQ": "{:.2f}"}).to_html()
    >>> "5,439" in html and "6.84" in html and "text-align: left" in html
    True
    """
    styler = table.style.hide(axis="index").format(precision=precision, na_rep=na_rep)
    for col, fmt in (formats or {}).items():
        styler = styler.format(fmt, subset=[col], na_rep=na_rep)
    left = text_columns(table)
    if left:
        styler = styler.set_table_styles(
            {c: [{"selector": "td, th", "props": "text-align: left;"}] for c in left}, overwrite=False
        )
    return styler
