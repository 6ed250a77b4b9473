//! The report's accessibility, checked by axe-core in headless Chromium: the 2015/16
//! reference report and its young people's edition are assembled as HTML, axe-core runs on
//! each page (every rule of its default set) and any violation fails the test with the rule,
//! its impact, what it asks for and the first elements it found.
//!
//! axe-core comes from npm and is not part of the repository: `.ci/run` installs it under the
//! target dir (`target/axe`) and exports `LSCB_AXE_JS` (the path of `axe.min.js`) and
//! `LSCB_REQUIRE_AXE=1`. Without axe-core or Chromium the test says so loudly and returns,
//! unless `CI` or `LSCB_REQUIRE_AXE` is set: then it fails, so CI never skips it.

use std::path::{Path, PathBuf};
use std::process::Command;

use lscb_cli::seed_clients::Clients;
use lscb_proto::report::v1 as rep;

use super::print::{assemble, reference_stack};

/// How many elements of each violation the failure message names.
const TARGETS_SHOWN: usize = 3;

/// Runs axe-core over the page, then writes the outcome into `<pre id="axe-result">`:
/// the violations (rule, impact, help, targets) and how many rules passed, need review or
/// did not apply; or the error axe-core raised.
const RUNNER: &str = r#"<script>
(function () {
  function done(out) {
    var pre = document.createElement('pre');
    pre.id = 'axe-result';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  if (typeof axe === 'undefined') { done({ error: 'axe-core did not load' }); return; }
  axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
    done({
      version: axe.version,
      passes: r.passes.length,
      incomplete: r.incomplete.map(function (i) {
        var n = i.nodes[0];
        return i.id + (n ? ' at ' + n.target.join(' ') + ': ' + (n.failureSummary || '') : '');
      }),
      inapplicable: r.inapplicable.length,
      violations: r.violations.map(function (v) {
        return {
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          targets: v.nodes.map(function (n) { return n.target.join(' '); })
        };
      })
    });
  }, function (e) { done({ error: String(e && e.stack || e) }); });
})();
</script>"#;

/// CI (or anyone who sets `LSCB_REQUIRE_AXE`) must run the check, never skip it.
fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("LSCB_REQUIRE_AXE").is_some()
}

/// Says loudly that the check did not run, or fails when it must run.
fn skip(why: &str) {
    let msg = format!(
        "the report's accessibility check (axe-core) did not run: {why}. `.ci/run` installs \
         Chromium (apt-get install -y chromium) and axe-core (npm, under target/axe) and sets \
         LSCB_AXE_JS"
    );
    if required() {
        panic!("{msg}; CI or LSCB_REQUIRE_AXE is set, so it must run");
    }
    eprintln!("\n\n*** SKIPPED: {msg}. ***\n");
}

/// `axe.min.js`: `LSCB_AXE_JS`, else where `.ci/run` installs it under the target dir.
fn axe_js() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LSCB_AXE_JS") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../axe/node_modules/axe-core/axe.min.js");
    p.is_file().then_some(p)
}

/// Chromium and axe-core, or `None` after saying why not (see [`skip`]).
fn tools() -> Option<(PathBuf, String)> {
    let Some(chromium) = lscb_aggregator::report::pdf::find_chromium() else {
        skip("Chromium is not installed");
        return None;
    };
    let Some(js) = axe_js() else {
        skip(&match std::env::var_os("LSCB_AXE_JS") {
            Some(p) => format!("LSCB_AXE_JS is {} but that is not a file", p.display()),
            None => "axe-core is not installed (no target/axe/node_modules/axe-core/axe.min.js \
                     and LSCB_AXE_JS is not set)"
                .into(),
        });
        return None;
    };
    let js = std::fs::read_to_string(&js).unwrap_or_else(|e| panic!("{}: {e}", js.display()));
    Some((chromium, js))
}

async fn html(c: &Clients, edition: rep::ReportEdition) -> String {
    assemble(c, rep::ReportFormat::Html, edition).await
}

/// Text of a serialised DOM as text again.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// axe-core's outcome for `html` (see [`RUNNER`]), run in headless Chromium with the flags
/// the PDF printer uses. The report has no Content-Security-Policy, so the inline scripts
/// run as they are; if it ever gains one, this copy has to drop it.
fn axe_run(chromium: &Path, axe_js: &str, html: &str, dir: &Path) -> serde_json::Value {
    assert!(
        !html.contains("Content-Security-Policy"),
        "the report now has a Content-Security-Policy: drop it from the checked copy"
    );
    assert!(html.contains("</body>"), "no </body> in the report");
    // `</script` inside the library would end its script element early.
    assert!(!axe_js.contains("</script"), "axe.min.js contains </script");
    let page = dir.join("axe.html");
    let scripts = format!("<script>{axe_js}</script>\n{RUNNER}\n</body>");
    std::fs::write(&page, html.replacen("</body>", &scripts, 1)).unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=30000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    const OPEN: &str = "<pre id=\"axe-result\">";
    let start = dom.rfind(OPEN).unwrap_or_else(|| {
        panic!(
            "axe-core did not run: no <pre id=\"axe-result\"> in Chromium's DOM ({} bytes, \
             exit {}); stderr:\n{}",
            dom.len(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let json = &dom[start + OPEN.len()..];
    let json = unescape(&json[..json.find("</pre>").expect("</pre>")]);
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    if let Some(e) = v.get("error") {
        panic!("axe-core failed: {e}");
    }
    v
}

/// One paragraph per violation: rule, impact, what it asks, the first elements.
fn violations(v: &serde_json::Value) -> Vec<String> {
    v["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|x| {
            let targets: Vec<&str> = x["targets"]
                .as_array()
                .map(|t| t.iter().filter_map(|t| t.as_str()).collect())
                .unwrap_or_default();
            let more = targets.len().saturating_sub(TARGETS_SHOWN);
            format!(
                "{} ({}): {} <{}>\n    {} element(s): {}{}",
                x["id"].as_str().unwrap_or("?"),
                x["impact"].as_str().unwrap_or("?"),
                x["help"].as_str().unwrap_or("?"),
                x["helpUrl"].as_str().unwrap_or(""),
                targets.len(),
                targets[..targets.len().min(TARGETS_SHOWN)].join(" | "),
                if more > 0 {
                    format!(" | and {more} more")
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

/// axe-core finds no violation in the report; `what` names it in messages.
fn assert_accessible(chromium: &Path, axe_js: &str, html: &str, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let v = axe_run(chromium, axe_js, html, dir.path());
    let passes = v["passes"].as_u64().expect("passes");
    let found = violations(&v);
    eprintln!(
        "{what}: axe-core {}: {} violation(s), {passes} rule(s) passed, {} inapplicable, \
         needs review: {}",
        v["version"].as_str().unwrap_or("?"),
        found.len(),
        v["inapplicable"].as_u64().unwrap_or(0),
        v["incomplete"]
    );
    // axe-core really checked the page: a report with headings, tables, charts and a
    // language passes dozens of rules.
    assert!(passes >= 10, "{what}: axe-core passed only {passes} rules");
    assert!(
        found.is_empty(),
        "{what}: axe-core found {} accessibility violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[tokio::test]
async fn axe_core_finds_no_violation_in_the_reference_report() {
    let Some((chromium, axe_js)) = tools() else {
        return;
    };
    let (app, c) = reference_stack().await;
    let full = html(&c, rep::ReportEdition::Full).await;
    let young = html(&c, rep::ReportEdition::YoungPeople).await;
    app.shutdown().await;
    assert_accessible(&chromium, &axe_js, &full, "full report");
    assert_accessible(&chromium, &axe_js, &young, "young people's edition");
}

#[test]
fn a_violation_is_reported_with_its_rule_impact_and_elements() {
    let Some((chromium, axe_js)) = tools() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = "<!DOCTYPE html>\n<html>\n<head><title>t</title></head>\n<body>\n<main>\
                <img src=\"x.png\"></main>\n</body>\n</html>\n";
    let v = axe_run(&chromium, &axe_js, page, dir.path());
    let found = violations(&v);
    let text = found.join("\n");
    assert!(
        found.iter().any(|f| f.starts_with("image-alt (critical)")),
        "{text}"
    );
    assert!(
        found.iter().any(|f| f.starts_with("html-has-lang")),
        "{text}"
    );
    assert!(text.contains("1 element(s): img"), "{text}");
}
