"""Combined rule models: the product of two presets' segments, small cells merged."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from metaseg.datasets.needs import make_needs_shop
from metaseg.exceptions import RuleError
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.rules import CombinedRuleSegmenter, RuleSegmenter, rule_segmenter
from metaseg.rules.combine import SEPARATOR

AS_OF = "2025-12-31"
RULES = {"combine": ["lifecycle", "value_tiers"], "min_cell_size": 40}


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    shop = make_needs_shop(1_500, seed=3, as_of=AS_OF)
    return compute_facts(shop.events, as_of=AS_OF)


def _fit(rules, facts):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rule_segmenter(rules).fit(facts)


def test_labels_are_the_product_of_the_presets_fitted_separately(facts: pd.DataFrame) -> None:
    combined = _fit(RULES, facts)
    assert isinstance(combined, CombinedRuleSegmenter)
    first = _fit("lifecycle", facts).predict(facts).astype(str)
    second = _fit("value_tiers", facts).predict(facts).astype(str)
    labels = combined.predict(facts).astype(str)
    product = first + SEPARATOR + second
    kept = ~product.isin(list(combined.merged_))
    assert kept.sum() > 0.9 * len(facts)
    assert (labels[kept] == product[kept]).all()
    # merged cells went to their row's remainder, and only small cells merged
    assert (labels[~kept] == first[~kept] + SEPARATOR + "other").all()
    for cell in combined.merged_:
        row, column = cell.split(SEPARATOR)
        assert combined.grid_.loc[row, column] < 40
    assert "active-top_value" in combined.segments_
    # cut points learned once per preset, the same as each preset's own
    single = _fit("value_tiers", facts)
    for score, points in single.cut_points_.items():
        np.testing.assert_array_equal(combined.cut_points_[f"value_tiers.{score}"], points)


def test_fit_predict_equals_fit_then_predict_and_grid_sums_to_customers(
    facts: pd.DataFrame,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        once = CombinedRuleSegmenter(rules=RULES).fit_predict(facts)
        twice = CombinedRuleSegmenter(rules=RULES).fit(facts).predict(facts)
    pd.testing.assert_series_equal(once, twice)
    combined = _fit(RULES, facts)
    grid = combined.grid_
    assert list(grid.index) == list(_fit("lifecycle", facts).segments_)
    assert list(grid.columns) == list(_fit("value_tiers", facts).segments_)
    assert int(grid.to_numpy().sum()) == len(facts)
    assert combined.coverage_.table["size"].sum() == len(facts)
    pd.testing.assert_frame_equal(combined.grid(facts), grid)
    # merged sizes add up: each remainder holds its merged cells (and its own cell)
    sizes = combined.coverage_.table["size"]
    for row in grid.index:
        rest = f"{row}{SEPARATOR}other"
        merged = [c for c, r in combined.merged_.items() if r == rest]
        if merged:
            expected = sum(grid.loc[row, c.split(SEPARATOR)[1]] for c in merged)
            assert sizes[rest] == expected


def test_min_cell_size_zero_keeps_every_non_empty_cell(facts: pd.DataFrame) -> None:
    combined = _fit({**RULES, "min_cell_size": 0}, facts)
    assert all(
        combined.grid_.loc[c.split(SEPARATOR)[0], c.split(SEPARATOR)[1]] == 0
        for c in combined.merged_
    )
    grid = combined.grid_
    rows_with_empty = int((grid == 0).any(axis=1).sum())
    # every non-empty cell, plus a remainder for each row with an empty cell (customers
    # scored later into a cell that was empty at fit go there)
    assert len(combined.segments_) == int((grid > 0).to_numpy().sum()) + rows_with_empty


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"combine": ["lifecycle", "value_tier"]}, "did you mean 'value_tiers'"),
        ({"combine": ["lifecycle", "lifecycle"]}, "twice"),
        ({"combine": ["lifecycle"]}, "combine"),
        ({"combine": ["lifecycle", "rfm"], "min_cell": 3}, "min_cell"),
        ({"combine": ["lifecycle", "rfm"], "remainder": "a-b"}, "remainder"),
    ],
)
def test_clear_errors(rules: dict, expected: str, facts: pd.DataFrame) -> None:
    with pytest.raises(RuleError, match="(?i)" + expected.replace("(", r"\(")):
        CombinedRuleSegmenter(rules=rules).fit(facts)


def test_predict_before_fit_is_refused(facts: pd.DataFrame) -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CombinedRuleSegmenter(rules=RULES).predict(facts)


@pytest.fixture(scope="module")
def combined_model(facts: pd.DataFrame) -> MetaSegmenter:
    """Sub-segments inside the cells of lifecycle x value tiers."""
    spec = {
        "rules": RULES,
        "default": {"algorithm": "kmeans", "features": {"features": "behaviour"}},
        "n_bootstrap": 0,
        "min_segment_size": 100,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetaSegmenter.from_config(spec).fit(facts)


def test_meta_segmenter_fits_within_combined_cells(combined_model: MetaSegmenter) -> None:
    model = combined_model
    assert set(model.labels_["base_segment"]) <= set(model.rules_.segments_)
    assert isinstance(model.rules_, CombinedRuleSegmenter)
    assert not isinstance(rule_segmenter("rfm"), CombinedRuleSegmenter)
    assert isinstance(rule_segmenter("rfm"), RuleSegmenter)


def test_explain_names_the_rule_of_each_combined_preset(
    combined_model: MetaSegmenter, facts: pd.DataFrame
) -> None:
    model = combined_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explained = model.explain(facts["customer_id"].head(5), facts)
    parts = model.rules_.transform(facts.head(5))
    first, second = model.rules_.spec_combine_.parts
    for row, (_, customer) in zip(explained.itertuples(), parts.iterrows(), strict=True):
        # one rule per preset, joined; each names the segment that preset gave
        left, right = row.rule.split(" × ")
        assert left.startswith(f"{customer[first]}:")
        assert right.startswith(f"{customer[second]}:")
        assert row.segment.startswith(customer["base_segment"])
