"""Build many reports in parallel, each in its own process, and an index page linking them.

Design
------
- :func:`run_batch` first validates every job's parameters (no kernel is started if any is
  wrong: one :class:`~clusterix_lib.errors.ParameterError` lists all problems).
- Then ``workers`` threads each launch one worker process per report::

      python -m clusterix_lib.batch _run-one SPEC.json

  The worker runs :func:`clusterix_lib.reporting.render_report` and writes a small result
  file. It is started in a new session (``start_new_session=True``); on timeout the parent
  sends SIGTERM to the worker's process group *and* to all its descendants (the Jupyter
  kernel runs in a session of its own), waits a few seconds, then SIGKILLs what is left.
  The partial notebook papermill was writing becomes ``{stem}.failed.ipynb``; no final
  ``.ipynb``/``.html``/``.json`` and no ``*.tmp`` file remains.
- A failed or timed-out report never stops the batch; its :class:`JobOutcome` carries the
  one-line error (the :class:`~clusterix_lib.errors.ReportError` text).
- Children get ``OMP_NUM_THREADS=1`` and ``OPENBLAS_NUM_THREADS=1`` (parallel kernels with
  multi-threaded BLAS thrash) and a private ``JUPYTER_RUNTIME_DIR`` removed afterwards.
- :func:`write_index` writes ``build/reports/index.html`` (self-contained, no scripts), and
  :func:`summarise` gives the CLI its exit status and text.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
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
    escape,
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
            f"{'have' if n > 1 else 'has'} invalid parameters; nothing was run:\n"
            + "\n".join(problems)
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


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:]


def _last_error_line(log: str) -> str | None:
    for line in reversed(log.splitlines()):
        line = line.strip()
        if line and not line.startswith(("[IPKernelApp]", "warnings.warn", "Alternative text")):
            return one_line(line, 300)
    return None


class _Runner:
    """Runs jobs in worker processes; remembers the live ones so they can be killed."""

    def __init__(self, tmp: Path, timeout: float, timeout_cell: float | None, kernel_name: str):
        self.tmp = tmp
        self.timeout = timeout
        self.timeout_cell = timeout_cell
        self.kernel_name = kernel_name
        self.env = _child_env(tmp / "runtime")
        self.live: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def kill_all(self) -> None:
        with self.lock:
            self.stopping = True
            procs = list(self.live)
        for proc in procs:
            _kill_tree(proc)

    def run(self, index: int, job: ReportJob, params: dict[str, Any]) -> JobOutcome:
        t0 = time.perf_counter()
        started = time.time()
        stem = job.output_stem.resolve()
        spec_path = self.tmp / f"job{index}.json"
        result_path = self.tmp / f"job{index}.result.json"
        log_path = self.tmp / f"job{index}.log"
        header = {"title": job.title, "report_type": job.report_type, **job.header}
        spec = {
            "notebook": str(job.notebook.resolve()),
            "output_stem": str(stem),
            "params": params,
            "header": header,
            "timeout_cell": self.timeout_cell,
            "kernel_name": self.kernel_name,
            "result": str(result_path),
        }
        spec_path.write_text(json.dumps(spec, default=str), encoding="utf-8")
        with open(log_path, "wb") as log:
            with self.lock:  # no new worker once kill_all() has run
                if self.stopping:
                    return JobOutcome(
                        job, "failed", 0.0, error="batch interrupted before this report ran"
                    )
                proc = subprocess.Popen(
                    [sys.executable, "-m", "clusterix_lib.batch", "_run-one", str(spec_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    start_new_session=True,
                )
                self.live.add(proc)
            try:
                proc.wait(timeout=self.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                _kill_tree(proc)
                timed_out = True
            finally:
                with self.lock:
                    self.live.discard(proc)
        seconds = time.perf_counter() - t0
        log_text = _tail(log_path)
        if timed_out:
            kept = _salvage_partial(stem, started)
            at, where = "", ""
            if kept:
                cell, count = _running_cell(kept)
                at = f" while running cell {cell + 1}{_in(count)}" if cell is not None else ""
                where = f"; partial notebook kept at {kept}"
            return JobOutcome(
                job,
                "timeout",
                seconds,
                error=f"{job.notebook.name} timed out after {self.timeout:g} s (per-report "
                f"limit){at}{where}",
                failed_ipynb=kept,
                log=log_text,
            )
        try:
            result = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = _salvage_partial(stem, started)
            detail = _last_error_line(log_text) or "no message"
            status = "interrupted" if self.stopping else f"exited with status {proc.returncode}"
            return JobOutcome(
                job,
                "failed",
                seconds,
                error=f"report worker {status}: {detail}",
                failed_ipynb=kept,
                log=log_text,
            )
        if result.get("status") == "ok":
            paths = output_paths(stem)
            return JobOutcome(
                job,
                "ok",
                seconds,
                html=paths["html"],
                ipynb=paths["ipynb"],
                json=paths["json"],
                records=result.get("records") or {},
                log=log_text,
            )
        failed = result.get("failed_ipynb")
        return JobOutcome(
            job,
            "failed",
            seconds,
            error=result.get("error") or "unknown error",
            failed_ipynb=Path(failed) if failed else None,
            log=log_text,
        )


def _progress_enabled(progress: bool | str) -> bool:
    if progress == "always":
        return True
    return bool(progress) and sys.stderr.isatty()


def run_batch(
    jobs: Iterable[ReportJob],
    *,
    workers: int | None = None,
    timeout: float = 900,
    progress: bool | Literal["always"] = True,
    timeout_cell: float | None = None,
    validators: Mapping[str, Callable[[Any], Any]] | None = None,
    kernel_name: str = "python3",
) -> list[JobOutcome]:
    """Build every report, each in its own process, ``workers`` at a time.

    Parameters
    ----------
    jobs
        The reports to build.
    workers
        Parallel worker processes (default ``os.cpu_count()``; never more than the jobs).
    timeout
        Wall-clock limit per report in seconds (worker start, kernel, execution, export);
        on expiry the worker and its kernel are killed and the outcome is ``"timeout"``.
    progress
        tqdm bar on stderr: ``True`` shows it on a terminal only, ``"always"`` forces it,
        ``False`` hides it.
    timeout_cell
        Per-cell limit passed to papermill (default ``min(600, timeout)``).
    validators
        Custom parameter validators, see :func:`clusterix_lib.reporting.validate_parameters`.
    kernel_name
        Kernel for every report (``"python3"``: this interpreter's environment).

    Returns
    -------
    list of JobOutcome
        In the order of ``jobs``. Failures and timeouts do not raise.

    Raises
    ------
    ParameterError
        Before anything runs, if any job's parameters are invalid (all problems listed).
    """
    from tqdm import tqdm

    jobs = list(jobs)
    if not jobs:
        return []
    validated = _validate_jobs(jobs, validators)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    tc = timeout_cell if timeout_cell is not None else min(600.0, float(timeout))
    tmp = Path(tempfile.mkdtemp(prefix="clusterix-batch-"))
    (tmp / "runtime").mkdir()
    runner = _Runner(tmp, float(timeout), tc, kernel_name)
    outcomes: list[JobOutcome | None] = [None] * len(jobs)
    bar = tqdm(
        total=len(jobs),
        desc="reports",
        unit="report",
        file=sys.stderr,
        disable=not _progress_enabled(progress),
        dynamic_ncols=True,
    )
    pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="clusterix-report")
    try:
        futures = {
            pool.submit(runner.run, i, job, params): i
            for i, (job, params) in enumerate(zip(jobs, validated, strict=True))
        }
        n_bad = 0
        for fut in as_completed(futures):
            i = futures[fut]
            outcome = fut.result()
            outcomes[i] = outcome
            n_bad += not outcome.ok
            bar.set_postfix(failed=n_bad, refresh=False)
            bar.update(1)
    except BaseException:
        runner.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return [o for o in outcomes if o is not None]


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
    lines = [
        f"{n} report{'s' if n != 1 else ''}: {c['ok']} ok, {c['failed']} failed, "
        f"{c['timeout']} timed out ({total:.1f} s in reports)."
    ]
    for o in outcomes:
        if not o.ok:
            tag = "TIMED OUT" if o.status == "timeout" else "FAILED"
            lines.append(f"{tag:<10} {_label(o.job)}: {o.error}")
    return c["ok"] == n, "\n".join(lines)


def _rel(target: Path, base_dir: Path) -> str:
    rel = os.path.relpath(Path(target).resolve(), base_dir)
    return urllib.parse.quote(Path(rel).as_posix())


_INDEX_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1f2933;background:#fff;line-height:1.5}
header{background:#0b3c5d;color:#fff;padding:24px 0 16px}
.wrap{max-width:1100px;margin:0 auto;padding:0 24px}
h1{margin:0;font-size:1.8rem}
.meta{margin:6px 0 0;opacity:.9}
.counts span{display:inline-block;margin-right:18px;font-weight:600}
h2{margin:28px 0 8px;font-size:1.3rem;color:#0b3c5d;border-bottom:2px solid #0b3c5d}
h3{margin:14px 0 4px;font-size:1rem;color:#52606d;text-transform:uppercase;letter-spacing:.05em}
table{border-collapse:collapse;width:100%;font-size:.95rem}
td{padding:6px 10px;border-bottom:1px solid #d9e2ec;vertical-align:top}
td.status{width:7em;font-weight:600}
td.secs{width:6em;text-align:right;color:#52606d;font-variant-numeric:tabular-nums}
tr.ok td.status{color:#1b7f3b}
tr.failed td.status,tr.timeout td.status{color:#b42318}
tr.failed,tr.timeout{background:#fff4f2}
.error{margin:4px 0 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;
white-space:pre-wrap;word-break:break-word;color:#7a271a}
.problems{background:#fff4f2;border-left:4px solid #b42318;padding:8px 16px;margin-top:16px}
footer{margin:32px 0;color:#52606d;font-size:.85rem}
a{color:#0b5cad}
"""


def write_index(
    outcomes: Sequence[JobOutcome],
    path: str | Path | None = None,
    *,
    title: str = "clusterix reports",
) -> Path:
    """Write the index page of a batch: every report linked relatively, failures explained.

    Self-contained and offline: inline CSS, no scripts, no external resources. Grouped by
    ``job.group`` (e.g. region), then ``job.report_type``, in the order of ``outcomes``.

    Parameters
    ----------
    outcomes
        From :func:`run_batch`.
    path
        Where to write (atomically); default ``build/reports/index.html``.
    title
        Page title.

    Returns
    -------
    Path
        The index file.
    """
    import clusterix_lib

    out = Path(path).resolve() if path is not None else reports_dir().resolve() / "index.html"
    base = out.parent
    c = _counts(outcomes)
    built = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    groups: dict[str, dict[str, list[JobOutcome]]] = {}
    for o in outcomes:
        groups.setdefault(o.job.group or "Reports", {}).setdefault(o.job.report_type, []).append(o)

    h: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_INDEX_CSS}</style>",
        "</head><body>",
        '<header><div class="wrap">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Built {escape(built)} with clusterix '
        f"{escape(clusterix_lib.__version__)}</p>",
        f'<p class="counts"><span>{len(outcomes)} reports</span><span>{c["ok"]} ok</span>'
        f"<span>{c['failed']} failed</span><span>{c['timeout']} timed out</span></p>",
        '</div></header><main class="wrap">',
    ]
    anchors = {id(o): f"report-{i + 1}" for i, o in enumerate(outcomes)}
    bad = [o for o in outcomes if not o.ok]
    if bad:
        h.append('<div class="problems"><strong>Not built:</strong><ul>')
        for o in bad:
            h.append(
                f'<li><a href="#{anchors[id(o)]}">{escape(_label(o.job))}</a> &mdash; '
                f"{escape(_STATUS_TEXT[o.status])}</li>"
            )
        h.append("</ul></div>")
    for group, by_type in groups.items():
        h.append(f"<section><h2>{escape(group)}</h2>")
        for report_type, items in by_type.items():
            if report_type:
                h.append(f"<h3>{escape(report_type)}</h3>")
            h.append("<table><tbody>")
            for o in items:
                if o.ok and o.html is not None:
                    name = f'<a href="{escape(_rel(o.html, base))}">{escape(o.job.title)}</a>'
                else:
                    name = escape(o.job.title)
                extra = ""
                if not o.ok:
                    extra = f'<p class="error">{escape(o.error or "")}</p>'
                    if o.failed_ipynb is not None and Path(o.failed_ipynb).exists():
                        extra += (
                            f'<p>Executed notebook kept for inspection: <a href="'
                            f'{escape(_rel(o.failed_ipynb, base))}">'
                            f"{escape(Path(o.failed_ipynb).name)}</a></p>"
                        )
                h.append(
                    f'<tr class="{o.status}" id="{anchors[id(o)]}">'
                    f'<td class="name">{name}{extra}</td>'
                    f'<td class="status">{escape(_STATUS_TEXT[o.status])}</td>'
                    f'<td class="secs">{o.seconds:.1f} s</td></tr>'
                )
            h.append("</tbody></table>")
        h.append("</section>")
    h.append(f"<footer>{len(outcomes)} reports; built {escape(built)}.</footer>")
    h.append("</main></body></html>\n")
    return write_text(out, "\n".join(h))


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
        )
    except ClusterixError as exc:
        failed = getattr(exc, "failed_ipynb", None)
        return {
            "status": "failed",
            "error": one_line(str(exc), 1000),
            "failed_ipynb": str(failed) if failed else None,
        }
    except Exception as exc:  # noqa: BLE001 - report it, the batch goes on
        return {
            "status": "failed",
            "error": one_line(f"{type(exc).__name__}: {exc}", 1000),
            "failed_ipynb": None,
        }
    return {"status": "ok", "records": res.records, "seconds": res.seconds, "timings": res.timings}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m clusterix_lib.batch _run-one SPEC`` (SPEC: a JSON file or JSON text)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "_run-one":
        print(
            "usage: python -m clusterix_lib.batch _run-one SPEC.json  (internal)", file=sys.stderr
        )
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
