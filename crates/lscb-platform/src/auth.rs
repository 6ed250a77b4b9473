//! Authentication and authorisation: signed bearer tokens (JWT, HS256) carrying the
//! partnership, the role and, for a submitter, the agency. The interceptor verifies the
//! token and puts the [`Claims`] in the request's extensions; handlers call [`caller`] and
//! the `require_*` helpers.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};

use crate::directory::Directory;
use crate::error::Error;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Administers one partnership: writes everything of it.
    Admin,
    /// Submits data for one agency of one partnership.
    Submitter,
    /// Reads one partnership's data.
    Reader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Submitter => "submitter",
            Role::Reader => "reader",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "submitter" => Ok(Role::Submitter),
            "reader" => Ok(Role::Reader),
            other => Err(format!(
                "unknown role '{other}': expected admin, submitter or reader"
            )),
        }
    }
}

/// The verified content of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who: free text for audit trails (e.g. "analyst@board"); defaults to the role.
    pub sub: String,
    /// Partnership id from the directory.
    pub partnership: String,
    pub role: Role,
    /// Agency code, for a submitter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    /// Refuses anyone but an admin.
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::permission_denied(format!(
                "this call needs the admin role; the token has role {}",
                self.role
            )))
        }
    }

    /// Refuses readers: admins and submitters may write.
    pub fn require_writer(&self) -> Result<(), Error> {
        match self.role {
            Role::Admin | Role::Submitter => Ok(()),
            Role::Reader => Err(Error::permission_denied("a reader token cannot write")),
        }
    }

    /// Admins write for any agency of their partnership; a submitter only for its own
    /// agency; readers never.
    pub fn require_agency_write(&self, agency: &str) -> Result<(), Error> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Submitter if self.agency.as_deref() == Some(agency) => Ok(()),
            Role::Submitter => Err(Error::permission_denied(format!(
                "a submitter for agency {} cannot write data of agency {agency}",
                self.agency.as_deref().unwrap_or("(none)")
            ))),
            Role::Reader => Err(Error::permission_denied("a reader token cannot write")),
        }
    }

    /// Who made a change, for revision histories: `sub` plus role and agency.
    pub fn actor(&self) -> String {
        match &self.agency {
            Some(a) => format!("{} ({} {})", self.sub, self.role, a),
            None => format!("{} ({})", self.sub, self.role),
        }
    }
}

/// Signs and verifies tokens with one shared secret.
#[derive(Clone)]
pub struct Authenticator {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authenticator { .. }")
    }
}

/// Secrets shorter than this are refused.
pub const MIN_SECRET_LEN: usize = 32;

impl Authenticator {
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_LEN,
            "the token signing secret must be at least {MIN_SECRET_LEN} bytes long"
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// Reads the secret from a file (trailing whitespace ignored).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let s = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading token secret {}: {e}", path.display()))?;
        Self::new(s.trim_end().as_bytes())
    }

    /// Issues a token valid for `ttl`.
    pub fn issue(
        &self,
        sub: &str,
        partnership: &str,
        role: Role,
        agency: Option<&str>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        anyhow::ensure!(
            role != Role::Submitter || agency.is_some(),
            "a submitter token needs an agency (--agency)"
        );
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: if sub.is_empty() {
                role.to_string()
            } else {
                sub.to_string()
            },
            partnership: partnership.to_string(),
            role,
            agency: agency.map(str::to_string),
            iat: now,
            exp: now + ttl.as_secs() as i64,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies a bare token (without "Bearer ").
    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                Error::Unauthenticated(match e.kind() {
                    ErrorKind::InvalidSignature => {
                        "token signature is invalid (signed with another secret?)".into()
                    }
                    ErrorKind::ExpiredSignature => {
                        "token has expired: issue a new one with `lscbctl token issue`".into()
                    }
                    ErrorKind::InvalidToken
                    | ErrorKind::Base64(_)
                    | ErrorKind::Json(_)
                    | ErrorKind::Utf8(_) => {
                        "token is malformed: expected a JWT issued by `lscbctl token issue`".into()
                    }
                    ErrorKind::InvalidAlgorithm => {
                        "token uses an unsupported signing algorithm (HS256 expected)".into()
                    }
                    ErrorKind::MissingRequiredClaim(c) => format!("token lacks the '{c}' claim"),
                    _ => format!("token rejected: {e}"),
                })
            })?;
        let c = data.claims;
        if c.role == Role::Submitter && c.agency.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Unauthenticated(
                "a submitter token must name its agency".into(),
            ));
        }
        Ok(c)
    }

    /// Reads `authorization: Bearer <token>` from request metadata and verifies it.
    pub fn verify_metadata(&self, md: &tonic::metadata::MetadataMap) -> Result<Claims, Error> {
        let Some(value) = md.get("authorization") else {
            return Err(Error::Unauthenticated(
                "missing authorization header: send 'authorization: Bearer <token>'".into(),
            ));
        };
        let value = value
            .to_str()
            .map_err(|_| Error::Unauthenticated("authorization header is not valid text".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| {
                Error::Unauthenticated("authorization header must be 'Bearer <token>'".into())
            })?;
        self.verify(token.trim())
    }

    /// The tonic interceptor that every lscb service (not health, not reflection) runs behind.
    pub fn interceptor(self: &Arc<Self>) -> AuthInterceptor {
        AuthInterceptor(self.clone(), None)
    }

    /// The interceptor that also refuses a token whose partnership, or (for a submitter)
    /// agency, is not in `directory`: such a token was signed with the right secret but
    /// names nobody this deployment serves.
    pub fn interceptor_with_directory(
        self: &Arc<Self>,
        directory: Arc<Directory>,
    ) -> AuthInterceptor {
        AuthInterceptor(self.clone(), Some(directory))
    }
}

/// `PERMISSION_DENIED` unless the partnership of `c`, and the agency of a submitter, are in
/// `directory`.
pub fn check_against_directory(c: &Claims, directory: &Directory) -> Result<(), Error> {
    let Some(p) = directory.partnership(&c.partnership) else {
        return Err(Error::permission_denied(format!(
            "partnership '{}' is not in this deployment's directory",
            crate::fields::shorten(&c.partnership)
        )));
    };
    if c.role == Role::Submitter {
        let agency = c.agency.as_deref().unwrap_or("");
        if p.agency(agency).is_none() {
            return Err(Error::permission_denied(format!(
                "the token's agency '{}' is not in partnership '{}' of this deployment's directory",
                crate::fields::shorten(agency),
                p.id
            )));
        }
    }
    Ok(())
}

/// Verifies the bearer token (and, when it has one, checks it against the directory) and
/// stores the [`Claims`] in the request extensions.
#[derive(Clone, Debug)]
pub struct AuthInterceptor(Arc<Authenticator>, Option<Arc<Directory>>);

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        let claims = self.0.verify_metadata(req.metadata())?;
        if let Some(d) = &self.1 {
            check_against_directory(&claims, d)?;
        }
        req.extensions_mut().insert(claims);
        Ok(req)
    }
}

/// The verified caller of a request that passed the interceptor.
pub fn caller<T>(req: &Request<T>) -> Result<Claims, Status> {
    req.extensions().get::<Claims>().cloned().ok_or_else(|| {
        Status::unauthenticated(
            "missing authorization header: send 'authorization: Bearer <token>'",
        )
    })
}

/// Creates a random development secret file if none exists and returns the authenticator.
pub fn ensure_dev_secret(path: &Path) -> anyhow::Result<Authenticator> {
    if !path.exists() {
        use rand::RngCore;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(path)?, hex::encode(bytes).as_bytes())?;
    }
    // Only the owner may read the signing secret (also one an older version left 0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Authenticator::from_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let a = Authenticator::new(SECRET).unwrap();
        let t = a
            .issue(
                "",
                "bscb",
                Role::Submitter,
                Some("WMP"),
                Duration::from_secs(60),
            )
            .unwrap();
        let c = a.verify(&t).unwrap();
        assert_eq!(c.partnership, "bscb");
        assert_eq!(c.role, Role::Submitter);
        assert_eq!(c.agency.as_deref(), Some("WMP"));
        assert_eq!(c.sub, "submitter");
    }

    #[test]
    fn each_bad_token_says_what_is_wrong() {
        let a = Authenticator::new(SECRET).unwrap();
        let other = Authenticator::new(b"another-secret-another-secret-xx").unwrap();
        let t = other
            .issue("x", "bscb", Role::Reader, None, Duration::from_secs(60))
            .unwrap();
        assert!(a.verify(&t).unwrap_err().to_string().contains("signature"));
        assert!(
            a.verify("not-a-jwt")
                .unwrap_err()
                .to_string()
                .contains("malformed")
        );
        let now = chrono::Utc::now().timestamp();
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                sub: "x".into(),
                partnership: "p".into(),
                role: Role::Reader,
                agency: None,
                iat: now - 100,
                exp: now - 10,
            },
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(
            a.verify(&expired)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        let md = tonic::metadata::MetadataMap::new();
        assert!(
            a.verify_metadata(&md)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        let mut md = tonic::metadata::MetadataMap::new();
        md.insert("authorization", "Basic abc".parse().unwrap());
        assert!(
            a.verify_metadata(&md)
                .unwrap_err()
                .to_string()
                .contains("Bearer")
        );
    }

    #[test]
    fn roles_and_agencies_are_enforced() {
        let c = Claims {
            sub: "s".into(),
            partnership: "p".into(),
            role: Role::Submitter,
            agency: Some("WMP".into()),
            iat: 0,
            exp: 0,
        };
        assert!(c.require_agency_write("WMP").is_ok());
        assert!(matches!(
            c.require_agency_write("BCC"),
            Err(Error::PermissionDenied(_))
        ));
        assert!(c.require_admin().is_err());
        let r = Claims {
            role: Role::Reader,
            agency: None,
            ..c.clone()
        };
        assert!(r.require_writer().is_err());
        let a = Claims {
            role: Role::Admin,
            agency: None,
            ..c
        };
        assert!(a.require_agency_write("BCC").is_ok());
        assert!(a.require_admin().is_ok());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Authenticator::new(b"short").is_err());
    }
}
