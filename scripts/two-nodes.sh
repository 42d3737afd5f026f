#!/usr/bin/env bash
# A test tool: a two-node cluster emulated on this machine, for mpirun. The second node, "nodeb",
# is a network namespace joined to this one by a veth pair with link-local addresses
# (169.254.77.1 here, 169.254.77.2 there); mpirun reaches it through scripts/two-nodes-rsh.sh,
# its remote shell, which also gives it its own hostname (a UTS namespace). OpenMPI then sees two
# nodes: shared memory within each, TCP over the veth between them. No traffic leaves the
# machine: the only addresses used are the veth's, in a namespace this script made.
#
# Usage (as root):
#   scripts/two-nodes.sh up                 create the namespace, the veth pair and the hostfile
#   scripts/two-nodes.sh mpirun -n 4 CMD…   run mpirun across the two nodes (ranks by node: 0 here,
#                                           1 on nodeb, 2 here, …)
#   scripts/two-nodes.sh env                print the exports that jobs across the two nodes need
#                                           (eval "$(scripts/two-nodes.sh env)"), e.g. under the
#                                           two-node SLURM of scripts/slurm-up.sh
#   scripts/two-nodes.sh down               remove everything 'up' created
# Directory for the hostfile: $PARAHPC_TWO_NODES_DIR, default /tmp/parahpc-two-nodes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${PARAHPC_TWO_NODES_DIR:-/tmp/parahpc-two-nodes}
netns=parahpc-nodeb
veth=phpc-a
peer=phpc-b
subnet=169.254.77.0/30

up() {
  [[ $(id -u) == 0 ]] || { echo "two-nodes: must run as root (network namespaces)" >&2; exit 1; }
  down
  ip netns add "$netns"
  ip link add "$veth" type veth peer name "$peer"
  ip link set "$peer" netns "$netns"
  ip addr add 169.254.77.1/30 dev "$veth"
  ip link set "$veth" up
  ip netns exec "$netns" ip addr add 169.254.77.2/30 dev "$peer"
  ip netns exec "$netns" ip link set "$peer" up
  ip netns exec "$netns" ip link set lo up
  mkdir -p "$dir"
  printf '%s slots=2\nnodeb slots=2\n' "$(hostname)" >"$dir/hostfile"
  echo "two-nodes: up: $(hostname) (169.254.77.1) and nodeb (169.254.77.2, namespace $netns)" >&2
}

down() {
  # Deleting the namespace deletes the veth pair with it.
  if ip netns list | grep -qw "$netns"; then
    ip netns pids "$netns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$netns"
  fi
  ip link del "$veth" 2>/dev/null || true
  rm -rf "$dir"
}

# Open MPI settings for ranks on the two nodes. TCP between the nodes, and Open MPI's own
# out-of-band channel, only over the veth; shared memory within each node. Busy-polling ranks
# must yield: a veth delivers packets in the kernel's soft interrupts, which a CPU spinning in
# user space runs only at the next timer tick, so every message between the nodes took 4 ms
# (one tick at 250 Hz) instead of 15 µs (measured with a C ping-pong).
mca_env() {
  cat <<ENV
export OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_btl_tcp_if_include=$subnet
export OMPI_MCA_oob_tcp_if_include=$subnet
export OMPI_MCA_mpi_yield_when_idle=1
ENV
}

run_mpirun() {
  [[ -f $dir/hostfile ]] || { echo "two-nodes: not up; run scripts/two-nodes.sh up first" >&2; exit 1; }
  eval "$(mca_env)"
  exec mpirun --hostfile "$dir/hostfile" --map-by node \
    --mca plm_rsh_agent "$here/two-nodes-rsh.sh" "$@"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  mpirun) shift; run_mpirun "$@" ;;
  env) mca_env ;;
  *) echo "usage: scripts/two-nodes.sh up|down|env|mpirun [mpirun arguments]" >&2; exit 2 ;;
esac
