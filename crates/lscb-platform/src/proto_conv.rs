//! Conversions between the shared protobuf types (`lscb.common.v1`) and domain types, with
//! failures reported as field violations.

use rust_decimal::Decimal;
use std::str::FromStr;

use lscb_proto::common::v1 as pb;

use crate::error::Violations;
use crate::period::Period;

/// Parses a `Period` message field; records a violation naming `field` when missing or bad.
pub fn period(v: &mut Violations, field: &str, p: Option<&pb::Period>) -> Option<Period> {
    match p {
        None => {
            v.add(field, "is required (e.g. {\"code\": \"2015-16\"})");
            None
        }
        Some(p) => period_code(v, field, &p.code),
    }
}

/// Parses a period code string; records a violation naming `field` when bad.
pub fn period_code(v: &mut Violations, field: &str, code: &str) -> Option<Period> {
    if code.trim().is_empty() {
        v.add(
            field,
            format!("is required: {}", crate::period::ACCEPTED_FORMS),
        );
        return None;
    }
    v.check(field, code.parse::<Period>())
}

pub fn period_to_pb(p: Period) -> pb::Period {
    pb::Period {
        code: p.to_string(),
    }
}

/// Parses an exact decimal string ("83", "66.5"); floats' exponent forms are refused.
pub fn decimal_str(v: &mut Violations, field: &str, s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty() {
        v.add(
            field,
            "is required: an exact decimal written as a string, e.g. \"66.5\"",
        );
        return None;
    }
    let plain = t
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    match Decimal::from_str(t) {
        Ok(d) if plain => Some(d.normalize()),
        _ => {
            v.add(
                field,
                format!("'{s}' is not a decimal number (write e.g. \"66.5\")"),
            );
            None
        }
    }
}

/// Parses an optional `Decimal` message.
pub fn decimal(v: &mut Violations, field: &str, d: Option<&pb::Decimal>) -> Option<Decimal> {
    match d {
        None => {
            v.add(field, "is required");
            None
        }
        Some(d) => decimal_str(v, field, &d.value),
    }
}

pub fn decimal_to_pb(d: Decimal) -> pb::Decimal {
    pb::Decimal {
        value: d.normalize().to_string(),
    }
}

/// Page bounds: (offset, limit) from a `PageRequest`; default 100, at most 1000.
pub fn page(v: &mut Violations, field: &str, p: Option<&pb::PageRequest>) -> (u64, u64) {
    let Some(p) = p else { return (0, 100) };
    let limit = match p.page_size {
        0 => 100,
        n if n > 1000 => {
            v.add(format!("{field}.page_size"), "must be at most 1000");
            1000
        }
        n => n as u64,
    };
    let offset = if p.page_token.is_empty() {
        0
    } else {
        match p.page_token.parse::<u64>() {
            Ok(o) => o,
            Err(_) => {
                v.add(
                    format!("{field}.page_token"),
                    "is not a token this server issued",
                );
                0
            }
        }
    };
    (offset, limit)
}

/// The `PageResponse` for a page that started at `offset`, held `len` items, of `total`.
pub fn page_response(offset: u64, len: usize, total: u64) -> pb::PageResponse {
    let next = offset + len as u64;
    pb::PageResponse {
        next_page_token: if next < total {
            next.to_string()
        } else {
            String::new()
        },
        total_size: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_period_names_the_field() {
        let mut v = Violations::new();
        assert!(
            period(
                &mut v,
                "rows[2].period",
                Some(&pb::Period {
                    code: "2015".into()
                })
            )
            .is_none()
        );
        assert!(period(&mut v, "year", None).is_none());
        let f: Vec<_> = v.iter().map(|x| x.field.clone()).collect();
        assert_eq!(f, ["rows[2].period", "year"]);
    }

    #[test]
    fn decimals_are_exact() {
        let mut v = Violations::new();
        assert_eq!(
            decimal_str(&mut v, "x", "66.50").unwrap().to_string(),
            "66.5"
        );
        assert!(decimal_str(&mut v, "x", "1e3").is_none());
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn paging() {
        let mut v = Violations::new();
        assert_eq!(
            page(
                &mut v,
                "page",
                Some(&pb::PageRequest {
                    page_size: 10,
                    page_token: "20".into()
                })
            ),
            (20, 10)
        );
        assert_eq!(page_response(20, 10, 35).next_page_token, "30");
        assert_eq!(page_response(30, 5, 35).next_page_token, "");
        page(
            &mut v,
            "page",
            Some(&pb::PageRequest {
                page_size: 5000,
                page_token: "x".into(),
            }),
        );
        assert_eq!(v.len(), 2);
    }
}
