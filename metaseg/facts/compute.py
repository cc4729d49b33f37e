"""Compute the customer facts with DuckDB over a DataFrame or Parquet files."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._frames import as_pandas
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning
from metaseg.facts.category_mix import CategoryMix, ResolvedMix, parse_category_mix, resolve
from metaseg.facts.custom import CustomFacts, parse_custom_facts
from metaseg.facts.custom_check import absent_event_types, resolve_custom_facts, typed_custom
from metaseg.facts.custom_sql import registry_kinds
from metaseg.facts.far_dates import far_date_findings, far_date_stats
from metaseg.facts.params import check_windows, duckdb_config, parse_as_of, to_epoch_us
from metaseg.facts.registry import DEFAULT_WINDOWS, FACTS, duration_units, fact_columns
from metaseg.facts.sources import (
    EventsInput,
    attach_customers,
    attach_events,
    check_customers,
    customers_after_as_of,
    event_stats,
    value_kinds,
)
from metaseg.facts.sql import (
    category_ranking_sql,
    facts_parameters,
    facts_sql,
    quote_identifier,
)

_STEP = "compute_facts"


def compute_facts(
    events: EventsInput,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    windows: Iterable[int] = DEFAULT_WINDOWS,
    threads: int | None = None,
    report: DataReport | None = None,
    durations: str | Mapping[str, str] | None = None,
    custom: CustomFacts | dict[str, Any] | None = None,
    category_mix: CategoryMix | Mapping[str, Any] | None = None,
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
    only: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Compute one row of facts per customer as of a point in time.

    Parameters
    ----------
    events : DataFrame, path, or list of paths
        Standard events (see CONTRIBUTING.md), in memory or as Parquet file(s) or
        folder(s) of Parquet files, which DuckDB reads directly.
    customers : DataFrame, optional
        ``customer_id`` (unique) plus attributes, joined beside the facts as they are.
        Customers without events get counts of 0, money of 0.0, NaN durations and a
        tenure from ``signup_at`` when it is known.
    as_of : str, datetime or Timestamp, optional
        The moment facts are computed at; events after it are ignored. A naive value is
        read as UTC. Default: the latest event's timestamp.
    windows : iterable of int
        Window lengths in days for ``purchases_{w}d``, ``revenue_{w}d``, ``views_{w}d``
        and ``add_to_cart_{w}d``; a window holds events in ``(as_of - w days, as_of]``.
    threads : int, optional
        DuckDB worker threads (default: all cores).
    report : DataReport, optional
        Receives ``info`` entries: events after ``as_of`` left out, customers without
        events, customers with events but missing from ``customers``, signups after
        ``as_of``, far-off dates (see Warns); and a ``dropped`` entry counting customers (``unit="customers"``)
        whose every event is after ``as_of`` and who are not in ``customers``: they get
        no row.
    durations : str or mapping, optional
        How duration facts count days: ``"fractional"`` (default, seconds / 86,400) or
        ``"whole_days"`` (complete days, like pandas' ``Timedelta.days``), for all of
        them or per fact, e.g. ``{"recency_days": "whole_days"}`` (see
        :mod:`metaseg.facts.durations`).
    custom : CustomFacts or mapping, optional
        Custom facts (:mod:`metaseg.facts.custom`), as parsed by
        :func:`~metaseg.facts.custom.parse_custom_facts` or written in YAML; they come
        after the registry's facts, and ``attrs["fact_kinds"]`` maps each to its kind.
    category_mix : CategoryMix or mapping, optional
        Category-mix facts (``{"top": 8, "basis": "spend"}``, see
        :mod:`metaseg.facts.category_mix`): ``mix_<category>`` shares and ``mix_other``,
        after the custom facts; ``attrs["category_mix"]`` records the categories used
        (pass them back as ``categories`` to get the same columns on other data).
    only : iterable of str, optional
        Compute only these registry and custom facts (``first_seen`` always comes too:
        the report counts customers without events by it); other names in it, such as
        customer attributes or category-mix columns, are ignored, as those columns come
        anyway. Scoring passes a fitted model's ``feature_columns_``: DuckDB then skips
        every aggregate nobody reads. Default: every fact.

    Returns
    -------
    DataFrame
        ``customer_id``, the facts of :func:`metaseg.facts.describe_facts` and the
        customer attributes, sorted by ``customer_id``. ``attrs["as_of"]`` holds
        ``as_of`` (UTC) as ISO 8601 text (so ``to_parquet`` keeps it), ``attrs["windows"]`` the windows and
        ``attrs["events_after_as_of"]`` how many events were left out,
        ``attrs["durations"]`` the days convention of each duration fact and
        ``attrs["customers_after_as_of"]`` how many customers got no row because every
        event of theirs is after ``as_of`` (and no ``customers`` table lists them).
        Custom facts follow the registry's, before the customer attributes.

    Warns
    -----
    DataQualityWarning
        With the figures, when ``as_of`` is more than ten years after the last event, or
        event timestamps or ``signup_at`` values fall before 1970-01-01 (see
        :mod:`metaseg.facts.far_dates`); the rows are kept, and ``report`` receives an
        ``info`` entry for each. Also when a custom fact counts an event type that no
        event has (a likely typo), naming the fact, the type and the types present.

    Raises
    ------
    DataError
        A required column is missing or has the wrong type, ids or timestamps are null,
        customers are duplicated or cannot be matched with events.
    ConfigError
        ``as_of``, ``windows``, ``threads``, ``memory_limit`` or ``temp_directory`` is
        invalid, or a custom fact names a column the events lack or compares a column
        with a value of another type.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"], utc=True),
    ...     "event_type": ["purchase", "purchase", "view"],
    ...     "amount": [10.0, 30.0, float("nan")],
    ... })
    >>> facts = compute_facts(events, as_of="2024-01-31", windows=(30,))
    >>> facts[["customer_id", "frequency", "recency_days", "monetary"]]
       customer_id  frequency  recency_days  monetary
    0            1          2          20.0      40.0
    1            2          0           NaN       0.0

    Recency in whole days, as ``(as_of - last purchase).days`` counts them:

    >>> later = compute_facts(events, as_of="2024-01-31 18:00", windows=(30,))
    >>> later["recency_days"].iloc[0]
    np.float64(20.75)
    >>> whole = compute_facts(events, as_of="2024-01-31 18:00", windows=(30,),
    ...                       durations="whole_days")
    >>> whole["recency_days"].iloc[0]
    np.float64(20.0)
    """
    import duckdb

    windows = check_windows(windows)
    config = duckdb_config(threads, memory_limit, temp_directory)
    as_of_stamp = None if as_of is None else parse_as_of(as_of)
    custom = parse_custom_facts(custom)
    mix = parse_category_mix(category_mix)
    duration_units(durations, custom.names())  # names checked before reading any data
    names = fact_columns(windows) + custom.names()
    if customers is not None:
        customers = check_customers(as_pandas(customers, "customers"), names)

    con = duckdb.connect(config=config)
    try:
        event_types = attach_events(con, events, custom.event_columns())
        resolved = resolve_custom_facts(custom, value_kinds(event_types), registry_kinds(windows))
        units = duration_units(durations, [f.name for f in resolved if f.kind == "duration"])
        typed = any(getattr(d, "event_types", ()) for d in custom.root.values())
        absent = _absent_event_types(con, custom) if typed else []
        has_signup = False
        if customers is not None:
            customer_types = attach_customers(con, customers, event_types)
            has_signup = schema.SIGNUP_AT in customer_types
        n_events, latest_us, after = event_stats(con, as_of_stamp)
        if as_of_stamp is None:
            if latest_us is None:
                raise ConfigError(
                    "as_of is needed when there are no events (it defaults to the latest "
                    "event's timestamp); pass as_of='YYYY-MM-DD'."
                )
            as_of_stamp = pd.Timestamp(latest_us, unit="us", tz="UTC")
        far = far_date_stats(con, as_of_stamp, has_signup=has_signup)
        lost: tuple[int, list[Any]] = (0, [])
        if after:
            lost = customers_after_as_of(con, as_of_stamp, has_customers=customers is not None)
        has_order_id = schema.ORDER_ID in event_types
        resolved_mix = _resolve_mix(con, mix, event_types, has_order_id, as_of_stamp)
        sql = facts_sql(
            windows,
            has_order_id=has_order_id,
            has_category=schema.CATEGORY in event_types,
            has_customers=customers is not None,
            has_signup_at=has_signup,
            order_by_customer=False,
            durations=units,
            custom=resolved,
            category_mix=resolved_mix,
        )
        parameters = facts_parameters(to_epoch_us(as_of_stamp), resolved, resolved_mix)
        kept = None if only is None else _kept(only, names, resolved_mix)
        if kept is not None:
            resolved = [fact for fact in resolved if fact.name in kept]
            sql = f"SELECT {', '.join(map(quote_identifier, kept))} FROM ({sql}) AS every_fact"
        try:
            raw = con.execute(sql, parameters).df()
        except duckdb.Error as err:
            raise DataError(
                f"DuckDB could not compute the facts from these events: {err}. Check that "
                "the columns follow the standard events contract (CONTRIBUTING.md)."
            ) from err
    finally:
        con.close()

    raw = raw.sort_values(schema.CUSTOMER_ID, kind="stable", ignore_index=True)
    facts = _typed(raw, windows, None if kept is None else set(kept))
    if resolved:
        facts = pd.concat([facts, pd.DataFrame(typed_custom(raw, resolved))], axis=1)
    if resolved_mix is not None:
        facts = pd.concat([facts, raw[resolved_mix.columns].astype("float64")], axis=1)
    facts[schema.CUSTOMER_ID] = _restore_ids(facts[schema.CUSTOMER_ID], events, customers)
    if customers is not None:
        facts = _join_attributes(facts, customers)
    if report is not None:
        _report(report, facts, n_events, after, customers, has_signup, as_of_stamp, lost)
    for message in absent:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    for finding in far_date_findings(far, as_of_stamp):
        warnings.warn(finding.message, DataQualityWarning, stacklevel=2)
        if report is not None:
            report.add(
                _STEP,
                "info",
                finding.reason,
                rows=finding.rows,
                column=finding.column,
                examples=finding.examples,
                unit=finding.unit,
            )
    # ISO text rather than a Timestamp: attrs stay JSON, so pandas can save the facts to
    # Parquet with them, and read_parquet gives them back (every reader parses the text)
    facts.attrs["as_of"] = as_of_stamp.isoformat()
    facts.attrs["windows"] = windows
    facts.attrs["durations"] = units
    facts.attrs["events_after_as_of"] = after
    facts.attrs["customers_after_as_of"] = lost[0]
    facts.attrs["fact_kinds"] = {fact.name: fact.kind for fact in resolved}
    if resolved_mix is not None:
        facts.attrs["category_mix"] = resolved_mix.record()
        facts.attrs["fact_kinds"].update(dict.fromkeys(resolved_mix.columns, "ratio"))
    return facts


def _resolve_mix(
    con: Any,
    mix: CategoryMix | None,
    event_types: Mapping[str, Any],
    has_order_id: bool,
    as_of: pd.Timestamp,
) -> ResolvedMix | None:
    """Fix the category-mix categories: as given, else the top ones in the events."""
    if mix is None:
        return None
    if schema.CATEGORY not in event_types:
        raise ConfigError(
            "facts.category_mix needs a category column in the events, which have "
            f"{sorted(event_types)}; map one (data mapping) or remove category_mix."
        )
    ranked: list[Any] = []
    if mix.categories is None:
        sql = category_ranking_sql(mix.basis, mix.top, has_order_id=has_order_id)
        rows = con.execute(sql, {"as_of_us": to_epoch_us(as_of)}).fetchall()
        ranked = [row[0] for row in rows]
    return resolve(mix, ranked)


def _absent_event_types(con: Any, custom: Any) -> list[str]:
    """Warnings for event types that custom facts count but no event has."""
    kind = quote_identifier(schema.EVENT_TYPE)
    rows = con.execute(f"SELECT DISTINCT CAST({kind} AS VARCHAR) FROM events").fetchall()
    return absent_event_types(custom, {str(row[0]) for row in rows if row[0] is not None})


def _kept(only: Iterable[str], names: list[str], mix: ResolvedMix | None) -> list[str]:
    """The columns the facts query keeps: ``customer_id``, ``first_seen``, the requested
    registry and custom facts, in their usual order, and the category mix."""
    if isinstance(only, str):
        raise ConfigError(
            f"only must be a list of fact names, got the text {only!r}; write [{only!r}]."
        )
    wanted = {str(name) for name in only} | {"first_seen"}
    kept = [schema.CUSTOMER_ID, *(name for name in names if name in wanted)]
    return kept + ([] if mix is None else mix.columns)


def _typed(
    raw: pd.DataFrame, windows: tuple[int, ...], kept: set[str] | None = None
) -> pd.DataFrame:
    """Give every fact the dtype of its kind (those in ``kept``, when given); timestamps
    come back as UTC datetimes."""
    columns: dict[str, Any] = {schema.CUSTOMER_ID: raw[schema.CUSTOMER_ID]}
    for fact in FACTS:
        for name, _ in fact.expand(windows):
            if kept is not None and name not in kept:
                continue
            values = raw[name]
            if fact.kind == "count":
                columns[name] = values.astype("int64")
            elif fact.kind == "timestamp":
                micros = values.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min)
                stamps = micros.view("datetime64[us]")
                columns[name] = pd.Series(stamps, index=raw.index).dt.tz_localize("UTC")
            else:
                columns[name] = values.astype("float64")
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))


def _restore_ids(ids: pd.Series, events: Any, customers: pd.DataFrame | None) -> pd.Series:
    """Give ``customer_id`` back the dtype it had in the inputs."""
    dtypes = []
    if isinstance(events, pd.DataFrame):
        dtypes.append(events[schema.CUSTOMER_ID].dtype)
    if customers is not None:
        dtypes.append(customers[schema.CUSTOMER_ID].dtype)
    if not dtypes:  # Parquet input: integers stay as read, text becomes str
        return ids if pd.api.types.is_integer_dtype(ids) else ids.astype("str")
    target = dtypes[0] if all(d == dtypes[0] for d in dtypes) else None
    if target is None:
        integer = all(pd.api.types.is_integer_dtype(d) for d in dtypes)
        target = np.dtype("int64") if integer else pd.api.types.pandas_dtype("str")
    if isinstance(target, pd.CategoricalDtype):
        extra = pd.Index(ids.unique()).difference(target.categories)
        if len(extra):
            target = pd.CategoricalDtype(target.categories.append(extra), target.ordered)
    return ids.astype(target)


def _join_attributes(facts: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Join the customer attributes beside the facts, keeping their dtypes."""
    attributes = customers.reset_index(drop=True)
    attributes[schema.CUSTOMER_ID] = attributes[schema.CUSTOMER_ID].astype(
        facts[schema.CUSTOMER_ID].dtype
    )
    return facts.merge(attributes, on=schema.CUSTOMER_ID, how="left", sort=False)


def _report(
    report: DataReport,
    facts: pd.DataFrame,
    n_events: int,
    after: int,
    customers: pd.DataFrame | None,
    has_signup: bool,
    as_of: pd.Timestamp,
    lost: tuple[int, list[Any]] = (0, []),
) -> None:
    """Record what the facts left out or filled: ``info`` entries, and the customers left
    without a row (every event after ``as_of``, not in ``customers``) as ``dropped``."""
    report.add(
        _STEP, "info", f"events after as_of ({as_of}) left out", rows=after, column=schema.TIMESTAMP
    )
    listed = "" if customers is None else " and not in customers"
    report.add(
        _STEP,
        "dropped",
        f"every event after as_of ({as_of}){listed}: customer left with no event, no facts "
        "and no label",
        rows=lost[0],
        column=schema.CUSTOMER_ID,
        examples=lost[1],
        unit="customers",
    )
    if customers is None:
        return
    without_events = int(facts["first_seen"].isna().sum())
    report.add(
        _STEP,
        "info",
        "customers without events (counts 0, durations NaN)",
        rows=without_events,
        column=schema.CUSTOMER_ID,
    )
    known = facts[schema.CUSTOMER_ID].isin(customers[schema.CUSTOMER_ID])
    report.add(
        _STEP,
        "info",
        "customers with events but not in customers (attributes NaN)",
        rows=int((~known).sum()),
        column=schema.CUSTOMER_ID,
        examples=facts.loc[~known, schema.CUSTOMER_ID].head(5).tolist(),
    )
    if has_signup:
        signup = pd.to_datetime(customers[schema.SIGNUP_AT], utc=True)
        report.add(
            _STEP,
            "info",
            "customers signed up after as_of (tenure_days NaN)",
            rows=int((signup > as_of).sum()),
            column=schema.SIGNUP_AT,
        )
