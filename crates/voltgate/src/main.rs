//! The `voltgate` binary: parses the command line and hands over to [`voltgate::cli::run`].

use clap::Parser;

/// mimalloc instead of the system allocator: the hot paths allocate many short-lived buffers
/// (frames, JSON values, SQL arguments) and glibc's malloc spent a fifth of the CPU on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = voltgate::cli::Cli::parse();
    match voltgate::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
