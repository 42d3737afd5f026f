#!/usr/bin/env bash
# Installs what parahpc needs to build and run. As root on Debian/Ubuntu it installs the missing
# packages with apt; elsewhere it checks what is there and says what to install or load.
# Usage: [PARAHPC_MPI=openmpi|mpich] scripts/setup.sh [--test]   (--test adds what the tests need)
set -euo pipefail
mpi=${PARAHPC_MPI:-openmpi}

packages=(libopenblas-dev libclang-dev pkg-config hdf5-tools fonts-dejavu-core)
case $mpi in
  openmpi) packages+=(openmpi-bin libopenmpi-dev libhdf5-openmpi-dev) ;;
  mpich) packages+=(mpich libmpich-dev libhdf5-mpich-dev) ;;
  *) echo "setup: PARAHPC_MPI=$mpi: choose openmpi or mpich" >&2; exit 2 ;;
esac
[[ ${1:-} == --test ]] && packages+=(python3-h5py python3-pandas iproute2 chromium)

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *"ok installed"* ]] || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "setup: installing ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "setup: missing Debian packages: ${missing[*]}" >&2
      echo "setup: install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
  fi
fi

# Whatever the system, check the capabilities themselves (clusters provide them as modules).
# (No 'cmd | grep -q' under pipefail: grep quits at the first match, cmd dies of SIGPIPE, and the
# pipeline fails at random. Capture first, then match.)
libraries=$(ldconfig -p 2>/dev/null || true)
problems=()
command -v cargo >/dev/null || problems+=("no Rust toolchain: install it from https://rustup.rs")
if [[ $mpi == mpich ]]; then
  command -v mpiexec.mpich >/dev/null && command -v mpicc.mpich >/dev/null || problems+=("no MPICH (mpiexec.mpich, mpicc.mpich)")
  pkg-config --exists hdf5-mpich 2>/dev/null || problems+=("no parallel HDF5 for MPICH (pkg-config hdf5-mpich)")
else
  command -v mpirun >/dev/null && command -v mpicc >/dev/null || problems+=("no MPI (mpirun, mpicc): e.g. 'module load openmpi'")
fi
if [[ $mpi == mpich ]]; then
  : # scripts/mpi-env.sh points 'hdf5' at MPICH's build
elif pkg-config --exists hdf5 2>/dev/null; then
  # hdf5-metno finds HDF5 through pkg-config name 'hdf5'; it must be the MPI (parallel) build.
  [[ $(pkg-config --cflags hdf5) =~ mpi ]] ||
    problems+=("pkg-config 'hdf5' is a serial build; on Debian: update-alternatives --set hdf5.pc /usr/lib/$(uname -m)-linux-gnu/pkgconfig/hdf5-mpi.pc; elsewhere point PKG_CONFIG_PATH or HDF5_DIR at a parallel HDF5")
else
  problems+=("no HDF5 found by pkg-config: e.g. 'module load hdf5/parallel', or set HDF5_DIR")
fi
[[ $libraries == *libopenblas* || -n ${OPENBLAS_DIR:-} ]] || problems+=("no OpenBLAS: e.g. 'module load openblas'")
[[ $libraries == *libclang* || -n ${LIBCLANG_PATH:-} ]] || problems+=("no libclang (needed by bindgen): e.g. 'module load llvm', or set LIBCLANG_PATH")
if ((${#problems[@]})); then
  printf 'setup: %s\n' "${problems[@]}" >&2
  exit 1
fi
