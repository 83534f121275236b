"""Small results folders for the reporting tests (plots, HTML, workbook): real runs of tiny scenarios."""

from __future__ import annotations

from pathlib import Path

from sim.analysis.experiment import run
from sim.analysis.summary import summarize
from sim.reports.report import write_results
from sim.scenario.loader import parse_scenario

TWO_DAYS = """
name: tiny
description: "Two days, two groups; <b>bold</b> & co"
run: {days: 2, replications: 3, seed: 7}
opening_hours: {mon-sun: "08:00-18:00"}
call_types:
  sales:
    arrivals: {daily_volume: 900, profile: {start: "08:00", resolution: 5h, percent: [60, 40]}}
    handle_time: {dist: exponential, mean: 240s}
    patience: {dist: exponential, mean: 120s}
  service:
    arrivals: {daily_volume: 600, profile: {start: "08:00", resolution: 5h, percent: [40, 60]}}
    handle_time: {dist: exponential, mean: 300s}
    patience: {dist: exponential, mean: 150s}
    service_level: {threshold: 30s, target: 0.9}
agent_groups:
  sales_team: {skills: [sales], shifts: [{start: "08:00", end: "18:00", agents: 8}], cost_per_hour: 38}
  service_team: {skills: [service], shifts: [{start: "08:00", end: "18:00", agents: 7}], cost_per_hour: 44}
"""


def write_folder(folder: Path, text: str = TWO_DAYS) -> Path:
    """Simulate ``text`` (sequentially: fast for tiny runs) and write its results folder."""
    scenario = parse_scenario(text, "tiny.yaml")
    result = run(scenario, workers=1)
    return write_results(result, summarize(result), folder, None).target
