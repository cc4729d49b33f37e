"""A shared fit's groups carry one name in every base segment, backed by the pooled profile."""

from __future__ import annotations

import copy
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.datasets.needs import make_needs_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.over_time import match_identities
from metaseg.profile import NAMED_FROM, verify_names
from metaseg.profile.naming import SEPARATOR
from metaseg.report import render_report
from metaseg.report.content import report_content

AS_OF = "2025-12-31"


def _fit(facts: pd.DataFrame, fit_on: str = "shared", random_state: int = 3) -> MetaSegmenter:
    spec = {
        "rules": "rfm",
        "default": {"algorithm": "kmeans", "fit_on": fit_on, "features": {"features": "needs"}},
        "n_bootstrap": 0,
        "min_segment_size": 150,
        "random_state": random_state,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetaSegmenter.from_config(spec).fit(facts)


def _traits(name: str) -> str:
    """A name without its base segment and numbering: what it says of the customers."""
    return re.sub(r" \(\d+\)$", "", name.split(SEPARATOR, 1)[1])


@pytest.fixture(scope="module", params=[31, 32])
def shop(request):
    # aisles, personas and preferences drawn from the seed
    shop = make_needs_shop(3_000, seed=request.param, as_of=AS_OF)
    facts = compute_facts(shop.events, as_of=AS_OF, category_mix={"top": 8})
    return shop, facts


@pytest.fixture(scope="module")
def model(shop):
    return _fit(shop[1])


def test_every_part_of_a_group_carries_the_groups_name(model):
    groups = model.shared_groups_
    pooled = [name for name, seg in model.segments_.items() if seg.split]
    assert len(pooled) >= 5
    named = model.summary_.set_index("segment")["segment_name"]
    # every sub-segment of a pooled base segment is part of a group (k-means: no noise)
    assert set(groups) == {c for c in named.index if c.rpartition("/")[0] in pooled}
    by_group: dict[str, set[str]] = {}
    for code, group in groups.items():
        by_group.setdefault(group, set()).add(_traits(named[code]))
    assert len(by_group) >= 2
    for group, texts in by_group.items():
        assert len(texts) == 1, (group, texts)  # one name in every base segment
        assert texts != {"typical"}, group  # the personas differ in what they buy
    # the groups are told apart by their names
    assert len({next(iter(t)) for t in by_group.values()}) == len(by_group)


def test_the_shared_profile_is_each_group_against_the_pool(model, shop):
    facts = shop[1].set_index("customer_id")
    table = model.shared_profiles_
    # every base segment is in the pool (one default spec), split alone or not
    pool = " + ".join(model.segments_)
    assert set(table["base_segment"]) == {pool}
    split = next(seg for seg in model.segments_.values() if seg.split)
    # the pooled customers' groups: the shared clusterer's, numbered as the model says
    group_of_raw = {
        raw: model.shared_groups_[f"{name}/{own}"]
        for name, seg in model.segments_.items()
        if seg.split
        for raw, own in seg.relabel.items()
        if f"{name}/{own}" in model.shared_groups_
    }
    raw = split.clusterer.predict(split.matrix(facts.reset_index()))
    groups = pd.Series([group_of_raw[r] for r in raw], index=facts.index)
    sizes = table.drop_duplicates("segment").set_index("segment")["size"]
    assert sizes.to_dict() == groups.value_counts().to_dict()
    assert sizes.is_monotonic_decreasing  # numbered by size in the pool
    feature = next(f for f in table["feature"] if f.startswith("mix_"))
    rows = table[table["feature"] == feature].set_index("segment")
    np.testing.assert_allclose(rows["parent_mean"], facts[feature].mean())
    for group, row in rows.iterrows():
        assert row["mean"] == pytest.approx(facts.loc[groups == group, feature].mean()), group


def test_names_verify_against_the_evidence_and_not_all_against_the_own_profile(model):
    evidence = model.name_evidence()
    assert verify_names(evidence, model.summary_, names=model.spec_.names).empty
    grouped = evidence[evidence["segment"].isin(model.shared_groups_)]
    assert (grouped[NAMED_FROM] == grouped["segment"].map(model.shared_groups_)).all()
    own = evidence[~evidence["segment"].isin(model.shared_groups_)]
    assert (own[NAMED_FROM] == own["segment"]).all()


def test_a_fit_per_segment_has_no_groups(shop):
    model = _fit(shop[1], fit_on="segment")
    assert model.shared_groups_ == {} and model.shared_profiles_.empty
    assert list(model.shared_profiles_.columns) == list(model.profiles_.columns)
    evidence = model.name_evidence()
    assert (evidence[NAMED_FROM] == evidence["segment"]).all()
    assert verify_names(model.profiles_, model.summary_).empty


def test_groups_survive_pickle_the_scoring_copy_and_new_identities(model, shop):
    facts = shop[1]
    again = pickle.loads(pickle.dumps(model))
    assert again.shared_groups_ == model.shared_groups_
    lean = model.for_scoring()
    pd.testing.assert_frame_equal(lean.name_evidence(), model.name_evidence())
    # a refit with another seed, its sub-segments renumbered onto this model's
    other = _fit(facts, random_state=11)
    stable = other.with_identities(match_identities(model, other))
    assert verify_names(stable.name_evidence(), stable.summary_, names=stable.spec_.names).empty
    for code, group in stable.shared_groups_.items():
        customers = stable.labels_["segment"] == code
        before = other.labels_.loc[customers, "segment"].unique().tolist()
        assert [other.shared_groups_[c] for c in before] == [group], code


def test_an_edited_segment_is_named_from_its_own_profile_again(model, shop):
    facts = shop[1]
    base = max(
        (n for n, s in model.segments_.items() if s.split),
        key=lambda n: (model.summary_["base_segment"] == n).sum(),
    )
    codes = model.summary_.loc[model.summary_["base_segment"] == base, "segment"].tolist()
    merged = model.merge(codes[:2], facts)
    assert not any(c.startswith(base + "/") for c in merged.shared_groups_)
    kept = {c: g for c, g in model.shared_groups_.items() if not c.startswith(base + "/")}
    assert merged.shared_groups_ == kept
    evidence = merged.name_evidence()
    mine = evidence[evidence["base_segment"] == base]
    assert (mine[NAMED_FROM] == mine["segment"]).all()
    assert verify_names(evidence, merged.summary_, names=merged.spec_.names).empty
    assert len(model.shared_groups_) > len(merged.shared_groups_)  # the original is unchanged


def test_a_model_saved_before_shared_names_keeps_naming_from_its_profiles(model):
    old = copy.deepcopy(model)
    del old.shared_profiles_, old.shared_groups_
    evidence = old.name_evidence()
    assert (evidence[NAMED_FROM] == evidence["segment"]).all()
    code = old.summary_["segment"].iloc[-1]
    renamed = old.rename({code: "Ours"})
    assert renamed.summary_.set_index("segment").loc[code, "segment_name"] == "Ours"


def test_the_report_says_which_group_a_name_reads_and_marks_its_categories(model):
    content = report_content(model, n_examples=0)
    subs = [sub for section in content.sections for sub in section.subs]
    shared = [sub for sub in subs if sub.named_from]
    assert {sub.code for sub in shared} == set(model.shared_groups_)
    for sub in shared:
        assert sub.named_from == model.shared_groups_[sub.code]
        assert sub.compared_with == sub.named_from.rpartition("/")[0]
        assert sub.named_from_size > sub.size
        claimed = [e for e in sub.evidence if e.in_name]
        assert claimed and all(e.feature.startswith("mix_") for e in claimed), sub.name
        for e in claimed:  # the category words of the name
            assert e.phrase.split(" (")[0] in sub.name
    page = render_report(model, n_examples=0)
    first = shared[0]
    assert f'part of their shared group <span class="code">{first.named_from}</span>' in page


def test_the_run_outputs_hold_the_evidence_of_shared_names(model, shop, tmp_path):
    from metaseg.tracking.local import save_outputs
    from metaseg.tracking.names import NAME_EVIDENCE_PATH

    files = save_outputs(tmp_path / "shared", model, model.labels_, config={})
    written = pd.read_csv(files[NAME_EVIDENCE_PATH])
    expected = model.name_evidence()
    assert written["named_from"].tolist() == expected["named_from"].tolist()
    np.testing.assert_allclose(written["std_diff"], expected["std_diff"])
    alone = _fit(shop[1], fit_on="segment")
    assert NAME_EVIDENCE_PATH not in save_outputs(tmp_path / "own", alone, alone.labels_, config={})
