"""Tests of metaseg/features/presets.py: the presets and the kinds of facts."""

from __future__ import annotations

import pytest

from metaseg.features.presets import LOG1P_AUTO_KINDS, PRESETS, expand_features, fact_kind

# The facts table's columns listed in CONTRIBUTING.md ("Facts"), with the default windows.
CONTRACT_FACTS = {
    "recency_days", "days_since_last_event", "tenure_days", "frequency", "n_purchases",
    "n_views", "n_add_to_cart", "n_refunds", "gross_revenue", "monetary", "avg_order_value",
    "mean_days_between_orders", "carts_since_last_purchase", "days_since_last_cart",
    "days_since_last_view", "refund_rate", "n_categories", "top_category_share",
    *(f"{stem}_{w}d" for stem in ("purchases", "revenue", "views", "add_to_cart")
      for w in (7, 30, 90, 365)),
}  # fmt: skip


def test_presets_only_name_contract_facts():
    for name, facts in PRESETS.items():
        # a '*' entry stands for the category-mix columns, which depend on the data
        assert {f for f in facts if not f.endswith("*")} <= CONTRACT_FACTS, name
        assert all(f == "mix_*" for f in facts if f.endswith("*")), name
        assert len(set(facts)) == len(facts), f"{name} lists a fact twice"


def test_preset_contents_match_their_purpose():
    assert PRESETS["rfm"] == ("recency_days", "frequency", "monetary")
    assert set(PRESETS["basket"]) == {
        "frequency", "avg_order_value", "n_categories", "top_category_share"
    }  # fmt: skip
    assert all(("view" in f) or ("cart" in f) for f in PRESETS["engagement"]), (
        "engagement holds only browsing and cart facts"
    )
    # behaviour covers customers with and without purchases
    assert {"recency_days", "frequency", "n_views", "days_since_last_event"} <= set(
        PRESETS["behaviour"]
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("frequency", "count"),
        ("n_views", "count"),
        ("n_categories", "count"),
        ("carts_since_last_purchase", "count"),
        ("purchases_7d", "count"),
        ("add_to_cart_365d", "count"),
        ("monetary", "money"),
        ("gross_revenue", "money"),
        ("avg_order_value", "money"),
        ("revenue_30d", "money"),
        ("recency_days", "duration"),
        ("tenure_days", "duration"),
        ("days_since_last_view", "duration"),
        ("mean_days_between_orders", "duration"),
        ("top_category_share", "ratio"),
        ("refund_rate", "ratio"),
        ("first_seen", "timestamp"),
        ("views_14d", "count"),  # a window the defaults do not compute
        ("n_returns", "count"),  # not a registry fact: named like a count
        ("churn_rate", "ratio"),
        ("age", "other"),
        ("region", "other"),
        ("revenue_total", "other"),
    ],
)
def test_fact_kind(name, kind):
    assert fact_kind(name) == kind


def test_registry_facts_have_the_kind_the_registry_declares():
    from metaseg.facts.registry import describe_facts

    declared = describe_facts((7, 30, 90, 365))
    assert [fact_kind(name) for name in declared["name"]] == declared["kind"].tolist()


def test_every_contract_fact_has_a_known_kind():
    assert {f for f in CONTRACT_FACTS if fact_kind(f) == "other"} == set()
    assert set(LOG1P_AUTO_KINDS) == {"count", "money"}


def test_expand_features_expands_presets_in_place_and_deduplicates():
    names, origin = expand_features(["age", "basket", "frequency", "rfm"])
    assert names == [
        "age",
        "frequency",
        "avg_order_value",
        "n_categories",
        "top_category_share",
        "recency_days",
        "monetary",
    ]
    assert origin["avg_order_value"] == "basket"
    assert origin["recency_days"] == "rfm"
    assert "age" not in origin


def test_expand_features_accepts_a_single_preset_name():
    assert expand_features("rfm")[0] == list(PRESETS["rfm"])
