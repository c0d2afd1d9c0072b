//! Open an index and answer one letter, the way a sending system would.
//!
//! ```text
//! cargo run --example lookup -- INDEX MATERIAL RECIPIENT [YYYY-MM-DD]
//! ```

use std::process::ExitCode;

use tilmelding::{Date, Index, Recipient};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [index, material, recipient, rest @ ..] = args.as_slice() else {
        eprintln!("usage: lookup INDEX MATERIAL RECIPIENT [YYYY-MM-DD]");
        return ExitCode::from(2);
    };
    match run(index, material, recipient, rest.first()) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    index: &str,
    material: &str,
    recipient: &str,
    date: Option<&String>,
) -> Result<String, Box<dyn std::error::Error>> {
    let index = Index::open(index)?;
    let recipient: Recipient = recipient.parse()?;
    let date = match date {
        Some(d) => d.parse()?,
        None => Date::today(),
    };
    let meta = index.metadata();
    Ok(match index.lookup(material, &recipient, date) {
        // Log the snapshot with the answer, so the letter's audit trail shows
        // which list decided it.
        Ok(answer) => format!(
            "{recipient} {} ({}) {} [snapshot {}]",
            answer.channel,
            answer.channel.code(),
            answer.reason,
            &meta.snapshot_id_hex()[..16]
        ),
        Err(e) => format!("{} error {}", recipient.masked(), e.as_str()),
    })
}
