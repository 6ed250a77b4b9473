//! The error type every service returns, and its mapping to `tonic::Status` with rich
//! details: `google.rpc.BadRequest` for bad fields, `PreconditionFailure` for locked or
//! closed data. Database and internal errors are logged with their cause and reach the
//! caller only as a plain "internal error".

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One field at fault: `field` is a path such as `rows[3].period`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// Collects every field at fault before a request is refused, so the caller learns all of
/// them at once.
#[derive(Debug, Default, Clone)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a field at fault.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Records the error of `r` under `field`, returning the value when it is `Ok`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        r: Result<T, E>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// Records `description` under `field` when `ok` is false.
    pub fn ensure(&mut self, ok: bool, field: impl Into<String>, description: impl Into<String>) {
        if !ok {
            self.add(field, description);
        }
    }

    /// Adds every violation of `other`, prefixing its fields with `prefix` (e.g. `rows[3]`).
    pub fn extend_prefixed(&mut self, prefix: &str, other: Violations) {
        for v in other.0 {
            let field = if prefix.is_empty() {
                v.field
            } else {
                format!("{prefix}.{}", v.field)
            };
            self.0.push(FieldViolation {
                field,
                description: v.description,
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was recorded, otherwise `Error::Invalid` with everything.
    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

/// Every failure a service can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent bad fields: `INVALID_ARGUMENT` with a `BadRequest`.
    #[error("invalid argument: {}", describe(.0))]
    Invalid(Vec<FieldViolation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The data is in a state that forbids the call (a locked year, a closed budget):
    /// `FAILED_PRECONDITION` with a `PreconditionFailure` (`kind`, `subject`, `description`).
    #[error("{description}")]
    Precondition {
        kind: String,
        subject: String,
        description: String,
    },
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// The request conflicts with an earlier one (e.g. an idempotency key reused with
    /// different content): `ALREADY_EXISTS`.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// How many field violations the `grpc-message` names before summarising the rest.
pub const MAX_MESSAGE_VIOLATIONS: usize = 10;
/// Longest `grpc-message` on the wire (percent-encoded) before it is cut.
const MESSAGE_BUDGET_BYTES: usize = 1024;
/// Raw bytes of field violations the `BadRequest` details carry, plus one line counting the
/// rest. The details (`grpc-status-details-bin`, base64: 4/3 as many bytes) repeat the
/// message, so trailers come to about 1 KiB + 4/3 × (1 KiB + 2.5 KiB): every error's
/// trailers stay under 7 KiB, within the 8 KiB header-list limit common clients default to.
const DETAILS_BUDGET_BYTES: usize = 2560;
/// Longest field path or description one violation carries in the details.
const VIOLATION_PART_BYTES: usize = 256;

/// Bytes `s` takes as a percent-encoded `grpc-message`.
fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| {
            if (0x20..=0x7e).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum()
}

/// `s` cut (at a character boundary, marked with "…") so that it encodes to at most
/// `budget` bytes.
fn cut_to(mut s: String, budget: usize) -> String {
    if encoded_len(&s) <= budget {
        return s;
    }
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let n = encoded_len(c.encode_utf8(&mut [0; 4]));
        if used + n > budget.saturating_sub(9) {
            break;
        }
        used += n;
        end = i + c.len_utf8();
    }
    s.truncate(end);
    s.push('…');
    s
}

/// A caller-visible message for any status, bounded so it can never blow the trailers
/// (a message may quote the caller's input).
fn bounded(message: String) -> String {
    cut_to(message, MESSAGE_BUDGET_BYTES)
}

fn describe(v: &[FieldViolation]) -> String {
    v.iter()
        .map(|f| format!("{}: {}", f.field, f.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// One bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    pub fn precondition(
        kind: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Error::Precondition {
            kind: kind.into(),
            subject: subject.into(),
            description: description.into(),
        }
    }

    pub fn permission_denied(why: impl Into<String>) -> Self {
        Error::PermissionDenied(why.into())
    }

    /// The field violations, when this is `Invalid`.
    pub fn violations(&self) -> &[FieldViolation] {
        match self {
            Error::Invalid(v) => v,
            _ => &[],
        }
    }
}

impl From<Violations> for Error {
    fn from(v: Violations) -> Self {
        Error::Invalid(v.0)
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        match e {
            Error::Invalid(violations) => {
                // Trailers carry both the message and the details; HTTP/2 clients refuse
                // header lists much over 16 KiB (hyper's default), so a batch with
                // thousands of bad rows names the first ones and says how many there are.
                let total = violations.len();
                let mut details = ErrorDetails::new();
                let mut listed = 0;
                let mut bytes = 0;
                for v in &violations {
                    let field = cut_to(v.field.clone(), VIOLATION_PART_BYTES);
                    let description = cut_to(v.description.clone(), VIOLATION_PART_BYTES);
                    bytes += field.len() + description.len() + 8;
                    if bytes > DETAILS_BUDGET_BYTES {
                        break;
                    }
                    details.add_bad_request_violation(field, description);
                    listed += 1;
                }
                if listed < total {
                    details.add_bad_request_violation(
                        "",
                        format!(
                            "{} more fields at fault are not listed ({total} in all)",
                            total - listed
                        ),
                    );
                }
                let shown = &violations[..total.min(MAX_MESSAGE_VIOLATIONS)];
                let suffix = if total > shown.len() {
                    format!(
                        "; and {} more ({total} fields at fault; the first {listed} are in the BadRequest details)",
                        total - shown.len()
                    )
                } else {
                    String::new()
                };
                let head = cut_to(
                    format!("invalid argument: {}", describe(shown)),
                    MESSAGE_BUDGET_BYTES - encoded_len(&suffix),
                );
                let message = format!("{head}{suffix}");
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound(m) => Status::not_found(bounded(m)),
            Error::AlreadyExists(m) | Error::Conflict(m) => Status::already_exists(bounded(m)),
            Error::Precondition {
                kind,
                subject,
                description,
            } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(
                    cut_to(kind, VIOLATION_PART_BYTES),
                    cut_to(subject, VIOLATION_PART_BYTES),
                    cut_to(description.clone(), VIOLATION_PART_BYTES),
                );
                Status::with_error_details(Code::FailedPrecondition, bounded(description), details)
            }
            Error::PermissionDenied(m) => Status::permission_denied(bounded(m)),
            Error::Unauthenticated(m) => Status::unauthenticated(bounded(m)),
            Error::Unavailable(m) => Status::unavailable(bounded(m)),
            Error::DeadlineExceeded(m) => Status::deadline_exceeded(bounded(m)),
            Error::Db(err) => {
                tracing::error!(error = %err, "database error");
                Status::internal("internal error")
            }
            Error::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                Status::internal("internal error")
            }
        }
    }
}

/// Result alias for service code.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_becomes_bad_request_with_every_field() {
        let mut v = Violations::new();
        v.add("rows[0].period", "bad period");
        v.add("rows[2].value", "must not be negative");
        let status: Status = Error::from(v).into();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("rows[2].value"));
        let br = status
            .get_details_bad_request()
            .expect("bad request details");
        let fields: Vec<_> = br
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["rows[0].period", "rows[2].value"]);
    }

    #[test]
    fn thousands_of_violations_stay_within_http2_trailer_limits() {
        let mut v = Violations::new();
        for i in 0..5000 {
            v.add(
                format!("rows[{i}].period"),
                "'2015' is not a period: accepted forms are YYYY-YY, YYYY-YY-Qn and YYYY-MM",
            );
        }
        let status: Status = Error::from(v).into();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("rows[9].period"));
        assert!(!status.message().contains("rows[10].period"));
        assert!(
            status.message().contains("5000 fields at fault"),
            "{}",
            status.message()
        );
        let br = status.get_details_bad_request().unwrap();
        let listed = br.field_violations.len() - 1;
        assert!(listed >= 20, "only {listed} listed");
        assert_eq!(
            br.field_violations[listed - 1].field,
            format!("rows[{}].period", listed - 1)
        );
        let more = format!(
            "{} more fields at fault are not listed (5000 in all)",
            5000 - listed
        );
        assert_eq!(br.field_violations[listed].description, more);
        assert!(
            trailer_bytes(&status) < 7 * 1024,
            "trailers of {} bytes",
            trailer_bytes(&status)
        );
    }

    /// grpc-message (percent-encoded text) and grpc-status-details-bin (base64).
    fn trailer_bytes(status: &Status) -> usize {
        encoded_len(status.message()) + status.details().len().div_ceil(3) * 4
    }

    #[test]
    fn no_message_echoes_a_huge_input_whole() {
        let key = "k".repeat(1 << 20);
        for e in [
            Error::Conflict(format!(
                "idempotency key '{key}' was used for another request"
            )),
            Error::NotFound(format!("no audit '{key}'")),
            Error::precondition(key.clone(), key.clone(), key.clone()),
        ] {
            let status: Status = e.into();
            assert!(
                trailer_bytes(&status) < 7 * 1024,
                "{:?}: {} bytes",
                status.code(),
                trailer_bytes(&status)
            );
            assert!(
                status.message().len() <= MESSAGE_BUDGET_BYTES + 3,
                "{}",
                status.message().len()
            );
        }
        let mut v = Violations::new();
        for i in 0..20_000 {
            v.add(
                format!("rows[{i}].{}", "\u{1}".repeat(500)),
                "£".repeat(2000),
            );
        }
        let status: Status = Error::from(v).into();
        assert!(
            trailer_bytes(&status) < 7 * 1024,
            "{} bytes",
            trailer_bytes(&status)
        );
        assert!(
            status.message().contains("20000 fields at fault"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn precondition_carries_its_subject() {
        let status: Status = Error::precondition("LOCKED", "2015-16", "2015-16 is locked").into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let pf = status.get_details_precondition_failure().unwrap();
        assert_eq!(pf.violations[0].subject, "2015-16");
    }

    #[test]
    fn database_errors_do_not_leak() {
        let status: Status = Error::Db(sea_orm::DbErr::Custom("secret table x".into())).into();
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
