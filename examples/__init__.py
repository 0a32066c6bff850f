"""Runnable examples: each folder is a tiny duck project (see examples/README.md)."""
