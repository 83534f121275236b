"""docs/ccsim_notebook.ipynb runs top to bottom with the current interpreter's kernel and shows the KPI table."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_executes_without_errors_and_shows_kpis() -> None:
    nb = nbformat.read(ROOT / "docs" / "ccsim_notebook.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit it without outputs"
    pytest.importorskip("ipykernel")  # its native "python3" kernel runs this interpreter (sys.executable)
    os.environ["CCSIM_ROOT"] = str(ROOT)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    kpi_cell = nb.cells[2]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in kpi_cell.outputs)
    assert "service_level" in html and "abandon_rate" in html
