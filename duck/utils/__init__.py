"""Small helpers shared across duck; nothing here imports the rest of the framework at import time."""
