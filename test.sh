#!/usr/bin/env bash
# Runs every test of jianfu: unit and property tests, the integration suite (SQLite always;
# PostgreSQL and MySQL too when JIANFU_TEST_POSTGRES_URL / JIANFU_TEST_MYSQL_URL are set) and
# the browser journeys in headless Chromium. On a fresh machine it first installs what the
# browser tests need (Debian's chromium and CJK fonts, npm playwright-core).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || missing+=(fonts-noto-cjk)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "浏览器测试需要：sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --silent)
fi

echo "== cargo test (unit, property, integration)"
cargo test --workspace --locked

echo "== browser journeys (playwright-core + Debian chromium)"
cargo build --locked --bin jianfu
bin="$(realpath "${CARGO_TARGET_DIR:-target}")/debug/jianfu"
(cd tests/e2e && JIANFU_BIN="$bin" npm test --silent)
