"""Per-segment feature pipelines: select, log-transform, impute, scale and encode facts.

Examples
--------
>>> import pandas as pd
>>> from metaseg.features import SegmentFeaturizer
>>> facts = pd.DataFrame({"recency_days": [3.0, 40.0, 200.0, 9.0, 60.0],
...                       "frequency": [2, 5, 1, 3, 1],
...                       "monetary": [90.0, 500.0, 20.0, 30.0, 300.0]})
>>> featurizer = SegmentFeaturizer(spec={"features": "rfm"})
>>> featurizer.fit_transform(facts).shape
(5, 3)
>>> featurizer.dropped_features_
{}
"""

from metaseg.features.pipeline import SegmentFeaturizer, signed_log1p
from metaseg.features.presets import LOG1P_AUTO_KINDS, PRESETS, expand_features, fact_kind
from metaseg.features.spec import FeatureSpec, coerce_spec

__all__ = [
    "LOG1P_AUTO_KINDS",
    "PRESETS",
    "FeatureSpec",
    "SegmentFeaturizer",
    "coerce_spec",
    "expand_features",
    "fact_kind",
    "signed_log1p",
]
