"""The synthetic shop written chunk by chunk to Parquet, for shops too big for memory.

:func:`write_shop` writes the three tables of :func:`~metaseg.datasets.make_shop` as
partitioned Parquet folders (``events/part-00000.parquet``, ``customers/...``,
``truth/...``), one chunk of customers at a time: only the chunk being written is in
memory, so 10M customers (about 220M events) need about as much memory as one chunk.

How a chunked shop relates to :func:`make_shop`
-----------------------------------------------
Every customer's situation and persona are assigned once for the whole shop, exactly as
:func:`make_shop` assigns them (exact counts, shuffled), so the shares are the same to the
customer. Each chunk then plans its customers and their events with its own generator,
spawned from ``numpy.random.SeedSequence(seed)``, so the per-customer distributions are
those of :func:`make_shop` but the draws differ: a chunked shop is not the same shop as
``make_shop(n, seed)``. The same ``seed`` and ``chunk_customers`` give byte-identical files.

Customer ids run from 1 to ``n_customers`` across the chunks, and the events are sorted by
customer then time within and across the files. Order ids are unique over the whole shop;
inside a chunk they increase with the order's time, and chunk ``i``'s ids follow those of
chunk ``i - 1`` (in :func:`make_shop` they increase with time over the whole shop).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from metaseg._io import atomic_write
from metaseg.datasets._events import make_events
from metaseg.datasets._plan import assign, plan_assigned
from metaseg.datasets.synthetic import (
    Shop,
    ShopParams,
    _check_count,
    _check_seed,
    check_shop_params,
    shop_tables,
)
from metaseg.exceptions import ConfigError

__all__ = ["DEFAULT_CHUNK_CUSTOMERS", "TABLES", "ShopFiles", "iter_shop_chunks", "write_shop"]

#: Customers per chunk by default: about 11M events, about 1 GB of memory while generated.
DEFAULT_CHUNK_CUSTOMERS = 500_000
#: The sub-folders :func:`write_shop` writes, one per table of :class:`Shop`.
TABLES = ("customers", "events", "truth")
_ROW_GROUP = 1 << 20


class ShopFiles(NamedTuple):
    """Where :func:`write_shop` wrote a shop, and how big it is.

    ``customers``, ``events`` and ``truth`` are folders of ``part-NNNNN.parquet`` files,
    which :func:`metaseg.facts.compute_facts`, DuckDB, pandas and pyarrow read as one table.
    """

    customers: Path
    events: Path
    truth: Path
    n_customers: int
    n_events: int
    n_chunks: int


def iter_shop_chunks(
    n_customers: int = 20_000,
    seed: int = 0,
    *,
    chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS,
    as_of: str | datetime | pd.Timestamp = "2025-12-31",
    years: float = 2.0,
    situation_shares: Mapping[str, float] | None = None,
    persona_shares: Mapping[str, Mapping[str, float]] | None = None,
    refund_rate: float = 0.03,
) -> Iterator[Shop]:
    """Generate a synthetic shop one chunk of customers at a time.

    Each chunk is generated when the next one is asked for, so a consumer that lets go of
    a chunk before asking for the next holds one chunk at a time. The parameters are those
    of :func:`~metaseg.datasets.make_shop`, validated before the first chunk, plus
    ``chunk_customers``.

    Parameters
    ----------
    n_customers : int, default 20_000
        Customers in the whole shop.
    seed : int, default 0
        Seed of ``numpy.random.SeedSequence``: one child assigns the situations and
        personas, one more per chunk draws that chunk.
    chunk_customers : int, default 500_000
        Customers per chunk (the last chunk holds the rest).
    as_of, years, situation_shares, persona_shares, refund_rate
        As in :func:`~metaseg.datasets.make_shop`.

    Returns
    -------
    iterator of Shop
        ``(customers, events, truth)`` of each chunk in turn, ids following the previous
        chunk's.

    Raises
    ------
    ConfigError
        A parameter is out of range (raised by the call, before any chunk is made).

    Examples
    --------
    >>> chunks = list(iter_shop_chunks(1_000, seed=1, chunk_customers=400))
    >>> [len(c.customers) for c in chunks], int(chunks[-1].customers["customer_id"].max())
    ([400, 400, 200], 1000)
    >>> sum(int((c.truth["situation"] == "active").sum()) for c in chunks)
    250
    """
    n = _check_count(n_customers)
    seed = _check_seed(seed)
    size = _check_chunk(chunk_customers)
    params = check_shop_params(as_of, years, situation_shares, persona_shares, refund_rate)
    return _chunks(n, seed, size, params)


def _chunks(n: int, seed: int, size: int, params: ShopParams) -> Iterator[Shop]:
    """Generate the chunks of a validated shop lazily (see :func:`iter_shop_chunks`)."""
    n_chunks = -(-n // size)
    children = np.random.SeedSequence(seed).spawn(n_chunks + 1)
    situation, persona = assign(
        n, params.situations, params.personas, np.random.default_rng(children[0])
    )
    first_order = 0
    for index in range(n_chunks):
        lo, hi = index * size, min(n, (index + 1) * size)
        rng = np.random.default_rng(children[index + 1])
        plan = plan_assigned(situation[lo:hi], persona[lo:hi], params.horizon, rng)
        events = make_events(plan, params.refund_rate, rng)
        chunk = shop_tables(plan, events, params.as_of, first_id=lo + 1, first_order=first_order)
        first_order += int(plan.n_orders.sum())
        del plan, events
        yield chunk
        del chunk


def write_shop(
    folder: str | os.PathLike[str],
    n_customers: int = 20_000,
    seed: int = 0,
    *,
    chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS,
    as_of: str | datetime | pd.Timestamp = "2025-12-31",
    years: float = 2.0,
    situation_shares: Mapping[str, float] | None = None,
    persona_shares: Mapping[str, Mapping[str, float]] | None = None,
    refund_rate: float = 0.03,
    overwrite: bool = False,
) -> ShopFiles:
    """Write a synthetic shop to partitioned Parquet, one chunk of customers at a time.

    Parameters
    ----------
    folder : path
        Created if missing; the tables go to ``customers/``, ``events/`` and ``truth/``
        below it as ``part-00000.parquet``, ``part-00001.parquet``, ... (one per chunk).
    n_customers, seed, chunk_customers, as_of, years, situation_shares, persona_shares, refund_rate
        As in :func:`iter_shop_chunks`.
    overwrite : bool, default False
        Replace the Parquet files a previous shop left in those folders. Without it, a
        folder that already holds ``*.parquet`` files is refused (they would be read as
        part of the new shop).

    Returns
    -------
    ShopFiles
        The three folders, the customer and event counts and the number of chunks.

    Raises
    ------
    ConfigError
        A parameter is out of range, or a table folder holds Parquet files and
        ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile
    >>> files = write_shop(tempfile.mkdtemp(), 1_000, seed=1, chunk_customers=400)
    >>> files.n_chunks, sorted(p.name for p in files.events.iterdir())
    (3, ['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet'])
    >>> len(pd.read_parquet(files.customers))
    1000
    """
    if not isinstance(overwrite, bool):
        raise ConfigError(f"overwrite must be True or False, got {overwrite!r}.")
    chunks = iter_shop_chunks(
        n_customers,
        seed,
        chunk_customers=chunk_customers,
        as_of=as_of,
        years=years,
        situation_shares=situation_shares,
        persona_shares=persona_shares,
        refund_rate=refund_rate,
    )
    targets = [Path(folder) / name for name in TABLES]
    _prepare(targets, overwrite)
    n_events = n_chunks = 0
    for chunk in chunks:
        for target, table in zip(targets, chunk, strict=True):
            with atomic_write(target / f"part-{n_chunks:05d}.parquet") as handle:
                table.to_parquet(handle, index=False, row_group_size=_ROW_GROUP)
        n_events += len(chunk.events)
        n_chunks += 1
        del chunk  # let go of it before the next chunk is generated
    return ShopFiles(*targets, n_customers=int(n_customers), n_events=n_events, n_chunks=n_chunks)


def _prepare(targets: list[Path], overwrite: bool) -> None:
    """Create the table folders; remove (or refuse) the Parquet files already there."""
    for target in targets:
        target.mkdir(parents=True, exist_ok=True)
        old = sorted(target.glob("*.parquet"))
        if old and not overwrite:
            raise ConfigError(
                f"write_shop: {str(target)!r} already holds {len(old)} Parquet file(s) "
                f"(e.g. {old[0].name!r}), which would be read as part of the new shop; "
                "pass overwrite=True to replace them or choose an empty folder."
            )
        for path in old:
            path.unlink()


def _check_chunk(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(
            f"chunk_customers must be a positive integer, got {value!r}; pass for "
            f"example chunk_customers={DEFAULT_CHUNK_CUSTOMERS:_}."
        )
    return int(value)
