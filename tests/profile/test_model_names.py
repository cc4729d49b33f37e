"""Every claim of every name of a fitted model holds, on the synthetic shop and real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.profile import verify_names

SEPARATOR = " · "


def assert_names_hold(model) -> None:
    """verify_names finds nothing, with the model's user names left to the user."""
    violations = verify_names(model.profiles_, model.summary_, names=model.spec_.names)
    assert violations.empty, violations[["segment", "segment_name", "claim", "problem"]].to_string()


def assert_profile_matches_labels(facts: pd.DataFrame, model) -> None:
    """The profile the names were checked on describes the model's own labels.

    Medians, missing shares and median bounds are recomputed from the facts and
    ``model.labels_``, independently of metaseg.profile.
    """
    labels = model.labels_.set_index("customer_id")
    frame = facts.set_index("customer_id").join(labels[["base_segment", "segment"]])
    for row in model.profiles_.itertuples(index=False):
        parent = frame.loc[frame["base_segment"] == row.base_segment, row.feature]
        mine = frame.loc[frame["segment"] == row.segment, row.feature].to_numpy("float64")
        missing = np.isnan(mine)
        assert row.missing_share == pytest.approx(missing.mean()), row
        assert row.parent_missing_share == pytest.approx(parent.isna().mean()), row
        assert row.parent_median == pytest.approx(parent.median(), nan_ok=True), row
        for bound, fill in ((row.median_lower, -np.inf), (row.median_upper, np.inf)):
            whole = np.median(np.where(missing, fill, mine))
            assert bound == pytest.approx(whole if np.isfinite(whole) else np.nan, nan_ok=True)


def automatic_names(model) -> pd.Series:
    """The names metaseg chose (user names left out), by segment code."""
    names = model.summary_.set_index("segment")["segment_name"]
    return names.drop(list(model.spec_.names or {}), errors="ignore")


def assert_unique_and_one_shape(model) -> None:
    summary = model.summary_
    assert not summary.duplicated(["base_segment", "segment_name"]).any()
    bases = summary.set_index("segment")["base_segment"]
    for code, name in automatic_names(model).items():
        assert name.startswith(bases[code] + SEPARATOR), name


def test_synthetic_shop_names_agree_with_the_numbers(shop_fit):
    facts, model = shop_fit
    assert_names_hold(model)
    assert_unique_and_one_shape(model)
    assert_profile_matches_labels(facts, model)
    named = automatic_names(model)
    with_traits = ~named.str.endswith((SEPARATOR + "typical", SEPARATOR + "unassigned"))
    assert with_traits.mean() > 0.5, named.tolist()  # the check is not met by saying nothing


def test_shop_config_with_user_names_and_noise(shop_model, density_model, user_names):
    for model in (shop_model, density_model):
        assert_names_hold(model)
        assert_unique_and_one_shape(model)
    names = shop_model.summary_.set_index("segment")["segment_name"]
    assert names[list(user_names)].tolist() == list(user_names.values())
    noise = density_model.summary_.query("sub_segment == -1")["segment_name"]
    assert noise.str.endswith(SEPARATOR + "unassigned").all()


def test_online_retail_names_agree_with_the_numbers(online_retail_fit):
    facts, model = online_retail_fit
    assert_names_hold(model)
    assert_unique_and_one_shape(model)
    assert_profile_matches_labels(facts, model)
    profiles = model.profiles_.set_index(["segment", "feature"])
    names = model.summary_.set_index("segment")["segment_name"]
    # most one-order customers have no gap between orders: the featurizer drops the fact
    # where it is mostly missing, and no name claims a repeater trait on a minority
    dropped = model.segments_["hibernating"].featurizer.dropped_features_
    assert dropped["mean_days_between_orders"].startswith("mostly missing: 69.41%")
    gaps = profiles.xs("mean_days_between_orders", level="feature")
    for code in gaps.index[gaps["missing_share"] > 0.5]:
        assert "repeaters" not in names[code], names[code]
