"""Readers' feedback on digests: signed links, the small web service that takes the votes, and the
rule review that turns them into edits.

Modules: `tokens` (HMAC-signed (item, destination, verdict) tokens), `links` (the URLs a digest
entry carries), `pages` (the HTML pages, escaped), `web` (the aiohttp service), `review` (`newsbot
rules review`). Only `tokens` and `links` are imported from below (the digest builder); nothing here
is imported by `bot.feedback` itself, so the digest does not pull in the web framework.
"""
