"""The potential-value facts have a kind for the features and words for the names."""

from __future__ import annotations

import pytest

from metaseg.clv import clv_fact_columns
from metaseg.features.presets import fact_kind
from metaseg.profile.naming import phrase


@pytest.mark.parametrize(
    ("name", "kind", "high", "low"),
    [
        ("p_alive", "ratio", "likely still buying", "probably lapsed"),
        ("expected_purchases_90d", "count", "likely to return (90d)", "unlikely to return (90d)"),
        ("clv_365d", "money", "high potential value (365d)", "low potential value (365d)"),
        (
            "discounted_clv_365d",
            "money",
            "high potential value (365d)",
            "low potential value (365d)",
        ),
        ("expected_avg_order_value", "money", "big expected baskets", "small expected baskets"),
    ],
)
def test_kind_and_phrases(name: str, kind: str, high: str, low: str) -> None:
    assert fact_kind(name) == kind
    assert phrase(name, "high") == high
    assert phrase(name, "low") == low


def test_every_clv_fact_has_a_kind_and_a_phrase() -> None:
    for name in clv_fact_columns((30, 365)):
        assert fact_kind(name) != "other", name
        assert phrase(name, "high") != name, name
