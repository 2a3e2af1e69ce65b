#!/usr/bin/env bash
# The integration suite: real senders from Debian's packages (Kamailio siptrace, sipp, sngrep,
# stunnel) feeding a live hepscope on loopback, checked with pytest.
#
#   bash Tests/Integration/run.sh [pytest arguments]
#
# HEPSCOPE_BIN names the binary to test; without it `swift build` makes .build/debug/hepscope.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() {
    echo "integration suite: $*" >&2
    exit 1
}

export DEBIAN_FRONTEND=noninteractive
packages=(kamailio kamailio-tls-modules sip-tester sngrep stunnel4 tmux openssl)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    # The suite never skips its senders: without them it fails here, loudly.
    apt-get update -qq || fail "apt-get update failed; cannot install ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || fail "cannot install the Debian packages ${missing[*]}"
fi
for tool in kamailio sipp sngrep stunnel tmux openssl; do
    command -v "$tool" >/dev/null || fail "'$tool' is not on PATH after installing ${packages[*]}"
done

python=python3
if ! "$python" -m pytest --version >/dev/null 2>&1; then
    dpkg -s python3-pytest >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends python3-pytest \
        || fail "pytest is missing and python3-pytest cannot be installed"
    python=/usr/bin/python3
fi

if [[ -z "${HEPSCOPE_BIN:-}" ]]; then
    swift build --product hepscope || fail "swift build failed"
    HEPSCOPE_BIN="$PWD/.build/debug/hepscope"
fi
[[ -x "$HEPSCOPE_BIN" ]] || fail "no hepscope binary at $HEPSCOPE_BIN"
export HEPSCOPE_BIN

# Kamailio and the sipp agents are started, and stopped, by the tests themselves.
export PYTHONDONTWRITEBYTECODE=1
exec "$python" -m pytest -p no:cacheprovider -v -rs Tests/Integration "$@"
