"""The HTML report: one self-contained, print-friendly page (plots embedded as data URIs, no external CSS, JS or
fonts) with the scenario, the KPI tables with confidence intervals, the plots, the interval (staffing) table, the
cost breakdown and the assumptions behind every number.

Every text that comes from a scenario or a result file is escaped. No matplotlib here: figures arrive as PNG bytes.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sim.analysis.risk import REPORT_HEADER, report_rows
from sim.reports.channel_output import LEVELS as CHANNEL_LEVELS
from sim.reports.channel_output import section_rows
from sim.reports.results import MAX_DAY_PANELS, SL_FORMULAS, Results, cost_by, requirement

KPI_COLUMNS = (
    ("offered", "Offered", "count"), ("answered", "Answered", "count"), ("service_level", "Service level %", "pct"),
    ("asa", "ASA s", "sec"), ("abandon_rate", "Abandoned %", "pct"), ("blocking_rate", "Blocked %", "pct"),
    ("deflection_rate", "Self-service %", "pct"), ("closed_rate", "Closed %", "pct"), ("aht", "AHT s", "sec"),
    ("transfer_rate", "Transferred %", "pct"), ("transfer_sl", "Transfer SL %", "pct"),
    ("transfer_abandon_rate", "Transfer abandoned %", "pct"), ("callback_rate", "Call back %", "pct"),
    ("callback_sl", "Called back in time %", "pct"), ("occupancy", "Occupancy %", "pct"),
    ("agent_hours", "Agent hours", "count"),
    ("labour_cost", "Labour cost", "count"), ("total_cost", "Total cost", "count"),
    ("offers", "Sales offers", "count"), ("sales", "Sales", "count"), ("conversion", "Conversion %", "pct"),
    ("revenue", "Revenue", "amount"), ("revenue_per_call", "Revenue per call", "money"),
    ("profit", "Profit", "amount"),
)
_MONEY = frozenset({"labour_cost", "total_cost", "revenue", "revenue_per_call", "profit"})
"""KPI_COLUMNS in the scenario's currency."""
CAPTIONS = {
    "service_level": "Service level per interval against the target; the band is the 95 % confidence interval.",
    "volumes": "Calls per interval by outcome.",
    "staffing": "Agents logged in against the Erlang C requirement: red where too few, green where too many.",
    "occupancy": "Share of logged-in time the agents of each group spent on calls.",
    "waiting_time": "How long answered calls waited: the share answered within any waiting time.",
    "labour_cost": "Labour cost per agent group.",
    "costs": "Cost by component.",
    "work_backlog": "Work items waiting (time average) per interval and work type: the backlog carried across days.",
    "chat_service_level": "Chat service level per interval of arrival and chat type.",
    "outbound_contacts": "Outbound right-party contacts per interval of dialling and campaign.",
    "risk_fan": "Risk: spread of the interval service level by time of day over all days and replications.",
    "risk_daily_ecdf": "Risk: distribution of the daily service level and the share of days meeting the target.",
    "risk_heatmap": "Risk: per day and interval, the share of replications meeting the service-level target.",
}
CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 2em auto;
       max-width: 1180px; padding: 0 1em; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #1f5fa8; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #555; } .note { color: #555; font-size: 0.9em; }
.warn { background: #fff4d6; border-left: 4px solid #d99a00; padding: 0.4em 0.7em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.88em; }
th, td { border: 1px solid #d5d5d5; padding: 0.25em 0.55em; }
th { background: #eef2f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; } td.under { background: #f8d0cc; } td.over { background: #d9eedd; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; } dt { font-weight: bold; }
@media print { body { margin: 0; max-width: none; } figure, table { page-break-inside: avoid; }
               h2 { page-break-after: avoid; } }
"""


def esc(value: Any) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(value), quote=True)


def fmt(kpi: dict[str, float | None] | None, kind: str) -> str:
    """"92.6 ± 2.1" for a {mean, ci} KPI ('' if missing); percentages in %, counts without a CI, amounts (money
    that varies: revenue, profit) whole with one."""
    mean = kpi.get("mean") if kpi else None
    if kpi is None or mean is None:
        return ""
    scale, digits = (100.0, 1) if kind == "pct" else (1.0, {"count": 0, "amount": 0, "money": 2}.get(kind, 1))
    text = f"{mean * scale:,.{digits}f}"
    ci = kpi.get("ci")
    if kind != "count" and ci is not None and not math.isnan(ci):
        text += f" ± {ci * scale:.{digits}f}"
    return text


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], classes: Iterable[Sequence[str]] | None = None,
          row_classes: Iterable[str] | None = None) -> str:
    """An HTML table; every cell is escaped. ``classes``: CSS classes per cell (default: the first column text,
    the others right-aligned numbers); ``row_classes``: one per row."""
    rows = list(rows)
    classes = list(classes) if classes is not None else [["num" if j else "" for j in range(len(r))] for r in rows]
    row_classes = list(row_classes) if row_classes is not None else [""] * len(rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        f"<tr class=\"{esc(rc)}\">" + "".join(f"<td class=\"{esc(c)}\">{esc(v)}</td>"
                                            for v, c in zip(row, cls, strict=True)) + "</tr>"
        for row, cls, rc in zip(rows, classes, row_classes, strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _nonzero(kpi: dict[str, float | None] | None) -> bool:
    return kpi is not None and kpi.get("mean") not in (None, 0.0)


def kpi_table(rows: Sequence[dict[str, Any]], currency: str, by_day: bool = False) -> str:
    """KPI rows of summary.json ({level, name, kpis}) as a table; columns that are empty or 0 everywhere (e.g. no
    blocking) are dropped."""
    columns = [c for c in KPI_COLUMNS if any(_nonzero(r["kpis"].get(c[0])) for r in rows)]
    text_columns = 1 if by_day else 2
    header = (["Day"] if by_day else ["Level", "Name"]) + [f"{title} {currency}" if key in _MONEY else title
                                                           for key, title, _ in columns]
    cells = [([] if by_day else [r["level"]]) + [r["name"]] + [fmt(r["kpis"].get(k), kind) for k, _, kind in columns]
             for r in rows]
    classes = [["" if j < text_columns else "num" for j in range(len(header))] for _ in cells]
    return table(header, cells, classes, ["total" if r["level"] == "total" else "" for r in rows])


def glance(results: Results) -> str:
    """The headline figures in words, for readers who look at nothing else."""
    threshold, target, _ = results.sl
    total = results.kpi_row("total", "all")
    currency = results.run.get("currency", "")
    items = [f"Service level {fmt(total.get('service_level'), 'pct')} % (target: {target:.0%} of calls answered "
             f"within {threshold:g} s)",
             f"Average speed of answer {fmt(total.get('asa'), 'sec')} s; {fmt(total.get('abandon_rate'), 'pct')} % "
             "of callers who queued hung up before an agent answered",
             f"{fmt(total.get('offered'), 'count')} calls offered, {fmt(total.get('answered'), 'count')} answered "
             f"by agents; occupancy {fmt(total.get('occupancy'), 'pct')} %"]
    if _nonzero(total.get("total_cost")):
        period = results.run.get("period", f"per {results.run.get('days')} days")
        per_need = total.get("cost_per_resolved_need")
        items.append(f"Total cost {period} {fmt(total.get('total_cost'), 'count')} {currency}; "
                     f"{fmt(total.get('cost_per_call'), 'money')} {currency} per answered call"
                     + (f", {fmt(per_need, 'money')} {currency} per resolved customer need" if per_need else ""))
    return "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>"


def _figures(charts: dict[str, bytes]) -> str:
    parts = []
    for name, png in charts.items():
        data = base64.b64encode(png).decode("ascii")
        caption = CAPTIONS.get(name, name.replace("_", " ").capitalize())
        parts.append(f"<figure><img alt=\"{esc(caption)}\" src=\"data:image/png;base64,{data}\">"
                     f"<figcaption>{esc(caption)}</figcaption></figure>")
    return "\n".join(parts)


def interval_section(results: Results) -> str:
    """Per day (the first MAX_DAY_PANELS days of longer runs), a WFM-style interval table: calls, service, AHT,
    Erlang C agents required vs logged in, occupancy. Intervals without calls during opening hours are left out."""
    req = {(r["day"], r["interval_start"]): r for r in requirement(results)}
    by_day: dict[int, list[dict[str, Any]]] = {}
    for r in results.total_rows():
        by_day.setdefault(int(r["day"]), []).append(r)
    out = []
    for day in sorted(by_day)[:MAX_DAY_PANELS]:
        rows = [r for r in by_day[day] if r["offered"] - r["closed"] > 0]
        if rows:
            cells, classes = zip(*(_interval_row(r, req[(day, r["interval_start"])], results.groups) for r in rows),
                                 strict=True)
            out.append(f"<h3>{esc(rows[0]['weekday'].capitalize())}, day {day}</h3>"
                       + table(INTERVAL_HEADER, cells, classes))
    if len(by_day) > MAX_DAY_PANELS:
        out.append(f"<p class=\"note\">The first {MAX_DAY_PANELS} of {len(by_day)} days; every interval is in "
                   "intervals.csv and in the workbook's Staffing sheet.</p>")
    return "\n".join(out)


def _interval_row(r: dict[str, Any], q: dict[str, Any], groups: list[str]) -> tuple[list[str], list[str]]:
    """Cells and their CSS classes of one interval (``q``: its staffing requirement row)."""
    staffed = sum(r[f"agents_{g}"] for g in groups)
    busy = sum(r[f"occupancy_{g}"] * r[f"agents_{g}"] for g in groups if not math.isnan(r[f"occupancy_{g}"]))
    cells = [r["interval_start"], _n(r["offered"]), _n(r["answered"]), _n(r["abandoned"]), _n(r["blocked"]),
             _p(r["service_level"]), _s(r["asa"]), _s(r.get("aht", math.nan)), str(q["required"]), f"{staffed:.1f}",
             f"{q['difference']:+.1f}", _p(busy / staffed if staffed > 0 else math.nan)]
    diff = "under" if q["difference"] < -0.5 else "over" if q["difference"] > 0.5 else ""
    return cells, ["", *["num"] * 9, f"num {diff}", "num"]


INTERVAL_HEADER = ("Interval", "Offered", "Answered", "Abandoned", "Blocked", "Service level %", "ASA s", "AHT s",
                   "Required (Erlang C)", "Logged in", "Difference", "Occupancy %")


def _n(x: float) -> str:
    return "" if math.isnan(x) else f"{x:,.1f}"


def _p(x: float) -> str:
    return "" if math.isnan(x) else f"{100 * x:.1f}"


def _s(x: float) -> str:
    return "" if math.isnan(x) else f"{x:.1f}"


def cost_section(results: Results) -> str:
    """Cost by component (per client when several share the center) and labour cost per agent group."""
    currency = results.run.get("currency", "")
    clients = cost_by(results, "client")
    rows = clients if len(clients) > 1 else cost_by(results, "total")
    out = []
    if rows:
        shown = [c for c in rows[0][1] if any(parts[c] for _, parts in rows)]  # components that occur
        header = ["Client" if len(clients) > 1 else "Scope", *(f"{c} ({currency})" for c in shown),
                  f"Total ({currency})", f"Per answered call ({currency})"]
        per_call = {r["name"]: fmt(r["kpis"].get("cost_per_call"), "money") for r in results.summary["rows"]
                    if r["level"] in ("total", "client")}
        cells = [[name, *(f"{parts[c]:,.0f}" for c in shown), f"{sum(parts.values()):,.0f}", per_call.get(name, "")]
                 for name, parts in rows]
        out.append(table(header, cells))
    groups = [r for r in results.summary["rows"] if r["level"] == "group"]
    costs = [(r["kpis"].get("labour_cost") or {}).get("mean") or 0.0 for r in groups]
    total = sum(costs)
    if total > 0:
        cells = []
        for r, cost in zip(groups, costs, strict=True):
            hours = (r["kpis"].get("agent_hours") or {}).get("mean") or 0.0
            cells.append([r["name"], f"{hours:,.0f}", f"{cost / hours:,.2f}" if hours else "", f"{cost:,.0f}",
                          f"{100 * cost / total:.1f}"])
        cells.append(["total", "", "", f"{total:,.0f}", "100.0"])
        out.append("<h3>Labour cost per agent group</h3>" + table(
            ["Agent group", "Agent hours", f"Cost per hour ({currency})", f"Labour cost ({currency})", "Share %"],
            cells, row_classes=[""] * (len(cells) - 1) + ["total"]))
    out.append(invoice_section(results))
    return "\n".join(part for part in out if part) or "<p>No costs in this scenario.</p>"


def _pm(row: dict[str, Any], key: str, scale: float = 1.0, digits: int = 0) -> str:
    """"12.3 ± 0.4" from a row's ``key`` and ``key_ci`` ('' if missing)."""
    mean, ci = row.get(key), row.get(f"{key}_ci")
    if mean is None:
        return ""
    return f"{mean * scale:,.{digits}f}" + (f" ± {ci * scale:,.{digits}f}" if ci is not None else "")


def invoice_section(results: Results) -> str:
    """Each partner invoice clause by clause: quantity, rate, reference, amount with 95 % CI half-widths."""
    lines = results.summary.get("invoices") or []
    if not lines:
        return ""
    currency = results.run.get("currency", "")
    cells = [[r["site"], r["client"], r["label"] if r["clause"] != "total" else "total", _pm(r, "quantity", digits=3),
              _pm(r, "rate", digits=3), _pm(r, "reference", digits=3), _pm(r, "amount", digits=2)] for r in lines]
    return ("<h3>Partner invoices, clause by clause</h3><p class=\"note\">Quantity x rate per clause; credits "
            "are a share of the invoice after minimums (quantity: measured SL, reference: contracted SL); 95 % CIs "
            "over replications. The amounts of an invoice sum to its total.</p>"
            + table(["Site", "Client", "Clause", "Quantity", "Rate", "Reference", f"Amount ({currency})"], cells,
                    classes=[["", "", "", "num", "num", "num", "num"]] * len(cells),
                    row_classes=["total" if r["clause"] == "total" else "" for r in lines]))


def site_section(results: Results) -> str:
    """Per site: the contract's SL next to the contracted one (partner sites), abandonment, occupancy, cost; nothing
    for a center of one in-house site."""
    sites = results.summary.get("sites") or []
    if len(sites) < 2 and not any(r["kind"] == "partner" for r in sites):  # one in-house site: the key figures
        return ""
    currency = results.run.get("currency", "")
    cells = [[r["site"], r["kind"].replace("_", " "), _pm(r, "answered_within", 100, 1), _pm(r, "asa", 1, 1),
              _pm(r, "service_level", 100, 1),
              "" if r.get("contracted_sl") is None else f"{100 * r['contracted_sl']:.1f}",
              _pm(r, "abandon_rate", 100, 1), _pm(r, "occupancy", 100, 1), _pm(r, "cost"), r["cost_basis"]]
             for r in sites]
    return ("<h2>Sites</h2><p class=\"note\">Answered within T and ASA: the calls the site's agents answered, their "
            "wait counted from reaching the queue (a transfer included) against each call type's threshold. "
            "Contract SL: as each partner's contract measures it (its threshold, on offered or answered calls, the "
            "wait before overflow left out), next to the contracted target. Cost = what the client pays the site "
            "(labour in house, the invoice for a partner).</p>"
            + table(["Site", "Kind", "Answered within T %", "ASA s", "Contract SL %", "Contracted SL %", "Aband %",
                     "Occ %", f"Cost ({currency})", "Cost basis"], cells))


def channel_sections(results: Results) -> list[str]:
    """The tables of outbound campaigns and deferrable work (one column each), if the scenario has them."""
    parts = []
    for level, title, note in (
            ("campaign", "Outbound campaigns", "Attempts by the interval of the dial. Silent: a person answered and "
             "no agent was free. Agent hours: all hours of a team that only works the campaign, the hours on "
             "outbound calls of a blended team (see docs/domain.md)."),
            ("work", "E-mail and back-office work", "Answered in time: finished within the response time of "
             "arrival, of all items that arrived; age at answer: arrival to finish."),
            ("chat", "Chat", "Service level: taken by an agent within the threshold, of the chats offered minus those "
             "that left within it. Handle time as stretched by the agent's other chats.")):
        rows = [r for r in results.summary["rows"] if r["level"] == level]
        if rows:
            header, cells = section_rows(rows, level)
            parts += [f"<h2>{esc(title)}</h2>", f"<p class=\"note\">{esc(note)}</p>", table(header, cells)]
    return parts


def assumptions(results: Results) -> str:
    """Everything a reader needs to reproduce or judge the numbers."""
    run = results.run
    threshold, target, definition = results.sl
    short = run.get("service_level", {}).get("short_abandon_s")
    analytic = results.summary.get("analytic")
    own = {k: v for k, v in (results.summary.get("wait_distribution") or {}).get("thresholds_s", {}).items()
           if k != "all" and v != threshold}
    items = [
        ("Service level", f"{target:.0%} of calls answered within {threshold:g} s (target); measured as "
                          f"{SL_FORMULAS.get(definition, definition)} with T = {threshold:g} s ({definition}); "
                          f"short abandons: within {short or 0:g} s"),
        *([("Own thresholds", "these call types are judged against their own threshold, also in the totals: "
                              + ", ".join(f"{k} {v:g} s" for k, v in own.items()))] if own else []),
        ("Run", f"{run.get('replications')} independent replications of {run.get('days')} day(s); "
                f"{results.interval_s / 60:g}-minute reporting intervals; seed {run.get('seed')}"),
        ("Confidence intervals", "95 %, Student t over replications; ratios (service level, ASA, abandonment, "
                                 "occupancy) are ratio-of-sums estimators with delta-method intervals"),
        ("Counting", "a call counts in the interval and day in which it arrived; ASA excludes IVR time"),
        ("Staffing requirement", "Erlang C per interval for the calls that wanted an agent (offered minus IVR "
                                 "self-service and closed hours), the interval's AHT and the service-level goal"),
        ("Scenario file", f"{run.get('scenario_file')} (sha256 {run.get('scenario_sha256')})"),
        ("Simulated", f"{run.get('calls_simulated', 0):,} calls in {run.get('wall_time_s')} s, "
                      f"finished {run.get('finished_at')}"),
        ("Versions", ", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items())),
    ]
    if analytic:
        figures = ", ".join(f"{k} {v:.4g}" for k, v in analytic["figures"].items())
        items.append(("Analytic twin", f"{analytic['model']}: {figures}"))
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


def report_html(results: Results, charts: dict[str, bytes]) -> str:
    """The whole report page. ``charts``: {figure stem: PNG bytes}."""
    run = results.run
    name, currency = results.name, str(run.get("currency", ""))
    clients = [r for r in results.summary["rows"] if r["level"] == "client"]
    rows = [r for r in results.summary["rows"] if (r["level"] != "client" or len(clients) > 1)
            and r["level"] not in CHANNEL_LEVELS]
    parts = [f"<h1>{esc(name)}</h1>",
             f"<p>{esc(run.get('description') or '')}</p>",
             f"<p class=\"meta\">{esc(run.get('replications'))} replications x {esc(run.get('days'))} day(s), "
             f"seed {esc(run.get('seed'))}; means with 95 % confidence intervals (±).</p>",
             *(["<h2>At a glance</h2>", glance(results)] if results.has_calls else []),  # inbound KPIs
             "<h2>Key figures</h2>", kpi_table(rows, currency)]
    if results.summary.get("days") and results.has_calls:
        parts += ["<h3>Per day</h3>", kpi_table(results.summary["days"], currency, by_day=True)]
    if results.summary.get("risk"):
        parts += ["<h2>Risk: days and intervals</h2>", "<p class=\"note\">Spread over the days and intervals of all "
                  "replications; P(SL ≥ target) with a 95 % CI over replications (see docs/domain.md).</p>",
                  table(REPORT_HEADER, report_rows(results.summary["risk"], len(clients) > 1))]
    if charts:
        parts += ["<h2>Charts</h2>", _figures(charts)]
    parts += channel_sections(results)
    parts += ["<h2>Cost breakdown</h2>", cost_section(results), site_section(results)]
    if results.intervals and results.has_calls:
        parts += ["<h2>Intervals</h2>", "<p class=\"note\">All call types together; intervals without calls "
                  "during opening hours are left out. Difference = logged in - required (red: understaffed).</p>",
                  interval_section(results)]
    parts += ["<h2>Assumptions</h2>", assumptions(results)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>ccsim report: {esc(name)}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def write_report(results: Results, charts: dict[str, bytes], folder: Path) -> Path:
    """Write ``folder/report.html`` (via a temporary file and a rename); return its path."""
    path = folder / "report.html"
    tmp = folder / ".report.html.tmp"
    tmp.write_text(report_html(results, charts), encoding="utf-8")
    tmp.replace(path)
    return path
