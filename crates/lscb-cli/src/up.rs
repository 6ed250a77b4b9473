//! `lscbctl up`: all five services in one process, each with its own SQLite file under the
//! data directory, a development signing secret, and an admin token printed for grpcurl.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use lscb_platform::config::Upstreams;
use lscb_platform::telemetry::{self, LogFormat};
use lscb_platform::{Authenticator, Config, Directory, Role, ServiceKind};

#[derive(Debug, Clone, Args)]
pub(crate) struct UpArgs {
    /// Where the SQLite files and the development signing secret live.
    #[arg(long, env = "LSCB_DATA_DIR", default_value = "data")]
    pub(crate) data_dir: PathBuf,
    /// The partnership directory.
    #[arg(long, env = "LSCB_DIRECTORY", default_value = "deploy/directory.toml")]
    pub(crate) directory: PathBuf,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: IpAddr,
    /// Port of the aggregator; the others follow (indicators +1, audits +2, training +3, finance +4).
    #[arg(long, default_value_t = 50050)]
    pub(crate) base_port: u16,
    /// Partnership of the printed admin token (default: the directory's first).
    #[arg(long)]
    pub(crate) partnership: Option<String>,
    /// Log format: text or json.
    #[arg(long, default_value = "text", value_parser = parse_format)]
    pub(crate) log_format: LogFormat,
}

fn parse_format(s: &str) -> Result<LogFormat, String> {
    match s {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected text or json".into()),
    }
}

pub(crate) async fn run(args: UpArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format, "info");
    private_dir(&args.data_dir)?;
    let secret = args.data_dir.join("jwt-secret");
    let auth = lscb_platform::auth::ensure_dev_secret(&secret)?;
    let directory = Directory::load(&args.directory)?;
    let partnership = match &args.partnership {
        Some(p) => directory
            .partnership(p)
            .ok_or_else(|| anyhow::anyhow!("partnership '{p}' is not in the directory"))?,
        None => directory
            .partnerships
            .first()
            .ok_or_else(|| anyhow::anyhow!("the directory has no partnership"))?,
    };
    let token = issue_admin(&auth, &partnership.id)?;

    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let port = |k: ServiceKind| args.base_port + (k.default_port() - 50050);
    let url = |k: ServiceKind| format!("http://{}:{}", args.host, port(k));
    for kind in ServiceKind::ALL {
        let mut cfg = Config::defaults(kind);
        cfg.listen = SocketAddr::new(args.host, port(kind));
        cfg.database_url = format!(
            "sqlite://{}/{}.db?mode=rwc",
            args.data_dir.display(),
            kind.name()
        );
        cfg.directory = args.directory.clone();
        cfg.jwt_secret_file = Some(secret.clone());
        cfg.upstreams = Upstreams {
            indicators_url: url(ServiceKind::Indicators),
            audits_url: url(ServiceKind::Audits),
            training_url: url(ServiceKind::Training),
            finance_url: url(ServiceKind::Finance),
            ..Upstreams::default()
        };
        let mut rx = rx.clone();
        let shutdown = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        tasks.spawn(async move {
            let r = match kind {
                ServiceKind::Aggregator => lscb_aggregator::run(cfg, shutdown).await,
                ServiceKind::Indicators => lscb_indicators::run(cfg, shutdown).await,
                ServiceKind::Audits => lscb_audits::run(cfg, shutdown).await,
                ServiceKind::Training => lscb_training::run(cfg, shutdown).await,
                ServiceKind::Finance => lscb_finance::run(cfg, shutdown).await,
            };
            (kind, r)
        });
    }
    // Announce the endpoints only once every service accepts connections (migrations run
    // before a service binds, and take longer on a busy machine).
    for kind in ServiceKind::ALL {
        let addr = SocketAddr::new(args.host, port(kind));
        let mut ready = false;
        for _ in 0..600 {
            if let Some(Ok((kind, Err(e)))) = tasks.try_join_next() {
                let _ = tx.send(true);
                anyhow::bail!("the {} service failed to start: {e:#}", kind.name());
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !ready {
            let _ = tx.send(true);
            anyhow::bail!(
                "the {} service did not start listening on {addr} within 30 s",
                kind.name()
            );
        }
    }
    println!("lscb is up (partnership {}):", partnership.id);
    for kind in ServiceKind::ALL {
        println!("  {:<11} {}", kind.name(), url(kind));
    }
    println!("admin token (valid 8h):\n{token}");
    println!(
        "try: grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {}:{} lscb.report.v1.DirectoryService/ListAgencies",
        args.host, args.base_port
    );
    println!("Ctrl-C stops everything.");

    let mut failed = None;
    tokio::select! {
        _ = lscb_platform::shutdown_signal() => {},
        Some(Ok((kind, r))) = tasks.join_next() => {
            if let Err(e) = r { failed = Some(format!("the {} service stopped: {e:#}", kind.name())); }
        }
    }
    let _ = tx.send(true);
    while let Some(res) = tasks.join_next().await {
        if let Ok((kind, Err(e))) = res {
            failed.get_or_insert(format!("the {} service failed: {e:#}", kind.name()));
        }
    }
    match failed {
        Some(f) => anyhow::bail!(f),
        None => {
            println!("lscb stopped.");
            Ok(())
        }
    }
}

/// Creates the data directory if needed and makes it private (0700): it holds the signing
/// secret and the databases.
fn private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod private_dir_tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_data_directory_and_the_secret_are_private() {
        let root = std::env::temp_dir().join(format!("lscb-up-test-{}", std::process::id()));
        let dir = root.join("data");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let secret = dir.join("jwt-secret");
        lscb_platform::auth::ensure_dev_secret(&secret).unwrap();
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A secret left readable by an older version is tightened.
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        lscb_platform::auth::ensure_dev_secret(&secret).unwrap();
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&root).ok();
    }
}

fn issue_admin(auth: &Authenticator, partnership: &str) -> anyhow::Result<String> {
    auth.issue(
        "lscbctl-up",
        partnership,
        Role::Admin,
        None,
        Duration::from_secs(8 * 3600),
    )
}
