//! Typed command handlers, request handlers and event subscribers, and their type-erased forms.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use pbj::{Message, MessageType};

use crate::Pbjx;
use crate::error::{Error, Result};
use crate::lifecycle::BoxFuture;

/// Handles one command type. Implemented for async closures `|cmd: Arc<T>, pbjx| async { .. }`.
pub trait CommandHandler<T: MessageType>: Send + Sync + 'static {
    /// Handles the (frozen) command.
    fn handle(&self, command: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<()>> + Send;
}

impl<T, F, Fut> CommandHandler<T> for F
where
    T: MessageType,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn handle(&self, command: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<()>> + Send {
        self(command, pbjx)
    }
}

/// Handles one request type and answers with a response `R`.
pub trait RequestHandler<T: MessageType, R: Message>: Send + Sync + 'static {
    /// Handles the (frozen) request.
    fn handle(&self, request: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<R>> + Send;
}

impl<T, R, F, Fut> RequestHandler<T, R> for F
where
    T: MessageType,
    R: Message,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send,
{
    fn handle(&self, request: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<R>> + Send {
        self(request, pbjx)
    }
}

/// Receives published events of type `T` (use [`crate::PbjxBuilder::subscribe_to`] for mixins
/// and wildcards).
pub trait Subscriber<T: MessageType>: Send + Sync + 'static {
    /// Handles the (frozen) event.
    fn on_event(&self, event: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<()>> + Send;
}

impl<T, F, Fut> Subscriber<T> for F
where
    T: MessageType,
    F: Fn(Arc<T>, Pbjx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    fn on_event(&self, event: Arc<T>, pbjx: Pbjx) -> impl Future<Output = Result<()>> + Send {
        self(event, pbjx)
    }
}

/// A command handler or subscriber with its message type erased.
pub(crate) type ErasedHandler =
    Arc<dyn Fn(Arc<dyn Message>, Pbjx) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// A request handler with its types erased.
pub(crate) type ErasedRequestHandler = Arc<
    dyn Fn(Arc<dyn Message>, Pbjx) -> BoxFuture<'static, Result<Box<dyn Message>>> + Send + Sync,
>;

/// Downcasts a shared message to its generated type.
pub(crate) fn downcast<T: MessageType>(message: Arc<dyn Message>) -> Result<Arc<T>> {
    let schema = message.schema().id;
    let any: Arc<dyn Any + Send + Sync> = message;
    any.downcast::<T>().map_err(|_| Error::InvalidArgument {
        message: format!("message [{schema}] is not a {}", T::SCHEMA.class_name()),
    })
}

pub(crate) fn erase_command<T: MessageType>(handler: impl CommandHandler<T>) -> ErasedHandler {
    let handler = Arc::new(handler);
    Arc::new(move |message, pbjx| {
        let handler = handler.clone();
        Box::pin(async move { handler.handle(downcast::<T>(message)?, pbjx).await })
    })
}

pub(crate) fn erase_subscriber<T: MessageType>(subscriber: impl Subscriber<T>) -> ErasedHandler {
    let subscriber = Arc::new(subscriber);
    Arc::new(move |message, pbjx| {
        let subscriber = subscriber.clone();
        Box::pin(async move { subscriber.on_event(downcast::<T>(message)?, pbjx).await })
    })
}

pub(crate) fn erase_request<T: MessageType, R: Message>(
    handler: impl RequestHandler<T, R>,
) -> ErasedRequestHandler {
    let handler = Arc::new(handler);
    Arc::new(move |message, pbjx| {
        let handler = handler.clone();
        Box::pin(async move {
            let response = handler.handle(downcast::<T>(message)?, pbjx).await?;
            Ok(Box::new(response) as Box<dyn Message>)
        })
    })
}
