"""Errors of the model service."""

from __future__ import annotations

from ..errors import QuickNavError


class InsufficientData(QuickNavError):
    """Too few events (or documents) to train a model; nothing stored is changed."""


class TrainingBusy(QuickNavError):
    """Another training run is in progress."""
