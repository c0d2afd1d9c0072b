//! A generated register built into an index, for the benchmarks that need
//! one in this process.

use std::path::{Path, PathBuf};

use tilmelding::{BuildOptions, Index};
use tilmelding_synth::{self as synth, SynthOptions, SynthSummary};

/// Generates `citizens` and `companies` into `dir` with the generator's
/// other defaults, builds `dir/index.tlm` from them and opens it: the
/// generator's summary, the index file's path and the open index.
pub fn index(dir: &Path, citizens: u64, companies: u64) -> (SynthSummary, PathBuf, Index) {
    let options = SynthOptions {
        citizens,
        companies,
        ..SynthOptions::default()
    };
    let data = synth::generate(dir, &options, &mut |_, _| {}).unwrap();
    let path = dir.join("index.tlm");
    tilmelding::build(
        &data.catalog_path,
        &[&data.contacts_path],
        &path,
        &BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let index = Index::open(&path).unwrap();
    (data, path, index)
}
