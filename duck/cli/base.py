"""What every command shares: the error type the CLI prints as one line."""

from __future__ import annotations

from duck.exceptions import DuckError


class CommandError(DuckError):
    """A command cannot do what was asked; the message is printed as ``duck: error: <message>``."""
