"""The calibrated scenario as YAML, with comments saying what was fitted from how much history; written whole
or not at all, and never over an existing file unless asked to."""

from __future__ import annotations

from pathlib import Path

from sim.calibration.fit import DEFAULT_HANDLE_CV, DEFAULT_PATIENCE_S, CallTypeFit
from sim.calibration.history import History
from sim.calibration.survival import KMPatience
from sim.errors import CcsimError
from sim.reports.folders import write_atomic
from sim.scenario.loader import parse_scenario
from sim.scenario.schema import Scenario
from sim.units import format_clock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHARE_DIGITS = 6


def scenario_yaml(name: str, history: History, fits: list[CallTypeFit], km: dict[str, KMPatience] | None = None,
                  calls_path: str = "") -> str:
    """The scenario text: one call type and one agent group (``<call type>_team``) per call type; a call type in
    ``km`` gets its patience from the Kaplan–Meier fit of the call records in ``calls_path``."""
    minutes = f"{history.interval / 60:g}min"
    dates = history.dates()
    lines = [
        f"# Calibrated by 'ccsim calibrate' from {history.path}: {history.n_days} days "
        f"({dates[0]} to {dates[-1]}), {minutes} intervals.",
        "# Estimators: docs/calibration.md. Check the fit with 'ccsim backtest' before planning with it.",
        f"name: {name}",
        f"description: calibrated from {Path(history.path).name} ({history.n_days} days)",
        "run:",
        "  days: 7",
        "  start_day: mon",
        "  replications: 10",
        "  seed: 1",
        f"  interval: {minutes}",
        "call_types:",
    ]
    for fit in fits:
        fitted = km_patience_line(km[fit.name], calls_path) if km is not None and fit.name in km else None
        lines += _call_type(fit, minutes, history.interval, fitted)
    lines.append("agent_groups:")
    for fit in fits:
        lines += _group(fit, minutes, history.interval)
    return "\n".join(lines) + "\n"


def _call_type(fit: CallTypeFit, minutes: str, interval: float, km_line: str | None) -> list[str]:
    shares = [round(x, SHARE_DIGITS) for x in fit.shares]
    days = ", ".join(f"{d}: {f:.4f}" for d, f in zip(WEEKDAYS, fit.day_of_week, strict=True))
    counted = ", ".join(f"{d} {n}" for d, n in zip(WEEKDAYS, fit.weekday_days, strict=True))
    busy = ("0.0     # not fitted: some weekday with calls occurs only once; give at least two weeks"
            if fit.busyness_cv is None else
            f"{fit.busyness_cv:.4f}  # gamma CV of the day level beyond Poisson, weekday effects removed "
            f"({fit.days} days)")
    out = [
        f"  {fit.name}:",
        "    arrivals:",
        f"      daily_volume: {fit.daily_volume:.2f}   # mean calls per calendar day over {fit.days} days "
        f"(day factors average 1)",
        f"      profile:                # share of all offered calls per {minutes} interval of the day, "
        f"{fit.intervals} intervals with calls",
        f"        resolution: {minutes}",
        f"        start: \"{format_clock(fit.profile_start * interval)}\"",
        f"        shares: [{', '.join(f'{x:g}' for x in shares)}]",
        f"      day_of_week: {{{days}}}   # mean calls per weekday / mean over the week; days: {counted}",
        f"      busyness_cv: {busy}",
    ]
    out.append(f"    handle_time: {{dist: lognormal, mean: {fit.aht:.1f}s, cv: {DEFAULT_HANDLE_CV:g}}}   "
               f"# answered-weighted AHT of {fit.answered:,.0f} calls; CV {DEFAULT_HANDLE_CV:g} by default "
               "(interval means do not show the spread)")
    p = fit.patience
    if km_line is not None:
        out.append(km_line)
    elif p.mean is None:
        out.append(f"    patience: none   # nobody abandoned in {p.intervals} intervals")
    elif p.method == "default":
        out.append(f"    patience: {{dist: exponential, mean: {DEFAULT_PATIENCE_S:g}s}}   # NOT fitted: the history "
                   "has no asa_s column; a default, replace it with a measured value")
    else:
        how = {"exact": "answered waits (asa_s) + abandoners' waits (abandon_time_s)",
               "erlang_a": "answered waits (asa_s) + abandoners' waits as Erlang A predicts them per interval "
                           "(no abandon_time_s)",
               "asa": "answered waits (asa_s) + each abandoner taken to wait the interval's ASA (no "
                      "abandon_time_s nor agents: likely too short)"}[p.method]
        out.append(f"    patience: {{dist: exponential, mean: {p.mean:.1f}s}}   # total wait / abandons: "
                   f"{how}; {p.abandons:,.0f} abandons, {p.intervals} intervals")
    return out


def km_patience_line(k: KMPatience, calls_path: str) -> str:
    """The ``patience:`` line (with its comment) of a Kaplan–Meier fit."""
    source = f"Kaplan-Meier of {k.calls:,} calls in {Path(calls_path).name} ({k.abandons:,} abandons"
    if k.theta is None:
        return f"    patience: none   # {source}; nobody abandoned)"
    median = "not reached" if k.median is None else f"{k.median:.1f}s"
    summary = (f"KM median {median}, restricted mean {k.restricted_mean:.1f}s up to the largest wait "
               f"{k.last_wait:.0f}s; sup |KM - exp| {k.distance:.3f} vs threshold {k.threshold:.3f}")
    if k.values is None:
        return (f"    patience: {{dist: exponential, mean: {k.theta:.1f}s}}   # {source}): total wait / abandons "
                f"(censored MLE), the exponential fits the KM curve; {summary}")
    values = ", ".join(f"{v:.1f}s" for v in k.values)
    tail = (f", exponential tail (mean {k.theta:.1f}s) beyond the largest wait"
            if max(k.values) > k.last_wait else "")
    return (f"    patience: {{dist: empirical, values: [{values}]}}   # {source}): KM quantiles at "
            f"(k-0.5)/{len(k.values)}{tail}; the exponential does not fit: {summary}")


def _group(fit: CallTypeFit, minutes: str, interval: float) -> list[str]:
    if not fit.staffing:
        raise CcsimError(f"calibrate: call type {fit.name!r} has no interval with agents logged in; nothing to "
                         "staff it with")
    source = ("mean agents logged in per interval over each weekday's days (agents column), rounded"
              if fit.staffing_from_history else
              "no agents column: Erlang C agents for the service-level goal per interval, from the fitted volume")
    out = [f"  {fit.name}_team:", f"    skills: [{fit.name}]", f"    staffing:               # {source}"]
    for weekday, (first, agents) in sorted(fit.staffing.items()):
        out += [f"      - days: [{WEEKDAYS[weekday]}]",
                f"        start: \"{format_clock(first * interval)}\"",
                f"        resolution: {minutes}",
                f"        agents: [{', '.join(str(a) for a in agents)}]"]
    return out


def write_scenario(text: str, out: Path, force: bool) -> Scenario:
    """Check that ``text`` is a valid scenario, then write it to ``out`` atomically (refusing an existing file
    unless ``force``)."""
    if out.exists() and not force:
        raise CcsimError(f"calibrate: {out} exists; choose another --out, or add --force to replace it")
    if out.is_dir():
        raise CcsimError(f"calibrate: {out} is a folder; --out names the scenario file to write")
    scenario = parse_scenario(text, str(out), base_dir=out.resolve().parent)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, text.encode("utf-8"))
    except OSError as exc:
        raise CcsimError(f"calibrate: cannot write {out}: {exc.strerror}") from None
    return scenario
