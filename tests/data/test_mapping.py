from __future__ import annotations

from pathlib import Path

import pytest

from metaseg.data import (
    AmountProduct,
    ConstantEventType,
    CustomerMapping,
    DatasetMapping,
    EventMapping,
    EventTypeFromColumn,
    EventTypeFromSign,
    load_mapping,
)
from metaseg.data.mapping import (
    MAPPING_NAMES,
    EventTypeFromCondition,
    coerce_customer_mapping,
    coerce_event_mapping,
    mapping_path,
)
from metaseg.exceptions import ConfigError

FULL = """
events:
  customer_id: Customer ID
  timestamp: InvoiceDate
  event_type: {when_negative: Quantity, then: refund, else: purchase}
  amount: {product: [Quantity, Price]}
  order_id: Invoice
  quantity: Quantity
  extra: {stock_code: StockCode}
  timezone: Europe/London
  timestamp_format: "%Y-%m-%d %H:%M"
customers:
  customer_id: Customer ID
  attributes: [Country]
"""


def test_yaml_text_builds_the_typed_models():
    mapping = load_mapping(FULL)
    events = mapping.events
    assert events.customer_id == "Customer ID"
    assert events.event_type == EventTypeFromSign(
        when_negative="Quantity", then="refund", else_="purchase"
    )
    assert events.amount == AmountProduct(product=["Quantity", "Price"])
    assert events.extra == {"stock_code": "StockCode"}
    assert events.timezone == "Europe/London"
    assert mapping.customers == CustomerMapping(
        customer_id="Customer ID", attributes={"Country": "Country"}
    )


@pytest.mark.parametrize(
    "event_type",
    [
        "kind",
        {"constant": "purchase"},
        {"column": "kind", "values": {"cart": "add_to_cart", "1": "view"}},
        {"when_negative": "qty"},
    ],
)
def test_round_trip_through_yaml_text_and_file(tmp_path: Path, event_type):
    mapping = DatasetMapping(
        events=EventMapping(
            customer_id="user",
            event_type=event_type,
            amount={"product": ["qty", "price"]},
            extra=["shop"],
            timezone="America/New_York",
        ),
        customers=CustomerMapping(signup_at="joined", attributes={"region": "Region"}),
    )
    assert load_mapping(mapping.to_yaml()) == mapping
    path = tmp_path / "mapping.yaml"
    path.write_text(mapping.to_yaml(), encoding="utf-8")
    assert load_mapping(path) == mapping
    assert load_mapping(str(path)) == mapping
    assert load_mapping(mapping.to_dict()) == mapping


def test_event_type_specs_are_told_apart():
    assert isinstance(EventMapping(event_type={"constant": "view"}).event_type, ConstantEventType)
    assert isinstance(EventMapping(event_type={"column": "t"}).event_type, EventTypeFromColumn)
    assert EventMapping(event_type="t").event_type == "t"
    # integer keys of a value map (YAML "1: view") are compared as text
    rule = load_mapping("event_type: {column: t, values: {1: view}}").events.event_type
    assert rule.values == {"1": "view"}


def test_document_without_sections_is_an_events_mapping():
    assert load_mapping("customer_id: user").events == EventMapping(customer_id="user")
    assert load_mapping("").events == EventMapping()


def test_malformed_yaml_gives_line_and_column():
    with pytest.raises(ConfigError, match=r"line 3, column"):
        load_mapping("events:\n  customer_id: [a,\n")


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(ConfigError, match="missing.yaml"):
        load_mapping(tmp_path / "missing.yaml")


def test_unknown_field_suggests_the_close_one():
    with pytest.raises(ConfigError) as err:
        load_mapping("events: {custmer_id: user}")
    message = str(err.value)
    assert "events" in message and "custmer_id" in message
    assert "Did you mean 'customer_id'" in message


def test_unknown_rule_key_is_named_with_its_location():
    with pytest.raises(ConfigError) as err:
        load_mapping("events: {event_type: {when_negative: q, thn: refund}}")
    assert "events.event_type" in str(err.value)
    assert "Did you mean 'then'" in str(err.value)


def test_event_type_dict_of_no_known_shape_lists_the_forms():
    with pytest.raises(ConfigError) as err:
        load_mapping("events: {event_type: {foo: bar}}")
    message = str(err.value)
    assert "events.event_type" in message
    assert "{constant: <type>}" in message and "{when_negative:" in message


def test_product_needs_two_columns():
    with pytest.raises(ConfigError, match=r"events\.amount.*at least 2"):
        load_mapping("events: {amount: {product: [Price]}}")


def test_unknown_time_zone_suggests_names():
    with pytest.raises(ConfigError) as err:
        load_mapping("events: {timezone: Europe/Londn}")
    assert "Europe/Londn" in str(err.value) and "'Europe/London'" in str(err.value)


def test_extra_column_may_not_take_a_standard_name():
    with pytest.raises(ConfigError, match=r"extra column\(s\) \['amount'\]"):
        EventMapping(extra={"amount": "Revenue"})


def test_attribute_may_not_take_a_standard_name():
    with pytest.raises(ConfigError, match=r"(?s)CustomerMapping is invalid.*customer_id"):
        CustomerMapping(attributes={"customer_id": "x"})


def test_empty_column_name_is_refused():
    with pytest.raises(ConfigError, match="events.customer_id"):
        load_mapping("events: {customer_id: ''}")


def test_section_must_be_a_mapping():
    with pytest.raises(ConfigError, match="events"):
        load_mapping("events: [a, b]")
    with pytest.raises(ConfigError, match="must be a mapping of fields"):
        load_mapping("- a\n- b\n")


def test_unknown_source_columns_are_listed_with_close_matches():
    mapping = load_mapping(FULL).events
    with pytest.raises(ConfigError) as err:
        mapping.check_columns(["Customer ID", "InvoiceDate", "quantity", "Price", "Invoice"])
    message = str(err.value)
    assert "events.event_type.when_negative" in message
    assert "events.amount.product" in message
    assert "events.extra.stock_code refers to source column 'StockCode'" in message
    assert "Did you mean 'quantity'?" in message
    assert (
        "Available columns: ['Customer ID', 'Invoice', 'InvoiceDate', 'Price', 'quantity']"
        in message
    )


def test_event_type_name_that_is_no_column_hints_at_a_constant():
    with pytest.raises(ConfigError, match=r"event_type: \{constant: purchase\}"):
        EventMapping(event_type="purchase").check_columns(["customer_id"])


def test_source_columns_are_the_named_ones_plus_standard_ones():
    mapping = EventMapping(customer_id="user", amount={"product": ["qty", "price"]})
    names = ["user", "qty", "price", "timestamp", "event_type", "shop", "customer_id"]
    assert mapping.source_columns(names) == ["user", "qty", "price", "timestamp", "event_type"]


def test_customer_mapping_checks_its_columns():
    with pytest.raises(ConfigError, match="customers.attributes.country"):
        CustomerMapping(attributes={"country": "Country"}).check_columns(["customer_id"])


def test_coerce_picks_the_right_section():
    both = load_mapping(FULL)
    assert coerce_event_mapping(both) is both.events
    assert coerce_customer_mapping(both) is both.customers
    assert coerce_customer_mapping({"customer_id": "cid"}) == CustomerMapping(customer_id="cid")
    assert coerce_event_mapping(None) == EventMapping()


def test_coerce_customer_mapping_without_section_is_explained():
    with pytest.raises(ConfigError, match="no 'customers:' section"):
        coerce_customer_mapping({"events": {"customer_id": "x"}})


def test_models_of_the_wrong_table_are_refused():
    with pytest.raises(ConfigError, match="CustomerMapping was given to an events reader"):
        coerce_event_mapping(CustomerMapping())
    with pytest.raises(ConfigError, match="EventMapping was given to a customers reader"):
        coerce_customer_mapping(EventMapping())


def test_event_type_from_a_condition_and_cleaning_round_trip():
    text = """
events:
  customer_id: Customer ID
  event_type:
    when: {any: [{column: Invoice, op: starts_with, value: C}, {column: Quantity, op: "<", value: 0}]}
    then: refund
    else: purchase
  clean:
    - drop: duplicates
      ignore: [Sheet]
    - keep: {column: Price, op: ">", value: 0}
      reason: free line
policy:
  duplicate_customers: most_frequent
"""
    mapping = load_mapping(text)
    assert isinstance(mapping.events.event_type, EventTypeFromCondition)
    assert mapping.policy.duplicate_customers == "most_frequent"
    assert mapping.events.referenced_columns()["event_type.when"] == ["Invoice", "Quantity"]
    assert mapping.events.referenced_columns()["clean[0]"] == ["Sheet"]
    assert mapping.events.reads_every_column()
    assert DatasetMapping.from_yaml(mapping.to_yaml()) == mapping


def test_shipped_mappings_load_by_name_and_equal_the_examples_in_configs():
    configs = Path(__file__).resolve().parents[2] / "configs" / "mappings"
    for name in MAPPING_NAMES:
        shipped = mapping_path(name)
        assert shipped.read_text() == (configs / f"{name}.yaml").read_text()
        assert load_mapping(name) == load_mapping(configs / f"{name}.yaml")
    with pytest.raises(ConfigError, match=r"'online_retail_iii' is not one shipped .* Did you"):
        mapping_path("online_retail_iii")
