use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "https://api.example")]
    api: String,
}

fn main() {}
