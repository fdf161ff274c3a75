//! Registering what the app serves over plain HTTP.

use super::App;
use crate::static_files::StaticFiles;

/// What the app serves beside its WebSocket endpoint.
impl<S> App<S> {
    /// Serves `files` under `prefix` over plain HTTP: with the prefix
    /// `/static`, `GET /static/app.js` answers the file `app.js`, and
    /// `/static/` its `index.html`. The WebSocket path stays the WebSocket
    /// endpoint; when several mounts match, the longest prefix is tried
    /// first, and a file it lacks falls through to the next.
    ///
    /// ```
    /// use swill::{App, StaticFiles};
    ///
    /// let app = App::new().serve_static(
    ///     "/docs",
    ///     StaticFiles::new().file("index.html", &b"<h1>Docs</h1>"[..]),
    /// );
    /// ```
    pub fn serve_static(mut self, prefix: &str, files: StaticFiles) -> Self {
        self.site.mount(prefix, files);
        self
    }

    /// Serves the AsyncAPI 3.0 document of the app's rpcs at `path` (e.g.
    /// `/asyncapi.json`), built from the same descriptions as
    /// `swill.introspect` (see [`swill_proto::AsyncApi`] for the mapping).
    /// Its server is the host the request was sent to.
    pub fn asyncapi(mut self, path: &str) -> Self {
        self.site.set_asyncapi(path);
        self
    }

    /// Serves the playground under `prefix` (e.g. `/` or `/playground`): a
    /// page that lists every rpc with its description and schemas, calls
    /// them with JSON it fills with an example, and shows answers, streamed
    /// items, metadata and errors as they arrive. Everything it needs is
    /// embedded in the binary, the TypeScript client included; it needs
    /// `swill.introspect` (on by default).
    pub fn playground(mut self, prefix: &str) -> Self {
        self.site.set_playground(prefix);
        self
    }

    /// The API's title, shown by the playground and in the AsyncAPI
    /// document (default "swill API").
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.site.set_title(title.into());
        self
    }

    /// The API's version in the AsyncAPI document (default "0.1.0").
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.site.set_version(version.into());
        self
    }
}
