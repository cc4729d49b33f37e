"""metaseg: customer segmentation by meta-grouping.

Rule segments first (RFM, lifecycle, ...), machine-learned sub-segments inside each.
The names below are imported on first use, so ``import metaseg`` and ``metaseg --help``
stay fast.

Examples
--------
>>> import metaseg
>>> customers, events, _ = metaseg.make_shop(n_customers=1_500, seed=1)
>>> model = metaseg.segment(events, customers, rules="rfm", n_bootstrap=0)
>>> labels = model.predict(events, customers=customers)
>>> labels.attrs["input_kind"], bool((labels["segment"] == model.labels_["segment"]).all())
('events', True)
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "segment": "metaseg.model",
    "MetaSegmenter": "metaseg.model",
    "compute_facts": "metaseg.facts",
    "make_shop": "metaseg.datasets",
    "match_identities": "metaseg.over_time",
    "drift_report": "metaseg.over_time",
    "log_fit": "metaseg.tracking",
    "load_champion": "metaseg.tracking",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> object:
    from importlib import import_module

    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'metaseg' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
