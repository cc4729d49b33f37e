"""Custom facts: each aggregate against pandas, the issue's examples, ratios, checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts, describe_facts
from metaseg.facts.custom import parse_custom_facts
from metaseg.facts.custom_check import resolve_custom_facts
from metaseg.facts.custom_sql import registry_kinds
from metaseg.facts.sql import facts_parameters, facts_sql

from .conftest import AS_OF, random_events

DAY = pd.Timedelta(days=1)


def _events(seed: int = 3) -> pd.DataFrame:
    events = random_events(seed, n_events=900)
    rng = np.random.default_rng(seed)
    events["product_id"] = rng.choice(
        np.array(["X", "Y", "XL", "Z", None], dtype=object), len(events)
    )
    events["on_sale"] = rng.random(len(events)) < 0.4
    events["channel"] = pd.Categorical(rng.choice(["web", "app", "store"], len(events)))
    return events


CUSTOM = {
    "toys_bought_30d": {
        "aggregate": "count",
        "event_type": "purchase",
        "where": {"column": "category", "op": "==", "value": "toys"},
        "window_days": 30,
    },
    "x_views": {
        "aggregate": "count",
        "event_type": ["view", "add_to_cart"],
        "where": {"column": "product_id", "op": "starts_with", "value": "X"},
    },
    "sale_spend_90d": {
        "aggregate": "sum",
        "of": "amount",
        "event_type": "purchase",
        "where": {"column": "on_sale", "op": "==", "value": True},
        "window_days": 90,
    },
    "products_not_web": {
        "aggregate": "count_distinct",
        "of": "product_id",
        "where": {"not": {"column": "channel", "op": "in", "value": ["web"]}},
    },
    "big_buy": {
        "aggregate": "max",
        "of": "amount",
        "event_type": "purchase",
        "where": {
            "any": [
                {"column": "amount", "op": "between", "value": [20, 60]},
                {"column": "product_id", "op": "ends_with", "value": "L"},
            ]
        },
    },
    "small_buy": {"aggregate": "min", "of": "amount", "event_type": "purchase"},
    "last_z": {
        "aggregate": "last_time",
        "where": {
            "all": [
                {"column": "product_id", "op": "contains", "value": "Z"},
                {"column": "category", "op": "not_null"},
            ]
        },
    },
    "days_since_z": {
        "aggregate": "days_since",
        "where": {
            "all": [
                {"column": "product_id", "op": "contains", "value": "Z"},
                {"column": "category", "op": "not_null"},
            ]
        },
    },
    "toys_share_30d": {"ratio": ["toys_bought_30d", "purchases_30d"]},
    "sale_minus_gross": {"difference": ["sale_spend_90d", "gross_revenue"]},
    "z_after_first": {"difference": ["last_z", "first_seen"]},
    "count_gap": {"difference": ["x_views", "n_views"]},
}


def _pandas_reference(events: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The same facts, written directly in pandas."""
    known = events[events["timestamp"] <= AS_OF]
    kind, product, category = known["event_type"], known["product_id"], known["category"]
    in_days = lambda w: known["timestamp"] > AS_OF - w * DAY  # noqa: E731
    purchase = kind == "purchase"
    text = product.astype("str")
    z = product.notna() & text.str.contains("Z") & category.notna()

    def per_customer(mask, column=None, how="size"):
        rows = known[mask.to_numpy()]
        grouped = rows.groupby("customer_id")[column or "customer_id"]
        return getattr(grouped, how)().reindex(ids)

    out = pd.DataFrame(index=ids)
    out["toys_bought_30d"] = per_customer(purchase & (category == "toys") & in_days(30)).fillna(0)
    out["x_views"] = per_customer(
        kind.isin(["view", "add_to_cart"]) & product.notna() & text.str.startswith("X")
    ).fillna(0)
    out["sale_spend_90d"] = per_customer(
        purchase & known["on_sale"] & in_days(90), "amount", "sum"
    ).fillna(0.0)
    out["products_not_web"] = per_customer(
        known["channel"] != "web", "product_id", "nunique"
    ).fillna(0)
    big = purchase & (known["amount"].between(20, 60) | (product.notna() & text.str.endswith("L")))
    out["big_buy"] = per_customer(big, "amount", "max")
    out["small_buy"] = per_customer(purchase, "amount", "min")
    out["last_z"] = per_customer(z, "timestamp", "max")
    out["days_since_z"] = (AS_OF - out["last_z"]) / DAY
    return out


def test_every_aggregate_equals_pandas():
    events = _events()
    facts = compute_facts(events, as_of=AS_OF, custom=CUSTOM)
    expected = _pandas_reference(events, facts["customer_id"])
    for column in expected.columns:
        got = facts.set_index("customer_id")[column]
        want = expected[column]
        if column == "last_z":
            assert (got.isna() == want.isna()).all()
            assert (got.dropna() == want.dropna().dt.as_unit("us")).all()
        else:
            np.testing.assert_allclose(
                got.to_numpy(dtype=float),
                want.to_numpy(dtype=float),
                equal_nan=True,
                err_msg=column,
            )
    # every aggregate holds values of interest on this data
    assert (facts["toys_bought_30d"] > 0).any() and facts["last_z"].notna().any()
    assert facts["products_not_web"].max() > 1


def test_ratios_and_differences():
    events = _events()
    facts = compute_facts(events, as_of=AS_OF, custom=CUSTOM)
    share = facts["toys_bought_30d"] / facts["purchases_30d"].replace(0, np.nan)
    np.testing.assert_allclose(facts["toys_share_30d"], share, equal_nan=True)
    # division by zero is missing, never inf or an error
    assert facts.loc[facts["purchases_30d"] == 0, "toys_share_30d"].isna().all()
    assert (facts["purchases_30d"] == 0).any()
    np.testing.assert_allclose(
        facts["sale_minus_gross"], facts["sale_spend_90d"] - facts["gross_revenue"]
    )
    days = (facts["last_z"] - facts["first_seen"]) / DAY
    np.testing.assert_allclose(facts["z_after_first"], days, equal_nan=True)
    assert facts["count_gap"].dtype == "int64"
    assert (facts["count_gap"] == facts["x_views"] - facts["n_views"]).all()
    kinds = facts.attrs["fact_kinds"]
    assert kinds["toys_share_30d"] == "ratio" and kinds["z_after_first"] == "duration"
    assert kinds["sale_spend_90d"] == "money" and kinds["last_z"] == "timestamp"
    assert facts["last_z"].dtype == "datetime64[us, UTC]"


def _shop_events() -> pd.DataFrame:
    """Four customers written for the issue's three examples."""
    t = lambda days: AS_OF - days * DAY  # noqa: E731
    rows = [
        # 1: two shoe purchases in the last 30 days, one older
        (1, t(3), "purchase", 50.0, "shoes", "A", False),
        (1, t(20), "purchase", 70.0, "shoes", "B", True),
        (1, t(45), "purchase", 80.0, "shoes", "B", True),
        # 2: one shoe purchase in 30 days (another exactly 30 days ago: outside)
        (2, t(10), "purchase", 40.0, "shoes", "A", True),
        (2, t(30), "purchase", 40.0, "shoes", "A", True),
        (2, t(5), "view", np.nan, "shoes", "X", False),
        # 3: viewed X, never bought it; bought sale items 100 days ago (outside 90)
        (3, t(2), "view", np.nan, "bags", "X", False),
        (3, t(100), "purchase", 30.0, "bags", "C", True),
        # 4: viewed X and bought it
        (4, t(8), "view", np.nan, "bags", "X", True),
        (4, t(7), "purchase", 25.0, "bags", "X", True),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "timestamp",
            "event_type",
            "amount",
            "category",
            "product_id",
            "on_sale",
        ],
    )
    return frame


ISSUE_FACTS = """
shoes_bought_30d:
  aggregate: count
  event_type: purchase
  where: {column: category, op: "==", value: shoes}
  window_days: 30
views_of_x:
  aggregate: count
  event_type: view
  where: {column: product_id, op: "==", value: X}
purchases_of_x:
  aggregate: count
  event_type: purchase
  where: {column: product_id, op: "==", value: X}
sale_spend_90d:
  aggregate: sum
  of: amount
  event_type: purchase
  where: {column: on_sale, op: "==", value: true}
  window_days: 90
"""


def test_the_issue_examples_from_yaml():
    import yaml

    from metaseg.rules import condition_mask

    facts = compute_facts(_shop_events(), as_of=AS_OF, custom=yaml.safe_load(ISSUE_FACTS))
    facts = facts.set_index("customer_id", drop=False)
    assert facts["shoes_bought_30d"].to_dict() == {1: 2, 2: 1, 3: 0, 4: 0}
    twice = condition_mask({"fact": "shoes_bought_30d", "op": ">=", "value": 2}, facts)
    assert facts.index[twice].tolist() == [1]
    never = {
        "all": [
            {"fact": "views_of_x", "op": ">=", "value": 1},
            {"fact": "purchases_of_x", "op": "==", "value": 0},
        ]
    }
    assert facts.index[condition_mask(never, facts)].tolist() == [2, 3]
    assert facts["sale_spend_90d"].to_dict() == {1: 150.0, 2: 80.0, 3: 0.0, 4: 25.0}


def test_customers_without_events_get_the_defaults():
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4, 99]})
    facts = compute_facts(_shop_events(), customers, as_of=AS_OF, custom=yaml_facts()).set_index(
        "customer_id"
    )
    lonely = facts.loc[99]
    assert lonely["shoes_bought_30d"] == 0 and lonely["sale_spend_90d"] == 0.0
    assert facts["shoes_bought_30d"].dtype == "int64"


def yaml_facts() -> dict:
    import yaml

    return yaml.safe_load(ISSUE_FACTS)


def test_describe_facts_lists_custom_facts_with_their_definition():
    custom = {
        **yaml_facts(),
        "x_conversion": {
            "ratio": ["purchases_of_x", "views_of_x"],
            "description": "Buys of X per view of X",
        },
    }
    table = describe_facts((30,), custom=custom).set_index("name")
    assert table.loc["shoes_bought_30d", "kind"] == "count"
    assert table.loc["shoes_bought_30d", "description"] == (
        "Custom: count purchase events where category == 'shoes' in the last 30 days."
    )
    assert table.loc["sale_spend_90d", "kind"] == "money"
    assert table.loc["x_conversion", "description"] == (
        "Buys of X per view of X (custom: purchases_of_x / views_of_x (NaN when views_of_x is 0))."
    )
    assert "recency_days" in table.index  # the registry's facts come first


def test_values_are_bound_parameters_not_sql_text():
    custom = parse_custom_facts(
        {
            "f": {
                "aggregate": "count",
                "event_type": "purchase_SENTINEL",
                "window_days": 17,
                "where": {"column": "category", "op": "in", "value": ["toys_SENTINEL", "b"]},
            }
        }
    )
    resolved = resolve_custom_facts(custom, {"category": "text"}, registry_kinds((30,)))
    for dialect in ("duckdb", "spark"):
        sql = facts_sql((30,), custom=resolved, dialect=dialect)
        assert "SENTINEL" not in sql and str(17 * 86_400_000_000) not in sql
    parameters = facts_parameters(0, resolved)
    assert "toys_SENTINEL" in parameters.values() and 17 * 86_400_000_000 in parameters.values()


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"aggregate": "count", "where": {"column": "categroy", "op": "==", "value": "x"}},
            r"custom fact 'f' reads the events column 'categroy'.*Did you mean 'category'.*extra:",
        ),
        (
            {"aggregate": "count", "where": {"column": "category", "op": "==", "value": 3}},
            r"'f': column 'category' holds text values but the condition compares it with 3",
        ),
        (
            {
                "aggregate": "count",
                "where": {"column": "amount", "op": "starts_with", "value": "1"},
            },
            r"starts_with on 'amount', a number column",
        ),
        ({"aggregate": "sum", "of": "category"}, r"sum of 'category', a text column"),
        (
            {"aggregate": "count", "where": {"column": "timestamp", "op": "not_null"}},
            r"'timestamp' holds timestamp values.*window_days",
        ),
        (
            {"ratio": ["purchases_14d", "n_views"]},
            r"refers to 'purchases_14d'.*add the window to facts.windows",
        ),
        ({"ratio": ["first_seen", "n_views"]}, r"ratio of 'first_seen', a timestamp"),
        (
            {"difference": ["monetary", "n_views"]},
            r"difference of 'monetary' \(money\) and 'n_views' \(count\)",
        ),
    ],
)
def test_checks_against_the_events_name_the_fact_and_the_fix(definition, message):
    with pytest.raises(ConfigError, match=message):
        compute_facts(_events(), as_of=AS_OF, windows=(30,), custom={"f": definition})


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ({"recency_days": {"aggregate": "count"}}, r"built-in fact; choose another name"),
        ({"purchases_14d": {"aggregate": "count"}}, r"built-in fact"),
        ({"2x": {"aggregate": "count"}}, r"starts with a letter"),
        ({"f": {"aggregate": "avg", "of": "amount"}}, r"f\.aggregate: Input should be 'count'"),
        ({"f": {"aggregate": "count", "of": "amount"}}, r"count_distinct"),
        ({"f": {"aggregate": "sum"}}, r"needs 'of: <column>'"),
        ({"f": {"aggregate": "count", "window_days": 0}}, r"window_days must be between 1"),
        ({"f": {"aggregate": "count", "window_days": True}}, r"whole number of days"),
        (
            {"f": {"aggregate": "count", "where": {"column": "a", "op": "=>", "value": 1}}},
            r"f\.where\.op: Input should be '=='",
        ),
        (
            {"f": {"aggregate": "count", "where": {"column": "a", "op": "<", "value": "b"}}},
            r"compares numbers",
        ),
        (
            {"f": {"aggregate": "count", "where": {"column": "a", "op": "in", "value": [1, "b"]}}},
            r"mix number and text",
        ),
        ({"f": {"count": "purchase"}}, r"a custom fact is a mapping with 'aggregate'"),
        (
            {"a": {"ratio": ["b", "n_views"]}, "b": {"difference": ["a", "n_views"]}},
            r"cycle: a -> b -> a",
        ),
        ({"f": {"aggregate": "count", "kind": "money"}}, r"'kind' can be set for sum, min"),
        (["f"], r"facts.custom must be a mapping"),
    ],
)
def test_definitions_are_checked_when_parsed(custom, message):
    with pytest.raises(ConfigError, match=message):
        parse_custom_facts(custom)


def test_config_carries_custom_facts_and_reports_their_yaml_path():
    from metaseg.config import load_config

    config = load_config({"facts": {"windows": [30], "custom": yaml_facts()}})
    assert config.facts.custom.names()[0] == "shoes_bought_30d"
    # the dumped config (logged with each run) reads back to the same facts
    assert load_config(config.model_dump(mode="json")).facts == config.facts
    with pytest.raises(ConfigError, match=r"(?s)facts\.custom.*shoes\.where\.value"):
        load_config(
            {
                "facts": {
                    "custom": {
                        "shoes": {
                            "aggregate": "count",
                            "where": {"column": "category", "op": "==", "value": None},
                        }
                    }
                }
            }
        )


def test_an_event_type_no_event_has_is_warned_about():
    from metaseg.exceptions import DataQualityWarning

    custom = {"f": {"aggregate": "count", "event_type": ["purchase", "purchse"]}}
    with pytest.warns(
        DataQualityWarning,
        match=r"'f' counts events of type 'purchse'.*Did you "
        r"mean 'purchase'\?",
    ):
        facts = compute_facts(_shop_events(), as_of=AS_OF, custom=custom)
    assert facts["f"].tolist() == [3, 2, 1, 1]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            {
                "any": [
                    {"column": "amount", "op": ">", "value": 1},
                    {"column": "a;b", "op": "is_null"},
                ]
            },
            r"f\.where: .*any\[1\]: column 'a;b': a column name holds letters.*rename the column",
        ),
        (
            {"not": {"column": "day", "op": "==", "value": dt.date(2011, 1, 1)}},
            r"not: column 'day' is compared with the date 2011-01-01.*window_days",
        ),
        (
            {"column": "amount", "op": "between", "value": ["a", "b"]},
            r"op 'between' on column 'amount' compares numbers; got 'a' \(text\)",
        ),
        (
            {"column": "category", "op": "starts_with", "value": ""},
            r"f\.where\.value: .*at least one character",
        ),
    ],
)
def test_event_conditions_name_the_path_column_value_and_fix(where, message):
    with pytest.raises(ConfigError, match=message):
        parse_custom_facts({"f": {"aggregate": "count", "where": where}})


def test_event_conditions_nest_at_most_max_depth():
    where = {"column": "category", "op": "is_null"}
    for _ in range(25):
        where = {"not": where}
    with pytest.raises(ConfigError, match=r"f\.where: .*deeper than 24"):
        parse_custom_facts({"f": {"aggregate": "count", "where": where}})
