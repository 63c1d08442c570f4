//! What a candidate configuration would change, without applying it: the CLI's `plan`, and
//! the check a deploy hook makes before it asks a running service to reload.

use serde::Serialize;

use super::Change;
use super::diff::changes;
use crate::config::descriptor::ConnectionSet;
use crate::config::load::load_normalized;
use crate::config::{ConfigError, ConfigIssue, Sources};

/// The changes from one configuration to another, and those a reload would refuse.
///
/// ```
/// # fn run(plan: connfx::reload::Plan) {
/// if plan.is_applicable() {
///     println!("{} changes, none needs a restart", plan.changes().len());
/// }
/// # }
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    changes: Vec<Change>,
    refused: Vec<ConfigIssue>,
}

impl Plan {
    /// Every change a reload would apply, with how.
    ///
    /// ```
    /// # fn run(plan: connfx::reload::Plan) {
    /// for change in plan.changes() {
    ///     println!("{change}");
    /// }
    /// # }
    /// ```
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The changes that need a restart, each as a problem naming its key and source; a reload
    /// that holds one is refused whole.
    ///
    /// ```
    /// # fn run(plan: connfx::reload::Plan) {
    /// for issue in plan.refused() {
    ///     eprintln!("needs a restart: {issue}");
    /// }
    /// # }
    /// ```
    pub fn refused(&self) -> &[ConfigIssue] {
        &self.refused
    }

    /// Whether a reload would apply every change (none needs a restart).
    ///
    /// ```
    /// # fn run(plan: connfx::reload::Plan) {
    /// assert_eq!(plan.is_applicable(), plan.refused().is_empty());
    /// # }
    /// ```
    pub fn is_applicable(&self) -> bool {
        self.refused.is_empty()
    }
}

/// Loads `running` and `candidate` as a boot would and compares them as `conns.reload` does,
/// without connecting anything.
///
/// ```
/// use connfx::prelude::*;
///
/// #[derive(Connections)]
/// #[connections(env_prefix = "SHOP")]
/// struct Conns {
///     #[connection(url = "http://127.0.0.1:8080", retry(max_attempts = 3))]
///     api: HttpConnection,
/// }
///
/// let running = connfx::Sources::new();
/// let candidate = connfx::Sources::new().env_map([("SHOP_API_RETRY_MAX_ATTEMPTS", "5")]);
/// let plan = connfx::reload::plan::<Conns>(running, candidate).unwrap();
/// assert_eq!(plan.changes()[0].to_string(), "api.retry.max_attempts: 3 -> 5 (live)");
/// assert!(plan.is_applicable());
/// ```
///
/// # Errors
/// The problems of `running`, or else of `candidate`, as a boot reports them.
pub fn plan<S: ConnectionSet>(running: Sources, candidate: Sources) -> Result<Plan, ConfigError> {
    let (_, running, _) = load_normalized::<S>(running)?;
    let (_, candidate, layers) = load_normalized::<S>(candidate)?;
    let planned = changes(S::descriptor(), &running, &candidate, &layers);
    Ok(Plan {
        changes: planned.changes.into_iter().map(|(_, change)| change).collect(),
        refused: planned.refused,
    })
}
