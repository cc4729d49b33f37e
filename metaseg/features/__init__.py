"""Per-segment feature pipelines: select, log-transform, impute, scale and encode facts.

Examples
--------
>>> import pandas as pd
>>> from metaseg.features import SegmentFeaturizer
>>> facts = pd.DataFrame({"recency_days": [3.0, 40.0, 200.0],
...                       "frequency": [5, 2, 1], "monetary": [500.0, 80.0, 20.0]})
>>> SegmentFeaturizer(spec={"features": "rfm"}).fit_transform(facts).shape
(3, 3)
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
