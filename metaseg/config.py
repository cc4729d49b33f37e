"""The metaseg YAML configuration: data, facts, segmentation, tracking, gates and exports.

One document drives a batch job (``metaseg fit --config configs/shop.yaml``). It is
validated with pydantic; a mistake is reported with its YAML path, e.g.
``segmentation.segments.active.params.k_maxx``. Relative paths are resolved against
the current working directory, like every command-line path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from metaseg._yaml import check_nesting, config_error_from_pydantic, load_yaml
from metaseg.clv.settings import CLVSettings
from metaseg.exceptions import ConfigError
from metaseg.facts.category_mix import CategoryMix, parse_category_mix
from metaseg.facts.custom import CustomFacts, parse_custom_facts
from metaseg.segmentation_spec import SegmentationSpec
from metaseg.tracking.gates import QualityGates


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SyntheticSource(_Section):
    """The synthetic shop (:func:`metaseg.datasets.make_shop`)."""

    n_customers: int = Field(default=20_000, ge=100)
    seed: int = 0


class OnlineRetailSource(_Section):
    """UCI Online Retail (II) through :func:`metaseg.datasets.load_online_retail`."""

    path: str
    level: Literal["line", "invoice"] = "line"
    cancellations: Literal["refund", "drop"] = "refund"


class DataSection(_Section):
    """Where the events and customers come from.

    ``source`` picks one of: ``synthetic`` (the embedded default), ``files`` (``events``
    and optional ``customers`` paths read with :func:`metaseg.data.read_events`, mapped
    with ``mapping``) or ``online_retail``.
    """

    source: Literal["synthetic", "files", "online_retail"] = "synthetic"
    synthetic: SyntheticSource = Field(default_factory=SyntheticSource)
    online_retail: OnlineRetailSource | None = None
    events: str | None = None
    customers: str | None = None
    mapping: str | dict[str, Any] | None = None
    policy: dict[str, Any] = Field(default_factory=dict)


class FactsSection(_Section):
    """Settings of :func:`metaseg.facts.compute_facts`; ``custom`` holds the custom facts
    (see :mod:`metaseg.facts.custom` for their YAML)."""

    windows: tuple[int, ...] = (7, 30, 90, 365)
    #: How duration facts count days: ``fractional`` (default) or ``whole_days``
    #: (like pandas ``Timedelta.days``), for all of them or per fact
    #: (``{recency_days: whole_days}``); see :mod:`metaseg.facts.durations`.
    durations: str | dict[str, str] = "fractional"
    custom: CustomFacts = Field(default_factory=CustomFacts)
    #: Potential-value facts (p_alive, expected_purchases_{h}d, clv_{h}d, ...); None: off.
    clv: CLVSettings | None = None
    #: Category-mix facts, e.g. ``{top: 8, basis: spend}``; see
    #: :mod:`metaseg.facts.category_mix`.
    category_mix: CategoryMix | None = None

    @field_validator("category_mix", mode="before")
    @classmethod
    def _category_mix(cls, value: Any) -> CategoryMix | None:
        try:
            return parse_category_mix(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("custom", mode="before")
    @classmethod
    def _custom_facts(cls, value: Any) -> CustomFacts:
        """Custom facts parsed with their own YAML paths in messages."""
        return parse_custom_facts(value, what="facts.custom")

    @field_validator("windows", mode="before")
    @classmethod
    def _whole_days(cls, value: Any) -> tuple[int, ...]:
        """Windows as :func:`metaseg.facts.params.check_windows` accepts them (no booleans)."""
        from metaseg.facts.params import check_windows

        return check_windows(value)

    @field_validator("durations", mode="before")
    @classmethod
    def _known_durations(cls, value: Any) -> Any:
        """Durations as :func:`metaseg.facts.registry.duration_units` accepts them."""
        from metaseg.facts.registry import duration_units

        try:
            duration_units(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


class TrackingSection(_Section):
    """Where runs are logged; ``tracking_uri`` defaults to ``MLFLOW_TRACKING_URI`` or
    MLflow's own default (``sqlite:///mlflow.db`` in the working directory)."""

    experiment: str = "metaseg"
    tracking_uri: str | None = None
    #: Registered model name (``register:`` in YAML).
    register_name: str | None = Field(default=None, alias="register")
    timeout: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)


class ExportTarget(_Section):
    """One export target of ``metaseg score``, chosen by URI (file path, ``sqlite:///``,
    ``postgresql://``, ``https://`` webhook)."""

    to: str
    batch_size: int = Field(default=100, ge=1)
    secret_env: str = "METASEG_WEBHOOK_SECRET"


class ScoreSection(_Section):
    """How ``metaseg score`` labels the customers.

    ``batch_size``: label this many customers at a time and stream the labels to the
    Parquet ``--out`` file, compared with the file they replace by DuckDB (for tables
    too big to label at once, see :mod:`metaseg.batch_score`); ``None`` (default)
    labels everyone at once.
    """

    batch_size: int | None = Field(default=None, ge=1)


class MetasegConfig(_Section):
    """A whole metaseg job configuration.

    Examples
    --------
    >>> cfg = MetasegConfig.model_validate({"name": "demo"})
    >>> cfg.segmentation.rules, cfg.data.source
    ('lifecycle', 'synthetic')
    """

    name: str = "metaseg"
    as_of: str | None = None
    data: DataSection = Field(default_factory=DataSection)
    facts: FactsSection = Field(default_factory=FactsSection)
    segmentation: SegmentationSpec = Field(default_factory=SegmentationSpec)
    tracking: TrackingSection = Field(default_factory=TrackingSection)
    #: Quality gates checked by ``metaseg promote --config`` and the demo (None: gate off).
    gates: QualityGates = Field(default_factory=QualityGates)
    export: list[ExportTarget] = Field(default_factory=list)
    score: ScoreSection = Field(default_factory=ScoreSection)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value or len(value) > 100 or not all(c.isalnum() or c in "-_." for c in value):
            raise ValueError(
                "name must be 1-100 letters, digits, '-', '_' or '.' (it names the MLflow "
                "run and the registered model)"
            )
        return value


def load_config(source: str | Path | dict[str, Any]) -> MetasegConfig:
    """Read and validate a configuration from a YAML file, YAML text or a mapping.

    Raises
    ------
    ConfigError
        With the file, line and column of a YAML syntax error or a repeated key, the
        YAML path of each invalid setting, or when the file is larger than
        ``metaseg._yaml.MAX_YAML_CHARS`` or nested deeper than ``MAX_YAML_NESTING``.
    """
    document = source if isinstance(source, dict) else load_yaml(source, what="configuration")
    check_nesting(document, what="configuration")
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            f"configuration must be a mapping of sections (data, segmentation, ...), got "
            f"{type(document).__name__}."
        )
    try:
        return MetasegConfig.model_validate(document)
    except ValidationError as exc:
        where = f"configuration {source}" if isinstance(source, str | Path) else "configuration"
        raise config_error_from_pydantic(exc, what=where) from None
