//! One Redis try, for the policy stack (`crate::resilience::stack`): the command sent on one of
//! the connection's managers, bounded by the stack's [`Bound`], and what its failure means
//! ([`failure`]).

use redis::Value;

use super::call::Request;
use super::failure;
use super::managers::Slot;
use super::{Inner, RedisConnection};
use crate::resilience::Outcome;
use crate::resilience::stack::{Attempt, Bound, Failure};

/// What one try needs; shared by every try of a call.
pub(super) struct RedisAttempt<'a> {
    pub(super) connection: &'a RedisConnection,
    /// The call's generation: its connections and settings, for every try.
    pub(super) live: &'a Inner,
    pub(super) request: Request<'a>,
}

impl Attempt for RedisAttempt<'_> {
    type Output = Value;

    fn connection(&self) -> &str {
        self.connection.name()
    }

    async fn once(&self, bound: &Bound) -> Result<Value, Failure> {
        let connection = self.connection;
        let live = self.live;
        let Some((slot, mut manager)) = live.managers.pick() else {
            return Err(Failure::new(connection.closed_error(), Outcome::Other));
        };
        match bound.run(self.request.send(&mut manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(connection.failure(live, &e, slot)),
            Err(_) => {
                connection.unanswered(live, slot);
                Err(bound.timed_out(connection.name()))
            }
        }
    }
}

impl RedisConnection {
    /// A try got no answer within its bound. The manager at `slot` is renewed: a connection
    /// that left a command unanswered may be dead without knowing it (a half-open TCP
    /// connection, its peer or a middlebox gone), and a multiplexed connection that is never
    /// replaced would hang every later command until TCP gives up, minutes later. Commands in
    /// flight on the old connection keep it until they end.
    fn unanswered(&self, live: &Inner, slot: Slot) {
        tracing::debug!(
            connection = self.name(),
            "redis command unanswered in time; the next call connects afresh"
        );
        live.managers.renew(slot);
    }

    /// The meaning of `err`, met by the manager of `slot`; renews that manager when it would
    /// keep the failure.
    pub(super) fn failure(&self, live: &Inner, err: &redis::RedisError, slot: Slot) -> Failure {
        let classified = failure::classify(self.name(), err, super::client::connect_timeout(&live.config));
        if classified.renew {
            let error = &classified.failure.error;
            tracing::debug!(connection = self.name(), %error, "redis connection failed; the next call connects afresh");
            live.managers.renew(slot);
        }
        classified.failure
    }
}
