"""What an export changes: customers added, removed and moved between segments.

Labels are matched on ``(customer_id, model_name)``; customer ids are compared as text
and timestamps as UTC instants, so labels read back from a CSV file, a SQL table or a
webhook ledger compare equal to the labels that were written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metaseg._messages import available, preview
from metaseg.exceptions import DataError
from metaseg.export.canonical import ROW, canonical_table
from metaseg.export.validate import TIMESTAMP_COLUMNS
from metaseg.schema import CUSTOMER_ID, LABEL_COLUMNS, MODEL_NAME, SEGMENT

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

_NEEDED = (CUSTOMER_ID, MODEL_NAME, SEGMENT)
_CHANGE_COLUMNS = [CUSTOMER_ID, MODEL_NAME, "change", "from_segment", "to_segment"]
_SEGMENT_COLUMNS = [
    MODEL_NAME,
    SEGMENT,
    "before",
    "after",
    "added",
    "removed",
    "moved_in",
    "moved_out",
    "net",
]
_MIGRATION_COLUMNS = [MODEL_NAME, "from_segment", "to_segment", "customers"]


def _check(frame: pd.DataFrame, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lack column(s) {preview(missing)} needed to compare labels; they have "
            f"{available(map(str, frame.columns))}."
        )
    nulls = [c for c in _NEEDED if frame[c].isna().any()]
    if nulls:
        raise DataError(f"{what} have null values in column(s) {preview(nulls)}.")


def _check_unique(
    con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, what: str
) -> None:
    """Refuse a table that repeats a ``(customer_id, model_name)`` pair (ids as text)."""
    repeated = con.execute(
        f"SELECT {ROW} FROM (SELECT {ROW}, row_number() OVER (PARTITION BY _model, _id "
        f"ORDER BY {ROW}) AS nth FROM {name} WHERE (_model, _id) IN (SELECT (_model, _id) "
        f"FROM {name} GROUP BY _model, _id HAVING count(*) > 1)) WHERE nth > 1 ORDER BY {ROW}"
    ).fetchnumpy()[ROW]
    if len(repeated):
        shown = list(
            frame.iloc[repeated][[CUSTOMER_ID, MODEL_NAME]].itertuples(index=False, name=None)
        )
        raise DataError(
            f"{what} have {len(repeated):,} repeated (customer_id, model_name) pair(s), e.g. "
            f"{preview(shown, limit=3)}; each customer may have one label per model."
        )


@dataclass(frozen=True)
class LabelDiff:
    """The difference between the labels at a target and the labels about to replace them.

    Attributes
    ----------
    changes : pandas.DataFrame
        One row per changed label: ``customer_id``, ``model_name``, ``change`` (one of
        ``added``, ``removed``, ``moved``, ``updated``), ``from_segment`` and
        ``to_segment`` (missing for added/removed). ``updated`` means same segment but
        another field changed (for example ``scored_at`` or ``segment_name``).
    segments : pandas.DataFrame
        Per ``(model_name, segment)``: ``before``, ``after``, ``added``, ``removed``,
        ``moved_in``, ``moved_out`` and ``net`` (after - before).
    migrations : pandas.DataFrame
        Moved customers per ``(model_name, from_segment, to_segment)``, largest first.
    n_before, n_after, n_unchanged : int
        Labels before, after, and identical in both.
    current_rows : numpy.ndarray, optional
        Positions in the new labels of the added, moved and updated labels: the rows a
        sink has to write (``None`` when not known).
    counts : dict of str to int, optional
        Changed labels per kind (``added``, ``removed``, ``moved``, ``updated``), given
        when ``changes`` lists only the first of them (a diff of two files, see
        :func:`metaseg.export.file_diff.diff_label_files`); ``None`` when ``changes``
        lists every one. The ``n_*`` counts and ``is_empty`` always cover all changes.
    """

    changes: pd.DataFrame
    segments: pd.DataFrame
    migrations: pd.DataFrame
    n_before: int
    n_after: int
    n_unchanged: int
    current_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    counts: dict[str, int] | None = field(default=None, repr=False)

    def _count(self, change: str) -> int:
        if self.counts is not None:
            return int(self.counts.get(change, 0))
        return int((self.changes["change"] == change).sum())

    @property
    def n_changes(self) -> int:
        """Changed labels of every kind (``changes`` may list only the first of them)."""
        return sum(self._count(kind) for kind in _KINDS)

    @property
    def changes_complete(self) -> bool:
        """True when ``changes`` lists every changed label."""
        return len(self.changes) == self.n_changes

    @property
    def n_added(self) -> int:
        """Customers labelled now but not before."""
        return self._count("added")

    @property
    def n_removed(self) -> int:
        """Customers labelled before but not now."""
        return self._count("removed")

    @property
    def n_moved(self) -> int:
        """Customers whose segment changed."""
        return self._count("moved")

    @property
    def n_updated(self) -> int:
        """Customers in the same segment with another field changed."""
        return self._count("updated")

    def first_changes(self, limit: int | None) -> LabelDiff:
        """This diff with ``changes`` cut to its first ``limit`` rows (``None``: all);
        the counts still cover every change.

        Examples
        --------
        >>> old = pd.DataFrame({"customer_id": [1, 2], "model_name": "m", "segment": "a/0"})
        >>> cut = diff_labels(old, old.assign(segment="b/0")).first_changes(1)
        >>> len(cut.changes), cut.n_moved, cut.changes_complete
        (1, 2, False)
        """
        if limit is None:
            return self
        counts = {str(kind): self._count(kind) for kind in _KINDS}
        return replace(self, changes=self.changes.iloc[:limit], counts=counts)

    @property
    def is_empty(self) -> bool:
        """True when the export would change nothing at the target."""
        return self.n_changes == 0

    def summary(self) -> str:
        """One line: totals before and after, and counts per kind of change."""
        return (
            f"{self.n_before:,} -> {self.n_after:,} labels: +{self.n_added:,} added, "
            f"-{self.n_removed:,} removed, {self.n_moved:,} moved, "
            f"{self.n_updated:,} updated, {self.n_unchanged:,} unchanged"
        )

    def __str__(self) -> str:
        lines = [f"LabelDiff: {self.summary()}"]
        if self.is_empty:
            return lines[0] + " (no change)"
        shown = self.segments[(self.segments.drop(columns=[MODEL_NAME, SEGMENT]) != 0).any(axis=1)]
        lines.append("Segments with changes:")
        lines.append(_indent(shown.to_string(index=False)))
        if len(self.migrations):
            top = self.migrations.head(10)
            lines.append(f"Migrations (top {len(top)} of {len(self.migrations)}):")
            lines.append(_indent(top.to_string(index=False)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LabelDiff({self.summary()})"

    def _repr_html_(self) -> str:
        return (
            f"<p><b>LabelDiff</b>: {self.summary()}</p>"
            + self.segments.to_html(index=False)
            + self.migrations.head(20).to_html(index=False)
        )


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


_CHANGES = """
CREATE TEMP TABLE changes AS
SELECT coalesce(c._model, p._model) AS model, coalesce(c._id, p._id) AS id,
       CASE WHEN p._row IS NULL THEN 'added' WHEN c._row IS NULL THEN 'removed'
            WHEN p._segment <> c._segment THEN 'moved' ELSE 'updated' END AS change,
       p._segment AS from_segment, c._segment AS to_segment,
       p._row AS prev_row, c._row AS cur_row
FROM prev AS p FULL OUTER JOIN cur AS c ON p._model = c._model AND p._id = c._id
WHERE p._row IS NULL OR c._row IS NULL OR p._segment <> c._segment OR {differs}
"""

_SEGMENTS = """
WITH b AS (SELECT _model AS model, _segment AS segment, count(*) AS n FROM prev GROUP BY ALL),
a AS (SELECT _model AS model, _segment AS segment, count(*) AS n FROM cur GROUP BY ALL),
moves AS (
    SELECT model, to_segment AS segment, change, 'in' AS way FROM changes
    WHERE change IN ('added', 'moved')
    UNION ALL
    SELECT model, from_segment AS segment, change, 'out' AS way FROM changes
    WHERE change IN ('removed', 'moved')
),
m AS (
    SELECT model, segment,
           count(*) FILTER (WHERE change = 'added') AS added,
           count(*) FILTER (WHERE change = 'removed') AS removed,
           count(*) FILTER (WHERE change = 'moved' AND way = 'in') AS moved_in,
           count(*) FILTER (WHERE change = 'moved' AND way = 'out') AS moved_out
    FROM moves GROUP BY ALL
),
k AS (SELECT model, segment FROM b UNION SELECT model, segment FROM a)
SELECT k.model AS model_name, k.segment AS segment,
       coalesce(b.n, 0) AS before, coalesce(a.n, 0) AS after,
       coalesce(m.added, 0) AS added, coalesce(m.removed, 0) AS removed,
       coalesce(m.moved_in, 0) AS moved_in, coalesce(m.moved_out, 0) AS moved_out,
       coalesce(a.n, 0) - coalesce(b.n, 0) AS net
FROM k LEFT JOIN b USING (model, segment) LEFT JOIN a USING (model, segment)
LEFT JOIN m USING (model, segment)
ORDER BY model_name, segment
"""

_MIGRATIONS = """
SELECT model AS model_name, from_segment, to_segment, count(*) AS customers
FROM changes WHERE change = 'moved' GROUP BY ALL
ORDER BY customers DESC, model_name, from_segment, to_segment
"""

#: The changes kinds, coded as ``_LISTED`` returns them.
_KINDS = np.array(["added", "removed", "moved", "updated"], dtype=object)
# Only positions and a kind code come back from DuckDB: the texts are taken from the
# Arrow tables by position, which costs far less than DuckDB handing back a string per
# row (a first export lists every label).
_LISTED = (
    "SELECT CASE change WHEN 'added' THEN 0 WHEN 'removed' THEN 1 WHEN 'moved' THEN 2 "
    "ELSE 3 END AS kind, coalesce(prev_row, -1) AS prev_row, coalesce(cur_row, -1) AS cur_row "
    "FROM changes ORDER BY model, change, id"
)


def shaped_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """The per-segment counts DuckDB returned, in column order; empty, the shape the
    pandas diff gave (integer columns)."""
    if len(segments) == 0:
        segments = pd.DataFrame({c: pd.Series(dtype="int64") for c in _SEGMENT_COLUMNS})
    return segments[_SEGMENT_COLUMNS]


def shaped_migrations(migrations: pd.DataFrame) -> pd.DataFrame:
    """The migrations DuckDB returned, in column order; empty, the pandas diff's shape."""
    if len(migrations) == 0:
        migrations = pd.DataFrame({c: pd.Series(dtype=object) for c in _MIGRATION_COLUMNS})
        migrations["customers"] = migrations["customers"].astype("int64")
    return migrations[_MIGRATION_COLUMNS]


def _differs(compared: list[str]) -> str:
    """SQL that is true when a compared column differs between ``p`` and ``c``."""
    tests = []
    for column in compared:
        names = [f"c_{column}"] + ([f"r_{column}"] if column in TIMESTAMP_COLUMNS else [])
        tests += [f'p."{n}" IS DISTINCT FROM c."{n}"' for n in names]
    return " OR ".join(tests) or "false"


def _ids(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    return frame[CUSTOMER_ID].iloc[rows].astype(object).to_numpy()


def _texts(table: pa.Table, column: str, rows: np.ndarray) -> np.ndarray:
    """The canonical texts of ``column`` at ``rows`` (NaN where a row is -1)."""
    import pyarrow as pa

    out = np.full(rows.size, np.nan, dtype=object)
    known = rows >= 0
    out[known] = table.column(column).take(pa.array(rows[known])).to_numpy(zero_copy_only=False)
    return out


def _changes(
    listed: dict[str, np.ndarray],
    previous: tuple[pd.DataFrame, pa.Table],
    current: tuple[pd.DataFrame, pa.Table],
) -> pd.DataFrame:
    """The changes table: ids as the label tables hold them, model and segments as the
    canonical texts the comparison used (``previous``/``current``: frame and its canonical
    Arrow table)."""
    prev_rows, cur_rows = listed["prev_row"], listed["cur_row"]
    removed = cur_rows < 0
    ids = np.empty(len(cur_rows), dtype=object)
    ids[removed] = _ids(previous[0], prev_rows[removed])
    ids[~removed] = _ids(current[0], cur_rows[~removed])
    model = _texts(current[1], "_model", cur_rows)
    model[removed] = _texts(previous[1], "_model", prev_rows[removed])
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: ids,
            MODEL_NAME: model,
            "change": _KINDS[listed["kind"]],
            "from_segment": _texts(previous[1], "_segment", prev_rows),
            "to_segment": _texts(current[1], "_segment", cur_rows),
        }
    )
    return frame.astype({MODEL_NAME: str, "change": str})


def diff_labels(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    *,
    previous_unique: bool = False,
    current_unique: bool = False,
) -> LabelDiff:
    """Compare the labels at a target with new labels.

    The tables are put in comparable form (:func:`metaseg.export.canonical.canonical_table`)
    and joined on ``(model_name, customer_id)`` by DuckDB, which also counts the changes per
    segment and the migrations; only the changed labels come back to Python.

    Parameters
    ----------
    previous : pandas.DataFrame or None
        The labels already at the target (``None`` or empty when there are none). Needs
        ``customer_id``, ``model_name`` and ``segment``; other label columns present in
        both tables are compared to find ``updated`` labels.
    current : pandas.DataFrame
        The labels about to be exported.
    previous_unique, current_unique : bool
        Skip the check for repeated ``(customer_id, model_name)`` pairs in a table that
        cannot have any: labels passed by :func:`~metaseg.export.validate.validate_labels`,
        labels read from a SQL table whose primary key is that pair.

    Returns
    -------
    LabelDiff

    Raises
    ------
    DataError
        If a table lacks the key or segment columns, has nulls there, or repeats a
        ``(customer_id, model_name)`` pair.

    Examples
    --------
    >>> old = pd.DataFrame({"customer_id": [1, 2, 3], "model_name": "rfm",
    ...                     "segment": ["dormant/0", "dormant/0", "active/0"]})
    >>> new = pd.DataFrame({"customer_id": [1, 2, 4], "model_name": "rfm",
    ...                     "segment": ["dormant/0", "active/0", "active/0"]})
    >>> d = diff_labels(old, new)
    >>> d.n_added, d.n_removed, d.n_moved, d.n_unchanged
    (1, 1, 1, 1)
    >>> d.migrations.values.tolist()
    [['rfm', 'dormant/0', 'active/0', 1]]
    """
    import duckdb

    _check(current, "current labels")
    if previous is None:
        previous = current.iloc[0:0]
    _check(previous, "previous labels")
    compared = [
        c
        for c in LABEL_COLUMNS
        if c not in _NEEDED and c in previous.columns and c in current.columns
    ]
    before, after = canonical_table(previous, compared), canonical_table(current, compared)
    with duckdb.connect() as con:
        con.register("prev", before)
        con.register("cur", after)
        if not current_unique:
            _check_unique(con, "cur", current, "current labels")
        if not previous_unique:
            _check_unique(con, "prev", previous, "previous labels")
        con.execute(_CHANGES.format(differs=_differs(compared)))
        listed = con.execute(_LISTED).fetchnumpy()
        segments = con.execute(_SEGMENTS).df()
        migrations = con.execute(_MIGRATIONS).df()
    changes = _changes(listed, (previous, before), (current, after))
    n_changed_now = int(changes["change"].isin(["added", "moved", "updated"]).sum())
    return LabelDiff(
        changes=changes[_CHANGE_COLUMNS],
        segments=shaped_segments(segments),
        migrations=shaped_migrations(migrations),
        n_before=len(previous),
        n_after=len(current),
        n_unchanged=len(current) - n_changed_now,
        current_rows=np.sort(listed["cur_row"][listed["cur_row"] >= 0].astype("int64")),
    )
