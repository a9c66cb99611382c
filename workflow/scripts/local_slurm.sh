#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, from Debian's packages (slurm-wlm, munge), for trying and
# testing the SLURM executor profile (workflow/profiles/slurm). Run as root.
#
#   workflow/scripts/local_slurm.sh -- COMMAND [ARG...]   # bring the cluster up, run COMMAND against it,
#                                                        # tear it down; exits with COMMAND's status
#   workflow/scripts/local_slurm.sh                      # bring it up and wait; Ctrl-C / SIGTERM tears down
#   workflow/scripts/local_slurm.sh --print-conf         # print the slurm.conf it would write, start nothing
#
# What it does: installs slurm-wlm and munge with apt-get if slurmctld is missing (the one network access),
# writes a minimal slurm.conf under $LOCAL_SLURM_DIR (default /tmp/local-slurm): this node with the cores
# and memory `slurmd -C` reports, one partition `main` (the default), plus a partition `gpu` and `gres`
# lines only where GPUs exist (/dev/nvidia0...); starts munged, slurmctld and slurmd; waits until `sinfo`
# shows the node idle; and on exit (normal, error or signal) cancels leftover jobs, stops the daemons it
# started and removes the state. COMMAND runs with SLURM_CONF pointing at that slurm.conf (so do its jobs:
# sbatch passes the environment on); from another shell, `export SLURM_CONF=$LOCAL_SLURM_DIR/slurm.conf`.
#
# No accounting database: `sacct` answers from slurmctld (finished jobs are kept for MinJobAge = 1 h), and
# every finished job is one line of the job completion log $LOCAL_SLURM_DIR/jobcomp.log. Memory is not a
# consumable resource here (CR_Core): a job's --mem is checked against the node's memory, not summed.
set -euo pipefail

DIR="${LOCAL_SLURM_DIR:-/tmp/local-slurm}"
CONF="$DIR/slurm.conf"
WAIT_S="${LOCAL_SLURM_WAIT_S:-60}"

log() { echo "local_slurm: $*" >&2; }
die() { log "$*"; exit 1; }

gpu_devices() {  # the NVIDIA GPU device files of this machine, one per line (none on a CPU machine)
    ls /dev/nvidia[0-9]* 2>/dev/null | sort -V || true
}

node_line() {  # NodeName=... CPUs=... RealMemory=... of this machine, from slurmd -C
    local hw
    hw="$(slurmd -C 2>/dev/null | head -1)" || true
    if [[ "$hw" != NodeName=* ]]; then  # slurmd not installed yet (--print-conf): the same from the kernel
        hw="NodeName=$(hostname -s) CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
    fi
    # Keep 5 % of the memory back: slurmd drains a node whose configured RealMemory exceeds what it finds.
    local mem
    mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"
    hw="$(sed "s/RealMemory=[0-9]*/RealMemory=$(( mem * 95 / 100 ))/" <<<"$hw")"
    echo "$hw NodeAddr=127.0.0.1"
}

write_conf() {  # the slurm.conf (and gres.conf with GPUs) on stdout / into $DIR
    local host gpus n_gpus
    host="$(hostname -s)"
    gpus="$(gpu_devices)"
    n_gpus="$(grep -c . <<<"$gpus" || true)"
    cat <<EOF
# One-node cluster of workflow/scripts/local_slurm.sh (generated; removed on exit)
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
SlurmctldPort=${LOCAL_SLURM_CTLD_PORT:-6817}
SlurmdPort=${LOCAL_SLURM_D_PORT:-6818}
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
EOF
    if (( n_gpus > 0 )); then
        echo "GresTypes=gpu"
        echo "$(node_line) Gres=gpu:$n_gpus State=UNKNOWN"
        echo "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
        echo "PartitionName=gpu Nodes=ALL Default=NO MaxTime=INFINITE State=UP"
    else
        echo "$(node_line) State=UNKNOWN"
        echo "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
    fi
}

write_gres_conf() {
    local host dev
    host="$(hostname -s)"
    for dev in $(gpu_devices); do
        echo "NodeName=$host Name=gpu File=$dev"
    done
}

if [[ "${1:-}" == "--print-conf" ]]; then
    write_conf
    exit 0
fi
[[ "$(id -u)" == 0 ]] || die "run as root (it installs packages and starts munged, slurmctld and slurmd)"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed; check the network to the Debian mirror"
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
        || die "apt-get install slurm-wlm munge failed"
fi

[[ ! -e "$DIR/slurmctld.pid" ]] || die "$DIR holds a running cluster (slurmctld.pid); stop it or set LOCAL_SLURM_DIR"
# Commands inside a job read the configuration from its default place: the SLURM executor's job step
# (snakemake-executor-plugin-slurm-jobstep) drops SLURM_CONF from the environment of its srun.
SYSTEM_CONF=/etc/slurm/slurm.conf
MARK="# One-node cluster of workflow/scripts/local_slurm.sh"
if [[ -e "$SYSTEM_CONF" ]] && ! head -1 "$SYSTEM_CONF" | grep -qF "$MARK"; then
    die "$SYSTEM_CONF exists and is not this script's: this machine has a SLURM configuration already"
fi
mkdir -p "$DIR/state" "$DIR/spool" /etc/slurm
export SLURM_CONF="$CONF"
write_conf >"$CONF"
if [[ -n "$(gpu_devices)" ]]; then
    write_gres_conf >"$DIR/gres.conf"
fi

STARTED_PIDS=()
MUNGE_SOCKET=/run/munge/munge.socket.2  # slurm's auth/munge and munge's clients look here
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    log "tearing down"
    scancel --full --quiet --user root 2>/dev/null || true
    local pidfile pid
    for pidfile in "$DIR/slurmd.pid" "$DIR/slurmctld.pid"; do
        if [[ -s "$pidfile" ]]; then
            pid="$(cat "$pidfile")"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    rm -f "$SYSTEM_CONF"
    [[ ! -e "$DIR/gres.conf" ]] || rm -f /etc/slurm/gres.conf
    if [[ -n "${KEEP_LOGS:-}" ]]; then
        log "logs kept in $DIR (KEEP_LOGS)"
        rm -rf "$DIR/state" "$DIR/spool" "$DIR"/*.pid
    else
        rm -rf "$DIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp "$CONF" "$SYSTEM_CONF"
[[ ! -e "$DIR/gres.conf" ]] || cp "$DIR/gres.conf" /etc/slurm/gres.conf

# munge: a key (the package creates one; a fresh one otherwise), the daemon on its usual socket unless one
# is already answering there.
if [[ ! -s /etc/munge/munge.key ]]; then
    mungekey --create --keyfile=/etc/munge/munge.key --force >/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if munge -n -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
    log "munged is already running"
else
    # munged runs as the munge user and refuses files it cannot reach (e.g. under a private temporary
    # folder): its usual Debian places.
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged --socket="$MUNGE_SOCKET" --pid-file=/run/munge/munged.pid \
        --log-file=/var/log/munge/munged.log --seed-file=/var/lib/munge/munged.seed
    STARTED_PIDS+=("$(cat /run/munge/munged.pid)")
fi
munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"

log "starting slurmctld and slurmd ($CONF)"
slurmctld -f "$CONF" -i || die "slurmctld did not start (see $DIR/slurmctld.log)"
slurmd -f "$CONF" || die "slurmd did not start (see $DIR/slurmd.log)"

node="$(hostname -s)"
for (( waited = 0; ; waited++ )); do
    state="$(sinfo --noheader --nodes="$node" --format=%T 2>/dev/null | head -1)" || true
    [[ "$state" == idle ]] && break
    if (( waited >= WAIT_S )); then
        tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
        die "the node is '${state:-unknown}', not idle, after ${WAIT_S} s"
    fi
    if [[ "$state" == drain* || "$state" == down* ]]; then
        scontrol update nodename="$node" state=resume 2>/dev/null || true
    fi
    sleep 1
done
sinfo >&2
log "up: export SLURM_CONF=$CONF (state, logs and the job completion log in $DIR)"

if [[ "${1:-}" == "--" ]]; then
    shift
    (( $# > 0 )) || die "nothing to run after --"
    set +e
    "$@"
    status=$?
    set -e
    exit "$status"
fi
log "waiting; Ctrl-C or SIGTERM tears the cluster down"
while true; do
    sleep 3600 &
    STARTED_PIDS+=("$!")
    wait "$!"
done
