"""Opening hours: parsing and which instants find the center closed."""

import numpy as np
import pytest

from sim.scenario.hours import closed_at, parse_hours
from sim.units import DAY


def test_ranges_lists_and_closed_days() -> None:
    w = parse_hours({"mon-fri": "08:00-20:00", "sat": ["09:00-12:00", "13:00-14:00"], "sun": "closed"})
    assert w[0] == ((8 * 3600.0, 20 * 3600.0),)
    assert w[5] == ((9 * 3600.0, 12 * 3600.0), (13 * 3600.0, 14 * 3600.0))
    assert w[6] == ()


@pytest.mark.parametrize("value, message", [
    ({"mon-fri": "20:00-08:00"}, "closes before it opens"),
    ({"mon-fri": "08:00-20:00", "fri": "08:00-12:00"}, "fri is given twice"),
    ({"fri-mon": "08:00-20:00"}, "runs backwards"),
    ({"monday": "08:00-20:00"}, "unknown day"),
    ({"mon": ["08:00-12:00", "11:00-14:00"]}, "overlap"),
    ({"mon": "8-20"}, "not a clock time"),
    ("08:00-20:00", "must map days"),
])
def test_bad_hours(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(value)


def test_closed_at_respects_weekday_of_day_zero() -> None:
    windows = parse_hours({"mon-fri": "08:00-20:00"})
    t = np.array([7.99 * 3600, 8 * 3600, 19.99 * 3600, 20 * 3600, 5 * DAY + 10 * 3600, 6 * DAY + 10 * 3600])
    assert closed_at(t, 0, windows).tolist() == [True, False, False, True, True, True]  # day 5 = sat, 6 = sun
    # the same instants when day 0 is a Saturday: day 2 is Monday
    assert closed_at(np.array([2 * DAY + 9 * 3600, 9 * 3600]), 5, windows).tolist() == [False, True]
    assert not closed_at(t, 0, None).any()
