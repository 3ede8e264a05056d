"""PNG line charts with nothing but numpy and the standard library.

>>> from candidate_sampling.plot import Series, line_chart
>>> line_chart("loss.png", [Series("train", [1, 2, 3], [0.9, 0.5, 0.4])],
...            title="Loss", xlabel="step", ylabel="loss")  # doctest: +SKIP
"""

from .chart import Series, line_chart

__all__ = ["Series", "line_chart"]
