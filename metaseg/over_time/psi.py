"""Where :class:`~metaseg.fact_reference.FactHistogram` lived before it moved beside the model.

Models pickled by earlier versions refer to ``metaseg.over_time.psi.FactHistogram``; this
name keeps them loadable. New code imports from :mod:`metaseg.fact_reference`.
"""

from metaseg.fact_reference import FactHistogram

__all__ = ["FactHistogram"]
