"""Potential value: BG/NBD purchases, P(alive) and Gamma-Gamma spend as customer facts.

Fitted by closed-form maximum likelihood with scipy on the repeat-purchase summary
(:mod:`metaseg.facts.clv_summary`) and checked against the published CDNOW estimates;
:func:`add_clv_facts` appends the facts of :data:`CLV_FACTS` to a facts table. The names
below are imported on first use, so reading a configuration (``facts.clv``) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "BGNBDFit": "bgnbd",
    "fit_bgnbd": "bgnbd",
    "GammaGammaFit": "gamma_gamma",
    "fit_gamma_gamma": "gamma_gamma",
    "CLV_FACTS": "model",
    "CLVModel": "model",
    "clv_fact_columns": "model",
    "add_clv_facts": "facts",
    "fit_clv_model": "facts",
    "CLVSettings": "settings",
    "simulate_summary": "simulate",
    "fit_with_pymc_marketing": "pymc_backend",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'metaseg.clv' has no attribute {name!r}")
    return getattr(import_module(f"metaseg.clv.{_WHERE[name]}"), name)
