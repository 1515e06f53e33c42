"""Incremental builds: a report is rebuilt only when its notebook, parameters, data or library
changed, or its files are not what the manifest recorded; a corrupted manifest rebuilds all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import clusterix_lib
from clusterix_lib import batch, manifest
from clusterix_lib.batch import ReportJob, run_batch, write_index
from clusterix_lib.errors import ClusterixError
from clusterix_lib.manifest import Manifest, build_lock

NB_DIR = Path(__file__).parent / "notebooks"

pytestmark = pytest.mark.notebooks


@pytest.fixture(autouse=True)
def stable_code(monkeypatch):
    """Colleagues edit clusterix_lib and data/ while tests run; any edit (rightly) makes every report
    stale. The fingerprints themselves are tested below."""
    monkeypatch.setattr(manifest, "code_fingerprint", lambda: "pinned-code")
    monkeypatch.setattr(manifest, "data_fingerprint", lambda data_dir=None: "pinned-data")


def _jobs(site: Path, nb: Path | None = None) -> list[ReportJob]:
    return [
        ReportJob(nb or NB_DIR / "trivial.ipynb", {"region": code}, site / code / "trivial", f"Trivial {code}", code)
        for code in ("AT12", "CZ08")
    ]


def _build(site: Path, jobs=None, notes=None, **kw):
    return run_batch(
        jobs or _jobs(site),
        workers=2,
        timeout=120,
        progress=False,
        manifest=site / "manifest.json",
        notify=(notes.append if notes is not None else None),
        **kw,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    site = tmp_path_factory.mktemp("template") / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(manifest, "code_fingerprint", lambda: "pinned-code")
        mp.setattr(manifest, "data_fingerprint", lambda data_dir=None: "pinned-data")
        first = _build(site)
    assert [o.ok and not o.skipped for o in first] == [True, True]
    return site


@pytest.fixture
def built(template, tmp_path):
    """A fresh copy of a built site (times kept: the manifest still matches)."""
    return Path(shutil.copytree(template, tmp_path / "site"))


def test_nothing_changed_nothing_runs(built, monkeypatch):
    def no_workers(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a report was rebuilt although nothing changed")

    monkeypatch.setattr(batch, "_run_local", no_workers)
    again = _build(built)
    assert [o.skipped for o in again] == [True, True] and all(o.ok for o in again)
    assert again[0].records == {"region": "AT12"}  # read back from the sidecar
    assert batch.summarise(again)[1].startswith("2 reports: 2 ok (2 up to date, not rebuilt)")


def test_force_rebuilds_everything(built):
    again = _build(built, force=True)
    assert [o.skipped for o in again] == [False, False] and all(o.ok for o in again)


def test_report_deleted_by_hand_is_rebuilt_with_a_note(built):
    (built / "CZ08" / "trivial.html").unlink()
    notes: list[str] = []
    again = _build(built, notes=notes)
    assert [o.skipped for o in again] == [True, False]
    assert (built / "CZ08" / "trivial.html").is_file()
    assert notes == ["CZ08/trivial: CZ08/trivial.html is missing or was changed by hand; rebuilding it"]


def test_report_edited_by_hand_is_rebuilt(built):
    page = built / "AT12" / "trivial.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("Trivial report", "Trivial rep0rt"), encoding="utf-8")  # same size
    again = _build(built)
    assert [o.skipped for o in again] == [False, True]
    assert "Trivial report" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "garbage",
    ["{not json", '{"schema": 99}', '{"schema": 1, "entries": []}', "", '{"schema": 1, "entries": {"a": 1}}'],
)
def test_unreadable_manifest_is_set_aside_with_a_reason(tmp_path, garbage):
    (tmp_path / "manifest.json").write_text(garbage, encoding="utf-8")
    m = Manifest.load(tmp_path / "manifest.json")
    assert m.entries == {} and m.problem and "is unreadable" in m.problem and "every report is rebuilt" in m.problem


def test_corrupted_manifest_rebuilds_everything_with_a_clear_message(built):
    (built / "manifest.json").write_text("{not json", encoding="utf-8")
    notes: list[str] = []
    again = _build(built, notes=notes)
    assert [o.skipped for o in again] == [False, False] and all(o.ok for o in again)
    assert len(notes) == 1 and "manifest" in notes[0] and "unreadable" in notes[0] and "rebuilt" in notes[0]
    assert str(built / "manifest.json") in notes[0]
    data = json.loads((built / "manifest.json").read_text(encoding="utf-8"))  # replaced by a good one
    assert sorted(data["entries"]) == ["AT12/trivial", "CZ08/trivial"] and data["level"] == "public"


def test_changed_parameters_notebook_data_or_library_rebuild(built, tmp_path, monkeypatch):
    nb = tmp_path / "trivial.ipynb"  # another copy of the notebook: same name and content, same key
    shutil.copy(NB_DIR / "trivial.ipynb", nb)
    jobs = _jobs(built, nb)
    jobs[1].params = {"region": "CZ03"}  # and other parameters for one report
    assert [o.skipped for o in _build(built, jobs)] == [True, False]
    nb.write_text(nb.read_text(encoding="utf-8").replace("Trivial report", "Trivial report, v2"), encoding="utf-8")

    def run_local(todo, *args):
        raise _Ran([job.title for _, job, _ in todo])

    monkeypatch.setattr(batch, "_run_local", run_local)
    for change in ("notebook", "data", "library"):
        if change == "data":
            monkeypatch.setattr(manifest, "data_fingerprint", lambda data_dir=None: "other-data")
        if change == "library":
            monkeypatch.setattr(clusterix_lib, "__version__", "99.0")
        with pytest.raises(_Ran) as ran:
            _build(built, jobs)
        assert ran.value.args[0] == ["Trivial AT12", "Trivial CZ08"], change


class _Ran(Exception):
    """Raised instead of running reports: which ones would have been rebuilt."""


def test_data_fingerprint_sees_any_file_change(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real fingerprint
    d = tmp_path / "data"
    (d / "peer_reviews" / "X").mkdir(parents=True)
    (d / "a.csv").write_text("x\n1\n")
    first = manifest.data_fingerprint(d)
    (d / "peer_reviews" / "X" / "scores.csv").write_text("v\n1\n")
    second = manifest.data_fingerprint(d)
    (d / "peer_reviews" / "X" / "scores.csv").write_text("v\n2\n")
    assert len({first, second, manifest.data_fingerprint(d)}) == 3


def test_failed_rebuild_never_leaves_the_stale_report(built):
    jobs = _jobs(built, NB_DIR / "raises.ipynb")
    out = _build(built, jobs)
    assert [o.status for o in out] == ["failed", "failed"]
    assert not (built / "AT12" / "trivial.html").exists()  # the old report is gone, not presented as fresh
    assert (built / "AT12" / "trivial.failed.ipynb").is_file()
    assert json.loads((built / "manifest.json").read_text(encoding="utf-8"))["entries"] == {}
    index = write_index(out, built / "index.html").read_text(encoding="utf-8")
    assert 'href="AT12/trivial.html"' not in index and "ValueError: no data for region AT12" in index


def test_second_build_into_the_same_folder_is_refused(built):
    with build_lock(built):
        with pytest.raises(ClusterixError, match="another build is writing to") as info:
            _build(built)
    assert "pid" in str(info.value) and "--out" in str(info.value)


def test_manifest_load_save_round_trip(tmp_path):
    site = tmp_path / "s"
    (site / "A").mkdir(parents=True)
    f = site / "A" / "r.html"
    f.write_text("hello", encoding="utf-8")
    m = Manifest.load(site / "manifest.json")
    assert m.problem is None and m.entries == {}
    m.level = "consortium"
    m.record(site / "A" / "r", "k1", [f], title="R")
    m.save()
    m2 = Manifest.load(site / "manifest.json")
    assert m2.level == "consortium" and m2.fresh(site / "A" / "r", "k1") == (True, "")
    assert m2.fresh(site / "A" / "r", "k2") == (False, "its notebook, parameters, data or library changed")
    assert m2.fresh(site / "B" / "r", "k1") == (False, "not built yet")
    assert [p.name for p in site.iterdir() if p.name.endswith(".tmp")] == []
