use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "ftp://files.example")]
    api: HttpConnection,
}

fn main() {}
