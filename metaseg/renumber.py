"""Renumber sub-segments in a model's tables: the kernel behind stable identities.

Given, per base segment, a mapping old sub-segment number -> new number, and the user
names keyed by the new codes, these functions rewrite the ``sub_segment``, ``segment``
and ``segment_name`` columns of a summary, profiles or labels table. Pure: the model
decides when to call them (:meth:`metaseg.model.MetaSegmenter.with_identities`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg import schema

__all__ = ["code_map", "renumbered_labels", "renumbered_table"]


def code_map(relabel: dict[str, dict[int, int]]) -> dict[str, str]:
    """Old segment code -> new segment code.

    Examples
    --------
    >>> code_map({"active": {0: 2, 1: 0}})
    {'active/0': 'active/2', 'active/1': 'active/0'}
    """
    return {
        schema.segment_code(base, old): schema.segment_code(base, new)
        for base, mapping in relabel.items()
        for old, new in mapping.items()
    }


def _new_subs(frame: pd.DataFrame, relabel: dict[str, dict[int, int]]) -> np.ndarray:
    base = frame[schema.BASE_SEGMENT].astype(str).to_numpy()
    sub = frame[schema.SUB_SEGMENT].to_numpy(dtype=np.int64)
    out = sub.copy()
    for name, mapping in relabel.items():
        in_base = base == name
        for old, new in mapping.items():
            out[in_base & (sub == old)] = new
    return out


def renumbered_table(
    frame: pd.DataFrame, relabel: dict[str, dict[int, int]], names: dict[str, str]
) -> pd.DataFrame:
    """A summary or profiles table with new numbers and names, sorted by base, then id.

    Rows are sorted by base segment, then sub-segment number with noise last.

    Examples
    --------
    >>> summary = pd.DataFrame({"base_segment": ["a", "a"], "sub_segment": [0, 1],
    ...                         "segment": ["a/0", "a/1"], "segment_name": ["x", "y"]})
    >>> renumbered_table(summary, {"a": {0: 1, 1: 0}}, {"a/1": "Whales"})["segment_name"].tolist()
    ['y', 'Whales']
    """
    codes = code_map(relabel)
    out = frame.copy()
    out[schema.SUB_SEGMENT] = _new_subs(frame, relabel)
    out[schema.SEGMENT] = out[schema.SEGMENT].map(lambda c: codes.get(c, c)).astype("str")
    if schema.SEGMENT_NAME in out.columns and names:
        given = out[schema.SEGMENT].map(names)
        out[schema.SEGMENT_NAME] = given.fillna(out[schema.SEGMENT_NAME]).astype("str")
    noise_last = (out[schema.SUB_SEGMENT] == schema.NOISE).astype(int).rename("_noise")
    order = pd.concat([out[schema.BASE_SEGMENT], noise_last, out[schema.SUB_SEGMENT]], axis=1)
    order = order.sort_values(list(order.columns), kind="stable").index
    return out.loc[order].reset_index(drop=True)


def renumbered_labels(
    labels: pd.DataFrame, relabel: dict[str, dict[int, int]], summary: pd.DataFrame
) -> pd.DataFrame:
    """A labels table with new numbers, codes and the names of the renumbered ``summary``."""
    codes = code_map(relabel)
    out = labels.copy()
    out[schema.SUB_SEGMENT] = _new_subs(labels, relabel)
    out[schema.SEGMENT] = out[schema.SEGMENT].map(lambda c: codes.get(c, c)).astype("str")
    names = summary.set_index(schema.SEGMENT)[schema.SEGMENT_NAME]
    out[schema.SEGMENT_NAME] = out[schema.SEGMENT].map(names).fillna(out[schema.BASE_SEGMENT])
    return out
