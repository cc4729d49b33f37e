"""A strict pydantic base model: unknown fields get a 'did you mean', errors are ConfigError."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from metaseg._messages import available, did_you_mean
from metaseg._yaml import config_error_from_pydantic

# How many StrictModel validations are running; only the outermost turns pydantic's
# ValidationError into a ConfigError, so nested models report their full location.
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("_DEPTH", default=0)


@contextmanager
def pydantic_errors() -> Iterator[None]:
    """Let validation inside this block raise pydantic's ``ValidationError`` unchanged.

    Used by loaders that convert the error themselves with a better ``what``.
    """
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        yield
    finally:
        _DEPTH.reset(token)


class StrictModel(BaseModel):
    """Frozen, no extra fields; an unknown field names the close valid ones.

    Building one with bad values raises :class:`~metaseg.exceptions.ConfigError` (not
    pydantic's ``ValidationError``), like loading it from YAML does.

    Examples
    --------
    >>> class Point(StrictModel):
    ...     x: int = 0
    >>> Point(x=1).x
    1
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    def __init__(self, **data: Any) -> None:
        with pydantic_errors():
            outermost = _DEPTH.get() == 1
            try:
                super().__init__(**data)
            except ValidationError as exc:
                if not outermost:
                    raise
                raise config_error_from_pydantic(exc, what=type(self).__name__) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        with pydantic_errors():
            outermost = _DEPTH.get() == 1
            try:
                return super().model_validate(obj, **kwargs)
            except ValidationError as exc:
                if not outermost:
                    raise
                raise config_error_from_pydantic(exc, what=cls.__name__) from None

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        shown = {f.alias or name for name, f in cls.model_fields.items()}
        accepted = shown | set(cls.model_fields)
        unknown = [str(k) for k in data if k not in accepted]
        if unknown:
            hints = "".join(did_you_mean(k, shown) for k in unknown)
            raise ValueError(
                f"unknown field(s) {unknown}.{hints} Allowed fields: {available(shown)}"
            )
        return data
