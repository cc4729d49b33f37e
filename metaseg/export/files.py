"""CSV and Parquet label files, replaced atomically.

A file target holds exactly the labels of the last export to it: the whole file is
replaced (all models in it), so the diff is taken against the whole existing file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from metaseg._io import atomic_write
from metaseg.exceptions import ConfigError, DataError, ExportError
from metaseg.export.payload import iso_strings
from metaseg.export.uri import Target
from metaseg.schema import CUSTOMER_ID, MODEL_NAME, SEGMENT

#: Suffixes of labels files read as CSV (every column as text) and as Parquet.
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq", ".parq")


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV file with every column as text; only an empty field is missing.

    Ids such as ``"007"`` keep their zeros, versions such as ``"1.10"`` stay as written and
    no value is guessed to be a number, a date or a null (``"NA"`` is a text).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("customer_id,segment_name\\n007,NA\\n12,\\n")
    >>> read_csv_text(path).to_dict("list")
    {'customer_id': ['007', '12'], 'segment_name': ['NA', nan]}
    """
    sep = "\t" if path.name.lower().endswith(".tsv") else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])


def read_labels_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a labels table from a CSV or Parquet file (as ``metaseg score`` writes it).

    Customer ids come back exactly as stored: every CSV column is read as text (the
    export then checks and converts ``sub_segment`` and the timestamps), and Parquet
    columns keep the type stored in the file (text ids stay text, integer ids stay
    integers). Nothing is re-inferred, so ``"0000001"`` never becomes ``1``.

    Parameters
    ----------
    path : str or PathLike
        A ``.csv`` (also ``.csv.gz``, ``.csv.bz2``, ``.csv.zst``, ``.tsv``) file, or a
        ``.parquet`` file or folder of Parquet files.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ConfigError
        The path does not exist or is neither CSV nor Parquet.
    DataError
        The file cannot be parsed.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("customer_id,sub_segment\\n0000001,2\\n")
    >>> read_labels_file(path)["customer_id"].tolist()
    ['0000001']
    """
    file = Path(path)
    name = file.name.lower()
    if not file.exists():
        raise ConfigError(
            f"labels file {str(file)!r} does not exist. Fix: give the .csv or .parquet file "
            "written by 'metaseg score'."
        )
    is_csv = file.is_file() and name.endswith(CSV_SUFFIXES)
    if not is_csv and not (file.is_dir() or name.endswith(PARQUET_SUFFIXES)):
        raise ConfigError(
            f"labels file {str(file)!r} is neither CSV nor Parquet (by its extension). Fix: "
            f"use one of {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}."
        )
    try:
        return read_csv_text(file) if is_csv else pd.read_parquet(file)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        kind = "CSV" if is_csv else "Parquet"
        raise DataError(
            f"could not read labels file {str(file)!r} as {kind} ({type(exc).__name__}: "
            f"{exc}). Fix: give a labels file written by 'metaseg score'."
        ) from None


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
        frame = read_csv_text(path) if target.file_format == "csv" else pd.read_parquet(path)
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
