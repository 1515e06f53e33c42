"""Tests of clusterix_lib.batch: parallel worker processes, timeouts, index page, summary."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from clusterix_lib import batch
from clusterix_lib.batch import JobOutcome, ReportJob, run_batch, summarise, write_index
from clusterix_lib.errors import ParameterError

NB_DIR = Path(__file__).parent / "notebooks"
TIMEOUT = 12.0  # per report; slow.ipynb sleeps 60 s, the others need ~3 s (room for a busy CI)


def _jobs(out: Path) -> list[ReportJob]:
    return [
        ReportJob(
            NB_DIR / "slow.ipynb",
            {"region": "CZ08", "seconds": 60},
            out / "CZ08" / "slow",
            "Slow report CZ08",
            "CZ08 Moravskoslezsko",
            "slow",
        ),
        ReportJob(
            NB_DIR / "trivial.ipynb",
            {"region": "AT12"},
            out / "AT12" / "trivial",
            "Trivial report AT12",
            "AT12 Niederösterreich",
            "trivial",
            header={"region": "AT12", "snapshot": "snap-1"},
        ),
        ReportJob(
            NB_DIR / "raises.ipynb",
            {"region": "CZ08"},
            out / "CZ08" / "raises",
            "Raising report CZ08",
            "CZ08 Moravskoslezsko",
            "raises",
        ),
    ]


def _kernels_using(path_fragment: str) -> list[int]:
    """Processes of the batch still alive: kernels (their connection file is in the batch's runtime
    folder), workers, and the kernel template and the kernels forked from it (its socket is there)."""
    import os

    import psutil

    pids = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info.get("cmdline") or [])
        if path_fragment in cmd and p.pid != os.getpid():
            pids.append(p.pid)
    return pids


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*a, **k):
        path = real_mkdtemp(*a, **k)
        made.append(path)
        return path

    mp = pytest.MonkeyPatch()
    mp.setattr(batch.tempfile, "mkdtemp", spy)
    try:
        t0 = time.perf_counter()
        outcomes = run_batch(_jobs(out), workers=2, timeout=TIMEOUT, progress=False)
        wall = time.perf_counter() - t0
    finally:
        mp.undo()
    index = write_index(outcomes, out / "index.html")
    return outcomes, index, out, wall, made


@pytest.mark.notebooks
def test_outcomes_ok_failed_timed_out(batch_run):
    outcomes, _, out, wall, _ = batch_run
    slow, trivial, raises = outcomes  # in job order
    assert trivial.status == "ok", trivial.error
    assert trivial.html == (out / "AT12" / "trivial.html").resolve() and trivial.html.exists()
    assert trivial.ipynb.exists() and trivial.json.exists()
    assert trivial.records == {"region": "AT12"}
    assert raises.status == "failed"
    assert "ValueError: no data for region CZ08" in raises.error and "cell 3" in raises.error
    assert "\n" not in raises.error
    assert raises.failed_ipynb is not None and raises.failed_ipynb.exists()
    assert slow.status == "timeout"
    assert "timed out after 12 s" in slow.error and "cell 2" in slow.error
    assert slow.failed_ipynb == (out / "CZ08" / "slow.failed.ipynb").resolve()
    assert slow.failed_ipynb.exists()
    assert TIMEOUT <= slow.seconds < TIMEOUT + batch.KILL_GRACE + 5
    assert wall < 60  # the batch went on; two workers in parallel


@pytest.mark.notebooks
def test_no_half_written_or_final_files_for_failures(batch_run):
    _, _, out, _, _ = batch_run
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".running." in p.name]
    assert leftovers == []
    for stem in (out / "CZ08" / "slow", out / "CZ08" / "raises"):
        for suffix in (".ipynb", ".html", ".json"):
            assert not stem.with_suffix(suffix).exists()


@pytest.mark.notebooks
def test_timed_out_kernel_is_killed_and_temp_dir_removed(batch_run):
    _, _, _, _, made = batch_run
    assert made, "run_batch should use a private temporary folder"
    deadline = time.monotonic() + 5
    while _kernels_using(made[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _kernels_using(made[0]) == []
    assert not Path(made[0]).exists()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.script_src = []
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
        if tag == "script":
            self.scripts += 1
            if a.get("src"):
                self.script_src.append(a["src"])
        if tag in ("link", "img") and (a.get("href") or a.get("src")):
            self.external.append(a)


@pytest.mark.notebooks
def test_index_lists_every_report_with_errors(batch_run):
    outcomes, index, out, _, _ = batch_run
    text = index.read_text(encoding="utf-8")
    for o in outcomes:
        assert o.job.title in text
        assert o.job.group in text
    assert "ValueError: no data for region CZ08" in text
    assert "timed out after 12 s" in text
    assert "3 reports" in text and "1 ok" in text and "1 failed" in text and "1 timed out" in text
    links = _Links()
    links.feed(text)
    assert links.scripts == 1 and links.script_src == [] and links.external == []  # the inline filter script
    files = [h for h in links.hrefs if not h.startswith("#")]
    assert "AT12/trivial.html" in files
    assert "CZ08/raises.failed.ipynb" in files
    assert all(not h.startswith(("/", "file:", "http")) for h in files)
    for h in files:
        assert (out / h).exists(), h
    # grouped by region, then report type, in the order of the jobs
    assert text.count("<h2>CZ08 Moravskoslezsko</h2>") == 1
    assert text.index("<h2>CZ08 Moravskoslezsko") < text.index("<h2>AT12 Niederösterreich")
    assert text.index("<h3>slow</h3>") < text.index("<h3>raises</h3>")
    assert text.index("<h3>raises</h3>") < text.index("<h2>AT12 Niederösterreich")


@pytest.mark.notebooks
def test_summarise_names_failures(batch_run):
    outcomes, _, _, _, _ = batch_run
    ok, text = summarise(outcomes)
    assert not ok
    assert text.startswith("3 reports: 1 ok, 1 failed, 1 timed out")
    assert "FAILED" in text and "Raising report CZ08" in text
    assert "TIMED OUT" in text and "Slow report CZ08" in text
    assert "Trivial report AT12" not in text
    assert summarise([o for o in outcomes if o.ok])[0] is True


def test_invalid_parameters_fail_fast_before_any_worker(tmp_path, monkeypatch):
    def no_popen(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a worker was started")

    monkeypatch.setattr(batch.subprocess, "Popen", no_popen)
    jobs = [
        ReportJob(NB_DIR / "trivial.ipynb", {"region": "AT12"}, tmp_path / "a", "Good"),
        ReportJob(NB_DIR / "trivial.ipynb", {"regoin": "AT12"}, tmp_path / "b", "Typo"),
        ReportJob(NB_DIR / "slow.ipynb", {"seconds": "ten"}, tmp_path / "c", "Bad type"),
        ReportJob(NB_DIR / "trivial.ipynb", {}, tmp_path / "a", "Same output"),
    ]
    with pytest.raises(ParameterError) as info:
        run_batch(jobs, workers=2, progress=False)
    msg = str(info.value)
    assert "nothing was run" in msg
    assert "Typo" in msg and "did you mean 'region'" in msg
    assert "Bad type" in msg and "'seconds' must be float" in msg
    assert "Same output" in msg
    assert "Good:" not in msg
    assert list(tmp_path.iterdir()) == []


def test_write_index_escapes_and_links_relatively(tmp_path):
    html_file = tmp_path / "reports" / "AT 12" / "r.html"
    html_file.parent.mkdir(parents=True)
    html_file.write_text("x", encoding="utf-8")
    job = ReportJob(
        "nb.ipynb",
        {},
        html_file.with_suffix(""),
        "<script>alert(1)</script>",
        group="AT12 & co",
        report_type="profile",
    )
    bad = ReportJob("nb.ipynb", {}, tmp_path / "x", "Broken", group="AT12 & co")
    index = write_index(
        [
            JobOutcome(job, "ok", 1.0, html=html_file),
            JobOutcome(bad, "failed", 2.0, error="KeyError: <'x'>"),
        ],
        tmp_path / "reports" / "index.html",
    )
    text = index.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "AT12 &amp; co" in text and "KeyError: &lt;&#x27;x&#x27;&gt;" in text
    assert 'href="AT%2012/r.html"' in text
    assert [p.name for p in index.parent.iterdir() if p.suffix == ".tmp"] == []


def test_run_batch_no_jobs():
    assert run_batch([], progress=False) == []


def test_worker_entry_point_usage():
    proc = subprocess.run([sys.executable, "-m", "clusterix_lib.batch"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage" in proc.stderr
