#!/usr/bin/env bash
# Regenerates Screenshots/*.png from the real binary on the real Kamailio capture: tmux runs
# hepscope, keys go in with send-keys, `capture-pane -e` keeps the colours, and ansi2png.py
# draws the screen with DejaVu Sans Mono (Debian: python3-pil, fonts-dejavu-core).
#
#   Scripts/screenshots.sh            # uses (and builds) the debug binary
#   SCRATCH=.build-viewer Scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tmux >/dev/null || need+=(tmux)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || need+=(python3-pil)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

scratch=${SCRATCH:-.build}
swift build --scratch-path "$scratch" --product hepscope >/dev/null
binary="$(swift build --scratch-path "$scratch" --show-bin-path)/hepscope"
capture=Tests/Fixtures/kamailio/hep-kamailio-udp.pcap
out=Screenshots
work=$(mktemp -d)
socket="hepscope-shots-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

start() {  # start COLUMNS ROWS ARGS...
    local columns=$1 rows=$2
    shift 2
    tmux -L "$socket" kill-server 2>/dev/null || true
    sleep 0.2
    tmux -L "$socket" -f /dev/null new-session -d -x "$columns" -y "$rows" \
        env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color TZ=UTC "$binary" "$@"
    size="$columns $rows"
}

keys() { tmux -L "$socket" send-keys -t 0 "$@"; sleep 0.3; }

wait_for() {  # wait_for TEXT
    for _ in $(seq 100); do
        tmux -L "$socket" capture-pane -p -t 0 | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    echo "screenshots: '$1' did not appear" >&2
    tmux -L "$socket" capture-pane -p -t 0 >&2
    exit 1
}

shot() {  # shot NAME
    set -- "$1" $size
    tmux -L "$socket" capture-pane -e -N -p -t 0 > "$work/$1.ansi"
    /usr/bin/python3 Scripts/ansi2png.py "$work/$1.ansi" "$out/$1.png" --columns "$2" --rows "$3"
    echo "$out/$1.png"
}

mkdir -p "$out"

start 120 40 "$capture"
wait_for "tb-20261127T015517Z-udp-b"
shot 1-sessions
keys j Enter
wait_for "Calls of tb-20261127T015517Z-udp-b"
shot 2-calls
keys j Enter
wait_for "Ladder of udp-busy-1-642"
keys j j j
shot 3-ladder
keys Enter
wait_for "SIP/2.0 486 Busy Here"
shot 4-message
keys q q k Enter
wait_for "Ladder of udp-reinv-1-643"
keys / "INVITE 1 INVITE" Enter Space / "INVITE 2 INVITE" Enter Space d
wait_for "Diff: frame"
shot 5-diff
keys q q q f "corr:udp-b and (state:busy or /a=sendonly/)" Enter a
wait_for "All calls"
shot 6-filter
keys '?'
wait_for "Keys (j/k scroll"
shot 7-help
keys Escape F2
wait_for "What:"
shot 9-save

# The walk-through size: a ladder in 80x24.
start 80 24 "$capture"
wait_for "tb-20261127T015517Z-udp-b"
keys j Enter j Enter j j j
wait_for "486 Busy Here"
shot 8-ladder-80x24
