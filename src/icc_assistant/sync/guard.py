"""Where the sync may connect, and for how long: checked on the socket, at every request.

The sync's HTTP client connects through `GuardedBackend`, which resolves the host itself and
refuses to connect when any address it resolves to is not a public one (loopback, private,
link-local and cloud metadata, carrier-grade NAT, reserved...; an IPv6 address that carries an
IPv4 one, through NAT64 or 6to4, is judged as that IPv4 address), unless the deployment listed
the host in ICC_SYNC_PRIVATE_HOSTS. The check is made on the address actually connected to, so
a DNS answer that changes between a check and the request (rebinding), a decimal spelling
(`http://2130706433/`) and redirects (each is a new request) are all caught. The same backend
holds every read and write of a request to one total deadline, which a response dripping one
byte per read timeout would otherwise never reach.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import ssl
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefusedError(Exception):
    """The host resolves to an address the sync may not reach."""


class DeadlineExceededError(Exception):
    """A request went on past its total deadline."""


@dataclass(frozen=True)
class PrivateHosts:
    """The non-public places a deployment lets the sync reach (ICC_SYNC_PRIVATE_HOSTS):
    host names, host:port pairs, addresses and CIDR ranges."""

    hosts: frozenset[str] = frozenset()
    host_ports: frozenset[tuple[str, int]] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> PrivateHosts:
        """Entries as the setting spells them; ValueError names one it cannot read."""
        hosts: set[str] = set()
        host_ports: set[tuple[str, int]] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            host, port = _split_host_port(entry)
            if port is None:
                hosts.add(host)
            else:
                host_ports.add((host, port))
        return cls(frozenset(hosts), frozenset(host_ports), tuple(networks))

    def allows(self, host: str, port: int, address: IPAddress) -> bool:
        """True when the host (as the URL names it), its port or the address it resolved to
        is listed."""
        host = host.strip("[]").lower()
        if host in self.hosts or (host, port) in self.host_ports:
            return True
        return any(address in network for network in self.networks)


def _split_host_port(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port)
    return entry, None


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits and reach it:
# IPv4-mapped (RFC 4291) and the NAT64 well-known prefix (RFC 6052). They are judged as the IPv4
# address they carry; 6to4 (2002::/16, RFC 3056) carries it in bits 16-48 (`sixtofour`).
_CARRIES_IPV4 = (ipaddress.IPv6Network("::ffff:0:0/96"), ipaddress.IPv6Network("64:ff9b::/96"))
# Refused whatever they carry: local-use NAT64 (RFC 8215, a network's own translator),
# IPv4-compatible (deprecated, RFC 4291), SIIT's IPv4-translated (RFC 2765) and site-local
# (deprecated, RFC 3879) addresses. Python's tables call most of them global.
_NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in ("64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96", "fec0::/10")
)


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address; an IPv6 address that carries an IPv4
    one (IPv4-mapped, NAT64, 6to4) is judged as that IPv4 address, and other transition
    addresses (local NAT64, IPv4-compatible, SIIT) and site-local ones are not public."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None:
            return is_public(carried)
        if any(address in network for network in _NOT_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through a translator or tunnel, if any."""
    if any(address in network for network in _CARRIES_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS (`127.0.0.1`, `[::1]`, `2130706433`, `0x7f.1`),
    or None for a name."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return ipaddress.ip_address(infos[0][4][0])


def refusal(host: str, port: int, address: IPAddress, private: PrivateHosts) -> str | None:
    """Why connecting to `address` (what `host` resolved to) is refused, or None."""
    if is_public(address) or private.allows(host, port, address):
        return None
    return (
        f"{host} resolves to {address}, a loopback, private or link-local address; "
        "list it in ICC_SYNC_PRIVATE_HOSTS to crawl it"
    )


class Deadline:
    """When the current request must be over (time.monotonic); one request at a time."""

    def __init__(self) -> None:
        self.at = math.inf
        self.seconds = math.inf

    def start(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def clear(self) -> None:
        self.at = math.inf

    def bound(self, timeout: float | None) -> float:
        """`timeout` shortened to what is left; DeadlineExceededError when nothing is."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlineExceededError(f"no complete answer within {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)

    @contextmanager
    def timeouts(self) -> Iterator[None]:
        """A timeout that ran into the deadline (it was shortened to it) is the deadline's."""
        try:
            yield
        except httpcore.TimeoutException:
            self.bound(None)
            raise


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes end at the request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with self._deadline.timeouts():
            return self._stream.read(max_bytes, self._deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with self._deadline.timeouts():
            self._stream.write(buffer, self._deadline.bound(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        with self._deadline.timeouts():
            tls = self._stream.start_tls(
                ssl_context, server_hostname, self._deadline.bound(timeout)
            )
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to allowed addresses, within the deadline."""

    def __init__(self, private: PrivateHosts, deadline: Deadline) -> None:
        self._private = private
        self._deadline = deadline
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._vetted_addresses(host, port)
        for attempt, address in enumerate(addresses, start=1):
            try:
                with self._deadline.timeouts():
                    stream = self._backend.connect_tcp(
                        str(address), port, self._deadline.bound(timeout), local_address,
                        socket_options,
                    )  # fmt: skip
            except httpcore.ConnectError:
                if attempt == len(addresses):
                    raise
                continue
            return _DeadlineStream(stream, self._deadline)
        raise httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressRefusedError("the sync does not connect to Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def _vetted_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses `host` resolves to, in order; every one must be allowed, so that a
        name answering a public and a private address cannot pick the private one."""
        try:
            infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        for address in addresses:
            reason = refusal(host, port, address, self._private)
            if reason:
                raise AddressRefusedError(reason)
        return list(dict.fromkeys(addresses))


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over GuardedBackend (no proxy: the address checked is the target)."""

    def __init__(self, private: PrivateHosts, deadline: Deadline) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(private, deadline),
        )
