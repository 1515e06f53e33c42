"""Tests of clusterix_lib.reporting: records, parameter validation, execution, HTML export.

Notebook fixtures live in tests/notebooks/ (records.ipynb, raises.ipynb, trivial.ipynb,
slow.ipynb). Two real papermill runs here (records, raises); the rest reuses them.
"""

from __future__ import annotations

import json
import time
import warnings
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import clusterix_lib
from clusterix_lib.errors import ParameterError, ReportError
from clusterix_lib.reporting import (
    RECORD_MIMETYPE,
    execute_notebook,
    export_html,
    notebook_parameters,
    offline_violations,
    read_records,
    record,
    render_report,
    validate_parameters,
)

NB_DIR = Path(__file__).parent / "notebooks"
RECORDS_NB = NB_DIR / "records.ipynb"
RAISES_NB = NB_DIR / "raises.ipynb"

HEADER_SOURCE = {
    "code": "demo_r_pjangroup",
    "title": "Population on 1 January by age group, sex and NUTS 2 region",
    "publisher": "Eurostat",
    "licence": "CC BY 4.0 (header)",
    "url": "https://ec.europa.eu/eurostat/databrowser/view/demo_r_pjangroup",
    "extracted": "2026-09-30",
}
HEADER = {
    "title": "Regional profile: Niederösterreich",
    "region": "AT12",
    "region_name": "Niederösterreich",
    "report_type": "Regional profile",
    "snapshot": "snapshot-2026-10-01-abc123",
    "illustrative": True,
    "sources": [HEADER_SOURCE],
}


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp") or ".running." in p.name]


# ---------------------------------------------------------------------------------------
# One real run of records.ipynb shared by the tests below
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = render_report(RECORDS_NB, out / "AT12" / "records", {"n": 7}, header=HEADER, timeout_cell=120)
    html_text = result.html.read_text(encoding="utf-8")
    return result, html_text, out


@pytest.mark.notebooks
def test_record_round_trip_through_papermill(rendered):
    result, _, out = rendered
    assert result.records["n_squared"] == 49  # recorded twice; the later record wins
    assert read_records(result.ipynb) == result.records
    assert result.records["region"] == "AT12"
    assert result.records["mean"] == 2.5 and type(result.records["mean"]) is float
    assert result.records["missing"] is None  # float('nan') -> None
    assert result.records["flag"] is True  # numpy.bool_ -> bool
    assert result.params == {"n": 7}
    sidecar = json.loads(result.json.read_text(encoding="utf-8"))
    assert sidecar["records"]["n_squared"] == 49
    assert sidecar["params"] == {"n": 7}
    assert set(sidecar["timings"]) >= {"validate", "execute", "export", "total"}
    assert result.seconds > 0
    assert _leftovers(out) == []
    assert not (out / "AT12" / "records.failed.ipynb").exists()


def test_read_records_later_overrides_and_ignores_other_outputs():
    nb = nbformat.v4.new_notebook()
    outs = [
        nbformat.v4.new_output("display_data", data={RECORD_MIMETYPE: {"name": "a", "value": 1}}),
        nbformat.v4.new_output("stream", name="stdout", text="hello"),
        nbformat.v4.new_output("display_data", data={"text/plain": "x"}),
    ]
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=outs))
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "",
            outputs=[nbformat.v4.new_output("display_data", data={RECORD_MIMETYPE: {"name": "a", "value": [2]}})],
        )
    )
    assert read_records(nb) == {"a": [2]}


def test_record_converts_numpy_and_pandas(capsys):
    record(
        "v",
        {
            "i": np.int64(3),
            "f": np.float32(0.5),
            "na": pd.NA,
            "arr": np.array([1, 2]),
            "inf": float("inf"),
            "t": (1, "x"),
        },
    )
    printed = capsys.readouterr().out
    assert "'i': 3" in printed and "'f': 0.5" in printed and "'na': None" in printed
    assert "'arr': [1, 2]" in printed and "'inf': None" in printed and "'t': [1, 'x']" in printed


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (object(), "not JSON-serialisable"),
        (pd.DataFrame({"a": [1]}), "DataFrame"),
        ({1: "x"}, "non-string key"),
        ({"k": {1, 2}}, "record 'bad'['k']"),
    ],
)
def test_record_rejects_non_serialisable(value, fragment):
    with pytest.raises(TypeError, match=None) as info:
        record("bad", value)
    assert fragment in str(info.value)


def test_record_rejects_bad_name():
    with pytest.raises(TypeError):
        record("", 1)


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


def test_notebook_parameters_reads_annotations_and_help():
    p = notebook_parameters(RECORDS_NB)
    assert list(p) == ["region", "n", "scale", "show_table", "label"]
    assert p["region"] == {"type": "str", "default": "AT12", "help": "NUTS code"}
    assert p["n"] == {"type": "int", "default": 3, "help": "count"}
    assert p["show_table"]["type"] == "bool"
    # papermill's regex skips `str | None`; we still find it
    assert p["label"] == {"type": "str | None", "default": None, "help": "optional label"}


def _nuts(value):
    if not (isinstance(value, str) and len(value) == 4 and value[:2].isalpha()):
        raise ParameterError(f"{value!r} is not a NUTS 2 code")
    return value.upper()


def test_validate_collects_all_problems_without_starting_a_kernel(monkeypatch):
    import papermill

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("papermill.execute_notebook was called")

    monkeypatch.setattr(papermill, "execute_notebook", boom)
    t0 = time.perf_counter()
    with pytest.raises(ParameterError) as info:
        render_report(
            RECORDS_NB,
            Path("/nonexistent/never"),
            {"regon": "AT12", "n": "7", "region": "Wien!", "scale": True},
            validators={"region": _nuts},
        )
    assert time.perf_counter() - t0 < 5
    msg = str(info.value)
    assert "records.ipynb" in msg
    assert "'regon'" in msg and "did you mean 'region'" in msg
    assert "known: region, n, scale, show_table, label" in msg
    assert "'n' must be int, got str '7'" in msg
    assert "'scale' must be float, got bool True" in msg
    assert "'Wien!' is not a NUTS 2 code" in msg
    assert len(info.value.problems) == 4
    assert msg.startswith("4 problems")


def test_validate_converts_and_normalises():
    out = validate_parameters(
        RECORDS_NB,
        {
            "n": np.int64(5),
            "scale": 2,
            "show_table": np.bool_(False),
            "region": "at12",
            "label": None,
        },
        validators={"region": _nuts},
    )
    assert out == {"n": 5, "scale": 2.0, "show_table": False, "region": "AT12", "label": None}
    assert type(out["n"]) is int and type(out["scale"]) is float
    assert type(out["show_table"]) is bool


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"n": True}, "'n' must be int, got bool"),
        ({"n": 2.5}, "'n' must be int, got float"),
        ({"show_table": 1}, "'show_table' must be bool"),
        ({"region": None}, "'region' must be str, got None"),
        ({"label": 3}, "'label' must be str | None"),
        ({"region": pd.Timestamp("2024-01-01")}, "pass dates as ISO strings"),
    ],
)
def test_validate_rejects_wrong_types(params, fragment):
    with pytest.raises(ParameterError, match=None) as info:
        validate_parameters(RECORDS_NB, params)
    assert fragment in str(info.value)


def test_validator_value_error_is_reported_and_none_keeps_value():
    def must_be_small(v):
        if v > 10:
            raise ValueError("must be at most 10")

    assert validate_parameters(RECORDS_NB, {"n": 4}, {"n": must_be_small}) == {"n": 4}
    with pytest.raises(ParameterError, match="must be at most 10"):
        validate_parameters(RECORDS_NB, {"n": 40}, {"n": must_be_small})


def test_parameters_papermill_cannot_parse_are_still_found(tmp_path, caplog):
    cell = nbformat.v4.new_code_cell(
        'year: int = 0  # 0 = latest year\nregions: list[str] = ["AT12"]  # codes',
        metadata={"tags": ["parameters"]},
    )
    path = tmp_path / "eq.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    p = notebook_parameters(path)
    assert p["year"] == {"type": "int", "default": 0, "help": "0 = latest year"}
    assert p["regions"]["type"] == "list[str]" and p["regions"]["default"] == ["AT12"]
    assert "Unable to parse" not in caplog.text
    assert validate_parameters(path, {"year": 2020, "regions": ("CZ08",)}) == {
        "year": 2020,
        "regions": ["CZ08"],
    }


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"top_n": -5}, "'top_n' must be ≥ 1, got -5"),
        ({"top_n": 0}, "'top_n' must be ≥ 1, got 0"),
        ({"year": -2014}, "'year' must be ≥ 0, got -2014"),
    ],
)
def test_validate_refuses_numbers_out_of_range_in_a_report_notebook(params, fragment):
    nb = clusterix_lib.paths.notebooks_dir() / "regional_profile.ipynb"
    with pytest.raises(ParameterError) as info:
        validate_parameters(nb, params)
    assert fragment in str(info.value) and "regional_profile.ipynb" in str(info.value)
    assert validate_parameters(nb, {"top_n": 1, "year": 0}) == {"top_n": 1, "year": 0}


def test_range_rule_in_the_parameter_comment_wins(tmp_path):
    cell = nbformat.v4.new_code_cell(
        "bars: int = 10  # bars shown (>= 1, <= 40)\n"
        "share: float = 0.5  # smallest share (≥ 0.1)\n"
        "top_n: int = 0  # 0 shows every row (>= 0)\n"
        "level: int = 2  # NUTS level (level 0-3)",
        metadata={"tags": ["parameters"]},
    )
    path = tmp_path / "rules.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    ok = {"bars": 40, "share": 0.1, "top_n": 0, "level": -1}
    assert validate_parameters(path, ok) == ok  # (level 0-3) is text, not a rule
    with pytest.raises(ParameterError) as info:
        validate_parameters(path, {"bars": 41, "share": float("nan"), "top_n": -1})
    msg = str(info.value)
    assert "'bars' must be from 1 to 40, got 41" in msg
    assert "'share' must be ≥ 0.1, got nan" in msg
    assert "'top_n' must be ≥ 0, got -1" in msg
    assert len(info.value.problems) == 3


def test_validate_notebook_without_parameters_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "noparams.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        validate_parameters(path, {"x": 2})


# ---------------------------------------------------------------------------------------
# Execution failures
# ---------------------------------------------------------------------------------------


@pytest.mark.notebooks
def test_failing_notebook_raises_report_error_and_keeps_failed_ipynb(tmp_path):
    stem = tmp_path / "CZ08" / "raises"
    stem.parent.mkdir()
    stale = stem.with_suffix(".html")
    stale.write_text("an old successful build", encoding="utf-8")  # must not survive
    with pytest.raises(ReportError) as info:
        render_report(RAISES_NB, stem, {"region": "CZ08"}, header={"title": "x"}, timeout_cell=120)
    msg = str(info.value)
    assert "raises.ipynb" in msg
    assert "cell 3" in msg  # third cell of the source notebook
    assert "ValueError: no data for region CZ08" in msg
    assert "\n" not in msg and "\x1b" not in msg and "Traceback" not in msg
    failed = tmp_path / "CZ08" / "raises.failed.ipynb"
    assert f"kept at {failed}" in msg
    assert info.value.failed_ipynb == failed and info.value.cell_index == 2
    assert failed.exists()
    kept = nbformat.read(failed, as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in kept.cells)
    for suffix in (".ipynb", ".html", ".json"):
        assert not stem.with_suffix(suffix).exists(), suffix
    assert _leftovers(tmp_path) == []


@pytest.mark.notebooks
def test_cell_timeout_names_the_cell(tmp_path):
    out = tmp_path / "slow.ipynb"
    t0 = time.perf_counter()
    with pytest.raises(ReportError) as info:
        execute_notebook(NB_DIR / "slow.ipynb", out, {"seconds": 30.0}, timeout_cell=1)
    assert time.perf_counter() - t0 < 25
    msg = str(info.value)
    assert "slow.ipynb failed in cell 2" in msg and "timed out after 1 s" in msg
    assert not out.exists() and (tmp_path / "slow.failed.ipynb").exists()
    assert _leftovers(tmp_path) == []


def test_execute_missing_notebook(tmp_path):
    with pytest.raises(ReportError, match="notebook not found"):
        execute_notebook(tmp_path / "nope.ipynb", tmp_path / "out.ipynb", {})


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html_text):
    p = _Collect()
    p.feed(html_text)
    return p


@pytest.mark.notebooks
def test_html_is_offline_and_has_no_code(rendered):
    _, html_text, _ = rendered
    doc = _parse(html_text)
    scripts = [a for t, a in doc.tags if t == "script"]
    assert [a for a in scripts if a.get("src")] == []
    assert scripts == []  # not even inline scripts
    links = [a.get("href", "") for t, a in doc.tags if t == "link"]
    assert [h for h in links if h.startswith(("http:", "https:", "//"))] == []
    imgs = [a.get("src", "") for t, a in doc.tags if t == "img"]
    assert imgs, "the bar chart should be in the report"
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert offline_violations(html_text) == []
    # no code input, no parameter cells, no removed cells, no record payloads
    classes = " ".join(a.get("class", "") for _, a in doc.tags)
    assert "jp-InputPrompt" not in classes and "jp-OutputPrompt" not in classes
    assert "highlight" not in classes.split()
    assert "KNOWN_CODE_LINE_7f3a" not in html_text
    assert "record(" not in html_text and "import matplotlib" not in html_text
    assert "celltag_parameters" not in html_text
    assert "celltag_injected-parameters" not in html_text
    assert "# Parameters" not in html_text and 'region: str = "AT12"' not in html_text
    assert "region AT12 has n=" not in html_text  # output of a cell tagged remove_cell
    assert RECORD_MIMETYPE not in html_text
    # the content is there
    assert "Records fixture" in html_text
    assert 'class="dataframe"' in html_text and "J62" in html_text


@pytest.mark.notebooks
def test_html_header_footer_and_banner(rendered):
    _, html_text, _ = rendered
    header = html_text[html_text.index('<header class="cx-header"') : html_text.index("</header>")]
    assert "Regional profile: Niederösterreich" in header
    assert "AT12" in header and "snapshot-2026-10-01-abc123" in header
    assert clusterix_lib.__version__ in header
    assert "<title>Regional profile: Niederösterreich</title>" in html_text
    # the parameter table shows the effective values: given ones and defaults
    assert "<code>n</code></td><td>7</td>" in header
    assert "<code>scale</code></td><td>1.5</td>" in header
    footer = html_text[html_text.index('<footer class="cx-footer"') :]
    assert "demo_r_pjangroup" in footer and "CC BY 4.0 (header)" in footer  # header source
    assert "nama_10r_3empers" in footer and "CC BY 4.0" in footer  # record `sources`
    assert "illustrative, non-official records" in html_text


def test_export_without_banner_and_without_warnings(rendered, tmp_path):
    result, _, _ = rendered
    nb = nbformat.read(result.ipynb, as_version=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = export_html(nb, tmp_path / "plain.html", header={"title": "Plain"})
    assert not [w for w in caught if "represented" in str(w.message)]
    text = out.read_text(encoding="utf-8")
    assert "illustrative, non-official" not in text
    assert "nama_10r_3empers" in text  # sources still come from the record
    assert "<code>n</code></td><td>7</td>" in text  # parameters from papermill metadata
    assert _leftovers(tmp_path) == []


def test_export_refuses_external_resources(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("![logo](https://example.org/logo.png)")])
    with pytest.raises(ReportError, match="external resources"):
        export_html(nb, tmp_path / "x.html", header={"title": "x"})
    assert not (tmp_path / "x.html").exists()


def test_export_illustrative_from_record(tmp_path):
    out = nbformat.v4.new_output("display_data", data={RECORD_MIMETYPE: {"name": "illustrative", "value": True}})
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Hello"),
            nbformat.v4.new_code_cell("", outputs=[out]),
        ]
    )
    text = export_html(nb, tmp_path / "i.html", header={"title": "I"}).read_text("utf-8")
    assert "illustrative, non-official records" in text
    assert "No sources were declared" in text


def test_offline_violations_catches_css_and_links():
    html_text = (
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        "<style>body{background:url(https://x.example/bg.png)} @import 'http://y/z.css';</style>"
        '<div style="background-image:url(//cdn/x.png)"></div><iframe src="https://x"></iframe>'
        '<a href="https://fine.example">a link is not a request</a>'
    )
    found = offline_violations(html_text)
    assert len(found) == 5, found


# ---------------------------------------------------------------------------------------
# Key tables (CSV/XLSX downloads), table of contents, header level and downloads
# ---------------------------------------------------------------------------------------


def _table_output(monkeypatch, name, frame, title=None):
    """The display output record_table() produces in a kernel."""
    import IPython.display

    from clusterix_lib.reporting import record_table

    shown = {}
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw, metadata: shown.update(obj))
    record_table(name, frame, title=title)
    return nbformat.v4.new_output("display_data", data=shown)


def test_record_table_write_tables_and_downloads(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from clusterix_lib.reporting import output_paths, read_tables, write_tables

    df = pd.DataFrame({"nace_r2": ["C10", "J62"], "lq": [np.float64(1.25), np.nan], "n": np.array([3, 4])})
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## First part"),
            nbformat.v4.new_code_cell("", outputs=[_table_output(monkeypatch, "lq", df, "Location quotients")]),
            nbformat.v4.new_markdown_cell("## Second part\n\n### Detail"),
        ]
    )
    tables = read_tables(nb)
    assert tables["lq"] == {
        "title": "Location quotients",
        "columns": ["nace_r2", "lq", "n"],
        "data": [["C10", 1.25, 3], ["J62", None, 4]],
    }
    stem = tmp_path / "AT12" / "profile"
    written = write_tables(tables, stem)
    csv_text = (tmp_path / "AT12" / "profile.tables" / "lq.csv").read_text(encoding="utf-8")
    assert csv_text == "nace_r2,lq,n\nC10,1.25,3\nJ62,,4\n"
    ws = load_workbook(output_paths(stem)["xlsx"])["lq"]
    assert [c.value for c in ws[1]] == ["nace_r2", "lq", "n"] and ws["B2"].value == 1.25
    assert set(written) == {"lq", "__xlsx__"}
    # the export links them, shows a table of contents and the level; the table itself stays invisible
    html_text = export_html(
        nb,
        output_paths(stem)["html"],
        header={
            "title": "T",
            "level": "consortium",
            "downloads": [{"label": "LQ (CSV)", "href": "profile.tables/lq.csv"}],
        },
    ).read_text(encoding="utf-8")
    assert 'href="profile.tables/lq.csv"' in html_text and "LQ (CSV)" in html_text
    assert "Consortium: for the partners" in html_text and "cx-level-consortium" in html_text
    toc = html_text[html_text.index('<nav class="cx-toc"') : html_text.index("</nav>")]
    assert [m for m in ("#s-first-part", "#s-second-part", "#s-detail") if m in toc] == [
        "#s-first-part",
        "#s-second-part",
        "#s-detail",
    ]
    assert 'id="s-first-part"' in html_text and "J62" not in html_text
    # a second write without tables removes the old files: no stale CSV
    write_tables({}, stem)
    assert not (tmp_path / "AT12" / "profile.tables").exists() and not output_paths(stem)["xlsx"].exists()


def test_record_table_rejects_bad_names():
    from clusterix_lib.reporting import record_table

    with pytest.raises(ValueError, match="becomes a file name"):
        record_table("../x", pd.DataFrame({"a": [1]}))


def test_table_of_contents_needs_two_headings_and_keeps_ids_unique():
    from clusterix_lib.reporting import add_table_of_contents

    one = '<main class="cx-main"><!--cx-toc--><h2 id="a">Only</h2></main>'
    assert "cx-toc" not in add_table_of_contents(one)
    two = '<main class="cx-main"><!--cx-toc--><h2>Same</h2><p>x</p><h2>Same</h2></main>'
    out = add_table_of_contents(two)
    assert 'id="s-same"' in out and 'id="s-same-2"' in out and 'href="#s-same-2"' in out


class _Tags(HTMLParser):
    """Start tags with their attributes (order-free, whitespace-normalised, valueless = ""), and the
    text, of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, tuple(sorted((k, " ".join((v or "").split())) for k, v in attrs))))

    def handle_data(self, data):
        if data.strip():
            self.items.append(" ".join(data.split()))


def _tags(html_text: str) -> list:
    parser = _Tags()
    parser.feed(html_text)
    return parser.items


@pytest.mark.notebooks
def test_fast_export_gives_nbconvert_page(tmp_path):
    """Our exporter skips nbconvert's BeautifulSoup pass and does it on the text: same page."""
    from nbconvert import HTMLExporter

    from clusterix_lib.paths import templates_dir
    from clusterix_lib.reporting import _exporter

    nb = execute_notebook(NB_DIR / "figure_draws.ipynb", tmp_path / "out.ipynb", {})
    ours = _exporter(str(templates_dir()))
    theirs = HTMLExporter(
        config=ours.config, template_name=ours.template_name, extra_template_basedirs=ours.extra_template_basedirs
    )
    fast, _ = ours.from_notebook_node(nb)
    slow, _ = theirs.from_notebook_node(nb)
    assert type(ours) is not HTMLExporter and _tags(fast) == _tags(slow)
    assert 'alt="No description has been provided for this image"' in fast and 'tabindex="0"' in fast


# ------------------------------------------------------------------ command-line values (-p NAME=VALUE)


@pytest.mark.parametrize(
    ("value", "type_text", "expected"),
    [
        ("AT12,CZ08", "list[str]", ["AT12", "CZ08"]),
        (" AT12 , CZ08 ,", "list[str]", ["AT12", "CZ08"]),  # items stripped, an empty item dropped
        ('["AT12", "CZ08"]', "list[str]", ["AT12", "CZ08"]),  # JSON
        ("['AT12', ' CZ08']", "list[str] | None", ["AT12", "CZ08"]),  # Python literal
        ("NO", "list[str]", ["NO"]),  # one item; Norway's code is not "no"
        ("", "list", []),
        ("[]", "Optional[list[str]]", []),
        ("None", "list[str] | None", None),
        ("2014, 2019", "list[int]", [2014, 2019]),
        ("0.5,1", "List[float]", [0.5, 1.0]),
        ("[AT12", "list[str]", "[AT12"),  # not a list: kept as text for validate_parameters to report
        ("[1, 2", "list[int]", "[1, 2"),
        ("AT12,CZ08", "str", "AT12,CZ08"),  # other types are left as they were
        ("012", "str", "012"),
        ("2014", "int", 2014),
        ("2014", "int | None", 2014),
        ("2.5", "float", 2.5),
        ("no", "bool", False),
        ("x", "int", "x"),
    ],
)
def test_parse_cli_value_by_type(value, type_text, expected):
    from clusterix_lib.reporting import parse_cli_value

    got = parse_cli_value(value, type_text)
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, list):
        assert [type(v) for v in got] == [type(v) for v in expected]


def test_cli_list_value_passes_validation_and_a_broken_one_is_named(tmp_path):
    from clusterix_lib.reporting import parse_cli_parameters

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("regions: list[str] = []  # NUTS codes\nyear: int = 0")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    path = tmp_path / "lists.ipynb"
    nbformat.write(nb, path)
    params = parse_cli_parameters(path, ["regions=AT12, CZ08", "year=2019"])
    assert validate_parameters(path, params) == {"regions": ["AT12", "CZ08"], "year": 2019}
    with pytest.raises(ParameterError, match=r"'regions' must be list\[str\], got str '\[AT12'"):
        validate_parameters(path, parse_cli_parameters(path, ["regions=[AT12"]))
