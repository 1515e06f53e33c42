"""The ``clusterix reports`` / ``report`` options of issue 9: --level, --force, --scheduler, --all-nuts2."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from clusterix_lib import cli, paths


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_site_folder_per_level(tmp_path):
    ns = argparse.Namespace
    assert cli._site_dir(ns(out=None, level="public")) == paths.reports_dir()
    assert cli._site_dir(ns(out=None, level="consortium")) == paths.build_dir() / "reports-consortium"
    assert cli._site_dir(ns(out=str(tmp_path), level="restricted")) == tmp_path.resolve()


def test_all_nuts2_is_every_eu_nuts2_region_once():
    jobs = cli.nuts2_jobs(["regional_profile"], out_dir=Path("/tmp/x"), with_statistics=False)
    codes = [j.header["region"] for j in jobs]
    assert len(codes) == len(set(codes)) == 242
    assert all(len(c) == 4 and not c.endswith("ZZ") for c in codes)
    assert {"AT12", "CZ08", "SE22", "FRK2", "FRY5"} <= set(codes)
    notes: list[str] = []
    jobs = cli.nuts2_jobs(["regional_profile"], out_dir=Path("/tmp/x"), notify=notes.append)
    with_stats = {j.header["region"] for j in jobs}
    assert "FRY5" not in with_stats and "AT12" in with_stats  # Mayotte: no employment figures
    assert len(notes) == 1 and "FRY5" in notes[0] and f"{242 - len(with_stats)} NUTS 2 region(s)" in notes[0]


def test_all_nuts2_needs_a_region_based_report_type(capsys):
    if not any(r.region_param is None or r.key_param for r in cli.REPORT_TYPES.values()):
        pytest.skip("no consortium-wide or per-event report type registered")
    other = next(n for n, r in cli.REPORT_TYPES.items() if r.region_param is None or r.key_param)
    code, _, err = run(capsys, "reports", "--all-nuts2", "--reports", other)
    assert code == 2 and "none of the chosen report types is about one region" in err


def test_unreachable_scheduler_is_one_line_exit_2(capsys, tmp_path, monkeypatch):
    from clusterix_lib import dask_runner

    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT", 2.0)
    code, _, err = run(
        capsys,
        "reports",
        "--reports",
        "regional_profile",
        "--region",
        "AT12",
        "--out",
        str(tmp_path),
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--quiet",
    )
    assert code == 2 and err.count("\n") == 1
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err and "What to do" in err
    assert not (tmp_path / "AT12").exists()


@pytest.mark.notebooks
def test_second_build_is_up_to_date_and_force_rebuilds(capsys, tmp_path, monkeypatch):
    from clusterix_lib import manifest

    monkeypatch.setattr(manifest, "code_fingerprint", lambda: "pinned")  # colleagues edit the library meanwhile
    monkeypatch.setattr(manifest, "data_fingerprint", lambda data_dir=None: "pinned")
    args = ("reports", "--reports", "regional_profile", "--region", "CZ08", "--out", str(tmp_path), "--quiet")
    code, out, _ = run(capsys, *args, "--level", "consortium")
    assert code == 0 and out.startswith("1 report: 1 ok, 0 failed")
    page = (tmp_path / "CZ08" / "regional_profile.html").read_text(encoding="utf-8")
    assert "cx-level-consortium" in page
    assert (tmp_path / "CZ08" / "regional_profile.xlsx").is_file()  # key tables as downloads
    code, out, _ = run(capsys, *args, "--level", "consortium")
    assert code == 0 and "1 up to date, not rebuilt" in out
    code, _, err = run(capsys, *args)  # a public build into the consortium folder
    assert code == 2 and "holds a consortium build; this is a public build" in err
    code, out, _ = run(capsys, *args, "--level", "consortium", "--force")
    assert code == 0 and "up to date" not in out
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="CZ08/regional_profile.html"' in index and "level-consortium" in index
    assert json.loads((tmp_path / "manifest.json").read_text())["level"] == "consortium"
