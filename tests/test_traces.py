"""Arrival trace files as people export them (issue: trace files): a UTF-8 BOM just works; a call_type naming no
call type, a call type without calls and ISO times mixing time zones with none are errors naming file and row."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import edit, line, only

from sim.engine.arrivals import read_trace
from sim.errors import TraceError
from sim.scenario.loader import load_scenario
from sim.units import DAY

SHARED = edit("      rate_per_hour: 60", "      trace: calls.csv",
              edit("      daily_volume: 200\n      profile:\n        resolution: 1h\n        start: \"08:00\"\n"
                   "        shares: [0.25, 0.25, 0.25, 0.25]\n", "      trace: calls.csv\n"))
"""GOOD with both call types (billing, sales) replayed from one trace, calls.csv."""


def _trace_problem(tmp_path: Path, csv: str | bytes, text: str = SHARED, nth: int = 1) -> tuple[str, str]:
    """(key path, message) of the one problem of ``text`` with ``csv`` as calls.csv; it is at the nth trace key."""
    file = tmp_path / "calls.csv"
    file.write_bytes(csv if isinstance(csv, bytes) else csv.encode())
    p = only(tmp_path, text)
    assert p.line == line(text, "trace:", nth)
    return p.path, p.message


def test_utf8_bom_from_excel_just_works(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(b"\xef\xbb\xbftime,call_type\r\n30,a\r\n10,b\r\n20,a\r\n")
    assert read_trace(str(f), "a").tolist() == [20.0, 30.0]


def test_utf8_bom_in_a_scenario_trace(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_bytes(b"\xef\xbb\xbftime,call_type\n12,billing\n40,sales\n")
    (tmp_path / "x.yaml").write_text(SHARED, encoding="utf-8")
    assert load_scenario(tmp_path / "x.yaml").name == "shop"


def test_call_type_naming_no_call_type(tmp_path: Path) -> None:
    path, message = _trace_problem(tmp_path, "time,call_type\n12,billing\n13,sales\n14,bilinng\n15,bilinng\n")
    assert path == "call_types.billing.arrivals.trace"  # reported once, at the first call type using the file
    assert message == f"trace {tmp_path / 'calls.csv'}: row 4: call type 'bilinng' is not in the scenario " \
                      "(did you mean 'billing'?)"


def test_call_type_naming_no_call_type_without_a_close_match(tmp_path: Path) -> None:
    _, message = _trace_problem(tmp_path, "time,call_type\n12,billing\n13,sales\n14,\n")
    assert message == f"trace {tmp_path / 'calls.csv'}: row 4: call type '' is not in the scenario; " \
                      "the call types are billing, sales"


def test_call_type_column_without_rows_of_this_call_type(tmp_path: Path) -> None:
    path, message = _trace_problem(tmp_path, "time,call_type\n12,billing\n13,billing\n", nth=2)
    assert path == "call_types.sales.arrivals.trace"
    assert message == f"trace {tmp_path / 'calls.csv'} has no calls of call type 'sales' (it has: billing)"


def test_trace_with_a_header_only(tmp_path: Path) -> None:
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    _, message = _trace_problem(tmp_path, "time\n", text)
    assert message == f"trace {tmp_path / 'calls.csv'} has no calls of call type 'billing' (it has no rows)"


def test_iso_times_mixing_time_zones_with_none(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("time\n2026-03-02T08:00:00+01:00\n2026-03-02T08:05:00+01:00\n2026-03-02 08:10:00\n",
                 encoding="utf-8")
    with pytest.raises(TraceError) as info:
        read_trace(str(f), "a")
    assert str(info.value) == f"trace {f}: row 4: '2026-03-02 08:10:00' has no time zone, unlike row 2 " \
                              "('2026-03-02T08:00:00+01:00'); give every time with a zone, or none"


def test_iso_times_mixing_time_zones_in_a_scenario(tmp_path: Path) -> None:
    _, message = _trace_problem(tmp_path, "time,call_type\n2026-03-02 08:00,billing\n"
                                          "2026-03-02T09:00Z,sales\n")
    assert message == f"trace {tmp_path / 'calls.csv'}: row 3: '2026-03-02T09:00Z' has a time zone, unlike row 2 " \
                      "('2026-03-02 08:00'); give every time with a zone, or none"


def test_iso_times_across_a_daylight_saving_change(tmp_path: Path) -> None:
    """Sunday 29 March 2026, 02:00 CET -> 03:00 CEST: an hour apart on the clock, but 0 s apart in time."""
    f = tmp_path / "t.csv"
    f.write_text("time\n2026-03-29T01:30:00+01:00\n2026-03-29T03:30:00+02:00\n", encoding="utf-8")
    assert read_trace(str(f), "a").tolist() == [1.5 * 3600, 2.5 * 3600]


def test_day_0_is_the_earliest_date_of_the_whole_file(tmp_path: Path) -> None:
    """Call types sharing a trace share its day 0 (each type's own earliest date would shift one against the other)."""
    f = tmp_path / "t.csv"
    f.write_text("time,call_type\n2026-03-02 08:00,a\n2026-03-03 09:00,b\n", encoding="utf-8")
    assert read_trace(str(f), "b").tolist() == [DAY + 9 * 3600]


def test_header_without_a_time_column_names_what_it_found(tmp_path: Path) -> None:
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    _, message = _trace_problem(tmp_path, "when,call_type\n12,billing\n", text)
    assert message == f"trace {tmp_path / 'calls.csv'}: row 1: needs a header with a 'time' column " \
                      "(found: when, call_type)"


def test_trace_that_is_not_utf8(tmp_path: Path) -> None:
    text = edit("      rate_per_hour: 60", "      trace: calls.csv")
    _, message = _trace_problem(tmp_path, b"time\n12\n\xff13\n", text)
    assert message == f"trace {tmp_path / 'calls.csv'}: line 3: not UTF-8 text (byte 0xff); " \
                      "save the file with the UTF-8 encoding"
