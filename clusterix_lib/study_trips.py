"""Study trips as data: one TOML file per trip, checked against the consortium and the good-practice register.

A consortium's trips are the files ``study_trips/<trip id>.toml`` next to its consortium file
(``data/study_trips/`` for the default consortium). A trip names its host partner, the visiting
regions, its dates, the learning objectives (questions of a visiting region, tied to its
policy instrument), the site visits (date, time, organisation, place, contact, purpose, the
good practices shown and the questions prepared) and the participants. The format::

    id = "AT12-2017-09"                   # = the file name without .toml
    title = "..."
    consortium = "consortium_clusterix2.csv"  # optional: the consortium file next to study_trips/
    host_partner = 1                      # partner_no in the consortium: host region and instrument
    visiting_regions = ["RO21", "CZ08"]   # NUTS codes of consortium regions other than the host's
    date_start = 2017-09-19
    date_end = 2017-09-21
    place = "St. Pölten"                  # optional: also organiser, language, logistics, note
    pre_reading = ["...", "..."]          # optional
    illustrative = true                   # invented demonstration content (reports say so)

    [[objectives]]                        # one block per learning objective
    region = "RO21"                       # a visiting region
    question = "How ...?"
    instrument = "..."                    # optional: default the region's main instrument
    action_idea = "..."                   # optional: the draft action-plan idea it serves

    [[site_visits]]
    date = 2017-09-19
    start = "09:30"                       # HH:MM; end optional
    end = "11:00"
    organisation = "ecoplus"
    place = "St. Pölten"
    contact = "..."                       # optional
    purpose = "..."
    practices = ["GP-AT12-cluster-programme"]   # ids of the good-practice register (optional)
    questions = ["...", "..."]            # optional

    [[participants]]
    id = "V01"                            # unique in the trip
    name = "..."
    organisation = "..."
    role = "..."                          # optional: function
    region = "RO21"                       # the host region or a visiting region
    stakeholder_type = "agency"           # see STAKEHOLDER_TYPES
    language = "en"                       # optional; also needs (dietary, access) and consent_publish

Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming the file, the line, the
field (``site_visits[2].practices`` for the second visit) and the value: a practice not in the
register, a region that is no NUTS code or not a visiting region, dates out of order, a visit
outside the trip's dates, a time that ends before it starts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clusterix_lib import nuts
from clusterix_lib.errors import ClusterixError, DataFileError, location
from clusterix_lib.rubrics import _Lines

__all__ = [
    "STAKEHOLDER_LABELS",
    "STAKEHOLDER_TYPES",
    "StudyTrip",
    "agenda",
    "list_trips",
    "load_trip",
    "read_trip_file",
    "stakeholder_legend",
    "trip_sources",
    "trip_targets",
    "trips_dir",
]

#: Stakeholder types of participants (``docs/domain.md`` §6, briefing pack part 7).
STAKEHOLDER_TYPES = (
    "MA/IB",
    "regional authority",
    "agency",
    "cluster organisation",
    "company",
    "research",
    "university",
    "other",
)
#: The stakeholder types whose code a reader may not know, in words.
STAKEHOLDER_LABELS = {"MA/IB": "managing authority or intermediate body of a Structural Funds programme"}


def stakeholder_legend(types) -> str:
    """A sentence explaining the abbreviated stakeholder types among ``types`` ("" if none).

    >>> stakeholder_legend(["agency", "MA/IB", "MA/IB"])
    '*MA/IB*: managing authority or intermediate body of a Structural Funds programme.'
    >>> stakeholder_legend(["agency"])
    ''
    """
    present = [t for t in STAKEHOLDER_LABELS if t in set(types)]
    return "; ".join(f"*{t}*: {STAKEHOLDER_LABELS[t]}" for t in present) + ("." if present else "")


_TOP_REQUIRED = ("id", "title", "host_partner", "visiting_regions", "date_start", "date_end", "site_visits")
_TOP_OPTIONAL = (
    "consortium",
    "place",
    "organiser",
    "language",
    "logistics",
    "pre_reading",
    "illustrative",
    "note",
    "objectives",
    "participants",
)
_BLOCKS = {
    "objectives": (("region", "question"), ("instrument", "action_idea")),
    "site_visits": (
        ("date", "start", "organisation", "place", "purpose"),
        ("end", "contact", "practices", "questions"),
    ),
    "participants": (
        ("id", "name", "organisation", "region", "stakeholder_type"),
        ("role", "language", "needs", "consent_publish"),
    ),
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def trips_dir(consortium_path: str | Path | None = None) -> Path:
    """Folder of a consortium's study trips: ``study_trips/`` next to its consortium file.

    >>> trips_dir().name
    'study_trips'
    """
    from clusterix_lib.consortium import default_consortium_path

    path = Path(consortium_path) if consortium_path else default_consortium_path()
    return path.resolve().parent / "study_trips"


@dataclass(frozen=True)
class StudyTrip:
    """A study trip (one TOML file), checked against its consortium and good-practice register.

    ``objectives`` has columns ``region, region_name, question, instrument, action_idea``;
    ``site_visits`` ``visit, date, start, end, organisation, place, contact, purpose, practices,
    questions`` (lists for the last two); ``participants`` ``participant, name, organisation,
    role, region, side`` (``host`` or ``visitor``) ``, stakeholder_type, language, needs,
    consent_publish``.
    """

    id: str
    title: str
    consortium: Path
    host_partner: int
    host_region: str
    host_region_name: str
    host_organisation: str
    host_short_name: str
    host_instrument: str
    visiting_regions: tuple[str, ...]
    date_start: str
    date_end: str
    objectives: pd.DataFrame = field(repr=False)
    site_visits: pd.DataFrame = field(repr=False)
    participants: pd.DataFrame = field(repr=False)
    place: str = ""
    organiser: str = ""
    language: str = ""
    logistics: str = ""
    pre_reading: tuple[str, ...] = ()
    illustrative: bool = False
    note: str = ""
    path: Path | None = None

    @property
    def practices(self) -> list[str]:
        """Ids of the good practices shown, in agenda order, each once."""
        return list(dict.fromkeys(p for ps in self.site_visits["practices"] for p in ps))

    @property
    def visitors(self) -> pd.DataFrame:
        """The visiting participants."""
        return self.participants[self.participants["side"] == "visitor"].reset_index(drop=True)

    def check_region(self, region: str) -> None:
        """Raise :class:`~clusterix_lib.errors.ParameterError` unless ``region`` is the trip's host region."""
        from clusterix_lib.errors import ParameterError

        if str(region).strip().upper() != self.host_region:
            raise ParameterError(
                f"trip {self.id!r} is hosted by {self.host_region}, not {region}",
                where="parameters region and trip",
                hint=f"use region={self.host_region}, or a trip hosted by {region} (clusterix trip list)",
            )

    @property
    def feedback_dir(self) -> Path:
        """Folder of the trip's feedback store: ``trip_feedback/<id>/`` next to the consortium file."""
        return self.consortium.parent / "trip_feedback" / self.id


def _fail(path: Path, what: str, *, line: int | None = None, column: str | None = None, value: Any = None, hint: str):
    raise DataFileError(what, where=location(path, line=line, column=column, value=value), hint=hint)


def _date(value: Any, path: Path, line: int | None, column: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        _fail(path, f"{column} is not a date", line=line, column=column, value=value, hint="write it as YYYY-MM-DD")
    raise AssertionError  # pragma: no cover


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}? " if close else ""


def read_trip_file(
    path: str | Path,
    consortium: pd.DataFrame | None = None,
    register: pd.DataFrame | None = None,
    *,
    regions: pd.DataFrame | None = None,
) -> StudyTrip:
    """Read and check one trip file (see the module docstring for the format and the checks).

    ``consortium`` and ``register`` default to the consortium named in the file (or the default
    one) and the good-practice register next to it.
    """
    from clusterix_lib.consortium import default_consortium_path, load_consortium
    from clusterix_lib.good_practices import load_good_practices

    path = Path(path).resolve()
    if not path.is_file():
        raise DataFileError(f"study-trip file not found: {path}", hint="trips live in study_trips/<trip id>.toml")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise DataFileError(
            f"study-trip file is not valid TOML: {exc}",
            where=location(path, line=int(m.group(1)) if m else None),
            hint="compare it with data/study_trips/*.toml",
        ) from exc
    top = _Lines(text, block="site_visits")
    lines = {b: _Lines(text, block=b) for b in _BLOCKS}
    allowed = _TOP_REQUIRED + _TOP_OPTIONAL
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            _fail(
                path,
                f"unknown key {key!r}",
                line=top.top(key),
                column=key,
                value=data[key],
                hint=f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}",
            )
    for key in _TOP_REQUIRED:
        if key not in data or data[key] in ("", [], None):
            _fail(path, f"missing key {key!r}", column=key, hint=f"a trip needs {', '.join(_TOP_REQUIRED)}")
    tid = str(data["id"]).strip()
    if tid != path.stem or not _ID.match(tid):
        _fail(
            path,
            f"trip id {tid!r} must equal the file name {path.stem!r}",
            line=top.top("id"),
            column="id",
            value=tid,
            hint="rename the file or the id (letters, digits, '.', '_', '-')",
        )
    cons_name = str(data.get("consortium") or "").strip()
    cons_path = (path.parent.parent / cons_name) if cons_name else default_consortium_path()
    if consortium is None:
        consortium = load_consortium(cons_path, regions=regions)
    if register is None:
        register = load_good_practices(consortium_path=cons_path, regions=regions)
    by_no = consortium.set_index("partner_no")
    region_codes = list(dict.fromkeys(consortium["nuts_code"]))

    host_no = data["host_partner"]
    if isinstance(host_no, bool) or not isinstance(host_no, int) or host_no not in by_no.index:
        _fail(
            path,
            "host_partner is not a partner number of the consortium",
            line=top.top("host_partner"),
            column="host_partner",
            value=host_no,
            hint=f"use one of {', '.join(map(str, by_no.index))} (column partner_no of the consortium file)",
        )
    host = by_no.loc[host_no]
    host_region = str(host["nuts_code"])

    def region_code(value: Any, line: int | None, column: str, allowed: list[str], role: str) -> str:
        try:
            code = nuts.validate_region(str(value), regions=regions)
        except ClusterixError as exc:
            _fail(path, f"unknown region: {exc.what}", line=line, column=column, value=value, hint=exc.hint or "")
        if code not in allowed:
            _fail(
                path,
                f"region {code} is not {role}",
                line=line,
                column=column,
                value=value,
                hint=f"{_suggest(code, allowed)}use one of {', '.join(allowed)}",
            )
        return code

    visiting = data["visiting_regions"]
    if not isinstance(visiting, list) or not visiting:
        _fail(
            path,
            "visiting_regions must be a list of NUTS codes",
            line=top.top("visiting_regions"),
            column="visiting_regions",
            value=visiting,
            hint='write visiting_regions = ["RO21", "CZ08"]',
        )
    others = [c for c in region_codes if c != host_region]
    vis: list[str] = []
    for i, v in enumerate(visiting, 1):
        code = region_code(
            v,
            top.top("visiting_regions"),
            f"visiting_regions[{i}]",
            others,
            f"a visiting region of this consortium (a consortium region other than the host's {host_region})",
        )
        if code in vis:
            _fail(
                path,
                f"region {code} listed twice",
                line=top.top("visiting_regions"),
                column=f"visiting_regions[{i}]",
                value=v,
                hint="name each visiting region once",
            )
        vis.append(code)

    start = _date(data["date_start"], path, top.top("date_start"), "date_start")
    end = _date(data["date_end"], path, top.top("date_end"), "date_end")
    if end < start:
        _fail(
            path,
            f"dates out of order: the trip ends ({end}) before it starts ({start})",
            line=top.top("date_end"),
            column="date_end",
            value=str(end),
            hint="check date_start and date_end",
        )
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        _fail(
            path,
            "illustrative must be true or false",
            line=top.top("illustrative"),
            column="illustrative",
            value=illustrative,
            hint="write illustrative = true for invented content",
        )
    pre = data.get("pre_reading", [])
    if not isinstance(pre, list) or not all(isinstance(p, str) and p.strip() for p in pre):
        _fail(
            path,
            "pre_reading must be a list of texts",
            line=top.top("pre_reading"),
            column="pre_reading",
            value=pre,
            hint='write pre_reading = ["...", "..."]',
        )

    def blocks(name: str) -> list[dict[str, Any]]:
        items = data.get(name, [])
        required, optional = _BLOCKS[name]
        if not isinstance(items, list) or not all(isinstance(b, dict) for b in items):
            _fail(path, f"{name} must be [[{name}]] blocks", column=name, hint=f"one [[{name}]] block per entry")
        for n, item in enumerate(items):
            col = f"{name}[{n + 1}]"
            for key in item:
                if key not in required + optional:
                    close = difflib.get_close_matches(key, required + optional, n=1)
                    _fail(
                        path,
                        f"unknown key {key!r} in {col}",
                        line=lines[name].item(n, key),
                        column=f"{col}.{key}",
                        value=item[key],
                        hint=f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(required + optional)}",
                    )
            for key in required:
                if key not in item or (isinstance(item[key], str) and not item[key].strip()):
                    _fail(
                        path,
                        f"{col} has no {key}",
                        line=lines[name].item(n, key if key in item else None),
                        column=f"{col}.{key}",
                        value=item.get(key),
                        hint=f"every [[{name}]] block needs {', '.join(required)}",
                    )
        return items

    def text_list(item: dict, key: str, line: int | None, col: str) -> list[str]:
        value = item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            _fail(
                path,
                f"{col}.{key} must be a list of texts",
                line=line,
                column=f"{col}.{key}",
                value=value,
                hint=f'write {key} = ["...", "..."]',
            )
        return [" ".join(v.split()) for v in value]

    instruments = consortium.groupby("nuts_code")["main_instrument"].agg(
        lambda s: "; ".join(dict.fromkeys(x for x in s if x))
    )
    objectives = []
    for n, item in enumerate(blocks("objectives")):
        col = f"objectives[{n + 1}]"
        code = region_code(
            item["region"],
            lines["objectives"].item(n, "region"),
            f"{col}.region",
            vis,
            "a visiting region of this trip",
        )
        objectives.append(
            {
                "region": code,
                "region_name": nuts.region_name(code, regions=regions),
                "question": _text(item["question"]),
                "instrument": _text(item.get("instrument")) or instruments.get(code, ""),
                "action_idea": _text(item.get("action_idea")),
            }
        )

    known = list(register["id"])
    visits = []
    for n, item in enumerate(blocks("site_visits")):
        col = f"site_visits[{n + 1}]"
        ln = lines["site_visits"]
        day = _date(item["date"], path, ln.item(n, "date"), f"{col}.date")
        if not start <= day <= end:
            _fail(
                path,
                f"{col} is on {day}, outside the trip's dates {start} to {end}",
                line=ln.item(n, "date"),
                column=f"{col}.date",
                value=str(day),
                hint="correct the visit's date or the trip's date_start/date_end",
            )
        times = {}
        for key in ("start", "end"):
            value = str(item.get(key, "")).strip()
            if key == "end" and not value:
                times[key] = ""
                continue
            if not _TIME.match(value):
                _fail(
                    path,
                    f"{col}.{key} is not a time",
                    line=ln.item(n, key),
                    column=f"{col}.{key}",
                    value=value,
                    hint="write it as HH:MM, e.g. 09:30",
                )
            times[key] = value
        if times["end"] and times["end"] <= times["start"]:
            _fail(
                path,
                f"times out of order: {col} ends ({times['end']}) before it starts ({times['start']})",
                line=ln.item(n, "end"),
                column=f"{col}.end",
                value=times["end"],
                hint="check start and end",
            )
        practices = text_list(item, "practices", ln.item(n, "practices"), col)
        for p in practices:
            if p not in known:
                _fail(
                    path,
                    f"unknown good practice {p!r}",
                    line=ln.item(n, "practices"),
                    column=f"{col}.practices",
                    value=p,
                    hint=f"{_suggest(p, known)}use an id of the good-practice register (good_practices.csv), "
                    "or add the practice there first",
                )
        visits.append(
            {
                "visit": n + 1,
                "date": day.isoformat(),
                "start": times["start"],
                "end": times["end"],
                "organisation": _text(item["organisation"]),
                "place": _text(item["place"]),
                "contact": _text(item.get("contact")),
                "purpose": _text(item["purpose"]),
                "practices": practices,
                "questions": text_list(item, "questions", ln.item(n, "questions"), col),
            }
        )
    site_visits = pd.DataFrame(visits)
    site_visits = site_visits.sort_values(["date", "start", "visit"], kind="stable").reset_index(drop=True)

    people = []
    seen: set[str] = set()
    for n, item in enumerate(blocks("participants")):
        col = f"participants[{n + 1}]"
        ln = lines["participants"]
        pid = str(item["id"]).strip()
        if not _ID.match(pid) or pid in seen:
            _fail(
                path,
                "participant id missing, malformed or used twice",
                line=ln.item(n, "id"),
                column=f"{col}.id",
                value=pid,
                hint="give every participant their own id, e.g. V01",
            )
        seen.add(pid)
        code = region_code(
            item["region"],
            ln.item(n, "region"),
            f"{col}.region",
            [host_region, *vis],
            "the host region or a visiting region of this trip",
        )
        stype = str(item["stakeholder_type"]).strip()
        if stype not in STAKEHOLDER_TYPES:
            _fail(
                path,
                "unknown stakeholder type",
                line=ln.item(n, "stakeholder_type"),
                column=f"{col}.stakeholder_type",
                value=stype,
                hint=f"use one of {', '.join(STAKEHOLDER_TYPES)}",
            )
        consent = item.get("consent_publish", False)
        if not isinstance(consent, bool):
            _fail(
                path,
                "consent_publish must be true or false",
                line=ln.item(n, "consent_publish"),
                column=f"{col}.consent_publish",
                value=consent,
                hint="write consent_publish = false unless agreed",
            )
        people.append(
            {
                "participant": pid,
                "name": _text(item["name"]),
                "organisation": _text(item["organisation"]),
                "role": _text(item.get("role")),
                "region": code,
                "side": "host" if code == host_region else "visitor",
                "stakeholder_type": stype,
                "language": _text(item.get("language")),
                "needs": _text(item.get("needs")),
                "consent_publish": consent,
            }
        )
    pcols = [
        "participant",
        "name",
        "organisation",
        "role",
        "region",
        "side",
        "stakeholder_type",
        "language",
        "needs",
        "consent_publish",
    ]
    return StudyTrip(
        id=tid,
        title=_text(data["title"]),
        consortium=cons_path.resolve(),
        host_partner=int(host_no),
        host_region=host_region,
        host_region_name=str(host["region_name"]),
        host_organisation=str(host["organisation"]),
        host_short_name=str(host["short_name"] or host["organisation"]),
        host_instrument=str(host.get("main_instrument") or ""),
        visiting_regions=tuple(vis),
        date_start=start.isoformat(),
        date_end=end.isoformat(),
        objectives=pd.DataFrame(objectives, columns=["region", "region_name", "question", "instrument", "action_idea"]),
        site_visits=site_visits,
        participants=pd.DataFrame(people, columns=pcols),
        place=_text(data.get("place")),
        organiser=_text(data.get("organiser")),
        language=_text(data.get("language")),
        logistics=" ".join(str(data.get("logistics") or "").split()),
        pre_reading=tuple(" ".join(p.split()) for p in pre),
        illustrative=illustrative,
        note=_text(data.get("note")),
        path=path,
    )


def _trip_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def list_trips(consortium_path: str | Path | None = None, *, folder: str | Path | None = None) -> pd.DataFrame:
    """The study trips of a consortium: ``trip, region, host, date_start, date_end, visiting,
    n_site_visits, n_participants, n_practices, illustrative, file``, by date.

    Trips are the ``study_trips/*.toml`` next to the consortium file whose ``consortium`` key
    names that file (or is absent, for the default consortium). Every file is checked.

    >>> list_trips()["trip"].tolist()
    ['AT12-2017-09', 'RO32-2017-11', 'DK03-2018-10']
    """
    from clusterix_lib.consortium import default_consortium_path, load_consortium
    from clusterix_lib.good_practices import load_good_practices

    cpath = Path(consortium_path).resolve() if consortium_path else default_consortium_path().resolve()
    base = Path(folder) if folder else trips_dir(cpath)
    consortium = register = None
    rows = []
    for f in _trip_files(base):
        try:
            named = tomllib.loads(f.read_text(encoding="utf-8")).get("consortium") or default_consortium_path().name
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            read_trip_file(f)  # raises the DataFileError naming the file and line
            raise  # pragma: no cover
        if (f.parent.parent / str(named)).resolve() != cpath:
            continue
        if consortium is None:
            consortium = load_consortium(cpath)
            register = load_good_practices(consortium_path=cpath)
        t = read_trip_file(f, consortium, register)
        rows.append(
            {
                "trip": t.id,
                "region": t.host_region,
                "host": t.host_short_name,
                "date_start": t.date_start,
                "date_end": t.date_end,
                "visiting": ", ".join(t.visiting_regions),
                "n_site_visits": len(t.site_visits),
                "n_participants": len(t.participants),
                "n_practices": len(t.practices),
                "illustrative": t.illustrative,
                "file": str(f),
            }
        )
    cols = [
        "trip",
        "region",
        "host",
        "date_start",
        "date_end",
        "visiting",
        "n_site_visits",
        "n_participants",
        "n_practices",
        "illustrative",
        "file",
    ]
    return pd.DataFrame(rows, columns=cols).sort_values(["date_start", "trip"], ignore_index=True)


def load_trip(trip: str, *, consortium_path: str | Path | None = None, folder: str | Path | None = None) -> StudyTrip:
    """Load a trip by id from the consortium's ``study_trips`` folder (or from ``folder``).

    >>> t = load_trip("AT12-2017-09")
    >>> t.host_region, t.visiting_regions[:2], t.illustrative
    ('AT12', ('RO21', 'RO32'), True)
    """
    base = Path(folder) if folder else trips_dir(consortium_path)
    path = base / f"{trip}.toml"
    if not path.is_file():
        known = [p.stem for p in _trip_files(base)]
        raise DataFileError(
            f"unknown study trip {trip!r}",
            where=str(base),
            hint=f"{_suggest(str(trip), known)}known trips: {', '.join(known) or 'none'} (clusterix trip list)",
        )
    return read_trip_file(path)


def trip_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """Default trip reports of a consortium: one per trip, ``{"region": host, "trip": id}``.

    For a consortium file other than the default, ``trips_dir`` is added so the notebook reads
    that consortium's trips.

    >>> trip_targets()[0]
    {'region': 'AT12', 'trip': 'AT12-2017-09'}
    """
    from clusterix_lib.consortium import default_consortium_path

    extra: dict[str, Any] = {}
    if consortium_path and Path(consortium_path).resolve() != default_consortium_path().resolve():
        extra["trips_dir"] = str(trips_dir(consortium_path))
    return [{"region": r.region, "trip": r.trip, **extra} for r in list_trips(consortium_path).itertuples()]


def agenda(trip: StudyTrip, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """The agenda as a table: ``date, time, organisation, place, contact, purpose, practices,
    questions`` (practices as ``id: title`` text when a register is given)."""
    v = trip.site_visits
    titles = dict(zip(register["id"], register["title"], strict=True)) if register is not None else {}
    return pd.DataFrame(
        {
            "date": v["date"],
            "time": v["start"] + v["end"].map(lambda e: f"–{e}" if e else ""),
            "organisation": v["organisation"],
            "place": v["place"],
            "contact": v["contact"],
            "purpose": v["purpose"],
            "practices": v["practices"].map(
                lambda ps: "; ".join(f"{p}: {titles[p]}" if p in titles else p for p in ps)
            ),
            "questions": v["questions"].map(lambda qs: " · ".join(qs)),
        }
    )


def trip_sources(trip: StudyTrip) -> list[dict[str, Any]]:
    """The trip record as a source for a report footer (marked illustrative where it is)."""
    label = "illustrative, invented for demonstration" if trip.illustrative else "consortium records"
    return [
        {
            "code": trip.id,
            "title": f"Study-trip record {trip.id} ({label})",
            "publisher": trip.host_organisation,
        }
    ]
