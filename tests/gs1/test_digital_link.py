"""qrplex.gs1.digital_link: GS1 Digital Link URIs, checked like element strings."""

from __future__ import annotations

import pytest

import qrplex
from qrplex import InvalidContentError, InvalidOptionError, gs1
from qrplex.testing import decode


def test_key_and_qualifiers_in_the_path_others_in_the_query() -> None:
    assert gs1.digital_link("(01)09506000134352(17)201225(10)ABC123") == (
        "https://id.gs1.org/01/09506000134352/10/ABC123?17=201225"
    )


def test_qualifiers_in_the_standards_order_whatever_the_input_order() -> None:
    uri = gs1.digital_link("(01)09506000134352(21)S1(17)201225(10)L1(22)V(3103)000189")
    assert uri == ("https://id.gs1.org/01/09506000134352/22/V/10/L1/21/S1?17=201225&3103=000189")


def test_other_primary_keys() -> None:
    assert gs1.digital_link("(00)106141412345678908") == "https://id.gs1.org/00/106141412345678908"
    assert gs1.digital_link("(414)5412345000013(254)A1") == (
        "https://id.gs1.org/414/5412345000013/254/A1"
    )


def test_values_are_percent_encoded() -> None:
    uri = gs1.digital_link("(01)09506000134352(10)A/B%C&D(21)x?y=z'\"", domain="https://e.x")
    assert uri == "https://e.x/01/09506000134352/10/A%2FB%25C%26D/21/x%3Fy%3Dz%27%22"
    query = gs1.digital_link("(01)09506000134352(91)a&b=c/d")
    assert query.endswith("?91=a%26b%3Dc%2Fd")


def test_the_resolver_may_have_a_port_and_a_path_prefix() -> None:
    message = gs1.parse("(01)09506000134352(10)ABC123")
    assert gs1.digital_link(message, domain="https://example.com:8443/gs1/") == (
        "https://example.com:8443/gs1/01/09506000134352/10/ABC123"
    )
    assert gs1.digital_link(message, domain="http://localhost").startswith("http://localhost/01/")


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("id.gs1.org", "must start with https://"),
        ("ftp://id.gs1.org", "must start with https://"),
        ("https://", "needs a host name"),
        ("https://ex ample.com", "must be ASCII without spaces"),
        ("https://exämple.com", "must be ASCII"),
        ("https://example.com/?a=1", "must not have a query or fragment"),
        ("https://example.com/#top", "must not have a query or fragment"),
        ("https://example.com:99999", "is not a URL"),
        (42, "domain must be a str, not int"),
    ],
)
def test_a_bad_domain_is_an_option_error(domain: object, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        gs1.digital_link("(01)09506000134352", domain=domain)  # type: ignore[arg-type]


def test_a_domain_with_credentials_is_refused_without_repeating_them() -> None:
    with pytest.raises(InvalidOptionError, match="user info") as caught:
        gs1.digital_link("(01)09506000134352", domain="https://user:s3cret@example.com")
    assert "s3cret" not in str(caught.value)


def test_a_primary_key_is_needed_and_only_one() -> None:
    with pytest.raises(InvalidContentError, match=r"one primary key AI, one of \(01\).*none"):
        gs1.digital_link("(91)X")
    with pytest.raises(InvalidContentError, match=r"found \(01\), \(00\)"):
        gs1.digital_link("(01)09506000134352(00)106141412345678908")
    assert gs1.digital_link("(415)5412345000013(8020)ABC").endswith("/415/5412345000013/8020/ABC")


def test_the_data_is_checked_as_parse_checks_it() -> None:
    with pytest.raises(InvalidContentError, match=r"\(01\) GTIN: wrong check digit"):
        gs1.digital_link("(01)09506000134353")
    with pytest.raises(InvalidContentError, match=r"\(17\).*February"):
        gs1.digital_link("(01)09506000134352(17)260230")


def test_the_uri_as_a_qr_code() -> None:
    uri = gs1.digital_link("(01)09506000134352(10)ABC123", domain="https://example.com")
    image = qrplex.generate(uri, symbology="qr")
    assert decode(image.data, "qr") == uri


def test_a_hand_built_element_string_is_checked_too() -> None:
    forged = gs1.ElementString((gs1.Element("01", "09506000134353"),))
    with pytest.raises(InvalidContentError, match=r"\(01\) GTIN: wrong check digit"):
        gs1.digital_link(forged)
    with pytest.raises(InvalidContentError, match="GS1 data is empty"):
        gs1.digital_link(gs1.ElementString(()))
    with pytest.raises(InvalidContentError, match="not bytes"):
        gs1.digital_link(b"(01)09506000134352")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://example.com/\x00", r"control characters, and has '\\x00'"),
        ("https://example.com\t/gs1", r"has '\\t'"),
        ("https://example.com/\x7f", r"has '\\x7f'"),
        ("https://bücher.de", "ASCII \\(punycode\\) form, xn--bcher-kva.de"),
        ("https://example.com:0", "port 0"),
        ("https://a..b", "needs a host name"),
        ("https://-bad-.com", "needs a host name"),
        ("https://example.com/../x", "no . or .. segments"),
        ("https://example.com/./x", "no . or .. segments"),
        ("https://example.com/a\\b", "path prefix that is not plain"),
        ("https://example.com/a|b", "path prefix that is not plain"),
    ],
)
def test_odd_resolvers_are_refused(domain: str, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        gs1.digital_link("(01)09506000134352", domain=domain)


@pytest.mark.parametrize(
    ("domain", "start"),
    [
        ("http://example.com", "http://example.com/01/"),
        ("https://example.com//", "https://example.com/01/"),
        ("HTTPS://Example.COM/Gs1/", "https://example.com/Gs1/01/"),
        ("https://xn--bcher-kva.de:8080/p", "https://xn--bcher-kva.de:8080/p/01/"),
        ("https://127.0.0.1", "https://127.0.0.1/01/"),
        ("https://[::1]:8443", "https://[::1]:8443/01/"),
        ("https://example.com/a;b=c/%7Ex", "https://example.com/a;b=c/%7Ex/01/"),
    ],
)
def test_resolvers_that_are_fine(domain: str, start: str) -> None:
    assert gs1.digital_link("(01)09506000134352", domain=domain).startswith(start)


@pytest.mark.parametrize(
    "domain", ["https://user:s3cret@exa mple.com", "https://user:s3cret@example.com:99999"]
)
def test_credentials_never_appear_in_any_domain_message(domain: str) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        gs1.digital_link("(01)09506000134352", domain=domain)
    assert "s3cret" not in str(caught.value)


def test_a_digital_link_round_trips_through_a_reader() -> None:
    """The URI in a QR Code, read by zxing-cpp and parsed by biip (an independent GS1
    library), gives back the AIs it was made from."""
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    data = "(01)09506000134352(17)201225(10)A/B%C(21)S1"
    uri = gs1.digital_link(data, domain="https://example.com:8443/gs1/")
    read = decode(qrplex.generate(uri, symbology="qr").data, "qr")
    assert read == uri
    parsed = GS1DigitalLinkURI.parse(read).as_gs1_message()
    assert [(e.ai.ai, e.value) for e in parsed.element_strings] == [
        ("01", "09506000134352"),
        ("10", "A/B%C"),
        ("21", "S1"),
        ("17", "201225"),
    ]
