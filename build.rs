//! Records the git revision and the compiler version in the binary, for provenance, and compiles
//! the few MPI handles rsmpi lacks (src/mpi/handles.c) with the MPI compiler wrapper.

use std::process::Command;

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let revision = output("git", &["rev-parse", "HEAD"]).map_or_else(
        || "unknown".to_string(),
        |rev| {
            // Tracked files changed since that commit make it a different program.
            let dirty =
                output("git", &["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{rev}-dirty")
            } else {
                rev
            }
        },
    );
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    println!("cargo:rustc-env=PARAHPC_GIT_REVISION={revision}");
    println!("cargo:rustc-env=PARAHPC_RUSTC_VERSION={}", output(&rustc, &["--version"]).unwrap_or_default());
    for path in [".git/HEAD", ".git/index", ".git/refs"] {
        println!("cargo:rerun-if-changed={path}");
    }

    // The wrapper rsmpi's build finds MPI with: $MPICC, else mpicc.
    let mpicc = std::env::var("MPICC").unwrap_or_else(|_| "mpicc".into());
    cc::Build::new().compiler(&mpicc).file("src/mpi/handles.c").compile("parahpc_mpi_handles");
    println!("cargo:rerun-if-changed=src/mpi/handles.c");
    println!("cargo:rerun-if-env-changed=MPICC");
}
