//! PDF, the format boards publish: the self-contained HTML printed by headless Chromium
//! (Debian package `chromium`). A clear error says so when Chromium is not installed.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Names Chromium goes by; `LSCB_CHROMIUM` overrides them with a path.
const CANDIDATES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The Chromium executable, if any.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LSCB_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in CANDIDATES {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The Chromium executable, or an error saying how to get one.
pub fn require_chromium() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("LSCB_CHROMIUM")
        && !Path::new(&p).is_file()
    {
        anyhow::bail!(
            "LSCB_CHROMIUM is {} but that is not a file; PDF output needs Chromium",
            Path::new(&p).display()
        );
    }
    find_chromium().ok_or_else(|| {
        anyhow::anyhow!(
            "Chromium is not installed, and PDF output needs it: install it (Debian/Ubuntu: \
             `apt-get install -y chromium`) or set LSCB_CHROMIUM to its path; or write \
             --format html and print that"
        )
    })
}

/// Prints `html` to the PDF file `out`.
pub async fn html_to_pdf(html: &str, out: &Path) -> anyhow::Result<()> {
    let chromium = require_chromium()?;
    let work = std::env::temp_dir().join(format!("lscb-pdf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&work)?;
    let input = work.join("report.html");
    std::fs::write(&input, html)?;
    let out_abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()?.join(out)
    };
    let mut cmd = tokio::process::Command::new(&chromium);
    cmd.arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-background-networking")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg("--disable-dev-shm-usage")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out_abs.display()))
        .arg(format!("file://{}", input.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let result = tokio::time::timeout(Duration::from_secs(120), cmd.output()).await;
    let _ = std::fs::remove_dir_all(&work);
    let output = result
        .map_err(|_| {
            anyhow::anyhow!(
                "{} did not finish printing within 120 s",
                chromium.display()
            )
        })?
        .map_err(|e| anyhow::anyhow!("running {}: {e}", chromium.display()))?;
    let ok = out_abs.metadata().map(|m| m.len() > 0).unwrap_or(false);
    if !output.status.success() || !ok {
        let err = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!(
            "{} failed to print the report ({}): {}",
            chromium.display(),
            output.status,
            err.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(())
}
