"""Behind a reverse proxy: the client's address, scheme and host, from headers only trusted proxies may set.

nginx in front of duck terminates TLS and connects from its own address, so the request duck sees
comes from nginx, over plain HTTP. nginx says what it saw in forwarding headers; but any client can
send those headers too, so they count only when the peer is listed in ``TRUSTED_PROXIES``:

- ``X-Forwarded-For`` (or ``for=`` in RFC 7239's ``Forwarded``) is read right to left, each proxy
  having appended the address it received from; addresses of trusted proxies are skipped and the
  first other one is the client (what a client wrote itself sits further left and is never reached);
- ``X-Forwarded-Proto`` / ``proto=`` gives the scheme (``https`` makes ``request.is_secure()`` true);
- ``X-Forwarded-Host`` / ``host=`` gives the Host (still checked against ``ALLOWED_HOSTS``).

``FORWARDED_HEADERS`` picks the family the proxies write; the other is ignored, since a proxy that
does not write a header passes the client's copy through. :func:`resolve_forwarded` is the pure rule;
every front door (duck's server, WSGI, ASGI) calls :func:`apply_forwarded` on the requests it builds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from duck.conf import on_setting_changed, settings

if TYPE_CHECKING:
    from duck.http.datastructures import Headers
    from duck.http.request import Request

__all__ = ["Forwarded", "TrustedProxies", "apply_forwarded", "resolve_forwarded", "trusted_proxies"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
# Most hops read from one header: a longer chain is a client padding it, and bounds the work per request.
_MAX_HOPS = 20


class TrustedProxies:
    """The ``TRUSTED_PROXIES`` networks, parsed once; ``bool()`` is False when there are none."""

    __slots__ = ("any", "networks")

    def __init__(self, entries: list[str] | tuple[str, ...]) -> None:
        self.any = "*" in entries
        self.networks: tuple[Network, ...] = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != "*")

    def __bool__(self) -> bool:
        return self.any or bool(self.networks)

    def __contains__(self, host: str) -> bool:
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Forwarded:
    """What the request looks like from the client's side of the proxies."""

    client: tuple[str, int] | None
    scheme: str
    host: str | None  # None: keep the request's own Host


def resolve_forwarded(
    peer: tuple[str, int] | None, scheme: str, headers: Headers, proxies: TrustedProxies, family: str = "x-forwarded"
) -> Forwarded:
    """The client address, scheme and host of a request that ``peer`` passed on (the pure rule, see above).

    A peer that is not a trusted proxy changes nothing; nor do headers that cannot be read.
    """
    unchanged = Forwarded(peer, scheme, None)
    if peer is None or peer[0] not in proxies:
        return unchanged
    hops = _forwarded_hops(headers) if family == "forwarded" else _x_forwarded_hops(headers)
    if not hops:
        return unchanged
    chosen = hops[0]  # everybody is a trusted proxy: the first of them saw the client
    for hop in reversed(hops):
        if hop.client is None or hop.client[0] not in proxies:
            chosen = hop
            break
    client = chosen.client if chosen.client is not None else peer
    return Forwarded(client, _SCHEMES.get((chosen.proto or "").lower(), scheme), chosen.host or None)


@dataclass(frozen=True)
class _Hop:
    client: tuple[str, int] | None
    proto: str | None
    host: str | None


def _x_forwarded_hops(headers: Headers) -> list[_Hop]:
    addresses = _values(headers, "x-forwarded-for")
    if not addresses:
        return []
    protos = _values(headers, "x-forwarded-proto")
    hosts = _values(headers, "x-forwarded-host")
    hops = []
    for index, address in enumerate(addresses):
        # Proxies that append to every header line up with X-Forwarded-For; one that overwrites
        # Proto/Host leaves a single value, the one the nearest proxy wrote.
        proto = protos[index] if len(protos) == len(addresses) else (protos[-1] if protos else None)
        host = hosts[index] if len(hosts) == len(addresses) else (hosts[-1] if hosts else None)
        hops.append(_Hop(_node(address), proto, host))
    return hops


def _forwarded_hops(headers: Headers) -> list[_Hop]:
    hops = []
    for element in _values(headers, "forwarded"):
        pairs = {}
        for pair in element.split(";"):
            name, sep, value = pair.partition("=")
            if sep:
                pairs[name.strip().lower()] = value.strip().strip('"')
        hops.append(_Hop(_node(pairs.get("for", "")), pairs.get("proto"), pairs.get("host")))
    return hops


def _values(headers: Headers, name: str) -> list[str]:
    values = [item.strip() for line in headers.getlist(name) for item in line.split(",")]
    return [value for value in values if value][-_MAX_HOPS:]


def _node(value: str) -> tuple[str, int] | None:
    """``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:80``, ``2001:db8::1`` -> (host, port); None if unreadable."""
    value = value.strip()
    port = 0
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, rest = value.partition(":")
        port = int(rest) if rest.isdigit() else 0
    else:
        host = value
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        return None  # "unknown", an obfuscated name (RFC 7239 §6.3): not an address to report


_cached: list[TrustedProxies] = []


@on_setting_changed
def _forget() -> None:
    _cached.clear()


def trusted_proxies() -> TrustedProxies:
    """``TRUSTED_PROXIES``, parsed once per settings (checked when settings load)."""
    if not _cached:
        _cached.append(TrustedProxies(list(settings.TRUSTED_PROXIES)))
    return _cached[0]


def apply_forwarded(request: Request) -> None:
    """Set ``request.client``, ``request.scheme`` and its Host from a trusted proxy's forwarding headers.

    Costs one check when ``TRUSTED_PROXIES`` is empty (the default), so front doors call it always.
    """
    proxies = _cached[0] if _cached else trusted_proxies()
    if not proxies:
        return
    forwarded = resolve_forwarded(request.client, request.scheme, request.headers, proxies, settings.FORWARDED_HEADERS)
    request.client = forwarded.client
    request.scheme = forwarded.scheme
    if forwarded.host is not None:
        request.headers["host"] = forwarded.host
