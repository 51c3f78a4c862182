"""The one outbound address policy: where banwatch may connect, and where it may not.

Every request banwatch makes passes here: each Scrapy request and redirect hop (the
downloader middleware ``crawler.netpolicy``), ``banwatch explain``, webhook deliveries and
Apprise targets. The rules:

* only ``http`` and ``https`` URLs;
* no loopback, private (RFC 1918), link-local, cloud metadata, CGNAT (100.64/10),
  multicast, unspecified, reserved or documentation address, no IPv6 ULA/site-local, and
  none of these hidden in an IPv4-mapped, -compatible, 6to4, Teredo or NAT64 address;
* except for what the operator chose: the hosts of the sources, webhooks and Apprise
  addresses configured in settings.toml or with the CLI (*trusted*), and what
  ``[network] allow`` names (a host, an address or a CIDR network).

What arrives from outside (feed entries, redirects, canonical links, the web form) is never
trusted by where it came from: it passes only if its host is public, is one of the trusted
hosts, or is allowed.

    policy = AddressPolicy.from_settings(settings, trusted=["https://ops.example/hook"])
    policy.check_url("http://169.254.169.254/latest/")   # raises AddressRefused (metadata)
    policy.check_url(url, trusted=True)                    # the operator's own URL: scheme only
    ips = policy.resolve(url)                              # resolved and checked, or raises
    policy.check_connected(url, peer_ip)                   # the address actually connected to
    conn = policy.create_connection                        # socket.create_connection, checked
    policy.opener().open(url, timeout=10)                  # urllib, every hop checked

Checking a name and then letting a library resolve it again would let DNS rebinding through
(public at check time, private at connect time). So the policy also checks the address
*actually connected to*: ``create_connection`` resolves, checks every address and connects
to the checked one (``policy.opener()`` is a urllib opener built on it that checks every
redirect hop too), and the Scrapy side checks inside the resolver Twisted connects with.

A refusal is ``AddressRefused`` (a ``FetchError``), carrying ``url``, ``address`` and
``rule``; its message is one line: ``http://10.0.0.5/x: refused 10.0.0.5 (private)``.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from monitor.errors import AddressRefused, FetchError
from monitor.masking import mask_url

if TYPE_CHECKING:
    from monitor.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES: Final = frozenset({"http", "https"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# (network, rule) in the order they are tried: the most specific name first.
_V4_RULES: Final[tuple[tuple[ipaddress.IPv4Network, str], ...]] = tuple(
    (ipaddress.IPv4Network(net), rule)
    for net, rule in (
        ("169.254.169.254/32", "metadata"),
        ("169.254.170.2/32", "metadata"),  # ECS task metadata
        ("100.100.100.200/32", "metadata"),  # Alibaba Cloud metadata
        ("0.0.0.0/8", "unspecified"),
        ("127.0.0.0/8", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("169.254.0.0/16", "link-local"),
        ("100.64.0.0/10", "cgnat"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "reserved"),
        ("198.51.100.0/24", "reserved"),
        ("203.0.113.0/24", "reserved"),
        ("192.88.99.0/24", "reserved"),
        ("198.18.0.0/15", "reserved"),
        ("240.0.0.0/4", "reserved"),
    )
)
_V6_RULES: Final[tuple[tuple[ipaddress.IPv6Network, str], ...]] = tuple(
    (ipaddress.IPv6Network(net), rule)
    for net, rule in (
        ("fd00:ec2::254/128", "metadata"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fe80::/10", "link-local"),
        ("fc00::/7", "ula"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
        ("100::/64", "reserved"),
        ("2001:db8::/32", "reserved"),
        ("2001:10::/28", "reserved"),
        ("2001:20::/28", "reserved"),
        ("64:ff9b:1::/48", "reserved"),
    )
)
# IPv6 forms that carry an IPv4 address: the IPv4 address decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")

# Hosts that inet_aton reads as IPv4 although ipaddress does not: "127.1", "0x7f.1",
# "2130706433", "017700000001". A resolver would connect to them, so the policy reads them.
_LOOSE_V4 = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.I)


def _refused(url: str, address: str, rule: str) -> AddressRefused:
    return AddressRefused(mask_url(url), address, rule)


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, SIIT, 6to4,
    Teredo client, NAT64), or None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = int(ip)
    if ip in _NAT64 or ip in _SIIT or (ip in _COMPATIBLE and packed > 1):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def ip_rule(ip: IPAddress) -> str | None:
    """The rule that forbids connecting to ``ip`` (e.g. ``"loopback"``), or None if public."""
    if isinstance(ip, ipaddress.IPv4Address):
        for net, rule in _V4_RULES:
            if ip in net:
                return rule
        return None if ip.is_global else "reserved"
    for net6, rule in _V6_RULES:
        if ip in net6:
            return rule
    inner = embedded_ipv4(ip)
    if inner is not None:
        inner_rule = ip_rule(inner)
        return f"{inner_rule} (in IPv6 {ip})" if inner_rule else None
    return None if ip.is_global else "reserved"


def literal_ip(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one, in any form a resolver would accept."""
    text = host.strip("[]").rstrip(".")
    if "%" in text:  # an IPv6 zone index: fe80::1%eth0
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LOOSE_V4.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def normal_host(host: str) -> str:
    """Lowercase, no trailing dot, IP literals in their canonical form."""
    ip = literal_ip(host)
    if ip is not None:
        return str(ip)
    return host.strip().rstrip(".").lower()


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, or raises AddressRefused naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise _refused(url, "", "not a valid URL") from None
    if scheme not in SCHEMES:
        raise _refused(
            url, f"{scheme}:" if scheme else "(no scheme)", "scheme is not http or https"
        )
    if not host:
        raise _refused(url, "", "no host")
    return scheme, normal_host(host), port or DEFAULT_PORTS[scheme]


def origin_key(url: str) -> tuple[str, int] | None:
    """(host, port) a URL connects to, http and https on their default ports counted as one
    (a site moving to https stays trusted); None when the URL has no usable host."""
    try:
        scheme, host, port = _split(url)
    except AddressRefused:
        return None
    return host, (0 if port == DEFAULT_PORTS[scheme] else port)


def _allow_entry(entry: str) -> IPNetwork | str:
    text = entry.strip()
    if "/" in text:
        return ipaddress.ip_network(text, strict=False)
    ip = literal_ip(text)
    if ip is not None:
        return ipaddress.ip_network(ip)
    return normal_host(text)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Where banwatch may connect. Build once with ``from_settings``; immutable."""

    trusted: frozenset[tuple[str, int]] = frozenset()
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, *, trusted: Iterable[str] = ()) -> AddressPolicy:
        """The policy for ``settings``: its sources, webhook and Apprise addresses trusted,
        ``[network] allow`` allowed, plus ``trusted`` (URLs the operator gave the CLI or
        stored as operator-owned, e.g. sources added with ``banwatch sources add``)."""
        urls: list[str] = [f.url for f in settings.feeds]
        urls += [s.url for s in settings.sitemaps]
        for site in settings.sites:
            urls += site.start_urls
        urls += [s.address for s in settings.subscriptions if s.channel != "email"]
        urls += list(trusted)
        return cls.build(urls, settings.network.allow)

    @classmethod
    def build(cls, trusted: Iterable[str] = (), allow: Iterable[str] = ()) -> AddressPolicy:
        """A policy trusting the hosts of ``trusted`` URLs and allowing ``allow`` entries
        (host names, addresses or CIDR networks)."""
        keys = {k for url in trusted if (k := _trusted_key(url)) is not None}
        hosts: set[str] = set()
        nets: list[IPNetwork] = []
        for entry in allow:
            parsed = _allow_entry(entry)
            if isinstance(parsed, str):
                hosts.add(parsed)
            else:
                nets.append(parsed)
        return cls(frozenset(keys), frozenset(hosts), tuple(nets))

    def with_trusted(self, urls: Iterable[str]) -> AddressPolicy:
        """This policy, trusting the hosts of ``urls`` as well."""
        keys = {k for url in urls if (k := _trusted_key(url)) is not None}
        return AddressPolicy(self.trusted | keys, self.allow_hosts, self.allow_networks)

    # --- decisions --------------------------------------------------------------------

    def is_trusted(self, url: str) -> bool:
        """True when ``url``'s host is one the operator configured or ``[network] allow``
        names by host: no address check applies to it."""
        key = origin_key(url)
        if key is None:
            return False
        return key in self.trusted or key[0] in self.allow_hosts

    def host_is_trusted(self, host: str) -> bool:
        """Like ``is_trusted`` for a bare host name, on any port (what a resolver sees)."""
        host = normal_host(host)
        return host in self.allow_hosts or any(h == host for h, _ in self.trusted)

    def ip_refusal(self, ip: IPAddress | str) -> str | None:
        """The rule refusing ``ip``, or None when it is public or allowed."""
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        if any(addr in net for net in self.allow_networks if net.version == addr.version):
            return None
        inner = embedded_ipv4(addr)
        if inner is not None and any(inner in net for net in self.allow_networks):
            return None
        return ip_rule(addr)

    def check_ip(self, ip: IPAddress | str, *, url: str = "") -> None:
        """Raise ``AddressRefused`` unless ``ip`` is public or allowed."""
        rule = self.ip_refusal(ip)
        if rule is not None:
            raise _refused(url or str(ip), str(ip), rule)

    def check_url(self, url: str, *, trusted: bool = False, resolve: bool = False) -> None:
        """Raise ``AddressRefused`` unless banwatch may request ``url``.

        Always: http(s) only. ``trusted=True`` (a URL the operator configured) stops there.
        Otherwise a trusted or allowed host passes, an IP literal must be public or allowed,
        and with ``resolve=True`` a host name is resolved and every address checked (a
        blocking DNS lookup: not on the reactor thread; the connect-time check is still
        needed against DNS rebinding, see ``create_connection``)."""
        _scheme, host, _port = _split(url)
        if trusted or self.is_trusted(url):
            return
        ip = literal_ip(host)
        if ip is not None:
            self.check_ip(ip, url=url)
        elif resolve:
            self.resolve(url)

    def opener(
        self,
        *,
        redirects: bool = True,
        on_connect: Callable[[socket.socket], None] | None = None,
    ) -> urllib.request.OpenerDirector:
        """A urllib opener bound to this policy (see the module function ``opener``)."""
        return opener(self, redirects=redirects, on_connect=on_connect)

    def check_connected(self, url: str, ip: IPAddress | str) -> None:
        """The address actually connected to for ``url``: refused unless the host is
        trusted or the address public or allowed."""
        if self.is_trusted(url):
            return
        self.check_ip(ip, url=url)

    def resolve(self, url: str) -> list[IPAddress]:
        """Addresses ``url``'s host resolves to, each checked (trusted hosts unchecked).

        Raises ``AddressRefused`` if any address is refused (a name that resolves to one
        private address among public ones is refused, not tried), ``FetchError`` if the
        name does not resolve."""
        _scheme, host, port = _split(url)
        ips = _resolve(host, port, url)
        if not self.is_trusted(url):
            for ip in ips:
                self.check_ip(ip, url=url)
        return ips

    def create_connection(
        self,
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
        *,
        url: str | None = None,
    ) -> socket.socket:
        """``socket.create_connection`` that connects only to addresses this policy allows
        for ``url`` (default ``http://host:port/``): resolved once, checked, then connected
        to that same address, so a name cannot change its answer in between."""
        host, port = address
        target = url or f"http://{_bracket(host)}:{port}/"
        if self.is_trusted(target):
            return socket.create_connection(address, timeout, source_address)
        ips = _resolve(normal_host(host), port, target)
        for ip in ips:
            self.check_ip(ip, url=target)
        last: OSError | None = None
        for ip in ips:  # the very addresses checked, not a second lookup
            try:
                return socket.create_connection((str(ip), port), timeout, source_address)
            except OSError as exc:
                last = exc
        raise last or OSError(f"cannot connect to {host}:{port}")


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _trusted_key(url: str) -> tuple[str, int] | None:
    key = origin_key(url)
    if key is None and "://" in url:
        # Apprise URLs (json://host/..., mailto://...) name a host too; trust it.
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError:
            return None
        return (normal_host(host), port or 0) if host else None
    return key


def _resolve(host: str, port: int, url: str) -> list[IPAddress]:
    ip = literal_ip(host)
    if ip is not None:
        return [ip]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise FetchError(f"{mask_url(url)}: DNS lookup failed ({reason})") from None
    seen: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if addr not in seen:
            seen.append(addr)
    if not seen:
        raise FetchError(f"{mask_url(url)}: DNS lookup returned no address")
    return seen


# --- urllib: every connection and every redirect hop through the policy ----------------


def _connection_classes(
    policy: AddressPolicy, url: str, on_connect: Callable[[socket.socket], None] | None
) -> tuple[type[http.client.HTTPConnection], type[http.client.HTTPSConnection]]:

    def connect(
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        sock = policy.create_connection(address, timeout, source_address, url=url)
        if on_connect is not None:
            on_connect(sock)
        return sock

    class _HTTP(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class _HTTPS(http.client.HTTPSConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    return _HTTP, _HTTPS


def opener(
    policy: AddressPolicy,
    *,
    redirects: bool = True,
    on_connect: Callable[[socket.socket], None] | None = None,
) -> urllib.request.OpenerDirector:
    """A urllib opener that connects only where ``policy`` allows, checks each redirect hop
    (scheme and address) and never reads ``file:``, ``ftp:`` or ``data:`` URLs or the
    environment's proxies. A refusal surfaces as ``AddressRefused`` (wrapped by urllib in
    ``URLError.reason`` when raised while connecting). ``on_connect`` sees each socket
    opened (e.g. to close it when a total deadline passes)."""
    import urllib.request

    class _HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            policy.check_url(req.full_url)
            return self.do_open(_connection_classes(policy, req.full_url, on_connect)[0], req)

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            policy.check_url(req.full_url)
            return self.do_open(
                _connection_classes(policy, req.full_url, on_connect)[1],
                req,
                context=getattr(self, "_context", None),  # set by HTTPSHandler, not in its stubs
            )

    class _Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = 5

        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: object,
            code: int,
            msg: str,
            headers: object,
            newurl: str,
        ) -> urllib.request.Request | None:
            if not redirects:
                return None
            policy.check_url(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]

    director = urllib.request.OpenerDirector()
    for handler in (
        _HTTPHandler(),
        _HTTPSHandler(),
        _Redirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        director.add_handler(handler)
    return director
