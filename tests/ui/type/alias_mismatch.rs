use connfx::prelude::*;

/// An alias hides the type's name, so the derive asserts its protocol instead.
type Api = HttpConnection;

#[derive(Connections)]
struct Conns {
    #[connection(protocol = "sql")]
    api: Api,
}

fn main() {}
