"""Fetching feeds and article pages from the real web (see `Fetcher`)."""

from __future__ import annotations

from bot.fetch.fetcher import Fetcher

__all__ = ["Fetcher"]
