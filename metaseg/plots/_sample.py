"""A seeded sample of one base segment's customers, in the segment's feature space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, preview
from metaseg._params import check_int
from metaseg.exceptions import DataError


@dataclass(frozen=True)
class SegmentSample:
    """Customers of one base segment drawn for a plot.

    Attributes
    ----------
    base_segment : str
    matrix : ndarray of shape (n, n_features)
        The segment featurizer's output (the space the clusterer worked in).
    sub_segments : ndarray of int64, shape (n,)
        Canonical sub-segment of each sampled customer (-1 is noise).
    n_in_segment : int
        Customers of ``facts`` in the base segment, before sampling.
    """

    base_segment: str
    matrix: np.ndarray
    sub_segments: np.ndarray
    n_in_segment: int


def check_facts(owner: str, facts: Any) -> pd.DataFrame:
    """Return ``facts`` if it is a DataFrame with ``customer_id``, else a DataError."""
    if not isinstance(facts, pd.DataFrame):
        raise DataError(
            f"{owner}: facts must be a pandas DataFrame with one row per customer, got "
            f"{type(facts).__name__}. Compute them with metaseg.facts.compute_facts(events); "
            "the model does not keep its training matrix."
        )
    if schema.CUSTOMER_ID not in facts.columns:
        raise DataError(
            f"{owner}: facts have no {schema.CUSTOMER_ID!r} column; columns are "
            f"{preview(list(facts.columns), limit=10)}. Keep customer_id as a column."
        )
    return facts


def check_random_state(owner: str, random_state: Any) -> int | None:
    """Return ``random_state`` if it is an int or None, else a ConfigError."""
    if random_state is None:
        return None
    return check_int(owner, "random_state", random_state, minimum=0, hint="Use an int seed.")


def base_segment_of(model: Any, facts: pd.DataFrame, as_of: Any = None) -> np.ndarray:
    """Base segment of every customer of ``facts`` under the model's fitted rules."""
    return np.asarray(model.rules_.predict(facts, as_of=as_of).astype(str), dtype=object)


def draw_sample(
    owner: str,
    model: Any,
    facts: pd.DataFrame,
    base_segment: str,
    *,
    sample_size: int,
    random_state: int | None,
    base: np.ndarray,
) -> SegmentSample:
    """Draw up to ``sample_size`` customers of ``base_segment``, featurize and label them.

    Parameters
    ----------
    owner : str
        The calling function, for messages.
    model : MetaSegmenter
        Fitted; ``base_segment`` must be split.
    facts : DataFrame
        One row per customer.
    base_segment : str
    sample_size : int
        Most customers drawn (without replacement, seeded).
    random_state : int or None
    base : ndarray
        Base segment of every row of ``facts`` (see :func:`base_segment_of`).

    Returns
    -------
    SegmentSample
    """
    rows = np.flatnonzero(base == base_segment)
    if rows.size == 0:
        found = pd.Series(base).value_counts()
        counts = [f"{name}: {int(n):,}" for name, n in found.items()]
        raise DataError(
            f"{owner}: no customer of the facts falls in base segment {base_segment!r} "
            f"under the model's rules; the facts hold {available(counts)}. Pass facts "
            "that contain customers of this base segment."
        )
    n_in_segment = int(rows.size)
    if rows.size > sample_size:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(rows, size=sample_size, replace=False))
    part = facts.iloc[rows]
    segment = model.segments_[base_segment]
    matrix = segment.featurizer.transform(part).to_numpy(dtype=np.float64)
    sub = np.asarray(segment.assign(part), dtype=np.int64)
    return SegmentSample(base_segment, matrix, sub, n_in_segment)


def check_sample_size(owner: str, sample_size: Any, minimum: int) -> int:
    """Return ``sample_size`` as an int >= ``minimum``, else a ConfigError."""
    return check_int(
        owner,
        "sample_size",
        sample_size,
        minimum=minimum,
        hint="It is the most customers drawn from the base segment.",
    )
