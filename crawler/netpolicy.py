"""The outbound address policy (``monitor.net``) applied to every Scrapy request.

Two parts, both switched on in ``crawler.settings``:

* ``AddressPolicyMiddleware``, a downloader middleware that sees every request, each
  redirect hop (Scrapy schedules a redirect as a new request) and robots.txt: http(s) only,
  an IP-literal host must be public unless trusted or allowed. The hosts of the sources the
  operator configured are trusted: a source request carries its own URL in
  ``meta["banwatch_configured"]`` (``BanwatchSpider.source_request``), and only that very
  URL earns trust (a redirect keeps the meta but not the URL). Feed entries, redirects and
  links found on pages earn nothing.
* ``PolicyResolver``, the Twisted name resolver Scrapy connects with
  (``TWISTED_DNS_RESOLVER``): for a name that is neither trusted nor allowed it drops every
  refused address before Twisted sees it, so the check applies to the address actually
  connected to and a name that turns private between check and connect (DNS rebinding)
  cannot pass. The middleware turns the resulting lookup failure into ``AddressRefused``.

A refusal is ``monitor.errors.AddressRefused``: the request's errback receives it, the
spider logs one line with the address and the rule and records it on the source; no byte
is sent to the refused address.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider  # type: ignore[import-untyped]

from monitor.config import Settings
from monitor.ingest import AddressPolicy, AddressRefused, literal_ip, mask_url, normal_host

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.internet.interfaces import IAddress, IHostResolution

log = logging.getLogger("banwatch.crawl")


def _policy_for(settings: Any) -> AddressPolicy:
    value = settings.get("BANWATCH_SETTINGS")
    if not isinstance(value, Settings):
        from monitor.config import load_settings

        value = load_settings()
    # A proxy from the environment is the operator's choice too (Scrapy's HttpProxy
    # middleware connects to it); the proxy then resolves the target itself.
    proxies = [u for u in urllib.request.getproxies().values() if "://" in u]
    return AddressPolicy.from_settings(value, trusted=proxies)


@implementer(IHostnameResolver)
class PolicyResolver(CachingHostnameResolver):
    """Scrapy's caching resolver, minus the addresses the policy refuses for untrusted
    names. ``refusals`` keeps the last refused (address, rule) per name for the error."""

    policy: AddressPolicy
    refusals: dict[str, tuple[str, str]]

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PolicyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = _policy_for(crawler.settings)
        resolver.refusals = {}
        return resolver

    def trust(self, url: str) -> None:
        self.policy = self.policy.with_trusted([url])

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        # IP literals were checked before the request left (they cannot rebind); a
        # trusted or allowed name is the operator's to point anywhere.
        receiver: Any = resolutionReceiver
        if literal_ip(hostName) is None and not self.policy.host_is_trusted(hostName):
            receiver = _Checked(resolutionReceiver, hostName, self)
        return super().resolveHostName(
            receiver, hostName, portNumber, addressTypes, transportSemantics
        )


@provider(IResolutionReceiver)
class _Checked:
    """Passes on the addresses the policy allows; remembers the first one it refused."""

    def __init__(self, inner: IResolutionReceiver, host: str, resolver: PolicyResolver):
        # Any: Twisted declares the receiver's methods zope-style, without self.
        self.inner: Any = inner
        self.host, self.resolver = host, resolver

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.inner.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        ip = str(getattr(address, "host", ""))
        rule = self.resolver.policy.ip_refusal(ip) if ip else None
        if rule is None:
            self.inner.addressResolved(address)
        else:
            self.resolver.refusals[normal_host(self.host)] = (ip, rule)

    def resolutionComplete(self) -> None:
        self.inner.resolutionComplete()


class AddressPolicyMiddleware:
    """Downloader middleware: every request and redirect hop passes ``monitor.net``."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy  # used only when the PolicyResolver is not installed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressPolicyMiddleware:
        return cls(_policy_for(crawler.settings))

    @staticmethod
    def _resolver() -> PolicyResolver | None:
        # Looked up per call: Scrapy installs the resolver when the reactor starts, which
        # may be after the middlewares are built.
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        return resolver if isinstance(resolver, PolicyResolver) else None

    @property
    def policy(self) -> AddressPolicy:
        resolver = self._resolver()
        return resolver.policy if resolver is not None else self._policy

    def process_request(self, request: Request) -> None:
        url = request.url
        if request.meta.get("banwatch_configured") == url:
            self._trust(url)
            self.policy.check_url(url, trusted=True)
            return None
        self.policy.check_url(url)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        ip = getattr(response, "ip_address", None)
        if ip is not None and not request.meta.get("proxy"):
            self.policy.check_connected(request.url, ip)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A lookup that failed because the resolver dropped refused addresses is the
        policy's refusal, named as such."""
        from scrapy.exceptions import CannotResolveHostError
        from twisted.internet.error import DNSLookupError

        resolver = self._resolver()
        if resolver is None or not isinstance(exception, DNSLookupError | CannotResolveHostError):
            return None
        host = normal_host(urlsplit(request.url).hostname or "")
        refused = resolver.refusals.get(host)
        if refused is not None:
            raise AddressRefused(mask_url(request.url), *refused) from None
        return None

    def _trust(self, url: str) -> None:
        resolver = self._resolver()
        if resolver is not None:
            if not resolver.policy.is_trusted(url):
                resolver.trust(url)
        elif not self._policy.is_trusted(url):
            self._policy = self._policy.with_trusted([url])
