"""Checking implementations against the golden vectors of the real TensorFlow and Paddle.

:mod:`.vectors` loads the cases (the one loader, used by the project's tests too);
:mod:`.ops` says which callable and outputs each (op, origin) pair has.
"""

from .vectors import GoldenCase, load_cases, vectors_dir

__all__ = ["GoldenCase", "load_cases", "vectors_dir"]
