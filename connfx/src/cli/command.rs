//! The clap types ([`Command`] and its arguments) and where a command's output goes.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, ColorChoice, Subcommand, ValueEnum};

use super::output::Output;
use super::{Outcome, check, env, explain, plan, schema};
use crate::Sources;
use crate::config::ConnectionSet;

/// The operator commands, a clap [`Subcommand`] to run on its own ([`super::run`]) or to mount
/// in a service's own parser (see the [module docs](super)).
///
/// ```
/// use clap::Parser;
/// let cli = connfx::cli::Cli::try_parse_from(["shop", "env", "--format", "json"]).unwrap();
/// let connfx::cli::Command::Env(args) = cli.command else { unreachable!() };
/// assert_eq!(args.format, connfx::cli::Format::Json);
/// ```
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Load and validate the configuration; print every problem (exit 2 if there is one).
    Check(CheckArgs),
    /// Print the JSON Schema of the configuration, for checking deployment files.
    Schema(OutputArgs),
    /// Print an env-file template: every variable with its type, default and description.
    Env(OutputArgs),
    /// Print the effective configuration: every value and where it came from, secrets masked.
    Explain(OutputArgs),
    /// Print what candidate config files would change on a running service and how each
    /// change applies (live, reconnect); exit 2 if the candidate is invalid or needs a restart.
    Plan(PlanArgs),
}

/// The arguments of `plan`.
#[derive(Clone, Debug, Default, Args)]
pub struct PlanArgs {
    /// The candidate files, read after the service's own (the environment still wins).
    #[arg(required = true)]
    pub candidate: Vec<std::path::PathBuf>,
    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The arguments of `check`.
#[derive(Clone, Debug, Default, Args)]
pub struct CheckArgs {
    /// Also connect, check the health of every connection and print the table (exit 1 if one
    /// is down).
    #[arg(long)]
    pub probe: bool,
    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How a command prints.
#[derive(Clone, Debug, Args)]
pub struct OutputArgs {
    /// `human`: aligned text; `json`: one JSON document on one line.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Colour the human format: `auto` when standard output is a terminal and `NO_COLOR` is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl Default for OutputArgs {
    fn default() -> Self {
        OutputArgs {
            format: Format::Human,
            color: ColorChoice::Auto,
        }
    }
}

/// The output format of a command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people: aligned tables, one problem per line.
    #[default]
    Human,
    /// One JSON document on one line, for machines.
    Json,
}

impl Command {
    /// Runs the command on what `S::load_config()` reads (the attribute's files,
    /// `<PREFIX>_CONFIG_FILE`, the process environment), printing to standard output.
    pub async fn run<S: ConnectionSet>(&self) -> ExitCode {
        self.run_with::<S>(Sources::process(S::descriptor().files)).await
    }

    /// Runs the command on `sources` only (plus the attribute defaults), printing to standard
    /// output. A reader that goes away (`| head`) ends the output quietly and leaves the exit
    /// code to the command; any other failure to write is reported on standard error and ends
    /// in exit code 1.
    pub async fn run_with<S: ConnectionSet>(&self, sources: Sources) -> ExitCode {
        let color = match self.output().color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => io::stdout().is_terminal() && no_color_unset(),
        };
        match self
            .dispatch::<S>(sources, &mut ClosedPipeIsQuiet(io::stdout()), color)
            .await
        {
            Ok(outcome) => outcome.into(),
            Err(error) => {
                eprintln!("error: cannot write the output: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs the command on `sources` only (plus the attribute defaults), writing to `out`: how
    /// tests drive the CLI. Coloured only with `--color always`.
    ///
    /// ```
    /// # use connfx::prelude::*;
    /// # #[derive(Connections)] #[connections(env_prefix = "SHOP")]
    /// # struct Conns { #[connection(url = "http://127.0.0.1:1")] api: HttpConnection }
    /// use clap::Parser;
    /// use connfx::cli::{Cli, Outcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let cli = Cli::try_parse_from(["shop", "check"]).unwrap();
    /// let sources = connfx::Sources::new().env_map([("SHOP_API_TIMEOUT_TOTAL", "soon")]);
    /// let mut out = Vec::new();
    /// let outcome = cli.command.execute::<Conns>(sources, &mut out).await.unwrap();
    /// assert_eq!(outcome, Outcome::Invalid);
    /// assert!(String::from_utf8(out).unwrap().starts_with("api.timeout.total (env SHOP_API_TIMEOUT_TOTAL): "));
    /// # }
    /// ```
    ///
    /// # Errors
    /// A failure to write to `out`.
    pub async fn execute<S: ConnectionSet>(
        &self,
        sources: Sources,
        out: &mut (impl Write + Send),
    ) -> io::Result<Outcome> {
        let color = self.output().color == ColorChoice::Always;
        self.dispatch::<S>(sources, out, color).await
    }

    async fn dispatch<S: ConnectionSet>(
        &self,
        sources: Sources,
        writer: &mut (impl Write + Send),
        color: bool,
    ) -> io::Result<Outcome> {
        let mut out = Output::new(writer, self.output().format, color);
        let outcome = match self {
            Command::Check(args) => check::run::<S>(args.probe, sources, &mut out).await?,
            Command::Schema(_) => schema::run::<S>(&mut out)?,
            Command::Env(_) => env::run::<S>(&mut out)?,
            Command::Explain(_) => explain::run::<S>(sources, &mut out)?,
            Command::Plan(args) => plan::run::<S>(sources, &args.candidate, &mut out)?,
        };
        out.flush()?;
        Ok(outcome)
    }

    fn output(&self) -> &OutputArgs {
        match self {
            Command::Check(args) => &args.output,
            Command::Plan(args) => &args.output,
            Command::Schema(args) | Command::Env(args) | Command::Explain(args) => args,
        }
    }
}

/// `NO_COLOR` unset or empty (<https://no-color.org>).
fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A writer whose reader may go away (`ops env | head`): from then on, writes are dropped
/// instead of failing, so the command still ends with its own exit code.
struct ClosedPipeIsQuiet<W>(W);

impl<W: Write> Write for ClosedPipeIsQuiet<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        quiet(self.0.write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        quiet(self.0.flush(), ())
    }
}

fn quiet<T>(result: io::Result<T>, dropped: T) -> io::Result<T> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(dropped),
        other => other,
    }
}
