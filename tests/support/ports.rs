//! Ports on 127.0.0.1 that nothing listens on, for tests that need a refused connection or a
//! port to start a server on later.
//!
//! A port bound to `:0` and released is not reserved: the kernel may hand it to the next server
//! another test starts in parallel, which then answers calls this test expects refused (CI saw a
//! WebSocket send "past its timeout" succeed against another test's echo server). These ports
//! come from below the kernel's ephemeral range (32768–60999 on Linux, 49152–65535 on macOS),
//! which `bind(":0")` never hands out, and no port is handed out twice in one process.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};

/// The first port of the range, and how many ports it holds.
const FIRST: u16 = 20_000;
const COUNT: u16 = 12_000;

static NEXT: AtomicU16 = AtomicU16::new(0);

/// A port on 127.0.0.1 that nothing listened on when asked and that no other test in this
/// process gets. Each test binary starts at its own offset so binaries run at once rarely meet.
pub fn closed_port() -> u16 {
    let offset = std::process::id();
    for _ in 0..COUNT {
        let n = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let step = u16::try_from((offset + n) % u32::from(COUNT)).expect("below COUNT");
        let port = FIRST + step;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 127.0.0.1:{FIRST}..{}", FIRST + COUNT);
}
