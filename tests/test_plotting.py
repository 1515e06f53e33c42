"""The report map: one cached background per NUTS level, the chosen regions drawn over it."""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from clusterix_lib import datasets, plotting


@pytest.fixture(scope="module")
def geometry():
    return datasets.geometry_path()


def test_background_is_cached_read_only_and_shows_land(geometry):
    a = plotting.map_background(geometry, 2)
    assert plotting.map_background(geometry, 2) is a  # drawn once per process and level
    assert not a.flags.writeable
    x0, x1, y0, y1 = plotting.MAP_EXTENT
    assert a.shape[1] == round((x1 - x0) * plotting._MAP_PX_PER_DEG)
    land = (a[..., :3] != 255).any(axis=2)
    assert 0.2 < land.mean() < 0.8  # Europe covers part of the window, not none or all of it


def test_highlighted_region_is_drawn_over_the_background(geometry):
    fig = plotting.plot_region_map(["PL91"], geometry, level=2, title="PL91")
    ax = fig.axes[0]
    assert len(ax.images) == 1
    red = matplotlib.colors.to_rgb(plotting.HIGHLIGHT)
    highlighted = [p for p in ax.patches if np.allclose(p.get_facecolor()[:3], red)]
    assert len(highlighted) == 1
    assert ax.get_title(loc="left") == "PL91"
    plt.close(fig)
    fig = plotting.plot_region_map(["XX99"], geometry, level=2)  # an unknown code: the background alone
    assert len(fig.axes[0].images) == 1 and not fig.axes[0].patches
    plt.close(fig)
