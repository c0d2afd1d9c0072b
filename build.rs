//! Generates the C header from `src/ffi/` with cbindgen.
//!
//! The header is written to `$OUT_DIR/tilmelding.h` on every build; the test
//! suite compares it with the committed `include/tilmelding.h` and fails on
//! any difference. `TILMELDING_UPDATE_HEADER=1 cargo build` updates the
//! committed copy.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=TILMELDING_UPDATE_HEADER");

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        // Only the C ABI module: the rest of the crate's public items are not C API.
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen can read src/ffi");
    let generated = out_dir.join("tilmelding.h");
    bindings.write_to_file(&generated);
    if std::env::var_os("TILMELDING_UPDATE_HEADER").is_some_and(|v| v != "0") {
        bindings.write_to_file(crate_dir.join("include/tilmelding.h"));
    }
}
