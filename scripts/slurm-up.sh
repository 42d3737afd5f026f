#!/usr/bin/env bash
# Brings up a real single-node SLURM on this machine, as root, without systemd: munged,
# slurmctld and slurmd, with their configuration, state, logs and pid files in one directory.
# Nothing under /etc/slurm is touched; clients find the cluster through SLURM_CONF.
#
# Usage: eval "$(scripts/slurm-up.sh)"      (prints the export of SLURM_CONF)
#        scripts/slurm-down.sh              (stops exactly what this started)
# Directory: $PARAHPC_SLURM_DIR, default /tmp/parahpc-slurm.
set -euo pipefail
dir=${PARAHPC_SLURM_DIR:-/tmp/parahpc-slurm}
[[ $(id -u) == 0 ]] || { echo "slurm-up: must run as root (daemons and SlurmUser=root)" >&2; exit 1; }

packages=(munge slurmctld slurmd slurm-client slurm-wlm-basic-plugins libpmix-dev)
missing=()
for p in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slurm-up: installing ${missing[*]}" >&2
  apt-get update -qq
  # Without recommends: the slurm-wlm metapackage would drag in dozens of unrelated packages.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A clean start: daemons or job state left by an earlier run would be picked up again.
"$(dirname "$0")/slurm-down.sh"
rm -rf "$dir/state" "$dir/spool"
mkdir -p "$dir"/{state,spool}
host=$(hostname -s)
# The node as slurmd sees it, with RealMemory a little under the real value (else it drains).
node=$(slurmd -C | head -n 1 | sed -E 's/ UpTime=.*//')
memory=$(sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' <<<"$node")
node=$(sed -E "s/RealMemory=[0-9]+/RealMemory=$((memory * 9 / 10))/" <<<"$node")
cat >"$dir/slurm.conf" <<CONF
ClusterName=parahpc-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Fast turnaround for tests: sbatch --wait polls every 2 s, jobs start at once, impossible
# requests are rejected at submission instead of pending forever.
MinJobAge=5
SchedulerParameters=batch_sched_delay=0
EnforcePartLimits=ALL
ReturnToService=2
KillWait=10
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

if ! pgrep -x munged >/dev/null; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  touch "$dir/munged.started-by-us"
fi
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"

for _ in $(seq 50); do
  if [[ $(sinfo -h -o %t 2>/dev/null) =~ ^(idle|mix|alloc) ]]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "slurm-up: the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log" >&2
sinfo -N -l >&2 || true
exit 1
