"""CSV and Parquet label files, replaced atomically.

A file target holds exactly the labels of the last export to it: the whole file is
replaced (all models in it), so the diff is taken against the whole existing file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from metaseg._io import atomic_write, staged_file
from metaseg.exceptions import ConfigError, DataError, ExportError
from metaseg.export.diff import LabelDiff
from metaseg.export.file_diff import diff_staged_labels
from metaseg.export.payload import iso_strings
from metaseg.export.uri import Target
from metaseg.schema import CUSTOMER_ID, MODEL_NAME, SEGMENT

#: Suffixes of labels files read as CSV (every column as text) and as Parquet.
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq", ".parq")


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def _is_text(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _is_text(pd.Series(values.cat.categories))
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return True
    return values.dtype == object and bool(values.map(type).eq(str).any())


def _escape_cell(value: object) -> object:
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _unescape_cell(value: object) -> object:
    if (
        isinstance(value, str)
        and value[:1] == "'"
        and value[1:].lstrip("'").startswith(FORMULA_TRIGGERS)
    ):
        return value[1:]
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells a spreadsheet would run as a formula with a single quote.

    As OWASP advises against CSV injection, a text cell that starts with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return (segment names are user text) is written
    as ``'=...``; so is a cell that already starts with quotes followed by one of those,
    so that :func:`read_csv_text` can remove exactly one quote and give back the value
    as it was. Only text columns change: numbers (negative ones included), booleans and
    timestamps are left alone.

    Parameters
    ----------
    frame : DataFrame
        The table about to be written as CSV.

    Returns
    -------
    DataFrame
        A copy with the text columns escaped (the input is not changed).

    Examples
    --------
    >>> frame = pd.DataFrame({"segment_name": ["=HYPERLINK(1)", "vip"], "delta": [-1.5, 2.0]})
    >>> neutralise_formulas(frame).to_dict("list")
    {'segment_name': ["'=HYPERLINK(1)", 'vip'], 'delta': [-1.5, 2.0]}
    """
    escaped = {c: frame[c].map(_escape_cell) for c in frame.columns if _is_text(frame[c])}
    if not escaped:
        return frame
    out = frame.copy()
    for column, values in escaped.items():
        dtype = frame[column].dtype
        keep = values.dtype != object and not isinstance(dtype, pd.CategoricalDtype)
        out[column] = values.astype(dtype) if keep else values
    return out


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
    frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    # undo neutralise_formulas: one leading quote before a formula character
    return frame.assign(**{c: frame[c].map(_unescape_cell) for c in frame.columns})


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
        If the file exists but cannot be read, or does not hold metaseg labels.
    """
    path = target.path
    assert path is not None
    if not path.exists():
        return None
    try:
        frame = read_csv_text(path) if target.file_format == "csv" else pd.read_parquet(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise _unreadable(path, exc) from None
    _check_labels_columns(path, frame.columns)
    return frame


def _unreadable(path: Path, exc: BaseException) -> ExportError:
    return ExportError(
        f"the existing file {str(path)!r} cannot be read to compare with the new labels "
        f"({type(exc).__name__}: {exc}); move it away or export to another path."
    )


def _check_labels_columns(path: Path, columns: Iterable[object]) -> None:
    present = {str(c) for c in columns}
    missing = [c for c in (CUSTOMER_ID, MODEL_NAME, SEGMENT) if c not in present]
    if missing:
        raise ExportError(
            f"the existing file {str(path)!r} does not hold metaseg labels (it lacks "
            f"{missing}); metaseg will not overwrite it. Move it away or export to "
            "another path."
        )


def export_parquet_labels(
    target: Target, labels: pd.DataFrame, *, changes_limit: int | None = None
) -> tuple[LabelDiff, bool]:
    """Write labels to a Parquet target unless it already holds them, with the diff.

    The labels are written to a temporary file beside the target, DuckDB compares the
    two files (:func:`~metaseg.export.file_diff.diff_label_files`), and the temporary
    file replaces the target unless no label changed and the column types are the same
    (:func:`~metaseg.export.file_diff.same_parquet_schema`); the previous labels never
    come into pandas.

    Parameters
    ----------
    target : Target
        A Parquet file target.
    labels : pandas.DataFrame
        Labels passed by :func:`~metaseg.export.validate.validate_labels`.
    changes_limit : int or None
        Changed labels listed in the diff's ``changes`` (``None``: all).

    Returns
    -------
    (LabelDiff, bool)
        The diff and whether the file was written.

    Raises
    ------
    ExportError
        The existing file cannot be read or does not hold metaseg labels (it is left
        as it is), or the new file cannot be written.
    """
    import pyarrow.parquet as pq

    path = target.path
    assert path is not None
    if path.exists():
        try:
            columns = pq.read_schema(path).names
        except (OSError, ValueError) as exc:
            raise _unreadable(path, exc) from None
        _check_labels_columns(path, columns)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staged_file(path) as staged:
            try:
                labels.to_parquet(staged.path, index=False)
            except (ValueError, TypeError) as exc:
                raise _unwritable(path, exc) from None
            return diff_staged_labels(path, staged, changes_limit=changes_limit)
    except OSError as exc:
        raise _unwritable(path, exc) from None


def _kind(values: pd.Series) -> str:
    """What a column holds, as a file stores it: text, int, float, time, bool or mixed."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return "time"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "text"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return {"string": "text", "integer": "int", "floating": "float", "empty": "empty"}.get(
        inferred, "mixed"
    )


def file_is_current(
    target: Target, previous: pd.DataFrame | None, labels: pd.DataFrame, diff: LabelDiff
) -> bool:
    """Whether the file already holds these labels, so that writing it would change nothing.

    True when no label changed (``diff``), the file has exactly the label columns in the
    same order, and each column holds the same kind of values: for Parquet, the same
    types (text ids stay text, integer ids integers); for CSV, where every value is text,
    the labels have no float or mixed column whose text could be written differently.

    Examples
    --------
    >>> from metaseg.export.diff import diff_labels
    >>> from metaseg.export.uri import parse_target
    >>> labels = pd.DataFrame({"customer_id": [1], "model_name": ["m"], "segment": ["a/0"]})
    >>> target = parse_target("labels.parquet")
    >>> file_is_current(target, labels, labels, diff_labels(labels, labels))
    True
    >>> as_text = labels.astype({"customer_id": str})
    >>> file_is_current(target, as_text, labels, diff_labels(as_text, labels))
    False
    """
    if previous is None or not diff.is_empty:
        return False
    if [str(c) for c in previous.columns] != [str(c) for c in labels.columns]:
        return False
    kinds = {c: _kind(labels[c]) for c in labels.columns}
    if target.file_format == "csv":
        return all(kind in ("text", "int", "time", "empty") for kind in kinds.values())
    return all(
        kinds[c] == "empty" or _kind(previous[c]) in (kinds[c], "empty") for c in labels.columns
    )


def write_file_labels(target: Target, labels: pd.DataFrame) -> None:
    """Write labels to a CSV or Parquet file atomically, creating missing folders.

    Timestamps are written to CSV as ISO 8601 text (``2024-06-01T00:00:00+00:00``). A
    reader sees either the previous file or the new one, never a partial file. In CSV,
    text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
    prefixed with a single quote so that a spreadsheet shows them instead of running
    them as formulas (:func:`neutralise_formulas`; numeric columns are never changed);
    :func:`read_labels_file` removes that quote again.

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
            text = neutralise_formulas(labels).assign(**timestamps)
            # Python's csv module (3.11) leaves a field with a bare '\r' unquoted, which
            # would split its row: quote every field when a text holds one
            bare_cr = any(
                text[c].astype(str).str.contains("\r", regex=False).any()
                for c in text.columns
                if _is_text(text[c])
            )
            quoting = csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL
            with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
                text.to_csv(fh, index=False, lineterminator="\n", quoting=quoting)
        else:
            with atomic_write(path, "wb") as fh:
                labels.to_parquet(fh, index=False)
    except (OSError, ValueError, TypeError) as exc:
        raise _unwritable(path, exc) from None


def _unwritable(path: Path, exc: BaseException) -> ExportError:
    hint = ""
    if "customer_id" in str(exc):
        hint = " Give customer_id one type (all integers or all text)."
    return ExportError(
        f"could not write labels to {str(path)!r} ({type(exc).__name__}: {exc}).{hint}"
    )
