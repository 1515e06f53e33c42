"""NACE Rev. 2: sections and divisions with English labels.

Eurostat's regional business statistics name a division by its section letter and two digits
(``C10`` = manufacture of food products); the classification lists it as ``10`` under section
``C``. The extract ``data/nace_r2.csv`` carries both forms.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from clusterix_lib import paths
from clusterix_lib.errors import DataFileError

NACE_FILE = "nace_r2.csv"
_DIVISION = re.compile(r"^[A-U]\d{2}$")


def is_division_code(code: str) -> bool:
    """True for a NACE Rev. 2 division in Eurostat's form (section letter + two digits).

    Examples
    --------
    >>> is_division_code("C10"), is_division_code("C"), is_division_code("G451")
    (True, False, False)
    """
    return bool(_DIVISION.match(code))


def build_nace_table(raw: pd.DataFrame) -> pd.DataFrame:
    """Reduce the NACE Rev. 2 code list to sections and divisions.

    Parameters
    ----------
    raw
        The classification with columns ``code, level, section, label_en`` (level 1 = section,
        2 = division), as in the public code list.

    Returns
    -------
    DataFrame with ``code`` (``C10`` for divisions, ``C`` for sections), ``level``
    (``section``/``division``), ``section``, ``label``; sections first, then divisions, sorted.

    Examples
    --------
    >>> raw = pd.DataFrame({"code": ["C", "10", "10.1"], "level": [1, 2, 3],
    ...                     "section": ["C", "C", "C"],
    ...                     "label_en": ["MANUFACTURING", "Manufacture of food products", "x"]})
    >>> build_nace_table(raw)
      code     level section                         label
    0    C   section       C                 Manufacturing
    1  C10  division       C  Manufacture of food products
    """
    raw = raw.astype({"code": str, "section": str, "label_en": str})
    level = pd.to_numeric(raw["level"])
    sections = raw[level == 1]
    divisions = raw[level == 2]
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": sections["code"],
                    "level": "section",
                    "section": sections["section"],
                    # the list writes section labels in capitals; reports read better in sentence case
                    "label": sections["label_en"].str.capitalize(),
                }
            ),
            pd.DataFrame(
                {
                    "code": divisions["section"] + divisions["code"].str.zfill(2),
                    "level": "division",
                    "section": divisions["section"],
                    "label": divisions["label_en"],
                }
            ),
        ]
    )
    out = out.sort_values(
        ["level", "code"], key=lambda s: s.map({"section": 0, "division": 1}) if s.name == "level" else s
    )
    return out.reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataFileError(
            f"the NACE Rev. 2 label table is missing: {path}",
            hint="run `clusterix data build` (or restore data/ from git)",
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_nace(path: str | Path | None = None) -> pd.DataFrame:
    """The NACE Rev. 2 sections and divisions (see :func:`build_nace_table`)."""
    return _load(Path(path) if path else paths.data_dir() / NACE_FILE).copy()


def nace_labels(path: str | Path | None = None) -> pd.Series:
    """Label by code (``C10`` -> ``Manufacture of food products``), sections included."""
    table = load_nace(path)
    return table.set_index("code")["label"]


# --- hierarchy: section -> division -> group -> class -------------------------------------------

NACE_LEVELS = ("section", "division", "group", "class")
_ANY_CODE = re.compile(
    r"^(?:(?P<letter>[A-U])$|(?P<section>[A-U])?(?P<division>\d{2})(?:\.?(?P<group>\d)(?P<cls>\d)?)?$)"
)


def parse_nace_codes(codes, path: str | Path | None = None) -> pd.DataFrame:
    """Split NACE Rev. 2 codes, written in any usual form, into their place in the hierarchy.

    Accepted forms: a section letter (``C``); a division with or without its section letter
    (``C10``, ``10``); a group (``C10.1``, ``C101``, ``10.1``) or a class (``C10.11``, ``C1011``,
    ``10.11``). A division's section comes from the NACE table (``data/nace_r2.csv``); a code
    whose letter does not match its division's section, an aggregate such as ``B-E`` or
    ``C10-C12``, or anything else is not recognised.

    Returns
    -------
    DataFrame
        One row per code (same order): ``code``, ``level`` (``section``/``division``/``group``/
        ``class``, or None when not recognised) and the code's ``section`` (``C``), ``division``
        (``C10``), ``group`` (``C10.1``) and ``class`` (``C10.11``), each None where the code is
        coarser.

    Examples
    --------
    >>> parse_nace_codes(["C", "C10", "24", "C10.1", "C1011", "B-E", "A10"])[["code", "level", "section", "group"]]
        code     level section  group
    0      C   section       C   None
    1    C10  division       C   None
    2     24  division       C   None
    3  C10.1     group       C  C10.1
    4  C1011     class       C  C10.1
    5    B-E      None    None   None
    6    A10      None    None   None
    """
    codes = pd.Series(list(codes), dtype=object).astype(str).str.strip()
    parts = codes.str.extract(_ANY_CODE)
    table = load_nace(path)
    divisions = table[table["level"] == "division"]
    div_section = pd.Series(divisions["section"].to_numpy(), index=divisions["code"].str[1:].to_numpy())
    found = parts["division"].map(div_section)
    ok_div = parts["division"].notna() & found.notna() & (parts["section"].isna() | (parts["section"] == found))
    out = pd.DataFrame({"code": codes})
    section = parts["letter"].where(parts["letter"].notna(), found.where(ok_div))
    division = (found + parts["division"]).where(ok_div)
    group = (division + "." + parts["group"]).where(ok_div & parts["group"].notna())
    cls = (group + parts["cls"]).where(ok_div & parts["cls"].notna())
    conditions = [cls.notna(), group.notna(), division.notna(), parts["letter"].notna()]
    levels = np.select(conditions, ["class", "group", "division", "section"], default="")
    out["level"] = pd.Series([lv or None for lv in levels], index=codes.index, dtype=object)
    for name, col in (("section", section), ("division", division), ("group", group), ("class", cls)):
        out[name] = col.astype(object).where(col.notna(), None)
    return out


def nace_parent(codes, level: str, path: str | Path | None = None) -> pd.Series:
    """The code at ``level`` (``section``, ``division``, ``group``) each code belongs to.

    None where the code is not a NACE code or is coarser than ``level``.

    >>> nace_parent(["C10", "C10.1", "G451"], "section").tolist()
    ['C', 'C', 'G']
    >>> nace_parent(["C10", "C10.1", "G451"], "division").tolist()
    ['C10', 'C10', 'G45']
    """
    if level not in NACE_LEVELS:
        raise ValueError(f"level must be one of {NACE_LEVELS}, not {level!r}")
    return parse_nace_codes(codes, path)[level].rename(level)
