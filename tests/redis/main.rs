//! The Redis connection against real servers: the shared one (`CONNFX_TEST_REDIS_URL`) for
//! commands, the derive and the registry; private `redis-server`s (own port, own temp dir) for
//! faults and TLS.

#[path = "../support/certificates.rs"]
mod certificates;
#[path = "../support/ports.rs"]
mod ports;
#[path = "../support/services.rs"]
mod services;

mod faults;
mod fleet;
mod limits;
mod reload;
mod server;
mod shared;
mod tls;
