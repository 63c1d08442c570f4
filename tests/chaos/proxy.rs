//! A fault-injecting TCP proxy on 127.0.0.1: it forwards to one upstream and can be switched at
//! runtime to misbehave the way networks and servers do.
//!
//! | fault | new connections | connections already open |
//! |---|---|---|
//! | `Healthy` | forwarded | forwarded (a silenced one stays silent) |
//! | `Latency(d)` | forwarded, each chunk held `d` first | the same |
//! | `Reset` | accepted, then reset (RST: `SO_LINGER` 0, close) | reset |
//! | `HalfOpen` | accepted and read, never answered, kept open | silenced |
//! | `Blackhole` | never accepted: the accept queue is kept full, so the kernel drops the SYN and the client's connect times out | silenced |
//! | `CloseAfter(n)` | forwarded until `n` bytes of answer went back, then closed (FIN) before the next | the same, counted from the switch |
//! | `ResetAfter(n)` | as `CloseAfter`, but reset (RST) | the same |
//! | `BreakOpenAfter(n)` | forwarded | closed (FIN) once `n` bytes of answer went back |
//!
//! A silenced connection never speaks again, even once the proxy is healthy: its state was lost
//! in the fault, as when a NAT or firewall forgets a flow or a peer reboots. Whoever holds it
//! must notice by a timeout. With `CloseAfter(0)` / `ResetAfter(0)` the request reaches the
//! server and the connection breaks as the answer starts: the case where a client cannot know
//! whether its write was applied. `BreakOpenAfter(0)` does it once, to the connections open at
//! the switch: a client that tries again on a new connection gets through.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the proxy behaves; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Healthy,
    Latency(Duration),
    Reset,
    HalfOpen,
    Blackhole,
    CloseAfter(usize),
    ResetAfter(usize),
    BreakOpenAfter(usize),
}

/// Pending connections the listener holds before the kernel drops SYNs (Linux keeps
/// `backlog + 1`). Small, so a blackhole fills it with a few sockets of its own.
const BACKLOG: u32 = 4;

/// A running proxy; stops (and drops every connection) when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    fault: watch::Sender<Fault>,
    /// Local addresses of the sockets that fill the accept queue during a blackhole.
    fillers: Arc<Mutex<Fillers>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Fillers {
    open: Vec<TcpStream>,
    ports: HashSet<u16>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let listener = socket.listen(BACKLOG).expect("listen");
        let addr = listener.local_addr().expect("local addr");
        let (fault, watching) = watch::channel(Fault::Healthy);
        let fillers = Arc::new(Mutex::new(Fillers::default()));
        let accept = tokio::spawn(accept_loop(listener, upstream, watching, fillers.clone()));
        FaultProxy {
            addr,
            fault,
            fillers,
            accept,
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches to `fault`, for new connections and open ones.
    pub async fn set(&self, fault: Fault) {
        let before = self.fault.send_replace(fault);
        if fault == Fault::Blackhole && before != Fault::Blackhole {
            self.fill_accept_queue().await;
        }
        if fault != Fault::Blackhole && before == Fault::Blackhole {
            self.drain_accept_queue().await;
        }
    }

    /// Opens connections the accept loop will not take until the queue is full, so the kernel
    /// drops every further SYN (a client sees a connect timeout, not a refusal).
    async fn fill_accept_queue(&self) {
        // Give the accept loop time to see the switch and stop accepting.
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..=BACKLOG {
            let connect = TcpStream::connect(self.addr);
            let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_millis(200), connect).await else {
                break; // the queue is full already
            };
            let mut fillers = lock(&self.fillers);
            if let Ok(local) = stream.local_addr() {
                fillers.ports.insert(local.port());
            }
            fillers.open.push(stream);
        }
    }
}

impl FaultProxy {
    /// Closes the blackhole's own sockets and waits (at most 1 s) until the accept loop has
    /// taken them off the queue: until then the kernel would still drop a client's SYN, and
    /// the client would see the fault outlast the switch by a SYN retransmission (1 s).
    async fn drain_accept_queue(&self) {
        lock(&self.fillers).open.clear();
        for _ in 0..200 {
            if lock(&self.fillers).ports.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Accepts while not blackholed; every connection gets a task of its own, ended with the loop.
async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mut fault: watch::Receiver<Fault>,
    fillers: Arc<Mutex<Fillers>>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        if *fault.borrow_and_update() == Fault::Blackhole {
            if fault.changed().await.is_err() {
                return;
            }
            continue;
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            changed = fault.changed() => match changed {
                Ok(()) => continue,
                Err(_) => return,
            },
        };
        let Ok((client, peer)) = accepted else { continue };
        if lock(&fillers).ports.remove(&peer.port()) {
            continue; // one of the blackhole's own sockets
        }
        let _ = client.set_nodelay(true);
        connections.spawn(connection(client, upstream, fault.clone()));
        while connections.try_join_next().is_some() {}
    }
}

/// One client connection, from accept to close.
async fn connection(client: TcpStream, upstream: SocketAddr, mut fault: watch::Receiver<Fault>) {
    let now = *fault.borrow_and_update();
    match now {
        Fault::Reset => return reset(client),
        Fault::HalfOpen | Fault::Blackhole => return silent(client).await,
        _ => {}
    }
    // Breaking open connections is not news to a new one.
    let now = match now {
        Fault::BreakOpenAfter(_) => Fault::Healthy,
        now => now,
    };
    let Ok(server) = TcpStream::connect(upstream).await else {
        return reset(client);
    };
    let _ = server.set_nodelay(true);
    Pump::new(now).run(client, server, fault).await;
}

/// Sends RST: linger 0, then close.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Reads and drops whatever comes, never answers, until the client goes away.
async fn silent(mut stream: TcpStream) {
    let mut sink = [0_u8; 4096];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// Forwarding state of one connection.
struct Pump {
    latency: Duration,
    /// Answer bytes left before the connection breaks, and whether it breaks by RST.
    budget: Option<(usize, bool)>,
}

enum Next {
    Go,
    Silence,
    Reset,
}

impl Pump {
    fn new(fault: Fault) -> Pump {
        let mut pump = Pump {
            latency: Duration::ZERO,
            budget: None,
        };
        pump.switch(fault);
        pump
    }

    fn switch(&mut self, fault: Fault) -> Next {
        self.latency = Duration::ZERO;
        self.budget = None;
        match fault {
            Fault::Healthy => Next::Go,
            Fault::Latency(d) => {
                self.latency = d;
                Next::Go
            }
            Fault::CloseAfter(n) | Fault::BreakOpenAfter(n) => {
                self.budget = Some((n, false));
                Next::Go
            }
            Fault::ResetAfter(n) => {
                self.budget = Some((n, true));
                Next::Go
            }
            Fault::Reset => Next::Reset,
            Fault::HalfOpen | Fault::Blackhole => Next::Silence,
        }
    }

    async fn run(mut self, mut client: TcpStream, mut server: TcpStream, mut fault: watch::Receiver<Fault>) {
        let mut up = vec![0_u8; 16 * 1024];
        let mut down = vec![0_u8; 16 * 1024];
        loop {
            tokio::select! {
                changed = fault.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = *fault.borrow_and_update();
                    match self.switch(now) {
                        Next::Go => {}
                        Next::Reset => return reset(client),
                        Next::Silence => {
                            drop(server);
                            return silent(client).await;
                        }
                    }
                }
                read = client.read(&mut up) => {
                    let Ok(n @ 1..) = read else { return };
                    tokio::time::sleep(self.latency).await;
                    if server.write_all(&up[..n]).await.is_err() {
                        return;
                    }
                }
                read = server.read(&mut down) => {
                    let Ok(n @ 1..) = read else { return };
                    if let Some((left, rst)) = self.budget {
                        if n > left {
                            let _ = client.write_all(&down[..left]).await;
                            return if rst { reset(client) } else { drop(client) };
                        }
                        self.budget = Some((left - n, rst));
                    }
                    tokio::time::sleep(self.latency).await;
                    if client.write_all(&down[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
