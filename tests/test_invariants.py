"""Invariants and metamorphic checks (docs/validation.md: invariants).

Conservation of calls (from the per-call records and in the summary), reproducibility (same seed, same bits;
parallel = sequential), common random numbers (more agents never worse; one call type's parameters do not move
another's callers) and end-of-shift behaviour (calls in hand are finished, nobody takes a call while logged out).
These hold exactly, whatever the seed; the seeds are fixed only to make a failure reproducible.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import canonical, scenario

from sim.analysis.experiment import RunResult, run, with_overrides
from sim.analysis.facts import CALL_FIELDS, facts
from sim.analysis.stats import Estimate
from sim.analysis.summary import kpi_rows, summarize
from sim.engine.callers import Callers, draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import (
    ABANDONED,
    ANSWERED,
    BLOCKED,
    CALLBACK,
    CLOSED,
    DEFLECTED,
    IN_SYSTEM,
    OUTCOMES,
    UNREACHED,
    Records,
)
from sim.engine.repeats import CALLBACK as CALLBACK_LEG
from sim.engine.repeats import LEGS
from sim.engine.staffing import agent_steps
from sim.engine.streams import Streams
from sim.scenario.schema import Scenario

REL = 1e-9
"""Relative slack for float sums and differences of instants (exact up to rounding)."""

OUTCOME_CODE = {name: code for code, name in enumerate(OUTCOMES) if code != UNREACHED}
"""Every outcome a contact can have (in_system, deflected, blocked, answered, abandoned, closed, callback);
``unreached`` ends only call-back legs."""
OUTCOME_FIELDS = tuple("callbacks" if o == "callback" else o for o in OUTCOME_CODE)
"""Each outcome is also a count in the facts and the summary: offered = the sum of these."""

MIXED = """
name: mixed
run: {days: 2, replications: 4, seed: 7, warmup: 3h, drain: 0s}
service_level: {threshold: 20s}
opening_hours: {mon-sun: ["01:00-12:00", "12:30-24:00"]}
lines: 30
ivr: {time: {dist: deterministic, value: 30s}}
call_types:
  sales:
    arrivals: {rate_per_hour: 160}
    handle_time: {dist: lognormal, mean: 5min, cv: 0.8}
    patience: {dist: exponential, mean: 2min}
    deflection: 0.2
    max_queue: 4
  support:
    arrivals:
      daily_volume: 1500
      profile: {resolution: 1h, start: "08:00", shares: [0.1, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]}
    talk_time: {dist: gamma, mean: 6min, cv: 0.7}
    wrap_up: {dist: deterministic, value: 1min}
    patience: none
    priority: 1
    callback: {queue_length: 3, accept: 0.5, reached: 0.8, ring_time: {dist: deterministic, value: 10s}}
agent_groups:
  front: {skills: {sales: 1, support: 2}, agents: 12}
  back: {skills: {support: 1}, agents: 8, handle_time_factor: 1.2}
"""
"""Every outcome occurs: deflection (IVR), blocking (30 lines; sales queue capped at 4), abandonment (sales),
closed-hours demand (00:00-01:00, 12:00-12:30), calls still in the system at the horizon (drain: 0s), call-back
offers (support) with unreached call backs, and a warm-up that cuts the first intervals."""


def _replications(s: Scenario) -> list[tuple[Callers, Records]]:
    layout = build_layout(s)
    out = []
    for r in range(s.run.replications):
        streams = Streams(s.run.seed, r)
        callers = draw_callers(layout, streams)
        out.append((callers, simulate(layout, callers, streams)))
    return out


def _work(records: Records, factors: tuple[float, ...]) -> np.ndarray:
    """Handle time each answered call should have had: (talk + wrap-up) x its group's factor."""
    c = records.callers
    return (c.talk_time + c.wrap_up_time) * np.asarray(factors)[np.maximum(records.group, 0)]


def _max_concurrency(starts: np.ndarray, ends: np.ndarray) -> int:
    """Largest number of [start, end) spans covering one instant (ends before starts at equal instants)."""
    times = np.concatenate((starts, ends))
    steps = np.concatenate((np.ones(len(starts)), -np.ones(len(ends))))
    order = np.lexsort((steps, times))
    return int(np.max(np.cumsum(steps[order]), initial=0))


def _covering(starts: np.ndarray, ends: np.ndarray, instants: np.ndarray) -> np.ndarray:
    """For each instant t: the number of spans with start <= t < end."""
    s, e = np.sort(starts), np.sort(ends)
    return np.searchsorted(s, instants, side="right") - np.searchsorted(e, instants, side="right")


# -- conservation ---------------------------------------------------------------------------------------------------

def test_records_conserve_calls_and_are_consistent() -> None:
    """Per replication and call type, from the records: offered contacts = deflected + blocked + answered +
    abandoned + in_system + closed + callback (every contact outcome in ``sim.engine.records.OUTCOMES``), every
    accepted call back has one call-back leg, and each outcome's times obey its definition (lines, queue cap and
    agents are never exceeded)."""
    s = scenario(MIXED)
    layout = build_layout(s)
    seen: set[int] = set()
    for _, rec in _replications(s):
        out, c = rec.outcome, rec.callers
        assert set(np.unique(out)) <= set(range(len(OUTCOMES))), f"unknown outcome codes {np.unique(out)}"
        seen |= set(np.unique(out).tolist())
        leg = np.isin(c.repeat_kind, LEGS)
        assert set(np.unique(out[leg])) <= {IN_SYSTEM, ANSWERED, UNREACHED} and not np.any(out[~leg] == UNREACHED)
        assert np.array_equal(np.sort(c.repeat_of[leg]), np.flatnonzero(out == CALLBACK))
        for t, name in enumerate(layout.type_names):
            mine = (c.call_type == t) & ~leg
            counts = {o: int(np.sum(mine & (out == code))) for o, code in OUTCOME_CODE.items()}
            assert int(mine.sum()) == sum(counts.values()), f"{name}: offered {mine.sum()} != {counts}"
        ans, abd = out == ANSWERED, out == ABANDONED
        queue_at, wait = rec.queue_at, rec.wait
        # answered: an agent took it after it queued, before the caller would hang up, and served it in full
        assert np.all(rec.group[ans] >= 0) and np.all(rec.start_at[ans] >= queue_at[ans])
        assert np.all(wait[ans] <= c.patience[ans])
        ring = np.where(c.repeat_kind == CALLBACK_LEG, 10.0, 0.0)  # a call back rings 10 s first
        np.testing.assert_allclose(rec.end_at[ans] - rec.start_at[ans],
                                   (_work(rec, layout.handle_factors) + ring)[ans],
                                   rtol=REL, atol=1e-6, err_msg="handle time != (talk + wrap-up) x factor")
        unr = out == UNREACHED
        np.testing.assert_allclose(rec.end_at[unr] - rec.start_at[unr], 10.0, rtol=REL)
        # a caller who accepts a call back hangs up on joining the queue
        cbk = out == CALLBACK
        assert np.all(rec.end_at[cbk] == queue_at[cbk]) and np.all(np.isnan(rec.start_at[cbk]))
        # abandoned: never taken, hung up exactly when its patience ran out
        assert np.all(np.isnan(rec.start_at[abd])) and np.all(rec.group[abd] == -1)
        np.testing.assert_allclose(wait[abd], c.patience[abd], rtol=REL, atol=1e-6)
        # deflected: self-served at the end of the IVR; only callers drawn as deflected
        dfl = out == DEFLECTED
        assert np.all(c.deflected[dfl]) and not np.any(np.isin(out[c.deflected], (ANSWERED, ABANDONED)))
        np.testing.assert_allclose(rec.end_at[dfl], queue_at[dfl], rtol=REL)
        # blocked: a busy signal on arrival (every line taken) or on reaching a full queue
        blk = out == BLOCKED
        assert np.all((rec.end_at[blk] == c.arrival_at[blk]) | (rec.end_at[blk] == queue_at[blk]))
        # closed: turned away on arrival, exactly the arrivals outside 01:00-12:00 and 12:30-24:00
        cls = out == CLOSED
        clock = np.mod(c.arrival_at, 86400.0)
        outside = (clock < 3600.0) | ((clock >= 12 * 3600.0) & (clock < 12.5 * 3600.0))
        assert np.array_equal(cls, outside & ~leg), "closed != outside the opening hours"  # legs: requested inside
        assert np.all(rec.end_at[cls] == c.arrival_at[cls]) and np.all(np.isnan(rec.start_at[cls]))
        # in the system at the horizon: no end
        assert np.all(np.isnan(rec.end_at[out == IN_SYSTEM])) and np.all(~np.isnan(rec.end_at[out != IN_SYSTEM]))
        _check_capacities(s, rec)
    assert seen == set(range(len(OUTCOMES))), f"scenario should produce every outcome, saw {seen}"


def _check_capacities(s: Scenario, rec: Records) -> None:
    """Lines, queue caps and agents bound the calls in the system, waiting and in service at every instant."""
    c, out = rec.callers, rec.outcome
    end = s.run.days * 86400.0 + s.run.drain
    leave = np.where(np.isnan(rec.end_at), end, rec.end_at)
    line_blocked = (out == BLOCKED) & (rec.end_at == c.arrival_at)
    callback_leg = c.repeat_kind == CALLBACK_LEG  # calls back on an outbound line: not bounded by ``lines``
    holds = ~line_blocked & (out != CLOSED) & ~callback_leg  # every call let in holds a line until it leaves
    assert _max_concurrency(c.arrival_at[holds], leave[holds]) <= s.lines
    lines_busy = _covering(c.arrival_at[holds], leave[holds], c.arrival_at[line_blocked])
    assert np.all(lines_busy == s.lines), "a call got a busy signal while a line was free"
    layout = build_layout(s)
    left_queue = np.where(np.isnan(rec.start_at), leave, rec.start_at)
    refused = (out == BLOCKED) & ~line_blocked
    queued = holds & ~c.deflected & ~refused & (rec.queue_at <= left_queue)  # reached the queue
    for t, ct in enumerate(layout.call_types):
        mine = queued & (c.call_type == t)
        waiting_spans = (rec.queue_at[mine], left_queue[mine])
        if ct.max_queue is not None:
            assert _max_concurrency(*waiting_spans) <= ct.max_queue
            waiting = _covering(*waiting_spans, rec.queue_at[refused & (c.call_type == t)])
            assert np.all(waiting == ct.max_queue), "a call was refused while its queue had room"
    for g, group in enumerate(layout.groups):
        on_g = rec.group == g
        assert _max_concurrency(rec.start_at[on_g], leave[on_g]) <= group.agents


def test_facts_and_summary_conserve_calls() -> None:
    """The same identity in the statistics: per replication and call type in the facts (warm-up intervals
    excluded, matching the records of calls that arrived after the warm-up), and for the mean counts of every
    call type, client and the total in the summary."""
    s = scenario(MIXED)
    layout = build_layout(s)
    first = int(np.ceil(s.run.warmup / s.run.interval))
    field = {name: i for i, name in enumerate(CALL_FIELDS)}
    record_counts = []
    for _, rec in _replications(s):
        f = facts(rec, layout)
        per_type = f.calls.sum(axis=1)  # [fields, call types]
        assert np.array_equal(per_type[field["offered"]], sum(per_type[field[o]] for o in OUTCOME_FIELDS))
        kept = (rec.callers.arrival_at >= first * s.run.interval) & ~np.isin(rec.callers.repeat_kind, LEGS)
        counts = np.array([[np.sum(kept & (rec.callers.call_type == t) & (rec.outcome == code))
                            for t in range(len(layout.type_names))] for code in OUTCOME_CODE.values()])
        for i, o in enumerate(OUTCOME_FIELDS):
            assert np.array_equal(per_type[field[o]], counts[i]), f"facts {o} != records"
        record_counts.append(counts)
    result = run(s, workers=1)
    rows = kpi_rows(result)
    for row in rows:
        if row.level == "group":
            continue
        k = row.kpis
        total = sum(k[o].mean for o in OUTCOME_FIELDS)
        assert k["offered"].mean == pytest.approx(total, rel=REL), f"{row.level} {row.name}: {k['offered']}"
        assert k["in_system"].mean > 0 or row.level == "call_type"
    mean_counts = np.mean(record_counts, axis=0)  # [outcomes, call types]
    by_type = {row.name: row.kpis for row in rows if row.level == "call_type"}
    for t, name in enumerate(layout.type_names):
        for i, o in enumerate(OUTCOME_FIELDS):
            assert by_type[name][o].mean == pytest.approx(mean_counts[i, t], rel=REL), f"{name} {o}"


# -- reproducibility ------------------------------------------------------------------------------------------------

def _facts_bits(result: RunResult) -> list[bytes]:
    return [a.tobytes() for f in result.facts for a in (f.calls, f.groups, f.wait_pct_type, f.wait_pct_client,
                                                           f.wait_pct_total, f.wait_p90_interval)]


def test_same_seed_gives_bit_identical_summary() -> None:
    """Two runs of one scenario with one seed agree bit for bit (facts and every summary table); another seed
    gives other numbers (so the comparison is not vacuous)."""
    s = scenario(MIXED)
    a, b = run(s, workers=1), run(s, workers=1)
    assert _facts_bits(a) == _facts_bits(b)
    assert canonical(summarize(a)) == canonical(summarize(b))
    other = run(with_overrides(s, seed=s.run.seed + 1), workers=1)
    assert canonical(summarize(other)) != canonical(summarize(a))


def test_parallel_run_equals_sequential_run() -> None:
    """Replications in two processes give exactly the facts and summary of one process."""
    s = scenario(MIXED)
    seq, par = run(s, workers=1), run(s, workers=2)
    assert seq.calls == par.calls
    assert _facts_bits(seq) == _facts_bits(par)
    assert canonical(summarize(seq)) == canonical(summarize(par))


# -- common random numbers --------------------------------------------------------------------------------------------

def _with_agents(s: Scenario, group: str, agents: int) -> Scenario:
    groups = dict(s.agent_groups)
    groups[group] = groups[group].model_copy(update={"agents": agents})
    return s.model_copy(update={"agent_groups": groups})


def _means(kpis: dict[str, Estimate]) -> dict[str, float]:
    return {k: float(e.mean) for k, e in kpis.items()}


def _per_replication(result: RunResult) -> list[dict[str, float]]:
    """Whole-run KPIs (total row) of each replication on its own."""
    return [_means(kpi_rows(dataclasses.replace(result, facts=(f,)))[0].kpis) for f in result.facts]


def test_more_agents_never_increase_any_callers_wait_fifo() -> None:
    """FIFO G/G/c without abandonment, c = 10 vs c + 2 = 12 agents, same seed (common random numbers).

    Poisson arrivals offering 9.5 Erlangs (rho = 0.95 at c = 10), lognormal handle time (mean 5 min, CV 1.2),
    no abandonment, 3 days x 3 replications. With work attached to each caller, the Kiefer-Wolfowitz workload
    recursion is monotone in the number of servers, so every single caller's wait is no longer with 12 agents;
    hence also ASA, P(wait) and SL in every replication.
    """
    s = scenario("""
name: fifo
run: {days: 3, replications: 3, seed: 11, warmup: 2h}
service_level: {threshold: 20s}
call_types:
  calls:
    arrivals: {rate_per_hour: 114}
    handle_time: {dist: lognormal, mean: 5min, cv: 1.2}
    patience: none
agent_groups:
  agents: {skills: [calls], agents: 10}
""")
    bigger = _with_agents(s, "agents", 12)
    small_layout, big_layout = build_layout(s), build_layout(bigger)
    improved = 0
    for r in range(s.run.replications):
        callers = draw_callers(small_layout, Streams(s.run.seed, r))
        same = draw_callers(big_layout, Streams(s.run.seed, r))
        assert all(np.array_equal(x, y) for x, y in zip(dataclasses.astuple(callers), dataclasses.astuple(same),
                                                       strict=True)), "CRN: same seed must give the same callers"
        w_small, w_big = simulate(small_layout, callers).wait, simulate(big_layout, callers).wait
        worse = np.flatnonzero(w_big > w_small + 1e-9)
        assert worse.size == 0, f"replication {r}: {worse.size} callers waited longer with more agents, " \
                                f"e.g. call {worse[0]}: {w_big[worse[0]]:.6g}s vs {w_small[worse[0]]:.6g}s"
        improved += int(np.sum(w_big < w_small - 1e-9))
    assert improved > 0, "two more agents should shorten some waits"


def test_more_agents_never_worse_with_abandonment() -> None:
    """M/G/c+M, c = 20 vs c + 2 = 22 agents under common random numbers (same seed, same callers).

    Poisson arrivals offering 19 Erlangs (rho = 0.95 at c = 20), lognormal handle time (mean 5 min, CV 1.2),
    exponential patience (mean 3 min), 4 days x 8 replications. With abandonment, more agents are not better
    call by call (a caller who used to hang up is now served and can delay a later one), so the claim is about
    sums: over the whole run and in every replication (4 days each, about 22,000 calls), SL and answered calls
    do not drop, ASA, mean wait and abandonment do not rise. The expected gap (ASA about -45 %) is many standard
    errors of a replication's sum wide, so noise cannot reverse it.
    """
    s = scenario("""
name: abandon
run: {days: 4, replications: 8, seed: 12, warmup: 2h}
service_level: {threshold: 20s}
call_types:
  calls:
    arrivals: {rate_per_hour: 228}
    handle_time: {dist: lognormal, mean: 5min, cv: 1.2}
    patience: {dist: exponential, mean: 3min}
agent_groups:
  agents: {skills: [calls], agents: 20}
""")
    small, big = run(s, workers=2), run(_with_agents(s, "agents", 22), workers=2)
    pairs = [("total", _means(kpi_rows(small)[0].kpis), _means(kpi_rows(big)[0].kpis))]
    pairs += [(f"replication {r}", a, b)
              for r, (a, b) in enumerate(zip(_per_replication(small), _per_replication(big), strict=True))]
    for label, a, b in pairs:
        assert b["offered"] == a["offered"], f"{label}: CRN must give the same callers"
        for kpi in ("service_level", "sl_answered_of_offered", "answered"):
            assert b[kpi] >= a[kpi], f"{label}: {kpi} fell with more agents: {b[kpi]:.6g} vs {a[kpi]:.6g}"
        for kpi in ("asa", "mean_wait", "abandon_rate", "p_wait"):
            assert b[kpi] <= a[kpi], f"{label}: {kpi} rose with more agents: {b[kpi]:.6g} vs {a[kpi]:.6g}"


def test_call_type_streams_are_independent() -> None:
    """Changing call type ``b`` (rate, handle time, patience, deflection, IVR time, priority) and adding a call
    type listed before ``a`` leaves every draw of ``a`` unchanged: arrival instants, IVR time, deflection, work
    content and patience (streams are keyed by name, not by position)."""
    base = """
name: streams
run: {days: 2, replications: 3, seed: 21}
ivr: {time: {dist: exponential, mean: 40s}}
call_types:
%s
agent_groups:
  all: {skills: [%s], agents: 10}
"""
    a = """  a:
    arrivals: {rate_per_hour: 50}
    handle_time: {dist: exponential, mean: 4min}
    patience: {dist: exponential, mean: 3min}
    deflection: 0.1
"""
    b1 = """  b:
    arrivals: {rate_per_hour: 70}
    handle_time: {dist: exponential, mean: 6min}
    patience: none
"""
    b2 = """  b:
    arrivals: {rate_per_hour: 140}
    talk_time: {dist: gamma, mean: 9min, cv: 0.5}
    wrap_up: {dist: deterministic, value: 30s}
    patience: {dist: lognormal, mean: 5min, cv: 1}
    deflection: 0.4
    ivr_time: {dist: deterministic, value: 1min}
    priority: 2
"""
    c = """  c:
    arrivals: {rate_per_hour: 90}
    handle_time: {dist: exponential, mean: 2min}
    patience: none
"""
    original = scenario(base % (a + b1, "a, b"))
    variant = scenario(base % (c + a + b2, "a, b, c"))
    lo, lv = build_layout(original), build_layout(variant)
    ta, tv = lo.type_names.index("a"), lv.type_names.index("a")
    assert ta != tv, "the variant should move 'a' to another position"
    for r in range(original.run.replications):
        co = draw_callers(lo, Streams(original.run.seed, r))
        cv = draw_callers(lv, Streams(variant.run.seed, r))
        mo, mv = co.call_type == ta, cv.call_type == tv
        assert mo.sum() > 0
        for name in ("arrival_at", "ivr_time", "deflected", "talk_time", "wrap_up_time", "patience"):
            x, y = getattr(co, name)[mo], getattr(cv, name)[mv]
            assert np.array_equal(x, y), f"replication {r}: call type a's {name} changed"
        b_o, b_v = co.arrival_at[co.call_type == lo.type_names.index("b")], \
            cv.arrival_at[cv.call_type == lv.type_names.index("b")]
        assert len(b_o) != len(b_v) or not np.array_equal(b_o, b_v), "b's change should show"
    other = draw_callers(lo, Streams(original.run.seed, 1))
    first = draw_callers(lo, Streams(original.run.seed, 0))
    assert not np.array_equal(other.arrival_at[:10], first.arrival_at[:10]), "replications must differ"


# -- shifts -----------------------------------------------------------------------------------------------------------

SHIFTS = """
name: shifts
run: {days: 3, replications: 3, seed: 31, warmup: 0s}
service_level: {threshold: 20s}
call_types:
  sales:
    arrivals: {rate_per_hour: 15}
    handle_time: {dist: lognormal, mean: 6min, cv: 0.8}
    patience: {dist: exponential, mean: 15min}
  support:
    arrivals: {rate_per_hour: 12}
    talk_time: {dist: exponential, mean: 8min}
    wrap_up: {dist: deterministic, value: 1min}
    patience: none
agent_groups:
  day:
    skills: {sales: 1, support: 2}
    handle_time_factor: 1.1
    shifts:
      - {start: "07:00", end: "15:00", agents: 4}
      - {start: "12:00", end: "20:00", agents: 3}
  night:
    skills: {support: 1, sales: 2}
    shifts:
      - {start: "22:00", end: "06:00+1", agents: 3}
      - {start: "18:00", end: "02:00+1", agents: 2}
"""
"""Day group: 4 agents 07-12, 7 agents 12-15, 3 agents 15-20, none 20-07. Night group (shifts cross midnight):
2 agents 18-22, 5 agents 22-02, 3 agents 02-06, none 06-18; the run starts warm (the night shifts of the day
before are on at 00:00). Nobody works 06:00-07:00: sales callers abandon, support callers wait."""


def _level(steps: list[tuple[float, int]], instants: np.ndarray) -> np.ndarray:
    """Agents scheduled at each instant (a change applies from its instant on)."""
    times = np.array([t for t, _ in steps])
    levels = np.array([n for _, n in steps])
    return levels[np.searchsorted(times, instants, side="right") - 1]


def _last_decrease(steps: list[tuple[float, int]], instants: np.ndarray) -> np.ndarray:
    """The latest instant <= t at which the scheduled agents fell (-inf if none)."""
    downs = np.array([t for (t, n), (_, before) in zip(steps[1:], steps, strict=False) if n < before] or [np.inf])
    k = np.searchsorted(downs, instants, side="right") - 1
    return np.where(k >= 0, downs[np.maximum(k, 0)], -np.inf)


def test_shift_ends_finish_calls_in_hand_and_conserve_calls() -> None:
    """Multi-skill groups on shifts (some crossing midnight, end '06:00+1'), 3 days x 3 replications.

    From the records and ``sim.engine.staffing.agent_steps``: (1) no call starts on a group while it is scheduled at
    zero agents; (2) when a call starts, the calls in service on its group number at most the scheduled agents
    plus the calls still in hand from before the group's latest staffing drop (agents who are logging out finish
    their call but take no new one), and the model's log of agents logging in and out agrees (between the
    scheduled agents and those plus the calls still in hand, never below the calls in service); (3) calls in
    hand when a group's staffing drops to zero are finished in full (handle time = work x factor) after the
    drop; (4) calls are conserved per call type and, after the drain, none is left in the system.
    """
    s = scenario(SHIFTS)
    layout = build_layout(s)
    steps = [agent_steps(g, s.run) for g in layout.groups]
    assert steps == list(layout.staffing)
    assert steps[layout.group_names.index("night")][0] == (0.0, 5), "night shifts of the day before are on at 0"
    finished_across_drop = 0
    for callers, rec in _replications(s):
        out = rec.outcome
        for t in range(len(layout.type_names)):
            mine = callers.call_type == t
            assert mine.sum() == sum(int(np.sum(mine & (out == code))) for code in OUTCOME_CODE.values())
        assert not np.any(out == IN_SYSTEM), "the drain should finish every call"
        assert np.all(out != BLOCKED) and np.all(out != DEFLECTED)
        work = _work(rec, layout.handle_factors)
        ans = out == ANSWERED
        np.testing.assert_allclose(rec.end_at[ans] - rec.start_at[ans], work[ans], rtol=REL, atol=1e-6)
        for g, name in enumerate(layout.group_names):
            on_g = rec.group == g
            start, end = rec.start_at[on_g], rec.end_at[on_g]
            assert np.all(out[on_g] == ANSWERED)
            scheduled = _level(steps[g], start)
            assert np.all(scheduled > 0), f"{name}: a call started at {start[scheduled == 0][:3]} with no agent on"
            in_service = _covering(start, end, start)
            old = np.array([np.sum((start <= d) & (start <= t) & (end > t))
                            for t, d in zip(start, _last_decrease(steps[g], start), strict=True)])
            over = in_service > scheduled + old
            assert not np.any(over), f"{name}: a logged-out agent took a call at {start[over][:3]}"
            log = rec.staff_log[rec.staff_log[:, 1] == g]  # (instant, group, change) as the model logged it
            order = np.argsort(log[:, 0], kind="stable")
            logged = np.cumsum(log[order, 2])[np.searchsorted(log[order, 0], start, side="right") - 1]
            assert np.all(logged >= in_service), f"{name}: more calls in service than agents logged in"
            assert np.all((logged >= scheduled) & (logged <= scheduled + old)), \
                f"{name}: logged-in agents beyond the schedule plus those finishing a call in hand"
            for (at, level), (_, before) in zip(steps[g][1:], steps[g], strict=False):
                if level == 0 < before:
                    in_hand = (start < at) & (end > at)
                    finished_across_drop += int(in_hand.sum())
    assert finished_across_drop > 0, "the scenario should have calls in hand when a group's staffing drops to 0"
