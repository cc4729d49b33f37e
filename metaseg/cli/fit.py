"""``metaseg fit``: read data, compute facts, fit the segmentation and log it to MLflow."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from metaseg.config import MetasegConfig
    from metaseg.jobs import Inputs

from metaseg.cli._common import DEFAULT_CONFIG, add_data_arguments, load_job_config, say, step


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``fit`` verb."""
    p = sub.add_parser(
        "fit",
        parents=parents,
        help="fit a segmentation and log it as an MLflow run",
        description="Fit the segmentation a config describes and log it to MLflow.",
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"YAML config (default {DEFAULT_CONFIG})"
    )
    add_data_arguments(p)
    p.add_argument("--experiment", help="MLflow experiment (default: the config's)")
    p.add_argument("--register", metavar="NAME", help="register the model under this name")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fit, log and print the run id and the summary."""
    config = load_job_config(args)
    fitted = fit_and_log(args, config)
    print(f"run_id: {fitted.run.run_id}")
    if fitted.run.registered_version is not None:
        print(f"registered: {fitted.run.registered_name} version {fitted.run.registered_version}")
    print(fitted.model.summary_text())
    return 0


@dataclass
class FitOutcome:
    """What ``fit_and_log`` produced: the inputs, their facts, the model and its run."""

    inputs: Inputs
    facts: pd.DataFrame
    model: Any
    run: Any


def fit_and_log(args: argparse.Namespace, config: MetasegConfig) -> FitOutcome:
    """The fit job shared by ``fit`` and ``demo``."""
    from metaseg import jobs
    from metaseg.tracking import log_fit

    with step(args, "reading data"):
        inputs = jobs.load_inputs(
            config,
            events=getattr(args, "events", None),
            customers=getattr(args, "customers", None),
            as_of=getattr(args, "as_of", None),
        )
    say(args, f"data: {inputs.source}: {len(inputs.events):,} events")
    with step(args, "computing facts"):
        facts = jobs.build_facts(inputs, config, as_of=getattr(args, "as_of", None))
    say(args, f"facts: {len(facts):,} customers as of {facts.attrs.get('as_of')}")
    with step(args, "sub-segmenting") as bar:

        def advance(name: str) -> None:
            bar.set_description_str(f"sub-segmenting {name}")
            bar.update(1)

        model = jobs.fit_model(config, facts, progress=advance)
    tracking = config.tracking
    register = getattr(args, "register", None) or tracking.register_name
    uri = getattr(args, "tracking_uri", None) or tracking.tracking_uri
    if register:
        model = keep_identities(args, model, register, uri, facts)
    run = log_fit(
        model,
        facts,
        experiment=getattr(args, "experiment", None) or tracking.experiment,
        run_name=config.name,
        register=register,
        tracking_uri=uri,
        config=config.model_dump(mode="json"),
        data_report=inputs.report,
        timeout=tracking.timeout,
        max_retries=tracking.max_retries,
    )
    return FitOutcome(inputs, facts, model, run)


def keep_identities(
    args: argparse.Namespace, model: Any, name: str, uri: str | None, facts: pd.DataFrame
) -> Any:
    """Give sub-segments that match the current champion's the champion's ids and names."""
    from metaseg.exceptions import MetasegError, ModelNotFoundError
    from metaseg.over_time import apply_identities, match_identities
    from metaseg.tracking import load_champion

    try:
        champion = load_champion(name, tracking_uri=uri)
    except ModelNotFoundError:
        say(args, f"no champion of {name!r} yet: sub-segment ids start fresh")
        return model
    try:
        match = match_identities(champion.model, model, facts)
    except MetasegError as exc:
        # e.g. the champion reads a fact this config no longer computes: match on the
        # customers both models labelled instead of re-scoring them with the champion
        say(args, f"identities: cannot score with the champion ({exc}); matching on labels")
        match = match_identities(champion.model, model)
    table = match.table
    say(
        args,
        f"identities against {name} version {champion.version}: "
        f"{int((table['status'] == 'matched').sum())} kept, {len(match.new)} new, "
        f"{len(match.vanished)} vanished",
    )
    return apply_identities(model, match)
