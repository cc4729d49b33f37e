"""Comparing logged runs side by side and measuring how their labels agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from metaseg import schema
from metaseg.cli import main
from metaseg.exceptions import ConfigError, DataError, RunNotFoundError, TrackingError
from metaseg.tracking import agreement_from_labels, compare, label_agreement


def test_compare_an_experiment_puts_runs_side_by_side(store, model_a, model_b) -> None:
    table = compare("shop-exp", tracking_uri=store.uri)
    assert table["run_id"].tolist() == [store.run_a.run_id, store.run_b.run_id]
    assert table["run_name"].tolist() == ["fit-a", "fit-b"]
    assert table["start_time"].is_monotonic_increasing
    assert set(table["status"]) == {"FINISHED"}
    for i, model in enumerate((model_a, model_b)):
        got = table.iloc[i]
        assert got["overall.silhouette"] == pytest.approx(model.overall_metrics_["silhouette"])
        assert got["overall.n_sub_segments"] == model.overall_metrics_["n_sub_segments"]
        for segment, metrics in model.metrics_.iterrows():
            assert got[f"segment.{segment}.algorithm"] == metrics["algorithm"]
            assert got[f"segment.{segment}.n_sub_segments"] == metrics["n_sub_segments"]
            assert got[f"segment.{segment}.noise_share"] == pytest.approx(metrics["noise_share"])
    # stability was measured for run a only
    assert np.isfinite(table.loc[0, "overall.stability_min"])
    assert np.isnan(table.loc[1, "overall.stability_min"])


def test_compare_shows_each_segments_k_silhouette_stability_and_features(
    store, model_a, model_b
) -> None:
    table = compare("shop-exp", tracking_uri=store.uri)
    for i, model in enumerate((model_a, model_b)):
        got = table.iloc[i]
        for segment, metrics in model.metrics_.iterrows():
            prefix = f"segment.{segment}."
            for metric in ("k", "silhouette", "stability"):
                expected = metrics[metric]
                if pd.isna(expected):
                    assert np.isnan(got[prefix + metric]), (segment, metric)
                else:
                    assert got[prefix + metric] == pytest.approx(expected), (segment, metric)
            features = model.segments_[segment].features
            assert got[prefix + "features"] == (", ".join(features) if features else None)
    # model_b clusters on the basket preset, model_a on the default: the lists differ
    split = [s for s in model_a.metrics_.index if model_a.metrics_.loc[s, "split"]]
    assert any(
        table.loc[0, f"segment.{s}.features"] != table.loc[1, f"segment.{s}.features"]
        for s in split
    )
    # model_a measured stability, model_b did not
    assert np.isfinite(table.loc[0, [f"segment.{s}.stability" for s in split]].astype(float)).all()


def test_compare_selected_runs(store) -> None:
    table = compare([store.run_b, store.run_a.run_id], tracking_uri=store.uri)
    # oldest first, whatever the order asked
    assert table["run_id"].tolist() == [store.run_a.run_id, store.run_b.run_id]
    single = compare(store.run_b, tracking_uri=store.uri)
    assert single["run_id"].tolist() == [store.run_b.run_id]


def test_compare_unknown_name_is_a_clear_error(store) -> None:
    with pytest.raises(TrackingError, match="neither an experiment name nor a run id"):
        compare("no-such-experiment", tracking_uri=store.uri)
    with pytest.raises(ConfigError, match="at least one"):
        compare([], tracking_uri=store.uri)


def test_unknown_experiment_or_run_names_the_experiments_and_exits_2(store, capsys) -> None:
    with pytest.raises(RunNotFoundError, match="shop-exp") as info:
        compare("shop-ex", tracking_uri=store.uri)
    assert "Did you mean 'shop-exp'" in str(info.value)
    assert main(["runs", "list", "--tracking-uri", store.uri]) == 2
    err = capsys.readouterr().err
    assert "'metaseg' is neither an experiment name nor a run id" in err
    assert "'shop-exp'" in err and "--experiment" in err
    assert main(["runs", "compare", "nonexistent", "--tracking-uri", store.uri]) == 2
    assert "'nonexistent'" in capsys.readouterr().err


def test_runs_list_on_a_store_without_experiments_says_so(tmp_path, capsys) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["runs", "list", "--tracking-uri", uri]) == 2
    err = capsys.readouterr().err
    assert "holds no metaseg experiment yet" in err and "metaseg fit" in err


def test_label_agreement_between_two_runs(store, model_a, model_b) -> None:
    result = label_agreement(store.run_a, store.run_b.run_id, tracking_uri=store.uri)
    a, b = model_a.labels_, model_b.labels_
    assert (result.run_a, result.run_b) == (store.run_a.run_id, store.run_b.run_id)
    assert result.n_common == len(a)
    assert result.only_in_a == result.only_in_b == 0
    assert result.adjusted_rand == pytest.approx(
        adjusted_rand_score(a[schema.SEGMENT], b[schema.SEGMENT])
    )
    # same rules on the same facts: the base segments agree exactly
    assert result.base_adjusted_rand == pytest.approx(1.0)
    migration = result.migration
    assert migration.to_numpy().sum() == len(a)
    assert migration.sum(axis=1).to_dict() == a[schema.SEGMENT].value_counts().to_dict()
    assert migration.sum(axis=0).to_dict() == b[schema.SEGMENT].value_counts().to_dict()
    expected_same = float(np.mean(a[schema.SEGMENT].to_numpy() == b[schema.SEGMENT].to_numpy()))
    assert result.same_segment_share == pytest.approx(expected_same)


def test_label_agreement_of_a_run_without_labels(store) -> None:
    with pytest.raises(TrackingError, match="no such run|labels"):
        label_agreement(store.run_a, "0" * 32, tracking_uri=store.uri)


def _labels(ids, segments) -> pd.DataFrame:
    return pd.DataFrame(
        {
            schema.CUSTOMER_ID: ids,
            schema.BASE_SEGMENT: [s.split("/")[0] for s in segments],
            schema.SEGMENT: segments,
        }
    )


def test_agreement_counts_customers_in_one_run_only() -> None:
    a = _labels([1, 2, 3, 4, 5], ["x/0", "x/0", "x/1", "y/0", "y/0"])
    b = _labels([3, 4, 5, 6], ["x/0", "y/1", "y/1", "x/0"])
    result = agreement_from_labels(a, b, run_a="old", run_b="new")
    assert (result.n_common, result.only_in_a, result.only_in_b) == (3, 2, 1)
    assert result.migration.loc["x/1", "x/0"] == 1
    assert result.migration.loc["y/0", "y/1"] == 2
    assert result.same_segment_share == 0.0
    # x/1 -> x/0 and y/0 -> y/1 keep the partition of the common customers: ARI 1
    assert result.adjusted_rand == pytest.approx(1.0)
    assert result.base_adjusted_rand == pytest.approx(1.0)


def test_agreement_of_identical_labels_is_perfect() -> None:
    a = _labels([1, 2, 3, 4], ["x/0", "x/1", "x/1", "y/0"])
    result = agreement_from_labels(a, a.sample(frac=1.0, random_state=0))
    assert result.adjusted_rand == 1.0
    assert result.same_segment_share == 1.0
    assert np.trace(result.migration.to_numpy()) == 4


def test_agreement_without_common_customers_is_nan() -> None:
    result = agreement_from_labels(_labels([1], ["x/0"]), _labels([2], ["x/0"]))
    assert result.n_common == 0
    assert np.isnan(result.adjusted_rand)
    assert (result.only_in_a, result.only_in_b) == (1, 1)


def test_agreement_refuses_tables_that_are_not_labels() -> None:
    good = _labels([1, 2], ["x/0", "x/1"])
    with pytest.raises(DataError, match="segment"):
        agreement_from_labels(good, good.drop(columns=[schema.SEGMENT]), run_b="r2")
    with pytest.raises(DataError, match="has 1 repeated customer_id"):
        agreement_from_labels(good, pd.concat([good, good.iloc[:1]]))


def test_an_agreement_prints_on_one_line_without_its_migration_table():
    from metaseg.tracking import agreement_from_labels

    a = pd.DataFrame(
        {
            "customer_id": range(50),
            "base_segment": ["x"] * 50,
            "segment": [f"x/{i % 40}" for i in range(50)],
        }
    )
    b = a.assign(segment=[f"x/{i % 7}" for i in range(50)])
    text = repr(agreement_from_labels(a, b))
    assert "\n" not in text
    assert "migration=<40 x 7 table>" in text and "n_common=50" in text
