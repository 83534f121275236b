"""The CSV result tables are written as csv.writer writes their cells: text quoted where it must be, floats by
repr after rounding to 6 decimals (numpy's rounding for a column of floats, Python's for a mixed one), NaN,
infinity and None empty; intervals.csv is the table's rows as write_csv writes them."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.experiment import run
from sim.analysis.summary import summarize
from sim.reports.report import write_csv, write_intervals
from sim.scenario.loader import parse_scenario


def _reference(header: list[str], rows: list[dict[str, Any]]) -> str:
    """The table through csv.writer, cells made as write_csv makes them."""
    columns = []
    for key in header:
        values = [row.get(key, "") for row in rows]
        if values and all(type(v) in (float, np.float64) for v in values):
            columns.append(["" if not math.isfinite(v) else float(np.round(v, 6)) for v in values])
        else:
            columns.append([v if isinstance(v, (str, int)) or v is None
                            else "" if not math.isfinite(float(v)) else round(float(v), 6) for v in values])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()


def _written(tmp: Path, header: list[str], rows: list[dict[str, Any]]) -> str:
    path = tmp / "table.csv"
    write_csv(path, header, rows)
    return path.read_bytes().decode("utf-8")


def test_every_character_is_quoted_as_csv_writer_quotes_it(tmp_path: Path) -> None:
    texts = [chr(c) for c in range(0x2100)] + ["", " a", "a b", 'say "hi"', "a,b", "x\r\ny", "é,ü", "\u2028"]
    rows = [{"text": t, "n": 1.5, "tail": t} for t in texts]
    assert _written(tmp_path, ["text", "n", "tail"], rows) == _reference(["text", "n", "tail"], rows)


def test_an_empty_cell_alone_on_its_line_is_quoted(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"a": ""}, {"a": None}, {"a": "x"}, {"a": math.nan}]
    assert _written(tmp_path, ["a"], rows) == _reference(["a"], rows) == 'a\r\n""\r\n""\r\nx\r\n""\r\n'


CELLS = st.one_of(
    st.floats(min_value=-1e300, max_value=1e300),  # (beyond, rounding to 6 decimals overflows)
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.floats(min_value=-1e4, max_value=1e4).map(np.float64),
    st.integers(min_value=-10**12, max_value=10**12),
    st.booleans(),
    st.none(),
    st.text(alphabet=st.sampled_from('ab ,"\r\n\té'), max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=4).flatmap(
    lambda width: st.lists(st.fixed_dictionaries({}, optional={f"c{j}": CELLS for j in range(width)}),
                           max_size=6).map(lambda rows: (width, rows))))
def test_tables_are_written_as_csv_writer_writes_them(table: tuple[int, list[dict[str, Any]]]) -> None:
    width, rows = table
    header = [f"c{j}" for j in range(width)]
    with tempfile.TemporaryDirectory() as tmp:  # a folder per example (hypothesis does not mix with tmp_path)
        assert _written(Path(tmp), header, rows) == _reference(header, rows)


def test_float_columns_round_like_numpy_and_mixed_ones_like_python(tmp_path: Path) -> None:
    floats = [{"x": v} for v in (0.0000005, 1.0000005, 2.675e-6, -0.0, 1e300, 123456.0000004)]
    assert _written(tmp_path, ["x"], floats) == _reference(["x"], floats)
    mixed = [*floats, {"x": None}]
    assert _written(tmp_path, ["x"], mixed) == _reference(["x"], mixed)


SCENARIO = """
name: intervals
run: {days: 2, replications: 2, seed: 3, warmup: 2h}
opening_hours: {mon-sun: "08:00-12:00"}
call_types:
  a.b:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 240s}
    patience: {dist: exponential, mean: 120s}
  c:
    arrivals: {rate_per_hour: 40}
    handle_time: {dist: exponential, mean: 300s}
    patience: none
agent_groups:
  one: {skills: [a.b, c], agents: 4}
  two: {skills: [c], agents: 2}
"""


def test_intervals_csv_is_the_rows_as_write_csv_writes_them(tmp_path: Path) -> None:
    result = run(parse_scenario(SCENARIO, "intervals.yaml"), workers=1)
    table = summarize(result).intervals
    rows = list(table)
    assert len(rows) == len(table) > 0 and rows[0]["call_type"] == "a.b" and rows[-1]["call_type"] == "all"
    assert list(rows[0]) == table.header and repr(table[-1]) == repr(rows[-1]) and repr(table[1:3]) == repr(rows[1:3])
    write_intervals(tmp_path / "fast.csv", table)
    write_csv(tmp_path / "rows.csv", table.header, rows)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()
