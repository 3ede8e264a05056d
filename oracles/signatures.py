"""Shared by the ``*_signatures.py`` generators (TensorFlow 2.21, TensorFlow 1.15, Paddle
1.8.5): the Python signature of each public function the compat front ends mirror, as the
real library reports it, into ``spec/signatures/<oracle>.json`` (read by
tests/test_signatures.py).

Each entry maps the function's path under ``candidate_sampling.compat`` to its name in the
real library and its parameters ``[name, kind, repr(default) or null]``. Runs on Python
3.7 and later.
"""
import inspect
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def describe(function):
    """``[[name, kind, repr(default) or None], ...]`` of ``function``'s signature."""
    out = []
    for p in inspect.signature(function).parameters.values():
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        out.append([p.name, p.kind.name, default])
    return out


def write(oracle, library, version, functions):
    """Write ``spec/signatures/<oracle>.json`` for ``functions``: ``{compat path: (name
    in the real library, function)}``."""
    entries = {}
    for path, (name, function) in sorted(functions.items()):
        entries[path] = {"origin": name, "parameters": describe(function)}
    out = os.path.join(HERE, "..", "spec", "signatures", oracle + ".json")
    if not os.path.isdir(os.path.dirname(out)):
        os.makedirs(os.path.dirname(out))
    text = json.dumps({"library": library, "version": version, "functions": entries},
                      indent=1, sort_keys=True)
    # one line per parameter
    text = re.sub(r'\[\s+("[^"]*"|null),\s+("[^"]*"|null),\s+("[^"]*"|null)\s+\]',
                  r"[\1, \2, \3]", text)
    with open(out, "w") as f:
        f.write(text + "\n")
    print("wrote %s: %d functions" % (os.path.relpath(out), len(entries)))
