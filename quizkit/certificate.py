"""A self-signed certificate for a webhook that Telegram reaches by IP address, without a domain.

The Bot API accepts a self-signed certificate uploaded as setWebhook's `certificate`. The one made
here names the webhook URL's IP address as subject and subject alternative name, so that TLS clients
can match it to the URL. `quizkit serve --self-signed` writes it next to the database and reuses it
until it is 30 days from expiring.

    files = ensure_self_signed("203.0.113.7", Path("quiz.db"))
    files.pem          # the certificate, for setWebhook's `certificate`
    files.key_path     # the private key, mode 0600, for the HTTPS listener
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from quizkit.console import locale_is_italian
from quizkit.errors import QuizkitError

__all__ = ["CertificateError", "CertificateFiles", "ensure_self_signed", "self_signed_host", "write_self_signed"]

VALIDITY = timedelta(days=365)
RENEW_BEFORE = timedelta(days=30)
# 2048-bit RSA: a key size that every TLS client accepts.
RSA_KEY_BITS = 2048


# `quizkit serve --self-signed` prints these, so they follow the locale as the command line's texts do.
_MESSAGES = {
    "en": {
        "no_url": "--self-signed needs --public-url, the https:// URL with the IP address that Telegram reaches "
                  "this machine at, but none was given; add --public-url https://IP:PORT, such as "
                  "https://203.0.113.7:8443.",
        "not_https": "--self-signed needs an https:// public URL, but --public-url is {url!r}; give "
                     "https://IP:PORT, such as https://203.0.113.7:8443.",
        "not_ip": "--self-signed needs a public URL with an IP address, such as https://203.0.113.7:8443, not "
                  "{host!r}; for a domain name, get a certificate from Let's Encrypt (Caddy does it for you) instead.",
    },
    "it": {
        "no_url": "--self-signed richiede --public-url, l'URL https:// con l'indirizzo IP a cui Telegram raggiunge "
                  "questo computer, ma non è stato indicato; aggiungete --public-url https://IP:PORTA, per esempio "
                  "https://203.0.113.7:8443.",
        "not_https": "--self-signed richiede un URL pubblico https://, ma --public-url è {url!r}; indicate "
                     "https://IP:PORTA, per esempio https://203.0.113.7:8443.",
        "not_ip": "--self-signed richiede un URL pubblico con un indirizzo IP, per esempio https://203.0.113.7:8443, "
                  "non {host!r}; per un nome di dominio procuratevi invece un certificato da Let's Encrypt "
                  "(Caddy lo fa per voi).",
    },
}


class CertificateError(QuizkitError):
    """A self-signed certificate cannot be made for the given host, or its files cannot be written."""


def _message(key: str, **values: str) -> str:
    language = "it" if locale_is_italian() else "en"
    return _MESSAGES[language][key].format(**values)


@dataclass(frozen=True)
class CertificateFiles:
    """A certificate and its private key on disk, and the certificate's PEM bytes."""

    cert_path: Path
    key_path: Path
    pem: bytes


def self_signed_host(public_url: str | None) -> str:
    """Return the IP address of an https:// public URL, the host a self-signed certificate names.

    Raises CertificateError, in Italian under an Italian locale, when the URL is missing, is not
    https:// or names a host other than an IP address.
    """
    if not public_url:
        raise CertificateError(_message("no_url"))
    parts = urlsplit(public_url)
    if parts.scheme != "https":
        raise CertificateError(_message("not_https", url=public_url))
    return str(_ip_address(parts.hostname or ""))


def ensure_self_signed(ip: str, db_path: Path) -> CertificateFiles:
    """Return the certificate for `ip` beside `db_path`, writing a new one when none is valid for 30 more days."""
    address = _ip_address(ip)
    cert_path = db_path.with_name(db_path.name + ".webhook-cert.pem")
    key_path = db_path.with_name(db_path.name + ".webhook-key.pem")
    if cert_path.exists() and key_path.exists() and _still_valid(cert_path.read_bytes(), address):
        return CertificateFiles(cert_path, key_path, cert_path.read_bytes())
    return write_self_signed(str(address), cert_path, key_path)


def write_self_signed(ip: str, cert_path: Path, key_path: Path) -> CertificateFiles:
    """Write a new key (mode 0600) and a certificate for `ip`, valid for a year; return them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    address = _ip_address(ip)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(address))])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(address)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )

    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    _write_private(key_path, key_pem)
    cert_path.write_bytes(pem)
    return CertificateFiles(cert_path, key_path, pem)


def _ip_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        raise CertificateError(_message("not_ip", host=ip)) from None


def _still_valid(pem: bytes, address) -> bool:
    from cryptography import x509

    try:
        certificate = x509.load_pem_x509_certificate(pem)
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    expires = certificate.not_valid_after_utc
    return address in names.get_values_for_type(x509.IPAddress) and expires - RENEW_BEFORE > datetime.now(timezone.utc)


def _write_private(path: Path, data: bytes) -> None:
    # Created with mode 0600 so the key is never readable by others, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, data)
    finally:
        os.close(descriptor)
