"""Typed column mappings: how a source table becomes the standard events/customers table.

A mapping names, for each standard column, the source column it comes from. Columns it
does not name are taken from the source when they already carry the standard name.
Two columns can be built instead of renamed, always from typed data, never from text
that is evaluated:

- ``event_type``: a source column (optionally with a value map), a constant, or a sign
  rule such as ``{when_negative: Quantity, then: refund, else: purchase}``;
- ``amount``: a source column, or the product of columns (``{product: [Quantity, Price]}``).

Each section can clean its source table first (``clean:``, see :mod:`metaseg.data.cleaning`):
drop exact duplicates, and drop, keep or count rows by a typed condition, every step
counted in the data report. A ``policy:`` section gives the
:class:`~metaseg.data.policy.ValidationPolicy` the readers use with this mapping (the
fields a caller sets override it), for example ``duplicate_customers: most_frequent``.

The mappings shipped with metaseg (:data:`MAPPING_NAMES`) load by name:
``load_mapping("online_retail_ii")``.

The same models load from YAML (:func:`load_mapping`) and dump back to it
(:meth:`DatasetMapping.to_yaml`). Applying a mapping to a DataFrame lives in
:mod:`metaseg.data.apply`.

Examples
--------
>>> mapping = load_mapping('''
... events:
...   customer_id: Customer ID
...   timestamp: InvoiceDate
...   event_type: {when_negative: Quantity, then: refund, else: purchase}
...   amount: {product: [Quantity, Price]}
...   timezone: Europe/London
... ''')
>>> mapping.events.amount.product
['Quantity', 'Price']
>>> mapping.events.source_for("customer_id")
'Customer ID'
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import yaml
from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)

from metaseg import schema
from metaseg._messages import available, did_you_mean
from metaseg._paths import PRESETS_DIR
from metaseg._yaml import config_error_from_pydantic, load_yaml
from metaseg.data._columns import separator_hint
from metaseg.data._models import StrictModel, pydantic_errors
from metaseg.data.categories import CategoryKeywords, CategoryTopLevel, category_source
from metaseg.data.cleaning import CleanStep, needs_all_columns, step_columns
from metaseg.data.conditions import Condition, columns_of
from metaseg.data.policy import ValidationPolicy
from metaseg.exceptions import ConfigError

__all__ = [
    "AmountProduct",
    "ConstantEventType",
    "CustomerMapping",
    "DatasetMapping",
    "EventMapping",
    "EventTypeFromColumn",
    "EventTypeFromCondition",
    "EventTypeFromSign",
    "MAPPING_NAMES",
    "load_mapping",
    "mapping_path",
]

#: Folder of the column mappings shipped inside the package.
MAPPINGS_DIR: Final = PRESETS_DIR / "mappings"
#: Names of the shipped mappings, accepted wherever a mapping is (``"online_retail_ii"``).
MAPPING_NAMES: Final = ("online_retail_ii", "online_retail")

_Name = Annotated[str, Field(min_length=1)]


class ConstantEventType(StrictModel):
    """Every row gets the same event type, e.g. ``{constant: purchase}``."""

    constant: _Name


class EventTypeFromColumn(StrictModel):
    """Event type read from a source column, with an optional map of its values.

    Values missing from ``values`` are kept as they are (the set of event types is
    open); keys are compared with the source values written as text, so ``{1: purchase}``
    in YAML matches an integer column.

    Examples
    --------
    >>> EventTypeFromColumn(column="type", values={"cart": "add_to_cart"}).values
    {'cart': 'add_to_cart'}
    """

    column: _Name
    values: dict[str, _Name] = Field(default_factory=dict)

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        return value


class EventTypeFromSign(StrictModel):
    """Event type from the sign of a numeric column: ``then`` when it is negative.

    Examples
    --------
    >>> rule = EventTypeFromSign.model_validate(
    ...     {"when_negative": "Quantity", "then": "refund", "else": "purchase"})
    >>> rule.else_
    'purchase'
    """

    when_negative: _Name
    then: _Name = schema.REFUND
    else_: _Name = Field(schema.PURCHASE, alias="else")


class EventTypeFromCondition(StrictModel):
    """Event type from a typed condition on source columns: ``then`` where it holds.

    Examples
    --------
    >>> rule = EventTypeFromCondition.model_validate(
    ...     {"when": {"column": "Invoice", "op": "starts_with", "value": "C"},
    ...      "then": "refund", "else": "purchase"})
    >>> rule.when.column, rule.then, rule.else_
    ('Invoice', 'refund', 'purchase')
    """

    when: Condition
    then: _Name = schema.REFUND
    else_: _Name = Field(schema.PURCHASE, alias="else")


class AmountProduct(StrictModel):
    """Amount as the product of numeric source columns, e.g. quantity × unit price."""

    product: Annotated[list[_Name], Field(min_length=2)]


def _event_type_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "column_name"
    if isinstance(value, BaseModel):
        keys = set(type(value).model_fields)
    elif isinstance(value, Mapping):
        keys = set(value)
    else:
        return None
    for key, tag in (
        ("constant", "constant"),
        ("when_negative", "sign"),
        ("when", "condition"),
        ("column", "values"),
    ):
        if key in keys:
            return tag
    return None


def _category_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "column_name"
    keys = set(type(value).model_fields) if isinstance(value, BaseModel) else set(value or {})
    if "keywords" in keys:
        return "keywords"
    if "top_level" in keys:
        return "top_level"
    return None


def _amount_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "column_name"
    if isinstance(value, AmountProduct) or (isinstance(value, Mapping) and "product" in value):
        return "product"
    return None


EventTypeSpec = Annotated[
    Annotated[_Name, Tag("column_name")]
    | Annotated[ConstantEventType, Tag("constant")]
    | Annotated[EventTypeFromColumn, Tag("values")]
    | Annotated[EventTypeFromSign, Tag("sign")]
    | Annotated[EventTypeFromCondition, Tag("condition")],
    Discriminator(
        _event_type_tag,
        custom_error_type="event_type_spec",
        custom_error_message=(
            "event_type must be a source column name, {constant: <type>}, "
            "{column: <name>, values: {<source value>: <type>}} or "
            "{when_negative: <column>, then: <type>, else: <type>} or "
            "{when: <condition>, then: <type>, else: <type>}"
        ),
    ),
]

CategorySpec = Annotated[
    Annotated[_Name, Tag("column_name")]
    | Annotated[CategoryKeywords, Tag("keywords")]
    | Annotated[CategoryTopLevel, Tag("top_level")],
    Discriminator(
        _category_tag,
        custom_error_type="category_spec",
        custom_error_message=(
            "category must be a source column name, {keywords: {column: <name>, table: "
            "[{contains: <word(s)>, category: <name>}, ...]}} or {top_level: <column>}"
        ),
    ),
]

AmountSpec = Annotated[
    Annotated[_Name, Tag("column_name")] | Annotated[AmountProduct, Tag("product")],
    Discriminator(
        _amount_tag,
        custom_error_type="amount_spec",
        custom_error_message="amount must be a source column name or {product: [<column>, <column>]}",
    ),
]


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise ``ValueError`` with suggestions."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, zoneinfo.available_timezones())
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Europe/London'.{hint}"
        ) from None
    return name


def _names_to_dict(value: Any) -> Any:
    """Let ``extra``/``attributes`` be a list of names (kept as they are) or a rename dict."""
    if isinstance(value, list | tuple):
        return {str(v): v for v in value}
    return value


def _unknown_columns_error(
    section: str, wanted: dict[str, list[str]], columns: list[str]
) -> ConfigError | None:
    present = set(columns)
    lines = []
    for field, sources in wanted.items():
        for source in sources:
            if source not in present:
                lines.append(
                    f"  - {section}.{field} refers to source column {source!r}, which is not in "
                    f"the source table.{did_you_mean(source, columns)}"
                )
    if not lines:
        return None
    return ConfigError(
        f"column mapping ({section}) names {len(lines)} column(s) the source does not have:\n"
        + "\n".join(lines)
        + f"\nAvailable columns: {available(columns)}."
        + (
            separator_hint(columns)
            or " Fix the names in the mapping (they are case- and space-sensitive)."
        )
    )


class EventMapping(StrictModel):
    """How a source table maps onto the standard events table.

    Parameters
    ----------
    customer_id, timestamp, order_id, quantity, category, channel : str, optional
        Source column of each standard column. When left out, a source column that
        already has the standard name is used (required columns must exist).
    event_type : str or ConstantEventType or EventTypeFromColumn or EventTypeFromSign
        A source column name, or a typed rule (see the module docstring).
    amount : str or AmountProduct
        A source column name, or ``{product: [col, col, ...]}``.
    extra : dict or list, optional
        Other columns to keep: ``{output_name: source_column}``, or a list of source
        names kept as they are. Only named columns are kept when a mapping is given.
    timezone : str, default "UTC"
        IANA time zone assumed for naive timestamps.
    timestamp_format : str, optional
        ``strptime`` format of timestamp texts (``"mixed"`` parses each text on its
        own); by default the format is inferred.
    clean : list of CleanStep, optional
        Cleaning steps run on the source rows before mapping (see
        :mod:`metaseg.data.cleaning`).

    Examples
    --------
    >>> m = EventMapping(customer_id="user_id", event_type={"constant": "purchase"},
    ...                  amount={"product": ["qty", "price"]})
    >>> m.source_columns(["user_id", "qty", "price", "timestamp", "shop"])
    ['user_id', 'qty', 'price', 'timestamp']
    """

    customer_id: _Name | None = None
    timestamp: _Name | None = None
    event_type: EventTypeSpec | None = None
    amount: AmountSpec | None = None
    order_id: _Name | None = None
    quantity: _Name | None = None
    category: CategorySpec | None = None
    channel: _Name | None = None
    extra: dict[_Name, _Name] = Field(default_factory=dict)
    timezone: str = "UTC"
    timestamp_format: _Name | None = None
    clean: list[CleanStep] = Field(default_factory=list)

    @field_validator("extra", mode="before")
    @classmethod
    def _extra_names(cls, value: Any) -> Any:
        return _names_to_dict(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("extra")
    @classmethod
    def _no_standard_names(cls, value: dict[str, str]) -> dict[str, str]:
        clash = sorted(set(value) & set(schema.EVENT_COLUMNS))
        if clash:
            raise ValueError(
                f"extra column(s) {clash} have standard names; map them through the "
                "standard fields (e.g. 'amount: <source column>') instead of extra"
            )
        return value

    def source_for(self, column: str) -> str | None:
        """The source column explicitly named for a renamed standard ``column``."""
        value = getattr(self, column)
        return value if isinstance(value, str) else None

    def referenced_columns(self) -> dict[str, list[str]]:
        """Source columns the mapping names, keyed by the mapping field that names them."""
        out: dict[str, list[str]] = {}
        for column in schema.EVENT_COLUMNS:
            value = getattr(self, column)
            if isinstance(value, str):
                out[column] = [value]
        if isinstance(self.event_type, EventTypeFromColumn):
            out["event_type.column"] = [self.event_type.column]
        elif isinstance(self.event_type, EventTypeFromSign):
            out["event_type.when_negative"] = [self.event_type.when_negative]
        elif isinstance(self.event_type, EventTypeFromCondition):
            out["event_type.when"] = columns_of(self.event_type.when)
        if isinstance(self.amount, AmountProduct):
            out["amount.product"] = list(self.amount.product)
        if isinstance(self.category, CategoryKeywords | CategoryTopLevel):
            out["category"] = [category_source(self.category)]
        for name, source in self.extra.items():
            out[f"extra.{name}"] = [source]
        out.update(step_columns(self.clean))
        return out

    def reads_every_column(self) -> bool:
        """Whether the cleaning compares whole rows, so every source column is read."""
        return needs_all_columns(self.clean)

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise :class:`ConfigError` if a named source column is not in ``columns``."""
        names = [str(c) for c in columns]
        error = _unknown_columns_error("events", self.referenced_columns(), names)
        if error is not None:
            if isinstance(self.event_type, str) and self.event_type not in names:
                error = ConfigError(
                    f"{error} To give every row the same event type write "
                    f"'event_type: {{constant: {self.event_type}}}'."
                )
            raise error

    def source_columns(self, columns: Iterable[str]) -> list[str]:
        """Source columns to read: the named ones, plus standard-named ones not renamed."""
        names = [str(c) for c in columns]
        wanted: list[str] = []
        for sources in self.referenced_columns().values():
            wanted.extend(s for s in sources if s not in wanted)
        for column in schema.EVENT_COLUMNS:
            if getattr(self, column) is None and column in names and column not in wanted:
                wanted.append(column)
        return wanted


class CustomerMapping(StrictModel):
    """How a source table maps onto the standard customers table.

    Parameters
    ----------
    customer_id : str, optional
        Source column of the customer id (default: a column named ``customer_id``).
    signup_at : str, optional
        Source column of the sign-up time; parsed to UTC like event timestamps.
    attributes : dict or list, optional
        Attribute columns to keep: ``{output_name: source_column}`` or a list of names.
    timezone : str, default "UTC"
        IANA time zone assumed for naive ``signup_at`` values.
    timestamp_format : str, optional
        ``strptime`` format of ``signup_at`` texts.
    clean : list of CleanStep, optional
        Cleaning steps run on the source rows before mapping (see
        :mod:`metaseg.data.cleaning`).

    Examples
    --------
    >>> CustomerMapping(customer_id="Customer ID", attributes={"country": "Country"}).attributes
    {'country': 'Country'}
    """

    customer_id: _Name | None = None
    signup_at: _Name | None = None
    attributes: dict[_Name, _Name] = Field(default_factory=dict)
    timezone: str = "UTC"
    timestamp_format: _Name | None = None
    clean: list[CleanStep] = Field(default_factory=list)

    @field_validator("attributes", mode="before")
    @classmethod
    def _attribute_names(cls, value: Any) -> Any:
        return _names_to_dict(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("attributes")
    @classmethod
    def _no_standard_names(cls, value: dict[str, str]) -> dict[str, str]:
        clash = sorted(set(value) & {schema.CUSTOMER_ID, schema.SIGNUP_AT})
        if clash:
            raise ValueError(
                f"attribute(s) {clash} have standard names; use the customer_id / signup_at fields"
            )
        return value

    def referenced_columns(self) -> dict[str, list[str]]:
        """Source columns the mapping names, keyed by the mapping field that names them."""
        out = {
            name: [value]
            for name, value in (
                (schema.CUSTOMER_ID, self.customer_id),
                (schema.SIGNUP_AT, self.signup_at),
            )
            if value is not None
        }
        for name, source in self.attributes.items():
            out[f"attributes.{name}"] = [source]
        out.update(step_columns(self.clean))
        return out

    def reads_every_column(self) -> bool:
        """Whether the cleaning compares whole rows, so every source column is read."""
        return needs_all_columns(self.clean)

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise :class:`ConfigError` if a named source column is not in ``columns``."""
        error = _unknown_columns_error(
            "customers", self.referenced_columns(), [str(c) for c in columns]
        )
        if error is not None:
            raise error

    def source_columns(self, columns: Iterable[str]) -> list[str]:
        """Source columns to read: the named ones, plus standard-named ones not renamed."""
        names = [str(c) for c in columns]
        wanted: list[str] = []
        for sources in self.referenced_columns().values():
            wanted.extend(s for s in sources if s not in wanted)
        for column, value in (
            (schema.CUSTOMER_ID, self.customer_id),
            (schema.SIGNUP_AT, self.signup_at),
        ):
            if value is None and column in names and column not in wanted:
                wanted.append(column)
        return wanted


class DatasetMapping(StrictModel):
    """The mappings of one data source: ``events``, optionally ``customers`` and ``policy``.

    ``policy`` is the :class:`~metaseg.data.policy.ValidationPolicy` that
    :func:`~metaseg.data.read_events` and :func:`~metaseg.data.read_customers` use with
    this mapping; the fields a caller sets in its own ``policy`` override it.

    Examples
    --------
    >>> m = DatasetMapping(events=EventMapping(customer_id="user"))
    >>> DatasetMapping.from_yaml(m.to_yaml()) == m
    True
    """

    events: EventMapping = Field(default_factory=EventMapping)
    customers: CustomerMapping | None = None
    policy: ValidationPolicy | None = None

    @classmethod
    def from_yaml(cls, source: str | Path) -> DatasetMapping:
        """Load from a YAML file or text; see :func:`load_mapping`."""
        return load_mapping(source)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (as written in YAML), leaving out fields at their defaults."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    def to_yaml(self) -> str:
        """YAML text that :func:`load_mapping` reads back into an equal mapping."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _validate(model: type[BaseModel], data: Any, what: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{what} must be a mapping of fields (e.g. 'customer_id: Customer ID'), "
            f"got {type(data).__name__}: {data!r:.80}"
        )
    try:
        with pydantic_errors():
            return model.model_validate(dict(data))
    except ValidationError as exc:
        raise config_error_from_pydantic(exc, what=what) from None


def mapping_path(name: str) -> Path:
    """The file of a column mapping shipped with metaseg (:data:`MAPPING_NAMES`).

    Raises
    ------
    ConfigError
        If ``name`` is not a shipped mapping, or its file is missing.

    Examples
    --------
    >>> mapping_path("online_retail_ii").name
    'online_retail_ii.yaml'
    """
    if name not in MAPPING_NAMES:
        raise ConfigError(
            f"mapping {name!r} is not one shipped with metaseg.{did_you_mean(name, MAPPING_NAMES)} "
            f"Shipped mappings: {available(MAPPING_NAMES)}; or give a YAML file (.yaml)."
        )
    path = MAPPINGS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"mapping file {str(path)!r} is missing; reinstall metaseg.")
    return path


def _read_document(source: str | Path | Mapping[str, Any]) -> tuple[Any, str]:
    if isinstance(source, Mapping):
        return dict(source), "column mapping"
    if isinstance(source, str) and source in MAPPING_NAMES:
        source = mapping_path(source)
    what = "column mapping"
    if isinstance(source, Path) or str(source).endswith((".yaml", ".yml")):
        what = f"column mapping {str(source)!r}"
    data = load_yaml(source, what=what)
    return ({} if data is None else data), what


def _has_sections(data: Any) -> bool:
    return isinstance(data, Mapping) and bool({"events", "customers", "policy"} & set(data))


def load_mapping(source: str | Path | Mapping[str, Any]) -> DatasetMapping:
    """Read a column mapping from a YAML file, YAML text or a dict.

    The document has an ``events:`` section and optionally ``customers:`` and
    ``policy:`` sections; a document without them is read as an events mapping alone.
    ``source`` may also be the name of a mapping shipped with metaseg
    (:data:`MAPPING_NAMES`).

    Raises
    ------
    ConfigError
        Malformed YAML (with line and column), unknown fields, bad values.

    Examples
    --------
    >>> load_mapping("customer_id: user_id").events.customer_id
    'user_id'
    """
    data, what = _read_document(source)
    if isinstance(data, Mapping) and not _has_sections(data):
        data = {"events": data}
    return _validate(DatasetMapping, data, what)


def resolve_event_mapping(
    mapping: EventMapping | DatasetMapping | Mapping[str, Any] | str | Path | None,
) -> tuple[EventMapping, ValidationPolicy | None]:
    """Accept every form a reader takes: the :class:`EventMapping` and the mapping's policy."""
    if mapping is None:
        return EventMapping(), None
    if isinstance(mapping, EventMapping):
        return mapping, None
    if isinstance(mapping, DatasetMapping):
        return mapping.events, mapping.policy
    if isinstance(mapping, CustomerMapping):
        raise ConfigError(
            "mapping: a CustomerMapping was given to an events reader; pass an EventMapping "
            "or a DatasetMapping."
        )
    dataset = load_mapping(mapping)
    return dataset.events, dataset.policy


def coerce_event_mapping(
    mapping: EventMapping | DatasetMapping | Mapping[str, Any] | str | Path | None,
) -> EventMapping:
    """Accept every form a reader takes and return an :class:`EventMapping`."""
    return resolve_event_mapping(mapping)[0]


def resolve_customer_mapping(
    mapping: CustomerMapping | DatasetMapping | Mapping[str, Any] | str | Path | None,
) -> tuple[CustomerMapping, ValidationPolicy | None]:
    """Accept every form a reader takes: the :class:`CustomerMapping` and the mapping's policy."""
    if mapping is None:
        return CustomerMapping(), None
    if isinstance(mapping, CustomerMapping):
        return mapping, None
    if isinstance(mapping, EventMapping):
        raise ConfigError(
            "mapping: an EventMapping was given to a customers reader; pass a CustomerMapping "
            "or a DatasetMapping with a 'customers' section."
        )
    if isinstance(mapping, DatasetMapping):
        dataset = mapping
    else:
        data, what = _read_document(mapping)
        if not _has_sections(data):
            return _validate(CustomerMapping, data, f"{what} (customers)"), None
        dataset = _validate(DatasetMapping, data, what)
    if dataset.customers is None:
        raise ConfigError(
            "mapping: the column mapping has no 'customers:' section; add one "
            "(e.g. 'customers: {customer_id: Customer ID}') or pass a CustomerMapping."
        )
    return dataset.customers, dataset.policy


def coerce_customer_mapping(
    mapping: CustomerMapping | DatasetMapping | Mapping[str, Any] | str | Path | None,
) -> CustomerMapping:
    """Accept every form a reader takes and return a :class:`CustomerMapping`."""
    return resolve_customer_mapping(mapping)[0]
