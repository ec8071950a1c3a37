"""Email: a multipart/alternative digest (plain text first, then HTML) over SMTP.

``security = none | starttls | ssl``. Certificates are always verified; AUTH is never sent over a
plain connection (with starttls, a server that does not offer STARTTLS aborts the send); every
connection has a timeout. SMTP 4xx -> Transient, 5xx -> Permanent. A partial recipient refusal is
logged per recipient and kept in ``refused``; only a refusal of every recipient raises.

The Message-ID is derived from the digest key, so a repeated delivery (at-least-once) carries the
same Message-ID and mail clients and readers can recognise it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
import time
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import IO

import httpx

from bot.config import DestinationConfig, EmailOptions
from bot.digest.render import render_html, render_text
from bot.digest.text import clean_line, clip
from bot.digest.view import subject_line
from bot.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.i18n import Translator
from bot.models import Digest
from bot.notify.base import Channel, Sleep

log = logging.getLogger("newsbot.notify.email")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,200}$")


def message_id(key: str, from_addr: str) -> str:
    """``<digest.<hash of key>@<sender's domain>>``: stable for one digest, unique across digests."""
    domain = parseaddr(from_addr)[1].rpartition("@")[2]
    if not _DOMAIN.match(domain):
        domain = "newsbot.invalid"
    return f"<digest.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(digest: Digest, tr: Translator, *, options: EmailOptions) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    # subject_line flattens every line break and control character: feed text never makes a header
    msg["Subject"] = subject_line(digest, tr, prefix=options.subject_prefix)
    msg["From"] = options.from_addr
    msg["To"] = ", ".join(options.to)
    msg["Date"] = format_datetime(digest.period_end)
    msg["Message-ID"] = message_id(digest.key, options.from_addr)
    msg["X-Newsbot-Digest-Key"] = clean_line(digest.key)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to the bot
    msg.set_content(render_text(digest, tr, templates_dir=options.templates_dir))
    msg.add_alternative(
        render_html(digest, tr, templates_dir=options.templates_dir), subtype="html"
    )
    # RFC 3282; set once the parts exist (making them moves every Content-* header into them)
    msg["Content-Language"] = tr.locale
    return msg


def reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return clip(clean_line(text), 200)


def is_temporary(code: int) -> bool:
    return 400 <= code < 500


class EmailNotifier(Channel[EmailOptions]):
    options_type = EmailOptions

    def __init__(
        self,
        destination: DestinationConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        stream: IO[str] | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(destination, http=http, sleep=sleep, stream=stream)
        self.tls_context = tls_context or ssl.create_default_context()
        self.refused: dict[str, tuple[int, str]] = {}

    def send(self, digest: Digest) -> None:
        msg = build_message(digest, self.tr, options=self.options)
        try:
            with self._connect() as smtp:
                refused = smtp.send_message(msg, self.options.from_addr, list(self.options.to))
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            self._record_refused(exc.recipients)
            temporary = any(is_temporary(code) for code, _ in exc.recipients.values())
            kind = TransientDeliveryError if temporary else PermanentDeliveryError
            raise kind(
                f"email: every recipient of {self.name} was refused", destination=self.name
            ) from None
        except smtplib.SMTPResponseException as exc:
            kind = TransientDeliveryError if is_temporary(exc.smtp_code) else PermanentDeliveryError
            raise kind(
                f"email: {self.options.smtp_host} answered {exc.smtp_code} "
                f"{reply_text(exc.smtp_error)} for {self.name}",
                destination=self.name,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(
                f"email: {exc} ({self.name})", destination=self.name
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(
                f"email: certificate of {self.options.smtp_host} failed verification: "
                f"{exc.verify_message}",
                destination=self.name,
            ) from None
        except (
            smtplib.SMTPException,
            OSError,
        ) as exc:  # disconnects, timeouts, refused connections
            raise TransientDeliveryError(
                f"email: cannot deliver to {self.options.smtp_host}:{self.options.smtp_port} "
                f"for {self.name}: {type(exc).__name__}: {reply_text(str(exc))}",
                destination=self.name,
            ) from None
        self._record_refused(refused)
        log.info("email: %s accepted %s for %s", self.options.smtp_host, digest.key, self.name)

    def _record_refused(self, refused: dict[str, tuple[int, bytes]]) -> None:
        self.refused = {addr: (code, reply_text(text)) for addr, (code, text) in refused.items()}
        for addr, (code, text) in self.refused.items():
            log.warning(
                "email: %s refused recipient %s of %s: %d %s",
                self.options.smtp_host,
                addr,
                self.name,
                code,
                text,
            )

    def _connect(self) -> smtplib.SMTP:
        opts = self.options
        smtp: smtplib.SMTP
        if opts.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                opts.smtp_host, opts.smtp_port, timeout=opts.timeout, context=self.tls_context
            )
        else:
            smtp = smtplib.SMTP(opts.smtp_host, opts.smtp_port, timeout=opts.timeout)
        try:
            smtp.ehlo()
            if opts.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise PermanentDeliveryError(
                        f"email: {opts.smtp_host} does not offer STARTTLS; refusing to send "
                        f"{'credentials and ' if opts.username else ''}mail in clear text",
                        destination=self.name,
                    )
                smtp.starttls(context=self.tls_context)
                smtp.ehlo()
            if opts.username:
                if opts.security == "none":
                    raise PermanentDeliveryError(
                        f"email: refusing SMTP AUTH without TLS for {self.name}",
                        destination=self.name,
                    )
                smtp.login(opts.username, opts.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp
