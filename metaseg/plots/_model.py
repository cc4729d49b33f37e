"""Checks on the fitted model a plot is asked to draw, and the names it carries."""

from __future__ import annotations

from typing import Any

import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg.exceptions import ConfigError


def check_model(owner: str, model: Any) -> Any:
    """Return ``model`` if it is a fitted MetaSegmenter (see :func:`metaseg.model.check_fitted`)."""
    from metaseg.model import check_fitted

    return check_fitted(owner, model)


def base_segments(model: Any) -> list[str]:
    """Base segment names of a fitted model, in rule priority order (catch-all last)."""
    return [str(name) for name in model.metrics_.index]


def check_base_segment(owner: str, model: Any, base_segment: Any) -> str:
    """Return ``base_segment`` if the model has it, else a ConfigError listing them."""
    names = base_segments(model)
    if not isinstance(base_segment, str) or base_segment not in names:
        hint = did_you_mean(base_segment, names) if isinstance(base_segment, str) else ""
        raise ConfigError(
            f"{owner}: base_segment {base_segment!r} is not a base segment of this model."
            f"{hint} Available: {available(names)}."
        )
    return base_segment


def split_segments(model: Any) -> list[str]:
    """Base segments that were split by a clusterer, in rule priority order."""
    return [name for name in base_segments(model) if model.segments_[name].split]


def check_split(owner: str, model: Any, base_segment: Any) -> Any:
    """Return the FittedSegment of a split base segment, else a ConfigError saying why not."""
    name = check_base_segment(owner, model, base_segment)
    segment = model.segments_[name]
    if not segment.split:
        split = split_segments(model)
        raise ConfigError(
            f"{owner}: base segment {name!r} was not split into sub-segments "
            f"({segment.reason or 'no clusterer'}), so there is nothing to draw. "
            f"Split base segments: {available(split) if split else 'none'}."
        )
    return segment


def segment_names(model: Any) -> dict[str, str]:
    """Segment code -> segment name, from the model's summary."""
    summary = model.summary_
    return dict(
        zip(
            summary[schema.SEGMENT].astype(str),
            summary[schema.SEGMENT_NAME].astype(str),
            strict=True,
        )
    )


def sub_segment_order(values: pd.Series | list[int]) -> list[int]:
    """Distinct sub-segment numbers ascending, noise (-1) last."""
    distinct = sorted({int(v) for v in values})
    return [v for v in distinct if v != schema.NOISE] + (
        [schema.NOISE] if schema.NOISE in distinct else []
    )


def own_part(name: str, base: str) -> str:
    """A generated name without its leading base segment (shown beside it already).

    Examples
    --------
    >>> own_part("dormant · big baskets", "dormant"), own_part("Big spenders", "dormant")
    ('big baskets', 'Big spenders')
    """
    prefix = f"{base} · "
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else name
