"""Risk: how service level, ASA, abandonment and occupancy spread over days and intervals, not only their means.

Pure numpy. The whole-run figures of sim.analysis.summary say how good a run is on average; these say how often it is
bad.

Units. A *day* is one calendar day of one replication (every replication x every day); a day that begins in the
warm-up counts from the warm-up's end (as in days.csv), a day wholly inside it is no unit. An *interval* is one
reporting interval of one replication after the warm-up; for a call slice (call type, client, total) only the
intervals in which the slice was offered calls are units, for an agent group or site only the intervals in which
it had agents logged in.

Values. A unit's value is the KPI of that unit alone, with the formulas of sim.analysis.stats.call_ratios: service level
(the scenario's definition; each call is judged against its call type's threshold, also in client and total
slices, as in summary.csv), ASA and abandonment (abandoned / (answered + abandoned)); for agent groups and sites
occupancy (busy / logged-in agent time). A unit whose KPI is undefined (denominator 0: a closed day, an interval
whose calls were all closed, deflected or blocked, no answered call for ASA) is left out and counted (``excluded``).

Sites. The facts count calls per call type and interval, not per site, so there is no service level per site:
agent groups and sites (when there are several) get occupancy only, summed over the site's groups.

Percentiles. P5, P25, P50, P75 and P95 of the pooled values of all units, numpy's ``linear`` method (its
default; Hyndman & Fan type 7).

P(meet). The share of units whose service level is >= the target: a call type's own target, the scenario's for
clients and the total. Days (intervals) of one replication are not independent (shared staffing, the day's
busyness, queues carried over), so the confidence interval treats the replication as the independent unit: per
replication the share met_r / n_r, and a 95 % Student-t interval over replications. It is computed as the ratio
of sums sum(met_r) / sum(n_r) with the delta method (sim.analysis.stats.ratio_estimate): the point estimate is the
share of all units, and when every replication has the same number of units (days, as a rule) the interval is
exactly the t-interval of the per-replication shares. With one replication there is no interval.

Weekdays. Besides all days, the daily service level of every call slice is also spread per weekday (unit
"mon".."sun", only weekdays the run has): the same percentiles, P(day SL >= target) with its CI over replications
("12 % of Mondays below 80 %" is 1 - P(meet) of unit "mon") and the worst days of that weekday.

Worst. The WORST worst units of each row: lowest service level; highest ASA, abandonment and occupancy (overload);
ties in replication and time order. Replications and days are numbered from 1 (as in days.csv).

Cost risk. The run-period cost ("per week" for a 7-day run, else "per N days") of each replication: the total, each
client's (with several clients) and each partner site's invoice total (all its invoices). Replications are
independent, so these are R independent values; mean and P10, P50, P90, P95 by numpy's ``linear`` method (type 7:
interpolating between order statistics; with few replications P90/P95 lie near the largest value and are rough).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.analysis.stats import Estimate, call_ratios, ratio_estimate
from sim.engine.layout import Layout
from sim.scenario.types import Weekday
from sim.units import DAY, format_clock

QUANTILES = (5.0, 25.0, 50.0, 75.0, 95.0)
METHOD: Final = "linear"
"""numpy.percentile method of QUANTILES."""
WORST = 5
UNIT_KINDS = ("day", "interval")
WEEKDAY_UNITS = tuple(w.value for w in Weekday)
"""Units of the per-weekday daily service-level rows."""
CALL_KPIS = ("service_level", "asa", "abandon_rate")
HIGH_IS_WORSE = {"service_level": False, "asa": True, "abandon_rate": True, "occupancy": True}
CSV_COLUMNS = ("level", "name", "kpi", "unit", "units", "excluded", "mean", *(f"p{q:g}" for q in QUANTILES), "target",
               "p_meet", "p_meet_ci", "worst", "worst_at")
"""Columns of risk.csv, one row per level x name x kpi x unit."""


@dataclass(frozen=True)
class Worst:
    """One bad unit: replication and day (from 1), weekday, interval start ("HH:MM"; None for a day), value."""

    replication: int
    day: int
    weekday: str
    interval_start: str | None
    value: float

    def label(self) -> str:
        """"Mon day 1 10:30 rep 4" (no clock time for a day)."""
        start = f" {self.interval_start}" if self.interval_start else ""
        return f"{self.weekday.capitalize()} day {self.day}{start} rep {self.replication}"


@dataclass(frozen=True)
class Spread:
    """The distribution of one KPI of one slice over the units of one kind."""

    level: str  # total, client, call_type, group or site
    name: str
    kpi: str
    unit: str  # day or interval
    units: int  # units with a defined value
    excluded: int  # units left out: the KPI is undefined there
    mean: float  # of the unit values; NaN without units
    percentiles: tuple[float, ...]  # at QUANTILES; NaN without units
    target: float | None  # service level only
    p_meet: Estimate | None  # share of units with service level >= target; service level only
    worst: tuple[Worst, ...]


@dataclass(frozen=True)
class _Units:
    """Units of one kind: ``starts`` (interval offsets after the warm-up at which units begin, for
    np.add.reduceat) and per unit its day (from 1), weekday and interval start (None for days)."""

    kind: str
    starts: np.ndarray
    where: tuple[tuple[int, str, str | None], ...]


def _units(layout: Layout, first: int, kind: str) -> _Units:
    """The days or intervals after the warm-up (``first``: the first interval after it)."""
    run = layout.scenario.run
    begin = np.arange(first, layout.n_intervals) * run.interval
    day = (begin // DAY).astype(np.int64)
    if kind == "day":
        starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
    else:
        starts = np.arange(len(day))
    weekdays = list(Weekday)
    where = tuple((int(day[j]) + 1, weekdays[(run.start_day.number + int(day[j])) % 7].value,
                   None if kind == "day" else format_clock(begin[j] - day[j] * DAY)) for j in starts)
    return _Units(kind, starts, where)


def _per_unit(x: np.ndarray, first: int, units: _Units) -> np.ndarray:
    """``x[..., interval, k]`` summed into ``[..., unit, k]`` (warm-up intervals dropped; intervals: a view)."""
    after = x[..., first:, :]
    return after if units.kind == "interval" else np.add.reduceat(after, units.starts, axis=-2)


def _call_slices(layout: Layout) -> tuple[list[tuple[str, str, float]], np.ndarray]:
    """(level, name, SL target) of every call slice, and the [call type, slice] 0/1 matrix that sums them."""
    target = layout.scenario.service_level.target
    types = len(layout.type_names)
    slices = [("total", "all", target)]
    slices += [("client", name, target) for name in layout.client_names]
    slices += [("call_type", name, target if ct.service_level is None else ct.service_level.target)
               for name, ct in zip(layout.type_names, layout.call_types, strict=True)]
    client_of = np.asarray(layout.type_client)
    matrix = np.column_stack([np.ones(types), *(client_of == c for c in range(len(layout.client_names))),
                              np.eye(types)])
    return slices, matrix


def _group_slices(layout: Layout) -> tuple[list[tuple[str, str]], np.ndarray]:
    """(level, name) of every agent group and (if there are several) site, and their [group, slice] matrix."""
    groups = len(layout.group_names)
    slices = [("group", name) for name in layout.group_names]
    columns = list(np.eye(groups).T)
    if len(layout.site_names) > 1:
        site_of = np.asarray(layout.group_site)
        slices += [("site", name) for name in layout.site_names]
        columns += [site_of == s for s in range(len(layout.site_names))]
    return slices, np.column_stack(columns)


def _spread(key: tuple[str, str, str, str], num: np.ndarray, den: np.ndarray, eligible: np.ndarray,
            units: _Units, target: float | None) -> Spread:
    """One row from ``num``, ``den`` and ``eligible`` (is a unit), each [replication, unit]."""
    defined = eligible & (den > 0)
    values = np.divide(num, den, out=np.full(num.shape, np.nan), where=defined)
    pooled = values[defined]
    pct = np.percentile(pooled, list(QUANTILES), method=METHOD) if pooled.size else np.full(len(QUANTILES), np.nan)
    p_meet = None
    if target is not None:
        met = defined & (values >= target)
        p_meet = ratio_estimate(met.sum(axis=1), defined.sum(axis=1))
    return Spread(*key, units=int(defined.sum()), excluded=int((eligible & ~defined).sum()),
                  mean=float(pooled.mean()) if pooled.size else math.nan,
                  percentiles=tuple(float(p) for p in pct), target=target, p_meet=p_meet,
                  worst=_worst(values, defined, units, HIGH_IS_WORSE[key[2]]))


def _worst(values: np.ndarray, defined: np.ndarray, units: _Units, high_is_worse: bool) -> tuple[Worst, ...]:
    """The WORST worst defined units; ties in replication, then time order."""
    rep, unit = np.nonzero(defined)  # row-major: replication, then time
    v = values[rep, unit]
    order = np.argsort(-v if high_is_worse else v, kind="stable")[:WORST]
    out = []
    for j in order:
        day, weekday, start = units.where[unit[j]]
        out.append(Worst(int(rep[j]) + 1, day, weekday, start, float(v[j])))
    return tuple(out)


def _call_spreads(result: RunResult, calls: np.ndarray, units: _Units) -> list[Spread]:
    """Service level, ASA and abandonment of every call slice; ``calls[r, field, unit, call type]``. One slice at
    a time, so that memory stays near that of the facts."""
    slices, matrix = _call_slices(result.layout)
    out = []
    for s, (level, name, target) in enumerate(slices):
        x = calls @ matrix[:, s]  # [R, F, U]
        ratios = call_ratios(x, result.scenario.service_level)
        offered = x[:, CALL_FIELDS.index("offered")]
        eligible = np.ones(offered.shape, dtype=bool) if units.kind == "day" else offered > 0
        for kpi in CALL_KPIS:
            num, den = ratios[kpi]
            out.append(_spread((level, name, kpi, units.kind), num, den, eligible, units,
                               target if kpi == "service_level" else None))
        if units.kind == "day":
            out += _weekday_spreads((level, name), ratios["service_level"], eligible, units, target)
    return out


def _weekday_spreads(slice_: tuple[str, str], sl: tuple[np.ndarray, np.ndarray], eligible: np.ndarray,
                     units: _Units, target: float) -> list[Spread]:
    """Daily service level of one call slice per weekday present in the run (unit "mon".."sun"), Monday first."""
    weekday = np.array([w for _, w, _ in units.where])
    return [_spread((*slice_, "service_level", w.value), *sl, eligible & (weekday == w.value), units, target)
            for w in Weekday if (weekday == w.value).any()]


def _group_spreads(result: RunResult, groups: np.ndarray, units: _Units) -> list[Spread]:
    """Occupancy of every agent group and site; ``groups[r, field, unit, group]``."""
    slices, matrix = _group_slices(result.layout)
    x = groups @ matrix  # [R, Fg, U, slices]
    busy, staffed = x[:, GROUP_FIELDS.index("busy_time")], x[:, GROUP_FIELDS.index("staffed_time")]
    eligible = np.ones(staffed.shape, dtype=bool) if units.kind == "day" else staffed > 0
    return [_spread((level, name, "occupancy", units.kind), busy[..., s], staffed[..., s], eligible[..., s], units,
                    None) for s, (level, name) in enumerate(slices)]


def risk_rows(result: RunResult) -> tuple[Spread, ...]:
    """Every risk row of a run: per unit kind (days, then intervals), call slices, then groups and sites."""
    first = result.facts[0].first_interval
    calls = np.stack([f.calls for f in result.facts])  # [R, F, I, K]
    groups = np.stack([f.groups for f in result.facts])  # [R, Fg, I, G]
    out: list[Spread] = []
    for kind in UNIT_KINDS:
        units = _units(result.layout, first, kind)
        if result.layout.type_names:  # a scenario may have no inbound calls (outbound, work or chat only)
            out += _call_spreads(result, _per_unit(calls, first, units), units)
        out += _group_spreads(result, _per_unit(groups, first, units), units)
    return tuple(out)


def meeting_target(result: RunResult, kind: str, client: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: the days or intervals (``kind``) whose service level met the target, and those counted
    (as in the risk rows' ``p_meet``); all call types, or those of ``client``."""
    first = result.facts[0].first_interval
    units = _units(result.layout, first, kind)
    calls = _per_unit(np.stack([f.calls for f in result.facts]), first, units)  # [R, F, U, K]
    mine = np.ones(len(result.layout.type_names)) if client is None else (
        np.asarray(result.layout.type_client) == client).astype(float)
    x = calls @ mine  # [R, F, U]
    num, den = call_ratios(x, result.scenario.service_level)["service_level"]
    offered = x[:, CALL_FIELDS.index("offered")]
    defined = (np.ones(offered.shape, dtype=bool) if kind == "day" else offered > 0) & (den > 0)
    values = np.divide(num, den, out=np.full(num.shape, np.nan), where=defined)
    met = defined & (values >= result.scenario.service_level.target)
    return met.sum(axis=1).astype(float), defined.sum(axis=1).astype(float)


def _number(x: float) -> float | None:
    """A float for JSON and CSV: NaN becomes None."""
    return None if math.isnan(x) else x


def risk_json(spreads: tuple[Spread, ...]) -> list[dict[str, Any]]:
    """The ``risk`` section of summary.json."""
    return [{"level": s.level, "name": s.name, "kpi": s.kpi, "unit": s.unit, "units": s.units,
             "excluded": s.excluded, "mean": _number(s.mean),
             "percentiles": {f"p{q:g}": _number(p) for q, p in zip(QUANTILES, s.percentiles, strict=True)},
             "target": s.target,
             "p_meet": None if s.p_meet is None else {"mean": _number(s.p_meet.mean),
                                                      "ci": _number(s.p_meet.half_width)},
             "worst": [{"replication": w.replication, "day": w.day, "weekday": w.weekday,
                        "interval_start": w.interval_start, "value": w.value} for w in s.worst]}
            for s in spreads]


def risk_csv_rows(spreads: tuple[Spread, ...]) -> list[dict[str, Any]]:
    """The rows of risk.csv (CSV_COLUMNS); ``worst``/``worst_at``: the worst unit's value and where it was."""
    rows = []
    for s in spreads:
        row: dict[str, Any] = {"level": s.level, "name": s.name, "kpi": s.kpi, "unit": s.unit, "units": s.units,
                               "excluded": s.excluded, "mean": _number(s.mean), "target": s.target,
                               "p_meet": None if s.p_meet is None else _number(s.p_meet.mean),
                               "p_meet_ci": None if s.p_meet is None else _number(s.p_meet.half_width),
                               "worst": s.worst[0].value if s.worst else None,
                               "worst_at": s.worst[0].label() if s.worst else None}
        row.update({f"p{q:g}": _number(p) for q, p in zip(QUANTILES, s.percentiles, strict=True)})
        rows.append(row)
    return rows


def _p_text(spread: Spread) -> str:
    """"P(day SL ≥ 80 %) = 0.93 ± 0.02"."""
    assert spread.p_meet is not None and spread.target is not None
    p = spread.p_meet
    value = "-" if math.isnan(p.mean) else f"{p.mean:.2f}" + ("" if math.isnan(p.half_width)
                                                             else f" ± {p.half_width:.2f}")
    return f"P({spread.unit} SL ≥ {100 * spread.target:g} %) = {value}"


def terminal_lines(spreads: tuple[Spread, ...]) -> str:
    """Under the KPI table, per call type (and all, if several): P(meet) per day and interval, the worst day."""
    sl = {(s.level, s.name, s.unit): s for s in spreads if s.kpi == "service_level"}
    names = [(level, name) for level, name, unit in sl if unit == "day" and level == "call_type"
             and _has_days(sl[(level, name, unit)])]
    if len(names) > 1:
        names.append(("total", "all"))
    lines = ["Risk (days and intervals of all replications; ± 95 % CI over replications):"]
    for level, name in names:
        day, interval = sl[(level, name, "day")], sl[(level, name, "interval")]
        worst = f"; worst day: {day.worst[0].label()} {100 * day.worst[0].value:.1f} %" if day.worst else ""
        lines.append(f"  {name}: {_p_text(day)}; {_p_text(interval)}{worst}")
        lines += _weekday_line(sl, level, name)
    return "\n" + "\n".join(lines) if names else ""


def _has_days(spread: Spread) -> bool:
    """Whether some day had calls of the slice (a queue that only transfers reach has none of its own)."""
    return spread.p_meet is not None and not math.isnan(spread.p_meet.mean)


def _weekday_line(sl: dict[tuple[str, str, str], Spread], level: str, name: str) -> list[str]:
    """"    days below 80 %: mon 12 %, tue 3 %, ..." (share of that weekday's days; none if one weekday or fewer)."""
    rows = [sl[(level, name, w)] for w in WEEKDAY_UNITS if (level, name, w) in sl]
    if len(rows) < 2 or rows[0].target is None:
        return []
    below = [None if s.p_meet is None or math.isnan(s.p_meet.mean) else 1 - s.p_meet.mean for s in rows]
    parts = [f"{s.unit} {'-' if b is None else f'{100 * b:.0f} %'}" for s, b in zip(rows, below, strict=True)]
    return [f"    days below {100 * rows[0].target:g} %: " + ", ".join(parts)]


REPORT_HEADER = ("Level", "Name", "KPI", "Unit", "P5", "P25", "Median", "P75", "P95", "P(SL ≥ target)", "Units",
                 "Excluded", "Worst")
PERCENT_KPIS = ("service_level", "abandon_rate", "occupancy")


def report_rows(data: list[dict[str, Any]], clients: bool) -> list[list[str]]:
    """Rows of the HTML report's risk table (REPORT_HEADER) from summary.json's ``risk`` section; client rows
    only if ``clients``; percentages in %, ASA in seconds."""
    rows = []
    for r in data:
        if r["level"] == "client" and not clients:
            continue
        scale, unit = (100.0, " %") if r["kpi"] in PERCENT_KPIS else (1.0, " s")
        cells = ["" if p is None else f"{scale * p:.1f}" for p in r["percentiles"].values()]
        p = r["p_meet"] or {}
        meet = "" if p.get("mean") is None else f"{p['mean']:.3f}" + (f" ± {p['ci']:.3f}" if p.get("ci") is not None
                                                                        else "")
        w = r["worst"][0] if r["worst"] else None
        worst = "" if w is None else Worst(**w).label() + f": {scale * w['value']:.1f}{unit}"
        rows.append([r["level"], r["name"], f"{r['kpi']} ({unit.strip()})", r["unit"], *cells, meet, str(r["units"]),
                     str(r["excluded"]), worst])
    return rows


COST_QUANTILES = (10.0, 50.0, 90.0, 95.0)
"""Percentiles of the cost-risk rows (numpy ``linear`` method, as QUANTILES)."""
COST_CSV_COLUMNS = ("level", "name", "period", "replications", "mean", *(f"p{q:g}" for q in COST_QUANTILES))
"""Columns of cost_risk.csv, one row per cost (total, client, partner invoice)."""


@dataclass(frozen=True)
class CostSpread:
    """The distribution over replications of one run-period cost: the total, a client's or a partner's invoice."""

    level: str  # total, client or invoice (a partner site's invoice total)
    name: str
    replications: int  # values the percentiles rest on
    mean: float
    percentiles: tuple[float, ...]  # at COST_QUANTILES


def _cost_spread(level: str, name: str, values: np.ndarray) -> CostSpread:
    pct = np.percentile(values, list(COST_QUANTILES), method=METHOD)
    return CostSpread(level, name, int(values.size), float(values.mean()), tuple(float(p) for p in pct))


def cost_risk(result: RunResult) -> tuple[CostSpread, ...]:
    """Per-replication run-period cost (total; each client if several; each partner invoice total) spread over
    replications; nothing if the scenario prices nothing. One replication: percentiles all equal its value."""
    money = np.stack([f.costs.by_client for f in result.facts])  # [R, component, client]
    if not money.any():
        return ()
    by_client = money.sum(axis=1)  # [R, client]
    out = [_cost_spread("total", "all", by_client.sum(axis=1))]
    if len(result.layout.client_names) > 1:
        out += [_cost_spread("client", name, by_client[:, c]) for c, name in enumerate(result.layout.client_names)]
    out += [_cost_spread("invoice", site, invoice_totals(result, site)) for site in result.facts[0].costs.invoices]
    return tuple(out)


def invoice_totals(result: RunResult, site: str) -> np.ndarray:
    """Per replication the partner ``site``'s invoice total (all its invoices, credits subtracted)."""
    return np.array([math.fsum(f.costs.invoices[site].values()) for f in result.facts])


def cost_risk_json(spreads: tuple[CostSpread, ...], period: str) -> dict[str, Any]:
    """The ``cost_risk`` section of summary.json; ``period``: what a replication's cost covers ("week")."""
    return {"period": period, "method": METHOD,
            "rows": [{"level": s.level, "name": s.name, "replications": s.replications, "mean": _number(s.mean),
                      "percentiles": {f"p{q:g}": _number(p) for q, p in zip(COST_QUANTILES, s.percentiles,
                                                                            strict=True)}}
                     for s in spreads]}


def cost_risk_csv_rows(spreads: tuple[CostSpread, ...], period: str) -> list[dict[str, Any]]:
    """The rows of cost_risk.csv (COST_CSV_COLUMNS)."""
    return [{"level": s.level, "name": s.name, "period": period, "replications": s.replications,
             "mean": s.mean, **{f"p{q:g}": p for q, p in zip(COST_QUANTILES, s.percentiles, strict=True)}}
            for s in spreads]


def cost_risk_text(spreads: tuple[CostSpread, ...], period: str, currency: str) -> str:
    """"; P90 per week 12,345 EUR (of 20 replications)" for the terminal cost line ("" without costs)."""
    total = next((s for s in spreads if s.level == "total"), None)
    if total is None:
        return ""
    p90 = total.percentiles[COST_QUANTILES.index(90.0)]
    return f"; P90 per {period} {p90:,.0f} {currency} (of {total.replications} replications)"


PROFILE_TYPES = 4
"""Call types with their own fan chart and ECDF (the first ones in scenario order)."""


def _interval_values(result: RunResult, slices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Service level ``[R, interval, slice]`` of the call slices ``slices`` (indices of _call_slices; NaN in the
    warm-up and where undefined or no call was offered), and the same per day ``[R, day, slice]``."""
    layout = result.layout
    _, matrix = _call_slices(layout)
    first = result.facts[0].first_interval
    calls = np.stack([f.calls for f in result.facts]) @ matrix[:, slices]  # [R, F, I, S]
    num, den = call_ratios(calls, result.scenario.service_level)["service_level"]
    offered = calls[:, CALL_FIELDS.index("offered")]
    defined = (offered > 0) & (den > 0)
    defined[:, :first] = False
    per_interval = np.divide(num, den, out=np.full(num.shape, np.nan), where=defined)
    per_day = int(round(DAY / result.scenario.run.interval))
    days = num.shape[1] // per_day
    day_num, day_den = ((np.where(defined, x, 0.0)).reshape(len(result.facts), days, per_day, -1).sum(axis=2)
                        for x in (num, den))
    per_day_sl = np.divide(day_num, day_den, out=np.full(day_num.shape, np.nan), where=day_den > 0)
    return per_interval, per_day_sl


def _listed(x: np.ndarray) -> list[Any]:
    """A float array as nested lists for JSON, NaN as None."""
    return [_listed(v) for v in x] if x.ndim > 1 else [_number(float(v)) for v in x]


def risk_profile(result: RunResult) -> dict[str, Any]:
    """The ``risk_profile`` section of summary.json, from which the risk figures are drawn.

    Per call slice (all, then the first PROFILE_TYPES call types): ``fan``, the QUANTILES of the interval service
    level per interval of the day over every (replication, day) where it is defined, with ``units`` per interval;
    ``daily``, every defined daily service level (all replications, sorted). ``heat`` (all calls): per day of the run
    and interval of the day the share of replications whose interval service level is >= the target, among those
    with a defined one (None where none has), and that number of replications. Warm-up intervals are no units; a
    day's service level here counts only its intervals after the warm-up."""
    layout = result.layout
    if not layout.type_names:
        return {}
    slices, _ = _call_slices(layout)
    chosen = [0, *range(1 + len(layout.client_names), len(slices))][:1 + PROFILE_TYPES]
    per_interval, per_day = _interval_values(result, chosen)
    reps, n_intervals, _ = per_interval.shape
    days = per_day.shape[1]
    by_slot = per_interval.reshape(reps, days, n_intervals // days, -1)
    out = []
    for j, s in enumerate(chosen):
        level, name, target = slices[s]
        pooled = by_slot[..., j].reshape(reps * days, -1)  # [unit, slot]
        units = (~np.isnan(pooled)).sum(axis=0)
        fan = np.full((len(QUANTILES), pooled.shape[1]), np.nan)
        for slot in np.flatnonzero(units):
            column = pooled[:, slot]
            fan[:, slot] = np.percentile(column[~np.isnan(column)], list(QUANTILES), method=METHOD)
        daily = np.sort(per_day[..., j][~np.isnan(per_day[..., j])])
        out.append({"level": level, "name": name, "target": target, "units": units.tolist(),
                    "fan": {f"p{q:g}": _listed(fan[k]) for k, q in enumerate(QUANTILES)}, "daily": _listed(daily)})
    total = by_slot[..., 0]  # [R, day, slot]
    defined = (~np.isnan(total)).sum(axis=0)
    met = (total >= slices[0][2]).sum(axis=0)
    share = np.divide(met, defined, out=np.full(met.shape, np.nan), where=defined > 0)
    run = result.scenario.run
    weekdays = list(Weekday)
    labels = [f"{weekdays[(run.start_day.number + d) % 7].value.capitalize()} {d + 1}" for d in range(days)]
    return {"interval_s": run.interval, "method": METHOD, "slices": out,
            "heat": {"name": "all", "target": slices[0][2], "days": labels, "p_meet": _listed(share),
                     "replications": defined.tolist()}}
