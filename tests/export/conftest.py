"""Real components for the export tests: a PostgreSQL cluster and a local webhook receiver."""

from __future__ import annotations

import collections
import glob
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metaseg.schema import LABEL_COLUMNS

SECRET_ENV = "METASEG_TEST_WEBHOOK_SECRET"


# --------------------------------------------------------------------------- labels


def _make_labels(
    n: int,
    *,
    seed: int = 0,
    model_name: str = "rfm",
    start: int = 0,
    segments: tuple[str, ...] = ("dormant", "active", "champions"),
    subs: int = 3,
    scored_at: str = "2024-06-02T08:00:00Z",
) -> pd.DataFrame:
    """Deterministic labels for ``n`` customers numbered from ``start``."""
    rng = np.random.default_rng(seed)
    base = rng.choice(np.array(segments, dtype=object), size=n)
    sub = rng.integers(-1, subs, size=n)
    segment = [f"{b}/{s}" for b, s in zip(base, sub, strict=True)]
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(start, start + n, dtype="int64"),
            "base_segment": base.astype(str),
            "sub_segment": sub.astype("int64"),
            "segment": segment,
            "segment_name": [f"{b.title()} group {s}" for b, s in zip(base, sub, strict=True)],
            "model_name": model_name,
            "model_version": "3",
            "run_id": f"run-{seed}",
            "as_of": pd.Timestamp("2024-06-01", tz="UTC"),
            "scored_at": pd.Timestamp(scored_at),
        }
    )
    return frame[list(LABEL_COLUMNS)]


@pytest.fixture
def make_labels() -> Callable[..., pd.DataFrame]:
    """Factory of deterministic labels tables (``make_labels(n, seed=..., ...)``)."""
    return _make_labels


# --------------------------------------------------------------------------- PostgreSQL


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bindir() -> Path | None:
    found = []
    for bindir in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(bindir)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            version = path.parent.name
            found.append((float(version) if version.replace(".", "", 1).isdigit() else 0, path))
    return max(found)[1] if found else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server: ``$METASEG_TEST_POSTGRES_URL`` or a throwaway cluster."""
    given = os.environ.get("METASEG_TEST_POSTGRES_URL", "").strip()
    if given:
        yield given
        return
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under "
            "/usr/lib/postgresql/*/bin. Run `bash .ci/postgres.sh` as root to install them, "
            "or set METASEG_TEST_POSTGRES_URL to an existing server."
        )
    base = Path(tempfile.mkdtemp(prefix="metaseg-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            pytest.fail(
                "running as root but there is no 'postgres' user to run the server; "
                "run `bash .ci/postgres.sh` to install PostgreSQL properly."
            )
        os.chown(base, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "server.log"
    port = _free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    commands = [
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "-N",
        ],
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        ],
    ]
    for command in commands:
        done = subprocess.run(prefix + command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = done.stderr.strip() or done.stdout.strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            shutil.rmtree(base, ignore_errors=True)
            pytest.fail(f"could not start a throwaway PostgreSQL ({command[0]}): {detail}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_database(postgres_server: str) -> Iterator[str]:
    """A database created for this test session; yields its URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"metaseg_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    yield url
    if os.environ.get("METASEG_TEST_POSTGRES_URL", "").strip():
        # on a server we were given, drop the database; a throwaway cluster is deleted whole
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


@pytest.fixture
def pg_table(pg_database: str) -> Iterator[tuple[str, str]]:
    """A fresh table name in the test database; yields ``(url with ?table=, table)``."""
    import psycopg
    from psycopg import sql

    table = f"labels_{uuid.uuid4().hex[:8]}"
    yield f"{pg_database}?table={table}", table
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


# --------------------------------------------------------------------------- webhook receiver


class Receiver:
    """A webhook receiver on 127.0.0.1 that verifies signatures and dedups by key.

    Faults queued with :meth:`fail` are applied to the next requests, one each:

    - ``("status", code, headers)``: answer ``code`` without storing;
    - ``("slow", seconds)``: store, then wait ``seconds`` before answering 200;
    - ``("drop",)``: close the connection without storing or answering;
    - ``("drop_after_store",)``: store, then close without answering (a lost reply).
    """

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.faults: collections.deque[tuple[Any, ...]] = collections.deque()
        self.store: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/labels"

    def fail(self, *faults: tuple[Any, ...]) -> None:
        with self.lock:
            self.faults.extend(faults)

    def records(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for batch in self.store.values() for r in batch]

    def keys_seen(self) -> list[str]:
        with self.lock:
            return [r["key"] for r in self.requests]

    def _store(self, key: str, body: bytes) -> bool:
        with self.lock:
            if key in self.store:
                return False
            self.store[key] = json.loads(body)["records"]
            return True

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        key = handler.headers.get("Idempotency-Key", "")
        signature = handler.headers.get("X-Metaseg-Signature", "")
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, signature)
        with self.lock:
            fault = self.faults.popleft() if self.faults else None
            self.requests.append(
                {
                    "key": key,
                    "valid": valid,
                    "fault": fault,
                    "body_sha": hashlib.sha256(body).hexdigest(),
                    "headers": dict(handler.headers),
                }
            )
        if not valid:
            self._reply(handler, 401, {"error": "bad signature"})
            return
        kind = fault[0] if fault else None
        if kind == "status":
            self._reply(
                handler, fault[1], {"error": "injected"}, fault[2] if len(fault) > 2 else {}
            )
            return
        if kind == "drop":
            handler.close_connection = True
            return
        stored = self._store(key, body)
        if kind == "drop_after_store":
            handler.close_connection = True
            return
        if kind == "slow":
            time.sleep(fault[1])
        self._reply(handler, 200, {"stored": stored})

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout); nothing to answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_secret(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A random signing secret in ``$METASEG_TEST_WEBHOOK_SECRET``."""
    secret = "whsec-" + secrets.token_hex(16)
    monkeypatch.setenv(SECRET_ENV, secret)
    return secret.encode()


@pytest.fixture
def receiver(webhook_secret: bytes) -> Iterator[Receiver]:
    """A running :class:`Receiver` sharing ``webhook_secret``."""
    server = Receiver(webhook_secret)
    try:
        yield server
    finally:
        server.close()


class FakeTime:
    """A clock that only moves when ``sleep`` is called, recording each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    """Injected ``sleep``/``clock`` so backoff waits cost no real time."""
    return FakeTime()


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state folder, also set as ``$METASEG_STATE_DIR``."""
    folder = tmp_path / "state"
    monkeypatch.setenv("METASEG_STATE_DIR", str(folder))
    return folder
