"""`ccsim run --records` for the channels beside calls: one gzip CSV per replication for outbound attempts, work
items and chats, written only for the channels the scenario has, that re-aggregates exactly to the run's facts,
reads back as the very records simulated, and holds the same bytes sequential or parallel."""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import sim.engine.dialer
from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.chat_facts import CHAT_FIELDS
from sim.analysis.experiment import RunResult, run, with_overrides
from sim.analysis.facts import Facts
from sim.analysis.work_facts import WORK_FIELDS
from sim.cli.app import main
from sim.engine.layout import Layout, build_layout
from sim.engine.records import Records
from sim.reports.call_records import CHANNEL_COLUMNS, CHANNEL_FILES, RecordsWriter, write_channel
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from tests.helpers import facts_and_records

ROOT = Path(__file__).resolve().parents[1]
REPLICATIONS = 2
SCENARIOS = {"service_desk": ("items", "chats"), "telesales_predictive": ("attempts",)}
"""Bundled scenarios and the channels beside calls they have (service desk: phone, chat, e-mail; telesales: a
predictive campaign, so silent calls too)."""
NAME_OF = {"attempts": "campaign", "items": "work", "chats": "chat"}
"""The column that names each channel's campaign, work type or chat type."""
Row = dict[str, str]
Rows = list[Row]


@cache
def _scenario(name: str) -> Scenario:
    return with_overrides(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), replications=REPLICATIONS, days=1)


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, RunResult, Path]:
    """A scenario run sequentially with its records written, and the folder they went to."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(name)
    return name, run(_scenario(name), workers=1, records=RecordsWriter(folder, REPLICATIONS)), folder


def _read(path: Path, channel: str) -> Rows:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CHANNEL_COLUMNS[channel]
        return list(reader)


def _rows(folder: Path, channel: str, replication: int) -> Rows:
    return _read(RecordsWriter(folder, REPLICATIONS).path(replication, CHANNEL_FILES[channel]), channel)


def _names(layout: Layout, channel: str) -> list[str]:
    s = layout.scenario
    return list({"attempts": s.campaigns, "items": s.work, "chats": s.chats}[channel] or {})


def _every(row: Row) -> bool:
    return True


def _count(rows: Rows, channel: str, at: str, facts: Facts, layout: Layout, where: Callable[[Row], bool]
           ) -> np.ndarray:
    """[intervals, campaigns or types]: the rows for which ``where`` holds, by the interval of their column ``at``
    (the last interval takes what came after the horizon), warm-up intervals zeroed."""
    names = _names(layout, channel)
    n_int = layout.n_intervals
    out = np.zeros((n_int, len(names)))
    for row in rows:
        if where(row):
            interval = min(int(float(row[at]) // layout.scenario.run.interval), n_int - 1)
            out[interval, names.index(row[NAME_OF[channel]])] += 1
    out[:facts.first_interval] = 0.0
    return out


def test_files_are_written_for_the_channels_the_scenario_has(written: tuple[str, RunResult, Path]) -> None:
    name, _, folder = written
    expected = ["replication"] + [CHANNEL_FILES[c] for c in SCENARIOS[name]]
    assert sorted(p.name for p in (folder / "records").iterdir()) == sorted(
        f"{stem}_{r:02d}.csv.gz" for stem in expected for r in range(1, REPLICATIONS + 1))


def test_records_re_aggregate_to_the_facts_of_their_replication(written: tuple[str, RunResult, Path]) -> None:
    name, result, folder = written
    layout = result.layout

    def equal(column: str, value: str) -> Callable[[Row], bool]:
        return lambda row: row[column] == value

    def given(column: str) -> Callable[[Row], bool]:
        return lambda row: row[column] != ""

    expected: dict[str, tuple[str, tuple[str, ...], str, dict[str, Callable[[Row], bool]]]] = {
        "attempts": ("dial_at", CAMPAIGN_FIELDS, "campaigns", {
            "attempts": _every, "sales": equal("sale", "1"), "first_attempts": equal("attempt", "1"),
            "finished": equal("final", "1"),
            **{o: equal("outcome", o) for o in sim.engine.dialer.ATTEMPT_OUTCOMES}}),
        "items": ("arrival_at", WORK_FIELDS, "work", {
            "arrived": _every, "answered": given("end_at"), "open_at_end": equal("end_at", "")}),
        "chats": ("arrival_at", CHAT_FIELDS, "chats", {
            "offered": _every, "answered": given("start_at"), "abandoned": equal("abandoned", "1"),
            "finished": lambda row: row["start_at"] != "" and row["end_at"] != ""}),
    }
    for r, f in enumerate(result.facts):
        for channel in SCENARIOS[name]:
            at, field_names, attribute, counts = expected[channel]
            rows = _rows(folder, channel, r)
            table = getattr(f, attribute)
            assert table.sum() > 0
            for field, where in counts.items():
                assert np.array_equal(_count(rows, channel, at, f, layout, where), table[field_names.index(field)]), (
                    name, r, channel, field)
    if name == "telesales_predictive":  # every outcome of an attempt that ends came up (the drain ends them all)
        outcomes = {row["outcome"] for r in range(REPLICATIONS) for row in _rows(folder, "attempts", r)}
        assert outcomes == set(sim.engine.dialer.ATTEMPT_OUTCOMES) - {"in_progress"}


def _kept(scenario: Scenario, replication: int) -> Records:
    """The in-memory records of ``replication`` (numbered as ``run`` numbers them, from 0)."""
    return facts_and_records(scenario, replication)[1]


def test_records_read_back_as_the_records_simulated(written: tuple[str, RunResult, Path]) -> None:
    name, result, folder = written
    layout = result.layout
    names = {"group": layout.group_names, "outcome": sim.engine.dialer.ATTEMPT_OUTCOMES}
    for r in range(REPLICATIONS):
        records = _kept(result.scenario, r)
        for channel in SCENARIOS[name]:
            table = getattr(records, channel)
            rows = _rows(folder, channel, r)
            assert len(rows) == len(table) > 0
            for column in CHANNEL_COLUMNS[channel]:
                values = getattr(table, column)
                cells = [row[column] for row in rows]
                if column == NAME_OF[channel]:
                    assert cells == [_names(layout, channel)[i] for i in values.tolist()], column
                elif column in names:
                    assert cells == [names[column][i] if i >= 0 else "" for i in values.tolist()], column
                elif values.dtype.kind == "f":  # bit for bit, NaN empty
                    back = np.array([float(c) if c else math.nan for c in cells])
                    assert np.array_equal(back.view(np.int64)[~np.isnan(back)],
                                          values.view(np.int64)[~np.isnan(values)]), column
                    assert np.array_equal(np.isnan(back), np.isnan(values)), column
                else:
                    assert cells == [str(int(v)) if v >= 0 else "" for v in values.tolist()], column


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sequential_and_parallel_runs_write_the_same_files(name: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = str(ROOT / "scenarios" / f"{name}.yaml")
    common = ["run", path, "--records", "--quiet", "--days", "1", "--replications", str(REPLICATIONS)]
    assert main([*common, "--workers", "1", "--out", "one"]) == 0
    assert main([*common, "--workers", "2", "--out", "two"]) == 0
    files = sorted(p.name for p in Path("one/records").iterdir())
    assert files == sorted(p.name for p in Path("two/records").iterdir())
    assert len(files) == REPLICATIONS * (1 + len(SCENARIOS[name]))
    for file in files:
        assert Path("one/records", file).read_bytes() == Path("two/records", file).read_bytes(), file
    listed = Path("one/run.json").read_text(encoding="utf-8")
    assert all(f"records/{file}" in listed for file in files)


def test_outcome_codes_without_a_name_are_empty_and_new_names_are_used(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _scenario("telesales_predictive")
    records = _kept(scenario, 0)
    assert records.attempts is not None
    known = len(sim.engine.dialer.ATTEMPT_OUTCOMES)
    codes = np.resize(np.array([0, known - 1, known, 100, -1], dtype=np.int8), len(records.attempts))
    odd = replace(records, attempts=replace(records.attempts, outcome=codes))
    layout = build_layout(scenario)
    writer = RecordsWriter(tmp_path, 1)
    (tmp_path / "records").mkdir()
    write_channel(writer.path(0, "attempts"), odd, "attempts", layout)
    first = [row["outcome"] for row in _read(writer.path(0, "attempts"), "attempts")[:5]]
    assert first == [sim.engine.dialer.ATTEMPT_OUTCOMES[0], sim.engine.dialer.ATTEMPT_OUTCOMES[-1], "", "", ""]
    monkeypatch.setattr(sim.engine.dialer, "ATTEMPT_OUTCOMES", (*sim.engine.dialer.ATTEMPT_OUTCOMES, "extra"))
    write_channel(writer.path(0, "again"), odd, "attempts", layout)
    assert [row["outcome"] for row in _read(writer.path(0, "again"), "attempts")[:5]][2:] == ["extra", "", ""]
    with pytest.raises(FileExistsError):  # a file is never overwritten
        write_channel(writer.path(0, "again"), odd, "attempts", layout)
