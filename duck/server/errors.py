"""The one exception type duck's server raises to its caller (the CLI prints it as one line)."""

from __future__ import annotations

from duck.exceptions import DuckError


class ServerError(DuckError):
    """The server cannot start or keep running: the port is in use, the address is invalid, workers keep dying.

    The message is one line, says what failed and how to fix it, and is meant to be printed as-is.
    """
