//! The operator CLI (feature `cli`): `check`, `schema`, `env`, `explain` and `plan` for any
//! `#[derive(Connections)]` struct, ready to mount in a service's binary.
//!
//! | command | what it prints | exit code |
//! |---|---|---|
//! | `check` | every problem of the configuration, one per line (path, source, message), then a summary | 0 valid, 2 invalid |
//! | `check --probe` | the same, then connects, checks every connection's health and prints the health table | 1 if one is `error`/`unknown` or cannot be built |
//! | `schema` | the JSON Schema of the configuration | 0 |
//! | `env` | an env-file template: every variable with its type, default and description | 0 |
//! | `explain` | the effective configuration: every value and where it came from | 0, or 2 invalid |
//! | `plan FILE...` | what the candidate files would change on a running service: each key, old and new value, and how it applies (`live`, `reconnect`); a change that needs a restart is a problem | 0 applicable, 2 invalid or needing a restart |
//!
//! Every command takes `--format human` (the default: aligned, coloured on a terminal) or
//! `--format json` (one JSON document on one line, for machines), and `--color auto|always|never`.
//! No command ever prints a secret: values come masked from the loader ([`crate::config::explain`],
//! [`EnvVar`](crate::EnvVar)), and issues, connect errors and health messages never hold one.
//!
//! ## Mounting it
//!
//! The whole CLI as a binary's `main`:
//!
//! ```no_run
//! use connfx::prelude::*;
//!
//! #[derive(Connections)]
//! #[connections(env_prefix = "SHOP")]
//! struct Conns {
//!     #[connection(url = "http://127.0.0.1:8080")]
//!     api: HttpConnection,
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     connfx::cli::run::<Conns>().await
//! }
//! ```
//!
//! Or next to a service's own commands, as a clap subcommand (`shop serve`, `shop check --probe`):
//!
//! ```no_run
//! # use connfx::prelude::*;
//! # #[derive(Connections)] struct Conns { #[connection(url = "http://127.0.0.1:1")] api: HttpConnection }
//! use clap::{Parser, Subcommand};
//!
//! #[derive(Parser)]
//! struct Shop {
//!     #[command(subcommand)]
//!     command: ShopCommand,
//! }
//!
//! #[derive(Subcommand)]
//! enum ShopCommand {
//!     /// Serve traffic.
//!     Serve,
//!     #[command(flatten)]
//!     Connections(connfx::cli::Command),
//! }
//!
//! # async fn serve() -> std::process::ExitCode { std::process::ExitCode::SUCCESS }
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     match Shop::parse().command {
//!         ShopCommand::Serve => serve().await,
//!         ShopCommand::Connections(command) => command.run::<Conns>().await,
//!     }
//! }
//! ```
//!
//! [`Command::run`] reads what `Conns::load_config()` reads (the attribute's files,
//! `<PREFIX>_CONFIG_FILE`, the process environment); [`Command::run_with`] takes explicit
//! [`Sources`](crate::Sources), and [`Command::execute`] also an explicit writer, which is how tests
//! drive it.
//!
//! ## Decisions
//!
//! - **The env template shows the value in force on every line, and comments it out**: each
//!   policy's `…_ENABLED` line reads `false` while the policy is off, and that switch wins over
//!   the policy's other keys, so uncommenting any line as it is changes nothing. Lines stay
//!   commented because the environment wins over config files: a template that set every default
//!   would hide every file value. Only variables that must be given (a required key with no
//!   default) are left as `NAME=` to fill in, and a secret's line never shows its default.
//! - **`--probe` connects through `ConnsConfig::connect`** (via
//!   [`ConnectionSet::connect_registry`]), checks
//!   health with each connection's own timeout, and closes everything before it returns.
//!   `ready`, `live` and `connected` count as up; `error` and `unknown` as down.
//! - **Colour** only with `--color always`, or with `auto` (the default) when standard output is a
//!   terminal and `NO_COLOR` is unset or empty. [`Command::execute`] writes to any writer, so there
//!   `auto` means no colour. The escape codes are plain ANSI; no terminal library is needed.
//! - **Exit codes** are [`Outcome`]'s: 0 ok, 1 unhealthy, 2 invalid configuration (2 is also what
//!   clap uses for a command line it cannot parse).

mod check;
mod command;
mod env;
mod explain;
mod output;
mod plan;
mod schema;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::config::ConnectionSet;

pub use command::{CheckArgs, Command, Format, OutputArgs, PlanArgs};

/// How a command ended. Each outcome is a process exit code; `ExitCode::from(outcome)`.
///
/// ```
/// assert_eq!(connfx::cli::Outcome::Invalid.code(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: the command did its work; the configuration is valid and, with `--probe`, every
    /// connection is up.
    Ok,
    /// Exit 1: `--probe` found a connection in `error` or `unknown` state, or could not build one.
    Unhealthy,
    /// Exit 2: the configuration is invalid.
    Invalid,
}

impl Outcome {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Unhealthy => 1,
            Outcome::Invalid => 2,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.code())
    }
}

/// The CLI on its own: the operator commands as the binary's subcommands.
///
/// ```
/// use clap::Parser;
/// let cli = connfx::cli::Cli::try_parse_from(["shop", "check", "--probe"]).unwrap();
/// assert!(matches!(cli.command, connfx::cli::Command::Check(ref args) if args.probe));
/// ```
#[derive(Clone, Debug, Parser)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Parses the process's arguments as [`Cli`] and runs the command on what `S::load_config()`
/// reads: the whole CLI as a binary's `main` (see the [module docs](self)).
///
/// A command line clap cannot parse prints its message and ends in clap's exit code (2; 0 for
/// `--help`).
pub async fn run<S: ConnectionSet>() -> ExitCode {
    let about = format!("Check and describe the connections of `{}`", S::descriptor().name);
    let parsed = Cli::command()
        .about(about)
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => cli.command.run::<S>().await,
        Err(error) => {
            // Printing help or an error to the terminal cannot usefully fail.
            let _ = error.print();
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
        }
    }
}
