//! `switchyard`: serves the app, or runs one of the set-up commands (see `switchyard help`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_sessions=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    server::cli::run(&args).await
}
