"""Tracking URI resolution, reachability probes and the bounded MLflow session."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from metaseg.exceptions import ConfigError, TrackingError
from metaseg.tracking import resolve_tracking_uri
from metaseg.tracking.store import probe, tracking_session

from .conftest import free_port

ENV_KEYS = (
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
    "MLFLOW_TRACKING_URI",
)


def test_argument_wins_then_environment_then_config(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1234")
    config = {"tracking": {"tracking_uri": "http://config:5000"}}
    assert resolve_tracking_uri("http://arg:5000", config) == "http://arg:5000"
    assert resolve_tracking_uri(None, config) == "http://127.0.0.1:1234"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert resolve_tracking_uri(None, config) == "http://config:5000"


def test_config_object_with_a_tracking_section(monkeypatch) -> None:
    from metaseg.config import load_config

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = load_config({"tracking": {"tracking_uri": "http://config-object:5000"}})
    assert resolve_tracking_uri(None, config) == "http://config-object:5000"


def test_default_is_mlflows_sqlite_file_in_the_working_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    expected = f"sqlite:///{Path.cwd() / 'mlflow.db'}"
    assert resolve_tracking_uri() == expected
    assert (
        resolve_tracking_uri("sqlite:///sub/db.sqlite")
        == f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}"
    )
    assert not (tmp_path / "mlflow.db").exists()  # resolving creates nothing


@pytest.mark.parametrize("bad", ["", "   ", 42])
def test_bad_uri_is_a_config_error(bad) -> None:
    with pytest.raises(ConfigError, match="tracking_uri"):
        resolve_tracking_uri(bad)


def test_probe_sqlite_in_a_missing_folder(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'missing' / 'mlflow.db'}"
    with pytest.raises(TrackingError, match="does not exist") as caught:
        probe(uri)
    assert str(tmp_path / "missing") in str(caught.value)
    probe(f"sqlite:///{tmp_path / 'mlflow.db'}")  # an existing folder is fine


def test_probe_closed_port_fails_fast_with_the_uri() -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError) as caught:
        probe(uri, timeout=1, max_retries=1, backoff=0)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert uri in message
    assert "unreachable" in message and "2 attempt(s)" in message


def test_probe_silent_server_fails_within_the_timeout() -> None:
    """A server that accepts connections but never answers (e.g. a hung proxy)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept_and_hold() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept_and_hold, daemon=True)
        thread.start()
        uri = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        try:
            with pytest.raises(TrackingError, match="unreachable"):
                probe(uri, timeout=1, max_retries=1, backoff=0)
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            thread.join(timeout=5)
            for conn in held:
                conn.close()
    assert 1.5 <= elapsed < 10


def test_session_bounds_requests_and_restores_settings(monkeypatch) -> None:
    import mlflow

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "77")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before_uri = mlflow.get_tracking_uri()
    uri = f"http://127.0.0.1:{free_port()}"  # nothing is contacted: no request is made
    with tracking_session(uri, timeout=2.5, max_retries=1, backoff=0) as client:
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "3"
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "1"
        assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == "0"
        assert mlflow.get_tracking_uri() == uri
        assert client.tracking_uri == uri
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "77"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert mlflow.get_tracking_uri() == before_uri


def test_session_restores_settings_after_an_error() -> None:
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    with pytest.raises(RuntimeError), tracking_session(f"http://127.0.0.1:{free_port()}"):
        raise RuntimeError("boom")
    assert {k: os.environ.get(k) for k in ENV_KEYS} == saved


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"backoff": 0.5}, "whole number"),
    ],
)
def test_session_refuses_bad_bounds(tmp_path, kwargs, match) -> None:
    with (
        pytest.raises(ConfigError, match=match),
        tracking_session(f"sqlite:///{tmp_path / 'x.db'}", **kwargs),
    ):
        pass


def test_importing_the_package_does_not_import_mlflow() -> None:
    import subprocess
    import sys

    code = "import sys, metaseg.tracking; print('mlflow' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"
