"""Scoring in batches: facts read a slice at a time, labels written a batch at a time.

A fitted segmentation labels each customer from that customer's facts alone (cut points,
scalers and centres learned at fit time), so the facts can be cut into batches and the
labels of the batches put together are the labels of a one-shot ``predict``. With the
facts in a Parquet file or folder, :func:`score_to_parquet` holds one batch of facts and
its labels at a time, whatever the number of customers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg.exceptions import ConfigError, DataError
from metaseg.export.stream import StreamedLabels, write_labels_batches
from metaseg.provenance import Provenance, stamp_provenance

__all__ = ["DEFAULT_BATCH_SIZE", "fact_batches", "score_batches", "score_to_parquet"]

#: Customers per batch by default (a few hundred MB of facts and labels).
DEFAULT_BATCH_SIZE = 500_000

FactsSource = pd.DataFrame | str | os.PathLike[str]


def fact_batches(
    facts: FactsSource, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[pd.DataFrame]:
    """Yield the facts ``batch_size`` customers at a time.

    Parameters
    ----------
    facts : DataFrame or path
        Facts in memory (sliced, ``attrs`` kept), or a Parquet file or folder of them,
        read by pyarrow one batch at a time.
    batch_size : int
        Customers per batch at most.

    Returns
    -------
    iterator of DataFrame

    Raises
    ------
    ConfigError
        ``batch_size`` is not a positive integer, or the path does not exist.

    Examples
    --------
    >>> facts = pd.DataFrame({"customer_id": [1, 2, 3]})
    >>> [len(b) for b in fact_batches(facts, 2)]
    [2, 1]
    """
    size = _check_batch_size(batch_size)
    if isinstance(facts, pd.DataFrame):
        return _frame_batches(facts, size)
    if isinstance(facts, (str, os.PathLike)):
        path = Path(facts)
        if not path.exists():
            raise ConfigError(f"facts: the Parquet path {str(path)!r} does not exist.")
        return _parquet_batches(path, size)
    raise DataError(
        f"facts must be a DataFrame or a Parquet file or folder, got {type(facts).__name__}."
    )


def score_batches(
    model: Any,
    facts: FactsSource,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    as_of: Any = None,
    scored_at: Any = None,
    provenance: Provenance | None = None,
) -> Iterator[pd.DataFrame]:
    """Label the customers batch by batch; the labels equal one ``predict`` on all facts.

    Parameters
    ----------
    model : MetaSegmenter or LoadedModel
        Anything with ``predict(facts, as_of=...)`` returning a labels table; a
        :class:`~metaseg.tracking.LoadedModel` stamps its name, version and run id.
    facts : DataFrame or path
        See :func:`fact_batches`.
    batch_size : int
        Customers per batch.
    as_of : date-like, optional
        The facts' date; needed with Parquet facts unless the model can take it from the
        facts (a DataFrame keeps ``attrs["as_of"]``).
    scored_at : Timestamp, optional
        One scoring time for every batch (default: now, taken once).
    provenance : Provenance, optional
        The model name, version and run id stamped on every label (for example
        ``FitRun.provenance`` after :func:`metaseg.tracking.log_fit`); a loaded model
        stamps its own.

    Returns
    -------
    iterator of DataFrame
        One labels table per batch, in the order of the facts.
    """
    batches = fact_batches(facts, batch_size)
    stamp = pd.Timestamp.now(tz="UTC") if scored_at is None else _utc(scored_at)
    return _scored(model, batches, as_of, stamp, provenance)


def score_to_parquet(
    model: Any,
    facts: FactsSource,
    path: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    as_of: Any = None,
    scored_at: Any = None,
    provenance: Provenance | None = None,
) -> StreamedLabels:
    """Label the customers batch by batch and write the labels to one Parquet file.

    Memory holds one batch of facts and labels (plus the ids, kept by DuckDB to refuse a
    customer labelled twice). See :func:`score_batches` for the parameters and
    :func:`metaseg.export.stream.write_labels_batches` for the file; the labels need a
    model name (a loaded model's, or ``provenance``), as every export does.

    Returns
    -------
    StreamedLabels
        The file, its rows and its batches.

    Examples
    --------
    >>> import tempfile
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> from metaseg.provenance import Provenance
    >>> customers, events, _ = make_shop(3_000, seed=1)
    >>> facts = compute_facts(events, customers)
    >>> model = MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts)
    >>> out = score_to_parquet(model, facts, tempfile.mkdtemp() + "/labels.parquet",
    ...                        batch_size=1_000, provenance=Provenance("shop", None, None))
    >>> out.n_rows, out.n_batches
    (3000, 3)
    """
    return write_labels_batches(
        score_batches(
            model,
            facts,
            batch_size=batch_size,
            as_of=as_of,
            scored_at=scored_at,
            provenance=provenance,
        ),
        path,
    )


def _scored(
    model: Any,
    batches: Iterator[pd.DataFrame],
    as_of: Any,
    stamp: pd.Timestamp,
    provenance: Provenance | None,
) -> Iterator[pd.DataFrame]:
    for batch in batches:
        labels = model.predict(batch, as_of=as_of)
        if provenance is not None:
            labels = stamp_provenance(labels, provenance)
        labels[schema.SCORED_AT] = pd.Series(stamp, index=labels.index, dtype="datetime64[us, UTC]")
        del batch
        yield labels


def _frame_batches(facts: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(facts), 1), size):
        batch = facts.iloc[start : start + size]
        batch.attrs = dict(facts.attrs)
        yield batch


def _parquet_batches(path: Path, size: int) -> Iterator[pd.DataFrame]:
    """Read one file after the other, one batch at a time, without read-ahead.

    pyarrow's dataset scanner reads up to 16 batches ahead and pre-buffers whole row
    groups, which at 500,000 customers a batch holds most of a 10M-customer facts file in
    memory; one ``ParquetFile`` read sequentially holds one row group.
    """
    import pyarrow.parquet as pq

    files = sorted(p for p in path.rglob("*.parquet") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise ConfigError(f"facts: the folder {str(path)!r} holds no *.parquet file.")
    first_schema = None
    yielded = False
    for file in files:
        reader = pq.ParquetFile(file, pre_buffer=False)
        first_schema = first_schema or reader.schema_arrow
        for record_batch in reader.iter_batches(batch_size=size, use_threads=False):
            if record_batch.num_rows:
                yielded = True
                yield record_batch.to_pandas()
        reader.close()
    if not yielded and first_schema is not None:
        yield first_schema.empty_table().to_pandas()


def _check_batch_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"batch_size must be a positive integer, got {value!r}; pass for example "
            f"batch_size={DEFAULT_BATCH_SIZE:_}."
        )
    return value


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
