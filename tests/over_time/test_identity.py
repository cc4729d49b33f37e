"""Stable identities: a refit keeps the ids and names of the groups that are still there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter
from metaseg.over_time import match_identities
from metaseg.over_time._similarity import centre_matrix, overlap_matrix


def _persona_ids(labels: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per (base segment, persona): the modal sub-segment and how pure the match is."""
    joined = labels.merge(truth, on="customer_id")
    joined["persona"] = joined["persona"].astype(str)
    rows = []
    for (base, persona), part in joined.groupby(["base_segment", "persona"]):
        counts = part["sub_segment"].value_counts()
        sub = int(counts.index[0])
        in_sub = joined[(joined["base_segment"] == base) & (joined["sub_segment"] == sub)]
        rows.append(
            {
                "base_segment": base,
                "persona": persona,
                "sub": sub,
                "recall": counts.iloc[0] / len(part),
                "precision": float((in_sub["persona"] == persona).mean()),
            }
        )
    return pd.DataFrame(rows)


def _planted(labels: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Personas a segmentation recovered as one clean group."""
    table = _persona_ids(labels, truth)
    return table[(table["recall"] >= 0.9) & (table["precision"] >= 0.9)]


def test_refit_with_same_data_and_seed_is_the_identity(model, facts, spec):
    again = MetaSegmenter.from_config(spec).fit(facts)
    match = match_identities(model, again)
    assert match.is_identity
    assert set(match.table["status"]) == {"matched"}
    assert (match.table["similarity"] == 1.0).all()
    stable = again.with_identities(match)
    pd.testing.assert_series_equal(stable.labels_["segment"], model.labels_["segment"])


def test_subsample_refit_keeps_the_ids_of_the_planted_groups(model, facts, truth, spec):
    sample = facts.sample(frac=0.9, random_state=7)
    refit = MetaSegmenter.from_config(spec | {"random_state": 11}).fit(sample)
    stable = refit.with_identities(match_identities(model, refit))

    before = _planted(model.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    after = _persona_ids(stable.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    assert len(before) >= 10  # the shop plants clean groups in most base segments
    assert after.reindex(before.index).tolist() == before.tolist()
    # predict uses the stable ids too
    again = stable.predict(sample)
    assert (again["segment"].to_numpy() == stable.labels_["segment"].to_numpy()).all()
    assert set(stable.summary_["segment"]) == set(stable.labels_["segment"])


def _without(facts: pd.DataFrame, truth: pd.DataFrame, base: str, persona: str) -> pd.DataFrame:
    gone = truth[(truth["situation"] == base) & (truth["persona"] == persona)]["customer_id"]
    return facts[~facts["customer_id"].isin(gone)].reset_index(drop=True)


def test_dropped_persona_vanishes_and_comes_back_as_a_new_group(model, facts, truth, spec):
    planted = _planted(model.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    explorer_id = int(planted[("dormant", "explorer")])
    reduced = MetaSegmenter.from_config(spec).fit(_without(facts, truth, "dormant", "explorer"))

    forward = match_identities(model, reduced)
    vanished = forward.vanished
    assert vanished[["base_segment", "previous_sub_segment"]].values.tolist() == [
        ["dormant", explorer_id]
    ]
    assert forward.new.empty
    reduced_stable = reduced.with_identities(forward)

    back = match_identities(reduced_stable, model)
    new = back.new
    assert new["base_segment"].tolist() == ["dormant"]
    # ids above every id used so far, the vanished one included: never reused
    used = set(model.summary_.loc[model.summary_["base_segment"] == "dormant", "sub_segment"])
    assert int(new["stable_sub_segment"].iloc[0]) == max(used) + 1
    returned = model.with_identities(back)
    ids = _persona_ids(returned.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    assert ids[("dormant", "explorer")] == max(used) + 1
    others = planted.drop(("dormant", "explorer"))
    assert ids.reindex(others.index).tolist() == others.tolist()


def test_user_names_are_carried_to_the_matched_group(model, facts, spec, truth):
    planted = _planted(model.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    code = f"churned/{int(planted[('churned', 'frequent_small')])}"
    named = MetaSegmenter.from_config(spec | {"names": {code: "Loyal small baskets"}}).fit(facts)
    refit = MetaSegmenter.from_config(spec | {"random_state": 5}).fit(facts.iloc[::-1])
    match = match_identities(named, refit)
    assert match.names == {code: "Loyal small baskets"}
    stable = refit.with_identities(match)
    names = stable.summary_.set_index("segment")["segment_name"]
    assert names[code] == "Loyal small baskets"
    assert stable.spec_.names == {code: "Loyal small baskets"}
    shown = stable.predict(facts)
    assert set(shown.loc[shown["segment"] == code, "segment_name"]) == {"Loyal small baskets"}


def test_without_shared_customers_the_centres_are_matched(model, facts, truth, spec):
    shifted = facts.assign(customer_id=facts["customer_id"] + 1_000_000)
    refit = MetaSegmenter.from_config(spec | {"random_state": 3}).fit(shifted.iloc[::-1])
    match = match_identities(model, refit)
    assert set(match.table["method"]) == {"centre"}
    stable = refit.with_identities(match)
    moved_truth = truth.assign(customer_id=truth["customer_id"] + 1_000_000)
    before = _planted(model.labels_, truth).set_index(["base_segment", "persona"])["sub"]
    after = _persona_ids(stable.labels_, moved_truth).set_index(["base_segment", "persona"])["sub"]
    assert after.reindex(before.index).tolist() == before.tolist()


def test_similarity_matrices_by_hand():
    prev = np.array(["a/0"] * 4 + ["a/1"] * 2)
    new = np.array(["a/0"] * 3 + ["a/1"] * 3)
    # a/0 before {0,1,2,3}, after {0,1,2}: 3/4; before a/0 vs after a/1 {3,4,5}: 1/6
    assert overlap_matrix(prev, new, [0, 1], [0, 1], "a").tolist() == [[0.75, 1 / 6], [0.0, 2 / 3]]
    profile = pd.DataFrame(
        {
            "sub_segment": [0, 0, 1, 1],
            "feature": ["x", "y", "x", "y"],
            "mean": [0.0, 0.0, 3.0, 4.0],
            "parent_std": [1.0, 2.0, 1.0, 2.0],
        }
    )
    sim = centre_matrix(profile, profile, [0, 1], [0, 1])
    # distance between 0 and 1: sqrt(((3/1)^2 + (4/2)^2) / 2) = sqrt(6.5)
    assert sim[0, 0] == 1.0 and sim[1, 1] == 1.0
    assert sim[0, 1] == pytest.approx(np.exp(-np.sqrt(6.5)))


def test_bad_arguments_are_refused(model):
    with pytest.raises(ConfigError, match="min_similarity"):
        match_identities(model, model, min_similarity=1.5)
    with pytest.raises(NotFittedError, match=r"new_model \(MetaSegmenter\) is not fitted yet"):
        match_identities(model, MetaSegmenter())
    with pytest.raises(ConfigError, match="IdentityMatch"):
        model.with_identities({"active": {0: 1}})


def test_a_match_applies_to_its_own_model_only(model, facts, spec, truth):
    reduced = MetaSegmenter.from_config(spec).fit(_without(facts, truth, "dormant", "explorer"))
    match = match_identities(model, reduced)
    with pytest.raises(ConfigError, match="another model"):
        model.with_identities(match)


def test_the_model_applies_a_match_to_a_copy_and_its_parameters_agree(model, facts, spec):
    sample = facts.sample(frac=0.9, random_state=3)
    refit = MetaSegmenter.from_config(spec | {"random_state": 5}).fit(sample)
    before = refit.labels_.copy()
    match = match_identities(model, refit)
    stable = refit.with_identities(match)
    # the fitted model is left as it was
    pd.testing.assert_frame_equal(refit.labels_, before)
    assert not hasattr(refit, "identity_")
    # the names the model is built with and its resolved spec say the same thing
    assert stable.get_params()["names"] == (stable.spec_.names or None)
    assert stable.identity_ is match
    assert stable.identity_max_ids_ == match.max_ids
    # predict applies the stable numbering
    pd.testing.assert_series_equal(
        stable.predict(sample)["segment"], stable.labels_["segment"], check_names=False
    )
