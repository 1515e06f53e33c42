"""The ``clusterix`` command: expected errors end in one readable line (exit 2), batches isolate failures.

The report runs here use the real regional-profile notebook on the committed extracts
(a few seconds each); PL91 (Warszawski stołeczny) is a non-partner region, TR10 (İstanbul)
has no SBS figures, so its report fails inside the notebook.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from clusterix_lib import cli

HEADER = "partner_no,organisation,short_name,country,nuts_code,nuts_version\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("clusterix: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_help_names_every_command():
    res = subprocess.run([sys.executable, "-m", "clusterix_lib.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0
    for command in ("data", "report", "reports", "regions"):
        assert f"    {command} " in res.stdout
    assert "clusterix report regional_profile --region" in res.stdout


@pytest.mark.parametrize(
    ("region", "needles"),
    [
        ("XX99", ["XX99 is not a NUTS 2021 code", "nuts_regions.csv"]),
        ("at-12", ["'at-12' is not a NUTS code", "e.g. AT12"]),
        ("FR71", ["NUTS 2013", "FRK2"]),  # an old code: the message gives the NUTS 2021 one
    ],
)
def test_bad_region_is_one_line_exit_2(capsys, tmp_path, region, needles):
    code, out, err = run(capsys, "report", "regional_profile", "--region", region, "--out", str(tmp_path))
    assert code == 2
    assert_one_line_error(err, *needles)
    assert not any(tmp_path.iterdir()), "nothing may be written for a refused report"


@pytest.mark.parametrize(
    ("param", "needles"),
    [
        ("top_n=many", ["top_n", "int", "many"]),
        ("colour=red", ["colour", "top_n"]),  # unknown name: the message lists the known ones
        ("top_n", ["top_n", "NAME=VALUE"]),
    ],
)
def test_bad_parameter_is_one_line_exit_2(capsys, tmp_path, param, needles):
    code, out, err = run(capsys, "report", "regional_profile", "--region", "AT12", "-p", param, "--out", str(tmp_path))
    assert code == 2
    assert_one_line_error(err, *needles)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["peer_review", "--region", "CZ08"], ["'review'", "-p review=VALUE", "for CZ08: CZ08-2018"]),
        (["trip_briefing", "--region", "CZ08"], ["'trip'", "none for CZ08", "AT12-2017-09 (AT12)"]),
    ],
)
def test_missing_key_parameter_lists_the_known_values(capsys, tmp_path, args, needles):
    code, out, err = run(capsys, "report", *args, "--out", str(tmp_path))
    assert code == 2
    assert_one_line_error(err, *needles)
    assert not any(tmp_path.iterdir())


def test_consortium_report_takes_the_notebooks_default_consortium():
    job = cli.report_job("scoreboard", None)
    assert job.params["consortium"] == "consortium_clusterix2"
    assert job.output_stem.name == "scoreboard-consortium_clusterix2"


@pytest.fixture
def captured_jobs(monkeypatch):
    """``clusterix report`` stops after validation and job building: the job is kept, no kernel starts."""
    from clusterix_lib import batch

    jobs = []

    def fake_run_batch(job_list, **kwargs):
        jobs.extend(job_list)
        return [batch.JobOutcome(j, "ok", 0.0) for j in job_list]

    monkeypatch.setattr(batch, "run_batch", fake_run_batch)
    return jobs


@pytest.mark.parametrize("value", ["AT12,CZ08", " AT12 , CZ08", '["AT12", "CZ08"]'])
def test_scoreboard_list_parameter_from_the_command_line(capsys, tmp_path, captured_jobs, value):
    code, out, err = run(capsys, "report", "scoreboard", "-p", f"regions={value}", "--out", str(tmp_path))
    assert code == 0, err
    (job,) = captured_jobs
    assert job.params["regions"] == ["AT12", "CZ08"]
    assert job.output_stem.name == "scoreboard-regions-AT12-CZ08"
    assert job.title == "Innovation scoreboard — regions-AT12-CZ08"
    assert "scoreboard-regions-AT12-CZ08.html" in out


def test_scoreboard_broken_list_parameter_is_one_line_exit_2(capsys, tmp_path, captured_jobs):
    code, out, err = run(capsys, "report", "scoreboard", "-p", "regions=[AT12", "--out", str(tmp_path))
    assert code == 2
    assert_one_line_error(err, "'regions'", "list[str]", "[AT12")
    assert captured_jobs == [] and not any(tmp_path.iterdir())


def test_consortium_reports_of_other_consortia_get_their_own_file(tmp_path, monkeypatch):
    from clusterix_lib import paths

    default = cli.report_job("scoreboard", None, out_dir=tmp_path).output_stem
    assert default == tmp_path / "consortium" / "scoreboard-consortium_clusterix2"
    mine = tmp_path / "mine.csv"
    mine.write_text(HEADER, encoding="utf-8")
    job = cli.report_job("scoreboard", None, {"consortium_file": str(mine)}, out_dir=tmp_path)
    assert job.output_stem == tmp_path / "consortium" / "scoreboard-mine"
    assert job.title == "Innovation scoreboard — mine"
    # another file named like the default consortium: its name plus the hash of its path
    namesake = tmp_path / "consortium_clusterix2.csv"
    namesake.write_text(HEADER, encoding="utf-8")
    job = cli.report_job("scoreboard", None, {"consortium_file": str(namesake)}, out_dir=tmp_path)
    digest = hashlib.sha1(str(namesake.resolve()).encode()).hexdigest()[:8]
    assert job.output_stem.name == f"scoreboard-consortium_clusterix2-{digest}"
    # the default file itself, named explicitly, is the default report
    own = paths.data_dir() / "consortium_clusterix2.csv"
    assert cli.report_job("scoreboard", None, {"consortium_file": str(own)}, out_dir=tmp_path).output_stem == default
    # a list of regions, upper-cased, each once; a long list is shortened with a hash of the sorted codes
    job = cli.report_job("scoreboard", None, {"regions": ["at12", "CZ08", "AT12"]}, out_dir=tmp_path)
    assert job.output_stem.name == "scoreboard-regions-AT12-CZ08"
    many = ["AT11", "AT12", "AT13", "AT21", "AT22", "AT31", "AT32", "AT33", "AT34"]
    digest = hashlib.sha1(",".join(sorted(many)).encode()).hexdigest()[:8]
    job = cli.report_job("scoreboard", None, {"regions": many[::-1]}, out_dir=tmp_path)
    assert job.output_stem.name == f"scoreboard-regions-AT34-and-8-more-{digest}"
    # nothing but letters and digits of a code reaches the file name
    job = cli.report_job("scoreboard", None, {"regions": ["../AT12"]}, out_dir=tmp_path)
    assert job.output_stem.parent == tmp_path / "consortium" and job.output_stem.name == "scoreboard-regions-AT12"
    # the programme dashboard is keyed by consortium too
    job = cli.report_job("programme_dashboard", None, {"consortium_file": str(mine)}, out_dir=tmp_path)
    assert job.output_stem.name == "programme_dashboard-mine"
    # a relative path is the file where the command was typed, not in notebooks/ where the kernel runs
    monkeypatch.chdir(tmp_path)
    job = cli.report_job("scoreboard", None, {"consortium_file": "mine.csv"}, out_dir=tmp_path)
    assert job.params["consortium_file"] == str(mine.resolve()) and job.output_stem.name == "scoreboard-mine"


def test_default_jobs_of_another_consortium_keep_its_name(tmp_path):
    mine = tmp_path / "partners.csv"
    mine.write_text(HEADER + "1,Agency A,A,AT,AT12,2021\n", encoding="utf-8")
    (job,) = cli.default_jobs(mine, ["scoreboard"], out_dir=tmp_path / "site")
    assert job.output_stem.name == "scoreboard-partners" and job.params["consortium_file"] == str(mine.resolve())


def test_missing_data_dir_names_the_file_and_the_fix(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERIX_DATA", str(tmp_path / "nowhere"))
    code, out, err = run(capsys, "regions")
    assert code == 2
    assert_one_line_error(err, "nowhere")


def test_bad_consortium_row_names_file_line_column_value(capsys, tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text(HEADER + "1,Agency A,A,DE,DE21,2021\n2,Agency B,B,PL,PL9X,2021\n", encoding="utf-8")
    code, out, err = run(capsys, "regions", "--consortium", str(p))
    assert code == 2
    assert_one_line_error(err, "mine.csv", "line 3", "nuts_code", "PL9X")


def test_regions_lists_shared_territory_once(capsys):
    code, out, err = run(capsys, "regions")
    assert code == 0
    skane = [line for line in out.splitlines() if "SE224" in line]
    assert len(skane) == 1 and "LU; Region Skåne" in skane[0]
    assert sum(1 for line in out.splitlines()[1:] if line.strip()) == 10


def test_error_without_traceback_from_the_console_script(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "clusterix_lib.cli", "report", "regional_profile", "--region", "XX99"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1


@pytest.mark.notebooks
def test_batch_with_a_failing_report_builds_the_others_and_exits_1(capsys, tmp_path):
    p = tmp_path / "two.csv"
    p.write_text(HEADER + "1,Agency W,W,PL,PL91,2021\n2,Agency I,I,TR,TR10,2021\n", encoding="utf-8")
    out_dir = tmp_path / "site"
    code, out, err = run(capsys, "reports", "--consortium", str(p), "--out", str(out_dir), "--jobs", "2", "--quiet")
    assert code == 1
    assert "FAILED" in out and "TR10" in out and "sbs_r_nuts06_r2" in out
    assert (out_dir / "PL91" / "regional_profile.html").is_file()
    assert not (out_dir / "TR10" / "regional_profile.html").exists()
    assert (out_dir / "TR10" / "regional_profile.failed.ipynb").is_file()
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="PL91/regional_profile.html"' in index
    assert "TR10" in index and "sbs_r_nuts06_r2" in index  # the failure and its reason are on the index
    assert not list(out_dir.rglob("*.tmp"))
    record = json.loads((out_dir / "PL91" / "regional_profile.json").read_text())
    assert "PL91" in json.dumps(record)  # the report's recorded values are written beside it
