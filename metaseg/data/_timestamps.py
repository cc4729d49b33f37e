"""Turning a timestamp column into tz-aware UTC, with the policy's choices on bad values.

Typed columns take the fast paths: tz-aware values are converted, naive values are
localised to the configured zone. Texts are parsed once; only when that leaves values
unparsed (pandas reads a column in one format and one zone) are they split by their
UTC offset so that mixed zones are found, reported and converted (or refused).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from metaseg._messages import preview
from metaseg.data.policy import ValidationPolicy
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataError

# An offset after a clock time: "...10:00Z", "...10:00:00+01:00", "...10:00 -0500".
_OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$"


def describe(column: str, source: str | None = None) -> str:
    """``'timestamp'`` or ``'timestamp' (source column 'InvoiceDate')`` for messages."""
    if source is None or source == column:
        return repr(column)
    return f"{column!r} (source column {source!r})"


def _localize(
    naive: pd.Series,
    *,
    column: str,
    timezone: str,
    label: str,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> pd.Series:
    if timezone == "UTC":
        return naive.dt.tz_localize("UTC")
    local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    problem = local.isna().to_numpy() & naive.notna().to_numpy()
    n_problem = int(problem.sum())
    if n_problem:
        examples = naive[problem].drop_duplicates().head(5).astype("str").tolist()
        if policy.ambiguous_times == "error":
            raise DataError(
                f"column {label} has {n_problem:,} naive local time(s) that are repeated or "
                f"skipped by a daylight-saving change in {timezone!r}, e.g. {preview(examples)}. "
                "Fix: give these timestamps with a UTC offset, or set "
                "ValidationPolicy(ambiguous_times='shift') to read a repeated time as its first "
                "occurrence and move a skipped time forward."
            )
        flags = np.ones(len(naive), dtype=bool)
        local = naive.dt.tz_localize(timezone, ambiguous=flags, nonexistent="shift_forward")
        report.add(
            step,
            "changed",
            f"naive times repeated or skipped by a daylight-saving change in {timezone} "
            "(repeated: first occurrence; skipped: moved forward)",
            rows=n_problem,
            column=column,
            examples=examples,
        )
    return local.dt.tz_convert("UTC")


def parse_texts(texts: pd.Series, *, timestamp_format: str | None, utc: bool = False) -> pd.Series:
    """Parse date/time texts; unparseable ones become NaT (the caller reports them).

    Without a format, pandas infers one from the first text; texts in another format are
    then read once more as ISO 8601 (``2011-01-03``, ``2011-01-03T09:00:00+01:00``, ...).

    Examples
    --------
    >>> texts = pd.Series(["2011-01-03 09:00", "2011-01-04", "soon"])
    >>> [str(t) for t in parse_texts(texts, timestamp_format=None)]
    ['2011-01-03 09:00:00', '2011-01-04 00:00:00', 'NaT']
    """
    with warnings.catch_warnings():
        # pandas warns when it cannot infer a format; failures are reported by the caller
        warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
        parsed = pd.to_datetime(texts, format=timestamp_format, utc=utc, errors="coerce")
        if timestamp_format is None:
            retry = (parsed.isna() & texts.notna()).to_numpy()
            if retry.any():
                again = pd.to_datetime(texts[retry], format="ISO8601", utc=utc, errors="coerce")
                if again.notna().any():
                    unit = np.datetime_data(parsed.dtype.base if utc else parsed.dtype)[0]
                    values = parsed.dt.tz_localize(None) if utc else parsed
                    merged = values.to_numpy().copy()
                    fixed = again.dt.tz_localize(None) if utc else again
                    merged[retry] = fixed.to_numpy().astype(f"datetime64[{unit}]")
                    parsed = pd.Series(merged, index=texts.index, name=texts.name)
                    if utc:
                        parsed = parsed.dt.tz_localize("UTC")
    return parsed


def _offset_key(offset: pd.Series) -> pd.Series:
    """Write offsets one way: ``Z`` and ``+0000`` become ``+00:00``."""
    text = offset.str.replace("Z", "+00:00", regex=False)
    return text.str.replace(r"^([+-]\d{2}):?(\d{2})?$", r"\1:\2", regex=True).str.replace(
        r":$", ":00", regex=True
    )


def _parse_text(
    values: pd.Series,
    *,
    column: str,
    label: str,
    timezone: str,
    timestamp_format: str | None,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
) -> pd.Series:
    text = values.astype("str").str.strip()
    offset = text.str.extract(_OFFSET, expand=False)
    aware = offset.notna().to_numpy()
    naive = text.notna().to_numpy() & (text != "").to_numpy() & ~aware
    parsed_aware = parse_texts(text[aware], timestamp_format=timestamp_format, utc=True)
    parsed_naive = parse_texts(text[naive], timestamp_format=timestamp_format)
    # Only values that parse count as a time zone: garbage is reported as unparseable.
    keys = _offset_key(offset[aware][parsed_aware.notna()])
    first = text[aware][parsed_aware.notna()].groupby(keys.to_numpy(), sort=False).first()
    kinds = keys.value_counts()
    n_naive = int(parsed_naive.notna().sum())
    if n_naive:
        kinds = pd.concat([kinds, pd.Series({"no offset": n_naive})])
        first = pd.concat(
            [first, pd.Series({"no offset": text[naive][parsed_naive.notna()].iloc[0]})]
        )
    if len(kinds) > 1:
        counts = ", ".join(f"{k} ({v:,} rows)" for k, v in kinds.items())
        examples = [first[k] for k in kinds.index[:5]]
        if policy.mixed_timezones == "error":
            raise DataError(
                f"column {label} mixes time zones: {counts}, e.g. {preview(examples)}. "
                "Fix: write every timestamp in one zone (or in UTC), or set "
                "ValidationPolicy(mixed_timezones='convert') to normalise them to UTC "
                f"(texts without an offset are then read in {timezone!r})."
            )
        report.add(
            step,
            "info",
            f"timestamps in mixed time zones normalised to UTC: {counts}",
            rows=int(kinds.sum()),
            column=column,
            examples=examples,
        )
    out = np.full(len(values), np.datetime64("NaT", "us"))
    if aware.any():
        out[aware] = parsed_aware.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    if naive.any():
        local = _localize(
            parsed_naive,
            column=column,
            timezone=timezone,
            label=label,
            policy=policy,
            report=report,
            step=step,
        )
        out[naive] = local.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(out, index=values.index, name=values.name).dt.tz_localize("UTC")


def to_utc(
    values: pd.Series,
    *,
    column: str,
    timezone: str = "UTC",
    timestamp_format: str | None = None,
    policy: ValidationPolicy,
    report: DataReport,
    step: str,
    source: str | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Return ``values`` as tz-aware UTC timestamps and the mask of missing/unparseable rows.

    Raises
    ------
    DataError
        Numbers given as timestamps; mixed zones or daylight-saving gaps when the policy
        says ``"error"``.

    Examples
    --------
    >>> s = pd.Series(["2024-03-01 10:00", "2024-07-01 10:00"])
    >>> utc, bad = to_utc(s, column="timestamp", timezone="Europe/London",
    ...                   policy=ValidationPolicy(), report=DataReport(), step="demo")
    >>> [t.hour for t in utc], bad.tolist()
    ([10, 9], [False, False])
    """
    label = describe(column, source)
    kwargs = {"label": label, "policy": policy, "report": report, "step": step, "column": column}
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        out = values.dt.tz_convert("UTC")
    elif dtype.kind == "M":
        out = _localize(values, timezone=timezone, **kwargs)
    elif dtype.kind in "biufc":
        raise DataError(
            f"column {label} holds numbers ({dtype}), not timestamps, e.g. "
            f"{preview(values.head(3).tolist())}. Fix: convert epoch numbers first, e.g. "
            "pd.to_datetime(df[col], unit='s', utc=True), or point the mapping's timestamp "
            "at a date/time column."
        )
    else:
        present = values.notna().to_numpy()
        try:
            parsed = parse_texts(values, timestamp_format=timestamp_format)
        except (ValueError, TypeError, OverflowError):
            parsed = None
        if parsed is not None and not (parsed.isna().to_numpy() & present).any():
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                out = parsed.dt.tz_convert("UTC")
            else:
                out = _localize(parsed, timezone=timezone, **kwargs)
        else:
            out = _parse_text(
                values,
                timezone=timezone,
                timestamp_format=timestamp_format,
                **kwargs,
            )
    if out.dt.unit in ("s", "ms"):  # the contract is ns or us
        out = out.dt.as_unit("us")
    return out, out.isna().to_numpy()


def utc_instant(value: object, *, name: str = "as_of", timezone: str = "UTC") -> pd.Timestamp:
    """Read a single point in time; a naive value is taken in ``timezone``.

    Examples
    --------
    >>> utc_instant("2011-12-10")
    Timestamp('2011-12-10 00:00:00+0000', tz='UTC')
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{name} must be a date or timestamp, got {value!r} ({exc}). "
            "Fix: pass e.g. '2011-12-10' or pd.Timestamp('2011-12-10', tz='UTC')."
        ) from None
    if stamp is pd.NaT or pd.isna(stamp):
        raise ConfigError(f"{name} must be a date or timestamp, got {value!r}.")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone)
    return stamp.tz_convert("UTC")
