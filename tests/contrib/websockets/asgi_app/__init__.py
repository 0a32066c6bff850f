"""A tiny project served by a real uvicorn process in the ASGI interop tests."""
