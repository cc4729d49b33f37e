"""Reading, mapping and validating the standard events and customers tables.

The public names are loaded on first use, so importing a submodule such as
:mod:`metaseg.data.report` stays cheap.

>>> from metaseg.data import ValidationPolicy, read_events
>>> ValidationPolicy().null_customer_ids
'drop'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "apply_customer_mapping": "metaseg.data.apply",
    "apply_event_mapping": "metaseg.data.apply",
    "AmountProduct": "metaseg.data.mapping",
    "ConstantEventType": "metaseg.data.mapping",
    "CustomerMapping": "metaseg.data.mapping",
    "DatasetMapping": "metaseg.data.mapping",
    "EventMapping": "metaseg.data.mapping",
    "EventTypeFromColumn": "metaseg.data.mapping",
    "EventTypeFromSign": "metaseg.data.mapping",
    "load_mapping": "metaseg.data.mapping",
    "ValidationPolicy": "metaseg.data.policy",
    "read_customers": "metaseg.data.readers",
    "read_events": "metaseg.data.readers",
    "read_table": "metaseg.data.readers",
    "table_columns": "metaseg.data.readers",
    "DataReport": "metaseg.data.report",
    "ReportEntry": "metaseg.data.report",
    "align_customer_ids": "metaseg.data.validate",
    "validate_customers": "metaseg.data.validate",
    "validate_events": "metaseg.data.validate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'metaseg.data' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
