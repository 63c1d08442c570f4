//! [`Peer`]: where a call goes, in the semantic conventions' terms (`server.address`,
//! `server.port`, `url.scheme`).

/// The server a request or database operation goes to. Borrowed from the call's URL, so
/// naming it costs nothing; the metrics copy it once, when they first see it.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Peer<'a> {
    /// `url.scheme` (`http`, `https`, `postgres`, …).
    pub(crate) scheme: &'a str,
    /// `server.address`: the host name or IP address, as the URL has it.
    pub(crate) address: &'a str,
    /// `server.port`: the URL's port, or its scheme's default.
    pub(crate) port: Option<u16>,
}

impl<'a> Peer<'a> {
    /// The server `url` names; `None` for a URL without a host (a SQLite file).
    #[cfg_attr(
        not(any(feature = "http", feature = "sql", feature = "redis")),
        allow(dead_code)
    )]
    pub(crate) fn of_url(url: &'a url::Url, default_port: Option<u16>) -> Option<Self> {
        let address = url.host_str().filter(|host| !host.is_empty())?;
        Some(Peer {
            scheme: url.scheme(),
            // IPv6 hosts come bracketed (`[::1]`); the conventions want the bare address.
            address: address.trim_start_matches('[').trim_end_matches(']'),
            port: url.port_or_known_default().or(default_port),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Peer;

    #[test]
    fn a_url_gives_its_host_and_port_and_a_file_none() {
        let url = url::Url::parse("https://user:pw@api.example.com/v1").expect("url");
        let peer = Peer::of_url(&url, None).expect("peer");
        assert_eq!(
            (peer.scheme, peer.address, peer.port),
            ("https", "api.example.com", Some(443))
        );
        let url = url::Url::parse("postgres://[::1]/db").expect("url");
        let peer = Peer::of_url(&url, Some(5432)).expect("peer");
        assert_eq!((peer.address, peer.port), ("::1", Some(5432)));
        let url = url::Url::parse("sqlite::memory:").expect("url");
        assert_eq!(Peer::of_url(&url, None), None);
    }
}
