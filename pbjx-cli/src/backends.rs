//! Opens the configured backends and builds the exchange on them.

use std::path::PathBuf;

use pbjx::Pbjx;
use pbjx::event_store::{InMemoryEventStore, SqliteEventStore};
use pbjx::scheduler::{SqliteScheduler, WorkerHandle, WorkerOptions};

use crate::app::App;
use crate::config::{
    Config, DEFAULT_EVENT_STORE_PATH, EventSearchBackend, EventStoreBackend, EventStoreConfig,
    SchedulerBackend,
};
use crate::exit::{CliError, CliResult};

/// Starts the configured scheduler's worker (sending due jobs) on the exchange given.
pub(crate) type SpawnWorker = Box<dyn FnOnce(Pbjx) -> WorkerHandle + Send>;

/// The exchange of `app` on the configured event store and scheduler (each opened here;
/// SQLite files are created if missing).
pub(crate) async fn exchange(app: &App, config: &Config) -> CliResult<Pbjx> {
    Ok(exchange_and_worker(app, config).await?.0)
}

/// [`exchange`], plus what starts the scheduler's worker when a scheduler is configured
/// (for the long-running `pbjx serve`).
pub(crate) async fn exchange_and_worker(
    app: &App,
    config: &Config,
) -> CliResult<(Pbjx, Option<SpawnWorker>)> {
    let mut worker: Option<SpawnWorker> = None;
    let mut builder = app.builder();
    let registry = app.registry().clone();
    builder = match config.event_store.backend {
        EventStoreBackend::None => builder,
        EventStoreBackend::Memory => builder.event_store(InMemoryEventStore::new()),
        EventStoreBackend::Sqlite => {
            let path = sqlite_path(&config.event_store);
            let store = SqliteEventStore::open(&path, registry.clone()).map_err(|e| {
                CliError::failure(format!(
                    "cannot open the SQLite event store {}: {}",
                    path.display(),
                    crate::exit::chain(&e)
                ))
            })?;
            builder.event_store(store)
        }
        EventStoreBackend::Dynamodb => builder.event_store(dynamodb_store(app, config).await?),
    };
    builder = match config.scheduler.backend {
        SchedulerBackend::None => builder,
        SchedulerBackend::Sqlite => {
            let path = config.scheduler.path.clone().ok_or_else(|| {
                CliError::usage(
                    "scheduler.path is required for the sqlite scheduler (or PBJX_SCHEDULER_PATH)",
                )
            })?;
            let scheduler = SqliteScheduler::open(&path, registry.clone()).map_err(|e| {
                CliError::failure(format!(
                    "cannot open the SQLite scheduler {}: {}",
                    path.display(),
                    crate::exit::chain(&e)
                ))
            })?;
            let spawn = scheduler.clone();
            worker = Some(Box::new(move |pbjx| {
                spawn.spawn_worker(pbjx, WorkerOptions::default())
            }));
            builder.scheduler(scheduler)
        }
        SchedulerBackend::Dynamodb => {
            let (next, spawn) = dynamodb_scheduler(app, config, builder).await?;
            worker = Some(spawn);
            next
        }
    };
    builder = match config.event_search.backend {
        EventSearchBackend::None => builder,
        EventSearchBackend::Tantivy => tantivy_search(app, config, builder)?,
        EventSearchBackend::Elasticsearch => elasticsearch_search(app, config, builder)?,
    };
    Ok((builder.build()?, worker))
}

/// The embedded tantivy index, with the indexer subscriber and the search-events-request
/// handler.
#[cfg(feature = "search-tantivy")]
fn tantivy_search(
    app: &App,
    config: &Config,
    builder: pbjx::PbjxBuilder,
) -> CliResult<pbjx::PbjxBuilder> {
    let path = config
        .event_search
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_EVENT_SEARCH_PATH));
    let search = pbjx::search::tantivy::TantivyEventSearch::open(&path, app.registry().clone())
        .map_err(|e| {
            CliError::failure(format!(
                "cannot open the tantivy event search {}: {}",
                path.display(),
                crate::exit::chain(&e)
            ))
        })?;
    Ok(builder.event_search_with_handlers(search))
}

#[cfg(not(feature = "search-tantivy"))]
fn tantivy_search(
    _app: &App,
    _config: &Config,
    _builder: pbjx::PbjxBuilder,
) -> CliResult<pbjx::PbjxBuilder> {
    Err(CliError::usage(
        "this pbjx was built without the tantivy event search (cargo feature `search-tantivy`)",
    ))
}

/// Elasticsearch, with the indexer subscriber and the search-events-request handler.
#[cfg(feature = "search-elasticsearch")]
fn elasticsearch_search(
    app: &App,
    config: &Config,
    builder: pbjx::PbjxBuilder,
) -> CliResult<pbjx::PbjxBuilder> {
    use pbjx::search::elasticsearch::{ElasticsearchEventSearch, ElasticsearchOptions};
    let url = config.event_search.url.as_deref().ok_or_else(|| {
        CliError::usage(
            "event_search.url is required for the elasticsearch event search (or PBJX_EVENT_SEARCH_URL)",
        )
    })?;
    let mut options = ElasticsearchOptions::default();
    if let Some(prefix) = &config.event_search.index_prefix {
        options = options.with_index_prefix(prefix.clone());
    }
    let search = ElasticsearchEventSearch::new(url, app.registry().clone(), options)
        .map_err(|e| CliError::usage(format!("event_search: {}", crate::exit::chain(&e))))?;
    Ok(builder.event_search_with_handlers(search))
}

#[cfg(not(feature = "search-elasticsearch"))]
fn elasticsearch_search(
    _app: &App,
    _config: &Config,
    _builder: pbjx::PbjxBuilder,
) -> CliResult<pbjx::PbjxBuilder> {
    Err(CliError::usage(
        "this pbjx was built without the Elasticsearch event search (cargo feature `search-elasticsearch`)",
    ))
}

fn sqlite_path(config: &EventStoreConfig) -> PathBuf {
    config
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_EVENT_STORE_PATH))
}

/// The configured DynamoDB event store.
#[cfg(feature = "dynamodb")]
pub(crate) async fn dynamodb_store(
    app: &App,
    config: &Config,
) -> CliResult<pbjx::event_store::dynamodb::DynamoDbEventStore> {
    let table = config.event_store.table.clone().ok_or_else(|| {
        CliError::usage(
            "event_store.table is required for the dynamodb event store (or PBJX_EVENT_STORE_TABLE)",
        )
    })?;
    let mut store =
        pbjx::event_store::dynamodb::DynamoDbEventStore::from_env(table, app.registry().clone())
            .await;
    if let Some(heads) = &config.event_store.heads_table {
        store = store.with_heads_table(heads.clone());
    }
    Ok(store)
}

#[cfg(not(feature = "dynamodb"))]
async fn dynamodb_store(_app: &App, _config: &Config) -> CliResult<InMemoryEventStore> {
    Err(CliError::usage(
        "this pbjx was built without the DynamoDB event store (cargo feature `dynamodb`)",
    ))
}

#[cfg(feature = "scheduler-dynamodb")]
async fn dynamodb_scheduler(
    app: &App,
    config: &Config,
    builder: pbjx::PbjxBuilder,
) -> CliResult<(pbjx::PbjxBuilder, SpawnWorker)> {
    use pbjx::scheduler::dynamodb::{DynamoDbScheduler, Resources};
    let s = &config.scheduler;
    let table = s.table.clone().ok_or_else(|| {
        CliError::usage(
            "scheduler.table is required for the dynamodb scheduler (or PBJX_SCHEDULER_TABLE)",
        )
    })?;
    let mut resources = Resources::named(table);
    if let Some(queue) = &s.queue {
        resources = resources.with_queue(queue.clone());
    }
    if let Some(machine) = &s.state_machine {
        resources = resources.with_state_machine(machine.clone());
    }
    if let Some(role) = &s.role_arn {
        resources = resources.with_role_arn(role.clone());
    }
    let scheduler = DynamoDbScheduler::from_env(resources, app.registry().clone()).await;
    let spawn = scheduler.clone();
    let worker: SpawnWorker =
        Box::new(move |pbjx| spawn.spawn_worker(pbjx, WorkerOptions::default()));
    Ok((builder.scheduler(scheduler), worker))
}

#[cfg(not(feature = "scheduler-dynamodb"))]
async fn dynamodb_scheduler(
    _app: &App,
    _config: &Config,
    _builder: pbjx::PbjxBuilder,
) -> CliResult<(pbjx::PbjxBuilder, SpawnWorker)> {
    Err(CliError::usage(
        "this pbjx was built without the DynamoDB scheduler (cargo feature `scheduler-dynamodb`)",
    ))
}
