//! `switchyard`: serves the app, or runs one of the set-up commands (see `switchyard help`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_sessions=warn".into());
    // Text by default; one JSON object a line with SWITCHYARD_LOG_FORMAT=json.
    if std::env::var("SWITCHYARD_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        // Colours only for a person at a terminal, not in a file or a journal.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt()
            .with_ansi(ansi)
            .with_env_filter(filter)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A mistake on the command line is said in words, never with a backtrace.
    match server::cli::run(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchyard: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
