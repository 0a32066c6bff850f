"""Middleware shipped with duck, for ``MIDDLEWARE`` in settings.

* ``duck.middleware.compression.CompressionMiddleware``: zstd, br and gzip response bodies, negotiated
  with Accept-Encoding (docs/compression.md).
"""
