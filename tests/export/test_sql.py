"""Exporting labels to SQLite and a real PostgreSQL, upserted in one transaction."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from metaseg.exceptions import ConfigError, ExportError
from metaseg.export import export_labels
from metaseg.schema import LABEL_COLUMNS


class Db:
    """A SQL target under test: its export URL, table and a way to look inside."""

    def __init__(self, url: str, table: str) -> None:
        self.url = url
        self.table = table
        engine_url = sa.engine.make_url(url.split("?", 1)[0])
        if engine_url.drivername == "postgresql":
            engine_url = engine_url.set(drivername="postgresql+psycopg")
        self.engine = sa.create_engine(engine_url, poolclass=sa.pool.NullPool)

    def execute(self, statement: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(statement))

    def rows(self, model_name: str | None = None) -> pd.DataFrame:
        with self.engine.connect() as conn:
            table = sa.Table(self.table, sa.MetaData(), autoload_with=conn)
            query = sa.select(table)
            if model_name is not None:
                query = query.where(table.c.model_name == model_name)
            frame = pd.DataFrame(conn.execute(query).mappings().all())
        return frame.sort_values(["model_name", "customer_id"], key=_natural).reset_index(drop=True)

    def has_table(self) -> bool:
        with self.engine.connect() as conn:
            return sa.inspect(conn).has_table(self.table)


def _natural(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce") if column.name == "customer_id" else column


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> Db:
    if request.param == "sqlite":
        return Db(f"sqlite:///{tmp_path}/crm.db?table=segment_labels", "segment_labels")
    url, table = request.getfixturevalue("pg_table")
    return Db(url, table)


def _same(rows: pd.DataFrame, labels: pd.DataFrame) -> None:
    """The table holds exactly these labels (ids as text, timestamps as UTC instants)."""
    expected = labels.sort_values("customer_id").reset_index(drop=True)
    assert rows["customer_id"].tolist() == expected["customer_id"].astype(str).tolist()
    for column in ("base_segment", "segment", "segment_name", "model_name", "run_id"):
        assert rows[column].tolist() == expected[column].tolist()
    assert rows["sub_segment"].tolist() == expected["sub_segment"].tolist()
    assert rows["model_version"].tolist() == expected["model_version"].astype(str).tolist()
    for column in ("as_of", "scored_at"):
        got = pd.to_datetime(rows[column], utc=True)
        assert (got == pd.to_datetime(expected[column], utc=True)).all()


def test_creates_the_table_with_a_primary_key(db, make_labels):
    labels = make_labels(150)
    result = export_labels(labels, db.url)
    assert result.ok and result.delivered == 150 and result.diff.n_added == 150
    _same(db.rows(), labels)
    with db.engine.connect() as conn:
        pk = sa.inspect(conn).get_pk_constraint(db.table)["constrained_columns"]
    assert set(pk) == {"customer_id", "model_name"}


def test_rerun_is_idempotent(db, make_labels):
    labels = make_labels(120).assign(model_version=3.0, segment_name=None)  # numbers, nulls
    export_labels(labels, db.url)
    before = db.rows()
    again = export_labels(labels, db.url)
    assert again.diff.is_empty and again.diff.n_unchanged == 120
    pd.testing.assert_frame_equal(db.rows(), before)


def test_upsert_updates_moves_and_deletes_only_within_the_model(db, make_labels):
    export_labels(make_labels(50, model_name="other"), db.url)
    old = make_labels(100)
    export_labels(old, db.url)
    new = pd.concat([old.iloc[20:], make_labels(5, start=500, seed=3)], ignore_index=True)
    new.loc[0, ["base_segment", "sub_segment", "segment"]] = ["vip", 2, "vip/2"]
    new["scored_at"] = pd.Timestamp("2024-07-01T00:00:00Z")
    result = export_labels(new, db.url)
    assert (result.diff.n_added, result.diff.n_removed, result.diff.n_moved) == (5, 20, 1)
    assert result.diff.n_updated == 79  # same segment, new scored_at
    _same(db.rows("rfm"), new)
    _same(db.rows("other"), make_labels(50, model_name="other"))


def test_dry_run_creates_nothing(db, make_labels, tmp_path):
    result = export_labels(make_labels(10), db.url, dry_run=True)
    assert result.dry_run and result.diff.n_added == 10
    if db.url.startswith("sqlite"):
        assert not (tmp_path / "crm.db").exists()
    else:
        assert not db.has_table()


def test_failure_mid_transaction_keeps_the_previous_labels(db, make_labels):
    old = make_labels(80)
    export_labels(old, db.url)
    # a trigger makes the database refuse one row half way through the merge
    if db.url.startswith("sqlite"):
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON \"{db.table}\" WHEN NEW.customer_id = '1000' "
            "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
        )
    else:
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            "IF NEW.customer_id = '1000' THEN RAISE EXCEPTION 'refused by trigger'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        db.execute(
            f'CREATE TRIGGER refuse BEFORE INSERT ON "{db.table}" '
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    new = pd.concat([old.iloc[40:], make_labels(5, start=998, seed=4)], ignore_index=True)
    new["run_id"] = "run-new"
    try:
        with pytest.raises(ExportError, match="refused by trigger.*previous labels") as info:
            export_labels(new, db.url)
        assert "INSERT" not in str(info.value)  # no SQL or parameters in the message
        _same(db.rows(), old)
    finally:
        if not db.url.startswith("sqlite"):
            db.execute(f'DROP TABLE "{db.table}"')
            db.execute("DROP FUNCTION refuse()")


def test_mixed_case_table_name_is_quoted(db, make_labels, tmp_path):
    base = db.url.split("?", 1)[0]
    url = f"{base}?table=SegmentLabels"
    labels = make_labels(7)
    export_labels(labels, url)
    assert export_labels(labels, url).diff.is_empty
    quoted = Db(url, "SegmentLabels")
    _same(quoted.rows(), labels)
    if not base.startswith("sqlite"):
        quoted.execute('DROP TABLE "SegmentLabels"')


def test_existing_table_without_key_is_refused(db, make_labels):
    columns = ", ".join(f"{c} TEXT" for c in LABEL_COLUMNS)
    db.execute(f'CREATE TABLE "{db.table}" ({columns})')
    with pytest.raises(ExportError, match=r"no primary key.*\(customer_id, model_name\)"):
        export_labels(make_labels(3), db.url)


def test_existing_table_missing_columns_is_refused(db, make_labels):
    db.execute(f'CREATE TABLE "{db.table}" (customer_id TEXT PRIMARY KEY)')
    with pytest.raises(ExportError, match="lacks label column"):
        export_labels(make_labels(3), db.url)


def test_unreachable_postgres_is_a_clean_export_error(make_labels):
    url = "postgresql://metaseg:hunter2-secret@127.0.0.1:1/crm?table=labels"
    with pytest.raises(ExportError) as info:
        export_labels(make_labels(3), url, dry_run=True)
    message = str(info.value)
    assert "hunter2-secret" not in message and "127.0.0.1" in message
    assert "OperationalError" in message


def test_other_drivers_are_config_errors(make_labels):
    with pytest.raises(ConfigError, match="psycopg 3"):
        export_labels(make_labels(3), "postgresql+psycopg2://u@h/db")


def _audit(db: Db) -> None:
    """Record every row written to the table (inserted, updated or deleted) in ``audit``."""
    db.execute("CREATE TABLE audit (op TEXT, customer_id TEXT)")
    if db.url.startswith("sqlite"):
        for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            db.execute(
                f'CREATE TRIGGER audit_{op.lower()} AFTER {op} ON "{db.table}" BEGIN '
                f"INSERT INTO audit VALUES ('{op}', {row}.customer_id); END"
            )
        return
    db.execute(
        "CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN INSERT INTO audit VALUES (TG_OP, OLD.customer_id); "
        "RETURN OLD; END IF; INSERT INTO audit VALUES (TG_OP, NEW.customer_id); RETURN NEW; "
        "END $$ LANGUAGE plpgsql"
    )
    db.execute(
        f'CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON "{db.table}" '
        "FOR EACH ROW EXECUTE FUNCTION audit_row()"
    )


def _audited(db: Db) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT op, customer_id FROM audit")).fetchall()
    return sorted((op, int(c)) for op, c in rows)


def test_only_the_changed_labels_are_written(db, make_labels):
    old = make_labels(200)
    assert export_labels(old, db.url).written
    _audit(db)
    try:
        again = export_labels(old.sample(frac=1, random_state=2), db.url)
        assert again.diff.is_empty and not again.written and again.delivered == 0
        assert "no change, nothing written" in str(again)
        assert _audited(db) == []

        new = pd.concat([old.iloc[3:], make_labels(2, start=900, seed=5)], ignore_index=True)
        new.loc[new["customer_id"] == 10, ["base_segment", "sub_segment", "segment"]] = [
            "vip",
            1,
            "vip/1",
        ]
        new.loc[new["customer_id"] == 11, "segment_name"] = "Renamed"
        result = export_labels(new, db.url)
        assert result.written and result.delivered == len(new)
        assert (result.diff.n_added, result.diff.n_removed) == (2, 3)
        assert (result.diff.n_moved, result.diff.n_updated) == (1, 1)
        inserted = [("INSERT", 900), ("INSERT", 901)]
        assert _audited(db) == sorted(
            [("DELETE", 0), ("DELETE", 1), ("DELETE", 2), *inserted]
            + [("UPDATE", 10), ("UPDATE", 11)]
        )
        _same(db.rows(), new)
    finally:
        if not db.url.startswith("sqlite"):
            db.execute(f'DROP TABLE "{db.table}"')
            db.execute("DROP FUNCTION audit_row()")
            db.execute("DROP TABLE audit")


def test_text_with_quotes_commas_newlines_and_empty_values_round_trips(db, make_labels):
    labels = make_labels(4).assign(
        segment_name=['say "hi", ok', "two\nlines", "", None],
        model_version=["", "1.10", "007", None],
    )
    export_labels(labels, db.url)
    rows = db.rows()
    assert rows["segment_name"].tolist()[:3] == ['say "hi", ok', "two\nlines", ""]
    assert rows["segment_name"].isna().tolist() == [False, False, False, True]
    assert rows["model_version"].tolist()[:3] == ["", "1.10", "007"]
    again = export_labels(labels, db.url)
    assert again.diff.is_empty and not again.written


def test_awkward_text_ids_are_updated_and_deleted(db, make_labels):
    labels = make_labels(4).assign(customer_id=['a,"b"', "line\nbreak", "007", " "])
    export_labels(labels, db.url)
    new = labels.iloc[[1, 2]].assign(segment_name="Renamed")
    result = export_labels(new, db.url)
    assert (result.diff.n_removed, result.diff.n_updated) == (2, 2)
    rows = db.rows().sort_values("customer_id")
    assert rows["customer_id"].tolist() == ["007", "line\nbreak"]
    assert rows["segment_name"].tolist() == ["Renamed", "Renamed"]
