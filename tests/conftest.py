"""Shared fixtures. Tests that need the raw public files are marked ``shared`` and skip without them."""

from __future__ import annotations

import pytest

from clusterix_lib import paths


@pytest.fixture(scope="session")
def shared_dir():
    """The raw public files (``../shared/data``); skips the test where they are absent."""
    d = paths.shared_data_dir()
    if d is None:
        pytest.skip("needs the raw public files in ../shared/data (or $CLUSTERIX_SHARED); not present here")
    return d


def pytest_collection_modifyitems(config, items):
    # a test marked `shared` skips cleanly on an analyst's machine without ../shared
    if paths.shared_data_dir() is not None:
        return
    skip = pytest.mark.skip(reason="needs the raw public files in ../shared/data (or $CLUSTERIX_SHARED); not present")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)
