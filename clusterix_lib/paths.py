"""Where things live: the embedded data, the notebooks, the templates, the build output.

Every path is absolute (papermill changes the working directory; relative paths break).
Environment variables override the repository defaults:

``CLUSTERIX_DATA``    folder of the embedded extracts (default ``<repo>/data``)
``CLUSTERIX_BUILD``   build output (default ``<repo>/build``)
``CLUSTERIX_SHARED``  folder of raw public files (default ``<repo>/../shared/data`` if present)
``CLUSTERIX_CACHE``   download cache for the Eurostat API (default ``<build>/cache``)
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Folder of the embedded default data (``data/``)."""
    return _env_path("CLUSTERIX_DATA", REPO_ROOT / "data")


def build_dir() -> Path:
    """Folder for generated output (``build/``, never committed)."""
    return _env_path("CLUSTERIX_BUILD", REPO_ROOT / "build")


def reports_dir() -> Path:
    """Folder of the rendered reports and their index (``build/reports``)."""
    return build_dir() / "reports"


def cache_dir() -> Path:
    """Download cache for the Eurostat API."""
    return _env_path("CLUSTERIX_CACHE", build_dir() / "cache")


def notebooks_dir() -> Path:
    """Folder of the report notebooks."""
    return REPO_ROOT / "notebooks"


def templates_dir() -> Path:
    """Folder holding our nbconvert templates (``templates/``)."""
    return REPO_ROOT / "templates"


def shared_data_dir() -> Path | None:
    """Folder of the raw public files (``../shared/data``), or None where it does not exist."""
    value = os.environ.get("CLUSTERIX_SHARED")
    path = Path(value).expanduser().resolve() if value else (REPO_ROOT.parent / "shared" / "data")
    return path if path.is_dir() else None
