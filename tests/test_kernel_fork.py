"""Kernels forked from the warm template: as isolated as normal kernels, and only where safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterix_lib import kernel_fork
from clusterix_lib.batch import ReportJob, run_batch

NB = Path(__file__).parent / "notebooks" / "isolation.ipynb"

pytestmark = pytest.mark.notebooks


def _run(tmp_path: Path, n: int = 3, **kw):
    jobs = [ReportJob(NB, {"mark": f"run-{i}"}, tmp_path / f"r{i}" / "isolation", f"Isolation {i}") for i in range(n)]
    outcomes = run_batch(jobs, workers=1, timeout=120, progress=False, **kw)  # one worker: the same template
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return [o.records for o in outcomes]


@pytest.mark.skipif(not kernel_fork.enabled(), reason="forked kernels need Linux (os.fork)")
def test_forked_kernels_start_warm_and_share_nothing(tmp_path):
    recs = _run(tmp_path, level="consortium")
    assert all(r["preloaded"] for r in recs)  # pandas was already imported: the kernel was forked
    assert all(r["leftover_module_state"] is None for r in recs)  # nothing from the previous report
    assert all(r["leftover_environment"] is None for r in recs)
    assert len({r["pid"] for r in recs}) == 3  # a new process each time
    assert len({r["np_random"] for r in recs}) == 3 and len({r["random"] for r in recs}) == 3  # reseeded
    assert all(r["cwd"] == str(NB.parent) for r in recs)  # the notebook's folder, as for normal kernels
    assert all(r["level"] == "consortium" for r in recs)  # the environment of this build


@pytest.mark.skipif(not kernel_fork.enabled(), reason="forked kernels need Linux (os.fork)")
def test_workers_are_replaced_after_their_quota(tmp_path, monkeypatch):
    from clusterix_lib import batch

    same = _run(tmp_path / "kept", n=3)
    assert len({r["parent_pid"] for r in same}) == 1  # one worker, one template for all three
    monkeypatch.setattr(batch, "WORKER_MAX_JOBS", 1)
    fresh = _run(tmp_path / "replaced", n=3)
    assert len({r["parent_pid"] for r in fresh}) == 3  # a new worker (and template) per report
    assert all(r["preloaded"] and r["leftover_module_state"] is None for r in fresh)


def test_switched_off_gives_normal_kernels_with_the_same_results(tmp_path, monkeypatch):
    monkeypatch.setenv(kernel_fork.ENV_SWITCH, "0")
    recs = _run(tmp_path, n=2)
    assert not any(r["preloaded"] for r in recs)
    assert all(r["leftover_module_state"] is None and r["level"] == "public" for r in recs)
    assert all(r["cwd"] == str(NB.parent) for r in recs)


def test_kernel_args_only_for_ipykernel_specs():
    assert kernel_fork._kernel_args(["/py", "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]
    assert kernel_fork._kernel_args(["/usr/bin/R", "--slave", "-f", "c.json"]) is None


def test_foreign_process_handle(tmp_path):
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        h = kernel_fork.ForeignProcess(child.pid, kernel_fork._start_stamp(child.pid))
        assert h.poll() is None
        h.terminate()
        child.wait(timeout=10)  # reaped by us, its parent
        assert h.wait(timeout=5) == 0 and h.poll() == 0
    finally:
        child.kill()
