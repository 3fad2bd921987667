//! The checkpoint stores of the consumers: the conformance suite against the memory and
//! SQLite stores, and against the DynamoDB store on the AWS emulator (feature `dynamodb`,
//! needs `AWS_ENDPOINT_URL`).

use pbjx::consumer::{CheckpointStore, MemoryCheckpointStore, SqliteCheckpointStore};
use pbjx::testkit::checkpoint::run_all;

#[tokio::test]
async fn memory_store_conforms() {
    run_all(&MemoryCheckpointStore::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms() {
    let dir = crate::temp::TempDir::new("checkpoints");
    std::fs::create_dir_all(&dir.0).unwrap();
    let store = SqliteCheckpointStore::open(dir.0.join("checkpoints.db")).unwrap();
    store.create_storage().await.unwrap();
    store.create_storage().await.unwrap(); // idempotent
    run_all(&store).await;
    // A second handle on the same file sees the same leases.
    let again = SqliteCheckpointStore::open(dir.0.join("checkpoints.db")).unwrap();
    let groups = again.leases("nothing-here").await.unwrap();
    assert!(groups.is_empty());
}

#[cfg(feature = "dynamodb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_store_conforms() {
    let config = pbjx::testkit::dynamodb::emulator_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("pbjx-checkpoints-{:012x}", fastrand::u64(..) >> 16);
    let store = pbjx::consumer::DynamoDbCheckpointStore::new(client, table);
    store.create_storage().await.unwrap();
    store.create_storage().await.unwrap(); // idempotent
    run_all(&store).await;
}
