"""The DuckDB diff gives exactly what the pandas diff it replaced gave, on random labels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaseg.exceptions import DataError
from metaseg.export.diff import LabelDiff, diff_labels


def _load_oracle():
    path = Path(__file__).with_name("pandas_diff.py")
    spec = importlib.util.spec_from_file_location("metaseg_tests_pandas_diff", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pandas_diff_labels


pandas_diff_labels = _load_oracle()

_TIMES = [
    pd.Timestamp("2024-06-01", tz="UTC"),
    pd.Timestamp("2024-06-01 02:00", tz="Europe/Paris"),  # the same instant as above
    pd.Timestamp("2024-06-02 08:30:00.123456", tz="UTC"),
]
_TIME_TEXTS = [
    "2024-06-01T00:00:00Z",
    "2024-06-01 00:00:00+00:00",
    "2024-06-01 00:00:00.000000",  # SQLite's UTC text
    "2024-06-02T08:30:00.123456+00:00",
    "not a date",
]


def _same(expected: LabelDiff, got: LabelDiff) -> None:
    for name in ("changes", "segments", "migrations"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)
    assert (got.n_before, got.n_after, got.n_unchanged) == (
        expected.n_before,
        expected.n_after,
        expected.n_unchanged,
    )
    assert got.summary() == expected.summary()


@st.composite
def _label_pairs(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A previous and a current labels table sharing some customers, in varied types."""
    ids = draw(st.lists(st.integers(0, 40), min_size=1, max_size=30, unique=True))
    models = draw(
        st.lists(st.sampled_from(["rfm", "life", "Rfm"]), min_size=1, max_size=2, unique=True)
    )
    rows = [(i, m) for i in ids for m in models if draw(st.booleans()) or len(ids) < 3]
    rows = rows or [(ids[0], models[0])]
    segments = st.sampled_from(["a/0", "a/1", "b/0", "b/-1", "Ä/2"])
    names = st.sampled_from(["Alpha", "beta", None, "=1+1", "NA"])
    subs = st.sampled_from([0, 1, -1])
    versions = st.sampled_from(["3", "1.10", "4"])

    def values(selected: list[tuple[int, str]]) -> pd.DataFrame:
        n = len(selected)
        frame = pd.DataFrame(
            {
                "customer_id": [i for i, _ in selected],
                "model_name": [m for _, m in selected],
                "segment": draw(st.lists(segments, min_size=n, max_size=n)),
                "segment_name": draw(st.lists(names, min_size=n, max_size=n)),
                "sub_segment": draw(st.lists(subs, min_size=n, max_size=n)),
                "model_version": draw(st.lists(versions, min_size=n, max_size=n)),
                "as_of": draw(st.lists(st.sampled_from(_TIMES), min_size=n, max_size=n)),
                "scored_at": draw(st.lists(st.sampled_from(_TIMES), min_size=n, max_size=n)),
            }
        )
        frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
        frame["scored_at"] = pd.to_datetime(frame["scored_at"], utc=True)
        return frame

    def retype(frame: pd.DataFrame) -> pd.DataFrame:
        id_kind = draw(st.sampled_from(["int", "text", "float", "mixed"]))
        text_kind = draw(st.sampled_from(["typed", "text", "numbers", "missing"]))
        frame = frame.reset_index(drop=True)
        n = len(frame)
        if id_kind == "text":
            frame["customer_id"] = frame["customer_id"].astype(str)
        elif id_kind == "float":
            frame["customer_id"] = frame["customer_id"].astype("float64")
        elif id_kind == "mixed":
            frame["customer_id"] = pd.Series(
                [str(i) if i % 2 else i for i in frame["customer_id"]], dtype=object
            )
        if text_kind == "text":  # what a CSV file or SQL table gives back
            frame = frame.astype({"sub_segment": str, "model_version": str})
            frame["as_of"] = draw(st.lists(st.sampled_from(_TIME_TEXTS), min_size=n, max_size=n))
            frame["scored_at"] = frame["scored_at"].map(lambda t: t.isoformat())
        elif text_kind == "numbers":
            frame["model_version"] = pd.to_numeric(frame["model_version"])
            frame["sub_segment"] = frame["sub_segment"].astype("float64")
        elif text_kind == "missing":
            frame.loc[frame.index[::2], "as_of"] = pd.NaT
            frame = frame.drop(columns=["model_version"])
        return frame

    current = values(rows)
    kept = [k for k in range(len(rows)) if draw(st.booleans())]
    previous = current.iloc[kept].copy()
    for column in ("segment", "segment_name", "as_of", "model_version"):
        if len(previous) and draw(st.booleans()):  # some of the kept labels change
            fresh = values(rows)[column].iloc[kept]
            mask = np.array(draw(st.lists(st.booleans(), min_size=len(kept), max_size=len(kept))))
            previous[column] = previous[column].where(~mask, fresh)
    extra = [(i + 100, m) for i, m in rows[:3] if draw(st.booleans())]
    if extra:
        previous = pd.concat([previous, values(extra)], ignore_index=True)
    # typed columns, as a reader gives them (object ids holding floats are tested apart)
    previous = previous.infer_objects()
    if draw(st.booleans()):
        previous = previous.sample(frac=1, random_state=0)
    return retype(previous), retype(current)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=_label_pairs())
def test_duckdb_diff_equals_the_pandas_diff(pair):
    previous, current = pair
    _same(pandas_diff_labels(previous, current), diff_labels(previous, current))
    _same(pandas_diff_labels(None, current), diff_labels(None, current))
    _same(pandas_diff_labels(current, current), diff_labels(current, current))


def test_equal_on_a_realistic_table_with_every_kind_of_change(make_labels):
    old = make_labels(3000, seed=1)
    new = pd.concat([old.iloc[100:], make_labels(200, seed=2, start=5000)], ignore_index=True)
    rng = np.random.default_rng(0)
    moved = rng.choice(len(new), 150, replace=False)
    new.loc[moved, ["base_segment", "sub_segment", "segment"]] = ["vip", 2, "vip/2"]
    new.loc[rng.choice(len(new), 300, replace=False), "segment_name"] = "renamed"
    as_sql = old.astype({"customer_id": str, "model_version": str})
    as_sql["as_of"] = old["as_of"].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    diff = diff_labels(as_sql, new)
    _same(pandas_diff_labels(as_sql, new), diff)
    assert diff.n_added == 200 and diff.n_removed == 100 and diff.n_moved > 100


def test_empty_tables_are_shaped_like_before(make_labels):
    labels = make_labels(5)
    _same(
        pandas_diff_labels(labels.iloc[0:0], labels.iloc[0:0]),
        diff_labels(labels.iloc[0:0], labels.iloc[0:0]),
    )
    _same(pandas_diff_labels(labels, labels.iloc[0:0]), diff_labels(labels, labels.iloc[0:0]))


def test_repeated_pairs_are_refused_with_the_same_message(make_labels):
    labels = make_labels(6)
    twice = pd.concat([labels, labels.iloc[[4, 1]]], ignore_index=True)
    twice["customer_id"] = twice["customer_id"].astype(object)
    twice.loc[6, "customer_id"] = str(twice.loc[6, "customer_id"])  # "4" repeats 4
    with pytest.raises(DataError) as ours:
        diff_labels(twice, labels)
    with pytest.raises(DataError) as theirs:
        pandas_diff_labels(twice, labels)
    assert str(ours.value) == str(theirs.value)
    assert "have 2 repeated" in str(ours.value) and "('4', 'rfm')" in str(ours.value)


def test_whole_float_ids_in_an_object_column_match_their_text():
    # the pandas diff keyed object columns with str(), so 4.0 missed the "4" stored in SQL
    old = pd.DataFrame({"customer_id": ["4", "5"], "model_name": "rfm", "segment": "a/0"})
    new = old.assign(customer_id=pd.Series([4.0, "5"], dtype=object))
    assert diff_labels(old, new).is_empty


def test_equal_on_categorical_columns_as_the_sqlite_reader_gives_them(make_labels):
    old = make_labels(400, seed=3).astype({"customer_id": str})
    old.loc[::7, "segment_name"] = None
    as_read = old.astype({c: "category" for c in old.columns if c != "customer_id"})
    new = make_labels(400, seed=4)
    _same(pandas_diff_labels(as_read, new), diff_labels(as_read, new))
    assert diff_labels(as_read, old).is_empty
