//! The C header: generated, committed, in step with the code, and usable
//! from C99 and C++; the shared library exports only `tlm_` symbols.

mod common;

use std::process::Command;

/// The header cbindgen makes of `src/ffi/` now (cbindgen is a dev-dependency:
/// no consumer of the library compiles it).
fn generated_header() -> String {
    let root = common::root();
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        // Only the C ABI module: the rest of the crate is not C API.
        .with_src(root.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen can read src/ffi");
    let mut header = Vec::new();
    bindings.write(&mut header);
    String::from_utf8(header).expect("the header is UTF-8")
}

#[test]
fn committed_header_matches_the_code() {
    let generated = generated_header();
    let path = common::root().join("include/tilmelding.h");
    if std::env::var_os("TILMELDING_UPDATE_HEADER").is_some_and(|v| v != "0") {
        std::fs::write(&path, &generated).expect("include/tilmelding.h is writable");
    }
    let committed = std::fs::read_to_string(&path).expect("include/tilmelding.h is committed");
    assert!(
        generated == committed,
        "include/tilmelding.h is out of date with src/ffi/: run \
         `TILMELDING_UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}

#[test]
fn header_compiles_as_c99_and_cpp() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("use.c");
    std::fs::write(
        &source,
        "#include \"tilmelding.h\"\n\
         int main(void) { tlm_answer a; tlm_info i; (void)a; (void)i;\n\
         return (int)(sizeof(tlm_answer) != 8) + (int)(TLM_OK != 0); }\n",
    )
    .unwrap();
    let include = common::root().join("include");
    for (compiler, flags) in [
        ("gcc", &["-std=c99", "-x", "c"][..]),
        ("g++", &["-std=c++11", "-x", "c++"][..]),
    ] {
        if !common::have_tool(compiler, "--version", "apt-get install -y gcc g++") {
            continue;
        }
        let exe = dir.path().join(compiler);
        let out = Command::new(compiler)
            .args(flags)
            .args(["-Wall", "-Wextra", "-pedantic", "-Werror", "-I"])
            .arg(&include)
            .arg(&source)
            .arg("-o")
            .arg(&exe)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            Command::new(&exe).status().unwrap().success(),
            "{compiler}: wrong layout"
        );
    }
}

#[test]
fn shared_library_exports_only_tlm_symbols() {
    if !common::have_tool("nm", "--version", "apt-get install -y binutils") {
        return;
    }
    let library = common::library_dir().join("libtilmelding.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only", "--format=posix"])
        .arg(&library)
        .output()
        .unwrap();
    assert!(out.status.success());
    let symbols: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let foreign: Vec<&String> = symbols.iter().filter(|s| !s.starts_with("tlm_")).collect();
    assert!(
        foreign.is_empty(),
        "exported symbols without the tlm_ prefix: {foreign:?}"
    );
    for expected in [
        "tlm_index_open",
        "tlm_index_lookup",
        "tlm_index_lookup_number",
        "tlm_index_lookup_batch",
        "tlm_index_close",
        "tlm_strerror",
        "tlm_channel_name",
        "tlm_reason_name",
    ] {
        assert!(
            symbols.iter().any(|s| s == expected),
            "{expected} is not exported"
        );
    }
}

/// The static library carries what building and answering need, and nothing
/// of the CLI's or the generator's dependencies. (A test build unifies
/// features with the dev-dependencies, which can pull `rand_core` in through
/// `getrandom`; `.ci/run` checks the release build for every `rand` crate.)
#[test]
fn static_library_carries_no_generator_code() {
    if !common::have_tool("nm", "--version", "apt-get install -y binutils") {
        return;
    }
    let library = common::library_dir().join("libtilmelding.a");
    let out = Command::new("nm")
        .args(["--defined-only", "--format=posix"])
        .arg(&library)
        .output()
        .unwrap();
    assert!(out.status.success());
    let symbols = String::from_utf8(out.stdout).unwrap();
    for crate_name in ["rand_xoshiro", "clap", "indicatif", "anyhow"] {
        assert!(
            !symbols.contains(crate_name),
            "libtilmelding.a holds symbols of {crate_name}"
        );
    }
    assert!(
        symbols.contains("tlm_index_open"),
        "not the library: {}",
        library.display()
    );
}
