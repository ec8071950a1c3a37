"""Read a streamed body, decompressing incrementally, and stop at a cap on the *decoded* size.

httpx's own decoders would inflate a whole chunk at once, so a 0.5 MB gzip bomb could materialise
gigabytes before any check runs. Here every decompress call is bounded by the bytes still allowed.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Protocol

from bot.errors import FetchError, TooLarge

#: what we advertise; brotli/zstd are not, because their decoders here cannot bound one call's output
ACCEPT_ENCODING = "gzip, deflate"


class _Decoder(Protocol):
    def decode(self, data: bytes, limit: int) -> bytes: ...

    def flush(self, limit: int) -> bytes: ...


class _Identity:
    def decode(self, data: bytes, limit: int) -> bytes:
        return data

    def flush(self, limit: int) -> bytes:
        return b""


class _Zlib:
    """gzip or deflate; deflate servers send either zlib-wrapped or raw streams, so sniff once."""

    def __init__(self, *, gzip: bool) -> None:
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(self._wbits)
        self._sniffed = gzip
        self._fed = False

    def decode(self, data: bytes, limit: int) -> bytes:
        if data:
            self._fed = True
        if not self._sniffed and data:
            self._sniffed = True
            try:
                return self._bounded(data, limit)
            except zlib.error:
                self._wbits = -zlib.MAX_WBITS
                self._obj = zlib.decompressobj(self._wbits)
        return self._bounded(data, limit)

    def _bounded(self, data: bytes, limit: int) -> bytes:
        # +1 so that "exactly at the cap" and "over the cap" can be told apart
        out = self._obj.decompress(data, limit + 1)
        if len(out) > limit:
            return out  # over the cap: the caller stops here, whatever is left unread
        while self._obj.eof and self._obj.unused_data:
            # concatenated gzip members are one valid body
            rest = self._obj.unused_data
            self._obj = zlib.decompressobj(self._wbits)
            out += self._obj.decompress(rest, limit + 1 - len(out))
            if len(out) > limit:
                return out
        if self._obj.unconsumed_tail:
            # cannot happen below the cap: max_length was only reached when over it
            raise zlib.error("decoder stalled")
        return out

    def flush(self, limit: int) -> bytes:
        if self._fed and not self._obj.eof:
            raise zlib.error("truncated stream")
        return self._obj.flush()


class _Chain:
    """``Content-Encoding: gzip, gzip`` is legal: decode in reverse order of application."""

    def __init__(self, decoders: list[_Decoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes, limit: int) -> bytes:
        for d in self._decoders:
            data = d.decode(data, limit)
        return data

    def flush(self, limit: int) -> bytes:
        data = b""
        for d in self._decoders:
            data = d.decode(data, limit) + d.flush(limit)
        return data


def make_decoder(content_encoding: str | None, *, url: str) -> _Decoder:
    names = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    decoders: list[_Decoder] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            decoders.append(_Zlib(gzip=True))
        elif name == "deflate":
            decoders.append(_Zlib(gzip=False))
        elif name != "identity":
            raise FetchError(f"fetch: unsupported Content-Encoding {name!r} for {url}", url=url)
    if not decoders:
        return _Identity()
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)


async def read_capped(
    raw: AsyncIterator[bytes], *, content_encoding: str | None, max_bytes: int, url: str
) -> bytes:
    """Collect the decoded body; raise `TooLarge` as soon as it would exceed `max_bytes`."""
    decoder = make_decoder(content_encoding, url=url)
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in raw:
            out = decoder.decode(chunk, max_bytes - size)
            size += len(out)
            _check_size(size, max_bytes, url=url)
            parts.append(out)
        out = decoder.flush(max_bytes - size)
    except zlib.error as exc:
        raise FetchError(f"fetch: corrupt compressed body from {url}: {exc}", url=url) from None
    size += len(out)
    _check_size(size, max_bytes, url=url)
    parts.append(out)
    return b"".join(parts)


def _check_size(size: int, max_bytes: int, *, url: str) -> None:
    if size > max_bytes:
        raise TooLarge(f"fetch: body over {max_bytes} bytes (decoded) from {url}", url=url)
