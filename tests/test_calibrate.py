"""``ccsim calibrate``: a synthetic history simulated from a known scenario is fitted back to that scenario.

Tolerances (84 days, about 59,000 calls, 4,000 abandons; the fixed seed makes the test deterministic, the margins
say it is not tuned to one seed):
- daily volume: the mean day level has the relative error of the busyness (gamma CV 0.10) over sqrt(84 days)
  plus Poisson noise: sqrt(0.10**2 + 1/700) / sqrt(84) = 1.2 %; 3 % is 2.6 standard errors.
- AHT: lognormal CV 1 over ~55,000 answered calls: 1 / sqrt(55,000) = 0.4 %; 3 % is 7 standard errors.
- patience: the exponential MLE has relative error 1 / sqrt(abandons) = 1.5 % (4,561 abandons). Without
  abandon_time_s the abandoners' waits come from Erlang A (exponential service, stationary within the interval),
  an approximation here (lognormal handle times, rates that change every hour): measured +4 %; 15 % leaves about
  7 standard errors beyond that. With abandon_time_s (exact) there is no approximation and 5 % is 3 standard
  errors. The plain-ASA method is biased low by construction (about -15 % here); its test only checks the sign.
- busyness CV: c^2 is estimated from 84 - 7 degrees of freedom, SE(c) ~ c / sqrt(2 x 77) = 0.008 plus the
  Poisson term's noise; 0.05 is more than 5 standard errors.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.analytic import agents_for_service_level
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.api import parse, simulate
from sim.calibration.fit import DEFAULT_PATIENCE_S, fit_history
from sim.calibration.history import HistoryError, load_history
from sim.cli.app import main
from sim.scenario.loader import load_scenario
from sim.scenario.schema import ServiceLevel

DAYS = 84
VOLUME = 700.0
DOW = {"mon": 1.3, "tue": 1.15, "wed": 1.1, "thu": 1.05, "fri": 1.0, "sat": 0.9, "sun": 0.5}  # average 1
BUSYNESS = 0.10
AHT = 240.0
PATIENCE = 150.0
SHARES = [0.04, 0.07, 0.10, 0.11, 0.10, 0.08, 0.08, 0.09, 0.09, 0.09, 0.08, 0.07]  # hourly, 08-20
FIRST_DATE = date(2026, 1, 5)  # a Monday
HEADER = ("date", "interval_start", "offered", "answered", "abandoned", "aht_s", "asa_s", "abandon_time_s",
          "service_level", "agents")


def known_staffing() -> list[str]:
    """Staffing tables of the known scenario: per weekday and 30 min, one agent below Erlang C for 80/20 (so
    that callers abandon often enough to measure patience)."""
    tables = []
    for day, factor in DOW.items():
        agents = []
        for share in SHARES:
            rate = VOLUME * factor * share / 3600.0
            n = max(1, agents_for_service_level(rate, AHT, 0.8, 20.0) - 1)
            agents += [n, n]
        tables.append(f"      - {{days: [{day}], start: '08:00', resolution: 30min, agents: {agents}}}")
    return tables


def known_scenario(days: int = DAYS, seed: int = 11) -> str:
    dow = ", ".join(f"{d}: {f}" for d, f in DOW.items())
    return "\n".join([
        "name: known",
        f"run: {{days: {days}, start_day: mon, replications: 1, seed: {seed}, interval: 30min}}",
        "call_types:",
        "  service:",
        "    arrivals:",
        f"      daily_volume: {VOLUME}",
        f"      profile: {{resolution: 1h, start: '08:00', shares: {SHARES}}}",
        f"      day_of_week: {{{dow}}}",
        f"      busyness_cv: {BUSYNESS}",
        f"    handle_time: {{dist: lognormal, mean: {AHT}s, cv: 1.0}}",
        f"    patience: {{dist: exponential, mean: {PATIENCE}s}}",
        "agent_groups:",
        "  team:",
        "    skills: [service]",
        "    staffing:",
        *known_staffing(),
    ]) + "\n"


def history_rows(days: int = DAYS, seed: int = 11) -> list[dict[str, float | str]]:
    """Simulate the known scenario once and aggregate its calls per 30-min interval as an ACD would export
    them (every interval with agents or calls; the service level with the scenario's ICMI definition)."""
    result = simulate(parse(known_scenario(days, seed)), workers=1)
    facts = result.run.facts[0]
    c = {name: facts.calls[i, :, 0] for i, name in enumerate(CALL_FIELDS)}
    agents = facts.groups[GROUP_FIELDS.index("staffed_time"), :, 0] / 1800.0
    rows: list[dict[str, float | str]] = []
    for i in range(len(agents)):
        if c["offered"][i] == 0 and agents[i] == 0:
            continue
        day, slot = divmod(i, 48)
        answered, abandoned = c["answered"][i], c["abandoned"][i]
        sl_den = answered + abandoned - c["abandoned_within"][i]
        rows.append({
            "date": (FIRST_DATE + timedelta(days=day)).isoformat(),
            "interval_start": f"{slot // 2:02d}:{30 * (slot % 2):02d}",
            "offered": c["offered"][i], "answered": answered, "abandoned": abandoned,
            "aht_s": c["handle_sum"][i] / answered if answered else 0.0,
            "asa_s": c["wait_answered_sum"][i] / answered if answered else 0.0,
            "abandon_time_s": c["abandon_time_sum"][i] / abandoned if abandoned else 0.0,
            "service_level": c["answered_within"][i] / sl_den if sl_den else 1.0,
            "agents": agents[i],
        })
    return rows


def history_csv(rows: list[dict[str, float | str]], columns: tuple[str, ...] = HEADER, european: bool = False,
                bom: bool = False) -> str:
    """The rows as CSV text; ``european``: semicolons and decimal commas."""
    sep = ";" if european else ","

    def cell(v: float | str) -> str:
        if isinstance(v, str):
            return v
        text = f"{v:.4f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if european else text

    lines = [sep.join(columns)] + [sep.join(cell(r[k]) for k in columns) for r in rows]
    return ("\ufeff" if bom else "") + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, float | str]]:
    return history_rows()


def fitted(tmp_path: Path, text: str) -> list:  # type: ignore[type-arg]
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    return fit_history(load_history(str(path)), ServiceLevel())


def test_calibrate_recovers_the_known_scenario(tmp_path: Path, rows: list[dict[str, float | str]]) -> None:
    no_exact = tuple(c for c in HEADER if c != "abandon_time_s")
    fit = fitted(tmp_path, history_csv(rows, no_exact))[0]
    assert fit.daily_volume == pytest.approx(VOLUME, rel=0.03)
    assert fit.aht == pytest.approx(AHT, rel=0.03)
    assert fit.patience.method == "erlang_a"
    assert fit.patience.mean == pytest.approx(PATIENCE, rel=0.15)
    assert fit.busyness_cv is not None and abs(fit.busyness_cv - BUSYNESS) < 0.05
    # each weekday's factor from 12 days: relative SE 0.10 / sqrt(12) = 2.9 %; 10 % is 3.4 standard errors
    assert fit.day_of_week == pytest.approx(list(DOW.values()), rel=0.10)
    hourly = np.add.reduceat(np.asarray(fit.shares), np.arange(0, 24, 2))
    assert fit.profile_start == 16 and hourly == pytest.approx(SHARES, abs=0.005)
    assert fit.staffing_from_history and fit.staffing[0][0] == 16


def test_abandon_times_give_the_exact_patience_estimator(tmp_path: Path,
                                                          rows: list[dict[str, float | str]]) -> None:
    fit = fitted(tmp_path, history_csv(rows))[0]
    assert fit.patience.method == "exact"
    assert fit.patience.mean == pytest.approx(PATIENCE, rel=0.05)


def test_without_agents_the_asa_method_understates_patience(tmp_path: Path,
                                                            rows: list[dict[str, float | str]]) -> None:
    columns = tuple(c for c in HEADER if c not in ("abandon_time_s", "agents"))
    fit = fitted(tmp_path, history_csv(rows, columns))[0]
    assert fit.patience.method == "asa"
    assert fit.patience.mean is not None and 0.7 * PATIENCE < fit.patience.mean < PATIENCE


def test_without_asa_patience_is_a_documented_default(tmp_path: Path, rows: list[dict[str, float | str]]) -> None:
    columns = ("date", "interval_start", "offered", "answered", "abandoned", "aht_s")
    fit = fitted(tmp_path, history_csv(rows[:400], columns))[0]
    assert fit.patience.method == "default" and fit.patience.mean == DEFAULT_PATIENCE_S
    assert not fit.staffing_from_history  # no agents column: Erlang C staffing


def test_no_day_to_day_overdispersion_fits_zero() -> None:
    from sim.calibration.fit import busyness_cv

    rng = np.random.default_rng(3)
    weekdays = np.arange(140) % 7
    daily = rng.poisson(500.0 * (1 + 0.1 * weekdays))
    cv = busyness_cv(daily.astype(float), weekdays)
    assert cv is not None and cv < 0.03  # Poisson alone: c^2 estimate ~ 0 +- sqrt(2/133) / 500


def test_cli_writes_a_scenario_that_runs(tmp_path: Path, rows: list[dict[str, float | str]],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.csv"
    history.write_text(history_csv(rows, european=True, bom=True), encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    assert main(["calibrate", str(history), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "# mean calls per calendar day over 84 days" in text
    scenario = load_scenario(out)
    service = scenario.all_call_types()["calls"][1]  # no call_type column: one call type named 'calls'
    assert service.arrivals.daily_volume == pytest.approx(VOLUME, rel=0.03)
    assert main(["calibrate", str(history), "--out", str(out)]) == 2  # exists: refused
    assert "--force" in capsys.readouterr().err
    assert main(["calibrate", str(history), "--out", str(out), "--force"]) == 0


def test_european_format_reads_like_the_plain_one(tmp_path: Path, rows: list[dict[str, float | str]]) -> None:
    plain = fitted(tmp_path, history_csv(rows[:300]))[0]
    european = fitted(tmp_path, history_csv(rows[:300], european=True, bom=True))[0]
    assert european.daily_volume == pytest.approx(plain.daily_volume, rel=1e-9)
    assert european.aht == pytest.approx(plain.aht, rel=1e-6)
    german = history_csv(rows[:300], european=True).replace("2026-01-05", "05.01.2026")
    assert fitted(tmp_path, german)[0].daily_volume == pytest.approx(plain.daily_volume, rel=1e-9)


def test_one_datetime_column(tmp_path: Path) -> None:
    text = ("interval;offered;answered;abandoned;aht_s\n2026-03-02 08:00;10;9;1;200,5\n"
            "2026-03-02 08:15;12;12;0;180\n")
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    history = load_history(str(path))
    assert history.interval == 900.0 and history.series["calls"].handle_sum.sum() == pytest.approx(9 * 200.5 + 12 * 180)


BAD = """date,interval_start,offered,answered,abandoned,aht_s
2026-03-02,08:00,10,9,1,200
2026-03-02,08:30,ten,9,1,200
2026-03-02,09:00,10,12,1,200
2026-13-02,09:30,10,9,1,200
2026-03-02,10:00,10,9,1,-5
"""


def test_bad_rows_are_reported_together_by_line_and_column(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3 offered: must be a number >= 0 (got 'ten')" in err
    assert f"{path}:4 answered: answered (12) exceeds offered (10)" in err
    assert f"{path}:5 date: not a date" in err
    assert f"{path}:6 aht_s: must be a number >= 0" in err
    assert "Traceback" not in err and not (tmp_path / "x.yaml").exists()


def test_problems_are_capped(tmp_path: Path) -> None:
    lines = ["date,interval_start,offered,answered,abandoned,aht_s"]
    lines += [f"2026-03-02,08:00,x{i},1,0,100" for i in range(50)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(HistoryError) as info:
        load_history(str(path))
    assert len(info.value.problems) == 50 and "... and 30 more problems" in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("date,interval_start,offered\n2026-03-02,08:00,1\n", "the header lacks answered, abandoned, aht_s"),
    ("date,interval_start,offered,answered,abandoned,aht_s\n2026-03-02,08:00,1,1,0,9\n2026-03-02,08:15,1,1,0,9\n"
     "2026-03-03,08:00,1,1,0,9\n2026-03-03,08:30,1,1,0,9\n", "mixes interval lengths: 15 min"),
    ("date,interval_start,offered,answered,abandoned,aht_s\n2026-03-02,08:00,1,1,0,9\n2026-03-02,08:20,1,1,0,9\n",
     "intervals of 20 min"),
    ("date,interval_start,offered,answered,abandoned,aht_s\n2026-03-02,08:00,1,1,0,9\n2026-03-02,08:00,1,1,0,9\n",
     ":3: repeats the interval of line 2"),
])
def test_file_level_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HistoryError, match=message.replace("(", r"\(")):
        load_history(str(path))

