#!/usr/bin/env bash
# mpirun's remote shell for the emulated two-node cluster (scripts/two-nodes.sh), called as
# `two-nodes-rsh.sh HOST COMMAND...` like ssh: runs the command for nodeb inside its network
# namespace and a new UTS namespace whose hostname is nodeb, and anything else here. nsenter
# enters only the network namespace; `ip netns exec` would also remount /sys, hiding cgroups.
set -euo pipefail
while [[ ${1:-} == -* ]]; do shift; done # options meant for ssh
host=$1
shift
case $host in
  nodeb) exec nsenter --net=/run/netns/parahpc-nodeb unshare --uts sh -c 'hostname nodeb && exec sh -c "$1"' sh "$*" ;;
  *) exec sh -c "$*" ;;
esac
