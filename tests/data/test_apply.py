from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metaseg.data import CustomerMapping, EventMapping, apply_customer_mapping, apply_event_mapping
from metaseg.exceptions import ConfigError, DataError


@pytest.fixture
def source() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Customer": [1, 2, 3],
            "When": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "Kind": ["cart", "buy", "look"],
            "Qty": [2, -1, 3],
            "Price": [1.5, 4.0, 2.0],
            "Shop": ["a", "b", "c"],
            "Unused": [0, 0, 0],
        }
    )


def test_none_returns_the_frame_itself(source):
    assert apply_event_mapping(source, None) is source
    assert apply_customer_mapping(source, None) is source


def test_renames_rules_and_extras(source):
    mapping = EventMapping(
        customer_id="Customer",
        timestamp="When",
        event_type={"when_negative": "Qty", "then": "refund", "else": "purchase"},
        amount={"product": ["Qty", "Price"]},
        quantity="Qty",
        extra={"shop": "Shop"},
    )
    out = apply_event_mapping(source, mapping)
    assert out.columns.tolist() == [
        "customer_id",
        "timestamp",
        "event_type",
        "amount",
        "quantity",
        "shop",
    ]
    assert out["customer_id"].tolist() == [1, 2, 3]
    assert out["event_type"].astype(str).tolist() == ["purchase", "refund", "purchase"]
    assert out["amount"].tolist() == [3.0, -4.0, 6.0]
    assert out["shop"].tolist() == ["a", "b", "c"]
    assert "Unused" in source.columns  # source untouched


def test_constant_event_type(source):
    out = apply_event_mapping(source, EventMapping(event_type={"constant": "purchase"}))
    assert out["event_type"].astype(str).tolist() == ["purchase"] * 3


def test_value_map_keeps_unmapped_values(source):
    mapping = EventMapping(
        event_type={"column": "Kind", "values": {"cart": "add_to_cart", "buy": "purchase"}}
    )
    out = apply_event_mapping(source, mapping)
    assert out["event_type"].astype(str).tolist() == ["add_to_cart", "purchase", "look"]


def test_value_map_onto_one_type_merges_them(source):
    mapping = EventMapping(event_type={"column": "Kind", "values": {"cart": "x", "buy": "x"}})
    out = apply_event_mapping(source, mapping)
    assert out["event_type"].astype(str).tolist() == ["x", "x", "look"]
    assert list(out["event_type"].cat.categories) == ["x", "look"]


def test_value_map_keys_match_integer_sources():
    source = pd.DataFrame({"code": [1, 2, 1]})
    mapping = EventMapping(event_type={"column": "code", "values": {"1": "view"}})
    out = apply_event_mapping(source, mapping)
    assert out["event_type"].astype(str).tolist() == ["view", "2", "view"]


def test_value_map_keeps_nulls_null():
    source = pd.DataFrame({"kind": ["cart", None]})
    out = apply_event_mapping(source, EventMapping(event_type={"column": "kind"}))
    assert out["event_type"].isna().tolist() == [False, True]


def test_standard_names_are_taken_when_not_mapped():
    source = pd.DataFrame({"user": [1], "timestamp": ["2024-01-01"], "channel": ["web"]})
    out = apply_event_mapping(source, EventMapping(customer_id="user"))
    assert out.columns.tolist() == ["customer_id", "timestamp", "channel"]


def test_product_of_three_columns():
    source = pd.DataFrame({"a": [2.0], "b": [3.0], "c": [0.5]})
    out = apply_event_mapping(source, EventMapping(amount={"product": ["a", "b", "c"]}))
    assert out["amount"].tolist() == [3.0]


def test_product_needs_numbers_and_names_the_source_column():
    source = pd.DataFrame({"qty": [1, 2, 3], "price": ["1.5", "n/a", "2"]})
    with pytest.raises(DataError) as err:
        apply_event_mapping(source, EventMapping(amount={"product": ["qty", "price"]}))
    message = str(err.value)
    assert "'price'" in message and "amount.product" in message
    assert "'n/a'" in message and "1 non-numeric" in message


def test_product_reads_numeric_text():
    source = pd.DataFrame({"qty": ["2", "3"], "price": ["1.5", "2"]})
    out = apply_event_mapping(source, EventMapping(amount={"product": ["qty", "price"]}))
    assert out["amount"].tolist() == [3.0, 6.0]


def test_sign_rule_needs_numbers():
    source = pd.DataFrame({"qty": ["one", "2"]})
    with pytest.raises(DataError, match=r"'qty' \(used for event_type.when_negative\)"):
        apply_event_mapping(source, EventMapping(event_type={"when_negative": "qty"}))


def test_unknown_column_is_a_config_error(source):
    with pytest.raises(ConfigError, match="Did you mean 'Customer'"):
        apply_event_mapping(source, EventMapping(customer_id="Costumer"))


def test_rows_keep_the_source_index():
    source = pd.DataFrame({"q": [1, -1]}, index=[10, 20])
    out = apply_event_mapping(source, EventMapping(event_type={"when_negative": "q"}))
    assert out.index.tolist() == [10, 20]


def test_customer_mapping_keeps_only_named_columns():
    source = pd.DataFrame(
        {"Customer ID": [1, 2], "Joined": ["2020-01-01", "2021-01-01"], "Country": ["UK", "FR"]}
    )
    mapping = CustomerMapping(
        customer_id="Customer ID", signup_at="Joined", attributes={"country": "Country"}
    )
    out = apply_customer_mapping(source, mapping)
    assert out.columns.tolist() == ["customer_id", "signup_at", "country"]
    assert np.array_equal(out["customer_id"].to_numpy(), [1, 2])
