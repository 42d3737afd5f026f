//! The options every experiment shares (output, threads), the value parsers every command line
//! uses, and clap errors as one line: the floor under the command line, the experiments and the
//! output, which all read them.

use clap::Args;
use std::path::PathBuf;

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

pub fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n as usize),
        Ok(n) => Err(format!("must be at least 1, got {n}")),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let f: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("must be between 0 and 1, got {f}"))
    }
}

pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let t: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(t > 0.0 && t.is_finite()) {
        Err(format!("must be a positive number of seconds, got {t}"))
    } else if t > 86_400.0 {
        Err(format!("{t} s is more than a day; choose at most 86400"))
    } else {
        Ok(t)
    }
}

pub fn parse_iterations(s: &str) -> Result<u64, String> {
    parse_count(s).map(|n| n as u64)
}

pub fn parse_repeats(s: &str) -> Result<usize, String> {
    match parse_count(s)? {
        1 => Err("must be at least 2: the first repetition is left out".into()),
        n => Ok(n),
    }
}

/// A byte count that may be 0.
pub fn parse_bytes_or_zero(s: &str) -> Result<u64, String> {
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
    fn values_are_range_checked() {
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("-0.1").is_err());
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_count("0").is_err());
        assert_eq!(parse_count("9"), Ok(9));
    }
}
