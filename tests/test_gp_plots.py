"""Figures of the good-practice, trip and programme reports: what a reader sees on them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from clusterix_lib import gp_plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_transferability_rows_are_practice_titles_with_region():
    ranking = pd.DataFrame(
        {
            "gp_id": ["GP-AT12-cluster-programme", "GP-RO32-audits"],
            "title": ["Regional cluster programme with certified cluster management", "Innovation audits"],
            "from_region": ["AT12", "RO32"],
            "score": [3.4, 2.8],
            "limiting_value": [1.4, 1.9],
        }
    )
    items = pd.DataFrame(
        {"gp_id": ["GP-AT12-cluster-programme", "GP-RO32-audits"], "source": "statistics", "value": [1.4, 1.9]}
    )
    fig = gp_plots.plot_transferability(items, ranking)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not any("GP-" in lab for lab in labels)
    flat = [" ".join(lab.split()) for lab in labels]
    assert "Regional cluster programme with certified cluster management (AT12)" in flat
    assert "Innovation audits (RO32)" in flat


def _event():
    return pd.DataFrame(
        {
            "item": ["E1", "E2"],
            "label": ["Relevance of the trip to my work", "My intention to act on what I learnt"],
            "1": [0, 0],
            "2": [0, 0],
            "3": [1, 1],
            "4": [3, 3],
            "5": [1, 1],
            "n": [5, 5],
            "mean": [4.0, 4.0],
        }
    )


def test_event_feedback_legend_covers_no_bar_or_label():
    fig = gp_plots.plot_event_feedback(_event())
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    covered = [p.get_window_extent() for p in ax.patches] + [t.get_window_extent() for t in ax.texts]
    assert ax.texts and not any(legend.overlaps(b) for b in covered)


def _progress(illustrative: bool):
    return pd.DataFrame(
        {
            "code": ["PLE", "AP", "MEDIA"],
            "name": ["Events", "Action plans", "Media"],
            "target": [32.0, 10.0, 50.0],
            "share": [3.66, np.nan, np.nan],
            "status": ["target met", "no result published", "no result published"],
            "recorded_share": [0.19, 1.0, np.nan],
            "recorded_illustrative": [illustrative, illustrative, False],
        }
    )


def test_programme_marks_illustrative_counts_in_the_legend():
    fig = gp_plots.plot_programme(_progress(True))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    counts = [t for t in texts if "clusterix records" in t]
    # one entry for the counts, and it says they are illustrative (an indicator without a count adds none)
    assert len(counts) == 1 and "ILLUSTRATIVE" in counts[0] and "not a published result" in counts[0]
    real = gp_plots.plot_programme(_progress(False))
    texts = [t.get_text() for t in real.axes[0].get_legend().get_texts()]
    assert [t for t in texts if "clusterix records" in t] == ["count from clusterix records"]


def test_similarity_chart_shows_percentiles_with_raw_values():
    context = pd.DataFrame(
        {
            "region_a": "RO32",
            "region_b": ["AT12", "RO21"],
            "structure": [0.69, 0.70],
            "structure_pct": [31.0, 37.0],
            "innovation": [0.74, 0.50],
            "innovation_pct": [58.0, 23.0],
        }
    )
    fig = gp_plots.plot_similarity(context, "RO32", ["AT12", "RO21"])
    ax = fig.axes[0]
    widths = sorted(round(p.get_width()) for p in ax.patches if p.get_width() > 0)
    assert widths == [23, 31, 37, 58]  # bar length is the percentile, not the raw similarity
    labels = {t.get_text() for t in ax.texts}
    assert {"31 (raw 0.69)", "58 (raw 0.74)"} <= labels
    assert "percentile" in ax.get_xlabel()
