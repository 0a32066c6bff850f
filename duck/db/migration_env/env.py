"""Alembic's environment for duck projects: run by Alembic for every ``duck db`` command.

Users never edit this file: the database comes from ``DATABASES``, the models from ``MODELS``.
"""

from alembic import context

from duck.db.migrations import run_migrations

run_migrations(context)
