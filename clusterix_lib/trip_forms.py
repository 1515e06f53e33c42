"""Study-trip feedback forms: one Excel workbook per visitor, written and read back like the peer-review forms.

Each workbook has an ``Instructions`` sheet, then one sheet per part of the feedback
(:mod:`clusterix_lib.trip_feedback`): ``Practices`` (per good practice shown: interest, rated
transferability and intent to act, a transfer idea and its instrument), ``Trip`` (rubric R8),
``Capacity`` (rubric R7, before and after), ``Insights`` and ``Follow-ups``; and a very hidden
``_meta`` sheet naming the trip, the participant, their region and the practices of the form.
Fixed cells are locked, answer cells validated (drop-down lists for yes/no, 1-5, themes and
practices).

Reading back (:func:`ingest_feedback`) follows the rules of :mod:`clusterix_lib.workbooks`:
every answer is stored or listed in a rejection report with file, sheet, cell and reason (a
rating outside 1-5, text in a rating cell, a before without an after, an insight without a theme,
a follow-up without owner or due date, a practice not shown on the trip, a locked cell edited, a
workbook of another trip or participant); a file is stored whole or not at all; the same file
again changes nothing; a second file from the same participant is a conflict unless ``replace``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from clusterix_lib import __version__, paths
from clusterix_lib.confidentiality import levels_by_text, text_columns
from clusterix_lib.errors import ParameterError
from clusterix_lib.fileio import atomic_write_text
from clusterix_lib.good_practices import THEMES
from clusterix_lib.study_trips import StudyTrip
from clusterix_lib.trip_feedback import (
    CAPACITY_ITEMS,
    EVENT_ITEMS,
    FEEDBACK_COLUMNS,
    RATING_ANCHORS,
    empty_feedback,
    feedback_path,
    load_feedback,
    write_feedback,
)
from clusterix_lib.workbooks import (
    BOLD,
    FileRead,
    cell_text,
    clip,
    file_sha256,
    input_cell,
    list_validation,
    locked_cell,
    open_form,
    parse_rating,
    rejection_table,
    save_form,
    set_widths,
    store_files,
    write_key_values,
    write_meta,
)

__all__ = [
    "FORM_KIND",
    "META_KEYS",
    "META_SHEET",
    "N_FOLLOW_UPS",
    "N_INSIGHTS",
    "REJECTION_COLUMNS",
    "SHEETS",
    "FeedbackIngestResult",
    "form_filename",
    "forms_dir",
    "ingest_feedback",
    "read_feedback_file",
    "rejections_path",
    "write_feedback_form",
    "write_feedback_forms",
]

FORM_KIND = "clusterix trip feedback form"
FORM_VERSION = "1"
META_SHEET = "_meta"
META_KEYS = ("form", "form_version", "trip", "participant", "region", "practices", "clusterix_version")
#: Sheet names, in workbook order (after Instructions).
SHEETS = {
    "practices": "Practices",
    "event": "Trip",
    "capacity": "Capacity",
    "insights": "Insights",
    "follow_ups": "Follow-ups",
}
N_INSIGHTS = 5
N_FOLLOW_UPS = 5
REJECTION_COLUMNS = ("file", "sheet", "cell", "participant", "section", "item", "value", "reason")
#: Columns of the Practices sheet.
PRACTICE_COLS = {
    "id": "A",
    "title": "B",
    "shown": "C",
    "interest": "D",
    "transferability": "E",
    "intent_to_act": "F",
    "transfer_idea": "G",
    "instrument": "H",
}
FOLLOW_COLS = {"no": "A", "action": "B", "practice": "C", "instrument": "D", "owner": "E", "due": "F"}
INSIGHT_COLS = {"no": "A", "theme": "B", "text": "C", "practice": "D"}
_YES, _NO = ("yes", "y", "true", "1", "ja", "oui"), ("no", "n", "false", "0", "nein", "non")
_DUE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_RATINGS = [str(v) for v in RATING_ANCHORS]


def forms_dir(trip: str) -> Path:
    """Default output folder of a trip's forms: ``build/trip_feedback/<trip>/forms``."""
    return paths.build_dir() / "trip_feedback" / trip / "forms"


def rejections_path(trip: str) -> Path:
    """Default rejection report: ``build/trip_feedback/<trip>/rejections.csv``."""
    return paths.build_dir() / "trip_feedback" / trip / "rejections.csv"


def form_filename(trip: str, participant: str) -> str:
    """``<trip>_<participant>.xlsx``.

    >>> form_filename("AT12-2017-09", "V01")
    'AT12-2017-09_V01.xlsx'
    """
    return f"{trip}_{participant}.xlsx"


def _practice_titles(trip: StudyTrip, register: pd.DataFrame | None) -> dict[str, str]:
    if register is None:
        from clusterix_lib.good_practices import load_good_practices

        register = load_good_practices(consortium_path=trip.consortium)
    return dict(zip(register["id"], register["title"], strict=True))


def _shown_at(trip: StudyTrip) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    for v in trip.site_visits.itertuples():
        for p in v.practices:
            out.setdefault(p, []).append(f"{v.date} {v.organisation}")
    return {p: "; ".join(w) for p, w in out.items()}


def _header(ws, titles: list[str], widths: dict[str, float]) -> None:
    ws.append(titles)
    for c in ws[1]:
        c.font = BOLD
    set_widths(ws, widths)
    ws.freeze_panes = "A2"


def _protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def write_feedback_form(
    trip: StudyTrip, participant: str, path: str | Path, *, register: pd.DataFrame | None = None
) -> Path:
    """Write one visitor's feedback form (atomically) and return its path.

    Raises :class:`~clusterix_lib.errors.ParameterError` if ``participant`` is not a visiting
    participant of the trip.
    """
    vis = trip.visitors.set_index("participant")
    if participant not in vis.index:
        raise ParameterError(
            f"{participant!r} is not a visiting participant of trip {trip.id}",
            hint=f"visitors: {', '.join(vis.index)}",
        )
    person = vis.loc[participant]
    titles = _practice_titles(trip, register)
    shown = _shown_at(trip)
    practices = trip.practices
    wb = Workbook()
    write_key_values(
        wb.active,
        [
            ("Study-trip feedback form", ""),
            ("Trip", f"{trip.id}: {trip.title}"),
            ("Host", f"{trip.host_organisation} ({trip.host_region})"),
            ("Dates", f"{trip.date_start} to {trip.date_end}" + (f", {trip.place}" if trip.place else "")),
            ("This form is for", f"{participant}: {person['name']}, {person['organisation']} ({person['region']})"),
            (
                "Practices",
                "For each good practice shown: are you interested (yes/no)? How transferable is it to your region, "
                "and how likely are you to act on it (1 = very low ... 5 = very high, NA = cannot judge)? Describe "
                "your transfer idea and the policy instrument it would use.",
            ),
            ("Trip", "Rate the trip itself from 1 (very low) to 5 (very high)."),
            (
                "Capacity",
                "Rate yourself twice on each item: as you were before the trip and as you are now (1 to 5).",
            ),
            ("Insights", f"Up to {N_INSIGHTS} insights, each with a theme from the list."),
            (
                "Follow-ups",
                f"Up to {N_FOLLOW_UPS} follow-up actions, each with an owner and a due date (YYYY-MM or YYYY-MM-DD).",
            ),
            (
                "Do not",
                "rename sheets, add or delete rows, or edit the grey cells: the form is read back automatically.",
            ),
            ("Return", "Save the file (keep the .xlsx format and the file name) and send it to the organiser."),
        ],
    )
    wb.active.title = "Instructions"

    ws = wb.create_sheet(SHEETS["practices"])
    _header(
        ws,
        [
            "Id",
            "Good practice",
            "Shown at",
            "Interested? (yes/no)",
            "Transferability to my region (1-5)",
            "Intention to act (1-5)",
            "Transfer idea: what would you do?",
            "For which policy instrument?",
        ],
        {"A": 30, "B": 40, "C": 30, "D": 12, "E": 14, "F": 12, "G": 50, "H": 30},
    )
    for i, p in enumerate(practices):
        r = 2 + i
        for key, value in (("id", p), ("title", titles.get(p, p)), ("shown", shown.get(p, ""))):
            locked_cell(ws[f"{PRACTICE_COLS[key]}{r}"], value)
        for key in ("interest", "transferability", "intent_to_act", "transfer_idea", "instrument"):
            input_cell(ws[f"{PRACTICE_COLS[key]}{r}"])
    if practices:
        last = 1 + len(practices)
        list_validation(ws, ["yes", "no"], f"D2:D{last}", title="Interested?", prompt="yes or no")
        list_validation(
            ws, [*_RATINGS, "NA"], f"E2:F{last}", title="Rating", prompt="1 (very low) to 5 (very high), or NA"
        )
    _protect(ws)

    for key, items, cols in (
        ("event", EVENT_ITEMS, ["Id", "Question", "Rating (1-5)"]),
        ("capacity", CAPACITY_ITEMS, ["Id", "Item", "Before the trip (1-5)", "After the trip (1-5)"]),
    ):
        ws = wb.create_sheet(SHEETS[key])
        _header(ws, cols, {"A": 8, "B": 60, "C": 16, "D": 16})
        for i, (item, text) in enumerate(items.items()):
            r = 2 + i
            locked_cell(ws[f"A{r}"], item)
            locked_cell(ws[f"B{r}"], text)
            for c in "CD"[: len(cols) - 2]:
                input_cell(ws[f"{c}{r}"])
        last_col = "C" if key == "event" else "D"
        list_validation(ws, _RATINGS, f"C2:{last_col}{1 + len(items)}", title="Rating", prompt="1 to 5")
        _protect(ws)

    ws = wb.create_sheet(SHEETS["insights"])
    _header(ws, ["No", "Theme", "Insight", "From practice (optional)"], {"A": 6, "B": 28, "C": 80, "D": 30})
    for i in range(N_INSIGHTS):
        locked_cell(ws[f"A{2 + i}"], i + 1)
        for c in "BCD":
            input_cell(ws[f"{c}{2 + i}"])
    list_validation(ws, list(THEMES), f"B2:B{1 + N_INSIGHTS}", title="Theme", prompt="choose a theme")
    if practices:
        list_validation(ws, practices, f"D2:D{1 + N_INSIGHTS}", title="Practice", prompt="a practice of the trip")
    _protect(ws)

    ws = wb.create_sheet(SHEETS["follow_ups"])
    _header(
        ws,
        ["No", "Action", "Practice (optional)", "Policy instrument (optional)", "Owner", "Due (YYYY-MM)"],
        {"A": 6, "B": 60, "C": 30, "D": 30, "E": 24, "F": 14},
    )
    for i in range(N_FOLLOW_UPS):
        locked_cell(ws[f"A{2 + i}"], i + 1)
        for c in "BCDEF":
            input_cell(ws[f"{c}{2 + i}"])
        ws[f"F{2 + i}"].number_format = "@"
    if practices:
        list_validation(ws, practices, f"C2:C{1 + N_FOLLOW_UPS}", title="Practice", prompt="a practice of the trip")
    _protect(ws)

    write_meta(
        wb.create_sheet(META_SHEET),
        META_KEYS,
        {
            "form": FORM_KIND,
            "form_version": FORM_VERSION,
            "trip": trip.id,
            "participant": participant,
            "region": person["region"],
            "practices": ";".join(practices),
            "clusterix_version": __version__,
        },
    )
    return save_form(wb, path, active=SHEETS["practices"])


def write_feedback_forms(
    trip: StudyTrip, out_dir: str | Path | None = None, *, participants: list[str] | None = None
) -> list[Path]:
    """Write a form for every visiting participant (or only ``participants``) into ``out_dir``
    (default :func:`forms_dir`); returns their paths."""
    visitors = list(trip.visitors["participant"])
    chosen = participants or visitors
    unknown = [p for p in chosen if p not in visitors]
    if unknown:
        raise ParameterError(
            f"{unknown[0]!r} is not a visiting participant of trip {trip.id}", hint=f"visitors: {', '.join(visitors)}"
        )
    out = Path(out_dir) if out_dir else forms_dir(trip.id)
    from clusterix_lib.good_practices import load_good_practices

    register = load_good_practices(consortium_path=trip.consortium)
    return [write_feedback_form(trip, p, out / form_filename(trip.id, p), register=register) for p in chosen]


# --------------------------------------------------------------------------------------
# Reading returned forms
# --------------------------------------------------------------------------------------


class _Reader:
    """Collects the answers of one workbook, rejecting bad cells."""

    def __init__(self, fr: FileRead, trip: StudyTrip, participant: str, region: str):
        self.fr, self.trip, self.participant, self.region = fr, trip, participant, region

    def reject(self, sheet: str, cell: str, reason: str, *, section: str = "", item: str = "", value: Any = "") -> None:
        self.fr.reject(
            sheet, cell, reason, participant=self.participant, section=section, item=item, value=cell_text(value)
        )

    def add(self, sheet: str, cell: str, section: str, item: str, **fields: Any) -> None:
        row = {c: "" for c in FEEDBACK_COLUMNS} | {
            "trip": self.trip.id,
            "participant": self.participant,
            "region": self.region,
            "section": section,
            "item": item,
            "value": None,
            "na": False,
            "source_cell": f"{sheet}!{cell}",
        }
        self.fr.rows.append(row | fields)

    def rating(self, ws, sheet: str, cell: str, section: str, item: str, *, allows_na: bool, **fields: Any) -> bool:
        raw = ws[cell].value
        try:
            value, na = parse_rating(
                raw,
                1,
                5,
                allows_na=allows_na,
                what="rating",
                na_refusal="NA is not allowed here; enter a whole number from 1 to 5",
            )
        except ValueError as exc:
            self.reject(sheet, cell, str(exc), section=section, item=item, value=raw)
            return False
        self.add(sheet, cell, section, item, value=value, na=na, **fields)
        return True

    def locked(self, ws, sheet: str, cell: str, expected: str, section: str) -> bool:
        got = " ".join(cell_text(ws[cell].value).split())
        if got != expected:
            self.reject(
                sheet,
                cell,
                f"locked cell edited: reads {clip(got)!r}, the form said {clip(expected)!r}",
                section=section,
                value=got,
            )
            return False
        return True


def _filled(ws, cells: list[str]) -> bool:
    return any(cell_text(ws[c].value) for c in cells)


def _due(raw: Any) -> str | None:
    if isinstance(raw, dt.datetime | dt.date):
        return raw.strftime("%Y-%m-%d")
    text = cell_text(raw)
    return text if _DUE.match(text) else None


def _read_practices(rd: _Reader, wb) -> None:
    sheet = SHEETS["practices"]
    ws = wb[sheet]
    practices = rd.trip.practices
    for i, p in enumerate(practices):
        r = 2 + i
        if not rd.locked(ws, sheet, f"A{r}", p, "practice"):
            continue
        c = {k: f"{v}{r}" for k, v in PRACTICE_COLS.items()}
        raw = cell_text(ws[c["interest"]].value).lower()
        if raw:
            if raw in _YES + _NO:
                rd.add(sheet, c["interest"], "practice", "interest", practice=p, value=int(raw in _YES))
            else:
                rd.reject(
                    sheet,
                    c["interest"],
                    f"interest must be yes or no, not {raw!r}",
                    section="practice",
                    item="interest",
                    value=raw,
                )
        for item in ("transferability", "intent_to_act"):
            if cell_text(ws[c[item]].value):
                rd.rating(ws, sheet, c[item], "practice", item, allows_na=True, practice=p)
        idea, instrument = cell_text(ws[c["transfer_idea"]].value), cell_text(ws[c["instrument"]].value)
        if idea:
            rd.add(sheet, c["transfer_idea"], "practice", "transfer_idea", practice=p, text=idea, instrument=instrument)
        elif instrument:
            rd.reject(
                sheet,
                c["transfer_idea"],
                "an instrument is named but no transfer idea is written",
                section="practice",
                item="transfer_idea",
                value=instrument,
            )
    extra = 2 + len(practices)
    if _filled(ws, [f"{col}{extra}" for col in PRACTICE_COLS.values()]):
        rd.reject(sheet, f"A{extra}", "locked sheet edited: row added below the practices", section="practice")


def _read_items(rd: _Reader, wb, key: str) -> None:
    sheet = SHEETS[key]
    ws = wb[sheet]
    items = EVENT_ITEMS if key == "event" else CAPACITY_ITEMS
    for i, item in enumerate(items):
        r = 2 + i
        if not rd.locked(ws, sheet, f"A{r}", item, key):
            continue
        if key == "event":
            if cell_text(ws[f"C{r}"].value):
                rd.rating(ws, sheet, f"C{r}", "event", item, allows_na=False)
            continue
        before, after = cell_text(ws[f"C{r}"].value), cell_text(ws[f"D{r}"].value)
        if before and after:
            rd.rating(ws, sheet, f"C{r}", "capacity_before", item, allows_na=False)
            rd.rating(ws, sheet, f"D{r}", "capacity_after", item, allows_na=False)
        elif before or after:
            cell = f"D{r}" if before else f"C{r}"
            rd.reject(
                sheet,
                cell,
                "give both ratings, before and after the trip",
                section="capacity",
                item=item,
                value=before or after,
            )


def _read_insights(rd: _Reader, wb) -> None:
    sheet = SHEETS["insights"]
    ws = wb[sheet]
    practices = set(rd.trip.practices)
    for i in range(N_INSIGHTS):
        r = 2 + i
        c = {k: f"{v}{r}" for k, v in INSIGHT_COLS.items()}
        theme, text, practice = (cell_text(ws[c[k]].value) for k in ("theme", "text", "practice"))
        if not (theme or text or practice):
            continue
        item = str(i + 1)
        if not text:
            rd.reject(
                sheet,
                c["text"],
                "a theme or practice is chosen but no insight is written",
                section="insight",
                item=item,
                value=theme,
            )
        elif not theme:
            rd.reject(sheet, c["theme"], "choose a theme for this insight", section="insight", item=item, value=text)
        elif theme not in THEMES:
            rd.reject(
                sheet,
                c["theme"],
                f"unknown theme {theme!r}: use one of {', '.join(THEMES)}",
                section="insight",
                item=item,
                value=theme,
            )
        elif practice and practice not in practices:
            rd.reject(
                sheet,
                c["practice"],
                f"practice {practice!r} was not shown on this trip",
                section="insight",
                item=item,
                value=practice,
            )
        else:
            rd.add(sheet, c["text"], "insight", item, theme=theme, text=text, practice=practice)


def _read_follow_ups(rd: _Reader, wb) -> None:
    sheet = SHEETS["follow_ups"]
    ws = wb[sheet]
    practices = set(rd.trip.practices)
    for i in range(N_FOLLOW_UPS):
        r = 2 + i
        c = {k: f"{v}{r}" for k, v in FOLLOW_COLS.items()}
        action, practice, instrument, owner = (
            cell_text(ws[c[k]].value) for k in ("action", "practice", "instrument", "owner")
        )
        raw_due = ws[c["due"]].value
        if not (action or practice or instrument or owner or cell_text(raw_due)):
            continue
        item = str(i + 1)
        due = _due(raw_due)
        if not action:
            rd.reject(sheet, c["action"], "a follow-up needs an action", section="follow_up", item=item)
        elif not owner:
            rd.reject(sheet, c["owner"], "a follow-up needs an owner", section="follow_up", item=item, value=action)
        elif due is None:
            rd.reject(
                sheet,
                c["due"],
                "a follow-up needs a due date as YYYY-MM or YYYY-MM-DD"
                if cell_text(raw_due)
                else "a follow-up needs a due date",
                section="follow_up",
                item=item,
                value=raw_due,
            )
        elif practice and practice not in practices:
            rd.reject(
                sheet,
                c["practice"],
                f"practice {practice!r} was not shown on this trip",
                section="follow_up",
                item=item,
                value=practice,
            )
        else:
            rd.add(
                sheet,
                c["action"],
                "follow_up",
                item,
                text=action,
                practice=practice,
                instrument=instrument,
                owner=owner,
                due=due,
            )


def read_feedback_file(
    path: str | Path, trip: StudyTrip, *, text_level: str = "consortium"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one returned form without storing anything: ``(rows, problems)`` with the columns of
    :data:`~clusterix_lib.trip_feedback.FEEDBACK_COLUMNS` and :data:`REJECTION_COLUMNS`.

    Each row gets a ``confidentiality`` level: ``text_level`` (default ``consortium``) for an
    answer in the participant's own words (insight, transfer idea, follow-up), ``public`` for a
    rating (:func:`clusterix_lib.confidentiality.levels_by_text`; ``data/trip_feedback/README.md``).
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"file not found: {path}", hint="check the path of the returned form")
    fr = FileRead(file=path.name, sha256=file_sha256(path))
    if path.stat().st_size == 0:
        fr.reject("(none)", "A1", "empty file (0 bytes)")
    elif path.suffix.lower() not in (".xlsx", ".xlsm"):
        fr.reject("(none)", "A1", f"unsupported file type {path.suffix or '(none)'}: send the .xlsx form")
    else:
        _read_workbook(fr, path, trip)
    rows = pd.DataFrame(fr.rows, columns=list(FEEDBACK_COLUMNS))
    rows["source_file"] = fr.file
    rows["source_sha256"] = fr.sha256
    rows["illustrative"] = False
    rows["confidentiality"] = levels_by_text(rows, text_columns("feedback.csv") or (), with_text=text_level)
    rows["value"] = pd.to_numeric(rows["value"]).astype("Int64")
    rows["na"] = rows["na"].astype(bool)
    return rows, rejection_table(fr.problems, REJECTION_COLUMNS)


def _read_workbook(fr: FileRead, path: Path, trip: StudyTrip) -> None:
    opened = open_form(fr, path, kind=FORM_KIND, meta_sheet=META_SHEET, meta_keys=META_KEYS)
    if opened is None:
        return
    wb, meta = opened
    value, cell = meta["trip"]
    if value != trip.id:
        fr.reject(
            META_SHEET,
            cell,
            f"workbook from another trip: it belongs to {value or '(none)'!r}, not {trip.id!r}",
            value=value,
        )
        return
    participant, cell = meta["participant"]
    vis = trip.visitors.set_index("participant")
    if not participant:
        fr.reject(META_SHEET, cell, "missing participant id")
        return
    if participant not in vis.index:
        fr.reject(
            META_SHEET,
            cell,
            f"{participant!r} is not a visiting participant of trip {trip.id} (visitors: {', '.join(vis.index)})",
            participant=participant,
            value=participant,
        )
        return
    region, cell = meta["region"]
    if region != vis.at[participant, "region"]:
        fr.reject(
            META_SHEET,
            cell,
            f"metadata edited: region {region!r}, but {participant} comes from {vis.at[participant, 'region']}",
            participant=participant,
            value=region,
        )
        return
    listed, cell = meta["practices"]
    if listed != ";".join(trip.practices):
        fr.reject(
            META_SHEET,
            cell,
            "form made for another version of the trip's agenda (the practices differ): "
            "send the participant a new form",
            participant=participant,
            value=listed,
        )
        return
    missing = [s for s in SHEETS.values() if s not in wb.sheetnames]
    if missing:
        fr.reject(missing[0], "A1", f"sheet {missing[0]!r} is missing (renamed or deleted?)", participant=participant)
        return
    rd = _Reader(fr, trip, participant, region)
    _read_practices(rd, wb)
    _read_items(rd, wb, "event")
    _read_items(rd, wb, "capacity")
    _read_insights(rd, wb)
    _read_follow_ups(rd, wb)
    if not fr.rows and not fr.problems:
        fr.reject(SHEETS["practices"], "D2", "empty form: nothing was filled in", participant=participant)


@dataclass
class FeedbackIngestResult:
    """Outcome of :func:`ingest_feedback`: ``files`` (one row per file: ``file, status,
    participant, accepted, rejected, message``), the ``accepted`` rows, the ``rejections`` and
    the whole ``feedback`` store after ingestion."""

    files: pd.DataFrame
    accepted: pd.DataFrame
    rejections: pd.DataFrame
    feedback: pd.DataFrame
    store: Path
    report: Path | None

    @property
    def ok(self) -> bool:
        """True when nothing was rejected and there was no conflict."""
        return self.rejections.empty


def _held_back(rows: pd.DataFrame, reason: str) -> list[dict[str, Any]]:
    out = []
    for r in rows.itertuples():
        sheet, _, cell = r.source_cell.partition("!")
        value = "NA" if r.na else (r.text if pd.isna(r.value) else str(r.value))
        out.append(
            {
                "file": r.source_file,
                "sheet": sheet,
                "cell": cell,
                "participant": r.participant,
                "section": r.section,
                "item": r.item,
                "value": value,
                "reason": reason,
            }
        )
    return out


def ingest_feedback(
    trip: StudyTrip,
    files: Sequence[str | Path],
    *,
    store: str | Path | None = None,
    report: str | Path | None = None,
    replace: bool = False,
    text_level: str = "consortium",
) -> FeedbackIngestResult:
    """Read returned forms and add their answers to the trip's feedback store (module rules).

    Parameters
    ----------
    trip
        The trip the forms belong to.
    files
        Returned ``.xlsx`` forms.
    store
        Feedback store (default ``trip_feedback/<trip>/feedback.csv`` next to the consortium file).
    report
        Rejection report to write (default :func:`rejections_path`; always written, with only the
        header when nothing was rejected); an empty string writes none.
    replace
        A new form from a participant already in the store replaces their answers instead of
        being a conflict.
    text_level
        Confidentiality level of a new answer in the participant's own words (default
        ``consortium``); ratings are ``public``. Rows already in the store keep their level.
    """
    store = Path(store) if store else feedback_path(trip)
    report_path = rejections_path(trip.id) if report is None else (Path(report) if report else None)
    reads = [(Path(f), *read_feedback_file(f, trip, text_level=text_level)) for f in files]
    done = store_files(
        reads,
        store=store,
        load=load_feedback,
        write=write_feedback,
        keys=("participant",),
        held_back=_held_back,
        conflict=lambda key, old: (
            f"conflict: {key[0]} already has feedback from {', '.join(old)}; not merged "
            "(use --replace if this form supersedes it)"
        ),
        describe=lambda rows: {"participant": ", ".join(sorted(set(rows["participant"])))},
        replace=replace,
    )
    rejections = rejection_table(done.rejected, REJECTION_COLUMNS)
    if report_path is not None:
        atomic_write_text(report_path, rejections.to_csv(index=False, lineterminator="\n"))
    accepted = pd.concat(done.accepted, ignore_index=True) if done.accepted else empty_feedback()
    return FeedbackIngestResult(
        files=pd.DataFrame(done.files, columns=["file", "status", "participant", "accepted", "rejected", "message"]),
        accepted=accepted,
        rejections=rejections,
        feedback=load_feedback(store),
        store=store,
        report=report_path,
    )
