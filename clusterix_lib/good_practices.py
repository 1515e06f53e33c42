"""The good-practice register of a consortium: the practices, checked against the template, and their quality.

A consortium keeps its good practices in ``good_practices.csv`` next to its consortium file
(``data/good_practices.csv`` for the default consortium), one row per practice, in the fields of
the Interreg Europe good-practice template (``docs/domain.md`` §2.5; the 2024 template itself is
still to be confirmed, so the field list is :data:`TEMPLATE_FIELDS`, in one place):

======================  ===================================================================
id                      ``GP-<region>-<slug>``, unique (letters, digits, ``-``, ``_``, ``.``)
title                   title of the practice
region                  NUTS code (2021) of the location of the practice
main_institution        the institution running it; ``institution_type`` and ``city`` optional
linked_to_project       ``true`` if identified by the project (counts for its indicator)
topic                   Interreg Europe 2021-27 topic: Smart, Green, Connected, Social, Citizens,
                        Governance
theme                   our theme (:data:`THEMES`), shared with the trip feedback forms
timescale_start         ``YYYY`` or ``YYYY-MM``
timescale_end           ``YYYY`` or ``YYYY-MM``, or ``ongoing``
summary, description,   the template's texts
problem_addressed,
resources_needed,
evidence_of_success,
difficulties,
potential_for_transfer
resources_eur,          optional numbers (cost in euro, staff in FTE)
resources_fte
keywords                ``;``-separated
status                  draft, submitted, approved_project, published, validated_platform, declined
evidence_level          rubric R3 item, 0-3 (empty: not assessed yet)
policy_link             rubric R3 item, 0-2 (empty: not assessed yet)
source                  URL(s) of the public material the entry summarises, ``;``-separated
illustrative            ``true`` for invented demonstration entries (every report says so)
note                    anything else (what is assumed, what is still to check)
======================  ===================================================================

**Quality (rubric R3 of** ``docs/domain.md`` **§10)**: evidence of success (0 none · 1 anecdotal
· 2 output data · 3 measured results against the objective), link with public policy (0 a
private initiative without link · 1 a private initiative that demonstrably inspired public
policy · 2 a public intervention) and documentation completeness (share of the template fields
filled). A practice is **countable** when evidence >= 2 and policy link >= 1; it **counts for the
project indicator** "good practices identified" when it is countable, linked to the project and
at least ``approved_project`` in the workflow (draft -> submitted -> approved_project ->
published -> validated_platform; declined is off the track).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusterix_lib import nuts
from clusterix_lib.errors import ClusterixError, DataFileError, location
from clusterix_lib.fileio import number_column, row_failer

__all__ = [
    "COLUMNS",
    "COUNTING_STATUSES",
    "EVIDENCE_ANCHORS",
    "POLICY_LINK_ANCHORS",
    "STATUSES",
    "STATUS_LABELS",
    "TEMPLATE_FIELDS",
    "THEMES",
    "TOPICS",
    "completeness",
    "completeness_summary",
    "data_label",
    "empty_register",
    "gp_region_targets",
    "gp_sources",
    "load_good_practices",
    "practice_markdown",
    "practice_overview",
    "practice_page",
    "quality",
    "register_path",
    "status_label",
    "submission_checks",
]

REGISTER_FILE = "good_practices.csv"
#: Workflow of a practice (``docs/domain.md`` §2.5); ``declined`` is off the track.
STATUSES = ("draft", "submitted", "approved_project", "published", "validated_platform", "declined")
#: How each status reads in a report: the one place where the workflow codes become words.
STATUS_LABELS = {
    "draft": "draft",
    "submitted": "submitted to the project",
    "approved_project": "approved by the project",
    "published": "published on the project's pages",
    "validated_platform": "validated by the Interreg Europe Policy Learning Platform",
    "declined": "declined by the project web admin",
}
#: Statuses at which a practice may count for the project indicator.
COUNTING_STATUSES = ("approved_project", "published", "validated_platform")
#: Interreg Europe 2021-27 topics.
TOPICS = ("Smart", "Green", "Connected", "Social", "Citizens", "Governance")
#: Themes of cluster policy used to group practices and the insights of trip feedback.
THEMES = (
    "cluster management",
    "cluster programme design",
    "cross-cluster cooperation",
    "internationalisation",
    "innovation support services",
    "monitoring and evaluation",
    "competence mapping",
    "S3 governance",
    "skills and talent",
    "other",
)
#: The template fields checked for completeness, with the labels the template uses.
TEMPLATE_FIELDS: dict[str, str] = {
    "title": "Title",
    "region": "Location (NUTS region)",
    "main_institution": "Main institution",
    "topic": "Topic",
    "summary": "Short summary",
    "description": "Detailed description",
    "problem_addressed": "Problem addressed",
    "resources_needed": "Resources needed",
    "timescale": "Timescale (start, end or ongoing)",
    "evidence_of_success": "Evidence of success",
    "difficulties": "Difficulties encountered / lessons learnt",
    "potential_for_transfer": "Potential for learning or transfer",
    "status": "Status in the workflow",
    "source": "Further information (links)",
}
#: Rubric R3, evidence of success.
EVIDENCE_ANCHORS = {0: "none", 1: "anecdotal", 2: "output data", 3: "measured results against the objective"}
#: Rubric R3, link with public policy.
POLICY_LINK_ANCHORS = {
    0: "private initiative without a link to public policy",
    1: "private initiative that demonstrably inspired public policy",
    2: "public intervention",
}
REQUIRED = ("id", "title", "region", "status", "linked_to_project", "illustrative")
TEXTS = (
    "main_institution",
    "institution_type",
    "city",
    "topic",
    "theme",
    "timescale_start",
    "timescale_end",
    "summary",
    "description",
    "problem_addressed",
    "resources_needed",
    "evidence_of_success",
    "difficulties",
    "potential_for_transfer",
    "keywords",
    "source",
    "note",
)
COLUMNS = (
    "id",
    "title",
    "region",
    "main_institution",
    "institution_type",
    "city",
    "linked_to_project",
    "topic",
    "theme",
    "timescale_start",
    "timescale_end",
    "summary",
    "description",
    "problem_addressed",
    "resources_needed",
    "resources_eur",
    "resources_fte",
    "evidence_of_success",
    "difficulties",
    "potential_for_transfer",
    "keywords",
    "status",
    "evidence_level",
    "policy_link",
    "source",
    "illustrative",
    "note",
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MONTH = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_TRUE, _FALSE = ("true", "yes", "1", "y"), ("false", "no", "0", "n")


def register_path(consortium_path: str | Path | None = None) -> Path:
    """The register of a consortium: ``good_practices.csv`` next to its consortium file.

    >>> register_path().name
    'good_practices.csv'
    """
    from clusterix_lib.consortium import default_consortium_path

    return (Path(consortium_path) if consortium_path else default_consortium_path()).resolve().parent / REGISTER_FILE


def empty_register() -> pd.DataFrame:
    """A register without practices, with the columns and types of :func:`load_good_practices`."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    for c in ("resources_eur", "resources_fte", "evidence_level", "policy_link"):
        out[c] = out[c].astype(float)
    for c in ("linked_to_project", "illustrative"):
        out[c] = out[c].astype(bool)
    out["in_consortium"] = pd.Series(dtype=bool)
    return out


def load_good_practices(
    path: str | Path | None = None,
    *,
    consortium_path: str | Path | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and check a good-practice register; a missing file is an empty register.

    Every problem raises :class:`~clusterix_lib.errors.DataFileError` naming file, line, column
    and value: a missing required column, an empty required field, a duplicate or malformed id, a
    region that is no NUTS code, a status, topic or theme not in the lists, a malformed
    timescale or one that ends before it starts, a true/false field that is neither, a number
    that is not one, an R3 score outside its scale.

    Returns the register with the columns of :data:`COLUMNS` (numbers as floats, NaN where
    empty; ``linked_to_project`` and ``illustrative`` as booleans) plus ``in_consortium``
    (whether the region is a region of the consortium, ``consortium_path`` or the default one).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "good_practices.csv"
    >>> _ = p.write_text("id,title,region,status,linked_to_project,illustrative\\n"
    ...                  "GP-1,Vouchers,AT12,draft,true,true\\n")
    >>> load_good_practices(p)[["id", "region", "status", "linked_to_project"]].to_dict("records")
    [{'id': 'GP-1', 'region': 'AT12', 'status': 'draft', 'linked_to_project': True}]
    >>> _ = p.write_text("id,title,region,status,linked_to_project,illustrative\\n"
    ...                  "GP-1,Vouchers,AT12,aproved,true,true\\n")
    >>> load_good_practices(p)
    Traceback (most recent call last):
    ...
    clusterix_lib.errors.DataFileError: unknown status (file ..., line 2, column 'status', value 'aproved')...
    """
    path = Path(path) if path else register_path(consortium_path)
    if not path.is_file():
        return empty_register()
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFileError(
            f"cannot read the good-practice register: {exc}", where=location(path), hint="save it as UTF-8 CSV"
        ) from exc
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataFileError(
            f"good-practice register lacks the column(s) {', '.join(missing)}",
            where=location(path, line=1),
            hint=f"columns: {', '.join(COLUMNS)}",
        )
    unknown = [c for c in table.columns if c not in COLUMNS]
    if unknown:
        raise DataFileError(
            f"unknown column {unknown[0]!r} in the good-practice register",
            where=location(path, line=1, column=unknown[0]),
            hint=f"columns: {', '.join(COLUMNS)}",
        )
    for c in COLUMNS:
        if c not in table.columns:
            table[c] = ""
    table = table[list(COLUMNS)].apply(lambda s: s.str.strip())

    fail = row_failer(path, table)

    def first(mask: pd.Series) -> int | None:
        idx = table.index[mask]
        return int(idx[0]) if len(idx) else None

    for c in ("id", "title", "region", "status", "linked_to_project", "illustrative"):
        if (row := first(table[c] == "")) is not None:
            fail(row, c, f"empty {c}", f"fill in {c} for every practice")
    if (row := first(~table["id"].str.match(_ID))) is not None:
        fail(row, "id", "malformed practice id", "use letters, digits, '-', '_' and '.', e.g. GP-AT12-vouchers")
    if (row := first(table["id"].duplicated())) is not None:
        fail(row, "id", "practice id used twice", "give every practice its own id")
    table["status"] = table["status"].str.lower()
    for c, allowed in (("status", STATUSES), ("topic", TOPICS), ("theme", THEMES)):
        if (row := first((table[c] != "") & ~table[c].isin(allowed))) is not None:
            fail(row, c, f"unknown {c}", f"use one of {', '.join(allowed)}")
    for c in ("linked_to_project", "illustrative"):
        low = table[c].str.lower()
        if (row := first(~low.isin(_TRUE + _FALSE))) is not None:
            fail(row, c, f"{c} must be true or false", "write true or false")
        table[c] = low.isin(_TRUE)
    for row, code in enumerate(table["region"]):
        try:
            table.at[row, "region"] = nuts.validate_region(code, regions=regions)
        except ClusterixError as exc:
            fail(row, "region", f"region is not a NUTS 2021 code: {exc.what}", exc.hint or "use a NUTS 2021 code")
    start, end = table["timescale_start"], table["timescale_end"]
    if (row := first((start != "") & ~start.str.match(_MONTH))) is not None:
        fail(row, "timescale_start", "timescale_start is not YYYY or YYYY-MM", "e.g. 2016 or 2016-04")
    bad_end = (end != "") & (end.str.lower() != "ongoing") & ~end.str.match(_MONTH)
    if (row := first(bad_end)) is not None:
        fail(row, "timescale_end", "timescale_end is not YYYY, YYYY-MM or 'ongoing'", "e.g. 2019-12 or ongoing")
    table["timescale_end"] = end = end.where(end.str.lower() != "ongoing", "ongoing")
    dated = (start != "") & (end != "") & (end != "ongoing")
    # compare as YYYY-MM: a bare year starts in January and ends in December
    begins = start.where(start.str.len() > 4, start + "-01")
    ends = end.where(end.str.len() > 4, end + "-12")
    if (row := first(dated & (begins > ends))) is not None:
        fail(row, "timescale_end", "the practice ends before it starts", "check timescale_start and timescale_end")
    numbers = (("resources_eur", 0, None), ("resources_fte", 0, None), ("evidence_level", 0, 3), ("policy_link", 0, 2))
    for c, lo, hi in numbers:
        table[c] = number_column(table, c, fail, whole=hi is not None, lo=lo, hi=hi)
    from clusterix_lib.consortium import default_consortium_path, load_consortium

    cons = Path(consortium_path) if consortium_path else default_consortium_path()
    members = set(load_consortium(cons, regions=regions)["nuts_code"]) if cons.is_file() else set()
    table["in_consortium"] = table["region"].isin(members)
    return table


def _timescale(register: pd.DataFrame) -> pd.Series:
    start, end = register["timescale_start"], register["timescale_end"]
    text = np.where(start != "", start + "–" + end.where(end != "", "?"), "")
    return pd.Series(text, index=register.index).where((start != "") & (end != ""), "")


def completeness(register: pd.DataFrame) -> pd.DataFrame:
    """Which template fields each practice fills: one row per (practice, field).

    Columns ``id, field, label, filled``; the timescale is filled when it has a start and an end
    (or ``ongoing``).

    >>> reg = pd.DataFrame({c: [""] for c in COLUMNS}).assign(id="GP-1", title="T", timescale_start="2016",
    ...                                                      timescale_end="ongoing")
    >>> c = completeness(reg)
    >>> c.loc[c["filled"], "field"].tolist()
    ['title', 'timescale']
    """
    values = register.assign(timescale=_timescale(register))[["id", *TEMPLATE_FIELDS]]
    long = values.melt(id_vars="id", var_name="field", value_name="value")
    long["filled"] = long["value"].astype(str).str.strip().ne("") & long["value"].notna()
    long["label"] = long["field"].map(TEMPLATE_FIELDS)
    order = {f: i for i, f in enumerate(TEMPLATE_FIELDS)}
    long["_o"] = long["field"].map(order)
    ids = {g: i for i, g in enumerate(register["id"])}
    long["_g"] = long["id"].map(ids)
    return long.sort_values(["_g", "_o"])[["id", "field", "label", "filled"]].reset_index(drop=True)


def completeness_summary(register: pd.DataFrame) -> pd.DataFrame:
    """Per practice: ``id, n_fields, n_filled, share, missing`` (labels of the empty fields, in
    template order), in register order.

    .. math:: \\text{completeness} = \\frac{\\text{fields filled}}{\\text{template fields}}

    >>> reg = pd.DataFrame({c: [""] for c in COLUMNS}).assign(id="GP-1", title="T", region="AT12")
    >>> completeness_summary(reg)[["n_filled", "n_fields"]].values.tolist()
    [[2, 14]]
    """
    c = completeness(register)
    g = c.groupby("id", sort=False)
    out = pd.DataFrame(
        {
            "n_fields": g["filled"].size(),
            "n_filled": g["filled"].sum().astype(int),
            "missing": c[~c["filled"]].groupby("id", sort=False)["label"].agg(list),
        }
    ).reindex(register["id"])
    out["missing"] = out["missing"].map(lambda v: v if isinstance(v, list) else [])
    out["share"] = out["n_filled"] / out["n_fields"]
    return out.reset_index()[["id", "n_fields", "n_filled", "share", "missing"]]


def practice_overview(register: pd.DataFrame) -> pd.DataFrame:
    """One row per practice: what it is, how complete and how good (to download with a report).

    Parameters
    ----------
    register
        Practices of the register (:func:`load_good_practices`), e.g. one region's.

    Returns
    -------
    pandas.DataFrame
        ``id, title, region, status, illustrative`` from the register, ``completeness`` (share of
        the template fields filled, :func:`completeness_summary`), ``evidence_level,
        policy_link, countable, counts_for_indicator`` (rubric R3, :func:`quality`), in register
        order.

    Examples
    --------
    >>> reg = pd.DataFrame({c: [""] for c in COLUMNS}).assign(
    ...     id="GP-1", title="T", region="AT12", evidence_level=2.0, policy_link=2.0, illustrative=False)
    >>> practice_overview(reg)[["id", "completeness", "countable"]].values.tolist()
    [['GP-1', 0.14285714285714285, True]]
    """
    comp = completeness_summary(register)[["id", "share"]].rename(columns={"share": "completeness"})
    q = quality(register)[["id", "evidence_level", "policy_link", "countable", "counts_for_indicator"]]
    base = register[["id", "title", "region", "status", "illustrative"]]
    return base.merge(comp, on="id", how="left").merge(q, on="id", how="left").reset_index(drop=True)


def quality(register: pd.DataFrame) -> pd.DataFrame:
    """Rubric R3 per practice: ``id, evidence_level, policy_link, completeness, assessed,
    countable, counts_for_indicator``.

    ``countable``: evidence >= 2 and policy link >= 1 (False while not assessed);
    ``counts_for_indicator``: countable, linked to the project and at least ``approved_project``.

    >>> reg = pd.DataFrame({c: [""] * 2 for c in COLUMNS}).assign(
    ...     id=["A", "B"], evidence_level=[2.0, 1.0], policy_link=[2.0, 2.0], linked_to_project=True,
    ...     status=["published", "published"])
    >>> quality(reg)[["id", "countable", "counts_for_indicator"]].values.tolist()
    [['A', True, True], ['B', False, False]]
    """
    comp = completeness_summary(register).set_index("id")["share"]
    ev = pd.to_numeric(register["evidence_level"], errors="coerce")
    link = pd.to_numeric(register["policy_link"], errors="coerce")
    countable = (ev >= 2) & (link >= 1)
    linked = register["linked_to_project"].astype(str).str.lower().isin(_TRUE)
    return pd.DataFrame(
        {
            "id": register["id"],
            "evidence_level": ev,
            "policy_link": link,
            "completeness": register["id"].map(comp),
            "assessed": ev.notna() & link.notna(),
            "countable": countable,
            "counts_for_indicator": countable & linked & register["status"].isin(COUNTING_STATUSES),
        }
    ).reset_index(drop=True)


def submission_checks(register: pd.DataFrame) -> pd.DataFrame:
    """What to fix before a practice goes to the programme's database: ``id, check, message``.

    One row per problem: every empty template field, the R3 quality not assessed or too low to
    count, a practice not linked to the project, a declined practice. Practices without problems
    have no row.

    >>> reg = pd.DataFrame({c: [""] for c in COLUMNS}).assign(id="GP-1", title="T", linked_to_project=True)
    >>> submission_checks(reg)["check"].value_counts().to_dict()
    {'missing field': 13, 'quality': 1}
    """
    rows: list[dict[str, Any]] = []
    c = completeness(register)
    miss = c[~c["filled"]]
    rows += [{"id": r.id, "check": "missing field", "message": f"{r.label} is empty"} for r in miss.itertuples()]
    q = quality(register).set_index("id")
    for r in register.itertuples():
        qq = q.loc[r.id]
        if not qq["assessed"]:
            rows.append(
                {"id": r.id, "check": "quality", "message": "evidence and policy link not assessed (rubric R3)"}
            )
        elif not qq["countable"]:
            rows.append(
                {
                    "id": r.id,
                    "check": "quality",
                    "message": f"not countable: evidence {qq['evidence_level']:.0f} (needs >= 2), "
                    f"policy link {qq['policy_link']:.0f} (needs >= 1)",
                }
            )
        if str(r.linked_to_project).lower() not in _TRUE:
            rows.append({"id": r.id, "check": "link", "message": "not linked to the project: it will not count"})
        if r.status == "declined":
            rows.append({"id": r.id, "check": "status", "message": "declined by the project web admin"})
    order = {g: i for i, g in enumerate(register["id"])}
    out = pd.DataFrame(rows, columns=["id", "check", "message"])
    return out.sort_values("id", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def status_label(status: str) -> str:
    """The workflow status in words (:data:`STATUS_LABELS`); an unknown code is returned as is.

    >>> status_label("validated_platform"), status_label("draft")
    ('validated by the Interreg Europe Policy Learning Platform', 'draft')
    """
    return STATUS_LABELS.get(str(status), str(status))


def data_label(illustrative: pd.Series, source: pd.Series | None = None) -> pd.Series:
    """What a record rests on, for the *Data* column of a report table: never blank.

    Parameters
    ----------
    illustrative
        Boolean per record: invented for demonstration.
    source
        Optional text per record (URLs ``;``-separated, or anything else); only the parts that
        are web addresses are shown.

    Returns
    -------
    pandas.Series
        ``"illustrative"`` for invented records; otherwise the record's web address(es), or
        ``"public"`` when no address is given (or ``source`` is None).

    Examples
    --------
    >>> ill = pd.Series([True, False, False])
    >>> src = pd.Series(["ILLUSTRATIVE (made up)", "https://a.eu/x ; https://b.eu/y", ""])
    >>> data_label(ill, src).tolist()
    ['illustrative', 'https://a.eu/x; https://b.eu/y', 'public']
    >>> data_label(ill).tolist()
    ['illustrative', 'public', 'public']
    """
    ill = illustrative.fillna(False).astype(bool)
    if source is None:
        public = pd.Series("public", index=ill.index)
    else:
        urls = (
            source.reindex(ill.index)
            .fillna("")
            .astype(str)
            .map(lambda s: "; ".join(dict.fromkeys(u.strip() for u in s.split(";") if u.strip().startswith("http"))))
        )
        public = urls.where(urls != "", "public")
    return public.where(~ill, "illustrative")


def practice_page(practice: pd.Series) -> list[tuple[str, str]]:
    """One practice in the template's order, as ``(label, text)`` pairs; empty fields read
    "(not yet described)".

    >>> row = pd.Series({c: "" for c in COLUMNS} | {"title": "Vouchers", "timescale_start": "2016"})
    >>> dict(practice_page(row))["Timescale (start, end or ongoing)"]
    '2016–?'
    """
    p = practice.copy()
    start, end = p.get("timescale_start", ""), p.get("timescale_end", "")
    if start:
        p["timescale"] = f"{start}–{end or '?'}"
    else:
        p["timescale"] = {"": "", "ongoing": "ongoing (start not given)"}.get(end, f"until {end}")
    inst = p.get("main_institution", "")
    if inst and p.get("institution_type"):
        p["main_institution"] = f"{inst} ({p['institution_type']})"
    if p.get("city"):
        p["region"] = f"{p['region']}, {p['city']}"
    res = p.get("resources_needed", "")
    extra = []
    if pd.notna(p.get("resources_eur")) and p.get("resources_eur") != "":
        extra.append(f"€{float(p['resources_eur']):,.0f}")
    if pd.notna(p.get("resources_fte")) and p.get("resources_fte") != "":
        extra.append(f"{float(p['resources_fte']):g} FTE")
    if extra:
        p["resources_needed"] = (res + " " if res else "") + f"({', '.join(extra)})"
    if p.get("theme"):
        p["topic"] = f"{p.get('topic') or '(no topic)'}; theme: {p['theme']}"
    if p.get("status"):
        p["status"] = status_label(p["status"])
    out = []
    for field, label in TEMPLATE_FIELDS.items():
        value = str(p.get(field, "") or "").strip()
        out.append((label, value or "(not yet described)"))
    return out


def gp_sources(register: pd.DataFrame) -> list[dict[str, Any]]:
    """Sources for a report footer: one per distinct URL in the practices' ``source``, and one
    for the illustrative entries when there are any."""
    urls = register["source"].str.split(";").explode().str.strip()
    urls = list(dict.fromkeys(u for u in urls.dropna() if u.startswith("http")))
    out: list[dict[str, Any]] = [
        {"code": None, "title": "Good practice summarised from public ClusteriX 2.0 material", "url": u} for u in urls
    ]
    if register["illustrative"].any():
        out.append(
            {
                "code": "good_practices.csv",
                "title": "Good-practice register: entries marked illustrative were invented for demonstration",
                "publisher": "clusterix",
            }
        )
    return out


def gp_region_targets(consortium_path: str | Path | None = None) -> list[dict[str, Any]]:
    """Default ``good_practice`` reports of a consortium: one per distinct region.

    For a consortium file other than the default, ``consortium_file`` is added so the notebook
    reads that consortium's register.

    >>> gp_region_targets()[:2]
    [{'region': 'AT12'}, {'region': 'BE2'}]
    """
    from clusterix_lib.consortium import consortium_regions, default_consortium_path, load_consortium

    extra: dict[str, Any] = {}
    if consortium_path and Path(consortium_path).resolve() != default_consortium_path().resolve():
        extra["consortium_file"] = str(Path(consortium_path).resolve())
    regions = consortium_regions(load_consortium(consortium_path))["nuts_code"]
    return [{"region": code, **extra} for code in regions]


#: An empty block that starts a new page when the report is printed (inline style: works in any template).
PAGE_BREAK = '<div class="cx-page-break" style="break-before: page; page-break-before: always"></div>'


def practice_markdown(practice: pd.Series, *, level: int = 3, page_break: bool = True) -> str:
    """One practice as a printable Markdown page: heading (marked illustrative where it is), id,
    template completeness and R3 quality, the template fields as a table, and the note.

    >>> row = pd.Series({c: "" for c in COLUMNS} | {"id": "GP-1", "title": "Vouchers", "illustrative": True,
    ...                  "linked_to_project": True, "evidence_level": 2.0, "policy_link": float("nan")})
    >>> print(practice_markdown(row, page_break=False).splitlines()[0])
    ### Vouchers *(illustrative)*
    """
    frame = practice.to_frame().T.reset_index(drop=True)
    comp = completeness_summary(frame).iloc[0]
    q = quality(frame).iloc[0]

    def scored(value: float, anchors: dict[int, str]) -> str:
        return "not assessed" if pd.isna(value) else f"{value:.0f} ({anchors[int(value)]})"

    mark = " *(illustrative)*" if bool(practice.get("illustrative")) else ""
    lines = [PAGE_BREAK, ""] if page_break else []
    lines += [
        f"{'#' * level} {practice['title']}{mark}",
        "",
        f"`{practice['id']}` · template {comp['n_filled']} of {comp['n_fields']} fields"
        f" · evidence {scored(q['evidence_level'], EVIDENCE_ANCHORS)}"
        f" · policy link {scored(q['policy_link'], POLICY_LINK_ANCHORS)}",
        "",
        "| Template field | Content |",
        "|:---|:---|",
    ]
    for label, value in practice_page(practice):
        value = "*(not yet described)*" if value == "(not yet described)" else value.replace("|", "/")
        lines.append(f"| **{label}** | {value} |")
    if practice.get("note"):
        lines += ["", f"*Note:* {practice['note']}"]
    return "\n".join(lines)
