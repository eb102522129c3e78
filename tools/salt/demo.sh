#!/usr/bin/env bash
# docs/salt.md, "Rehearse on your machine": a local Salt master and three
# minions, each rehearsing on its own simulated cluster (an estate file
# under its allowed directory); the phases of the raises as they reach the
# master's event bus (salt-run state.event); then everything is stopped.
# Linux, as root or as any user (nothing outside a temporary directory is
# touched).  DELAY=seconds between simulated phases (default 0.5).
set -euo pipefail
source "$(dirname "$0")/venv.sh"
source "$ROOT/tools/salt/stop.sh"
LAB="$(mktemp -d /tmp/cus-salt.XXXXXX)"
trap 'stop_lab "$LAB"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting a salt-master and three salt-minions under $LAB"
CONF="$("$PY" "$ROOT/tools/salt/lab.py" up "$LAB" --minions 3 --delay "${DELAY:-0.5}")"
echo "salt -c $CONF ...   (master config: $CONF/master; minions: $CONF/site-*/minion)"

step "Watching the master's event bus: salt-run state.event 'clusupgrade/*' pretty=True"
# (Its own process group, listed for the trap; what it says when stopped is dropped.)
setsid salt-run -c "$CONF" state.event 'clusupgrade/*' pretty=True 2>/dev/null &
echo "$!" >> "$LAB/pgids"
sleep 2

step "Preflight on every minion: salt '*' clusupgrade.preflight"
salt -c "$CONF" '*' clusupgrade.preflight --out=yaml | grep -E '^[a-z]|outcome|functional_level|target_level'

step "What the state would do: salt '*' state.apply clusupgrade test=True"
salt -c "$CONF" '*' state.apply clusupgrade test=True --state-output=terse || true

step "Raising the estate in waves: salt-run state.orchestrate orch.raise_estate"
salt-run -c "$CONF" state.orchestrate orch.raise_estate --state-output=terse || true
sleep 2

step "Where the clusters stand: salt '*' clusupgrade.info"
salt -c "$CONF" '*' clusupgrade.info --out=yaml | grep -E '^[a-z]|^  name|functional_level:'

step "Again: nothing left to raise"
salt -c "$CONF" '*' state.apply clusupgrade --state-output=terse || true
step "Stopping the master and the minions"
