"""The feedback service's HTML: small, plain pages readable on a phone. Everything is escaped
(Jinja2 autoescape); no script, no external resource, so the pages' CSP can forbid both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jinja2 import DictLoader, Environment, select_autoescape

from bot.feedback.labels import labels
from bot.store import FeedbackItem

_BASE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{ heading }} · newsbot</title>
<style>
body{font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans JP",sans-serif;
margin:0;background:#f4f5f7;color:#1d1f23}
main{max-width:40rem;margin:0 auto;padding:1.2rem 1rem 2rem;background:#fff;min-height:100vh;
box-sizing:border-box}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
h2{font-size:1.15rem;margin:.2rem 0 .3rem;overflow-wrap:anywhere}
.meta,.muted{color:#5b616b;font-size:.95rem}
.chips{display:flex;flex-wrap:wrap;gap:.35rem;margin:.2rem 0 .8rem;padding:0;list-style:none}
.chips li{background:#eef1f5;border-radius:.3rem;padding:.05rem .45rem;font-size:.92rem}
.chips.terms li{background:#fff4c2}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
textarea,input[type=url]{width:100%;box-sizing:border-box;font:inherit;padding:.55rem;
border:1px solid #aab0b9;border-radius:.35rem}
button{margin-top:1rem;width:100%;font:inherit;font-weight:600;padding:.8rem;border:0;
border-radius:.4rem;color:#fff;background:#1f6f43;cursor:pointer}
button.no{background:#a2332b}
.ok{background:#e7f6ec;border-left:4px solid #1f6f43;padding:.6rem .8rem}
.bad{background:#fbeae8;border-left:4px solid #a2332b;padding:.6rem .8rem}
.rule{border-top:1px solid #e3e6ea;padding:.5rem 0}
a{color:#1858a8}
@media (min-width:48rem){main{margin-top:2rem;min-height:0;border-radius:.6rem;
box-shadow:0 1px 4px #0002}}
</style></head>
<body><main>
<h1>{{ heading }}</h1>
{% block body %}{% endblock %}
</main></body></html>
"""

_VOTE = """{% extends "base" %}{% block body %}
{% if done %}<p class="ok" role="status">{{ t.thanks }}</p>{% else %}
<p class="muted">{{ t["explain_" + verdict] }}</p>{% endif %}
<h2>{% if item.link %}<a href="{{ item.link }}" rel="noreferrer noopener">{{ item.title }}</a>
{% else %}{{ item.title }}{% endif %}</h2>
<p class="meta">{{ t.outlet }}: {{ item.outlet or "-" }}{% if item.lang %} · {{ item.lang }}{% endif %}</p>
{% if item.rules %}<div class="muted">{{ t.rules }}</div>
<ul class="chips">{% for r in item.rules %}<li>{{ titles.get(r, r) }}</li>{% endfor %}</ul>{% endif %}
{% if item.terms %}<div class="muted">{{ t.terms }}</div>
<ul class="chips terms">{% for term in item.terms %}<li>{{ term }}</li>{% endfor %}</ul>{% endif %}
{% if not done %}
<form method="post" action="">
<label for="note">{{ t.note }}</label>
<textarea id="note" name="note" rows="3" maxlength="{{ note_chars }}"
 placeholder="{{ t.note_hint }}"></textarea>
<button type="submit" id="confirm"{% if verdict == "not_relevant" %} class="no"{% endif %}>
{{ t["confirm_" + verdict] }}</button>
</form>
{% endif %}
{% if other_url %}<p class="muted"><a href="{{ other_url }}">{{ t["other_" + other] }}</a></p>{% endif %}
{% endblock %}"""

_MISSED = """{% extends "base" %}{% block body %}
{% if error %}<p class="bad" role="alert">{{ error }}</p>{% endif %}
{% if results is not none %}
<p class="ok" role="status">{{ t.missed_recorded }}</p>
<h2>{% if link %}<a href="{{ link }}" rel="noreferrer noopener">{{ title }}</a>
{% else %}{{ title }}{% endif %}</h2>
{% for r in results %}<div class="rule"><strong>{{ titles.get(r.rule, r.rule) }}</strong>
<span class="muted">{{ t.matches if r.matched else t.no_match }} · {{ t.score }} {{ r.score }}
{% if r.closest %} · {{ t.closest }}{% endif %}</span>
{% if r.terms %}<ul class="chips terms">{% for term in r.terms %}<li>{{ term }}</li>{% endfor %}</ul>
{% endif %}</div>
{% else %}<p class="muted">{{ t.no_terms }}</p>{% endfor %}
<p class="muted">{{ t.matched_hint if results|selectattr("matched")|list else t.unmatched_hint }}</p>
<p><a href="">{{ t.another }}</a></p>
{% else %}
<p class="muted">{{ t.missed_intro }}</p>
<form method="post" action="">
<label for="url">{{ t.url }}</label>
<input type="url" id="url" name="url" required maxlength="{{ url_chars }}" value="{{ url }}"
 placeholder="https://" inputmode="url" autocomplete="off">
<label for="note">{{ t.note }}</label>
<textarea id="note" name="note" rows="3" maxlength="{{ note_chars }}"></textarea>
<button type="submit" id="check">{{ t.check }}</button>
</form>
{% endif %}
{% endblock %}"""

_ERROR = """{% extends "base" %}{% block body %}<p class="bad" role="alert">{{ message }}</p>
{% endblock %}"""

_ENV = Environment(
    loader=DictLoader({"base": _BASE, "vote": _VOTE, "missed": _MISSED, "error": _ERROR}),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: form field caps, also enforced server-side (bot.feedback.web)
NOTE_CHARS, URL_CHARS = 1000, 2000


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """One rule's verdict on a missed article, as the page lists it."""

    rule: str
    matched: bool
    score: float
    terms: tuple[str, ...]
    closest: bool = False


def vote_page(
    item: FeedbackItem,
    *,
    verdict: str,
    lang: str,
    done: bool,
    other_url: str | None,
    titles: Mapping[str, str] | None = None,
) -> str:
    """`titles`: rule -> the title it is shown by (a rule without one is shown by its name)."""
    t = labels(lang)
    other = "not_relevant" if verdict == "relevant" else "relevant"
    return _ENV.get_template("vote").render(
        lang=lang,
        t=t,
        heading=t[f"heading_{verdict}"],
        item=item,
        verdict=verdict,
        done=done,
        other=other,
        other_url=other_url,
        titles=titles or {},
        note_chars=NOTE_CHARS,
    )


def missed_page(
    *,
    lang: str,
    url: str = "",
    error: str | None = None,
    title: str = "",
    link: str | None = None,
    results: Sequence[RuleVerdict] | None = None,
    titles: Mapping[str, str] | None = None,
) -> str:
    t = labels(lang)
    return _ENV.get_template("missed").render(
        lang=lang,
        t=t,
        heading=t["missed_heading"],
        url=url,
        error=error,
        title=title,
        link=link,
        results=results,
        titles=titles or {},
        note_chars=NOTE_CHARS,
        url_chars=URL_CHARS,
    )


def error_page(label: str, *, lang: str = "en") -> str:
    t = labels(lang)
    return _ENV.get_template("error").render(lang=lang, t=t, heading=t["error"], message=t[label])
