"""Rubrics as data: the committed rubric files, adding a rubric by adding a file, and every
validation error naming file, line, key and value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusterix_lib.errors import DataFileError
from clusterix_lib.rubrics import list_rubrics, load_rubric, read_rubric_file

TINY = """\
id = "tiny"
name = "Tiny rubric"
version = "1"
scale_min = 1
scale_max = 3
allows_na = true
dimensions = ["A", "B"]

[anchors]
1 = "low"
2 = "middle"
3 = "high"

[[criteria]]
id = "C1"
dimension = "A"
text = "First criterion."
weight = 2

[[criteria]]
id = "C2"
dimension = "B"
text = "Second criterion."
"""


def write(folder: Path, text: str, name: str = "tiny") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ris3_wheel_is_six_steps_by_three_factors():
    r = load_rubric("ris3_wheel")
    assert r.scale == (0, 1, 2, 3, 4, 5) and r.no_information == 0 and not r.allows_na
    assert r.anchors[0] == "no information available" and r.anchors[5] == "excellent"
    assert r.anchors == {
        0: "no information available",
        1: "poor",
        2: "to be improved",
        3: "fair",
        4: "strong",
        5: "excellent",
    }
    assert len(r.dimensions) == 6 and len(r.criteria) == 18
    assert r.criteria.groupby("dimension").size().eq(3).all()
    assert r.dimensions[0] == "Analysis of regional context" and r.dimensions[-1] == "Monitoring and evaluation"
    assert r.scored_scale == (1, 2, 3, 4, 5)
    assert r.entries() == ["0", "1", "2", "3", "4", "5"]  # no NA: 0 is "no information"


def test_cluster_policy_maturity_allows_na():
    r = load_rubric("cluster_policy_maturity")
    assert r.scale == (1, 2, 3, 4, 5) and r.allows_na and r.no_information is None
    assert len(r.criteria) == 9 and r.aggregation == "median"
    assert r.anchors[1] == "not in place" and r.anchors[5].startswith("implemented, monitored")
    assert r.entries()[-1] == "NA"


def test_transferability_has_weights_and_own_anchors():
    r = load_rubric("gp_transferability")
    assert r.aggregation == "weighted mean"
    crit = r.criteria.set_index("criterion")
    assert crit.at["T1", "weight"] == 1.5 and crit.at["T3", "weight"] == 1.0
    assert r.anchor(1, "T4") == "legally impossible"  # the criterion's own anchor
    assert r.anchor(1) == "very low"  # the rubric's


def test_a_user_adds_a_rubric_by_adding_a_file(tmp_path):
    write(tmp_path, TINY)
    table = list_rubrics([tmp_path])
    assert table["rubric"].tolist() == ["tiny"] and table.loc[0, "n_criteria"] == 2
    r = load_rubric("tiny", dirs=[tmp_path])
    assert r.criterion_ids == ["C1", "C2"] and r.dimensions == ("A", "B")
    assert r.criteria["weight"].tolist() == [2.0, 1.0]
    assert load_rubric(tmp_path / "tiny.toml").id == "tiny"  # by path too


def test_unknown_rubric_and_wrong_version(tmp_path):
    write(tmp_path, TINY)
    with pytest.raises(DataFileError, match="did you mean 'tiny'"):
        load_rubric("tinny", dirs=[tmp_path])
    with pytest.raises(DataFileError, match="version '1', not '2'"):
        load_rubric("tiny", version="2", dirs=[tmp_path])


def test_fingerprint_follows_criterion_texts(tmp_path):
    a = read_rubric_file(write(tmp_path, TINY))
    b = read_rubric_file(write(tmp_path, TINY.replace("First criterion.", "First criterion, edited.")))
    c = read_rubric_file(write(tmp_path, TINY.replace('text = "Second', 'guidance = "help"\ntext = "Second')))
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == c.fingerprint()  # guidance is not part of what reviewers score


BAD = [
    # (replace, by, expected fragments: message, line, key)
    ('id = "tiny"', 'id = "other"', ["differs from the file name", "line 1", "'id'"]),
    ("scale_max = 3", "scale_max = 1", ["scale_min must be below scale_max", "line 5", "'scale_max'"]),
    ("scale_max = 3", 'scale_max = "3"', ["scale_max must be a whole number", "line 5"]),
    ("allows_na = true", 'allows_na = "yes"', ["allows_na must be true or false", "line 6"]),
    ('3 = "high"', '4 = "high"', ["anchor 4 is outside the scale 1..3", "line 12", "'anchors'"]),
    ('3 = "high"\n', "", ["no anchor for scale point(s) 3", "'anchors'"]),
    ('2 = "middle"', '2 = ""', ["anchor 2 has no label", "line 11"]),
    ('id = "C2"', 'id = "C1"', ["criterion id 'C1' used twice", "line 21", "criteria[2].id"]),
    (
        'dimension = "B"',
        'dimension = "Z"',
        ["dimension 'Z' is not in the dimensions list", "line 22", "criteria[2].dimension"],
    ),
    ("weight = 2", "weight = 0", ["weight must be a positive number", "line 18", "criteria[1].weight"]),
    (
        'text = "Second criterion."',
        'txt = "Second criterion."',
        ["unknown key 'txt'", "did you mean 'text'", "line 23"],
    ),
    ('name = "Tiny rubric"', 'nmae = "Tiny rubric"', ["unknown key 'nmae'", "did you mean 'name'", "line 2"]),
    ('version = "1"\n', "", ["missing key 'version'"]),
    ("allows_na = true", "allows_na = true\nno_information = 9", ["no_information must be a scale point", "line 7"]),
    ('id = "C1"', 'id = "C 1"', ["criterion id may hold only", "criteria[1].id"]),
    ("[anchors]", "[anchors", ["not valid TOML", "line 9"]),
]


@pytest.mark.parametrize(("old", "new", "fragments"), BAD, ids=[b[2][0][:30] for b in BAD])
def test_invalid_rubric_names_file_line_and_key(tmp_path, old, new, fragments):
    assert old in TINY
    path = write(tmp_path, TINY.replace(old, new, 1))
    with pytest.raises(DataFileError) as info:
        read_rubric_file(path)
    msg = str(info.value)
    assert "tiny.toml" in msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)


def test_line_numbers_point_at_the_key(tmp_path):
    """The line named in the message holds the offending key (checked for every criterion key)."""
    text = TINY.replace('dimension = "B"', 'dimension = "Q"')
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as info:
        read_rubric_file(path)
    line = int(re.search(r"line (\d+)", str(info.value)).group(1))
    assert text.splitlines()[line - 1].startswith('dimension = "Q"')
