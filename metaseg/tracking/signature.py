"""The input signature of a logged segmentation and the casts that make it round-trip.

The signature lists only the facts the model reads (``feature_columns_``), with the
MLflow type of each. MLflow's schema enforcement refuses timezone-aware timestamps
and pandas categoricals, which facts contain (``first_seen``, ``signup_at``,
``gender``, ...); those columns are declared ``Any`` and the pyfunc wrapper restores
their dtype with :func:`restore_dtypes` before predicting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg._messages import available, preview
from metaseg.exceptions import DataError

#: Kind of a column -> the MLflow type declared for it ("any" = not enforced).
_MLFLOW_TYPE = {
    "long": "long",
    "double": "double",
    "boolean": "boolean",
    "string": "string",
    "datetime": "datetime",
    "datetime_utc": "any",
    "category": "any",
}


def column_kind(frame: pd.DataFrame, column: str) -> str:
    """Classify a column for the signature (``long``, ``double``, ``datetime_utc``, ...).

    Examples
    --------
    >>> column_kind(pd.DataFrame({"n": [1, 2]}), "n")
    'long'
    """
    dtype = frame[column].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime_utc"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "string"
    raise DataError(
        f"facts column {column!r} has dtype {dtype}, which a logged model cannot declare "
        "in its signature; convert it to a number, a string, a category or a timestamp."
    )


def column_kinds(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Kinds of the model's input columns, checking that ``frame`` has each of them."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"facts lack the column(s) {preview(missing)} the model reads "
            f"(feature_columns_); available: {available(frame.columns)}. Log the model "
            "with the facts it was fitted on."
        )
    return {c: column_kind(frame, c) for c in columns}


def input_signature(
    kinds: Mapping[str, str],
    id_kind: str | None = None,
    *,
    optional: Mapping[str, str] | Sequence[str] = (),
) -> Any:
    """Build the MLflow ``ModelSignature`` (inputs, labels outputs, ``as_of`` param).

    ``kinds`` are the columns the model reads (required, typed); ``optional`` names the
    other columns of the fit facts, declared optional and untyped so that facts pass as
    they are without MLflow warning about them (the model ignores them).

    Examples
    --------
    >>> signature = input_signature({"customer_id": "long"}, optional=["region"])
    >>> [(c.name, c.required) for c in signature.inputs.inputs]
    [('customer_id', True), ('region', False)]
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema
    from mlflow.types.schema import AnyType, ParamSchema, ParamSpec

    def spec(kind: str, name: str, required: bool = True) -> Any:
        mlflow_type = _MLFLOW_TYPE[kind]
        return ColSpec(AnyType() if mlflow_type == "any" else mlflow_type, name, required)

    extra = [name for name in optional if name not in kinds]
    inputs = Schema(
        [spec(kind, name) for name, kind in kinds.items()]
        + [ColSpec(AnyType(), name, required=False) for name in extra]
    )
    id_kind = id_kind or kinds.get(schema.CUSTOMER_ID, "string")
    outputs = Schema(
        [
            spec(id_kind, schema.CUSTOMER_ID),
            ColSpec("string", schema.BASE_SEGMENT),
            ColSpec("long", schema.SUB_SEGMENT),
            ColSpec("string", schema.SEGMENT),
            ColSpec("string", schema.SEGMENT_NAME),
            ColSpec("string", schema.MODEL_NAME, required=False),
            ColSpec("string", schema.MODEL_VERSION, required=False),
            ColSpec("string", schema.RUN_ID, required=False),
            ColSpec(AnyType(), schema.AS_OF, required=False),
            ColSpec(AnyType(), schema.SCORED_AT),
        ]
    )
    params = ParamSchema([ParamSpec("as_of", "string", None)])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def restore_dtypes(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Give the columns MLflow does not enforce the dtype they had when the model was fitted.

    Timestamps become ``datetime64[..., UTC]`` (naive values are read as UTC) and
    categoricals become ``category`` again; other columns are left as they are.

    Examples
    --------
    >>> out = restore_dtypes(pd.DataFrame({"g": ["f", "m"]}), {"g": "category"})
    >>> str(out["g"].dtype)
    'category'
    """
    casts = {}
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        if kind == "datetime_utc" and not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            casts[column] = pd.to_datetime(frame[column], utc=True)
        elif kind == "category" and not isinstance(frame[column].dtype, pd.CategoricalDtype):
            casts[column] = frame[column].astype("category")
    return frame.assign(**casts) if casts else frame
