"""TensorFlow front end: ``from candidate_sampling.compat import tf``.

``tf.nn.*`` and ``tf.random.*`` follow TensorFlow 2 (the samplers, and the default
sampler of the losses, reproduce its eager random streams bit for bit after
``tf.random.set_seed``), ``tf.v1.nn.*`` follows
``tf.compat.v1.nn`` ('mod' partitioning by default), ``tf.contrib.*`` follows
``tf.contrib.nn`` of TensorFlow 1.15.
"""

from . import contrib, nn, random, v1

__all__ = ["nn", "random", "v1", "contrib"]
