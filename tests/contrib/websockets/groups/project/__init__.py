"""A project whose views join broadcast groups, served in-process, by ``duck runserver`` and by uvicorn."""
