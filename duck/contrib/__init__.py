"""Optional parts of duck built on the core: WebSockets, broadcast groups."""
