"""Checking a labels table before it leaves metaseg.

Exports refuse a labels table that breaks the contract of ``metaseg.schema.LABEL_COLUMNS``
instead of writing something a CRM would misread: every problem is a
:class:`~metaseg.exceptions.DataError` that names the column, shows offending values
and says how to fix it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metaseg._messages import available, did_you_mean, preview
from metaseg.exceptions import DataError
from metaseg.schema import (
    AS_OF,
    BASE_SEGMENT,
    CUSTOMER_ID,
    LABEL_COLUMNS,
    MODEL_NAME,
    SCORED_AT,
    SEGMENT,
    SUB_SEGMENT,
    segment_code,
)

#: Columns that may never be null in an exported labels table.
REQUIRED_VALUES: tuple[str, ...] = (CUSTOMER_ID, BASE_SEGMENT, SUB_SEGMENT, SEGMENT, MODEL_NAME)
#: Columns holding timestamps; naive values are taken to be UTC.
TIMESTAMP_COLUMNS: tuple[str, ...] = (AS_OF, SCORED_AT)
#: The key of a label: one row per customer and model.
KEY: tuple[str, str] = (CUSTOMER_ID, MODEL_NAME)


def text_value(value: object) -> str:
    """Text of one value as stored in SQL tables and ledgers: 3, 3.0 and '3' agree.

    Examples
    --------
    >>> [text_value(v) for v in (3, 3.0, "3", 2.5, np.int64(7))]
    ['3', '3', '3', '2.5', '7']
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def key_strings(frame: pd.DataFrame) -> pd.Series:
    """Return one string per row identifying ``(customer_id, model_name)``.

    Customer ids are compared as text (see :func:`text_value`), so ``1``, ``1.0`` and
    ``"1"`` are the same customer (SQL targets store ids as text).

    Examples
    --------
    >>> key_strings(pd.DataFrame({"customer_id": [7], "model_name": ["rfm"]})).tolist()
    ['rfm\\x1f7']
    """
    ids = frame[CUSTOMER_ID]
    if pd.api.types.is_integer_dtype(ids.dtype) or pd.api.types.is_string_dtype(ids.dtype):
        text = ids.astype(str)
    else:  # floats or mixed objects: the slower exact path
        text = ids.map(text_value, na_action="ignore").astype(str)
    return frame[MODEL_NAME].astype(str) + "\x1f" + text


def _to_utc(values: pd.Series, column: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    try:
        converted = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        bad = []
        for value in values.dropna().unique()[:200]:
            try:
                pd.to_datetime(value, utc=True, format="ISO8601")
            except (ValueError, TypeError):
                bad.append(value)
        raise DataError(
            f"labels column {column!r} must hold timestamps, but some values cannot be read "
            f"as dates: {preview(bad or [str(exc)])}. Pass datetimes (UTC) or ISO 8601 text."
        ) from None
    return converted


def _wrong_segments(labels: pd.DataFrame) -> np.ndarray:
    """Rows whose ``segment`` is not ``segment_code(base_segment, sub_segment)``.

    Each distinct (base, sub, segment) combination is checked once.
    """
    parts = [labels[BASE_SEGMENT], labels[SUB_SEGMENT], labels[SEGMENT].astype(str)]
    codes, uniques = zip(*(pd.factorize(p) for p in parts), strict=True)
    combined = np.zeros(len(labels), dtype="int64")
    for part_codes, part_uniques in zip(codes, uniques, strict=True):
        combined = combined * len(part_uniques) + part_codes
    combo_codes, combos = pd.factorize(combined)
    bad = []
    for combo in combos:
        rest, segment = divmod(int(combo), len(uniques[2]))
        base, sub = divmod(rest, len(uniques[1]))
        bad.append(segment_code(uniques[0][base], uniques[1][sub]) != uniques[2][segment])
    return np.array(bad, dtype=bool)[combo_codes]


def _repeated_keys(labels: pd.DataFrame) -> np.ndarray:
    """Rows sharing their ``(customer_id, model_name)`` with another row (ids as text)."""
    ids = labels[CUSTOMER_ID]
    if pd.api.types.is_integer_dtype(ids.dtype) or (
        pd.api.types.is_string_dtype(ids.dtype) and not pd.api.types.is_object_dtype(ids.dtype)
    ):  # equal as text exactly when equal as they are
        keys = pd.DataFrame({"id": ids, "model": labels[MODEL_NAME].astype(str)})
        return keys.duplicated(keep=False).to_numpy()
    return key_strings(labels).duplicated(keep=False).to_numpy()


def validate_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Check a labels table and return a normalised copy ready to export.

    The copy has exactly the columns of ``LABEL_COLUMNS`` in that order, ``sub_segment``
    as ``int64``, float customer ids that are all whole numbers as ``int64``, and
    ``as_of``/``scored_at`` as UTC timestamps (naive timestamps are read as UTC).

    Parameters
    ----------
    labels : pandas.DataFrame
        The labels table (``metaseg.schema.LABEL_COLUMNS``).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If the table is not a DataFrame, is empty, lacks or adds columns, has nulls in
        a key or segment column, a non-integer ``sub_segment``, a ``segment`` that is not
        ``segment_code(base_segment, sub_segment)``, unreadable timestamps, or more than
        one row for a ``(customer_id, model_name)`` pair.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "customer_id": [1], "base_segment": ["dormant"], "sub_segment": [0],
    ...     "segment": ["dormant/0"], "segment_name": ["Dormant big spenders"],
    ...     "model_name": ["rfm"], "model_version": ["1"], "run_id": ["abc"],
    ...     "as_of": [pd.Timestamp("2024-01-01", tz="UTC")],
    ...     "scored_at": [pd.Timestamp("2024-01-02", tz="UTC")]})
    >>> validate_labels(frame).shape
    (1, 10)
    """
    if not isinstance(labels, pd.DataFrame):
        raise DataError(
            f"labels must be a pandas DataFrame with columns {list(LABEL_COLUMNS)}, "
            f"got {type(labels).__name__}."
        )
    columns = [str(c) for c in labels.columns]
    missing = [c for c in LABEL_COLUMNS if c not in columns]
    if missing:
        hints = "".join(did_you_mean(c, columns) for c in missing)
        raise DataError(
            f"labels table lacks column(s) {preview(missing)}; it has {available(columns)}."
            f"{hints} Produce labels with the fitted model's labels() or rename the columns."
        )
    extra = [c for c in columns if c not in LABEL_COLUMNS]
    if extra:
        raise DataError(
            f"labels table has column(s) {preview(extra)} that are not part of the labels "
            f"contract {list(LABEL_COLUMNS)}; select the contract columns first, e.g. "
            "labels[list(metaseg.schema.LABEL_COLUMNS)], so that nothing is dropped unseen."
        )
    if labels.columns.duplicated().any():
        dup = sorted(set(labels.columns[labels.columns.duplicated()]))
        raise DataError(f"labels table has duplicated column name(s) {preview(dup)}.")
    if len(labels) == 0:
        raise DataError(
            "labels table is empty; there is nothing to export. Exporting an empty table "
            "would erase the labels already at the target, so metaseg refuses it."
        )

    out = labels.loc[:, list(LABEL_COLUMNS)].reset_index(drop=True)
    for column in REQUIRED_VALUES:
        nulls = out[column].isna()
        if nulls.any() and column == MODEL_NAME and nulls.all():
            raise DataError(
                f"labels column {MODEL_NAME!r} is empty: these labels were scored by a model "
                "object that does not know under which name it was registered, and the export "
                f"key is ({CUSTOMER_ID}, {MODEL_NAME}). Score with the registered model, "
                "metaseg.tracking.load_champion(name).predict(facts), or stamp the labels with "
                "metaseg.provenance.stamp_provenance(labels, fit_run.provenance) after "
                "metaseg.tracking.log_fit(..., register=name)."
            )
        if nulls.any():
            rows = list(out.index[nulls])
            raise DataError(
                f"labels column {column!r} has {int(nulls.sum()):,} null value(s) "
                f"(row positions {preview(rows)}); every label needs a {column}. "
                "Fill or remove those rows before exporting."
            )

    ids = out[CUSTOMER_ID]
    if pd.api.types.is_float_dtype(ids.dtype) and bool((ids == ids.round()).all()):
        out[CUSTOMER_ID] = ids.astype("int64")  # ids that became floats on the way

    sub = pd.to_numeric(out[SUB_SEGMENT], errors="coerce")
    not_int = sub.isna() | (sub != sub.round())
    if not_int.any():
        raise DataError(
            f"labels column {SUB_SEGMENT!r} must hold integers (-1 for noise), got "
            f"{preview(list(out.loc[not_int, SUB_SEGMENT].unique()))}."
        )
    out[SUB_SEGMENT] = sub.astype("int64")

    wrong = _wrong_segments(out)
    if wrong.any():
        first = out.loc[wrong].iloc[0]
        raise DataError(
            f"labels column {SEGMENT!r} must equal segment_code(base_segment, sub_segment), "
            f"but {int(wrong.sum()):,} row(s) differ, e.g. segment={first[SEGMENT]!r} for "
            f"base_segment={first[BASE_SEGMENT]!r}, sub_segment={int(first[SUB_SEGMENT])} "
            f"(expected {segment_code(first[BASE_SEGMENT], first[SUB_SEGMENT])!r})."
        )

    for column in TIMESTAMP_COLUMNS:
        out[column] = _to_utc(out[column], column)

    dup = _repeated_keys(out)
    if dup.any():
        pairs = out.loc[dup, list(KEY)].drop_duplicates()
        shown = list(pairs.itertuples(index=False, name=None))
        raise DataError(
            f"labels table has {int(dup.sum()):,} rows sharing {len(pairs):,} "
            f"(customer_id, model_name) pair(s), e.g. {preview(shown, limit=3)}; each "
            "customer may have one label per model. Keep one row per customer "
            "(customer ids are compared as text, so 1 and '1' are the same customer)."
        )
    return out
