use std::sync::Arc;

use pbj::Message;

use super::Transport;
use crate::Pbjx;
use crate::error::Result;

/// Handles every message inline, in the caller's task (the original's default transport):
/// handler errors surface to the caller of `send`.
#[derive(Debug, Default, Clone, Copy)]
pub struct InMemoryTransport;

#[async_trait::async_trait]
impl Transport for InMemoryTransport {
    fn name(&self) -> &str {
        "in_memory"
    }

    fn delivers_in_process(&self) -> bool {
        true
    }

    async fn send_command(&self, pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()> {
        pbjx.receive_command(command).await
    }

    async fn send_event(&self, pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()> {
        pbjx.receive_event(event).await
    }

    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>> {
        Ok(pbjx.receive_request(request).await)
    }
}
