"""Tests of the synthetic shop, ``metaseg.datasets.synthetic.make_shop``.

The lifecycle facts are computed here with plain pandas, independently of
``metaseg.facts``, so the planted situations and personas are checked against the
definitions in CONTRIBUTING.md and not against the generator's own bookkeeping.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.datasets import make_shop
from metaseg.datasets.synthetic import (
    DEFAULT_PERSONA_SHARES,
    DEFAULT_SITUATION_SHARES,
    SITUATIONS,
    Shop,
)
from metaseg.exceptions import ConfigError

from .references import lifecycle_rules

AS_OF = pd.Timestamp("2025-12-31", tz="UTC")
N = 20_000
DAY = pd.Timedelta(days=1)


def lifecycle_facts(customers: pd.DataFrame, events: pd.DataFrame, as_of) -> pd.DataFrame:
    """Compute the facts the lifecycle rules and the persona checks need."""
    ids = pd.Index(customers[schema.CUSTOMER_ID], name=schema.CUSTOMER_ID)
    signup = customers.set_index(schema.CUSTOMER_ID)[schema.SIGNUP_AT]
    kind = events[schema.EVENT_TYPE]
    purchases = events[kind == schema.PURCHASE]
    carts = events[kind == schema.ADD_TO_CART]
    views = events[kind == schema.VIEW]

    def last(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby(schema.CUSTOMER_ID)[schema.TIMESTAMP].max().reindex(ids)

    def count(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby(schema.CUSTOMER_ID).size().reindex(ids, fill_value=0)

    last_purchase = last(purchases)
    cart_last_purchase = carts[schema.CUSTOMER_ID].map(last_purchase)
    after = carts[cart_last_purchase.isna() | (carts[schema.TIMESTAMP] > cart_last_purchase)]
    frequency = (
        purchases.groupby(schema.CUSTOMER_ID)[schema.ORDER_ID].nunique().reindex(ids, fill_value=0)
    )
    gross = purchases.groupby(schema.CUSTOMER_ID)[schema.AMOUNT].sum().reindex(ids)
    per_category = events.groupby([schema.CUSTOMER_ID, schema.CATEGORY], observed=True).size()
    by_customer = per_category.groupby(level=0)
    return pd.DataFrame(
        {
            "tenure_days": (as_of - signup.reindex(ids)) / DAY,
            "recency_days": (as_of - last_purchase) / DAY,
            "days_since_last_cart": (as_of - last(carts)) / DAY,
            "days_since_last_view": (as_of - last(views)) / DAY,
            "days_since_last_event": (as_of - last(events)) / DAY,
            "carts_since_last_purchase": count(after),
            "frequency": frequency,
            "avg_order_value": gross / frequency.where(frequency > 0),
            "n_views": count(views),
            "n_add_to_cart": count(carts),
            "n_categories": by_customer.size().reindex(ids, fill_value=0),
            "top_category_share": (by_customer.max() / by_customer.sum()).reindex(ids),
        },
        index=ids,
    )


@pytest.fixture(scope="module")
def shop() -> Shop:
    return make_shop(N, seed=7)


@pytest.fixture(scope="module")
def facts(shop: Shop) -> pd.DataFrame:
    out = lifecycle_facts(shop.customers, shop.events, AS_OF)
    return out.join(shop.truth.set_index(schema.CUSTOMER_ID))


def medians(facts: pd.DataFrame, situation: str) -> pd.DataFrame:
    part = facts[facts["situation"] == situation]
    return part.groupby(part["persona"].astype(str)).median(numeric_only=True)


# --- schema -----------------------------------------------------------------------------


def test_customers_have_the_documented_columns_and_dtypes(shop: Shop) -> None:
    customers = shop.customers
    assert list(customers.columns) == [
        schema.CUSTOMER_ID,
        schema.SIGNUP_AT,
        "age",
        "gender",
        "region",
        schema.CHANNEL,
    ]
    assert customers[schema.CUSTOMER_ID].dtype == np.int64
    assert customers[schema.CUSTOMER_ID].tolist() == list(range(1, N + 1))
    assert customers[schema.SIGNUP_AT].dtype == "datetime64[ns, UTC]"
    assert customers["age"].dtype == np.int64
    assert customers["age"].between(18, 85).all()
    assert set(customers["gender"].cat.categories) == {"female", "male", "other"}
    gender = customers["gender"].value_counts(normalize=True)
    assert 0.45 < gender["female"] < 0.6 and 0.38 < gender["male"] < 0.52
    assert 0.01 < gender["other"] < 0.06
    assert len(customers["region"].cat.categories) == 8
    assert {"Seoul", "Busan"} <= set(customers["region"].cat.categories)
    assert (customers["region"].value_counts(normalize=True) > 0.02).all()
    assert list(customers[schema.CHANNEL].cat.categories) == ["web", "app", "store"]
    assert customers.notna().all().all()


def test_events_follow_the_standard_schema(shop: Shop) -> None:
    events = shop.events
    assert list(events.columns) == [
        schema.CUSTOMER_ID,
        schema.TIMESTAMP,
        schema.EVENT_TYPE,
        schema.AMOUNT,
        schema.ORDER_ID,
        schema.CATEGORY,
        schema.CHANNEL,
    ]
    assert events[schema.CUSTOMER_ID].dtype == np.int64
    assert events[schema.TIMESTAMP].dtype == "datetime64[ns, UTC]"
    assert events[schema.AMOUNT].dtype == np.float64
    assert events[schema.ORDER_ID].dtype == "Int64"
    for column in (schema.EVENT_TYPE, schema.CATEGORY, schema.CHANNEL):
        assert isinstance(events[column].dtype, pd.CategoricalDtype), column
    assert set(events[schema.EVENT_TYPE].cat.categories) == set(schema.KNOWN_EVENT_TYPES)
    assert len(events[schema.CATEGORY].cat.categories) == 12
    assert events[[schema.CUSTOMER_ID, schema.TIMESTAMP, schema.CATEGORY]].notna().all().all()
    assert events[schema.EVENT_TYPE].value_counts().gt(0).all()
    assert set(events[schema.CUSTOMER_ID].unique()) <= set(shop.customers[schema.CUSTOMER_ID])
    assert 18 <= len(events) / N <= 26


def test_events_are_sorted_by_customer_then_time(shop: Shop) -> None:
    events = shop.events
    assert isinstance(events.index, pd.RangeIndex)
    key = events[[schema.CUSTOMER_ID, schema.TIMESTAMP]]
    assert key.equals(
        key.sort_values([schema.CUSTOMER_ID, schema.TIMESTAMP]).reset_index(drop=True)
    )


def test_amount_and_order_id_are_set_exactly_for_purchases_and_refunds(shop: Shop) -> None:
    events = shop.events
    monetary = events[schema.EVENT_TYPE].isin([schema.PURCHASE, schema.REFUND])
    assert events.loc[monetary, schema.AMOUNT].gt(0).all()
    assert events.loc[~monetary, schema.AMOUNT].isna().all()
    assert events.loc[monetary, schema.ORDER_ID].notna().all()
    assert events.loc[monetary, schema.ORDER_ID].gt(0).all()
    assert events.loc[~monetary, schema.ORDER_ID].isna().all()


def test_lines_of_an_order_share_customer_and_time(shop: Shop) -> None:
    purchases = shop.events[shop.events[schema.EVENT_TYPE] == schema.PURCHASE]
    per_order = purchases.groupby(schema.ORDER_ID).agg(
        customers=(schema.CUSTOMER_ID, "nunique"),
        times=(schema.TIMESTAMP, "nunique"),
        lines=(schema.AMOUNT, "size"),
    )
    assert (per_order["customers"] == 1).all() and (per_order["times"] == 1).all()
    assert per_order["lines"].max() > 1  # some orders have several lines
    # Order ids increase with the time of the order.
    first_time = purchases.groupby(schema.ORDER_ID)[schema.TIMESTAMP].min().sort_index()
    assert first_time.is_monotonic_increasing


def test_views_and_cart_additions_are_online(shop: Shop) -> None:
    events = shop.events
    browsing = events[events[schema.EVENT_TYPE].isin([schema.VIEW, schema.ADD_TO_CART])]
    assert not (browsing[schema.CHANNEL] == "store").any()
    assert (events[schema.CHANNEL] == "store").any()


def test_truth_has_every_situation_with_its_planted_personas(shop: Shop) -> None:
    truth = shop.truth
    assert list(truth.columns) == [schema.CUSTOMER_ID, "situation", "persona"]
    assert truth[schema.CUSTOMER_ID].tolist() == list(range(1, N + 1))
    assert list(truth["situation"].cat.categories) == list(SITUATIONS)
    found = truth.groupby("situation", observed=True)["persona"].agg(lambda p: set(p.astype(str)))
    expected = {s: set(p) for s, p in DEFAULT_PERSONA_SHARES.items()}
    assert found.to_dict() == expected
    counts = {s: len(p) for s, p in expected.items()}
    assert counts == {
        "new": 2,
        "hesitant": 3,
        "active": 4,
        "interested": 2,
        "dormant": 4,
        "churned": 2,
    }


# --- determinism ------------------------------------------------------------------------


def test_same_seed_gives_identical_tables() -> None:
    first = make_shop(3_000, seed=11)
    second = make_shop(3_000, seed=11)
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_another_seed_gives_other_tables() -> None:
    first = make_shop(3_000, seed=11)
    other = make_shop(3_000, seed=12)
    assert not first.events.equals(other.events)
    assert not first.customers.equals(other.customers)
    assert not first.truth["situation"].equals(other.truth["situation"])


# --- shares -----------------------------------------------------------------------------


def test_situation_and_persona_shares_match_the_defaults(shop: Shop) -> None:
    truth = shop.truth
    situation_share = truth["situation"].value_counts(normalize=True)
    for name, share in DEFAULT_SITUATION_SHARES.items():
        assert situation_share[name] == pytest.approx(share, abs=1 / N)
    for situation, personas in DEFAULT_PERSONA_SHARES.items():
        inside = truth.loc[truth["situation"] == situation, "persona"].astype(str)
        persona_share = inside.value_counts(normalize=True)
        for persona, share in personas.items():
            assert persona_share[persona] == pytest.approx(share, abs=2 / len(inside))
            assert persona_share[persona] >= 0.10, (situation, persona)


def test_custom_shares_are_followed() -> None:
    customers, events, truth = make_shop(
        2_000,
        seed=3,
        situation_shares={"active": 0.6, "churned": 0.4},
        persona_shares={"churned": {"frequent_small": 1.0}},
    )
    counts = truth["situation"].value_counts()
    assert counts["active"] == 1_200 and counts["churned"] == 800
    assert counts.drop(["active", "churned"]).eq(0).all()
    churned = truth.loc[truth["situation"] == "churned", "persona"]
    assert (churned == "frequent_small").all()
    facts = lifecycle_facts(customers, events, AS_OF)
    assert (lifecycle_rules(facts).to_numpy() == truth["situation"].astype(str).to_numpy()).all()


# --- the lifecycle rules ----------------------------------------------------------------


def test_lifecycle_rules_recover_the_situations(facts: pd.DataFrame) -> None:
    predicted = lifecycle_rules(facts)
    agree = predicted == facts["situation"].astype(str)
    assert agree.mean() >= 0.98
    per_situation = agree.groupby(facts["situation"], observed=True).mean()
    assert (per_situation >= 0.98).all(), per_situation.to_dict()


def test_no_event_before_signup_or_after_as_of(shop: Shop) -> None:
    events = shop.events
    signup = events[schema.CUSTOMER_ID].map(
        shop.customers.set_index(schema.CUSTOMER_ID)[schema.SIGNUP_AT]
    )
    assert (events[schema.TIMESTAMP] > signup).all()
    assert (events[schema.TIMESTAMP] < AS_OF).all()
    start = AS_OF - pd.Timedelta(days=2 * 365.25)
    assert (shop.customers[schema.SIGNUP_AT] >= start).all()
    assert (events[schema.TIMESTAMP] >= start).all()
    # The history fills the two years rather than bunching at one end.
    assert events[schema.TIMESTAMP].min() < start + pd.Timedelta(days=30)


def test_quiet_periods_of_dormant_and_churned_customers(facts: pd.DataFrame) -> None:
    dormant = facts[facts["situation"] == "dormant"]
    churned = facts[facts["situation"] == "churned"]
    assert (dormant["days_since_last_event"] > 90).all()
    assert (churned["days_since_last_event"] > 365).all()
    assert (churned["frequency"] >= 1).all()
    for name in ("active", "dormant", "churned", "interested"):
        part = facts[facts["situation"] == name]
        assert (part["carts_since_last_purchase"] == 0).all(), name
    assert (facts.loc[facts["situation"] == "interested", "frequency"] == 0).all()
    new = facts["situation"] == "new"
    assert (facts.loc[new, "tenure_days"] <= 30).all()
    assert (facts.loc[~new, "tenure_days"] > 30).all()


def test_refunds_reference_an_earlier_order_of_the_same_customer(shop: Shop) -> None:
    events = shop.events
    kind = events[schema.EVENT_TYPE]
    orders = (
        events[kind == schema.PURCHASE]
        .groupby(schema.ORDER_ID)
        .agg(
            buyer=(schema.CUSTOMER_ID, "first"),
            bought_at=(schema.TIMESTAMP, "first"),
            total=(schema.AMOUNT, "sum"),
        )
    )
    refunds = events[kind == schema.REFUND].join(orders, on=schema.ORDER_ID)
    assert refunds["buyer"].notna().all()
    assert (refunds[schema.CUSTOMER_ID] == refunds["buyer"]).all()
    assert (refunds[schema.TIMESTAMP] > refunds["bought_at"]).all()
    assert (refunds[schema.AMOUNT] <= refunds["total"] + 1e-9).all()
    assert not refunds[schema.ORDER_ID].duplicated().any()
    assert 0.02 <= len(refunds) / len(orders) <= 0.04


def test_refund_rate_zero_gives_no_refund() -> None:
    _, events, _ = make_shop(1_000, seed=2, refund_rate=0.0)
    assert not (events[schema.EVENT_TYPE] == schema.REFUND).any()


# --- the personas -----------------------------------------------------------------------


def test_personas_of_active_and_dormant_differ_as_planted(facts: pd.DataFrame) -> None:
    for situation in ("active", "dormant"):
        m = medians(facts, situation)
        aov, freq = m["avg_order_value"], m["frequency"]
        assert aov["big_basket"] > 3 * aov["category_loyalist"], situation
        assert aov["category_loyalist"] > aov["explorer"] > 1.5 * aov["frequent_small"]
        assert 150 < aov["big_basket"] < 400 and 10 < aov["frequent_small"] < 30
        assert 15 <= freq["frequent_small"] <= 30 and 2 <= freq["big_basket"] <= 4
        assert 5 <= freq["category_loyalist"] <= 10 and 5 <= freq["explorer"] <= 10
        assert m.loc["category_loyalist", "top_category_share"] == 1.0
        assert m["top_category_share"].idxmin() == "explorer"
        assert m.loc["explorer", "n_categories"] >= 7
        assert 2 <= m.loc["big_basket", "n_categories"] <= 3
        views_per_order = m["n_views"] / m["frequency"]
        assert views_per_order.idxmax() == "explorer"
        assert m["n_views"].idxmax() == "explorer"


def test_churned_personas_differ_as_planted(facts: pd.DataFrame) -> None:
    m = medians(facts, "churned")
    assert m.loc["big_basket", "avg_order_value"] > 5 * m.loc["frequent_small", "avg_order_value"]
    assert m.loc["frequent_small", "frequency"] > 4 * m.loc["big_basket", "frequency"]


def test_hesitant_personas_differ_as_planted(facts: pd.DataFrame) -> None:
    part = facts[facts["situation"] == "hesitant"]
    persona = part["persona"].astype(str)
    first_cart = part[persona == "first_cart"]
    assert (first_cart["frequency"] == 0).all()
    assert (first_cart["n_add_to_cart"] == 1).all()
    assert (first_cart["n_views"] <= 10).all()
    returning = part[persona == "returning_hesitant"]
    assert returning["frequency"].between(3, 8).all()
    assert returning["carts_since_last_purchase"].between(1, 2).all()
    serial = part[persona == "serial_carter"]
    assert serial["carts_since_last_purchase"].between(6, 15).all()
    assert (serial["frequency"] <= 1).all() and (serial["frequency"] == 0).mean() > 0.7
    m = medians(facts, "hesitant")
    assert m["n_views"].idxmax() == "serial_carter"


def test_interested_and_new_personas_differ_as_planted(facts: pd.DataFrame) -> None:
    interested = facts[facts["situation"] == "interested"]
    persona = interested["persona"].astype(str)
    deep = interested[persona == "deep_browser"]
    focused = interested[persona == "focused_browser"]
    assert deep["n_views"].between(40, 80).all() and (deep["n_categories"] >= 3).all()
    assert focused["n_views"].between(5, 10).all() and (focused["n_categories"] == 1).all()
    new = facts[facts["situation"] == "new"]
    persona = new["persona"].astype(str)
    assert new.loc[persona == "quick_buyer", "frequency"].between(1, 2).all()
    shoppers = new[persona == "window_shopper"]
    assert (shoppers["frequency"] == 0).all() and (shoppers["n_add_to_cart"] == 0).all()


def test_every_pair_of_personas_differs_twofold_in_some_fact(facts: pd.DataFrame) -> None:
    compared = ["frequency", "avg_order_value", "n_views", "n_categories"]
    compared.append("carts_since_last_purchase")
    for situation in SITUATIONS:
        m = medians(facts, situation)[compared].fillna(0.0)
        for a, b in itertools.combinations(m.index, 2):
            low = np.minimum(m.loc[a], m.loc[b])
            high = np.maximum(m.loc[a], m.loc[b])
            assert (high >= 2 * low).where(high > 0, False).any(), (situation, a, b)


def test_k_selection_finds_the_planted_number_of_personas(facts: pd.DataFrame) -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    features = pd.DataFrame(
        {
            "frequency": np.log1p(facts["frequency"]),
            "avg_order_value": np.log1p(facts["avg_order_value"].fillna(0.0)),
            "n_views": np.log1p(facts["n_views"]),
            "n_categories": np.log1p(facts["n_categories"]),
            "top_category_share": facts["top_category_share"].fillna(0.0),
            "carts": np.log1p(facts["carts_since_last_purchase"]),
        }
    )
    for situation in SITUATIONS:
        inside = facts[facts["situation"] == situation]
        inside = inside.sample(n=min(len(inside), 1_500), random_state=0)
        x = StandardScaler().fit_transform(features.loc[inside.index])
        scores, labels = {}, {}
        for k in range(2, 7):
            with threadpool_limits(1):  # small data: threads only add overhead
                labels[k] = KMeans(n_clusters=k, n_init=2, random_state=0).fit_predict(x)
            scores[k] = silhouette_score(x, labels[k])
        best = max(scores, key=scores.get)
        planted = len(DEFAULT_PERSONA_SHARES[situation])
        assert best == planted, (situation, scores)
        truth = inside["persona"].astype(str)
        assert adjusted_rand_score(truth, labels[best]) > 0.8, situation


# --- parameters -------------------------------------------------------------------------


def test_small_shops_and_a_short_history_keep_the_rules() -> None:
    for n in (1, 7):
        customers, events, truth = make_shop(n, seed=5)
        assert len(customers) == len(truth) == n
    customers, events, truth = make_shop(3_000, seed=5, years=1.5)
    facts = lifecycle_facts(customers, events, AS_OF)
    assert (lifecycle_rules(facts).to_numpy() == truth["situation"].astype(str).to_numpy()).all()
    assert (events[schema.TIMESTAMP] >= AS_OF - pd.Timedelta(days=1.5 * 365.25)).all()


def test_as_of_is_taken_as_utc() -> None:
    shifted = make_shop(500, seed=1, as_of=pd.Timestamp("2025-06-30 09:00", tz="Asia/Seoul"))
    naive = make_shop(500, seed=1, as_of="2025-06-30 00:00")
    pd.testing.assert_frame_equal(shifted.events, naive.events, check_exact=True)
    assert (naive.events[schema.TIMESTAMP] < pd.Timestamp("2025-06-30", tz="UTC")).all()
    assert naive.events[schema.TIMESTAMP].max() > pd.Timestamp("2025-05-30", tz="UTC")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"n_customers": 0}, ["n_customers", "0"]),
        ({"n_customers": -5}, ["n_customers", "-5"]),
        ({"n_customers": 2.5}, ["n_customers", "2.5"]),
        ({"n_customers": True}, ["n_customers", "True"]),
        ({"seed": -1}, ["seed", "-1"]),
        ({"seed": "abc"}, ["seed", "'abc'"]),
        ({"years": 1.0}, ["years", "1.0", "1.5"]),
        ({"years": float("nan")}, ["years", "nan"]),
        ({"refund_rate": 1.5}, ["refund_rate", "1.5"]),
        ({"as_of": "not a date"}, ["as_of", "'not a date'"]),
        ({"as_of": None}, ["as_of", "None"]),
        (
            {"situation_shares": {"active": 0.5, "churned": 0.4}},
            ["situation_shares", "sum to 1", "0.9"],
        ),
        (
            {"situation_shares": {"actve": 1.0}},
            ["situation_shares", "'actve'", "Did you mean 'active'"],
        ),
        (
            {"situation_shares": {"active": 1.5, "churned": -0.5}},
            ["situation_shares['churned']", "-0.5"],
        ),
        ({"situation_shares": [0.5, 0.5]}, ["situation_shares", "list"]),
        (
            {"persona_shares": {"loyal": {"big_basket": 1.0}}},
            ["persona_shares", "'loyal'", "situation"],
        ),
        (
            {"persona_shares": {"churned": {"explorer": 1.0}}},
            ["persona_shares['churned']", "'explorer'", "big_basket"],
        ),
        (
            {"persona_shares": {"new": {"quick_buyer": 0.3, "window_shopper": 0.3}}},
            ["persona_shares['new']", "sum to 1", "0.6"],
        ),
    ],
)
def test_bad_parameters_raise_a_config_error_naming_them(
    kwargs: dict[str, object], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        make_shop(**{"n_customers": 100, **kwargs})
    message = str(info.value)
    for part in expected:
        assert part in message, (part, message)
