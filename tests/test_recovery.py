"""Tests of metaseg/recovery.py: recovery of planted groups per base segment."""

from __future__ import annotations

import numpy as np
import pytest

from metaseg.recovery import RECOVERY_COLUMNS, recovery_table


def test_perfect_split_and_a_right_no_split() -> None:
    base = np.array(["a"] * 6 + ["b"] * 4)
    found = np.array([1, 1, 0, 0, 2, 2, 0, 0, 0, 0])
    planted = np.array(["x", "x", "y", "y", "z", "z", "w", "w", "w", "w"])
    table = recovery_table(base, found, planted, min_size=2).set_index("base_segment")
    assert list(table.reset_index().columns) == list(RECOVERY_COLUMNS)
    assert table.loc["a", ["k_true", "k_found", "ari"]].tolist() == [3, 3, 1.0]
    assert table.loc["b", ["k_true", "k_found", "ari"]].tolist() == [1, 1, 1.0]
    assert table["split_right"].all() and table["k_right"].all()


def test_splitting_one_population_scores_zero_and_a_wrong_split_decision() -> None:
    table = recovery_table(["a"] * 6, [0, 0, 0, 1, 1, 1], ["x"] * 6, min_size=2)
    row = table.iloc[0]
    assert (row["k_true"], row["k_found"], row["ari"]) == (1, 2, 0.0)
    assert not row["split_right"] and not row["k_right"]


def test_noise_is_not_a_group_and_small_segments_and_strays_are_left_out() -> None:
    base = ["a"] * 100 + ["tiny"] * 3
    found = [0] * 49 + [-1] + [1] * 50 + [0] * 3
    planted = ["x"] * 50 + ["y"] * 49 + ["stray"] + ["x"] * 3
    table = recovery_table(base, found, planted, min_size=10)
    assert table["base_segment"].tolist() == ["a"]
    assert table.iloc[0]["k_true"] == 2  # one stray customer is not a planted group
    assert table.iloc[0]["k_found"] == 2  # noise (-1) is not a found group
    assert 0.9 < table.iloc[0]["ari"] < 1.0


def test_lengths_must_agree() -> None:
    with pytest.raises(ValueError, match="lengths 2, 2 and 3"):
        recovery_table(["a", "a"], [0, 1], ["x", "y", "z"])
