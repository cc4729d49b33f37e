from __future__ import annotations

import pytest

from metaseg.data import ValidationPolicy
from metaseg.exceptions import ConfigError


def test_defaults_are_the_documented_ones():
    policy = ValidationPolicy()
    assert policy.null_customer_ids == "drop"
    assert policy.invalid_timestamps == "error"
    assert policy.mixed_timezones == "convert"
    assert policy.after_as_of == "drop"
    assert policy.negative_amounts == "refund"
    assert policy.invalid_amounts == "error"
    assert policy.duplicate_customers == "error"


def test_coerce_accepts_none_model_and_dict():
    assert ValidationPolicy.coerce(None) == ValidationPolicy()
    given = ValidationPolicy(after_as_of="error")
    assert ValidationPolicy.coerce(given) is given
    assert ValidationPolicy.coerce({"after_as_of": "error"}) == given


def test_bad_choice_names_field_value_and_choices():
    with pytest.raises(ConfigError) as err:
        ValidationPolicy.coerce({"after_as_of": "keep"})
    message = str(err.value)
    assert "after_as_of" in message and "'keep'" in message
    assert "'drop'" in message and "'error'" in message


def test_unknown_field_suggests_the_close_one():
    with pytest.raises(ConfigError, match="Did you mean 'null_customer_ids'"):
        ValidationPolicy.coerce({"null_customer_id": "drop"})


def test_wrong_type_is_a_config_error():
    with pytest.raises(ConfigError, match="policy must be a ValidationPolicy"):
        ValidationPolicy.coerce("drop")  # type: ignore[arg-type]


def test_policy_is_immutable():
    with pytest.raises(Exception, match="frozen"):
        ValidationPolicy().after_as_of = "error"  # type: ignore[misc]


def test_a_callers_policy_overrides_only_the_fields_it_sets():
    base = ValidationPolicy(duplicate_customers="most_frequent", ambiguous_times="shift")
    merged = base.updated_by(ValidationPolicy(after_as_of="error"))
    assert (merged.duplicate_customers, merged.ambiguous_times, merged.after_as_of) == (
        "most_frequent",
        "shift",
        "error",
    )
    assert base.updated_by(None) is base
    assert base.updated_by({"duplicate_customers": "error"}).duplicate_customers == "error"
