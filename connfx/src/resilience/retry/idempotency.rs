//! Whether a request may be sent again: the method, the body, and how far the failed attempt got.

/// The body of a request, as far as sending it again is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body.
    #[default]
    Empty,
    /// Bytes held in memory, which can be sent again.
    Replayable,
    /// A stream consumed by the first attempt: the request can never be sent again.
    Streaming,
}

/// What the retry rules need to know about a request.
///
/// ```
/// use connfx::resilience::retry::{BodyKind, RequestInfo};
/// let post = RequestInfo::new("POST").body(BodyKind::Replayable).idempotent(true);
/// assert_eq!(post.idempotent, Some(true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestInfo<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The body.
    pub body: BodyKind,
    /// The request's own say (`.idempotent(true)`), overriding the method's.
    pub idempotent: Option<bool>,
}

impl<'a> RequestInfo<'a> {
    /// A request with this method, no body, and no say of its own.
    pub const fn new(method: &'a str) -> Self {
        RequestInfo {
            method,
            body: BodyKind::Empty,
            idempotent: None,
        }
    }

    /// The same with this body.
    #[must_use]
    pub const fn body(mut self, body: BodyKind) -> Self {
        self.body = body;
        self
    }

    /// The same, declared idempotent (or not) by the caller.
    #[must_use]
    pub const fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }
}

/// Whether `method` is idempotent (RFC 9110 §9.2.2): `GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`,
/// `DELETE`. Any case is accepted.
///
/// ```
/// use connfx::resilience::retry::is_idempotent_method;
/// assert!(is_idempotent_method("GET") && is_idempotent_method("delete"));
/// assert!(!is_idempotent_method("POST") && !is_idempotent_method("PATCH"));
/// ```
pub fn is_idempotent_method(method: &str) -> bool {
    const IDEMPOTENT: [&str; 6] = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];
    IDEMPOTENT.iter().any(|m| m.eq_ignore_ascii_case(method))
}

/// Whether a request may be sent again after a failed attempt:
///
/// - a streaming body, consumed by the first attempt, never;
/// - when nothing reached the server (`reached_server` false), always;
/// - otherwise if the request says so (`idempotent`), else if the method is idempotent, else only
///   if the connection opted in (`non_idempotent`).
///
/// ```
/// use connfx::resilience::retry::{may_replay, BodyKind, RequestInfo};
/// let post = RequestInfo::new("POST").body(BodyKind::Replayable);
/// assert!(may_replay(&post, false, false), "nothing was sent");
/// assert!(!may_replay(&post, true, false), "it may have been applied");
/// assert!(may_replay(&post, true, true), "the connection opted in");
/// assert!(may_replay(&post.idempotent(true), true, false), "the request opted in");
/// assert!(!may_replay(&RequestInfo::new("GET").idempotent(false), true, true));
/// assert!(!may_replay(&RequestInfo::new("PUT").body(BodyKind::Streaming), false, true));
/// ```
pub fn may_replay(request: &RequestInfo<'_>, reached_server: bool, non_idempotent: bool) -> bool {
    if request.body == BodyKind::Streaming {
        return false;
    }
    if !reached_server {
        return true;
    }
    request
        .idempotent
        .unwrap_or_else(|| is_idempotent_method(request.method) || non_idempotent)
}
