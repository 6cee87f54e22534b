"""Errors that carry a message meant for the person or assistant who caused them."""


class QuickNavError(Exception):
    """Base class: the message is safe and useful to show to the caller."""


class ConfigError(QuickNavError):
    """The configuration (roots, database path, flags) is wrong."""


class StoreError(QuickNavError):
    """The database cannot be opened or used (corrupt, read-only, too new)."""


class InvalidInput(QuickNavError):
    """An argument from outside failed validation."""


class NotFound(QuickNavError):
    """The thing asked for does not exist."""
