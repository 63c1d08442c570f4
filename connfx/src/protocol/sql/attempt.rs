//! One SQL try, for the policy stack (`crate::resilience::stack`, where the order of the
//! policies and its reasons are written down): the caller's closure run once on the typed pool,
//! bounded by the stack's [`Bound`], and what its failure means ([`cause`]).

use std::future::Future;
use std::sync::Mutex;

use super::SqlDatabase;
use super::cause::{self, Kind};
use crate::resilience::stack::{Attempt, Bound, Failure, PolicyConfig};

/// What `retry_on` means for SQL when it is left at its default: refusals, timeouts and broken
/// connections. Statuses mean nothing to a database; `transport` is what lets
/// [`SqlConnection::run_idempotent`] try again after a connection broke under it, as documented
/// (whether a try may be repeated is still the idempotency rules' call: a plain `run` is not).
const SQL_RETRY_ON: &str = "connect,timeout,transport";

impl super::SqlConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> PolicyConfig<'_> {
        crate::resilience::stack::policy_config!(self, per_host: None, retry_on_default: Some(SQL_RETRY_ON))
    }
}

/// What one try needs; shared by every try of a call.
pub(super) struct SqlAttempt<'a, DB: SqlDatabase, F> {
    /// The connection's name and where its database is, for errors.
    pub(super) connection: &'a str,
    pub(super) target: &'a str,
    pub(super) pool: sqlx::Pool<DB>,
    /// The caller's closure; a try calls it once (the lock is never contended: tries follow
    /// one another).
    pub(super) op: Mutex<F>,
}

impl<DB, F, Fut, T> Attempt for SqlAttempt<'_, DB, F>
where
    DB: SqlDatabase,
    F: FnMut(sqlx::Pool<DB>) -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    type Output = T;

    fn connection(&self) -> &str {
        self.connection
    }

    async fn once(&self, bound: &Bound) -> Result<T, Failure> {
        let name = self.connection;
        let op = match self.op.lock() {
            Ok(mut op) => op(self.pool.clone()),
            Err(poisoned) => (poisoned.into_inner())(self.pool.clone()),
        };
        match bound.run(op).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                let kind: Kind = cause::kind(&error);
                let error = cause::call_error(name, error, self.target);
                Err(Failure::new(error, kind.outcome()))
            }
            Err(_) => Err(bound.timed_out(name)),
        }
    }
}
