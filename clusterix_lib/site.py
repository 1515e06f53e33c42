"""The report site's index page: every report of a build, with filters, search and downloads.

``build/reports/index.html`` is one self-contained file (inline CSS and a small inline script, no
request leaves the page). It lists the reports grouped by region (or ``Consortium-wide``) and
report type; each row links the HTML report, its executed notebook and its key tables (CSV, and
all tables as XLSX), says when it was built, and explains failures. A filter bar -- search in
titles, region, report type, built from/to -- narrows the list; the filter state is kept in the
address (``index.html#region=AT12&type=Peer%20review``) so a filtered view can be shared. Without
JavaScript the filter bar stays hidden and every report is listed.

:func:`clusterix_lib.batch.write_index` (the stable entry point) calls :func:`write_site_index`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import unicodedata
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterix_lib.reporting import escape, output_paths, write_text

if TYPE_CHECKING:  # pragma: no cover
    from clusterix_lib.batch import JobOutcome

__all__ = ["manifest_outcomes", "search_text", "write_site_index"]

STATUS_TEXT = {"ok": "ok", "failed": "failed", "timeout": "timed out"}

_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1f2933;background:#fff;line-height:1.5}
header{background:#0b3c5d;color:#fff;padding:24px 0 16px}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
h1{margin:0;font-size:1.8rem}
.meta{margin:6px 0 0;opacity:.9}
.counts span{display:inline-block;margin-right:18px;font-weight:600}
.level{display:inline-block;padding:0 8px;border-radius:3px;background:rgba(255,255,255,.18);
text-transform:capitalize}
.level-consortium{background:#fbe3b0;color:#5c3b00}.level-restricted{background:#f9c9c2;color:#6b1208}
h2{margin:28px 0 8px;font-size:1.3rem;color:#0b3c5d;border-bottom:2px solid #0b3c5d}
h3{margin:14px 0 4px;font-size:1rem;color:#52606d;text-transform:uppercase;letter-spacing:.05em}
table{border-collapse:collapse;width:100%;font-size:.95rem}
td{padding:6px 10px;border-bottom:1px solid #d9e2ec;vertical-align:top}
td.status{width:7em;font-weight:600}
td.built{width:8.5em;color:#52606d;font-variant-numeric:tabular-nums;white-space:nowrap}
td.secs{width:5em;text-align:right;color:#52606d;font-variant-numeric:tabular-nums}
td.files{width:22em;font-size:.85rem}
thead th{text-align:left;font-size:.75rem;font-weight:600;color:#52606d;text-transform:uppercase;
letter-spacing:.04em;padding:2px 10px;border-bottom:1px solid #9aa5b1}
thead th.secs{text-align:right}
.badge{display:inline-block;margin-left:8px;padding:0 6px;border-radius:3px;font-size:.75rem;
background:#fff3c4;color:#5c4400;border:1px solid #e0b000;vertical-align:1px}
td.files a{margin-right:8px;white-space:nowrap}
tr.ok td.status{color:#1b7f3b}
tr.failed td.status,tr.timeout td.status{color:#b42318}
tr.failed,tr.timeout{background:#fff4f2}
.error{margin:4px 0 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;
white-space:pre-wrap;word-break:break-word;color:#7a271a}
.problems{background:#fff4f2;border-left:4px solid #b42318;padding:8px 16px;margin-top:16px}
.filters{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:flex-end;margin:18px 0 4px;
padding:12px 16px;background:#f5f7fa;border:1px solid #d9e2ec;border-radius:4px}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#52606d;gap:2px}
.filters input,.filters select{font:inherit;font-size:.95rem;padding:3px 6px;border:1px solid #9aa5b1;
border-radius:3px;background:#fff;color:#1f2933}
.filters input[type=search]{min-width:16em}
.filters button{font:inherit;padding:4px 12px;border:1px solid #9aa5b1;border-radius:3px;background:#fff}
.shown{margin:4px 0 0;color:#52606d;font-size:.9rem}
.none{padding:10px 0;color:#52606d;font-style:italic}
footer{margin:32px 0;color:#52606d;font-size:.85rem}
a{color:#0b5cad}
[hidden]{display:none!important}
@media print{header{background:none;color:#1f2933;border-bottom:2px solid #1f2933}
.filters,.shown,td.files{display:none}tr{break-inside:avoid}}
"""

#: The filter script: plain ES5, no external code, no console output.
_JS = """
(function () {
  var form = document.getElementById("cx-filters");
  if (!form || !document.querySelectorAll) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.cx-row"));
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".cx-block"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.cx-group"));
  var shown = document.getElementById("cx-shown");
  var none = document.getElementById("cx-none");
  var fields = ["q", "region", "type", "from", "to"];
  var CONSORTIUM = "-";  // the region filter's value for reports about no single region
  // lower case without accents, as the rows' data-search text is written ("skane" finds Skåne)
  function fold(text) {
    var t = String(text).toLowerCase().trim();
    return t.normalize ? t.normalize("NFD").replace(/[\u0300-\u036f]/g, "") : t;
  }
  function val(name) { var el = form.elements[name]; return el ? String(el.value || "") : ""; }
  function apply() {
    var q = fold(val("q")), region = val("region"), type = val("type");
    var from = val("from"), to = val("to"), n = 0;
    rows.forEach(function (tr) {
      var d = tr.getAttribute("data-date") || "";
      var ok = (!q || (tr.getAttribute("data-search") || "").indexOf(q) >= 0) &&
        (!region || tr.getAttribute("data-region") === region ||
          (region === CONSORTIUM && !tr.getAttribute("data-region"))) &&
        (!type || tr.getAttribute("data-type") === type) &&
        (!from || (d && d >= from)) && (!to || (d && d <= to));
      tr.hidden = !ok;
      if (ok) { n += 1; }
    });
    blocks.forEach(function (b) { b.hidden = !b.querySelector("tr.cx-row:not([hidden])"); });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.cx-row:not([hidden])"); });
    shown.textContent = n + " of " + rows.length + " reports shown";
    none.hidden = n > 0;
    var parts = [];
    fields.forEach(function (f) { if (val(f)) { parts.push(f + "=" + encodeURIComponent(val(f))); } });
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (window.history && history.replaceState && location.hash !== hash) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function fromHash() {
    var h = (location.hash || "").replace(/^#/, "");
    if (!h || h.indexOf("=") < 0) { return; }
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("="), k = kv.slice(0, i), v = "";
      try { v = decodeURIComponent(kv.slice(i + 1)); } catch (e) { v = ""; }
      if (fields.indexOf(k) >= 0 && form.elements[k]) { form.elements[k].value = v; }
    });
  }
  form.hidden = false;
  shown.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  fromHash();
  apply();
})();
"""


def _rel(target: Path, base_dir: Path) -> str:
    rel = os.path.relpath(Path(target).resolve(), base_dir)
    return urllib.parse.quote(Path(rel).as_posix())


def _label(job: Any) -> str:
    parts = [p for p in (job.group, job.report_type) if p]
    return " / ".join(parts) + f" ({job.title})" if parts else job.title


def search_text(*parts: str) -> str:
    """Lower-case text without accents, as the index's search box compares it ("skane" finds Skåne).

    >>> search_text("Skåne län", "Peer review")
    'skane lan peer review'
    """
    text = unicodedata.normalize("NFD", " ".join(p for p in parts if p).lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _sidecar(o: JobOutcome) -> dict[str, Any]:
    path = o.json if o.json is not None else output_paths(o.job.output_stem)["json"]
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _date(iso: str | None) -> str:
    return (iso or "")[:10]


def _downloads(o: JobOutcome, side: Mapping[str, Any], base: Path) -> list[tuple[str, str, str]]:
    """(label, href, kind) of the files a built report offers."""
    if not o.ok or o.html is None:
        return []
    paths = output_paths(o.job.output_stem)
    out: list[tuple[str, str, str]] = []
    if paths["ipynb"].is_file():
        out.append(("notebook", _rel(paths["ipynb"], base), "ipynb"))
    for name, rel in (side.get("tables") or {}).items():
        f = paths["html"].parent / rel
        if f.is_file():
            out.append((f"{name}.csv", _rel(f, base), "csv"))
    if paths["xlsx"].is_file():
        out.append(("tables.xlsx", _rel(paths["xlsx"], base), "xlsx"))
    return out


def write_site_index(
    outcomes: Sequence[JobOutcome],
    path: str | Path,
    *,
    title: str = "clusterix reports",
    level: str | None = None,
) -> Path:
    """Write the site's index page (see the module docstring); returns its path.

    Parameters
    ----------
    outcomes
        The reports to list (from :func:`clusterix_lib.batch.run_batch`, plus
        :func:`manifest_outcomes` for reports built by earlier runs).
    path
        Where to write (atomically).
    title
        Page title.
    level
        Confidentiality level of the build, stated in the header (default: the reports' level).
    """
    import clusterix_lib
    from clusterix_lib import confidentiality

    out = Path(path).resolve()
    base = out.parent
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "failed", "timeout")}
    n_fresh = sum(o.skipped for o in outcomes)
    level = level or next((o.level for o in outcomes if o.level), None)
    groups: dict[str, dict[str, list[JobOutcome]]] = {}
    for o in outcomes:
        groups.setdefault(o.job.group or "Reports", {}).setdefault(o.job.report_type, []).append(o)
    sidecars = {id(o): _sidecar(o) for o in outcomes}
    n_illustrative = sum(bool(sidecars[id(o)].get("illustrative")) for o in outcomes)
    regions: dict[str, str] = {}
    types: list[str] = []
    for o in outcomes:
        code = o.job.header.get("region") or ""
        if code and code not in regions:
            regions[code] = o.job.group or code
        if o.job.report_type and o.job.report_type not in types:
            types.append(o.job.report_type)

    level_html = ""
    if level:
        text = confidentiality.describe(level).split(": ", 1)[-1]
        level_html = (
            f'<p class="meta">Confidentiality: <span class="level level-{escape(level)}">{escape(level)}</span> '
            f"&mdash; {escape(text)}</p>"
        )
    fresh = f"<span>{n_fresh} up to date</span>" if n_fresh else ""
    h: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        '<header><div class="wrap">',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Index written {escape(now)} by clusterix {escape(clusterix_lib.__version__)}</p>',
        level_html,
        f'<p class="counts"><span>{len(outcomes)} reports</span><span>{counts["ok"]} ok</span>{fresh}'
        f"<span>{counts['failed']} failed</span><span>{counts['timeout']} timed out</span></p>",
        (
            f'<p class="meta">{n_illustrative} of them show illustrative, non-official records '
            '(marked <span class="badge">illustrative</span>): do not quote those records as facts.</p>'
            if n_illustrative
            else ""
        ),
        '</div></header><main class="wrap">',
    ]
    anchors = {id(o): f"report-{i + 1}" for i, o in enumerate(outcomes)}
    bad = [o for o in outcomes if not o.ok]
    if bad:
        h.append('<div class="problems"><strong>Not built:</strong><ul>')
        for o in bad:
            h.append(
                f'<li><a href="#{anchors[id(o)]}">{escape(_label(o.job))}</a> &mdash; '
                f"{escape(STATUS_TEXT[o.status])}</li>"
            )
        h.append("</ul></div>")

    region_opts = "".join(
        f'<option value="{escape(c)}">{escape(n)}</option>' for c, n in sorted(regions.items(), key=lambda x: x[1])
    )
    if any(not o.job.header.get("region") for o in outcomes):
        region_opts += '<option value="-">Consortium-wide (no single region)</option>'
    type_opts = "".join(f'<option value="{escape(t)}">{escape(t)}</option>' for t in sorted(types))
    h.append(
        '<form id="cx-filters" class="filters" role="search" hidden>'
        '<label>Search titles<input type="search" name="q" placeholder="e.g. Skåne or peer review" '
        'autocomplete="off"></label>'
        f'<label>Region<select name="region"><option value="">all regions</option>{region_opts}</select></label>'
        f'<label>Report type<select name="type"><option value="">all types</option>{type_opts}</select></label>'
        '<label>Built from<input type="date" name="from"></label>'
        '<label>Built to<input type="date" name="to"></label>'
        '<button type="reset">Clear</button></form>'
        '<p id="cx-shown" class="shown" aria-live="polite" hidden></p>'
        '<p id="cx-none" class="none" hidden>No report matches these filters.</p>'
    )
    for group, by_type in groups.items():
        h.append(f'<section class="cx-group"><h2>{escape(group)}</h2>')
        for report_type, items in by_type.items():
            h.append('<div class="cx-block">')
            if report_type:
                h.append(f"<h3>{escape(report_type)}</h3>")
            h.append(
                '<table><thead><tr><th scope="col">Report</th><th scope="col">Downloads</th>'
                '<th scope="col">Built</th><th scope="col">Status</th><th scope="col" class="secs">Time</th></tr>'
                "</thead><tbody>"
            )
            for o in items:
                side = sidecars[id(o)]
                built = o.built or side.get("built")
                if o.ok and o.html is not None:
                    name = f'<a href="{escape(_rel(o.html, base))}">{escape(o.job.title)}</a>'
                else:
                    name = escape(o.job.title)
                extra = ""
                if side.get("illustrative"):
                    name += (
                        '<span class="badge" title="shows illustrative, non-official records: '
                        'do not quote them as facts">illustrative</span>'
                    )
                if not o.ok:
                    extra = f'<p class="error">{escape(o.error or "")}</p>'
                    if o.failed_ipynb is not None and Path(o.failed_ipynb).exists():
                        extra += (
                            f'<p>Executed notebook kept for inspection: <a href="'
                            f'{escape(_rel(o.failed_ipynb, base))}">'
                            f"{escape(Path(o.failed_ipynb).name)}</a></p>"
                        )
                files = " ".join(
                    f'<a class="dl-{kind}" href="{escape(href)}" download>{escape(label)}</a>'
                    for label, href, kind in _downloads(o, side, base)
                )
                code = o.job.header.get("region") or ""
                search = search_text(o.job.title, o.job.group, o.job.report_type, code)
                status = "up to date" if o.skipped else STATUS_TEXT[o.status]
                secs = "" if o.skipped else f"{o.seconds:.1f} s"
                h.append(
                    f'<tr class="cx-row {o.status}" id="{anchors[id(o)]}" data-region="{escape(code)}" '
                    f'data-type="{escape(o.job.report_type)}" data-date="{escape(_date(built))}" '
                    f'data-search="{escape(search)}">'
                    f'<td class="name">{name}{extra}</td>'
                    f'<td class="files">{files}</td>'
                    f'<td class="built">{escape(_date(built))}</td>'
                    f'<td class="status">{escape(status)}</td>'
                    f'<td class="secs">{secs}</td></tr>'
                )
            h.append("</tbody></table></div>")
        h.append("</section>")
    h.append(f"<footer>{len(outcomes)} reports; index written {escape(now)}.</footer>")
    h.append(f"</main><script>{_JS}</script></body></html>\n")
    return write_text(out, "\n".join(x for x in h if x))


def manifest_outcomes(manifest: Any, exclude: Sequence[Path] = ()) -> list[JobOutcome]:
    """Reports an earlier run recorded in ``manifest`` that are still current, as outcomes.

    A report counts when its files are intact and it was built by the same library code, data
    and level as now (``clusterix reports --region AT12`` after a full build keeps listing the
    other regions). Stems in ``exclude`` (this run's jobs) are left out.
    """
    from clusterix_lib.batch import JobOutcome, ReportJob
    from clusterix_lib.manifest import code_fingerprint, data_fingerprint

    skip = {manifest.stem_key(p) for p in exclude}
    code, data = code_fingerprint(), data_fingerprint()
    out = []
    for rel, entry in manifest.entries.items():
        if rel in skip:
            continue
        inputs = entry.get("inputs") or {}
        if inputs.get("code") != code or inputs.get("data") != data or entry.get("level") != manifest.level:
            continue
        stem = manifest.site / rel
        if not manifest.fresh(stem, entry["key"])[0]:
            continue
        job = ReportJob(
            notebook=Path(inputs.get("notebook") or "unknown.ipynb"),
            params={},
            output_stem=stem,
            title=entry.get("title") or rel,
            group=entry.get("group") or "",
            report_type=entry.get("report_type") or "",
            header={"region": entry.get("region")} if entry.get("region") else {},
        )
        paths = output_paths(stem)
        out.append(
            JobOutcome(
                job,
                "ok",
                0.0,
                html=paths["html"],
                ipynb=paths["ipynb"],
                json=paths["json"],
                skipped=True,
                level=entry.get("level"),
                built=entry.get("built"),
            )
        )
    return out
