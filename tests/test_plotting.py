"""The report map: one cached background per NUTS level, the chosen regions drawn over it."""

from __future__ import annotations

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
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


# ------------------------------------------------------------------ outermost and tiny regions


def _bounds(geometry, code):
    gdf = plotting.load_geometry(geometry)
    return gdf.loc[gdf["NUTS_ID"] == code].geometry.total_bounds


def _markers(ax):
    return [line for line in ax.lines if line.get_gid() == "region-marker"]


def _insets(ax):
    return [a for a in ax.child_axes if a.get_gid() == "region-inset"]


def test_a_normal_region_keeps_the_plain_map(geometry):
    """AT12 lies inside the window and is large enough: background, one highlight, nothing else."""
    fig = plotting.plot_region_map(["AT12"], geometry, level=2)
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and not ax.child_axes and not ax.lines and not ax.texts
    assert len(ax.images) == 1 and len(ax.patches) == 1
    x0, x1, y0, y1 = plotting.MAP_EXTENT
    assert ax.get_xlim() == (x0, x1) and ax.get_ylim() == (y0, y1)
    assert plotting.alt_text(fig) == "Map of Europe (NUTS 2 regions) with Niederösterreich (AT12) highlighted."
    plt.close(fig)


@pytest.mark.parametrize(("code", "name"), [("FRY1", "Guadeloupe"), ("PT20", "Açores"), ("ES70", "Canarias")])
def test_an_outermost_region_is_shown_in_an_inset(geometry, code, name):
    x0, x1, y0, y1 = plotting.MAP_EXTENT
    bx0, by0, bx1, by1 = _bounds(geometry, code)
    assert bx1 < x0 or by1 < y0  # outside the main window: invisible without the inset
    fig = plotting.plot_region_map([code], geometry, level=2)
    (inset,) = _insets(fig.axes[0])
    (ix0, ix1), (iy0, iy1) = inset.get_xlim(), inset.get_ylim()
    assert ix0 < bx0 and bx1 < ix1 and iy0 < by0 and by1 < iy1
    assert (bx1 - bx0) > 0.3 * (ix1 - ix0)  # the region fills a good part of it, with some neighbourhood
    red = matplotlib.colors.to_rgb(plotting.HIGHLIGHT)
    assert any(np.allclose(p.get_facecolor()[:3], red) for p in inset.patches)
    assert name in inset.texts[0].get_text() and code in inset.texts[0].get_text()
    fig.canvas.draw()
    assert fig.axes[0].get_window_extent().contains(*inset.get_window_extent().p0)
    assert fig.axes[0].get_window_extent().contains(*inset.get_window_extent().p1)
    assert "inset shows" in plotting.alt_text(fig) and code in plotting.alt_text(fig)
    plt.close(fig)


def test_a_country_with_outermost_regions_gets_one_inset_per_group(geometry):
    """France (NUTS 0): the mainland on the map; Guyane, Guadeloupe with Martinique (close), La Réunion and
    Mayotte in four insets named after their NUTS 2 regions, inside the map and not overlapping."""
    fig = plotting.plot_region_map(["FR"], geometry, level=0)
    ax = fig.axes[0]
    insets = _insets(ax)
    labels = sorted(a.texts[0].get_text().replace("\n", " ") for a in insets)
    assert labels == ["Guadeloupe, Martinique", "Guyane (FRY3)", "La Réunion (FRY4)", "Mayotte (FRY5)"]
    fig.canvas.draw()
    boxes = [a.get_window_extent() for a in insets]
    main = ax.get_window_extent()
    assert all(main.x0 <= b.x0 and b.x1 <= main.x1 + 1 and main.y0 <= b.y0 and b.y1 <= main.y1 + 1 for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert not _markers(ax)  # mainland France is large
    plt.close(fig)


@pytest.mark.parametrize("slot", [*plotting._MAP_INSET_SLOTS, plotting._MAP_INSET_ONE])
def test_inset_places_cover_no_region(geometry, slot):
    """The insets sit where the map draws no region (sea, or land outside NUTS)."""
    image = plotting.map_background(geometry, 3)[::-1]  # row 0 at the bottom, as axes fractions
    h, w = image.shape[:2]
    x, y, sw, sh = slot
    under = image[int(y * h) : int((y + sh) * h) + 1, int(x * w) : int((x + sw) * w) + 1, :3]
    assert under.size and (under == 255).all()


@pytest.mark.parametrize("code", ["MT00", "LU00", "CY00"])
def test_a_tiny_region_is_circled(geometry, code):
    fig = plotting.plot_region_map([code], geometry, level=2)
    ax = fig.axes[0]
    (marker,) = _markers(ax)
    bx0, by0, bx1, by1 = _bounds(geometry, code)
    (x, y) = marker.get_xydata()[0]
    assert bx0 <= x <= bx1 and by0 <= y <= by1  # around the region
    assert marker.get_marker() == "o" and marker.get_markerfacecolor() == "none" and marker.get_markersize() >= 16
    assert not marker.get_clip_on()  # Cyprus, near the window's edge, gets the whole circle
    assert not ax.child_axes
    assert "circle" in plotting.alt_text(fig)
    plt.close(fig)


def test_the_circle_threshold_comes_from_the_area(geometry):
    """A NUTS 3 region is circled, its large NUTS 2 region is not, nor a group whose total area is large."""
    gdf = plotting.load_geometry(geometry)
    x0, x1, y0, y1 = plotting.MAP_EXTENT
    small = plotting._MAP_SMALL * (x1 - x0) * (y1 - y0)
    area = {code: geom.area for code, geom in zip(gdf["NUTS_ID"], gdf.geometry, strict=True)}  # square degrees
    assert area["AT127"] < small < area["AT12"] and area["AT13"] < small
    for codes, level, circled in [(["AT127"], 3, 1), (["AT12"], 2, 0), (["AT11", "AT12", "AT13"], 2, 0)]:
        fig = plotting.plot_region_map(codes, geometry, level=level)
        assert len(_markers(fig.axes[0])) == circled, codes
        plt.close(fig)


def test_the_map_png_is_written_with_insets_and_circles(geometry):
    from io import BytesIO

    for codes, level in [(["FRY1", "FRY2", "FRY3", "FRY4", "FRY5"], 2), (["CY00"], 2)]:
        fig = plotting.plot_region_map(codes, geometry, level=level, title="x")
        buf = BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
        plt.close(fig)


# ------------------------------------------------------------------ alt text of report figures


def _shell_with_inline_png():
    """The part of an IPython shell that displays figures, with the PNG printer the inline backend registers."""
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import select_figure_formats

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    select_figure_formats(shell, {"png"}, bbox_inches="tight")
    return shell


def test_alt_text_of_the_report_figures(geometry):
    top = pd.DataFrame({"nace_r2": ["C29"], "label": ["Motor vehicles"], "lq": [2.5], "value": [1200.0]})
    fig = plotting.plot_specialisations(top, title="Strongest specialisations, AT12, 2021")
    assert plotting.alt_text(fig) == "Strongest specialisations, AT12, 2021"  # the title when no label
    plt.close(fig)
    fig = plotting.plot_region_map(["MT00"], geometry, level=2, title="Malta")
    assert plotting.alt_text(fig).startswith("Malta. Map of Europe (NUTS 2 regions) with Malta (MT00) highlighted.")
    plt.close(fig)


def test_register_alt_text_puts_the_description_into_the_png_metadata(geometry):
    shell = _shell_with_inline_png()
    fig = plotting.plot_region_map(["FRY1"], geometry, level=2)
    data, md = shell.display_formatter.format(fig)
    assert "image/png" in data and "alt" not in md.get("image/png", {})  # nothing before
    assert plotting.register_alt_text(shell) and plotting.register_alt_text(shell)  # twice: wrapped once
    data, md = shell.display_formatter.format(fig)
    assert md["image/png"] == {"alt": plotting.alt_text(fig)} and "Guadeloupe (FRY1)" in md["image/png"]["alt"]
    assert data["image/png"]  # the PNG itself is unchanged in kind
    plt.close(fig)
    bare, _ = plt.subplots()  # no label, title or axis label: no alt metadata (the export's default applies)
    data, md = shell.display_formatter.format(bare)
    assert "image/png" in data and "image/png" not in md
    plt.close(bare)
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter

    assert plotting.register_alt_text(SimpleNamespace(display_formatter=DisplayFormatter())) is False


def test_exported_report_images_carry_their_alt_text(geometry, tmp_path):
    """The report template writes the output's alt metadata (or the cell's) into <img>; others get the default."""
    import nbformat
    from bs4 import BeautifulSoup

    from clusterix_lib.reporting import export_html

    shell = _shell_with_inline_png()
    plotting.register_alt_text(shell)
    outputs = []
    for title in ['R&D "intensity" <2021>', ""]:
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.bar(["a", "b"], [1, 2])
        ax.set_title(title)
        data, md = shell.display_formatter.format(fig)
        outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=md))
        plt.close(fig)
    cell_alt = nbformat.v4.new_code_cell("", outputs=[outputs[1]], metadata={"alt": "Two bars, b twice a"})
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("", outputs=outputs), cell_alt, nbformat.v4.new_markdown_cell("# End")]
    )
    html_text = export_html(nb, tmp_path / "alt.html", header={"title": "Alt"}).read_text("utf-8")
    alts = [img.get("alt") for img in BeautifulSoup(html_text, "html.parser").find_all("img")]
    assert alts == [
        'R&D "intensity" <2021>',
        "No description has been provided for this image",
        "Two bars, b twice a",
    ]


@pytest.mark.notebooks
def test_alt_text_reaches_the_html_from_a_report_kernel(tmp_path):
    """End to end: a kernel whose figures go through register_alt_text (the call report_kernel.configure
    would make), papermill, export."""
    import nbformat
    from bs4 import BeautifulSoup

    from clusterix_lib.reporting import execute_notebook, export_html

    source = (
        "from IPython import get_ipython\n"
        "import matplotlib.pyplot as plt\n"
        "from clusterix_lib import datasets, plotting\n"
        "plt.switch_backend('module://matplotlib_inline.backend_inline')\n"
        "assert plotting.register_alt_text(get_ipython())\n"
        "plotting.plot_region_map(['PT30'], datasets.geometry_path(), level=2);"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "alt.ipynb")
    done = execute_notebook(tmp_path / "alt.ipynb", tmp_path / "out.ipynb", {}, timeout_cell=120)
    html_text = export_html(done, tmp_path / "alt.html", header={"title": "Alt"}).read_text("utf-8")
    (img,) = BeautifulSoup(html_text, "html.parser").find_all("img")
    assert img["alt"].startswith("Map of Europe (NUTS 2 regions) with Região Autónoma da Madeira (PT30) highlighted.")
    assert "An inset shows what lies outside the map" in img["alt"]


def test_insets_keep_clear_of_a_circle(geometry):
    """Shetland (tiny, circled) lies next to the third inset place: the third inset goes to the fourth."""
    fig = plotting.plot_region_map(["UKM66", "PT200", "PT300", "FRY10"], geometry, level=3)
    ax = fig.axes[0]
    (marker,) = _markers(ax)
    insets = _insets(ax)
    assert len(insets) == 3
    fig.canvas.draw()
    x, y = ax.transData.transform(marker.get_xydata()[0])
    r = marker.get_markersize() / 2 * fig.dpi / 72
    circle = matplotlib.transforms.Bbox.from_extents(x - r, y - r, x + r, y + r)
    assert not any(a.get_window_extent().overlaps(circle) for a in insets)
    plt.close(fig)
