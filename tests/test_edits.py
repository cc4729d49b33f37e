"""Edits after the fit: rename, names=, merge, split, reassign_noise; replayed by predict."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.model import MetaSegmenter


@pytest.fixture(scope="module")
def kmeans_model(shop_facts):
    """k-means with a fixed k=4 in every base segment: several sub-segments to edit."""
    return MetaSegmenter(
        default={"algorithm": "kmeans", "params": {"n_clusters": 4}}, n_bootstrap=0
    ).fit(shop_facts)


@pytest.fixture(scope="module")
def noisy_model(shop_facts):
    """HDBSCAN in 'active' with noise kept (11 noise customers), the rest left whole."""
    return MetaSegmenter(
        default={"algorithm": "none"},
        segments={
            "active": {
                "algorithm": "hdbscan",
                "params": {"min_cluster_size": 0.05, "min_samples": 20, "noise_policy": "keep"},
            }
        },
        n_bootstrap=0,
    ).fit(shop_facts)


def _codes(model, base):
    summary = model.summary_
    return summary.loc[summary[schema.BASE_SEGMENT] == base, schema.SEGMENT].tolist()


def _same_predictions(model, facts):
    predicted = model.predict(facts)
    for column in (schema.SEGMENT, schema.SUB_SEGMENT, schema.SEGMENT_NAME):
        assert predicted[column].tolist() == model.labels_[column].tolist(), column


def _unchanged_outside(before, after, base):
    other = before.labels_[schema.BASE_SEGMENT] != base
    for column in (schema.SEGMENT, schema.SEGMENT_NAME):
        assert (
            after.labels_.loc[other, column].tolist() == before.labels_.loc[other, column].tolist()
        )


def test_set_params_names_renames_the_fitted_model_at_once(shop_facts, kmeans_model):
    model = clone(kmeans_model).fit(shop_facts)
    code = _codes(model, "active")[1]
    model.set_params(names={code: "Weekend shoppers"})
    labels = model.predict(shop_facts)
    assert set(labels.loc[labels[schema.SEGMENT] == code, schema.SEGMENT_NAME]) == {
        "Weekend shoppers"
    }
    _same_predictions(model, shop_facts)
    assert model.edits()[-1]["names"] == {code: "Weekend shoppers"}
    # names= replaces: a code left out gets its automatic name back
    model.set_params(names={})
    assert "Weekend shoppers" not in set(model.predict(shop_facts)[schema.SEGMENT_NAME])
    with pytest.raises(ConfigError, match=r"'active/42' is not a sub-segment.*Known: \["):
        model.set_params(names={"active/42": "nobody"})


def test_rename_returns_a_new_model_and_refuses_unknown_codes(shop_facts, kmeans_model):
    code = _codes(kmeans_model, "dormant")[0]
    renamed = kmeans_model.rename({code: "Sleeping whales"})
    assert renamed is not kmeans_model
    assert "Sleeping whales" not in set(kmeans_model.labels_[schema.SEGMENT_NAME])
    labels = renamed.predict(shop_facts)
    assert set(labels.loc[labels[schema.SEGMENT] == code, schema.SEGMENT_NAME]) == {
        "Sleeping whales"
    }
    assert renamed.names == {code: "Sleeping whales"}
    with pytest.raises(ConfigError, match="dormant/9.*Known"):
        kmeans_model.rename({"dormant/9": "x"})
    with pytest.raises(ConfigError, match="non-empty string"):
        kmeans_model.rename({code: " "})


def test_merge_joins_two_sub_segments_and_keeps_the_others(shop_facts, kmeans_model):
    first, second, third = _codes(kmeans_model, "dormant")[1:4]
    merged = kmeans_model.merge([third, first], shop_facts, name="Merged")
    before = kmeans_model.labels_
    after = merged.labels_
    joined = before[schema.SEGMENT].isin([first, third])
    assert (after.loc[joined, schema.SEGMENT] == first).all()
    assert (after.loc[joined, schema.SEGMENT_NAME] == "Merged").all()
    assert third not in set(after[schema.SEGMENT])
    # the untouched sub-segments keep their ids and customers
    assert (
        after.loc[~joined, schema.SEGMENT].tolist() == before.loc[~joined, schema.SEGMENT].tolist()
    )
    _unchanged_outside(kmeans_model, merged, "dormant")
    _same_predictions(merged, shop_facts)
    size = merged.summary_.set_index(schema.SEGMENT).loc[first, "size"]
    assert size == int(joined.sum())
    assert merged.metrics_.loc["dormant", "n_sub_segments"] == 3
    assert merged.edits() == [
        {"edit": "merge", "segments": [third, first], "into": first, "name": "Merged"}
    ]
    # soft membership of the merged sub-segment is the sum of the two
    proba = merged.predict_proba(shop_facts)
    assert third not in set(proba[schema.SEGMENT])
    assert np.allclose(proba.groupby(schema.CUSTOMER_ID)["probability"].sum(), 1.0)


def test_merge_errors_name_the_problem(shop_facts, kmeans_model):
    active, dormant = _codes(kmeans_model, "active")[0], _codes(kmeans_model, "dormant")[0]
    with pytest.raises(ConfigError, match="one base segment"):
        kmeans_model.merge([active, dormant], shop_facts)
    with pytest.raises(ConfigError, match="at least 2"):
        kmeans_model.merge([active], shop_facts)
    with pytest.raises(ConfigError, match="'dormant/17' is not a sub-segment"):
        kmeans_model.merge([dormant, "dormant/17"], shop_facts)
    with pytest.raises(DataError, match="facts the model was fitted on"):
        kmeans_model.merge(_codes(kmeans_model, "active")[:2], shop_facts.iloc[:100])


def test_split_refits_only_that_sub_segment_deterministically(shop_facts, kmeans_model):
    target = _codes(kmeans_model, "active")[0]
    split = kmeans_model.split(target, shop_facts, k=3, random_state=5)
    again = kmeans_model.split(target, shop_facts, k=3, random_state=5)
    assert split.labels_[schema.SEGMENT].tolist() == again.labels_[schema.SEGMENT].tolist()
    before, after = kmeans_model.labels_, split.labels_
    inside = before[schema.SEGMENT] == target
    assert (
        after.loc[~inside, schema.SEGMENT].tolist() == before.loc[~inside, schema.SEGMENT].tolist()
    )
    pieces = set(after.loc[inside, schema.SEGMENT])
    # the largest piece keeps the id; the others take ids never used in 'active'
    assert pieces == {target, "active/4", "active/5"}
    sizes = after.loc[inside, schema.SEGMENT].value_counts()
    assert sizes.idxmax() == target
    _same_predictions(split, shop_facts)
    assert split.edits()[-1]["into"] == [target, "active/4", "active/5"]
    assert np.isnan(split.metrics_.loc["active", "stability"])
    # merging the pieces back and splitting again never reuses an id
    rejoined = split.merge([target, "active/4", "active/5"], shop_facts)
    resplit = rejoined.split(target, shop_facts, k=2)
    assert set(resplit.labels_[schema.SEGMENT]) >= {target, "active/6"}
    _same_predictions(resplit, shop_facts)


def test_split_of_a_segment_left_whole_and_bad_arguments(shop_facts, noisy_model):
    whole = noisy_model.split("dormant/0", shop_facts, k=2, algorithm="gmm")
    assert set(
        whole.labels_.loc[whole.labels_[schema.BASE_SEGMENT] == "dormant", schema.SEGMENT]
    ) == {
        "dormant/0",
        "dormant/1",
    }
    _same_predictions(whole, shop_facts)
    with pytest.raises(ConfigError, match="k must be"):
        noisy_model.split("active/0", shop_facts, k=1)
    with pytest.raises(ConfigError, match="algorithm"):
        noisy_model.split("active/0", shop_facts, k=2, algorithm="hdbscan")
    with pytest.raises(ConfigError, match="is noise"):
        noisy_model.split("active/-1", shop_facts, k=2)


def test_reassign_noise_by_nearest_centre_and_by_membership(shop_facts, noisy_model):
    noise = noisy_model.labels_[schema.SUB_SEGMENT] == schema.NOISE
    assert noise.sum() >= 5
    for strategy in ("nearest", "probable"):
        moved = noisy_model.reassign_noise(shop_facts, strategy=strategy)
        labels = moved.labels_
        assert not (labels[schema.SUB_SEGMENT] == schema.NOISE).any()
        assert labels.loc[~noise, schema.SEGMENT].tolist() == (
            noisy_model.labels_.loc[~noise, schema.SEGMENT].tolist()
        )
        _same_predictions(moved, shop_facts)
        assert moved.edits()[-1] == {
            "edit": "reassign_noise",
            "strategy": strategy,
            "moved": {"active": int(noise.sum())},
        }
    # "nearest" puts each noise customer with the nearest centre of transform
    moved = noisy_model.reassign_noise(shop_facts, strategy="nearest")
    ids = shop_facts.loc[noise.to_numpy(), schema.CUSTOMER_ID]
    distances = noisy_model.transform(shop_facts[shop_facts[schema.CUSTOMER_ID].isin(ids)])
    nearest = distances.loc[distances.groupby(schema.CUSTOMER_ID)["distance"].idxmin()]
    expected = dict(zip(nearest[schema.CUSTOMER_ID], nearest[schema.SEGMENT], strict=True))
    got = moved.labels_.set_index(schema.CUSTOMER_ID).loc[list(expected), schema.SEGMENT]
    assert got.to_dict() == expected
    with pytest.raises(ConfigError, match="strategy"):
        noisy_model.reassign_noise(shop_facts, strategy="closest")
    with pytest.raises(DataError, match="nothing to reassign"):
        moved.reassign_noise(shop_facts)


def test_edits_survive_a_pickle_round_trip(shop_facts, kmeans_model):
    codes = _codes(kmeans_model, "dormant")
    edited = kmeans_model.merge(codes[:2], shop_facts).split(codes[2], shop_facts, k=2)
    edited = edited.rename({codes[0]: "Kept"})
    restored = pickle.loads(pickle.dumps(edited))
    assert restored.edits() == edited.edits()
    assert len(restored.edits()) == 3
    _same_predictions(restored, shop_facts)


def test_clone_of_an_edited_model_refits_the_unedited_one(shop_facts, kmeans_model):
    edited = kmeans_model.merge(_codes(kmeans_model, "active")[:2], shop_facts)
    refit = clone(edited).fit(shop_facts)
    assert refit.edits() == []
    assert refit.labels_[schema.SEGMENT].tolist() == kmeans_model.labels_[schema.SEGMENT].tolist()


def test_identities_after_an_edit_renumber_on_top_of_it(shop_facts, kmeans_model):
    from metaseg.over_time import match_identities

    edited = kmeans_model.merge(_codes(kmeans_model, "active")[:2], shop_facts)
    other = MetaSegmenter(
        default={"algorithm": "kmeans", "params": {"n_clusters": 4}}, n_bootstrap=0, random_state=3
    ).fit(shop_facts)
    stable = edited.with_identities(match_identities(other, edited))
    _same_predictions(stable, shop_facts)
