# Sourced: stop_lab DIR kills every process group listed in DIR/pgids
# (TERM, then KILL) and removes DIR.  For the traps of check-salt.sh and
# demo.sh, so that no daemon outlives them, whatever happens.
stop_lab() {
    local dir="$1" sig pgid
    if [ -f "$dir/pgids" ]; then
        for sig in TERM KILL; do
            while read -r pgid; do kill "-$sig" -- "-$pgid" 2>/dev/null || true; done < "$dir/pgids"
            sleep 1
        done
    fi
    rm -rf "$dir"
}
