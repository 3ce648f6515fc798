//! `mine-templates LINES OUT`: feeds every line of LINES to ci-intel's template miner (Drain with
//! drain3's defaults, no cluster cap) and writes each line's final template to OUT, one per
//! line, for `bench/autopsy.sh` to compare with drain3 line by line. Prints the mining time.

use std::io::{BufRead as _, Write as _};
use std::time::Instant;

use ci_intel_autopsy::miner::{Miner, Params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        return Err("usage: mine-templates LINES OUT".into());
    };
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(input)?)
        .lines()
        .collect::<Result<_, _>>()?;
    let mut miner = Miner::new(Params {
        max_clusters: usize::MAX,
        ..Params::default()
    });
    let start = Instant::now();
    let ids: Vec<Option<usize>> = lines.iter().map(|l| miner.add_line(l, None)).collect();
    let elapsed = start.elapsed();
    let mut out = std::io::BufWriter::new(std::fs::File::create(output)?);
    for id in ids {
        writeln!(out, "{}", id.map(|i| miner.template(i)).unwrap_or_default())?;
    }
    out.flush()?;
    println!(
        "ci-intel miner: {} lines, {} clusters, {:.3} s",
        lines.len(),
        miner.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
