"""The report benchmark's skeleton notebook: the report's structure without its work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "benchmarks" / "bench_reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_skeleton_keeps_parameters_and_text_and_empties_the_code(tmp_path):
    src = ROOT / "notebooks" / "regional_profile.ipynb"
    out = _bench().skeleton_notebook(src, tmp_path / "s" / "regional_profile.ipynb")
    before, after = nbformat.read(src, 4), nbformat.read(out, 4)
    assert [c.cell_type for c in before.cells] == [c.cell_type for c in after.cells]
    for a, b in zip(before.cells, after.cells, strict=True):
        if a.cell_type == "markdown" or "parameters" in (a.metadata.get("tags") or []):
            assert b.source == a.source
        else:
            assert b.source == "pass"
    assert sum(c.cell_type == "code" and c.source == "pass" for c in after.cells) >= 10
