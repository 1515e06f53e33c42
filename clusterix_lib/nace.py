"""NACE Rev. 2: sections and divisions with English labels.

Eurostat's regional business statistics name a division by its section letter and two digits
(``C10`` = manufacture of food products); the classification lists it as ``10`` under section
``C``. The extract ``data/nace_r2.csv`` carries both forms.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

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
