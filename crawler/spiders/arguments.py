"""Checking ``-a`` arguments of spiders up front."""


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is the whole explanation."""
