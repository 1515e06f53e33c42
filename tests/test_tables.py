"""Report tables: alignment by what a column holds, formats, missing values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from clusterix_lib.tables import number_text, numeric_looking, style_table, text_columns


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3], True),
        ([1.5, np.nan], True),
        (["12.5 %", "–", "+3"], True),
        (["1,234", "−0.5", "-2"], True),
        ([None, "–"], True),  # nothing but gaps: no words to align left
        (["C24", "C25"], False),
        (["Air transport", "2.3"], False),
        (["2019-03", "2020-01"], False),  # dates are text, not numbers
        ([True, False], False),
        (["12.5 % of EU", "3"], False),
    ],
)
def test_numeric_looking(values, expected):
    assert numeric_looking(pd.Series(values)) is expected


def test_text_columns_keeps_column_order():
    t = pd.DataFrame({"LQ": [1.0], "NACE": ["C24"], "Share": ["4.0 %"], "Division": ["Basic metals"]})
    assert text_columns(t) == ["NACE", "Division"]


def _rules(html: str) -> dict[str, str]:
    """CSS rules of a Styler's <style> block: selector -> declarations."""
    style = re.search(r"<style[^>]*>(.*?)</style>", html, re.S)
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", style.group(1) if style else "")
    return {sel.strip(): body.strip() for sel, body in rules}


def test_style_table_left_aligns_text_columns_and_their_headers_only():
    t = pd.DataFrame({"NACE": ["H51", "C24"], "Persons employed": [5439.0, 8092.0], "Change": ["+3.0 %", "–"]})
    html = style_table(t).to_html()
    rules = _rules(html)
    left = {sel for sel, body in rules.items() if "text-align: left" in body}
    # the first column (NACE) only, for its cells and its header
    assert left and all(sel.endswith(".col0") for sel in left), rules
    assert any(" td.col0" in sel for sel in left) and any(" th.col0" in sel for sel in left)
    # the index is hidden
    assert "row_heading" not in html


def test_style_table_formats_precision_and_missing_values():
    t = pd.DataFrame({"Division": ["a", "b"], "LQ": [1.23456, np.nan], "Persons": [5439.0, 12.0]})
    html = style_table(t, precision=2, formats={"Persons": "{:,.0f}"}).to_html()
    cells = re.findall(r'<td [^>]*class="data [^"]*"\s*>([^<]*)</td>', html)
    assert cells == ["a", "1.23", "5,439", "b", "–", "12"]


def test_style_table_chained_format_overrides_the_default():
    t = pd.DataFrame({"Division": ["a"], "LQ": [1.23456]})
    html = style_table(t).format({"LQ": "{:.3f}"}).to_html()
    assert ">1.235<" in html and ">1.2<" not in html


def test_style_table_does_not_touch_the_frame():
    t = pd.DataFrame({"Division": ["a"], "LQ": [1.23456]})
    before = t.copy()
    style_table(t, formats={"LQ": "{:.1f}"}).to_html()
    pd.testing.assert_frame_equal(t, before)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (434685.0, "434,685"),
        (1000.0, "1,000"),
        (999.5, "999.50"),
        (1.8, "1.80"),
        (-2500.4, "-2,500"),
        (np.nan, "–"),
        (None, "–"),
    ],
)
def test_number_text(value, text):
    assert number_text(value) == text


def test_number_text_decimals():
    assert number_text(0.12345, 3) == "0.123"
