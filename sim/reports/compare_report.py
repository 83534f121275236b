"""The report of a comparison (``ccsim compare --report``): one self-contained HTML page about all its scenarios:
run facts, what differs between the scenario files, the KPIs and costs side by side with confidence intervals,
each scenario's partner invoices and the cost chart. No matplotlib here: charts arrive as PNG bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.compare import CompareRow, demand_notes
from sim.analysis.differences import Difference, differences
from sim.analysis.experiment import RunResult
from sim.reports.compare_output import comparison_cells
from sim.reports.html import CSS, _figures, esc, invoice_section, table
from sim.reports.report import file_hash, versions
from sim.reports.results import Results, load_results
from sim.scenario.loader import scenario_data
from sim.scenario.overrides import Override


@dataclass(frozen=True)
class Comparison:
    """Everything the comparison report and workbook show: the scenarios (in order, the first is the reference),
    their files, each one's results folder read back, the compared KPI rows and what differs between the files."""

    names: list[str]
    files: list[str]
    folders: list[Path]
    results: list[Results]
    rows: list[CompareRow]
    differences: list[Difference]
    seed: int
    replications: int
    days: int
    currency: str

    @property
    def title(self) -> str:
        """"inhouse vs hybrid vs outsourced"."""
        return " vs ".join(self.names)

    def facts(self) -> list[tuple[str, str | int]]:
        """(label, value) of the run facts: seed, replications, days, ccsim version, each file and its sha256."""
        out: list[tuple[str, str | int]] = [("Seed", self.seed), ("Replications per scenario", self.replications),
                                            ("Days", self.days), ("ccsim version", versions()["ccsim"])]
        for name, file in zip(self.names, self.files, strict=True):
            out += [(f"File of {name}", file), (f"sha256 of {name}", file_hash(file) or "")]
        return out


def comparison_of(results: list[RunResult], files: list[str], rows: list[CompareRow],
                  overrides: Sequence[Sequence[Override]] = ()) -> Comparison:
    """The comparison of ``results`` (run from ``files``, each with its ``overrides``), each scenario's results
    read back from results/<name>; the differences from the scenario files as written (after ``extends`` and
    ``--set``, in their own units)."""
    names = [r.scenario.name for r in results]
    folders = [Path("results") / name for name in names]
    run = results[0].scenario.run
    return Comparison(names, files, folders, [load_results(f) for f in folders], rows,
                      differences([scenario_data(f, o) for f, o in zip(files, overrides or [()] * len(files),
                                                                       strict=True)]), run.seed,
                      run.replications, run.days, results[0].scenario.currency)


def differences_table(comparison: Comparison) -> str:
    """The "What differs" table: one row per key path whose value is not the same in every scenario."""
    if not comparison.differences:
        return "<p>The scenario files agree on every key (apart from name and description).</p>"
    cells = [[d.path, *d.values] for d in comparison.differences]
    return table(["Key", *comparison.names], cells, [[""] * len(c) for c in cells])


def kpi_section(comparison: Comparison) -> str:
    """The KPIs and costs of every scenario, and each one's paired difference to the first, with 95 % CIs."""
    header, cells = comparison_cells(comparison.names, comparison.rows, comparison.currency)
    return table(header, cells, [["", "", *["num"] * (len(header) - 2)]] * len(cells))


def invoices_section(comparison: Comparison) -> str:
    """Each scenario's partner invoices, clause by clause (none for an all in-house scenario)."""
    parts = []
    for name, results in zip(comparison.names, comparison.results, strict=True):
        invoices = invoice_section(results).replace("<h3>Partner invoices, clause by clause</h3>", "", 1)
        parts.append(f"<h3>{esc(name)}</h3>" + (invoices or "<p>No partner site: no invoice.</p>"))
    return "\n".join(parts)


def compare_html(comparison: Comparison, charts: dict[str, bytes]) -> str:
    """The whole comparison page. ``charts``: {figure stem: PNG bytes}."""
    facts = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in comparison.facts())
    parts = [f"<h1>{esc(comparison.title)}</h1>",
             f"<p class=\"meta\">{len(comparison.names)} scenarios under common random numbers; "
             f"replication r of every scenario sees the same callers; the first ({esc(comparison.names[0])}) is the "
             "reference of every difference.</p>",
             f"<dl>{facts}</dl>",
             "<h2>What differs</h2>",
             "<p class=\"note\">Keys of the scenario files as written (after <code>extends</code>) whose values "
             "are not the same in every scenario; - : not set (the default applies).</p>",
             differences_table(comparison),
             "<h2>Key figures and costs</h2>", "<p class=\"note\">Means with 95 % confidence intervals (±) over "
             "replications; '&lt;scenario&gt; vs &lt;first&gt;' is the paired difference to the first scenario "
             "and its 95 % CI; P90 rows give the 90th percentile of the cost over replications, with neither CI nor "
             "difference (a P90 is not a mean). Rows that are zero in every scenario are left out.</p>",
             kpi_section(comparison),
             *(f"<p class=\"warn\">{esc(note)}</p>" for note in demand_notes(comparison.names, comparison.rows)),
             "<h2>Partner invoices</h2>", invoices_section(comparison)]
    if charts:
        parts += ["<h2>Charts</h2>", _figures(charts)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>ccsim comparison: {esc(comparison.title)}</title><style>{CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def write_compare_report(comparison: Comparison, charts: dict[str, bytes], folder: Path) -> Path:
    """Write ``folder/report.html`` (via a temporary file and a rename); return its path."""
    path = folder / "report.html"
    tmp = folder / ".report.html.tmp"
    tmp.write_text(compare_html(comparison, charts), encoding="utf-8")
    tmp.replace(path)
    return path


def sheet_titles(names: Sequence[str], kinds: Sequence[str]) -> dict[tuple[str, str], str]:
    """{(scenario, kind): sheet title} "<scenario> <kind>", cut to Excel's 31 characters and made unique (Excel
    compares sheet names case-insensitively) with a "~n" suffix."""
    taken: set[str] = set()
    out = {}
    for name in names:
        for kind in kinds:
            title = f"{name[: 31 - len(kind) - 1]} {kind}"
            n = 1
            while title.lower() in taken:
                n += 1
                title = f"{name[: 31 - len(kind) - 2 - len(str(n))]}~{n} {kind}"
            taken.add(title.lower())
            out[name, kind] = title
    return out
