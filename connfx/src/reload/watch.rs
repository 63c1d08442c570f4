//! `conns.watch(Watch::new())`: reload when a config file changes or the process gets SIGHUP.
//!
//! A running process cannot see its environment change, so the environment reaches it through
//! files: the struct's config files and the file `<PREFIX>_CONFIG_FILE` names are read again at
//! every reload, and a platform that changes variables restarts the process or calls
//! `conns.reload(sources)` itself with the sources it has.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::Watcher as _;
use tokio::sync::{broadcast, mpsc};
use tracing::{info, warn};

use super::ReloadReport;
use crate::Registry;
use crate::config::descriptor::SetDescriptor;
use crate::config::{ConfigError, Sources};

/// How a struct watches for new configuration: which sources it reloads from, how long it
/// lets a burst of file events settle, and whether SIGHUP asks for a reload.
///
/// ```
/// use std::time::Duration;
/// let watch = connfx::reload::Watch::new()
///     .debounce(Duration::from_millis(100))
///     .sighup(false);
/// ```
#[derive(Clone, Debug)]
pub struct Watch {
    sources: Option<Sources>,
    debounce: Duration,
    sighup: bool,
}

impl Default for Watch {
    fn default() -> Self {
        Watch::new()
    }
}

impl Watch {
    /// Reloads from what `load_config` reads (the attribute's files, `<PREFIX>_CONFIG_FILE`,
    /// the process environment), watching those files; a 250 ms debounce; SIGHUP on (Unix).
    ///
    /// ```
    /// let watch = connfx::reload::Watch::new();
    /// ```
    pub fn new() -> Self {
        Watch {
            sources: None,
            debounce: Duration::from_millis(250),
            sighup: true,
        }
    }

    /// Reloads from `sources` instead, watching its files.
    ///
    /// ```
    /// let watch = connfx::reload::Watch::new().sources(connfx::Sources::new().file("deploy/connections.toml"));
    /// ```
    pub fn sources(mut self, sources: Sources) -> Self {
        self.sources = Some(sources);
        self
    }

    /// How long file events must stop before a reload: an editor's save or a Kubernetes
    /// ConfigMap swap is several events, and reloading on the first could read half a file.
    ///
    /// ```
    /// let watch = connfx::reload::Watch::new().debounce(std::time::Duration::from_secs(1));
    /// ```
    pub fn debounce(mut self, quiet: Duration) -> Self {
        self.debounce = quiet;
        self
    }

    /// Whether SIGHUP asks for a reload (Unix only; on by default).
    ///
    /// ```
    /// let watch = connfx::reload::Watch::new().sighup(false);
    /// ```
    pub fn sighup(mut self, on: bool) -> Self {
        self.sighup = on;
        self
    }

    /// The sources of a reload now: those given, or what a boot reads.
    fn sources_now(&self, set: &SetDescriptor) -> Sources {
        self.sources
            .clone()
            .unwrap_or_else(|| Sources::process(set.files))
    }
}

/// What asked for a reload.
///
/// ```
/// let trigger = connfx::reload::Trigger::Signal;
/// assert_eq!(trigger.to_string(), "SIGHUP");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A watched file changed (written, replaced, removed).
    File(PathBuf),
    /// The process received SIGHUP.
    Signal,
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::File(path) => write!(f, "file {}", path.display()),
            Trigger::Signal => f.write_str("SIGHUP"),
        }
    }
}

/// One reload of a watching struct: applied, with its report, or refused, with every problem
/// (and then nothing changed).
///
/// ```
/// # async fn run(watcher: connfx::reload::Watcher) {
/// let mut events = watcher.subscribe();
/// while let Ok(event) = events.recv().await {
///     match event {
///         connfx::reload::ReloadEvent::Applied { report, .. } => println!("{} changes", report.changes().len()),
///         connfx::reload::ReloadEvent::Refused { error, .. } => eprintln!("{error}"),
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
pub enum ReloadEvent {
    /// The new configuration was applied (its report may be empty: nothing changed).
    Applied {
        /// What asked for it.
        trigger: Trigger,
        /// What changed.
        report: ReloadReport,
    },
    /// The new configuration was refused; the connections run on as they were.
    Refused {
        /// What asked for it.
        trigger: Trigger,
        /// Why.
        error: ConfigError,
    },
}

/// Why a struct could not start watching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// `watch` was called outside a tokio runtime.
    #[error("watching needs a tokio runtime: call `watch` from async code")]
    NoRuntime,
    /// The files could not be watched (the system's limit of watches, say).
    #[error("cannot watch the config files: {0}")]
    Files(#[from] notify::Error),
    /// SIGHUP could not be listened for.
    #[error("cannot listen for SIGHUP: {0}")]
    Signal(#[from] std::io::Error),
}

/// A struct watching for new configuration; it stops when dropped, when
/// [`stop`](Watcher::stop) is called, or when the struct is closed.
///
/// ```
/// # async fn run(watcher: connfx::reload::Watcher) {
/// let events = watcher.subscribe();
/// watcher.stop();
/// # }
/// ```
#[derive(Debug)]
pub struct Watcher {
    events: broadcast::Sender<ReloadEvent>,
    task: tokio::task::JoinHandle<()>,
    /// Kept for its watches: dropping it ends them.
    _files: notify::RecommendedWatcher,
    files: Vec<PathBuf>,
}

impl Watcher {
    /// Every reload from now on, as it ends.
    ///
    /// ```
    /// # fn run(watcher: &connfx::reload::Watcher) {
    /// let mut events = watcher.subscribe();
    /// # }
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<ReloadEvent> {
        self.events.subscribe()
    }

    /// The files watched (those of the sources that exist or whose folder does).
    ///
    /// ```
    /// # fn run(watcher: &connfx::reload::Watcher) {
    /// for file in watcher.files() {
    ///     println!("watching {}", file.display());
    /// }
    /// # }
    /// ```
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Stops watching; a reload under way finishes.
    ///
    /// ```
    /// # fn run(watcher: connfx::reload::Watcher) {
    /// watcher.stop();
    /// # }
    /// ```
    pub fn stop(self) {}

    /// Starts watching for the struct described by `set`, whose `reload` is `reload`. Used by
    /// generated code; not public API.
    #[doc(hidden)]
    pub fn start<F, Fut>(
        set: &'static SetDescriptor,
        registry: &Registry,
        watch: Watch,
        reload: F,
    ) -> Result<Watcher, WatchError>
    where
        F: Fn(Sources) -> Fut + Send + 'static,
        Fut: Future<Output = Result<ReloadReport, ConfigError>> + Send,
    {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| WatchError::NoRuntime)?;
        let files = watched_files(&watch.sources_now(set));
        let (changed, mut changes) = mpsc::unbounded_channel();
        let mut watcher = file_watcher(files.clone(), changed)?;
        let folders: BTreeSet<&Path> = files.iter().filter_map(|f| f.parent()).collect();
        for folder in folders {
            watcher.watch(folder, notify::RecursiveMode::NonRecursive)?;
        }
        let mut hangups = Hangups::new(watch.sighup)?;
        let (events, _) = broadcast::channel(16);
        let sender = events.clone();
        let mut closed = registry.closed_signal();
        let task = runtime.spawn(async move {
            loop {
                let trigger = tokio::select! {
                    // A closed struct stops at once, whatever else is pending.
                    biased;
                    _ = closed.wait_for(|closed| *closed) => break,
                    Some(path) = changes.recv() => Trigger::File(path),
                    () = hangups.next() => Trigger::Signal,
                    else => break,
                };
                // Let a burst of events settle, so the reload reads whole files.
                while let Ok(Some(_)) = tokio::time::timeout(watch.debounce, changes.recv()).await {}
                let event = match reload(watch.sources_now(set)).await {
                    Ok(report) => {
                        info!(set = set.name, %trigger, changes = report.changes().len(), "reload applied");
                        ReloadEvent::Applied { trigger, report }
                    }
                    Err(error) => {
                        warn!(set = set.name, %trigger, %error, "reload refused");
                        ReloadEvent::Refused { trigger, error }
                    }
                };
                // Nobody listening is fine: the log has it.
                let _ = sender.send(event);
            }
        });
        Ok(Watcher {
            events,
            task,
            _files: watcher,
            files,
        })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The files of `sources` whose folder exists, made absolute (as file events name them).
fn watched_files(sources: &Sources) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = sources
        .source_files()
        .filter_map(|file| {
            let name = file.path.file_name()?;
            let folder = match file.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(folder).ok()?.join(name))
        })
        .collect();
    files.dedup();
    files
}

/// A watcher of the folders of `files` that sends the path of each watched file that changes.
fn file_watcher(
    files: Vec<PathBuf>,
    changed: mpsc::UnboundedSender<PathBuf>,
) -> Result<notify::RecommendedWatcher, notify::Error> {
    notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        for path in event.paths.iter().filter(|p| files.contains(p)) {
            // The task has ended (stopped): nothing to tell.
            let _ = changed.send(path.clone());
        }
    })
}

/// SIGHUPs, when listened for.
struct Hangups(Option<Signal>);

impl Hangups {
    fn new(on: bool) -> std::io::Result<Self> {
        Ok(Hangups(if on { listen()? } else { None }))
    }

    /// The next SIGHUP; never, when not listening.
    async fn next(&mut self) {
        match &mut self.0 {
            Some(signal) => received(signal).await,
            None => std::future::pending().await,
        }
    }
}

#[cfg(unix)]
type Signal = tokio::signal::unix::Signal;

#[cfg(unix)]
fn listen() -> std::io::Result<Option<Signal>> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).map(Some)
}

#[cfg(unix)]
async fn received(signal: &mut Signal) {
    if signal.recv().await.is_none() {
        // The runtime is shutting down: no SIGHUP will come.
        std::future::pending::<()>().await;
    }
}

/// No SIGHUP off Unix.
#[cfg(not(unix))]
enum Signal {}

#[cfg(not(unix))]
fn listen() -> std::io::Result<Option<Signal>> {
    Ok(None)
}

#[cfg(not(unix))]
async fn received(signal: &mut Signal) {
    match *signal {}
}
