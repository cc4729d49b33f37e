"""Events from Parquet files, and the checks of the events' columns and types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts

from .conftest import AS_OF


def _write(frame: pd.DataFrame, path) -> None:
    frame.to_parquet(path, index=False)


def test_parquet_file_gives_the_same_facts_as_the_frame(make_events, make_customers, tmp_path):
    events = make_events(21)
    customers = make_customers(events, 21)
    _write(events, tmp_path / "events.parquet")
    from_frame = compute_facts(events, customers, as_of=AS_OF)
    from_file = compute_facts(tmp_path / "events.parquet", customers, as_of=AS_OF)
    pd.testing.assert_frame_equal(from_file, from_frame)
    assert from_file.attrs == from_frame.attrs


def test_folder_and_list_of_parquet_files(make_events, tmp_path):
    events = make_events(22, id_kind="str")
    folder = tmp_path / "events"
    (folder / "part=1").mkdir(parents=True)
    half = len(events) // 2
    _write(events.iloc[:half], folder / "a.parquet")
    _write(events.iloc[half:], folder / "part=1" / "b.parquet")
    expected = compute_facts(events, as_of=AS_OF)
    pd.testing.assert_frame_equal(compute_facts(folder, as_of=AS_OF), expected)
    files = [str(folder / "a.parquet"), folder / "part=1" / "b.parquet"]
    pd.testing.assert_frame_equal(compute_facts(files, as_of=AS_OF), expected)


def test_parquet_files_with_different_optional_columns(make_events, tmp_path):
    events = make_events(23)
    half = len(events) // 2
    _write(events.iloc[:half], tmp_path / "a.parquet")
    _write(events.iloc[half:].drop(columns="category"), tmp_path / "b.parquet")
    facts = compute_facts(tmp_path, as_of=AS_OF)
    expected = compute_facts(
        events.assign(category=events["category"].where(events.index < half)), as_of=AS_OF
    )
    pd.testing.assert_frame_equal(facts, expected)


def test_parquet_nanosecond_timestamps_and_nan_amounts(make_events, tmp_path):
    events = make_events(24)
    _write(events.assign(timestamp=events["timestamp"].dt.as_unit("ns")), tmp_path / "ns.parquet")
    table = pq.read_table(tmp_path / "ns.parquet")
    assert table.schema.field("timestamp").type.unit == "ns"
    # NaN (not null) amounts, as other writers produce: they are read as missing
    amounts = table.column("amount").to_numpy(zero_copy_only=False)
    nan_amounts = pa.array(amounts, from_pandas=False)
    assert nan_amounts.null_count == 0 and np.isnan(amounts).sum() > 10
    table = table.set_column(table.schema.get_field_index("amount"), "amount", nan_amounts)
    pq.write_table(table, tmp_path / "ns.parquet")
    pd.testing.assert_frame_equal(
        compute_facts(tmp_path / "ns.parquet", as_of=AS_OF), compute_facts(events, as_of=AS_OF)
    )


def test_parquet_integer_ids_stay_integers_and_text_ids_become_str(make_events, tmp_path):
    _write(make_events(25), tmp_path / "int.parquet")
    _write(make_events(25, id_kind="str"), tmp_path / "str.parquet")
    assert compute_facts(tmp_path / "int.parquet")["customer_id"].dtype == np.int64
    assert compute_facts(tmp_path / "str.parquet")["customer_id"].dtype == "str"


def test_missing_paths_are_named(tmp_path):
    with pytest.raises(DataError, match="nowhere.parquet' does not exist"):
        compute_facts(tmp_path / "nowhere.parquet")
    with pytest.raises(DataError, match=r"holds no \*\.parquet file"):
        compute_facts(tmp_path)
    with pytest.raises(DataError, match="list of Parquet paths is empty"):
        compute_facts([])
    with pytest.raises(
        DataError, match=r"table of standard events \(pandas, pyarrow or polars\).*got dict"
    ):
        compute_facts({"customer_id": [1]})


def test_unreadable_parquet_is_named(tmp_path):
    (tmp_path / "broken.parquet").write_text("customer_id,timestamp\n1,2024-01-01\n")
    with pytest.raises(DataError, match=r"broken\.parquet'\] could not be read"):
        compute_facts(tmp_path / "broken.parquet")


def test_missing_required_column_is_named_with_what_exists(make_events):
    events = make_events(0).rename(columns={"timestamp": "timestmp"})
    with pytest.raises(DataError) as caught:
        compute_facts(events)
    message = str(caught.value)
    assert "no column 'timestamp'" in message
    assert "'timestmp'" in message and "Did you mean 'timestmp'?" in message


def test_missing_required_column_in_parquet(make_events, tmp_path):
    _write(make_events(0).drop(columns="amount"), tmp_path / "e.parquet")
    with pytest.raises(DataError, match="no column 'amount'"):
        compute_facts(tmp_path / "e.parquet")


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("timestamp", "2024-01-01", r"'timestamp' has type VARCHAR.*pd\.to_datetime"),
        ("amount", "12.5", r"'amount' has type VARCHAR.*pd\.to_numeric"),
        ("customer_id", 1.5, r"'customer_id' has type DOUBLE.*astype\('int64'\)"),
        ("event_type", 3, r"'event_type' has type BIGINT"),
    ],
)
def test_wrong_column_types_are_explained(make_events, column, values, message):
    events = make_events(0).assign(**{column: values})
    with pytest.raises(DataError, match=message):
        compute_facts(events)


def test_null_event_type_is_refused(make_events):
    events = make_events(0)
    events.loc[[1, 2, 3], "event_type"] = None
    with pytest.raises(DataError, match=r"'event_type' has 3 null value\(s\)"):
        compute_facts(events, as_of=AS_OF)


def test_unused_columns_of_any_type_are_ignored(make_events):
    events = make_events(0)
    odd = events.assign(**{'odd "col"': [{"a": 1}] * len(events), "quantity": 1.0})
    pd.testing.assert_frame_equal(
        compute_facts(odd, as_of=AS_OF), compute_facts(events, as_of=AS_OF)
    )


def test_a_small_memory_limit_spills_and_gives_the_same_facts(make_events, tmp_path):
    from metaseg.datasets import write_shop

    shop = write_shop(tmp_path / "shop", 30_000, seed=2, chunk_customers=10_000)
    spill = tmp_path / "spill"
    limited = compute_facts(
        shop.events, as_of="2025-12-31", threads=1, memory_limit="40MB", temp_directory=spill
    )
    free = compute_facts(shop.events, as_of="2025-12-31", threads=1)
    pd.testing.assert_frame_equal(limited, free)
    assert len(limited) == 30_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"memory_limit": "4 gigs"}, r"memory_limit must be a size such as '4GB'.*got '4 gigs'"),
        ({"memory_limit": 4}, r"memory_limit must be a size such as '4GB'.*got 4"),
        ({"temp_directory": ""}, r"temp_directory must be a folder path, got ''"),
    ],
)
def test_bad_memory_settings_are_refused(make_events, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        compute_facts(make_events(3), as_of=AS_OF, **kwargs)


def test_a_file_given_as_temp_directory_is_refused(make_events, tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(ConfigError, match=r"temp_directory .*file.txt' is a file, not a folder"):
        compute_facts(make_events(3), as_of=AS_OF, temp_directory=path)
