//! The baseline for unary calls: a tonic hello-world server with tonic's defaults and the
//! same tokio runtime as the services (one process, `#[tokio::main]`, worker threads from
//! `TOKIO_WORKER_THREADS` or the CPUs the process may run on), no middleware.

use std::net::SocketAddr;

use tonic::{Request, Response, Status};

pub(crate) mod pb {
    #![allow(unreachable_pub, missing_debug_implementations, clippy::all)]
    tonic::include_proto!("lscb.bench.v1");
}

use pb::greeter_server::{Greeter, GreeterServer};

#[derive(Debug, Default)]
struct Hello;

#[tonic::async_trait]
impl Greeter for Hello {
    async fn say_hello(
        &self,
        request: Request<pb::HelloRequest>,
    ) -> Result<Response<pb::HelloReply>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(pb::HelloReply {
            message: format!("Hello {name}!"),
        }))
    }
}

/// Serves the greeter on `addr` until SIGINT/SIGTERM.
pub(crate) async fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    tonic::transport::Server::builder()
        .add_service(GreeterServer::new(Hello))
        .serve_with_shutdown(addr, lscb_platform::shutdown_signal())
        .await?;
    Ok(())
}
