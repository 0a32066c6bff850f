"""Duck's live notifications pushed with create_task (seed: Duck's WebSocket docs)."""
