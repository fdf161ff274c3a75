//! The `Api` interface and the `api()` function: the rpcs as a tree of
//! typed methods, `users.get` under `users`.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::types::property_name;
use super::{Typed, doc};

/// The rpcs as nested groups: `users.get` under `users`.
pub(super) enum Node {
    Rpc(usize),
    Group(Vec<(String, Node)>),
}

pub(super) fn tree(typed: &[Typed]) -> Vec<(String, Node)> {
    let names: HashSet<&str> = typed.iter().map(|t| t.rpc.name.as_str()).collect();
    let mut root: Vec<(String, Node)> = Vec::new();
    for (i, t) in typed.iter().enumerate() {
        let segments: Vec<&str> = t.rpc.name.split('.').collect();
        let nests = segments.len() > 1
            && segments.iter().all(|s| !s.is_empty())
            && (1..segments.len()).all(|n| !names.contains(segments[..n].join(".").as_str()));
        if nests {
            insert(&mut root, &segments, i);
        } else {
            root.push((t.rpc.name.clone(), Node::Rpc(i)));
        }
    }
    root
}

fn insert(level: &mut Vec<(String, Node)>, segments: &[&str], i: usize) {
    let [first, rest @ ..] = segments else {
        return;
    };
    if rest.is_empty() {
        level.push(((*first).to_owned(), Node::Rpc(i)));
        return;
    }
    let position = level
        .iter()
        .position(|(k, n)| k == first && matches!(n, Node::Group(_)));
    let index = position.unwrap_or_else(|| {
        level.push(((*first).to_owned(), Node::Group(Vec::new())));
        level.len() - 1
    });
    if let Node::Group(children) = &mut level[index].1 {
        insert(children, rest, i);
    }
}

/// Writes the tree of rpcs: a group as `key: { ... }` followed by `close`,
/// an rpc by `leaf(out, pad, key, typed rpc)`. The interface and the
/// object literal differ only in those two.
fn walk(
    out: &mut String,
    level: &[(String, Node)],
    typed: &[Typed],
    depth: usize,
    close: &str,
    leaf: &dyn Fn(&mut String, &str, &str, &Typed, usize),
) {
    let pad = "  ".repeat(depth);
    for (key, node) in level {
        let key = property_name(key);
        match node {
            Node::Group(children) => {
                let _ = writeln!(out, "{pad}{key}: {{");
                walk(out, children, typed, depth + 1, close, leaf);
                let _ = writeln!(out, "{pad}}}{close}");
            }
            Node::Rpc(i) => leaf(out, &pad, &key, &typed[*i], depth),
        }
    }
}

/// The interface of the api object: one typed signature per rpc.
pub(super) fn signatures(
    out: &mut String,
    level: &[(String, Node)],
    typed: &[Typed],
    depth: usize,
) {
    walk(out, level, typed, depth, ";", &|out, pad, key, t, depth| {
        doc(out, t.rpc.description.as_deref(), depth);
        let (req, resp) = (&t.request_alias, &t.response_alias);
        let optional = if t.request == "null" { "?" } else { "" };
        let signature = match (t.rpc.request.streams, t.rpc.response.streams) {
            (false, false) => {
                format!("(request{optional}: {req}, options?: CallOptions): Promise<{resp}>")
            }
            (false, true) => {
                format!("(request{optional}: {req}, options?: CallOptions): ServerStream<{resp}>")
            }
            (true, false) => format!("(options?: CallOptions): ClientStream<{req}, {resp}>"),
            (true, true) => format!("(options?: CallOptions): BidiStream<{req}, {resp}>"),
        };
        let _ = writeln!(out, "{pad}{key}{signature};");
    });
}

/// The object literal implementing it over the client.
pub(super) fn implementations(
    out: &mut String,
    level: &[(String, Node)],
    typed: &[Typed],
    depth: usize,
) {
    walk(out, level, typed, depth, ",", &|out, pad, key, t, _| {
        let rpc = serde_json::Value::String(t.rpc.name.clone());
        let (req, resp) = (&t.request_alias, &t.response_alias);
        let body = match (t.rpc.request.streams, t.rpc.response.streams) {
            (false, false) => {
                format!("(request, options) => client.call<{resp}>({rpc}, request, options)")
            }
            (false, true) => {
                format!("(request, options) => client.stream<{resp}>({rpc}, request, options)")
            }
            (true, false) => {
                format!("(options) => client.clientStream<{req}, {resp}>({rpc}, options)")
            }
            (true, true) => format!("(options) => client.bidi<{req}, {resp}>({rpc}, options)"),
        };
        let _ = writeln!(out, "{pad}{key}: {body},");
    });
}
