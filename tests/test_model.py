"""MetaSegmenter: rules, then sub-segments per base segment, on the synthetic shop."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from metaseg import schema
from metaseg._yaml import load_yaml
from metaseg.datasets import make_shop
from metaseg.exceptions import ClusteringWarning, ConfigError, DataError
from metaseg.facts import compute_facts
from metaseg.model import SEGMENT_METRICS, MetaSegmenter

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def shop():
    customers, events, truth = make_shop(n_customers=8_000, seed=3)
    facts = compute_facts(events, customers)
    return facts, truth


@pytest.fixture(scope="module")
def shop_spec() -> dict:
    spec = load_yaml(CONFIGS / "shop.yaml")["segmentation"]
    return {**spec, "n_bootstrap": 2}


@pytest.fixture(scope="module")
def fitted(shop, shop_spec):
    facts, _ = shop
    return MetaSegmenter.from_config(shop_spec).fit(facts)


def _joined(labels: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    return labels.merge(truth, on=schema.CUSTOMER_ID, validate="one_to_one")


def test_labels_table_has_the_standard_columns_and_one_row_per_customer(fitted, shop):
    facts, _ = shop
    labels = fitted.labels_
    assert list(labels.columns) == list(schema.LABEL_COLUMNS)
    assert len(labels) == len(facts)
    assert labels[schema.CUSTOMER_ID].tolist() == facts[schema.CUSTOMER_ID].tolist()
    expected_codes = labels[schema.BASE_SEGMENT] + "/" + labels[schema.SUB_SEGMENT].astype(str)
    assert (labels[schema.SEGMENT] == expected_codes).all()
    assert labels[schema.AS_OF].iloc[0] == pd.Timestamp(facts.attrs["as_of"])


def test_sub_segments_recover_planted_personas_inside_each_situation(fitted, shop):
    _, truth = shop
    joined = _joined(fitted.labels_, truth)
    # the rule segments are the planted situations
    assert (joined[schema.BASE_SEGMENT] == joined["situation"].astype(str)).mean() >= 0.98
    for base, group in joined.groupby(schema.BASE_SEGMENT):
        ari = adjusted_rand_score(group["persona"].astype(str), group[schema.SUB_SEGMENT])
        assert ari >= 0.9, f"{base}: ARI {ari:.3f} against the planted personas"
        planted_k = group["persona"].astype(str).nunique()
        assert fitted.metrics_.loc[base, "k"] == planted_k, base


def test_kmeans_also_recovers_the_planted_personas(shop):
    facts, truth = shop
    model = MetaSegmenter(n_bootstrap=0, default={"algorithm": "kmeans"}).fit(facts)
    joined = _joined(model.labels_, truth)
    for base, group in joined.groupby(schema.BASE_SEGMENT):
        ari = adjusted_rand_score(group["persona"].astype(str), group[schema.SUB_SEGMENT])
        assert ari >= 0.9, f"{base}: ARI {ari:.3f} against the planted personas"
    assert set(model.metrics_.loc[model.metrics_["split"], "algorithm"]) == {"kmeans"}


def test_sub_segments_are_numbered_largest_first(fitted):
    sizes = fitted.labels_.groupby([schema.BASE_SEGMENT, schema.SUB_SEGMENT]).size()
    for base in sizes.index.get_level_values(0).unique():
        per_sub = sizes.loc[base].sort_index()
        per_sub = per_sub[per_sub.index >= 0]
        assert list(per_sub.index) == list(range(len(per_sub)))
        assert per_sub.is_monotonic_decreasing, base


def test_predict_on_training_customers_reproduces_the_labels(fitted, shop):
    facts, _ = shop
    again = fitted.predict(facts)
    cols = [schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT_NAME]
    pd.testing.assert_frame_equal(again[cols], fitted.labels_[cols])


def test_same_seed_gives_same_labels_and_shuffled_rows_keep_labels(shop, shop_spec):
    facts, _ = shop
    spec = {**shop_spec, "n_bootstrap": 0}
    first = MetaSegmenter.from_config(spec).fit(facts).labels_
    second = MetaSegmenter.from_config(spec).fit(facts).labels_
    pd.testing.assert_series_equal(first[schema.SEGMENT], second[schema.SEGMENT])
    # the same customers in another order get exactly the same labels, in their order
    shuffled = facts.sample(frac=1.0, random_state=11)
    third = MetaSegmenter.from_config(spec).fit(shuffled).labels_
    assert third[schema.CUSTOMER_ID].tolist() == shuffled[schema.CUSTOMER_ID].tolist()
    by_id = third.set_index(schema.CUSTOMER_ID).loc[first[schema.CUSTOMER_ID]]
    assert (by_id[schema.SEGMENT].to_numpy() == first[schema.SEGMENT].to_numpy()).all()


def test_order_invariance_on_a_planted_shop_with_every_algorithm():
    from metaseg.datasets.planted import make_planted_shop

    shop = make_planted_shop(21, n_customers=3_000)
    facts = compute_facts(shop.events, shop.customers, as_of=shop.scenario.as_of)
    # gmm (the default) everywhere else
    segments = {"active": {"algorithm": "hdbscan"}, "dormant": {"algorithm": "kmeans"}}
    spec = {"n_bootstrap": 0, "segments": segments}
    first = MetaSegmenter(**spec).fit(facts).labels_.set_index(schema.CUSTOMER_ID)
    for seed in (1, 2):
        shuffled = facts.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        again = MetaSegmenter(**spec).fit(shuffled).labels_.set_index(schema.CUSTOMER_ID)
        pd.testing.assert_series_equal(
            again.loc[first.index, schema.SEGMENT], first[schema.SEGMENT]
        )


def test_unsplit_segments_say_why_and_keep_their_k_evidence(shop):
    facts, _ = shop
    model = MetaSegmenter(n_bootstrap=0).fit(facts)
    evidence = model.k_selection_
    assert evidence.index.names == ["base_segment", "k"]
    for name, row in model.metrics_.iterrows():
        if name not in evidence.index.get_level_values(0):
            assert not row["split"] and row["reason"].endswith("< min_segment_size=200")
            continue
        scores = evidence.loc[name]
        assert scores.index.min() == 1 and scores["chosen"].sum() == 1
        chosen = int(scores.index[scores["chosen"]][0])
        assert chosen == row["k"]
        assert row["split"] == (chosen > 1)
        assert row["reason"].startswith("not split: ICL(1)" if chosen == 1 else f"k={chosen}:")


def test_metrics_stability_profiles_and_summary(fitted, shop):
    facts, _ = shop
    metrics = fitted.metrics_
    assert list(metrics.columns) == list(SEGMENT_METRICS)
    split = metrics[metrics["split"]]
    assert (split["silhouette"].between(-1, 1)).all()
    assert (split["stability"] > 0.8).all(), split["stability"]
    assert metrics["n_customers"].sum() == len(facts)
    overall = fitted.overall_metrics_
    assert overall["n_customers"] == len(facts)
    # empty base segments (the catch-all here) have no sub-segment row
    assert overall["n_sub_segments"] == fitted.summary_.shape[0]
    assert 0.0 <= overall["catch_all_share"] <= 1.0
    # profiles: the sizes in the profile are the label counts
    counts = fitted.labels_.groupby(schema.SEGMENT).size()
    summary = fitted.summary_.set_index(schema.SEGMENT)
    assert (summary.loc[counts.index, "size"] == counts).all()
    assert summary[schema.SEGMENT_NAME].is_unique
    table = fitted.summary()
    assert {"algorithm", "stability", schema.SEGMENT_NAME} <= set(table.columns)


def test_user_names_override_and_unknown_codes_are_refused(shop, shop_spec):
    facts, _ = shop
    spec = {**shop_spec, "n_bootstrap": 0, "names": {"active/0": "Our best baskets"}}
    model = MetaSegmenter.from_config(spec).fit(facts)
    named = model.labels_[model.labels_[schema.SEGMENT] == "active/0"]
    assert (named[schema.SEGMENT_NAME] == "Our best baskets").all()
    bad = {**spec, "names": {"active/42": "nobody"}}
    with pytest.raises(ConfigError, match=r"active/42"):
        MetaSegmenter.from_config(bad).fit(facts)


def test_predict_on_new_customers_uses_the_learned_cut_points(fitted):
    customers, events, _ = make_shop(n_customers=3_000, seed=11)
    new_facts = compute_facts(events, customers)
    labels = fitted.predict(new_facts)
    assert len(labels) == len(new_facts)
    assert set(labels[schema.SEGMENT]) <= set(fitted.summary_[schema.SEGMENT])


def test_hdbscan_path_with_and_without_umap(shop):
    facts, truth = shop
    joined_truth = truth.set_index(schema.CUSTOMER_ID)
    for reducer in (None, "umap"):
        spec = {
            "rules": "lifecycle",
            "n_bootstrap": 0,
            "default": {"algorithm": "none"},
            "segments": {
                "active": {
                    "algorithm": "hdbscan",
                    # continuous features: UMAP turns each level of a small integer
                    # count into its own island, which HDBSCAN would then split
                    # (robust scaling keeps top_category_share's many 1.0 values from
                    # dominating UMAP's neighbourhoods: ARI 1.00 against 0.84 standardised)
                    "features": {
                        "features": ["avg_order_value", "monetary", "top_category_share"],
                        "scaling": "robust",
                    },
                    # the smallest planted persona holds 15% of the segment
                    "params": {"reducer": reducer, "n_neighbors": 30, "min_cluster_size": 0.12},
                }
            },
        }
        model = MetaSegmenter.from_config(spec).fit(facts)
        labels = model.labels_[model.labels_[schema.BASE_SEGMENT] == "active"]
        persona = joined_truth.loc[labels[schema.CUSTOMER_ID], "persona"].astype(str)
        noise = float((labels[schema.SUB_SEGMENT] == -1).mean())
        ari = adjusted_rand_score(persona, labels[schema.SUB_SEGMENT])
        assert noise <= 0.10, (reducer, noise)
        assert ari >= 0.9, (reducer, ari)
        assert model.metrics_.loc["active", "algorithm"] == "hdbscan"
        again = model.predict(facts)
        assert (again[schema.SEGMENT].to_numpy() == model.labels_[schema.SEGMENT].to_numpy()).all()


def test_small_segments_are_not_split_and_the_reason_is_recorded(shop):
    facts, _ = shop
    model = MetaSegmenter(n_bootstrap=0, min_segment_size=1_000).fit(facts)
    small = model.metrics_[model.metrics_["n_customers"].between(1, 999)]
    assert len(small) > 0
    assert not small["split"].any()
    assert small["reason"].str.contains("min_segment_size").all()
    for base in small.index:
        subs = model.labels_.loc[model.labels_[schema.BASE_SEGMENT] == base, schema.SUB_SEGMENT]
        assert (subs == 0).all()


def test_segment_of_identical_rows_keeps_one_sub_segment(shop):
    facts, _ = shop
    flat = facts.copy()
    active = (flat["recency_days"] <= 90) & ~(flat["tenure_days"] <= 30)
    for col in ("frequency", "avg_order_value", "n_categories", "top_category_share"):
        flat.loc[active, col] = 3.0
    spec = {"n_bootstrap": 0, "segments": {"active": {"features": {"features": "basket"}}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusteringWarning)
        model = MetaSegmenter.from_config(spec).fit(flat)
    row = model.metrics_.loc["active"]
    assert not row["split"]
    assert "feature" in row["reason"]


def test_all_noise_hdbscan_falls_back_with_a_warning(shop):
    facts, _ = shop
    spec = {
        "n_bootstrap": 0,
        "default": {"algorithm": "none"},
        "segments": {
            "interested": {
                "algorithm": "hdbscan",
                "features": {"features": ["n_views"]},
                # clusters must hold more than 99% of the segment: nothing qualifies
                "params": {"min_cluster_size": 0.99, "noise_policy": "keep"},
            }
        },
    }
    with pytest.warns(ClusteringWarning, match="interested"):
        model = MetaSegmenter.from_config(spec).fit(facts)
    row = model.metrics_.loc["interested"]
    assert not row["split"] and isinstance(row["reason"], str)
    subs = model.labels_.loc[model.labels_[schema.BASE_SEGMENT] == "interested", schema.SUB_SEGMENT]
    assert (subs == 0).all()


def test_nan_features_follow_the_policy(shop):
    facts, _ = shop
    holes = facts.copy()
    holes.loc[holes.index[::7], "n_views"] = np.nan
    spec = {
        "n_bootstrap": 0,
        "default": {"algorithm": "none"},
        "segments": {"interested": {"features": {"features": ["n_views", "n_categories"]}}},
    }
    model = MetaSegmenter.from_config(spec).fit(holes)
    assert model.metrics_.loc["interested", "split"]
    strict = {
        **spec,
        "segments": {
            "interested": {
                "features": {"features": ["n_views", "n_categories"], "nan_policy": "error"}
            }
        },
    }
    with pytest.raises(DataError, match="n_views"):
        MetaSegmenter.from_config(strict).fit(holes)


def test_configuration_errors_name_the_mistake(shop):
    facts, _ = shop
    with pytest.raises(ConfigError, match="no_such_fact"):
        MetaSegmenter(
            n_bootstrap=0, segments={"active": {"features": {"features": ["no_such_fact"]}}}
        ).fit(facts)
    with pytest.raises(ConfigError, match=r"segments.actve.*Did you mean 'active'"):
        MetaSegmenter(n_bootstrap=0, segments={"actve": {}}).fit(facts)
    with pytest.raises(ConfigError, match=r"k_maxx"):
        MetaSegmenter(n_bootstrap=0, default={"params": {"k_maxx": 3}}).fit(facts)
    with pytest.raises(ConfigError, match=r"algorithm"):
        MetaSegmenter(n_bootstrap=0, default={"algorithm": "dbscan"}).fit(facts)


def test_bad_facts_are_refused(shop):
    facts, _ = shop
    with pytest.raises(NotFittedError):
        MetaSegmenter().predict(facts)
    with pytest.raises(DataError, match="customer_id"):
        MetaSegmenter().fit(facts.drop(columns=[schema.CUSTOMER_ID]))
    doubled = pd.concat([facts.head(5), facts.head(5)])
    with pytest.raises(DataError, match="one row per customer"):
        MetaSegmenter().fit(doubled)


def test_jupyter_display_shows_the_segments_once_fitted(fitted):
    bundle = fitted._repr_mimebundle_()
    names = fitted.summary_[schema.SEGMENT_NAME].tolist()
    assert "<table" in bundle["text/html"]
    assert all(name.split(" · ")[0] in bundle["text/plain"] for name in names)
    assert str(fitted) == bundle["text/plain"]
    unfitted = MetaSegmenter()._repr_mimebundle_()
    assert "MetaSegmenter" in unfitted["text/plain"]


def test_unseen_categories_at_predict_are_counted_not_fatal(shop):
    from metaseg.exceptions import DataQualityWarning

    facts, _ = shop
    spec = {
        "n_bootstrap": 0,
        "default": {"algorithm": "none"},
        "segments": {
            "active": {"features": {"features": ["frequency", "avg_order_value", "channel"]}}
        },
    }
    model = MetaSegmenter.from_config(spec).fit(facts)
    changed = facts.copy()
    changed["channel"] = changed["channel"].astype("str")
    changed.loc[changed.index[:300], "channel"] = "kiosk"
    with pytest.warns(DataQualityWarning, match="kiosk|channel"):
        labels = model.predict(changed)
    assert len(labels) == len(facts)
    assert labels[schema.SUB_SEGMENT].ge(0).all()


def test_random_state_none_is_kept_and_typos_are_caught_in_small_segments(shop):
    facts, _ = shop
    model = MetaSegmenter(random_state=None, n_bootstrap=0, default={"algorithm": "none"})
    assert model.fit(facts).spec_.random_state is None
    # "other" is empty here, yet its misspelled feature is still reported
    typo = {"other": {"features": {"features": ["frequncy"]}}}
    with pytest.raises(ConfigError, match="frequncy"):
        MetaSegmenter(n_bootstrap=0, segments=typo).fit(facts)


def test_scikit_learn_contract_clone_and_params(fitted):
    from sklearn.base import clone

    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "segments_")
    copy.set_params(min_segment_size=500)
    assert copy.min_segment_size == 500 and fitted.min_segment_size != 500
    # __init__ stores the arguments untouched, even invalid ones; fit validates them
    unchecked = MetaSegmenter(min_segment_size=-1)
    assert unchecked.min_segment_size == -1


def test_a_clone_refitted_on_the_same_facts_reproduces_the_labels(fitted, shop):
    from sklearn.base import clone

    facts, _ = shop
    again = clone(fitted).fit(facts)
    columns = [c for c in schema.LABEL_COLUMNS if c != schema.SCORED_AT]
    pd.testing.assert_frame_equal(again.labels_[columns], fitted.labels_[columns])
    assert again.fingerprint() == fitted.fingerprint()


def test_a_fixed_k_is_written_n_clusters_in_a_config(shop):
    facts, _ = shop
    model = MetaSegmenter(n_bootstrap=0, default={"params": {"n_clusters": 2}}).fit(facts)
    split = model.metrics_[model.metrics_["split"]]
    assert len(split) >= 5 and (split["k"] == 2).all()


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_a_fixed_k_gets_a_bootstrap_stability(shop, algorithm):
    facts, _ = shop
    default = {"algorithm": algorithm, "params": {"n_clusters": 2}}
    model = MetaSegmenter(n_bootstrap=2, random_state=0, default=default).fit(facts)
    split = model.metrics_[model.metrics_["split"]]
    assert len(split) >= 5 and split["stability"].between(-1, 1).all()
