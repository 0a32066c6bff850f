"""TLS for duck's server: one ``ssl.SSLContext`` built at start, or one clear line saying what is wrong.

``duck runserver --certfile cert.pem --keyfile key.pem`` (or ``SERVER_CERTFILE``/``SERVER_KEYFILE``)
serves https:// and wss:// with the standard library's ``ssl``: TLS 1.2 or newer (RFC 8996 retired 1.0
and 1.1), ALPN advertising ``http/1.1`` only (RFC 7301; duck speaks no HTTP/2, so a client must not
pick h2), no client-initiated renegotiation (a CPU-exhaustion lever for clients), and OpenSSL's
default cipher list.

The context is built once, before binding and before workers are forked, so a missing file, a key
that does not match its certificate or a wrong passphrase stops ``duck runserver`` at once instead
of failing every handshake later.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from duck.conf import ENVIRONMENT_VARIABLE, settings
from duck.exceptions import ImproperlyConfigured

__all__ = ["TLSOptions", "create_ssl_context", "tls_options"]

_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
# The only application protocol duck's server speaks (RFC 7301 ALPN identifier).
ALPN_PROTOCOLS = ["http/1.1"]


@dataclass(frozen=True)
class TLSOptions:
    """Where the certificate and key are, and how strict the handshake is.

    Attributes:
        certfile: PEM file with the certificate chain, leaf first (it may also hold the key).
        keyfile: PEM file with the private key; None when ``certfile`` holds it.
        password: passphrase of an encrypted key.
        min_version: ``"TLSv1.2"`` or ``"TLSv1.3"``.
    """

    certfile: str
    keyfile: str | None = None
    password: str | None = None
    min_version: str = "TLSv1.2"


def tls_options(
    certfile: str | os.PathLike[str] | None = None, keyfile: str | os.PathLike[str] | None = None
) -> TLSOptions | None:
    """The TLS options from the arguments (``--certfile``/``--keyfile``), else from the settings.

    Returns:
        None when no certificate is configured anywhere: the server speaks plain HTTP.

    Raises:
        ImproperlyConfigured: a key file without a certificate.
    """
    configured = settings.configured or bool(os.environ.get(ENVIRONMENT_VARIABLE))
    if certfile is None and keyfile is None and configured:
        certfile, keyfile = settings.SERVER_CERTFILE, settings.SERVER_KEYFILE
    if not certfile:
        if keyfile:
            raise ImproperlyConfigured(
                "A TLS key file was given without a certificate: pass --certfile (or set SERVER_CERTFILE) too."
            )
        return None
    password = settings.SERVER_KEYFILE_PASSWORD if configured else None
    min_version = str(settings.SERVER_SSL_MIN_VERSION) if configured else TLSOptions.min_version
    return TLSOptions(
        certfile=os.fspath(certfile),
        keyfile=os.fspath(keyfile) if keyfile else None,
        password=str(password) if password else None,
        min_version=min_version,
    )


def create_ssl_context(options: TLSOptions) -> ssl.SSLContext:
    """A server-side ``SSLContext`` for ``options``.

    Raises:
        ImproperlyConfigured: one line naming the file and the problem: missing or unreadable, not
            PEM, a key that does not match the certificate, an encrypted key without (or with a
            wrong) passphrase, or an unknown ``SERVER_SSL_MIN_VERSION``.
    """
    version = _VERSIONS.get(options.min_version)
    if version is None:
        raise ImproperlyConfigured(
            f"SERVER_SSL_MIN_VERSION must be 'TLSv1.2' or 'TLSv1.3', not {options.min_version!r}."
        )
    _check_readable(options.certfile, "certificate", "SERVER_CERTFILE or --certfile")
    if options.keyfile is not None:
        _check_readable(options.keyfile, "private key", "SERVER_KEYFILE or --keyfile")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = version
    context.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    context.set_alpn_protocols(ALPN_PROTOCOLS)
    try:
        context.load_cert_chain(options.certfile, options.keyfile, _password(options))
    except ssl.SSLError as exc:
        raise ImproperlyConfigured(_load_error(options, exc)) from None
    return context


def _check_readable(path: str, what: str, where: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise ImproperlyConfigured(f"The TLS {what} file {path} does not exist; check {where}.") from None
    except IsADirectoryError:
        raise ImproperlyConfigured(f"The TLS {what} path {path} is a folder, not a file; check {where}.") from None
    except OSError as exc:
        raise ImproperlyConfigured(f"The TLS {what} file {path} cannot be read: {exc.strerror or exc}.") from None


def _password(options: TLSOptions) -> str | Callable[[], str]:
    """The passphrase, or a callback that refuses to ask: OpenSSL would otherwise prompt on the terminal."""
    if options.password is not None:
        return options.password
    keyfile = options.keyfile or options.certfile

    def no_password() -> str:
        raise ImproperlyConfigured(
            f"The TLS private key in {keyfile} is encrypted: set SERVER_KEYFILE_PASSWORD to its passphrase."
        )

    return no_password


def _load_error(options: TLSOptions, exc: ssl.SSLError) -> str:
    """Translate OpenSSL's reason codes into what to fix."""
    keyfile = options.keyfile or options.certfile
    # OpenSSL 3 reports a key of another type than the certificate's as "no certificate assigned".
    if exc.reason in ("KEY_VALUES_MISMATCH", "NO_CERTIFICATE_ASSIGNED"):
        return f"The TLS private key in {keyfile} does not belong to the certificate in {options.certfile}."
    if options.password is not None and _contains(keyfile, b"ENCRYPTED"):
        return f"The TLS private key in {keyfile} could not be decrypted: check SERVER_KEYFILE_PASSWORD."
    if not _contains(options.certfile, b"-----BEGIN CERTIFICATE-----"):
        return f"{options.certfile} holds no PEM certificate (-----BEGIN CERTIFICATE-----); check SERVER_CERTFILE."
    if not _contains(keyfile, b"PRIVATE KEY-----"):
        hint = "pass --keyfile (SERVER_KEYFILE)" if options.keyfile is None else "check SERVER_KEYFILE"
        return f"{keyfile} holds no PEM private key (-----BEGIN ... PRIVATE KEY-----); {hint}."
    return f"Cannot load the TLS certificate {options.certfile} and key {keyfile}: {exc.reason or exc}."


def _contains(path: str, marker: bytes) -> bool:
    try:
        with open(path, "rb") as file:
            return marker in file.read(1024 * 1024)
    except OSError:
        return False
