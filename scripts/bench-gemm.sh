#!/usr/bin/env bash
# Benchmark, not a test: parahpc gemm and simd against their goals, side by side in one run.
# - BLAS on one core against the HPC Challenge suite's SingleDGEMM (mpirun -n 1 hpcc, HPL N = 2000,
#   which makes HPCC's DGEMM n = 1154), at HPCC's own n; both with one OpenBLAS thread.
#   Goal: parahpc's median rate at least 1.00x HPCC's (which times one call); the best of 5 is
#   printed too.
# - parahpc's blocked gemm against its BLAS, one thread, same n. Goal: at least 30 %.
# - The explicit AVX2 f64 dot product against scalar on an L1-resident array (16 KiB for x and y).
#   Goal: at least 3x.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh"

sed -e 's/^2 *Ps/1            Ps/' -e 's/^2 *Qs/1            Qs/' -e 's/^1000 *Ns/2000         Ns/' \
  /usr/share/doc/hpcc/examples/_hpccinf.txt > hpccinf.txt
OPENBLAS_NUM_THREADS=1 mpirun -n 1 hpcc >/dev/null
n=$(sed -nE 's/^DGEMM_N=([0-9]+)$/\1/p' hpccoutf.txt)
"$repo/target/release/parahpc" gemm --n "$n" --impl blocked,blas --threads 1 --repeats 5 -q \
  -o gemm.h5 --json gemm.json >/dev/null
simd=no
if grep -qw avx2 /proc/cpuinfo; then
  "$repo/target/release/parahpc" simd --isa avx2 --bytes 16K --repeats 5 -q -o simd.h5 --json simd.json >/dev/null
  simd=yes
fi

N=$n SIMD=$simd python3 - <<'PY'
import json, os, re
hpcc = dict(re.findall(r"^(\w+)=(\S+)$", open("hpccoutf.txt").read(), re.M))
rows = json.load(open("gemm.json"))["gemm"]["rows"]
rate = {r["impl"]: r["gflops"] for r in rows}
best = {r["impl"]: r["gflops_best"] for r in rows}
single = float(hpcc["SingleDGEMM_Gflops"])
print(f"n = {os.environ['N']} (HPCC's DGEMM size), one core, one OpenBLAS thread; parahpc: median of 5")
print(f"{'':42}{'parahpc':>10}{'reference':>11}{'ratio':>8}  goal")
def line(what, ours, theirs, goal):
    ratio = ours / theirs
    print(f"{what:42}{ours:10.2f}{theirs:11.2f}{ratio:8.2f}  >= {goal:.2f} " + ("met" if ratio >= goal else "MISSED"))
line("BLAS vs HPCC SingleDGEMM [GFLOP/s]", rate["blas"], single, 1.00)
line("  (parahpc's best of 5 instead)", best["blas"], single, 1.00)
line("blocked vs parahpc BLAS [GFLOP/s]", rate["blocked"], rate["blas"], 0.30)
if os.environ["SIMD"] == "yes":
    rows = json.load(open("simd.json"))["simd"]["rows"]
    dot = {r["variant"]: r for r in rows if r["kernel"] == "dot" and r["dtype"] == "f64"}
    line("AVX2 f64 dot vs scalar, 16 KiB [GFLOP/s]", dot["explicit"]["gflops"], dot["scalar"]["gflops"], 3.00)
else:
    print("AVX2 f64 dot: this CPU has no AVX2, not measured")
PY
