"""The Student t quantiles of the confidence intervals: computed by sim.analysis.stats itself (a run does not
import scipy), equal to scipy's to 1e-12 and exact where a closed form exists."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from sim.analysis.stats import student_t_quantile, t_quantile

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


@pytest.mark.parametrize("level", LEVELS)
def test_quantiles_equal_scipy(level: float) -> None:
    p = 0.5 + level / 2
    for df in range(1, 201):
        expected = float(sps.t.ppf(p, df))
        assert student_t_quantile(p, df) == pytest.approx(expected, rel=1e-12, abs=0.0), df
        assert student_t_quantile(1.0 - p, df) == pytest.approx(-expected, rel=1e-12, abs=0.0), df


@pytest.mark.parametrize("df", [500, 1000, 9999])
def test_many_degrees_of_freedom_equal_scipy(df: int) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(float(sps.t.ppf(0.975, df)), rel=1e-12, abs=0.0)


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.9995])
def test_closed_forms_of_one_and_two_degrees_of_freedom(p: float) -> None:
    assert student_t_quantile(p, 1) == pytest.approx(1 / math.tan(math.pi * (1 - p)), rel=1e-15, abs=0.0)
    assert student_t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-15, abs=0.0)


def test_median_is_zero() -> None:
    assert student_t_quantile(0.5, 7) == 0.0


def test_t_quantile_of_replications() -> None:
    assert t_quantile(10) == student_t_quantile(0.975, 9)
    assert math.isnan(t_quantile(1)) and math.isnan(t_quantile(0))
    q = t_quantile(np.array([[1, 2], [10, 0]]), 0.9)
    assert np.isnan(q[0, 0]) and np.isnan(q[1, 1])
    assert (q[0, 1], q[1, 0]) == (student_t_quantile(0.95, 1), student_t_quantile(0.95, 9))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number"):
        t_quantile(2.5)
    with pytest.raises(ValueError, match="df >= 1"):
        student_t_quantile(0.975, 0)
    with pytest.raises(ValueError, match="0 < p < 1"):
        student_t_quantile(1.0, 3)


def test_a_run_does_not_import_scipy(tmp_path: Path) -> None:
    code = ("import runpy, sys\n"
            f"sys.argv = ['ccsim', 'run', {str(ROOT / 'scenarios' / 'inhouse.yaml')!r}, '--out', "
            f"{str(tmp_path / 'out')!r}, '--quiet', '--set', 'run.days=1', '--set', 'run.replications=3']\n"
            "try:\n    runpy.run_module('sim', run_name='__main__')\nexcept SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy'}))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / "summary.json").exists()
