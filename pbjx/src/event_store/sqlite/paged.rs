//! A `futures_core::Stream` that fetches pages with a cursor, one future per page.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Result;
use futures_core::future::BoxFuture;

/// One page: its items and the cursor of the next page (`None` after the last page).
pub(super) type Page<C, T> = (Vec<Result<T>>, Option<C>);

/// Yields the items of every page in order. A page that fails is yielded as one error item and
/// ends the stream (there is no cursor to go on from); item-level errors do not end it.
pub(super) struct Paged<C, T, F>
where
    F: FnMut(C) -> BoxFuture<'static, Result<Page<C, T>>>,
{
    fetch: F,
    next: Option<C>,
    pending: Option<BoxFuture<'static, Result<Page<C, T>>>>,
    buffer: VecDeque<Result<T>>,
}

impl<C, T, F> Paged<C, T, F>
where
    F: FnMut(C) -> BoxFuture<'static, Result<Page<C, T>>>,
{
    /// Starts at `first` (nothing is fetched before the first poll).
    pub(super) fn new(first: C, fetch: F) -> Self {
        Self {
            fetch,
            next: Some(first),
            pending: None,
            buffer: VecDeque::new(),
        }
    }
}

// No field is ever pinned in place (the page future is boxed), so moving a `Paged` is fine.
impl<C, T, F> Unpin for Paged<C, T, F> where F: FnMut(C) -> BoxFuture<'static, Result<Page<C, T>>> {}

impl<C, T, F> futures_core::Stream for Paged<C, T, F>
where
    F: FnMut(C) -> BoxFuture<'static, Result<Page<C, T>>>,
{
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.pending.is_none() {
                match this.next.take() {
                    Some(cursor) => this.pending = Some((this.fetch)(cursor)),
                    None => return Poll::Ready(None),
                }
            }
            let Some(pending) = this.pending.as_mut() else {
                return Poll::Ready(None);
            };
            match pending.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    this.pending = None;
                    match result {
                        Ok((items, next)) => {
                            this.buffer.extend(items);
                            this.next = next;
                        }
                        Err(e) => {
                            this.next = None;
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
            }
        }
    }
}
