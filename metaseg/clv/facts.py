"""Fit the potential-value model on events and append its facts to a facts table."""

from __future__ import annotations

import pandas as pd

from metaseg import schema
from metaseg._messages import preview
from metaseg.clv.model import CLVModel, clv_fact_columns
from metaseg.clv.settings import CLVSettings
from metaseg.data.report import DataReport
from metaseg.exceptions import ConfigError
from metaseg.facts.clv_summary import compute_repeat_summary
from metaseg.facts.params import parse_as_of
from metaseg.facts.sources import EventsInput

_STEP = "clv_facts"


def _as_of(facts: pd.DataFrame) -> pd.Timestamp:
    as_of = facts.attrs.get("as_of")
    if as_of is None:
        raise ConfigError(
            "facts have no attrs['as_of']; compute them with metaseg.facts.compute_facts, "
            "which records the date the potential-value facts are computed at."
        )
    return parse_as_of(as_of)


def fit_clv_model(
    events: EventsInput, facts: pd.DataFrame, settings: CLVSettings | None = None
) -> CLVModel:
    """Fit the potential-value model on the purchases up to the facts' ``as_of``.

    ``as_of`` is the end of the calibration period; ``facts`` only provides it.
    """
    settings = settings or CLVSettings()
    summary = compute_repeat_summary(
        events, as_of=_as_of(facts), time_unit_days=settings.time_unit_days
    )
    return settings.estimator().fit(summary)


def add_clv_facts(
    facts: pd.DataFrame,
    events: EventsInput,
    model: CLVModel,
    *,
    report: DataReport | None = None,
) -> pd.DataFrame:
    """Append the potential-value facts of a fitted model, as of the facts' ``as_of``.

    Parameters
    ----------
    facts : DataFrame
        From :func:`metaseg.facts.compute_facts`; every customer gets the facts.
    events : DataFrame, path, or list of paths
        The events the facts were computed from.
    model : CLVModel
        Fitted (at fit time, on the calibration period; at scoring, the model's own).
    report : DataReport, optional
        Receives an ``info`` entry counting the customers without a purchase (their
        values are the documented ones: P(alive) 0, no expected purchase, CLV 0).

    Returns
    -------
    DataFrame
        ``facts`` with :func:`~metaseg.clv.clv_fact_columns` added (attrs kept, plus
        ``attrs["clv_without_purchase"]``).
    """
    as_of = _as_of(facts)
    names = clv_fact_columns(model.horizons)
    clash = [n for n in names if n in facts.columns]
    if clash:
        raise ConfigError(
            f"facts already have the potential-value column(s) {preview(clash)}; rename the "
            "customer attribute or turn facts.clv off."
        )
    summary = compute_repeat_summary(events, as_of=as_of, time_unit_days=model.time_unit_days)
    ids = facts[schema.CUSTOMER_ID]
    summary[schema.CUSTOMER_ID] = summary[schema.CUSTOMER_ID].astype(ids.dtype)
    values = model.predict(summary, customer_ids=ids)
    without = int((~ids.isin(summary[schema.CUSTOMER_ID])).sum())
    out = pd.concat([facts, values.drop(columns=schema.CUSTOMER_ID).set_index(facts.index)], axis=1)
    out.attrs = {**facts.attrs, "clv_without_purchase": without}
    if report is not None:
        report.add(
            _STEP,
            "info",
            "customers without a purchase: p_alive 0, expected purchases 0, CLV 0, expected "
            "order value the population mean",
            rows=without,
            column=schema.CUSTOMER_ID,
            unit="customers",
        )
    return out
