"""Tests of metaseg.cluster.canonical: largest-first numbering, noise untouched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaseg.cluster.canonical import apply_mapping, canonical_mapping, canonical_relabel
from metaseg.exceptions import DataError


def test_numbers_clusters_by_size_and_keeps_noise() -> None:
    labels = np.array([7, 7, 2, -1, 2, 2, 9, -1, 7, 2])
    new, mapping = canonical_relabel(labels)
    # sizes: 2 -> 4 rows, 7 -> 3 rows, 9 -> 1 row
    assert mapping == {2: 0, 7: 1, 9: 2}
    assert new.tolist() == [1, 1, 0, -1, 0, 0, 2, -1, 1, 0]
    assert new.dtype == np.int64


def test_ties_are_broken_by_the_smallest_original_label() -> None:
    new, mapping = canonical_relabel([5, 3, 5, 3, 8, 8])
    assert mapping == {3: 0, 5: 1, 8: 2}
    assert new.tolist() == [1, 0, 1, 0, 2, 2]


def test_all_noise_gives_an_empty_mapping() -> None:
    new, mapping = canonical_relabel([-1, -1, -1])
    assert mapping == {}
    assert new.tolist() == [-1, -1, -1]


def test_integer_valued_floats_are_accepted() -> None:
    new, _ = canonical_relabel(np.array([1.0, 1.0, 0.0]))
    assert new.tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        (np.zeros((2, 2), dtype=int), "one-dimensional"),
        (np.array(["a", "b"]), "integer cluster numbers"),
        (np.array([0.5, 1.0]), "non-integer"),
        (np.array([0, -2, -3]), "-1 for noise"),
        (np.array([True, False]), "integer cluster numbers"),
    ],
)
def test_bad_labels_raise_a_data_error(labels: np.ndarray, fragment: str) -> None:
    with pytest.raises(DataError, match=fragment):
        canonical_relabel(labels)


def test_apply_mapping_refuses_unmapped_clusters() -> None:
    with pytest.raises(DataError, match=r"clusters \[3\]"):
        apply_mapping([0, 3], {0: 0})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=6), min_size=1, max_size=60))
def test_relabel_is_a_size_ordered_renaming(labels: list[int]) -> None:
    arr = np.array(labels)
    new, mapping = canonical_relabel(arr)
    # same partition: each original cluster maps to exactly one new number
    for old, target in mapping.items():
        assert set(new[arr == old].tolist()) == {target}
    assert ((new == -1) == (arr == -1)).all()
    # numbers are 0..k-1 and sizes never increase with the number
    sizes = np.bincount(new[new >= 0], minlength=len(mapping))
    assert sorted(mapping.values()) == list(range(len(mapping)))
    assert (np.diff(sizes) <= 0).all()
    # canonical numbering is idempotent
    again, second = canonical_relabel(new)
    assert (again == new).all()
    assert second == {i: i for i in range(len(mapping))}
    assert canonical_mapping(arr) == mapping
