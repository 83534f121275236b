"""The HTML report: structure, self-containment, escaping, ``ccsim report DIR``, and (where Debian's chromium is
installed) a headless-browser screenshot that must show a rendered, non-blank page."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from reporting_data import write_folder

from sim.cli.app import main
from sim.reports.html import report_html
from sim.reports.outputs import Outputs, write_outputs
from sim.reports.results import Results, load_results

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = write_folder(tmp_path_factory.mktemp("html") / "tiny")
    write_outputs(out, Outputs(report=True))
    return out


def test_report_has_every_section_and_table(folder: Path) -> None:
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings == ["At a glance", "Key figures", "Risk: days and intervals", "Charts", "Cost breakdown",
                        "Intervals", "Assumptions"]
    assert re.findall(r"<h3>(.*?)</h3>", page) == ["Per day", "Labour cost per agent group", "Mon, day 1",
                                                   "Tue, day 2"]
    assert "Service level %" in page and "±" in page  # KPI table with confidence intervals
    assert "Required (Erlang C)" in page and "08:00" in page  # interval (staffing) table
    assert "sales_team" in page and "service_team" in page and "Labour cost (EUR)" in page  # cost breakdown
    assert "in-house labour (EUR)" in page and "Per answered call (EUR)" in page
    assert "answered within T / (answered + abandoned - abandoned within T)" in page
    assert "seed 7" in page and "numpy" in page and "service 30 s" in page  # assumptions, own thresholds


def test_report_is_self_contained(folder: Path) -> None:
    page = (folder / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(images) == 10 and all(src.startswith("data:image/png;base64,") for src in images)
    assert base64.b64decode(images[0].split(",", 1)[1]).startswith(b"\x89PNG")
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page and "<link" not in page
    assert "@import" not in page and "url(" not in page


def test_names_from_the_scenario_are_escaped(folder: Path) -> None:
    results = load_results(folder)
    run = {**results.run, "scenario": XSS, "description": f"a & b {XSS}"}
    summary = json.loads(json.dumps(results.summary).replace('"sales_team"', json.dumps(f"team {XSS}")))
    page = report_html(Results(run, summary, results.intervals), {})
    assert XSS not in page and "<b>bold</b>" not in (folder / "report.html").read_text(encoding="utf-8")
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # title, h1, description, group
    assert "a &amp; b" in page


def test_report_command_redraws_from_the_files(folder: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    copy = shutil.copytree(folder, tmp_path / "copy")
    (copy / "report.html").unlink()
    assert main(["report", str(copy), "--xlsx"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {copy / 'report.html'}" in out and (copy / "results.xlsx").exists()
    assert not (copy / "plots").exists() and not list(copy.glob(".*"))
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "not a results folder (run.json is missing)" in err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_headless_chromium_renders_the_report(folder: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
               f"--screenshot={shot}", "--window-size=1280,2000", (folder / "report.html").as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    from matplotlib import image  # the test only reads the PNG; sim/ keeps matplotlib in sim/reports/plots.py

    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels.std() > 0.05, "the page looks blank"
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50  # text, tables, the charts' colours
