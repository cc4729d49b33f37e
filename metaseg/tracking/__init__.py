"""Tracking segmentations with MLflow: runs, registered versions, comparison, promotion.

- :func:`log_fit` logs a fitted :class:`~metaseg.model.MetaSegmenter` as one run
  (params, metrics, tags, input dataset, artifacts, pyfunc model), saving everything
  locally first, and optionally registers it.
- :func:`compare` puts runs side by side; :func:`label_agreement` measures how two
  runs' labels agree and who moved where.
- :func:`promote` moves an alias (``champion``) to a version only if the
  :class:`QualityGates` pass, recording why and the model's sha256.
- :func:`load_champion` loads the promoted segmenter for scoring after checking that
  its files are the ones promoted. It is the fit's scoring copy (no row per customer);
  :meth:`LoadedModel.training_labels` and :meth:`LoadedModel.full_model` fetch the
  training labels from the run and check them against the digest the model kept.

MLflow is imported only inside these functions: ``import metaseg.tracking`` is cheap.

Examples
--------
>>> from metaseg.tracking import log_fit, promote, load_champion  # doctest: +SKIP
>>> run = log_fit(model, facts, register="shop")  # doctest: +SKIP
>>> promote("shop", run.registered_version)  # doctest: +SKIP
>>> labels = load_champion("shop").predict(facts)  # doctest: +SKIP
"""

from metaseg.tracking.compare import Agreement, agreement_from_labels, compare, label_agreement
from metaseg.tracking.gates import GateResult, QualityGates, coerce_gates, evaluate_gates
from metaseg.tracking.integrity import hash_directory
from metaseg.tracking.log_drift import log_drift
from metaseg.tracking.log_fit import FitRun, log_fit
from metaseg.tracking.registry import LoadedModel, PromotionResult, load_champion, promote
from metaseg.tracking.store import resolve_tracking_uri

__all__ = [
    "Agreement",
    "FitRun",
    "GateResult",
    "LoadedModel",
    "PromotionResult",
    "QualityGates",
    "agreement_from_labels",
    "coerce_gates",
    "compare",
    "evaluate_gates",
    "hash_directory",
    "label_agreement",
    "load_champion",
    "log_drift",
    "log_fit",
    "promote",
    "resolve_tracking_uri",
]
