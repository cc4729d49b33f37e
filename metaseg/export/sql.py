"""Labels in a SQL table (SQLite or PostgreSQL), changed in one transaction.

The target table keeps only the latest labels per model: after an export, the rows of
each exported ``model_name`` are exactly the exported labels (new customers inserted,
changed ones updated, customers no longer labelled deleted); rows of other models are
left alone. In one transaction, the table is locked against other writers (``LOCK
TABLE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), the labels there are read
(PostgreSQL: ``COPY ... TO STDOUT`` parsed by Arrow) and diffed with the new ones in
DuckDB, and only the difference is written: nothing at all when nothing changed;
otherwise the added and changed labels are upserted (PostgreSQL: ``COPY`` into a
temporary staging table, then ``INSERT ... ON CONFLICT (customer_id, model_name) DO
UPDATE``) and the removed ones deleted. A failed or killed export leaves the previous
labels intact, and running the same export twice writes nothing the second time.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg.exceptions import ExportError
from metaseg.export.canonical import text_column
from metaseg.export.diff import LabelDiff, diff_labels
from metaseg.export.payload import iso_strings
from metaseg.export.uri import Target
from metaseg.export.validate import TIMESTAMP_COLUMNS, text_value
from metaseg.schema import (
    AS_OF,
    BASE_SEGMENT,
    CUSTOMER_ID,
    LABEL_COLUMNS,
    MODEL_NAME,
    MODEL_VERSION,
    RUN_ID,
    SCORED_AT,
    SEGMENT,
    SEGMENT_NAME,
    SUB_SEGMENT,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

_KEY = (CUSTOMER_ID, MODEL_NAME)


def _columns(*, key: bool = True) -> list[Any]:
    """The label columns, with ``(customer_id, model_name)`` as primary key if ``key``."""
    import sqlalchemy as sa

    required = (CUSTOMER_ID, BASE_SEGMENT, SUB_SEGMENT, SEGMENT, MODEL_NAME)
    kinds: dict[str, Any] = {
        CUSTOMER_ID: sa.Text,
        BASE_SEGMENT: sa.Text,
        SUB_SEGMENT: sa.Integer,
        SEGMENT: sa.Text,
        SEGMENT_NAME: sa.Text,
        MODEL_NAME: sa.Text,
        MODEL_VERSION: sa.Text,
        RUN_ID: sa.Text,
        AS_OF: sa.DateTime(timezone=True),
        SCORED_AT: sa.DateTime(timezone=True),
    }
    columns: list[Any] = [
        sa.Column(name, kinds[name], nullable=name not in required) for name in LABEL_COLUMNS
    ]
    if key:
        columns.append(sa.PrimaryKeyConstraint(*_KEY))
    return columns


def _table(name: str, metadata: sa.MetaData, *, temporary: bool = False) -> sa.Table:
    import sqlalchemy as sa

    prefixes = ["TEMPORARY"] if temporary else []
    # a temporary staging table needs no key: its rows come from validated labels
    return sa.Table(name, metadata, *_columns(key=not temporary), prefixes=prefixes)


def _engine(target: Target) -> sa.Engine:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    try:
        return sa.create_engine(target.engine_url, poolclass=NullPool)
    except ModuleNotFoundError as exc:
        raise ExportError(
            f"the database driver for {target.display} is not installed ({exc.name}); "
            "install it with pip install 'metaseg[postgres]' (psycopg 3)."
        ) from None


def _sqlite_file(target: Target) -> Path | None:
    """The database file of a SQLite target, ``None`` for other databases."""
    from sqlalchemy.engine import make_url

    url = make_url(target.engine_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database)


def _driver_errors(target: Target) -> tuple[type[BaseException], ...]:
    """The exception classes a database call may raise, to turn into ExportError."""
    import sqlalchemy as sa

    errors: list[type[BaseException]] = [sa.exc.SQLAlchemyError]
    if (target.engine_url or "").startswith("sqlite"):
        import sqlite3

        errors.append(sqlite3.Error)
    else:
        try:
            import psycopg
        except ModuleNotFoundError:
            pass
        else:
            errors.append(psycopg.Error)
    return tuple(errors)


def _message(exc: BaseException, target: Target) -> str:
    """A one-line database error without SQL parameters or the password."""
    from sqlalchemy.engine import make_url

    origin = getattr(exc, "orig", None) or exc
    text = str(origin).strip().splitlines()[0] if str(origin).strip() else type(origin).__name__
    password = make_url(target.engine_url).password
    if password:
        text = text.replace(str(password), "***")
    return f"{type(origin).__name__}: {text}"


def _wrap(exc: BaseException, target: Target, doing: str) -> ExportError:
    return ExportError(
        f"could not {doing} {target.display}: {_message(exc, target)}. "
        "The previous labels there are unchanged."
    )


def _check_table(conn: sa.Connection, target: Target) -> bool:
    """Return whether the target table exists; fail when it cannot hold labels."""
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    if not inspector.has_table(target.table):
        return False
    names = {c["name"] for c in inspector.get_columns(target.table)}
    missing = [c for c in LABEL_COLUMNS if c not in names]
    if missing:
        raise ExportError(
            f"table {target.table!r} at {target.display} exists but lacks label column(s) "
            f"{missing}; export to another table (?table=name) or add those columns."
        )
    keys = [inspector.get_pk_constraint(target.table).get("constrained_columns") or []]
    keys += [u["column_names"] for u in inspector.get_unique_constraints(target.table)]
    keys += [i["column_names"] for i in inspector.get_indexes(target.table) if i.get("unique")]
    if not any(set(k) == set(_KEY) for k in keys):
        raise ExportError(
            f"table {target.table!r} at {target.display} has no primary key or unique "
            "constraint on (customer_id, model_name), which the upsert needs; add one "
            "or export to another table (?table=name)."
        )
    return True


def _read_sqlite(conn: sa.Connection, table: str, model_names: list[str]) -> pd.DataFrame:
    """Read labels from SQLite: the id and the other values as one JSON array per row.

    Label columns hold few distinct values, so each distinct JSON array is parsed once;
    without SQLite's JSON functions the rows are read as they are.
    """
    import sqlite3

    quote = conn.dialect.identifier_preparer.quote
    marks = ", ".join("?" for _ in model_names)
    rest = [c for c in LABEL_COLUMNS if c != CUSTOMER_ID]
    where = f"FROM {quote(table)} WHERE {quote(MODEL_NAME)} IN ({marks})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        packed = f"json_array({', '.join(quote(c) for c in rest)})"
        rows = cursor.execute(
            f"SELECT {quote(CUSTOMER_ID)}, {packed} {where}", model_names
        ).fetchall()
    except sqlite3.OperationalError:  # no JSON functions, or a BLOB in a label column
        names = ", ".join(quote(c) for c in LABEL_COLUMNS)
        rows = cursor.execute(f"SELECT {names} {where}", model_names).fetchall()
        return pd.DataFrame.from_records(rows, columns=list(LABEL_COLUMNS))
    return _unpack(rows, rest)


def _unpack(rows: list[tuple[Any, str]], rest: list[str]) -> pd.DataFrame:
    """Rows of (id, JSON array of the other values) as a frame; each JSON parsed once.

    Ids become a text column when they are all text; the other columns are categoricals
    of their few distinct values.
    """
    import pyarrow as pa

    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LABEL_COLUMNS})
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(packed, len(index)) for _, packed in rows), "int64", len(rows)
    )
    ids: Any = [row[0] for row in rows]
    try:
        ids = pd.Series(pa.array(ids).to_pandas())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # ids of several types: keep them as they are
        ids = pd.Series(np.array(ids, dtype=object))
    parsed = [json.loads(packed) for packed in index]
    frame = {CUSTOMER_ID: ids}
    for position, column in enumerate(rest):
        small_codes, values = pd.factorize(
            pd.Series([p[position] for p in parsed], dtype=object), use_na_sentinel=True
        )
        categories = pd.Index(values, dtype=object)
        frame[column] = pd.Categorical.from_codes(small_codes[codes], categories=categories)
    return pd.DataFrame(frame)


def _read_postgres(conn: sa.Connection, table: str, model_names: list[str]) -> pd.DataFrame:
    """Read labels from PostgreSQL with ``COPY ... TO STDOUT`` as CSV, parsed by Arrow.

    Every value comes back as text (timestamps in UTC); an empty field is a null and a
    quoted empty field an empty text.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from psycopg import sql

    cursor = conn.connection.driver_connection.cursor()
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    query = sql.SQL("COPY (SELECT {} FROM {} WHERE {} = ANY(%s)) TO STDOUT (FORMAT csv)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in LABEL_COLUMNS),
        sql.Identifier(table),
        sql.Identifier(MODEL_NAME),
    )
    buffer = io.BytesIO()
    with cursor.copy(query, (model_names,)) as copy:
        for block in copy:
            buffer.write(block)
    if buffer.tell() == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LABEL_COLUMNS})
    buffer.seek(0)
    text = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(LABEL_COLUMNS)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in LABEL_COLUMNS},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return text.to_pandas()


def _read(conn: sa.Connection, target: Target, model_names: list[str]) -> pd.DataFrame:
    if conn.dialect.name == "postgresql":
        return _read_postgres(conn, target.table, model_names)
    return _read_sqlite(conn, target.table, model_names)


def read_sql_labels(target: Target, model_names: list[str]) -> pd.DataFrame | None:
    """Read the labels of ``model_names`` already in the target table.

    Values come back as the database gives them (ids as text; timestamps as UTC text);
    the diff reads them as such. Returns ``None`` when the table does not exist.

    Raises
    ------
    ExportError
        If the database cannot be reached or the table cannot hold labels.
    """
    database = _sqlite_file(target)
    if database is not None and not database.exists():
        return None  # connecting would create an empty database file
    engine = _engine(target)
    try:
        with engine.begin() as conn:
            if not _check_table(conn, target):
                return None
            return _read(conn, target, model_names)
    except _driver_errors(target) as exc:
        raise _wrap(exc, target, "read the labels at") from None
    finally:
        engine.dispose()


#: How SQLAlchemy stores ``DateTime`` values in SQLite (UTC, as text).
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _timestamps(values: pd.Series, sqlite: bool) -> list[Any]:
    """UTC timestamps as aware datetimes (PostgreSQL) or SQLite's text; each distinct once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if sqlite:
        converted = [t.tz_convert("UTC").strftime(_SQLITE_TIME) for t in uniques]
    else:
        converted = [t.to_pydatetime() for t in uniques]
    lookup = np.array([*converted, None], dtype=object)
    return lookup[codes].tolist()


def _rows(labels: pd.DataFrame, *, sqlite: bool) -> list[tuple[Any, ...]]:
    """Rows in ``LABEL_COLUMNS`` order: text ids and versions, UTC timestamps, None for nulls."""
    columns: list[list[Any]] = []
    for name in LABEL_COLUMNS:
        series = labels[name]
        if name in TIMESTAMP_COLUMNS:
            columns.append(_timestamps(series, sqlite))
        elif name == SUB_SEGMENT:
            columns.append(series.astype("int64").tolist())
        else:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            lookup = np.array([*(text_value(u) for u in uniques), None], dtype=object)
            columns.append(lookup[codes].tolist())
    return list(zip(*columns, strict=True))


def _csv(labels: pd.DataFrame) -> bytes:
    """Labels as PostgreSQL ``COPY`` CSV: texts quoted, nulls as empty unquoted fields."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for name in LABEL_COLUMNS:
        series = labels[name]
        if name in TIMESTAMP_COLUMNS:
            columns[name] = pa.array(iso_strings(series), type=pa.string())
        elif name == SUB_SEGMENT:
            columns[name] = pa.array(series.to_numpy(dtype="int64"))
        else:
            columns[name] = text_column(series)
    sink = io.BytesIO()
    pacsv.write_csv(pa.table(columns), sink, pacsv.WriteOptions(include_header=False))
    return sink.getvalue()


def _upsert_sqlite(conn: sa.Connection, table: str, labels: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in LABEL_COLUMNS)
    marks = ", ".join("?" for _ in LABEL_COLUMNS)
    values = [c for c in LABEL_COLUMNS if c not in _KEY]
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in values)
    differs = " OR ".join(f"{quote(table)}.{quote(c)} IS NOT excluded.{quote(c)}" for c in values)
    statement = (
        f"INSERT INTO {quote(table)} ({names}) VALUES ({marks}) ON CONFLICT "
        f"({', '.join(quote(c) for c in _KEY)}) DO UPDATE SET {sets} WHERE {differs}"
    )
    conn.connection.driver_connection.executemany(statement, _rows(labels, sqlite=True))


def _upsert_postgres(
    conn: sa.Connection, table: sa.Table, labels: pd.DataFrame, insert: Any, *, new: bool
) -> None:
    """COPY ``labels`` into a staging table, then upsert them (``new``: plain insert)."""
    import sqlalchemy as sa

    quote = conn.dialect.identifier_preparer.quote
    stage = _table(f"metaseg_stage_{uuid.uuid4().hex[:12]}", sa.MetaData(), temporary=True)
    stage.create(conn)
    names = ", ".join(quote(c) for c in LABEL_COLUMNS)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {quote(stage.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(_csv(labels))
    columns = list(LABEL_COLUMNS)
    source = sa.select(*(stage.c[c] for c in columns)).where(sa.true())
    if new:  # every row is added, none was there when the table was locked and read
        conn.execute(table.insert().from_select(columns, source))
        stage.drop(conn)
        return
    upsert = insert(table).from_select(columns, source)
    values = [c for c in columns if c not in _KEY]
    upsert = upsert.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={c: upsert.excluded[c] for c in values},
        where=sa.or_(*(table.c[c].is_distinct_from(upsert.excluded[c]) for c in values)),
    )
    conn.execute(upsert)
    stage.drop(conn)


def _delete(conn: sa.Connection, table: str, removed: pd.DataFrame) -> None:
    """Delete the labels of ``removed`` (``customer_id``, ``model_name``; ids as text)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    quote = conn.dialect.identifier_preparer.quote
    ids = text_column(removed[CUSTOMER_ID])
    models = pa.array(removed[MODEL_NAME].astype(str))
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        gone = f"metaseg_gone_{uuid.uuid4().hex[:12]}"
        cursor = driver.cursor()
        cursor.execute(f"CREATE TEMPORARY TABLE {quote(gone)} (customer_id TEXT, model_name TEXT)")
        sink = io.BytesIO()
        keys = pa.table({"customer_id": ids, "model_name": models})
        pacsv.write_csv(keys, sink, pacsv.WriteOptions(include_header=False))
        with cursor.copy(f"COPY {quote(gone)} FROM STDIN (FORMAT csv)") as copy:
            copy.write(sink.getvalue())
        cursor.execute(
            f"DELETE FROM {quote(table)} AS t USING {quote(gone)} AS g WHERE "
            f"t.{quote(CUSTOMER_ID)} = g.customer_id AND t.{quote(MODEL_NAME)} = g.model_name"
        )
        cursor.execute(f"DROP TABLE {quote(gone)}")
        return
    driver.executemany(
        f"DELETE FROM {quote(table)} WHERE {quote(CUSTOMER_ID)} = ? AND {quote(MODEL_NAME)} = ?",
        zip(ids.to_pylist(), models.to_pylist(), strict=True),
    )


def export_sql_labels(
    target: Target, labels: pd.DataFrame, *, dry_run: bool = False
) -> tuple[LabelDiff, bool]:
    """Diff validated labels with the target table and write only the difference.

    Parameters
    ----------
    target : Target
        A SQL target from :func:`metaseg.export.uri.parse_target`.
    labels : pandas.DataFrame
        Labels checked by :func:`metaseg.export.validate.validate_labels`.
    dry_run : bool
        Only read and diff; create and write nothing.

    Returns
    -------
    diff : LabelDiff
        The labels in the table before, compared with ``labels``.
    written : bool
        False when nothing was written (a dry run, or no label changed).

    Raises
    ------
    ExportError
        If the database cannot be reached or the transaction fails (then nothing changed).

    Examples
    --------
    >>> import tempfile
    >>> from metaseg.export.uri import parse_target
    >>> from metaseg.export.validate import validate_labels
    >>> db = tempfile.mkdtemp() + "/labels.db"
    >>> labels = validate_labels(pd.DataFrame({
    ...     "customer_id": [1], "base_segment": ["dormant"], "sub_segment": [0],
    ...     "segment": ["dormant/0"], "segment_name": ["Dormant"], "model_name": ["rfm"],
    ...     "model_version": ["1"], "run_id": ["r"], "as_of": ["2024-01-01T00:00:00Z"],
    ...     "scored_at": ["2024-01-02T00:00:00Z"]}))
    >>> diff, written = export_sql_labels(parse_target(f"sqlite:///{db}"), labels)
    >>> diff.n_added, written
    (1, True)
    >>> diff, written = export_sql_labels(parse_target(f"sqlite:///{db}"), labels)
    >>> diff.is_empty, written
    (True, False)
    """
    models = sorted(labels[MODEL_NAME].astype(str).unique())
    if dry_run:
        previous = read_sql_labels(target, models)
        return diff_labels(previous, labels, previous_unique=True, current_unique=True), False
    import sqlalchemy as sa

    insert = _dialect_insert(target)
    database = _sqlite_file(target)
    if database is not None:
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"could not create the folder of {target.display}: {exc}") from None
    engine = _engine(target)
    try:
        with engine.begin() as conn:
            postgres = conn.dialect.name == "postgresql"
            if not postgres:  # take SQLite's write lock before reading
                conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
            table = _table(target.table, sa.MetaData())
            existed = _check_table(conn, target)
            if not existed:
                table.create(conn, checkfirst=True)
            if postgres:
                quoted = conn.dialect.identifier_preparer.quote(target.table)
                conn.execute(sa.text(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE"))
            previous = _read(conn, target, models) if existed else None
            # the table's primary key and validate_labels rule out repeated pairs
            diff = diff_labels(previous, labels, previous_unique=True, current_unique=True)
            if diff.is_empty:
                return diff, False
            if diff.current_rows is None:  # pragma: no cover - diff_labels always sets them
                raise AssertionError("the diff did not say which labels changed")
            changed = labels.iloc[diff.current_rows]
            removed = diff.changes[diff.changes["change"] == "removed"]
            if len(removed):
                _delete(conn, target.table, removed)
            if len(changed):
                if postgres:
                    only_added = diff.n_added == len(changed)
                    _upsert_postgres(conn, table, changed, insert, new=only_added)
                else:
                    _upsert_sqlite(conn, target.table, changed)
    except _driver_errors(target) as exc:
        raise _wrap(exc, target, "write labels to") from None
    finally:
        engine.dispose()
    return diff, True


def write_sql_labels(target: Target, labels: pd.DataFrame) -> None:
    """Make the target table hold ``labels`` for their models (see :func:`export_sql_labels`).

    Raises
    ------
    ExportError
        If the database cannot be reached or the transaction fails (then nothing changed).
    """
    export_sql_labels(target, labels)


def _dialect_insert(target: Target) -> Any:
    url = target.engine_url or ""
    if url.startswith("postgresql"):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
