//! A request body as the retry loop keeps it.

use bytes::Bytes;

use crate::resilience::retry::BodyKind;

/// A request body as the retry loop keeps it: bytes can be sent again, a stream only once.
pub(super) enum Body {
    Empty,
    Bytes(Bytes),
    Stream(Option<reqwest::Body>),
}

impl Body {
    pub(super) fn new(body: Option<reqwest::Body>) -> Self {
        match body {
            None => Body::Empty,
            Some(body) => match body.as_bytes() {
                Some(bytes) => Body::Bytes(Bytes::copy_from_slice(bytes)),
                None => Body::Stream(Some(body)),
            },
        }
    }

    pub(super) fn kind(&self) -> BodyKind {
        match self {
            Body::Empty => BodyKind::Empty,
            Body::Bytes(_) => BodyKind::Replayable,
            Body::Stream(_) => BodyKind::Streaming,
        }
    }

    /// The body for the next try (a stream is handed out once).
    pub(super) fn take(&mut self) -> Option<reqwest::Body> {
        match self {
            Body::Empty => None,
            Body::Bytes(bytes) => Some(bytes.clone().into()),
            Body::Stream(stream) => stream.take(),
        }
    }
}
