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

/// The `pdftotext` executable (Debian package `poppler-utils`), if any: the printer reads
/// the first printing back with it to number the contents.
pub fn find_pdftotext() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("pdftotext"))
        .find(|p| p.is_file())
}

/// Prints `html` to the PDF file `out`. When the HTML has a contents list with page-number
/// slots (`data-page-of="ANCHOR"`, see `layout::contents`) and `pdftotext` is installed, it
/// is printed twice: the first printing carries an invisible marker at each heading, read
/// back page by page to learn where each heading fell; the second has those page numbers in
/// the contents. Filling the slots does not move anything (each slot keeps its width), so
/// the numbers stay true.
pub async fn html_to_pdf(html: &str, out: &Path) -> anyhow::Result<()> {
    let chromium = require_chromium()?;
    let out_abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()?.join(out)
    };
    let slots = page_slots(html);
    let Some(pdftotext) = find_pdftotext().filter(|_| !slots.is_empty()) else {
        return print(&chromium, html, &out_abs).await;
    };
    print(&chromium, &with_markers(html, &slots), &out_abs).await?;
    let text = tokio::process::Command::new(&pdftotext)
        .arg("-raw")
        .arg(&out_abs)
        .arg("-")
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("running {}: {e}", pdftotext.display()))?;
    let pages = marker_pages(&String::from_utf8_lossy(&text.stdout));
    print(&chromium, &fill_slots(html, &pages), &out_abs).await
}

/// The anchors whose page numbers the contents asks for.
pub fn page_slots(html: &str) -> Vec<String> {
    html.split("data-page-of=\"")
        .skip(1)
        .filter_map(|s| s.split_once('"').map(|(id, _)| id.to_string()))
        .collect()
}

const MARK_CSS: &str =
    ".pdf-mark { position: absolute; font-size: 6px; color: #ffffff; white-space: nowrap; }";

/// The HTML with a marker `[[p:ANCHOR]]` at the start of each heading asked for.
fn with_markers(html: &str, slots: &[String]) -> String {
    let mut out = html.replacen("</style>", &format!("{MARK_CSS}</style>"), 1);
    for id in slots {
        for level in 1..=6 {
            let open = format!("<h{level} id=\"{id}\">");
            if let Some(at) = out.find(&open) {
                out.insert_str(
                    at + open.len(),
                    &format!("<span class=\"pdf-mark\" aria-hidden=\"true\">[[p:{id}]]</span>"),
                );
                break;
            }
        }
    }
    out
}

/// Page (from 1) of each marker in `pdftotext` output (pages end with a form feed).
fn marker_pages(text: &str) -> std::collections::HashMap<String, u32> {
    let mut pages = std::collections::HashMap::new();
    for (i, page) in text.split('\u{c}').enumerate() {
        let squeezed: String = page.chars().filter(|c| !c.is_whitespace()).collect();
        for m in squeezed.split("[[p:").skip(1) {
            if let Some((id, _)) = m.split_once("]]") {
                pages.entry(id.to_string()).or_insert(i as u32 + 1);
            }
        }
    }
    pages
}

/// The HTML with each contents slot holding its page number.
fn fill_slots(html: &str, pages: &std::collections::HashMap<String, u32>) -> String {
    let mut out = html.to_string();
    for (id, page) in pages {
        out = out.replacen(
            &format!("data-page-of=\"{id}\"></span>"),
            &format!("data-page-of=\"{id}\">{page}</span>"),
            1,
        );
    }
    out
}

async fn print(chromium: &Path, html: &str, out_abs: &Path) -> anyhow::Result<()> {
    let work = std::env::temp_dir().join(format!("lscb-pdf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&work)?;
    let input = work.join("report.html");
    std::fs::write(&input, html)?;
    let _ = std::fs::remove_file(out_abs);
    let mut cmd = tokio::process::Command::new(chromium);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_slots_are_found_marked_and_filled() {
        let html = "<style>x</style><li><a href=\"#a\">A</a><span class=\"toc-page\" data-page-of=\"a\"></span></li>\
                    <li><span class=\"toc-page\" data-page-of=\"b-2\"></span></li><h2 id=\"a\">A</h2><h3 id=\"b-2\">B</h3>";
        let slots = page_slots(html);
        assert_eq!(slots, vec!["a", "b-2"]);
        let marked = with_markers(html, &slots);
        assert!(marked.contains(
            "<h2 id=\"a\"><span class=\"pdf-mark\" aria-hidden=\"true\">[[p:a]]</span>A</h2>"
        ));
        assert!(marked.contains(
            "<h3 id=\"b-2\"><span class=\"pdf-mark\" aria-hidden=\"true\">[[p:b-2]]</span>B</h3>"
        ));
        assert!(marked.contains(".pdf-mark {"));
        let pages =
            marker_pages("cover\u{c}contents\u{c}text [[p:\na]] more\u{c}x\u{c}[[p:b-2]]\u{c}");
        assert_eq!(pages.get("a"), Some(&3));
        assert_eq!(pages.get("b-2"), Some(&5));
        let filled = fill_slots(html, &pages);
        assert!(filled.contains("data-page-of=\"a\">3</span>"));
        assert!(filled.contains("data-page-of=\"b-2\">5</span>"));
    }
}
