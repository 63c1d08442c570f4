//! A type-erased live connection, so one registry holds every protocol.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::telemetry::Telemetry;
use crate::{Connection, Health};

/// One live connection of any type.
#[derive(Clone)]
pub(crate) struct Entry(Arc<dyn Erased>);

trait Erased: Send + Sync {
    fn protocol(&self) -> &'static str;
    fn health(&self) -> BoxFuture<'_, Health>;
    fn close(&self) -> BoxFuture<'_, ()>;
    fn health_timeout(&self) -> Duration;
    fn telemetry(&self) -> Option<&Telemetry>;
    fn critical(&self) -> bool;
    #[cfg(feature = "redis")]
    fn fleet_rate_limit(&self) -> Option<crate::RateLimit>;
    #[cfg(feature = "redis")]
    fn fleet_budget(&self) -> Option<Arc<crate::RetryBudget>>;
    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Connection> Erased for T {
    fn protocol(&self) -> &'static str {
        T::PROTOCOL
    }
    fn health(&self) -> BoxFuture<'_, Health> {
        Box::pin(Connection::health(self))
    }
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(Connection::close(self))
    }
    fn health_timeout(&self) -> Duration {
        Connection::health_timeout(self)
    }
    fn telemetry(&self) -> Option<&Telemetry> {
        Connection::telemetry(self)
    }
    fn critical(&self) -> bool {
        Connection::critical(self)
    }
    #[cfg(feature = "redis")]
    fn fleet_rate_limit(&self) -> Option<crate::RateLimit> {
        Connection::fleet_rate_limit(self)
    }
    #[cfg(feature = "redis")]
    fn fleet_budget(&self) -> Option<Arc<crate::RetryBudget>> {
        Connection::fleet_budget(self)
    }
    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        Connection::fleet_breaker(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Entry {
    pub(crate) fn new<T: Connection>(connection: T) -> Self {
        // A clone, whose `RegistrySlot` is empty: a registry never holds a handle that holds a
        // registry, so a struct's field moved in here cannot make a reference cycle.
        Entry(Arc::new(connection.clone()))
    }

    pub(crate) fn downcast<T: Connection>(&self) -> Option<T> {
        self.0.as_any().downcast_ref::<T>().cloned()
    }

    pub(crate) fn protocol(&self) -> &'static str {
        self.0.protocol()
    }

    pub(crate) fn health(&self) -> BoxFuture<'_, Health> {
        self.0.health()
    }

    pub(crate) fn close(&self) -> BoxFuture<'_, ()> {
        self.0.close()
    }

    pub(crate) fn health_timeout(&self) -> Duration {
        self.0.health_timeout()
    }

    pub(crate) fn telemetry(&self) -> Option<&Telemetry> {
        self.0.telemetry()
    }

    pub(crate) fn critical(&self) -> bool {
        self.0.critical()
    }

    #[cfg(feature = "redis")]
    pub(crate) fn fleet_rate_limit(&self) -> Option<crate::RateLimit> {
        self.0.fleet_rate_limit()
    }

    #[cfg(feature = "redis")]
    pub(crate) fn fleet_budget(&self) -> Option<Arc<crate::RetryBudget>> {
        self.0.fleet_budget()
    }

    #[cfg(feature = "redis")]
    pub(crate) fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        self.0.fleet_breaker()
    }
}
