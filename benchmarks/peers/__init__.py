"""Peers: other implementations measured next to this library, each in its own process
(``tf_peer.py`` in TensorFlow's interpreter, ``naive_torch.py`` in this one), answering
the JSON tasks of :mod:`.protocol`."""
