"""Re-execute the notebooks from scratch and save them with their outputs.

Run it after changing a notebook or the code it shows, so the outputs on the code host
match the code::

    python notebooks/_build.py                        # every notebook in this folder
    python notebooks/_build.py 01_quickstart.ipynb    # just one

Each notebook runs in a fresh ``python3`` kernel with this folder as its working
directory, like ``jupyter nbconvert --execute --inplace``, with three differences:
MLflow and the notebooks' scratch folders go to one temporary folder
(``MLFLOW_TRACKING_URI`` and ``TMPDIR`` point there, so nothing lands in the
repository), progress bars are off (``METASEG_PROGRESS=off``: saved, they would be text
noise), no execution timings are recorded (a rebuild changes only real outputs),
and nothing is saved when a cell fails or a notebook grows over :data:`MAX_BYTES`.
``02_online_retail.ipynb`` needs ``../shared/data`` beside the repository.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Largest notebook file kept (outputs included), so notebooks stay readable online.
MAX_BYTES = 2_000_000
#: Seconds one cell may run.
CELL_TIMEOUT = 600


def execute(path: Path, scratch: Path, *, timeout: int = CELL_TIMEOUT) -> bytes:
    """Run the notebook at ``path`` from scratch and return the executed notebook's bytes.

    Parameters
    ----------
    path : Path
        The ``.ipynb`` file; its folder is the kernel's working directory.
    scratch : Path
        Folder for the MLflow store and the notebook's temporary files.
    timeout : int
        Seconds one cell may run.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell raises; the message shows the cell and the traceback.

    Examples
    --------
    >>> data = execute(HERE / "01_quickstart.ipynb", Path(tempfile.mkdtemp()))  # doctest: +SKIP
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{scratch / 'mlflow.db'}"
    env["TMPDIR"] = str(scratch)
    env["METASEG_PROGRESS"] = "off"  # progress bars would be saved as text noise
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)
    return nbformat.writes(notebook).encode("utf-8") + b"\n"


def main(argv: list[str] | None = None) -> int:
    """Execute the named notebooks (default: all in this folder) and save them in place."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to rebuild (default: all)"
    )
    args = parser.parse_args(argv)
    paths = [HERE / p if not p.is_absolute() and not p.exists() else p for p in args.notebooks]
    paths = paths or sorted(HERE.glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    for path in paths:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="metaseg-notebook-") as scratch:
            data = execute(path, Path(scratch))
        if len(data) > MAX_BYTES:
            print(
                f"{path.name}: {len(data) / 1e6:.2f} MB with outputs, over the "
                f"{MAX_BYTES / 1e6:.0f} MB limit; not saved. Make its tables or figures smaller.",
                file=sys.stderr,
            )
            return 1
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        took = time.perf_counter() - started
        print(f"{path.name}: executed in {took:.0f} s, {len(data) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
