//! Connections that must prove themselves: a TCP connection that has not sent the whole
//! 24-byte HTTP/2 client preface within the handshake timeout is closed, so connections
//! that send nothing or half a preface cannot pile up. After the handshake, HTTP/2
//! keepalive pings (set in `server.rs`) close connections whose peer has gone.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Bytes of the HTTP/2 client connection preface.
const PREFACE_BYTES: usize = 24;

/// A TCP stream with a deadline for the HTTP/2 preface.
#[derive(Debug)]
pub struct GuardedStream {
    io: TcpStream,
    handshake: Option<Pin<Box<Sleep>>>,
    read: usize,
    timeout: Duration,
}

impl GuardedStream {
    pub fn new(io: TcpStream, handshake_timeout: Duration) -> Self {
        let _ = io.set_nodelay(true);
        Self {
            io,
            handshake: Some(Box::pin(tokio::time::sleep(handshake_timeout))),
            read: 0,
            timeout: handshake_timeout,
        }
    }
}

impl Connected for GuardedStream {
    type ConnectInfo = TcpConnectInfo;
    fn connect_info(&self) -> TcpConnectInfo {
        self.io.connect_info()
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            this.read += buf.filled().len() - before;
            if this.read >= PREFACE_BYTES {
                this.handshake = None;
            }
            return r;
        }
        if r.is_ready() {
            return r;
        }
        if let Some(deadline) = this.handshake.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            this.handshake = None;
            tracing::debug!(
                read = this.read,
                "closing a connection that sent no HTTP/2 preface within {:?}",
                this.timeout
            );
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no HTTP/2 preface within the handshake timeout",
            )));
        }
        Poll::Pending
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
