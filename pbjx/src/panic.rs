//! Turns a panic inside a handler or subscriber future into an error, so one bad handler
//! cannot take the exchange (or the other subscribers) down.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind as catch};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{Code, Error, Result};

/// Polls `future`, converting a panic into [`Error::Handler`] with code `INTERNAL`.
pub(crate) fn catch_unwind<T, F>(future: F) -> CatchUnwind<F>
where
    F: Future<Output = Result<T>>,
{
    CatchUnwind { future }
}

pin_project_lite::pin_project! {
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        future: F,
    }
}

impl<T, F: Future<Output = Result<T>>> Future for CatchUnwind<F> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        match catch(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "handler panicked".to_owned());
                Poll::Ready(Err(Error::handler(Code::Internal, "Panic", message)))
            }
        }
    }
}
