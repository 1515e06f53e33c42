"""The batch on a small local Dask cluster: same outcomes, isolation and files as local workers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from clusterix_lib import dask_runner, manifest
from clusterix_lib.batch import ReportJob, run_batch, summarise
from clusterix_lib.errors import ClusterixError

pytest.importorskip("distributed")

NB_DIR = Path(__file__).parent / "notebooks"
TIMEOUT = 12.0  # slow.ipynb sleeps 60 s; the others need a few seconds


def _jobs(out: Path) -> list[ReportJob]:
    return [
        ReportJob(NB_DIR / "trivial.ipynb", {"region": "AT12"}, out / "AT12" / "trivial", "Trivial AT12", "AT12", "t"),
        ReportJob(NB_DIR / "raises.ipynb", {"region": "CZ08"}, out / "CZ08" / "raises", "Raising CZ08", "CZ08", "r"),
        ReportJob(NB_DIR / "slow.ipynb", {"seconds": 60}, out / "CZ08" / "slow", "Slow CZ08", "CZ08", "s"),
        ReportJob(NB_DIR / "records.ipynb", {"n": 4}, out / "AT12" / "records", "Records AT12", "AT12", "rec"),
    ]


@pytest.fixture(scope="module")
def stable_code():
    """Pin the library fingerprint in the manifest keys: colleagues edit clusterix_lib while tests run,
    and any edit (rightly) makes every report stale. The workers' own check is not affected."""
    mp = pytest.MonkeyPatch()
    mp.setattr(manifest, "code_fingerprint", lambda: "pinned-for-test")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory, stable_code):
    out = tmp_path_factory.mktemp("dask")
    t0 = time.perf_counter()
    outcomes = run_batch(
        _jobs(out), workers=2, timeout=TIMEOUT, progress=False, scheduler="local", manifest=out / "manifest.json"
    )
    return outcomes, out, time.perf_counter() - t0


@pytest.mark.notebooks
def test_same_outcomes_as_local_workers(dask_run):
    outcomes, out, wall = dask_run
    trivial, raises, slow, records = outcomes  # job order
    assert trivial.status == "ok" and trivial.records == {"region": "AT12"}
    assert trivial.html == (out / "AT12" / "trivial.html").resolve() and trivial.html.is_file()
    assert records.status == "ok" and records.records["n_squared"] == 16
    assert raises.status == "failed" and "ValueError: no data for region CZ08" in raises.error
    assert raises.failed_ipynb == (out / "CZ08" / "raises.failed.ipynb").resolve() and raises.failed_ipynb.is_file()
    assert slow.status == "timeout" and f"timed out after {TIMEOUT:g} s" in slow.error and "cell 2" in slow.error
    assert slow.failed_ipynb is not None and slow.failed_ipynb.is_file()
    assert wall < 120  # the timeout did not hold the batch up
    ok, text = summarise(outcomes)
    assert not ok and text.startswith("4 reports: 2 ok, 1 failed, 1 timed out")


@pytest.mark.notebooks
def test_files_written_back_completely_and_manifest_updated(dask_run):
    outcomes, out, _ = dask_run
    for stem in (out / "AT12" / "trivial", out / "AT12" / "records"):
        for suffix in (".ipynb", ".html", ".json"):
            assert stem.with_name(stem.name + suffix).is_file()
    for stem in (out / "CZ08" / "raises", out / "CZ08" / "slow"):
        assert not stem.with_name(stem.name + ".html").exists()
        assert not stem.with_name(stem.name + ".json").exists()
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".running." in p.name] == []
    entries = json.loads((out / "manifest.json").read_text())["entries"]
    assert sorted(entries) == ["AT12/records", "AT12/trivial"]


@pytest.mark.notebooks
def test_unchanged_reports_are_not_resubmitted(dask_run, monkeypatch):
    _, out, _ = dask_run

    def no_cluster(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a Dask cluster was started for up-to-date reports")

    jobs = [j for j in _jobs(out) if j.title in ("Trivial AT12", "Records AT12")]
    monkeypatch.setattr(dask_runner, "connect", no_cluster)
    again = run_batch(jobs, workers=2, progress=False, scheduler="local", manifest=out / "manifest.json")
    assert [o.skipped for o in again] == [True, True]


def test_unreachable_scheduler_is_one_clear_error_and_builds_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT", 2.0)
    jobs = _jobs(tmp_path)[:1]
    with pytest.raises(ClusterixError) as info:
        run_batch(jobs, progress=False, scheduler="tcp://127.0.0.1:9", manifest=tmp_path / "manifest.json")
    msg = str(info.value)
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in msg and "no report was built" in msg
    assert "What to do" in msg
    assert not (tmp_path / "AT12").exists()
    # a later build without the scheduler builds the report
    (o,) = run_batch(jobs, progress=False, manifest=tmp_path / "manifest.json")
    assert o.ok and not o.skipped


def test_worker_with_other_inputs_refuses():
    assert dask_runner.check_worker(dask_runner.expected_inputs()) is None
    msg = dask_runner.check_worker({**dask_runner.expected_inputs(), "data": "0123456789abcdef"})
    assert "other clusterix inputs" in msg and "data" in msg and "0123456789abcdef" in msg
