from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metaseg.data import (
    DatasetMapping,
    read_customers,
    read_events,
    read_table,
    table_columns,
)
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

MAPPING = """
events:
  customer_id: Customer ID
  timestamp: InvoiceDate
  event_type: {when_negative: Quantity, then: refund, else: purchase}
  amount: {product: [Quantity, Price]}
  order_id: Invoice
  quantity: Quantity
  timezone: Europe/London
customers:
  customer_id: Customer ID
  attributes: {country: Country}
"""


@pytest.fixture
def raw() -> pd.DataFrame:
    """Online-Retail-like lines: float ids with a gap, a cancellation, UK local times."""
    return pd.DataFrame(
        {
            "Invoice": ["536365", "536365", "C536379", "536380", "536381", "536382"],
            "Quantity": [6, 2, -1, 3, 1, 4],
            "InvoiceDate": [
                "2010-12-01 08:26:00",
                "2010-12-01 08:26:00",
                "2010-12-01 09:41:00",
                "2011-06-01 10:00:00",
                "2011-06-02 11:00:00",
                "2011-07-01 12:00:00",
            ],
            "Price": [2.55, 3.39, 27.5, 1.25, 4.0, 0.85],
            "Customer ID": [17850.0, 17850.0, 14527.0, None, 13047.0, 13047.0],
            "Country": ["United Kingdom"] * 5 + ["France"],
            "Unused": ["x"] * 6,
        }
    )


def _write_parquet_folder(frame: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir()
    first, second = frame.iloc[:3], frame.iloc[3:]
    pq.write_table(pa.Table.from_pandas(first, preserve_index=False), folder / "part-0.parquet")
    # the second file stores the quantities as floats: the schemas are unified
    second = second.assign(Quantity=second["Quantity"].astype("float64"))
    pq.write_table(pa.Table.from_pandas(second, preserve_index=False), folder / "part-1.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.parquet").write_text("not parquet")
    return folder


@pytest.fixture
def sources(raw: pd.DataFrame, tmp_path: Path) -> dict[str, object]:
    csv = tmp_path / "lines.csv"
    raw.to_csv(csv, index=False)
    parquet = tmp_path / "lines.parquet"
    raw.to_parquet(parquet, index=False)
    folder = _write_parquet_folder(raw, tmp_path / "parts")
    csv_folder = tmp_path / "csvs"
    csv_folder.mkdir()
    raw.iloc[:2].to_csv(csv_folder / "a.csv", index=False)
    raw.iloc[2:].to_csv(csv_folder / "b.csv", index=False)
    return {
        "frame": raw,
        "csv": csv,
        "parquet": str(parquet),
        "folder": folder,
        "csv folder": csv_folder,
    }


@pytest.mark.parametrize("kind", ["frame", "csv", "parquet", "folder", "csv folder"])
def test_every_kind_of_source_gives_the_same_events(sources, kind):
    with pytest.warns(DataQualityWarning, match="dropped 1 of 6 rows") as caught:
        events, report = read_events(sources[kind], MAPPING)
    assert caught[0].filename == __file__
    assert events.columns.tolist() == [
        "customer_id",
        "timestamp",
        "event_type",
        "amount",
        "order_id",
        "quantity",
    ]
    assert events["customer_id"].tolist() == [17850, 17850, 14527, 13047, 13047]
    assert str(events["customer_id"].dtype) == "int64"
    assert events["event_type"].tolist() == [
        "purchase",
        "purchase",
        "refund",
        "purchase",
        "purchase",
    ]
    assert events["amount"].round(2).tolist() == [15.3, 6.78, 27.5, 4.0, 3.4]
    assert events["order_id"].tolist() == ["536365", "536365", "C536379", "536381", "536382"]
    # UK winter time is UTC, summer time is UTC+1
    assert events["timestamp"].iloc[0] == pd.Timestamp("2010-12-01 08:26", tz="UTC")
    assert events["timestamp"].iloc[3] == pd.Timestamp("2011-06-02 10:00", tz="UTC")
    assert report.entries[0].action == "info" and report.entries[0].rows == 6
    assert report.dropped("null or empty customer_id") == 1


def test_mapping_from_a_yaml_file_and_a_model(sources, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        from_file, _ = read_events(sources["parquet"], path)
        from_model, _ = read_events(sources["parquet"], DatasetMapping.from_yaml(path))
    pd.testing.assert_frame_equal(from_file, from_model)


def test_csv_ids_with_leading_zeros_stay_text(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,timestamp,event_type,amount\n"
        "007,2024-01-01,purchase,5\n"
        "012,2024-01-02,purchase,7\n",
        encoding="utf-8",
    )
    events, _ = read_events(path)
    assert events["customer_id"].tolist() == ["007", "012"]


def test_csv_float_ids_become_integers(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,timestamp,event_type,amount\n"
        "12346.0,2024-01-01T10:00:00+01:00,purchase,5\n"
        "12347.0,2024-01-02T10:00:00Z,purchase,7\n",
        encoding="utf-8",
    )
    events, report = read_events(path)
    assert events["customer_id"].tolist() == [12346, 12347]
    assert events["timestamp"].dt.hour.tolist() == [9, 10]
    assert any("mixed time zones" in e.reason for e in report)


def test_no_mapping_keeps_every_column(tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame(
        {
            "customer_id": [1],
            "timestamp": pd.to_datetime(["2024-01-01"]),
            "event_type": ["view"],
            "amount": [None],
            "page": ["/home"],
        }
    ).to_parquet(path)
    events, _ = read_events(path)
    assert events.columns.tolist() == ["customer_id", "timestamp", "event_type", "amount", "page"]


def test_only_the_mapped_columns_are_read(sources):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        events, _ = read_events(sources["folder"], MAPPING)
    assert "Unused" not in events.columns and "Country" not in events.columns


def test_unknown_mapped_column_lists_the_file_columns(sources):
    bad = MAPPING.replace("Customer ID", "CustomerID", 1)
    with pytest.raises(ConfigError) as err:
        read_events(sources["csv"], bad)
    message = str(err.value)
    assert "events.customer_id refers to source column 'CustomerID'" in message
    assert "Did you mean 'Customer ID'?" in message
    assert "'InvoiceDate'" in message  # the available columns


def test_as_of_is_read_in_the_mapping_zone(sources):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        # 11:00 London summer time is 10:00 UTC: the 2011-06-02 11:00 line is kept
        events, report = read_events(sources["frame"], MAPPING, as_of="2011-06-02 11:00")
    assert len(events) == 4
    assert report.dropped("after as_of") == 1


def test_policy_reaches_validation(sources):
    with pytest.raises(DataError, match="null or empty in 1 of 6 rows"):
        read_events(sources["csv"], MAPPING, policy={"null_customer_ids": "error"})


def test_read_customers_from_csv(sources):
    mapping = {"customer_id": "Customer ID", "attributes": {"country": "Country"}}
    lines = sources["frame"].dropna(subset=["Customer ID"]).drop_duplicates("Customer ID")
    path = Path(sources["csv"]).with_name("customers.csv")
    lines.to_csv(path, index=False)
    customers, report = read_customers(path, mapping)
    assert customers.to_dict("list") == {
        "customer_id": [17850, 14527, 13047],
        "country": ["United Kingdom", "United Kingdom", "United Kingdom"],
    }
    assert report.entries[0].rows == 3


def test_read_customers_takes_the_customers_section(sources):
    with pytest.raises(DataError, match="repeats 2 ids over 4 rows"):
        read_customers(sources["frame"], MAPPING)
    with pytest.warns(DataQualityWarning, match="repeated customer_id"):
        customers, _ = read_customers(
            sources["frame"],
            MAPPING,
            policy={"duplicate_customers": "keep_first", "null_customer_ids": "drop"},
        )
    assert customers["customer_id"].tolist() == [17850, 14527, 13047]


def test_table_columns_reads_no_rows(sources):
    expected = list(sources["frame"].columns)
    assert table_columns(sources["csv"]) == expected
    assert table_columns(sources["folder"]) == expected


def test_folder_schemas_are_unified(sources):
    table = read_table(sources["folder"])
    assert len(table) == 6
    assert table["Quantity"].dtype == "float64"


def test_missing_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_events(tmp_path / "nope.parquet")


def test_unsupported_extension(tmp_path):
    path = tmp_path / "events.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ConfigError, match="neither CSV nor Parquet"):
        read_table(path)


def test_folder_with_both_formats(tmp_path, raw):
    raw.to_csv(tmp_path / "a.csv", index=False)
    raw.to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ConfigError, match=r"both CSV \(1\) and Parquet \(1\)"):
        read_table(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no CSV or Parquet file"):
        read_table(tmp_path)


def test_corrupt_parquet_is_a_data_error(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="could not read"):
        read_table(path)


def test_source_of_the_wrong_type():
    with pytest.raises(ConfigError, match="source must be a DataFrame or the path"):
        read_table(42)  # type: ignore[arg-type]


def test_parquet_files_with_clashing_types_are_a_data_error(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame({"customer_id": [1]}).to_parquet(folder / "a.parquet")
    pd.DataFrame({"customer_id": ["x"]}).to_parquet(folder / "b.parquet")
    with pytest.raises(DataError, match="incompatible columns.*same column names and types"):
        read_table(folder)


def test_csv_files_with_clashing_guessed_types_are_read_as_text(tmp_path):
    (tmp_path / "a.csv").write_text("code,n\n1,1\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("code,n\nA7,2\n", encoding="utf-8")
    table = read_table(tmp_path)
    assert table["code"].tolist() == ["1", "A7"]
    assert table["n"].tolist() == [1, 2]


ZERO_IDS = ["0000001", "0000002", "0012300"]


def _zero_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ZERO_IDS,
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "event_type": "purchase",
            "amount": [1.0, 2.0, 3.0],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_ids_with_leading_zeros_round_trip_through_files(tmp_path, suffix):
    events_path = tmp_path / f"events{suffix}"
    customers_path = tmp_path / f"customers{suffix}"
    customers = pd.DataFrame({"customer_id": ZERO_IDS, "region": ["n", "s", "e"]})
    if suffix == ".csv":
        _zero_events().to_csv(events_path, index=False)
        customers.to_csv(customers_path, index=False)
    else:
        _zero_events().to_parquet(events_path)
        customers.to_parquet(customers_path)
    events, _ = read_events(events_path)
    read, _ = read_customers(customers_path)
    assert events["customer_id"].tolist() == ZERO_IDS
    assert read["customer_id"].tolist() == ZERO_IDS


def test_a_folder_where_one_file_has_zero_padded_ids_keeps_every_id_as_text(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    _zero_events().to_csv(folder / "a.csv", index=False)
    _zero_events().assign(customer_id=["7", "8", "9"]).to_csv(folder / "b.csv", index=False)
    events, _ = read_events(folder)
    assert events["customer_id"].tolist() == [*ZERO_IDS, "7", "8", "9"]


SEPARATED_EVENTS = [
    ["customer_id", "timestamp", "event_type", "amount"],
    ["17850", "2011-01-03 09:00", "purchase", "12.5"],
    ["17850", "2011-01-04 10:30", "view", ""],
    ["13047", "2011-02-01 12:00", "purchase", "3"],
]


def _separated(separator: str, rows: list[list[str]] = SEPARATED_EVENTS) -> str:
    return "".join(separator.join(row) + "\n" for row in rows)


def _assert_standard_events(events: pd.DataFrame) -> None:
    assert events.columns.tolist() == ["customer_id", "timestamp", "event_type", "amount"]
    assert events["customer_id"].tolist() == [17850, 17850, 13047]
    assert events["event_type"].tolist() == ["purchase", "view", "purchase"]
    assert events["amount"].tolist()[::2] == [12.5, 3.0]
    assert events["timestamp"].iloc[2] == pd.Timestamp("2011-02-01 12:00", tz="UTC")


def _detections(report) -> list:
    return [e for e in report if e.reason.startswith("CSV separator detected")]


def test_semicolon_csv_with_a_bom_is_read_with_its_separator(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(_separated(";"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert table_columns(path) == ["customer_id", "timestamp", "event_type", "amount"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events, report = read_events(path)
    _assert_standard_events(events)
    (entry,) = _detections(report)
    assert entry.action == "info" and entry.rows == 3
    assert entry.reason == "CSV separator detected: ';' (the header line holds no ',')"
    assert entry.examples == ("events.csv",)
    assert report.rows_dropped == 0


def test_tab_separated_csv_is_read_with_tabs(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(_separated("\t"), encoding="utf-8")
    events, report = read_events(path)
    _assert_standard_events(events)
    assert "'\\t'" in _detections(report)[0].reason


def test_pipe_separated_csv_with_a_mapping(tmp_path):
    path = tmp_path / "events.csv"
    rows = [["user", "ts", "kind", "revenue"], *SEPARATED_EVENTS[1:]]
    path.write_text(_separated("|", rows), encoding="utf-8-sig")
    mapping = {"customer_id": "user", "timestamp": "ts", "event_type": "kind", "amount": "revenue"}
    events, report = read_events(path, mapping)
    _assert_standard_events(events)
    assert "'|'" in _detections(report)[0].reason


def test_comma_csv_is_read_as_before_and_records_no_detection(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(_separated(","), encoding="utf-8-sig")
    events, report = read_events(path)
    _assert_standard_events(events)
    assert _detections(report) == []


def test_a_semicolon_inside_a_quoted_comma_header_keeps_the_comma(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        'customer_id,timestamp,event_type,amount,"note;a"\n1,2024-01-01,purchase,5,x;y\n',
        encoding="utf-8",
    )
    events, report = read_events(path)
    assert events["note;a"].tolist() == ["x;y"]
    assert _detections(report) == []


def test_gzip_compressed_semicolon_csv(tmp_path):
    import gzip

    path = tmp_path / "events.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig") as handle:
        handle.write(_separated(";"))
    events, report = read_events(path)
    _assert_standard_events(events)
    assert _detections(report)[0].examples == ("events.csv.gz",)


def test_semicolon_customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id;signup_at;region\n1;2020-01-01;north\n2;2021-05-01;south\n",
        encoding="utf-8-sig",
    )
    customers, report = read_customers(path)
    assert customers.columns.tolist() == ["customer_id", "signup_at", "region"]
    assert customers["region"].tolist() == ["north", "south"]
    assert _detections(report)[0].step == "read_customers"


def test_a_folder_counts_the_rows_of_each_detected_file(tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "a.csv").write_text(_separated(";"), encoding="utf-8-sig")
    (folder / "b.csv").write_text(_separated(","), encoding="utf-8")
    events, report = read_events(folder)
    assert len(events) == 6
    (entry,) = _detections(report)
    assert entry.rows == 3 and entry.examples == ("a.csv",)


def test_decimal_comma_amount_is_a_data_error_naming_the_column(tmp_path):
    path = tmp_path / "events.csv"
    rows = [row[:3] + [row[3].replace(".", ",")] for row in SEPARATED_EVENTS]
    path.write_text(_separated(";", rows), encoding="utf-8-sig")
    with pytest.raises(DataError) as caught:
        read_events(path)
    message = str(caught.value)
    assert "column 'amount'" in message
    assert "'12,50'" in message or "'12,5'" in message
    assert "decimal comma" in message and "Fix:" in message


def test_decimal_comma_under_a_drop_policy_is_reported(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id;timestamp;event_type;amount\n1;2024-01-01;purchase;12,50\n"
        "2;2024-01-02;purchase;3.5\n",
        encoding="utf-8",
    )
    with pytest.warns(DataQualityWarning, match="non-numeric amount: 1"):
        events, report = read_events(path, policy={"invalid_amounts": "drop"})
    assert events["amount"].tolist() == [3.5]
    assert report.dropped("non-numeric amount") == 1


def test_a_semicolon_header_with_a_comma_names_the_separator(tmp_path):
    # The header holds a ',' inside a name, so ',' is kept: the error says what happened.
    path = tmp_path / "events.csv"
    path.write_text("customer_id;timestamp;event_type;amount, EUR\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_events(path)
    message = str(caught.value)
    assert "'customer_id;timestamp;event_type;amount'" in message
    assert "semicolon (';') as its separator" in message
    assert "pandas.read_csv(path, sep=';')" in message


def test_a_frame_with_one_joined_column_names_the_separator():
    frame = pd.DataFrame({"customer_id;timestamp;event_type;amount": ["1;2024-01-01;view;"]})
    with pytest.raises(DataError, match=r"semicolon \(';'\) as its separator"):
        read_events(frame)


def test_a_mapping_on_a_joined_header_names_the_separator():
    frame = pd.DataFrame({"user\tts\tkind\trevenue": ["1\t2024-01-01\tview\t"]})
    mapping = {"customer_id": "user", "timestamp": "ts", "event_type": "kind", "amount": "revenue"}
    with pytest.raises(ConfigError, match=r"tab \('\\t'\) as its separator"):
        read_events(frame, mapping)
