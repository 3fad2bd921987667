//! The HTTP endpoint's load case of `pbjx-bench` (included by `src/bin/pbjx-bench.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use pbj::Message;
use pbjx::Pbjx;
use pbjx::http::HttpConfig;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;

use super::{Bench, BoxError, Duration, Instant, Measured, check};

/// Keep-alive connections sending at once.
const CONNECTIONS: usize = 64;
const PATH: &str = "/pbjx/gdbots/pbjx/command/check-health";

/// Sends `bodies` one after the other on one HTTP/1.1 connection; returns each latency
/// and how many answers were not 202.
async fn connection(
    addr: SocketAddr,
    bodies: Vec<String>,
) -> Result<(Vec<Duration>, u64), Box<dyn std::error::Error + Send + Sync>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut latencies = Vec::with_capacity(bodies.len());
    let mut errors = 0;
    for body in bodies {
        sender.ready().await?;
        let request = hyper::Request::post(PATH)
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let t = Instant::now();
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let answer = response.into_body().collect().await?.to_bytes();
        latencies.push(t.elapsed());
        if status != 202 || !answer.starts_with(br#"{"_schema":"pbj:gdbots:pbjx::envelope:"#) {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

/// `total` requests spread over the connections; returns (elapsed, latencies, errors).
async fn load(addr: SocketAddr, total: u64) -> Result<(Duration, Vec<Duration>, u64), BoxError> {
    // Bodies are built before the clock starts: each command has its own id.
    let mut per_connection: Vec<Vec<String>> = vec![Vec::new(); CONNECTIONS];
    for i in 0..total {
        let body = CheckHealthV1::new().with_msg("bench")?.to_json();
        per_connection[i as usize % CONNECTIONS].push(body);
    }
    let t = Instant::now();
    let tasks: Vec<_> = per_connection
        .into_iter()
        .map(|bodies| tokio::spawn(connection(addr, bodies)))
        .collect();
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?.map_err(|e| e.to_string())?;
        latencies.extend(l);
        errors += e;
    }
    Ok((t.elapsed(), latencies, errors))
}

/// A check-health handler counting commands behind `pbjx::http::serve` on 127.0.0.1:0
/// (tokens bypassed); 64 hyper HTTP/1.1 keep-alive connections on the same
/// current-thread runtime (one core: client and server share it) send `--n` commands
/// (default 100,000; 2,000 with `--quick`) after a warm-up of 640. Verified: every answer
/// is a 202 envelope and the handler saw every command.
pub fn send_command(b: &Bench) -> Result<Measured, BoxError> {
    let total =
        b.n.unwrap_or(if b.pool < 100_000 { 2_000 } else { 100_000 });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let handled = Arc::new(AtomicU64::new(0));
    let counter = handled.clone();
    let pbjx = Pbjx::builder()
        .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
            let counter = counter.clone();
            async move {
                if cmd.msg() == Some("bench") {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
        })
        .build()?;
    let (elapsed, mut latencies, errors) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = HttpConfig::default().with_token_bypass("all");
        let server = tokio::spawn(pbjx::http::serve(listener, pbjx, config, async {
            let _ = stopped.await;
        }));
        let (_, _, warmup_errors) = load(addr, 10 * CONNECTIONS as u64).await?;
        let result = load(addr, total).await?;
        let _ = stop.send(());
        server.await??;
        Ok::<_, BoxError>((result.0, result.1, result.2 + warmup_errors))
    })?;
    let seen = handled.load(Ordering::Relaxed);
    let expected = total + 10 * CONNECTIONS as u64;
    check(errors == 0 && seen == expected, || {
        format!(
            "{errors} answers were not 202 envelopes; the handler saw {seen} of {expected} commands"
        )
    })?;
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    eprintln!(
        "http_send_command: {CONNECTIONS} connections, {total} requests, 0 errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    Ok(Measured {
        ops: total,
        per_sec: total as f64 / elapsed.as_secs_f64(),
        p50_us: Some(at(0.5).as_secs_f64() * 1e6),
        cpu_seconds: None,
    })
}
