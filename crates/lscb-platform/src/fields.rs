//! The input policy every service shares: which text a string field may hold, how long it
//! may be, what a date looks like and how large an amount of money may be. The server
//! checks every request against it before a handler runs (`input_policy.rs`), so the rules
//! are the same on every RPC and on SQLite and PostgreSQL; handlers parse dates with
//! [`parse_date`] and add money with [`sum_pence`] / [`checked_pence`].

use chrono::NaiveDate;

/// Longest idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 128;
/// Longest identifier-like field (codes, ids, references, agency and year codes, dates), in
/// bytes: these are indexed, and PostgreSQL refuses index rows over ~2.7 KB.
pub const MAX_IDENTIFIER_BYTES: usize = 256;
/// Longest ordinary text field (titles, descriptions, notes, reasons), in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest document field (report narrative markdown, rules TOML, stored JSON), in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// Largest amount of money one field may carry: £10 billion, in pence. Sums of a million
/// such amounts still fit an `i64`, and every sum is checked regardless.
pub const MAX_PENCE: i64 = 1_000_000_000_000;

/// How long a field may be, by its (protobuf) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    IdempotencyKey,
    Identifier,
    Text,
    Document,
}

impl TextKind {
    /// The kind of the field called `name` (the last segment of its path, snake_case).
    pub fn of(name: &str) -> TextKind {
        const DOCUMENTS: [&str; 6] = ["markdown", "content", "toml", "facts_json", "html", "body"];
        const IDENTIFIERS: [&str; 12] = [
            "id",
            "code",
            "key",
            "agency",
            "year",
            "period",
            "sector",
            "role",
            "status",
            "partnership",
            "page_token",
            "date",
        ];
        const IDENTIFIER_SUFFIXES: [&str; 10] = [
            "_id", "_ids", "_code", "_key", "_ref", "_agency", "_date", "_on", "_at", "_year",
        ];
        if name == "idempotency_key" {
            TextKind::IdempotencyKey
        } else if DOCUMENTS.contains(&name) {
            TextKind::Document
        } else if IDENTIFIERS.contains(&name)
            || IDENTIFIER_SUFFIXES.iter().any(|s| name.ends_with(s))
        {
            TextKind::Identifier
        } else {
            TextKind::Text
        }
    }

    pub fn max_bytes(self) -> usize {
        match self {
            TextKind::IdempotencyKey => MAX_IDEMPOTENCY_KEY_BYTES,
            TextKind::Identifier => MAX_IDENTIFIER_BYTES,
            TextKind::Text => MAX_TEXT_BYTES,
            TextKind::Document => MAX_DOCUMENT_BYTES,
        }
    }
}

/// Checks one text value against the policy for a field called `name`: at most
/// `TextKind::of(name).max_bytes()` bytes, and no control characters other than tab,
/// newline and carriage return (NUL in particular, which PostgreSQL cannot store).
pub fn check_text(name: &str, value: &str) -> Result<(), String> {
    let max = TextKind::of(name).max_bytes();
    if value.len() > max {
        return Err(format!(
            "is {} bytes long; at most {max} bytes are accepted",
            value.len()
        ));
    }
    if let Some((i, c)) = value
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!(
            "contains the control character U+{:04X} at byte {i}; control characters other than tab, newline and carriage return are not accepted",
            c as u32
        ));
    }
    Ok(())
}

/// Whether a field called `name` holds a calendar date (`YYYY-MM-DD`).
pub fn is_date_field(name: &str) -> bool {
    name == "date" || name.ends_with("_date") || name.ends_with("_on")
}

/// Parses a date written exactly `YYYY-MM-DD` (four-digit year, two-digit month and day):
/// "15-01-01", "-2015-01-01" and "2015-1-1" are refused, as is a date that does not exist.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return Err(format!(
            "'{}' is not a date: write YYYY-MM-DD, e.g. 2015-04-01",
            shorten(s)
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date that exists (YYYY-MM-DD)"))
}

/// Checks one amount of money in pence: within ±[`MAX_PENCE`].
pub fn check_pence(pence: i64) -> Result<(), String> {
    if pence.checked_abs().is_some_and(|a| a <= MAX_PENCE) {
        Ok(())
    } else {
        Err(format!(
            "{pence} pence is out of range: at most {MAX_PENCE} pence (£10 billion) either way"
        ))
    }
}

/// `a * b` pence, or an error naming the overflow.
pub fn checked_pence(a: i64, b: i64) -> Result<i64, String> {
    a.checked_mul(b)
        .ok_or_else(|| format!("{a} × {b} pence overflows"))
}

/// The sum of `amounts` in pence, or an error when it overflows an `i64`.
pub fn sum_pence(amounts: impl IntoIterator<Item = i64>) -> Result<i64, String> {
    amounts.into_iter().try_fold(0i64, |acc, p| {
        acc.checked_add(p).ok_or_else(|| {
            "the total overflows the largest amount of money that can be stored".to_string()
        })
    })
}

/// At most 64 characters of `s`, for echoing caller input in a message.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2015-04-01").unwrap(),
            NaiveDate::from_ymd_opt(2015, 4, 1).unwrap()
        );
        for bad in [
            "15-01-01",
            "-2015-01-01",
            "2015-1-1",
            "2015-02-30",
            "+2015-01-01",
            " 2015-01-01",
            "2015/01/01",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_refuses_nul_and_control_characters_but_keeps_newlines() {
        assert!(check_text("description", "line one\nline two\ttabbed\r\n").is_ok());
        let e = check_text("description", "a\0b").unwrap_err();
        assert!(e.contains("U+0000"), "{e}");
        assert!(check_text("title", "bell\u{7}").is_err());
        assert!(check_text("title", "del\u{7f}").is_err());
    }

    #[test]
    fn lengths_depend_on_the_kind_of_field() {
        assert_eq!(TextKind::of("idempotency_key"), TextKind::IdempotencyKey);
        assert_eq!(TextKind::of("agency_code"), TextKind::Identifier);
        assert_eq!(TextKind::of("due_date"), TextKind::Identifier);
        assert_eq!(TextKind::of("description"), TextKind::Text);
        assert_eq!(TextKind::of("markdown"), TextKind::Document);
        assert!(check_text("idempotency_key", &"k".repeat(128)).is_ok());
        let e = check_text("idempotency_key", &"k".repeat(1 << 20)).unwrap_err();
        assert!(e.contains("1048576 bytes"), "{e}");
        assert!(e.len() < 200, "the message must not echo the value");
        assert!(check_text("code", &"c".repeat(257)).is_err());
        assert!(check_text("description", &"d".repeat(64 * 1024)).is_ok());
        assert!(check_text("description", &"d".repeat(64 * 1024 + 1)).is_err());
    }

    #[test]
    fn money_is_bounded_and_sums_are_checked() {
        assert!(check_pence(MAX_PENCE).is_ok());
        assert!(check_pence(-MAX_PENCE).is_ok());
        assert!(check_pence(i64::MAX).is_err());
        assert!(check_pence(i64::MIN).is_err());
        assert_eq!(sum_pence([1, 2, 3]), Ok(6));
        assert!(sum_pence([i64::MAX, 1]).is_err());
        assert!(checked_pence(i64::MAX, 3).is_err());
        assert_eq!(checked_pence(250, 3), Ok(750));
    }
}
