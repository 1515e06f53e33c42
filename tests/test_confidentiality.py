"""Confidentiality: records carry a level; a public build provably renders no non-public record.

Marked records (a unique marker string per level) are planted in a review-comment file; the same
notebook is built at each level through the real batch runner, and every file of each built site
(HTML, executed notebook, table CSVs, XLSX, JSON sidecars, index) is searched for the markers.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from clusterix_lib import confidentiality
from clusterix_lib.batch import ReportJob, run_batch, write_index
from clusterix_lib.confidentiality import LEVELS, find_leaks, secret_strings, visible
from clusterix_lib.errors import ClusterixError, ParameterError
from clusterix_lib.reporting import report_files

NB_DIR = Path(__file__).parent / "notebooks"
MARKERS = {
    "public": "PUBLIC-7d1e: the host's cluster calls are well known",
    "consortium": "CONSORTIUM-9a4f: draft figures shared with the partners only",
    "restricted": "RESTRICTED-3b8c: reviewer P2 doubts the managing authority's commitment",
}


def _plant(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"author": "P1", "comment": MARKERS["public"], "confidentiality": "public"},
        {"author": "P2", "comment": MARKERS["consortium"], "confidentiality": "Consortium"},
        {"author": "P2", "comment": MARKERS["restricted"], "confidentiality": " restricted "},
        {"author": "P3", "comment": "UNSET-55aa: a comment nobody classified", "confidentiality": ""},
    ]
    path = folder / "comments.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _site_text(folder: Path) -> str:
    """Everything a reader of the site could open, as text (XLSX unzipped)."""
    parts = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        else:
            parts.append(f.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    base = tmp_path_factory.mktemp("conf")
    records = _plant(base / "review")
    out = {}
    for level in LEVELS:
        site = base / f"site-{level}"
        job = ReportJob(
            NB_DIR / "confidential.ipynb",
            {"records": str(records)},
            site / "AT12" / "review_comments",
            "Review comments AT12",
            "AT12",
            "Review comments",
            header={"region": "AT12"},
        )
        (o,) = run_batch([job], workers=1, timeout=120, progress=False, level=level, manifest=site / "manifest.json")
        write_index([o], site / "index.html", level=level)
        out[level] = (o, site)
    return out


@pytest.mark.notebooks
@pytest.mark.parametrize("level", LEVELS)
def test_a_build_shows_exactly_the_records_of_its_level(builds, level):
    o, site = builds[level]
    assert o.ok, o.error
    text = _site_text(site)
    for other, marker in MARKERS.items():
        if LEVELS.index(other) <= LEVELS.index(level):
            assert marker in o.html.read_text(encoding="utf-8"), f"{other} record missing in a {level} build"
        else:
            assert marker not in text, f"a {level} build contains a {other} record"
    # an unclassified record counts as restricted
    assert ("UNSET-55aa" in text) == (level == "restricted")
    assert o.records["level"] == level
    assert o.records["n_shown"] == LEVELS.index(level) + 1 + (level == "restricted")


@pytest.mark.notebooks
def test_public_site_contains_no_non_public_text_at_all(builds):
    _, site = builds["public"]
    text = _site_text(site)
    for secret in secret_strings("public", [site.parent / "review"]):
        assert secret not in text


@pytest.mark.notebooks
@pytest.mark.parametrize("level", LEVELS)
def test_header_and_index_state_the_level(builds, level):
    o, site = builds[level]
    html = o.html.read_text(encoding="utf-8")
    header = html[html.index('<header class="cx-header"') : html.index("</header>")]
    assert f'cx-level-{level}"' in header and f">{level}<" in header
    assert confidentiality.describe(level) in header
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'class="level level-{level}"' in index


@pytest.mark.notebooks
def test_a_report_that_ignores_visible_fails_and_leaves_nothing(tmp_path):
    records = _plant(tmp_path / "review")
    site = tmp_path / "site"
    job = ReportJob(NB_DIR / "leaky.ipynb", {"records": str(records)}, site / "AT12" / "leaky", "Leaky AT12", "AT12")
    (o,) = run_batch([job], workers=1, timeout=120, progress=False, level="public")
    assert o.status == "failed"
    assert "above the public level" in o.error and "comments.csv, line 3, column comment" in o.error
    assert "visible()" in o.error  # what to do
    left = [p for p in site.rglob("*") if p.is_file()]
    assert left == [], left  # not even the failed notebook: it shows the records
    for marker in (MARKERS["consortium"], MARKERS["restricted"]):
        assert marker not in o.error  # the message names where, not what
    # the same notebook is fine in a restricted build
    (o,) = run_batch([job], workers=1, timeout=120, progress=False, level="restricted")
    assert o.ok


@pytest.mark.notebooks
def test_a_consortium_build_cannot_overwrite_a_public_site(builds):
    o, site = builds["public"]
    job = ReportJob(NB_DIR / "trivial.ipynb", {}, site / "AT12" / "trivial", "Trivial", "AT12")
    with pytest.raises(ClusterixError, match="holds a public build; this is a consortium build"):
        run_batch([job], progress=False, level="consortium", manifest=site / "manifest.json")
    assert not (site / "AT12" / "trivial.html").exists()


# --------------------------------------------------------------------------------------
# The library function notebooks call
# --------------------------------------------------------------------------------------


def test_visible_filters_by_the_build_level(monkeypatch):
    df = pd.DataFrame({"x": [1, 2, 3], "confidentiality": ["public", "consortium", "restricted"]})
    monkeypatch.delenv(confidentiality.ENV_VAR, raising=False)
    assert visible(df)["x"].tolist() == [1]
    monkeypatch.setenv(confidentiality.ENV_VAR, "consortium")
    assert visible(df)["x"].tolist() == [1, 2]
    assert visible(df, "public")["x"].tolist() == [1]
    with pytest.raises(ParameterError, match="a consortium build cannot show restricted records"):
        visible(df, "restricted")
    monkeypatch.setenv(confidentiality.ENV_VAR, "restricted")
    assert visible(df)["x"].tolist() == [1, 2, 3]


def test_missing_column_needs_an_explicit_default(monkeypatch):
    monkeypatch.delenv(confidentiality.ENV_VAR, raising=False)
    df = pd.DataFrame({"x": [1]})
    with pytest.raises(ClusterixError, match="review comments have no 'confidentiality' column") as info:
        visible(df, where="review comments")
    assert "default='public'" in str(info.value)
    assert visible(df, default="public")["x"].tolist() == [1]
    assert visible(df, default="consortium").empty


def test_unknown_level_words_are_named_with_their_rows():
    df = pd.DataFrame({"x": [1, 2, 3], "confidentiality": ["public", "secret", "publik"]})
    with pytest.raises(ClusterixError) as info:
        visible(df, "public", where="comments.csv")
    msg = str(info.value)
    assert "'publik'" in msg and "'secret'" in msg and "rows [1, 2]" in msg and "comments.csv" in msg


def test_bad_build_level_in_the_environment(monkeypatch):
    monkeypatch.setenv(confidentiality.ENV_VAR, "open")
    with pytest.raises(ParameterError, match="unknown confidentiality level 'open'.*CLUSTERIX_LEVEL"):
        visible(pd.DataFrame({"confidentiality": ["public"]}))


def test_secret_strings_and_find_leaks(tmp_path):
    records = _plant(tmp_path / "d")
    secrets = secret_strings("public", [records.parent])
    assert set(secrets) == {MARKERS["consortium"], MARKERS["restricted"], "UNSET-55aa: a comment nobody classified"}
    assert secret_strings("restricted", [records.parent]) == {}
    page = tmp_path / "r.html"
    page.write_text("<td>" + MARKERS["restricted"].replace("'", "&#x27;") + "</td>", encoding="utf-8")
    assert find_leaks([page], secrets) == ["r.html shows the non-public record comments.csv, line 4, column comment"]
    page.write_text("<td>" + MARKERS["public"] + "</td>", encoding="utf-8")
    assert find_leaks([page], secrets) == []


# --------------------------------------------------------------------------------------
# The consortium's real record files: loaders, the level rules, and builds of the reports
# --------------------------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data"


def _loaders():
    from clusterix_lib import collaboration, monitoring, recommendations, transferability, trip_feedback
    from clusterix_lib import good_practices as gp
    from clusterix_lib import peer_review as pr
    from clusterix_lib.rubrics import load_rubric

    def register():
        return gp.load_good_practices()

    return {
        "peer_reviews/AT12-2017/scores.csv": pr.load_scores,
        "peer_reviews/AT12-2017/recommendations.csv": recommendations.load_recommendations,
        "trip_feedback/AT12-2017-09/feedback.csv": trip_feedback.load_feedback,
        "gp_transfers.csv": lambda p: transferability.load_transfers(p, register()),
        "gp_assessments.csv": lambda p: transferability.load_assessments(
            p, register(), load_rubric("gp_transferability")
        ),
        "monitoring/action_status.csv": lambda p: monitoring.load_monitoring(p.parent).status,
        "collaborations_clusterix2.csv": lambda p: collaboration.load_programme_records(p).projects,
    }


LOADED = list(_loaders())


def _copy(name: str, tmp_path: Path) -> Path:
    """The data file ``name`` (with its folder, for the monitoring files) copied under tmp_path."""
    import shutil

    src = DATA / name
    if name.startswith("monitoring/"):
        shutil.copytree(src.parent, tmp_path / "monitoring")
        return tmp_path / name
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    return dst


@pytest.mark.parametrize("name", LOADED)
def test_loaders_keep_the_level_and_reject_an_unknown_word(name, tmp_path):
    load = _loaders()[name]
    path = _copy(name, tmp_path)
    table = load(path)
    assert set(table["confidentiality"]) <= set(LEVELS)  # kept, every row classified
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[3, "confidentiality"] = "Secret"
    raw.loc[1, "confidentiality"] = ""  # empty: allowed, counts as restricted
    raw.to_csv(path, index=False)
    with pytest.raises(ClusterixError) as info:
        load(path)
    msg = str(info.value)
    assert path.name in msg and "line 5" in msg and "column 'confidentiality'" in msg and "value 'Secret'" in msg
    assert "public, consortium or restricted" in msg  # what to do
    raw.loc[3, "confidentiality"] = " Public "
    raw.to_csv(path, index=False)
    levels = load(path)["confidentiality"]
    if name != "collaborations_clusterix2.csv":  # there: one level per partnership
        assert levels.iloc[1] == "" and levels.iloc[3] == "public"
        assert visible(load(path), "public", where=name)["confidentiality"].eq("public").all()


def test_a_store_without_the_column_counts_as_restricted(tmp_path):
    from clusterix_lib import peer_review as pr

    path = tmp_path / "scores.csv"
    pd.read_csv(DATA / "peer_reviews/AT12-2017/scores.csv", dtype=str).drop(columns="confidentiality").to_csv(
        path, index=False
    )
    scores = pr.load_scores(path)
    assert (scores["confidentiality"] == "").all() and visible(scores, "public").empty


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


ACCEPTED = ["accepted", "partially", "to study"]


@pytest.mark.parametrize(
    "pattern, rule",
    [
        ("peer_reviews/*/scores.csv", lambda t: t["comment"].str.strip() != ""),
        (
            "peer_reviews/*/recommendations.csv",
            lambda t: ~t["host_response"].isin(["accepted", "partially", "to study"]),
        ),
        ("gp_assessments.csv", lambda t: t["comment"].str.strip() != ""),
        ("gp_transfers.csv", lambda t: ~t["source"].str.contains("http")),
        ("trip_feedback/*/feedback.csv", lambda t: t["text"].str.strip() != ""),
        ("monitoring/action_status.csv", lambda t: t["deviation_reason"].str.strip() != ""),
        ("collaborations_*.csv", lambda t: pd.Series(True, index=t.index)),
    ],
)
def test_the_documented_rule_of_each_record_file(pattern, rule):
    """The level of every row follows the rule written in the folder's README (consortium where the
    rule says so, public otherwise)."""
    files = sorted(DATA.glob(pattern))
    assert files
    for f in files:
        t = _read(str(f.relative_to(DATA)))
        expected = rule(t).map({True: "consortium", False: "public"})
        assert t["confidentiality"].tolist() == expected.tolist(), f


def test_ingestion_gives_free_text_the_consortium_level():
    from clusterix_lib.confidentiality import levels_by_text, text_columns

    rows = pd.DataFrame({"value": [3, 4, None], "comment": ["", "Too many priorities.", "  "]})
    assert levels_by_text(rows, text_columns("scores.csv")).tolist() == ["public", "consortium", "public"]
    assert levels_by_text(rows, ["comment"], with_text="restricted").tolist()[1] == "restricted"
    with pytest.raises(ParameterError):
        levels_by_text(rows, ["comment"], with_text="internal")


def test_redact_keeps_the_numbers_and_empties_the_hidden_text(monkeypatch):
    from clusterix_lib.confidentiality import redact, shown

    monkeypatch.delenv(confidentiality.ENV_VAR, raising=False)
    df = pd.DataFrame(
        {
            "value": [1, 2, 3, 4],
            "comment": ["open", "partners", "", "team"],
            "confidentiality": ["public", "consortium", "consortium", "restricted"],
        }
    )
    out, n, note = redact(df, ["comment"], "reviewer comment")
    assert out["value"].tolist() == [1, 2, 3, 4] and out["comment"].tolist() == ["open", "", "", ""]
    assert (
        n == 2
        and note == "2 reviewer comments are for the consortium or restricted and not shown in this public build."
    )
    assert df["comment"].tolist()[1] == "partners"  # the input is not changed
    monkeypatch.setenv(confidentiality.ENV_VAR, "restricted")
    out, n, note = redact(df, ["comment"], "reviewer comment")
    assert out["comment"].tolist() == df["comment"].tolist() and (n, note) == (0, "")
    monkeypatch.setenv(confidentiality.ENV_VAR, "consortium")
    rows, n, note = shown(df, "record")
    assert rows["value"].tolist() == [1, 2, 3] and n == 1
    assert note == "1 record is restricted to the people who wrote it and not shown in this consortium build."


REAL_REPORTS = [
    ("peer_review", "AT12", {"review": "AT12-2017"}),
    ("good_practice", "AT12", {}),
    ("trip_lessons", "AT12", {"trip": "AT12-2017-09"}),
]


@pytest.fixture(scope="module")
def real_builds(tmp_path_factory):
    """The reports of the default data that show consortium records, built public and consortium."""
    base = tmp_path_factory.mktemp("real")
    out = {}
    for level in ("public", "consortium"):
        jobs = [
            ReportJob(
                Path(__file__).resolve().parents[1] / "notebooks" / f"{nb}.ipynb",
                {"region": region, **params},
                base / level / region / nb,
                f"{nb} {region}",
                region,
            )
            for nb, region, params in REAL_REPORTS
        ]
        out[level] = run_batch(jobs, workers=3, timeout=300, progress=False, level=level)
    return out


def _built_files(outcome) -> list[Path]:
    """Every file of a built report: its pages and the CSV files of its key tables."""
    stem = outcome.html.with_suffix("")
    own = [p for p in stem.parent.rglob("*") if p.is_file() and p.name.startswith(stem.name)]
    return sorted(set(own) | set(report_files(stem)))


@pytest.mark.notebooks
@pytest.mark.parametrize("report", [r[0] for r in REAL_REPORTS])
def test_real_reports_show_consortium_texts_only_in_a_consortium_build(real_builds, report):
    secrets = secret_strings("public")
    assert any("scores.csv" in v for v in secrets.values()) and any("feedback.csv" in v for v in secrets.values())
    i = [r[0] for r in REAL_REPORTS].index(report)
    public, consortium = real_builds["public"][i], real_builds["consortium"][i]
    assert public.ok and consortium.ok, (public.error, consortium.error)
    assert find_leaks(_built_files(public), secrets) == []
    assert "for the consortium only and not shown in this public build" in public.html.read_text(encoding="utf-8")
    # the same report at the consortium level shows them: the search above can fail
    assert find_leaks([consortium.html], secrets), f"{report}: no consortium text in the consortium build"
    if report == "peer_review":  # its recommendations table shows them too: the search of the CSV files can fail
        tables = [p for p in _built_files(consortium) if p.suffix == ".csv"]
        assert tables and find_leaks(tables, secrets), "no consortium text in the consortium build's tables"
    assert "not shown in this" not in consortium.html.read_text(encoding="utf-8")


def test_find_leaks_searches_workbooks(tmp_path):
    import openpyxl

    records = _plant(tmp_path / "d")
    secrets = secret_strings("public", [records.parent])
    book = openpyxl.Workbook()
    book.active.append(["Comment"])
    book.active.append([MARKERS["public"]])
    clean = tmp_path / "clean.xlsx"
    book.save(clean)
    book.active.append([MARKERS["consortium"] + " & more"])  # XML-escaped in the file
    leaky = tmp_path / "leaky.xlsx"
    book.save(leaky)
    assert find_leaks([clean], secrets) == []
    shown = "leaky.xlsx shows the non-public record comments.csv, line 3, column comment"
    assert find_leaks([leaky], secrets) == [shown]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    (found,) = find_leaks([broken], secrets)
    assert found.startswith("broken.xlsx cannot be searched for non-public records: it is not a readable workbook")
    damaged = tmp_path / "damaged.xlsx"  # a real workbook with bytes overwritten inside its parts
    data = bytearray(leaky.read_bytes())
    data[200:1200] = bytes(1000)
    damaged.write_bytes(bytes(data))
    (found,) = find_leaks([damaged], secrets)
    assert found.startswith("damaged.xlsx cannot be searched for non-public records")
