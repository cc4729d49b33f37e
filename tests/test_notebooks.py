"""The notebooks run from scratch without an error and do what their text says.

Each notebook is executed in a fresh ``python3`` kernel with the notebooks folder as its
working directory, MLflow pointed at a store in ``tmp_path`` and ``TMPDIR`` there too, so
the files a notebook writes (labels, SQLite table) can be checked afterwards.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Seconds one cell may run (the whole notebooks take about a minute each).
CELL_TIMEOUT = 300


def _run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: int | None = None):
    """Execute the notebook at ``path`` (its first ``cells`` cells only, if given) and
    check that it wrote nothing beside the notebooks."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(path, as_version=4)
    if cells is not None:
        notebook.cells = notebook.cells[:cells]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    before = sorted(p.name for p in path.parent.iterdir())
    client.execute()
    assert sorted(p.name for p in path.parent.iterdir()) == before, "written beside the notebooks"
    return notebook


def _text(notebook) -> str:
    """Everything the code cells printed or showed as text."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _images(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def _scratch(tmp_path: Path, prefix: str) -> Path:
    folders = sorted(tmp_path.glob(f"{prefix}*"))
    assert len(folders) == 1, f"expected one {prefix}* scratch folder in {tmp_path}: {folders}"
    return folders[0]


def test_quickstart_runs_end_to_end(tmp_path, monkeypatch):
    notebook = _run(NOTEBOOKS / "01_quickstart.ipynb", tmp_path, monkeypatch)
    text = _text(notebook)

    # the rules recover every planted situation: the crosstab is diagonal
    assert "10,000 customers" in text
    # the gate refusal was caught and printed, then the other version was promoted
    assert "refused: 1 quality gate(s) failed" in text
    assert "min_silhouette" in text
    assert "champion -> version 1" in text
    # the plots were drawn: sizes, heatmap, k selection, map, migration
    assert _images(notebook) >= 5

    from metaseg.tracking import compare, load_champion

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    runs = compare("metaseg-quickstart", tracking_uri=uri)
    # two fits by hand, one retrain by the fit job
    assert len(runs) == 3
    assert set(runs["segment.churned.algorithm"]) == {"gmm", "hdbscan"}
    # the retrain kept every sub-segment of the champion: identity continuity from a notebook
    assert "identities against shop-quickstart version 1: 17 kept, 0 new, 0 vanished" in text
    champion = load_champion("shop-quickstart", tracking_uri=uri)
    assert champion.version == "1"

    work = _scratch(tmp_path, "metaseg-quickstart-")
    labels = pd.read_parquet(work / "labels.parquet")
    assert f"exported {len(labels):,} labels of model shop-quickstart version 1" in text
    assert len(labels) == 10_000
    assert labels["customer_id"].is_unique
    assert set(labels["model_version"]) == {"1"}
    assert set(labels["run_id"]) == {champion.run_id}
    with sqlite3.connect(work / "crm.db") as connection:
        rows = connection.execute("SELECT COUNT(*) FROM segment_labels").fetchone()[0]
    assert rows == len(labels)
    # the public door, an edit honoured by predict at once, and the report page
    assert "fitted on events; 100.0% of customers get the same segment as above" in text
    assert "predict honours the edits: True" in text
    page = (work / "segment_report.html").read_text(encoding="utf-8")
    assert "Dormant small baskets" in page and "Big-basket regulars" in page
    # the score job labelled next month's shop with the champion
    next_month = pd.read_parquet(work / "labels_next_month.parquet")
    assert len(next_month) == 10_000
    assert set(next_month["model_version"]) == {"1"}
    assert set(next_month["run_id"]) == {champion.run_id}
    assert "retrain and champion agree on" in text


def test_online_retail_runs_end_to_end(shared_data, tmp_path, monkeypatch):
    assert (shared_data / "online_retail_ii" / "online_retail_ii.parquet").is_file()
    notebook = _run(NOTEBOOKS / "02_online_retail.ipynb", tmp_path, monkeypatch)
    text = _text(notebook)

    # the data report is shown; the defaults leave every segment whole and say why; the
    # shipped config splits some; both pass the gates and the second becomes the champion
    assert "null or empty customer_id" in text
    assert "not split: ICL(1) = " in text
    assert "constant: every row is 0.0" in text
    assert "defaults: version 1 is the champion" in text
    assert "rhythm and basket: version 2 is the champion" in text
    assert _images(notebook) >= 4

    from metaseg.rules import parse_rules

    rfm = parse_rules("rfm")

    work = _scratch(tmp_path, "metaseg-online-retail-")
    labels = pd.read_parquet(work / "online_retail_labels.parquet")
    # a renamed sub-segment carries its name at once, and the report page shows it
    assert "is now called {'Key accounts'}" in text
    assert "Key accounts" in (work / "online_retail_report.html").read_text(encoding="utf-8")
    # the fit job reproduced the step-by-step fit; the score job exported the champion's labels
    assert "same labels as the fit above: True" in text
    assert f"file: {len(labels):,} labels" in text
    assert "model: online-retail version 2 (champion)" in text
    assert labels["customer_id"].is_unique
    assert set(labels["model_version"]) == {"2"}
    assert set(labels["base_segment"]) <= {*rfm.segment_names, rfm.catch_all}
    # the promoted fit has no machine-learned sub-segment under the default gate of 50
    sizes = labels.groupby(["base_segment", "sub_segment"]).size()
    per_base = sizes.groupby(level="base_segment")
    split = sizes[per_base.transform("size") > 1]
    assert len(split) > 0
    assert split.min() >= 50


def test_online_retail_says_where_the_data_should_be(tmp_path, monkeypatch):
    """Without ../shared/data the notebook stops in its first code cell with a clear message."""
    repo = tmp_path / "repo"
    (repo / "configs").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "configs" / "online_retail.yaml").write_text("name: online-retail\n")
    copy = repo / "notebooks" / "02_online_retail.ipynb"
    shutil.copy(NOTEBOOKS / "02_online_retail.ipynb", copy)
    with pytest.raises(nbclient.exceptions.CellExecutionError) as caught:
        _run(copy, tmp_path, monkeypatch, cells=2)
    message = str(caught.value)
    assert "UCI Online Retail II was not found" in message
    assert str(repo.parent / "shared" / "data" / "online_retail_ii") in message


def test_needs_within_rfm_runs_end_to_end(tmp_path, monkeypatch):
    notebook = _run(NOTEBOOKS / "03_needs_within_rfm.ipynb", tmp_path, monkeypatch)
    text = _text(notebook)
    assert "4,000 customers, 4 planted personas" in text
    # sub-segments named by their mix, the grid and the mix heatmap drawn
    assert "mostly aisle" in text
    assert _images(notebook) >= 2
    # the ARI table: needs finds the personas, behaviour does not
    results = [o for o in notebook.cells[13].outputs if o.output_type == "execute_result"]
    table = results[0]["data"]["text/plain"]
    mean = next(line for line in table.splitlines() if line.startswith("mean")).split()
    needs, shared, behaviour = (float(v) for v in mean[1:4])
    assert needs >= 0.9 and shared >= 0.9
    assert behaviour <= 0.1
    # each shared group carries one name in every cell, and every claim holds
    printed = "".join(o.text for o in notebook.cells[16].outputs if o.output_type == "stream")
    groups = [line for line in printed.splitlines() if line.startswith("group ")]
    assert len(groups) == 4 and all(" | " not in line and "aisle" in line for line in groups)
    assert "claims that fail the naming rule: 0" in printed
