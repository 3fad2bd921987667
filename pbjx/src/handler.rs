//! Typed command handlers, request handlers and event subscribers, and their type-erased forms.
//!
//! Each trait is implemented for async closures of two shapes, told apart by the marker type
//! `M` (like axum's handler arguments): with and without the builder's state as a third
//! argument.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use pbj::{Message, MessageType};

use crate::Pbjx;
use crate::error::{Error, Result};
use crate::lifecycle::BoxFuture;

/// Handles one command type `T` on a builder with state `S`.
///
/// Implemented for async closures `|message: Arc<T>, pbjx: Pbjx| async move { .. }` and, to
/// receive the builder's state ([`crate::PbjxBuilder::with_state`]),
/// `|message: Arc<T>, pbjx: Pbjx, state: Arc<S>| async move { .. }`; the marker `M` tells
/// the two apart. A type of your own implements it with a marker of its choice (e.g. `()`).
///
/// ```
/// use std::future::Future;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pbjx::{CommandHandler, Pbjx};
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// /// A handler type of its own, with its own dependencies (marker: `()`).
/// struct CountChecks(Arc<AtomicUsize>);
///
/// impl<S: Send + Sync + 'static> CommandHandler<CheckHealthV1, S, ()> for CountChecks {
///     fn handle(
///         &self,
///         _command: Arc<CheckHealthV1>,
///         _pbjx: Pbjx,
///         _state: &Arc<S>,
///     ) -> impl Future<Output = pbjx::Result<()>> + Send {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         async { Ok(()) }
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let count = Arc::new(AtomicUsize::new(0));
/// let pbjx = Pbjx::builder().command(CountChecks(count.clone())).build()?;
/// pbjx.send(CheckHealthV1::new()).await?;
/// assert_eq!(count.load(Ordering::Relaxed), 1);
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub trait CommandHandler<T: MessageType, S, M>: Send + Sync + 'static {
    /// Handles the (frozen) command.
    fn handle(
        &self,
        command: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl<T, S, F, Fut> CommandHandler<T, S, fn(Arc<T>, Pbjx)> for F
where
    T: MessageType,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn handle(
        &self,
        command: Arc<T>,
        pbjx: Pbjx,
        _state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send {
        self(command, pbjx)
    }
}

impl<T, S, F, Fut> CommandHandler<T, S, fn(Arc<T>, Pbjx, Arc<S>)> for F
where
    T: MessageType,
    F: Fn(Arc<T>, Pbjx, Arc<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn handle(
        &self,
        command: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send {
        self(command, pbjx, state.clone())
    }
}

/// Handles one request type `T` and answers with a response `R`, on a builder with state `S`.
///
/// Implemented for async closures `|message: Arc<T>, pbjx: Pbjx| async move { .. }` and, to
/// receive the builder's state ([`crate::PbjxBuilder::with_state`]),
/// `|message: Arc<T>, pbjx: Pbjx, state: Arc<S>| async move { .. }`; the marker `M` tells
/// the two apart. A type of your own implements it with a marker of its choice (e.g. `()`).
pub trait RequestHandler<T: MessageType, R: Message, S, M>: Send + Sync + 'static {
    /// Handles the (frozen) request.
    fn handle(
        &self,
        request: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<R>> + Send;
}

impl<T, R, S, F, Fut> RequestHandler<T, R, S, fn(Arc<T>, Pbjx)> for F
where
    T: MessageType,
    R: Message,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send,
{
    fn handle(
        &self,
        request: Arc<T>,
        pbjx: Pbjx,
        _state: &Arc<S>,
    ) -> impl Future<Output = Result<R>> + Send {
        self(request, pbjx)
    }
}

impl<T, R, S, F, Fut> RequestHandler<T, R, S, fn(Arc<T>, Pbjx, Arc<S>)> for F
where
    T: MessageType,
    R: Message,
    F: Fn(Arc<T>, Pbjx, Arc<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send,
{
    fn handle(
        &self,
        request: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<R>> + Send {
        self(request, pbjx, state.clone())
    }
}

/// Receives published events: of one type `T` ([`crate::PbjxBuilder::subscribe`]), or any
/// `dyn Message` ([`crate::PbjxBuilder::subscribe_to`], for mixins and wildcards).
///
/// Implemented for async closures `|message: Arc<T>, pbjx: Pbjx| async move { .. }` and, to
/// receive the builder's state ([`crate::PbjxBuilder::with_state`]),
/// `|message: Arc<T>, pbjx: Pbjx, state: Arc<S>| async move { .. }`; the marker `M` tells
/// the two apart. A type of your own implements it with a marker of its choice (e.g. `()`).
pub trait Subscriber<T: ?Sized, S, M>: Send + Sync + 'static {
    /// Handles the (frozen) event.
    fn on_event(
        &self,
        event: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send;
}

impl<T, S, F, Fut> Subscriber<T, S, fn(Arc<T>, Pbjx)> for F
where
    T: ?Sized,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn on_event(
        &self,
        event: Arc<T>,
        pbjx: Pbjx,
        _state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send {
        self(event, pbjx)
    }
}

impl<T, S, F, Fut> Subscriber<T, S, fn(Arc<T>, Pbjx, Arc<S>)> for F
where
    T: ?Sized,
    F: Fn(Arc<T>, Pbjx, Arc<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn on_event(
        &self,
        event: Arc<T>,
        pbjx: Pbjx,
        state: &Arc<S>,
    ) -> impl Future<Output = Result<()>> + Send {
        self(event, pbjx, state.clone())
    }
}

/// A handler with its types erased, producing `T`.
type Erased<T> = Arc<dyn Fn(Arc<dyn Message>, Pbjx) -> BoxFuture<'static, Result<T>> + Send + Sync>;

/// A command handler or subscriber with its message type erased.
pub(crate) type ErasedHandler = Erased<()>;

/// A request handler with its types erased.
pub(crate) type ErasedRequestHandler = Erased<Box<dyn Message>>;

/// Downcasts a shared message to its generated type.
pub(crate) fn downcast<T: MessageType>(message: Arc<dyn Message>) -> Result<Arc<T>> {
    let schema = message.schema().id;
    let any: Arc<dyn Any + Send + Sync> = message;
    any.downcast::<T>().map_err(|_| Error::InvalidArgument {
        message: format!("message [{schema}] is not a {}", T::SCHEMA.class_name()),
    })
}

/// Shares `handler` and `state` behind one `Arc` (cloned per call) and boxes what `run` makes
/// of them for each message.
fn share<H, S, T, F, Fut>(handler: H, state: Arc<S>, run: F) -> Erased<T>
where
    H: Send + Sync + 'static,
    S: Send + Sync + 'static,
    F: Fn(Arc<(H, Arc<S>)>, Arc<dyn Message>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let shared = Arc::new((handler, state));
    Arc::new(move |message, pbjx| Box::pin(run(shared.clone(), message, pbjx)))
}

pub(crate) fn erase_command<T, S, M>(
    handler: impl CommandHandler<T, S, M>,
    state: Arc<S>,
) -> ErasedHandler
where
    T: MessageType,
    S: Send + Sync + 'static,
{
    share(handler, state, |shared, message, pbjx| async move {
        let (handler, state) = &*shared;
        handler.handle(downcast::<T>(message)?, pbjx, state).await
    })
}

pub(crate) fn erase_subscriber<T, S, M>(
    subscriber: impl Subscriber<T, S, M>,
    state: Arc<S>,
) -> ErasedHandler
where
    T: MessageType,
    S: Send + Sync + 'static,
{
    share(subscriber, state, |shared, message, pbjx| async move {
        let (subscriber, state) = &*shared;
        let event = downcast::<T>(message)?;
        subscriber.on_event(event, pbjx, state).await
    })
}

pub(crate) fn erase_any_subscriber<S, M>(
    subscriber: impl Subscriber<dyn Message, S, M>,
    state: Arc<S>,
) -> ErasedHandler
where
    S: Send + Sync + 'static,
{
    share(subscriber, state, |shared, message, pbjx| async move {
        let (subscriber, state) = &*shared;
        subscriber.on_event(message, pbjx, state).await
    })
}

pub(crate) fn erase_request<T, R, S, M>(
    handler: impl RequestHandler<T, R, S, M>,
    state: Arc<S>,
) -> ErasedRequestHandler
where
    T: MessageType,
    R: Message,
    S: Send + Sync + 'static,
{
    share(handler, state, |shared, message, pbjx| async move {
        let (handler, state) = &*shared;
        let response = handler.handle(downcast::<T>(message)?, pbjx, state).await?;
        Ok(Box::new(response) as Box<dyn Message>)
    })
}
