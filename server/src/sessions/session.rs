//! [`Session`]: one request's view of its session.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use swill_proto::{Code, Payload};

use super::binding::Binding;
use super::store::{Changes, StoreError, Values};
use crate::error::Error;

/// The session of the connection a request came on: typed values by key.
///
/// Reading loads the session from its store once per request (so a
/// request sees what earlier requests saved, on any node); writing is kept
/// until the request ends, or until [`save`](Session::save). Cheap to clone.
#[derive(Clone)]
pub struct Session(Arc<Inner>);

struct Inner {
    binding: Arc<Binding>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The values, as loaded and then changed by this request.
    values: Option<Values>,
    /// This request's changes not saved yet.
    changes: Changes,
}

impl Session {
    pub(crate) fn new(binding: Arc<Binding>) -> Session {
        Session(Arc::new(Inner {
            binding,
            state: Mutex::default(),
        }))
    }

    /// The value under `key`, if any. Fails with 400 when it does not fit
    /// `T`, and 503 when the store is unreachable.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        self.load().await?;
        let value = self
            .state()
            .values
            .as_ref()
            .and_then(|v| v.get(key).cloned());
        value
            .map(|v| {
                v.decode().map_err(|e| {
                    Error::bad_request(format!("the session's `{key}` does not fit: {e}"))
                })
            })
            .transpose()
    }

    /// Sets `key` to `value`, saved when the request ends.
    pub fn insert<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), Error> {
        let value = crate::reply::encode(value)?;
        self.change(key, Some(value));
        Ok(())
    }

    /// Removes `key`, saved when the request ends.
    pub fn remove(&self, key: &str) {
        self.change(key, None);
    }

    /// Saves this request's changes now, rather than when it ends.
    pub async fn save(&self) -> Result<(), Error> {
        // A session this connection knew may have been destroyed (or have
        // expired) elsewhere: loading finds out, and moves to a new id,
        // rather than bringing the old one back with only these changes.
        let unread = self.state().values.is_none();
        if unread && !self.state().changes.is_empty() && self.0.binding.state().known {
            self.load().await?;
        }
        let (id, changes) = {
            let mut state = self.state();
            if state.changes.is_empty() {
                return Ok(());
            }
            (
                self.0.binding.state().id.clone(),
                std::mem::take(&mut state.changes),
            )
        };
        self.0
            .binding
            .store
            .apply(&id, changes)
            .await
            .map_err(unavailable)?;
        self.0.binding.state().known = true;
        Ok(())
    }

    /// Gives the session a new id, keeping its values: call it when the
    /// client signs in, so that an id planted before (session fixation) is
    /// worth nothing. Connections still holding the old id find an empty
    /// session.
    pub async fn regenerate(&self) -> Result<(), Error> {
        self.load().await?;
        let (old, known, values) = {
            let mut state = self.state();
            let values = state.values.clone().unwrap_or_default();
            state.changes.clear();
            let mut bound = self.0.binding.state();
            let known = bound.known;
            (bound.renew(), known, values)
        };
        let new = self.0.binding.id();
        let copy = values
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect::<Changes>();
        let store = &self.0.binding.store;
        if !copy.is_empty() {
            store.apply(&new, copy).await.map_err(unavailable)?;
            self.0.binding.state().known = true;
        }
        if known {
            store.delete(&old).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Deletes the session everywhere (sign-out): every connection holding
    /// its id finds an empty session; this one continues with a new one.
    pub async fn destroy(&self) -> Result<(), Error> {
        let old = {
            let mut state = self.state();
            state.values = Some(Values::new());
            state.changes.clear();
            self.0.binding.state().renew()
        };
        self.0.binding.store.delete(&old).await.map_err(unavailable)
    }

    /// Saves what is left, as the request ends; returns the id when the
    /// client has not been told it yet (it changed during this request, or
    /// during an earlier one on this connection that failed).
    pub(crate) async fn finish(&self) -> Result<Option<String>, Error> {
        self.save().await?;
        Ok(self.0.binding.take_untold())
    }

    /// [`Session::finish`] at once when there is nothing to save (the
    /// common case: a request that did not change the session); `None`
    /// when there is, for the caller to await `finish`. Checked and taken
    /// under one lock, so a change made meanwhile by a task the handler
    /// spawned is either seen here or left for a later save, as with
    /// `finish`.
    pub(crate) fn finish_now(&self) -> Option<Option<String>> {
        let state = self.state();
        if !state.changes.is_empty() {
            return None;
        }
        Some(self.0.binding.take_untold())
    }

    /// Loads the values once per request. A session that was known and is
    /// gone (destroyed or expired elsewhere) continues under a new id.
    async fn load(&self) -> Result<(), Error> {
        if self.state().values.is_some() {
            return Ok(());
        }
        let id = self.0.binding.state().id.clone();
        let loaded = self.0.binding.store.load(&id).await.map_err(unavailable)?;
        let mut state = self.state();
        if state.values.is_some() {
            return Ok(());
        }
        let mut values = match loaded {
            Some(values) => {
                self.0.binding.state().known = true;
                values
            }
            None => {
                let mut bound = self.0.binding.state();
                if bound.known && bound.id == id {
                    bound.renew();
                }
                Values::new()
            }
        };
        for (key, value) in &state.changes {
            match value {
                Some(value) => values.insert(key.clone(), value.clone()),
                None => values.remove(key),
            };
        }
        state.values = Some(values);
        Ok(())
    }

    fn change(&self, key: &str, value: Option<Payload>) {
        let mut state = self.state();
        if let Some(values) = state.values.as_mut() {
            match &value {
                Some(value) => values.insert(key.to_owned(), value.clone()),
                None => values.remove(key),
            };
        }
        state.changes.push((key.to_owned(), value));
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for Session {
    // Never the id: it is a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

fn unavailable(e: StoreError) -> Error {
    tracing::warn!(error = %e, "the session store failed");
    Error::new(Code::UNAVAILABLE, "the session store is unavailable")
}
