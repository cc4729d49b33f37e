"""Real MLflow stores for the tracking tests: a temporary sqlite store with two logged
fits, and an ``mlflow server`` on 127.0.0.1 (started early, in the background, because
it takes a while to boot). Everything is created once per session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from metaseg.data.report import DataReport
from metaseg.datasets import make_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.plots import save_all
from metaseg.report import write_report

REPO = Path(__file__).resolve().parents[2]
SHOP_CONFIG = REPO / "configs" / "shop.yaml"
SERVER_BOOT_TIMEOUT = 180.0


@pytest.fixture(scope="session", autouse=True)
def _single_thread_kernels() -> Iterator[None]:
    """One BLAS/OpenMP thread: the machine is small and shared."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_default_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point MLflow's default at a temporary store, so that no test can create
    ./mlflow.db or ./mlruns in the repository by accident (tests pass tracking_uri)."""
    guard = tmp_path_factory.mktemp("guard")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{guard / 'guard.db'}")
        yield


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ data and models
@pytest.fixture(scope="session")
def shop_facts() -> pd.DataFrame:
    customers, events, _ = make_shop(n_customers=800, seed=1)
    return compute_facts(events, customers)


@pytest.fixture(scope="session")
def model_a(shop_facts: pd.DataFrame) -> MetaSegmenter:
    """Lifecycle rules, k-means with k in [2, 4], stability measured."""
    return MetaSegmenter(
        n_bootstrap=1,
        stability_sample_size=50,
        min_segment_size=60,
        default={"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 4}},
        random_state=0,
    ).fit(shop_facts)


@pytest.fixture(scope="session")
def model_b(shop_facts: pd.DataFrame) -> MetaSegmenter:
    """Same rules, another clustering (basket features, HDBSCAN in one segment), no
    stability."""
    return MetaSegmenter(
        n_bootstrap=0,
        min_segment_size=60,
        default={
            "algorithm": "kmeans",
            "features": {"features": "basket"},
            "params": {"k_min": 2, "k_max": 3},
        },
        segments={"dormant": {"algorithm": "hdbscan", "params": {"min_cluster_size": 15}}},
        random_state=1,
    ).fit(shop_facts)


@pytest.fixture(scope="session")
def data_report() -> DataReport:
    report = DataReport()
    report.add("validate_events", "dropped", "null customer_id", rows=3, column="customer_id")
    return report


# ------------------------------------------------------------------ sqlite store
@dataclass
class Store:
    """A temporary sqlite store with two fits logged and registered as ``shop`` v1, v2."""

    root: Path
    uri: str
    run_a: Any
    run_b: Any


@pytest.fixture(scope="session")
def store(
    tmp_path_factory: pytest.TempPathFactory,
    shop_facts: pd.DataFrame,
    model_a: MetaSegmenter,
    model_b: MetaSegmenter,
    data_report: DataReport,
) -> Store:
    from metaseg.tracking import log_fit

    root = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    run_a = log_fit(
        model_a,
        shop_facts,
        experiment="shop-exp",
        run_name="fit-a",
        register="shop",
        tracking_uri=uri,
        config=SHOP_CONFIG,
        data_report=data_report,
        events_digest="events-sha-123",
        artifacts_dir=root / "out-a",
        tags={"team": "crm"},
        plots=save_all,
        report=write_report,
    )
    run_b = log_fit(
        model_b,
        shop_facts,
        experiment="shop-exp",
        run_name="fit-b",
        register="shop",
        tracking_uri=uri,
        artifacts_dir=root / "out-b",
    )
    return Store(root, uri, run_a, run_b)


def client_for(uri: str) -> Any:
    import mlflow

    return mlflow.MlflowClient(tracking_uri=uri)


# ------------------------------------------------------------------ mlflow server
@dataclass
class Server:
    url: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session", autouse=True)
def _server_boot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server | None]:
    """Start ``mlflow server`` at the beginning of the session when a selected test
    needs it, so that it boots while other tests run; stop it (its whole process
    group) at the end."""
    if not any("tracking_server" in item.fixturenames for item in request.session.items):
        yield None
        return
    root = tmp_path_factory.mktemp("server")
    port = free_port()
    log = root / "server.log"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{root / 'server.db'}",
        "--artifacts-destination",
        str(root / "artifacts"),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Server(f"http://127.0.0.1:{port}", root, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def tracking_server(_server_boot: Server | None) -> Server:
    """The running server (waits for ``/health``)."""
    assert _server_boot is not None
    server = _server_boot
    deadline = time.monotonic() + SERVER_BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"mlflow server exited early:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"mlflow server did not answer within {SERVER_BOOT_TIMEOUT:.0f} s")
