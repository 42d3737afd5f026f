//! The modules lie in floors, each importing only from the floors below it, so no import circle
//! can come back: every `crate::` path under src/ (uses and inline paths, tests included) is read
//! and an edge that runs upward, or sideways between two modules of one floor, fails the test.

use std::path::{Path, PathBuf};

/// Floors, top to bottom; a module is counted in the longest entry its path starts with.
const FLOORS: &[(&str, u32)] = &[
    ("cli", 8),
    ("tools", 7),
    ("experiments", 6),
    ("report", 5),
    ("output", 4),
    ("run", 3),
    ("machine", 2),
    ("mpi", 2),
    ("options", 1),
    ("run::failure", 1),
    ("run::signals", 1),
    ("kernels", 0),
    ("model", 0),
];

/// The floor entry a module path belongs to.
fn unit(path: &str) -> (&'static str, u32) {
    FLOORS
        .iter()
        .filter(|(k, _)| path == *k || path.starts_with(&format!("{k}::")))
        .max_by_key(|(k, _)| k.len())
        .copied()
        .unwrap_or_else(|| panic!("module {path} is in no floor: add it to FLOORS"))
}

/// src/a/b.rs and src/a/b/mod.rs are module a::b.
fn module_of(file: &Path, src: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The module paths a line names after `crate::`, groups (`crate::{a, b::c}`) expanded.
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            found.push(rest[..end].trim_end_matches(':').to_string());
        }
    }
    found
}

#[test]
fn every_import_runs_down_a_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut edges = 0;
    for file in files.iter().filter(|f| !f.ends_with("main.rs")) {
        let from = module_of(file, &src);
        let (from_unit, from_floor) = unit(&from);
        for (n, line) in std::fs::read_to_string(file).unwrap().lines().enumerate() {
            for path in crate_paths(line) {
                // Only modules count: `crate::x::Item` names module x.
                let segments: Vec<&str> = path.split("::").collect();
                let module = (1..=segments.len())
                    .rev()
                    .map(|k| segments[..k].join("::"))
                    .find(|m| FLOORS.iter().any(|(f, _)| m == f || m.starts_with(&format!("{f}::"))))
                    .unwrap_or_else(|| panic!("{}:{}: crate::{path} names no module", file.display(), n + 1));
                let (to_unit, to_floor) = unit(&module);
                if to_unit == from_unit {
                    continue;
                }
                edges += 1;
                if to_floor >= from_floor {
                    wrong.push(format!(
                        "{}:{}: {from} (floor {from_floor}) imports crate::{path} (floor {to_floor})",
                        file.strip_prefix(&src).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(edges > 100, "only {edges} edges read: the reader is broken");
    assert!(wrong.is_empty(), "imports that run up or sideways:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_sees_what_it_must() {
    assert_eq!(crate_paths("use crate::run::context::{gib, RunContext};"), ["run::context"]);
    assert_eq!(crate_paths("    let x = crate::machine::blas::config(); // crate::cli"), ["machine::blas::config"]);
    assert_eq!(crate_paths("use crate::{options, report::load};"), ["options", "report::load"]);
    assert_eq!(unit("run::context"), ("run", 3));
    assert_eq!(unit("run::signals"), ("run::signals", 1));
    assert_eq!(unit("experiments::reduce::args"), ("experiments", 6));
}
