"""The default user model, ``User`` (table ``duck_user``): list ``"duck.auth.models"`` in ``MODELS``.

Importing this module adds the table to the models' metadata, so a project with a user model of its
own (``AUTH_USER_MODEL``) never imports it.
"""

from __future__ import annotations

from duck.auth.base import AbstractUser
from duck.db.models import Model

__all__ = ["User"]


class User(AbstractUser, Model):
    """A user: username, optional email, Argon2 password hash, is_active, is_staff, last_login."""

    __tablename__ = "duck_user"
