"""Tests of the chunked synthetic shop, ``metaseg.datasets.shop_files``.

The chunked shop is compared with :func:`make_shop` on distributions (the draws differ by
design), and its facts are computed by ``metaseg.facts.compute_facts`` straight from the
Parquet folders, as a 10M-customer run does.
"""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.datasets import iter_shop_chunks, make_shop, write_shop
from metaseg.datasets.shop_files import TABLES, ShopFiles
from metaseg.exceptions import ConfigError
from metaseg.facts import compute_facts

from .references import lifecycle_rules

AS_OF = "2025-12-31"
N = 20_000
CHUNK = 3_000


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> ShopFiles:
    return write_shop(tmp_path_factory.mktemp("shop"), N, seed=5, chunk_customers=CHUNK)


@pytest.fixture(scope="module")
def chunked(written: ShopFiles) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return tuple(pd.read_parquet(getattr(written, name)) for name in TABLES)


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return make_shop(N, seed=11)


def per_customer(customers: pd.DataFrame, events: pd.DataFrame, truth: pd.DataFrame):
    """Per-customer event statistics joined with the planted situation."""
    kind = events[schema.EVENT_TYPE].astype(str)
    counts = pd.crosstab(events[schema.CUSTOMER_ID], kind)
    purchases = events[kind == "purchase"]
    stats = pd.DataFrame(
        {
            "events": events.groupby(schema.CUSTOMER_ID).size(),
            "views": counts.get("view"),
            "carts": counts.get("add_to_cart"),
            "orders": purchases.groupby(schema.CUSTOMER_ID)[schema.ORDER_ID].nunique(),
            "spend": purchases.groupby(schema.CUSTOMER_ID)[schema.AMOUNT].sum(),
        }
    )
    ids = pd.Index(customers[schema.CUSTOMER_ID], name=schema.CUSTOMER_ID)
    stats = stats.reindex(ids).fillna(0.0)
    return stats.join(truth.set_index(schema.CUSTOMER_ID))


def test_files_are_one_part_per_chunk(written: ShopFiles) -> None:
    expected = [f"part-{i:05d}.parquet" for i in range(-(-N // CHUNK))]
    for name in TABLES:
        assert sorted(p.name for p in getattr(written, name).iterdir()) == expected
    assert written.n_chunks == len(expected)
    assert written.n_customers == N


def test_tables_have_the_dtypes_of_make_shop(chunked, reference) -> None:
    for got, want in zip(chunked, reference, strict=True):
        assert list(got.columns) == list(want.columns)
        assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist()


def test_ids_run_from_one_and_events_are_sorted_across_files(chunked, written) -> None:
    customers, events, truth = chunked
    assert customers[schema.CUSTOMER_ID].tolist() == list(range(1, N + 1))
    assert truth[schema.CUSTOMER_ID].tolist() == list(range(1, N + 1))
    assert len(events) == written.n_events
    key = events[[schema.CUSTOMER_ID, schema.TIMESTAMP]]
    assert key.equals(key.sort_values([schema.CUSTOMER_ID, schema.TIMESTAMP], kind="stable"))


def test_order_ids_are_unique_over_the_whole_shop(chunked) -> None:
    events = chunked[1]
    orders = events[events[schema.EVENT_TYPE] == "purchase"]
    owners = orders.groupby(schema.ORDER_ID)[schema.CUSTOMER_ID].nunique()
    assert (owners == 1).all()
    assert orders[schema.ORDER_ID].min() == 1
    # every id from 1 to the number of orders is used once: chunks continue the numbering
    assert orders[schema.ORDER_ID].nunique() == orders[schema.ORDER_ID].max()
    refunds = events[events[schema.EVENT_TYPE] == "refund"]
    first_buyer = orders.drop_duplicates(schema.ORDER_ID).set_index(schema.ORDER_ID)
    buyer = refunds[schema.ORDER_ID].map(first_buyer[schema.CUSTOMER_ID])
    assert (buyer.to_numpy() == refunds[schema.CUSTOMER_ID].to_numpy()).all()


def test_situation_and_persona_counts_equal_make_shop(chunked, reference) -> None:
    got = chunked[2].groupby(["situation", "persona"], observed=True).size()
    want = reference.truth.groupby(["situation", "persona"], observed=True).size()
    pd.testing.assert_series_equal(got, want)


def test_per_customer_event_statistics_agree_with_make_shop(chunked, reference) -> None:
    got = per_customer(*chunked)
    want = per_customer(*reference)
    columns = ["events", "views", "carts", "orders", "spend"]
    overall = got[columns].mean() / want[columns].mean()
    assert overall.between(0.97, 1.03).all(), overall
    # per planted persona, the means differ by no more than sampling noise: a z-score on
    # the two means' standard errors (74 comparisons, so a wide bound)
    groups = ["situation", "persona"]
    a, b = (frame.groupby(groups, observed=True)[columns] for frame in (got, want))
    z = (a.mean() - b.mean()) / np.sqrt(a.var() / a.count() + b.var() / b.count())
    z = z.stack().dropna()
    assert len(z) > 50
    assert (z.abs() < 4.5).all(), z[z.abs() >= 4.5]
    # spread too, not only the means
    assert got["events"].std() / want["events"].std() == pytest.approx(1.0, abs=0.05)


def test_lifecycle_rules_recover_every_planted_situation_from_the_parquet_folders(
    written: ShopFiles, chunked
) -> None:
    customers, _, truth = chunked
    facts = compute_facts(written.events, customers, as_of=AS_OF, threads=1)
    found = lifecycle_rules(facts).to_numpy()
    planted = truth.set_index(schema.CUSTOMER_ID)["situation"].astype(str)
    assert len(facts) == N
    assert (found == planted.reindex(facts[schema.CUSTOMER_ID]).to_numpy()).all()


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = write_shop(tmp_path / "a", 2_000, seed=3, chunk_customers=700)
    second = write_shop(tmp_path / "b", 2_000, seed=3, chunk_customers=700)
    other = write_shop(tmp_path / "c", 2_000, seed=4, chunk_customers=700)
    for name in TABLES:
        for path in sorted(getattr(first, name).iterdir()):
            assert path.read_bytes() == (getattr(second, name) / path.name).read_bytes()
    assert (first.events / "part-00000.parquet").read_bytes() != (
        other.events / "part-00000.parquet"
    ).read_bytes()


def test_each_chunk_is_the_same_whether_written_or_iterated(tmp_path: Path) -> None:
    files = write_shop(tmp_path, 2_000, seed=3, chunk_customers=700)
    for index, chunk in enumerate(iter_shop_chunks(2_000, seed=3, chunk_customers=700)):
        part = f"part-{index:05d}.parquet"
        pd.testing.assert_frame_equal(pd.read_parquet(files.events / part), chunk.events)
        pd.testing.assert_frame_equal(pd.read_parquet(files.customers / part), chunk.customers)


def _peak_traced_bytes(n_customers: int, chunk: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        tracemalloc.start()
        try:
            write_shop(folder, n_customers, seed=0, chunk_customers=chunk)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_is_bounded_by_one_chunk_not_by_the_shop() -> None:
    write_shop(tempfile.mkdtemp(), 100, seed=0)  # warm the imports outside the measure
    one = _peak_traced_bytes(4_000, 4_000)
    eight = _peak_traced_bytes(32_000, 4_000)
    whole = _peak_traced_bytes(32_000, 32_000)
    # eight chunks cost what one costs (holding a second chunk's events would add ~40 %)
    assert eight < 1.15 * one, (eight, one)
    assert whole > 4 * one, (whole, one)


def test_chunks_are_generated_only_when_asked_for() -> None:
    chunks = iter_shop_chunks(10_000, seed=0, chunk_customers=1_000)
    tracemalloc.start()
    try:
        first = next(chunks)
        after_one = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(first.customers) == 1_000
    # one chunk's events (about 22,000 rows) are in memory, not the shop's 220,000
    assert after_one < 3 * first.events.memory_usage(deep=True).sum()


def test_an_occupied_folder_is_refused_unless_overwrite(tmp_path: Path) -> None:
    write_shop(tmp_path, 1_000, seed=0, chunk_customers=300)
    with pytest.raises(ConfigError, match=r"already holds 4 Parquet file.*overwrite=True"):
        write_shop(tmp_path, 500, seed=0, chunk_customers=300)
    files = write_shop(tmp_path, 500, seed=0, chunk_customers=300, overwrite=True)
    assert sorted(p.name for p in files.events.iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    assert len(pd.read_parquet(files.customers)) == 500


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_customers": 0}, r"chunk_customers must be a positive integer, got 0"),
        ({"chunk_customers": 2.5}, r"chunk_customers must be a positive integer, got 2.5"),
        ({"n_customers": -1}, r"n_customers must be a positive integer, got -1"),
        ({"years": 1.0}, r"years must be a number >= 1.5"),
        ({"overwrite": "yes"}, r"overwrite must be True or False, got 'yes'"),
    ],
)
def test_bad_parameters_are_refused_before_any_file_is_written(
    tmp_path: Path, kwargs: dict, match: str
) -> None:
    arguments = {"n_customers": 100, **kwargs}
    with pytest.raises(ConfigError, match=match):
        write_shop(tmp_path / "shop", **arguments)
    assert not (tmp_path / "shop").exists()
