//! The command line: `voltgate serve | migrate | token create | sim`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use voltgate_core::auth::{generate_token, hash_token};
use voltgate_core::store::AccountStore;
use voltgate_store::Db;

use crate::config::{Config, LogFormat, ServeArgs};
use crate::{bootstrap, logging, Application};

/// Voltgate: an open EV-charging management platform (OCPP central system and REST API).
#[derive(Debug, Parser)]
#[command(name = "voltgate", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Voltgate: the REST API, the OCPP endpoint for chargers and the web pages.
    Serve(ServeArgs),
    /// Apply database migrations and exit (`serve` also does this at start).
    Migrate(DatabaseArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run simulated OCPP 1.6J chargers against any central system (also a load generator).
    Sim(voltgate_sim::SimArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Where Voltgate keeps its data [default: ./voltgate-data].
    #[arg(long, env = "VOLTGATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://<data-dir>/voltgate.db].
    #[arg(long, env = "VOLTGATE_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    fn config(&self) -> anyhow::Result<Config> {
        Config::resolve(ServeArgs {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token and print it (it is shown only once).
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The user the token belongs to.
        #[arg(long, default_value = bootstrap::ADMIN_EMAIL)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::resolve(args)?;
            logging::init(config.log_format);
            let app = Application::build(config).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate(db) => {
            logging::init(LogFormat::Text);
            let config = db.config()?;
            std::fs::create_dir_all(&config.data_dir)?;
            let store = Db::connect(&config.database_url).await?;
            let applied = store.migrate().await?;
            println!("Applied {applied} migration(s); the database is up to date.");
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            database,
            email,
            name,
        }) => {
            logging::init(LogFormat::Text);
            let config = database.config()?;
            let store = Db::connect(&config.database_url).await?;
            store.migrate().await?;
            let user = store.find_user_by_email(&email).await?.with_context(|| {
                format!(
                    "no user with e-mail {email}; start `voltgate serve` once to create the admin"
                )
            })?;
            let token = generate_token();
            store
                .create_token(user.id, &name, &hash_token(&token))
                .await?;
            println!("{token}");
            Ok(())
        }
        Command::Sim(args) => {
            logging::init(LogFormat::Text);
            voltgate_sim::run(args).await.map(|_| ())
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
