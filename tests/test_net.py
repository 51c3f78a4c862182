"""monitor.net: the outbound address policy, rule by rule, without any connection (literal
addresses only), plus its urllib opener against real loopback servers (127.0.0.0/8 only)."""

from __future__ import annotations

import ipaddress
import urllib.error

import pytest

from monitor.config import ConfigError, settings_from_dict
from monitor.errors import AddressRefused, FetchError
from monitor.masking import mask_url
from monitor.net import AddressPolicy, ip_rule, literal_ip

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("169.254.1.1", "link-local"),
    ("100.64.0.1", "cgnat"),
    ("100.127.255.254", "cgnat"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.1", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fd00::1", "ula"),
    ("fc00::5", "ula"),
    ("fd00:ec2::254", "metadata"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "reserved"),
    ("fec0::1", "site-local"),
]
# IPv6 forms carrying a forbidden IPv4 address.
HIDDEN_V4 = [
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "metadata"),
    ("::10.0.0.1", "private"),  # IPv4-compatible
    ("2002:a9fe:a9fe::", "metadata"),  # 6to4 of 169.254.169.254
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("64:ff9b::7f00:1", "loopback"),
    ("::ffff:0:c0a8:101", "private"),  # SIIT of 192.168.1.1
]
PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::",
]


@pytest.mark.parametrize(("ip", "rule"), REFUSED)
def test_forbidden_addresses_are_named_by_rule(ip: str, rule: str) -> None:
    assert ip_rule(ipaddress.ip_address(ip)) == rule


@pytest.mark.parametrize(("ip", "rule"), HIDDEN_V4)
def test_ipv6_forms_of_forbidden_ipv4_are_refused(ip: str, rule: str) -> None:
    found = ip_rule(ipaddress.ip_address(ip))
    assert found is not None and found.startswith(rule)


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_pass(ip: str) -> None:
    assert ip_rule(ipaddress.ip_address(ip)) is None
    AddressPolicy().check_ip(ip)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("169.254.169.254.", "169.254.169.254"),
        ("example.com", None),
        ("1e100.net", None),
    ],
)
def test_loose_ip_literals_are_read_as_addresses(host: str, expected: str | None) -> None:
    ip = literal_ip(host)
    assert (str(ip) if ip else None) == expected


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/", "metadata"),
        ("http://10.0.0.5:8080/admin", "private"),
        ("https://127.0.0.2/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://[::ffff:192.168.0.1]/", "private"),
        ("http://100.64.1.1/", "cgnat"),
        ("ftp://example.com/file", "scheme is not http or https"),
        ("file:///etc/passwd", "scheme is not http or https"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme is not http or https"),
        ("http:///nohost", "no host"),
    ],
)
def test_untrusted_urls_are_refused_with_address_and_rule(url: str, rule: str) -> None:
    with pytest.raises(AddressRefused) as info:
        AddressPolicy().check_url(url)
    assert info.value.rule.startswith(rule)
    assert isinstance(info.value, FetchError)
    assert "\n" not in str(info.value) and info.value.rule in str(info.value)


def test_public_literal_and_names_pass_without_resolving() -> None:
    policy = AddressPolicy()
    policy.check_url("https://93.184.216.34/news")
    policy.check_url("https://news.example/feed.xml")  # no lookup without resolve=True


def test_configured_hosts_are_trusted_on_their_port_only() -> None:
    policy = AddressPolicy.build(["http://127.0.0.1:8001/feed.xml", "http://intranet.corp/"])
    policy.check_url("http://127.0.0.1:8001/article/1")
    policy.check_url("https://intranet.corp/news")  # http -> https on default ports
    with pytest.raises(AddressRefused, match="loopback"):
        policy.check_url("http://127.0.0.1:6379/")  # another service on the same host
    with pytest.raises(AddressRefused, match="loopback"):
        policy.check_url("http://127.0.0.2:8001/")
    # Trust is no exemption from the scheme rule.
    with pytest.raises(AddressRefused, match="scheme"):
        policy.check_url("ftp://127.0.0.1:8001/", trusted=True)


def test_allow_names_hosts_addresses_and_networks() -> None:
    policy = AddressPolicy.build(allow=["10.1.0.0/16", "127.0.0.2", "wiki.corp", "fd12::/16"])
    policy.check_url("http://10.1.200.3/")
    policy.check_url("http://127.0.0.2:9999/")
    policy.check_url("http://wiki.corp:8080/")
    policy.check_url("http://[fd12::5]/")
    policy.check_url("http://[::ffff:10.1.0.9]/")  # mapped form of an allowed address
    with pytest.raises(AddressRefused, match="private"):
        policy.check_url("http://10.2.0.1/")
    with pytest.raises(AddressRefused, match="loopback"):
        policy.check_url("http://127.0.0.3/")


def test_check_connected_refuses_a_rebound_address() -> None:
    """The name was public when checked; the address connected to is what counts."""
    policy = AddressPolicy.build(["http://feeds.example/"])
    with pytest.raises(AddressRefused, match="metadata"):
        policy.check_connected("http://attacker.example/x", "169.254.169.254")
    policy.check_connected("http://attacker.example/x", "93.184.216.34")
    policy.check_connected("http://feeds.example/x", "10.0.0.1")  # configured: trusted


def test_resolve_checks_every_address_of_a_name() -> None:
    with pytest.raises(AddressRefused, match="loopback"):
        AddressPolicy().resolve("http://localhost/")
    assert AddressPolicy.build(allow=["localhost"]).resolve("http://localhost/")


def test_policy_from_settings_trusts_configured_sources_and_alert_addresses() -> None:
    settings = settings_from_dict(
        {
            "feeds": [{"name": "f", "url": "http://127.0.0.1:8001/feed"}],
            "sites": [{"name": "s", "start_urls": ["http://10.9.0.1/"], "article_links": "x"}],
            "subscriptions": [
                {"name": "w", "channel": "webhook", "address": "http://192.168.5.5:9000/h"},
                {"name": "m", "channel": "email", "address": "ops@10.0.0.1"},
            ],
            "network": {"allow": ["172.20.0.0/16"]},
        },
        env={},
    )
    policy = AddressPolicy.from_settings(settings, trusted=["http://127.0.0.5:7000/x"])
    for url in (
        "http://127.0.0.1:8001/a",
        "http://10.9.0.1/b",
        "http://192.168.5.5:9000/h",
        "http://172.20.1.1/",
        "http://127.0.0.5:7000/y",
    ):
        policy.check_url(url)
    with pytest.raises(AddressRefused):
        policy.check_url("http://10.0.0.1/")


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "", "http://x/", "a b"])
def test_network_allow_entries_are_validated(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"network\.allow"):
        settings_from_dict({"network": {"allow": [bad]}}, env={})


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://user:hunter2@host.example/x", "https://user:***@host.example/x"),
        ("http://u:p@h:8080/", "http://u:***@h:8080/"),
        ("https://token@host.example/", "https://token@host.example/"),
        ("https://host.example/a@b", "https://host.example/a@b"),
        ("https://u:p%40ss@host/?q=a@b", "https://u:***@host/?q=a@b"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url_hides_passwords(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_refusal_masks_the_password() -> None:
    with pytest.raises(AddressRefused) as info:
        AddressPolicy().check_url("http://admin:s3cret@10.0.0.1/")
    assert "s3cret" not in str(info.value) and "admin:***@" in str(info.value)


# --- the urllib opener, against real loopback servers -----------------------------------


def test_opener_refuses_a_redirect_to_an_unallowed_host(loopback_site, private_site) -> None:
    """127.0.0.1 is configured (trusted); its redirect to 127.0.0.2 is refused before any
    connection: the server there sees no request."""
    target = private_site.add("/secret", b"internal", content_type="text/plain")
    loopback_site.add("/go", b"", status=302, headers={"Location": target})
    policy = AddressPolicy.build([loopback_site.url("/")])
    with pytest.raises(AddressRefused, match="loopback"):
        policy.opener().open(loopback_site.url("/go"), timeout=5)
    assert loopback_site.hits["/go"] == 1
    assert private_site.requests == []
    # Allowed by [network] allow: fetched.
    allowed = AddressPolicy.build([loopback_site.url("/")], allow=["127.0.0.2"])
    with allowed.opener().open(loopback_site.url("/go"), timeout=5) as response:
        assert response.read() == b"internal"
    assert private_site.hits["/secret"] == 1


def test_opener_refuses_a_redirect_to_ftp(loopback_site) -> None:
    loopback_site.add("/go", b"", status=301, headers={"Location": "ftp://127.0.0.1/x"})
    policy = AddressPolicy.build([loopback_site.url("/")])
    with pytest.raises(AddressRefused, match="scheme"):
        policy.opener().open(loopback_site.url("/go"), timeout=5)


def test_opener_checks_the_address_it_connects_to(loopback_site) -> None:
    """``localhost`` is a name: it is resolved at connect time and the address checked."""
    loopback_site.add("/x", b"ok", content_type="text/plain")
    port = loopback_site.server.server_address[1]
    with pytest.raises((AddressRefused, urllib.error.URLError)) as info:
        AddressPolicy().opener().open(f"http://localhost:{port}/x", timeout=5)
    exc = info.value
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    assert isinstance(reason, AddressRefused) and reason.rule == "loopback"
    assert loopback_site.requests == []
