"""Framework-free long-tail algorithms (plain Python / tensors), unit-tested by hand-computed cases.

The mmdet modules in :mod:`harness.models` are thin wrappers around these functions.
"""
