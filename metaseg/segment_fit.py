"""The per-segment fitting kernel of :class:`metaseg.model.MetaSegmenter`: one base
segment's featurizer and clusterer, canonical numbering, centres, profiles, distances and
membership, bootstrap stability, and the metrics per base segment and overall.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg.exceptions import ClusteringWarning, DataError, NoUsableFeaturesError
from metaseg.fitted_segment import FittedSegment, apply_relabel
from metaseg.segmentation_spec import SegmentationSpec, SubSegmentSpec

#: Metrics reported per base segment, in this column order.
SEGMENT_METRICS = (
    "n_customers",
    "share",
    "algorithm",
    "split",
    "n_sub_segments",
    "k",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "relative_validity",
    "noise_share",
    "smallest_share",
    "largest_share",
    "stability",
    "fit_rows",
    "reason",
)


def sub_segment_centres(X: np.ndarray, sub: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """The ids of the sub-segments (noise excluded) and the mean feature row of each.

    Examples
    --------
    >>> ids, centres = sub_segment_centres(np.array([[0.0], [2.0], [9.0]]), np.array([0, 0, -1]))
    >>> ids, centres.tolist()
    ((0,), [[1.0]])
    """
    ids = tuple(int(i) for i in np.unique(sub[sub != schema.NOISE]))
    centres = (
        np.vstack([X[sub == i].mean(axis=0) for i in ids]) if ids else np.empty((0, X.shape[1]))
    )
    return ids, centres


def _build_clusterer(sub_spec: SubSegmentSpec, seed: int) -> Any:
    from metaseg.cluster import AutoGaussianMixture, AutoKMeans, DensityClusterer

    if sub_spec.algorithm == "gmm":
        return AutoGaussianMixture(**sub_spec.params, random_state=seed)
    if sub_spec.algorithm == "kmeans":
        return AutoKMeans(**sub_spec.params, random_state=seed)
    return DensityClusterer(**sub_spec.params, random_state=seed)


@dataclass
class SharedFit:
    """A featurizer and clusterer learned once for several base segments (``fit_on: shared``).

    ``X`` and ``labels`` are the pooled customers' features and clusters (for the
    stability of the shared partition); ``clusterer`` is None when it did not split.
    """

    segments: tuple[str, ...]
    featurizer: Any = None
    clusterer: Any = None
    reason: str = ""
    selection: Any = None
    X: np.ndarray | None = None
    labels: np.ndarray | None = None
    fit_rows: int = 0

    @property
    def label(self) -> str:
        """The pool's name in messages and in the shared profile: ``"a + b"``."""
        return " + ".join(self.segments)


def shared_pools(
    spec: SegmentationSpec, segments: list[str], base_values: np.ndarray
) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """Per base segment whose spec says ``fit_on: shared``: the segments sharing that same
    spec and their customers' rows (sorted).

    Examples
    --------
    >>> spec = SegmentationSpec(default={"algorithm": "kmeans", "fit_on": "shared"},
    ...                         segments={"c": {"algorithm": "none"}})
    >>> pools = shared_pools(spec, ["a", "b", "c"], np.array(["a", "c", "b", "a"]))
    >>> pools["a"][0], pools["a"][1].tolist(), "c" in pools
    (('a', 'b'), [0, 2, 3], False)
    """
    groups: dict[str, list[str]] = {}
    for name in segments:
        sub_spec = spec.for_segment(name)
        if sub_spec.fit_on == "shared" and sub_spec.algorithm != "none":
            groups.setdefault(sub_spec.model_dump_json(), []).append(name)
    pools = {}
    for names in groups.values():
        rows = np.flatnonzero(np.isin(base_values, names))
        for name in names:
            pools[name] = (tuple(names), rows)
    return pools


def _learn(
    label: str, part: pd.DataFrame, sub_spec: SubSegmentSpec, spec: SegmentationSpec, seed: int
) -> tuple[Any, Any, np.ndarray | None, str, Any]:
    """Fit a featurizer and a clusterer on ``part``: (featurizer, clusterer or None when it
    did not split, features matrix, reason, k selection table); the featurizer is None
    when no feature was usable."""
    from metaseg.features import SegmentFeaturizer

    featurizer = SegmentFeaturizer(spec=sub_spec.features, segment=label)
    try:
        X = featurizer.fit_transform(part).to_numpy(dtype=np.float64)
    except NoUsableFeaturesError as exc:
        return None, None, None, f"no usable feature: {exc}", None
    rng = np.random.default_rng(seed)
    fit_X = X
    if len(X) > spec.max_fit_rows:
        fit_X = X[np.sort(rng.choice(len(X), size=spec.max_fit_rows, replace=False))]
    clusterer = _build_clusterer(sub_spec, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ClusteringWarning)
        clusterer.fit(fit_X)
    for w in caught:
        # name the segment in the clusterer's own warnings; pass the others on as they are
        message = f"segment {label!r}: {w.message}"
        warnings.warn(message, w.category, stacklevel=5)
    selection = getattr(clusterer, "scores_", None)
    split = clusterer if clusterer.n_clusters_ >= 2 else None  # its own "do not split"
    return featurizer, split, X, clusterer.decision_, selection


def fit_shared(
    segments: tuple[str, ...], pool: pd.DataFrame, spec: SegmentationSpec, seed: int
) -> SharedFit:
    """Learn the featurizer and clusterer that ``segments`` share, on their pooled customers."""
    sub_spec = spec.for_segment(segments[0])
    shared = SharedFit(segments)
    featurizer, clusterer, X, reason, selection = _learn(shared.label, pool, sub_spec, spec, seed)
    shared.featurizer, shared.clusterer = featurizer, clusterer
    shared.reason, shared.selection = reason, selection
    if featurizer is not None:
        shared.X = X
        shared.fit_rows = min(len(pool), spec.max_fit_rows)
    if clusterer is not None:
        shared.labels = np.asarray(clusterer.predict(X), dtype=np.int64)
    return shared


def _fit_segment(
    name: str,
    part: pd.DataFrame,
    spec: SegmentationSpec,
    seed: int,
    shared: SharedFit | None = None,
) -> tuple[FittedSegment, np.ndarray | None]:
    """Fit the featurizer and clusterer of one base segment (or record why not); with
    ``shared``, take the ones learned for its pool and compute its features with them."""
    sub_spec = spec.for_segment(name)
    features = [c for c in sub_spec.features.feature_names(part.columns) if c in part.columns]
    seg = FittedSegment(name, len(part), sub_spec.algorithm, features)
    if sub_spec.algorithm == "none":
        seg.reason = "algorithm is 'none'"
        return seg, None
    if len(part) < spec.min_segment_size:
        seg.reason = f"{len(part):,} customers < min_segment_size={spec.min_segment_size:,}"
        return seg, None
    if shared is None:
        featurizer, clusterer, X, reason, selection = _learn(name, part, sub_spec, spec, seed)
    else:
        featurizer, clusterer, selection = shared.featurizer, shared.clusterer, shared.selection
        others = [s for s in shared.segments if s != name]
        reason = f"shared with {', '.join(others) or 'no other segment'}: {shared.reason}"
        X = None
        if featurizer is not None:
            X = featurizer.transform(part).to_numpy(dtype=np.float64)
    seg.reason = reason
    if featurizer is None:
        return seg, None
    seg.features = list(featurizer.input_features_)
    seg.featurizer = featurizer
    seg.selection = selection
    seg.clusterer = clusterer
    return seg, X


def _segment_featurizer(spec: SegmentationSpec, name: str, part: pd.DataFrame) -> Any:
    """A featurizer fitted on one base segment's customers, with its configured features."""
    from metaseg.features import SegmentFeaturizer

    featurizer = SegmentFeaturizer(spec=spec.for_segment(name).features, segment=name)
    try:
        featurizer.fit(part)
    except NoUsableFeaturesError as exc:
        raise DataError(f"split: base segment {name!r} has no usable feature: {exc}") from exc
    return featurizer


def _size_order(raw: np.ndarray, n_clusters: int) -> dict[int, int]:
    """Canonical numbering on the whole base segment: largest first, noise stays -1.

    Clusters that no fit customer landed in get the numbers after the others, so a new
    customer assigned to one of them never collides with a real sub-segment.
    """
    from metaseg.cluster.canonical import canonical_mapping

    mapping = {int(k): int(v) for k, v in canonical_mapping(raw).items()}
    following = max(mapping.values(), default=-1) + 1
    for cluster in range(int(n_clusters)):
        if cluster not in mapping:
            mapping[cluster] = following
            following += 1
    return mapping


def _feature_columns(rules: Any, fitted: dict[str, FittedSegment]) -> list[str]:
    cols: list[str] = [schema.CUSTOMER_ID]
    for col in list(rules.required_facts_) + [
        c for seg in fitted.values() if seg.split for c in seg.featurizer.input_features_
    ]:
        if col not in cols:
            cols.append(col)
    return cols


def segment_profiles(
    facts: pd.DataFrame,
    base: np.ndarray,
    sub: np.ndarray,
    rows_of: dict[str, np.ndarray],
    fitted: dict[str, FittedSegment],
) -> pd.DataFrame:
    """Every base segment's sub-segments profiled against it (``profiles_``)."""
    parts = [
        base_profile(facts.iloc[rows], name, sub[rows], fitted[name].features, len(facts))
        for name, rows in rows_of.items()
        if rows.size
    ]
    return pd.concat(parts, ignore_index=True)


def shared_group_profiles(
    facts: pd.DataFrame,
    shared: dict[str, SharedFit],
    pools: dict[str, tuple[tuple[str, ...], np.ndarray]],
    fitted: dict[str, FittedSegment],
    empty: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The groups of every shared fit profiled against their pool, and which group each
    sub-segment of a pooled base segment is part of (segment code -> group code).

    ``pools`` is :func:`shared_pools`' output, whose rows the shared fits' ``labels``
    follow. Groups are numbered by size in the pool (largest first, noise -1, which is
    no group). ``empty`` is returned, as the table, when no shared fit split.
    """
    from metaseg.cluster.canonical import canonical_mapping

    parts: list[pd.DataFrame] = []
    groups: dict[str, str] = {}
    for fit in {id(fit): fit for fit in shared.values()}.values():
        if fit.clusterer is None or fit.labels is None:
            continue
        rows = pools[fit.segments[0]][1]
        number = {int(k): int(v) for k, v in canonical_mapping(fit.labels).items()}
        features = list(fit.featurizer.input_features_)
        pool_sub = apply_relabel(fit.labels, number)
        parts.append(base_profile(facts.iloc[rows], fit.label, pool_sub, features, len(facts)))
        for name in fit.segments:
            for raw, own in fitted[name].relabel.items():
                if raw != schema.NOISE and raw in number:
                    group = schema.segment_code(fit.label, number[raw])
                    groups[schema.segment_code(name, own)] = group
    if not parts:
        return empty, {}
    return pd.concat(parts, ignore_index=True), groups


def _distances(seg: FittedSegment, part: pd.DataFrame) -> tuple[list[int], np.ndarray]:
    from metaseg.cluster._assign import squared_distances

    if seg.featurizer is None or seg.centres is None or not len(seg.centre_ids):
        return [seg.relabel.get(0, 0)], np.full((len(part), 1), np.nan)
    return list(seg.centre_ids), np.sqrt(squared_distances(seg.matrix(part), seg.centres))


def _probabilities(seg: FittedSegment, part: pd.DataFrame) -> tuple[list[int], np.ndarray]:
    if not seg.split:
        return [seg.relabel.get(0, 0)], np.ones((len(part), 1), dtype=np.float64)
    ids, P = seg.membership(seg.matrix(part))
    order = np.argsort(np.asarray(ids), kind="stable")
    return [ids[i] for i in order], P[:, order]


def base_profile(
    part: pd.DataFrame, name: str, sub: np.ndarray, features: list[str], n_total: int
) -> pd.DataFrame:
    """The profile of one base segment's sub-segments (shares of all ``n_total`` customers)."""
    from metaseg.profile import profile_segments

    numeric = [
        c
        for c in features
        if pd.api.types.is_numeric_dtype(part[c]) or pd.api.types.is_bool_dtype(part[c])
    ]
    if not numeric:
        numeric = [c for c in ("recency_days", "frequency", "monetary") if c in part.columns]
    profile = profile_segments(part, np.full(len(part), name, dtype=object), sub, features=numeric)
    # shares of all customers, not of this base segment alone
    profile["share_of_all"] = profile["size"] / n_total
    return profile


def _stability(
    fitted: dict[str, FittedSegment],
    matrices: dict[str, np.ndarray],
    sub: np.ndarray,
    rows_of: dict[str, np.ndarray],
    spec: SegmentationSpec,
    shared: dict[str, SharedFit] | None = None,
) -> pd.Series:
    """Bootstrap stability per split base segment; a segment with a shared fit gets the
    stability of the shared partition on the pooled customers (computed once per pool)."""
    from metaseg.stability import bootstrap_stability

    values: dict[str, float] = {}
    pooled: dict[tuple[str, ...], float] = {}  # by the segments of a pool
    for i, (name, seg) in enumerate(fitted.items()):
        if not seg.split or spec.n_bootstrap == 0:
            values[name] = np.nan
            continue
        pool = (shared or {}).get(name)
        X, labels = matrices[name], sub[rows_of[name]]
        if pool is not None:
            if pool.segments in pooled:
                values[name] = pooled[pool.segments]
                continue
            X, labels = pool.X, pool.labels
        values[name] = bootstrap_stability(
            _fixed_k(seg.clusterer),
            X,
            labels,
            n_bootstrap=spec.n_bootstrap,
            sample_size=spec.stability_sample_size,
            random_state=None if spec.random_state is None else spec.random_state + i,
        )
        if pool is not None:
            pooled[pool.segments] = values[name]
    return pd.Series(values, name="stability", dtype="float64").rename_axis("base_segment")


def _fixed_k(clusterer: Any) -> Any:
    """A clone that refits the chosen partition size: stability of the chosen k, not of k search."""
    from sklearn.base import clone

    best_k = getattr(clusterer, "best_k_", None)
    if best_k is None or best_k < 2 or getattr(clusterer, "n_clusters", None) is not None:
        return clone(clusterer)
    return clone(clusterer).set_params(k_min=int(best_k), k_max=int(best_k))


def _segment_metrics(
    fitted: dict[str, FittedSegment],
    matrices: dict[str, np.ndarray],
    sub: np.ndarray,
    rows_of: dict[str, np.ndarray],
    fit_rows: dict[str, int],
    spec: SegmentationSpec,
) -> pd.DataFrame:
    from metaseg.cluster import cluster_metrics

    total = max(sum(len(r) for r in rows_of.values()), 1)
    records = []
    for name, seg in fitted.items():
        labels = sub[rows_of[name]]
        row: dict[str, Any] = {
            "n_customers": seg.n_customers,
            "share": seg.n_customers / total,
            "algorithm": seg.algorithm if seg.split else "none",
            "split": seg.split,
            "n_sub_segments": int(np.unique(labels[labels >= 0]).size) if labels.size else 0,
            # a clusterer that scored k and chose 1 answered "do not split"
            "k": 1 if seg.selection is not None and len(seg.selection) else np.nan,
            "relative_validity": np.nan,
            "fit_rows": fit_rows[name],
            "reason": seg.reason,
        }
        if seg.split:
            metrics = cluster_metrics(
                matrices[name],
                labels,
                sample_size=spec.metrics_sample_size,
                random_state=spec.random_state,
            )
            row.update({k: metrics[k] for k in metrics if k != "n_clusters"})
            row["k"] = getattr(seg.clusterer, "best_k_", np.nan)
            row["relative_validity"] = getattr(seg.clusterer, "relative_validity_", np.nan)
        else:
            row.update(
                silhouette=np.nan,
                calinski_harabasz=np.nan,
                davies_bouldin=np.nan,
                noise_share=0.0,
                smallest_share=1.0 if labels.size else np.nan,
                largest_share=1.0 if labels.size else np.nan,
            )
        records.append({"base_segment": name, **row})
    frame = pd.DataFrame.from_records(records).set_index("base_segment")
    frame["stability"] = np.nan
    return frame[list(SEGMENT_METRICS)]


def _k_selection(fitted: dict[str, FittedSegment]) -> pd.DataFrame:
    """Every base segment's scores per k (1 included), indexed by (base_segment, k)."""
    from metaseg.cluster.auto_kmeans import SCORE_COLUMNS
    from metaseg.cluster.auto_mixture import MIXTURE_SCORE_COLUMNS

    parts = {
        name: seg.selection
        for name, seg in fitted.items()
        if seg.selection is not None and len(seg.selection)
    }
    if not parts:
        empty = pd.MultiIndex.from_arrays([[], []], names=["base_segment", "k"])
        columns = dict.fromkeys([*MIXTURE_SCORE_COLUMNS, *SCORE_COLUMNS])
        return pd.DataFrame(index=empty, columns=list(columns))
    return pd.concat(parts, names=["base_segment", "k"])


def _overall_metrics(
    metrics: pd.DataFrame, sub: np.ndarray, n_customers: int, rules: Any
) -> dict[str, float]:
    split = metrics[metrics["split"]]
    weights = split["n_customers"]
    sizes = metrics["n_customers"]
    catch_all = rules.segments_[-1]

    def weighted(column: str) -> float:
        values = split[column]
        ok = values.notna()
        if not ok.any():
            return float("nan")
        return float(np.average(values[ok], weights=weights[ok]))

    n_sub = int(metrics["n_sub_segments"].sum())
    return {
        "n_customers": float(n_customers),
        "n_base_segments": float((sizes > 0).sum()),
        "n_sub_segments": float(n_sub),
        "n_split_segments": float(len(split)),
        "catch_all_share": float(sizes.get(catch_all, 0) / max(n_customers, 1)),
        "noise_share": float(np.mean(sub == schema.NOISE)) if sub.size else 0.0,
        "silhouette": weighted("silhouette"),
        "calinski_harabasz": weighted("calinski_harabasz"),
        "davies_bouldin": weighted("davies_bouldin"),
        "stability_min": float(split["stability"].min()) if len(split) else float("nan"),
        "stability_mean": weighted("stability"),
        "smallest_sub_segment_share": _smallest_share(metrics, n_customers),
    }


def _smallest_share(metrics: pd.DataFrame, n_customers: int) -> float:
    shares = metrics["smallest_share"] * metrics["n_customers"] / max(n_customers, 1)
    shares = shares[metrics["n_customers"] > 0]
    return float(shares.min()) if len(shares) else float("nan")
