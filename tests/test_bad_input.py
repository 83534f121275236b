"""Every mistake a consultant can make in a scenario file is reported with file, line, key path and a helpful
message, all problems at once; the CLI turns them into exit code 2 and writes nothing (issue: bad input)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.app import main
from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario

GOOD = """\
name: shop
run:
  days: 1
  replications: 2
  interval: 30min
call_types:
  billing:
    arrivals:
      rate_per_hour: 60
    handle_time: {dist: lognormal, mean: 5min, cv: 0.5}
    patience:
      dist: exponential
      mean: 2min
  sales:
    arrivals:
      daily_volume: 200
      profile:
        resolution: 1h
        start: "08:00"
        shares: [0.25, 0.25, 0.25, 0.25]
    handle_time:
      dist: gamma
      mean: 4min
      cv: 0.8
    patience: none
agent_groups:
  team:
    skills: [billing, sales]
    shifts:
      - start: "08:00"
        end: "16:00"
        agents: 5
      - start: "22:00"
        end: "06:00+1"
        agents: 1
"""


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the scenario"
    return text.replace(old, new)


def line(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` containing ``needle``."""
    hits = [i for i, row in enumerate(text.splitlines(), 1) if needle in row]
    return hits[nth - 1]


def problems(tmp_path: Path, text: str | bytes, name: str = "x.yaml") -> list[Problem]:
    file = tmp_path / name
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    found = list(info.value.problems)
    assert found, "a ScenarioError must hold at least one problem"
    for p in found:
        assert p.file == str(file)
        assert "pydantic" not in p.message and "Input should" not in p.message, p
        assert "http" not in p.message, p
    return found


def only(tmp_path: Path, text: str | bytes, name: str = "x.yaml") -> Problem:
    found = problems(tmp_path, text, name)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def test_the_good_scenario_loads(tmp_path: Path) -> None:
    file = tmp_path / "x.yaml"
    file.write_text(GOOD, encoding="utf-8")
    scenario = load_scenario(file)
    assert set(scenario.all_call_types()) == {"billing", "sales"}


def test_message_reads_file_line_path_message(tmp_path: Path) -> None:
    text = edit("      mean: 2min", "      mean: -3min")
    p = only(tmp_path, text)
    assert str(p) == f"{tmp_path / 'x.yaml'}:{line(text, '-3min')} call_types.billing.patience.mean: " \
                     "must be > 0 (got '-3min')"


# --- the mistakes the issue lists ----------------------------------------------------------------------


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = edit("  replications: 2", "  replicatons: 2")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "replicatons"), "run.replicatons")
    assert p.message == "unknown key 'replicatons' (did you mean 'replications'?)"


def test_unknown_key_inside_a_distribution(tmp_path: Path) -> None:
    text = edit("mean: 5min, cv: 0.5}", "mean: 5min, cvv: 0.5}")
    found = problems(tmp_path, text)
    by_path = {p.path: p for p in found}
    typo = by_path["call_types.billing.handle_time.cvv"]
    assert typo.line == line(text, "cvv")
    assert typo.message == "unknown key 'cvv' (did you mean 'cv'?)"
    assert by_path["call_types.billing.handle_time.cv"].message == "required key is missing"


def test_unknown_key_in_a_block_distribution_points_at_its_line(tmp_path: Path) -> None:
    text = edit("      cv: 0.8", "      cv: 0.8\n      shape: 2")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "shape: 2"), "call_types.sales.handle_time.shape")
    assert p.message.startswith("unknown key 'shape'; allowed here: dist, mean, cv")


def test_unknown_key_without_a_close_match_lists_the_allowed_ones(tmp_path: Path) -> None:
    text = edit("name: shop", "name: shop\ncolour: blue")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (2, "colour")
    assert p.message.startswith("unknown key 'colour'; allowed here: name, description, currency, run,")


def test_missing_key_points_at_the_parent_mapping(tmp_path: Path) -> None:
    text = edit("        agents: 5\n", "")
    p = only(tmp_path, text)
    assert p.path == "agent_groups.team.shifts[0].agents"
    assert p.line == line(text, '- start: "08:00"')
    assert p.message == "required key is missing"


def test_missing_required_block(tmp_path: Path) -> None:
    text = edit("    patience: none\n", "")
    p = only(tmp_path, text)
    assert (p.path, p.line) == ("call_types.sales.patience", line(text, "  sales:"))
    assert p.message.startswith("required key is missing (time a caller waits before hanging up")


def test_missing_top_level_key(tmp_path: Path) -> None:
    text = GOOD[:GOOD.index("agent_groups:")]
    p = only(tmp_path, text)
    assert (p.path, p.line, p.message) == ("agent_groups", 1, "required key is missing")


def test_wrong_unit(tmp_path: Path) -> None:
    text = edit("mean: 4min", "mean: 4m")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "mean: 4m"), "call_types.sales.handle_time.mean")
    assert p.message.startswith("unknown time unit 'm' in '4m' (did you mean 'min'?)")


def test_bare_number_for_a_duration(tmp_path: Path) -> None:
    text = edit("  interval: 30min", "  interval: 30")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "interval"), "run.interval")
    assert p.message == "a bare number is ambiguous (got 30): seconds or minutes? write the unit, " \
                        "e.g. '30s' or '30min'"


@pytest.mark.parametrize(("rate", "shown"), [("-5", "-5"), ("0", "0")])
def test_negative_or_zero_rate(tmp_path: Path, rate: str, shown: str) -> None:
    text = edit("rate_per_hour: 60", f"rate_per_hour: {rate}")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "rate_per_hour"), "call_types.billing.arrivals.rate_per_hour")
    assert p.message == f"must be > 0 (got {shown})"


def test_zero_duration_where_positive_needed(tmp_path: Path) -> None:
    text = edit("mean: 5min, cv: 0.5", "mean: 0min, cv: 0")
    found = problems(tmp_path, text)
    assert [(p.path, p.message) for p in found] == [
        ("call_types.billing.handle_time.mean", "must be > 0 (got '0min')"),
        ("call_types.billing.handle_time.cv", "must be > 0 (got 0)"),
    ]
    assert {p.line for p in found} == {line(text, "mean: 0min")}


def test_shares_that_do_not_sum_to_one(tmp_path: Path) -> None:
    text = edit("[0.25, 0.25, 0.25, 0.25]", "[0.25, 0.25, 0.25, 0.2]")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "shares:"), "call_types.sales.arrivals.profile.shares")
    assert p.message == "must sum to 1 (got 0.95)"


def test_percent_that_do_not_sum_to_100(tmp_path: Path) -> None:
    text = edit("shares: [0.25, 0.25, 0.25, 0.25]", "percent: [30, 30, 30]")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "percent:"), "call_types.sales.arrivals.profile.percent")
    assert p.message == "must sum to 100 (got 90)"


def test_profile_past_midnight(tmp_path: Path) -> None:
    text = edit('start: "08:00"\n        shares', 'start: "22:00"\n        shares')
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "shares:"), "call_types.sales.arrivals.profile.shares")
    assert "runs past midnight" in p.message and "from 22:00 end at 26h" in p.message


def test_call_type_no_group_can_serve(tmp_path: Path) -> None:
    text = edit("skills: [billing, sales]", "skills: [billing]")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "  sales:"), "call_types.sales")
    assert p.message == "no agent group has the skill 'sales': its callers could never be answered"


def test_call_type_served_only_by_empty_groups(tmp_path: Path) -> None:
    text = edit("skills: [billing, sales]", "skills: [billing]")
    text += "  nobody:\n    skills: [sales]\n    agents: 0\n"
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "  sales:"), "call_types.sales")
    assert p.message == "every group with the skill 'sales' has zero agents at all times"


def test_unknown_skill_with_did_you_mean(tmp_path: Path) -> None:
    text = edit("skills: [billing, sales]", "skills:\n      - billing\n      - sales\n      - biling")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "- biling"), "agent_groups.team.skills.biling")
    assert p.message == "unknown call type 'biling' (did you mean 'billing'?)"


def test_unknown_skill_in_a_ranked_mapping(tmp_path: Path) -> None:
    text = edit("skills: [billing, sales]", "skills:\n      billing: 1\n      sales: 2\n      support: 1")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "support: 1"), "agent_groups.team.skills.support")
    assert p.message == "unknown call type 'support'; the call types are billing, sales"


def test_shift_ending_before_it_starts(tmp_path: Path) -> None:
    text = edit('end: "06:00+1"', 'end: "06:00"')
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, 'end: "06:00"'), "agent_groups.team.shifts[1].end")
    assert p.message == "the shift ends (06:00) before it starts (22:00); for a shift past midnight " \
                        "write end: '06:00+1'"


def test_yaml_syntax_error(tmp_path: Path) -> None:
    text = edit("    handle_time: {dist: lognormal, mean: 5min, cv: 0.5}",
                "    handle_time: {dist: lognormal, mean: 5min, cv: 0.5")
    p = only(tmp_path, text)
    assert p.path == "" and p.line == line(text, "patience:")
    assert p.message.startswith("YAML syntax error: while parsing a flow mapping, expected ',' or '}'")


def test_yaml_bad_indentation(tmp_path: Path) -> None:
    text = edit("  days: 1\n", "  days: 1\n    seed: 4\n")
    p = only(tmp_path, text)
    assert p.line == line(text, "seed: 4")
    assert p.message.startswith("YAML syntax error: mapping values are not allowed here")
    assert "indentation" in p.message


def test_tab_indentation(tmp_path: Path) -> None:
    text = edit("  days: 1", "\tdays: 1")
    p = only(tmp_path, text)
    assert p.line == line(text, "\tdays")
    assert "tabs cannot indent YAML, use spaces" in p.message


def test_all_problems_at_once_sorted_by_line(tmp_path: Path) -> None:
    text = edit("  replications: 2", "  replicatons: 2")
    text = edit("rate_per_hour: 60", "rate_per_hour: -60", text)
    text = edit("mean: 4min", "mean: 240", text)
    text = edit('end: "16:00"', 'end: "07:00"', text)
    found = problems(tmp_path, text)
    assert [p.path for p in found] == ["run.replicatons", "call_types.billing.arrivals.rate_per_hour",
                                       "call_types.sales.handle_time.mean", "agent_groups.team.shifts[0].end"]
    assert [p.line for p in found] == [line(text, "replicatons"), line(text, "rate_per_hour"),
                                       line(text, "mean: 240"), line(text, 'end: "07:00"')]


# --- more mistakes -------------------------------------------------------------------------------------


def test_duplicate_key(tmp_path: Path) -> None:
    text = edit("  days: 1\n", "  days: 1\n  seed: 3\n  days: 2\n")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "days: 2"), "run.days")
    assert p.message == f"duplicate key 'days' (first given on line {line(text, 'days: 1')}); " \
                        "YAML would silently keep only the last one"


def test_duplicate_key_is_reported_with_schema_problems(tmp_path: Path) -> None:
    text = edit("  days: 1\n", "  days: 1\n  days: 2\n")
    text = edit("rate_per_hour: 60", "rate_per_hour: -1", text)
    found = problems(tmp_path, text)
    assert [p.path for p in found] == ["run.days", "call_types.billing.arrivals.rate_per_hour"]


@pytest.mark.parametrize(("clock", "message"), [
    ('"25:00"', "not a clock time: '25:00'; hours go from 00 to 24"),
    ('"8h"', "not a clock time: '8h'; write a clock time in quotes as \"HH:MM\""),
    ('"08:00+1"', "'+1' (next day) is only allowed for a shift's end (got '08:00+1')"),
    ("8", "expected a clock time (got 8)"),
])
def test_bad_clock_time(tmp_path: Path, clock: str, message: str) -> None:
    text = edit('start: "22:00"', f"start: {clock}")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, f"start: {clock}"), "agent_groups.team.shifts[1].start")
    assert p.message.startswith(message)


def test_unquoted_clock_time_is_read_as_text(tmp_path: Path) -> None:
    """YAML 1.1 reads 16:00 as the number 960; the scenario loader keeps it as the clock time it shows."""
    file = tmp_path / "x.yaml"
    file.write_text(edit('end: "16:00"', "end: 16:00"), encoding="utf-8")
    assert load_scenario(file).agent_groups["team"].shifts[0].end == 16 * 3600  # type: ignore[index]


def test_unknown_distribution(tmp_path: Path) -> None:
    text = edit("      dist: gamma", "      dist: gama")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "dist: gama"), "call_types.sales.handle_time.dist")
    assert p.message == "unknown distribution 'gama' (did you mean 'gamma'?); choose one of exponential, " \
                        "lognormal, gamma, erlang, deterministic, empirical"


def test_distribution_without_dist(tmp_path: Path) -> None:
    text = edit("      dist: exponential\n", "")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "    patience:"), "call_types.billing.patience.dist")
    assert p.message.startswith("required key is missing; 'dist' names the distribution: exponential,")


def test_misspelt_dist_key(tmp_path: Path) -> None:
    text = edit("      dist: exponential", "      dst: exponential")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "dst:"), "call_types.billing.patience.dst")
    assert p.message.startswith("unknown key 'dst' (did you mean 'dist'?)")


def test_distribution_given_as_a_bare_duration(tmp_path: Path) -> None:
    text = edit("    patience: none", "    patience: 3min")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "patience: 3min"), "call_types.sales.patience")
    assert p.message == "must be a distribution such as {dist: exponential, mean: 3min} or 'none' " \
                        "(got '3min')"


def test_empirical_weights_length_mismatch(tmp_path: Path) -> None:
    text = edit("{dist: lognormal, mean: 5min, cv: 0.5}",
                "{dist: empirical, values: [1min, 2min, 3min], weights: [1, 2]}")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "empirical"), "call_types.billing.handle_time")
    assert p.message == "weights has 2 entries but values has 3"


def test_call_type_name_used_by_two_clients(tmp_path: Path) -> None:
    text = """\
name: pool
clients:
  acme:
    call_types:
      billing:
        arrivals: {rate_per_hour: 10}
        handle_time: {dist: exponential, mean: 5min}
        patience: none
  globex:
    call_types:
      billing:
        arrivals: {rate_per_hour: 5}
        handle_time: {dist: exponential, mean: 4min}
        patience: none
agent_groups:
  team: {skills: [billing], agents: 3}
"""
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "billing:", 2), "clients.globex.call_types.billing")
    assert p.message == "call type 'billing' is also defined by client 'acme'; " \
                        "call type names must be unique across clients"


def test_trace_file_missing(tmp_path: Path) -> None:
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "trace:"), "call_types.billing.arrivals.trace")
    assert p.message == f"cannot read trace {tmp_path / 'calls.csv'}: file not found"  # beside the scenario


def test_trace_file_malformed(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text("when,call_type\n12,billing\n", encoding="utf-8")
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "trace:"), "call_types.billing.arrivals.trace")
    assert p.message == f"trace {tmp_path / 'calls.csv'}: row 1: needs a header with a 'time' column " \
                        "(found: when, call_type)"


def test_trace_with_a_bad_time(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text("time\n12\n-4\n", encoding="utf-8")
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "trace:"), "call_types.billing.arrivals.trace")
    assert p.message.endswith("row 3: time must be a finite number >= 0 (got '-4')")


def test_trace_that_is_readable_loads(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text("time\n12\n400.5\n", encoding="utf-8")
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    call_types = load_scenario(tmp_path / "x.yaml").call_types
    assert call_types is not None
    assert call_types["billing"].arrivals.trace == str(tmp_path / "calls.csv")


def test_document_that_is_a_list(tmp_path: Path) -> None:
    p = only(tmp_path, "- name: shop\n- run: {}\n")
    assert (p.line, p.path) == (1, "")
    assert p.message.startswith("the file holds a list; a scenario must be a mapping of keys")


def test_document_that_is_a_single_value(tmp_path: Path) -> None:
    p = only(tmp_path, "just some words\n")
    assert p.message.startswith("the file holds the single value 'just some words'; a scenario must be")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    p = only(tmp_path, text)
    assert (p.line, p.path) == (1, "")
    assert p.message == "the file is empty; a scenario needs at least 'call_types' (or 'clients') and " \
                        "'agent_groups'"


def test_non_utf8_file(tmp_path: Path) -> None:
    text = edit("name: shop", "name: shop\ndescription: Caf\xe9 Zürich").encode("latin-1")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (2, "")
    assert p.message == "not UTF-8 text: byte 0xe9 cannot be decoded; save the file with the UTF-8 encoding"


def test_utf8_with_bom_is_fine(tmp_path: Path) -> None:
    text = edit("name: shop", "name: shop\ndescription: Café")
    (tmp_path / "x.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_scenario(tmp_path / "x.yaml").description == "Café"


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/object/apply:os.system",
                                 "!!python/name:os.system", "!custom"])
def test_python_tags_are_rejected(tmp_path: Path, tag: str) -> None:
    text = edit("name: shop", f"name: shop\ndescription: {tag} [echo hacked]")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (2, "description")
    assert p.message.startswith(f"the tag '{tag}' is not allowed: a scenario file is plain data")


def test_warmup_not_shorter_than_the_horizon(tmp_path: Path) -> None:
    text = edit("  interval: 30min", "  interval: 30min\n  warmup: 1d")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "warmup"), "run.warmup")
    assert p.message == "must be shorter than the horizon of 1 day(s) (got 24h)"


@pytest.mark.parametrize(("key", "value"), [("warmup", "-1h"), ("drain", "-30min")])
def test_negative_duration_is_shown_as_written(tmp_path: Path, key: str, value: str) -> None:
    text = edit("  interval: 30min", f"  interval: 30min\n  {key}: {value}")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, value), f"run.{key}", f"must be >= 0 (got '{value}')")


def test_interval_not_dividing_a_day(tmp_path: Path) -> None:
    text = edit("  interval: 30min", "  interval: 7min")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "interval"), "run.interval")
    assert p.message == "must divide a day evenly (got 420s); use e.g. 15min, 30min or 1h"


def test_wrong_kind_of_value(tmp_path: Path) -> None:
    text = edit("  replications: 2", "  replications: many")
    text = edit("        agents: 5", "        agents: 2.5", text)
    text = edit("    arrivals:\n      rate_per_hour: 60", "    arrivals: 60", text)
    found = problems(tmp_path, text)
    assert [(p.line, p.path, p.message) for p in found] == [
        (line(text, "replications"), "run.replications", "must be a whole number (got 'many')"),
        (line(text, "arrivals: 60"), "call_types.billing.arrivals",
         "must be a mapping with keys such as rate_per_hour, daily_volume, profile, day_of_week (got 60)"),
        (line(text, "agents: 2.5"), "agent_groups.team.shifts[0].agents", "must be a whole number (got 2.5)"),
    ]


def test_yes_is_not_a_number(tmp_path: Path) -> None:
    p = only(tmp_path, edit("  replications: 2", "  replications: yes"))
    assert (p.path, p.message) == ("run.replications", "must be a whole number (got 'yes')")


def test_infinite_rate(tmp_path: Path) -> None:
    text = edit("rate_per_hour: 60", "rate_per_hour: .inf")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, ".inf"), "call_types.billing.arrivals.rate_per_hour",
                                           "must be a finite number > 0 and <= 1e+06 (got inf)")


def test_weekday_with_did_you_mean(tmp_path: Path) -> None:
    text = edit("  days: 1", "  days: 1\n  start_day: Thursday")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "Thursday"), "run.start_day")
    assert p.message == "must be one of mon, tue, wed, thu, fri, sat, sun " \
                        "(got 'Thursday'; did you mean 'thu'?)"


def test_bad_call_type_name(tmp_path: Path) -> None:
    text = edit("  billing:\n    arrivals", "  bill ing:\n    arrivals")
    found = problems(tmp_path, text)
    assert (found[0].line, found[0].path) == (line(text, "bill ing"), "call_types.bill ing")
    assert found[0].message.startswith("must be a name of letters, digits, '_', '.' and '-' (no spaces")


def test_empty_agent_groups(tmp_path: Path) -> None:
    text = GOOD[:GOOD.index("agent_groups:")] + "agent_groups: {}\n"
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, "agent_groups"), "agent_groups",
                                           "must have at least 1 entry (got none)")


def test_name_from_a_file_name_that_is_not_a_name(tmp_path: Path) -> None:
    p = only(tmp_path, GOOD.replace("name: shop\n", ""), name="my shop.yaml")
    assert p.path == "name"
    assert p.message.endswith("(the name comes from the file name; add a 'name:' key to choose one)")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a folder, not a scenario file"):
        load_scenario(tmp_path)


# --- the command line ----------------------------------------------------------------------------------

BAD = edit("mean: 5min, cv: 0.5}", "mean: 5min, cvv: 0.5}")


@pytest.mark.parametrize("command", ["run", "validate"])
def test_cli_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str],
                                                     command: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(BAD, encoding="utf-8")
    assert main([command, "bad.yaml"]) == 2
    out, err = capsys.readouterr()
    assert f"bad.yaml:{line(BAD, 'cvv')} call_types.billing.handle_time.cvv: unknown key 'cvv' " \
           "(did you mean 'cv'?)" in err.splitlines()
    assert "Traceback" not in err and "Traceback" not in out
    assert not Path("results").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize("text", ["name: x\nrun: {days: 1\n", "", b"name: caf\xe9\n", "- a\n"])
def test_cli_unreadable_scenario_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], text: str | bytes) -> None:
    monkeypatch.chdir(tmp_path)
    file = Path("bad.yaml")
    file.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert main(["run", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bad.yaml:") and "Traceback" not in err
    assert not Path("results").exists()


def test_cli_missing_scenario_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "nope.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "nope.yaml: file not found"
    assert not Path("results").exists()


def test_cli_validate_good_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(GOOD, encoding="utf-8")
    assert main(["validate", "good.yaml"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: good.yaml") and err == ""
    assert not Path("results").exists()


def test_cli_validate_reports_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.yaml").write_text(GOOD, encoding="utf-8")
    Path("bad.yaml").write_text(BAD, encoding="utf-8")
    assert main(["validate", "bad.yaml", "good.yaml"]) == 2
    out, err = capsys.readouterr()
    assert "ok: good.yaml" in out
    assert "bad.yaml:" in err and "good.yaml" not in err


# --- found by fuzzing (tests/test_fuzz_loader.py): the minimal examples ----------------------------------------


def test_cli_key_with_a_form_feed_stays_on_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """hybrid.yaml with 'extends' renamed to '\\f': the key was printed raw, and a form feed breaks the line."""
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_text(GOOD + '"\\f\\n": 1\n', encoding="utf-8")
    assert main(["validate", "x.yaml"]) == 2
    [message] = capsys.readouterr().err.splitlines()
    assert message.startswith(f"x.yaml:{len(GOOD.splitlines()) + 1} \\x0c\\n: unknown key '\\x0c\\n'; allowed here:")


def test_bare_number_of_400_digits_for_a_duration(tmp_path: Path) -> None:
    """inhouse.yaml with run.interval replaced by 10**400: formatting the hint overflowed a float."""
    text = edit("  interval: 30min", f"  interval: {10**400}")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "interval"), "run.interval")
    assert p.message == "a whole number of 401 digits is larger than any value a scenario takes"


def test_whole_number_of_5000_digits(tmp_path: Path) -> None:
    """Python refuses to even print an integer of more than 4,300 digits."""
    text = edit("  replications: 2", f"  replications: {'9' * 5000}")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, "replications"), "run.replications",
                                           "a whole number of 5,000 digits is larger than any value a scenario takes")


def test_redial_at_once_would_loop_forever(tmp_path: Path) -> None:
    """A valid-looking redial rule (every caller, after 0s) made `ccsim run` hang: callers with no patience
    abandoned and called again at the same instant forever."""
    text = edit("    patience: none", "    patience: {dist: deterministic, value: 0s}\n"
                "    redial: {share: 1, delay: {dist: deterministic, value: 0s}}")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "redial"), "call_types.sales.redial.delay")
    assert p.message == "must be longer than 0s on average: a call that comes back at once could come back " \
                        "forever at the same instant"


def test_extends_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    """/proc/self/mem is a regular file whose reading fails (EIO): an OSError escaped the reader."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc on this system")
    p = only(tmp_path, "extends: /proc/self/mem\nname: child\n")
    assert (p.path, p.line, p.message) == ("extends", 1, "cannot read /proc/self/mem: input/output error")
