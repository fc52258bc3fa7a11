"""HTTPS for the lab node: a given certificate, or a self-signed one made at start.

Browsers refuse ``getUserMedia`` and mixed content outside a secure
context, so a browser client served from elsewhere needs the node on
HTTPS. A generated certificate covers ``localhost``, ``127.0.0.1`` and the
host the node listens on; its PEM is kept so tests (and a user who wants
to trust it) can load it as a CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SelfSignedCertificate:
    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        # ssl can only load a chain from files; they live only while loading.
        with tempfile.TemporaryDirectory(prefix="labnode-tls-") as folder:
            cert_path = os.path.join(folder, "cert.pem")
            key_path = os.path.join(folder, "key.pem")
            with open(cert_path, "wb") as handle:
                handle.write(self.cert_pem)
            with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
                handle.write(self.key_pem)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_path, key_path)
        return context

    def fingerprint_sha256(self) -> str:
        """``AB:CD:...``: the certificate's SHA-256, as browsers and ``openssl x509 -fingerprint`` show it."""
        digest = x509.load_pem_x509_certificate(self.cert_pem).fingerprint(hashes.SHA256())
        return ":".join(f"{byte:02X}" for byte in digest)

    def write_certificate(self, path: str) -> None:
        """The certificate (never the key) as PEM, for clients to trust (``--ca``, ``ca_file``)."""
        with open(path, "wb") as handle:
            handle.write(self.cert_pem)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this certificate."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))


def self_signed(hosts: Iterable[str] = ("localhost", "127.0.0.1"), days: int = 30) -> SelfSignedCertificate:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", *hosts]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "appliance lab node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return SelfSignedCertificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def context_from_files(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert_file, key_file)
    except FileNotFoundError as exc:
        raise ConfigError(f"TLS: cannot read {exc.filename}", file=exc.filename) from None
    except ssl.SSLError as exc:
        raise ConfigError(
            f"TLS: {cert_file} / {key_file}: not a certificate and matching key ({exc.reason})"
        ) from None
    return context
