//! `parahpc schema`: the layout of the results files, as Markdown, from every registered
//! experiment's declaration (`Experiment::SCHEMA`).

use crate::experiments;
use crate::output::schema::{markdown, ROOT};
use clap::Args;

/// The layout of the results files: every group, dataset and attribute, with units.
#[derive(Args, Debug, Clone)]
#[command(long_about = "The layout of parahpc's results files, as Markdown.\n\n\
    Prints every group, dataset and attribute an experiment writes, with units and meaning: the \
    declaration each run is checked against when it writes its file. With no experiment named, \
    prints the root (provenance) and every experiment.\n\n\
    Examples:\n  \
    parahpc schema amdahl\n  \
    parahpc schema > docs/results-schema.md")]
pub struct SchemaArgs {
    /// Experiments to describe [default: the root and every experiment]
    #[arg(value_name = "EXPERIMENT")]
    pub experiments: Vec<String>,
}

/// Prints the schema of the named experiments (all of them, with the root, if none is named).
pub fn print(args: &SchemaArgs) -> Result<(), String> {
    let all = experiments::ALL;
    let chosen: Vec<_> = if args.experiments.is_empty() {
        all.to_vec()
    } else {
        args.experiments
            .iter()
            .map(|name| {
                experiments::find(name).ok_or_else(|| {
                    let names: Vec<_> = all.iter().map(|e| e.name()).collect();
                    format!("no experiment '{name}'; the experiments are {}", names.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    if args.experiments.is_empty() {
        print!("{}", markdown("Every file", std::slice::from_ref(&ROOT)));
    }
    for e in chosen {
        print!("{}", markdown(e.name(), e.schema()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declaration_is_unique_and_described() {
        let groups = experiments::ALL.iter().flat_map(|e| e.schema()).chain([&ROOT]);
        for g in groups {
            assert!(!g.about.is_empty(), "/{} has no description", g.path);
            for fields in [g.datasets, g.attributes] {
                for (i, f) in fields.iter().enumerate() {
                    assert!(!f.about.is_empty(), "/{}/{} has no description", g.path, f.name);
                    assert!(fields[..i].iter().all(|o| o.name != f.name), "/{}/{} twice", g.path, f.name);
                }
            }
        }
    }

    #[test]
    fn the_documented_schema_is_the_declared_one() {
        let docs = include_str!("../../docs/results-schema.md");
        let mut generated = markdown("Every file", std::slice::from_ref(&ROOT));
        for e in experiments::ALL {
            generated += &markdown(e.name(), e.schema());
        }
        assert!(docs.contains(&generated), "docs/results-schema.md is out of date: run scripts/docs-schema.sh");
    }
}
