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
/// Longest `grpc-message` text before it is cut (it is percent-encoded on the wire).
const MESSAGE_BUDGET_BYTES: usize = 2048;
/// Raw bytes of field violations the `BadRequest` details carry (base64 on the wire), plus
/// one line counting the rest: with the message this keeps trailers well under 16 KiB.
const DETAILS_BUDGET_BYTES: usize = 6 * 1024;

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
                    bytes += v.field.len() + v.description.len() + 8;
                    if bytes > DETAILS_BUDGET_BYTES {
                        break;
                    }
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
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
                let mut message = format!("invalid argument: {}", describe(shown));
                if message.len() > MESSAGE_BUDGET_BYTES {
                    let mut cut = MESSAGE_BUDGET_BYTES;
                    while !message.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    message.truncate(cut);
                    message.push('…');
                }
                if total > shown.len() {
                    message.push_str(&format!(
                        "; and {} more ({total} fields at fault; the first {listed} are in the BadRequest details)",
                        total - shown.len()
                    ));
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound(m) => Status::not_found(m),
            Error::AlreadyExists(m) | Error::Conflict(m) => Status::already_exists(m),
            Error::Precondition {
                kind,
                subject,
                description,
            } => {
                let mut details = ErrorDetails::new();
                details.add_precondition_failure_violation(kind, subject, description.clone());
                Status::with_error_details(Code::FailedPrecondition, description, details)
            }
            Error::PermissionDenied(m) => Status::permission_denied(m),
            Error::Unauthenticated(m) => Status::unauthenticated(m),
            Error::Unavailable(m) => Status::unavailable(m),
            Error::DeadlineExceeded(m) => Status::deadline_exceeded(m),
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
        assert!(listed >= 40, "only {listed} listed");
        assert_eq!(
            br.field_violations[listed - 1].field,
            format!("rows[{}].period", listed - 1)
        );
        let more = format!(
            "{} more fields at fault are not listed (5000 in all)",
            5000 - listed
        );
        assert_eq!(br.field_violations[listed].description, more);
        // grpc-message (percent-encoded text) and grpc-status-details-bin (base64).
        let size = status.message().len() * 3 / 2 + status.details().len() * 4 / 3;
        assert!(size < 16 * 1024, "trailers of {size} bytes");
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
