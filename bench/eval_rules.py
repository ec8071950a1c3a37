"""Score the rules against a labelled set, through the real pipeline.

    python bench/eval_rules.py EVAL_DIR [--rules PATH ...] [--direct] [--seeds DIR]

EVAL_DIR holds ``dev-items.jsonl`` (one item a line: id, lang, title, summary, link, label) and
``feeds/*.xml``. By default the feeds are served from a loopback HTTP server, a temporary
newsbot.toml lists them with four destinations — a ``file`` destination writing JSON digests, a
``webhook`` destination and a ``slack`` destination posting to loopback receivers, and an ``email``
destination sending to a loopback SMTP server (aiosmtpd) — and ``python -m bot --config tmp.toml
once`` runs as a subprocess. What reached each channel is read back the way its reader sees it (the
``<url|title>`` links of Slack's mrkdwn, the links of the email's HTML part, or its plain part) and
scored against the labels by ``link``; every channel must meet the targets and all must agree.
``--direct`` skips the pipeline and runs each JSONL item through ``load_rules(...).match``.
The seed articles (``--seeds``, default ../shared/seeds next to EVAL_DIR) must match too.
Exit status 1 when a target is missed (precision >= 0.95, recall >= 0.90, every seed matched).
"""

from __future__ import annotations

import argparse
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.demo import serve_folder  # noqa: E402
from bot.models import Document  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.rules.evaluate import LabelledItem, outcome, read_labelled, tally  # noqa: E402
from tests.servers import MailSink, SlackReceiver, running, smtp_server  # noqa: E402

PRECISION_TARGET, RECALL_TARGET = 0.95, 0.90


def read_items(eval_dir: Path) -> list[LabelledItem]:
    return read_labelled(eval_dir / "dev-items.jsonl")


# --------------------------------------------------------------------------- loopback servers


def run_pipeline(eval_dir: Path, rule_paths: list[Path]) -> dict[str, set[str]]:
    """Links delivered per destination by `newsbot once` over the eval feeds."""
    feeds = sorted((eval_dir / "feeds").glob("*.xml"))
    hook = SlackReceiver()  # a loopback endpoint keeping every JSON body posted to it
    slack = SlackReceiver()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_folder(eval_dir / "feeds") as feed_base,
        running(hook),
        running(slack),
        smtp_server() as (mail, smtp_port),
    ):
        tmpdir = Path(tmp)
        rules = ", ".join(json.dumps(str(p.resolve())) for p in rule_paths)
        tables = "".join(
            f'[[feeds]]\nurl = "{feed_base}/{f.name}"\nname = "{f.stem}"\n\n' for f in feeds
        )
        config = tmpdir / "newsbot.toml"
        config.write_text(
            # the labelled items carry their articles' own dates (2008-2025): no age policy
            f'[state]\npath = "state.sqlite3"\n[rules]\npaths = [{rules}]\n'
            f'[fetch]\nmax_age = "off"\n\n{tables}'
            '[[destinations]]\nname = "file-json"\ntype = "file"\ndir = "out"\nformat = "json"\n\n'
            f'[[destinations]]\nname = "webhook"\ntype = "webhook"\nurl = "{hook.url}"\n\n'
            f'[[destinations]]\nname = "slack"\ntype = "slack"\nwebhook_url = "{slack.url}"\n\n'
            '[[destinations]]\nname = "email"\ntype = "email"\nsmtp_host = "127.0.0.1"\n'
            f'smtp_port = {smtp_port}\nfrom = "newsbot@example.org"\nto = ["desk@example.org"]\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_CONFIG"}
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "once", "--quiet"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            sys.exit(f"eval: `newsbot once` failed ({proc.returncode}):\n{proc.stderr}")
        delivered: dict[str, set[str]] = {"file-json": set(), "webhook": set()}
        for path in sorted((tmpdir / "out").glob("*.json")):
            delivered["file-json"] |= _links(json.loads(path.read_text(encoding="utf-8")))
        for payload in hook.payloads:
            delivered["webhook"] |= _links(payload)
        delivered["slack"] = {link for p in slack.payloads for link in slack_links(p)}
        delivered["email"] = email_links(mail)
        return delivered


def _links(payload: dict[str, object]) -> set[str]:
    entries = payload.get("entries", [])
    assert isinstance(entries, list)
    # every delivered article: each entry's own link and those of the articles folded into it
    folded = [c for e in entries for c in (*e["also_covered_by"], *e["more_from_outlet"])]
    return {x["link"] for x in (*entries, *folded) if x.get("link")}


#: a Slack mrkdwn link, <url|label> or <url>; the url is escaped (&amp; &lt; &gt;)
_SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


def slack_links(payload: object) -> set[str]:
    """Item links in a Slack payload, read from every mrkdwn text as a reader would see them."""
    if isinstance(payload, dict):
        return set().union(*(slack_links(v) for v in payload.values()))
    if isinstance(payload, list):
        return set().union(*(slack_links(v) for v in payload))
    if isinstance(payload, str):
        return {html.unescape(m.group(1)) for m in _SLACK_LINK.finditer(payload)}
    return set()


class _Hrefs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith(("http://", "https://")):
            self.hrefs.add(href)


def email_links(mail: MailSink) -> set[str]:
    """Item links in the emails received: the HTML part's hrefs, else the plain part's URLs."""
    links: set[str] = set()
    for msg in mail.messages:
        part = msg.get_body(preferencelist=("html", "plain"))
        if part is None:
            continue
        body = part.get_content()
        if part.get_content_subtype() == "html":
            parser = _Hrefs()
            parser.feed(body)
            links |= parser.hrefs
        else:
            links |= set(re.findall(r"https?://[^\s<>()]+", body))
    return links


def run_direct(items: list[LabelledItem], rule_paths: list[Path]) -> dict[str, set[str]]:
    rs = load_rules(rule_paths)
    hits = {
        it.link
        for it in items
        if rs.match(Document(title=it.title, summary=it.summary, lang=it.lang))
    }
    return {"direct": hits}


# --------------------------------------------------------------------------- scoring


def score(name: str, items: list[LabelledItem], predicted: set[str]) -> bool:
    """Scored by the code `newsbot rules eval` uses, on what reached the channel (by link)."""
    results = tally((i.lang, outcome(label=i.label, predicted=i.link in predicted)) for i in items)
    whole = results[-1]
    print(
        f"\n== {name}: precision {whole.precision:.3f}  recall {whole.recall:.3f}  "
        f"(tp={whole.tp} fp={whole.fp} fn={whole.fn})"
    )
    for s in results[:-1]:
        print(
            f"   {s.lang}: precision {s.precision:.3f}  recall {s.recall:.3f}  "
            f"(tp={s.tp} fp={s.fp} fn={s.fn})"
        )
    for i in items:
        got = i.link in predicted
        if got != i.label:
            kind = "FALSE POSITIVE" if got else "FALSE NEGATIVE"
            print(f"   {kind} {i.id} [{i.lang}] {i.title}")
    return whole.precision >= PRECISION_TARGET and whole.recall >= RECALL_TARGET


def check_seeds(seeds: Path, rule_paths: list[Path]) -> bool:
    if not seeds.is_dir():
        print(f"\n== seeds: {seeds} not found (skipped)")
        return True
    rs = load_rules(rule_paths)
    ok = True
    print("\n== seed articles")
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        matched = rs.match(Document(title=first, content=rest, lang="id"))
        names = ", ".join(f"{m.rule} ({m.score:g})" for m in matched) or "NO MATCH"
        print(f"   {path.name}: {names}")
        ok = ok and bool(matched)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument(
        "--rules", type=Path, action="append", help="rule files/folders (default rules/)"
    )
    ap.add_argument(
        "--direct", action="store_true", help="match the JSONL items without the pipeline"
    )
    ap.add_argument("--seeds", type=Path, help="seed articles folder (default EVAL_DIR/../seeds)")
    args = ap.parse_args(argv)
    rule_paths = args.rules or [ROOT / "rules"]
    if not (args.eval_dir / "dev-items.jsonl").is_file():
        print(
            f"eval_rules: no labelled set at {args.eval_dir}/dev-items.jsonl (the dev set lives in "
            "../shared/eval beside the checkout; pass another folder with dev-items.jsonl and feeds/)",
            file=sys.stderr,
        )
        return 2
    items = read_items(args.eval_dir)
    delivered = (
        run_direct(items, rule_paths) if args.direct else run_pipeline(args.eval_dir, rule_paths)
    )
    ok = True
    for channel, links in delivered.items():
        ok = score(channel, items, links) and ok
    labelled = {i.link for i in items}
    verdicts = {name: frozenset(links & labelled) for name, links in delivered.items()}
    if len(set(verdicts.values())) > 1:
        ok = False
        first = next(iter(verdicts))
        for name, got in verdicts.items():
            if got != verdicts[first]:
                diff = sorted(got ^ verdicts[first])
                print(f"\n== channels disagree: {name} vs {first} on {len(diff)} item(s): {diff}")
    elif len(verdicts) > 1:
        print(f"\n== all {len(verdicts)} channels delivered the same items")
    ok = check_seeds(args.seeds or args.eval_dir.resolve().parent / "seeds", rule_paths) and ok
    print(
        f"\ntargets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET}, seeds matched:",
        "MET" if ok else "MISSED",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
