"""Real-browser tests of a built report site: Playwright (sync API) driving Debian's chromium.

One small site is built per session through the real pipeline (``run_batch`` + ``write_index``):
two regional profiles and one report of every other type in ``REPORT_TYPES`` (first default target),
so a new report type is covered the day it is registered. Every page is opened from ``file://``
with every other request blocked and recorded, and checked for: no external request, no console
error, every image decoded, no code / traceback / stderr visible, table of contents and download
links resolving, the confidentiality level in the header, a print stylesheet. Full-page
screenshots of each report type and of the index go to ``build/screenshots/`` (artefacts).

Chromium is ``/usr/bin/chromium`` (``make browser`` installs Debian's package when it is missing);
Playwright's own browser download is never used. Without chromium or Playwright the tests skip
and say why.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import urllib.parse
from pathlib import Path

import pytest

from clusterix_lib import paths
from clusterix_lib.batch import run_batch, write_index
from clusterix_lib.cli import report_job
from clusterix_lib.report_types import REPORT_TYPES

pytestmark = pytest.mark.notebooks

CHROMIUM = os.environ.get("CLUSTERIX_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")
SCREENSHOTS = paths.build_dir() / "screenshots"


def _jobs(out: Path) -> list:
    """Two regional profiles, and the first default report of every other type."""
    jobs = []
    for name, rtype in REPORT_TYPES.items():
        n = 2 if name == "regional_profile" else 1
        for target in rtype.default_targets()[:n]:
            params = dict(target)
            region = params.pop(rtype.region_param) if rtype.region_param else None
            jobs.append(report_job(name, region, params, out_dir=out))
    return jobs


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` as root (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    jobs = _jobs(out)
    outcomes = run_batch(jobs, workers=2, timeout=300, progress=False, level="public")
    bad = [f"{o.job.title}: {o.error}" for o in outcomes if not o.ok]
    assert not bad, "the browser-test site did not build:\n" + "\n".join(bad)
    index = write_index(outcomes, out / "index.html", level="public")
    return out, outcomes, index


class PageCheck:
    """A page opened with every non-local request blocked, and what happened while loading it."""

    def __init__(self, browser, url: str, **context):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", self._failed)
        self.page.goto(url, wait_until="load")

    def _console(self, msg):
        if msg.type == "error":
            self.errors.append(f"console error: {msg.text}")

    def _route(self, route):
        url = route.request.url
        if url.startswith(ALLOWED_SCHEMES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _failed(self, request):
        if request.url.startswith(("file:",)):
            self.errors.append(f"failed to load {request.url}")

    def close(self):
        self.context.close()


@pytest.fixture(scope="session")
def report_pages(site, browser):
    """Open every report once; yields {outcome: PageCheck} (checks share the loaded pages)."""
    _, outcomes, _ = site
    pages = {}
    for o in outcomes:
        pages[o.job.title] = (o, PageCheck(browser, o.html.as_uri()))
    yield pages
    for _, pc in pages.values():
        pc.close()


def test_every_report_type_is_in_the_site(site):
    _, outcomes, _ = site
    built = {o.job.report_type for o in outcomes}
    assert built == {r.title for r in REPORT_TYPES.values()}


def test_no_request_leaves_file_and_no_console_error(report_pages):
    problems = []
    for title, (_, pc) in report_pages.items():
        problems += [f"{title}: blocked request {u}" for u in pc.blocked]
        problems += [f"{title}: {e}" for e in pc.errors]
    assert problems == []


def test_every_image_decodes(report_pages):
    for title, (_, pc) in report_pages.items():
        images = pc.page.eval_on_selector_all(
            "img", "els => els.map(i => ({src: i.src.slice(0, 40), ok: i.complete && i.naturalWidth > 0}))"
        )
        assert images, f"{title}: a report without a single figure?"
        broken = [i["src"] for i in images if not i["ok"]]
        assert broken == [], f"{title}: images that did not decode: {broken}"


def test_no_code_no_traceback_no_stderr_visible(report_pages):
    selectors = [
        ".jp-CodeCell .jp-InputArea",  # markdown cells render inside an InputArea too
        ".jp-InputPrompt",
        ".jp-CodeMirrorEditor",
        ".jp-Cell-inputWrapper .highlight",
        ".celltag_injected-parameters",
        ".celltag_parameters",
        '[data-mime-type="application/vnd.jupyter.stderr"]',
        "#papermill-error-cell",
    ]
    for title, (_, pc) in report_pages.items():
        for sel in selectors:
            visible = [el for el in pc.page.query_selector_all(sel) if el.is_visible()]
            assert visible == [], f"{title}: {len(visible)} visible {sel}"
        text = pc.page.inner_text("body")
        assert "Traceback (most recent call last)" not in text, title
        assert not re.search(r"^\s*(from [\w.]+ import \w|import [\w.]+\s*$)", text, re.M), f"{title}: code visible"


def test_table_of_contents_links_resolve(report_pages):
    for title, (_, pc) in report_pages.items():
        hrefs = pc.page.eval_on_selector_all("nav.cx-toc a", "els => els.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 2, f"{title}: no table of contents"
        for href in hrefs:
            assert href.startswith("#"), href
            found = pc.page.evaluate("id => !!document.getElementById(id)", urllib.parse.unquote(href[1:]))
            assert found, f"{title}: contents link {href} has no target"
        # following a link brings its heading into view
        pc.page.click(f"nav.cx-toc a[href='{hrefs[-1]}']")
        top = pc.page.evaluate("id => document.getElementById(id).getBoundingClientRect().top", hrefs[-1][1:])
        assert 0 <= top < 900, f"{title}: clicking {hrefs[-1]} left the heading at y={top}"
        pc.page.evaluate("window.scrollTo(0, 0)")


def test_header_states_level_and_downloads_resolve(report_pages):
    for title, (o, pc) in report_pages.items():
        assert pc.page.inner_text(".cx-level").strip().lower() == "public", title
        hrefs = pc.page.eval_on_selector_all(".cx-downloads a", "els => els.map(a => a.getAttribute('href'))")
        assert any(h.endswith(".ipynb") for h in hrefs), f"{title}: no link to the executed notebook"
        for h in hrefs:
            assert (o.html.parent / urllib.parse.unquote(h)).is_file(), f"{title}: download {h} is missing"


#: Per table of the report body, per column: the body cells' text and computed alignment.
_COLUMNS_JS = """() => [...document.querySelectorAll('.cx-main table')].map(t => {
  const cols = [];
  for (const row of t.querySelectorAll('tbody tr')) {
    [...row.querySelectorAll('td')].forEach((td, i) => {
      (cols[i] = cols[i] || []).push([td.innerText.trim(), getComputedStyle(td).textAlign]);
    });
  }
  return cols;
})"""
_NUMBER_CELL = re.compile(r"[+\-−]?\s*\d[\d,  ]*(\.\d+)?\s*[%‰]?")


def test_tables_align_words_left_and_numbers_right(report_pages):
    """Readers scan words down the left edge and compare numbers by their last digits: a column
    whose every cell is a number is right-aligned, a column whose every cell holds words left."""
    problems, checked = [], 0
    for title, (_, pc) in report_pages.items():
        for t, cols in enumerate(pc.page.evaluate(_COLUMNS_JS)):
            for c, cells in enumerate(cols):
                shown = [(text, align) for text, align in (cells or []) if text not in ("", "–", "-")]
                if not shown:
                    continue
                numbers = [bool(_NUMBER_CELL.fullmatch(text)) for text, _ in shown]
                want = "right" if all(numbers) else "left" if not any(numbers) else None
                if want is None:
                    continue
                checked += 1
                wrong = [text for text, align in shown if align not in (want, "end" if want == "right" else "start")]
                if wrong:
                    problems.append(f"{title}: table {t + 1}, column {c + 1} should be {want}-aligned: {wrong[:3]}")
    assert checked > 50, f"only {checked} table columns checked"
    assert problems == [], "\n".join(problems)


def test_print_stylesheet(report_pages):
    _, pc = next(iter(report_pages.values()))
    pc.page.emulate_media(media="print")
    try:
        assert pc.page.evaluate("getComputedStyle(document.querySelector('.cx-downloads')).display") == "none"
        bg = pc.page.evaluate("getComputedStyle(document.querySelector('.cx-header')).backgroundColor")
        assert bg in ("rgba(0, 0, 0, 0)", "transparent"), bg
        pdf = pc.page.pdf(format="A4")
        assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    finally:
        pc.page.emulate_media(media="screen")


def test_screenshots_of_each_report_type(report_pages, site, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    done = set()
    for _, (o, pc) in report_pages.items():
        name = re.sub(r"[^a-z0-9]+", "_", o.job.report_type.lower()).strip("_")
        if name in done:
            continue
        done.add(name)
        shot = SCREENSHOTS / f"{name}.png"
        pc.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    _, _, index = site
    pc = PageCheck(browser, index.as_uri())
    try:
        pc.page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
    finally:
        pc.close()
    assert done == {re.sub(r"[^a-z0-9]+", "_", r.title.lower()).strip("_") for r in REPORT_TYPES.values()}


def test_index_links_filters_and_search(site, browser):
    out, outcomes, index = site
    pc = PageCheck(browser, index.as_uri())
    try:
        assert pc.blocked == [] and pc.errors == []
        page = pc.page
        rows = page.locator("tr.cx-row")
        assert rows.count() == len(outcomes)
        # every link on the page points at a file of the site
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
        for h in hrefs:
            if h.startswith("#"):
                continue
            assert not h.startswith(("http:", "https:", "/", "file:")), h
            assert (out / urllib.parse.unquote(h)).is_file(), h
        assert page.locator("#cx-filters").is_visible()
        visible = lambda: page.locator("tr.cx-row:visible").count()  # noqa: E731
        # search in titles
        first = outcomes[0].job
        page.fill("input[name=q]", first.title.split(":")[-1].strip().split(" ")[0])
        assert 1 <= visible() < len(outcomes)
        page.fill("input[name=q]", "no report is called like this")
        assert visible() == 0 and page.locator("#cx-none").is_visible()
        page.click("button[type=reset]")
        page.wait_for_function(f"document.querySelectorAll('tr.cx-row:not([hidden])').length === {len(outcomes)}")
        # region filter
        code = first.header["region"]
        page.select_option("select[name=region]", code)
        n_region = sum(o.job.header.get("region") == code for o in outcomes)
        assert visible() == n_region
        assert f"region={code}" in page.url  # the filtered view can be shared
        page.select_option("select[name=region]", "")
        # reports about no single region (consortium-wide) have a region option of their own
        n_consortium = sum(not o.job.header.get("region") for o in outcomes)
        assert n_consortium > 0
        page.select_option("select[name=region]", "-")
        assert visible() == n_consortium
        page.select_option("select[name=region]", "")
        # search ignores accents: a region name typed without them is found
        accented = next(
            o.job.header["region_name"]
            for o in outcomes
            if re.search(r"[^\x00-\x7f]", o.job.header.get("region_name") or "")
        )
        plain = unicodedata.normalize("NFD", accented).encode("ascii", "ignore").decode()
        page.fill("input[name=q]", plain.lower())
        assert visible() == sum(o.job.header.get("region_name") == accented for o in outcomes) > 0
        page.fill("input[name=q]", "")
        # reports with illustrative records carry a badge (their sidecar says so)
        badges = page.locator("tr.cx-row .badge").count()
        assert (
            badges
            == sum(bool(json.loads(o.json.read_text(encoding="utf-8")).get("illustrative")) for o in outcomes)
            > 0
        )
        # report type filter
        page.select_option("select[name=type]", "Regional profile")
        assert visible() == sum(o.job.report_type == "Regional profile" for o in outcomes)
        page.select_option("select[name=type]", "")
        # built-date filter: everything was built today, nothing tomorrow
        built = page.get_attribute("tr.cx-row", "data-date")
        page.fill("input[name=from]", built)
        assert visible() == len(outcomes)
        page.fill("input[name=from]", "2999-01-01")
        assert visible() == 0
        assert pc.errors == []
    finally:
        pc.close()


def test_index_works_without_javascript(site, browser):
    _, outcomes, index = site
    pc = PageCheck(browser, index.as_uri(), java_script_enabled=False)
    try:
        assert pc.page.locator("tr.cx-row:visible").count() == len(outcomes)
        assert not pc.page.locator("#cx-filters").is_visible()  # no controls that cannot work
    finally:
        pc.close()
