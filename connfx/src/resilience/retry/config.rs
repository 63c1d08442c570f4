//! `retry(...)`: its config struct (declared once in `connfx-spec`, see `config::group`) and the
//! `backoff` choice.

use std::time::Duration;

use super::RetryOn;
use crate::config::group::Problem;
use crate::resilience::Scope;

connfx_spec::retry_group!(crate::config::group::config_group);

crate::config::group::choice! {
    /// `backoff = "exponential" | "linear" | "constant"`: how the delay between tries grows.
    ///
    /// ```
    /// let kind: connfx::resilience::retry::BackoffKind = serde_json::from_str("\"linear\"").unwrap();
    /// assert_eq!(kind, connfx::resilience::retry::BackoffKind::Linear);
    /// ```
    pub enum BackoffKind {
        /// `initial_interval · multiplier^(n-1)`.
        #[default]
        Exponential = "exponential",
        /// `initial_interval · n`.
        Linear = "linear",
        /// `initial_interval` every time.
        Constant = "constant",
    }
}

/// A fleet budget names its store (see [`Scope::check`]) and has a budget to share.
fn check_retry(c: &RetryConfig) -> Result<(), Problem> {
    Scope::check(
        c.budget_scope,
        c.budget_store.as_deref(),
        ("budget_scope", "budget_store"),
    )?;
    if c.budget_scope == Scope::Fleet && c.budget.is_none() {
        return Err(Problem::at(
            "budget_scope",
            "`budget_scope = \"fleet\"` shares the retry budget, and `budget` is unset",
        ));
    }
    Ok(())
}
