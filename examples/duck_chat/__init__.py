"""Duck's chat app that broadcasts to every connected user (seed: Duck's WebSocket docs)."""
