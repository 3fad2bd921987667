use std::sync::Arc;

use pbj::Message;

use super::Transport;
use crate::Pbjx;
use crate::error::Result;
use crate::lifecycle::BoxFuture;

/// Handles every message inline, in the caller's task (the original's default transport):
/// handler errors surface to the caller of `send`.
#[derive(Debug, Default, Clone, Copy)]
pub struct InMemoryTransport;

impl Transport for InMemoryTransport {
    fn name(&self) -> &str {
        "in_memory"
    }

    fn send_command<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        command: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(pbjx.receive_command(command))
    }

    fn send_event<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        event: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(pbjx.receive_event(event))
    }

    fn send_request<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        request: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<Box<dyn Message>>> {
        Box::pin(async move { Ok(pbjx.receive_request(request).await) })
    }
}
