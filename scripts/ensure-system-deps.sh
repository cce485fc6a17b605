#!/usr/bin/env bash
# Makes sure the system programs the project runs for real are present: nginx, HAProxy, wrk (benchmarks),
# Chromium (browser tests) and Node.js/npm (mini program tests). As root on Debian/Ubuntu (apt) or
# Alibaba Cloud Linux / RHEL (dnf/yum) it installs what is missing; otherwise it prints the exact command
# to run and fails, so nobody is left guessing. Tests also use shellcheck (install script) and a CJK font.
#
# Usage: scripts/ensure-system-deps.sh [demo|test|bench]
set -euo pipefail
purpose="${1:-test}"

need=(nginx haproxy)
case "$purpose" in
  test) need+=(chromium node npm wrk shellcheck cjk-font) ;;
  bench) need+=(wrk) ;;
esac

missing=()
for bin in "${need[@]}"; do
  case "$bin" in
    nginx|haproxy) command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin") ;;
    # Without a CJK font the page's Chinese renders as empty boxes in screenshots.
    cjk-font) { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; } || missing+=("$bin") ;;
    chromium) command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=("$bin") ;;
    *) command -v "$bin" >/dev/null 2>&1 || missing+=("$bin") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  pkgs=()
  for bin in "${missing[@]}"; do
    case "$bin" in
      nginx) pkgs+=(nginx-light) ;;
      node|npm) pkgs+=(nodejs npm) ;;
      cjk-font) pkgs+=(fonts-wqy-microhei fontconfig) ;;
      *) pkgs+=("$bin") ;;
    esac
  done
  cmd="apt-get update && apt-get install -y ${pkgs[*]}"
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  mgr=$(command -v dnf >/dev/null 2>&1 && echo dnf || echo yum)
  pkgs=()
  for bin in "${missing[@]}"; do
    case "$bin" in
      node|npm) pkgs+=(nodejs npm) ;;
      cjk-font) pkgs+=(google-noto-sans-cjk-ttc-fonts fontconfig) ;;
      # Not in the base repositories of Alibaba Cloud Linux 3 (EPEL has it); its test skips without it.
      shellcheck) echo "note: shellcheck not installed (EPEL); the install-script lint test will skip" >&2 ;;
      *) pkgs+=("$bin") ;;
    esac
  done
  [ ${#pkgs[@]} -eq 0 ] && exit 0
  cmd="$mgr install -y ${pkgs[*]}"
else
  echo "error: missing ${missing[*]} and no apt-get or dnf to install them with; install them and retry" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "==> installing missing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  bash -c "$cmd" >/tmp/ecs-assistant-system-deps.log 2>&1 || {
    echo "error: '$cmd' failed; see /tmp/ecs-assistant-system-deps.log" >&2; exit 1; }
  # Installing nginx on Debian starts the distribution's own service on port 80; our stack never needs it.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx haproxy >/dev/null 2>&1 || true; fi
  exit 0
fi
echo "error: missing ${missing[*]}. Run as root:  sudo bash -c '$cmd'" >&2
exit 1
