"""The e-mail channel against a real SMTP server that requires STARTTLS and authentication (aiosmtpd with a
certificate made for the test), and how its failures are classified for the retry rules."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from plugins.notify.channels import OutgoingMessage, SendResult, SmtpChannel
from plugins.notify.settings import EmailChannel
from tests.plugins.notify.fakes import SmtpServer
from tests.support import free_port

MESSAGE = OutgoingMessage(address="anna.lind@test.example", subject="Besök", body="Amina har kommit.",
                          reference="7:0:officer:a-lind")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test server's certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def _only_notify(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"notify", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def secure_smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    server = SmtpServer(free_port(), tls_context=context, require_starttls=True, authenticator=_only_notify,
                        auth_required=True).start()
    yield server
    server.stop()


def channel(server: SmtpServer, certificate: tuple[Path, Path] | None, password: str = "s3cret",
            **options: Any) -> SmtpChannel:
    config = EmailChannel(type="email", host="127.0.0.1", port=server.port, username="notify",
                          password_env="MBK_SMTP_PASSWORD", from_address="noreply@test.example",
                          ca_file=str(certificate[0]) if certificate else None, timeout_seconds=5, **options)
    return SmtpChannel(config, password)


def test_starttls_and_login_then_the_mail_is_accepted(secure_smtp: SmtpServer,
                                                      certificate: tuple[Path, Path]) -> None:
    assert channel(secure_smtp, certificate).send(MESSAGE) == SendResult.sent()
    [(recipients, mail)] = secure_smtp.wait_for(1)
    assert recipients == ["anna.lind@test.example"]
    assert mail["Subject"] == "Besök" and mail.get_content().strip() == "Amina har kommit."
    # the same message sent again carries the same Message-ID, so a mailbox can tell a repeat
    channel(secure_smtp, certificate).send(MESSAGE)
    first, second = secure_smtp.wait_for(2)
    assert first[1]["Message-ID"] == second[1]["Message-ID"]


def test_wrong_password_is_permanent(secure_smtp: SmtpServer, certificate: tuple[Path, Path]) -> None:
    result = channel(secure_smtp, certificate, password="wrong").send(MESSAGE)
    assert (result.ok, result.retryable, result.error) == (False, False, "SMTP 535 SMTPAuthenticationError")


def test_untrusted_certificate_is_permanent(secure_smtp: SmtpServer) -> None:
    result = channel(secure_smtp, None).send(MESSAGE)
    assert (result.ok, result.retryable, result.error) == (False, False, "SMTP server certificate not trusted")


def test_plain_connection_to_a_server_that_requires_starttls_is_refused(secure_smtp: SmtpServer) -> None:
    result = channel(secure_smtp, None, security="none").send(MESSAGE)
    assert not result.ok and not result.retryable  # 530: must issue STARTTLS first (a setting to fix)


def test_server_down_is_retryable() -> None:
    result = channel(SmtpServer(free_port()), None, security="none").send(MESSAGE)
    assert (result.ok, result.retryable, result.error) == (False, True, "ConnectionRefusedError")
