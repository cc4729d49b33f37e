"""Campaign results per segment: conversion, revenue and lift with confidence intervals.

Outcomes are one row per customer and campaign send: ``customer_id``, ``campaign``,
``sent_at``, ``converted`` (boolean, or 0/1), optionally ``revenue`` and ``holdout``
(True for customers deliberately not sent, the control group). Each send is joined to
the customer's label; sends to customers absent from the labels are kept in a
``(unlabelled)`` segment, counted in a :class:`~metaseg.exceptions.DataQualityWarning`.

For every campaign, over everybody (level ``all``), per base segment and per
sub-segment, :func:`campaign_report` gives:

* ``sends``, ``conversions``, ``conversion_rate`` with its Wilson interval;
* ``revenue_per_send`` (when revenue is given);
* ``lift_vs_population``: the group's conversion rate over the whole campaign's (1 =
  converts like everybody), delta-method interval on the log scale that accounts for
  the group being part of the population;
* with a holdout: ``holdout_sends``, ``holdout_rate``, ``uplift`` (rate difference) and
  ``lift_vs_holdout`` (sent rate over holdout rate, 1 = no effect) with a delta-method
  interval, and ``revenue_lift_vs_holdout`` (ratio of revenue per customer);
* ``enough_data`` and ``note``: groups with fewer than ``min_sends`` sends (or holdout
  customers) are flagged as too small to judge; their numbers are still shown.

Intervals are closed-form (see :mod:`metaseg.over_time._stats`).
"""

from __future__ import annotations

import warnings
from typing import Any, Final

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning
from metaseg.over_time._stats import (
    log_ratio_interval,
    var_log_mean,
    var_log_rate,
    wilson,
    z_value,
)

CAMPAIGN: Final = "campaign"
SENT_AT: Final = "sent_at"
CONVERTED: Final = "converted"
REVENUE: Final = "revenue"
HOLDOUT: Final = "holdout"
#: Segment given to sends whose customer has no label.
UNLABELLED: Final = "(unlabelled)"
#: Group levels of the report, in order.
LEVELS: Final = ("all", schema.BASE_SEGMENT, schema.SEGMENT)
REPORT_COLUMNS: Final = (
    CAMPAIGN,
    "level",
    schema.BASE_SEGMENT,
    schema.SEGMENT,
    "sends",
    "conversions",
    "conversion_rate",
    "rate_low",
    "rate_high",
    "revenue_per_send",
    "lift_vs_population",
    "lift_vs_population_low",
    "lift_vs_population_high",
    "holdout_sends",
    "holdout_conversions",
    "holdout_rate",
    "uplift",
    "lift_vs_holdout",
    "lift_vs_holdout_low",
    "lift_vs_holdout_high",
    "revenue_lift_vs_holdout",
    "revenue_lift_vs_holdout_low",
    "revenue_lift_vs_holdout_high",
    "enough_data",
    "note",
)
#: Added after ``REPORT_COLUMNS`` when ``campaign_report`` is given expected CLVs.
CLV_COLUMNS: Final = (
    "mean_expected_clv",
    "clv_weighted_rate",
    "clv_weighted_lift_vs_population",
    "clv_weighted_uplift",
    "expected_clv_gain_per_send",
)
_CLV: Final = "_clv"


def campaign_report(
    labels: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    min_sends: int = 100,
    confidence: float = 0.95,
    expected_clv: pd.Series | None = None,
) -> pd.DataFrame:
    """Conversion and lift of each campaign per segment, with confidence intervals.

    Parameters
    ----------
    labels : DataFrame
        A labels table (``customer_id``, ``base_segment``, ``segment``), one row per
        customer, e.g. the labels exported when the campaign was sent.
    outcomes : DataFrame
        One row per send: ``customer_id``, ``campaign``, ``sent_at``, ``converted``,
        optional ``revenue`` (>= 0; missing counts as 0 for customers who did not
        convert) and ``holdout``.
    min_sends : int, default 100
        Groups with fewer sends (or, for the holdout lift, holdout customers) are
        flagged ``enough_data=False``.
    confidence : float, default 0.95
        Level of every interval.
    expected_clv : Series, optional
        Expected lifetime value per customer, indexed by ``customer_id`` (e.g.
        ``facts.set_index("customer_id")["clv_365d"]`` at the send date). Weighs every
        conversion by the customer's expected value, which answers "which segment is
        worth the money": adds :data:`CLV_COLUMNS` -- ``mean_expected_clv`` of the
        group's sends, ``clv_weighted_rate`` (sum of CLV of converters / sum of CLV sent),
        its lift over the campaign's, ``clv_weighted_uplift`` (sent minus holdout) and
        ``expected_clv_gain_per_send`` = that uplift x ``mean_expected_clv`` (expected
        future value won per send; NaN without a holdout). Every customer sent to (or held
        out) needs a finite value >= 0.

    Returns
    -------
    DataFrame
        ``REPORT_COLUMNS`` (then ``CLV_COLUMNS`` with ``expected_clv``), one row per
        (campaign, level, group); ``attrs`` holds ``unlabelled_sends`` (sends whose
        customer has no label).

    Raises
    ------
    ConfigError
        If ``min_sends`` or ``confidence`` is out of range.
    DataError
        If a column is missing, ``converted`` or ``holdout`` is not boolean, a revenue
        is negative or missing for a conversion, a date cannot be read, or a customer
        has several labels.

    Examples
    --------
    >>> labels = pd.DataFrame({"customer_id": [1, 2, 3, 4],
    ...                        "base_segment": ["a", "a", "b", "b"],
    ...                        "segment": ["a/0", "a/0", "b/0", "b/0"]})
    >>> outcomes = pd.DataFrame({"customer_id": [1, 2, 3, 4], "campaign": "spring",
    ...                          "sent_at": "2025-03-01", "converted": [1, 1, 0, 1]})
    >>> report = campaign_report(labels, outcomes, min_sends=1)
    >>> report[["level", "segment", "conversion_rate", "lift_vs_population"]].values.tolist()
    [['all', '(all)', 0.75, 1.0], ['base_segment', 'a', 1.0, 1.3333333333333333], ['base_segment', 'b', 0.5, 0.6666666666666666], ['segment', 'a/0', 1.0, 1.3333333333333333], ['segment', 'b/0', 0.5, 0.6666666666666666]]
    """
    _check_params(min_sends, confidence)
    sends = _prepare(labels, outcomes)
    if expected_clv is not None:
        sends[_CLV] = _clv_of_sends(expected_clv, sends[schema.CUSTOMER_ID])
    n_unlabelled = int((sends[schema.SEGMENT] == UNLABELLED).sum())
    if n_unlabelled:
        warnings.warn(
            f"campaign_report: {n_unlabelled:,} send(s) to customers without a label (e.g. "
            f"customer_id {preview(sends.loc[sends[schema.SEGMENT] == UNLABELLED, schema.CUSTOMER_ID].unique().tolist(), 3)}"
            f") are reported in the {UNLABELLED!r} segment. Use the labels in force when the "
            "campaign was sent.",
            DataQualityWarning,
            stacklevel=2,
        )
    z = z_value(confidence)
    parts = [_level(sends, level, z, min_sends) for level in LEVELS]
    report = pd.concat(parts, ignore_index=True)
    report = report.sort_values([CAMPAIGN, "_order"], kind="stable").drop(columns="_order")
    columns = list(REPORT_COLUMNS) + (list(CLV_COLUMNS) if expected_clv is not None else [])
    report = report[columns].reset_index(drop=True)
    report.attrs["unlabelled_sends"] = n_unlabelled
    return report


# ------------------------------------------------------------------ validation
def _clv_of_sends(expected_clv: Any, ids: pd.Series) -> np.ndarray:
    """The expected CLV of each send's customer; every one must be known, finite, >= 0."""
    if not isinstance(expected_clv, pd.Series):
        raise DataError(
            f"expected_clv must be a pandas Series indexed by customer_id, got "
            f"{type(expected_clv).__name__}; e.g. facts.set_index('customer_id')['clv_365d']."
        )
    if expected_clv.index.has_duplicates:
        raise DataError(
            "expected_clv repeats customer_id values, e.g. "
            f"{preview(expected_clv.index[expected_clv.index.duplicated()].unique().tolist(), 3)};"
            " give one value per customer."
        )
    try:
        values = expected_clv.reindex(pd.Index(ids)).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            f"expected_clv must hold numbers, got dtype {expected_clv.dtype}."
        ) from None
    unknown = np.isnan(values)
    if unknown.any():
        raise DataError(
            f"expected_clv has no value for {int(unknown.sum()):,} send(s), e.g. customer_id "
            f"{preview(ids[unknown].unique().tolist(), 3)}; compute the potential-value facts "
            "for every customer in the outcomes (facts.clv gives every customer a value)."
        )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise DataError(
            f"expected_clv must be finite and >= 0, got {preview(values[bad].tolist(), 3)} for "
            f"customer_id {preview(ids[bad].unique().tolist(), 3)}."
        )
    return values


def _check_params(min_sends: Any, confidence: Any) -> None:
    if not isinstance(min_sends, int) or isinstance(min_sends, bool) or min_sends < 1:
        raise ConfigError(f"min_sends must be an integer >= 1, got {min_sends!r}.")
    if (
        not isinstance(confidence, float | int)
        or isinstance(confidence, bool)
        or not 0.0 < confidence < 1.0
    ):
        raise ConfigError(f"confidence must be a number in (0, 1), e.g. 0.95, got {confidence!r}.")


def _require(what: str, frame: Any, columns: tuple[str, ...], hint: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    for column in columns:
        if column not in frame.columns:
            raise DataError(
                f"{what} have no {column!r} column.{did_you_mean(column, map(str, frame.columns))}"
                f" Columns: {available(map(str, frame.columns))}. {hint}"
            )


def _flag(outcomes: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column: bool dtype, or numbers that are all 0 or 1; no missing values."""
    values = outcomes[column]
    if values.isna().any():
        bad = outcomes.loc[values.isna(), schema.CUSTOMER_ID].tolist()
        raise DataError(
            f"outcomes.{column} is missing for {int(values.isna().sum()):,} row(s) (customer_id "
            f"{preview(bad, 3)}); it must be True/False (or 1/0) on every row."
        )
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        wrong = ~values.isin([0, 1])
        if not wrong.any():
            return values.to_numpy(dtype=np.float64) == 1.0
        shown = values[wrong].unique().tolist()
    else:
        shown = values.unique().tolist()
    raise DataError(
        f"outcomes.{column} must be boolean (True/False or 1/0), got dtype {values.dtype} with "
        f"values {preview(shown)}. Convert it, e.g. outcomes[{column!r}] == 'yes'."
    )


def _prepare(labels: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    _require(
        "labels",
        labels,
        (schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SEGMENT),
        "Pass a labels table (model.labels_ or the exported labels).",
    )
    _require(
        "outcomes",
        outcomes,
        (schema.CUSTOMER_ID, CAMPAIGN, SENT_AT, CONVERTED),
        "Rename your columns to customer_id, campaign, sent_at, converted (revenue and "
        "holdout optional).",
    )
    repeated = labels[schema.CUSTOMER_ID].duplicated()
    if repeated.any():
        raise DataError(
            f"labels repeat {int(repeated.sum()):,} customer_id value(s), e.g. "
            f"{preview(labels.loc[repeated, schema.CUSTOMER_ID].unique().tolist(), 3)}; pass "
            "one model's labels (one row per customer)."
        )
    if outcomes[CAMPAIGN].isna().any():
        raise DataError(
            f"outcomes.campaign is missing on {int(outcomes[CAMPAIGN].isna().sum()):,} row(s); "
            "every send belongs to a campaign."
        )
    converted = _flag(outcomes, CONVERTED)
    holdout = (
        _flag(outcomes, HOLDOUT) if HOLDOUT in outcomes.columns else np.zeros(len(outcomes), bool)
    )
    _check_sent_at(outcomes[SENT_AT], holdout)
    revenue = _revenue(outcomes, converted)
    ids = labels[[schema.CUSTOMER_ID, schema.BASE_SEGMENT, schema.SEGMENT]]
    frame = pd.DataFrame(
        {
            schema.CUSTOMER_ID: outcomes[schema.CUSTOMER_ID].to_numpy(),
            CAMPAIGN: outcomes[CAMPAIGN].astype(str).to_numpy(),
            CONVERTED: converted.astype(np.float64),
            REVENUE: revenue,
            HOLDOUT: holdout,
        }
    )
    try:
        joined = frame.merge(ids, on=schema.CUSTOMER_ID, how="left", validate="many_to_one")
    except ValueError:
        raise DataError(
            f"customer_id of outcomes ({outcomes[schema.CUSTOMER_ID].dtype}) and labels "
            f"({labels[schema.CUSTOMER_ID].dtype}) cannot be matched; give both the same type."
        ) from None
    joined[schema.BASE_SEGMENT] = (
        joined[schema.BASE_SEGMENT].astype(object).fillna(UNLABELLED).astype(str)
    )
    joined[schema.SEGMENT] = joined[schema.SEGMENT].astype(object).fillna(UNLABELLED).astype(str)
    joined.attrs["has_revenue"] = REVENUE in outcomes.columns
    return joined


def _check_sent_at(values: pd.Series, holdout: np.ndarray) -> None:
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    unreadable = parsed.isna() & values.notna()
    if unreadable.any():
        raise DataError(
            f"outcomes.sent_at has {int(unreadable.sum()):,} value(s) that are not dates, e.g. "
            f"{preview(values[unreadable].unique().tolist(), 3)}. Use ISO dates such as "
            "2025-03-01 or 2025-03-01T09:00:00Z."
        )
    missing = values.isna().to_numpy() & ~holdout
    if missing.any():
        raise DataError(
            f"outcomes.sent_at is missing on {int(missing.sum()):,} sent row(s) (holdout is "
            "False); only holdout customers may have no send date."
        )


def _revenue(outcomes: pd.DataFrame, converted: np.ndarray) -> np.ndarray:
    if REVENUE not in outcomes.columns:
        return np.full(len(outcomes), np.nan)
    values = outcomes[REVENUE]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(
            f"outcomes.revenue must be numeric, got dtype {values.dtype} with values "
            f"{preview(values.dropna().unique().tolist())}."
        )
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    negative = x < 0
    if negative.any():
        raise DataError(
            f"outcomes.revenue has {int(negative.sum()):,} negative value(s), e.g. "
            f"{preview(x[negative].tolist(), 3)}; record refunds elsewhere or as 0."
        )
    unknown = np.isnan(x) & converted
    if unknown.any():
        raise DataError(
            f"outcomes.revenue is missing for {int(unknown.sum()):,} converted send(s) (customer_id "
            f"{preview(outcomes.loc[unknown, schema.CUSTOMER_ID].tolist(), 3)}); give the revenue "
            "of every conversion (0 when it had none)."
        )
    return np.where(np.isnan(x), 0.0, x)


# ------------------------------------------------------------------ computation
def _totals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    clv = frame[_CLV] if _CLV in frame.columns else 0.0
    frame = frame.assign(_r2=frame[REVENUE] ** 2, _w=clv, _wx=clv * frame[CONVERTED])
    grouped = frame.groupby(keys, observed=True, sort=True)
    return pd.DataFrame(
        {
            "n": grouped.size(),
            "x": grouped[CONVERTED].sum(),
            "r": grouped[REVENUE].sum(),
            "r2": grouped["_r2"].sum(),
            "w": grouped["_w"].sum(),
            "wx": grouped["_wx"].sum(),
        }
    )


def _level(sends: pd.DataFrame, level: str, z: float, min_sends: int) -> pd.DataFrame:
    data = sends.copy()
    if level == "all":
        data["_base"], data["_segment"] = "(all)", "(all)"
    elif level == schema.BASE_SEGMENT:
        data["_base"], data["_segment"] = data[schema.BASE_SEGMENT], data[schema.BASE_SEGMENT]
    else:
        data["_base"], data["_segment"] = data[schema.BASE_SEGMENT], data[schema.SEGMENT]
    keys = [CAMPAIGN, "_base", "_segment"]
    sent = _totals(data[~data[HOLDOUT]], keys)
    held = _totals(data[data[HOLDOUT]], keys)
    population = _totals(data[~data[HOLDOUT]], [CAMPAIGN])
    table = (
        sent.merge(held, how="outer", left_index=True, right_index=True, suffixes=("", "_h"))
        .fillna(0.0)
        .reset_index()
    )
    pop = population.reindex(table[CAMPAIGN])
    n, x = table["n"].to_numpy(), table["x"].to_numpy()
    n0, x0 = table["n_h"].to_numpy(), table["x_h"].to_numpy()
    N, X = pop["n"].to_numpy(dtype=np.float64), pop["x"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p, p0, P = x / n, x0 / n0, X / N
        low, high = wilson(x, n, z)
        lift_pop = p / P
        var_pop = (
            var_log_rate(p, n)
            + var_log_rate(P, N)
            - 2 * np.where((P > 0) & (N > 0), (1 - p) / (N * P), np.nan)
        )
        pop_low, pop_high = log_ratio_interval(lift_pop, np.maximum(var_pop, 0.0), z)
        lift_h = p / p0
        h_low, h_high = log_ratio_interval(lift_h, var_log_rate(p, n) + var_log_rate(p0, n0), z)
        m, m0 = table["r"].to_numpy() / n, table["r_h"].to_numpy() / n0
        v = np.maximum(table["r2"].to_numpy() / n - m**2, 0.0) * n / np.maximum(n - 1, 1)
        v0 = np.maximum(table["r2_h"].to_numpy() / n0 - m0**2, 0.0) * n0 / np.maximum(n0 - 1, 1)
        rev_lift = m / m0
        r_low, r_high = log_ratio_interval(
            rev_lift, var_log_mean(m, v, n) + var_log_mean(m0, v0, n0), z
        )
        w_rate = table["wx"].to_numpy() / table["w"].to_numpy()
        w_rate0 = table["wx_h"].to_numpy() / table["w_h"].to_numpy()
        w_pop = pop["wx"].to_numpy(dtype=np.float64) / pop["w"].to_numpy(dtype=np.float64)
        mean_clv = table["w"].to_numpy() / n
        w_lift, w_uplift = w_rate / w_pop, w_rate - w_rate0
    has_revenue = sends.attrs.get("has_revenue", False)
    out = pd.DataFrame(
        {
            CAMPAIGN: table[CAMPAIGN].astype(str),
            "level": level,
            schema.BASE_SEGMENT: table["_base"].astype(str),
            schema.SEGMENT: table["_segment"].astype(str),
            "sends": n.astype(np.int64),
            "conversions": x.astype(np.int64),
            "conversion_rate": p,
            "rate_low": low,
            "rate_high": high,
            "revenue_per_send": m if has_revenue else np.nan,
            "lift_vs_population": lift_pop,
            "lift_vs_population_low": pop_low,
            "lift_vs_population_high": pop_high,
            "holdout_sends": n0.astype(np.int64),
            "holdout_conversions": x0.astype(np.int64),
            "holdout_rate": p0,
            "uplift": p - p0,
            "lift_vs_holdout": lift_h,
            "lift_vs_holdout_low": h_low,
            "lift_vs_holdout_high": h_high,
            "revenue_lift_vs_holdout": rev_lift if has_revenue else np.nan,
            "revenue_lift_vs_holdout_low": r_low if has_revenue else np.nan,
            "revenue_lift_vs_holdout_high": r_high if has_revenue else np.nan,
            "mean_expected_clv": mean_clv,
            "clv_weighted_rate": w_rate,
            "clv_weighted_lift_vs_population": w_lift,
            "clv_weighted_uplift": w_uplift,
            "expected_clv_gain_per_send": w_uplift * mean_clv,
        }
    )
    any_holdout = bool(sends[HOLDOUT].any())
    small = n < min_sends
    small_h = any_holdout & (n0 < min_sends)
    out["enough_data"] = ~small & ~small_h
    out["note"] = [
        "; ".join(
            t
            for t in (
                f"only {int(a):,} sends (< min_sends={min_sends})" if s else "",
                f"only {int(b):,} holdout customers (< min_sends={min_sends})" if sh else "",
            )
            if t
        )
        for a, b, s, sh in zip(n, n0, small, small_h, strict=True)
    ]
    out["_order"] = LEVELS.index(level)
    return out
