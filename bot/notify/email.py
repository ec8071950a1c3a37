"""Email: a multipart/alternative digest (plain text first, then HTML) over SMTP.

``security = none | starttls | ssl``. Certificates are always verified; AUTH is never sent over a
plain connection (with starttls, a server that does not offer STARTTLS aborts the send); every
connection has a timeout. SMTP 4xx -> Transient, 5xx -> Permanent. A partial recipient refusal is
logged per recipient and kept in ``refused``; only a refusal of every recipient raises.

The Message-ID is derived from the digest key, so a repeated delivery (at-least-once) carries the
same Message-ID and mail clients and readers can recognise it.

A digest bigger than the server's advertised ``SIZE`` (EHLO) or ``max_message_bytes`` goes out as
numbered messages ("part k of n" in the subject and heading), each under that size, with a Message-ID
derived from key and part and ``References`` to part 1, so clients thread them. The parts are stored
in the outbox as sent bytes: a retry sends only the messages the server has not accepted.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from bot.config import DestinationConfig, EmailOptions
from bot.config.destinations import email_options
from bot.digest.render import render_html, render_text
from bot.digest.split import split_digest
from bot.digest.text import clean_line, clip
from bot.digest.view import subject_line
from bot.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.i18n import Translator
from bot.log import kv
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec, Part

log = logging.getLogger("newsbot.notify.email")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,200}$")


#: a server's SIZE is a hard limit; stay this far under it (headers added in transit, rounding)
SIZE_MARGIN = 0.95


def message_id(key: str, from_addr: str, *, part: int = 0) -> str:
    """``<digest.<hash of key [and part]>@<sender's domain>>``: stable for one digest (or one part
    of it), unique across digests."""
    domain = parseaddr(from_addr)[1].rpartition("@")[2]
    if not _DOMAIN.match(domain):
        domain = "newsbot.invalid"
    seed = f"{key}\x00part {part}" if part else key
    return f"<digest.{hashlib.sha256(seed.encode()).hexdigest()[:32]}@{domain}>"


def build_message(digest: Digest, tr: Translator, *, options: EmailOptions) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    # subject_line flattens every line break and control character: feed text never makes a header
    msg["Subject"] = subject_line(digest, tr, prefix=options.subject_prefix)
    msg["From"] = options.from_addr
    msg["To"] = ", ".join(options.to)
    msg["Date"] = format_datetime(digest.period_end)
    if digest.parts > 1:
        msg["Message-ID"] = message_id(digest.key, options.from_addr, part=digest.part)
        msg["X-Newsbot-Part"] = f"{digest.part}/{digest.parts}"
        if digest.part > 1:  # clients thread the parts under the first
            first = message_id(digest.key, options.from_addr, part=1)
            msg["In-Reply-To"] = first
            msg["References"] = first
    else:
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
        self, destination: DestinationConfig, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(destination)
        self.tls_context = tls_context or ssl.create_default_context()
        self.refused: dict[str, tuple[int, str]] = {}

    def split(self, digest: Digest) -> list[Part]:
        """The digest as messages under the size limit: one, or numbered parts."""
        limit = self._size_limit()
        n = 1
        while True:
            pieces = split_digest(digest, n)
            raw = [build_message(p, self.tr, options=self.options).as_bytes() for p in pieces]
            biggest = max(len(r) for r in raw)
            if biggest <= limit or len(pieces) < n:  # fits, or no entry left to move
                return [Part(r, p.item_ids) for r, p in zip(raw, pieces, strict=True)]
            n = max(n + 1, math.ceil(n * biggest / limit))

    def send(self, digest: Digest) -> None:
        parts = self.split(digest)
        for k, part in enumerate(parts, 1):
            self.send_part(digest.key, part, number=k, total=len(parts))

    def send_part(self, key: str, part: Part, *, number: int, total: int) -> None:
        with self._errors(), self._connect() as smtp:
            refused = smtp.sendmail(self.options.from_addr, list(self.options.to), part.payload)
        self._record_refused(refused)
        part_of = f"{number}/{total}" if total > 1 else None
        log.info(kv("email_accepted", destination=self.name, digest=key, part=part_of,
                    server=self.options.smtp_host))  # fmt: skip

    def _size_limit(self) -> int:
        """max_message_bytes, or under the server's advertised SIZE when that is smaller."""
        with self._errors(), self._connect(login=False) as smtp:  # EHLO says it; no AUTH needed
            advertised = smtp.esmtp_features.get("size", "").strip()
        limit = self.options.max_message_bytes
        if advertised.isdigit() and int(advertised) > 0:
            limit = min(limit, int(advertised))
        return int(limit * SIZE_MARGIN)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SMTP and network failures as Transient (4xx, disconnects) or Permanent (5xx) errors."""
        try:
            yield
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

    def _record_refused(self, refused: dict[str, tuple[int, bytes]]) -> None:
        self.refused = {addr: (code, reply_text(text)) for addr, (code, text) in refused.items()}
        for addr, (code, text) in self.refused.items():
            log.warning(kv("email_recipient_refused", destination=self.name, recipient=addr,
                           code=code, reply=text, server=self.options.smtp_host))  # fmt: skip

    def _connect(self, *, login: bool = True) -> smtplib.SMTP:
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
            if opts.username and login:
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


CHANNEL = ChannelSpec(name="email", parse_options=email_options, notifier=EmailNotifier)
