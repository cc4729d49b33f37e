"""The distributed path: customer facts and scoring on Apache Spark.

- :func:`compute_facts_spark` runs the facts SQL generated from the same registry as
  :func:`metaseg.facts.compute_facts` (``facts_sql(..., dialect="spark")``) on Spark
  DataFrames of standard events and customers.
- :func:`add_clv_facts_spark` adds the potential-value facts of a fitted
  :class:`~metaseg.clv.CLVModel` (``p_alive``, ``clv_{h}d``, ...).
- :func:`score_spark` labels a Spark DataFrame of facts with a logged or registered
  segmentation through ``mlflow.pyfunc.spark_udf``.

pyspark is an optional dependency (``pip install "metaseg[spark]"``); it and MLflow are
imported inside the functions, so ``import metaseg.spark`` is cheap.
"""

from metaseg.spark.clv import add_clv_facts_spark
from metaseg.spark.facts import compute_facts_spark
from metaseg.spark.score import score_spark

__all__ = ["add_clv_facts_spark", "compute_facts_spark", "score_spark"]
