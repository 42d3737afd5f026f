# Sourced by the scripts: OpenMPI refuses to run as root unless told to. Say so visibly.
if [[ $(id -u) == 0 ]]; then
  echo "note: running as root: exporting OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 for OpenMPI" >&2
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
