use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "https://a.example", url = "https://b.example")]
    api: HttpConnection,
}

fn main() {}
