"""Deliberately wrong implementations the conformance suite must reject (as a third party's
module would be given to ``candidate-sampling conform --impl``)."""
