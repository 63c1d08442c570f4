use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = API_URL)]
    api: HttpConnection,
}

fn main() {}
