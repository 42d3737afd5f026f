//! The HTML report in a real browser: Debian's chromium, headless, opens report.html for results
//! of every experiment at a 1024 px wide window. The page must load with no console error and no
//! resource fetched (it opens offline), every figure must render at its aspect ratio within the
//! page's column, and nothing may scroll sideways. A screenshot of the whole page is kept in
//! `<target>/test-artifacts/report.png`. `scripts/setup.sh --test` installs chromium.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Injected into a copy of the page, before anything else: collects errors and, once the page
/// has loaded, writes what the browser laid out into a `<pre>` that `--dump-dom` prints.
const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push('error: ' +
  (e.message || (e.target && (e.target.src || e.target.href)) || 'a resource failed')), true);
for (const k of ['error', 'warn']) {
  const f = console[k];
  console[k] = (...a) => { window.__errors.push(k + ': ' + a.join(' ')); f.apply(console, a); };
}
window.addEventListener('load', () => {
  const figures = [...document.querySelectorAll('figure svg')].map(s => {
    const r = s.getBoundingClientRect(), b = s.getBBox();
    return {width: r.width, height: r.height, view_width: s.viewBox.baseVal.width,
            view_height: s.viewBox.baseVal.height, drawn_width: b.width, drawn_height: b.height,
            elements: s.querySelectorAll('*').length, container: s.parentElement.clientWidth};
  });
  const d = document.documentElement;
  const out = {errors: window.__errors, fetched: performance.getEntriesByType('resource').map(r => r.name),
               scroll_width: d.scrollWidth, client_width: d.clientWidth, scroll_height: d.scrollHeight,
               figures};
  const pre = document.createElement('pre');
  pre.id = 'parahpc-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"#;

const WIDTH: u32 = 1024;

fn chromium(args: &[&str]) -> std::process::Output {
    // No sandbox: the tests run as root, where chromium refuses its own. The D-Bus errors it
    // prints on stderr are harmless.
    Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run chromium ({e}): scripts/setup.sh --test installs it"))
}

/// What the browser made of `page`: the probe's record, parsed.
fn layout(page: &Path) -> serde_json::Value {
    let probed = page.with_file_name("probe.html");
    let html = std::fs::read_to_string(page).unwrap();
    std::fs::write(&probed, html.replacen("<head>", &format!("<head>{PROBE}"), 1)).unwrap();
    let size = format!("--window-size={WIDTH},768");
    let url = format!("file://{}", probed.display());
    let out = chromium(&[&size, "--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let record = dom
        .split("<pre id=\"parahpc-probe\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("the page never finished loading:\n{dom}\n{}", stderr(&out)));
    // The record is text inside HTML: undo the escapes --dump-dom adds.
    let record = record.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&record).unwrap()
}

/// Everything wrong with a page's layout, in words; empty when it is right.
fn problems(page: &Path) -> Vec<String> {
    let l = layout(page);
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let mut found: Vec<String> = l["errors"].as_array().unwrap().iter().map(|e| format!("console {e}")).collect();
    for r in l["fetched"].as_array().unwrap() {
        found.push(format!("fetched {r}: the report must open offline, from one file"));
    }
    if f(&l["scroll_width"]) > f(&l["client_width"]) {
        found.push(format!(
            "scrolls sideways: {} px of content in a {} px window",
            l["scroll_width"], l["client_width"]
        ));
    }
    for (i, fig) in l["figures"].as_array().unwrap().iter().enumerate() {
        let (w, h) = (f(&fig["width"]), f(&fig["height"]));
        let (vw, vh, column) = (f(&fig["view_width"]), f(&fig["view_height"]), f(&fig["container"]));
        // As wide as the column allows, never wider than drawn, at the drawing's aspect ratio.
        let expected = vw.min(column);
        if (w - expected).abs() > 2.0 || (h / w - vh / vw).abs() > 0.01 {
            found.push(format!("figure {i}: {w}×{h} px for a {vw}×{vh} drawing in a {column} px column"));
        }
        if f(&fig["drawn_width"]) < 0.5 * vw || f(&fig["drawn_height"]) < 0.5 * vh || f(&fig["elements"]) < 20.0 {
            found.push(format!("figure {i} is (nearly) empty: {fig}"));
        }
    }
    if l["figures"].as_array().unwrap().is_empty() {
        found.push("no figure".into());
    }
    found
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_probe_sees_what_a_reader_would() {
    // The checks below can fail: an error, a fetch, a figure too wide and an empty one.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\
         <figure><svg width=\"1500\" height=\"100\" viewBox=\"0 0 1500 100\"><rect width=\"10\" height=\"10\"/></svg></figure>\
         <img src=\"missing.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let found = problems(&page).join("\n");
    for expected in
        ["console \"error: boom\"", "missing.png", "scrolls sideways", "figure 0: 1500×100", "nearly) empty"]
    {
        assert!(found.contains(expected), "{expected:?} not among:\n{found}");
    }
}

#[test]
fn the_html_report_renders_in_a_browser_without_errors_or_sideways_scrolling() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [(usize, &[&str]); 15] = [
        (4, &["amdahl", "--kernel", "sleep", "--work", "0.3", "--repeats", "1", "-o", "amdahl.h5"]),
        (2, &["comm", "--max-bytes", "64K", "--iters", "20", "--repeats", "2", "--all-pairs", "-o", "comm.h5"]),
        (1, &["memlat", "--max-bytes", "1M", "--accesses", "20000", "-o", "memlat.h5"]),
        (2, &["randomaccess", "--table-bytes", "1M", "--sweep-seconds", "0.02", "-o", "randomaccess.h5"]),
        (2, &["stream", "--bytes", "3M", "--repeats", "3", "-o", "stream.h5"]),
        (1, &["gemm", "--n", "64,128", "--repeats", "1", "-o", "gemm.h5"]),
        (2, &["topology", "-o", "topology.h5"]),
        (1, &["simd", "--bytes", "64K", "--repeats", "2", "-o", "simd.h5"]),
        (2, &["reduce", "--n", "10000", "--threads", "1", "--repeats", "2", "-o", "reduce.h5"]),
        (1, &["roofline", "--dram-bytes", "8M", "--gemm-n", "64", "--repeats", "2", "-o", "roofline.h5"]),
        (2, &["linpack", "--n", "50,100", "--nb", "16", "--repeats", "1", "--threads", "1", "-o", "linpack.h5"]),
        (1, &["falseshare", "--threads", "2", "--iters", "10000", "--repeats", "2", "-o", "falseshare.h5"]),
        (2, &["countdown", "--n", "100000", "--threads", "1", "-o", "countdown.h5"]),
        (2, &["bank", "--delay-us", "100", "--transfers", "10", "--repeats", "1", "-o", "bank.h5"]),
        (2, &["pool", "--tasks", "1000", "--repeats", "1", "--threads", "1", "-o", "pool.h5"]),
    ];
    assert_covers("the browser test", &runs.map(|(_, args)| args[0]), &[]);
    let mut files = Vec::new();
    for (ranks, args) in runs {
        // Unbound: falseshare pins two threads of one rank to two CPUs.
        let out =
            launcher(ranks, &["--bind-to", "none"]).args(args).arg("-q").current_dir(dir.path()).output().unwrap();
        assert_success(&out);
        files.push(args.last().unwrap().to_string());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_parahpc"))
        .current_dir(dir.path())
        .args(["report", "-o", "report"])
        .args(&files)
        .output()
        .unwrap();
    assert_success(&out);
    let page = dir.path().join("report/report.html");

    // Every section with a figure is one tests/figures.rs reads.
    let mut svgs: Vec<String> = std::fs::read_dir(dir.path().join("report"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok()?.strip_suffix(".svg").map(str::to_string))
        .collect();
    svgs.sort();
    assert_eq!(svgs, WITH_FIGURES, "the sections that draw a figure");
    let found = problems(&page);
    assert!(found.is_empty(), "report.html in chromium at {WIDTH} px:\n{}", found.join("\n"));

    // The whole page, for a person to look at.
    let height = layout(&page)["scroll_height"].as_f64().unwrap() as u32;
    let shot = artifacts().join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(&[
        &format!("--window-size={WIDTH},{height}"),
        &format!("--screenshot={}", shot.display()),
        &format!("file://{}", page.display()),
    ]);
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}):\n{}", stderr(&out)));
    assert_eq!(png_size(&png), (WIDTH, height));
    std::fs::copy(&page, artifacts().join("report.html")).unwrap();
    eprintln!("screenshot of the report: {}", shot.display());
}

#[test]
fn a_suite_reports_its_machine_card_in_a_browser_without_errors_or_sideways_scrolling() {
    // The card of a suite: the machine, then a tile per experiment with its small figure.
    let dir = tempfile::tempdir().unwrap();
    let skip = skip_all_but(&["amdahl", "comm", "stream", "memlat"]);
    let args = [
        "suite",
        "--budget",
        "60s",
        "--threads",
        "1",
        "--skip",
        &skip,
        "--stream",
        "--bytes 16M --repeats 3",
        "--memlat",
        "--max-bytes 4M --accesses 100000",
        "--amdahl",
        "--kernel sleep --work 0.2 --repeats 1",
        "--comm",
        "--max-bytes 4K --iters 20 --warmup 2 --repeats 1",
        "-q",
        "-o",
        "s.h5",
    ];
    assert_success(&mpirun(2, &args, dir.path()));
    let out = Command::new(env!("CARGO_BIN_EXE_parahpc"))
        .current_dir(dir.path())
        .args(["report", "-o", "card", "s.h5"])
        .output()
        .unwrap();
    assert_success(&out);
    let page = dir.path().join("card/report.html");
    let found = problems(&page);
    assert!(found.is_empty(), "the card's report.html in chromium at {WIDTH} px:\n{}", found.join("\n"));
    let tiles = layout(&page)["figures"].as_array().unwrap().len();
    // Four small figures in the card, and the same four at full width in the sections.
    assert_eq!(tiles, 8, "figures on the page");
    std::fs::copy(dir.path().join("card/card.png"), artifacts().join("card.png")).unwrap();
}
