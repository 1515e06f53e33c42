"""Build many reports in parallel, each with a kernel of its own, and an index page linking them.

Design
------
- :func:`run_batch` first validates every job's parameters (no kernel is started if any is
  wrong: one :class:`~clusterix_lib.errors.ParameterError` lists all problems).
- With ``manifest=`` (what ``clusterix reports`` uses) reports whose inputs are unchanged and
  whose files are intact are not rebuilt (:mod:`clusterix_lib.manifest`).
- The others run on ``workers`` warm worker processes (:class:`_WarmWorker`)::

      python -m clusterix_lib.batch _serve FD

  A worker imports papermill and nbconvert once and renders one report at a time with
  :func:`clusterix_lib.reporting.render_report`; each report gets a fresh kernel, forked from the
  worker's kernel template on Linux (:mod:`clusterix_lib.kernel_fork`). Workers run in a new
  session; on a timeout the parent sends SIGTERM to the worker's process group *and* to all its
  descendants (template, kernels), waits a few seconds, SIGKILLs what is left, and starts a new
  worker for the next report. The partial notebook papermill was writing becomes
  ``{stem}.failed.ipynb``; no final ``.ipynb``/``.html``/``.json`` and no ``*.tmp`` file remains.
  ``python -m clusterix_lib.batch _run-one SPEC`` renders one report in a process of its own.
- ``scheduler=`` hands the reports to a Dask cluster instead (:mod:`clusterix_lib.dask_runner`),
  where each task runs the same warm worker, timeout and salvage code.
- A failed or timed-out report never stops the batch; its :class:`JobOutcome` carries the
  one-line error (the :class:`~clusterix_lib.errors.ReportError` text).
- Children get ``OMP_NUM_THREADS=1`` and ``OPENBLAS_NUM_THREADS=1`` (parallel kernels with
  multi-threaded BLAS thrash) and a private ``JUPYTER_RUNTIME_DIR`` removed afterwards.
- :func:`write_index` writes ``build/reports/index.html`` (:mod:`clusterix_lib.site`: filters,
  search, downloads; no external resources), and :func:`summarise` gives the CLI its exit status
  and text.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from clusterix_lib.errors import ClusterixError, ParameterError
from clusterix_lib.paths import reports_dir
from clusterix_lib.reporting import (
    _in,
    _running_cell,
    one_line,
    output_paths,
    remove_outputs,
    validate_parameters,
    write_text,
)

__all__ = ["JobOutcome", "ReportJob", "run_batch", "summarise", "write_index"]

Status = Literal["ok", "failed", "timeout"]

#: Seconds between SIGTERM and SIGKILL when a report times out.
KILL_GRACE = 3.0
#: Seconds a new worker process may take to import papermill and nbconvert.
WORKER_START_TIMEOUT = 120.0
#: Reports a worker process renders before it is replaced by a fresh one. Measured: a worker grows
#: from 130 to 136 MB over its first 100 regional profiles and then stays flat, while each
#: replacement (worker and kernel template) costs about 4 s; 500 keeps the guard against slow
#: leaks without restarting workers in the middle of an all-NUTS-2 batch.
WORKER_MAX_JOBS = 500
#: Seconds between saves of the manifest during a batch.
MANIFEST_SAVE_EVERY = 10.0


@dataclass
class ReportJob:
    """One report to build.

    Parameters
    ----------
    notebook
        The report notebook.
    params
        Parameters to inject (validated before anything runs).
    output_stem
        Output path without suffix: ``{stem}.ipynb``, ``.html``, ``.json`` are written.
    title
        Title of the report (HTML header, index page).
    group
        Grouping on the index page, e.g. ``"AT12 Niederösterreich"``.
    report_type
        e.g. ``"regional_profile"``; second grouping level on the index page.
    header
        Extra header fields for :func:`clusterix_lib.reporting.export_html` (``region``,
        ``region_name``, ``snapshot``, ``sources``, ``illustrative``...).
    """

    notebook: Path
    params: dict[str, Any]
    output_stem: Path
    title: str
    group: str = ""
    report_type: str = ""
    header: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.notebook = Path(self.notebook)
        self.output_stem = Path(self.output_stem)


@dataclass
class JobOutcome:
    """What happened to one :class:`ReportJob`."""

    job: ReportJob
    status: Status
    seconds: float
    error: str | None = None
    html: Path | None = None
    ipynb: Path | None = None
    json: Path | None = None
    failed_ipynb: Path | None = None
    records: dict[str, Any] = field(default_factory=dict)
    log: str = ""  #: tail of the worker's stderr/stdout (diagnostics)
    skipped: bool = False  #: up to date: not rebuilt (see ``run_batch(manifest=...)``)
    level: str | None = None  #: confidentiality level of the build
    built: str | None = None  #: when the report's files were built (ISO, UTC)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------


def _validate_jobs(
    jobs: Sequence[ReportJob], validators: Mapping[str, Callable[[Any], Any]] | None
) -> list[dict[str, Any]]:
    problems: list[str] = []
    validated: list[dict[str, Any]] = []
    stems: dict[Path, str] = {}
    for job in jobs:
        stem = job.output_stem.resolve()
        if stem in stems:
            problems.append(f"{job.title}: same output {stem} as {stems[stem]}")
        stems.setdefault(stem, job.title)
        try:
            validated.append(validate_parameters(job.notebook, job.params, validators))
        except ParameterError as exc:
            problems.append(f"{job.title}: {exc}")
            validated.append({})
    if problems:
        n = len(problems)
        raise ParameterError(
            f"{n} of {len(jobs)} report job{'s' if len(jobs) > 1 else ''} "
            f"{'have' if n > 1 else 'has'} invalid parameters; nothing was run:\n" + "\n".join(problems)
        )
    return validated


def _child_env(runtime_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
    )
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _descendants(pid: int) -> list[int]:
    """All descendant process ids of ``pid`` (psutil, which ipykernel requires; else /proc)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return _descendants_proc(pid)
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _descendants_proc(pid: int) -> list[int]:  # pragma: no cover - fallback without psutil
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    try:  # a zombie counts as dead
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _signal_tree(proc: subprocess.Popen, victims: list[int], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the worker is a session (and group) leader
    except (ProcessLookupError, PermissionError):
        pass
    for pid in victims:  # the kernel runs in a session of its own
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _gone(proc: subprocess.Popen, victims: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None and not any(_alive(p) for p in victims):
            return True
        time.sleep(0.05)
    return False


def _kill_tree(proc: subprocess.Popen, grace: float = KILL_GRACE) -> None:
    """SIGTERM the worker's process group and every descendant; SIGKILL after ``grace``."""
    if proc.poll() is not None:
        return
    victims = _descendants(proc.pid)
    _signal_tree(proc, victims, signal.SIGTERM)
    if not _gone(proc, victims, grace):
        _signal_tree(proc, victims, signal.SIGKILL)
        _gone(proc, victims, grace)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def _salvage_partial(stem: Path, started: float) -> Path | None:
    """After a killed or crashed worker: keep the partial notebook as ``{stem}.failed.ipynb``
    and remove final files and ``*.tmp`` leftovers (a stale ``.failed.ipynb`` older than
    ``started`` goes too)."""
    paths = output_paths(stem)
    kept: Path | None = None
    if paths["running"].exists():
        os.replace(paths["running"], paths["failed"])
        kept = paths["failed"]
    elif paths["failed"].exists():
        if paths["failed"].stat().st_mtime >= started - 1:
            kept = paths["failed"]
        else:
            paths["failed"].unlink(missing_ok=True)
    remove_outputs(stem)
    return kept


def _tail(path: Path, limit: int = 4000, offset: int = 0) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:]


def _last_error_line(log: str) -> str | None:
    for line in reversed(log.splitlines()):
        line = line.strip()
        if line and not line.startswith(("[IPKernelApp]", "warnings.warn", "Alternative text")):
            return one_line(line, 300)
    return None


class _WarmWorker:
    """A long-lived worker process that renders one report at a time.

    ``python -m clusterix_lib.batch _serve FD`` imports papermill and nbconvert and compiles the
    HTML template once, then reads job-spec paths from its stdin; after each job it writes the
    result file and ``done`` on the pipe ``FD``. Every report still gets a fresh kernel (its own
    process); only the worker's imports are reused. A worker that times out is killed with its
    kernel (:func:`_kill_tree`) and a new one is started for the next report; workers are also
    replaced after :data:`WORKER_MAX_JOBS` reports (long-lived ZMQ clients leak a little).
    """

    def __init__(self, tmp: Path, env: Mapping[str, str], name: str):
        self.tmp = tmp
        self.env = dict(env)
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.rfd: int | None = None
        self.jobs = 0
        self.log_path = tmp / f"{name}.log"
        self.lock = threading.Lock()

    # -- process management -------------------------------------------------------------
    def _start(self) -> None:
        rfd, wfd = os.pipe()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "clusterix_lib.batch", "_serve", str(wfd)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                pass_fds=(wfd,),
            )
        finally:
            os.close(wfd)
            log.close()
        self.rfd = rfd
        self.jobs = 0
        line = self._read_line(WORKER_START_TIMEOUT)
        if line != "ready":
            log_text = _tail(self.log_path)
            self.stop(kill=True)
            detail = _last_error_line(log_text) or "no message"
            raise _WorkerStartError(f"the report worker did not start ({line or 'no answer'}): {detail}")

    def _read_line(self, timeout: float) -> str | None:
        """A line from the worker's pipe; None on timeout, "" on EOF (the worker died)."""
        assert self.rfd is not None
        deadline = time.monotonic() + timeout
        buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(self.rfd, 256)
            if not chunk:
                return ""
            buf += chunk
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode("utf-8", "replace").strip()

    def stop(self, *, kill: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if kill:
                _kill_tree(proc)
            else:
                try:
                    if proc.stdin:
                        proc.stdin.close()
                    proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    _kill_tree(proc)
            if proc.stdin and not proc.stdin.closed:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        if self.rfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.rfd)
            self.rfd = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- one job --------------------------------------------------------------------------
    def run(self, spec: Mapping[str, Any], timeout: float, stopping: Callable[[], bool] = lambda: False) -> dict:
        """Render ``spec`` (see :func:`_run_one`) within ``timeout`` seconds.

        Returns the worker's result dict, or ``{"status": "timeout"}`` / ``{"status": "died",
        "returncode": N}`` when the worker had to be killed or exited; ``"log"`` holds the tail of
        what the worker and its kernel printed during this job.
        """
        with self.lock:
            if not self.alive() or self.jobs >= WORKER_MAX_JOBS:
                self.stop(kill=not self.alive())
                if stopping():
                    return {"status": "interrupted"}
                self._start()
            assert self.proc is not None and self.proc.stdin is not None
            self.jobs += 1
            tag = f"{os.getpid()}-{id(spec)}-{self.jobs}"
            spec_path = self.tmp / f"{self.name}-{tag}.json"
            result_path = self.tmp / f"{self.name}-{tag}.result.json"
            spec_path.write_text(json.dumps({**spec, "result": str(result_path)}, default=str), encoding="utf-8")
            offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                self.proc.stdin.write(f"{spec_path}\n".encode())
                self.proc.stdin.flush()
                line = self._read_line(timeout)
            except OSError:
                line = ""
            log_text = _tail(self.log_path, offset=offset)
            if line is None:
                self.stop(kill=True)
                return {"status": "timeout", "log": log_text}
            if line != "done":
                code = self.proc.poll() if self.proc else None
                self.stop(kill=True)
                return {"status": "died", "returncode": code, "log": log_text}
            try:
                result = json.loads(result_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                result = {"status": "failed", "error": f"unreadable worker result: {exc}"}
            finally:
                spec_path.unlink(missing_ok=True)
                result_path.unlink(missing_ok=True)
            result["log"] = log_text
            return result


class _WorkerStartError(RuntimeError):
    pass


def _spec(job: ReportJob, params: dict[str, Any], stem: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
    header = {"title": job.title, "report_type": job.report_type, **job.header}
    return {
        "notebook": str(job.notebook.resolve()),
        "output_stem": str(stem),
        "params": params,
        "header": header,
        "timeout_cell": settings["timeout_cell"],
        "kernel_name": settings["kernel_name"],
        "level": settings["level"],
    }


def _execute(
    worker: _WarmWorker,
    job: ReportJob,
    params: dict[str, Any],
    stem: Path,
    settings: Mapping[str, Any],
    stopping: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Run one job on ``worker`` and turn every way it can end into a result dict.

    ``{"status": "ok"|"failed"|"timeout", "seconds", "error", "failed_ipynb", "records", "log"}``;
    after a timeout or a dead worker the partial notebook becomes ``{stem}.failed.ipynb`` and no
    final file remains. Shared by the local pool and the Dask tasks.
    """
    t0 = time.perf_counter()
    started = time.time()
    timeout = float(settings["timeout"])
    try:
        res = worker.run(_spec(job, params, stem, settings), timeout, stopping)
    except _WorkerStartError as exc:
        res = {"status": "failed", "error": str(exc), "log": ""}
    seconds = time.perf_counter() - t0
    status = res.get("status")
    log_text = res.get("log", "")
    if status == "interrupted":
        return {"status": "failed", "seconds": 0.0, "error": "batch interrupted before this report ran"}
    if status == "timeout":
        kept = _salvage_partial(stem, started)
        at, where = "", ""
        if kept:
            cell, count = _running_cell(kept)
            at = f" while running cell {cell + 1}{_in(count)}" if cell is not None else ""
            where = f"; partial notebook kept at {kept}"
        return {
            "status": "timeout",
            "seconds": seconds,
            "error": f"{job.notebook.name} timed out after {timeout:g} s (per-report limit){at}{where}",
            "failed_ipynb": str(kept) if kept else None,
            "log": log_text,
        }
    if status == "died":
        kept = _salvage_partial(stem, started)
        detail = _last_error_line(log_text) or "no message"
        why = "interrupted" if stopping() else f"exited with status {res.get('returncode')}"
        return {
            "status": "failed",
            "seconds": seconds,
            "error": f"report worker {why}: {detail}",
            "failed_ipynb": str(kept) if kept else None,
            "log": log_text,
        }
    if status == "ok":
        return {
            "status": "ok",
            "seconds": seconds,
            "records": res.get("records") or {},
            "timings": res.get("timings") or {},
            "log": log_text,
        }
    return {
        "status": "failed",
        "seconds": seconds,
        "error": res.get("error") or "unknown error",
        "failed_ipynb": res.get("failed_ipynb"),
        "log": log_text,
    }


def _outcome(job: ReportJob, stem: Path, res: Mapping[str, Any], level: str | None) -> JobOutcome:
    if res["status"] == "ok":
        paths = output_paths(stem)
        return JobOutcome(
            job,
            "ok",
            float(res.get("seconds") or 0.0),
            html=paths["html"],
            ipynb=paths["ipynb"],
            json=paths["json"],
            records=res.get("records") or {},
            log=res.get("log", ""),
            level=level,
        )
    failed = res.get("failed_ipynb")
    return JobOutcome(
        job,
        res["status"],
        float(res.get("seconds") or 0.0),
        error=res.get("error") or "unknown error",
        failed_ipynb=Path(failed) if failed else None,
        log=res.get("log", ""),
        level=level,
    )


class _LocalPool:
    """``workers`` warm worker processes on this machine, one thread driving each."""

    def __init__(self, tmp: Path, n: int):
        env = _child_env(tmp / "runtime")
        self.workers = [_WarmWorker(tmp, env, f"worker{i}") for i in range(n)]
        self.free: queue.SimpleQueue[_WarmWorker] = queue.SimpleQueue()
        for w in self.workers:
            self.free.put(w)
        self.stopping = False

    def run(self, job: ReportJob, params: dict[str, Any], settings: Mapping[str, Any]) -> JobOutcome:
        if self.stopping:
            return JobOutcome(job, "failed", 0.0, error="batch interrupted before this report ran")
        worker = self.free.get()
        try:
            stem = job.output_stem.resolve()
            res = _execute(worker, job, params, stem, settings, lambda: self.stopping)
        finally:
            self.free.put(worker)
        return _outcome(job, stem, res, settings["level"])

    def kill_all(self) -> None:
        self.stopping = True
        for w in self.workers:
            if w.proc is not None:
                _kill_tree(w.proc)

    def close(self) -> None:
        for w in self.workers:
            w.stop()


def _progress_enabled(progress: bool | str) -> bool:
    if progress == "always":
        return True
    return bool(progress) and sys.stderr.isatty()


def _settings(timeout: float, timeout_cell: float | None, kernel_name: str, level: str) -> dict[str, Any]:
    return {
        "timeout": float(timeout),
        "timeout_cell": timeout_cell if timeout_cell is not None else min(600.0, float(timeout)),
        "kernel_name": kernel_name,
        "level": level,
    }


def _run_local(
    todo: list[tuple[int, ReportJob, dict[str, Any]]],
    n_workers: int,
    settings: Mapping[str, Any],
    on_done: Callable[[int, JobOutcome], None],
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="clusterix-batch-"))
    (tmp / "runtime").mkdir()
    pool = _LocalPool(tmp, n_workers)
    threads = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="clusterix-report")
    try:
        futures = {threads.submit(pool.run, job, params, settings): i for i, job, params in todo}
        for fut in as_completed(futures):
            on_done(futures[fut], fut.result())
    except BaseException:
        pool.kill_all()
        threads.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        threads.shutdown(wait=True)
        pool.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _skipped_outcome(job: ReportJob, stem: Path, entry: Mapping[str, Any]) -> JobOutcome:
    paths = output_paths(stem)
    try:
        sidecar = json.loads(paths["json"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sidecar = {}
    return JobOutcome(
        job,
        "ok",
        0.0,
        html=paths["html"],
        ipynb=paths["ipynb"],
        json=paths["json"],
        records=sidecar.get("records") or {},
        skipped=True,
        level=entry.get("level"),
        built=sidecar.get("built") or entry.get("built"),
    )


def run_batch(
    jobs: Iterable[ReportJob],
    *,
    workers: int | None = None,
    timeout: float = 900,
    progress: bool | Literal["always"] = True,
    timeout_cell: float | None = None,
    validators: Mapping[str, Callable[[Any], Any]] | None = None,
    kernel_name: str = "python3",
    level: str | None = None,
    manifest: str | Path | None = None,
    force: bool = False,
    scheduler: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> list[JobOutcome]:
    """Build every report, each with its own kernel, ``workers`` at a time.

    Parameters
    ----------
    jobs
        The reports to build.
    workers
        Parallel workers (default ``os.cpu_count()``; never more than the jobs). Locally, warm
        worker processes; with ``scheduler="local"`` the size of the local Dask cluster.
    timeout
        Wall-clock limit per report in seconds (kernel, execution, export); on expiry the
        worker and its kernel are killed and the outcome is ``"timeout"``.
    progress
        tqdm bar on stderr: ``True`` shows it on a terminal only, ``"always"`` forces it,
        ``False`` hides it.
    timeout_cell
        Per-cell limit passed to papermill (default ``min(600, timeout)``).
    validators
        Custom parameter validators, see :func:`clusterix_lib.reporting.validate_parameters`.
    kernel_name
        Kernel for every report (``"python3"``: this interpreter's environment).
    level
        Confidentiality level of the build (default ``public``, see
        :mod:`clusterix_lib.confidentiality`); every report states it and shows nothing above it.
    manifest
        Path of the build manifest (:mod:`clusterix_lib.manifest`), e.g.
        ``build/reports/manifest.json``. When given, a report whose inputs are unchanged and
        whose files are intact is not rebuilt (outcome ``ok`` with ``skipped=True``), the
        manifest is updated, and the site folder is locked against a second build meanwhile.
        ``None`` (the default) builds everything and keeps no manifest.
    force
        With ``manifest``: rebuild every report anyway.
    scheduler
        ``None``: worker processes on this machine. ``"local"``: a Dask ``LocalCluster`` of
        ``workers`` processes. Any other value: the address of a running Dask scheduler
        (``tcp://host:8786``); see :mod:`clusterix_lib.dask_runner` and ``docs/scaling.md``.
    notify
        Called with one-line notes for the user (an unreadable manifest that is replaced...);
        default: the ``clusterix`` logger.

    Returns
    -------
    list of JobOutcome
        In the order of ``jobs``. Failures and timeouts do not raise.

    Raises
    ------
    ParameterError
        Before anything runs, if any job's parameters are invalid (all problems listed), or
        the level is unknown.
    ClusterixError
        Before anything runs: the Dask scheduler cannot be reached, the site folder holds a
        build of another level, or another build is writing to it.
    """
    from tqdm import tqdm

    from clusterix_lib import confidentiality

    jobs = list(jobs)
    if not jobs:
        return []
    say = notify or (lambda msg: logging.getLogger("clusterix").warning(msg))
    level = confidentiality.check_level(level) if level else confidentiality.build_level()
    validated = _validate_jobs(jobs, validators)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    settings = _settings(timeout, timeout_cell, kernel_name, level)
    outcomes: list[JobOutcome | None] = [None] * len(jobs)

    with contextlib.ExitStack() as stack:
        book = None
        keys: list[tuple[str, dict[str, Any]] | None] = [None] * len(jobs)
        todo = list(zip(range(len(jobs)), jobs, validated, strict=True))
        if manifest is not None:
            book = _open_manifest(Path(manifest), level, say, stack)
            keys = _job_keys(jobs, validated, level, kernel_name)
            if not force:
                todo = []
                for i, job, params in zip(range(len(jobs)), jobs, validated, strict=True):
                    ok, why = book.fresh(job.output_stem, keys[i][0])
                    if "by hand" in why:
                        say(f"{book.stem_key(job.output_stem)}: {why}; rebuilding it")
                    if ok:
                        entry = book.entries[book.stem_key(job.output_stem)]
                        outcomes[i] = _skipped_outcome(job, job.output_stem.resolve(), entry)
                    else:
                        todo.append((i, job, params))
        bar = tqdm(
            total=len(jobs),
            initial=len(jobs) - len(todo),
            desc="reports",
            unit="report",
            file=sys.stderr,
            disable=not _progress_enabled(progress) or not todo,
            dynamic_ncols=True,
        )
        stack.callback(bar.close)
        n_bad = 0
        last_save = time.monotonic()

        def on_done(i: int, outcome: JobOutcome) -> None:
            nonlocal n_bad, last_save
            outcomes[i] = outcome
            if outcome.ok and outcome.built is None:
                outcome.built = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            if book is not None:
                _update_manifest(book, outcome, keys[i])
                if time.monotonic() - last_save > MANIFEST_SAVE_EVERY:
                    book.save()  # an interrupted batch keeps what it finished
                    last_save = time.monotonic()
            n_bad += not outcome.ok
            bar.set_postfix(failed=n_bad, refresh=False)
            bar.update(1)

        try:
            if todo:
                n_workers = max(1, min(n_workers, len(todo)))
                if scheduler:
                    from clusterix_lib import dask_runner

                    dask_runner.run(todo, scheduler, n_workers, settings, on_done)
                else:
                    _run_local(todo, n_workers, settings, on_done)
        finally:
            if book is not None:
                book.save()
    return [o for o in outcomes if o is not None]


def _open_manifest(path: Path, level: str, say: Callable[[str], None], stack: contextlib.ExitStack):
    from clusterix_lib.manifest import Manifest, build_lock

    path = path.resolve()
    stack.enter_context(build_lock(path.parent))
    book = Manifest.load(path)
    if book.problem:
        say(book.problem)
        _check_site_level(path.parent, level)
    elif book.level and book.level != level:
        raise ClusterixError(
            f"{path.parent} holds a {book.level} build; this is a {level} build",
            hint="build each level into its own folder (--out), or delete the folder first",
        )
    elif not book.level and book.entries:
        _check_site_level(path.parent, level)
    book.level = level
    return book


def _check_site_level(site: Path, level: str) -> None:
    """Refuse to write a build of one level into a folder holding reports of another."""
    for sidecar in site.glob("*/*.json"):
        try:
            other = json.loads(sidecar.read_text(encoding="utf-8")).get("level")
        except (OSError, ValueError, AttributeError):
            continue
        if other and other != level:
            raise ClusterixError(
                f"{site} holds {other} reports (e.g. {sidecar.relative_to(site)}); this is a {level} build",
                hint="build each level into its own folder (--out), or delete the folder first",
            )


def _job_keys(
    jobs: Sequence[ReportJob], validated: Sequence[dict[str, Any]], level: str, kernel_name: str
) -> list[tuple[str, dict[str, Any]]]:
    """(key, inputs) of every job: see :mod:`clusterix_lib.manifest`."""
    from clusterix_lib.manifest import code_fingerprint, data_fingerprint, job_inputs, key_of

    code, data = code_fingerprint(), data_fingerprint()
    keys = []
    for job, params in zip(jobs, validated, strict=True):
        header = {"title": job.title, "report_type": job.report_type, **job.header}
        inputs = job_inputs(job.notebook, params, header, level=level, kernel_name=kernel_name, code=code, data=data)
        keys.append((key_of(inputs), inputs))
    return keys


def _update_manifest(book: Any, outcome: JobOutcome, keyed: tuple[str, dict[str, Any]] | None) -> None:
    from clusterix_lib.reporting import report_files

    stem = outcome.job.output_stem
    if outcome.skipped:
        return
    if outcome.ok and keyed is not None:
        key, inputs = keyed
        files = report_files(stem)
        if files:
            book.record(
                stem,
                key,
                files,
                inputs={
                    k: str(Path(outcome.job.notebook).resolve()) if k == "notebook" else inputs.get(k)
                    for k in ("notebook", "notebook_sha256", "code", "data", "version")
                },
                title=outcome.job.title,
                group=outcome.job.group,
                report_type=outcome.job.report_type,
                region=outcome.job.header.get("region"),
                level=outcome.level,
                built=outcome.built,
            )
            return
    book.forget(stem)


# --------------------------------------------------------------------------------------
# Summary and index page
# --------------------------------------------------------------------------------------

_STATUS_TEXT = {"ok": "ok", "failed": "failed", "timeout": "timed out"}


def _label(job: ReportJob) -> str:
    parts = [p for p in (job.group, job.report_type) if p]
    return " / ".join(parts) + f" ({job.title})" if parts else job.title


def _counts(outcomes: Sequence[JobOutcome]) -> dict[str, int]:
    return {s: sum(o.status == s for o in outcomes) for s in ("ok", "failed", "timeout")}


def summarise(outcomes: Sequence[JobOutcome]) -> tuple[bool, str]:
    """Overall status and a short text for the terminal.

    Returns
    -------
    (ok, text)
        ``ok`` is True when every report was built; ``text`` has the counts and one line per
        failed or timed-out report.

    Examples
    --------
    >>> job = ReportJob("nb.ipynb", {}, "out/x", "X", group="AT12", report_type="profile")
    >>> ok, text = summarise([JobOutcome(job, "failed", 1.0, error="ValueError: no data")])
    >>> ok
    False
    >>> print(text)
    1 report: 0 ok, 1 failed, 0 timed out (1.0 s in reports).
    FAILED     AT12 / profile (X): ValueError: no data
    """
    c = _counts(outcomes)
    n = len(outcomes)
    total = sum(o.seconds for o in outcomes)
    n_skipped = sum(o.skipped for o in outcomes)
    fresh = f" ({n_skipped} up to date, not rebuilt)" if n_skipped else ""
    lines = [
        f"{n} report{'s' if n != 1 else ''}: {c['ok']} ok{fresh}, {c['failed']} failed, "
        f"{c['timeout']} timed out ({total:.1f} s in reports)."
    ]
    for o in outcomes:
        if not o.ok:
            tag = "TIMED OUT" if o.status == "timeout" else "FAILED"
            lines.append(f"{tag:<10} {_label(o.job)}: {o.error}")
    return c["ok"] == n, "\n".join(lines)


def write_index(
    outcomes: Sequence[JobOutcome],
    path: str | Path | None = None,
    *,
    title: str = "clusterix reports",
    level: str | None = None,
) -> Path:
    """Write the index page of a batch: every report linked relatively, failures explained.

    Self-contained and offline (inline CSS and a small inline filter script; no external
    resources). Grouped by ``job.group`` (e.g. region), then ``job.report_type``, in the order
    of ``outcomes``; each report links its executed notebook and its tables (CSV, XLSX). See
    :mod:`clusterix_lib.site`.

    Parameters
    ----------
    outcomes
        From :func:`run_batch`.
    path
        Where to write (atomically); default ``build/reports/index.html``.
    title
        Page title.
    level
        Confidentiality level stated on the page (default: the outcomes' level).

    Returns
    -------
    Path
        The index file.
    """
    from clusterix_lib.site import write_site_index

    out = Path(path).resolve() if path is not None else reports_dir().resolve() / "index.html"
    return write_site_index(outcomes, out, title=title, level=level)


# --------------------------------------------------------------------------------------
# Worker side
# --------------------------------------------------------------------------------------


def _run_one(spec: Mapping[str, Any]) -> dict[str, Any]:
    from clusterix_lib.reporting import render_report

    try:
        res = render_report(
            spec["notebook"],
            spec["output_stem"],
            spec.get("params") or {},
            header=spec.get("header") or {},
            timeout_cell=spec.get("timeout_cell"),
            kernel_name=spec.get("kernel_name") or "python3",
            level=spec.get("level"),
        )
    except ClusterixError as exc:
        failed = getattr(exc, "failed_ipynb", None)
        return {
            "status": "failed",
            "error": one_line(str(exc), 1000),
            "failed_ipynb": str(failed) if failed and Path(failed).exists() else None,
        }
    except Exception as exc:  # noqa: BLE001 - report it, the batch goes on
        return {
            "status": "failed",
            "error": one_line(f"{type(exc).__name__}: {exc}", 1000),
            "failed_ipynb": None,
        }
    return {"status": "ok", "records": res.records, "seconds": res.seconds, "timings": res.timings}


def _warm_up() -> None:
    """Start the kernel template, import what every report needs, compile the HTML template."""
    from clusterix_lib import kernel_fork

    runtime = os.environ.get("JUPYTER_RUNTIME_DIR") or tempfile.gettempdir()
    kernel_fork.start(runtime)  # imports in parallel with ours; see clusterix_lib.kernel_fork

    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    from clusterix_lib.paths import templates_dir
    from clusterix_lib.reporting import _exporter

    _exporter(str(templates_dir()))


def _serve(fd: int) -> int:
    """Worker loop: job-spec paths on stdin, ``done`` on the pipe ``fd`` after each result."""
    with os.fdopen(fd, "w", encoding="utf-8") as pipe:
        _warm_up()
        pipe.write("ready\n")
        pipe.flush()
        for line in sys.stdin:
            path = line.strip()
            if not path:
                continue
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
            result = _run_one(spec)
            write_text(spec["result"], json.dumps(result, default=str))
            pipe.write("done\n")
            pipe.flush()
    from clusterix_lib import kernel_fork

    kernel_fork.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m clusterix_lib.batch _run-one SPEC`` (SPEC: a JSON file or JSON text), or
    ``_serve FD`` (the warm worker loop). Internal."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] == "_serve" and args[1].isdigit():
        return _serve(int(args[1]))
    if len(args) != 2 or args[0] != "_run-one":
        print("usage: python -m clusterix_lib.batch _run-one SPEC.json  (internal)", file=sys.stderr)
        return 2
    text = args[1] if args[1].lstrip().startswith("{") else Path(args[1]).read_text("utf-8")
    spec = json.loads(text)
    result = _run_one(spec)
    if spec.get("result"):
        write_text(spec["result"], json.dumps(result, default=str))
    else:
        print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
