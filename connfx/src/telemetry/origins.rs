//! The servers a connection's calls have gone to, each numbered once, so a bound series can be
//! keyed by a small number instead of the server's name.

use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{SERVER_ADDRESS, SERVER_PORT, URL_SCHEME};

use super::peer::Peer;
use super::slots::Slots;

/// How many servers a connection numbers. An HTTP or database connection has one (its base URL);
/// a `per_host` HTTP connection may reach more, and calls to servers past this many are
/// recorded unbound, which keeps the state each connection holds bounded.
const ORIGINS: usize = 8;

/// One numbered server.
pub(super) struct Origin {
    pub(super) index: u8,
    scheme: Box<str>,
    address: Box<str>,
    port: Option<u16>,
}

impl Origin {
    fn is(&self, peer: &Peer<'_>) -> bool {
        *self.address == *peer.address && self.port == peer.port && *self.scheme == *peer.scheme
    }
}

/// A connection's numbered servers.
pub(super) struct Origins {
    slots: Slots<Origin, ORIGINS>,
}

impl Origins {
    pub(super) fn new() -> Self {
        Origins { slots: Slots::new() }
    }

    /// The number of `peer`, given on first sight; `None` once the table is full. Slots fill in
    /// order, so the common case, one server, is found at the first compare.
    pub(super) fn find(&self, peer: &Peer<'_>) -> Option<&Origin> {
        let mut next = 0;
        for origin in self.slots.iter() {
            if origin.is(peer) {
                return Some(origin);
            }
            next += 1;
        }
        // Probing from the first free slot: another thread may have filled it meanwhile.
        self.slots.find(
            next,
            |origin| origin.is(peer),
            |position| Origin {
                // Fewer than 256 slots: the position fits.
                index: u8::try_from(position).unwrap_or(u8::MAX),
                scheme: peer.scheme.into(),
                address: peer.address.into(),
                port: peer.port,
            },
        )
    }
}

/// `server.address`, `server.port` (when known) and, if `scheme`, `url.scheme` of `peer`.
pub(super) fn attributes(peer: &Peer<'_>, scheme: bool, into: &mut Vec<KeyValue>) {
    into.push(KeyValue::new(SERVER_ADDRESS, peer.address.to_owned()));
    if let Some(port) = peer.port {
        into.push(KeyValue::new(SERVER_PORT, i64::from(port)));
    }
    if scheme {
        into.push(KeyValue::new(URL_SCHEME, peer.scheme.to_owned()));
    }
}

impl Origin {
    /// The server as a [`Peer`], to build attributes from.
    pub(super) fn peer(&self) -> Peer<'_> {
        Peer {
            scheme: &self.scheme,
            address: &self.address,
            port: self.port,
        }
    }
}
