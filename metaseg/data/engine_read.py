"""Read, map and validate events in DuckDB, where the Parquet/CSV files lie.

:func:`read_events_engine` does what :func:`metaseg.data.read_events` does, with the
same :class:`~metaseg.data.report.DataReport` entries, but the rows stay in the files:
the column mapping (renames, constant event types, numbers read from text) and the
checks of :mod:`metaseg.data.validate` (null ids, missing or unparseable timestamps,
naive times in the mapping's zone, ``as_of``, non-numeric, missing or infinite amounts,
negative amounts to refunds, event types in lower case, customers losing every event)
run as SQL, counted in one pass over the files. The result is an
:class:`~metaseg.data.engine_query.EventsQuery` that the facts read directly.

What SQL cannot do exactly as pandas does sends the whole read to
:func:`~metaseg.data.read_events` (one ``info`` entry in the report says why): cleaning
steps, keyword categories, event-type and amount rules, a ``timestamp_format``,
timestamp texts other than ISO 8601 without offset, naive times a daylight-saving change
skips or repeats, and any check that the policy turns into an error (pandas then raises
the same :class:`~metaseg.exceptions.DataError` with its usual message).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg.data import _engine_columns as cols
from metaseg.data._checks import (
    MONETARY,
    NO_EVENT_LEFT,
    STAGE_AMOUNT,
    STAGE_TIMESTAMP,
    drop_summary,
    stage_as_of,
)
from metaseg.data._timestamps import utc_instant
from metaseg.data.categories import CategoryKeywords, CategoryTopLevel
from metaseg.data.engine_query import EventsQuery, quote
from metaseg.data.mapping import ConstantEventType, EventMapping, resolve_event_mapping
from metaseg.data.policy import ValidationPolicy
from metaseg.data.readers import _files, _policy, _separator, read_events
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError, DataQualityWarning

__all__ = ["read_events_engine"]

log = logging.getLogger("metaseg")
_STEP = "validate_events"
_READ = "read_events"
_CHECK = "metaseg_check"


class _Fallback(Exception):
    """The SQL path cannot match the pandas path here; the message says why."""


def _ident(name: str) -> str:
    return cols.braces(quote(name))


def _paths(source: Any) -> tuple[list[Path], str]:
    """The files of a path or a list of paths, and their one format."""
    items = [source] if isinstance(source, str | Path) else list(source)
    if not items:
        raise ConfigError("events: the list of paths is empty; give at least one file or folder.")
    found: list[Path] = []
    kinds = set()
    for item in items:
        files, kind = _files(item)
        found.extend(files)
        kinds.add(kind)
    if len(kinds) > 1:
        raise ConfigError(
            f"events: the paths {[str(i) for i in items]} mix CSV and Parquet files. Fix: "
            "give files of one format."
        )
    return found, kinds.pop()


def _static_reason(mapping: EventMapping | None, files: list[Path]) -> str | None:
    """Why a mapping or files need the pandas path, before reading anything."""
    if mapping is not None:
        if mapping.clean:
            return "the mapping has cleaning steps (clean:)"
        if isinstance(mapping.category, CategoryKeywords | CategoryTopLevel):
            return "the mapping derives categories from keywords or a top level"
        if mapping.timestamp_format is not None:
            return "the mapping gives a timestamp_format"
        if not (
            mapping.event_type is None or isinstance(mapping.event_type, str | ConstantEventType)
        ):
            return f"the mapping's event_type rule ({type(mapping.event_type).__name__})"
        if mapping.amount is not None and not isinstance(mapping.amount, str):
            return "the mapping computes amount as a product"
    if any(f.name.lower().endswith(".bz2") for f in files):
        return "bz2-compressed CSV files"
    return None


def read_events_engine(
    source: Any,
    mapping: Any = None,
    *,
    policy: ValidationPolicy | Mapping[str, Any] | None = None,
    as_of: Any = None,
) -> tuple[EventsQuery | pd.DataFrame, DataReport]:
    """Read, map and validate events with DuckDB; pandas where SQL cannot match it.

    Parameters
    ----------
    source : str, Path, list of them, or DataFrame
        A CSV or Parquet file, a folder of them or a list of files/folders (one format).
        A DataFrame is validated with pandas, as :func:`~metaseg.data.read_events` does.
    mapping, policy, as_of
        As for :func:`~metaseg.data.read_events`.

    Returns
    -------
    events : EventsQuery or DataFrame
        The standard events as a query over the files (``len()`` gives their number),
        or a DataFrame when the pandas path was taken.
    report : DataReport
        The entries :func:`~metaseg.data.read_events` records for the same files; on the
        pandas path one more ``info`` entry says why SQL was not used.

    Raises
    ------
    ConfigError, DataError
        As :func:`~metaseg.data.read_events` raises them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"customer_id": ["7", None, "8"],
    ...               "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]),
    ...               "event_type": ["Purchase", "view", "purchase"],
    ...               "amount": [10.0, None, -4.0]}).to_parquet(folder / "events.parquet")
    >>> events, report = read_events_engine(folder / "events.parquet")
    >>> type(events).__name__, len(events)
    ('EventsQuery', 2)
    >>> frame = events.to_pandas().sort_values("customer_id")  # rows in no set order
    >>> frame[["customer_id", "event_type", "amount"]].values.tolist()
    [[7, 'purchase', 10.0], [8, 'refund', 4.0]]
    >>> [(e.reason, e.rows) for e in report][1:3]  # doctest: +NORMALIZE_WHITESPACE
    [('null or empty customer_id', 1),
     ('event_type written in lower case without surrounding spaces', 1)]
    """
    if isinstance(source, pd.DataFrame):
        return read_events(source, mapping, policy=policy, as_of=as_of)
    checked, base = (None, None) if mapping is None else resolve_event_mapping(mapping)
    checked_policy = _policy(base, policy)
    files, kind = _paths(source)
    why = _static_reason(checked, files)
    if why is None:
        import duckdb

        try:
            query, report = _Reader(files, kind, checked, checked_policy, as_of).run(source)
        except _Fallback as reason:
            why = str(reason)
        except duckdb.Error as err:
            why = f"DuckDB could not read the files as pandas does ({str(err).splitlines()[0]})"
        else:
            message = drop_summary(report, what=_READ, total=report.entries[0].rows)
            if message:
                warnings.warn(message, DataQualityWarning, stacklevel=2)
            return query, report
    if not isinstance(source, str | Path):
        raise ConfigError(
            f"events: a list of paths is read with DuckDB only, and these need pandas: {why}. "
            "Fix: put the files in one folder and give the folder."
        )
    events, report = read_events(source, mapping, policy=policy, as_of=as_of)
    report.add(_READ, "info", f"events read with pandas, not DuckDB: {why}", rows=len(events))
    log.info("events read with pandas, not DuckDB: %s", why)
    return events, report


class _Reader:
    """One read: the files' columns, the one counting pass, the report and the query."""

    def __init__(
        self,
        files: list[Path],
        kind: str,
        mapping: EventMapping | None,
        policy: ValidationPolicy,
        as_of: Any,
    ) -> None:
        self.files, self.kind, self.policy = files, kind, policy
        self.mapping = mapping
        self.settings = mapping or EventMapping()
        self.cutoff = None if as_of is None else utc_instant(as_of, timezone=self.settings.timezone)
        self.report = DataReport()

    # --- the files -------------------------------------------------------------------
    def _csv_options(self, names: list[str] | None = None) -> dict[str, Any]:
        separators = {_separator(f) for f in self.files}
        if len(separators) > 1:
            raise _Fallback("the CSV files use different separators")
        options: dict[str, Any] = {
            "sep": separators.pop(),
            "header": True,
            "quotechar": '"',
            "na_values": list(cols.CSV_NULLS),
        }
        if len(self.files) > 1:
            options["union_by_name"] = True
        if names is not None:
            options["dtype"] = dict.fromkeys(names, "VARCHAR")
        return options

    def _sources(self, names: list[str]) -> dict[str, str]:
        """Standard column -> source column, for the columns read from the files."""
        found = {}
        for column in schema.EVENT_COLUMNS:
            named = getattr(self.mapping, column, None) if self.mapping is not None else None
            if isinstance(named, str):
                found[column] = named
            elif named is None and column in names:
                found[column] = column
        return found

    def _extras(self, names: list[str], sources: dict[str, str]) -> dict[str, str]:
        if self.mapping is not None:
            return dict(self.mapping.extra)
        return {n: n for n in names if n not in schema.EVENT_COLUMNS}

    # --- the run ---------------------------------------------------------------------
    def run(self, source: Any) -> tuple[EventsQuery, DataReport]:
        import duckdb

        con = duckdb.connect(config={"preserve_insertion_order": True})
        try:
            return self._run(con, source)
        finally:
            con.close()

    def _draft(self, csv: dict[str, Any], body: str, types: tuple = ()) -> EventsQuery:
        params: list[tuple[str, str, Any]] = [("p_zone", "VARCHAR", self.settings.timezone)]
        params.append(("p_refund", "VARCHAR", schema.REFUND))
        if self.cutoff is not None:
            params.append(("p_cutoff", "TIMESTAMPTZ", self.cutoff.to_pydatetime()))
        if isinstance(self.settings.event_type, ConstantEventType):
            params.append(("p_event_type", "VARCHAR", self.settings.event_type.constant))
        return EventsQuery(
            kind=self.kind,
            files=tuple(str(f) for f in self.files),
            body=body,
            n_rows=0,
            csv=csv,
            params=tuple(params),
            event_types=types,
        )

    def _run(self, con: Any, source: Any) -> tuple[EventsQuery, DataReport]:
        probe = self._draft(self._csv_options() if self.kind == "csv" else {}, "")
        names = list(probe.raw_relation(con).columns)
        if self.mapping is not None:
            self.mapping.check_columns(names)
        sources = self._sources(names)
        constant = isinstance(self.settings.event_type, ConstantEventType)
        required = [c for c in schema.EVENT_REQUIRED if c != schema.EVENT_TYPE or not constant]
        if any(c not in sources for c in required):
            raise _Fallback("a required column is missing")  # pandas names it in its error
        extras = self._extras(names, sources)
        csv = {}
        if self.kind == "csv":
            csv = self._csv_options(list(sources.values()))
        draft = self._draft(csv, "")
        raw = draft.raw_relation(con)
        types = dict(zip(raw.columns, (str(t) for t in raw.dtypes), strict=True))
        self.types = {c: types[s] for c, s in sources.items()}
        self.columns = {c: _ident(s) for c, s in sources.items()}
        flags = self._flags_sql(extras)
        draft = self._draft(csv, "SELECT 1")
        inputs = draft._create_inputs(con, _CHECK)
        self.names = inputs
        self.con = con
        self.flags = flags
        groups = self._count()
        event_types = self._event_types(groups)
        draft = self._draft(csv, "SELECT 1", event_types)
        draft._create_inputs(con, _CHECK)
        counts = self._totals(groups)
        self._check_policy(counts, groups)
        self._record(counts, groups, source)
        body = self._body(counts, extras)
        query = self._draft(csv, body, event_types)
        return EventsQuery(**{**query.__dict__, "n_rows": counts["kept"]}), self.report

    # --- SQL -------------------------------------------------------------------------
    def _flags_sql(self, extras: dict[str, str]) -> str:
        """One row per source row: the raw values and what each check needs."""
        c, t = self.columns, self.types
        cid = c[schema.CUSTOMER_ID]
        has_id = cols.id_present(cid, t[schema.CUSTOMER_ID])
        ts = cols.utc_time(c[schema.TIMESTAMP], t[schema.TIMESTAMP])
        amount = cols.number(c[schema.AMOUNT], t[schema.AMOUNT])
        if has_id is None:
            raise _Fallback(f"customer_id has type {t[schema.CUSTOMER_ID]}")
        if ts is None:
            raise _Fallback(f"timestamp has type {t[schema.TIMESTAMP]}")
        if amount is None:
            raise _Fallback(f"amount has type {t[schema.AMOUNT]}")
        if schema.EVENT_TYPE in c:
            if t[schema.EVENT_TYPE] != "VARCHAR":
                raise _Fallback(f"event_type has type {t[schema.EVENT_TYPE]}")
            event_type = c[schema.EVENT_TYPE]
        else:
            event_type = "(SELECT p_event_type FROM {params})"
        parts = [
            f"{cid} AS m_cid",
            f"{has_id} AS m_has_id",
            f"{cols.id_integral(cid, t[schema.CUSTOMER_ID])} AS m_int",
            f"{event_type} AS m_et",
            f"{ts} AS m_ts",
            f"{c[schema.TIMESTAMP]} AS m_ts_raw",
            f"{amount[0]} AS m_amt",
            f"{c[schema.AMOUNT]} AS m_amt_raw",
            f"{amount[1]} AS m_nn",
            f"{cols.odd_time_texts(c[schema.TIMESTAMP], t[schema.TIMESTAMP])} AS m_odd_ts",
        ]
        naive = self.settings.timezone != "UTC"
        shifted = cols.shifted_by_clock_change(c[schema.TIMESTAMP], t[schema.TIMESTAMP])
        parts.append(f"{shifted if naive and shifted else 'false'} AS m_dst")
        if schema.QUANTITY in c:
            quantity = cols.number(c[schema.QUANTITY], t[schema.QUANTITY])
            if quantity is None:
                raise _Fallback(f"quantity has type {t[schema.QUANTITY]}")
            parts += [f"{quantity[0]} AS m_q", f"{quantity[1]} AS m_q_bad"]
        for column in (schema.ORDER_ID, schema.CATEGORY, schema.CHANNEL):
            if column in c:
                parts.append(f"{c[column]} AS {_ident('m_' + column)}")
        for name, src in extras.items():
            parts.append(f"{_ident(src)} AS {_ident('m_x_' + name)}")
        late = "false" if self.cutoff is None else "m_ts > (SELECT p_cutoff FROM {params})"
        return (
            f"SELECT *, m_has_id AND m_ts IS NOT NULL AND NOT coalesce({late}, false) AS m_a2 "
            f"FROM (SELECT {', '.join(parts)} FROM {{raw}})"
        )

    def _sql(self, text: str) -> str:
        return text.format(**self.names)

    def _count(self) -> pd.DataFrame:
        """The one pass over the files: per raw event type, every count the checks need."""
        finite = "coalesce(isfinite(m_amt), false)"
        infinite = "coalesce(isinf(m_amt), false)"
        usable = "m_a2 AND NOT m_nn"
        quantity = "count_if(m_q_bad)" if schema.QUANTITY in self.columns else "0"
        sql = f"""
            SELECT m_et AS et, count(*) AS n, count_if(m_has_id) AS has,
              count_if(NOT m_has_id) AS null_id,
              count_if(m_has_id AND m_ts IS NULL) AS bad_ts,
              count_if(m_has_id AND m_ts IS NOT NULL AND NOT m_a2) AS late,
              count_if(m_a2) AS a2, count_if(m_a2 AND m_nn) AS nn,
              count_if({usable} AND {infinite}) AS inf,
              count_if({usable} AND NOT {infinite} AND NOT {finite}) AS missing,
              count_if({usable} AND {finite} AND m_amt < 0) AS neg,
              count_if(m_has_id AND NOT m_int) AS text_has,
              count_if({usable} AND NOT {infinite} AND NOT m_int) AS text_any,
              count_if({usable} AND {finite} AND NOT m_int) AS text_finite,
              count_if(m_odd_ts) AS odd_ts, count_if(m_dst) AS dst, {quantity} AS q_bad
            FROM ({self.flags}) GROUP BY m_et"""
        return self.con.execute(self._sql(sql)).df()

    @staticmethod
    def _normal(value: Any) -> str | None:
        return None if value is None or value is pd.NA else str(value).strip().lower()

    def _event_types(self, groups: pd.DataFrame) -> tuple[tuple[str, str, bool], ...]:
        rows = []
        for value in groups["et"]:
            normal = self._normal(value)
            if normal is not None:
                rows.append((str(value), normal, normal in MONETARY))
        return tuple(rows)

    def _totals(self, groups: pd.DataFrame) -> dict[str, Any]:
        normal = [self._normal(v) for v in groups["et"]]
        monetary = pd.Series([n in MONETARY for n in normal], index=groups.index)
        refund = pd.Series([n == schema.REFUND for n in normal], index=groups.index)
        unusable = groups["inf"] + groups["missing"].where(monetary, 0)
        kept = groups["a2"] - groups["nn"] - unusable
        changed = pd.Series(
            [v is not None and n != v for v, n in zip(groups["et"], normal, strict=True)],
            index=groups.index,
        )
        text_alive = groups["text_finite"].where(monetary, groups["text_any"])
        out = {name: int(groups[name].sum()) for name in groups.columns if name != "et"}
        out.update(
            kept=int(kept.sum()),
            unusable=int(unusable.sum()),
            changed=int(groups["has"].where(changed, 0).sum()),
            null_type=int(groups["has"].where(groups["et"].isna(), 0).sum()),
            neg_other=int(groups["neg"].where(~monetary, 0).sum()),
            neg_purchase=int(groups["neg"].where(monetary & ~refund, 0).sum()),
            neg_refund=int(groups["neg"].where(refund, 0).sum()),
            ids_integral_has=int(groups["text_has"].sum()) == 0,
            ids_integral_alive=int(text_alive.sum()) == 0,
        )
        return out

    def _check_policy(self, n: dict[str, Any], groups: pd.DataFrame) -> None:
        """Send to pandas what SQL does not read alike, and every refusal of the policy."""
        p = self.policy
        if n["odd_ts"]:
            raise _Fallback("timestamp texts other than ISO 8601 without offset")
        if n["dst"]:
            raise _Fallback("naive times skipped or repeated by a daylight-saving change")
        if n["q_bad"]:
            raise _Fallback("non-numeric quantities")
        if self.types[schema.CUSTOMER_ID] in ("FLOAT", "DOUBLE") and not (
            n["ids_integral_has"] and n["ids_integral_alive"]
        ):
            raise _Fallback("customer ids are fractional numbers")
        refusals = (
            (n["null_id"] and p.null_customer_ids == "error", "null customer ids"),
            (n["null_type"], "null event types"),
            (n["bad_ts"] and p.invalid_timestamps == "error", "invalid timestamps"),
            (n["late"] and p.after_as_of == "error", "events after as_of"),
            ((n["nn"] or n["unusable"]) and p.invalid_amounts == "error", "invalid amounts"),
            (n["neg_other"], "negative amounts on non-monetary events"),
            (n["neg"] and p.negative_amounts == "error", "negative amounts"),
        )
        for refused, what in refusals:
            if refused:
                raise _Fallback(f"the policy refuses {what}; pandas raises the error")

    # --- the report ------------------------------------------------------------------
    def _numbered(self) -> str:
        return f"SELECT row_number() OVER () - 1 AS m_row, * FROM ({self.flags})"

    def _mon(self) -> str:
        return "m_et IN (SELECT raw FROM {types} WHERE monetary)"

    def _examples(self, mask: str, value: str) -> list[Any]:
        sql = (
            f"SELECT v FROM (SELECT {value} AS v, m_row FROM ({self._numbered()}) WHERE {mask} "
            "ORDER BY m_row LIMIT 100) GROUP BY v ORDER BY min(m_row) LIMIT 5"
        )
        return [row[0] for row in self.con.execute(self._sql(sql)).fetchall()]

    def _rows(self, mask: str) -> list[int]:
        sql = f"SELECT m_row FROM ({self._numbered()}) WHERE {mask} ORDER BY m_row LIMIT 5"
        return [int(row[0]) for row in self.con.execute(self._sql(sql)).fetchall()]

    def _raw(self, values: list[Any], column: str) -> list[Any]:
        """Raw values as pandas shows them: a missing text is NaN, a missing time None."""
        if self.types[column].startswith("TIMESTAMP"):
            return values
        return [float("nan") if v is None else v for v in values]

    def _record(self, n: dict[str, Any], groups: pd.DataFrame, source: Any) -> None:
        add = self.report.add
        described = (
            repr(str(source)) if isinstance(source, str | Path) else repr([str(s) for s in source])
        )
        add(_READ, "info", f"rows read from {described}", n["n"])
        self._record_separators(n["n"])
        if n["null_id"]:
            add(_STEP, "dropped", "null or empty customer_id", n["null_id"],
                column=schema.CUSTOMER_ID, examples=self._rows("NOT m_has_id"))  # fmt: skip
        if n["changed"]:
            mask = "m_has_id AND m_et IN (SELECT raw FROM {types} WHERE raw <> normal)"
            add(_STEP, "changed", "event_type written in lower case without surrounding spaces",
                n["changed"], column=schema.EVENT_TYPE, examples=self._examples(mask, "m_et"))  # fmt: skip
        if n["bad_ts"]:
            found = self._examples("m_has_id AND m_ts IS NULL", "m_ts_raw")
            add(_STEP, "dropped", f"missing or unparseable {schema.TIMESTAMP}", n["bad_ts"],
                column=schema.TIMESTAMP, examples=self._raw(found, schema.TIMESTAMP))  # fmt: skip
        if n["late"]:
            found = self._examples("m_has_id AND m_ts IS NOT NULL AND NOT m_a2", "m_ts")
            add(_STEP, "dropped", f"event after as_of ({self.cutoff})", n["late"],
                column=schema.TIMESTAMP, examples=[str(pd.Timestamp(t)) for t in found])  # fmt: skip
        finite = "coalesce(isfinite(m_amt), false)"
        infinite = "coalesce(isinf(m_amt), false)"
        if n["nn"]:
            found = self._examples("m_a2 AND m_nn", "m_amt_raw")
            add(_STEP, "dropped", "non-numeric amount", n["nn"], column=schema.AMOUNT,
                examples=self._raw(found, schema.AMOUNT))  # fmt: skip
        if n["unusable"]:
            mask = f"m_a2 AND NOT m_nn AND ({infinite} OR ({self._mon()} AND NOT {finite}))"
            add(_STEP, "dropped",
                "missing or infinite amount on a purchase/refund (or infinite on any event)",
                n["unusable"], column=schema.AMOUNT, examples=self._rows(mask))  # fmt: skip
        if n["null_id"] < n["n"] - n["kept"]:
            self._record_lost(n)
        negative = f"m_a2 AND NOT m_nn AND {finite} AND m_amt < 0"
        refunds = "m_et IN (SELECT raw FROM {types} WHERE normal = (SELECT p_refund FROM {params}))"
        if n["neg_purchase"]:
            add(_STEP, "changed", "negative amount: event_type set to refund and amount made positive",
                n["neg_purchase"], column=schema.AMOUNT,
                examples=self._examples(f"{negative} AND NOT ({refunds})", "m_amt"))  # fmt: skip
        if n["neg_refund"]:
            add(_STEP, "changed", "negative refund amount made positive", n["neg_refund"],
                column=schema.AMOUNT, examples=self._examples(f"{negative} AND {refunds}", "m_amt"))  # fmt: skip

    def _record_separators(self, total: int) -> None:
        if self.kind != "csv":
            return
        expected = {f: "\t" if f.name.lower().endswith(".tsv") else "," for f in self.files}
        detected = [f for f in self.files if _separator(f) != expected[f]]
        if not detected:
            return
        import duckdb

        rows = 0
        for file in detected:
            con = duckdb.connect()
            try:
                options = {**self._csv_options(), "union_by_name": False}
                rows += int(con.read_csv(str(file), **options).count("*").fetchone()[0])
            finally:
                con.close()
        separator, wanted = _separator(detected[0]), expected[detected[0]]
        self.report.add(
            _READ,
            "info",
            f"CSV separator detected: {separator!r} (the header line holds no {wanted!r})",
            rows=rows,
            examples=[f.name for f in detected],
        )

    def _stage(self) -> str:
        finite = "coalesce(isfinite(m_amt), false)"
        infinite = "coalesce(isinf(m_amt), false)"
        amount = 2 if self.cutoff is not None else 1
        return (
            "CASE WHEN m_ts IS NULL THEN 0 WHEN NOT m_a2 THEN 1 "
            f"WHEN m_nn OR {infinite} OR ({self._mon()} AND NOT {finite}) THEN {amount} "
            "ELSE -1 END"
        )

    def _record_lost(self, n: dict[str, Any]) -> None:
        """Customers whose every event was dropped, by reason, as pandas counts them."""
        cid = "m_cid"
        sid = cols.id_standard(cid, self.types[schema.CUSTOMER_ID], integral=n["ids_integral_has"])
        sql = (
            f"SELECT {sid} AS sid, min(st), max(st), min(m_row) FROM (SELECT *, {self._stage()} "
            f"AS st FROM ({self._numbered()}) WHERE m_has_id) GROUP BY 1 HAVING min(st) >= 0 "
            "ORDER BY 4"
        )
        rows = self.con.execute(self._sql(sql)).fetchall()
        stages = [STAGE_TIMESTAMP]
        if self.cutoff is not None:
            stages.append(stage_as_of(self.cutoff))
        stages.append(STAGE_AMOUNT)
        names = [f"every event {words}" for words in stages]
        names.append("every event dropped, for more than one of the reasons above")
        for i, name in enumerate(names):
            single = i < len(stages)
            which = [r[0] for r in rows if (r[1] == r[2] == i if single else r[1] != r[2])]
            self.report.add(
                _STEP,
                "dropped",
                f"{name}{NO_EVENT_LEFT}",
                rows=len(which),
                column=schema.CUSTOMER_ID,
                examples=which[:5],
                unit="customers",
            )

    # --- the query -------------------------------------------------------------------
    def _body(self, n: dict[str, Any], extras: dict[str, str]) -> str:
        """The SELECT of the standard events over the raw files."""
        finite = "coalesce(isfinite(m_amt), false)"
        infinite = "coalesce(isinf(m_amt), false)"
        keep = []
        if n["null_id"]:
            keep.append("m_has_id")
        if n["bad_ts"]:
            keep.append("m_ts IS NOT NULL")
        if n["late"]:
            keep.append("m_a2")
        if n["nn"] or n["unusable"]:
            keep.append(
                f"NOT m_nn AND NOT {infinite} AND (NOT coalesce(t.monetary, false) OR {finite})"
            )
        negative = f"({finite} AND m_amt < 0)" if n["neg"] else "false"
        event_type = "coalesce(t.normal, m_et)" if n["changed"] else "m_et"
        if n["neg"]:
            event_type = (
                f"CASE WHEN {negative} THEN (SELECT p_refund FROM {{params}}) ELSE {event_type} END"
            )
        amount = f"CASE WHEN {negative} THEN -m_amt WHEN {finite} THEN m_amt END"
        sid = cols.id_standard(
            "m_cid", self.types[schema.CUSTOMER_ID], integral=n["ids_integral_alive"]
        )
        parts = [
            f"{sid} AS {quote(schema.CUSTOMER_ID)}",
            f"m_ts AS {quote(schema.TIMESTAMP)}",
            f"{event_type} AS {quote(schema.EVENT_TYPE)}",
            f"{amount} AS {quote(schema.AMOUNT)}",
        ]
        for column in (schema.ORDER_ID, schema.QUANTITY, schema.CATEGORY, schema.CHANNEL):
            if column not in self.columns:
                continue
            if column == schema.QUANTITY:
                value = f"CASE WHEN {negative} AND m_q < 0 THEN -m_q ELSE m_q END"
            else:
                value = _ident("m_" + column)
            parts.append(f"{value} AS {quote(column)}")
        for name in extras:
            parts.append(f"{_ident('m_x_' + name)} AS {_ident(name)}")
        where = f" WHERE {' AND '.join(keep)}" if keep else ""
        joined = n["changed"] or n["nn"] or n["unusable"]
        join = " LEFT JOIN {types} t ON t.raw = f.m_et" if joined else ""
        return f"SELECT {', '.join(parts)} FROM ({self.flags}) f{join}{where}"
