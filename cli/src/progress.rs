//! Progress bars on a terminal; nothing when output is redirected.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tilmelding::BuildProgress;

/// A byte-counting bar for reading a file.
pub fn bytes(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(0).with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A count bar.
pub fn count(message: &'static str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total).with_message(message);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {human_pos}/{human_len} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Feeds a build's progress into a bar.
pub fn build_callback(bar: &ProgressBar) -> impl FnMut(BuildProgress) + '_ {
    move |p| match p {
        BuildProgress::Reading { bytes, total, .. } => {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(bytes);
        }
        BuildProgress::Encoding => bar.set_message("encoding"),
        BuildProgress::Writing => bar.set_message("writing"),
        _ => {}
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in MB with one decimal.
pub fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

/// A maximum age such as `36h`, `90m` or `1h 30m`.
pub fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let age: jiff::SignedDuration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 36h or 90m: {e}"))?;
    std::time::Duration::try_from(age).map_err(|_| format!("{text:?} is negative"))
}

/// A duration as `36h05m`.
pub fn hours_minutes(d: std::time::Duration) -> String {
    let minutes = d.as_secs() / 60;
    format!("{}h{:02}m", minutes / 60, minutes % 60)
}
