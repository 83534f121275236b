"""Bad outsourcing input (sites, partner contracts, overflow rules, cost allocation): each mistake is reported with
the file, the line and the key path, ``ccsim validate`` exits 2 and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.app import main
from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario

GOOD = """\
name: bpo_mix
run:
  days: 1
  replications: 2
sites:
  home:
    kind: in_house
  bpo:
    kind: partner
    contract:
      per_minute: 0.85
      sla: {threshold: 20s, target: 0.8, credit: 0.1}
call_types:
  service:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
    overflow:
      to: [bpo_team]
      after_wait: 20s
agent_groups:
  home_team:
    site: home
    skills: [service]
    agents: 5
  bpo_team:
    site: bpo
    skills: [service]
    agents: 3
"""


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the scenario"
    return text.replace(old, new)


def line(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def problems(tmp_path: Path, text: str) -> list[Problem]:
    file = tmp_path / "x.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    found = list(info.value.problems)
    for p in found:
        assert p.file == str(file)
        assert "pydantic" not in p.message and "Input should" not in p.message and "http" not in p.message, p
    return found


def only(tmp_path: Path, text: str) -> Problem:
    found = problems(tmp_path, text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def validate_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   text: str, expected: Problem) -> None:
    """``ccsim validate x.yaml`` exits 2, prints the problem as file:line key.path: message, writes nothing."""
    monkeypatch.chdir(tmp_path)
    for stale in tmp_path.iterdir():
        stale.unlink()
    Path("x.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", "x.yaml"]) == 2
    out, err = capsys.readouterr()
    assert f"x.yaml:{expected.line} {expected.path}: {expected.message}" in err.splitlines()
    assert "Traceback" not in err + out and "ok:" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"], "validate writes nothing"


def test_the_good_scenario_loads(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text(GOOD, encoding="utf-8")
    s = load_scenario(file)
    assert s.site_map()["bpo"].contract is not None and s.call_types["service"].overflow is not None


CASES = [
    # id, text, key path, line needle, message (exact; a str ending in '...' is a prefix)
    pytest.param(edit("      per_minute: 0.85\n", ""), "sites.bpo.contract", "contract:",
                 "a contract needs at least one price: per_hour, per_fte_month, per_minute, per_call, monthly_fee, "
                 "per_sale, revenue_share, per_chat, per_item or per_contact",
                 id="contract-without-a-price"),
    pytest.param(edit("to: [bpo_team]", "to: [home_team]"), "call_types.service.overflow.to[0]", "to: [home_team]",
                 "'home_team' is not a partner group: overflow goes to groups at a site with kind: partner",
                 id="overflow-to-an-in-house-group"),
    pytest.param(edit("to: [bpo_team]", "to: [bpo_tean]"), "call_types.service.overflow.to[0]", "to: [bpo_tean]",
                 "unknown agent group 'bpo_tean' (did you mean 'bpo_team'?)", id="unknown-overflow-target"),
    pytest.param(edit("      to: [bpo_team]\n", "      to: [bpo_team, home_team]\n"),
                 "call_types.service.overflow.to[1]", "to: [bpo_team, home_team",
                 "'home_team' is not a partner group: overflow goes to groups at a site with kind: partner",
                 id="second-target-in-house"),
    pytest.param(edit("    site: home\n", "    site: hom\n"), "agent_groups.home_team.site", "site: hom",
                 "unknown site 'hom' (did you mean 'home'?)", id="group-at-an-unknown-site"),
    pytest.param(edit("    site: home\n", "", edit("  bpo:\n", "  annex:\n    kind: in_house\n  bpo:\n")),
                 "agent_groups.home_team", "home_team:",
                 "give 'site': there is not exactly one in-house site to default to (sites: home, annex, bpo)",
                 id="no-site-with-two-in-house-sites"),
    pytest.param(edit("      after_wait: 20s\n", ""), "call_types.service.overflow", "overflow:",
                 "an overflow rule needs a condition: after_wait, share, outside_hours, queue_length or "
                 "expected_wait", id="overflow-without-a-condition"),
    pytest.param(edit("      after_wait: 20s\n", "      outside_hours: true\n"),
                 "call_types.service.overflow.outside_hours", "outside_hours",
                 "needs opening hours: give the in-house site's (or the scenario's) opening_hours",
                 id="outside-hours-without-opening-hours"),
    pytest.param(edit("      per_minute: 0.85\n", "      per_minute: 0.85\n      billing_increment: 60\n"),
                 "sites.bpo.contract.billing_increment", "billing_increment",
                 "a bare number is ambiguous (got 60): seconds or minutes? write the unit, e.g. '60s' or '60min'",
                 id="cost-duration-without-unit"),
    pytest.param(edit("      per_minute: 0.85\n", "      per_minute: 0.85\n      billing_increment: 1m\n"),
                 "sites.bpo.contract.billing_increment", "billing_increment",
                 "unknown time unit 'm' in '1m' (did you mean 'min'?)...", id="cost-duration-wrong-unit"),
    pytest.param(edit("  replications: 2\n", "  replications: 2\ncost_allocation: handled_call\n"),
                 "cost_allocation", "cost_allocation",
                 "must be one of handled_minutes, handled_calls, equal (got 'handled_call'; "
                 "did you mean 'handled_calls'?)", id="cost-allocation-misspelt"),
]


@pytest.mark.parametrize(("text", "path", "needle", "message"), CASES)
def test_bad_outsourcing_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                               text: str, path: str, needle: str, message: str) -> None:
    p = only(tmp_path, text)
    assert (p.path, p.line) == (path, line(text, needle))
    if message.endswith("..."):
        assert p.message.startswith(message[:-3]), p.message
    else:
        assert p.message == message
    validate_fails(tmp_path, monkeypatch, capsys, text, p)


@pytest.mark.parametrize(("old", "new", "site", "key", "message"), [
    pytest.param("    kind: in_house\n", "    kind: in_house\n    contract: {per_hour: 30}\n", "home", "contract",
                 "only a partner site has a contract; in-house cost is the groups' cost_per_hour",
                 id="contract-on-an-in-house-site"),
    pytest.param("    kind: partner\n", "    kind: partner\n    unresolved_share: 0.05\n", "bpo", "unresolved_share",
                 "needs a 'repeat_delay' distribution (when callers call again)",
                 id="unresolved-share-without-delay"),
    pytest.param("    kind: partner\n", "    kind: partner\n    opening_hours: {mon-sun: \"08:00-20:00\"}\n", "bpo",
                 "opening_hours", "has no effect on a partner site: a partner answers when its agent groups are "
                 "staffed (their shifts or staffing table); remove it", id="opening-hours-of-a-partner"),
])
def test_site_rules_name_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], old: str, new: str, site: str, key: str,
                                  message: str) -> None:
    """Rules of a whole site are reported at the offending key and its line."""
    text = edit(old, new)
    p = only(tmp_path, text)
    assert p.message == message
    assert (p.path, p.line) == (f"sites.{site}.{key}", line(text, key + ":"))
    validate_fails(tmp_path, monkeypatch, capsys, text, p)


def test_overflow_target_without_the_skill(tmp_path: Path) -> None:
    text = edit("    skills: [service]\n    agents: 3\n", "    skills: [service]\n    agents: 3\n"
                "  bpo_sales:\n    site: bpo\n    skills: [sales]\n    agents: 2\n", GOOD.replace(
                    "agent_groups:", "  sales:\n    arrivals: {rate_per_hour: 5}\n    handle_time: {dist: exponential,"
                    " mean: 4min}\n    patience: none\nagent_groups:"))
    text = edit("to: [bpo_team]", "to: [bpo_team, bpo_sales]", text)
    p = only(tmp_path, text)
    assert (p.path, p.line) == ("call_types.service.overflow.to[1]", line(text, "to: [bpo_team, bpo_sales]"))
    assert p.message == "'bpo_sales' lacks the skill 'service'"


def test_every_outsourcing_problem_at_once(tmp_path: Path) -> None:
    """Three independent whole-scenario mistakes are all reported, sorted by line."""
    text = edit("to: [bpo_team]", "to: [bpo_tean]")
    text = edit("      after_wait: 20s\n", "      outside_hours: true\n", text)
    text = edit("    site: home\n", "    site: hom\n", text)
    found = problems(tmp_path, text)
    assert [(p.line, p.path) for p in found] == [
        (line(text, "to: [bpo_tean]"), "call_types.service.overflow.to[0]"),
        (line(text, "outside_hours"), "call_types.service.overflow.outside_hours"),
        (line(text, "site: hom"), "agent_groups.home_team.site"),
    ]


def test_cost_allocation_invalid_value_suggests_the_key(tmp_path: Path) -> None:
    text = edit("  replications: 2\n", "  replications: 2\ncost_allocation: by_calls\n")
    p = only(tmp_path, text)
    assert (p.path, p.line) == ("cost_allocation", line(text, "cost_allocation"))
    assert p.message.startswith("must be one of handled_minutes, handled_calls, equal (got 'by_calls'")
    assert "did you mean 'handled_calls'?" in p.message


def test_cost_allocation_invalid_value_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The part of the by_calls case that holds today: file, line, key path and the allowed values."""
    text = edit("  replications: 2\n", "  replications: 2\ncost_allocation: by_calls\n")
    p = only(tmp_path, text)
    assert (p.path, p.line) == ("cost_allocation", line(text, "cost_allocation"))
    assert p.message.startswith("must be one of handled_minutes, handled_calls, equal (got 'by_calls'")
    validate_fails(tmp_path, monkeypatch, capsys, text, p)


def test_unknown_site_of_an_overflow_target_is_one_problem(tmp_path: Path) -> None:
    text = edit("    site: bpo\n", "    site: bpoo\n")
    p = only(tmp_path, text)
    assert (p.path, p.line) == ("agent_groups.bpo_team.site", line(text, "site: bpoo"))
    assert p.message == "unknown site 'bpoo' (did you mean 'bpo'?)"
