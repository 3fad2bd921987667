//! `pbjx events migrate-heads` (issue 17): moves DynamoDB stream heads of the previous layout
//! out of the event table, page by page, with a checkpoint file to resume.

use crate::app::App;
use crate::cli::MigrateHeadsArgs;
use crate::config::Config;
use crate::exit::{CliError, CliResult};

#[cfg(feature = "dynamodb")]
pub(crate) async fn run(
    app: &App,
    config: &Config,
    args: MigrateHeadsArgs,
    quiet: bool,
) -> CliResult {
    use pbjx::event_store::dynamodb::HeadMigrationCheckpoint;

    use crate::config::EventStoreBackend;
    use crate::exit::{Exit, chain};
    use crate::progress::Progress;

    if config.event_store.backend != EventStoreBackend::Dynamodb {
        return Err(CliError::usage(
            "migrate-heads works on the dynamodb event store (event_store.backend = \"dynamodb\")",
        ));
    }
    let store = crate::backends::dynamodb_store(app, config).await?;
    let mut checkpoint = match &args.checkpoint {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read the checkpoint {}: {e}",
                    path.display()
                ))
            })?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::usage(format!("checkpoint {}: {e}", path.display())))?;
            let field = |name: &str| {
                value
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        CliError::usage(format!(
                            "checkpoint {}: no \"{name}\" string",
                            path.display()
                        ))
                    })
            };
            Some(HeadMigrationCheckpoint {
                stream_id: field("stream_id")?,
                occurred_at: field("occurred_at")?,
            })
        }
        _ => None,
    };
    let progress = Progress::new(None, "migrate-heads: pages", quiet);
    if let Some(at) = &checkpoint {
        progress.note(&format!(
            "resuming after stream [{}] occurred_at {}",
            at.stream_id, at.occurred_at
        ));
    }
    let (mut moved, mut already, mut pages) = (0u64, 0u64, 0u64);
    loop {
        let page = store
            .migrate_heads_page(checkpoint.as_ref(), args.page_size)
            .await
            .map_err(|e| {
                CliError::failure(format!(
                    "table [{}]: migrating heads into [{}]: {} (run again to resume{})",
                    store.table(),
                    store.heads_table(),
                    chain(&e),
                    if args.checkpoint.is_some() {
                        " from the checkpoint"
                    } else {
                        ""
                    }
                ))
            })?;
        pages += 1;
        moved += page.moved;
        already += page.already_moved;
        progress.inc(1);
        progress.message(format!("{moved} heads moved, {already} already moved"));
        progress.note(&format!(
            "page {pages}: moved {}, already moved {} (total moved {moved})",
            page.moved, page.already_moved
        ));
        checkpoint = page.resume_at;
        if let Some(path) = &args.checkpoint {
            let written = match &checkpoint {
                Some(at) => std::fs::write(
                    path,
                    serde_json::json!({ "stream_id": at.stream_id, "occurred_at": at.occurred_at })
                        .to_string(),
                ),
                None => std::fs::remove_file(path).or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }),
            };
            written.map_err(|e| {
                CliError::failure(format!(
                    "cannot write the checkpoint {}: {e}",
                    path.display()
                ))
            })?;
        }
        if checkpoint.is_none() {
            break;
        }
    }
    progress.finish();
    out!(
        "{}",
        serde_json::json!({ "moved": moved, "already_moved": already, "pages": pages })
    );
    Ok(Exit::Ok)
}

#[cfg(not(feature = "dynamodb"))]
pub(crate) async fn run(
    _app: &App,
    _config: &Config,
    _args: MigrateHeadsArgs,
    _quiet: bool,
) -> CliResult {
    Err(CliError::usage(
        "this pbjx was built without the DynamoDB event store (cargo feature `dynamodb`)",
    ))
}
