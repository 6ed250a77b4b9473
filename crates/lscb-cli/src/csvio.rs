//! Reading CSV files for `lscbctl import` and `seed`: rows with their line numbers, field
//! helpers that name the line and column of every problem, the file's content hash (the root
//! of every idempotency key), mapping the server's `rows[3].period` violations back to CSV
//! lines, and progress output (a bar with rows/s on a terminal, plain lines otherwise).

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// One data row of a CSV file.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    fields: HashMap<String, String>,
}

/// A problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An error of the whole request (not of a row) has no line: say so instead of a
        // made-up "line 0".
        match (self.line, self.field.is_empty()) {
            (0, true) => write!(f, "whole file: {}", self.message),
            (0, false) => write!(f, "{}: {}", self.field, self.message),
            (_, true) => write!(f, "line {}: {}", self.line, self.message),
            _ => write!(f, "line {}: {}: {}", self.line, self.field, self.message),
        }
    }
}

/// A CSV file read whole.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub name: String,
    /// Hex SHA-256 of the file's bytes.
    pub hash: String,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl CsvFile {
    /// Reads `path`; fails on unreadable files and malformed CSV (naming the line).
    pub fn read(path: &Path) -> anyhow::Result<CsvFile> {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &bytes)
    }

    /// Parses CSV bytes (a header line, then rows).
    pub fn parse(name: &str, bytes: &[u8]) -> anyhow::Result<CsvFile> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| anyhow::anyhow!("{name}: cannot read the header line: {e}"))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                anyhow::anyhow!("{name}: line {line}: malformed CSV: {e}")
            })?;
            // The csv crate does not count blank lines; count the newlines before the
            // record's first byte instead.
            let line = rec
                .position()
                .map(|p| {
                    let mut end = (p.byte() as usize).min(bytes.len());
                    while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
                        end += 1;
                    }
                    bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
                })
                .unwrap_or(0);
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            let fields = header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect();
            rows.push(Row { line, fields });
        }
        Ok(CsvFile {
            name: name.to_string(),
            hash: sha256_hex(bytes),
            header,
            rows,
        })
    }

    /// Fails when a required column is missing.
    pub fn require_columns(&self, columns: &[&str]) -> anyhow::Result<()> {
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| !self.header.iter().any(|h| h == c))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(
                "{}: line 1: missing column(s) {} (expected: {})",
                self.name,
                missing.join(", "),
                columns.join(",")
            )
        }
    }

    /// Short idempotency key for `purpose` derived from the file content.
    pub fn key(&self, purpose: &str) -> String {
        format!("{purpose}-{}", &self.hash[..32])
    }
}

impl Row {
    /// A row built by hand (tests, TOML sources).
    pub fn new(line: u64, fields: &[(&str, &str)]) -> Row {
        Row {
            line,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The field's text ("" when the column is absent).
    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn err(&self, field: &str, message: impl Into<String>) -> RowError {
        RowError {
            line: self.line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A non-empty field.
    pub fn req(&self, field: &str, errs: &mut Vec<RowError>) -> String {
        let v = self.get(field);
        if v.is_empty() {
            errs.push(self.err(field, "is required"));
        }
        v.to_string()
    }

    /// A `;`-separated list (empty items dropped).
    pub fn list(&self, field: &str) -> Vec<String> {
        split_list(self.get(field))
    }

    /// `key=value;key=value` pairs.
    pub fn pairs(&self, field: &str, errs: &mut Vec<RowError>) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for item in split_list(self.get(field)) {
            match item.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    out.push((k.trim().to_string(), v.trim().to_string()))
                }
                _ => errs.push(self.err(field, format!("'{item}' is not key=value"))),
            }
        }
        out
    }

    /// A financial-year, quarter or month period code (required).
    pub fn period(&self, field: &str, errs: &mut Vec<RowError>) -> String {
        let v = self.req(field, errs);
        if !v.is_empty()
            && let Err(e) = lscb_platform::Period::from_str(&v)
        {
            errs.push(self.err(field, e.to_string()));
        }
        v
    }

    /// An exact decimal, or empty.
    pub fn decimal(&self, field: &str, errs: &mut Vec<RowError>) -> String {
        let v = self.get(field);
        if !v.is_empty() && rust_decimal::Decimal::from_str(v).is_err() {
            errs.push(self.err(field, format!("'{v}' is not a number")));
        }
        v.to_string()
    }

    /// A whole number of pence (0 or more), or `None` when empty.
    pub fn pence(&self, field: &str, errs: &mut Vec<RowError>) -> Option<i64> {
        let v = self.get(field);
        if v.is_empty() {
            return None;
        }
        match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errs.push(self.err(
                    field,
                    format!("'{v}' is not a whole, non-negative number of pence"),
                ));
                None
            }
        }
    }

    /// An unsigned whole number (0 when empty).
    pub fn uint(&self, field: &str, errs: &mut Vec<RowError>) -> u32 {
        let v = self.get(field);
        if v.is_empty() {
            return 0;
        }
        v.parse::<u32>().unwrap_or_else(|_| {
            errs.push(self.err(field, format!("'{v}' is not a whole number")));
            0
        })
    }

    /// true/false (also yes/no, 1/0); false when empty.
    pub fn boolean(&self, field: &str, errs: &mut Vec<RowError>) -> bool {
        match self.get(field).to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "0" => false,
            "true" | "yes" | "1" => true,
            other => {
                errs.push(self.err(field, format!("'{other}' is not true or false")));
                false
            }
        }
    }

    /// An ISO date YYYY-MM-DD, or empty.
    pub fn date(&self, field: &str, errs: &mut Vec<RowError>) -> String {
        let v = self.get(field);
        if !v.is_empty() && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
            errs.push(self.err(field, format!("'{v}' is not a date YYYY-MM-DD")));
        }
        v.to_string()
    }

    /// A proto enum value from a snake_case name: `PREFIX_NAME` looked up by `lookup`.
    pub fn enumeration<E: Into<i32>>(
        &self,
        field: &str,
        prefix: &str,
        allowed: &str,
        lookup: impl Fn(&str) -> Option<E>,
        errs: &mut Vec<RowError>,
    ) -> i32 {
        let v = self.get(field);
        match enum_value(v, prefix, lookup) {
            Some(x) => x,
            None => {
                errs.push(self.err(
                    field,
                    if v.is_empty() {
                        format!("is required (one of {allowed})")
                    } else {
                        format!("'{v}' is not one of {allowed}")
                    },
                ));
                0
            }
        }
    }
}

/// Looks up `PREFIX_` + upper-case `name` with a prost `from_str_name`.
pub fn enum_value<E: Into<i32>>(
    name: &str,
    prefix: &str,
    lookup: impl Fn(&str) -> Option<E>,
) -> Option<i32> {
    if name.is_empty() {
        return None;
    }
    lookup(&format!("{prefix}_{}", name.to_ascii_uppercase()))
        .map(Into::into)
        .filter(|v| *v != 0)
}

/// Splits a `;`-separated list, trimming items and dropping empty ones.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Maps the server's field violations of a batch (`rows[3].period`, `case_reviews[0].agencies[1]`)
/// back to the CSV lines the batch was built from (`lines[i]` is the line of element `i`).
pub fn map_violations(status: &tonic::Status, lines: &[u64]) -> Vec<RowError> {
    use tonic_types::StatusExt;
    let mut out = Vec::new();
    if let Some(br) = status.get_details_bad_request() {
        for v in br.field_violations {
            let (line, field) = locate(&v.field, lines);
            out.push(RowError {
                line,
                field,
                message: v.description,
            });
        }
    }
    if out.is_empty() {
        out.push(RowError {
            line: 0,
            field: String::new(),
            message: format!("{:?}: {}", status.code(), status.message()),
        });
    }
    out
}

/// `rows[3].period` with lines [2, 3, 5, 9] -> (9, "period").
fn locate(field: &str, lines: &[u64]) -> (u64, String) {
    if let Some(open) = field.find('[')
        && let Some(close) = field[open..].find(']')
        && let Ok(i) = field[open + 1..open + close].parse::<usize>()
        && let Some(line) = lines.get(i)
    {
        let rest = field[open + close + 1..].trim_start_matches('.');
        return (*line, rest.to_string());
    }
    (lines.first().copied().unwrap_or(0), field.to_string())
}

/// Progress of a long load: an indicatif bar with rows/s when stderr is a terminal, plain
/// lines otherwise (so logs of CI and `just demo` stay readable).
#[derive(Debug)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    label: String,
    total: u64,
    done: u64,
    last_print: u64,
    started: std::time::Instant,
    quiet: bool,
}

impl Progress {
    pub fn new(label: &str, total: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{msg:>24} [{bar:30}] {pos}/{len} rows {per_sec} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            b.set_style(style);
            b.set_message(label.to_string());
            b
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            done: 0,
            last_print: 0,
            started: std::time::Instant::now(),
            quiet,
        }
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(b) = &self.bar {
            b.inc(n);
        } else if !self.quiet && self.done < self.total && self.done - self.last_print >= 1000 {
            self.last_print = self.done;
            eprintln!(
                "{}: {}/{} rows ({:.0} rows/s)",
                self.label,
                self.done,
                self.total,
                self.rate()
            );
        }
    }

    fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    pub fn finish(self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if !self.quiet {
            eprintln!(
                "{}: {} rows in {:.1}s ({:.0} rows/s)",
                self.label,
                self.done,
                self.started.elapsed().as_secs_f64(),
                self.rate()
            );
        }
    }
}

#[cfg(test)]
#[path = "csvio_tests.rs"]
mod tests;
