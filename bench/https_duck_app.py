"""The duck side of bench/https_bench.py: bench/duck_app.py's views, served over TLS.

Run: ``python bench/https_duck_app.py PORT CERTFILE KEYFILE`` (the benchmark does it, pinned to one core).
"""

from __future__ import annotations

import sys

from duck_app import urlpatterns

from duck.conf import settings


def main() -> None:
    port, certfile, keyfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-only-not-secret",
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        ROOT_URLCONF=urlpatterns,
        SERVER_ACCESS_LOG=False,
    )
    from duck.server import run

    run("127.0.0.1", port, certfile=certfile, keyfile=keyfile)


if __name__ == "__main__":
    main()
