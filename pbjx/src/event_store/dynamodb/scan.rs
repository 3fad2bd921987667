//! Pipes: a stream page by page (`Query`), every stream by a parallel `Scan`; both fed by a
//! task into a channel, and neither ending silently when a task fails.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use futures_core::future::BoxFuture;
use pbj::Microtime;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::expressions::{Expr, PAGE_SIZE, range_bounds};
use super::{Inner, aws_error, internal};
use crate::error::Result;
use crate::event_store::{BoxStream, StoredEvent, StreamId};

/// Items buffered between a pipe's task and its reader.
const CHANNEL_CAPACITY: usize = 256;

type Sender = mpsc::Sender<Result<StoredEvent>>;

/// `pipe_events`: the stream's events in `occurred_at` order.
pub(super) fn pipe_events(
    inner: Arc<Inner>,
    stream: StreamId,
    since: Option<Microtime>,
    until: Option<Microtime>,
) -> BoxStream<'static, Result<StoredEvent>> {
    Box::pin(TaskStream::new(Box::new(move |tx| {
        Box::pin(async move { inner.pipe_stream(stream, since, until, tx).await })
    })))
}

/// `pipe_all_events`: every segment of a parallel scan, `concurrency` at a time.
pub(super) fn pipe_all_events(
    inner: Arc<Inner>,
    since: Option<Microtime>,
    until: Option<Microtime>,
) -> BoxStream<'static, Result<StoredEvent>> {
    Box::pin(TaskStream::new(Box::new(move |tx| {
        Box::pin(async move {
            let segments = inner.total_segments;
            let concurrency = inner.concurrency;
            drive_segments(segments, concurrency, tx, move |segment, tx| {
                let inner = Arc::clone(&inner);
                async move { inner.scan_segment(segment, since, until, tx).await }
            })
            .await;
        })
    })))
}

/// Runs `scan(segment, tx)` for every segment, at most `concurrency` at once. A segment task
/// that panics (or is cancelled) is reported to the reader as an error item: the other
/// segments go on, and the pipe never ends as if it were complete.
async fn drive_segments<F, Fut>(segments: u32, concurrency: usize, tx: Sender, scan: F)
where
    F: Fn(u32, Sender) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pending: VecDeque<u32> = (0..segments).collect();
    let mut running = JoinSet::new();
    loop {
        while running.len() < concurrency {
            let Some(segment) = pending.pop_front() else {
                break;
            };
            let task = scan(segment, tx.clone());
            running.spawn(async move {
                task.await;
                segment
            });
        }
        match running.join_next().await {
            None => return,
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                let err = internal(format!(
                    "a scan segment of pipe_all_events failed ({e}); its remaining events were not read"
                ))
                .with_source(e);
                if tx.send(Err(err)).await.is_err() {
                    return;
                }
            }
        }
    }
}

impl Inner {
    /// Sends every event of `stream` in the range to `tx`, page by page.
    async fn pipe_stream(
        &self,
        stream: StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
        tx: Sender,
    ) {
        let Some((lo, hi)) = range_bounds(since, until) else {
            return;
        };
        let mut expr = Expr::stream_range(&stream, lo, hi);
        expr.apply_filter(&self.filter);
        let expr = &expr;
        let stream = &stream;
        self.forward_pages(tx, |start_key| async move {
            let out = self
                .stream_query(expr)
                .scan_index_forward(true)
                .consistent_read(true)
                .limit(PAGE_SIZE)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| {
                    aws_error(&self.table, &format!("Query (pipe events of {stream})"), e)
                })?;
            Ok((out.items, out.last_evaluated_key))
        })
        .await;
    }

    /// Fetches pages with `fetch` (given the previous page's last key) and sends every decoded
    /// item to `tx` until the last page, an error (sent as an item) or a closed receiver.
    async fn forward_pages<F, Fut>(&self, tx: Sender, mut fetch: F)
    where
        F: FnMut(Option<HashMap<String, SdkValue>>) -> Fut,
        Fut: Future<
            Output = Result<(
                Option<Vec<HashMap<String, SdkValue>>>,
                Option<HashMap<String, SdkValue>>,
            )>,
        >,
    {
        let mut start_key = None;
        loop {
            let (items, last_key) = match fetch(start_key.take()).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            for item in items.unwrap_or_default() {
                if tx.send(self.decode(&item)).await.is_err() {
                    return;
                }
            }
            start_key = last_key;
            if start_key.is_none() {
                return;
            }
        }
    }

    /// Sends every event of one scan segment in the range to `tx`.
    async fn scan_segment(
        &self,
        segment: u32,
        since: Option<Microtime>,
        until: Option<Microtime>,
        tx: Sender,
    ) {
        let Some((lo, hi)) = range_bounds(since, until) else {
            return;
        };
        let mut expr = Expr::range(lo, hi);
        expr.filters.push("#r BETWEEN :lo AND :hi".to_owned());
        expr.apply_filter(&self.filter);
        let expr = &expr;
        self.forward_pages(tx, |start_key| async move {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .segment(i32::try_from(segment).unwrap_or(0))
                .total_segments(i32::try_from(self.total_segments).unwrap_or(1))
                .set_filter_expression(expr.filter_expression())
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| {
                    let operation = format!("Scan (segment {segment}/{})", self.total_segments);
                    aws_error(&self.table, &operation, e)
                })?;
            Ok((out.items, out.last_evaluated_key))
        })
        .await;
    }
}

type Producer = Box<dyn FnOnce(Sender) -> BoxFuture<'static, ()> + Send>;

/// A stream fed by a task spawned on the current tokio runtime at the first poll (aborted when
/// the stream is dropped). When the task ends by a panic, the stream yields an error item
/// before it ends.
struct TaskStream {
    producer: Option<Producer>,
    rx: Option<mpsc::Receiver<Result<StoredEvent>>>,
    task: Option<JoinHandle<()>>,
}

impl TaskStream {
    fn new(producer: Producer) -> Self {
        Self {
            producer: Some(producer),
            rx: None,
            task: None,
        }
    }
}

impl futures_core::Stream for TaskStream {
    type Item = Result<StoredEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(producer) = this.producer.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
                    this.task = Some(handle.spawn(producer(tx)));
                    this.rx = Some(rx);
                }
                Err(_) => {
                    return Poll::Ready(Some(Err(internal(
                        "the DynamoDB event store's pipes need a tokio runtime",
                    ))));
                }
            }
        }
        if let Some(rx) = &mut this.rx {
            match rx.poll_recv(cx) {
                Poll::Ready(None) => this.rx = None,
                other => return other,
            }
        }
        // Every sender is gone: the task has ended (or is ending). Did it fail?
        let Some(task) = &mut this.task else {
            return Poll::Ready(None);
        };
        match Pin::new(task).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                this.task = None;
                Poll::Ready(result.err().map(|e| {
                    Err(internal(format!(
                        "the task reading the DynamoDB table failed ({e}); the pipe is incomplete"
                    ))
                    .with_source(e))
                }))
            }
        }
    }
}

impl Drop for TaskStream {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use futures_core::Stream;

    async fn drain(mut rx: mpsc::Receiver<Result<StoredEvent>>) -> Vec<Result<StoredEvent>> {
        let mut out = Vec::new();
        while let Some(item) = rx.recv().await {
            out.push(item);
        }
        out
    }

    /// A panicking scan segment used to end `pipe_all_events` as if it were complete.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_segment_is_an_error_item() {
        let (tx, rx) = mpsc::channel(16);
        let ran = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = ran.clone();
        let driver = drive_segments(4, 2, tx, move |segment, _tx| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if segment == 2 {
                    panic!("segment {segment} broke");
                }
            }
        });
        let (_, items) = tokio::join!(driver, drain(rx));
        assert_eq!(
            ran.load(std::sync::atomic::Ordering::SeqCst),
            4,
            "the others went on"
        );
        assert_eq!(items.len(), 1);
        match &items[0] {
            Err(Error::Storage { message, .. }) => {
                assert!(message.contains("scan segment"), "{message}")
            }
            other => panic!("expected a storage error item, got {other:?}"),
        }
    }

    /// A producer task that panics ends its pipe with an error item, not silently.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_pipe_task_is_an_error_item() {
        let mut stream = TaskStream::new(Box::new(|_tx| {
            Box::pin(async {
                panic!("the reader broke");
            })
        }));
        let mut items = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            items.push(item);
        }
        assert_eq!(items.len(), 1);
        assert!(
            matches!(items[0], Err(Error::Storage { .. })),
            "{:?}",
            items[0]
        );
    }
}
