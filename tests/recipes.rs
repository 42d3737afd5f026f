//! docs/results-schema.md's Python recipes, run as written on a real file: a nested table
//! (`/comm/pt2pt`) read by its path, its text decoded (a filter on a text column selects rows),
//! its columns in the order the program wrote them, from HDF5 and from JSON alike.

mod common;

use common::*;

/// The ```python blocks of the schema document, in order.
fn recipes() -> Vec<String> {
    let doc = include_str!("../docs/results-schema.md");
    let mut blocks = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("```python\n") {
        let body = &rest[start + "```python\n".len()..];
        let end = body.find("```").expect("a closed block");
        blocks.push(body[..end].to_string());
        rest = &body[end..];
    }
    blocks
}

/// The recipe with its `path = "…"` line pointing at `file`, and `checks` after it.
fn with_file(recipe: &str, file: &std::path::Path, checks: &str) -> String {
    let line = recipe.lines().find(|l| l.starts_with("path = ")).expect("each recipe names its file in `path`");
    recipe.replace(line, &format!("path = {:?}", file.to_str().unwrap())) + checks
}

const H5_CHECKS: &str = r#"
with h5py.File(path) as f:
    stored = f["comm/pt2pt"].attrs["columns"].split(",")
assert list(pt2pt.columns) == stored, (list(pt2pt.columns), stored)
assert stored[:4] == ["pair_kind", "src", "dst", "bytes"], stored
assert len(pt2pt) > 0 and (pt2pt.pair_kind == "intra-node").all()
assert pt2pt.bytes.tolist() == sorted(pt2pt.bytes.tolist())
assert attributes["validated"] == 1 and len(hosts) == 2
"#;

const JSON_CHECKS: &str = r#"
assert list(pt2pt.columns) == t["columns"] and t["columns"][:4] == ["pair_kind", "src", "dst", "bytes"]
assert len(pt2pt) > 0 and (pt2pt.pair_kind == "intra-node").all()
assert doc["context"]["world_size"] == 2
"#;

#[test]
fn the_documented_recipes_run_as_written_on_a_nested_table() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["comm", "--max-bytes", "1K", "--iters", "10", "--warmup", "1", "--repeats", "1"];
    assert_success(&mpirun(2, &[&args[..], &["-q", "-o", "c.h5", "--json", "c.json"]].concat(), dir.path()));
    let blocks = recipes();
    assert_eq!(blocks.len(), 2, "one HDF5 recipe and one JSON recipe");
    for (recipe, file, checks) in [(&blocks[0], "c.h5", H5_CHECKS), (&blocks[1], "c.json", JSON_CHECKS)] {
        let code = with_file(recipe, &dir.path().join(file), checks);
        // Debian's interpreter, where scripts/setup.sh --test installs h5py and pandas.
        let out = std::process::Command::new("/usr/bin/python3").args(["-c", &code]).output().unwrap();
        assert!(out.status.success(), "{file}:\n{code}\n{}", stderr(&out));
        assert!(stdout(&out).contains("intra-node"), "the recipe prints the rows it selected:\n{}", stdout(&out));
    }
}
