"""Fresh Jupyter kernels forked from a warm template process (Linux), for fast report batches.

Every report still runs in a kernel of its own -- a new process that no other report ever ran
code in -- but the process is *forked* from a template (a "zygote") that has already imported
what report kernels import: ipykernel and IPython, numpy, pandas, matplotlib, the clusterix
modules the report notebooks use, and the default data extracts (:data:`WARM_CALLS`). Starting
such a kernel costs a fork instead of a Python start-up plus a second of imports; the template
never executes report code, so nothing one report does can reach another.

Pieces:

- :class:`Zygote` -- started by a batch worker (:mod:`clusterix_lib.batch`), it runs
  ``python -m clusterix_lib.kernel_fork SOCKET`` and forks a kernel on request over a Unix socket.
  The child starts a new session, takes the environment and working directory jupyter_client
  asked for, reseeds ``random``/``numpy.random``, and runs ``IPKernelApp`` with the usual
  connection file. The template exits when its worker goes away.
- :class:`ForkKernelManager` -- a jupyter_client ``AsyncKernelManager`` whose provisioner
  (:class:`ForkProvisioner`) asks the zygote instead of spawning ``python -m ipykernel_launcher``.
  papermill uses it through ``kernel_manager_class`` (:func:`manager_class`). Interrupt, shutdown
  and kill work on the forked process (its own process group) as on a normal kernel.

Forking is used only where it is safe: Linux, a template that imported everything without
starting a thread, a kernel spec that runs ``ipykernel_launcher``. Anything else -- or
``CLUSTERIX_FORK_KERNELS=0`` -- falls back to the normal kernel start, with identical results.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# ForkKernelManager is built on first use (module __getattr__): it imports jupyter_client
__all__ = ["PRELOAD", "WARM_CALLS", "Zygote", "enabled", "manager_class", "notebook_imports"]

#: Modules the template imports before forking (missing ones are skipped).
PRELOAD: tuple[str, ...] = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "IPython.display",
    "IPython.core.formatters",
    "numpy",
    "pandas",
    "pandas.io.formats.style",
    "jinja2",
    "matplotlib",
    "matplotlib.pyplot",
    "scipy.sparse",
    "clusterix_lib.reporting",
    "clusterix_lib.confidentiality",
    "clusterix_lib.datasets",
    "clusterix_lib.nuts",
    "clusterix_lib.nace",
    "clusterix_lib.profile",
    "clusterix_lib.plotting",
    "clusterix_lib.specialisation",
)
#: Functions the template calls to fill per-process caches that are keyed by the data files
#: (``lru_cache`` on path and modification time), so every forked kernel starts with them.
WARM_CALLS: tuple[str, ...] = (
    "clusterix_lib.datasets:employment",
    "clusterix_lib.datasets:indicators",
    "clusterix_lib.nuts:load_regions",
    "clusterix_lib.nace:nace_labels",
    "clusterix_lib.kernel_fork:_warm_geometry",
    "clusterix_lib.kernel_fork:_warm_text",
    "clusterix_lib.smart_profile:warm",
)
ENV_SWITCH = "CLUSTERIX_FORK_KERNELS"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def enabled() -> bool:
    """Forked kernels are possible here (Linux with ``os.fork``) and not switched off."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return sys.platform.startswith("linux") and hasattr(os, "fork")


# --------------------------------------------------------------------------------------
# Worker side: the zygote handle and the kernel manager
# --------------------------------------------------------------------------------------

_ACTIVE: Zygote | None = None


class Zygote:
    """Handle on a template process; :meth:`fork` starts a kernel from it."""

    def __init__(self, socket_path: str | Path, env: dict[str, str] | None = None):
        self.socket_path = str(socket_path)
        env = dict(env if env is not None else os.environ)
        env.setdefault("MPLBACKEND", INLINE_BACKEND)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clusterix_lib.kernel_fork", self.socket_path],
            stdin=subprocess.PIPE,  # its end tells the template that the worker has gone
            env=env,
        )
        self.usable: bool | None = None  # known after the first request
        self.why_not = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _request(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                s.connect(self.socket_path)
                s.sendall(json.dumps(payload).encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return json.loads(data or b"{}")
            except (FileNotFoundError, ConnectionRefusedError):
                if not self.alive() or time.monotonic() > deadline:
                    raise OSError(f"kernel template not reachable at {self.socket_path}") from None
                time.sleep(0.02)
            finally:
                s.close()

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Block until the template has imported everything; False if forking is not possible."""
        try:
            answer = self._request({"op": "ping"}, timeout)
        except (OSError, ValueError) as exc:
            self.usable, self.why_not = False, str(exc)
            return False
        self.usable = bool(answer.get("ok"))
        self.why_not = answer.get("error", "")
        return self.usable

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> tuple[int, str]:
        """Start a kernel process; returns (pid, start-time stamp)."""
        answer = self._request({"op": "fork", "argv": argv, "env": env, "cwd": cwd}, 30.0)
        if "pid" not in answer:
            raise OSError(f"kernel template could not fork: {answer.get('error', 'no answer')}")
        return int(answer["pid"]), str(answer.get("start", ""))

    def stop(self) -> None:
        global _ACTIVE
        if _ACTIVE is self:
            _ACTIVE = None
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def start(tmp_dir: str | Path, env: dict[str, str] | None = None) -> Zygote | None:
    """Start this process's template (used by :func:`manager_class`); None where not enabled."""
    global _ACTIVE
    if not enabled():
        return None
    if _ACTIVE is not None and _ACTIVE.alive():
        return _ACTIVE
    _ACTIVE = Zygote(Path(tmp_dir) / f"kernel-template-{os.getpid()}.sock", env)
    return _ACTIVE


def stop() -> None:
    """Stop this process's template, if any."""
    if _ACTIVE is not None:
        _ACTIVE.stop()


def manager_class() -> type | None:
    """:class:`ForkKernelManager` if this process has a ready template, else None (normal kernels)."""
    z = _ACTIVE
    if z is None or not z.alive():
        return None
    if z.usable is None:
        z.wait_ready()
    return __getattr__("ForkKernelManager") if z.usable else None


def _start_stamp(pid: int) -> str:
    """The kernel-clock start time of ``pid`` (field 22 of /proc/PID/stat): tells a reused pid apart."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


class ForeignProcess:
    """A ``Popen``-like handle on a process that is not our child (the template's)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, stamp: str):
        self.pid = pid
        self.stamp = stamp
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.returncode = 0
            return 0
        except PermissionError:  # pragma: no cover - someone else's process now
            self.returncode = 0
            return 0
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            state = ""
        if state == "Z" or (self.stamp and _start_stamp(self.pid) not in ("", self.stamp)):
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _kernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` (or ``ipykernel``), or None for another kernel."""
    for i, part in enumerate(cmd[:-1]):
        if part == "-m" and cmd[i + 1] in ("ipykernel_launcher", "ipykernel"):
            return list(cmd[i + 2 :])
    return None


def _provisioner_class():
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launches the kernel by forking the template; falls back to a normal start."""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            z = _ACTIVE
            args = _kernel_args(cmd)
            if z is None or not z.alive() or not z.usable or args is None:
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid, stamp = z.fork([*args, f"--IPKernelApp.parent_handle={z.pid}"], env, cwd)
            except OSError as exc:  # the template died or refused: a normal kernel, and no more forks
                z.usable, z.why_not = False, str(exc)
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForeignProcess(pid, stamp)
            self.pid = pid
            self.pgid = pid  # the child called setsid()
            self.cwd = cwd
            return self.connection_info

    return ForkProvisioner


def _manager_class():
    from jupyter_client.manager import AsyncKernelManager

    provisioner = _provisioner_class()

    class _ForkKernelManager(AsyncKernelManager):
        """``AsyncKernelManager`` whose kernels are forked from the template."""

        async def _async_pre_start_kernel(self, **kw: Any):
            if self.provisioner is None:
                import uuid

                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = provisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    _ForkKernelManager.__name__ = _ForkKernelManager.__qualname__ = "ForkKernelManager"
    return _ForkKernelManager


def __getattr__(name: str) -> Any:  # the classes import jupyter_client: build them on first use
    if name == "ForkKernelManager":
        cls = globals().get("_FORK_MANAGER") or _manager_class()
        globals()["_FORK_MANAGER"] = cls
        return cls
    raise AttributeError(name)


# --------------------------------------------------------------------------------------
# The template process
# --------------------------------------------------------------------------------------


def _warm_geometry() -> None:
    from clusterix_lib import datasets, plotting

    path = datasets.geometry_path()
    plotting.load_geometry(path)
    for level in (1, 2, 3):  # the regional profile's map background per NUTS level
        plotting.map_background(path, level)


def _warm_text() -> None:
    """Draw one small figure with text (Agg, no pyplot): the fonts are opened and their glyph
    caches filled once here instead of in every report's first figure (~50 ms)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(["Manufacture of food products", "Wholesale trade"], [1.5, 0.7])
    ax.set_title("Warm-up 0123456789 (%)", loc="left", fontsize=11)
    ax.text(0.5, 0, " 1.25  (12,345 persons)", fontsize=8)
    ax.set_xlabel("Location quotient")
    fig.savefig(io.BytesIO(), format="png")


def notebook_imports(folder: str | Path | None = None) -> list[str]:
    """Modules the report notebooks import (``import x``, ``from x import y``; for a package
    ``from clusterix_lib import profile`` also ``clusterix_lib.profile``), read with :mod:`ast`.

    >>> "pandas" in notebook_imports() and "clusterix_lib.profile" in notebook_imports()
    True
    """
    import ast

    from clusterix_lib import paths

    found: dict[str, None] = {}
    for nb in sorted(Path(folder or paths.notebooks_dir()).glob("*.ipynb")):
        try:
            cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            src = "".join(cell.get("source") or [])
            try:
                code = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(dict.fromkeys(a.name for a in node.names))
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    found.update(dict.fromkeys(f"{node.module}.{a.name}" for a in node.names))
    return list(found)


def _preload() -> str | None:
    """Import :data:`PRELOAD` and what the notebooks import, run :data:`WARM_CALLS`; returns a
    reason if forking is unsafe afterwards."""
    import importlib
    import threading

    names = list(dict.fromkeys([*PRELOAD, *notebook_imports()]))
    for name in names:
        if name.split(".")[0] in ("matplotlib_inline", "distributed", "dask"):
            continue  # the inline backend must load inside the kernel; these start threads
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for spec in WARM_CALLS:
        module, func = spec.split(":")
        with contextlib.suppress(Exception):
            getattr(importlib.import_module(module), func)()
    if "matplotlib_inline.backend_inline" in sys.modules:
        return "the inline matplotlib backend was imported before the kernel existed"
    if threading.active_count() > 1:
        return f"{threading.active_count() - 1} thread(s) started while importing: forking is unsafe"
    return None


def _become_kernel(req: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: turn into a normal ipykernel process. Never returns."""
    code = 1
    try:
        os.setsid()
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        os.chdir(req.get("cwd") or "/")
        os.environ.clear()
        os.environ.update(req.get("env") or {})
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
        import random

        random.seed()
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        argv = [str(a) for a in req.get("argv") or []]
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.IPKernelApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - report, then leave without running the template's code
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(socket_path: str) -> int:
    """The template's main loop: preload, then fork a kernel per request until stdin closes."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel's shell adds the cwd back
    unsafe = _preload()
    # what the template holds stays put: the forked kernels' garbage collector never walks (and
    # so never copies, page by page) the template's objects
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped automatically
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(8)
    try:
        while True:
            ready, _, _ = select.select([server, sys.stdin], [], [])
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
                return 0  # the worker has gone
            if server not in ready:
                continue
            conn, _ = server.accept()
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                try:
                    req = json.loads(data)
                except ValueError:
                    continue
                if req.get("op") == "ping":
                    answer = {"ok": unsafe is None, "error": unsafe or ""}
                elif unsafe is not None:
                    answer = {"error": unsafe}
                else:
                    pid = os.fork()
                    if pid == 0:
                        _become_kernel(req, [server.fileno(), conn.fileno()])
                    answer = {"pid": pid, "start": _start_stamp(pid)}
                conn.sendall(json.dumps(answer).encode() + b"\n")
    finally:
        server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket_path)


if __name__ == "__main__":  # pragma: no cover - run by Zygote
    sys.exit(serve(sys.argv[1]))
