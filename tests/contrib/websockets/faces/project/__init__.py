"""The project both servers serve in the faces tests (the issue's snippets plus probes)."""
