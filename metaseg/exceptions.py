"""Exception and warning classes shared by every stage of metaseg.

Each error class maps to one exit code of the command line so that batch jobs can
tell a configuration mistake from bad data or a refused promotion.
"""

from __future__ import annotations


class MetasegError(Exception):
    """Base class of every error raised on purpose by metaseg."""

    exit_code: int = 1


class ConfigError(MetasegError, ValueError):
    """A configuration, parameter or YAML document is invalid (exit code 2)."""

    exit_code = 2


class RuleError(ConfigError):
    """A segment rule is malformed, unsafe or refers to something that does not exist."""


class DataError(MetasegError, ValueError):
    """Input data does not satisfy the standard tables' contract (exit code 3)."""

    exit_code = 3


class NoUsableFeaturesError(DataError):
    """Every feature of a segment was constant or unusable, so it cannot be sub-segmented."""


class GateRefusedError(MetasegError):
    """A promotion was refused because at least one quality gate failed (exit code 4)."""

    exit_code = 4


class ExportError(MetasegError):
    """Labels could not be delivered to an export target (exit code 5)."""

    exit_code = 5


class TrackingError(MetasegError):
    """The MLflow tracking store or registry could not be used."""

    exit_code = 6


class ModelNotFoundError(TrackingError):
    """A registered model, or the alias asked for, does not exist (exit code 2)."""

    exit_code = 2


class RunNotFoundError(TrackingError):
    """An experiment or run asked for does not exist in a store that answered (exit code 2)."""

    exit_code = 2


class MetasegWarning(UserWarning):
    """Base class of the warnings metaseg emits."""


class DataQualityWarning(MetasegWarning):
    """Rows were dropped or changed while reading or validating data."""


class RuleWarning(MetasegWarning):
    """A rules document has a segment that matched nobody or a parameter nobody uses."""


class ExportWarning(MetasegWarning):
    """Some records could not be delivered to an export target."""


class DriftWarning(MetasegWarning):
    """Today's customers no longer fit a segmentation (shares or facts moved too far)."""


class ClusteringWarning(MetasegWarning):
    """A clustering step fell back to a simpler result (for example no split)."""
