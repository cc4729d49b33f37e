"""Scoring a Spark DataFrame of facts with a logged segmentation (``mlflow.pyfunc.spark_udf``).

The logged pyfunc model (see :mod:`metaseg.tracking.pyfunc`) returns the labels table
for a pandas batch of facts; :func:`score_spark` wraps it in a Spark pandas UDF whose
result is a struct of the label columns, then flattens it. Because every customer is
labelled from its own row only (rules cut points, scalers and clusterers were learned
at fit time), the labels do not depend on how Spark splits the rows into batches.

A registered version named through its alias or number (``models:/shop@champion``,
``models:/shop/3``) is downloaded once and its files checked against the sha256
recorded when it was promoted, like :func:`metaseg.tracking.load_champion`, before
Spark loads it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metaseg import schema
from metaseg._messages import available, preview
from metaseg.exceptions import ConfigError, DataError, TrackingError
from metaseg.spark.facts import require_pyspark
from metaseg.tracking.model_uri import parse_registry_uri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Label columns the UDF returns; ``as_of`` and ``scored_at`` are added by Spark.
_UDF_COLUMNS = (
    (schema.BASE_SEGMENT, "string"),
    (schema.SUB_SEGMENT, "bigint"),
    (schema.SEGMENT, "string"),
    (schema.SEGMENT_NAME, "string"),
    (schema.MODEL_NAME, "string"),
    (schema.MODEL_VERSION, "string"),
    (schema.RUN_ID, "string"),
)
_RESULT = "__metaseg_labels"


def default_result_type(id_type: str = "bigint") -> str:
    """The struct type (DDL) of the labels the UDF returns.

    Examples
    --------
    >>> default_result_type("string").split(", ")[:2]
    ['customer_id string', 'base_segment string']
    """
    fields = [(schema.CUSTOMER_ID, id_type), *_UDF_COLUMNS]
    return ", ".join(f"{name} {kind}" for name, kind in fields)


def score_spark(
    facts: DataFrame,
    model_uri: str,
    *,
    result_type: str | None = None,
    as_of: Any = None,
    tracking_uri: str | None = None,
    verify: bool = True,
    env_manager: str = "local",
) -> DataFrame:
    """Label the customers of a Spark DataFrame of facts with a logged segmentation.

    Parameters
    ----------
    facts : pyspark.sql.DataFrame
        One row per customer with every column the model reads (its signature), e.g.
        the output of :func:`metaseg.spark.compute_facts_spark`.
    model_uri : str
        ``models:/NAME@ALIAS`` (e.g. ``models:/shop@champion``), ``models:/NAME/VERSION``,
        or any MLflow model URI or local path.
    result_type : str, optional
        Spark DDL of the struct the UDF returns; its fields are taken by name from the
        labels table. Default: ``customer_id`` (typed like ``facts``) and the label
        columns (see :func:`default_result_type`); ``as_of`` and ``scored_at`` are
        then added as Spark timestamps.
    as_of : str, datetime or Timestamp, optional
        The facts' reference time (needed by rules that count days and written into the
        labels); pass the ``as_of`` the facts were computed at.
    tracking_uri : str, optional
        See :func:`metaseg.tracking.resolve_tracking_uri`.
    verify : bool, default True
        For ``models:/NAME@ALIAS`` and ``models:/NAME/VERSION``, check the model's files
        against the sha256 recorded at promotion before scoring; the version must have
        been promoted. Other URIs are not verified.
    env_manager : str, default "local"
        MLflow's environment manager for the UDF (``"local"``: the workers use the
        current Python environment, which must have metaseg installed).

    Returns
    -------
    pyspark.sql.DataFrame
        The labels table (``metaseg.schema.LABEL_COLUMNS``, or the fields of
        ``result_type``), lazily computed, one row per row of ``facts``.

    Raises
    ------
    DataError
        ``facts`` is not a Spark DataFrame or lacks a column the model reads.
    TrackingError
        The model cannot be found, was never promoted, or its files do not match the
        recorded digest.

    Examples
    --------
    >>> labels = score_spark(facts, "models:/shop@champion", as_of="2025-12-31")  # doctest: +SKIP
    >>> labels.groupBy("segment").count().show()  # doctest: +SKIP
    """
    require_pyspark()
    import mlflow.pyfunc
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import functions as F

    if not isinstance(facts, SparkDataFrame):
        raise DataError(
            f"facts must be a pyspark.sql.DataFrame, got {type(facts).__name__}; for pandas "
            "facts use MetaSegmenter.predict or metaseg.tracking.load_champion."
        )
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise ConfigError(
            f"model_uri must be a model URI such as 'models:/shop@champion', got {model_uri!r}."
        )
    as_of_stamp = None if as_of is None else _as_of(as_of)
    from metaseg.tracking import resolve_tracking_uri
    from metaseg.tracking.store import tracking_session

    uri = resolve_tracking_uri(tracking_uri)
    local_uri, config = _resolve_model(model_uri, uri, verify)
    if result_type is None:
        if schema.CUSTOMER_ID not in facts.columns:
            raise DataError(
                f"facts have no {schema.CUSTOMER_ID!r} column; columns are "
                f"{available(facts.columns)}. Keep customer_id as a column."
            )
        id_type = facts.schema[schema.CUSTOMER_ID].dataType.simpleString()
        result_type = default_result_type(id_type)
        add_times = True
    else:
        add_times = False
    params = None if as_of_stamp is None else {"as_of": as_of_stamp.isoformat()}
    with tracking_session(uri):
        inputs = _input_columns(local_uri, facts)
        udf = mlflow.pyfunc.spark_udf(
            facts.sparkSession,
            local_uri,
            result_type=result_type,
            env_manager=env_manager,
            params=params,
            model_config=config or None,
        )
    columns = [F.col(f"`{c}`") for c in inputs]
    labels = facts.select(udf(F.struct(*columns)).alias(_RESULT)).select(f"{_RESULT}.*")
    if add_times:
        as_of_column = (
            F.lit(None).cast("timestamp")
            if as_of_stamp is None
            else F.timestamp_micros(F.lit(as_of_stamp.value // 1_000))
        )
        labels = labels.withColumn(schema.AS_OF, as_of_column).withColumn(
            schema.SCORED_AT, F.current_timestamp()
        )
        labels = labels.select(*schema.LABEL_COLUMNS)
    return labels


def _as_of(value: Any) -> Any:
    from metaseg.facts.params import parse_as_of

    return parse_as_of(value)


def _input_columns(model_uri: str, facts: DataFrame) -> list[str]:
    """The columns the model's signature names, checked against ``facts``."""
    from mlflow.models import get_model_info

    signature = get_model_info(model_uri).signature
    if signature is None or signature.inputs is None:
        raise TrackingError(
            f"the model at {model_uri!r} has no input signature; log it with "
            "metaseg.tracking.log_fit, which records the facts the model reads."
        )
    names = list(signature.inputs.input_names())
    missing = [c for c in names if c not in facts.columns]
    if missing:
        raise DataError(
            f"facts lack the column(s) {preview(missing)} the model reads; available: "
            f"{available(facts.columns)}. Compute the facts with the windows and customer "
            "attributes the model was fitted with."
        )
    return names


def _resolve_model(model_uri: str, uri: str, verify: bool) -> tuple[str, dict[str, str]]:
    """Return the URI Spark loads and the ``model_config`` naming the registered version."""
    ref = parse_registry_uri(model_uri)
    if ref is None or not verify:
        return model_uri, {}
    from metaseg.tracking.pyfunc import write_registry_meta
    from metaseg.tracking.registry import download_verified
    from metaseg.tracking.store import tracking_failures, tracking_session

    name, alias, version = ref.name, ref.alias, ref.version
    with tracking_session(uri) as client:
        try:
            if alias is not None:
                mv = client.get_model_version_by_alias(name, alias)
            else:
                mv = client.get_model_version(name, version)
            # Spark loads the model lazily, when the labels are computed: keep the copy
            folder = tempfile.mkdtemp(prefix="metaseg-spark-model-")
            local, _, _ = download_verified(client, uri, mv, folder, alias=alias)
        except tracking_failures() as exc:
            raise TrackingError(
                f"could not load {model_uri} from the tracking store {uri!r}: {exc}. Check "
                "the name, the alias or version, and that the store is reachable."
            ) from exc
    # the labels name this version: write the registry's metadata file beside the verified
    # copy, as MLflow does when it loads a model through models:/NAME/...
    write_registry_meta(Path(local), name, str(mv.version))
    return str(local), {}
