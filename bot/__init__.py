"""newsbot: a scheduled news-monitoring bot (feeds -> keyword rules -> digests)."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/newsbot-vn-jp/newsbot"
USER_AGENT = f"newsbot/{__version__} (+{PROJECT_URL})"
