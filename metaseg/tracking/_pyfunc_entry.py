"""Entry file of a logged metaseg model: MLflow runs it to build the pyfunc model.

It is copied into every logged model (MLflow's "models from code") and must not be
imported by anything else, because importing it registers the model with MLflow.
"""

from mlflow.models import set_model

from metaseg.tracking.pyfunc import SegmenterModel

set_model(SegmenterModel())
