//! Reading the list headers of an upgrade request: subprotocol tokens,
//! `Connection`, cookies.

use http::{HeaderMap, HeaderName};

/// The items of a list header (`a, b` or `a; b`), trimmed and non-empty,
/// across all of its lines.
pub(crate) fn items<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    separator: char,
) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(move |h| h.split(separator))
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// The `name=value` pairs of the `Cookie` header.
pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    items(headers, &http::header::COOKIE, ';').filter_map(|pair| pair.split_once('='))
}

/// Keeps only the items of a list header that `keep` accepts; the header
/// goes when none is left.
pub(crate) fn retain(
    headers: &mut HeaderMap,
    name: &HeaderName,
    separator: char,
    keep: impl Fn(&str) -> bool,
) {
    if !headers.contains_key(name) {
        return;
    }
    let kept: Vec<&str> = items(headers, name, separator)
        .filter(|i| keep(i))
        .collect();
    let joined = kept.join(if separator == ';' { "; " } else { ", " });
    headers.remove(name);
    if !joined.is_empty()
        && let Ok(value) = joined.parse()
    {
        headers.insert(name.clone(), value);
    }
}
