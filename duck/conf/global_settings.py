"""Default values of every setting duck reads, each with the reason for its value.

A project's settings module (named by ``DUCK_SETTINGS_MODULE``) overrides any of them
with an UPPERCASE module-level name. docs/settings.md is the reference for users.

Each default's annotation, or else its type, is the type a project's value must have: it is
checked when settings load (duck/conf/checks.py), so annotate any setting whose default is None.
"""

from collections.abc import Callable
from os import PathLike
from types import ModuleType
from typing import Any, Literal

# --- Core -------------------------------------------------------------------------------
# Technical error pages (tracebacks, the URL patterns tried) are shown only when DEBUG is on.
DEBUG = False
# Signs sessions, CSRF tokens and bearer tokens (duck.utils.signing); startproject generates one. With DEBUG
# off an empty key refuses to start: anyone could forge what it signs.
SECRET_KEY = ""
# Former keys, still accepted when checking signatures (never used to sign): rotate SECRET_KEY without
# logging everybody out. Drop an old key once what it signed has expired.
SECRET_KEY_FALLBACKS: list[str] = []
# Host names this site answers to; others get 400 (DNS rebinding / Host header poisoning).
# With DEBUG on and an empty list, localhost names are allowed, as in Django.
ALLOWED_HOSTS: list[str] = []
# Dotted path of the module holding ``urlpatterns``.
ROOT_URLCONF: str | ModuleType | list[Any] = ""
# Dotted paths of middleware factories, outermost first (Django's get_response onion).
MIDDLEWARE: list[str | Callable[..., Any]] = []
# Charset used to encode str bodies and to decode request bodies without a charset.
DEFAULT_CHARSET = "utf-8"
# Sync views run in a bounded thread pool so they never block the event loop; this is its size.
SYNC_VIEW_THREADS = 40
# Append a slash and redirect when a path does not match but path + "/" does (GET/HEAD only).
APPEND_SLASH = True

# --- Proxies ----------------------------------------------------------------------------
# Addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1") of the reverse proxies in front of duck. Only
# a request from one of them may set the client address, scheme and host with forwarding headers;
# from anyone else those headers are ignored (they could be forged). "*" trusts every peer.
TRUSTED_PROXIES: list[str] = []
# Which forwarding headers the trusted proxies write: "x-forwarded" (X-Forwarded-For/-Proto/-Host, what
# nginx is usually set up with) or "forwarded" (RFC 7239). The other family is ignored: a proxy that
# does not write it passes the client's copy through.
FORWARDED_HEADERS: Literal["x-forwarded", "forwarded"] = "x-forwarded"

# --- Lifecycle --------------------------------------------------------------------------
# Dotted paths of callables (sync or async, no arguments) run in every serving process before it
# takes requests: duck runserver's workers, the ASGI lifespan, a WSGI worker's first request.
ON_STARTUP: list[str] = []
# Dotted paths of callables run at shutdown, after requests in flight finish, before databases close.
ON_SHUTDOWN: list[str] = []

# --- Database ---------------------------------------------------------------------------
# Databases by alias: {"default": {"URL": "sqlite:///db.sqlite3", "OPTIONS": {create_engine() args}}}.
# Empty: no database (startproject's settings use SQLite). DUCK_DATABASE_URL overrides default's URL.
DATABASES: dict[str, dict[str, Any]] = {}
# Modules whose import defines the project's models: migrations, duck check and duck shell load them.
MODELS: list[str] = []
# Commit request.db / request.async_db when the view returns, roll back when it raises (Django's name).
ATOMIC_REQUESTS = False
# Connections each engine keeps open per process, reused across requests. Raise it to the requests
# your process runs at once: connections beyond it are opened and closed per use, which is slow.
DATABASE_POOL_SIZE = 20
# Extra connections opened under load beyond the pool: 20 + 20 lets all 40 sync view threads hold one.
DATABASE_MAX_OVERFLOW = 20
# Seconds a request waits for a free pooled connection before it is answered 503 (pool exhausted).
DATABASE_POOL_TIMEOUT = 10.0
# Seconds to open a new connection before the database counts as unreachable (503, not a hung request).
DATABASE_CONNECT_TIMEOUT = 5.0

# --- Templates --------------------------------------------------------------------------
# Jinja2 environments: template folders in DIRS are searched in order.
TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "duck.template.Jinja2",
        "DIRS": [],
        "OPTIONS": {},
    }
]

# --- Static files -----------------------------------------------------------------------
# URL prefix static files are served under (development server, and templates' static()).
STATIC_URL = "/static/"
# Folder collectstatic copies every static file into, for a front server (nginx) to serve.
STATIC_ROOT: str | PathLike[str] = ""
# Extra folders searched for static files, in order.
STATICFILES_DIRS: list[str | PathLike[str]] = []
# Serve STATIC_URL from the finders in the app itself; on by default with DEBUG, off in production.
SERVE_STATIC: bool | None = None
# collectstatic also writes .gz (and .br/.zst when brotli/zstandard are installed) next to each
# compressible file, which static serving and nginx's gzip_static send to clients that accept them.
STATICFILES_COMPRESS = False

# --- Request data limits ----------------------------------------------------------------
# Largest request body (excluding uploaded files in multipart) read into memory: 413 above it.
# A body larger than this is written to a temporary file as it arrives, never held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB, as Django
# Most form fields accepted in a query string or form body (hash-flooding / CPU guard): 400 above.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Bytes of uploaded files (all the files of one request together) kept in memory; the content of
# any file beyond it is spooled to a temporary file on disk instead.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Folder for spooled uploads; None means the system default temporary folder.
FILE_UPLOAD_TEMP_DIR: str | PathLike[str] | None = None

# --- duck's own server (duck runserver) -------------------------------------------------
# Hard cap on a whole request body on the wire, file uploads included: 413 above it.
SERVER_MAX_BODY_SIZE = 100 * 1024 * 1024
# Largest request head (request line + headers): 431 above it. 64 KiB fits any real browser.
SERVER_MAX_HEAD_SIZE = 64 * 1024
# Longest request target: 414 above it. 8 KiB is what common proxies accept.
SERVER_MAX_URL_LENGTH = 8 * 1024
# Most header fields in a request: 431 above it.
SERVER_MAX_HEADERS = 100
# Seconds an idle keep-alive connection is kept open waiting for the next request.
SERVER_KEEPALIVE_TIMEOUT = 5.0
# Seconds a client has to send a complete request head (slowloris guard); also the longest pause
# allowed between two pieces of a request body.
SERVER_HEAD_TIMEOUT = 10.0
# Bytes per second a request body must average once SERVER_BODY_RATE_GRACE has passed, or 408
# (a body trickled a byte at a time would hold a connection forever); 0 disables. As Kestrel.
SERVER_BODY_MIN_RATE = 240
# Seconds a request body may take before SERVER_BODY_MIN_RATE applies (slow starts are normal).
SERVER_BODY_RATE_GRACE = 5.0
# Most simultaneous connections per process. At the limit a new connection takes the slot of a
# closing, idle or too-slow one (a slow-body attack cannot lock real clients out); if none, 503
# (after waiting up to 1 s for holders the server has not read yet, as in a burst of connections).
SERVER_MAX_CONNECTIONS = 10_000
# Seconds graceful shutdown waits for in-flight requests before closing connections.
SERVER_SHUTDOWN_TIMEOUT = 10.0
# Value of the Server response header; empty string sends none.
SERVER_HEADER = "duck"
# Log one line per request, and one per WebSocket opened and closed (code, duration), on "duck.access".
SERVER_ACCESS_LOG = True
# The HTTP/1.1 request parser: "httptools" (llhttp, C: several times faster) or "h11" (pure Python).
# duck checks the same rules on top of either, so both are exactly as strict.
SERVER_HTTP_PARSER: Literal["httptools", "h11"] = "httptools"
# Bytes buffered for a slow reader before the server stops pulling from a streaming response.
SERVER_WRITE_HIGH_WATER = 64 * 1024
# After an error response the server reads and drops what the client still sends, so the client
# reads the response instead of a TCP reset (RFC 9112 §9.6); for at most this many seconds...
SERVER_LINGER_TIMEOUT = 2.0
# ...and at most this many bytes, so an error cannot be used to make the server read forever.
SERVER_LINGER_MAX_BYTES = 1024 * 1024

# --- TLS (https:// and wss:// from duck's own server) ----------------------------------
# PEM certificate chain, leaf first; set it (or pass --certfile) to serve https:// and wss://.
SERVER_CERTFILE: str | None = None
# PEM private key of SERVER_CERTFILE; None when the certificate file holds the key too.
SERVER_KEYFILE: str | None = None
# Passphrase of an encrypted key; read it from the environment rather than writing it here.
SERVER_KEYFILE_PASSWORD: str | None = None
# Oldest TLS version accepted, "TLSv1.2" or "TLSv1.3": 1.0 and 1.1 are deprecated (RFC 8996).
SERVER_SSL_MIN_VERSION = "TLSv1.2"
# Seconds a client has to complete the TLS handshake; no HTTP timer runs before it ends (slowloris guard).
SERVER_SSL_HANDSHAKE_TIMEOUT = 10.0

# --- Response compression (duck.middleware.compression.CompressionMiddleware) ------------
# Codings offered, best first when a client accepts several equally; None: every installed one of
# zstd, br (packages zstandard, brotli) and gzip. Also the files collectstatic pre-compresses.
COMPRESSION_ENCODINGS: list[str] | None = None
# Bodies smaller than this are sent as they are: the coding's overhead and CPU outweigh the saving.
COMPRESSION_MIN_SIZE = 500
# Levels for bodies compressed per request: fast ones that keep most of the gain (static files
# pre-compressed by collectstatic use the highest levels instead).
COMPRESSION_LEVELS = {"gzip": 6, "br": 4, "zstd": 3}
# Media types sent as they are, being compressed already; "video/*" covers a whole type, and
# +json/+xml types (image/svg+xml) are always compressed.
COMPRESSION_SKIP_TYPES = [
    "image/*",
    "video/*",
    "audio/*",
    "font/woff",
    "font/woff2",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/x-bzip2",
    "application/x-xz",
    "application/zstd",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/pdf",
    "application/octet-stream",
]
# Compress streaming responses too, each chunk flushed as it comes (Server-Sent Events only with
# response.compress = True). Off: every open stream would hold a compressor's memory (up to a few MiB).
COMPRESSION_STREAMING = False

# --- WebSockets -------------------------------------------------------------------------
# Origins allowed to open WebSockets besides the site's own host, e.g. ["https://app.example.com"].
# "*" allows any origin (only for public APIs without cookies).
WEBSOCKET_ALLOWED_ORIGINS: list[str] = []
# Refuse handshakes without an Origin header (non-browser clients) when True.
WEBSOCKET_REQUIRE_ORIGIN = False
# Negotiate permessage-deflate (RFC 7692) when the client offers it.
WEBSOCKET_COMPRESSION = True
# Seconds a compressed connection may go without compressing before its zlib contexts (~40 KiB) are
# freed (checked once per period: freed after 1-2 periods); None keeps them for the connection's life.
WEBSOCKET_COMPRESSION_IDLE_RELEASE: float | None = 10.0
# LZ77 window (9-15 bits) duck answers clients that offer client_max_window_bits (browsers do): a released
# connection keeps 2**N bytes of their history. 10 keeps 1 KiB; 12 compresses chat JSON ~25% smaller.
WEBSOCKET_COMPRESSION_CLIENT_MAX_WINDOW_BITS = 10
# Largest message assembled from fragments (or decompressed), in bytes: close 1009 above it.
WEBSOCKET_MAX_MESSAGE_SIZE = 4 * 1024 * 1024
# Seconds between keepalive pings; None disables them.
WEBSOCKET_PING_INTERVAL: float | None = 20.0
# Seconds to wait for the pong before closing the connection as dead (1011).
WEBSOCKET_PING_TIMEOUT: float | None = 20.0
# Seconds to wait for the peer's close frame after sending ours before dropping TCP.
WEBSOCKET_CLOSE_TIMEOUT = 5.0
# Bytes buffered for a slow reader before send() waits for the socket to drain.
WEBSOCKET_WRITE_HIGH_WATER = 64 * 1024
# Bytes of received messages queued for a handler slower than its client before the socket stops
# being read (TCP then pushes back); reading resumes at a quarter of it. Bounds memory per connection.
WEBSOCKET_RECEIVE_HIGH_WATER = 1024 * 1024
# dwebsocket compatibility: every view accepts WebSockets (with WebSocketMiddleware).
WEBSOCKET_ACCEPT_ALL = False
# Most sync (threaded) WebSocket views running at once; handshakes beyond it get 503.
WEBSOCKET_SYNC_THREADS = 100

# --- Broadcast groups -------------------------------------------------------------------
# "memory" (one process, the default) or "redis" (across processes and machines).
GROUPS_BACKEND: Literal["memory", "redis"] = "memory"
# Redis URL for the redis backend; the DUCK_REDIS_URL environment variable overrides it.
REDIS_URL = "redis://127.0.0.1:6379/0"
# Bytes waiting to be sent to one client above which a broadcast is not given to it (the
# overflow policy applies). 1 MiB holds thousands of chat messages: only a stalled client gets there.
GROUPS_MAX_BUFFER = 1024 * 1024
# "close" closes a client that falls behind with 1013 (try again later); "drop" skips the
# broadcasts that do not fit for that client (it stays connected and misses them).
GROUPS_OVERFLOW_POLICY: Literal["close", "drop"] = "close"
# Prepended to group names to make Redis channel names, so several sites can share one Redis.
GROUPS_REDIS_PREFIX = "duck:groups:"
# Seconds one Redis operation (connect, publish, a subscription being confirmed) may take.
GROUPS_REDIS_TIMEOUT = 5.0
# Longest wait in seconds between two attempts to reconnect to Redis (the wait doubles from 0.1 s).
GROUPS_REDIS_BACKOFF_MAX = 5.0

# --- Sessions (duck.sessions.middleware.SessionMiddleware) -----------------------------
# Where session data lives: "cookie" (signed, in the browser; nothing to run), "database" (the
# duck_session table of the default database), "redis" (REDIS_URL), or a dotted path to a store class.
SESSION_STORE = "cookie"
# Name of the session cookie.
SESSION_COOKIE_NAME = "sessionid"
# Seconds a session lives after it was created, however active (two weeks, as Django).
SESSION_COOKIE_AGE = 14 * 24 * 3600
# Seconds without a request after which a session expires; None: only SESSION_COOKIE_AGE applies.
SESSION_IDLE_TIMEOUT: int | None = None
# The cookie is sent over HTTPS only; None: Secure whenever the request itself is secure.
SESSION_COOKIE_SECURE: bool | None = None
# Hide the session cookie from JavaScript (an XSS cannot steal the session).
SESSION_COOKIE_HTTPONLY = True
# Lax: not sent on cross-site subrequests and POSTs (a first line against CSRF), sent on links.
SESSION_COOKIE_SAMESITE: Literal["Lax", "Strict", "None"] = "Lax"
# Domain of the session cookie (".example.com" shares it with subdomains); None: this host only.
SESSION_COOKIE_DOMAIN: str | None = None
# Path of the session cookie.
SESSION_COOKIE_PATH = "/"
# End the session when the browser closes (a cookie without Max-Age); the server still expires it.
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
# Prepended to session keys in Redis, so several sites can share one Redis.
SESSION_REDIS_PREFIX = "duck:session:"

# --- Users and login (duck.auth) --------------------------------------------------------
# Dotted path of the user model class (duck.auth.models.User, or a project's AbstractUser subclass).
AUTH_USER_MODEL = "duck.auth.models.User"
# Where @login_required and LoginRequiredMixin send anonymous visitors: a path or a route name.
LOGIN_URL = "/login"
# Where LoginView goes after a login when the form names no safe "next" URL.
LOGIN_REDIRECT_URL = "/"
# Where LogoutView goes after a logout; None renders its template instead.
LOGOUT_REDIRECT_URL: str | None = None
# Login attempts checked per minute for one account from one address, then 429 with Retry-After:
# guessing from one place stops here while the real user, elsewhere, still logs in.
LOGIN_THROTTLE_PER_USER_AND_IP = 5
# Login attempts checked per minute from one client address, whatever the accounts (trying many accounts).
LOGIN_THROTTLE_PER_IP = 20
# Login attempts checked per minute for one account from all addresses together: the ceiling against
# guessing spread over many addresses, high enough that locking a user out takes several of them.
LOGIN_THROTTLE_PER_USER = 30
# Where login attempts are counted: "memory" (each process: with N workers an attacker gets N
# allowances) or "redis" (REDIS_URL: one count for every worker and machine).
LOGIN_THROTTLE_STORE: Literal["memory", "redis"] = "memory"
# Shortest password create_user() and SignupView accept.
AUTH_PASSWORD_MIN_LENGTH = 8
# Seconds a bearer token from duck.auth.tokens.create_token() stays valid (a day).
AUTH_TOKEN_MAX_AGE = 24 * 3600

# --- CSRF (duck.middleware.csrf.CsrfViewMiddleware) -------------------------------------
# Origins besides the site's own whose unsafe requests are accepted, e.g. ["https://app.example.com"].
CSRF_TRUSTED_ORIGINS: list[str] = []
# Header carrying the token for JavaScript requests (fetch with X-CSRFToken), as Django.
CSRF_HEADER_NAME = "X-CSRFToken"
# Form field carrying the token (what csrf_input() writes), as Django.
CSRF_FIELD_NAME = "csrfmiddlewaretoken"

# --- Security headers (duck.middleware.security.SecurityMiddleware) ---------------------
# X-Content-Type-Options: nosniff: browsers must not guess a script out of an upload.
SECURE_CONTENT_TYPE_NOSNIFF = True
# Referrer-Policy: full URLs (with their query strings) stay on this site.
SECURE_REFERRER_POLICY: str | None = "same-origin"
# X-Frame-Options: other sites may not frame pages (clickjacking); "SAMEORIGIN" lets this site; None sends none.
X_FRAME_OPTIONS: Literal["DENY", "SAMEORIGIN"] | None = "DENY"
# Cross-Origin-Opener-Policy: a cross-site window opened from here cannot reach back into the page.
SECURE_CROSS_ORIGIN_OPENER_POLICY: str | None = "same-origin"
# Content-Security-Policy sent with every response, e.g. "default-src 'self'"; None sends none.
CONTENT_SECURITY_POLICY: str | None = None
# The same, report-only: try a policy out before enforcing it.
CONTENT_SECURITY_POLICY_REPORT_ONLY: str | None = None
# Strict-Transport-Security max-age in seconds for HTTPS responses; 0 sends none. Browsers then refuse
# plain HTTP to this host for that long: start small (3600) once HTTPS works everywhere.
SECURE_HSTS_SECONDS = 0
# Add includeSubDomains to HSTS (every subdomain must serve HTTPS too).
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
# Add preload to HSTS (for the browsers' built-in lists; hard to undo).
SECURE_HSTS_PRELOAD = False
# Redirect plain-HTTP requests to https:// (301). Behind a proxy set TRUSTED_PROXIES, or every request loops.
SECURE_SSL_REDIRECT = False

# --- Background tasks -------------------------------------------------------------------
# Seconds server-owned tasks get to finish after cancellation at shutdown.
TASKS_SHUTDOWN_TIMEOUT = 5.0
