"""Reading events and customers from a DataFrame, a CSV/Parquet file or a folder of files.

This is the I/O edge of :mod:`metaseg.data`: files are read with pyarrow (a folder is one
dataset whose file schemas are unified), only the columns a mapping needs are read, and
id and timestamp columns of CSV files are read as text so that validation, not the CSV
parser, decides their type and time zone. Mapping and validation are the pure
functions of :mod:`metaseg.data.apply` and :mod:`metaseg.data.validate`.

The separator of a CSV file is read from its header line (decompressed, a byte-order
mark dropped): ``,`` (tab for ``.tsv``) when the line holds it, else the one of ``;``,
tab and ``|`` that splits it into names; the readers record such a detection in their
:class:`~metaseg.data.report.DataReport`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from metaseg import schema
from metaseg._messages import preview
from metaseg.data._checks import drop_summary, lost_customers
from metaseg.data._columns import null_ids, separator_hint
from metaseg.data.apply import apply_customer_mapping, apply_event_mapping
from metaseg.data.cleaning import clean_mask, clean_rows
from metaseg.data.mapping import (
    CustomerMapping,
    DatasetMapping,
    EventMapping,
    resolve_customer_mapping,
    resolve_event_mapping,
)
from metaseg.data.policy import ValidationPolicy
from metaseg.data.report import DataReport
from metaseg.data.validate import _validate_customers, _validate_events
from metaseg.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = ["read_customers", "read_events", "read_table", "table_columns"]

Source = pd.DataFrame | str | Path
_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv")


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    return None


def _files(source: str | Path) -> tuple[list[Path], str]:
    """The data files behind ``source`` and their format (``"csv"`` or ``"parquet"``)."""
    path = Path(source)
    if not path.exists():
        raise ConfigError(
            f"source {str(path)!r} does not exist. Fix: give the path of a CSV or Parquet "
            "file, or of a folder of such files."
        )
    if path.is_file():
        kind = _kind(path)
        if kind is None:
            raise ConfigError(
                f"source {str(path)!r} is neither CSV nor Parquet (by its extension). Fix: "
                f"use one of {', '.join(_CSV + _PARQUET)}, or read it yourself and pass a "
                "DataFrame."
            )
        return [path], kind
    found: dict[str, list[Path]] = {"csv": [], "parquet": []}
    for file in sorted(path.rglob("*")):
        hidden = any(p.startswith((".", "_")) for p in file.relative_to(path).parts)
        kind = _kind(file)
        if file.is_file() and not hidden and kind is not None:
            found[kind].append(file)
    if found["csv"] and found["parquet"]:
        raise ConfigError(
            f"folder {str(path)!r} holds both CSV ({len(found['csv'])}) and Parquet "
            f"({len(found['parquet'])}) files. Fix: keep one format per folder."
        )
    kind = "csv" if found["csv"] else "parquet"
    if not found[kind]:
        raise ConfigError(
            f"folder {str(path)!r} holds no CSV or Parquet file (hidden files and names "
            "starting with '_' are skipped). Fix: check the path."
        )
    return found[kind], kind


#: Separators a CSV header line is looked at for; on a tie the first one listed wins.
SEPARATORS = (",", ";", "\t", "|")
#: Bytes read (after decompression) from the start of a CSV file to find its header line.
_HEADER_BYTES = 1 << 16


def _expected_separator(file: Path) -> str:
    """The separator a file's extension promises: tab for ``.tsv``, else comma."""
    return "\t" if file.name.lower().endswith(".tsv") else ","


def count_separators(header: str) -> dict[str, int]:
    """How often each of :data:`SEPARATORS` occurs in a header line outside double quotes.

    Parameters
    ----------
    header : str
        The text of a CSV file from its start; counting stops at the first line break
        outside quotes.

    Returns
    -------
    dict
        Separator to count, for every separator of :data:`SEPARATORS`.

    Examples
    --------
    >>> counts = count_separators('customer_id;"a;b";amount')
    >>> counts[";"], counts[","]
    (2, 0)
    """
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "\r\n":
            break
        elif char in counts:
            counts[char] += 1
    return counts


def choose_separator(header: str, expected: str = ",") -> str:
    """The separator of a CSV file, from its header line.

    ``expected`` is kept whenever the header holds it; otherwise the separator of
    :data:`SEPARATORS` that occurs most often outside quotes (so that it splits the
    header into several names), and ``expected`` when none occurs (a single column).

    Parameters
    ----------
    header : str
        The start of the file, a byte-order mark already removed.
    expected : str, default ","
        The separator the file's extension promises.

    Returns
    -------
    str
        The separator to read the file with.

    Examples
    --------
    >>> choose_separator("customer_id;timestamp;event_type;amount")
    ';'
    >>> choose_separator("customer_id,timestamp")
    ','
    >>> choose_separator("customer_id")
    ','
    """
    counts = count_separators(header)
    if counts.get(expected, 0):
        return expected
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else expected


def _header(file: Path) -> str:
    """The start of a CSV file as text, decompressed like pyarrow does, BOM removed."""
    try:
        with pa.input_stream(str(file), compression="detect") as stream:
            head = stream.read(_HEADER_BYTES)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"could not read {str(file)!r}: {exc}") from None
    return head.decode("utf-8-sig", errors="replace")


def _separator(file: Path) -> str:
    return choose_separator(_header(file), _expected_separator(file))


def _csv_options(file: Path) -> Any:
    import pyarrow.csv as pacsv

    return pacsv.ParseOptions(delimiter=_separator(file))


def _schemas(files: list[Path], kind: str) -> list[pa.Schema]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    schemas = []
    for file in files:
        try:
            if kind == "parquet":
                schemas.append(pq.read_schema(file))
            else:
                with pacsv.open_csv(file, parse_options=_csv_options(file)) as reader:
                    schemas.append(reader.schema)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"could not read {str(file)!r}: {exc}") from None
    return schemas


def _unify(schemas: list[pa.Schema], files: list[Path]) -> pa.Schema:
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowException, TypeError) as exc:
        raise DataError(
            f"the {len(files)} files of the source have incompatible columns ({exc}). "
            "Fix: give every file the same column names and types."
        ) from None


def _names(schemas: list[pa.Schema]) -> list[str]:
    names: dict[str, None] = {}
    for one in schemas:
        names.update(dict.fromkeys(one.names))
    return list(names)


def _concat_csv(tables: list[pa.Table]) -> pa.Table:
    """Stack CSV tables; a column whose guessed types disagree between files becomes text."""
    types: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for field in table.schema:
            types.setdefault(field.name, set()).add(field.type)
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowException, TypeError):
        conflicting = {name for name, found in types.items() if len(found) > 1}
        fixed = []
        for table in tables:
            for name in conflicting & set(table.column_names):
                index = table.column_names.index(name)
                table = table.set_column(index, name, table[name].cast(pa.string()))
            fixed.append(table)
        return pa.concat_tables(fixed, promote_options="permissive")


def table_columns(source: Source) -> list[str]:
    """Column names of a DataFrame, a file or a folder of files, without reading rows.

    Examples
    --------
    >>> table_columns(pd.DataFrame({"a": [1], "b": [2]}))
    ['a', 'b']
    """
    if isinstance(source, pd.DataFrame):
        return [str(c) for c in source.columns]
    files, kind = _files(source)
    return _names(_schemas(files, kind))


def _read_csv(
    file: Path, separator: str, columns: list[str] | None, text: Sequence[str]
) -> pa.Table:
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in text},
        include_columns=columns,
        strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(delimiter=separator)
    return pacsv.read_csv(file, parse_options=parse, convert_options=convert)


#: A CSV file read with another separator than its extension promises: the file, the
#: separator used, the one expected and the number of rows read from it.
Detected = tuple[Path, str, str, int]


def read_table(
    source: Source, *, columns: Sequence[str] | None = None, text_columns: Iterable[str] = ()
) -> pd.DataFrame:
    """Read a DataFrame, a CSV/Parquet file or a folder of them into a DataFrame.

    Parameters
    ----------
    source : DataFrame, str or Path
        A DataFrame is returned as it is (no copy). A folder is read as one dataset: all
        its CSV or all its Parquet files (recursively; names starting with '.' or '_'
        are skipped), their schemas unified (e.g. int and float become float).
    columns : list of str, optional
        Read only these columns.
    text_columns : iterable of str
        CSV columns to read as text rather than let the parser guess a type.

    Notes
    -----
    A CSV file whose header line holds no ``,`` (no tab for ``.tsv``) but ``;``, tab or
    ``|`` is read with that separator (see :func:`choose_separator`).

    Raises
    ------
    ConfigError
        The path does not exist, or is not a CSV/Parquet file or folder of them.
    DataError
        A file cannot be parsed, or the files' columns are incompatible.

    Examples
    --------
    >>> read_table(pd.DataFrame({"a": [1]}))["a"].tolist()
    [1]
    """
    return _read_source(source, columns=columns, text_columns=text_columns)[0]


def _read_source(
    source: Source, *, columns: Sequence[str] | None = None, text_columns: Iterable[str] = ()
) -> tuple[pd.DataFrame, list[Detected]]:
    """:func:`read_table`, plus the CSV files whose separator was detected.

    Returns
    -------
    frame : DataFrame
        What :func:`read_table` returns.
    detected : list of (Path, str, str, int)
        Per CSV file read with another separator than its extension promises (``;`` in
        a ``.csv`` file, say): the file, the separator used, the one expected and the
        number of rows read from it.
    """
    if isinstance(source, pd.DataFrame):
        return (source if columns is None else source[list(columns)]), []
    if not isinstance(source, str | Path):
        raise ConfigError(
            f"source must be a DataFrame or the path of a CSV/Parquet file or folder, got "
            f"{type(source).__name__}."
        )
    files, kind = _files(source)
    schemas = _schemas(files, kind)
    names = _names(schemas)
    wanted = None if columns is None else list(columns)
    if wanted is not None:
        missing = [c for c in wanted if c not in names]
        if missing:
            raise DataError(
                f"source {str(source)!r} has no column(s) {missing}; it has "
                f"{preview(names, limit=30)}.{separator_hint(names)}"
            )
    detected: list[Detected] = []
    try:
        if kind == "parquet":
            import pyarrow.dataset as ds

            unified = _unify(schemas, files)
            table = ds.dataset(files, format="parquet", schema=unified).to_table(columns=wanted)
        else:
            text = [c for c in text_columns if c in names]
            tables = []
            for file in files:
                separator = _separator(file)
                tables.append(_read_csv(file, separator, wanted, text))
                expected = _expected_separator(file)
                if separator != expected:
                    detected.append((file, separator, expected, tables[-1].num_rows))
            table = _concat_csv(tables)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"could not read {str(source)!r}: {exc}. Fix: check that the files are valid "
            f"{kind.upper()} with the same columns."
        ) from None
    return table.to_pandas(split_blocks=True, self_destruct=True), detected


def _record_separators(report: DataReport, step: str, detected: list[Detected]) -> None:
    """One ``info`` entry per detected separator: how many rows, from which files."""
    groups: dict[tuple[str, str], list[Detected]] = {}
    for one in detected:
        groups.setdefault((one[1], one[2]), []).append(one)
    for (separator, expected), files in groups.items():
        report.add(
            step,
            "info",
            f"CSV separator detected: {separator!r} (the header line holds no {expected!r})",
            rows=sum(one[3] for one in files),
            examples=[one[0].name for one in files],
        )


def _describe_source(source: Source) -> str:
    return "a DataFrame" if isinstance(source, pd.DataFrame) else repr(str(source))


def _resolve(
    mapping: EventMapping | CustomerMapping | None, column: str, names: list[str]
) -> str | None:
    """The source column that will become standard ``column`` (``None``: not there)."""
    if mapping is None:
        return column if column in names else None
    named = getattr(mapping, column)
    if isinstance(named, str):
        return named
    return column if named is None and column in names else None


def _load(
    source: Source,
    mapping: EventMapping | CustomerMapping | None,
    text_fields: Sequence[str],
) -> tuple[pd.DataFrame, list[Detected]]:
    names = table_columns(source)
    if mapping is not None:
        mapping.check_columns(names)
    if isinstance(source, pd.DataFrame):
        return source, []
    every = mapping is None or mapping.reads_every_column()
    columns = None if every else mapping.source_columns(names)
    text = [c for c in (_resolve(mapping, f, names) for f in text_fields) if c is not None]
    return _read_source(source, columns=columns, text_columns=text)


def _sources(
    mapping: EventMapping | CustomerMapping | None, fields: Sequence[str]
) -> dict[str, str]:
    if mapping is None:
        return {}
    return {f: getattr(mapping, f) for f in fields if isinstance(getattr(mapping, f), str)}


def _policy(
    base: ValidationPolicy | None, given: ValidationPolicy | Mapping[str, Any] | None
) -> ValidationPolicy:
    """The mapping's policy, with the fields the caller set replacing its own."""
    if base is None:
        return ValidationPolicy.coerce(given)
    return base.updated_by(given)


def clean_events_source(
    frame: pd.DataFrame,
    mapping: EventMapping,
    *,
    report: DataReport,
    step: str,
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """Run an events mapping's ``clean:`` steps on its source table; the rows kept.

    Besides each step's row count, the customers whose every row the steps dropped are
    counted (``unit="customers"``, by step), as validation counts those it empties. The
    rows kept hold the columns the mapping uses, and those of ``carry``.
    """
    mapping.check_columns(frame.columns)
    stages = clean_mask(frame, mapping.clean, report=report, step=step)
    if not stages:
        return frame
    alive = stages[-1][1]
    source = mapping.customer_id or schema.CUSTOMER_ID
    if source in frame.columns:
        ids = frame[source]
        lost_customers(ids, ~null_ids(ids), alive, stages, report=report, step=step)
    if alive.all():
        return frame
    # Only the columns the mapping itself uses are carried on (and filtered).
    used = mapping.model_copy(update={"clean": []}).source_columns(frame.columns)
    used += [c for c in carry if c not in used]
    return frame.loc[alive, used]


def events_from_frame(
    frame: pd.DataFrame,
    mapping: EventMapping | None,
    *,
    policy: ValidationPolicy,
    as_of: Any = None,
    report: DataReport,
    step: str = "validate_events",
    clean_step: str = "read_events/clean",
) -> pd.DataFrame:
    """Clean, map and validate a source table already in memory (records in ``report``).

    The pure core of :func:`read_events`, shared with the dataset loaders; it never
    warns. Cleaning entries are recorded under ``clean_step``, validation under ``step``.
    """
    if mapping is not None and mapping.clean:
        frame = clean_events_source(frame, mapping, report=report, step=clean_step)
        mapping = mapping.model_copy(update={"clean": []})
    standard = apply_event_mapping(frame, mapping)
    settings = mapping or EventMapping()
    return _validate_events(
        standard,
        as_of=as_of,
        policy=policy,
        timezone=settings.timezone,
        timestamp_format=settings.timestamp_format,
        report=report,
        step=step,
        sources=_sources(mapping, schema.EVENT_COLUMNS),
    )


def customers_from_frame(
    frame: pd.DataFrame,
    mapping: CustomerMapping | None,
    *,
    policy: ValidationPolicy,
    report: DataReport,
    step: str = "validate_customers",
    clean_step: str = "read_customers/clean",
) -> pd.DataFrame:
    """Clean, map and validate a customers source table already in memory.

    The pure core of :func:`read_customers`, shared with the dataset loaders.
    """
    if mapping is not None and mapping.clean:
        mapping.check_columns(frame.columns)
        frame = clean_rows(
            frame, mapping.clean, report=report, step=clean_step, section="customers"
        )
    standard = apply_customer_mapping(frame, mapping)
    settings = mapping or CustomerMapping()
    return _validate_customers(
        standard,
        policy=policy,
        timezone=settings.timezone,
        timestamp_format=settings.timestamp_format,
        report=report,
        step=step,
        sources=_sources(mapping, (schema.CUSTOMER_ID, schema.SIGNUP_AT)),
    )


def read_events(
    source: Source,
    mapping: EventMapping | DatasetMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    as_of: Any = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Read, map and validate an events table.

    Parameters
    ----------
    source : DataFrame, str or Path
        A DataFrame, a CSV or Parquet file, or a folder of them (read as one dataset).
    mapping : EventMapping, DatasetMapping, dict, str or Path, optional
        How source columns become the standard ones (a YAML path or text, a dict, or a
        model). ``None`` means the source already uses the standard names; all its
        columns are kept.
    policy : ValidationPolicy or dict, optional
        What to do with bad rows (see :class:`ValidationPolicy`).
    as_of : str or datetime, optional
        Events after it are dropped (or refused, by policy); a naive value is read in the
        mapping's time zone.

    Returns
    -------
    events : DataFrame
        The standard events table.
    report : DataReport
        Rows read, dropped and changed.

    Raises
    ------
    ConfigError
        Bad mapping or policy, a mapping naming columns the source lacks, a bad path.
    DataError
        Bad data under an ``"error"`` policy, missing required columns, unreadable files.

    Warns
    -----
    DataQualityWarning
        When rows were dropped.

    Examples
    --------
    >>> raw = pd.DataFrame({"user": ["u1", "u2"], "ts": ["2024-05-01 10:00", "2024-05-02 11:00"],
    ...                     "revenue": [12.5, 3.0]})
    >>> events, report = read_events(raw, {"customer_id": "user", "timestamp": "ts",
    ...                                    "event_type": {"constant": "purchase"},
    ...                                    "amount": "revenue"})
    >>> events.columns.tolist()
    ['customer_id', 'timestamp', 'event_type', 'amount']
    """
    checked_mapping, base = (None, None) if mapping is None else resolve_event_mapping(mapping)
    checked_policy = _policy(base, policy)
    frame, detected = _load(
        source,
        checked_mapping,
        (schema.CUSTOMER_ID, schema.TIMESTAMP, schema.ORDER_ID),
    )
    report = DataReport()
    report.add("read_events", "info", f"rows read from {_describe_source(source)}", len(frame))
    _record_separators(report, "read_events", detected)
    events = events_from_frame(
        frame, checked_mapping, policy=checked_policy, as_of=as_of, report=report
    )
    message = drop_summary(report, what="read_events", total=len(frame))
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return events, report


def read_customers(
    source: Source,
    mapping: CustomerMapping | DatasetMapping | Mapping[str, Any] | str | Path | None = None,
    *,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, DataReport]:
    """Read, map and validate a customers table (one row per ``customer_id``).

    Parameters
    ----------
    source : DataFrame, str or Path
        A DataFrame, a CSV or Parquet file, or a folder of them.
    mapping : CustomerMapping, DatasetMapping, dict, str or Path, optional
        ``customer_id``, ``signup_at`` and ``attributes`` to keep; ``None`` keeps every
        column of a source that already has a ``customer_id`` column.
    policy : ValidationPolicy or dict, optional
        ``null_customer_ids``, ``duplicate_customers`` and ``invalid_timestamps`` apply.

    Returns
    -------
    customers : DataFrame
    report : DataReport

    Examples
    --------
    >>> raw = pd.DataFrame({"Customer ID": [12346.0, 12347.0], "Country": ["UK", "Iceland"]})
    >>> customers, _ = read_customers(raw, {"customer_id": "Customer ID",
    ...                                     "attributes": {"country": "Country"}})
    >>> customers.to_dict("list")
    {'customer_id': [12346, 12347], 'country': ['UK', 'Iceland']}
    """
    checked_mapping, base = (None, None) if mapping is None else resolve_customer_mapping(mapping)
    checked_policy = _policy(base, policy)
    frame, detected = _load(source, checked_mapping, (schema.CUSTOMER_ID, schema.SIGNUP_AT))
    report = DataReport()
    report.add("read_customers", "info", f"rows read from {_describe_source(source)}", len(frame))
    _record_separators(report, "read_customers", detected)
    customers = customers_from_frame(frame, checked_mapping, policy=checked_policy, report=report)
    message = drop_summary(report, what="read_customers", total=len(frame))
    if message:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return customers, report
