"""Names of the standard tables' columns (see DESIGN.md, "The standard tables").

Every stage refers to columns through these constants, never through literals, so
that a rename happens in one place.
"""

from __future__ import annotations

from typing import Final

CUSTOMER_ID: Final = "customer_id"
TIMESTAMP: Final = "timestamp"
EVENT_TYPE: Final = "event_type"
AMOUNT: Final = "amount"
ORDER_ID: Final = "order_id"
QUANTITY: Final = "quantity"
CATEGORY: Final = "category"
CHANNEL: Final = "channel"
SIGNUP_AT: Final = "signup_at"

#: Event types metaseg knows; the set is open, other values are kept as they are.
PURCHASE: Final = "purchase"
VIEW: Final = "view"
ADD_TO_CART: Final = "add_to_cart"
REFUND: Final = "refund"
KNOWN_EVENT_TYPES: Final = (PURCHASE, VIEW, ADD_TO_CART, REFUND)

EVENT_REQUIRED: Final = (CUSTOMER_ID, TIMESTAMP, EVENT_TYPE, AMOUNT)
EVENT_OPTIONAL: Final = (ORDER_ID, QUANTITY, CATEGORY, CHANNEL)
EVENT_COLUMNS: Final = EVENT_REQUIRED + EVENT_OPTIONAL

CUSTOMER_REQUIRED: Final = (CUSTOMER_ID,)

# The labels table, the product of metaseg.
BASE_SEGMENT: Final = "base_segment"
SUB_SEGMENT: Final = "sub_segment"
SEGMENT: Final = "segment"
SEGMENT_NAME: Final = "segment_name"
MODEL_NAME: Final = "model_name"
MODEL_VERSION: Final = "model_version"
RUN_ID: Final = "run_id"
AS_OF: Final = "as_of"
SCORED_AT: Final = "scored_at"
LABEL_COLUMNS: Final = (
    CUSTOMER_ID,
    BASE_SEGMENT,
    SUB_SEGMENT,
    SEGMENT,
    SEGMENT_NAME,
    MODEL_NAME,
    MODEL_VERSION,
    RUN_ID,
    AS_OF,
    SCORED_AT,
)

#: Sub-segment number given to customers a density clusterer left as noise.
NOISE: Final = -1


def segment_code(base_segment: str, sub_segment: int) -> str:
    """Return the segment code shown to CRM teams, e.g. ``"dormant/2"``.

    Examples
    --------
    >>> segment_code("dormant", 2)
    'dormant/2'
    """
    return f"{base_segment}/{int(sub_segment)}"


#: Longest column name a rule or a custom fact may name.
MAX_COLUMN_NAME_CHARS: Final = 128


def check_column_name(
    name: object, *, what: str = "column name", table: str = "column mapping"
) -> str:
    """Validate a column name written in a rule or custom fact: plain characters only.

    Letters, digits, ``_``, ``-`` and inner spaces, not starting with a digit or
    ``__``, at most :data:`MAX_COLUMN_NAME_CHARS` characters: such a name is safe to
    quote as a SQL identifier once it is found in the table's schema.

    Parameters
    ----------
    name : object
        The name as written.
    what : str
        What the name is, for messages (``"fact name"``).
    table : str
        Where a column with another name can be renamed, for messages.

    Examples
    --------
    >>> check_column_name("recency_days")
    'recency_days'
    >>> check_column_name("__class__", what="fact name", table="facts table")
    Traceback (most recent call last):
    ...
    ValueError: a fact name may not start with '__'; name a column of the facts table, such as 'recency_days'
    """
    if not isinstance(name, str):
        raise ValueError(f"a {what} must be text, got {type(name).__name__}")
    if not name or len(name) > MAX_COLUMN_NAME_CHARS:
        raise ValueError(f"a {what} must have 1 to {MAX_COLUMN_NAME_CHARS} characters")
    if name.startswith("__"):
        raise ValueError(
            f"a {what} may not start with '__'; name a column of the {table}, such as "
            "'recency_days'"
        )
    if name != name.strip():
        raise ValueError(f"a {what} may not start or end with spaces")
    if name[0].isdigit() or not all(c.isalnum() or c in "_- " for c in name):
        raise ValueError(
            f"a {what} holds letters, digits, '_', '-' and spaces and does not start with a "
            f"digit; rename the column in the {table} if it needs other characters"
        )
    return name
