# Sourced by the scripts: the MPI to build with and launch, in one place. PARAHPC_MPI=openmpi (the
# default) or mpich (Debian's MPICH, of the family of Intel MPI and Cray MPICH). Run after
# scripts/setup.sh, which installs the chosen one.
#   openmpi: mpicc and mpirun (Debian's default alternatives), target/
#   mpich:   mpicc.mpich, MPICH's parallel HDF5 and mpiexec.mpich (Hydra), target/mpich/
# Exports PARAHPC_MPI and PARAHPC_MPIRUN (the launcher the tests use), and for MPICH MPICC (which
# rsmpi's build and build.rs compile with), PKG_CONFIG_PATH (hdf5-metno finds HDF5 under the name
# 'hdf5', which Debian points at Open MPI's build) and CARGO_TARGET_DIR.
export PARAHPC_MPI=${PARAHPC_MPI:-openmpi}
case $PARAHPC_MPI in
  openmpi)
    export PARAHPC_MPIRUN=mpirun
    # Open MPI refuses to run as root unless told to. Say so visibly.
    if [[ $(id -u) == 0 ]]; then
      echo "note: running as root: exporting OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 for Open MPI" >&2
      export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    ;;
  mpich)
    parahpc_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    export MPICC=mpicc.mpich PARAHPC_MPIRUN=mpiexec.mpich CARGO_TARGET_DIR=$parahpc_repo/target/mpich
    mkdir -p "$CARGO_TARGET_DIR/pkgconfig"
    ln -sf "$(pkg-config --variable=pcfiledir hdf5-mpich)/hdf5-mpich.pc" "$CARGO_TARGET_DIR/pkgconfig/hdf5.pc"
    export PKG_CONFIG_PATH=$CARGO_TARGET_DIR/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    echo "note: PARAHPC_MPI=mpich: building with $MPICC into $CARGO_TARGET_DIR, launching with $PARAHPC_MPIRUN" >&2
    unset parahpc_repo
    ;;
  *)
    echo "PARAHPC_MPI=$PARAHPC_MPI: choose openmpi or mpich" >&2
    return 2 2>/dev/null || exit 2
    ;;
esac
