from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from metaseg.data._columns import null_ids, standard_ids, strings_from_codes

ids = st.lists(st.integers(min_value=-(10**15), max_value=10**15), min_size=1, max_size=30)


@given(ids)
def test_integral_ids_round_trip_from_every_representation(values):
    expected = [int(v) for v in values]
    for series in (
        pd.Series(values, dtype="int64"),
        pd.Series(values, dtype="Int64"),
        pd.Series([float(v) for v in values]),
        pd.Series([str(v) for v in values], dtype="str"),
        pd.Series([f"{v}.0" for v in values], dtype=object),
    ):
        out = standard_ids(series)
        assert str(out.dtype) == "int64"
        assert out.tolist() == expected


@given(ids, st.text(alphabet="abcXYZ-_", min_size=1, max_size=5))
def test_one_non_integral_id_keeps_every_id_as_text(values, odd):
    series = pd.Series([str(v) for v in values] + [odd], dtype="str")
    out = standard_ids(series)
    assert out.dtype == "str"
    assert out.tolist() == [str(v) for v in values] + [odd]


def test_int64_column_is_returned_without_a_copy():
    series = pd.Series([1, 2, 3])
    assert standard_ids(series) is series


def test_unsigned_ids_beyond_int64_stay_text():
    series = pd.Series(np.array([2**63 + 1, 5], dtype=np.uint64))
    assert standard_ids(series).tolist() == [str(2**63 + 1), "5"]


def test_null_ids_include_blank_text_and_categories():
    assert null_ids(pd.Series([1.0, np.nan])).tolist() == [False, True]
    assert null_ids(pd.Series(["a", " ", None], dtype="category")).tolist() == [False, True, True]


def test_strings_from_codes_gives_nulls_for_negative_codes():
    out = strings_from_codes(np.array([0, -1, 1]), ["a", "b"], pd.RangeIndex(3))
    assert out.dtype == "str"
    assert out.isna().tolist() == [False, True, False]
    assert out[2] == "b"
