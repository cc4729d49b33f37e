"""Labels in a SQL table (SQLite or PostgreSQL), upserted in one transaction.

The target table keeps only the latest labels per model: after an export, the rows of
each exported ``model_name`` are exactly the exported labels (new customers inserted,
changed ones updated, customers no longer labelled deleted); rows of other models are
left alone. The labels are loaded into a temporary staging table, then merged with
``INSERT ... ON CONFLICT (customer_id, model_name) DO UPDATE`` (rows whose values did
not change are not rewritten) and a ``DELETE`` of absent customers, all in one
transaction: a failed or killed export leaves the previous labels intact, and running
the same export twice changes nothing.

The table is created when missing, with primary key ``(customer_id, model_name)``.
``customer_id`` is stored as text so numeric and text ids both fit; ``as_of`` and
``scored_at`` are timestamps with time zone (SQLite stores them as UTC text).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg.exceptions import ExportError
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


def _columns() -> list[Any]:
    """The label columns, with ``(customer_id, model_name)`` as primary key."""
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
    columns.append(sa.PrimaryKeyConstraint(*_KEY))
    return columns


def _table(name: str, metadata: sa.MetaData, *, temporary: bool = False) -> sa.Table:
    import sqlalchemy as sa

    prefixes = ["TEMPORARY"] if temporary else []
    return sa.Table(name, metadata, *_columns(), prefixes=prefixes)


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
    if not _sqlite_file(target):
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


def read_sql_labels(target: Target, model_names: list[str]) -> pd.DataFrame | None:
    """Read the labels of ``model_names`` already in the target table.

    Returns ``None`` when the table does not exist.

    Raises
    ------
    ExportError
        If the database cannot be reached or the table cannot hold labels.
    """
    import sqlalchemy as sa

    database = _sqlite_file(target)
    if database is not None and not database.exists():
        return None  # connecting would create an empty database file
    engine = _engine(target)
    try:
        with engine.connect() as conn:
            if not _check_table(conn, target):
                return None
            # untyped columns: values come back as the driver gives them, without per-row
            # conversion; the diff reads SQLite's UTC text as UTC timestamps
            query = (
                sa.select(*(sa.column(c) for c in LABEL_COLUMNS))
                .select_from(sa.table(target.table))
                .where(sa.column(MODEL_NAME).in_(model_names))
            )
            rows = [tuple(row) for row in conn.execute(query).fetchall()]
    except _driver_errors(target) as exc:
        raise _wrap(exc, target, "read the labels at") from None
    finally:
        engine.dispose()
    return pd.DataFrame.from_records(rows, columns=list(LABEL_COLUMNS))


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


def _load_stage(conn: sa.Connection, stage: sa.Table, rows: list[tuple[Any, ...]]) -> None:
    """Fill the staging table through the driver: COPY on PostgreSQL, executemany on SQLite."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in LABEL_COLUMNS)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {quote(stage.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in LABEL_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO {quote(stage.name)} ({names}) VALUES ({marks})", rows)


def write_sql_labels(target: Target, labels: pd.DataFrame) -> None:
    """Upsert validated labels into the target table in one transaction.

    Parameters
    ----------
    target : Target
        A SQL target from :func:`metaseg.export.uri.parse_target`.
    labels : pandas.DataFrame
        Labels checked by :func:`metaseg.export.validate.validate_labels`.

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
    >>> write_sql_labels(parse_target(f"sqlite:///{db}"), labels)
    """
    import sqlalchemy as sa

    insert = _dialect_insert(target)
    rows = _rows(labels, sqlite=_sqlite_file(target) is not None)
    models = sorted(set(labels[MODEL_NAME].astype(str)))
    database = _sqlite_file(target)
    if database is not None:
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"could not create the folder of {target.display}: {exc}") from None
    engine = _engine(target)
    try:
        with engine.begin() as conn:
            metadata = sa.MetaData()
            table = _table(target.table, metadata)
            if not _check_table(conn, target):
                table.create(conn, checkfirst=True)
            if conn.dialect.name == "postgresql":
                quoted = conn.dialect.identifier_preparer.quote(target.table)
                conn.execute(sa.text(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE"))
            stage = _table(f"metaseg_stage_{uuid.uuid4().hex[:12]}", metadata, temporary=True)
            stage.create(conn)
            _load_stage(conn, stage, rows)

            names = list(LABEL_COLUMNS)
            source = sa.select(*(stage.c[c] for c in names)).where(sa.true())
            upsert = insert(table).from_select(names, source)
            values = [c for c in names if c not in _KEY]
            upsert = upsert.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={c: upsert.excluded[c] for c in values},
                where=sa.or_(*(table.c[c].is_distinct_from(upsert.excluded[c]) for c in values)),
            )
            conn.execute(upsert)
            present = sa.exists().where(
                stage.c[CUSTOMER_ID] == table.c[CUSTOMER_ID],
                stage.c[MODEL_NAME] == table.c[MODEL_NAME],
            )
            conn.execute(sa.delete(table).where(table.c[MODEL_NAME].in_(models), ~present))
            stage.drop(conn)
    except _driver_errors(target) as exc:
        raise _wrap(exc, target, "write labels to") from None
    finally:
        engine.dispose()


def _dialect_insert(target: Target) -> Any:
    url = target.engine_url or ""
    if url.startswith("postgresql"):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
