"""An export killed with SIGKILL leaves the old labels or the new ones, never a mix."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from metaseg.export import export_labels

REPO = Path(__file__).resolve().parents[2]
CHILD = """
import sys
import pandas as pd
from metaseg.export import export_labels
labels = pd.read_parquet(sys.argv[1])
print("ready", flush=True)
export_labels(labels, sys.argv[2])
print("done", flush=True)
"""
N_FILE = 40_000
N_SQL = 20_000


def _versions(make_labels, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    old = make_labels(n, seed=1).assign(run_id="run-old")
    new = make_labels(n, seed=2, start=n // 3).assign(run_id="run-new")
    return old, new


def _export_killed(
    labels_file: Path, to: str, began: Callable[[], bool], delay: float
) -> tuple[int, bool]:
    """Run an export in a child process and SIGKILL it ``delay`` s after ``began()``.

    Returns the child's exit status and whether the write had begun when it was killed.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(labels_file), to],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        give_up = time.monotonic() + 60
        seen = False
        while child.poll() is None and time.monotonic() < give_up:
            if began():
                seen = True
                break
            time.sleep(0.001)
        if seen and delay:
            time.sleep(delay)
        child.kill()
        child.wait(timeout=30)
        return child.returncode, seen
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _trials(
    labels_file: Path,
    to: str,
    began: Callable[[], bool],
    state: Callable[[], str],
    reset: Callable[[], None],
    seed: int,
) -> None:
    """Kill exports mid-write and at a random delay; the target is always all old or all new.

    ``state()`` returns ``"old"`` or ``"new"`` and fails on anything else. The first trial
    kills the child the moment ``began()`` sees the write start; should the child win the
    race and finish first (a loaded machine), the old labels are restored and it is tried
    again, up to three times.
    """
    for _ in range(3):
        status, seen = _export_killed(labels_file, to, began, delay=0.0)
        if (status, seen, state()) == (-9, True, "old"):
            break
        reset()
    else:
        pytest.fail("the export could not be killed mid-write in 3 tries; use more labels")
    delay = random.Random(seed).uniform(0.0, 0.3)
    status, seen = _export_killed(labels_file, to, began, delay=delay)
    assert seen and state() in ("old", "new")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_killed_file_export_leaves_old_or_new_file(tmp_path, make_labels, suffix):
    old, new = _versions(make_labels, N_FILE)
    labels_file = tmp_path / "new_labels.parquet"
    new.to_parquet(labels_file)
    reference = tmp_path / f"reference{suffix}"
    export_labels(new, reference)
    new_bytes = reference.read_bytes()
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / f"labels{suffix}"
    export_labels(old, target)
    old_bytes = target.read_bytes()
    assert old_bytes != new_bytes

    def began() -> bool:
        return any(p.name.startswith(f".{target.name}.metaseg-tmp-") for p in folder.iterdir())

    def state() -> str:
        content = target.read_bytes()
        assert content in (old_bytes, new_bytes), "the file is a mix of old and new"
        return "new" if content == new_bytes else "old"

    _trials(labels_file, str(target), began, state, lambda: export_labels(old, target), seed=5)
    export_labels(new, target)  # a leftover temporary file does not get in the way
    assert target.read_bytes() == new_bytes


def _content(url: str, table: str) -> list[tuple[str, str, str]]:
    engine_url = sa.engine.make_url(url.split("?", 1)[0])
    if engine_url.drivername == "postgresql":
        engine_url = engine_url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(engine_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(f'SELECT customer_id, segment, run_id FROM "{table}"')
            ).all()
    finally:
        engine.dispose()
    return sorted((str(c), s, r) for c, s, r in rows)


def _expected(labels: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted(
        (str(c), s, r)
        for c, s, r in labels[["customer_id", "segment", "run_id"]].itertuples(index=False)
    )


def _check_sql_crash(tmp_path, make_labels, url, table, began, seed):
    old, new = _versions(make_labels, N_SQL)
    labels_file = tmp_path / "new_labels.parquet"
    new.to_parquet(labels_file)
    export_labels(old, url)
    old_rows, new_rows = _expected(old), _expected(new)

    def state() -> str:
        rows = _content(url, table)
        assert rows in (old_rows, new_rows), "the table mixes old and new labels"
        return "new" if rows == new_rows else "old"

    assert state() == "old"
    _trials(labels_file, url, began, state, lambda: export_labels(old, url), seed=seed)
    export_labels(new, url)
    assert _content(url, table) == new_rows


def test_killed_sqlite_export_leaves_old_or_new_labels(tmp_path, make_labels):
    database = tmp_path / "crm.db"
    url = f"sqlite:///{database}?table=labels"
    journal = tmp_path / "crm.db-journal"
    _check_sql_crash(tmp_path, make_labels, url, "labels", journal.exists, seed=11)


def test_killed_postgres_export_leaves_old_or_new_labels(tmp_path, make_labels, pg_table):
    import psycopg

    url, table = pg_table
    url += "&application_name=metaseg-crash-test"
    watcher = psycopg.connect(url.split("?", 1)[0], autocommit=True)

    def began() -> bool:
        # the export's transaction is open (it begins with the table check and LOCK)
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            "'metaseg-crash-test' AND xact_start IS NOT NULL"
        ).fetchone()
        return bool(row and row[0])

    try:
        _check_sql_crash(tmp_path, make_labels, url, table, began, seed=12)
    finally:
        watcher.close()
