//! The command line: options shared by every experiment, and one subcommand per experiment.

use clap::{Args, ColorChoice, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "parahpc",
    version,
    // Plain text always: OpenMPI hands ranks a pty, so colour would end up in job logs.
    color = ColorChoice::Never,
    about = "How parallel is my machine, and my code, really? Measured lessons of parallel computing.",
    long_about = "How parallel is my machine, and my code, really?\n\n\
        parahpc turns the classic lessons of parallel computing into measured experiments on \
        your own hardware. It is one SPMD program: launch it with mpirun or srun (or alone, as \
        one rank). Each subcommand is one experiment; it prints what it measured next to what \
        the lesson predicts and writes every result, with the full run context, to an HDF5 file.\n\n\
        Example:  mpirun -n 4 parahpc amdahl",
    after_help = "Run 'parahpc <COMMAND> --help' for what an experiment measures and teaches."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The MPI thread level the command needs: Funneled where rayon threads run beside MPI (they
    /// never call it), Single otherwise, since OpenMPI 4.1 charges every message for a higher
    /// level (measured here: 8-byte ping-pong 0.236 µs at Single, 0.285 µs at Funneled).
    pub fn thread_level(&self) -> mpi::Threading {
        match &self.command {
            Command::Amdahl(_)
            | Command::Stream(_)
            | Command::Falseshare(_)
            | Command::Countdown(_)
            | Command::Bank(_)
            | Command::Pool(_)
            | Command::Gemm(_) => mpi::Threading::Funneled,
            Command::Comm(_) | Command::Topology(_) | Command::Memlat(_) | Command::Simd(_) | Command::Report(_) => {
                mpi::Threading::Single
            }
        }
    }

    /// How many threads each rank of the command's experiment runs.
    pub fn threads(&self) -> ThreadRequest {
        match &self.command {
            Command::Amdahl(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Topology(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Stream(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Memlat(_) => ThreadRequest::Fixed(1, "single-threaded experiment"),
            Command::Falseshare(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Countdown(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Pool(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Gemm(a) => ThreadRequest::Resolve(a.threads.count),
            Command::Simd(_) => ThreadRequest::Fixed(1, "single-threaded experiment: one core's vector units"),
            Command::Bank(_) => {
                ThreadRequest::Fixed(1, "ranks run one thread; the thread modes start --workers threads on rank 0")
            }
            Command::Comm(_) | Command::Report(_) => ThreadRequest::Fixed(1, "single-threaded experiment"),
        }
    }
}

/// Threads per rank: resolved from `--threads`, the environment and the binding, or fixed by an
/// experiment that runs one thread (with the reason recorded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThreadRequest {
    Resolve(Option<usize>),
    Fixed(usize, &'static str),
}

/// `--threads`, for the experiments that run threads.
#[derive(Args, Debug, Clone)]
pub struct ThreadArgs {
    /// Threads per rank [default: $RAYON_NUM_THREADS, else $SLURM_CPUS_PER_TASK, else the
    /// CPUs this rank is bound to, shared among the ranks of this node bound to the same CPUs]
    #[arg(long = "threads", value_name = "N", value_parser = parse_count)]
    pub count: Option<usize>,
}

/// Options every experiment takes.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// HDF5 results file [default: parahpc-<experiment>-<UTC time>.h5 in the working directory]
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Overwrite existing output files instead of refusing to
    #[arg(long)]
    pub force: bool,

    /// Also export the result table as JSON to PATH (for quick scripting)
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// No progress lines (results, warnings and errors are still printed)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Amdahl(AmdahlArgs),
    Comm(CommArgs),
    Topology(TopologyArgs),
    Stream(StreamArgs),
    Memlat(MemlatArgs),
    Falseshare(FalseshareArgs),
    Countdown(CountdownArgs),
    Bank(BankArgs),
    Pool(PoolArgs),
    Gemm(GemmArgs),
    Simd(SimdArgs),
    Report(ReportArgs),
}

/// The GIL experiment: counting down, serially, with threads, with ranks, with both.
#[derive(Args, Debug, Clone)]
#[command(long_about = "The GIL experiment: counting down, serially, with threads, with ranks, with both.\n\n\
    The lesson, in CPython: countdown(10**8) twice took 7.9 s serially, 8.0 s with 2 threads (the \
    interpreter lock lets one run at a time) and 4.2 s with 2 processes. countdown runs the same \
    jobs serially, on the rank's threads, on the ranks, and on ranks × threads, checks every \
    countdown reached zero and every job ran once, and reports time and speedup per mode. \
    Threads scale here: there is no interpreter lock.\n\n\
    Examples:\n  \
    parahpc countdown --threads 2\n  \
    mpirun -n 4 parahpc countdown --scale")]
pub struct CountdownArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Decrements per countdown (the seed's 10^8)
    #[arg(long, value_name = "N", default_value_t = 100_000_000, value_parser = parse_iterations)]
    pub n: u64,

    /// Countdowns per mode (the seed's 2)
    #[arg(long, value_name = "JOBS", default_value_t = 2, value_parser = parse_count)]
    pub repeat: usize,

    /// One countdown per worker (ranks × threads) instead of --repeat
    #[arg(long)]
    pub scale: bool,

    /// Timed runs per mode (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

/// SIMD, the parallelism inside one core: scalar, compiler-vectorised and explicit vector code.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "SIMD, the parallelism inside one core: scalar, compiler-vectorised and explicit vector code.\n\n\
    The lesson: vector instructions (SSE, AVX, AVX-512, NEON) are the first level of parallelism: \
    one instruction works on 2 to 16 numbers. simd runs a dot product, z = α·x + y (AXPY) and a sum \
    over f32 and f64 arrays sized to fit L1, L2 and no cache, three ways: 'scalar' (one element per \
    instruction: volatile loads keep the compiler from vectorising), 'auto' (plain loops written \
    so the compiler vectorises them, for the build's baseline ISA: SSE2 on x86-64) and 'explicit' \
    (std::arch intrinsics for the widest unit the CPU has, detected at run time: AVX-512F, \
    AVX2+FMA or SSE2 on x86-64, NEON on aarch64). It reports time per call, elements/s, GFLOP/s, \
    speedup over scalar and the ISA used. Rank 0 measures, on one core.\n\n\
    Every variant must agree with scalar within what reordering allows: vector code adds a sum's \
    terms in another order (within 2nε·Σ|terms|), and a fused multiply-add rounds once instead \
    of twice; beyond that the run fails.\n\n\
    Examples:\n  \
    parahpc simd\n  \
    parahpc simd --bytes 16K,256K,256M\n  \
    parahpc simd --isa avx2"
)]
pub struct SimdArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Working sets (all of a kernel's arrays), with optional K/M/G suffixes [default: half of
    /// L1, half of L2, twice the last-level cache (64M to 512M)]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_bytes)]
    pub bytes: Option<Vec<u64>>,

    /// Unit for the explicit kernels, to compare widths [default: the widest the CPU has]
    #[arg(long, value_enum)]
    pub isa: Option<IsaChoice>,

    /// Timed measurements per point (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsaChoice {
    /// 512-bit, x86-64
    Avx512f,
    /// 256-bit with fused multiply-add, x86-64
    Avx2,
    /// 128-bit, every x86-64
    Sse2,
    /// 128-bit, every aarch64
    Neon,
}

impl IsaChoice {
    pub fn isa(self) -> crate::kernels::simd::Isa {
        use crate::kernels::simd::Isa;
        match self {
            IsaChoice::Avx512f => Isa::Avx512,
            IsaChoice::Avx2 => Isa::Avx2,
            IsaChoice::Sse2 => Isa::Sse2,
            IsaChoice::Neon => Isa::Neon,
        }
    }
}

/// Dense matrix multiply: the textbook loop, a cache-blocked one, BLAS, and SUMMA over ranks.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "Dense matrix multiply: the textbook loop, a cache-blocked one, BLAS, and SUMMA over ranks.\n\n\
    The lesson: numerics without a vectorised, parallel BLAS (OpenBLAS, MKL) miss the essential, \
    performance. gemm computes C = A·B in double precision for square random n × n matrices on \
    rank 0: 'naive' is the textbook i-j-k loop; 'blocked' packs B into cache-sized panels and \
    accumulates register tiles of C with a vectorised multiply-add loop (AVX2+FMA when the CPU \
    has it), rayon over row blocks; 'blas' calls dgemm of the system OpenBLAS. Each runs with one \
    thread and with the rank's threads (naive with one); OpenBLAS's own thread count is set \
    explicitly, so BLAS and rayon never share cores by accident. With --dist, SUMMA multiplies \
    over every rank on a 2-D process grid (as square as the rank count allows; uneven blocks \
    where n does not divide), broadcasting panels along grid rows and columns and multiplying \
    locally with BLAS, and reports its parallel efficiency against one rank's BLAS.\n\n\
    GFLOP/s count 2n³ flops; the fraction of peak uses the core's peak from the detected SIMD \
    width and FMA and a measured clock (or --peak-gflops). Every product passes HPL's projection \
    check ‖C·x − A·(B·x)‖∞ / (‖A‖∞ ‖B‖∞ ‖x‖∞ n ε) < 16, or the run fails.\n\n\
    Examples:\n  \
    parahpc gemm --threads 2\n  \
    parahpc gemm --n 256,512,1024,2048 --impl blocked,blas\n  \
    mpirun -n 4 parahpc gemm --dist --n 4096 --impl blas"
)]
pub struct GemmArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Matrix sizes, e.g. 256,512,1024,2048
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "512,1024", value_parser = parse_count)]
    pub n: Vec<usize>,

    /// Implementations on rank 0
    #[arg(long = "impl", value_name = "LIST", value_enum, value_delimiter = ',', default_value = "naive,blocked,blas")]
    pub implementations: Vec<GemmImpl>,

    /// Also multiply with SUMMA over all ranks
    #[arg(long)]
    pub dist: bool,

    /// Largest n for the textbook loop, whose time grows as n³ at a fraction of a GFLOP/s
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = parse_count)]
    pub naive_max_n: usize,

    /// A core's peak in GFLOP/s [default: measured clock × SIMD width × 2 for FMA × 2 units]
    #[arg(long, value_name = "GFLOPS", value_parser = parse_seconds)]
    pub peak_gflops: Option<f64>,

    /// Timed runs per point, after one untimed (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmImpl {
    /// textbook i-j-k triple loop
    Naive,
    /// cache- and register-blocked, vectorised, rayon over row blocks
    Blocked,
    /// dgemm of the system OpenBLAS (through ndarray)
    Blas,
}

impl GemmImpl {
    pub fn name(self) -> &'static str {
        match self {
            GemmImpl::Naive => "naive",
            GemmImpl::Blocked => "blocked",
            GemmImpl::Blas => "blas",
        }
    }
}

/// A task farm: the ranks take chunks of tasks from rank 0, which checks every result.
#[derive(Args, Debug, Clone)]
#[command(long_about = "A task farm: the ranks take chunks of tasks from rank 0, which checks every result.\n\n\
    The lesson: multiprocessing.Pool, a Managers queue or Celery workers are one pattern, a \
    master handing tasks to workers. Its cost is one message per chunk: in CPython, \
    Pool(2).map(carre, range(200000)) did 83 000 tasks/s with chunksize=1 and 7.3 million with \
    chunksize=1000. pool is that farm over MPI: rank 0 dispatches (static: chunks dealt \
    round-robin up front; dynamic: a chunk to whoever asks, as Pool.map does; guided: chunks \
    shrinking with the work left) and checks every result as it arrives, in task order \
    (--ordered, like map) or as it comes (like imap_unordered); the other ranks work, each with \
    its threads (launched alone, rank 0 works). Workers take chunks from a next-task counter on \
    rank 0 with one MPI atomic each (MPI_Fetch_and_op; in shared memory on one node), as Pool's \
    workers take them from one shared queue, and send each chunk's results to rank 0. It reports tasks/s (min/median/max over \
    --repeats), per-worker tasks, chunks, busy and initializer time, load imbalance (busiest \
    worker over the mean), worker time per task spent outside tasks (the farm's overhead), time \
    to the first result and, ordered, how many results waited for an earlier one.\n\n\
    Every task must come back exactly once with its answer, or the run fails; a task that panics \
    is reported with its id and rank, and the farm stops cleanly.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc pool --tasks 200000 --chunksize 1\n  \
    mpirun -n 4 parahpc pool --task spin-us --spin-us 100 --random-spin --schedule guided")]
pub struct PoolArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Tasks, numbered 0..N
    #[arg(long, value_name = "N", default_value_t = 200_000, value_parser = parse_iterations)]
    pub tasks: u64,

    /// Tasks per chunk (per message) [default: Pool.map's, tasks / (4 × workers) rounded up]
    #[arg(long, value_name = "K", value_parser = parse_iterations)]
    pub chunksize: Option<u64>,

    /// How chunks are handed out
    #[arg(long, value_enum, default_value_t = crate::kernels::pool::Schedule::Dynamic)]
    pub schedule: crate::kernels::pool::Schedule,

    /// What each task does
    #[arg(long, value_enum, default_value_t = PoolTask::Square)]
    pub task: PoolTask,

    /// spin-us tasks: µs each (the mean, with --random-spin)
    #[arg(long, value_name = "US", default_value_t = 100, value_parser = parse_iterations)]
    pub spin_us: u64,

    /// spin-us tasks: durations uniform in 0..=2 × --spin-us, for an imbalanced load
    #[arg(long)]
    pub random_spin: bool,

    /// Consume results in task order (map), holding back early ones; default: as they come
    /// (imap_unordered)
    #[arg(long)]
    pub ordered: bool,

    /// Rerun a worker's initializer after this many tasks (maxtasksperchild) [default: never]
    #[arg(long, value_name = "M", value_parser = parse_iterations)]
    pub max_tasks_per_worker: Option<u64>,

    /// µs of work in each worker's initializer, timed apart from the tasks
    #[arg(long, value_name = "US", default_value_t = 1000)]
    pub init_us: u64,

    /// Timed runs (after one untimed, checked warm-up run)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolTask {
    /// id², the seed's carre
    Square,
    /// busy for --spin-us µs, then a hash of the id
    SpinUs,
}

impl PoolTask {
    pub fn name(self) -> &'static str {
        match self {
            PoolTask::Square => "square",
            PoolTask::SpinUs => "spin-us",
        }
    }
}

/// Races and locks: transfers onto one bank balance by threads and by ranks.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Races and locks: transfers onto one bank balance by threads and by ranks.\n\n\
    The lesson, in CPython: 100 deposits of 100 EUR onto 1 EUR, each a read, a pause, an add, a \
    pause and a write, ended at 201 EUR with threads and no lock (overlapping deposits read the \
    same old balance and overwrote each other), at 1 EUR with processes (each changed its own \
    copy of the account), and at 10001 EUR only with a lock. bank runs the same transfers with \
    threads on rank 0 (racy: an unlocked read-modify-write; mutex; atomic fetch_add) and with \
    ranks (private copies; one balance in an MPI window, shared memory on one node and RMA \
    across nodes, updated racy, under an exclusive MPI_Win_lock, or by MPI_Fetch_and_op).\n\n\
    It reports the final balance, the expected one and the transfers lost, which must satisfy \
    balance = initial + amount × (transfers − lost), and the time per mode: locks cost \
    parallelism. The locked and atomic modes must end exact, or the run fails.\n\n\
    Examples:\n  \
    parahpc bank\n  \
    mpirun -n 4 parahpc bank --delay-us 100")]
pub struct BankArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Transfers per mode (the seed's 100)
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = parse_count)]
    pub transfers: usize,

    /// Euros per transfer (the seed's 100)
    #[arg(long, value_name = "EUR", default_value_t = 100, value_parser = parse_iterations)]
    pub amount: u64,

    /// Opening balance in euros (the seed's 1)
    #[arg(long, value_name = "EUR", default_value_t = 1)]
    pub initial: u64,

    /// Pause after the read and after the add of each transfer, in µs (0 for none); the longer,
    /// the more transfers overlap
    #[arg(long, value_name = "US", default_value_t = 1000)]
    pub delay_us: u64,

    /// Threads in the thread modes [default: one per transfer, all started together]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub workers: Option<usize>,

    /// Runs per mode (time min/median/max; balance and lost of the run that lost most)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

/// Cache-line invalidation: private counters that share a line slow each other down.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Cache-line invalidation: private counters that share a line slow each other down.\n\n\
    The lesson: caches keep whole lines coherent, not variables. Threads that each increment only \
    their own counter still fight when the counters share a cache line: every write invalidates \
    the line in the other cores' caches. falseshare pins t threads to distinct cores and has each \
    increment its counter --iters times, with the counters packed (8 bytes apart, sharing lines) \
    and padded (128 bytes apart), and reports the slowdown. On a node with SMT it also pins them \
    to one core's hyperthreads, which share that core's L1 (it says so when the node has none). \
    Every final count is checked. Each node's first rank measures.\n\n\
    Examples:\n  \
    parahpc falseshare --threads 2\n  \
    mpirun -n 1 --bind-to none parahpc falseshare --threads 4")]
pub struct FalseshareArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Increments per thread
    #[arg(long, value_name = "N", default_value_t = 10_000_000, value_parser = parse_iterations)]
    pub iters: u64,

    /// Timed runs per layout (the best is reported)
    #[arg(long, value_name = "R", default_value_t = 5, value_parser = parse_count)]
    pub repeats: usize,
}

/// Memory latency by working-set size: the cache levels as steps, DRAM at the top.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Memory latency by working-set size: the cache levels as steps, DRAM at the top.\n\n\
    The lesson: memory is ~100 cycles away and caches hide it, until the working set outgrows \
    them. memlat follows a dependent chain of pointers through one random cycle over \
    cache-line-sized nodes (prefetchers cannot guess the next address, and each load waits for \
    the one before), for working sets from 4 KiB to 4× the last-level cache, and reports ns per \
    access. It finds the plateaus (L1, L2, L3, DRAM) from the curve's jumps and sets them beside \
    the cache sizes the machine reports. Each node's first rank measures; every chase must end \
    where it started, after whole laps of the cycle.\n\n\
    Examples:\n  \
    parahpc memlat\n  \
    parahpc memlat --max-bytes 64M")]
pub struct MemlatArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Largest working set, with an optional K/M/G suffix [default: 4× the last-level cache, at
    /// least 16M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_bytes: Option<u64>,

    /// Accesses per timed chase, rounded up to whole laps of the cycle
    #[arg(long, value_name = "N", default_value_t = 1 << 22, value_parser = parse_count)]
    pub accesses: usize,

    /// Timed chases per size (min and median reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,
}

/// McCalpin's STREAM per rank and for the job: where memory bandwidth saturates.
#[derive(Args, Debug, Clone)]
#[command(long_about = "McCalpin's STREAM per rank and for the job: where memory bandwidth saturates.\n\n\
    The lesson: memory grew 7 %/year while CPUs grew 50 %; a core can ask for data faster than \
    memory delivers it, so a few cores saturate the memory bus and more add nothing. stream runs \
    Copy, Scale, Add and Triad over f64 arrays of 4× the last-level cache per rank (or --bytes), \
    each thread streaming the part it first touched (NUMA-correct), best of --repeats. It sweeps \
    threads 1, 2, 4, ... on one rank, then ranks 1, 2, 4, ... with all their threads, and reports \
    GB/s per kernel, aggregate and per rank, and where Triad saturates. The arrays are then \
    checked against the values STREAM's recurrence must produce.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc stream\n  \
    parahpc stream --threads 8 --bytes 2G")]
pub struct StreamArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// Bytes of the three arrays per rank, with an optional K/M/G suffix [default: 4× the
    /// last-level cache, at least 64M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub bytes: Option<u64>,

    /// Repetitions of the four kernels; the first is left out and the best of the rest reported
    #[arg(long, value_name = "R", default_value_t = 10, value_parser = parse_repeats)]
    pub repeats: usize,
}

/// The machine and where every rank runs on it, with the binding mistakes that spoil timings.
#[derive(Args, Debug, Clone)]
#[command(
    long_about = "The machine and where every rank runs on it, with the binding mistakes that spoil timings.\n\n\
    The lesson: memory is ~100 cycles away and caches hide it; cores may share caches and \
    hyperthreads share a core; a NUMA node's memory is close to its own cores only. What \
    hwloc's lstopo shows, topology reports for the whole job from Linux's /sys: per node the \
    packages, NUMA nodes with their memory, cores, hardware threads (PUs) and caches; per rank \
    its CPU set, NUMA nodes and cores. It flags two ranks sharing a core, more threads than \
    cores (so threads share hyperthreads or time-slice), and ranks spanning NUMA nodes.\n\n\
    Examples:\n  \
    mpirun -n 4 parahpc topology\n  \
    mpirun -n 2 --bind-to socket parahpc topology --threads 4"
)]
pub struct TopologyArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,
}

/// Message passing, measured: what a message between ranks costs, and what collectives cost.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Message passing, measured: what a message between ranks costs, and what collectives cost.\n\n\
    The lesson: NUMA machines and clusters are programmed by message passing, and what a message \
    costs decides what is worth distributing. Like the OSU micro-benchmarks, comm measures \
    ping-pong latency (half a round trip), uni-directional bandwidth (a window of non-blocking \
    sends) and bi-directional bandwidth, for message sizes in powers of two, between rank 0 and \
    its nearest and its farthest rank (on several nodes: an intra-node and an inter-node pair). \
    It fits Hockney's model t = α + n/β to the ping-pong times: latency α, bandwidth β, and \
    n½ = α·β, the size below which latency dominates. Then it times barrier, broadcast, reduce, \
    allreduce, allgather and alltoall as the maximum over ranks of the per-call average, as OSU \
    and IMB report them.\n\n\
    Before timing each size, a check pass verifies every received byte and every collective \
    result; a wrong byte fails the run. Timed loops neither allocate nor copy.\n\n\
    Examples:\n  \
    mpirun -n 2 parahpc comm\n  \
    mpirun -n 8 parahpc comm --all-pairs --max-bytes 64K")]
pub struct CommArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Smallest message in bytes (0 for the empty message)
    #[arg(long, value_name = "BYTES", default_value = "1", value_parser = parse_bytes_or_zero)]
    pub min_bytes: u64,

    /// Largest message, with an optional K/M/G suffix
    #[arg(long, value_name = "BYTES", default_value = "4M", value_parser = parse_bytes)]
    pub max_bytes: u64,

    /// Timed iterations for messages up to 8 KiB; larger messages get proportionally fewer (at
    /// least 10), as in OSU
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = parse_count)]
    pub iters: usize,

    /// Untimed warm-up iterations, scaled like --iters
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub warmup: usize,

    /// Timed loops per size (min/median/max reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Messages in flight in each bandwidth window
    #[arg(long, value_name = "W", default_value_t = 64, value_parser = parse_count)]
    pub window: usize,

    /// Also measure the small-message latency between every pair of ranks (a rank × rank matrix)
    #[arg(long)]
    pub all_pairs: bool,

    /// Skip the check pass that verifies every received byte before timing
    #[arg(long)]
    pub no_validate: bool,
}

/// Plots and a readable report from parahpc results files; runs without mpirun.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Plots and a readable report from parahpc results files; runs without mpirun.\n\n\
    Reads one or more results files (several runs or machines are compared in one report) and \
    writes into DIR one PNG and one SVG per experiment present, report.md, and report.html with \
    the figures embedded. Experiments missing from the files are skipped.\n\n\
    Example:  parahpc report parahpc-amdahl-*.h5 -o report")]
pub struct ReportArgs {
    /// Results files to read
    #[arg(required = true, value_name = "FILE.h5")]
    pub files: Vec<PathBuf>,

    /// Directory for the report (created if missing)
    #[arg(short, long, value_name = "DIR", default_value = "parahpc-report")]
    pub output: PathBuf,

    /// Replace a report already in DIR instead of refusing to
    #[arg(long)]
    pub force: bool,
}

/// Amdahl's law, measured: the strong-scaling curve of this machine in one launch.
#[derive(Args, Debug, Clone)]
#[command(long_about = "Amdahl's law, measured: the strong-scaling curve of this machine in one launch.\n\n\
    The lesson: a program that runs 10 s on one processor, 90 % of it parallel, runs ×5 faster on \
    9 processes and never more than ×10, however many you add. The serial part rules.\n\n\
    The workload has one serial phase (done by one rank while the others wait, as real code does) \
    and one parallel phase split over the participating ranks × threads. It is calibrated once at \
    start so that one rank takes --work seconds, --serial-fraction of them serial. In ONE launch \
    the sweep measures 1, 2, 4, ... up to all ranks (ranks outside the current count wait), \
    repeats each point after a warm-up, and fits T(p) = T1·(f + (1−f)/p) to the medians: the \
    fitted serial fraction f, the ceiling 1/f, and per point the speedup, efficiency, Amdahl's \
    prediction and the Karp–Flatt metric.\n\n\
    Kernels: 'sleep' is an ideal machine with no shared resources: it reproduces the slide \
    exactly, even with more ranks than cores. 'spin' is compute-bound: it scales while every \
    worker has its own core. 'stream' is memory-bound: workers share the memory bus, so the \
    fitted serial fraction comes out larger than requested (the memory wall).\n\n\
    Every work unit produces a checksum and the combined checksum must be identical for every \
    rank count; otherwise the run fails.\n\n\
    Examples:\n  \
    mpirun -n 9 parahpc amdahl --kernel sleep --serial-fraction 0.1 --work 9\n  \
    mpirun -n 64 parahpc amdahl --kernel stream\n  \
    parahpc amdahl --threads 8 --sweep threads")]
pub struct AmdahlArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub threads: ThreadArgs,

    /// What the work is
    #[arg(long, value_enum, default_value_t = KernelKind::Spin)]
    pub kernel: KernelKind,

    /// Serial share of the one-rank time, between 0 and 1
    #[arg(long, value_name = "F", default_value_t = 0.1, value_parser = parse_fraction,
          allow_negative_numbers = true)]
    pub serial_fraction: f64,

    /// Time of the whole workload on the baseline (one rank; one thread per rank for
    /// --sweep threads), in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub work: f64,

    /// Rank counts to measure, e.g. 1,3,9 [default: 1, 2, 4, ... and the job size]
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_count)]
    pub ranks: Option<Vec<usize>>,

    /// Timed repetitions per point (min/median/max are reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = parse_count)]
    pub repeats: usize,

    /// Untimed warm-up runs per point
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub warmup: usize,

    /// What to vary: ranks, threads within each rank, or both [default: ranks when launched
    /// with several ranks, threads when alone]
    #[arg(long, value_enum)]
    pub sweep: Option<Sweep>,

    /// Weak scaling (Gustafson): fixed work per worker instead of fixed total work
    #[arg(long)]
    pub weak: bool,

    /// stream kernel: bytes of the three arrays per worker, with an optional K/M/G suffix
    /// (powers of 1024) [default: twice the last-level cache, at least 64M]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub array_bytes: Option<u64>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelKind {
    /// compute-bound floating-point chains
    Spin,
    /// memory-bound triad over arrays well beyond the last-level cache
    Stream,
    /// an ideal machine: sleeping workers share nothing
    Sleep,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Ranks,
    Threads,
    Both,
}

impl KernelKind {
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Spin => "spin",
            KernelKind::Stream => "stream",
            KernelKind::Sleep => "sleep",
        }
    }
}

impl Sweep {
    pub fn name(self) -> &'static str {
        match self {
            Sweep::Ranks => "ranks",
            Sweep::Threads => "threads",
            Sweep::Both => "both",
        }
    }
}

/// A command-line error as one line: clap's first line, the accepted values and any
/// suggestion, so that a job log shows the whole problem once.
pub fn one_line_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let rendered = e.render().to_string();
    let mut line = rendered.lines().next().unwrap_or("error: invalid arguments").to_string();
    if let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) {
        line += &format!("; possible values: {}", valid.join(", "));
    }
    for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg] {
        let suggestion = match e.get(kind) {
            Some(ContextValue::String(s)) => Some(s),
            Some(ContextValue::Strings(v)) => v.first(),
            _ => None,
        };
        if let Some(s) = suggestion {
            line += &format!("; did you mean '{s}'?");
        }
    }
    line + " (see --help)"
}

fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n as usize),
        Ok(n) => Err(format!("must be at least 1, got {n}")),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("must be between 0 and 1, got {f}"))
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    let t: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(t > 0.0 && t.is_finite()) {
        Err(format!("must be a positive number of seconds, got {t}"))
    } else if t > 86_400.0 {
        Err(format!("{t} s is more than a day; choose at most 86400"))
    } else {
        Ok(t)
    }
}

fn parse_iterations(s: &str) -> Result<u64, String> {
    parse_count(s).map(|n| n as u64)
}

fn parse_repeats(s: &str) -> Result<usize, String> {
    match parse_count(s)? {
        1 => Err("must be at least 2: the first repetition is left out".into()),
        n => Ok(n),
    }
}

/// A byte count that may be 0.
fn parse_bytes_or_zero(s: &str) -> Result<u64, String> {
    if s.trim() == "0" {
        Ok(0)
    } else {
        parse_bytes(s)
    }
}

/// Parses a byte count such as 4096, 64K, 64KiB, 1.5G (suffixes are powers of 1024).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let value: f64 = num.trim().parse().map_err(|_| format!("'{s}' is not a byte count"))?;
    let scale: f64 = match suffix.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024f64.powi(2),
        "G" => 1024f64.powi(3),
        "T" => 1024f64.powi(4),
        other => return Err(format!("unknown size suffix '{other}' (use K, M, G or T)")),
    };
    let bytes = value * scale;
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("must be a positive byte count, got '{s}'"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn enum_names_match_the_command_line() {
        for k in KernelKind::value_variants() {
            assert_eq!(k.to_possible_value().unwrap().get_name(), k.name());
        }
        for g in GemmImpl::value_variants() {
            assert_eq!(g.to_possible_value().unwrap().get_name(), g.name());
        }
        for t in PoolTask::value_variants() {
            assert_eq!(t.to_possible_value().unwrap().get_name(), t.name());
        }
        for s in crate::kernels::pool::Schedule::value_variants() {
            assert_eq!(s.to_possible_value().unwrap().get_name(), s.name());
        }
        for w in Sweep::value_variants() {
            assert_eq!(w.to_possible_value().unwrap().get_name(), w.name());
        }
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64K"), Ok(64 * 1024));
        assert_eq!(parse_bytes("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_bytes("1.5G"), Ok(3 * 512 * 1024 * 1024));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("-5M").is_err());
        assert!(parse_bytes("5X").is_err());
    }

    #[test]
    fn amdahl_values_are_range_checked() {
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("-0.1").is_err());
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_count("0").is_err());
        assert_eq!(parse_count("9"), Ok(9));
    }

    #[test]
    fn errors_fit_on_one_line_with_what_is_accepted() {
        let kernel = Cli::try_parse_from(["parahpc", "amdahl", "--kernel", "bogus"]).unwrap_err();
        let line = one_line_error(&kernel);
        assert!(line.contains("'bogus'") && line.contains("possible values: spin, stream, sleep"), "{line}");
        let typo = Cli::try_parse_from(["parahpc", "amdhal"]).unwrap_err();
        assert!(one_line_error(&typo).contains("did you mean 'amdahl'?"), "{}", one_line_error(&typo));
        assert!(!one_line_error(&typo).contains('\n'));
    }

    #[test]
    fn negative_work_reaches_the_range_check() {
        let err = Cli::try_parse_from(["parahpc", "amdahl", "--work", "-1"]).unwrap_err();
        assert!(err.to_string().contains("positive number of seconds"), "{err}");
    }
}
