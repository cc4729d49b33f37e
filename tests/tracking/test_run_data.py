"""Params, metrics and tags computed from a fitted model (pure)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from metaseg.tracking.names import safe_key, segment_key, split_segment_key
from metaseg.tracking.run_data import (
    MAX_PARAM_LENGTH,
    fit_metrics,
    fit_params,
    fit_tags,
    flatten_params,
)


def test_flatten_nested_mappings_with_dotted_keys() -> None:
    flat = flatten_params(
        {
            "segments": {"dormant": {"algorithm": "hdbscan", "params": {"min_cluster_size": 30}}},
            "windows": [7, 30],
            "names": {},
            "random_state": None,
            "log1p": True,
        }
    )
    assert flat == {
        "segments.dormant.algorithm": "hdbscan",
        "segments.dormant.params.min_cluster_size": "30",
        "windows": "[7, 30]",
        "names": "{}",
        "random_state": "None",
        "log1p": "True",
    }


def test_lists_are_json() -> None:
    flat = flatten_params({"features": ["frequency", "avg_order_value"]})
    assert json.loads(flat["features"]) == ["frequency", "avg_order_value"]


def test_long_values_are_cut_to_the_limit_and_say_so() -> None:
    flat = flatten_params({"rules": {"segments": ["x" * 50] * 500}})
    value = flat["rules.segments"]
    assert len(value) == MAX_PARAM_LENGTH
    assert value.endswith("(truncated; the full value is in config/segmentation.yaml)")


def test_keys_lose_characters_mlflow_refuses() -> None:
    flat = flatten_params({"names": {"dormant/0": "Whales (EU)", "a:b": "x"}})
    assert set(flat) == {"names.dormant_0", "names.a_b"}
    assert flat["names.dormant_0"] == "Whales (EU)"


def test_segment_keys_round_trip() -> None:
    for name in ("dormant", "vip.gold", "big spenders"):
        assert split_segment_key(segment_key(name, "stability")) == (name, "stability")
    assert split_segment_key(segment_key("a/b", "k")) == (safe_key("a/b"), "k")
    assert split_segment_key("overall.noise_share") is None
    assert split_segment_key("segment.") is None


def test_params_of_a_fitted_model(model_b) -> None:
    params = fit_params(model_b)
    assert params["segments.dormant.algorithm"] == "hdbscan"
    assert params["segments.dormant.params.min_cluster_size"] == "15"
    assert params["default.features.features"] == "basket"
    assert params["random_state"] == "1"


def test_metrics_of_a_fitted_model(model_b) -> None:
    metrics = fit_metrics(model_b)
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())
    expected_overall = {k for k, v in model_b.overall_metrics_.items() if np.isfinite(v)}
    assert {k.removeprefix("overall.") for k in metrics if k.startswith("overall.")} == (
        expected_overall
    )
    for segment, row in model_b.metrics_.iterrows():
        assert metrics[f"segment.{segment}.n_customers"] == row["n_customers"]
        if np.isfinite(row["k"]):
            assert metrics[f"segment.{segment}.k"] == row["k"]
        else:
            assert f"segment.{segment}.k" not in metrics
    assert metrics["segment.dormant.split"] in (0.0, 1.0)


def test_tags_of_a_fitted_model(model_b, shop_facts) -> None:
    tags = fit_tags(model_b)
    assert tags["metaseg.algorithm.dormant"] == model_b.metrics_.loc["dormant", "algorithm"]
    assert tags["metaseg.n_customers"] == str(len(shop_facts))
    assert tags["metaseg.as_of"].startswith(str(pd.Timestamp(shop_facts.attrs["as_of"]).date()))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "kmeans", None])
def test_non_numeric_or_nan_metrics_are_left_out(value) -> None:
    import pandas as pd

    class Fitted:
        overall_metrics_ = {"x": value}
        metrics_ = pd.DataFrame(index=pd.Index([], name="base_segment"))

    assert fit_metrics(Fitted()) == {}
