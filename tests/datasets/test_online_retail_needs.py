"""configs/online_retail_needs.yaml on UCI Online Retail II: what champions and loyal customers
buy, read from keyword categories, in stable halves named by category."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from metaseg.config import load_config
from metaseg.exceptions import DataQualityWarning
from metaseg.jobs import build_facts, fit_model, load_inputs
from metaseg.profile import verify_names
from metaseg.profile.mix_phrases import category_words

REPO = Path(__file__).resolve().parents[2]
SPLIT = ("champions", "loyal_customers")


@pytest.fixture(scope="module")
def fitted(shared_data):
    assert (shared_data / "online_retail_ii" / "online_retail_ii.parquet").is_file()
    config = load_config(REPO / "configs" / "online_retail_needs.yaml")
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.chdir(REPO)  # the config's paths are relative to the repository
        warnings.simplefilter("ignore", DataQualityWarning)
        inputs = load_inputs(config)
        facts = build_facts(inputs, config)
        with threadpool_limits(1):
            return inputs, facts, fit_model(config, facts)


def test_the_keyword_categories_leave_a_reported_share_of_spend_uncategorised(fitted):
    inputs, facts, _ = fitted
    text = inputs.report.to_frame().to_string()
    assert re.search(r"uncategori[sz]ed", text), text[:2000]
    mix = [c for c in facts.columns if c.startswith("mix_")]
    assert len(mix) == 9 and "mix_other" in mix  # the top 8 by spend, and the rest
    # a customer with categorised spend has every share, summing to 1; one without, none
    known = facts[mix].notna()
    assert (known.all(axis=1) | ~known.any(axis=1)).all()
    shares = facts.loc[known.all(axis=1), mix].sum(axis=1)
    assert len(shares) > 5_000 and (abs(shares - 1.0) < 1e-9).all()


def test_champions_and_loyal_customers_split_in_stable_halves_named_by_category(fitted):
    _, facts, model = fitted
    categories = [category_words(c) for c in facts.columns if c.startswith("mix_")]
    stability = model.metrics_.loc[list(SPLIT), "stability"]
    assert (stability >= 0.8).all(), stability
    summary = model.summary_[model.summary_["base_segment"].isin(SPLIT)]
    assert summary.groupby("base_segment").size().to_dict() == {s: 2 for s in SPLIT}
    for name in summary["segment_name"]:
        said = re.split(r" \+ |mostly ", name.split(" · ", 1)[1])
        assert all(word in categories for word in said if word), name
    # one name per shared group, in both segments
    said = summary.assign(traits=summary["segment_name"].str.split(" · ").str[1])
    by_group = said.groupby(said["segment"].map(model.shared_groups_))["traits"].nunique()
    assert len(by_group) == 2 and (by_group == 1).all()
    assert verify_names(model.name_evidence(), model.summary_).empty
