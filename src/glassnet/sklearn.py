"""scikit-learn estimators built on glassnet (needs ``pip install 'glassnet[sklearn]'``).

>>> from glassnet.sklearn import GlassClassifier, GlassRegressor
"""

from glassnet.interfaces.estimators import GlassClassifier, GlassRegressor

__all__ = ["GlassClassifier", "GlassRegressor"]
