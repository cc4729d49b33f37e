"""Tests of the featurizer's column steps: missing-share and redundancy drops,
dequantised counts, and scales that are comparable whatever the missing share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaseg.features import SegmentFeaturizer
from metaseg.features._transforms import (
    NORMAL_IQR,
    RobustUnitScaler,
    dequantize_offsets,
    id_hashes,
    redundant_columns,
)


def _facts(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frequency = rng.poisson(3.0, n)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "frequency": frequency,
            "n_views": rng.poisson(8.0, n),
            "avg_order_value": rng.lognormal(3.0, 0.5, n),
            "monetary": frequency * 40.0,  # a function of frequency: redundant
            "mean_days_between_orders": np.where(rng.random(n) < 0.7, np.nan, rng.gamma(2, 30, n)),
        }
    )


def test_mostly_missing_numeric_columns_are_dropped_and_recorded() -> None:
    facts = _facts()
    fitted = SegmentFeaturizer(
        spec={"features": ["frequency", "mean_days_between_orders"]}, segment="hibernating"
    ).fit(facts)
    reason = fitted.dropped_features_["mean_days_between_orders"]
    assert reason.startswith("mostly missing: ")
    assert "max_missing_share=0.5" in reason
    assert fitted.input_features_ == ["frequency"]
    kept = SegmentFeaturizer(
        spec={"features": ["frequency", "mean_days_between_orders"], "max_missing_share": 1.0}
    ).fit(facts)
    assert "mean_days_between_orders" in kept.input_features_


def test_redundant_columns_are_dropped_naming_their_partner() -> None:
    facts = _facts()
    spec = {"features": ["frequency", "monetary", "n_views"]}
    fitted = SegmentFeaturizer(spec=spec).fit(facts)
    assert fitted.dropped_features_ == {
        "monetary": "redundant: Spearman correlation 1.00 with 'frequency' (max_correlation=0.95)"
    }
    assert fitted.input_features_ == ["frequency", "n_views"]
    both = SegmentFeaturizer(spec={**spec, "max_correlation": None}).fit(facts)
    assert both.input_features_ == ["frequency", "monetary", "n_views"]


def test_redundancy_uses_ranks_and_keeps_the_first_of_a_pair() -> None:
    x = np.arange(1.0, 101.0)
    frame = pd.DataFrame({"a": x, "b": np.exp(x / 10), "c": -x, "d": np.sin(x)})
    reasons = redundant_columns(frame, ["a", "b", "c", "d"], threshold=0.95)
    assert set(reasons) == {"b", "c"}
    assert "with 'a'" in reasons["b"] and "with 'a'" in reasons["c"]


def test_dequantised_counts_are_fixed_per_customer_in_any_order_or_batch() -> None:
    facts = _facts()
    featurizer = SegmentFeaturizer(spec={"features": ["frequency", "avg_order_value"]}).fit(facts)
    assert featurizer.dequantized_features_ == ["frequency"]  # money is not a count
    out = featurizer.transform(facts)
    shuffled = facts.sample(frac=1.0, random_state=1)
    again = featurizer.transform(shuffled).loc[facts.index]
    pd.testing.assert_frame_equal(out, again)
    halves = pd.concat(
        [featurizer.transform(facts.iloc[:150]), featurizer.transform(facts.iloc[150:])]
    )
    pd.testing.assert_frame_equal(out, halves)
    # equal counts are spread apart: no stacked points left
    ones = facts["frequency"] == 1
    assert out.loc[ones, "frequency"].nunique() == int(ones.sum())
    # the order of the counts is kept: x + offset stays in [x, x + 1)
    raw = np.log1p(facts["frequency"] + dequantize_offsets(facts["customer_id"], "frequency"))
    raw = raw.to_numpy()
    np.testing.assert_allclose(out["frequency"], (raw - raw.mean()) / raw.std())


def test_dequantize_offsets_depend_on_the_id_text_and_the_column() -> None:
    ids = pd.Series([1, 2, 3])
    offsets = dequantize_offsets(ids, "frequency")
    np.testing.assert_array_equal(offsets, dequantize_offsets(ids.astype(str), "frequency"))
    assert not np.array_equal(offsets, dequantize_offsets(ids, "n_views"))
    spread = dequantize_offsets(np.arange(20_000), "frequency")
    assert spread.min() >= 0.0 and spread.max() < 1.0
    assert abs(spread.mean() - 0.5) < 0.01 and abs(spread.std() - (1 / 12) ** 0.5) < 0.01


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64", "int8"])
def test_integer_ids_hash_as_their_text_whatever_the_integer_type(dtype) -> None:
    ids = np.array([0, 1, 7, 100, 127], dtype=dtype)
    if np.dtype(dtype).kind == "i":
        ids = np.append(ids, np.array([-1, -128], dtype=dtype))
    if np.dtype(dtype).itemsize == 8:
        ids = np.append(ids, np.array([2**62 + 12345], dtype=dtype))
    as_text = [str(int(i)) for i in ids]
    np.testing.assert_array_equal(id_hashes(ids), id_hashes(as_text))
    np.testing.assert_array_equal(id_hashes(pd.Series(ids)), id_hashes(ids.astype(object)))


def test_robust_scaler_falls_back_to_the_standard_deviation_when_iqr_is_zero() -> None:
    imputed = np.array([5.0] * 70 + list(np.linspace(-100, 400, 30)))
    X = np.column_stack([imputed, np.arange(100.0), np.full(100, 3.0)])
    scaler = RobustUnitScaler().fit(X)
    assert scaler.scale_[0] == pytest.approx(imputed.std())
    q25, q75 = np.percentile(X[:, 1], [25, 75])
    assert scaler.scale_[1] == pytest.approx((q75 - q25) / NORMAL_IQR)
    assert scaler.scale_[2] == 1.0  # constant: left centred, not divided by zero
    out = scaler.transform(X)
    assert out[:, 0].std() == pytest.approx(1.0)
    assert scaler.get_feature_names_out().tolist() == ["x0", "x1", "x2"]


@st.composite
def _random_facts(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(40, 300))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    columns = {"customer_id": np.arange(n)}
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["count", "money", "duration", "constant", "rare"]))
        if kind == "count":
            values = rng.poisson(draw(st.floats(0.2, 30.0)), n).astype(float)
        elif kind == "money":
            values = rng.lognormal(draw(st.floats(0.0, 6.0)), draw(st.floats(0.05, 2.0)), n)
        elif kind == "duration":
            values = rng.uniform(0, draw(st.floats(1.0, 700.0)), n)
        elif kind == "constant":
            values = np.full(n, 7.0)
        else:  # one distinct value but a handful of others
            values = np.where(rng.random(n) < 0.9, 2.0, rng.normal(50, 20, n))
        missing = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.45, 0.7, 0.95]))
        values[missing] = np.nan
        columns[f"n_col{i}" if kind == "count" else f"fact{i}"] = values
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None)
@given(facts=_random_facts(), scaling=st.sampled_from(["standard", "robust"]))
def test_every_transformed_column_ends_on_a_comparable_scale(facts, scaling) -> None:
    names = [c for c in facts.columns if c != "customer_id"]
    featurizer = SegmentFeaturizer(
        spec={"features": names, "scaling": scaling, "near_constant_threshold": 1.0}
    )
    try:
        out = featurizer.fit_transform(facts)
    except Exception as error:  # every column may be dropped: that must be said clearly
        assert "every feature was dropped" in str(error)
        return
    # whatever is kept: nothing lost, nothing left in raw units
    assert len(out) == len(facts)
    assert set(featurizer.input_features_) | set(featurizer.dropped_features_) == set(names)
    for name in featurizer.input_features_:
        values = out[name].to_numpy()
        assert np.isfinite(values).all()
        if np.ptp(values) == 0:
            continue
        if scaling == "standard":
            assert values.std() == pytest.approx(1.0)
        else:
            q25, q75 = np.percentile(values, [25, 75])
            spread = (q75 - q25) / NORMAL_IQR
            assert spread == pytest.approx(1.0) or (
                spread == 0 and values.std() == pytest.approx(1.0)
            )
