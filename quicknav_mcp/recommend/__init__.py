"""Recommendations: content-based, collaborative and hybrid, context-aware, folded in live.

Import what you need from the submodules; this package imports nothing heavy by itself.
"""
