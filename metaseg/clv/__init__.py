"""Potential value: BG/NBD purchases, P(alive) and Gamma-Gamma spend as customer facts.

Fitted by closed-form maximum likelihood with scipy on the repeat-purchase summary
(:mod:`metaseg.facts.clv_summary`); checked against the published CDNOW estimates.
:func:`add_clv_facts` appends the facts of :data:`CLV_FACTS` to a facts table.
"""

from metaseg.clv.bgnbd import BGNBDFit, fit_bgnbd
from metaseg.clv.facts import add_clv_facts, fit_clv_model
from metaseg.clv.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from metaseg.clv.model import CLV_FACTS, CLVModel, clv_fact_columns
from metaseg.clv.settings import CLVSettings
from metaseg.clv.simulate import simulate_summary

__all__ = [
    "CLV_FACTS",
    "BGNBDFit",
    "CLVModel",
    "CLVSettings",
    "GammaGammaFit",
    "add_clv_facts",
    "clv_fact_columns",
    "fit_bgnbd",
    "fit_clv_model",
    "fit_gamma_gamma",
    "simulate_summary",
]
