"""Report kernels draw each figure once, forked or not, and still show it."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat
import pytest

from clusterix_lib import kernel_fork, report_kernel
from clusterix_lib.batch import ReportJob, run_batch
from clusterix_lib.reporting import execute_notebook, read_records

NB = Path(__file__).parent / "notebooks" / "figure_draws.ipynb"

pytestmark = pytest.mark.notebooks


def _pngs(nb) -> int:
    return sum("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def _draws_of_one_png_export(monkeypatch) -> int:
    """Canvas draws matplotlib makes for one PNG of the notebook's figure (here, in-process)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    draws = []
    draw = FigureCanvasAgg.draw
    with monkeypatch.context() as m:
        m.setattr(FigureCanvasAgg, "draw", lambda canvas: (draws.append(1), draw(canvas))[1])
        fig = Figure(figsize=(3, 2), layout="constrained")
        FigureCanvasAgg(fig)
        fig.add_subplot().bar(["a", "b"], [1, 2])
        fig.savefig(io.BytesIO(), format="png", bbox_inches=None)
    assert draws  # the counting works
    return len(draws)


def test_plain_report_kernel_draws_a_figure_once(tmp_path, monkeypatch):
    nb = execute_notebook(NB, tmp_path / "out.ipynb", {})
    records = read_records(nb)
    assert records["idle_draws"] == 0  # matplotlib's own redraw after the cell is gone
    assert records["draws"] == _draws_of_one_png_export(monkeypatch)  # only the export's
    assert _pngs(nb) == 1  # and the inline backend still shows the figure


@pytest.mark.parametrize("fork", ["1", "0"])
def test_batch_kernels_draw_a_figure_once(tmp_path, monkeypatch, fork):
    if fork == "1" and not kernel_fork.enabled():
        pytest.skip("forked kernels need Linux (os.fork)")
    monkeypatch.setenv(kernel_fork.ENV_SWITCH, fork)
    jobs = [ReportJob(NB, {}, tmp_path / f"r{i}" / "figure_draws", f"Draws {i}") for i in range(2)]
    outcomes = run_batch(jobs, workers=1, timeout=120, progress=False)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    expected = _draws_of_one_png_export(monkeypatch)
    assert [(o.records["idle_draws"], o.records["draws"]) for o in outcomes] == [(0, expected)] * 2
    assert all(_pngs(nbformat.read(o.ipynb, 4)) == 1 for o in outcomes)


def test_configure_outside_a_kernel_changes_nothing(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "agg")
    assert report_kernel.configure() is False
    monkeypatch.setenv("MPLBACKEND", report_kernel.INLINE[1])
    assert report_kernel.configure() is False  # no IPython shell in pytest
