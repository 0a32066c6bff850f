"""Middleware shipped with duck, for ``MIDDLEWARE`` in settings.

* ``duck.middleware.security.SecurityMiddleware``: security headers (nosniff, Referrer-Policy,
  X-Frame-Options, CSP, HSTS) and the HTTPS redirect (docs/security.md).
* ``duck.middleware.csrf.CsrfViewMiddleware``: unsafe requests need a token bound to the session.
* ``duck.middleware.compression.CompressionMiddleware``: zstd, br and gzip response bodies, negotiated
  with Accept-Encoding (docs/compression.md).

Sessions and users have theirs in their packages: ``duck.sessions.middleware.SessionMiddleware`` and
``duck.auth.middleware.AuthenticationMiddleware``.

Write your own as Django's (a function or class taking ``get_response``) or, cheaper, as hooks on a
:class:`MiddlewareMixin` subclass, which the dispatcher runs flat (see :mod:`duck.core.pipeline`).
"""

from duck.http.middleware import MiddlewareMixin

__all__ = ["MiddlewareMixin"]
