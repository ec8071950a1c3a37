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
# project to install; default: this script's checkout). Environment: PYTHON (default /usr/bin/python3:
# the service cannot run an interpreter under /root or /home), PIP_INSTALL_ARGS (extra arguments for
# pip, e.g. "--no-index --find-links /srv/wheels").
# Existing /etc/newsbot/newsbot.toml and newsbot.env are never overwritten. The daemon is started only
# once every ${VAR} the config uses has a value in newsbot.env; until then it says what to fill in.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
root=""
mode=install
purge=no
unit=newsbot.service
start=yes
if [ -z "${PYTHON:-}" ]; then
    # the system interpreter: a pyenv or uv python3 first on PATH lives under /root or /home
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
PIP_INSTALL_ARGS=${PIP_INSTALL_ARGS:-}

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
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
bin="$root/usr/local/bin"
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
    if [ -L "$bin/newsbot" ] && [ "$(readlink "$bin/newsbot")" = /opt/newsbot/venv/bin/newsbot ]; then
        rm -f "$bin/newsbot"
    fi
    say "removed $prefix, $bin/newsbot and the units"
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

# Where an interpreter really lives (a venv's base included): the unit has ProtectHome=yes, so a
# venv built from a python under /root or /home (pyenv, uv) fails with status 203/EXEC.
under_home() {
    for p in $("$1" -c 'import os, sys; print(os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix))' 2>/dev/null); do
        case "$p" in /root|/root/*|/home|/home/*) printf '%s' "$p"; return 0 ;; esac
    done
    return 1
}

# 1. the program: a private venv, upgraded in place on every run
if [ -x "$prefix/venv/bin/python" ] && [ -z "$root" ] && home=$(under_home "$prefix/venv/bin/python"); then
    say "$prefix/venv was built from $home, which the service cannot reach: rebuilding it"
    rm -rf "$prefix/venv"
fi
if [ ! -x "$prefix/venv/bin/python" ]; then
    "$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||
        die "$PYTHON cannot build the venv: it needs Python >= 3.11 with venv (Debian: apt-get install python3-venv); or set PYTHON=/path/to/python3"
    if home=$(under_home "$PYTHON"); then
        die "$PYTHON resolves to $home, under /root or /home: the service (ProtectHome=yes) could not run it (status 203/EXEC). Use the system interpreter: PYTHON=/usr/bin/python3 $0 (Debian: apt-get install python3-venv)"
    fi
    mkdir -p "$prefix"
    "$PYTHON" -m venv "$prefix/venv"
fi
# shellcheck disable=SC2086 # PIP_INSTALL_ARGS is a list of words on purpose
"$prefix/venv/bin/python" -m pip install --quiet --disable-pip-version-check $PIP_INSTALL_ARGS "$src"
cp "$here/README.md" "$prefix/README.md"
if [ ! -e "$bin/newsbot" ] || [ -L "$bin/newsbot" ]; then  # `newsbot status` from a root shell
    mkdir -p "$bin"
    ln -sfn /opt/newsbot/venv/bin/newsbot "$bin/newsbot"
fi
say "installed $("$prefix/venv/bin/newsbot" --version) into $prefix/venv (command: $bin/newsbot)"

# 2. config: examples always refreshed, the operator's files never touched
mkdir -p "$etc"
chmod 0755 "$etc"
cp "$here/newsbot.env.example" "$etc/newsbot.env.example"
if [ ! -e "$etc/newsbot.toml" ]; then
    # state goes where systemd's StateDirectory= puts it: /etc is read-only for the service
    sed 's#^path = "newsbot.sqlite3"#path = "/var/lib/newsbot/newsbot.sqlite3"#' \
        "$src/newsbot.example.toml" >"$etc/newsbot.toml"
    say "wrote $etc/newsbot.toml (feeds, destinations, schedules: edit it)"
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

# Every ${VAR} the config uses (comments aside) that newsbot.env leaves empty.
missing_secrets() {
    for var in $(sed 's/#.*//' "$etc/newsbot.toml" | grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' | tr -d '${}' | sort -u); do
        grep -Eq "^[[:space:]]*(export[[:space:]]+)?$var=[\"']?[^\"'[:space:]]" "$etc/newsbot.env" ||
            printf '%s ' "$var"
    done
}
missing=$(missing_secrets)
if [ "$start" = no ]; then
    say "enabled $unit (not started: --no-start)"
elif [ -n "$missing" ] && ! { [ -z "$root" ] && systemctl is-active --quiet "$unit" 2>/dev/null; }; then
    # a first install: starting now would only fail on the empty secrets
    say "enabled $unit, not started yet: the config uses secrets that $etc/newsbot.env leaves empty."
    say "1. fill in: ${missing% } (sudoedit $etc/newsbot.env)"
    say "2. review feeds and destinations: sudoedit $etc/newsbot.toml"
    say "3. start it: sudo systemctl start $unit"
else
    # restart, not start: an upgrade must replace a daemon still running the old code
    systemctl_ restart "$unit"
    say "enabled and (re)started $unit"
fi
say "logs: journalctl -u ${unit%.timer}; status: newsbot status"
