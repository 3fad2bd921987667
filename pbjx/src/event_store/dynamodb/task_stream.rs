//! Streams backed by a task for the DynamoDB event store.

use super::*;

pub(super) type Producer =
    Box<dyn FnOnce(mpsc::Sender<Result<StoredEvent>>) -> BoxFuture<'static, ()> + Send>;

/// A stream fed by a task spawned on the current tokio runtime at the first poll (aborted when
/// the stream is dropped).
pub(super) struct TaskStream {
    pub(super) producer: Option<Producer>,
    pub(super) rx: Option<mpsc::Receiver<Result<StoredEvent>>>,
    pub(super) task: Option<tokio::task::JoinHandle<()>>,
}

impl TaskStream {
    pub(super) fn new(producer: Producer) -> Self {
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
        match &mut this.rx {
            Some(rx) => rx.poll_recv(cx),
            None => Poll::Ready(None),
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
