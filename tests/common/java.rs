//! The JDK 22+ and the Maven-built jar that the Java tests (tests/java.rs)
//! and the benchmark (benches/languages.rs, which includes this file) run
//! the FFM implementation on.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A JDK of version 22 or later: `TILMELDING_JDK22`, or the newest under /usr/lib/jvm.
pub fn jdk22() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("TILMELDING_JDK22") {
        return Some(PathBuf::from(home));
    }
    let major = |home: &Path| -> Option<u32> {
        let release = std::fs::read_to_string(home.join("release")).ok()?;
        let line = release.lines().find(|l| l.starts_with("JAVA_VERSION="))?;
        line.trim_start_matches("JAVA_VERSION=\"")
            .split(['.', '"'])
            .next()?
            .parse()
            .ok()
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/jvm")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|home| home.join("bin/javac").exists() && major(home).is_some_and(|v| v >= 22))
        .collect();
    found.sort();
    found.pop()
}

/// Held around every `mvn` run: tests run in parallel, and two Maven
/// processes filling one local repository at once can corrupt it.
pub fn maven_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `mvn package` (no integration tests) of bindings/java with `jdk`, the jar
/// carrying `native_dir`'s libtilmelding.so, built in `build`: the jar's
/// path, or what Maven printed.
pub fn maven_jar(jdk: &Path, native_dir: &Path, build: &Path) -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _maven = maven_lock();
    let out = Command::new("mvn")
        .args(["-B", "-q", "package", "-DskipITs"])
        .arg(format!("-Dtilmelding.native.dir={}", native_dir.display()))
        .arg(format!("-Dtilmelding.build.directory={}", build.display()))
        .env("JAVA_HOME", jdk)
        .current_dir(root.join("bindings/java"))
        .output()
        .map_err(|e| format!("mvn: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mvn package with {}:\n{}{}",
            jdk.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(build.join(format!("tilmelding-{}.jar", env!("CARGO_PKG_VERSION"))))
}
