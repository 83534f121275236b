"""`ccsim run --records`: every replication's per-leg records as a gzip CSV that re-aggregates to the run's
counts, the same bytes sequential or parallel, and nothing left by a run that fails."""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim.analysis.experiment
from sim.analysis.facts import CALL_FIELDS
from sim.analysis.summary import kpi_rows
from sim.cli.app import main
from sim.reports.call_records import COLUMNS, RecordsWriter, contacts
from sim.scenario.loader import parse_scenario

LEGS = """
name: legs
run: {days: 1, replications: 3, seed: 5, warmup: 1h}
call_types:
  a:
    arrivals: {rate_per_hour: 200}
    handle_time: {dist: exponential, mean: 150s}
    patience: {dist: exponential, mean: 60s}
    redial: {share: 0.3, delay: {dist: exponential, mean: 5min}}
    transfer: {share: 0.2, to: b}
    callback: {queue_length: 3, accept: 0.5, within: 600s}
  b:
    arrivals: none
    handle_time: {dist: exponential, mean: 200s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  first: {skills: [a], agents: 9}
  second: {skills: [b], agents: 2}
"""


@pytest.fixture()
def legs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "legs.yaml"
    path.write_text(LEGS, encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def _count(rows: list[dict[str, str]], call_type: str, **where: Any) -> int:
    return sum(r["call_type"] == call_type and all(test(r[k]) for k, test in where.items()) for r in rows)


def test_records_re_aggregate_to_the_facts_of_their_replication(tmp_path: Path) -> None:
    s = parse_scenario(LEGS, "legs.yaml")
    result = sim.analysis.experiment.run(s, workers=1, records=RecordsWriter(tmp_path, 3))
    first = math.ceil(s.run.warmup / s.run.interval)
    leg = ("transfer", "callback").__contains__
    contact = ("fresh", "repeat", "redial").__contains__
    totals = {"offered": 0, "answered": 0, "abandoned": 0}
    for r, f in enumerate(result.facts):
        rows = _read(tmp_path / "records" / f"replication_{r + 1:02d}.csv.gz")
        kept = [row for row in rows if float(row["arrival_at"]) // s.run.interval >= first]
        for t, name in enumerate(result.layout.type_names):
            counts = {
                "offered": _count(kept, name, kind=contact),
                "answered": _count(kept, name, kind=contact, outcome="answered".__eq__),
                "abandoned": _count(kept, name, kind=contact, outcome="abandoned".__eq__),
                "callbacks": _count(kept, name, kind=contact, outcome="callback".__eq__),
                "transferred": _count(kept, name, kind=contact, transferred="1".__eq__),
                "transfer_legs": _count(kept, name, kind="transfer".__eq__),
                "transfer_answered": _count(kept, name, kind="transfer".__eq__, outcome="answered".__eq__),
                "callback_legs": _count(kept, name, kind="callback".__eq__),
                "redials": _count(kept, name, kind="redial".__eq__),
            }
            for field, n in counts.items():
                assert f.calls[CALL_FIELDS.index(field)][:, t].sum() == n, (r, name, field)
            if name == "a":
                for key in totals:
                    totals[key] += counts[key]
        assert any(leg(row["kind"]) for row in rows) and any(row["kind"] == "redial" for row in rows)
        for row in rows:  # a leg or a repeat belongs to the contact of its origin; times read back exactly
            if row["origin"]:
                assert row["contact"] == rows[int(row["origin"])]["contact"]
            assert rows[int(row["contact"])]["kind"] == "fresh"
            if row["outcome"] == "answered":
                assert float(row["start_at"]) - float(row["queue_at"]) == float(row["wait"])
    kpis = {(row.level, row.name): row.kpis for row in kpi_rows(result)}[("call_type", "a")]
    for key, n in totals.items():
        assert kpis[key].mean * s.run.replications == pytest.approx(n, rel=1e-12)


def test_contacts_follow_chains_of_any_length() -> None:
    origin = np.array([-1, 0, 1, -1, 2, 3, 4, -1, 7])
    assert contacts(origin).tolist() == [0, 0, 0, 3, 0, 3, 0, 7, 7]


def test_sequential_and_parallel_runs_write_the_same_files(legs: Path) -> None:
    assert main(["run", str(legs), "--records", "--quiet", "--workers", "1", "--out", "one"]) == 0
    assert main(["run", str(legs), "--records", "--quiet", "--workers", "2", "--out", "two"]) == 0
    assert main(["run", str(legs), "--quiet", "--workers", "2", "--out", "none"]) == 0
    files = sorted(p.name for p in Path("one/records").iterdir())
    assert files == ["replication_01.csv.gz", "replication_02.csv.gz", "replication_03.csv.gz"]
    for name in files:
        assert Path("one/records", name).read_bytes() == Path("two/records", name).read_bytes()
    assert not Path("none/records").exists()
    assert Path("one/summary.csv").read_bytes() == Path("none/summary.csv").read_bytes()
    assert "records/replication_01.csv.gz" in Path("one/run.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("error, code", [(RuntimeError("boom"), 1), (KeyboardInterrupt(), 130)])
def test_a_run_that_fails_midway_leaves_no_records(legs: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], error: BaseException,
                                                   code: int) -> None:
    facts = sim.analysis.experiment.facts
    done: list[int] = []

    def failing(*args: Any) -> Any:
        if done:
            raise error
        done.append(1)
        return facts(*args)

    monkeypatch.setattr(sim.analysis.experiment, "facts", failing)
    assert main(["run", str(legs), "--records", "--workers", "1"]) == code
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["legs.yaml"]  # no results/, no staging folder


def test_compare_writes_the_records_of_each_scenario(legs: Path) -> None:
    Path("more.yaml").write_text(LEGS.replace("name: legs", "name: more").replace("agents: 9", "agents: 10"),
                                 encoding="utf-8")
    assert main(["compare", str(legs), "more.yaml", "--records", "--quiet", "--replications", "2"]) == 0
    for name in ("legs", "more"):
        assert sorted(p.name for p in Path("results", name, "records").iterdir()) == [
            "replication_01.csv.gz", "replication_02.csv.gz"]


def test_a_refused_run_leaves_nothing(legs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(legs), "--records", "--max-calls", "100"]) == 2
    assert "--max-calls" in capsys.readouterr().err
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["legs.yaml"]
