#!/bin/sh
# The email digest of `newsbot demo --locale LOCALE`, screenshotted in headless Chromium (Debian's
# chromium; Japanese needs a CJK font: apt-get install chromium fonts-noto-cjk).
#   docs/screenshot-email.sh vi 1540   ->  docs/digest-email-vi.png (720 px wide, HEIGHT px tall)
set -eu
locale=${1:?usage: $0 LOCALE [HEIGHT]}
height=${2:-1600}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/newsbot demo --locale "$locale" --out "$work/demo" >/dev/null
html=$(ls "$work"/demo/digests/*.html)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
  --hide-scrollbars --window-size=720,"$height" --screenshot="docs/digest-email-$locale.png" \
  "file://$html" 2>/dev/null
