"""The diff of two labels files, computed by DuckDB over the Parquet files themselves.

:func:`~metaseg.export.diff.diff_labels` compares tables held in memory. A labels file
of ten million customers written batch by batch (:mod:`metaseg.export.stream`) is never
held whole, so :func:`diff_label_files` reads both files in DuckDB, which spills to disk,
puts each column in the comparable form of :mod:`metaseg.export.canonical` in SQL, and
runs the same join and counts. The result is a :class:`~metaseg.export.diff.LabelDiff`
whose counts, per-segment table and migrations cover every label, and whose ``changes``
lists the first ``changes_limit`` changed labels.

SQL makes the canonical form of integer, text and timestamp columns exactly as the
in-memory diff does; a file with a column of another type (floats, booleans, timestamps
stored as text) is compared in memory by :func:`~metaseg.export.diff.diff_labels`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metaseg._io import StagedFile
from metaseg._messages import available, preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.export.diff import (
    _CHANGE_COLUMNS,
    _CHANGES,
    _KINDS,
    _MIGRATIONS,
    _NEEDED,
    _SEGMENTS,
    LabelDiff,
    _differs,
    diff_labels,
    shaped_migrations,
    shaped_segments,
)
from metaseg.export.validate import TIMESTAMP_COLUMNS
from metaseg.facts.sql import quote_identifier
from metaseg.schema import CUSTOMER_ID, LABEL_COLUMNS, MODEL_NAME, SEGMENT, SUB_SEGMENT

__all__ = [
    "DEFAULT_CHANGES_LIMIT",
    "check_changes_limit",
    "diff_label_files",
    "diff_staged_labels",
    "same_parquet_schema",
]

log = logging.getLogger("metaseg")

#: Changed labels listed in ``LabelDiff.changes`` by default (the counts cover all).
DEFAULT_CHANGES_LIMIT = 100_000

_LISTED = (
    "SELECT CASE change WHEN 'added' THEN 0 WHEN 'removed' THEN 1 WHEN 'moved' THEN 2 "
    "ELSE 3 END AS kind, coalesce(prev_row, -1) AS prev_row, coalesce(cur_row, -1) AS "
    "cur_row, model, from_segment, to_segment FROM changes ORDER BY model, change, id"
)
_COUNTS = "SELECT change, count(*) FROM changes GROUP BY ALL"
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)


def diff_label_files(
    previous: str | os.PathLike[str] | None,
    current: str | os.PathLike[str],
    *,
    changes_limit: int | None = DEFAULT_CHANGES_LIMIT,
    current_unique: bool = False,
    memory_limit: str | None = None,
) -> LabelDiff:
    """Compare two Parquet labels files without loading them into pandas.

    Parameters
    ----------
    previous : path or None
        The labels file at the target (``None``, or a path that does not exist, when
        there is none yet).
    current : path
        The new labels file.
    changes_limit : int or None, default 100_000
        List at most this many changed labels in ``changes`` (in the order of
        :func:`~metaseg.export.diff.diff_labels`: model, kind of change, id as text);
        ``None`` lists all. The counts (``n_added`` ..., ``segments``, ``migrations``)
        always cover every label.
    current_unique : bool
        Skip the check for repeated ``(customer_id, model_name)`` pairs in ``current``
        (the streamed writer has checked its ids).
    memory_limit : str, optional
        DuckDB's memory limit (for example ``"4GB"``); it spills beyond it.

    Returns
    -------
    LabelDiff
        Equal to ``diff_labels(pd.read_parquet(previous), pd.read_parquet(current))``
        apart from ``changes`` holding at most ``changes_limit`` rows and
        ``current_rows`` being ``None``.

    Raises
    ------
    ConfigError
        ``changes_limit`` is not a non-negative integer or None, or ``current`` does not
        exist.
    DataError
        A file lacks ``customer_id``, ``model_name`` or ``segment``, has nulls there, or
        repeats a ``(customer_id, model_name)`` pair.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": [1, 2, 3], "model_name": "rfm",
    ...               "segment": ["dormant/0", "dormant/0", "active/0"]}
    ...              ).to_parquet(folder / "old.parquet")
    >>> pd.DataFrame({"customer_id": [1, 2, 4], "model_name": "rfm",
    ...               "segment": ["dormant/0", "active/0", "active/0"]}
    ...              ).to_parquet(folder / "new.parquet")
    >>> d = diff_label_files(folder / "old.parquet", folder / "new.parquet", changes_limit=2)
    >>> d.n_added, d.n_removed, d.n_moved, d.n_unchanged, len(d.changes), d.changes_complete
    (1, 1, 1, 1, 2, False)
    """
    import duckdb

    limit = check_changes_limit(changes_limit)
    cur_path = Path(current)
    if not cur_path.is_file():
        raise ConfigError(f"current labels file {str(cur_path)!r} does not exist.")
    prev_path = Path(previous) if previous is not None and Path(previous).exists() else None
    config = {"preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    with duckdb.connect(config=config) as con:
        cur_types = _column_types(con, cur_path, "current labels")
        prev_types = (
            cur_types if prev_path is None else _column_types(con, prev_path, "previous labels")
        )
        compared = [
            c for c in LABEL_COLUMNS if c not in _NEEDED and c in prev_types and c in cur_types
        ]
        odd = _odd_columns(cur_types, compared) + _odd_columns(prev_types, compared)
        if odd:
            log.info("comparing the labels files in memory: column(s) %s", preview(odd))
            return _in_memory(prev_path, cur_path, limit)
        con.execute(f"CREATE VIEW cur AS {_canonical_sql(cur_path, cur_types, compared)}")
        if prev_path is None:
            con.execute("CREATE VIEW prev AS SELECT * FROM cur LIMIT 0")
        else:
            con.execute(f"CREATE VIEW prev AS {_canonical_sql(prev_path, prev_types, compared)}")
        _check_nulls(con, "prev", prev_path)
        _check_nulls(con, "cur", cur_path)
        if prev_path is not None:
            _check_unique(con, "prev", prev_path)
        if not current_unique:
            _check_unique(con, "cur", cur_path)
        con.execute(_CHANGES.format(differs=_differs(compared)))
        counts = {str(kind): int(n) for kind, n in con.execute(_COUNTS).fetchall()}
        listed_sql = _LISTED if limit is None else f"{_LISTED} LIMIT {limit}"
        listed = con.execute(listed_sql).df()
        segments = con.execute(_SEGMENTS).df()
        migrations = con.execute(_MIGRATIONS).df()
        n_before = _count_rows(con, "prev")
        n_after = _count_rows(con, "cur")
    # built from object arrays as diff_labels builds its table, so the dtypes agree
    changes = pd.DataFrame(
        {
            CUSTOMER_ID: _ids(prev_path, cur_path, listed),
            MODEL_NAME: _texts(listed["model"]),
            "change": _KINDS[listed["kind"].to_numpy(dtype="int64")],
            "from_segment": _texts(listed["from_segment"]),
            "to_segment": _texts(listed["to_segment"]),
        }
    ).astype({MODEL_NAME: str, "change": str})
    n_changed_now = sum(counts.get(k, 0) for k in ("added", "moved", "updated"))
    return LabelDiff(
        changes=changes[_CHANGE_COLUMNS],
        segments=shaped_segments(segments),
        migrations=shaped_migrations(migrations),
        n_before=n_before,
        n_after=n_after,
        n_unchanged=n_after - n_changed_now,
        counts={kind: counts.get(kind, 0) for kind in _KINDS},
    )


def diff_staged_labels(
    target: Path, staged: StagedFile, *, changes_limit: int | None
) -> tuple[LabelDiff, bool]:
    """Diff a staged labels file against its target; keep the target when nothing changes.

    Parameters
    ----------
    target : Path
        The Parquet labels file (it may not exist yet).
    staged : StagedFile
        The new labels, written to ``staged.path`` (:func:`metaseg._io.staged_file`) and
        already checked for repeated customers.
    changes_limit : int or None
        See :func:`diff_label_files`.

    Returns
    -------
    (LabelDiff, bool)
        The diff, and whether the target is to be replaced: False (and ``staged``
        discarded) when no label changed and the column types are the same.
    """
    previous = target if target.exists() else None
    diff = diff_label_files(previous, staged.path, changes_limit=changes_limit, current_unique=True)
    unchanged = previous is not None and diff.is_empty
    if unchanged and same_parquet_schema(target, staged.path):
        staged.discard()
        return diff, False
    return diff, True


def same_parquet_schema(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Whether two Parquet files have the same columns, in order, of the same Arrow types.

    A target that holds the same labels keeps its file only when this holds too, so
    that a reader never finds a column's type changed without the file being written.
    """
    import pyarrow.parquet as pq

    return bool(pq.read_schema(first).equals(pq.read_schema(second)))


def check_changes_limit(value: object) -> int | None:
    """``value`` when it is a valid ``changes_limit`` (an integer >= 0 or None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"changes_limit must be a non-negative integer or None, got {value!r}; for "
            "example changes_limit=100_000."
        )
    return value


def _column_types(con: Any, path: Path, what: str) -> dict[str, str]:
    """The file's columns and their DuckDB types; refuses a file without the key columns."""
    import duckdb

    try:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise DataError(
            f"{what}: could not read {str(path)!r} as Parquet ({exc}). Fix: give a labels "
            "file written by metaseg."
        ) from None
    types = {str(row[0]): str(row[1]) for row in rows}
    missing = [c for c in _NEEDED if c not in types]
    if missing:
        raise DataError(
            f"{what} in {str(path)!r} lack column(s) {preview(missing)} needed to compare "
            f"labels; they have {available(types)}."
        )
    return types


def _kind(duck_type: str) -> str:
    """How SQL turns a column into its canonical text: integer, text, time or other."""
    if duck_type in _INTEGER_TYPES:
        return "integer"
    if duck_type == "VARCHAR":
        return "text"
    if duck_type.startswith("TIMESTAMP"):
        return "time"
    return "other"


def _odd_columns(types: dict[str, str], compared: list[str]) -> list[str]:
    """Columns whose canonical form SQL does not make exactly as the in-memory diff."""
    odd = []
    for column in [*_NEEDED, *compared]:
        kind = _kind(types[column])
        allowed = ("time",) if column in TIMESTAMP_COLUMNS else ("integer", "text")
        if column == SUB_SEGMENT:
            allowed = ("integer",)  # numeric text such as "3.0" is read as a number
        if kind not in allowed:
            odd.append(f"{column} ({types[column]})")
    return odd


def _canonical_sql(path: Path, types: dict[str, str], compared: list[str]) -> str:
    """SELECT of :func:`metaseg.export.canonical.canonical_table`'s columns from the file."""

    def text(column: str) -> str:
        return f"CAST({quote_identifier(column)} AS VARCHAR)"

    parts = [
        "file_row_number AS _row",
        f"{text(MODEL_NAME)} AS _model",
        f"{text(CUSTOMER_ID)} AS _id",
        f"{text(SEGMENT)} AS _segment",
    ]
    for column in compared:
        if column in TIMESTAMP_COLUMNS:
            parts.append(
                f"epoch_us({quote_identifier(column)}) AS {quote_identifier('c_' + column)}"
            )
            parts.append(f"CAST(NULL AS VARCHAR) AS {quote_identifier('r_' + column)}")
        else:
            parts.append(f"{text(column)} AS {quote_identifier('c_' + column)}")
    literal = "'" + str(path).replace("'", "''") + "'"  # views take no bound parameters
    return f"SELECT {', '.join(parts)} FROM read_parquet({literal}, file_row_number = true)"


def _check_nulls(con: Any, name: str, path: Path | None) -> None:
    if path is None:
        return
    canonical = {MODEL_NAME: "_model", CUSTOMER_ID: "_id", SEGMENT: "_segment"}
    tests = ", ".join(f"count(*) FILTER (WHERE {c} IS NULL)" for c in canonical.values())
    found = con.execute(f"SELECT {tests} FROM {name}").fetchone() or ()
    nulls = [column for column, n in zip(canonical, found, strict=True) if n]
    if nulls:
        raise DataError(f"labels in {str(path)!r} have null values in column(s) {preview(nulls)}.")


def _check_unique(con: Any, name: str, path: Path) -> None:
    """Refuse a file that repeats a ``(customer_id, model_name)`` pair (ids as text)."""
    repeated = f"SELECT _id, _model FROM {name} GROUP BY ALL HAVING count(*) > 1"
    total = con.execute(f"SELECT count(*) FROM ({repeated})").fetchone()
    if total and total[0]:
        shown = con.execute(f"{repeated} ORDER BY 2, 1 LIMIT 3").fetchall()
        raise DataError(
            f"labels in {str(path)!r} have {int(total[0]):,} repeated (customer_id, "
            f"model_name) pair(s), e.g. {preview(shown, limit=3)}; each customer may have one "
            "label per model."
        )


def _count_rows(con: Any, name: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {name}").fetchone()
    return int(row[0]) if row else 0


def _ids(prev_path: Path | None, cur_path: Path, listed: pd.DataFrame) -> np.ndarray:
    """The listed labels' ids as the files hold them, taken by row position."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = np.empty(len(listed), dtype=object)
    cur_rows = listed["cur_row"].to_numpy(dtype="int64")
    removed = cur_rows < 0  # only removed labels take their id from the previous file
    sources = ((cur_path, cur_rows, ~removed), (prev_path, listed["prev_row"], removed))
    for path, rows, wanted in sources:
        if path is None or not wanted.any():
            continue
        stored = pq.read_table(path, columns=[CUSTOMER_ID]).column(0)
        taken = stored.take(pa.array(np.asarray(rows, dtype="int64")[wanted]))
        ids[wanted] = taken.to_pandas().astype(object).to_numpy()
    return ids


def _texts(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=object, na_value=np.nan)


def _in_memory(prev_path: Path | None, cur_path: Path, limit: int | None) -> LabelDiff:
    """The in-memory diff of the two files, its ``changes`` cut to ``limit`` rows."""
    previous = None if prev_path is None else pd.read_parquet(prev_path)
    diff = diff_labels(previous, pd.read_parquet(cur_path))
    return replace(diff.first_changes(limit), current_rows=None)
