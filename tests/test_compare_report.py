"""The report and workbook of ``ccsim compare``: about all its scenarios (run facts, what differs between the files,
KPIs with CIs, invoices, charts), numbers as numbers in the workbook, headers that no scenario name can clash with,
and a cost chart that stays readable with many bars."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from openpyxl import load_workbook

from sim.analysis.differences import MISSING, Difference, differences
from sim.cli import app as cli
from sim.reports import plots
from sim.reports.compare_report import sheet_titles

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
THREE = ("inhouse", "hybrid", "outsourced")


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ccsim compare inhouse hybrid outsourced --report --xlsx`` (2 replications of 1 day) in a fresh folder."""
    root = tmp_path_factory.mktemp("three")
    shutil.copytree(SCENARIOS, root / "scenarios")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        files = [f"scenarios/{name}.yaml" for name in THREE]
        assert cli.main(["compare", *files, "--out", "cmp", "--replications", "2", "--days", "1", "--report",
                         "--xlsx", "--workers", "1"]) == 0
    return root


def _section(page: str, heading: str) -> str:
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def _table(section: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the first table of a page section, unescaped."""
    first = section.split("</table>", 1)[0]
    header = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", first)]
    rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", first)]
    return header, rows


# -- the report ----------------------------------------------------------------------------------------------------

def test_report_is_about_all_three_scenarios(three: Path) -> None:
    """Titled by the comparison; run facts with every file and its sha256; the differing assumptions (hybrid's
    overflow to the day partner, outsourced's partner site, the in-house line count); every scenario's KPI columns
    and invoices; the cost chart."""
    page = (three / "cmp" / "report.html").read_text(encoding="utf-8")
    assert "<h1>inhouse vs hybrid vs outsourced</h1>" in page
    assert "<title>ccsim comparison: inhouse vs hybrid vs outsourced</title>" in page
    for name in THREE:
        digest = hashlib.sha256((three / "scenarios" / f"{name}.yaml").read_bytes()).hexdigest()
        assert f"scenarios/{name}.yaml" in page and digest in page, name
    assert "<dt>Seed</dt><dd>20261125</dd>" in page and "<dt>Replications per scenario</dt><dd>2</dd>" in page

    header, rows = _table(_section(page, "What differs"))
    assert header == ["Key", *THREE]
    differ = {row[0]: row[1:] for row in rows}
    assert differ["lines"] == ["103", MISSING, MISSING]
    assert differ["call_types.service.overflow"][0] == MISSING
    assert '"to": ["bpo_overflow", "bpo_night"]' in differ["call_types.service.overflow"][1]
    assert differ["sites.bpo"][:2] == [MISSING, MISSING] and '"kind": "partner"' in differ["sites.bpo"][2]
    assert not {"name", "description"} & set(differ)

    header, rows = _table(_section(page, "Key figures and costs"))
    assert header == ["KPI scope", "KPI (unit)", "inhouse", "hybrid", "hybrid vs inhouse", "outsourced",
                      "outsourced vs inhouse"]
    sl = next(row for row in rows if row[:2] == ["all", "Service level %"])
    assert all("±" in cell for cell in sl[2:]), sl
    warnings = re.findall(r'<p class="warn">(.*?)</p>', _section(page, "Key figures and costs"))
    assert any("outsourced" in w and "closed hours" in w and "not like for like" in w for w in warnings), warnings

    invoices = _section(page, "Partner invoices")
    parts = re.split(r"<h3>(\w+)</h3>", invoices)[1:]
    by_scenario = dict(zip(parts[::2], parts[1::2], strict=True))
    assert list(by_scenario) == list(THREE)
    assert "no invoice" in by_scenario["inhouse"] and "<table>" not in by_scenario["inhouse"]
    assert "bpo_day" in by_scenario["hybrid"] and "bpo_night" in by_scenario["hybrid"]
    assert "<td class=\"\">bpo</td>" in by_scenario["outsourced"]
    assert "data:image/png;base64," in _section(page, "Charts")


# -- the workbook --------------------------------------------------------------------------------------------------

def test_workbook_has_numbers_and_a_sheet_set_per_scenario(three: Path) -> None:
    book = load_workbook(three / "cmp" / "results.xlsx")
    assert book.sheetnames == ["Run", "Comparison", "What differs", "Invoices",
                               *(f"{name} {kind}" for name in THREE for kind in ("KPIs", "Days", "Intervals"))]
    header, *rows = [list(r) for r in book["Comparison"].iter_rows(values_only=True)]
    assert header[:5] == ["KPI scope", "KPI name", "KPI unit", "inhouse", "inhouse ± 95 % CI"]
    table = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in rows}
    sl = table["all", "Service level"]
    assert sl["KPI unit"] == "%"
    for column in header[3:]:
        assert isinstance(sl[column], float), column
    assert 0 < sl["hybrid"] <= 100 and sl["hybrid ± 95 % CI"] > 0
    assert sl["hybrid vs inhouse"] == pytest.approx(sl["hybrid"] - sl["inhouse"])
    differs = {r[0]: r[1:] for r in book["What differs"].iter_rows(min_row=2, values_only=True)}
    assert differs["lines"] == ("103", MISSING, MISSING)
    invoices = {r[0] for r in book["Invoices"].iter_rows(min_row=2, values_only=True)}
    assert invoices == {"hybrid", "outsourced"}
    kpis = list(book["hybrid KPIs"].iter_rows(values_only=True))
    assert kpis[0][0] == "level" and isinstance(kpis[1][2], int | float)
    assert book["outsourced Intervals"].max_row > 10


def test_sheet_titles_fit_excel_and_are_unique() -> None:
    long = "a" * 40
    titles = sheet_titles([long, long.upper() + "b", "short"], ["KPIs", "Intervals"])
    assert titles["short", "KPIs"] == "short KPIs"
    assert all(len(t) <= 31 for t in titles.values())
    assert len({t.lower() for t in titles.values()}) == len(titles)
    assert titles[long, "Intervals"].endswith(" Intervals") and titles[long.upper() + "b", "KPIs"].endswith("~2 KPIs")


# -- scenario names that look like column names ----------------------------------------------------------------------

SMALL = """\
name: {name}
run: {{days: 1, replications: 2, seed: 3}}
call_types:
  calls:
    arrivals: {{rate_per_hour: 40}}
    handle_time: {{dist: exponential, mean: 4min}}
    patience: {{dist: exponential, mean: 3min}}
agent_groups:
  team: {{skills: [calls], agents: {agents}, cost_per_hour: 20}}
"""


def test_scenarios_named_scope_and_kpi_get_their_own_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No header of the report's or workbook's comparison table is repeated, and the columns headed Scope and KPI
    hold those scenarios' numbers (not the scope and KPI texts)."""
    monkeypatch.chdir(tmp_path)
    Path("scope.yaml").write_text(SMALL.format(name="Scope", agents=3), encoding="utf-8")
    Path("kpi.yaml").write_text(SMALL.format(name="KPI", agents=5), encoding="utf-8")
    assert cli.main(["compare", "scope.yaml", "kpi.yaml", "--out", "cmp", "--report", "--xlsx",
                     "--workers", "1"]) == 0
    page = Path("cmp/report.html").read_text(encoding="utf-8")
    header, rows = _table(_section(page, "Key figures and costs"))
    assert len(set(header)) == len(header) and {"Scope", "KPI", "KPI vs Scope"} <= set(header)
    sl = dict(zip(header, next(r for r in rows if r[1] == "Service level %"), strict=True))
    assert re.fullmatch(r"[\d.]+ ±[\d.]+", sl["Scope"]) and re.fullmatch(r"[\d.]+ ±[\d.]+", sl["KPI"])
    assert sl["KPI vs Scope"].startswith("+")  # two more agents

    sheet = list(load_workbook("cmp/results.xlsx")["Comparison"].iter_rows(values_only=True))
    names = [str(c) for c in sheet[0]]
    assert len(set(names)) == len(names) and {"Scope", "KPI"} <= set(names)
    row: dict[str, Any] = dict(zip(names, next(r for r in sheet if r[1] == "Service level"), strict=True))
    assert isinstance(row["Scope"], float) and isinstance(row["KPI"], float) and row["KPI"] > row["Scope"]
    assert [r[0] for r in load_workbook("cmp/results.xlsx")["What differs"].iter_rows(values_only=True)] == [
        "key", "agent_groups.team.agents"]


# -- the differences function --------------------------------------------------------------------------------------

def test_differences_follow_nested_keys_and_compare_lists_whole() -> None:
    a = {"name": "a", "description": "x", "lines": 10, "run": {"seed": 1, "days": 7},
         "groups": {"team": {"agents": 4, "skills": ["s", "t"], "cost": 20}}}
    b = {"name": "b", "description": "y", "lines": 10, "run": {"seed": 1, "days": 5},
         "groups": {"team": {"agents": 4, "skills": ["s"], "cost": 20}}}
    assert differences([a, b]) == [Difference("run.days", ("7", "5")),
                                   Difference("groups.team.skills", ('["s", "t"]', '["s"]'))]
    assert differences([a, a]) == []


def test_differences_with_keys_missing_in_one_scenario() -> None:
    """A key one scenario lacks (or sets to null) shows as missing there; a dict only one scenario has is shown
    whole, without its unset (null) entries; a dict two have is followed key by key."""
    a = {"sites": {"home": {"kind": "in_house"}}, "lines": 5, "overflow": None}
    b = {"sites": {"home": {"kind": "in_house"}, "bpo": {"kind": "partner", "per_minute": 0.85, "cap": None}}}
    c = {"sites": {"home": {"kind": "partner"}}, "lines": 5}
    assert differences([a, b, c]) == [
        Difference("sites.home.kind", ("in_house", "in_house", "partner")),
        Difference("sites.bpo", (MISSING, '{"kind": "partner", "per_minute": 0.85}', MISSING)),
        Difference("lines", ("5", MISSING, "5"))]


def test_long_values_are_cut() -> None:
    (diff,) = differences([{"k": list(range(100))}, {"k": []}], width=20)
    assert diff.values == ("[0, 1, 2, 3, 4, 5, …", "[]") and len(diff.values[0]) == 20


# -- the cost chart ------------------------------------------------------------------------------------------------

def _bars(n_clients: int, scenarios: list[str]) -> list[tuple[str, dict[str, float]]]:
    return [(f"{client}: {name}", {"in-house labour": 12_000.0 + 1_000 * k, "partner fees": 3_000.0 * k,
                                   "penalties and credits": -400.0 * k, "telephony": 900.0})
            for client in ("retail_banking", "insurance", "energy")[:n_clients] for k, name in enumerate(scenarios)]


@pytest.mark.parametrize("n_clients", [1, 3])
def test_cost_chart_labels_do_not_overlap_or_leave_the_figure(n_clients: int) -> None:
    """3 clients x 4 scenarios = 12 bars (and 4 bars): no two tick labels or totals overlap, none is cut."""
    fig = plots.cost_figure(_bars(n_clients, ["inhouse", "hybrid_overflow_day", "outsourced",
                                              "night_pooled_per_minute"]), "EUR", "Cost per scenario", "s")
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]  # as the PNG is drawn
    fig.draw(renderer)
    for texts in (ax.get_xticklabels(), ax.get_yticklabels(), ax.texts):
        boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), texts
        assert all(fig.bbox.contains(b.x0, b.y0) and fig.bbox.contains(b.x1, b.y1) for b in boxes), texts
    assert len([t for t in ax.texts if t.get_text().endswith(" EUR")]) == 4 * n_clients


def test_few_bars_stay_upright() -> None:
    fig = plots.cost_figure(_bars(1, ["a", "b", "c"]), "EUR", "t", "s")
    assert fig.axes[0].get_ylabel() == "cost (EUR)"
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["retail_\nbanking: a", "retail_\nbanking: b",
                                                                     "retail_\nbanking: c"]
