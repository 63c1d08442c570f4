//! `scope = "local" | "fleet"`: whose calls a policy counts. One choice and one check for every
//! policy that can be kept across a fleet (`rate_limit(scope)`, `retry(budget_scope)`).

use crate::config::group::Problem;

crate::config::group::choice! {
    /// Whose calls a policy counts: `local` (this instance's, counted here) or `fleet` (every
    /// instance's that names the same store, counted in Redis; feature `redis`).
    ///
    /// ```
    /// assert_eq!(connfx::resilience::Scope::default(), connfx::resilience::Scope::Local);
    /// ```
    pub enum Scope {
        /// This instance's calls, counted here.
        #[default]
        Local = "local",
        /// The calls of every instance sharing the store, counted in Redis.
        Fleet = "fleet",
    }
}

impl Scope {
    /// A fleet scope needs a store (and the `redis` feature); a store means nothing without it.
    /// `keys` names the group's scope and store keys, for the problem.
    pub(crate) fn check(scope: Scope, store: Option<&str>, keys: (&str, &str)) -> Result<(), Problem> {
        let (scope_key, store_key) = keys;
        match (scope, store) {
            (Scope::Fleet, None) => Err(Problem::at(
                scope_key,
                connfx_spec::message::fleet_needs_store(scope_key, store_key),
            )),
            (Scope::Local, Some(_)) => Err(Problem::at(
                store_key,
                connfx_spec::message::store_needs_fleet(scope_key, store_key),
            )),
            (Scope::Fleet, Some(_)) if !cfg!(feature = "redis") => Err(Problem::at(
                scope_key,
                format!("`{scope_key} = \"fleet\"` is kept in Redis: build connfx with its `redis` feature"),
            )),
            _ => Ok(()),
        }
    }
}
