"""CSV and Parquet label files, replaced atomically.

A file target holds exactly the labels of the last export to it: the whole file is
replaced (all models in it), so the diff is taken against the whole existing file.
"""

from __future__ import annotations

import pandas as pd

from metaseg.exceptions import ExportError
from metaseg.export.atomic import atomic_write
from metaseg.export.payload import iso_strings
from metaseg.export.uri import Target
from metaseg.schema import CUSTOMER_ID, MODEL_NAME, SEGMENT


def read_file_labels(target: Target) -> pd.DataFrame | None:
    """Read the labels already in a file target, ``None`` when the file does not exist.

    CSV values are read as text (ids such as ``"007"`` keep their zeros).

    Raises
    ------
    ExportError
        If the file exists but cannot be read.
    """
    path = target.path
    assert path is not None
    if not path.exists():
        return None
    try:
        if target.file_format == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            frame = pd.read_parquet(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ExportError(
            f"the existing file {str(path)!r} cannot be read to compare with the new labels "
            f"({type(exc).__name__}: {exc}); move it away or export to another path."
        ) from None
    missing = [c for c in (CUSTOMER_ID, MODEL_NAME, SEGMENT) if c not in frame.columns]
    if missing:
        raise ExportError(
            f"the existing file {str(path)!r} does not hold metaseg labels (it lacks "
            f"{missing}); metaseg will not overwrite it. Move it away or export to "
            "another path."
        )
    return frame


def write_file_labels(target: Target, labels: pd.DataFrame) -> None:
    """Write labels to a CSV or Parquet file atomically, creating missing folders.

    Timestamps are written to CSV as ISO 8601 text (``2024-06-01T00:00:00+00:00``). A reader sees either the previous file or the new one, never a partial file.

    Raises
    ------
    ExportError
        If the folder cannot be created or the file cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from metaseg.export.uri import parse_target
    >>> target = parse_target(str(pathlib.Path(tempfile.mkdtemp()) / "labels.csv"))
    >>> write_file_labels(target, pd.DataFrame({"customer_id": [1]}))
    >>> target.path.read_text()
    'customer_id\\n1\\n'
    """
    path = target.path
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if target.file_format == "csv":
            timestamps = {
                c: iso_strings(labels[c])
                for c in labels.columns
                if isinstance(labels[c].dtype, pd.DatetimeTZDtype)
            }
            text = labels.assign(**timestamps)
            with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
                text.to_csv(fh, index=False, lineterminator="\n")
        else:
            with atomic_write(path, "wb") as fh:
                labels.to_parquet(fh, index=False)
    except (OSError, ValueError, TypeError) as exc:
        hint = ""
        if "customer_id" in str(exc):
            hint = " Give customer_id one type (all integers or all text)."
        raise ExportError(
            f"could not write labels to {str(path)!r} ({type(exc).__name__}: {exc}).{hint}"
        ) from None
