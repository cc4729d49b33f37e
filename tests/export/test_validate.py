"""Checks on the labels table before export."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg.exceptions import DataError
from metaseg.export.validate import validate_labels
from metaseg.schema import LABEL_COLUMNS


def test_valid_labels_come_back_normalised(make_labels):
    labels = make_labels(20)
    labels["scored_at"] = "2024-06-02T08:00:00Z"  # ISO text is read as UTC
    labels["as_of"] = pd.Timestamp("2024-06-01")  # naive is taken as UTC
    labels["sub_segment"] = labels["sub_segment"].astype("float64")
    labels["customer_id"] = labels["customer_id"].astype("float64")  # e.g. after a NaN once
    out = validate_labels(labels)
    assert out["customer_id"].dtype == "int64"
    assert list(out.columns) == list(LABEL_COLUMNS)
    assert out["sub_segment"].dtype == "int64"
    assert str(out["scored_at"].dt.tz) == "UTC"
    assert out["as_of"].iloc[0] == pd.Timestamp("2024-06-01", tz="UTC")
    assert out["customer_id"].tolist() == list(range(20))


def test_missing_column_is_named_with_a_hint(make_labels):
    labels = make_labels(3).rename(columns={"segment_name": "segmnt_name"})
    with pytest.raises(DataError, match="segment_name") as info:
        validate_labels(labels)
    assert "Did you mean 'segmnt_name'" in str(info.value)


def test_extra_column_is_refused_not_dropped(make_labels):
    labels = make_labels(3).assign(score=1.0)
    with pytest.raises(DataError, match="'score'.*LABEL_COLUMNS"):
        validate_labels(labels)


def test_duplicate_customer_and_model_is_refused(make_labels):
    labels = make_labels(5)
    labels = pd.concat([labels, labels.iloc[[1]]], ignore_index=True)
    with pytest.raises(DataError, match=r"\(customer_id, model_name\).*\(1, 'rfm'\)"):
        validate_labels(labels)


def test_same_customer_as_number_and_text_is_a_duplicate(make_labels):
    labels = make_labels(2).astype({"customer_id": object})
    labels.loc[1, "customer_id"] = "0"
    with pytest.raises(DataError, match="compared as text"):
        validate_labels(labels)


def test_same_customer_in_two_models_is_fine(make_labels):
    labels = pd.concat([make_labels(3), make_labels(3, model_name="other")], ignore_index=True)
    assert len(validate_labels(labels)) == 6


def test_null_key_is_refused_with_positions(make_labels):
    labels = make_labels(4).astype({"customer_id": object})
    labels.loc[2, "customer_id"] = None
    with pytest.raises(DataError, match=r"'customer_id' has 1 null.*\[2\]"):
        validate_labels(labels)


def test_non_integer_sub_segment_is_refused(make_labels):
    labels = make_labels(3).astype({"sub_segment": object})
    labels.loc[0, "sub_segment"] = "big"
    with pytest.raises(DataError, match="sub_segment.*'big'"):
        validate_labels(labels)


def test_segment_must_match_base_and_sub(make_labels):
    labels = make_labels(3)
    labels.loc[1, "segment"] = "whatever/9"
    with pytest.raises(DataError, match="'whatever/9'.*expected"):
        validate_labels(labels)


def test_unreadable_timestamp_is_refused(make_labels):
    labels = make_labels(3).astype({"as_of": object})
    labels.loc[0, "as_of"] = "next tuesday"
    with pytest.raises(DataError, match="'as_of'.*'next tuesday'"):
        validate_labels(labels)


def test_empty_and_non_frame_inputs_are_refused(make_labels):
    with pytest.raises(DataError, match="empty"):
        validate_labels(make_labels(3).iloc[0:0])
    with pytest.raises(DataError, match="DataFrame.*list"):
        validate_labels([1, 2])


def test_labels_of_a_model_object_say_how_to_name_their_model(shop_model, shop_facts):
    from metaseg.export import export_labels
    from metaseg.provenance import Provenance, stamp_provenance

    labels = shop_model.predict(shop_facts.head(20))
    with pytest.raises(DataError, match=r"'model_name' is empty.*load_champion\(name\)\.predict"):
        export_labels(labels, "unused.parquet", dry_run=True)
    stamped = stamp_provenance(labels, Provenance("shop", "1", "abc"))
    assert validate_labels(stamped)["model_name"].eq("shop").all()
