"""Kaplan–Meier patience from call-level records (``ccsim calibrate --calls``).

Synthetic calls: patience exponential with mean 150 s, the wait until an agent would answer exponential with mean
100 s (independent), so a caller abandons after min(patience, answer wait) if patience is shorter. With N = 20,000
calls about N x (1/150) / (1/150 + 1/100) = 8,000 abandon. Tolerances:
- the censored-data MLE theta = total wait / abandons has relative SE 1 / sqrt(8,000) = 1.1 %; 10 % is 9 SE.
- the restricted mean stops at the largest wait (about 60 s x ln N = 590 s for min(P, W) ~ exp(mean 60 s)), which
  loses 150 x exp(-590 / 150) = 3 s (2 %); its SE is about 1.5 %, so 10 % leaves more than 5 SE beyond that bias.
- uniform(60, 240) patience: the mean of the 20 KM quantiles at (k - 0.5) / 20 of the true uniform is exactly 150;
  each KM quantile has an SE of a few seconds at N = 20,000, so 10 % (15 s) is far beyond the noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.calibration.calls import load_calls
from sim.calibration.survival import fit_km, kaplan_meier, km_median, restricted_mean
from sim.cli.app import main
from sim.scenario.loader import load_scenario

N = 20_000
PATIENCE = 150.0
ANSWER_WAIT = 100.0


def test_kaplan_meier_matches_a_hand_computed_example() -> None:
    """Waits 2 (abandoned), 3 (answered), 4, 4 (abandoned), 6 (answered), 7 (abandoned):
    S(2) = 5/6 (6 at risk, 1 event); S(4) = 5/6 x (1 - 2/4) = 5/12; S(7) = 5/12 x (1 - 1/1) = 0."""
    curve = kaplan_meier(np.array([2.0, 3, 4, 4, 6, 7]), np.array([True, False, True, True, False, True]))
    assert list(curve.times) == [2.0, 4.0, 7.0]
    assert curve.survival == pytest.approx([5 / 6, 5 / 12, 0.0])
    assert list(curve.at(np.array([0.0, 2.0, 3.9, 4.0, 6.9, 7.0]))) == pytest.approx([1, 5 / 6, 5 / 6, 5 / 12,
                                                                                         5 / 12, 0])
    assert km_median(curve) == 4.0
    assert restricted_mean(curve) == pytest.approx(2 * 1 + 2 * 5 / 6 + 3 * 5 / 12)  # 4.917


def test_censored_observations_only_leave_the_curve_at_one() -> None:
    curve = kaplan_meier(np.array([5.0, 9.0]), np.array([False, False]))
    assert len(curve.times) == 0 and km_median(curve) is None and restricted_mean(curve) == 9.0
    assert fit_km(np.array([5.0, 9.0]), np.array([False, False])).mean is None


def synthetic_calls(patience: np.ndarray, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    answer = np.random.default_rng(seed).exponential(ANSWER_WAIT, len(patience))
    return np.minimum(patience, answer), patience < answer


def test_exponential_patience_is_recovered_through_censoring() -> None:
    waits, abandoned = synthetic_calls(np.random.default_rng(1).exponential(PATIENCE, N))
    k = fit_km(waits, abandoned)
    assert 7_500 < k.abandons < 8_500
    assert k.values is None  # the exponential fits
    assert k.mean == pytest.approx(PATIENCE, rel=0.10)
    assert k.restricted_mean == pytest.approx(PATIENCE, rel=0.10)
    assert k.median == pytest.approx(PATIENCE * math.log(2), rel=0.10)
    naive = waits[abandoned].mean()  # ignoring censoring: the abandoners' mean wait, about 60 s
    assert naive < 0.5 * PATIENCE


def test_non_exponential_patience_is_written_as_km_quantiles() -> None:
    waits, abandoned = synthetic_calls(np.random.default_rng(2).uniform(60.0, 240.0, N))
    k = fit_km(waits, abandoned)
    assert k.values is not None and len(k.values) == 20 and k.distance > k.threshold
    assert k.mean == pytest.approx(PATIENCE, rel=0.10)
    assert min(k.values) >= 60.0 and max(k.values) <= 245.0


HISTORY = "date,interval_start,offered,answered,abandoned,aht_s,asa_s,agents\n" + "".join(
    f"2026-03-{d:02d},{h:02d}:00,100,90,10,200,30,10\n" for d in range(2, 16) for h in range(8, 18))


@pytest.mark.parametrize(("kind", "draw"), [
    ("exponential", lambda rng: rng.exponential(PATIENCE, N)),
    ("empirical", lambda rng: rng.uniform(60.0, 240.0, N)),
])
def test_cli_fits_patience_from_call_records(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str,
                                             draw: Callable[[np.random.Generator], np.ndarray]) -> None:
    waits, abandoned = synthetic_calls(draw(np.random.default_rng(1)))
    (tmp_path / "h.csv").write_text(HISTORY, encoding="utf-8")
    lines = ["call_type;wait_s;outcome"] + [f"calls;{w:.2f}".replace(".", ",") + (";Abandoned" if a else ";ANSWERED")
                                            for w, a in zip(waits, abandoned, strict=True)]
    (tmp_path / "calls.csv").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "s.yaml"
    assert main(["calibrate", str(tmp_path / "h.csv"), "--calls", str(tmp_path / "calls.csv"), "--out",
                 str(out)]) == 0
    assert f"(Kaplan-Meier, {kind})" in capsys.readouterr().out
    assert f"Kaplan-Meier of {N:,} calls in calls.csv" in out.read_text(encoding="utf-8")
    patience = load_scenario(str(out)).call_types["calls"].patience
    assert patience is not None and patience.dist == kind and patience.mean == pytest.approx(PATIENCE, rel=0.10)


def test_a_bad_call_record_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "h.csv").write_text(HISTORY, encoding="utf-8")
    calls = tmp_path / "calls.csv"
    calls.write_text("wait_s,outcome\n12.5,answered\n\n-3,abandoned\n7,transferred\n", encoding="utf-8")
    out = tmp_path / "s.yaml"
    assert main(["calibrate", str(tmp_path / "h.csv"), "--calls", str(calls), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{calls}:4 wait_s: must be a number >= 0 (got '-3')" in err
    assert f"{calls}:5 outcome: must be one of answered, abandoned" in err
    assert "Traceback" not in err and not out.exists()


def test_call_records_read_synonyms_and_call_types(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Call_Type;Wait_s;Outcome\nsales;1,5;Hung up\nsales;2;served\nbilling;3;LOST\n",
                    encoding="utf-8")
    calls = load_calls(str(path))
    assert list(calls) == ["sales", "billing"]
    assert list(calls["sales"].waits) == [1.5, 2.0] and list(calls["sales"].abandoned) == [True, False]
    assert list(calls["billing"].abandoned) == [True]
