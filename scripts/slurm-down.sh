#!/usr/bin/env bash
# Stops exactly the daemons scripts/slurm-up.sh started (by their pid files), after cancelling
# the jobs and waiting for the queue to empty: job processes would outlive slurmd.
set -uo pipefail
dir=${PARAHPC_SLURM_DIR:-/tmp/parahpc-slurm}
export SLURM_CONF=$dir/slurm.conf
[[ -f $SLURM_CONF ]] || exit 0

if [[ -f $dir/slurmctld.pid ]]; then
  scancel --full "$(squeue -h -o %i | tr '\n' ' ')" 2>/dev/null
  for _ in $(seq 50); do
    [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
    sleep 0.2
  done
fi
stop() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}
for pidfile in "$dir"/slurmd-*.pid; do
  stop "$pidfile"
done
stop "$dir/slurmctld.pid"
if [[ -f $dir/munged.started-by-us ]]; then
  stop /run/munge/munged.pid
  rm -f "$dir/munged.started-by-us"
fi
rm -f "$dir"/slurm*.pid
