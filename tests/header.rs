//! The C header: generated, committed, in step with the code, and usable
//! from C99 and C++; the shared library exports only `tlm_` symbols.

mod common;

use std::process::Command;

#[test]
fn committed_header_matches_the_code() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/tilmelding.h"));
    let committed = std::fs::read_to_string(common::root().join("include/tilmelding.h"))
        .expect("include/tilmelding.h is committed");
    assert!(
        generated == committed,
        "include/tilmelding.h is out of date with src/ffi/: run `TILMELDING_UPDATE_HEADER=1 cargo build` and commit it"
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
        "tlm_lookup",
        "tlm_lookup_batch",
        "tlm_index_close",
        "tlm_strerror",
    ] {
        assert!(
            symbols.iter().any(|s| s == expected),
            "{expected} is not exported"
        );
    }
}
