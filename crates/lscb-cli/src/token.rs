//! `lscbctl token issue`: signs a bearer token with the deployment's secret.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use lscb_platform::{Authenticator, Directory, Role};

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Print a signed token for a partnership and role.
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// Partnership id from the directory (e.g. bscb).
    #[arg(long)]
    partnership: String,
    /// admin, submitter or reader.
    #[arg(long)]
    role: Role,
    /// Agency code, required for a submitter.
    #[arg(long)]
    agency: Option<String>,
    /// How long the token is valid: e.g. 30m, 8h, 7d.
    #[arg(long, default_value = "8h", value_parser = parse_ttl)]
    ttl: Duration,
    /// Who the token is for, recorded in revision histories.
    #[arg(long, default_value = "")]
    sub: String,
    /// File holding the signing secret (as `lscbctl up` creates it).
    #[arg(long, env = "LSCB_JWT_SECRET_FILE", default_value = "data/jwt-secret")]
    secret_file: PathBuf,
    /// Directory file used to check the partnership and agency exist.
    #[arg(long, env = "LSCB_DIRECTORY", default_value = "deploy/directory.toml")]
    directory: PathBuf,
}

/// Parses "90s", "30m", "8h", "7d".
pub(crate) fn parse_ttl(s: &str) -> Result<Duration, String> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 30m, 8h or 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("'{s}': unit must be s, m, h or d")),
    };
    if secs == 0 {
        return Err("the ttl must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

pub(crate) fn run(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Issue(a) => {
            {
                // A token for a partnership or agency outside the directory would be refused
                // by every service, so it is not issued at all.
                let dir = Directory::load(&a.directory).map_err(|e| {
                    anyhow::anyhow!(
                        "{e}: the directory is needed to check the partnership and agency (--directory or LSCB_DIRECTORY)"
                    )
                })?;
                let p = dir.partnership(&a.partnership).ok_or_else(|| {
                    anyhow::anyhow!(
                        "partnership '{}' is not in {}",
                        a.partnership,
                        a.directory.display()
                    )
                })?;
                check_agency(p, a.role, a.agency.as_deref())?;
            }
            let auth = Authenticator::from_file(&a.secret_file).map_err(|e| {
                anyhow::anyhow!("{e} (run `lscbctl up` once to create a development secret)")
            })?;
            let token = auth.issue(&a.sub, &a.partnership, a.role, a.agency.as_deref(), a.ttl)?;
            println!("{token}");
            Ok(())
        }
    }
}

/// A submitter's agency must be in the partnership; other roles carry no agency.
fn check_agency(
    p: &lscb_platform::Partnership,
    role: Role,
    agency: Option<&str>,
) -> anyhow::Result<()> {
    match (role, agency) {
        (Role::Submitter, None) => anyhow::bail!("a submitter token needs an agency (--agency)"),
        (_, Some(agency)) => anyhow::ensure!(
            p.agency(agency).is_some(),
            "agency '{agency}' is not in partnership '{}'",
            p.id
        ),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submitter_token_needs_an_agency_of_the_partnership() {
        let dir = Directory::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/directory.toml"
        )))
        .unwrap();
        let p = dir.partnership("bscb").unwrap();
        assert!(check_agency(p, Role::Submitter, Some("WMP")).is_ok());
        let e = check_agency(p, Role::Submitter, Some("NOT-AN-AGENCY")).unwrap_err();
        assert!(e.to_string().contains("not in partnership 'bscb'"), "{e}");
        assert!(check_agency(p, Role::Submitter, None).is_err());
        assert!(check_agency(p, Role::Admin, None).is_ok());
    }

    #[test]
    fn no_token_is_issued_without_a_directory_to_check_it_against() {
        let secret = std::env::temp_dir().join(format!("lscb-token-test-{}", std::process::id()));
        std::fs::write(&secret, "0123456789abcdef0123456789abcdef").unwrap();
        let issue = |directory: &str, agency: &str| {
            run(TokenCommand::Issue(IssueArgs {
                partnership: "bscb".into(),
                role: Role::Submitter,
                agency: Some(agency.into()),
                ttl: Duration::from_secs(60),
                sub: String::new(),
                secret_file: secret.clone(),
                directory: directory.into(),
            }))
        };
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/directory.toml");
        assert!(issue(shipped, "WMP").is_ok());
        assert!(issue(shipped, "NOT-AN-AGENCY").is_err());
        let e = issue("/nonexistent/directory.toml", "NOT-AN-AGENCY").unwrap_err();
        assert!(e.to_string().contains("--directory"), "{e}");
        std::fs::remove_file(&secret).ok();
    }

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("8h").unwrap(), Duration::from_secs(8 * 3600));
        assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert!(parse_ttl("8x").is_err());
        assert!(parse_ttl("0h").is_err());
    }
}
