"""FittedSegment: what one base segment learned, and the pickles that name its old home."""

from __future__ import annotations

import pickle
import pickletools

import numpy as np
import pytest

import metaseg.model
from metaseg import schema
from metaseg.fitted_segment import FittedSegment, apply_relabel


def _globals(data: bytes) -> set[str]:
    """The ``module class`` pairs a pickle refers to (its GLOBAL / STACK_GLOBAL opcodes)."""
    found, strings = set(), []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            found.add(f"{strings[-2]} {strings[-1]}")
        elif opcode.name == "GLOBAL":
            found.add(arg)
    return found


def _pickled_under_old_path(obj: object, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Pickle ``obj`` as a model registered before the split: FittedSegment lived in model.py."""
    with monkeypatch.context() as patch:
        patch.setattr(FittedSegment, "__module__", "metaseg.model")
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    assert "metaseg.model FittedSegment" in _globals(data)
    assert not any(name.startswith("metaseg.fitted_segment ") for name in _globals(data))
    return data


def test_the_class_is_still_importable_from_model():
    assert metaseg.model.FittedSegment is FittedSegment
    assert metaseg.model.apply_relabel is apply_relabel


def test_a_segment_pickled_as_metaseg_model_fittedsegment_loads(monkeypatch):
    seg = FittedSegment("active", 12, "kmeans", ["frequency"], relabel={0: 1, 1: 0})
    seg.reason = "k=2 by silhouette"
    seg.centre_ids, seg.centres = (0, 1), np.array([[1.0], [3.0]])
    loaded = pickle.loads(_pickled_under_old_path(seg, monkeypatch))
    assert type(loaded) is FittedSegment
    assert (loaded.name, loaded.n_customers, loaded.relabel) == ("active", 12, {0: 1, 1: 0})
    assert loaded.reason == "k=2 by silhouette"
    assert loaded.centres.tolist() == [[1.0], [3.0]]
    assert not loaded.split
    assert loaded.assign_matrix(np.zeros((2, 1))).tolist() == [1, 1]


def test_a_model_registered_before_the_split_loads_and_scores_alike(
    shop_model, shop_facts, monkeypatch
):
    old = _pickled_under_old_path(shop_model.for_scoring(), monkeypatch)
    model = pickle.loads(old)
    assert all(type(seg) is FittedSegment for seg in model.segments_.values())
    assert any(seg.split for seg in model.segments_.values())
    expected = shop_model.predict(shop_facts)
    got = model.predict(shop_facts)
    assert got[schema.SEGMENT].tolist() == expected[schema.SEGMENT].tolist()
    # a model pickled now names the class's own module
    assert "metaseg.fitted_segment FittedSegment" in _globals(pickle.dumps(model))


def test_apply_relabel_maps_labels_and_keeps_noise():
    raw = np.array([0, 1, -1, 2, 1])
    assert apply_relabel(raw, {0: 2, 1: 0, 2: 1}).tolist() == [2, 0, -1, 1, 0]
    assert apply_relabel(np.array([], dtype=np.int64), {0: 1}).dtype == np.int64
