"""``AbstractUser``, the columns and behaviour every user model has, and ``AnonymousUser``.

The default model is :class:`duck.auth.models.User` (table ``duck_user``). A project that needs more
columns writes its own and names it in ``AUTH_USER_MODEL``::

    # models.py
    class User(AbstractUser, Model):
        __tablename__ = "users"
        nickname: Mapped[str | None] = mapped_column(String(50), default=None)

    # settings.py
    AUTH_USER_MODEL = "models.User"
    MODELS = ["models"]          # not "duck.auth.models": its table would be created too

``USERNAME_FIELD`` names the column people log in with (``"username"``, or ``"email"``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from duck.auth.hashers import check_password, make_password, needs_rehash
from duck.utils.signing import secret_keys

__all__ = ["AbstractUser", "AnonymousUser"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class AbstractUser:
    """Columns and methods of a user; mix it into a ``Model`` subclass with a ``__tablename__``."""

    USERNAME_FIELD: ClassVar[str] = "username"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, default=None)
    password: Mapped[str] = mapped_column(String(256), default="!")
    is_active: Mapped[bool] = mapped_column(default=True)
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    date_joined: Mapped[datetime] = mapped_column(default=_utcnow)
    last_login: Mapped[datetime | None] = mapped_column(default=None)
    # Sessions remember the value they were logged in with and are anonymous once it moves on:
    # logout with the signed-cookie store, and "log out everywhere", advance it (duck.auth.users).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    def get_username(self) -> str:
        return str(getattr(self, self.USERNAME_FIELD))

    def __str__(self) -> str:
        return self.get_username()

    def set_password(self, raw_password: str | None) -> None:
        """Hash and keep ``raw_password`` (None: no password can log in); commit to store it."""
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        """Whether ``raw_password`` is this user's; rehashes (in memory) a hash made with old parameters."""
        if not check_password(raw_password, self.password):
            return False
        if needs_rehash(self.password):
            self.set_password(raw_password)
        return True

    def session_auth_hash(self) -> str:
        """A digest of the password hash: sessions and tokens keep it, so changing the password ends them."""
        key, _ = secret_keys()
        return hmac.new(key.encode(), b"duck.auth.session:" + self.password.encode(), hashlib.sha256).hexdigest()

    def verify_auth_hash(self, digest: Any) -> bool:
        """Whether ``digest`` is :meth:`session_auth_hash` under the key or one of its fallbacks."""
        if not isinstance(digest, str):
            return False
        key, fallbacks = secret_keys()
        for secret in (key, *fallbacks):
            expected = hmac.new(secret.encode(), b"duck.auth.session:" + self.password.encode(), hashlib.sha256)
            if hmac.compare_digest(expected.hexdigest()[: len(digest)], digest) and len(digest) >= 16:
                return True
        return False


class AnonymousUser:
    """``request.user`` when nobody is logged in: not authenticated, no permissions."""

    id = None
    pk = None
    username = ""
    email = None
    is_active = False
    is_staff = False
    is_superuser = False
    is_authenticated = False
    is_anonymous = True

    def get_username(self) -> str:
        return ""

    def __str__(self) -> str:
        return "AnonymousUser"

    def __repr__(self) -> str:
        return "<AnonymousUser>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnonymousUser)

    def __hash__(self) -> int:
        return 1
