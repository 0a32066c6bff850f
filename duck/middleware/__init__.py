"""Middleware shipped with duck, for ``MIDDLEWARE`` in settings.

* ``duck.middleware.security.SecurityMiddleware``: security headers (nosniff, Referrer-Policy,
  X-Frame-Options, CSP, HSTS) and the HTTPS redirect (docs/security.md).
* ``duck.middleware.csrf.CsrfViewMiddleware``: unsafe requests need a token bound to the session.
* ``duck.middleware.compression.CompressionMiddleware``: zstd, br and gzip response bodies, negotiated
  with Accept-Encoding (docs/compression.md).

Sessions and users have theirs in their packages: ``duck.sessions.middleware.SessionMiddleware`` and
``duck.auth.middleware.AuthenticationMiddleware``.
"""
