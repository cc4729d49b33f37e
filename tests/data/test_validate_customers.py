from __future__ import annotations

import warnings

import pandas as pd
import pytest

from metaseg.data import align_customer_ids, validate_customers, validate_events
from metaseg.exceptions import DataError, DataQualityWarning


@pytest.fixture
def customers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [12346.0, 12347.0, 12348.0],
            "signup_at": ["2010-01-05", "2010-02-11", "2010-03-20"],
            "region": ["north", "south", "east"],
        }
    )


def test_valid_customers_get_standard_dtypes(customers_frame):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        customers, report = validate_customers(customers_frame, timezone="Europe/London")
    assert customers["customer_id"].tolist() == [12346, 12347, 12348]
    assert str(customers["customer_id"].dtype) == "int64"
    assert str(customers["signup_at"].dtype) == "datetime64[us, UTC]"
    assert customers["region"].tolist() == ["north", "south", "east"]
    assert len(report) == 0


def test_missing_customer_id_column(customers_frame):
    with pytest.raises(DataError) as err:
        validate_customers(customers_frame.rename(columns={"customer_id": "customerid"}))
    message = str(err.value)
    assert "customers table is missing required column(s) ['customer_id']" in message
    assert "'customer_id' might be 'customerid'" in message
    assert "read_customers" in message


def test_duplicate_customer_ids_error(customers_frame):
    doubled = pd.concat([customers_frame, customers_frame.iloc[[0, 0, 2]]], ignore_index=True)
    with pytest.raises(DataError) as err:
        validate_customers(doubled)
    message = str(err.value)
    assert "'customer_id' repeats 2 ids over 5 rows" in message
    assert "[12346, 12348]" in message
    assert "duplicate_customers='keep_first'" in message


def test_duplicate_customer_ids_keep_first_by_policy(customers_frame):
    doubled = pd.concat([customers_frame, customers_frame.assign(region="other")])
    with pytest.warns(DataQualityWarning, match="dropped 3 of 6 rows") as caught:
        customers, report = validate_customers(
            doubled, policy={"duplicate_customers": "keep_first"}
        )
    assert caught[0].filename == __file__
    assert customers["region"].tolist() == ["north", "south", "east"]
    assert customers.index.tolist() == [0, 1, 2]
    assert report.dropped("repeated customer_id") == 3


def test_ids_written_differently_are_duplicates(customers_frame):
    df = customers_frame.assign(customer_id=["7", "7.0", "8"])
    with pytest.raises(DataError, match="repeats 1 ids over 2 rows"):
        validate_customers(df)


def test_null_ids_by_policy(customers_frame):
    df = customers_frame.assign(customer_id=[1.0, None, 3.0])
    with pytest.raises(
        DataError, match=r"customers: column 'customer_id' is null or empty in 1 of 3"
    ):
        validate_customers(df, policy={"null_customer_ids": "error"})
    with pytest.warns(DataQualityWarning):
        customers, report = validate_customers(df)
    assert customers["customer_id"].tolist() == [1, 3]
    assert report.dropped("null or empty customer_id") == 1


def test_bad_signup_dates_by_policy(customers_frame):
    df = customers_frame.assign(signup_at=["2010-01-05", "someday", None])
    with pytest.raises(DataError, match=r"'signup_at' has 2 missing or unparseable"):
        validate_customers(df)
    with pytest.warns(DataQualityWarning):
        customers, _ = validate_customers(df, policy={"invalid_timestamps": "drop"})
    assert customers["customer_id"].tolist() == [12346]


def test_customer_id_comes_first():
    df = pd.DataFrame({"region": ["a"], "customer_id": ["x1"]})
    customers, _ = validate_customers(df)
    assert customers.columns.tolist() == ["customer_id", "region"]
    assert customers["customer_id"].dtype == "str"


def test_align_customer_ids_writes_integers_as_text(events_frame):
    events, _ = validate_events(events_frame)
    customers, _ = validate_customers(pd.DataFrame({"customer_id": ["12346", "guest-1"]}))
    assert str(events["customer_id"].dtype) == "int64"
    aligned_events, aligned_customers = align_customer_ids(events, customers)
    assert aligned_customers is customers
    assert aligned_events["customer_id"].tolist()[:3] == ["12346", "12346", "12347"]
    assert set(aligned_events["customer_id"]) & set(customers["customer_id"]) == {"12346"}
    assert str(events["customer_id"].dtype) == "int64"  # input untouched


def test_align_customer_ids_leaves_matching_dtypes(events_frame):
    events, _ = validate_events(events_frame)
    customers, _ = validate_customers(pd.DataFrame({"customer_id": [12346]}))
    assert align_customer_ids(events, customers) == (events, customers)
