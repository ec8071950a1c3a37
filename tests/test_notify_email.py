"""Email channel against a real SMTP server (aiosmtpd on 127.0.0.1), parsed back with `email`."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.config import EmailOptions
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.notify import create_notifier
from bot.notify.email import EmailNotifier, message_id
from tests.digest_helpers import INJECTION_TITLE, destination, digest_of, item
from tests.servers import free_port


class Sink:
    """Keeps accepted mail; scripted DATA replies; refuses RCPT for addresses in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_replies: list[str] = []
        self.refuse: dict[str, str] = {}
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)


@contextmanager
def smtp(**kw: Any) -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def options(port: int, **kw: Any) -> EmailOptions:
    base = EmailOptions(
        smtp_host="127.0.0.1",
        smtp_port=port,
        from_addr="Newsbot <newsbot@desk.example>",
        to=("desk@example.org", "editor@example.org"),
        timeout=5.0,
    )
    return replace(base, **kw)


def notifier(opts: EmailOptions, **kw: Any) -> EmailNotifier:
    n = create_notifier(destination(opts, name="desk-mail", kind="email"))
    assert isinstance(n, EmailNotifier)
    if kw:
        n = EmailNotifier(n.destination, **kw)
    return n


DIGEST = digest_of(
    [item(1, "Tokyo and Hanoi sign rail deal"), item(2, INJECTION_TITLE, outlet="Odd\nOutlet")]
)


def test_multipart_alternative_text_then_html_with_subject_and_stable_message_id() -> None:
    with smtp() as (sink, port):
        notifier(options(port)).send(DIGEST)
    [msg] = sink.messages
    assert sink.envelopes == [("newsbot@desk.example", ["desk@example.org", "editor@example.org"])]
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert msg["Subject"] == "Vietnam–Japan: 2 new articles — 23 Nov 2026"
    assert msg["Message-ID"] == message_id(DIGEST.key, "newsbot@desk.example")
    assert msg["Message-ID"].endswith("@desk.example>")
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Tokyo and Hanoi sign rail deal" in text.get_content()
    assert '<a href="https://news.example/a/1"' in html.get_content()


def test_feed_text_never_reaches_a_header_and_is_escaped_in_html() -> None:
    with smtp() as (sink, port):
        notifier(options(port)).send(DIGEST)
    [msg] = sink.messages
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert set(msg.keys()) == {
        "Subject", "From", "To", "Date", "Message-ID", "X-Newsbot-Digest-Key",
        "Auto-Submitted", "MIME-Version", "Content-Type", "Content-Language",
    }  # fmt: skip
    html = msg.get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_subject_flattens_line_breaks_in_configured_text() -> None:
    d = digest_of([item(1, "Tokyo")], dest=destination(title="VN–JP\r\nBcc: x@example.org\u2028"))
    with smtp() as (sink, port):
        notifier(options(port, subject_prefix="[desk]\n")).send(d)
    [msg] = sink.messages
    assert msg["Subject"] == "[desk] VN–JP Bcc: x@example.org: 1 new article — 23 Nov 2026"
    assert msg["Bcc"] is None


def test_451_is_transient_then_one_email_is_delivered_with_the_same_message_id() -> None:
    with smtp() as (sink, port):
        sink.data_replies = ["451 4.3.0 try again later"]
        n = notifier(options(port))
        with pytest.raises(TransientDeliveryError, match="451"):
            n.send(DIGEST)
        assert sink.messages == []
        n.send(DIGEST)
    assert len(sink.messages) == 1
    assert sink.messages[0]["Message-ID"] == message_id(DIGEST.key, "newsbot@desk.example")


def test_550_is_permanent() -> None:
    with smtp() as (sink, port):
        sink.data_replies = ["550 5.7.1 message rejected"]
        with pytest.raises(PermanentDeliveryError, match="550"):
            notifier(options(port)).send(DIGEST)
    assert sink.messages == []


def test_partial_refusal_is_recorded_and_the_rest_delivered() -> None:
    with smtp() as (sink, port):
        sink.refuse = {"editor@example.org": "550 5.1.1 no such user"}
        n = notifier(options(port))
        n.send(DIGEST)
    assert sink.envelopes[0][1] == ["desk@example.org"]
    assert n.refused == {"editor@example.org": (550, "5.1.1 no such user")}


def test_all_recipients_refused_raises_by_reply_class() -> None:
    with smtp() as (sink, port):
        sink.refuse = {
            a: "550 5.1.1 no such user" for a in ("desk@example.org", "editor@example.org")
        }
        with pytest.raises(PermanentDeliveryError, match="every recipient"):
            notifier(options(port)).send(DIGEST)
        sink.refuse = {"desk@example.org": "450 4.2.0 mailbox busy", "editor@example.org": "550 no"}
        with pytest.raises(TransientDeliveryError):
            notifier(options(port)).send(DIGEST)


def test_server_down_is_transient() -> None:
    with pytest.raises(TransientDeliveryError, match="cannot deliver"):
        notifier(options(free_port())).send(DIGEST)


def test_starttls_not_offered_aborts_before_auth() -> None:
    with smtp(auth_require_tls=False) as (sink, port):
        opts = options(port, security="starttls", username="bot", password="s3cret")
        with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS"):
            notifier(opts).send(DIGEST)
    assert sink.logins == [] and sink.messages == []


# ------------------------------------------------------------------ TLS with a throwaway cert


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed: TLS tests need a throwaway certificate")
    d = tmp_path_factory.mktemp("tls")
    crt, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return ctx


def test_starttls_then_auth_then_delivery(cert: tuple[Path, Path]) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, tls_context=server_context(cert),
        require_starttls=True, authenticator=sink.authenticate,
    )  # fmt: skip
    controller.start()
    try:
        opts = options(port, security="starttls", username="bot", password="s3cret")
        trusted = ssl.create_default_context(cafile=str(cert[0]))
        notifier(opts, tls_context=trusted).send(DIGEST)
    finally:
        controller.stop()
    assert sink.logins == [(b"bot", b"s3cret")]
    assert len(sink.messages) == 1


def test_untrusted_certificate_is_refused(cert: tuple[Path, Path]) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, tls_context=server_context(cert),
        require_starttls=True,
    )  # fmt: skip
    controller.start()
    try:
        # default context: the throwaway cert is not trusted, so verification must fail
        with pytest.raises(PermanentDeliveryError, match="certificate"):
            notifier(options(port, security="starttls")).send(DIGEST)
    finally:
        controller.stop()
    assert sink.messages == []


def test_implicit_tls_delivers_with_a_trusted_certificate(cert: tuple[Path, Path]) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, ssl_context=server_context(cert),
        authenticator=sink.authenticate, auth_require_tls=False,  # aiosmtpd: implicit TLS is TLS
    )  # fmt: skip
    controller.start()
    try:
        opts = options(port, security="ssl", username="bot", password="s3cret")
        notifier(opts, tls_context=ssl.create_default_context(cafile=str(cert[0]))).send(DIGEST)
        with pytest.raises(PermanentDeliveryError, match="535"):
            notifier(replace(opts, password="wrong"),
                     tls_context=ssl.create_default_context(cafile=str(cert[0]))).send(DIGEST)  # fmt: skip
    finally:
        controller.stop()
    assert len(sink.messages) == 1
