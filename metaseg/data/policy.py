"""What validation does with each kind of bad row: one typed, documented object.

Every choice is a small closed set of words, so a policy reads the same in Python and
in YAML, and a typo is a :class:`~metaseg.exceptions.ConfigError` that lists the choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError

from metaseg._yaml import config_error_from_pydantic
from metaseg.data._models import StrictModel, pydantic_errors
from metaseg.exceptions import ConfigError


class ValidationPolicy(StrictModel):
    """How :func:`~metaseg.data.validate_events` and friends treat bad rows.

    Every field has two or three choices; ``"error"`` stops with a
    :class:`~metaseg.exceptions.DataError` that names the column, shows offending
    values and counts, and says how to fix them. The other choices act on the rows
    and record what they did in the returned :class:`~metaseg.data.report.DataReport`.

    Parameters
    ----------
    null_customer_ids : {"drop", "error"}, default "drop"
        Rows whose ``customer_id`` is null or empty.
    invalid_timestamps : {"error", "drop"}, default "error"
        Rows whose timestamp is missing or cannot be parsed.
    mixed_timezones : {"convert", "error"}, default "convert"
        Timestamp texts that carry different UTC offsets (or offsets and no offset
        together). ``"convert"`` normalises them all to UTC, reading texts without an
        offset in the configured time zone.
    ambiguous_times : {"error", "shift"}, default "error"
        Naive local times that are repeated or skipped by a daylight-saving change.
        ``"shift"`` reads a repeated time as the first occurrence (summer time) and
        moves a skipped time forward to the first valid instant.
    after_as_of : {"drop", "error"}, default "drop"
        Events later than ``as_of``.
    negative_amounts : {"refund", "error"}, default "refund"
        Negative amounts on purchase/refund events. ``"refund"`` sets the event type
        to ``refund`` and makes the amount (and a negative quantity) positive.
    invalid_amounts : {"error", "drop"}, default "error"
        Amounts that are not numbers, and missing or infinite amounts on purchase or
        refund events.
    duplicate_customers : {"error", "keep_first", "most_frequent"}, default "error"
        Repeated ``customer_id`` values in the customers table. ``"keep_first"`` keeps
        each customer's first row; ``"most_frequent"`` keeps the row of attribute values
        that occurs most often for the customer (on a tie, the one seen first), for a
        customers table read from one row per order line. Customers whose rows
        disagree are counted in the report either way.

    Examples
    --------
    >>> policy = ValidationPolicy(null_customer_ids="error")
    >>> policy.after_as_of
    'drop'
    >>> ValidationPolicy.coerce({"after_as_of": "error"}).after_as_of
    'error'
    """

    null_customer_ids: Literal["drop", "error"] = "drop"
    invalid_timestamps: Literal["error", "drop"] = "error"
    mixed_timezones: Literal["convert", "error"] = "convert"
    ambiguous_times: Literal["error", "shift"] = "error"
    after_as_of: Literal["drop", "error"] = "drop"
    negative_amounts: Literal["refund", "error"] = "refund"
    invalid_amounts: Literal["error", "drop"] = "error"
    duplicate_customers: Literal["error", "keep_first", "most_frequent"] = "error"

    def updated_by(self, override: ValidationPolicy | Mapping[str, Any] | None) -> ValidationPolicy:
        """This policy with the fields that ``override`` sets replaced by its values.

        A column mapping's ``policy:`` is the base; the fields a caller sets (keys of a
        dict, or the arguments a ``ValidationPolicy`` was built with) win.

        Examples
        --------
        >>> base = ValidationPolicy(duplicate_customers="most_frequent")
        >>> merged = base.updated_by({"after_as_of": "error"})
        >>> merged.duplicate_customers, merged.after_as_of
        ('most_frequent', 'error')
        """
        if override is None:
            return self
        given = type(self).coerce(override)
        changes = {name: getattr(given, name) for name in given.model_fields_set}
        return self.model_copy(update=changes) if changes else self

    @classmethod
    def coerce(cls, policy: ValidationPolicy | Mapping[str, Any] | None) -> ValidationPolicy:
        """Return ``policy`` as a :class:`ValidationPolicy` (``None`` gives the defaults).

        Raises
        ------
        ConfigError
            If a field is unknown or a value is not one of the allowed choices.
        """
        if policy is None:
            return cls()
        if isinstance(policy, cls):
            return policy
        if not isinstance(policy, Mapping):
            raise ConfigError(
                f"policy must be a ValidationPolicy or a mapping of its fields, got "
                f"{type(policy).__name__}; for example ValidationPolicy(after_as_of='error')."
            )
        try:
            with pydantic_errors():
                return cls.model_validate(dict(policy))
        except ValidationError as exc:
            raise config_error_from_pydantic(exc, what="validation policy") from None
