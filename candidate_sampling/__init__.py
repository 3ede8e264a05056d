"""TensorFlow's and Paddle's candidate-sampling losses on any array library.

``sampled_softmax_loss``, ``nce_loss``, the contrib losses, Paddle's
``sampled_softmax_with_cross_entropy`` and the candidate samplers, written once against
the Python Array API: NumPy, PyTorch, JAX, CuPy arrays in, arrays of the same
library and device out, with TensorFlow's numbers in float32.

Front ends with the exact signatures of the originals are in
:mod:`candidate_sampling.compat` (``compat.tf``, ``compat.paddle``).
"""

from . import core
from .core import *  # noqa: F403  (the public API is the core's)

__version__ = "0.1.0"

__all__ = [*core.__all__, "__version__"]
