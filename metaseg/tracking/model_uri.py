"""Registered-model URIs: ``models:/NAME@ALIAS`` and ``models:/NAME/VERSION``.

One parser for every place that names a registered model: ``metaseg score`` and
``metaseg drift`` (``--model``), and :func:`metaseg.spark.score_spark`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metaseg.exceptions import ConfigError

__all__ = ["ModelRef", "parse_alias_uri", "parse_registry_uri"]

_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$")
_NAME = re.compile(r"^[^/@:]+$")


@dataclass(frozen=True)
class ModelRef:
    """A registered model version, named through an alias or its number."""

    name: str
    alias: str | None = None
    version: str | None = None


def parse_registry_uri(uri: str) -> ModelRef | None:
    """The registered model a ``models:/`` URI names, or None for any other URI.

    Examples
    --------
    >>> parse_registry_uri("models:/shop@champion")
    ModelRef(name='shop', alias='champion', version=None)
    >>> parse_registry_uri("models:/shop/3")
    ModelRef(name='shop', alias=None, version='3')
    >>> parse_registry_uri("runs:/abc/model") is None
    True
    """
    match = _REGISTRY_URI.match(uri.strip())
    if match is None:
        return None
    return ModelRef(match["name"], match["alias"], match["version"])


def parse_alias_uri(text: str, *, default_alias: str = "champion") -> ModelRef:
    """``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a bare ``NAME`` (``default_alias``).

    Batch jobs usually load a promoted alias, so they score exactly what was promoted; a
    version number is accepted too (its files are checked when it was promoted).

    Raises
    ------
    ConfigError
        For anything else, with the expected form.

    Examples
    --------
    >>> parse_alias_uri("models:/shop@champion")
    ModelRef(name='shop', alias='champion', version=None)
    >>> parse_alias_uri("shop").alias
    'champion'
    >>> parse_alias_uri("models:/shop/3").version
    '3'
    """
    text = text.strip()
    ref = parse_registry_uri(text) if text.startswith("models:/") else None
    if ref is None and _NAME.match(text):
        ref = ModelRef(text, default_alias)
    if ref is None:
        raise ConfigError(
            f"--model {text!r}: expected models:/NAME@ALIAS (e.g. models:/shop@champion), "
            "models:/NAME/VERSION (e.g. models:/shop/3) or a registered model NAME."
        )
    return ref
