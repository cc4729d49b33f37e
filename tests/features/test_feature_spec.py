"""Tests of metaseg/features/spec.py: the typed feature configuration."""

from __future__ import annotations

import pytest

from metaseg._yaml import load_yaml
from metaseg.exceptions import ConfigError
from metaseg.features.spec import FeatureSpec, coerce_spec


def test_defaults():
    spec = FeatureSpec(features="rfm")
    assert (spec.log1p, spec.scaling, spec.nan_policy) == ("auto", "standard", "median")
    assert (spec.max_missing_share, spec.max_correlation, spec.dequantize) == (0.5, 0.95, True)
    assert spec.max_categories == 10
    assert spec.near_constant_threshold == pytest.approx(0.99)


def test_spec_from_yaml_text():
    spec = coerce_spec(
        load_yaml(
            "features: [basket, age]\nlog1p: none\nscaling: standard\nnan_policy: indicator\n"
        )
    )
    assert spec.log1p is None
    assert spec.feature_names() == [
        "frequency",
        "avg_order_value",
        "n_categories",
        "top_category_share",
        "age",
    ]
    assert spec.feature_origin()["frequency"] == "basket"


def test_unknown_preset_suggests_the_close_one():
    with pytest.raises(ConfigError) as info:
        coerce_spec({"features": "rmf"}, what="feature spec of segment 'dormant'")
    message = str(info.value)
    assert "segment 'dormant'" in message
    assert "'rmf' is not a preset" in message
    assert "Did you mean 'rfm'?" in message
    assert "['rmf']" in message  # how to give a single column


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"features": "rfm", "scaling": "minmax"}, "scaling"),
        ({"features": "rfm", "nan_policy": "drop"}, "nan_policy"),
        ({"features": "rfm", "max_categories": 1}, "max_categories"),
        ({"features": "rfm", "near_constant_threshold": 1.5}, "near_constant_threshold"),
        ({"features": "rfm", "near_constant_threshold": 0.3}, "near_constant_threshold"),
        ({"features": []}, "features"),
        ({"features": ["frequency", " "]}, "features"),
        ({"features": "rfm", "log1p": "sometimes"}, "log1p"),
        ({"features": "rfm", "scalling": "robust"}, "scalling"),
        ({"scaling": "robust"}, "features"),
    ],
)
def test_invalid_fields_are_named(fields, where):
    with pytest.raises(ConfigError) as info:
        coerce_spec(fields)
    message = str(info.value)
    assert message.startswith("feature spec is invalid")
    assert f"  - {where}" in message


def test_bad_value_is_shown():
    with pytest.raises(ConfigError, match=r"got 'minmax'"):
        coerce_spec({"features": "rfm", "scaling": "minmax"})


def test_coerce_spec_refuses_other_types():
    with pytest.raises(ConfigError, match=r"must be a FeatureSpec or a mapping.*got list"):
        coerce_spec(["rfm"])


def test_spec_is_immutable_and_passed_through():
    spec = FeatureSpec(features=["frequency"])
    assert coerce_spec(spec) is spec
    with pytest.raises(ValueError, match="frozen"):
        spec.scaling = "none"
