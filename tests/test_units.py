"""sim/units.py: durations with units and clock times -> seconds; every refusal says how to write it."""

from __future__ import annotations

import math

import pytest

from sim.units import DAY, format_clock, parse_clock, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("45s", 45.0),
        ("45sec", 45.0),
        ("5min", 300.0),
        ("1.5h", 5400.0),
        ("2d", 2 * DAY),
        ("0s", 0.0),
        (".5min", 30.0),
        ("3.min", 180.0),
        ("1e3s", 1000.0),
        ("2.5e-1h", 900.0),
        (" 5 min ", 300.0),
        ("-3min", -180.0),  # the sign is kept: the field's own bound (> 0, >= 0) reports it with the text
        ("+2h", 7200.0),
    ],
)
def test_durations_with_every_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("number", [300, 4.5, 0, -1])
def test_bare_number_is_rejected_with_a_hint(number: float) -> None:
    with pytest.raises(ValueError, match="bare number is ambiguous") as info:
        parse_duration(number)
    message = str(info.value)
    assert f"got {number!r}" in message
    assert f"'{number:g}s' or '{number:g}min'" in message


def test_bare_number_in_a_string_needs_a_unit() -> None:
    with pytest.raises(ValueError, match=r"needs a unit \(got '300'\).*'45s', '5min'"):
        parse_duration("300")


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [("5m", "min"), ("5mins", "min"), ("5minutes", "min"), ("2hours", "h"), ("2hr", "h"), ("3days", "d"),
     ("10secs", "sec"), ("1MIN", "min"), ("2H", "h")],
)
def test_unknown_unit_suggests_the_right_one(text: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match="unknown time unit") as info:
        parse_duration(text)
    assert f"did you mean '{suggestion}'?" in str(info.value)
    assert "the units are ms, s, sec, min, h, d" in str(info.value)


@pytest.mark.parametrize("value", ["five minutes", "5:00", "", "min", "1..5h", "5 min 3 s"])
def test_not_a_duration(value: str) -> None:
    with pytest.raises(ValueError, match=r"not a duration|needs a unit|unknown time unit"):
        parse_duration(value)


@pytest.mark.parametrize("value", [None, True, [5], {"min": 5}])
def test_duration_of_the_wrong_type(value: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


def test_infinite_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_duration("1e999s")
    with pytest.raises(ValueError, match="bare number"):
        parse_duration(math.inf)
    with pytest.raises(ValueError, match=r"bare number .* e\.g\. '45s'$"):
        parse_duration(10**400)  # too big for a float: the hint must not try to show it as one


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:00", 0.0), ("08:00", 8 * 3600.0), ("8:30", 8.5 * 3600), ("16:30:15", 16 * 3600 + 30 * 60 + 15.0),
     ("23:59", 86340.0), ("24:00", DAY), (" 07:05 ", 7 * 3600 + 300.0)],
)
def test_clock_times(text: str, seconds: float) -> None:
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["24:01", "24:00:01", "25:00", "12:60", "12:00:60", "8h", "0800", "8:5",
                                  "noon"])
def test_bad_clock_times(text: str) -> None:
    with pytest.raises(ValueError, match="not a clock time") as info:
        parse_clock(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [480, 8.0, None, True])
def test_clock_time_must_be_text(value: object) -> None:
    with pytest.raises(ValueError, match=r"expected a clock time .*\"HH:MM\""):
        parse_clock(value)


def test_next_day_only_where_allowed() -> None:
    assert parse_clock("06:00+1", allow_next_day=True) == DAY + 6 * 3600
    assert parse_clock("24:00+1", allow_next_day=True) == 2 * DAY
    assert parse_clock("06:00", allow_next_day=True) == 6 * 3600
    with pytest.raises(ValueError, match=r"'\+1' \(next day\) is only allowed for a shift's end"):
        parse_clock("06:00+1")
    with pytest.raises(ValueError, match="not a clock time"):
        parse_clock("06:00+2", allow_next_day=True)


@pytest.mark.parametrize(("seconds", "text"), [(0, "00:00"), (8.5 * 3600, "08:30"), (3661, "01:01:01"),
                                               (DAY, "24:00")])
def test_format_clock_round_trips(seconds: float, text: str) -> None:
    assert format_clock(seconds) == text
    assert parse_clock(text) == seconds
