//! Stub connections: requests answered in the process by a function instead of a server, with
//! every policy still applied. For unit tests of code that uses a connection, and for measuring
//! the policy stack without I/O.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::ResponseBuilderExt as _;

/// Answers each try of a stub connection.
type Respond = dyn Fn(&reqwest::Request) -> http::Response<Bytes> + Send + Sync;

/// Where a connection's tries go: the network through reqwest, or a stub's function.
#[derive(Clone, Default)]
pub(super) enum Transport {
    #[default]
    Network,
    Stub(Arc<Respond>),
}

impl Transport {
    pub(super) fn stub(
        respond: impl Fn(&reqwest::Request) -> http::Response<Bytes> + Send + Sync + 'static,
    ) -> Self {
        Transport::Stub(Arc::new(respond))
    }

    /// Sends `request`, or hands it to the stub. A stub's answer arrives at once, so no
    /// timeout of reqwest's applies to it; the policy stack's deadlines still do.
    pub(super) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        match self {
            Transport::Network => request.send().await,
            Transport::Stub(respond) => {
                let request = request.build()?;
                let (mut parts, body) = respond(&request).into_parts();
                // reqwest keeps a response's URL in a private extension only its builder
                // extension can make: take it from an empty response so `url()` is the request's.
                if let Ok(marker) = http::Response::builder().url(request.url().clone()).body(()) {
                    parts.extensions.extend(marker.into_parts().0.extensions);
                }
                Ok(reqwest::Response::from(http::Response::from_parts(parts, body)))
            }
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Network => "Network",
            Transport::Stub(_) => "Stub",
        })
    }
}
