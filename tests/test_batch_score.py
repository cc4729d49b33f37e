"""Scoring in batches (``metaseg.batch_score``): the labels of a one-shot predict."""

from __future__ import annotations

import pandas as pd
import pytest

from metaseg import schema
from metaseg.batch_score import fact_batches, score_batches, score_to_parquet
from metaseg.datasets import make_shop
from metaseg.exceptions import ConfigError, DataError
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter
from metaseg.provenance import Provenance, stamp_provenance

AS_OF = "2025-12-31"
SCORED_AT = pd.Timestamp("2026-01-02 03:04", tz="UTC")
PROVENANCE = Provenance("shop", "2", "run-1")


@pytest.fixture(scope="module")
def fitted() -> tuple[MetaSegmenter, pd.DataFrame]:
    customers, events, _ = make_shop(3_000, seed=4)
    facts = compute_facts(events, customers, as_of=AS_OF)
    return MetaSegmenter(n_bootstrap=0, random_state=0).fit(facts), facts


def _without_time(labels: pd.DataFrame) -> pd.DataFrame:
    return labels.drop(columns=schema.SCORED_AT).reset_index(drop=True)


def test_batches_of_a_frame_give_the_labels_of_one_predict(fitted):
    model, facts = fitted
    whole = model.predict(facts)
    parts = list(score_batches(model, facts, batch_size=251, scored_at=SCORED_AT))
    assert len(parts) == -(-len(facts) // 251)
    streamed = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(_without_time(streamed), _without_time(whole))
    assert (streamed[schema.SCORED_AT] == SCORED_AT).all()
    assert streamed[schema.SCORED_AT].dtype == whole[schema.SCORED_AT].dtype


def test_parquet_facts_scored_to_parquet_equal_one_predict(fitted, tmp_path):
    model, facts = fitted
    folder = tmp_path / "facts"
    folder.mkdir()
    facts = facts.copy(deep=False)
    facts.attrs = {}  # as_of is given to the scoring instead, as after a Parquet round trip
    facts.iloc[:1_000].to_parquet(folder / "part-0.parquet", index=False)
    facts.iloc[1_000:].to_parquet(folder / "part-1.parquet", index=False)
    out = score_to_parquet(
        model,
        folder,
        tmp_path / "labels.parquet",
        batch_size=333,
        as_of=AS_OF,
        provenance=PROVENANCE,
    )
    assert out.n_rows == len(facts)
    assert out.n_batches >= len(facts) // 333
    written = pd.read_parquet(out.path)
    whole = stamp_provenance(model.predict(facts, as_of=AS_OF), PROVENANCE)
    pd.testing.assert_frame_equal(_without_time(written), _without_time(whole))
    assert written[schema.SCORED_AT].nunique() == 1


def test_parquet_batches_hold_at_most_batch_size_rows(fitted, tmp_path):
    facts = fitted[1].copy(deep=False)
    facts.attrs = {}
    facts.to_parquet(tmp_path / "facts.parquet", index=False, row_group_size=2_000)
    sizes = [len(b) for b in fact_batches(tmp_path / "facts.parquet", 500)]
    assert max(sizes) <= 500
    assert sum(sizes) == len(facts)


def test_batches_are_scored_lazily(fitted):
    model, facts = fitted
    batches = score_batches(model, facts, batch_size=1_000)
    first = next(batches)
    assert len(first) == 1_000
    assert first[schema.CUSTOMER_ID].tolist() == facts[schema.CUSTOMER_ID].iloc[:1_000].tolist()


@pytest.mark.parametrize("size", [0, -5, 2.5, True])
def test_bad_batch_size_is_refused(fitted, size):
    with pytest.raises(ConfigError, match=rf"batch_size must be a positive integer, got {size!r}"):
        score_batches(fitted[0], fitted[1], batch_size=size)


def test_bad_facts_sources_are_refused(fitted, tmp_path):
    with pytest.raises(ConfigError, match=r"facts: the Parquet path .*missing.parquet' does not"):
        fact_batches(tmp_path / "missing.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"facts: the folder .*empty. holds no \*.parquet file"):
        list(fact_batches(tmp_path / "empty"))
    with pytest.raises(DataError, match="got list"):
        fact_batches([1, 2])
