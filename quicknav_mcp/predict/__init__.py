"""Predictions: the next project or document family a user is likely to open.

Import from the submodules; this package imports nothing heavy by itself.
"""
