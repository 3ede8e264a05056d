"""The signature of Paddle 1.8.5's ``fluid.layers.sampled_softmax_with_cross_entropy``,
which ``candidate_sampling.compat.paddle`` mirrors, into spec/signatures/paddle.json.

    .oracle-envs/paddle/bin/python oracles/paddle_signatures.py
"""
from __future__ import print_function

import os
import sys
import warnings

warnings.filterwarnings("ignore")

import paddle  # noqa: E402
import paddle.fluid as fluid  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signatures import write  # noqa: E402

name = "sampled_softmax_with_cross_entropy"
write("paddle", "paddlepaddle", paddle.__version__,
      {"paddle.fluid.layers." + name: ("paddle.fluid.layers." + name,
                                       getattr(fluid.layers, name))})
