# Shared by the installer/ci scripts and .ci/run: timed steps and a summary table.
# Source it; then `ci_step NAME COMMAND...` runs one step, `ci_summary` prints the table and returns non-zero
# when any step failed.  Steps keep running after a failure so one run shows every failure.

CI_NAMES=()
CI_SECONDS=()
CI_RESULTS=()

ci_log() { printf '\n==> %s\n' "$*" >&2; }

ci_fmt() {  # seconds -> "1m05s"
    local s=$1
    if (( s >= 60 )); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# ci_step NAME COMMAND... : run COMMAND (a subshell: variables it sets do not come back), time it, record
# ok/FAIL; never aborts the caller.
ci_step() {
    local name=$1; shift
    local start=$SECONDS rc=0
    ci_log "$name"
    # In the background so `set -e` holds inside the step (it is ignored in a `cmd || ...` context).
    "$@" &
    wait $! || rc=$?
    local took=$((SECONDS - start))
    CI_NAMES+=("$name"); CI_SECONDS+=("$took")
    if (( rc == 0 )); then CI_RESULTS+=("ok"); else CI_RESULTS+=("FAIL (exit $rc)"); fi
    printf '<== %s: %s in %s\n' "$name" "${CI_RESULTS[-1]}" "$(ci_fmt "$took")" >&2
    return 0
}

# ci_skip NAME WHY : record a step that was not run.
ci_skip() {
    CI_NAMES+=("$1"); CI_SECONDS+=(0); CI_RESULTS+=("skipped: $2")
    printf '<== %s: skipped (%s)\n' "$1" "$2" >&2
}

ci_failed() {  # true when any recorded step failed
    local r
    for r in "${CI_RESULTS[@]}"; do [[ $r == FAIL* ]] && return 0; done
    return 1
}

# ci_summary TITLE : the table of steps with their times; returns 1 if any step failed.
ci_summary() {
    local i total=0 width=4
    for i in "${!CI_NAMES[@]}"; do (( ${#CI_NAMES[i]} > width )) && width=${#CI_NAMES[i]}; done
    printf '\n%s\n' "${1:-Summary}"
    printf '  %-*s  %8s  %s\n' "$width" "step" "time" "result"
    for i in "${!CI_NAMES[@]}"; do
        printf '  %-*s  %8s  %s\n' "$width" "${CI_NAMES[i]}" "$(ci_fmt "${CI_SECONDS[i]}")" "${CI_RESULTS[i]}"
        total=$((total + CI_SECONDS[i]))
    done
    printf '  %-*s  %8s\n' "$width" "total" "$(ci_fmt "$total")"
    ! ci_failed
}

# ci_start_xvfb LOGFILE : start a virtual X server on a free display; sets CI_XVFB_PID and CI_DISPLAY (":N").
# The caller kills CI_XVFB_PID.  Local (unix socket) connections only.
ci_start_xvfb() {
    local log=$1 numfile
    numfile=$(mktemp)
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$numfile" >"$log" 2>&1 &
    CI_XVFB_PID=$!
    CI_DISPLAY=""
    for _ in $(seq 100); do
        [[ -s $numfile ]] && { CI_DISPLAY=":$(tr -d '[:space:]' < "$numfile")"; break; }
        kill -0 "$CI_XVFB_PID" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$numfile"
    [[ -n $CI_DISPLAY ]]
}
