"""Dates far from the rest of the data: an ``as_of`` years after the last event, and
event timestamps or sign-ups before 1970.

Such dates are legal, so nothing is dropped, but they are almost always a mistake (a
mistyped year in ``as_of``, a ``1900-01-01`` placeholder, a misread date format) and
they turn every recency, tenure and window fact into noise. :func:`far_date_stats` reads
the figures from the DuckDB relations ``events`` and ``customers``;
:func:`far_date_findings` turns them into warnings and report entries (pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from metaseg import schema
from metaseg.data.report import Unit
from metaseg.facts.params import to_epoch_us
from metaseg.facts.sql import AS_OF_PARAMETER, quote_identifier

if TYPE_CHECKING:
    import duckdb

#: An ``as_of`` more than this many years after the last event is warned about: facts are
#: measured back from ``as_of``, so every recency would then exceed a decade and every
#: window be empty. Ten years leaves room for genuinely old archives.
AS_OF_GAP_YEARS = 10
#: The same threshold in days (years of 365.25 days).
AS_OF_GAP_DAYS = AS_OF_GAP_YEARS * 365.25
#: Event timestamps and ``signup_at`` values before this instant are warned about: no
#: online shop's records start before 1970, while placeholders (1900-01-01, 0001-01-01)
#: and dates read in the wrong format land there.
EARLIEST_PLAUSIBLE = pd.Timestamp("1970-01-01", tz="UTC")

_DAY_US = 86_400 * 1_000_000
_EARLIEST_PARAMETER = "earliest_us"


@dataclass(frozen=True)
class DateRange:
    """Rows with a date before :data:`EARLIEST_PLAUSIBLE`, out of all rows.

    Parameters
    ----------
    total : int
        Rows looked at (events, or customers with a ``signup_at``).
    early : int
        Rows before :data:`EARLIEST_PLAUSIBLE`.
    customers : int
        Distinct customers among the ``early`` rows.
    earliest_us, latest_us : int or None
        The earliest and latest of the early dates, in epoch microseconds.
    """

    total: int
    early: int
    customers: int
    earliest_us: int | None
    latest_us: int | None


@dataclass(frozen=True)
class FarDateStats:
    """What :func:`far_date_findings` needs to know about the dates of the data.

    Parameters
    ----------
    last_event_us : int or None
        The latest event at or before ``as_of``, in epoch microseconds (None: no event).
    events_kept : int
        Events at or before ``as_of``.
    customers_kept : int
        Distinct customers of those events, counted only when ``as_of`` is more than
        :data:`AS_OF_GAP_YEARS` years after the last event (0 otherwise: nobody reads it).
    events : DateRange
        Event timestamps before 1970.
    signups : DateRange or None
        ``signup_at`` values before 1970 (None: no ``signup_at`` column).
    """

    last_event_us: int | None
    events_kept: int
    customers_kept: int
    events: DateRange
    signups: DateRange | None = None


@dataclass(frozen=True)
class Finding:
    """One far-off date problem: the warning text and the report entry.

    Parameters
    ----------
    message : str
        The :class:`~metaseg.exceptions.DataQualityWarning` text, with the figures.
    reason : str
        The shorter reason of the ``info`` report entry.
    rows : int
        Affected rows (or customers, see ``unit``).
    column : str
        The column the dates are in.
    examples : tuple
        The earliest and latest affected values (or the last event and ``as_of``).
    unit : {"rows", "customers"}
        What ``rows`` counts.
    """

    message: str
    reason: str
    rows: int
    column: str
    examples: tuple[Any, ...]
    unit: Unit = "rows"


def _stamp(us: int | None) -> pd.Timestamp | None:
    return None if us is None else pd.Timestamp(int(us), unit="us", tz="UTC")


def _range(row: tuple[Any, ...]) -> DateRange:
    total, early, customers, earliest, latest = row
    return DateRange(
        int(total),
        int(early or 0),
        int(customers or 0),
        None if earliest is None else int(earliest),
        None if latest is None else int(latest),
    )


def far_date_stats(
    con: duckdb.DuckDBPyConnection, as_of: pd.Timestamp, *, has_signup: bool
) -> FarDateStats:
    """Read the figures about far-off dates from the relations ``events`` and ``customers``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection where :func:`metaseg.facts.sources.attach_events` (and
        ``attach_customers`` when ``has_signup``) made the relations.
    as_of : Timestamp
        The UTC moment the facts are computed at.
    has_signup : bool
        Whether ``customers`` has a ``signup_at`` column.

    Returns
    -------
    FarDateStats
    """
    cid, ts = quote_identifier(schema.CUSTOMER_ID), quote_identifier(schema.TIMESTAMP)
    stamp = f"epoch_us({ts})"
    kept = f"{stamp} <= CAST(${AS_OF_PARAMETER} AS BIGINT)"
    early = f"{stamp} < CAST(${_EARLIEST_PARAMETER} AS BIGINT)"
    parameters = {
        AS_OF_PARAMETER: to_epoch_us(as_of),
        _EARLIEST_PARAMETER: to_epoch_us(EARLIEST_PLAUSIBLE),
    }
    # distinct customers are counted only for a finding that names them: over every
    # event, COUNT(DISTINCT ...) costs more than all the other figures together
    row = con.execute(
        f"SELECT MAX(CASE WHEN {kept} THEN {stamp} END), COUNT(CASE WHEN {kept} THEN 1 END), "
        f"COUNT(*), COUNT(CASE WHEN {early} THEN 1 END), "
        f"MIN(CASE WHEN {early} THEN {stamp} END), MAX(CASE WHEN {early} THEN {stamp} END) "
        "FROM events",
        parameters,
    ).fetchone()
    assert row is not None  # an aggregate always returns one row
    last, n_kept, n_early = row[0], int(row[1]), int(row[3])

    def distinct_customers(condition: str, parameter: str) -> int:
        sql = f"SELECT COUNT(DISTINCT {cid}) FROM events WHERE {condition}"
        counted = con.execute(sql, {parameter: parameters[parameter]}).fetchone()
        return int(counted[0]) if counted else 0

    too_late = last is not None and _gap_days(parameters[AS_OF_PARAMETER], last) > AS_OF_GAP_DAYS
    n_customers = distinct_customers(kept, AS_OF_PARAMETER) if too_late else 0
    early_customers = distinct_customers(early, _EARLIEST_PARAMETER) if n_early else 0
    events = _range((row[2], n_early, early_customers, row[4], row[5]))
    signups = None
    if has_signup:
        signup = f"epoch_us({quote_identifier(schema.SIGNUP_AT)})"
        early = f"{signup} < CAST(${_EARLIEST_PARAMETER} AS BIGINT)"
        one = con.execute(
            f"SELECT COUNT({signup}), COUNT(CASE WHEN {early} THEN 1 END), "
            f"COUNT(DISTINCT CASE WHEN {early} THEN {cid} END), "
            f"MIN(CASE WHEN {early} THEN {signup} END), MAX(CASE WHEN {early} THEN {signup} END) "
            "FROM customers",
            {_EARLIEST_PARAMETER: parameters[_EARLIEST_PARAMETER]},
        ).fetchone()
        assert one is not None
        signups = _range(one)
    return FarDateStats(None if last is None else int(last), n_kept, n_customers, events, signups)


def _gap_days(as_of_us: int, last_us: int) -> float:
    """Days from the last event to ``as_of`` (both epoch microseconds)."""
    return (as_of_us - last_us) / _DAY_US


def far_date_findings(stats: FarDateStats, as_of: pd.Timestamp) -> list[Finding]:
    """The far-off date problems of the data, each with its figures.

    Parameters
    ----------
    stats : FarDateStats
        From :func:`far_date_stats`.
    as_of : Timestamp
        The UTC moment the facts are computed at.

    Returns
    -------
    list of Finding
        In order: ``as_of`` more than :data:`AS_OF_GAP_YEARS` years after the last event,
        event timestamps before 1970, ``signup_at`` values before 1970. Empty for
        ordinary data.

    Examples
    --------
    >>> as_of = pd.Timestamp("2099-01-01", tz="UTC")
    >>> last = to_epoch_us(pd.Timestamp("2024-12-31", tz="UTC"))
    >>> stats = FarDateStats(last, 10, 3, DateRange(10, 0, 0, None, None))
    >>> [f.reason for f in far_date_findings(stats, as_of)]
    ['as_of is 27,029 days (74.0 years) after the last event (2024-12-31 00:00:00+00:00)']
    """
    findings = []
    as_of_us = to_epoch_us(as_of)
    if stats.last_event_us is not None:
        gap = _gap_days(as_of_us, stats.last_event_us)
        if gap > AS_OF_GAP_DAYS:
            last = _stamp(stats.last_event_us)
            span = f"{gap:,.0f} days ({gap / 365.25:.1f} years)"
            findings.append(
                Finding(
                    f"as_of ({as_of}) is {span} after the last event ({last}), more than "
                    f"{AS_OF_GAP_YEARS} years: the {stats.events_kept:,} events of "
                    f"{stats.customers_kept:,} customers are all that old, so every recency "
                    f"is at least {gap:,.0f} days and every window fact is 0. Fix: check "
                    "as_of (a mistyped year?) and the timestamp format of the events, or leave "
                    "as_of out to compute the facts at the last event.",
                    f"as_of is {span} after the last event ({last})",
                    stats.events_kept,
                    schema.TIMESTAMP,
                    (str(last), str(as_of)),
                )
            )
    events = stats.events
    if events.early:
        earliest, latest = _stamp(events.earliest_us), _stamp(events.latest_us)
        assert events.earliest_us is not None
        gap = (as_of_us - events.earliest_us) / _DAY_US
        findings.append(
            Finding(
                f"events: {events.early:,} of {events.total:,} events ({events.customers:,} "
                f"customers) have a timestamp before {EARLIEST_PLAUSIBLE.date()}, from "
                f"{earliest} to {latest} (the earliest {gap:,.0f} days before as_of). Such "
                "dates are usually placeholders such as 1900-01-01 or dates read in the wrong "
                "format; they are kept and count in first_seen, tenure_days and the other "
                "facts. Fix: correct or remove them before computing the facts, or check the "
                "timestamp format (timestamp_format in the mapping).",
                f"timestamp before {EARLIEST_PLAUSIBLE.date()} (kept; the earliest {gap:,.0f} "
                "days before as_of)",
                events.early,
                schema.TIMESTAMP,
                (str(earliest), str(latest)),
            )
        )
    signups = stats.signups
    if signups is not None and signups.early:
        earliest, latest = _stamp(signups.earliest_us), _stamp(signups.latest_us)
        assert signups.earliest_us is not None
        gap = (as_of_us - signups.earliest_us) / _DAY_US
        findings.append(
            Finding(
                f"customers: {signups.early:,} of {signups.total:,} customers with a signup_at "
                f"signed up before {EARLIEST_PLAUSIBLE.date()}, from {earliest} to {latest}, "
                f"so their tenure_days reaches {gap:,.0f} days. Such dates are usually "
                "placeholders such as 1900-01-01 or dates read in the wrong format; they are "
                "kept. Fix: correct them, or clear them (a missing signup_at gives a tenure "
                "from the first event), or check the timestamp format (timestamp_format in "
                "the mapping).",
                f"signup_at before {EARLIEST_PLAUSIBLE.date()} (kept; tenure_days up to "
                f"{gap:,.0f} days)",
                signups.customers,
                schema.SIGNUP_AT,
                (str(earliest), str(latest)),
                "customers",
            )
        )
    return findings
