"""kmner: Korean medical named-entity recognition toolkit.

The pipeline, one package per stage:
raw text -> gazetteer -> silver -> labelstudio -> gold -> training -> evaluation.
Heavy dependencies (torch, gliner2, label-studio-sdk) are imported lazily inside
the functions that need them so that ``import kmner`` stays fast.
"""

from kmner.core.records import Entity, Record

__version__ = "0.1.0"
__all__ = ["Entity", "Record", "__version__"]
