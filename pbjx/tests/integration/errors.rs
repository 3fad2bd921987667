//! Application errors with a code and their source chain: `Error::wrap`,
//! `ResultExt::with_code`, `Error::handler(..).with_source(..)`.

use std::error::Error as _;
use std::sync::Arc;

use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Code, Error, Pbjx, ResultExt};

fn disk_full() -> std::io::Error {
    std::io::Error::other("disk full")
}

/// The messages of `error` and of every source below it.
fn chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut out = vec![error.to_string()];
    let mut next = error.source();
    while let Some(e) = next {
        out.push(e.to_string());
        next = e.source();
    }
    out
}

/// An `anyhow` error returned from a handler with `with_code` reaches the caller of `send`
/// with its code, and its whole chain (context, then the I/O error) stays reachable through
/// `source()`; the I/O error can be downcast.
#[tokio::test]
async fn anyhow_error_keeps_source_chain() {
    let pbjx = Pbjx::builder()
        .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async move {
            let loaded: anyhow::Result<()> =
                Err(anyhow::Error::new(disk_full()).context("loading article 7"));
            loaded.with_code(Code::Unavailable)?;
            Ok(())
        })
        .build()
        .unwrap();
    let err = pbjx.send(CheckHealthV1::new()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(err.name(), "Error");
    assert_eq!(
        chain(&err),
        [
            "Error (UNAVAILABLE): loading article 7",
            "loading article 7",
            "disk full"
        ]
    );
    let io = err
        .source()
        .and_then(|s| s.source())
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the io error is in the chain");
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
}

/// Any `std::error::Error + Send + Sync` converts with a code; the name is its short type
/// name unless renamed, and `Error::handler` still builds errors from parts (now with an
/// optional source).
#[test]
fn std_errors_convert_with_a_code() {
    let err = "x"
        .parse::<i32>()
        .with_code(Code::InvalidArgument)
        .unwrap_err();
    assert_eq!(
        (err.code(), err.name()),
        (Code::InvalidArgument, "ParseIntError".into())
    );
    assert!(err.source().unwrap().is::<std::num::ParseIntError>());

    let err = Error::wrap(Code::NotFound, disk_full()).with_name("ArticleNotFound");
    assert_eq!(err.to_string(), "ArticleNotFound (NOT_FOUND): disk full");

    let err =
        Error::handler(Code::Unavailable, "StoreDown", "could not load").with_source(disk_full());
    assert_eq!(
        chain(&err),
        ["StoreDown (UNAVAILABLE): could not load", "disk full"]
    );
    let plain = Error::handler(Code::Aborted, "Busy", "try again");
    assert!(plain.source().is_none());
}

/// A failing request handler's wrapped error becomes the `request-failed-response`: its code,
/// name and message are what the caller sees.
#[tokio::test]
async fn wrapped_errors_fill_request_failed_responses() {
    let pbjx = Pbjx::builder()
        .request(|_r: Arc<EchoRequestV1>, _pbjx| async move {
            let n: i32 = "seven".parse().with_code(Code::OutOfRange)?;
            Ok(EchoResponseV1::new().with_msg(n.to_string())?)
        })
        .build()
        .unwrap();
    let err = pbjx.request(EchoRequestV1::new()).await.unwrap_err();
    assert!(
        matches!(err, Error::RequestHandlingFailed { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), Code::OutOfRange);
    assert!(
        err.to_string()
            .ends_with("ParseIntError::11::invalid digit found in string"),
        "{err}"
    );
}
