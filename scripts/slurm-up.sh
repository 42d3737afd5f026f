#!/usr/bin/env bash
# Brings up a real SLURM on this machine, as root, without systemd: munged, slurmctld and a
# slurmd per node, with their configuration, state, logs and pid files in one directory. Nothing
# under /etc/slurm is touched; clients find the cluster through SLURM_CONF.
#
# One node by default. With --two-nodes, two: this host and nodeb, the second node that
# scripts/two-nodes.sh emulates (run 'scripts/two-nodes.sh up' first). nodeb's slurmd runs in
# that network namespace with its own hostname, so its tasks reach this host over the veth only.
#
# Usage: eval "$(scripts/slurm-up.sh [--two-nodes])"   (prints the export of SLURM_CONF)
#        scripts/slurm-down.sh                          (stops exactly what this started)
# Directory: $PARAHPC_SLURM_DIR, default /tmp/parahpc-slurm.
set -euo pipefail
dir=${PARAHPC_SLURM_DIR:-/tmp/parahpc-slurm}
[[ $(id -u) == 0 ]] || { echo "slurm-up: must run as root (daemons and SlurmUser=root)" >&2; exit 1; }
two_nodes=0
[[ ${1:-} == --two-nodes ]] && two_nodes=1
if ((two_nodes)) && [[ ! -e /run/netns/parahpc-nodeb ]]; then
  echo "slurm-up: --two-nodes needs the emulated second node: run scripts/two-nodes.sh up first" >&2
  exit 1
fi

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
rm -rf "$dir/state" "$dir/spool" "$dir/tmp"
host=$(hostname -s)
nodes=("$host")
((two_nodes)) && nodes+=(nodeb)
for n in "${nodes[@]}"; do mkdir -p "$dir/spool/$n" "$dir/tmp/$n"; done
mkdir -p "$dir/state"
# The node as slurmd sees it, with RealMemory a little under the real value (else it drains);
# two emulated nodes share the machine's memory.
hardware=$(slurmd -C | head -n 1 | sed -E 's/ UpTime=.*//; s/^NodeName=[^ ]* //')
memory=$(sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' <<<"$hardware")
hardware=$(sed -E "s/RealMemory=[0-9]+/RealMemory=$((memory * 9 / 10 / ${#nodes[@]}))/" <<<"$hardware")
if ((two_nodes)); then
  # Each slurmd listens on its own port, at its end of the veth; slurmctld on this end.
  controller="$host(169.254.77.1)"
  node_lines="NodeName=$host NodeAddr=169.254.77.1 Port=17001 $hardware State=UNKNOWN
NodeName=nodeb NodeAddr=169.254.77.2 Port=17002 $hardware State=UNKNOWN"
else
  controller=$host
  node_lines="NodeName=$host $hardware State=UNKNOWN"
fi
# Each job gets a temporary directory of its own on each node (TaskProlog prints TMPDIR for its
# tasks; Epilog removes it). Both emulated nodes share this machine's /tmp, and a chained job
# starting on this host while the one before it finished here once died in Open MPI's
# shared-memory set-up ("open(2) No such file or directory"): the finishing job removes its
# session directory tree under $TMPDIR/ompi.<host>.<uid> while the next creates its own there.
cat >"$dir/task-prolog.sh" <<SCRIPT
#!/bin/sh
d="$dir/tmp/\$SLURMD_NODENAME/job\$SLURM_JOB_ID"
mkdir -p "\$d" && echo "export TMPDIR=\$d"
SCRIPT
cat >"$dir/epilog.sh" <<SCRIPT
#!/bin/sh
rm -rf "$dir/tmp/\$SLURMD_NODENAME/job\$SLURM_JOB_ID"
SCRIPT
chmod +x "$dir/task-prolog.sh" "$dir/epilog.sh"
cat >"$dir/slurm.conf" <<CONF
ClusterName=parahpc-test
SlurmctldHost=$controller
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
# Per node (%n), so that two slurmd on one machine keep apart; TmpFS too, else the PMIx
# servers of both nodes collide in one directory.
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
TmpFS=$dir/tmp/%n
TaskProlog=$dir/task-prolog.sh
Epilog=$dir/epilog.sh
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
$node_lines
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

if ! pgrep -x munged >/dev/null; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  touch "$dir/munged.started-by-us"
fi
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF" -N "$host"
if ((two_nodes)); then
  # nsenter joins only the network namespace ('ip netns exec' would remount /sys and hide the
  # cgroups slurmd needs); unshare gives nodeb its own hostname.
  nsenter --net=/run/netns/parahpc-nodeb unshare --uts \
    sh -c 'hostname nodeb && exec /usr/sbin/slurmd -f "$1" -N nodeb' sh "$SLURM_CONF"
fi

for _ in $(seq 100); do
  states=$(sinfo -h -N -o %t 2>/dev/null | sort -u | tr '\n' ' ')
  if [[ -n $states && $states =~ ^((idle|mix|alloc)\ )+$ ]]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "slurm-up: the nodes did not become idle; see $dir/slurmctld.log and $dir/slurmd-*.log" >&2
sinfo -N -l >&2 || true
exit 1
