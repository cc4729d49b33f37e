"""Labels written to one Parquet file batch by batch, for tables too big to hold at once.

:func:`write_labels_batches` takes the labels as an iterable of DataFrames (for example
:func:`metaseg.batch_score.score_batches`) and appends each to one Parquet file through a
``pyarrow.parquet.ParquetWriter``, so memory holds one batch, never the whole table. Each
batch is checked with :func:`~metaseg.export.validate.validate_labels`; the ids are also
kept in DuckDB (which spills to disk) and a customer repeated across batches is refused
before the file replaces the target, so a file with a repeated customer is never
published.

As :func:`~metaseg.export.export_labels` does, the new labels are compared with the
file they replace, here by DuckDB over the two files
(:func:`~metaseg.export.file_diff.diff_label_files`): the result carries the diff, and a
file that already holds the same labels with the same column types is left untouched.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from metaseg import schema
from metaseg._io import staged_file
from metaseg._messages import preview
from metaseg.exceptions import ConfigError, DataError, ExportError
from metaseg.export.diff import LabelDiff
from metaseg.export.file_diff import DEFAULT_CHANGES_LIMIT, diff_staged_labels
from metaseg.export.validate import validate_labels

__all__ = ["StreamedLabels", "write_labels_batches"]


class StreamedLabels(NamedTuple):
    """What :func:`write_labels_batches` did: the file, its rows and batches, the diff
    against the labels it held before, and whether it was written (False: it already
    held these labels)."""

    path: Path
    n_rows: int
    n_batches: int
    diff: LabelDiff
    written: bool


def write_labels_batches(
    batches: Iterable[pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    row_group_size: int = 1 << 20,
    changes_limit: int | None = DEFAULT_CHANGES_LIMIT,
) -> StreamedLabels:
    """Write labels to one Parquet file, one batch at a time, atomically, with a diff.

    Parameters
    ----------
    batches : iterable of DataFrame
        Labels tables (``metaseg.schema.LABEL_COLUMNS``) with the same columns; each is
        converted with the first batch's Arrow schema.
    path : path
        A ``.parquet`` file, replaced atomically once every batch is written and the ids
        are checked; its folder is created when missing.
    row_group_size : int, default 1_048_576
        Rows per Parquet row group at most.
    changes_limit : int or None, default 100_000
        Changed labels listed in ``diff.changes`` (the counts cover all), see
        :func:`~metaseg.export.file_diff.diff_label_files`.

    Returns
    -------
    StreamedLabels

    Raises
    ------
    ConfigError
        The path does not end in ``.parquet``.
    DataError
        A batch breaks the labels contract, or a customer appears in more than one
        batch (the target is then left as it was).
    ExportError
        The file cannot be written, or a batch's columns do not fit the first batch's.

    Examples
    --------
    >>> import tempfile
    >>> labels = pd.DataFrame({
    ...     "customer_id": [1, 2, 3], "base_segment": ["dormant", "active", "active"],
    ...     "sub_segment": [0, 1, 0], "segment": ["dormant/0", "active/1", "active/0"],
    ...     "segment_name": ["Dormant", "Active", "Active"], "model_name": "rfm",
    ...     "model_version": "1", "run_id": "r1", "as_of": pd.Timestamp("2024-01-01", tz="UTC"),
    ...     "scored_at": pd.Timestamp("2024-01-02", tz="UTC")})
    >>> target = tempfile.mkdtemp() + "/l.parquet"
    >>> out = write_labels_batches([labels[:2], labels[2:]], target)
    >>> out.n_rows, out.n_batches, len(pd.read_parquet(out.path)), out.diff.n_added
    (3, 2, 3, 3)
    >>> again = write_labels_batches([labels], target)
    >>> again.written, again.diff.summary()
    (False, '3 -> 3 labels: +0 added, -0 removed, 0 moved, 0 updated, 3 unchanged')
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    if target.suffix.lower() != ".parquet":
        raise ConfigError(
            f"write_labels_batches writes Parquet only, got {str(target)!r}; give a path "
            "ending in .parquet (or use export_labels for other targets)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    n_rows = n_batches = 0
    arrow_schema: Any = None
    seen = _SeenIds()
    try:
        with staged_file(target) as staged:
            writer = None
            try:
                for batch in batches:
                    frame = validate_labels(batch)
                    table = _to_arrow(pa, frame, arrow_schema, n_batches)
                    if writer is None:
                        arrow_schema = table.schema
                        writer = pq.ParquetWriter(staged.path, arrow_schema)
                    writer.write_table(table, row_group_size=row_group_size)
                    seen.add(table)
                    n_rows += len(frame)
                    n_batches += 1
                    del frame, table, batch
                if writer is None:  # no batch at all: an empty labels file
                    raise DataError(
                        "write_labels_batches got no batch of labels; give at least one "
                        "(an empty labels table is a batch)."
                    )
            finally:
                if writer is not None:
                    writer.close()
            seen.check()
            diff, written = diff_staged_labels(target, staged, changes_limit=changes_limit)
    except OSError as exc:
        raise ExportError(
            f"could not write labels to {str(target)!r} ({type(exc).__name__}: {exc})."
        ) from None
    finally:
        seen.close()
    return StreamedLabels(target, n_rows, n_batches, diff, written)


def _to_arrow(pa: Any, frame: pd.DataFrame, arrow_schema: Any, index: int) -> Any:
    """One batch as an Arrow table with the first batch's schema when there is one.

    Every batch has the contract's columns in its order (``validate_labels``). A column
    with no value in this batch (Arrow type ``null``) takes the first batch's type, and
    text stays text (``string`` or ``large_string``); any other difference of types is
    refused, never converted.
    """
    with warnings.catch_warnings():
        # pyarrow reads tz-aware columns through Series.values, which pandas 3 deprecates
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        table = pa.Table.from_pandas(frame, preserve_index=False)
    if arrow_schema is None or table.schema.equals(arrow_schema):
        return table
    first = {field.name: field.type for field in arrow_schema}
    got = {field.name: field.type for field in table.schema}

    def text(kind: Any) -> bool:
        return pa.types.is_string(kind) or pa.types.is_large_string(kind)

    for name, kind in got.items():
        same_kind = text(kind) and text(first[name])
        if kind != first[name] and not (pa.types.is_null(kind) or same_kind):
            raise ExportError(
                f"labels batch {index}: column {name!r} is {kind}, but it was "
                f"{first[name]} in the first batch; give every batch the same types."
            )
    return table.cast(arrow_schema)


class _SeenIds:
    """Every batch's customer ids, kept in DuckDB (which spills), to find repeats at the end."""

    def __init__(self) -> None:
        import duckdb

        self._con = duckdb.connect(config={"preserve_insertion_order": False})
        self._created = False

    def add(self, table: Any) -> None:
        ids = table.select([schema.CUSTOMER_ID])  # noqa: F841 (read by DuckDB by name)
        if self._created:
            self._con.execute("INSERT INTO seen SELECT * FROM ids")
        else:
            self._con.execute("CREATE TABLE seen AS SELECT * FROM ids")
            self._created = True

    def check(self) -> None:
        """Raise ``DataError`` when an id was seen more than once."""
        column = schema.CUSTOMER_ID.replace('"', '""')
        repeated = f'SELECT "{column}" AS cid FROM seen GROUP BY 1 HAVING COUNT(*) > 1'
        total = self._con.execute(f"SELECT COUNT(*) FROM ({repeated})").fetchone()
        n_repeated = int(total[0]) if total else 0
        if n_repeated:
            rows = self._con.execute(f"SELECT cid FROM ({repeated}) ORDER BY 1 LIMIT 5").fetchall()
            raise DataError(
                f"labels: {n_repeated} customer id(s) appear in more than one batch, e.g. "
                f"{preview([r[0] for r in rows])}; give each customer one label (the target "
                "was not replaced)."
            )

    def close(self) -> None:
        self._con.close()
