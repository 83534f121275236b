"""Transfer to a partner site (docs/domain.md, overflow transfer): the delay between a partner agent being reserved
and the caller reaching it.

While transferred the caller still waits (ASA and service level include the delay) and may hang up (its patience
keeps running); the partner agent is busy from the reservation. A delay of 0 s reproduces the instantaneous
transfer of earlier versions bit for bit. Statistical checks against exact results: infinite partner capacity
(every call waits exactly its delay; it abandons on the way with P(patience < delay)) and one partner agent
(M/G/1 with service time S + d: Pollaczek-Khinchine).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.experiment import run, with_overrides
from sim.analysis.facts import CALL_FIELDS, facts
from sim.analysis.stats import call_ratios, paired_difference
from sim.analysis.summary import kpi_rows
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, ANSWERED, OUTCOMES, Records
from sim.engine.streams import Streams
from sim.errors import Problem, ScenarioError
from sim.scenario.checks import check_warnings
from sim.scenario.loader import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TIME_EPS = 1e-6
"""Seconds of float noise allowed where two instants are compared."""


def _hybrid(delay: str | None, days: int = 2, replications: int = 2) -> Scenario:
    """The bundled hybrid scenario, with both partner sites' transfer delay set to ``delay`` (None: default)."""
    sites = "" if delay is None else (
        f"sites:\n  bpo_day: {{transfer_delay: {delay}}}\n  bpo_night: {{transfer_delay: {delay}}}\n")
    s = parse_scenario(f"extends: hybrid.yaml\n{sites}", "hybrid_delay.yaml", base_dir=SCENARIOS)
    return with_overrides(s, days=days, replications=replications)


def _records(s: Scenario, replication: int = 0) -> Records:
    layout = build_layout(s)
    streams = Streams(s.run.seed, replication)
    return simulate(layout, draw_callers(layout, streams), streams)


# -- input ----------------------------------------------------------------------------------------------------------

def test_partner_sites_default_to_8s_and_in_house_sites_take_none() -> None:
    layout = build_layout(_hybrid(None))
    by_site = dict(zip(layout.site_names, (site.transfer for site in layout.sites), strict=True))
    assert by_site["in_house"] is None
    assert by_site["bpo_day"] is not None and by_site["bpo_day"].mean == 8.0 and by_site["bpo_day"].var == 0.0
    night = _hybrid("{dist: exponential, mean: 15s}").site_map()["bpo_night"].transfer
    assert night is not None and night.mean == 15.0
    with pytest.raises(ScenarioError) as err:
        parse_scenario("extends: hybrid.yaml\nsites:\n  in_house: {transfer_delay: {dist: deterministic, value: 5s}}\n",
                       "bad.yaml", base_dir=SCENARIOS)
    assert "bad.yaml:3 sites.in_house.transfer_delay: only calls taken by a partner site's agents" in str(err.value)


def test_overflow_wait_equal_to_the_sl_threshold_warns_with_file_line_and_key() -> None:
    warnings: list[Problem] = []
    load_scenario(SCENARIOS / "hybrid.yaml", warnings)
    assert [(w.line, w.path) for w in warnings] == [(40, "call_types.service.overflow.after_wait")]
    assert warnings[0].file.endswith("hybrid.yaml") and "equals the service-level threshold (20s)" in \
        warnings[0].message
    other = parse_scenario("extends: hybrid.yaml\ncall_types:\n  service:\n    overflow: {after_wait: 15s, "
                           "expected_wait: 20s}\n", "x.yaml", base_dir=SCENARIOS)
    assert [path for path, _ in check_warnings(other)] == [("call_types", "service", "overflow", "expected_wait")]
    assert check_warnings(load_scenario(SCENARIOS / "languages_outsourced.yaml")) == []  # 45 s against 20 s


def test_validate_prints_the_warning_and_still_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli.app import main

    assert main(["validate", str(SCENARIOS / "hybrid.yaml")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: ")
    assert "hybrid.yaml:40 call_types.service.overflow.after_wait: warning: equals the service-level" in err


# -- zero delay: the instantaneous transfer, bit for bit -----------------------------------------------------------

OLD = {  # (call type, service level, ASA, abandon rate, answered) of 2 days x 2 replications, before transfers
    "hybrid": [("service", 0.8643983915867616, 7.565224012166505, 0.056429507805982604, 7917.5)],
    "languages_outsourced": [("fr", 0.8506410256410256, 9.46292528672382, 0.08703703703703704, 739.5),
                             ("tr", 0.8128606760098929, 12.63318060747336, 0.1172360248447205, 568.5),
                             ("de_general", 0.6702645906963416, 16.253433838019582, 0.12120937811170454, 4854.0)],
}
"""Figures of the instantaneous transfer. Until born calls drew from their contact's own streams (commit 63ce284)
these were the figures of the code before transfer delays existed (commit 5065e57), bit for bit; contact streams
changed the repeats' and redials' numbers, and these were measured again with a delay of 0 s."""


@pytest.mark.parametrize("name", sorted(OLD))
def test_zero_delay_reproduces_the_instantaneous_transfer(name: str) -> None:
    sites = {"hybrid": ("bpo_day", "bpo_night"), "languages_outsourced": ("bpo_fr", "bpo_tr")}[name]
    text = f"extends: {name}.yaml\nsites:\n" + "".join(
        f"  {site}: {{transfer_delay: {{dist: deterministic, value: 0s}}}}\n" for site in sites)
    s = with_overrides(parse_scenario(text, "zero.yaml", base_dir=SCENARIOS), days=2, replications=2)
    rows = {row.name: row.kpis for row in kpi_rows(run(s, workers=1)) if row.level == "call_type"}
    for call_type, sl, asa, abandon, answered in OLD[name]:
        k = rows[call_type]
        assert (k["service_level"].mean, k["asa"].mean, k["abandon_rate"].mean, k["answered"].mean) == \
            (sl, asa, abandon, answered), call_type
    assert np.all(np.isnan(_records(s).seized_at)), "a delay of 0 s reserves nobody ahead of the call"


# -- the delay in the records ---------------------------------------------------------------------------------------

def test_every_call_a_partner_agent_takes_is_transferred_first() -> None:
    """Hybrid (after_wait and outside_hours overflow): a partner-answered call reaches its agent exactly 8 s after
    the agent was reserved, in-house calls are never reserved ahead, and calls abandoned on the way keep the
    reserved group."""
    s = _hybrid(None)
    layout = build_layout(s)
    rec = _records(s)
    partner = np.asarray(layout.group_is_partner)[np.maximum(rec.group, 0)] & (rec.group >= 0)
    ans = rec.outcome == ANSWERED
    assert (ans & partner).sum() > 500 and set(np.unique(rec.overflow[ans & partner])) >= {1, 4}
    np.testing.assert_allclose(rec.start_at[ans & partner] - rec.seized_at[ans & partner], 8.0, atol=TIME_EPS)
    assert np.all(np.isnan(rec.seized_at[~partner]))
    on_the_way = rec.abandoned_in_transfer
    assert np.all(partner[on_the_way]) and np.all(np.isnan(rec.start_at[on_the_way]))
    assert np.all(rec.end_at[on_the_way] - rec.seized_at[on_the_way] < 8.0 + TIME_EPS)


def test_transfer_delay_lowers_hybrid_service_level() -> None:
    """Paired (common random numbers): the default 8 s transfer against an instantaneous one; hybrid's after_wait
    equals its SL threshold, so calls the partner takes after 20 s leave the service level. Significant."""
    reps = 8
    sl = {}
    for delay in ("{dist: deterministic, value: 0s}", None):
        result = run(_hybrid(delay, days=2, replications=reps), workers=2)
        x = np.stack([f.calls[:, f.first_interval:, :].sum(axis=(1, 2)) for f in result.facts])
        sl[delay] = call_ratios(x, result.scenario.service_level)["service_level"]
    diff = paired_difference(*sl["{dist: deterministic, value: 0s}"], *sl[None])
    print(f"hybrid SL, 8 s transfer minus instantaneous: {diff.mean:+.4f} +- {diff.half_width:.4f}")
    assert diff.mean + diff.half_width < 0.0


LONG_TRANSFER = """
name: long_transfer
run: {days: 1, replications: 8, seed: 11, warmup: 1h}
sites:
  home: {kind: in_house}
  bpo: {kind: partner, transfer_delay: {dist: deterministic, value: 60s}}
call_types:
  calls:
    arrivals: {rate_per_hour: 120}
    handle_time: {dist: exponential, mean: 5min}
    patience: {dist: exponential, mean: 40s}
    overflow: {to: [bpo_team], queue_length: 1}
agent_groups:
  home_team: {skills: [calls], agents: 8, site: home}
  bpo_team: {skills: [calls], agents: 3, site: bpo}
"""
"""A long transfer, impatient callers and a small partner team: callers hang up on the way, agents log out busy."""


def test_callers_hang_up_in_transfer_and_calls_are_conserved() -> None:
    s = scenario(LONG_TRANSFER)
    layout = build_layout(s)
    field = {name: i for i, name in enumerate(CALL_FIELDS)}
    for r in range(2):
        rec = _records(s, r)
        out, c = rec.outcome, rec.callers
        on_the_way = rec.abandoned_in_transfer
        assert on_the_way.sum() > 20
        assert int(np.sum(out == ABANDONED)) > int(on_the_way.sum())  # callers also hang up in the queue
        assert len(out) == sum(int(np.sum(out == code)) for code in range(len(OUTCOMES)))
        np.testing.assert_allclose(rec.wait[out == ABANDONED], c.patience[out == ABANDONED], rtol=1e-9)
        ans = out == ANSWERED
        assert np.all(rec.wait[ans] <= c.patience[ans] + TIME_EPS)
        moved = ~np.isnan(rec.seized_at)
        np.testing.assert_allclose(rec.start_at[ans & moved] - rec.seized_at[ans & moved], 60.0, atol=TIME_EPS)
        leave = np.where(np.isnan(rec.end_at), np.inf, rec.end_at)
        for g, group in enumerate(layout.groups):  # a reserved agent counts among the busy ones
            on_g = rec.group == g
            starts, ends = rec.busy_from[on_g], leave[on_g]
            times = np.concatenate((starts, ends))
            steps = np.concatenate((np.ones(len(starts)), -np.ones(len(ends))))
            order = np.lexsort((steps, times))
            assert np.max(np.cumsum(steps[order])) <= group.agents
        f = facts(rec, layout)
        kept = c.arrival_at >= f.first_interval * s.run.interval
        counted = f.calls.sum(axis=(1, 2))
        assert counted[field["abandoned_transfer"]] == np.sum(on_the_way & kept)
        contact_outcomes = [{"callback": "callbacks"}.get(o, o) for o in OUTCOMES if o != "unreached"]
        assert counted[field["offered"]] == sum(counted[field[o]] for o in contact_outcomes)


# -- against theory -------------------------------------------------------------------------------------------------

def _all_to_partner(delay: str, patience: str, bpo_agents: int, rate: float, handle: str, days: int,
                    reps: int) -> Scenario:
    """Every call goes to the partner on arrival (share 1.0); the in-house team never answers."""
    return scenario(f"""
name: all_to_partner
run: {{days: {days}, replications: {reps}, seed: 5, warmup: 2h}}
service_level: {{threshold: 20s}}
sites:
  home: {{kind: in_house}}
  bpo: {{kind: partner, transfer_delay: {delay}}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {rate!r}}}
    handle_time: {handle}
    patience: {patience}
    overflow: {{to: [bpo_team], share: 1.0}}
agent_groups:
  home_team: {{skills: [calls], agents: 1, site: home}}
  bpo_team: {{skills: [calls], agents: {bpo_agents}, site: bpo}}
""")


@pytest.mark.parametrize(("delay", "abandon", "asa"), [
    pytest.param("{dist: deterministic, value: 30s}", 1.0 - math.exp(-30.0 / 60.0), 30.0, id="constant"),
    pytest.param("{dist: exponential, mean: 30s}", 30.0 / (30.0 + 60.0), 30.0 * 60.0 / (30.0 + 60.0),
                 id="exponential"),
])
def test_infinite_partner_capacity(delay: str, abandon: float, asa: float) -> None:
    """No partner agent is ever lacking (500 agents for ~25 busy), patience P ~ exp(mean 60 s), delay D: a caller
    abandons exactly when P < D, and an answered call waited D. Constant D = d: abandon = 1 - exp(-d/60), ASA = d;
    exponential D (mean 30 s): abandon = 30 / (30 + 60), ASA = E[D | D < P] = 1 / (1/30 + 1/60) = 20 s. Every
    abandon happens in transfer."""
    reps = 8
    s = _all_to_partner(delay, "{dist: exponential, mean: 60s}", 500, 300.0, "{dist: exponential, mean: 5min}",
                        days=2, reps=reps)
    result, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    x = np.stack([f.calls[:, f.first_interval:, :].sum(axis=(1, 2)) for f in result.facts])
    assert np.array_equal(x[:, CALL_FIELDS.index("abandoned_transfer")], x[:, CALL_FIELDS.index("abandoned")])
    checks = Checks(f"infinite partner, delay {delay}", reps)
    checks.close("abandon_rate", k["abandon_rate"], abandon)
    checks.close("asa", k["asa"], asa, eps=TIME_EPS)
    checks.close("partner_share", k["partner_share"], 1.0)
    checks.verify()


def test_one_partner_agent_is_mg1_with_the_delay_in_service() -> None:
    """One partner agent, reserved during a constant d = 10 s transfer, exponential S (mean 30 s), no abandonment:
    the agent's service is B = S + d, an M/G/1 queue. Pollaczek-Khinchine: Wq = lambda E[B^2] / (2 (1 - rho)),
    rho = lambda E[B]; ASA = Wq + d; occupancy = rho; everybody waits. With lambda = 54/h: rho = 0.6,
    E[B^2] = 2 x 30^2 + 2 x 30 x 10 + 10^2 = 2500, Wq = 46.875 s, ASA = 56.875 s (were the agent free during the
    transfer, it would be M/M/1 at rho = 0.45 plus d: 34.5 s)."""
    reps = 10
    s = _all_to_partner("{dist: deterministic, value: 10s}", "none", 1, 54.0, "{dist: exponential, mean: 30s}",
                        days=10, reps=reps)
    lam, mean_b, second_b = 54.0 / 3600.0, 40.0, 2 * 30.0**2 + 2 * 30.0 * 10.0 + 10.0**2
    rho = lam * mean_b
    wq = lam * second_b / (2.0 * (1.0 - rho))
    result, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks("M/G/1 partner, S + 10 s transfer", reps)
    checks.close("asa", k["asa"], wq + 10.0)
    checks.close("occupancy[bpo_team]", rows["group", "bpo_team"].kpis["occupancy"], rho)
    checks.close("p_wait", k["p_wait"], 1.0)
    checks.verify()
