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

/// A number and what follows it ("1.5G" is 1.5 and "G").
fn number_and_suffix<'a>(s: &'a str, what: &str, example: &str) -> Result<(f64, &'a str), String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let value = num.trim().parse().map_err(|_| format!("'{s}' is not {what}, e.g. {example}"))?;
    Ok((value, suffix))
}

/// A duration: plain seconds, or with s, m or h (90s, 5m, 1.5h).
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let (value, suffix) = number_and_suffix(s, "a duration", "90, 90s, 5m or 1h")?;
    let scale = match suffix {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown time unit '{other}' in '{s}' (use s, m or h)")),
    };
    Ok(value * scale)
}

/// A positive duration of at most a day, in seconds (s, m and h accepted).
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let t = parse_duration(s)?;
    if !(t > 0.0 && t.is_finite()) {
        Err(format!("must be a positive number of seconds, got {t}"))
    } else if t > 86_400.0 {
        Err(format!("{t} s is more than a day; choose at most 86400"))
    } else {
        Ok(t)
    }
}

/// A positive rate, e.g. a peak in GFLOP/s.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if r > 0.0 && r.is_finite() {
        Ok(r)
    } else {
        Err(format!("must be a positive number, got {r}"))
    }
}

/// A count of values: 1000, 10k, 10M, 1G (powers of 1000: these are numbers, not bytes).
pub fn parse_elements(s: &str) -> Result<u64, String> {
    let (value, suffix) = number_and_suffix(s, "a count", "1000 or 10M")?;
    let scale = match suffix {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        other => return Err(format!("unknown count suffix '{other}' in '{s}' (use k, M or G: powers of 1000)")),
    };
    let n = value * scale;
    if !(1.0..=1e15).contains(&n) || n.fract() != 0.0 {
        return Err(format!("must be a whole number from 1 to 10^15, got '{s}'"));
    }
    Ok(n as u64)
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

/// Parses a byte count such as 4096, 64K, 64KiB, 1.5G: K, M, G and T (or KiB, MiB, GiB and
/// TiB) are powers of 1024, as the caches' sizes are; MB, Gb and the like are refused, since
/// they could mean powers of 1000 or bits.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let (value, suffix) = number_and_suffix(s, "a byte count", "4096, 64K or 1.5G")?;
    let power = match suffix {
        "" => 0,
        "K" | "KiB" => 1,
        "M" | "MiB" => 2,
        "G" | "GiB" => 3,
        "T" | "TiB" => 4,
        other => {
            return Err(format!(
                "unknown size suffix '{other}' in '{s}': use K, M, G or T (or KiB, MiB, GiB, TiB), powers of 1024"
            ))
        }
    };
    let bytes = value * 1024f64.powi(power);
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
        for ambiguous in ["16Gb", "16MB", "16mb", "64k", "1kb"] {
            assert!(parse_bytes(ambiguous).unwrap_err().contains("powers of 1024"), "{ambiguous}");
        }
        assert_eq!(parse_bytes("2MiB"), Ok(2 << 20));
    }

    #[test]
    fn values_are_range_checked() {
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("-0.1").is_err());
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("inf").is_err());
        assert_eq!(parse_seconds("2m"), Ok(120.0));
        assert!(parse_seconds("2d").unwrap_err().contains("use s, m or h"));
        assert_eq!(parse_duration("1.5h"), Ok(5400.0));
        assert_eq!(parse_elements("10M"), Ok(10_000_000));
        assert_eq!(parse_elements("1.5k"), Ok(1500));
        assert!(parse_elements("1.5").is_err());
        assert!(parse_elements("10Mi").is_err());
        assert!(parse_rate("0").is_err());
        assert_eq!(parse_rate("58.8"), Ok(58.8));
        assert!(parse_count("0").is_err());
        assert_eq!(parse_count("9"), Ok(9));
    }
}
