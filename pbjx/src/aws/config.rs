//! Client configuration from the environment.

/// The SDK configuration from the environment, shared by every AWS client
/// (`aws_config::load_defaults` with the latest behaviour version): region
/// (`AWS_REGION`, profile), credentials chain, and `AWS_ENDPOINT_URL` (one URL for every
/// service, e.g. a local emulator).
///
/// ```no_run
/// # async fn demo() {
/// let config = pbjx::aws::config_from_env().await;
/// println!("region: {:?}", config.region());
/// # }
/// ```
pub async fn config_from_env() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}
