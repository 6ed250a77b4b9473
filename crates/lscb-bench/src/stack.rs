//! Child processes of the harness: the production service binaries (found next to this
//! binary in `target/release`), the hello-world server and the raw-insert baseline, pinned
//! to the server core with `taskset` and run with `TOKIO_WORKER_THREADS` set to the number
//! of cores they may use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where and how to run child processes.
#[derive(Debug, Clone)]
pub(crate) struct Runner {
    /// Directory of the release binaries.
    pub(crate) bin_dir: PathBuf,
    /// Scratch directory (databases, logs, secret).
    pub(crate) work: PathBuf,
    /// `taskset -c` core list for servers (None: not pinned).
    pub(crate) server_cores: Option<String>,
    /// Tokio worker threads for servers.
    pub(crate) server_threads: usize,
    pub(crate) directory: PathBuf,
    pub(crate) secret_file: PathBuf,
}

/// A running child; killed when dropped.
#[derive(Debug)]
pub(crate) struct Proc {
    pub(crate) name: String,
    pub(crate) child: Child,
    pub(crate) addr: Option<SocketAddr>,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn url(&self) -> String {
        format!(
            "http://{}",
            self.addr.expect("a server process has an address")
        )
    }

    /// Waits until the server accepts TCP connections (it binds after its migrations).
    pub(crate) async fn ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let addr = self.addr.expect("a server process has an address");
        let t = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait()? {
                anyhow::bail!("{} exited before serving ({st}); see its log", self.name);
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                // Still ours: a process that failed to bind would have exited.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(st) = self.child.try_wait()? {
                    anyhow::bail!("{} exited after start ({st}); see its log", self.name);
                }
                return Ok(());
            }
            if t.elapsed() > timeout {
                anyhow::bail!("{} did not listen on {addr} within {timeout:?}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the process with SIGINT (graceful), then SIGKILL after 5 s.
    pub(crate) async fn stop(mut self) {
        let pid = self.pid();
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Refuses a port something else listens on: the harness would measure that instead.
fn ensure_free(addr: SocketAddr) -> anyhow::Result<()> {
    std::net::TcpListener::bind(addr).map(drop).map_err(|e| {
        anyhow::anyhow!(
            "port {} is taken ({e}); choose another --port-base",
            addr.port()
        )
    })
}

impl Runner {
    pub(crate) fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.bin(name).is_file()
    }

    /// A command for `bin`, pinned to the server cores when pinning is on.
    pub(crate) fn command(&self, bin: &Path) -> Command {
        let mut c = match &self.server_cores {
            Some(cores) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cores).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        c.env("TOKIO_WORKER_THREADS", self.server_threads.to_string())
            .env("RUST_LIB_BACKTRACE", "0")
            .env("RUST_BACKTRACE", "0")
            .env_remove("LSCB_CONFIG")
            .current_dir(&self.work);
        c
    }

    fn log(&self, name: &str) -> anyhow::Result<(Stdio, Stdio)> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.work.join(format!("{name}.log")))?;
        Ok((Stdio::from(f.try_clone()?), Stdio::from(f)))
    }

    /// Starts a production service binary (`lscb-indicators`, …) on `port` with `db_url`;
    /// `extra` adds environment (the aggregator's upstream URLs).
    pub(crate) fn service(
        &self,
        bin: &str,
        label: &str,
        port: u16,
        db_url: &str,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Proc> {
        anyhow::ensure!(
            self.has(bin),
            "{} is not built (cargo build --release -p {bin})",
            self.bin(bin).display()
        );
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        ensure_free(addr)?;
        let mut c = self.command(&self.bin(bin));
        c.env("LSCB_LISTEN", addr.to_string())
            .env("DATABASE_URL", db_url)
            .env("LSCB_DIRECTORY", &self.directory)
            .env("LSCB_JWT_SECRET_FILE", &self.secret_file)
            .env("LSCB_LOG", "info")
            .env("LSCB_LOG_FORMAT", "text");
        for (k, v) in extra {
            c.env(k, v);
        }
        let (out, err) = self.log(label)?;
        c.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = c
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {bin}: {e}"))?;
        Ok(Proc {
            name: label.to_string(),
            child,
            addr: Some(addr),
        })
    }

    /// Starts this binary's hello-world server on `port`.
    pub(crate) fn hello(&self, port: u16) -> anyhow::Result<Proc> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        ensure_free(addr)?;
        let me = std::env::current_exe()?;
        let mut c = self.command(&me);
        c.arg("hello-server").arg("--listen").arg(addr.to_string());
        let (out, err) = self.log("hello")?;
        c.stdin(Stdio::null()).stdout(out).stderr(err);
        Ok(Proc {
            name: "hello-world".into(),
            child: c.spawn()?,
            addr: Some(addr),
        })
    }
}
