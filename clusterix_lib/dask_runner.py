"""Hand a report batch to a Dask distributed cluster instead of local worker processes.

``run_batch(jobs, scheduler="tcp://host:8786")`` (``clusterix reports --scheduler ADDRESS``), or
``scheduler="local"`` for a :class:`distributed.LocalCluster` of ``workers`` processes on this
machine. Each report is one Dask task. On the Dask worker the task runs exactly what a local batch
runs -- a warm report-worker process (:class:`clusterix_lib.batch._WarmWorker`) that gives the
report a fresh kernel, with the same per-report timeout, kill of the kernel's process tree, and
salvage of the partial notebook -- so failures are isolated the same way: a failing, hanging or
crashing report becomes a ``failed``/``timeout`` outcome and the batch goes on. A Dask worker that
dies under a task (out of memory...) makes that report ``failed`` once Dask gives up on it.

The worker renders into a private staging folder and returns the files' bytes; the client writes
them atomically into the site folder (the ``.json`` last), so workers need no shared filesystem --
but they need the same clusterix code and data: every task compares the worker's library version,
code fingerprint and data fingerprint (:mod:`clusterix_lib.manifest`) with the client's and fails
with a clear message instead of building a report from other inputs.

See ``docs/scaling.md`` for running a real cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterix_lib.errors import ClusterixError
from clusterix_lib.manifest import code_fingerprint, data_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    from clusterix_lib.batch import JobOutcome, ReportJob

__all__ = ["CONNECT_TIMEOUT", "check_worker", "connect", "run"]

#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT = 10.0


# --------------------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------------------


def expected_inputs() -> dict[str, str]:
    """What every worker must have: library version, code and data fingerprints."""
    import clusterix_lib

    return {"version": clusterix_lib.__version__, "code": code_fingerprint(), "data": data_fingerprint()}


@contextlib.contextmanager
def connect(scheduler: str, n_workers: int):
    """A :class:`distributed.Client` for ``scheduler`` (``"local"``: a new LocalCluster).

    Raises :class:`ClusterixError` if the scheduler cannot be reached within
    :data:`CONNECT_TIMEOUT` seconds, or distributed is not installed.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        raise ClusterixError(
            f"--scheduler needs Dask distributed, which is not installed ({exc})",
            hint="pip install -e . (it is a dependency of clusterix)",
        ) from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterixError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc}); no report was built",
                hint="check the address and that `dask scheduler` runs there, use --scheduler local for a "
                "cluster on this machine, or leave --scheduler out",
            ) from None
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)


def _write_back(stem: Path, res: Mapping[str, Any]) -> dict[str, Any]:
    """Write the files a task returned into the site folder; returns the result with local paths."""
    from clusterix_lib.fileio import atomic_write_bytes
    from clusterix_lib.reporting import output_paths, remove_outputs

    paths = output_paths(stem)
    files: Mapping[str, bytes] = res.get("files") or {}
    remove_outputs(stem)
    out = {k: v for k, v in res.items() if k != "files"}
    if res.get("status") == "ok":
        order = sorted(files, key=lambda rel: rel.endswith(".json"))  # the sidecar last: "complete"
        for rel in order:
            f = atomic_write_bytes(paths["html"].parent / rel, files[rel])
            os.chmod(f, 0o644)
        paths["failed"].unlink(missing_ok=True)
    else:
        failed = next((rel for rel in files if rel.endswith(".failed.ipynb")), None)
        if failed:
            out["failed_ipynb"] = str(atomic_write_bytes(paths["failed"], files[failed]))
        else:
            paths["failed"].unlink(missing_ok=True)
            out["failed_ipynb"] = None
    return out


def run(
    todo: list[tuple[int, ReportJob, dict[str, Any]]],
    scheduler: str,
    n_workers: int,
    settings: Mapping[str, Any],
    on_done: Callable[[int, JobOutcome], None],
) -> None:
    """Run ``todo`` (index, job, validated parameters) as Dask tasks; ``on_done`` per finished report."""
    from distributed import as_completed

    from clusterix_lib.batch import JobOutcome, _outcome

    expect = expected_inputs()
    with connect(scheduler, n_workers) as client:
        futures = {}
        batch_id = uuid.uuid4().hex[:8]
        for i, job, params in todo:
            fut = client.submit(
                _task, job, params, dict(settings), expect, key=f"clusterix-report-{batch_id}-{i}", pure=False
            )
            futures[fut] = (i, job)
        try:
            for fut in as_completed(futures):
                i, job = futures[fut]
                stem = job.output_stem.resolve()
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker, a cancelled task: this report failed
                    outcome = JobOutcome(
                        job,
                        "failed",
                        0.0,
                        error=f"the Dask task of this report did not finish: {type(exc).__name__}: {exc}",
                        level=settings["level"],
                    )
                else:
                    outcome = _outcome(job, stem, _write_back(stem, res), settings["level"])
                on_done(i, outcome)
        except BaseException:
            client.cancel(list(futures))
            raise


# --------------------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------------------

_LOCAL = threading.local()
_STATE: dict[str, Any] = {}
_STATE_LOCK = threading.Lock()


def check_worker(expect: Mapping[str, str]) -> str | None:
    """None if this process has the library and data ``expect`` names, else what differs.

    >>> check_worker(expected_inputs()) is None
    True
    >>> "version" in check_worker({**expected_inputs(), "version": "0.0.0-other"})
    True
    """
    import socket

    have = expected_inputs()
    diff = [f"{k} {have.get(k)} (client: {v})" for k, v in expect.items() if have.get(k) != v]
    if not diff:
        return None
    return (
        f"Dask worker on {socket.gethostname()} has other clusterix inputs than the client: "
        f"{', '.join(diff)}; install the same clusterix checkout and data/ on every worker"
    )


def _worker_dir() -> Path:
    with _STATE_LOCK:
        if "tmp" not in _STATE:
            tmp = Path(tempfile.mkdtemp(prefix="clusterix-dask-"))
            (tmp / "runtime").mkdir()
            _STATE["tmp"] = tmp
            atexit.register(_cleanup)
        return _STATE["tmp"]


def _cleanup() -> None:
    for w in _STATE.get("workers", []):
        with contextlib.suppress(Exception):
            w.stop()
    shutil.rmtree(_STATE.get("tmp", ""), ignore_errors=True)


def _warm_worker():
    """This thread's warm report worker (a Dask worker thread runs one task at a time)."""
    from clusterix_lib.batch import _child_env, _WarmWorker

    w = getattr(_LOCAL, "worker", None)
    if w is None:
        tmp = _worker_dir()
        w = _WarmWorker(tmp, _child_env(tmp / "runtime"), f"dask-{os.getpid()}-{threading.get_ident()}")
        _LOCAL.worker = w
        with _STATE_LOCK:
            _STATE.setdefault("workers", []).append(w)
    return w


def _task(job: ReportJob, params: dict[str, Any], settings: dict[str, Any], expect: Mapping[str, str]) -> dict:
    """One report on a Dask worker: render into a staging folder, return the result and the files."""
    from clusterix_lib.batch import _execute

    problem = check_worker(expect)
    if problem:
        return {"status": "failed", "seconds": 0.0, "error": problem, "files": {}}
    staging = _worker_dir() / "staging" / uuid.uuid4().hex
    stem = staging / job.output_stem.name
    staging.mkdir(parents=True)
    try:
        res = _execute(_warm_worker(), job, params, stem, settings)
        files: dict[str, bytes] = {}
        for f in sorted(staging.rglob("*")):
            if f.is_file() and not f.name.endswith(".tmp") and ".running." not in f.name:
                files[f.relative_to(staging).as_posix()] = f.read_bytes()
        res["files"] = files
        res.pop("failed_ipynb", None)  # a path on the worker: the client writes its own copy
        return res
    finally:
        shutil.rmtree(staging, ignore_errors=True)
