use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(protocol = "htp", url = "https://api.example")]
    api: HttpConnection,
}

fn main() {}
