"""Tests of metaseg/features/pipeline.py: the per-segment featurizer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_set_params,
    check_transformers_unfitted,
)

from metaseg.exceptions import ConfigError, DataError, DataQualityWarning
from metaseg.features import FeatureSpec, SegmentFeaturizer, signed_log1p


def featurize(facts, **fields):
    """Fit with the column steps that change values off, unless a test turns them on."""
    spec = {"features": ["frequency"], "dequantize": False, "max_correlation": None, **fields}
    return SegmentFeaturizer(spec=spec, segment="dormant").fit(facts)


def robust(values: np.ndarray) -> np.ndarray:
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    return (values - q50) / ((q75 - q25) / 1.3489795003921634)


# -- log1p -------------------------------------------------------------------------------


def test_auto_log1p_transforms_counts_and_money_only(facts):
    fitted = featurize(
        facts,
        features=["recency_days", "frequency", "monetary", "top_category_share", "age"],
        scaling="none",
    )
    assert fitted.log1p_features_ == ["frequency", "monetary"]
    out = fitted.transform(facts)
    np.testing.assert_allclose(out["frequency"], np.log1p(facts["frequency"]))
    np.testing.assert_allclose(out["monetary"], np.log1p(facts["monetary"]))
    np.testing.assert_allclose(out["age"], facts["age"])
    np.testing.assert_allclose(out["top_category_share"], facts["top_category_share"])


def test_listed_log1p_and_none(facts):
    listed = featurize(facts, features=["frequency", "age"], log1p=["age"], scaling="none")
    out = listed.transform(facts)
    np.testing.assert_allclose(out["age"], np.log1p(facts["age"]))
    np.testing.assert_allclose(out["frequency"], facts["frequency"])

    none = featurize(facts, features=["frequency", "monetary"], log1p="none", scaling="none")
    assert none.log1p_features_ == []
    np.testing.assert_allclose(none.transform(facts)["monetary"], facts["monetary"])


def test_log1p_is_signed_for_negative_values():
    facts = pd.DataFrame({"monetary": [-9.0, 0.0, 9.0, 99.0]})
    out = featurize(facts, features=["monetary"], scaling="none").transform(facts)
    np.testing.assert_allclose(out["monetary"], [-np.log(10.0), 0.0, np.log(10.0), np.log(100.0)])
    assert signed_log1p(facts, [])["monetary"].tolist() == facts["monetary"].tolist()


def test_log1p_of_a_categorical_column_is_a_config_error(facts):
    with pytest.raises(ConfigError) as info:
        featurize(facts, features=["frequency", "region"], log1p=["region"])
    assert "'region', a categorical column" in str(info.value)
    assert "segment 'dormant'" in str(info.value)


def test_log1p_of_a_column_not_in_features(facts):
    with pytest.raises(ConfigError, match=r"log1p lists 'monetry'.*Did you mean 'monetary'"):
        featurize(facts, features=["frequency", "monetary"], log1p=["monetry"])


# -- scaling -----------------------------------------------------------------------------


def test_robust_scaling_uses_median_and_iqr(facts):
    out = featurize(facts, features=["age", "refund_rate"], scaling="robust").transform(facts)
    np.testing.assert_allclose(out["age"], robust(facts["age"].to_numpy()))
    np.testing.assert_allclose(out["refund_rate"], robust(facts["refund_rate"].to_numpy()))


def test_standard_scaling_uses_mean_and_population_std(facts):
    out = featurize(facts, features=["age", "n_views"], scaling="standard").transform(facts)
    age = facts["age"].to_numpy()
    np.testing.assert_allclose(out["age"], (age - age.mean()) / age.std())
    views = np.log1p(facts["n_views"].to_numpy())
    np.testing.assert_allclose(out["n_views"], (views - views.mean()) / views.std())


def test_fit_on_one_segment_applies_its_statistics_to_other_rows(facts):
    segment = facts["region"] == "north"
    fitted = featurize(facts[segment], features=["age", "frequency"], scaling="robust")
    out = fitted.transform(facts[~segment])
    fit_age = facts.loc[segment, "age"].to_numpy()
    q25, q50, q75 = np.percentile(fit_age, [25, 50, 75])
    expected = (facts.loc[~segment, "age"].to_numpy() - q50) / ((q75 - q25) / 1.3489795003921634)
    np.testing.assert_allclose(out["age"], expected)
    # the other rows' own statistics would give a different result
    assert not np.allclose(out["age"], robust(facts.loc[~segment, "age"].to_numpy()))
    assert out.index.equals(facts.index[~segment])


# -- missing values ----------------------------------------------------------------------


@pytest.fixture
def with_gaps() -> pd.DataFrame:
    values = np.array([1.0, np.nan, 3.0, 10.0, np.nan, 4.0, 7.0, 2.0])
    return pd.DataFrame({"age": values, "other": np.arange(8.0)}, index=list("abcdefgh"))


def test_nan_median_imputes_the_fit_median(with_gaps):
    out = featurize(with_gaps, features=["age"], scaling="none").transform(with_gaps)
    median = np.nanmedian(with_gaps["age"])  # 3.5
    expected = with_gaps["age"].fillna(median)
    np.testing.assert_allclose(out["age"], expected)
    assert len(out) == len(with_gaps)


def standard(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def test_nan_median_then_standard_scaling(with_gaps):
    out = featurize(with_gaps, features=["age"]).transform(with_gaps)
    imputed = with_gaps["age"].fillna(np.nanmedian(with_gaps["age"])).to_numpy()
    np.testing.assert_allclose(out["age"], standard(imputed))
    robust_out = featurize(with_gaps, features=["age"], scaling="robust").transform(with_gaps)
    np.testing.assert_allclose(robust_out["age"], robust(imputed))


def test_nan_zero_fills_zero_after_log(with_gaps):
    frame = with_gaps.rename(columns={"age": "frequency"})
    fitted = featurize(frame, features=["frequency"], nan_policy="zero", scaling="none")
    expected = np.log1p(frame["frequency"].fillna(0.0))
    np.testing.assert_allclose(fitted.transform(frame)["frequency"], expected)


def test_nan_indicator_adds_an_unscaled_indicator(with_gaps):
    fitted = featurize(with_gaps, features=["age", "other"], nan_policy="indicator")
    out = fitted.transform(with_gaps)
    assert list(out.columns) == ["age", "other", "missingindicator_age"]
    np.testing.assert_array_equal(out["missingindicator_age"], with_gaps["age"].isna() * 1.0)
    imputed = with_gaps["age"].fillna(np.nanmedian(with_gaps["age"])).to_numpy()
    np.testing.assert_allclose(out["age"], standard(imputed))
    # a column missing nowhere at fit gets no indicator, even if missing later
    later = with_gaps.assign(other=[np.nan] + [1.0] * 7)
    assert list(fitted.transform(later).columns) == list(out.columns)


def test_nan_error_names_column_and_count(with_gaps):
    with pytest.raises(DataError) as info:
        featurize(with_gaps, features=["age", "other"], nan_policy="error")
    message = str(info.value)
    assert "'age': 2 of 8" in message
    assert "segment 'dormant'" in message
    assert "nan_policy" in message

    complete = with_gaps.fillna(0.0)
    fitted = featurize(complete, features=["age"], nan_policy="error")
    with pytest.raises(DataError, match=r"'age': 2 of 8"):
        fitted.transform(with_gaps)


def test_missing_categories_become_their_own_category():
    facts = pd.DataFrame({"gender": ["F", None, "M", "F", None], "age": [1.0, 2, 3, 4, 5]})
    out = featurize(facts, features=["age", "gender"]).transform(facts)
    assert list(out.columns) == ["age", "gender_F", "gender_M", "gender_nan"]
    np.testing.assert_array_equal(out["gender_nan"], [0, 1, 0, 0, 1])


# -- categoricals ------------------------------------------------------------------------


def test_one_hot_names_and_values(facts):
    fitted = featurize(facts, features=["age", "region", "channel"])
    out = fitted.transform(facts)
    expected_names = [
        "age",
        "region_east",
        "region_north",
        "region_south",
        "region_west",
        "channel_app",
        "channel_web",
    ]
    assert list(out.columns) == expected_names
    assert list(fitted.get_feature_names_out()) == expected_names
    assert fitted.categorical_features_ == ["region", "channel"]
    for region in ("east", "north", "south", "west"):
        np.testing.assert_array_equal(out[f"region_{region}"], facts["region"] == region)
    np.testing.assert_array_equal(out["channel_app"], facts["channel"] == "app")


def test_unseen_categories_are_counted_and_warned(facts):
    fitted = featurize(facts, features=["age", "region", "gender"])
    later = facts.head(20).copy()
    later.loc[later.index[:3], "region"] = "mars"
    later.loc[later.index[3], "gender"] = None  # no missing gender at fit
    assert fitted.count_unseen(later) == {"region": 3, "gender": 1}
    assert fitted.count_unseen(facts) == {}
    with pytest.warns(DataQualityWarning, match=r"'region': 3.*'gender': 1") as record:
        out = fitted.transform(later)
    assert record[0].filename == __file__  # stacklevel points at the caller
    region_columns = [c for c in out.columns if c.startswith("region_")]
    assert (out.loc[later.index[:3], region_columns] == 0).all(axis=None)
    assert len(out) == 20


def test_high_cardinality_is_dropped_recorded_and_warned(facts):
    many = facts.assign(store=[f"s{i % 15}" for i in range(len(facts))])
    with pytest.warns(DataQualityWarning, match=r"'store'.*max_categories") as record:
        fitted = featurize(many, features=["age", "store"])
    assert record[0].filename == __file__
    assert fitted.dropped_features_["store"].startswith("high cardinality: 15 categories")
    assert "store" not in fitted.input_features_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = featurize(many, features=["age", "store"], max_categories=15)
    assert kept.feature_names_out_.size == 16


# -- drops -------------------------------------------------------------------------------


def test_constant_and_near_constant_columns_are_dropped_and_recorded(facts):
    n = len(facts)
    frame = facts.assign(
        flat=7.0,
        rare=np.r_[np.ones(3), np.zeros(n - 3)],  # 99.25 % zeros
        empty=np.nan,
    )
    fitted = featurize(frame, features=["age", "flat", "rare", "empty"])
    assert fitted.input_features_ == ["age"]
    assert fitted.dropped_features_["flat"] == "constant: every row is 7.0"
    assert fitted.dropped_features_["rare"].startswith("near-constant: 99.25% of rows are 0.0")
    assert fitted.dropped_features_["empty"] == "all values missing"

    strict = featurize(frame, features=["age", "rare"], near_constant_threshold=1.0)
    assert strict.input_features_ == ["age", "rare"]
    assert strict.dropped_features_ == {}


def test_mostly_missing_column_is_near_constant(facts):
    values = np.full(len(facts), np.nan)
    values[:2] = [1.0, 2.0]
    fitted = featurize(facts.assign(sparse=values), features=["age", "sparse"])
    assert "sparse" in fitted.dropped_features_
    assert "missing" in fitted.dropped_features_["sparse"]


def test_every_feature_dropped_is_a_data_error(facts):
    frame = facts.assign(flat=1.0)
    with pytest.raises(DataError, match=r"every feature was dropped.*'flat' \(constant"):
        featurize(frame, features=["flat"])


def test_behaviour_preset_on_a_segment_without_purchases(facts):
    browsers = facts.assign(recency_days=np.nan, frequency=0, monetary=0.0, avg_order_value=np.nan)
    fitted = featurize(browsers, features="behaviour")
    assert {"recency_days", "frequency", "monetary", "avg_order_value"} <= set(
        fitted.dropped_features_
    )
    assert {"n_views", "days_since_last_event"} <= set(fitted.input_features_)


# -- errors on bad specs and data --------------------------------------------------------


def test_unknown_feature_names_segment_column_and_close_matches(facts):
    with pytest.raises(ConfigError) as info:
        featurize(facts, features=["recncy_days", "frequency"])
    message = str(info.value)
    assert "segment 'dormant'" in message
    assert "'recncy_days'" in message
    assert "Did you mean 'recency_days'?" in message
    assert "'features'" in message


def test_preset_column_absent_names_the_preset(facts):
    with pytest.raises(
        ConfigError, match=r"'carts_since_last_purchase' \(from preset 'engagement'"
    ):
        featurize(facts.drop(columns="carts_since_last_purchase"), features="engagement")


@pytest.mark.parametrize(
    ("column", "pattern"),
    [
        ("customer_id", r"customer identifier"),
        ("first_seen", r"timestamps or durations.*days_since_last_event"),
    ],
)
def test_identifiers_and_timestamps_are_refused(facts, column, pattern):
    with pytest.raises(ConfigError, match=pattern):
        featurize(facts, features=["age", column])


def test_bad_facts_are_data_errors(facts):
    with pytest.raises(DataError, match=r"must be a pandas DataFrame.*got ndarray"):
        featurize(facts.to_numpy())
    with pytest.raises(DataError, match=r"empty facts table"):
        featurize(facts.head(0))
    infinite = facts.assign(age=facts["age"].where(facts.index > 4, np.inf))
    with pytest.raises(DataError, match=r"infinite values.*'age': 5"):
        featurize(infinite, features=["age"])
    twice = pd.concat([facts[["age"]], facts[["age"]]], axis=1)
    with pytest.raises(DataError, match=r"duplicated column names \['age'\]"):
        featurize(twice, features=["age"])


def test_transform_needs_the_fitted_columns_with_their_types(facts):
    fitted = featurize(facts, features=["age", "frequency"])
    with pytest.raises(DataError, match=r"lack column\(s\) \['age'\] used at fit"):
        fitted.transform(facts.drop(columns="age"))
    with pytest.raises(DataError, match=r"'age' was numeric at fit.*'old'"):
        fitted.transform(facts.assign(age=["old"] * len(facts)))
    # a numeric column read as text still works
    as_text = facts.assign(age=facts["age"].astype("str"))
    pd.testing.assert_frame_equal(fitted.transform(as_text), fitted.transform(facts))


def test_invalid_spec_fails_in_fit_not_init(facts):
    featurizer = SegmentFeaturizer(spec={"features": "rfm", "scaling": "minmax"})
    with pytest.raises(ConfigError, match=r"scaling.*got 'minmax'"):
        featurizer.fit(facts)


# -- output and the scikit-learn contract ------------------------------------------------


def test_pandas_output_float64_indexed_like_input(facts):
    indexed = facts.set_index("customer_id", drop=False)
    fitted = SegmentFeaturizer(spec=FeatureSpec(features=["rfm", "gender"])).fit(indexed)
    out = fitted.transform(indexed)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(indexed.index)
    assert list(out.columns) == list(fitted.get_feature_names_out())
    assert list(out.columns) == list(fitted.feature_names_out_)
    assert (out.dtypes == "float64").all()
    assert np.isfinite(out.to_numpy()).all()
    assert fitted.n_features_in_ == facts.shape[1]
    assert list(fitted.feature_names_in_) == list(facts.columns)
    pd.testing.assert_frame_equal(fitted.fit_transform(indexed), out)
    assert fitted.set_output(transform="pandas") is fitted
    pd.testing.assert_frame_equal(fitted.transform(indexed), out)


def test_not_fitted_errors(facts):
    featurizer = SegmentFeaturizer(spec={"features": "rfm"})
    for call in (
        lambda: featurizer.transform(facts),
        lambda: featurizer.count_unseen(facts),
        featurizer.get_feature_names_out,
    ):
        with pytest.raises(NotFittedError):
            call()


def test_clone_refits_to_the_same_result(facts):
    fitted = featurize(facts, features=["behaviour", "region"], nan_policy="indicator")
    again = clone(fitted)
    assert not hasattr(again, "column_transformer_")
    assert again.get_params() == {"segment": "dormant", "spec": fitted.spec}
    pd.testing.assert_frame_equal(again.fit_transform(facts), fitted.transform(facts))


@pytest.mark.parametrize(
    "check",
    [
        check_estimator_cloneable,
        check_estimator_repr,
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_set_params,
        check_transformers_unfitted,
    ],
)
def test_data_independent_sklearn_checks(check):
    check("SegmentFeaturizer", SegmentFeaturizer(spec={"features": "rfm"}, segment="x"))


def test_real_customers_from_online_retail_ii(shared_data):
    events = pd.read_parquet(
        shared_data / "online_retail_ii" / "online_retail_ii.parquet",
        columns=["Invoice", "Quantity", "Price", "InvoiceDate", "Customer ID", "Country"],
    ).dropna(subset=["Customer ID"])
    events["value"] = events["Quantity"] * events["Price"]
    as_of = events["InvoiceDate"].max()
    by_customer = events.groupby("Customer ID")
    facts = pd.DataFrame(
        {
            "recency_days": (as_of - by_customer["InvoiceDate"].max()).dt.total_seconds() / 86400,
            "frequency": by_customer["Invoice"].nunique(),
            "monetary": by_customer["value"].sum(),  # negative for some: cancellations
            "country": by_customer["Country"].first(),
        }
    )
    assert (facts["monetary"] < 0).any()
    with pytest.warns(DataQualityWarning, match="'country'"):
        fitted = SegmentFeaturizer(spec={"features": ["rfm", "country"]}).fit(facts)
    out = fitted.transform(facts)
    assert out.shape == (len(facts), 3)
    assert np.isfinite(out.to_numpy()).all()
    assert "country" in fitted.dropped_features_  # ~40 countries > max_categories
    # the log spreads the skewed money values: the robust-scaled spread stays moderate
    assert out["monetary"].abs().quantile(0.99) < 10


def test_pickle_round_trip_and_input_left_untouched(facts):
    import pickle

    before = facts.copy()
    fitted = featurize(facts, features=["behaviour", "gender"], nan_policy="indicator")
    out = fitted.transform(facts)
    pd.testing.assert_frame_equal(facts, before)
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(restored.transform(facts), out)


def test_transform_selects_columns_by_name(facts):
    fitted = featurize(facts, features=["age", "frequency", "gender"])
    reordered = facts[facts.columns[::-1]].assign(extra=1.0)
    pd.testing.assert_frame_equal(fitted.transform(reordered), fitted.transform(facts))
