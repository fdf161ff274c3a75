//! `swill asyncapi`: the AsyncAPI 3.0 document of a running server's API,
//! built from its introspection (the same document a server serves with
//! `App::asyncapi`).

use swill_client::RpcDescription;
use swill_client::proto::{AsyncApi, TopicDescription};

/// The document for `rpcs` and `topics`, served at `url`.
pub(crate) fn document(
    rpcs: &[RpcDescription],
    topics: &[TopicDescription],
    url: &str,
    title: &str,
    version: &str,
) -> serde_json::Value {
    let (secure, host, path) = parts(url);
    AsyncApi::new(rpcs)
        .topics(topics)
        .title(title)
        .version(version)
        .host(host)
        .path(path)
        .secure(secure)
        .document()
}

/// Whether the URL is `wss`, its authority and its path, with the client's
/// defaults: `ws://` without a scheme, `/ws` without a path.
fn parts(url: &str) -> (bool, &str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("ws", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    let path = tail.split(['?', '#']).next().filter(|p| !p.is_empty());
    (
        scheme.eq_ignore_ascii_case("wss"),
        host,
        path.unwrap_or("/ws"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_path_and_security() {
        assert_eq!(parts("127.0.0.1:8000"), (false, "127.0.0.1:8000", "/ws"));
        assert_eq!(
            parts("wss://api.example.com/rpc?x=1"),
            (true, "api.example.com", "/rpc")
        );
        assert_eq!(parts("ws://h:1/"), (false, "h:1", "/"));
    }
}
