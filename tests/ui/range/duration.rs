use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(rate_limit(per = "99999999999y"), circuit_breaker(slow_call_duration = "2h"))]
    api: HttpConnection,
}

fn main() {}
