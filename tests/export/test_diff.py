"""The diff between the labels at a target and new labels."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metaseg.exceptions import DataError
from metaseg.export.diff import diff_labels


def _labels(rows):
    """Labels from ``(customer_id, segment)`` pairs of model ``rfm``."""
    return pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "model_name": "rfm",
            "segment": [s for _, s in rows],
            "segment_name": [s.upper() for _, s in rows],
        }
    )


def test_added_removed_moved_and_unchanged_are_counted():
    old = _labels([(1, "a/0"), (2, "a/0"), (3, "a/1"), (4, "b/0"), (5, "b/0")])
    new = _labels([(1, "a/0"), (2, "b/0"), (3, "b/0"), (4, "b/0"), (6, "a/1")])
    diff = diff_labels(old, new)
    assert (diff.n_added, diff.n_removed, diff.n_moved, diff.n_updated) == (1, 1, 2, 0)
    assert diff.n_unchanged == 2 and (diff.n_before, diff.n_after) == (5, 5)
    moved = diff.changes[diff.changes["change"] == "moved"].sort_values("customer_id")
    assert moved[["customer_id", "from_segment", "to_segment"]].values.tolist() == [
        [2, "a/0", "b/0"],
        [3, "a/1", "b/0"],
    ]
    removed = diff.changes[diff.changes["change"] == "removed"]
    assert removed[["customer_id", "from_segment"]].values.tolist() == [[5, "b/0"]]


def test_segment_and_migration_tables():
    old = _labels([(1, "a/0"), (2, "a/0"), (3, "a/0"), (4, "b/0")])
    new = _labels([(1, "b/0"), (2, "b/0"), (3, "a/0"), (5, "c/0")])
    diff = diff_labels(old, new)
    seg = diff.segments.set_index("segment")
    assert seg.loc["a/0", ["before", "after", "moved_out", "net"]].tolist() == [3, 1, 2, -2]
    assert seg.loc["b/0", ["before", "after", "moved_in", "removed"]].tolist() == [1, 2, 2, 1]
    assert seg.loc["c/0", ["before", "after", "added"]].tolist() == [0, 1, 1]
    assert diff.migrations.values.tolist() == [["rfm", "a/0", "b/0", 2]]


def test_same_segment_but_other_field_changed_is_an_update():
    old = _labels([(1, "a/0"), (2, "a/0")])
    new = old.assign(segment_name=["renamed", "A/0"])
    diff = diff_labels(old, new)
    assert diff.n_updated == 1 and diff.n_moved == 0 and not diff.is_empty
    assert diff.changes["customer_id"].tolist() == [1]


def test_values_read_back_from_text_compare_equal(make_labels):
    labels = make_labels(50)
    as_text = labels.astype(str)  # what a CSV reader with dtype=str gives back
    as_text["as_of"] = "2024-06-01T00:00:00Z"
    assert diff_labels(as_text, labels).is_empty
    assert diff_labels(labels, as_text).is_empty


def test_other_models_are_kept_apart():
    old = _labels([(1, "a/0")])
    new = pd.concat([_labels([(1, "a/0")]), _labels([(1, "a/0")]).assign(model_name="x")])
    diff = diff_labels(old, new)
    assert diff.n_added == 1
    assert diff.changes[["customer_id", "model_name"]].values.tolist() == [[1, "x"]]


def test_no_previous_means_everything_is_added():
    diff = diff_labels(None, _labels([(1, "a/0"), (2, "b/0")]))
    assert (diff.n_added, diff.n_before, diff.n_after) == (2, 0, 2)


def test_printing_shows_summary_tables_and_no_change():
    old = _labels([(1, "a/0"), (2, "a/0")])
    new = _labels([(1, "b/0"), (2, "a/0"), (3, "a/0")])
    text = str(diff_labels(old, new))
    assert "+1 added" in text and "1 moved" in text
    assert "Segments with changes" in text and "Migrations" in text and "a/0" in text
    assert "(no change)" in str(diff_labels(old, old))
    assert repr(diff_labels(old, old)).startswith("LabelDiff(2 -> 2 labels")


def test_bad_inputs_are_named():
    good = _labels([(1, "a/0")])
    with pytest.raises(DataError, match="previous labels.*'segment'"):
        diff_labels(good.drop(columns="segment"), good)
    with pytest.raises(DataError, match=r"previous labels have 1 repeated.*\(1, 'rfm'\)"):
        diff_labels(pd.concat([good, good]), good)


_rows = st.dictionaries(
    st.integers(0, 30), st.sampled_from(["a/0", "a/1", "b/0", "b/-1"]), max_size=25
)


@settings(max_examples=15, deadline=None)
@given(before=_rows, after=_rows)
def test_counts_add_up(before, after):
    old = _labels(sorted(before.items()))
    new = _labels(sorted(after.items()))
    diff = diff_labels(old, new)
    assert diff.n_added == len(after.keys() - before.keys())
    assert diff.n_removed == len(before.keys() - after.keys())
    assert diff.n_moved == sum(before[k] != after[k] for k in before.keys() & after.keys())
    assert diff.n_before == diff.n_unchanged + diff.n_moved + diff.n_updated + diff.n_removed
    assert diff.n_after == diff.n_unchanged + diff.n_moved + diff.n_updated + diff.n_added
    seg = diff.segments
    assert seg["before"].sum() == len(before) and seg["after"].sum() == len(after)
    assert (
        seg["after"] - seg["before"]
        == seg["added"] - seg["removed"] + seg["moved_in"] - seg["moved_out"]
    ).all()
    assert diff.migrations["customers"].sum() == diff.n_moved
    assert diff_labels(new, new).is_empty
