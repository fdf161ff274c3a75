//! The playground's files, embedded in the binary (`server/playground/`).
//!
//! `vendor/` holds the browser build of the TypeScript client (npm
//! `swill-client`, `client-wasm/`): copied there by
//! `scripts/vendor-playground.sh`, and checked against a fresh build by the
//! test command, so the embedded copy never lags behind the client.

use crate::static_files::StaticFiles;

macro_rules! asset {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/playground/", $path)),
        )
    };
}

/// Every file of the page, by its path under the playground's prefix.
const FILES: [(&str, &[u8]); 6] = [
    asset!("index.html"),
    asset!("playground.css"),
    asset!("playground.js"),
    asset!("schema.js"),
    asset!("vendor/swill_wasm.js"),
    asset!("vendor/swill_wasm_bg.wasm"),
];

/// The playground's files; the app adds `config.json` (its title, its
/// WebSocket path, where its AsyncAPI document is).
pub(crate) fn files() -> StaticFiles {
    FILES
        .iter()
        .fold(StaticFiles::new(), |files, (path, body)| {
            files.file(path, *body)
        })
}
