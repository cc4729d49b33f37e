"""What goes into a segmentation model: the check that a model is fitted, events or facts
(and the facts of events), the checks of a facts table, the canonical row order, the as-of
date, and the feature columns and segment names a segmentation block refers to.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.exceptions import ConfigError, DataError
from metaseg.segmentation_spec import SegmentationSpec

#: Fitted attributes every consumer of a model reads.
#: (``labels_`` is not one: a model loaded for scoring has none, see ``TRAINING_STATE``.)
FITTED_ATTRIBUTES = ("segments_", "summary_", "metrics_", "profiles_")


def check_fitted(owner: str, model: Any, name: str = "model") -> Any:
    """Return ``model`` if it is a fitted segmentation, else raise one of two clear errors.

    The one check of "is it a fitted model" that plots, identities, tracking and the
    display share.

    Raises
    ------
    ConfigError
        ``model`` is not a segmentation model at all.
    sklearn.exceptions.NotFittedError
        It is one but was not fitted.

    Examples
    --------
    >>> from metaseg.model import MetaSegmenter
    >>> check_fitted("plot_x", MetaSegmenter())
    Traceback (most recent call last):
    ...
    sklearn.exceptions.NotFittedError: plot_x: model (MetaSegmenter) is not fitted yet (no segments_). Call fit(facts) first, or load a registered one with metaseg.tracking.load_champion(name).model.
    """
    from sklearn.exceptions import NotFittedError

    if not hasattr(model, "fit") or not hasattr(model, "get_params"):
        raise ConfigError(
            f"{owner}: {name} must be a fitted metaseg.model.MetaSegmenter, got "
            f"{type(model).__name__}. Fit one with MetaSegmenter(...).fit(facts)."
        )
    missing = [attribute for attribute in FITTED_ATTRIBUTES if not hasattr(model, attribute)]
    if missing:
        raise NotFittedError(
            f"{owner}: {name} ({type(model).__name__}) is not fitted yet (no {missing[0]}). Call "
            "fit(facts) first, or load a registered one with "
            "metaseg.tracking.load_champion(name).model."
        )
    return model


def is_events(table: Any) -> bool:
    """Whether ``table`` is an events table (``timestamp`` and ``event_type`` columns).

    Facts never have those columns (they hold ``first_seen``/``last_seen`` instead).

    Examples
    --------
    >>> is_events(pd.DataFrame(columns=["customer_id", "timestamp", "event_type"]))
    True
    >>> is_events(pd.DataFrame(columns=["customer_id", "recency_days"]))
    False
    """
    from metaseg._frames import column_names, is_table

    if not is_table(table):
        return False
    columns = set(column_names(table))
    return schema.TIMESTAMP in columns and schema.EVENT_TYPE in columns


def _facts_of(
    data: Any,
    customers: Any,
    as_of: Any,
    windows: tuple[int, ...] | None,
    what: str,
    category_mix: dict[str, Any] | None = None,
    clv: Any = None,
) -> tuple[Any, str]:
    """The facts of ``data``: as given, or computed when it is the events (with the
    potential-value facts of ``clv``, the model's own, when it has one); and which it was."""
    import logging

    from metaseg._frames import as_arrow, as_pandas, is_arrow

    if is_arrow(data):  # once: a stream can be read only once
        data = as_arrow(data, "facts or events")
    if not is_events(data):
        if customers is not None:
            raise ConfigError(
                f"{what}: customers is used only with events, but the table given holds "
                "facts (one row per customer, attributes already joined). Drop customers=, "
                "or pass the events."
            )
        return as_pandas(data, "facts"), "facts"
    # events stay as they came: DuckDB reads pandas, Arrow and polars tables in place
    from metaseg.facts import compute_facts

    options: dict[str, Any] = {} if windows is None else {"windows": windows}
    if category_mix is not None:
        options["category_mix"] = category_mix
    table = None if customers is None else as_pandas(customers, "customers")
    facts = compute_facts(data, table, as_of=as_of, **options)
    if clv is not None:
        from metaseg.clv import add_clv_facts

        facts = add_clv_facts(facts, data, clv)
    # logged as metaseg.model, the estimator that reads the table
    logging.getLogger("metaseg.model").info(
        "%s: got events (%s rows); computed the facts of %s customers as of %s",
        what,
        f"{len(data):,}",
        f"{len(facts):,}",
        facts.attrs.get("as_of"),
    )
    return facts, "events"


def _check_facts(facts: Any) -> None:
    if not isinstance(facts, pd.DataFrame):
        raise DataError(
            f"facts must be a pandas DataFrame with one row per customer, got "
            f"{type(facts).__name__}. Compute them with metaseg.facts.compute_facts(events)."
        )
    if schema.CUSTOMER_ID not in facts.columns:
        raise DataError(
            f"facts have no {schema.CUSTOMER_ID!r} column; columns are "
            f"{preview(list(facts.columns), limit=10)}. Keep customer_id as a column."
        )
    dup = facts[schema.CUSTOMER_ID].duplicated()
    if dup.any():
        raise DataError(
            f"facts must have one row per customer, but {int(dup.sum()):,} customer_id "
            f"value(s) repeat, e.g. {preview(facts.loc[dup, schema.CUSTOMER_ID].unique(), 3)}."
        )


def canonical_row_order(ids: pd.Series) -> np.ndarray:
    """Positions that sort the customers by id (by their text when ids mix types).

    Examples
    --------
    >>> canonical_row_order(pd.Series([30, 10, 20])).tolist()
    [1, 2, 0]
    """
    try:
        return np.asarray(pd.Index(ids).argsort(), dtype=np.int64)
    except TypeError:
        return np.asarray(pd.Index(ids.astype(str)).argsort(), dtype=np.int64)


def _resolve_as_of(facts: pd.DataFrame, as_of: Any) -> pd.Timestamp | None:
    """The as-of date given, else the one the facts were computed at (validated alike)."""
    from metaseg.facts.params import parse_as_of

    value = as_of if as_of is not None else facts.attrs.get("as_of")
    return None if value is None else parse_as_of(value)


def check_feature_columns(
    spec: SegmentationSpec, facts: pd.DataFrame, segment_names: tuple[str, ...]
) -> None:
    """Raise ConfigError when a base segment's feature list names a missing fact."""
    from metaseg._messages import did_you_mean

    _check_segment_names(spec, segment_names)
    for name in segment_names:
        sub_spec = spec.for_segment(name)
        if sub_spec.algorithm == "none":
            continue
        for column in sub_spec.features.feature_names(facts.columns):
            if column not in facts.columns:
                where = f"segments.{name}" if name in spec.segments else "default"
                raise ConfigError(
                    f"segmentation.{where}.features: base segment {name!r} uses "
                    f"{column!r}, which is not a fact.{did_you_mean(column, facts.columns)} "
                    f"Facts: {preview(sorted(map(str, facts.columns)), limit=60)}."
                )


def _check_segment_names(spec: SegmentationSpec, names: tuple[str, ...]) -> None:
    from metaseg._messages import did_you_mean

    for key in spec.segments:
        if key not in names:
            raise ConfigError(
                f"segments.{key}: no base segment is called {key!r}.{did_you_mean(key, names)} "
                f"The rules define: {', '.join(names)}."
            )
