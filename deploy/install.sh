#!/bin/sh
# Install (or upgrade, or remove) newsbot as a systemd service. Idempotent: run it again to upgrade.
#
#   sudo deploy/install.sh              # venv in /opt/newsbot, config in /etc/newsbot, enable newsbot.service
#   sudo deploy/install.sh --timer      # enable newsbot-once.timer instead of the daemon
#   sudo deploy/install.sh --uninstall  # remove program and units; keep /etc/newsbot and /var/lib/newsbot
#   sudo deploy/install.sh --uninstall --purge   # ... and delete config and state too
#
# Options: --root DIR (stage into DIR instead of /, e.g. for packaging; units are enabled with
# `systemctl --root`, nothing is started), --no-start (enable but do not start), --source DIR (the
# project to install; default: this script's checkout). Environment: PYTHON (default python3),
# PIP_INSTALL_ARGS (extra arguments for pip, e.g. "--no-index --find-links /srv/wheels").
# Existing /etc/newsbot/newsbot.toml and newsbot.env are never overwritten.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
root=""
mode=install
purge=no
unit=newsbot.service
start=yes
PYTHON=${PYTHON:-python3}
PIP_INSTALL_ARGS=${PIP_INSTALL_ARGS:-}

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }
last() { for a in "$@"; do :; done; printf '%s' "$a"; }
say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) mode=uninstall ;;
        --purge) purge=yes ;;
        --timer) unit=newsbot-once.timer ;;
        --no-start) start=no ;;
        --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$(cd "$2" && pwd); shift ;;
        --source) [ $# -ge 2 ] || die "--source needs a directory"; src=$(cd "$2" && pwd); shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[ "$purge" = no ] || [ "$mode" = uninstall ] || die "--purge only goes with --uninstall"

prefix="$root/opt/newsbot"
etc="$root/etc/newsbot"
state="$root/var/lib/newsbot"
units="$root/etc/systemd/system"
all_units="newsbot.service newsbot-once.service newsbot-once.timer newsbot-feedback.service"

# With --root nothing runs: systemctl only edits the symlinks under that root.
systemctl_() {
    if [ -n "$root" ]; then
        case "$1" in
            enable|disable) systemctl --root="$root" "$1" "$(last "$@")" ;;
            *) : ;;
        esac
    elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl "$@"
    else
        say "no running systemd: skipped 'systemctl $*'"
    fi
}

if [ "$mode" = uninstall ]; then
    [ -n "$root" ] || [ "$(id -u)" = 0 ] || die "run as root (or with --root DIR)"
    for u in $all_units; do
        if [ -e "$units/$u" ]; then
            systemctl_ disable --now "$u" || say "could not disable $u"
            rm -f "$units/$u"
        fi
    done
    systemctl_ daemon-reload
    rm -rf "$prefix"
    say "removed $prefix and the units"
    if [ "$purge" = yes ]; then
        # DynamicUser keeps the real state under /var/lib/private, behind a symlink
        rm -rf "$etc" "$state" "$root/var/lib/private/newsbot"
        say "purged $etc and $state"
    else
        say "kept config in $etc and state in $state (add --purge to delete them)"
    fi
    exit 0
fi

[ -n "$root" ] || [ "$(id -u)" = 0 ] || die "run as root (or with --root DIR)"
[ -f "$src/pyproject.toml" ] || die "no pyproject.toml in $src (use --source DIR)"

# 1. the program: a private venv, upgraded in place on every run
mkdir -p "$prefix"
if [ ! -x "$prefix/venv/bin/python" ]; then
    "$PYTHON" -m venv "$prefix/venv"
fi
# shellcheck disable=SC2086 # PIP_INSTALL_ARGS is a list of words on purpose
"$prefix/venv/bin/python" -m pip install --quiet --disable-pip-version-check $PIP_INSTALL_ARGS "$src"
cp "$here/README.md" "$prefix/README.md"
say "installed $("$prefix/venv/bin/newsbot" --version) into $prefix/venv"

# 2. config: examples always refreshed, the operator's files never touched
mkdir -p "$etc"
chmod 0755 "$etc"
cp "$here/newsbot.env.example" "$etc/newsbot.env.example"
if [ ! -e "$etc/newsbot.toml" ]; then
    # state goes where systemd's StateDirectory= puts it: /etc is read-only for the service
    sed 's#^path = "newsbot.sqlite3"#path = "/var/lib/newsbot/newsbot.sqlite3"#' \
        "$src/newsbot.example.toml" >"$etc/newsbot.toml"
    say "wrote $etc/newsbot.toml: edit it, then: systemctl restart newsbot"
fi
if [ ! -e "$etc/newsbot.env" ]; then
    (umask 077 && cp "$here/newsbot.env.example" "$etc/newsbot.env")
    say "wrote $etc/newsbot.env (mode 0600): put your secrets there"
fi
if [ ! -e "$etc/rules" ] && [ -d "$src/rules" ]; then
    cp -R "$src/rules" "$etc/rules"
    say "wrote the default rules to $etc/rules"
fi

# 3. units
mkdir -p "$units"
for u in $all_units; do
    install -m 0644 "$here/$u" "$units/$u"
done
systemctl_ daemon-reload
if [ "$unit" = newsbot-once.timer ]; then
    systemctl_ disable --now newsbot.service >/dev/null 2>&1 || true
else
    systemctl_ disable --now newsbot-once.timer >/dev/null 2>&1 || true
fi
systemctl_ enable "$unit"
if [ "$start" = yes ]; then
    # restart, not start: an upgrade must replace a daemon still running the old code
    systemctl_ restart "$unit"
fi
say "enabled $unit; logs: journalctl -u ${unit%.timer}"
