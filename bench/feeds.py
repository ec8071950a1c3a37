"""Synthetic feeds for the benchmarks, served from loopback by a process of their own.

    .venv/bin/python bench/feeds.py --serve N [--items 30] [--latency 0.2]   # prints its port

`make_feed(i)` is a 30-item RSS 2.0 feed in one of four languages (en, vi, ja, id; i % 4), a fifth of
its titles about the Vietnam-Japan partnership, summaries of 60-120 words from a topic vocabulary.
`feed_server(n, items, latency)` serves feeds 0..n-1 at /feeds/{i}.xml, each answer after `latency`
seconds, with an ETag (a conditional GET gets a 304). Used by poll_bench, once_bench, cycle_profile
and match_profile.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

LANGS = ("en", "vi", "ja", "id")
# our own synthetic vocabulary; about one item in five is on the Vietnam-Japan partnership
WORDS = {
    "en": [
        "port",
        "trade",
        "grid",
        "rail",
        "market",
        "budget",
        "harbour",
        "factory",
        "council",
        "river",
        "school",
        "storm",
        "ministry",
        "export",
        "rice",
        "coffee",
        "bridge",
        "metro",
        "loan",
        "summit",
        "wage",
        "festival",
        "hospital",
        "drought",
    ],
    "vi": [
        "cảng",
        "thương",
        "mại",
        "điện",
        "đường",
        "sắt",
        "thị",
        "trường",
        "ngân",
        "sách",
        "nhà",
        "máy",
        "hội",
        "đồng",
        "sông",
        "trường",
        "học",
        "bão",
        "bộ",
        "xuất",
        "khẩu",
        "gạo",
        "cà",
        "phê",
        "cầu",
        "tàu",
        "điện",
        "khoản",
        "vay",
        "lương",
        "lễ",
        "hội",
        "bệnh",
        "viện",
        "hạn",
        "hán",
    ],
    "ja": [
        "港",
        "貿易",
        "電力網",
        "鉄道",
        "市場",
        "予算",
        "工場",
        "議会",
        "河川",
        "学校",
        "台風",
        "省",
        "輸出",
        "米",
        "コーヒー",
        "橋",
        "地下鉄",
        "融資",
        "首脳会議",
        "賃金",
        "祭り",
        "病院",
        "干ばつ",
    ],
    "id": [
        "pelabuhan",
        "perdagangan",
        "listrik",
        "kereta",
        "pasar",
        "anggaran",
        "pabrik",
        "dewan",
        "sungai",
        "sekolah",
        "badai",
        "kementerian",
        "ekspor",
        "beras",
        "kopi",
        "jembatan",
        "metro",
        "pinjaman",
        "upah",
        "festival",
        "rumah",
        "sakit",
        "kekeringan",
    ],
}
PARTNER = {
    "en": "Vietnam and Japan sign a partnership on {w}",
    "vi": "Việt Nam và Nhật Bản ký thỏa thuận hợp tác về {w}",
    "ja": "日本とベトナム、{w}分野で協力協定に署名",
    "id": "Vietnam dan Jepang menandatangani kemitraan di bidang {w}",
}
SEP = {"en": " ", "vi": " ", "ja": "", "id": " "}


def make_feed(index: int, *, items: int, base: str) -> bytes:
    lang = LANGS[index % 4]
    rnd = random.Random(index)
    words, sep = WORDS[lang], SEP[lang]
    start = datetime(2026, 5, 1, tzinfo=UTC)
    parts = []
    for j in range(items):
        w = rnd.choice(words)
        if rnd.random() < 0.2:
            title = PARTNER[lang].format(w=w)
        else:
            title = sep.join(rnd.choice(words) for _ in range(8)).capitalize()
        body = sep.join(rnd.choice(words) for _ in range(rnd.randint(60, 120)))
        when = format_datetime(start - timedelta(minutes=17 * j + index))
        parts.append(
            f"<item><title>{title}</title><link>{base}/a/{index}/{j}?utm_source=rss</link>"
            f'<guid isPermaLink="false">feed{index}-item{j}</guid><pubDate>{when}</pubDate>'
            f"<description>&lt;p&gt;{body}&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Synthetic outlet {index}</title><link>{base}/</link><language>{lang}</language>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


# ---------------------------------------------------------------------------- the feed server


async def _serve(n: int, items: int, latency: float, ready: Callable[[int], None]) -> None:
    # every body is made before the port is announced: made on first request, they cost this
    # process ~1 ms of CPU each during cycle 1 only, taking a core from the cycle but not the floors
    cache = {i: make_feed(i, items=items, base="https://outlet.example") for i in range(n)}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
                )
                await asyncio.sleep(latency)
                index = int(path.rsplit("/", 1)[1].split(".")[0])
                etag = f'"v1-{index}"'
                if headers.get("if-none-match") == etag:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode())
                else:
                    body = cache[index]
                    writer.write(
                        (
                            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                            f"Content-Length: {len(body)}\r\nETag: {etag}\r\n\r\n"
                        ).encode()
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    ready(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def serve_main(n: int, items: int, latency: float) -> None:
    def ready(port: int) -> None:
        print(port, flush=True)

    asyncio.run(_serve(n, items, latency, ready))


@contextmanager
def feed_server(n: int, items: int, latency: float) -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(n),
            "--items",
            str(items),
            "--latency",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--serve", type=int, required=True, help="serve this many feeds")
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds per response")
    args = ap.parse_args()
    serve_main(args.serve, args.items, args.latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
