"""Logging through a real ``mlflow server`` over HTTP, and failing fast when none answers."""

from __future__ import annotations

import copy
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import joblib
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import TrackingError
from metaseg.tracking import (
    QualityGates,
    compare,
    label_agreement,
    load_champion,
    log_fit,
    promote,
)
from metaseg.tracking.names import LABELS_PATH, LOCAL_MODEL_PATH, PROFILES_PARQUET_PATH

from .conftest import free_port

#: A closed port must fail well within this many seconds.
BOUND_S = 30


def test_unreachable_server_fails_fast_and_keeps_the_outputs(model_b, shop_facts, tmp_path):
    uri = f"http://127.0.0.1:{free_port()}"
    folder = tmp_path / "out"
    started = time.monotonic()
    with pytest.raises(TrackingError) as caught:
        log_fit(
            model_b,
            shop_facts,
            tracking_uri=uri,
            artifacts_dir=folder,
            timeout=2,
            max_retries=1,
        )
    assert time.monotonic() - started < BOUND_S
    message = str(caught.value)
    assert uri in message
    assert str(folder.resolve()) in message
    assert "Nothing is lost" in message
    labels = pd.read_parquet(folder / LABELS_PATH)
    assert labels[schema.SEGMENT].tolist() == model_b.labels_[schema.SEGMENT].tolist()
    profiles = pd.read_parquet(folder / PROFILES_PARQUET_PATH)
    assert len(profiles) == len(model_b.profiles_)
    again = joblib.load(folder / LOCAL_MODEL_PATH).predict(shop_facts)
    assert again[schema.SEGMENT].tolist() == model_b.labels_[schema.SEGMENT].tolist()


def test_default_output_folder_is_timestamped_under_the_working_directory(
    model_b, shop_facts, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingError) as caught:
        log_fit(model_b, shop_facts, tracking_uri=uri, timeout=1, max_retries=0)
    folders = list((tmp_path / "metaseg_output").iterdir())
    assert len(folders) == 1
    assert folders[0].name.endswith("Z") and folders[0].name[:8].isdigit()
    assert (folders[0] / LABELS_PATH).is_file()
    assert str(folders[0]) in str(caught.value)


class _HealthyButBroken(BaseHTTPRequestHandler):
    """Answers the health probe, then fails every MLflow API call with 503."""

    def do_GET(self) -> None:
        self._answer(200 if self.path == "/health" else 503)

    def do_POST(self) -> None:
        self._answer(503)

    def _answer(self, status: int) -> None:
        body = b"OK" if status == 200 else b"unavailable"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_server_failing_after_the_probe_is_bounded_too(model_b, shop_facts, tmp_path):
    """The probe passes but every request fails: MLflow's own retries are bounded."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HealthyButBroken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    started = time.monotonic()
    try:
        with pytest.raises(TrackingError, match="Could not log the fit") as caught:
            log_fit(
                copy.deepcopy(model_b),
                shop_facts,
                tracking_uri=uri,
                artifacts_dir=tmp_path / "out",
                timeout=2,
                max_retries=1,
            )
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert elapsed < BOUND_S
    assert uri in str(caught.value)
    assert str((tmp_path / "out").resolve()) in str(caught.value)
    assert (tmp_path / "out" / LABELS_PATH).is_file()


@pytest.fixture(scope="module")
def http_run(tracking_server, model_b, shop_facts, tmp_path_factory):
    """model_b logged and registered through the server (a copy: the session model keeps
    its own run id)."""
    return log_fit(
        copy.deepcopy(model_b),
        shop_facts,
        experiment="http-exp",
        register="shop-http",
        tracking_uri=tracking_server.url,
        artifacts_dir=tmp_path_factory.mktemp("http-out"),
    )


def test_log_promote_and_load_over_http(tracking_server, http_run, model_b, shop_facts):
    assert http_run.tracking_uri == tracking_server.url
    assert http_run.registered_version == "1"
    # the artifacts went through the server to its artifact destination
    stored = list((tracking_server.root / "artifacts").rglob("labels.parquet"))
    assert len(stored) == 1
    served = pd.read_parquet(stored[0])
    assert set(served[schema.RUN_ID]) == {http_run.run_id}
    assert list((tracking_server.root / "artifacts").rglob("segmenter.joblib"))

    result = promote(
        "shop-http",
        http_run.registered_version,
        gates=QualityGates(
            min_stability=None, min_sub_segment_size=None, min_sub_segment_share=None
        ),
        tracking_uri=tracking_server.url,
    )
    assert result.model_sha256 == http_run.model_sha256

    champion = load_champion("shop-http", tracking_uri=tracking_server.url)
    labels = champion.predict(shop_facts)
    assert labels[schema.SEGMENT].tolist() == model_b.labels_[schema.SEGMENT].tolist()
    assert set(labels[schema.MODEL_VERSION]) == {"1"}
    # the registered model is the scoring copy; its training labels come through the server
    assert not hasattr(champion.model, "labels_")
    pd.testing.assert_frame_equal(champion.training_labels(), model_b.labels_)


def test_pyfunc_compare_and_agreement_over_http(
    tracking_server, http_run, model_b, shop_facts, tmp_path, monkeypatch
):
    import mlflow

    second = log_fit(
        copy.deepcopy(model_b),
        shop_facts,
        experiment="http-exp",
        tracking_uri=tracking_server.url,
        artifacts_dir=tmp_path / "two",
    )
    table = compare("http-exp", tracking_uri=tracking_server.url)
    assert table["run_id"].tolist() == [http_run.run_id, second.run_id]
    agreement = label_agreement(http_run, second, tracking_uri=tracking_server.url)
    assert agreement.n_common == len(shop_facts)
    assert agreement.adjusted_rand == pytest.approx(1.0)  # same model, same customers
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server.url)
    loaded = mlflow.pyfunc.load_model("models:/shop-http/1")
    got = loaded.predict(shop_facts[model_b.feature_columns_])
    assert got[schema.SEGMENT].tolist() == model_b.labels_[schema.SEGMENT].tolist()
    assert set(got[schema.RUN_ID]) == {http_run.run_id}
    # loaded through the registry: the labels name the registered version
    assert set(got[schema.MODEL_VERSION]) == {"1"}
    assert set(got[schema.MODEL_NAME]) == {"shop-http"}
