"""Duck's quick WebSocket example (seed: Duck's WebSocket docs, "Quick Example")."""
