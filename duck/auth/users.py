"""Logging in and out: ``authenticate()``, ``login()``, ``logout()``, ``create_user()`` (docs/security.md).

::

    from duck.auth import authenticate, login, logout

    def sign_in(request):                       # a sync view
        user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
        if user is None:
            return render(request, "login.html", {"error": "Wrong username or password."})
        login(request, user)                     # new session key, user id in the session
        return redirect("/")

``AuthenticationMiddleware`` (after ``SessionMiddleware``) sets ``request.user``: the logged-in user,
or an :class:`AnonymousUser`. Async views call ``await aauthenticate(...)``, ``await alogin(...)`` and
``await alogout(...)``.

A session remembers the user's *session generation* (a column of the user) from its login, and is
anonymous once the generation has moved on: :func:`end_sessions` ("log out everywhere") advances it,
and so does :func:`logout` with the signed-cookie store, whose cookies cannot be forgotten one by one.
Users are read and written with ``get_session()`` in the thread pool: the database work never blocks
the event loop.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from duck.auth.base import AbstractUser, AnonymousUser
from duck.auth.throttle import account_key, login_throttle
from duck.conf import on_setting_changed, settings
from duck.exceptions import ImproperlyConfigured
from duck.sessions.base import CSRF_SESSION_KEY, Session
from duck.utils.imports import import_string

__all__ = [
    "HASH_SESSION_KEY",
    "SESSION_KEY",
    "aauthenticate",
    "alogin",
    "alogout",
    "authenticate",
    "create_user",
    "end_sessions",
    "get_user_model",
    "load_user",
    "login",
    "logout",
    "user_from_session",
]

# Session keys: the logged-in user's id, the digest of their password hash (a password change
# logs every session out) and their session generation at login (end_sessions() logs every session out).
SESSION_KEY = "_auth_user_id"
HASH_SESSION_KEY = "_auth_user_hash"
GENERATION_SESSION_KEY = "_auth_user_generation"

_model: list[Any] = []


@on_setting_changed
def _forget() -> None:
    _model.clear()


def get_user_model() -> Any:
    """The class ``AUTH_USER_MODEL`` names.

    Raises:
        ImproperlyConfigured: it cannot be imported, or is not an ``AbstractUser`` model.
    """
    if not _model:
        path = settings.AUTH_USER_MODEL
        try:
            model = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"AUTH_USER_MODEL = {path!r} cannot be imported: {exc}") from exc
        if not (isinstance(model, type) and issubclass(model, AbstractUser) and hasattr(model, "__table__")):
            raise ImproperlyConfigured(
                f"AUTH_USER_MODEL = {path!r} must be a model class deriving from duck.auth.AbstractUser and Model."
            )
        _model.append(model)
    return _model[0]


def _find(db: Any, identifier: str) -> Any:
    """The user whose USERNAME_FIELD is ``identifier``, else (for an address) whose email is."""
    from sqlalchemy import func, select

    model = get_user_model()
    user = db.scalar(select(model).where(getattr(model, model.USERNAME_FIELD) == identifier))
    if user is None and "@" in identifier and model.USERNAME_FIELD != "email":
        user = db.scalar(select(model).where(func.lower(model.email) == identifier.lower()))
    return user


def authenticate(request: Any, *, username: str, password: str) -> Any | None:
    """The active user with this username (or email) and password, or None.

    Blocking (a query and an Argon2 hash): call it from sync code, or ``await aauthenticate(...)``.

    The attempt is counted before the password is checked, for the account the identifier names
    (or the identifier, when it names nobody) and the client's address.

    Raises:
        TooManyRequests: too many login attempts for this account or address (429, see throttle.py).
    """
    from duck.db import get_session

    address = request.client[0] if request is not None and request.client else None
    model = get_user_model()
    with get_session() as db:
        user = _find(db, username) if username else None
        attempt = login_throttle.attempt(address, account_key(user, username))
        old_hash = user.password if user is not None else None
        valid = user is not None and user.check_password(password) and user.is_active
        if user is None:
            model().check_password(password)  # as slow as a wrong password: no user enumeration by timing
        if valid and user is not None and user.password != old_hash:  # rehashed with today's parameters
            db.commit()
    if not valid:
        return None
    login_throttle.succeeded(attempt)
    return user


async def aauthenticate(request: Any, *, username: str, password: str) -> Any | None:
    """:func:`authenticate` for async code (run in the thread pool)."""
    from duck.utils.sync import run_sync

    return await run_sync(lambda: authenticate(request, username=username, password=password))


def login(request: Any, user: Any) -> None:
    """Log ``user`` in: a new session key (no session fixation), a new CSRF secret, ``last_login`` stored.

    Blocking (updates ``last_login``): from async code, ``await alogin(request, user)``.
    """
    _start_session(request, user)
    _touch_last_login(user)


async def alogin(request: Any, user: Any) -> None:
    """:func:`login` for async code."""
    from duck.utils.sync import run_sync

    _start_session(request, user)
    await run_sync(_touch_last_login, user)


def _start_session(request: Any, user: Any) -> None:
    session = _session_of(request)
    if session.get(SESSION_KEY) not in (None, str(user.id)):
        session.flush()  # another user's data must not leak into this login
    session.cycle_key()
    session.pop(CSRF_SESSION_KEY, None)
    session[SESSION_KEY] = str(user.id)
    session[HASH_SESSION_KEY] = user.session_auth_hash()
    session[GENERATION_SESSION_KEY] = user.session_generation
    request.user = user


def _touch_last_login(user: Any) -> None:
    from sqlalchemy import update

    from duck.db import get_session

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    model = type(user)
    with get_session() as db, db.begin():
        db.execute(update(model).where(model.id == user.id).values(last_login=now))
    user.last_login = now


def logout(request: Any, *, everywhere: bool = False) -> None:
    """Log out: the session is emptied (its cookie deleted) and ``request.user`` is anonymous.

    A server-side store forgets the session, so a copy of its cookie is worthless. A signed cookie
    cannot be forgotten: with that store, the user's session generation moves on, which ends every
    session of the user (all their browsers). ``everywhere=True`` does that with any store.

    Blocking when it ends sessions (a database update): from async code, ``await alogout(request)``.
    """
    user_id = _user_to_log_out_everywhere(request, everywhere)
    if user_id is not None:
        _advance_generation(user_id)
    _session_of(request).flush()
    request.user = AnonymousUser()


async def alogout(request: Any, *, everywhere: bool = False) -> None:
    """:func:`logout` for async code."""
    from duck.utils.sync import run_sync

    user_id = _user_to_log_out_everywhere(request, everywhere)
    if user_id is not None:
        await run_sync(_advance_generation, user_id)
    _session_of(request).flush()
    request.user = AnonymousUser()


def _user_to_log_out_everywhere(request: Any, everywhere: bool) -> Any:
    """The id of the user whose sessions must all end, or None (only this one ends)."""
    session = _session_of(request)
    logged_in = session.get(SESSION_KEY)
    if not everywhere:
        return logged_in if not session.store.server_side else None
    user = request.__dict__.get("user")
    return user.id if user is not None and user.is_authenticated else logged_in


def end_sessions(user: Any) -> None:
    """End every session of ``user``, on every store, from every browser ("log out everywhere"). Blocking.

    Call :func:`login` with the same ``user`` afterwards to start a new session for this browser.
    Bearer tokens are not sessions: they end with a password change, or when they expire.
    """
    user.session_generation = _advance_generation(user.id)


def _advance_generation(user_id: Any) -> int:
    """Move the user's session generation on (atomically, in the database); the new value."""
    from sqlalchemy import select, update

    from duck.db import get_session

    model = get_user_model()
    row = model.id == int(user_id)
    with get_session() as db, db.begin():
        db.execute(update(model).where(row).values(session_generation=model.session_generation + 1))
        return int(db.scalar(select(model.session_generation).where(row)) or 0)


def _session_of(request: Any) -> Any:
    session = request.__dict__.get("session")
    if session is None:
        raise ImproperlyConfigured(
            "Logging in and out needs request.session: add 'duck.sessions.middleware.SessionMiddleware' to MIDDLEWARE."
        )
    return session


def load_user(user_id: Any, auth_hash: Any) -> Any | None:
    """The active user ``user_id`` if ``auth_hash`` matches their password (blocking); else None."""
    if not isinstance(user_id, str) or not user_id.isdigit():
        return None
    from duck.db import get_session

    with get_session() as db:
        user = db.get(get_user_model(), int(user_id))
    if user is None or not user.is_active or not user.verify_auth_hash(auth_hash):
        return None
    return user


def user_from_session(session: Session) -> Any:
    """The user a session is logged in as (blocking), or an AnonymousUser; a stale login is flushed.

    Read with ``peek``: finding the user does not make the response vary on Cookie, reading it does
    (``request.user``, see duck.auth.middleware).
    """
    user_id = session.peek(SESSION_KEY)
    if user_id is None:
        return AnonymousUser()
    user = load_user(user_id, session.peek(HASH_SESSION_KEY))
    if user is None or (session.peek(GENERATION_SESSION_KEY) or 0) != user.session_generation:
        session.flush()  # the user is gone, inactive, changed their password or ended their sessions
        return AnonymousUser()
    return user


def create_user(username: str, password: str | None, *, email: str | None = None, **fields: Any) -> Any:
    """Create and store a user (``password`` None: it cannot log in with a password). Blocking.

    Raises:
        ValueError: an empty username, a password shorter than ``AUTH_PASSWORD_MIN_LENGTH``, or a
            username (or email) that is taken.
    """
    from sqlalchemy.exc import IntegrityError

    from duck.db import get_session

    username = username.strip()
    if not username:
        raise ValueError("A username cannot be empty.")
    if password is not None and len(password) < settings.AUTH_PASSWORD_MIN_LENGTH:
        raise ValueError(f"The password must have at least {settings.AUTH_PASSWORD_MIN_LENGTH} characters.")
    model = get_user_model()
    values = {"is_active": True, "is_staff": False, "is_superuser": False, **fields}
    user = model(**{model.USERNAME_FIELD: username}, **values)
    if email is not None and model.USERNAME_FIELD != "email":
        user.email = email.strip() or None
    user.set_password(password)
    try:
        with get_session() as db, db.begin():
            db.add(user)
    except IntegrityError:
        raise ValueError(f"The {model.USERNAME_FIELD} {username!r} (or that email) is taken.") from None
    return user
