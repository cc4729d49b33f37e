"""Quality gates judged from logged metrics (pure: no MLflow)."""

from __future__ import annotations

import json

import pytest

from metaseg.exceptions import ConfigError
from metaseg.tracking import GateResult, QualityGates, coerce_gates, evaluate_gates
from metaseg.tracking.run_data import fit_metrics


def metrics_for(segments: dict[str, dict[str, float]], **overall: float) -> dict[str, float]:
    """Metrics named as log_fit names them."""
    out = {f"overall.{k}": v for k, v in overall.items()}
    for name, values in segments.items():
        out.update({f"segment.{name}.{k}": v for k, v in values.items()})
    return out


GOOD = metrics_for(
    {
        "dormant": {"split": 1, "n_customers": 4000, "smallest_share": 0.1, "stability": 0.8},
        "active": {"split": 1, "n_customers": 3000, "smallest_share": 0.2, "stability": 0.9},
        "other": {"split": 0, "n_customers": 3000, "smallest_share": 1.0},
    },
    n_customers=10_000,
    noise_share=0.05,
    catch_all_share=0.3,
    silhouette=0.4,
    stability_min=0.8,
)


def by_name(results: list[GateResult]) -> dict[str, GateResult]:
    return {r.name: r for r in results}


def test_default_gates_pass_a_good_segmentation() -> None:
    results = by_name(evaluate_gates(GOOD))
    assert set(results) == {
        "min_stability",
        "max_noise_share",
        "min_sub_segment_share",
        "min_sub_segment_size",
        "max_catch_all_share",
    }  # min_silhouette is off by default
    assert all(r.passed for r in results.values())
    assert results["min_stability"].value == 0.8
    # smallest machine-learned sub-segment: 10% of dormant's 4,000 customers
    assert results["min_sub_segment_size"].value == 400
    assert results["min_sub_segment_share"].value == pytest.approx(0.04)
    assert results["max_noise_share"].value == 0.05


def test_each_gate_fails_on_its_own_metric() -> None:
    bad = dict(GOOD)
    bad["segment.active.stability"] = 0.3
    bad["overall.noise_share"] = 0.35
    bad["segment.active.smallest_share"] = 0.001  # 3 customers
    bad["overall.catch_all_share"] = 0.7
    results = by_name(evaluate_gates(bad, {"min_silhouette": 0.5}))
    assert not any(r.passed for r in results.values())
    assert results["min_stability"].value == 0.3
    assert "'active' 0.300" in results["min_stability"].detail
    assert results["max_noise_share"].value == 0.35
    assert results["min_sub_segment_size"].value == 3
    assert "'active' 3" in results["min_sub_segment_size"].detail
    assert results["min_sub_segment_share"].value == pytest.approx(0.0003)
    assert results["max_catch_all_share"].value == 0.7
    assert results["min_silhouette"].value == 0.4
    assert str(results["max_noise_share"]) == "max_noise_share: 0.35 > 0.2 FAILED"
    assert str(results["min_stability"]).startswith("min_stability: 0.3 < 0.6 FAILED")


def test_thresholds_are_inclusive() -> None:
    edge = metrics_for(
        {"a": {"split": 1, "n_customers": 1000, "smallest_share": 0.05, "stability": 0.6}},
        n_customers=10_000,
        noise_share=0.2,
        catch_all_share=0.5,
    )
    results = by_name(evaluate_gates(edge))
    assert all(r.passed for r in results.values()), [str(r) for r in results.values()]
    assert results["min_sub_segment_size"].value == 50
    assert results["min_sub_segment_share"].value == pytest.approx(0.005)


def test_unmeasured_stability_fails_and_says_why() -> None:
    unmeasured = {k: v for k, v in GOOD.items() if not k.endswith("stability")}
    result = by_name(evaluate_gates(unmeasured))["min_stability"]
    assert not result.passed
    assert "stability not measured for 'active', 'dormant'" in result.detail
    assert "n_bootstrap" in result.detail
    assert "not measured" in str(result)


def test_missing_overall_metric_fails() -> None:
    missing = {k: v for k, v in GOOD.items() if k != "overall.noise_share"}
    result = by_name(evaluate_gates(missing))["max_noise_share"]
    assert not result.passed and result.value is None
    assert "overall.noise_share" in result.detail


def test_nothing_split_passes_the_per_segment_gates() -> None:
    unsplit = metrics_for(
        {"other": {"split": 0, "n_customers": 100, "smallest_share": 1.0}},
        n_customers=100,
        noise_share=0.0,
        catch_all_share=0.2,
    )
    results = by_name(evaluate_gates(unsplit))
    for name in ("min_stability", "min_sub_segment_size", "min_sub_segment_share"):
        assert results[name].passed and results[name].value is None
        assert results[name].detail == "no base segment is split"


def test_none_switches_a_gate_off() -> None:
    bad = dict(GOOD, **{"overall.noise_share": 0.9})
    results = by_name(evaluate_gates(bad, QualityGates(max_noise_share=None)))
    assert "max_noise_share" not in results
    assert all(r.passed for r in results.values())


def test_gate_verdict_as_a_tag_is_json() -> None:
    result = by_name(evaluate_gates(GOOD))["max_noise_share"]
    tag = json.loads(result.to_tag())
    assert tag == {"value": 0.05, "op": "<=", "threshold": 0.2, "passed": True, "detail": ""}


def test_gates_of_a_real_fit(model_a) -> None:
    results = by_name(evaluate_gates(fit_metrics(model_a)))
    split = model_a.metrics_[model_a.metrics_["split"]]
    assert results["min_stability"].value == pytest.approx(split["stability"].min())
    assert results["min_sub_segment_size"].value == (
        (split["smallest_share"] * split["n_customers"]).round().min()
    )
    assert results["max_noise_share"].value == pytest.approx(
        model_a.overall_metrics_["noise_share"]
    )


@pytest.mark.parametrize(
    ("gates", "match"),
    [
        ({"min_stabilty": 0.5}, "min_stabilty"),
        ({"max_noise_share": 1.5}, "max_noise_share"),
        ({"min_sub_segment_size": -1}, "min_sub_segment_size"),
        ([0.5], "mapping"),
    ],
)
def test_bad_gates_are_config_errors(gates, match) -> None:
    with pytest.raises(ConfigError, match=match):
        coerce_gates(gates)


def test_gates_from_a_config_mapping() -> None:
    gates = coerce_gates({"min_stability": 0.7, "min_sub_segment_size": None})
    assert gates.min_stability == 0.7
    assert gates.min_sub_segment_size is None
    assert gates.max_noise_share == 0.2  # default kept
