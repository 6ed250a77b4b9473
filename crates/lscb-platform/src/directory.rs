//! The directory of partnerships and their agencies, read from a TOML file at start-up
//! (`deploy/directory.toml`). Organisations merge and are renamed, so each agency has a
//! validity window. An invalid file fails start-up with a message naming the line.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The sector an agency belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Police,
    Health,
    LocalAuthority,
    Education,
    Probation,
    YouthJustice,
    Voluntary,
    Fire,
    Ambulance,
    Other,
}

impl Sector {
    pub const ALL: [Sector; 10] = [
        Sector::Police,
        Sector::Health,
        Sector::LocalAuthority,
        Sector::Education,
        Sector::Probation,
        Sector::YouthJustice,
        Sector::Voluntary,
        Sector::Fire,
        Sector::Ambulance,
        Sector::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Police => "police",
            Sector::Health => "health",
            Sector::LocalAuthority => "local_authority",
            Sector::Education => "education",
            Sector::Probation => "probation",
            Sector::YouthJustice => "youth_justice",
            Sector::Voluntary => "voluntary",
            Sector::Fire => "fire",
            Sector::Ambulance => "ambulance",
            Sector::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Sector> {
        Sector::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One organisation of a partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub sector: Sector,
    #[serde(default)]
    pub statutory: bool,
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

impl Agency {
    /// Whether the agency existed on `date`.
    pub fn valid_at(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }

    /// Whether the agency existed at any time between `from` and `to` (inclusive).
    pub fn valid_during(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= to) && self.valid_to.is_none_or(|t| from <= t)
    }
}

/// A safeguarding children partnership: one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    pub id: String,
    pub name: String,
    pub local_authority: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub statistical_neighbours: Vec<String>,
    #[serde(default, rename = "agency")]
    pub agencies: Vec<Agency>,
}

impl Partnership {
    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.code == code)
    }

    /// Statutory agencies that existed at some point in `[from, to]`.
    pub fn statutory_agencies_during(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &Agency> {
        self.agencies
            .iter()
            .filter(move |a| a.statutory && a.valid_during(from, to))
    }
}

/// All partnerships this deployment serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    #[serde(default, rename = "partnership")]
    pub partnerships: Vec<Partnership>,
}

/// Why a directory file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read directory file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("directory {path}, line {line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

fn line_of(src: &str, needle: &str, nth: usize) -> usize {
    // Finds the line of the nth occurrence of `code = "X"`-like text; 1-based.
    let mut count = 0;
    for (i, line) in src.lines().enumerate() {
        if line.contains(needle) {
            if count == nth {
                return i + 1;
            }
            count += 1;
        }
    }
    0
}

fn line_of_offset(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

impl Directory {
    /// Reads and validates a directory file.
    pub fn load(path: &Path) -> Result<Directory, DirectoryError> {
        let src = std::fs::read_to_string(path).map_err(|source| DirectoryError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&src, &path.display().to_string())
    }

    /// Parses and validates directory TOML; `path` is only used in messages.
    pub fn parse(src: &str, path: &str) -> Result<Directory, DirectoryError> {
        let invalid = |line: usize, message: String| DirectoryError::Invalid {
            path: path.to_string(),
            line,
            message,
        };
        let dir: Directory = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(src, s.start)).unwrap_or(0);
            invalid(line, e.message().to_string())
        })?;
        let mut ids = HashSet::new();
        for (pi, p) in dir.partnerships.iter().enumerate() {
            let pline = line_of(src, "[[partnership]]", pi);
            if !is_code(&p.id) {
                return Err(invalid(
                    pline,
                    format!(
                        "partnership id '{}' must be letters, digits, '-', '_' or '.'",
                        p.id
                    ),
                ));
            }
            if !ids.insert(p.id.as_str()) {
                return Err(invalid(
                    pline,
                    format!("partnership id '{}' appears twice", p.id),
                ));
            }
            if p.name.trim().is_empty() {
                return Err(invalid(
                    pline,
                    format!("partnership '{}' has an empty name", p.id),
                ));
            }
            let mut codes = HashSet::new();
            for a in &p.agencies {
                let needle = format!("\"{}\"", a.code);
                let aline = src
                    .lines()
                    .enumerate()
                    .find(|(_, l)| l.trim_start().starts_with("code") && l.contains(&needle))
                    .map(|(i, _)| i + 1)
                    .unwrap_or(pline);
                if !is_code(&a.code) {
                    return Err(invalid(
                        aline,
                        format!(
                            "agency code '{}' must be letters, digits, '-', '_' or '.'",
                            a.code
                        ),
                    ));
                }
                if !codes.insert(a.code.as_str()) {
                    let second = src
                        .lines()
                        .enumerate()
                        .filter(|(_, l)| l.trim_start().starts_with("code") && l.contains(&needle))
                        .nth(1)
                        .map(|(i, _)| i + 1)
                        .unwrap_or(aline);
                    return Err(invalid(
                        second,
                        format!(
                            "agency code '{}' appears twice in partnership '{}'",
                            a.code, p.id
                        ),
                    ));
                }
                if a.name.trim().is_empty() {
                    return Err(invalid(
                        aline,
                        format!("agency '{}' has an empty name", a.code),
                    ));
                }
                if let (Some(f), Some(t)) = (a.valid_from, a.valid_to)
                    && t < f
                {
                    return Err(invalid(
                        aline,
                        format!("agency '{}' has valid_to {t} before valid_from {f}", a.code),
                    ));
                }
            }
        }
        Ok(dir)
    }

    pub fn partnership(&self, id: &str) -> Option<&Partnership> {
        self.partnerships.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
[[partnership]]
id = "p1"
name = "Test board"
local_authority = "Test City"
region = "West Midlands"
statistical_neighbours = ["A", "B"]

[[partnership.agency]]
code = "POL"
name = "Police"
sector = "police"
statutory = true

[[partnership.agency]]
code = "OLD"
name = "Old trust"
sector = "health"
statutory = true
valid_to = "2015-09-30"
"#;

    #[test]
    fn parses_a_valid_directory() {
        let d = Directory::parse(OK, "t.toml").unwrap();
        let p = d.partnership("p1").unwrap();
        assert_eq!(p.agencies.len(), 2);
        assert_eq!(p.agency("POL").unwrap().sector, Sector::Police);
        let old = p.agency("OLD").unwrap();
        assert!(old.valid_at(NaiveDate::from_ymd_opt(2015, 9, 30).unwrap()));
        assert!(!old.valid_at(NaiveDate::from_ymd_opt(2015, 10, 1).unwrap()));
    }

    #[test]
    fn unknown_sector_names_the_line() {
        let bad = OK.replace("sector = \"police\"", "sector = \"polis\"");
        let e = Directory::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("line 12"), "{e}");
        assert!(e.contains("polis"), "{e}");
    }

    #[test]
    fn duplicate_agency_names_the_second_line() {
        let bad = OK.replace("code = \"OLD\"", "code = \"POL\"");
        let e = Directory::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("line 16") || e.contains("line 17"), "{e}");
        assert!(e.contains("appears twice"), "{e}");
    }

    #[test]
    fn dates_out_of_order_are_refused() {
        let bad = OK.replace(
            "valid_to = \"2015-09-30\"",
            "valid_from = \"2016-01-01\"\nvalid_to = \"2015-09-30\"",
        );
        let e = Directory::parse(&bad, "t.toml").unwrap_err().to_string();
        assert!(e.contains("before valid_from"), "{e}");
    }

    #[test]
    fn the_shipped_directory_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/directory.toml");
        let d = Directory::load(&path).unwrap();
        let p = d.partnership("bscb").expect("the reference board");
        assert!(
            p.agencies.len() >= 30,
            "figure 29 lists 31 agencies, got {}",
            p.agencies.len()
        );
        assert!(p.agency("WMP").is_some());
    }
}
