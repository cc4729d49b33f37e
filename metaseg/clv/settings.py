"""The ``facts.clv`` configuration block: turn the potential-value facts on."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CLVSettings(BaseModel):
    """Settings of the potential-value facts (``facts: clv:`` in the YAML config).

    Examples
    --------
    >>> CLVSettings.model_validate({"horizons": [365, 90], "discount_rate": 0.1}).horizons
    (90, 365)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizons: tuple[int, ...] = (90, 365)
    discount_rate: float = Field(default=0.0, ge=0, lt=10)
    time_unit_days: float = Field(default=7.0, gt=0)
    step_days: int = Field(default=30, gt=0)
    backend: Literal["scipy", "pymc-marketing"] = "scipy"

    @field_validator("horizons", mode="before")
    @classmethod
    def _days(cls, value: Any) -> tuple[int, ...]:
        from metaseg.clv.model import _check_horizons

        return _check_horizons(value)

    def estimator(self) -> Any:
        """An unfitted :class:`~metaseg.clv.CLVModel` with these settings."""
        from metaseg.clv.model import CLVModel

        return CLVModel(
            horizons=self.horizons,
            discount_rate=self.discount_rate,
            time_unit_days=self.time_unit_days,
            step_days=self.step_days,
            backend=self.backend,
        )
