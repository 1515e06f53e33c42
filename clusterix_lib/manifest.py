"""The build manifest: which report was built from what, so unchanged reports are not rebuilt.

``build/reports/manifest.json`` holds one entry per built report (keyed by its output stem
relative to the site folder)::

    {"schema": 1, "level": "public", "entries": {"AT12/regional_profile": {
        "key": "<sha256 of the inputs>", "inputs": {...}, "files": {"AT12/regional_profile.html":
        {"size": ..., "mtime_ns": ..., "sha256": ...}, ...}, "title": ..., "built": ...}}}

A report's **key** hashes everything its content depends on (:func:`job_inputs`):

- the notebook file (its bytes);
- the validated parameters and the header fields (title, region, snapshot...; not the date);
- the build's confidentiality level and the kernel;
- the **input data**: every file under ``data/`` (:func:`data_fingerprint`), and every file or
  folder a parameter names (a consortium file, a review folder);
- the **library**: its version and the bytes of ``clusterix_lib/**.py`` and ``templates/``
  (:func:`code_fingerprint`), so an edit without a version bump still rebuilds.

A report is **fresh** when its entry's key equals the job's key *and* every file the entry lists
still exists with the recorded size and content (a changed modification time triggers a hash
check). Anything else -- no entry, another key, a file deleted or edited by hand, an unreadable
manifest -- rebuilds the report. The fingerprints are deliberately coarse: any change in ``data/``
rebuilds every report (correct, never stale; a few minutes for a whole programme).

The manifest is written atomically; an unreadable or foreign file is set aside with a clear
message (:attr:`Manifest.problem`) and every report is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterix_lib.errors import ClusterixError

__all__ = [
    "MANIFEST_NAME",
    "Manifest",
    "build_lock",
    "code_fingerprint",
    "data_fingerprint",
    "file_sha256",
    "job_inputs",
    "key_of",
]

MANIFEST_NAME = "manifest.json"
SCHEMA = 1
#: Header fields that change on every build and do not make a report different.
VOLATILE_HEADER = frozenset({"date", "built"})


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tree_files(root: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".pyc", ".tmp")):
                continue
            if suffixes is None or name.endswith(suffixes):
                out.append(Path(dirpath) / name)
    return out


@functools.lru_cache(maxsize=64)
def _hash_cached(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def _tree_fingerprint(roots: list[Path], suffixes: tuple[str, ...] | None = None) -> str:
    h = hashlib.sha256()
    for root in roots:
        if root.is_file():
            files, base = [root], root.parent
        elif root.is_dir():
            files, base = _tree_files(root, suffixes), root
        else:
            h.update(f"missing:{root}".encode())
            continue
        for f in files:
            st = f.stat()
            h.update(f.relative_to(base).as_posix().encode() + b"\0")
            h.update(_hash_cached(str(f), st.st_size, st.st_mtime_ns).encode())
    return h.hexdigest()


def code_fingerprint() -> str:
    """Hash of the library's Python source and the report templates (first 16 hex).

    >>> len(code_fingerprint())
    16
    """
    from clusterix_lib import paths

    return _tree_fingerprint([paths.PACKAGE_DIR, paths.templates_dir()], (".py", ".j2", ".json", ".css"))[:16]


def data_fingerprint(data_dir: str | Path | None = None) -> str:
    """Hash of every file under the data folder (first 16 hex): names and contents.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.csv").write_text("x")
    >>> before = data_fingerprint(d); _ = (d / "a.csv").write_text("y")
    >>> data_fingerprint(d) != before
    True
    """
    from clusterix_lib import paths

    return _tree_fingerprint([Path(data_dir) if data_dir else paths.data_dir()])[:16]


def _param_paths(params: Mapping[str, Any]) -> list[Path]:
    out = []
    for value in params.values():
        if isinstance(value, str) and value and ("/" in value or os.sep in value):
            p = Path(value).expanduser()
            if p.exists():
                out.append(p.resolve())
    return out


def job_inputs(
    notebook: str | Path,
    params: Mapping[str, Any],
    header: Mapping[str, Any],
    *,
    level: str,
    kernel_name: str = "python3",
    code: str | None = None,
    data: str | None = None,
) -> dict[str, Any]:
    """Everything a report's content depends on, as a JSON-able dict (see the module docstring).

    ``code`` and ``data`` are the fingerprints (computed once per batch by the caller; computed
    here when not given).
    """
    import clusterix_lib

    nb = Path(notebook).resolve()
    st = nb.stat()
    return {
        "notebook": nb.name,
        "notebook_sha256": _hash_cached(str(nb), st.st_size, st.st_mtime_ns),
        "params": json.loads(json.dumps(dict(params), sort_keys=True, default=str)),
        "header": json.loads(
            json.dumps({k: v for k, v in header.items() if k not in VOLATILE_HEADER}, sort_keys=True, default=str)
        ),
        "level": level,
        "kernel": kernel_name,
        "version": clusterix_lib.__version__,
        "code": code or code_fingerprint(),
        "data": data or data_fingerprint(),
        "param_files": _tree_fingerprint(_param_paths(params))[:16] if _param_paths(params) else None,
    }


def key_of(inputs: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of :func:`job_inputs`.

    >>> key_of({"a": 1, "b": [1, 2]}) == key_of({"b": [1, 2], "a": 1})
    True
    """
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Manifest:
    """The manifest of one site folder (see the module docstring).

    Use :meth:`load`; :meth:`fresh` says whether a report can be kept, :meth:`record` and
    :meth:`forget` update entries, :meth:`save` writes the file atomically.
    """

    path: Path
    level: str | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Why the file on disk was not used (unreadable, foreign...); None when it was fine or absent.
    problem: str | None = None

    @property
    def site(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        """Read ``path``; a missing file gives an empty manifest, an unreadable one an empty
        manifest with :attr:`problem` set (the caller says so and rebuilds everything)."""
        p = Path(path).resolve()
        if not p.exists():
            return cls(p)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("schema") != SCHEMA:
                raise ValueError(f"not a clusterix manifest of schema {SCHEMA}")
            entries = data.get("entries")
            if not isinstance(entries, dict) or not all(
                isinstance(e, dict) and isinstance(e.get("key"), str) and isinstance(e.get("files"), dict)
                for e in entries.values()
            ):
                raise ValueError("its entries are malformed")
            level = data.get("level")
            return cls(p, level if isinstance(level, str) else None, entries)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return cls(
                p,
                problem=f"the build manifest {p} is unreadable ({type(exc).__name__}: {exc}); "
                f"it is replaced and every report is rebuilt",
            )

    def stem_key(self, output_stem: str | Path) -> str:
        """The entry name of a report: its stem relative to the site folder (POSIX)."""
        stem = Path(output_stem).resolve()
        try:
            return stem.relative_to(self.site).as_posix()
        except ValueError:
            return stem.as_posix()

    def _file_ok(self, rel: str, info: Mapping[str, Any]) -> bool:
        f = self.site / rel
        try:
            st = f.stat()
        except OSError:
            return False
        if st.st_size != info.get("size"):
            return False
        if st.st_mtime_ns == info.get("mtime_ns"):
            return True
        return _hash_cached(str(f), st.st_size, st.st_mtime_ns) == info.get("sha256")

    def fresh(self, output_stem: str | Path, key: str) -> tuple[bool, str]:
        """(True, "") if the report at ``output_stem`` was built from ``key`` and is intact, else
        (False, why)."""
        entry = self.entries.get(self.stem_key(output_stem))
        if entry is None:
            return False, "not built yet"
        if entry.get("key") != key:
            return False, "its notebook, parameters, data or library changed"
        files = entry.get("files") or {}
        if not files:
            return False, "no files recorded"
        for rel, info in files.items():
            if not self._file_ok(rel, info):
                return False, f"{rel} is missing or was changed by hand"
        return True, ""

    def record(self, output_stem: str | Path, key: str, files: list[Path], **info: Any) -> None:
        """Remember a report built from ``key`` with its files (sizes, times, hashes)."""
        recorded = {}
        for f in files:
            f = Path(f).resolve()
            st = f.stat()
            rel = f.relative_to(self.site).as_posix() if f.is_relative_to(self.site) else f.as_posix()
            recorded[rel] = {
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "sha256": _hash_cached(str(f), st.st_size, st.st_mtime_ns),
            }
        self.entries[self.stem_key(output_stem)] = {
            "key": key,
            "files": recorded,
            "recorded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **info,
        }

    def forget(self, output_stem: str | Path) -> None:
        self.entries.pop(self.stem_key(output_stem), None)

    def save(self) -> Path:
        """Write the manifest atomically."""
        from clusterix_lib.fileio import atomic_write_text

        data = {"schema": SCHEMA, "level": self.level, "entries": dict(sorted(self.entries.items()))}
        out = atomic_write_text(self.path, json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n")
        os.chmod(out, 0o644)
        return out


@contextmanager
def build_lock(site: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on a site folder for the length of a build.

    A second build into the same folder at the same time fails at once with a clear message
    instead of interleaving its writes with the first.
    """
    folder = Path(site).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".clusterix-build.lock"
    fh = open(lock, "a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise ClusterixError(
                f"another build is writing to {folder} ({holder})",
                hint="wait for it to finish, or build into another folder with --out",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n")
        fh.flush()
        yield lock
    finally:
        fh.close()
