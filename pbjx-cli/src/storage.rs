//! `pbjx storage create | describe` for the configured event store, event search and
//! scheduler.

use crate::app::App;
use crate::cli::{Service, StorageCommand};
use crate::config::{Config, EventSearchBackend, EventStoreBackend, SchedulerBackend};
use crate::exit::{CliError, CliResult, Exit};

/// Creates or describes the storage of every configured service (or of `--service`).
pub(crate) async fn run(app: &App, config: &Config, command: StorageCommand) -> CliResult {
    let (create, only) = match command {
        StorageCommand::Create(args) => (true, args.service),
        StorageCommand::Describe(args) => (false, args.service),
    };
    let wanted = |service: Service| only.is_none_or(|o| o == service);
    let event_store =
        wanted(Service::EventStore) && config.event_store.backend != EventStoreBackend::None;
    let scheduler =
        wanted(Service::Scheduler) && config.scheduler.backend != SchedulerBackend::None;
    let event_search =
        wanted(Service::EventSearch) && config.event_search.backend != EventSearchBackend::None;
    if !event_store && !scheduler && !event_search {
        return Err(CliError::usage(match only {
            Some(Service::EventStore) => "no event store is configured".to_owned(),
            Some(Service::EventSearch) => "no event search is configured".to_owned(),
            Some(Service::Scheduler) => "no scheduler is configured".to_owned(),
            None => "no event store, event search or scheduler is configured".to_owned(),
        }));
    }
    let pbjx = crate::backends::exchange(app, config).await?;
    if event_store {
        let store = pbjx.event_store()?;
        if create {
            store.create_storage().await.map_err(|e| {
                CliError::failure(format!(
                    "event store [{}]: create storage: {}",
                    store.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("event store [{}]: storage created", store.name());
        } else {
            let text = store.describe_storage().await.map_err(|e| {
                CliError::failure(format!(
                    "event store [{}]: describe storage: {}",
                    store.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("## event store [{}]\n{}", store.name(), text.trim_end());
        }
    }
    if event_search {
        let search = pbjx.event_search()?;
        let ctx = pbjx::search::SearchContext::default();
        if create {
            search.create_storage(&ctx).await.map_err(|e| {
                CliError::failure(format!(
                    "event search [{}]: create storage: {}",
                    search.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("event search [{}]: storage created", search.name());
        } else {
            let text = search.describe_storage(&ctx).await.map_err(|e| {
                CliError::failure(format!(
                    "event search [{}]: describe storage: {}",
                    search.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("## event search [{}]\n{}", search.name(), text.trim_end());
        }
    }
    if scheduler {
        let scheduler = pbjx.scheduler()?;
        if create {
            scheduler.create_storage().await.map_err(|e| {
                CliError::failure(format!(
                    "scheduler [{}]: create storage: {}",
                    scheduler.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("scheduler [{}]: storage created", scheduler.name());
        } else {
            let text = scheduler.describe_storage().await.map_err(|e| {
                CliError::failure(format!(
                    "scheduler [{}]: describe storage: {}",
                    scheduler.name(),
                    crate::exit::chain(&e)
                ))
            })?;
            out!("## scheduler [{}]\n{}", scheduler.name(), text.trim_end());
        }
    }
    Ok(Exit::Ok)
}
