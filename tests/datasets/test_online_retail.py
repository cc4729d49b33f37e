"""The Online Retail loader against the real files, with every count recomputed here.

The expected counts are computed independently with plain pandas on the raw file (a
date cut for the sheet overlap, ``drop_duplicates`` for duplicates, boolean filters
for the rest), then compared with what the loader kept and reported.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metaseg.data import load_mapping, read_customers, read_events
from metaseg.datasets import load_online_retail
from metaseg.datasets.online_retail import (
    ADJUSTMENT_CODES,
    ONLINE_RETAIL_II_MAPPING,
    ONLINE_RETAIL_MAPPING,
    remove_sheet_overlap,
)
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning
from metaseg.facts import compute_facts

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "mappings"
EARLY, LATE = "Year 2009-2010", "Year 2010-2011"


def load(raw: pd.DataFrame, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_online_retail(raw, **kwargs)


@pytest.fixture(scope="session")
def raw_ii(shared_data: Path) -> pd.DataFrame:
    return pd.read_parquet(shared_data / "online_retail_ii" / "online_retail_ii.parquet")


@pytest.fixture(scope="session")
def raw_old(shared_data: Path) -> pd.DataFrame:
    return pd.read_parquet(shared_data / "online_retail" / "online_retail.parquet")


@pytest.fixture(scope="session")
def loaded_ii(raw_ii):
    return load(raw_ii)


@pytest.fixture(scope="session")
def loaded_other_way(raw_ii):
    """Every policy the other way round from the defaults."""
    return load(raw_ii, cancellations="drop", drop_exact_duplicates=False, adjustments="keep")


@pytest.fixture(scope="session")
def overlap_free(raw_ii) -> pd.DataFrame:
    """Raw lines less the earlier sheet's copy of the days both sheets hold."""
    first_late_day = raw_ii.loc[raw_ii["Sheet"] == LATE, "InvoiceDate"].min()
    repeated = (raw_ii["Sheet"] == EARLY) & (raw_ii["InvoiceDate"] >= first_late_day)
    return raw_ii[~repeated].drop(columns="Sheet")


def without_adjustments(lines: pd.DataFrame, price: str = "Price") -> pd.DataFrame:
    return lines[~lines["StockCode"].isin(ADJUSTMENT_CODES) & (lines[price] > 0)]


@pytest.fixture(scope="session")
def deduped(overlap_free) -> pd.DataFrame:
    return overlap_free.drop_duplicates()


@pytest.fixture(scope="session")
def expected_lines(deduped) -> pd.DataFrame:
    """The lines the default loader keeps, by plain pandas."""
    lines = without_adjustments(deduped)
    return lines[lines["Customer ID"].notna()]


def test_raw_file_matches_the_published_counts(raw_ii, loaded_ii):
    assert len(raw_ii) == 1_067_371
    assert raw_ii["Customer ID"].nunique() == 5_942
    assert raw_ii["Invoice"].nunique() == 53_628
    assert raw_ii.drop(columns="Sheet").duplicated().sum() == 34_335
    _, _, report = loaded_ii
    assert report.entries[0].reason == "Online Retail II lines read"
    assert report.entries[0].rows == 1_067_371


def test_sheet_overlap_is_removed_once(raw_ii, overlap_free, loaded_ii):
    _, _, report = loaded_ii
    removed = len(raw_ii) - len(overlap_free)
    assert removed == 22_523
    assert report.dropped("workbook sheet") == removed
    # each overlapping day is kept exactly once: as many lines as the later sheet holds
    late = raw_ii[raw_ii["Sheet"] == LATE]
    first_days = late[late["InvoiceDate"] < pd.Timestamp("2010-12-10")]
    kept_days = overlap_free[overlap_free["InvoiceDate"].between("2010-12-01", "2010-12-09 23:59")]
    assert len(kept_days) == len(first_days)


def test_exact_duplicates_dropped_and_counted(overlap_free, deduped, loaded_ii):
    _, _, report = loaded_ii
    duplicates = len(overlap_free) - len(deduped)
    assert report.dropped("exact duplicate line") == duplicates
    # with the overlap, these are the 34,335 fully duplicated lines of the file
    assert duplicates + report.dropped("workbook sheet") == 34_335


def test_cancellations_counted_and_kept_as_refunds(deduped, expected_lines, loaded_ii):
    events, _, report = loaded_ii
    cancelled = deduped["Invoice"].str.startswith("C")
    [entry] = [e for e in report if e.reason == "cancellation lines kept as refunds"]
    assert entry.rows == int(cancelled.sum())
    expected_refunds = expected_lines["Invoice"].str.startswith("C")
    refunds = events["event_type"] == "refund"
    assert int(refunds.sum()) == int(expected_refunds.sum())
    assert events.loc[refunds, "order_id"].str.startswith("C").all()
    assert not events.loc[~refunds, "order_id"].str.startswith("C").any()


def test_adjustments_dropped_and_counted(deduped, loaded_ii):
    _, _, report = loaded_ii
    coded = deduped["StockCode"].isin(ADJUSTMENT_CODES)
    free = ~coded & ~(deduped["Price"] > 0)
    assert report.dropped("adjustment line") == int(coded.sum())
    assert report.dropped("price of zero or less") == int(free.sum())
    assert int(free.sum()) > 0 and int(coded.sum()) > 0


def test_lines_without_customer_counted(deduped, loaded_ii):
    _, _, report = loaded_ii
    kept = without_adjustments(deduped)
    assert report.dropped("null or empty customer_id") == int(kept["Customer ID"].isna().sum())


def test_events_are_the_expected_lines(expected_lines, loaded_ii):
    events, _, report = loaded_ii
    assert len(events) == len(expected_lines)
    assert events["customer_id"].nunique() == expected_lines["Customer ID"].nunique()
    assert events["order_id"].nunique() == expected_lines["Invoice"].nunique()
    value = expected_lines["Quantity"] * expected_lines["Price"]
    is_refund = expected_lines["Quantity"] < 0
    purchases = events.loc[events["event_type"] == "purchase", "amount"].sum()
    refunds = events.loc[events["event_type"] == "refund", "amount"].sum()
    assert purchases == pytest.approx(value[~is_refund].sum())
    assert refunds == pytest.approx(-value[is_refund].sum())
    assert report.rows_dropped == 1_067_371 - len(expected_lines)


def test_events_have_the_standard_schema(loaded_ii):
    events, customers, _ = loaded_ii
    assert events.columns.tolist() == [
        "customer_id",
        "timestamp",
        "event_type",
        "amount",
        "order_id",
        "quantity",
        "stock_code",
    ]
    assert str(events["customer_id"].dtype) == "int64"
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"
    assert events["event_type"].dtype == "str"
    assert set(events["event_type"].unique()) == {"purchase", "refund"}
    assert events["amount"].dtype == np.float64 and (events["amount"] > 0).all()
    assert (events["quantity"] > 0).all()
    assert "category" not in events.columns
    assert customers.columns.tolist() == ["customer_id", "country"]
    assert str(customers["customer_id"].dtype) == "int64"


def test_uk_local_time_becomes_utc(raw_ii, loaded_ii):
    events, _, _ = loaded_ii
    # the first line, in winter (GMT = UTC), and a line in summer (BST = UTC+1)
    first = events.iloc[0]
    assert first["order_id"] == raw_ii["Invoice"].iloc[0]
    assert first["timestamp"] == raw_ii["InvoiceDate"].iloc[0].tz_localize("UTC")
    summer = raw_ii[(raw_ii["InvoiceDate"].dt.month == 7) & raw_ii["Customer ID"].notna()]
    line = summer.iloc[0]
    event = events[
        (events["order_id"] == line["Invoice"]) & (events["stock_code"] == line["StockCode"])
    ].iloc[0]
    assert event["timestamp"] == line["InvoiceDate"].tz_localize("UTC") - pd.Timedelta(hours=1)


def test_customers_are_those_with_events_and_their_main_country(expected_lines, loaded_ii):
    events, customers, report = loaded_ii
    assert customers["customer_id"].is_unique
    assert set(customers["customer_id"]) == set(events["customer_id"])
    # the customers whose every line the cleaning dropped are counted, by step
    assert report.customers_dropped == 5_942 - len(customers) == 65
    kept = expected_lines
    countries = kept.groupby("Customer ID")["Country"]
    several = countries.nunique()
    several = several[several > 1]
    [entry] = [e for e in report if "disagree on attributes" in e.reason]
    assert entry.rows == len(several) == 12 and entry.unit == "customers"
    by_id = customers.set_index("customer_id")["country"]
    for customer in several.index:
        if customer in by_id.index:
            counts = countries.get_group(customer).value_counts()
            top = counts[counts == counts.max()].index
            assert by_id[customer] in set(top)


def test_invoice_level_sums_the_lines(raw_ii, expected_lines, loaded_ii):
    events, customers, report = load(raw_ii, level="invoice")
    assert len(events) == expected_lines["Invoice"].nunique()
    assert events["order_id"].is_unique
    assert "stock_code" not in events.columns
    lines, _, _ = loaded_ii
    assert events["amount"].sum() == pytest.approx(lines["amount"].sum())
    first_line = lines.groupby("order_id")["timestamp"].min()
    assert (events.set_index("order_id")["timestamp"] == first_line[events["order_id"]]).all()
    one = expected_lines[expected_lines["Invoice"] == "489434"]
    assert events.set_index("order_id").loc["489434", "amount"] == pytest.approx(
        (one["Quantity"] * one["Price"]).sum()
    )
    assert customers.equals(loaded_ii[1])
    assert any("invoice lines summed" in e.reason for e in report)


def test_every_policy_the_other_way(overlap_free, deduped, loaded_other_way):
    events, _, report = loaded_other_way
    cancelled = overlap_free["Invoice"].str.startswith("C")
    assert report.dropped("cancellation line") == int(cancelled.sum())
    assert (events["event_type"] == "purchase").all()
    [kept_duplicates] = [e for e in report if e.reason == "exact duplicate lines kept"]
    assert kept_duplicates.rows == len(overlap_free) - len(deduped)
    assert report.dropped("exact duplicate") == 0
    assert report.dropped("adjustment") == 0 and report.dropped("price of zero") == 0
    lines = overlap_free[~cancelled]
    lines = lines[lines["Customer ID"].notna()]
    assert len(events) == len(lines)
    zero = lines["Price"] == 0
    assert int((events["amount"] == 0).sum()) == int(zero.sum())


def test_one_warning_summarises_the_drops_and_as_of_applies(raw_old):
    as_of = "2011-12-01 09:00"
    with pytest.warns(DataQualityWarning, match="load_online_retail dropped") as caught:
        events, _, report = load_online_retail(raw_old, as_of=as_of)
    assert len(caught) == 1
    assert caught[0].filename == __file__
    cut = pd.Timestamp(as_of, tz="Europe/London")
    assert events["timestamp"].max() <= cut
    lines = without_adjustments(raw_old.drop_duplicates(), price="UnitPrice")
    lines = lines[lines["CustomerID"].notna()]
    later = lines["InvoiceDate"].dt.tz_localize("Europe/London") > cut
    assert report.dropped("after as_of") == int(later.sum()) > 0


def test_old_online_retail_maps_to_the_same_schema(shared_data, raw_old, loaded_ii):
    assert len(raw_old) == 541_909
    assert raw_old["CustomerID"].nunique() == 4_372
    assert raw_old["InvoiceNo"].nunique() == 25_900
    events, customers, report = load(shared_data / "online_retail" / "online_retail.parquet")
    ii_events, ii_customers, _ = loaded_ii
    assert events.dtypes.to_dict() == ii_events.dtypes.to_dict()
    assert customers.dtypes.to_dict() == ii_customers.dtypes.to_dict()
    assert report.entries[0].reason == "Online Retail lines read"
    assert report.dropped("workbook sheet") == 0
    lines = without_adjustments(raw_old.drop_duplicates(), price="UnitPrice")
    lines = lines[lines["CustomerID"].notna()]
    assert len(events) == len(lines)
    assert len(customers) == lines["CustomerID"].nunique()
    assert report.customers_dropped == 4_372 - len(customers)


def test_mapping_files_equal_the_python_constants():
    assert load_mapping(CONFIGS / "online_retail_ii.yaml") == ONLINE_RETAIL_II_MAPPING
    assert load_mapping(CONFIGS / "online_retail.yaml") == ONLINE_RETAIL_MAPPING
    assert load_mapping("online_retail_ii") == ONLINE_RETAIL_II_MAPPING
    [step] = [s for s in ONLINE_RETAIL_II_MAPPING.events.clean if s.name == "adjustments"]
    assert tuple(step.drop.value) == ADJUSTMENT_CODES


def facts_of(events, customers):
    # one thread: DuckDB's parallel float sums may differ in the last bit between runs
    return compute_facts(events, customers, as_of="2011-12-10", threads=1)


def read_with_mapping(lines, mapping):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        events, report = read_events(lines, mapping)
        customers, _ = read_customers(lines, mapping)
    return events, customers, report


def test_the_mapping_alone_gives_the_loaders_events_customers_and_facts(raw_ii, loaded_ii):
    lines, removed = remove_sheet_overlap(raw_ii)
    assert removed == 22_523 and "Sheet" in lines.columns
    events, customers, report = read_with_mapping(lines, str(CONFIGS / "online_retail_ii.yaml"))
    loader_events, loader_customers, loader_report = loaded_ii
    pd.testing.assert_frame_equal(events, loader_events, check_exact=True)
    pd.testing.assert_frame_equal(customers, loader_customers, check_exact=True)
    facts = facts_of(events, customers)
    pd.testing.assert_frame_equal(
        facts, facts_of(loader_events, loader_customers), check_exact=True
    )
    # the figures of the mapping-only path before it cleaned: 5,942 customers, 65 of
    # them with no real purchase, monetary as low as -25,111
    assert len(facts) == 5_877 and facts["customer_id"].is_unique
    assert facts["monetary"].min() > -1_500
    # the same counts, step by step, as the loader's report
    assert report.rows_dropped == loader_report.rows_dropped - removed
    assert report.customers_dropped == loader_report.customers_dropped == 65


def test_reading_the_raw_file_drops_the_overlap_as_duplicates(shared_data, loaded_ii):
    path = shared_data / "online_retail_ii" / "online_retail_ii.parquet"
    events, _, report = read_with_mapping(path, "online_retail_ii")
    loader_events = loaded_ii[0]
    assert report.dropped("exact duplicate line") == 34_335
    columns = list(events.columns)
    pd.testing.assert_frame_equal(
        events.sort_values(columns).reset_index(drop=True),
        loader_events.sort_values(columns).reset_index(drop=True),
        check_exact=True,
    )


def test_the_older_file_through_its_mapping_equals_the_loader(raw_old):
    events, customers, _ = read_with_mapping(raw_old, CONFIGS / "online_retail.yaml")
    loader_events, loader_customers, _ = load(raw_old)
    pd.testing.assert_frame_equal(events, loader_events, check_exact=True)
    pd.testing.assert_frame_equal(customers, loader_customers, check_exact=True)
    pd.testing.assert_frame_equal(
        facts_of(events, customers), facts_of(loader_events, loader_customers), check_exact=True
    )


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"level": "week"}, "level"),
        ({"cancellations": "keep"}, "cancellations"),
        ({"adjustments": "fix"}, "adjustments"),
        ({"drop_exact_duplicates": "yes"}, "drop_exact_duplicates"),
    ],
)
def test_bad_parameters_are_named(kwargs, name):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ConfigError, match=rf"^{name} must be one of .* got '\w+'"):
        load_online_retail(frame, **kwargs)


def test_other_tables_are_refused_with_the_expected_columns():
    frame = pd.DataFrame({"Invoice": ["1"], "Quantity": [1]})
    with pytest.raises(DataError) as err:
        load_online_retail(frame)
    message = str(err.value)
    assert "not an Online Retail file" in message
    assert "'Customer ID'" in message and "'CustomerID'" in message
    assert "read_events" in message
