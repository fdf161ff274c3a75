//! When and how often to connect again, and the states a connection goes
//! through.

use std::future::Future;
use std::time::Duration;

/// How the client connects again after its connection was lost.
///
/// Reconnecting is lazy: when the connection drops, the calls in flight
/// fail at once with [`Error::Disconnected`](crate::Error::Disconnected)
/// (code 503), and nothing else happens until the next call. That call
/// connects again, making up to `max_attempts` attempts with a growing,
/// jittered pause between failed ones:
///
/// pause after failed attempt *n* = min(`initial_backoff` × `multiplier`^(n-1), `max_backoff`),
/// reduced by a random fraction of up to `jitter` (so that many clients
/// dropped at once do not come back in lock step).
///
/// ```
/// use std::time::Duration;
/// use swill_client::ReconnectPolicy;
///
/// let policy = ReconnectPolicy {
///     initial_backoff: Duration::from_millis(100),
///     max_backoff: Duration::from_secs(1),
///     multiplier: 2.0,
///     jitter: 0.0,
///     max_attempts: Some(5),
/// };
/// assert_eq!(policy.backoff(1, 0.5), Duration::from_millis(100));
/// assert_eq!(policy.backoff(3, 0.5), Duration::from_millis(400));
/// assert_eq!(policy.backoff(9, 0.5), Duration::from_secs(1)); // capped
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// The pause after the first failed attempt.
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
    /// How much longer each pause is than the one before (at least 1).
    pub multiplier: f64,
    /// The largest fraction (0 to 1) taken off a pause at random.
    pub jitter: f64,
    /// How many attempts one call makes before it fails with
    /// [`Error::Connect`](crate::Error::Connect); `None` keeps trying.
    /// `Some(0)` never reconnects.
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    /// 100 ms, doubling up to 5 s, 20 % jitter, 5 attempts per call: a call
    /// made while the server restarts pauses 1.5 s at most in all before it
    /// gives up, plus each attempt's own time (at most the connect timeout
    /// each, against a host that does not answer).
    fn default() -> Self {
        ReconnectPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            jitter: 0.2,
            max_attempts: Some(5),
        }
    }
}

impl ReconnectPolicy {
    /// Never reconnect: once the connection is lost, every call fails with
    /// [`Error::Connect`](crate::Error::Connect).
    pub fn none() -> Self {
        ReconnectPolicy {
            max_attempts: Some(0),
            ..ReconnectPolicy::default()
        }
    }

    /// Whether another attempt is allowed after `attempts` failed ones.
    pub fn allows(&self, attempts: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempts < max)
    }

    /// One round of reconnecting: up to `max_attempts` calls of `attempt`
    /// (given the attempt's number, from 1), with [`backoff`](Self::backoff)
    /// pauses between failed ones, until one succeeds. The runtime comes
    /// from the caller: `pause` sleeps, `random` gives numbers in `[0, 1)`
    /// for the jitter, and `go_on` is asked before each attempt (a client
    /// closed meanwhile stops the round). Fails with the last attempt's
    /// error, or [`Error::Connect`](crate::Error::Connect) when no attempt
    /// was allowed.
    pub async fn run<T, A, P>(
        &self,
        mut attempt: impl FnMut(u32) -> A,
        mut pause: impl FnMut(Duration) -> P,
        mut random: impl FnMut() -> f64,
        go_on: impl Fn() -> bool,
    ) -> Result<T, crate::Error>
    where
        A: Future<Output = Result<T, crate::Error>>,
        P: Future<Output = ()>,
    {
        let mut attempts = 0;
        let mut last_error = None;
        while self.allows(attempts) && go_on() {
            attempts += 1;
            match attempt(attempts).await {
                Ok(done) => return Ok(done),
                Err(error) if self.allows(attempts) => {
                    last_error = Some(error);
                    pause(self.backoff(attempts, random())).await;
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| crate::Error::Connect {
            status: None,
            reason: "the connection was lost and reconnecting is off".to_owned(),
        }))
    }

    /// The pause after failed attempt number `attempt` (from 1), given a
    /// random number `random` in `[0, 1)` for the jitter. Pure, so that
    /// every client (native or wasm) computes it the same way.
    pub fn backoff(&self, attempt: u32, random: f64) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let grown = self.initial_backoff.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let capped = grown.min(self.max_backoff.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(capped * (1.0 - jitter)).unwrap_or(self.max_backoff)
    }
}

/// What a connection is doing, as reported to
/// [`Builder::on_state_change`](crate::Builder::on_state_change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// An attempt to connect has begun (`attempt` counts from 1 within one
    /// round of reconnecting).
    Connecting {
        /// Which attempt this is.
        attempt: u32,
    },
    /// The WebSocket is open.
    Connected,
    /// The connection was lost, or an attempt failed.
    Disconnected {
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_only_shortens_the_pause() {
        let policy = ReconnectPolicy {
            jitter: 0.5,
            ..ReconnectPolicy::default()
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(100));
        assert!((ms(policy.backoff(1, 0.999_999)) - 50.0).abs() < 0.01);
        assert!((ms(policy.backoff(2, 0.5)) - 150.0).abs() < 0.01);
    }

    #[test]
    fn attempts_are_bounded_unless_unlimited() {
        let policy = ReconnectPolicy::default();
        assert!(policy.allows(4) && !policy.allows(5));
        assert!(!ReconnectPolicy::none().allows(0));
        let forever = ReconnectPolicy {
            max_attempts: None,
            ..policy
        };
        assert!(forever.allows(u32::MAX));
        assert!(forever.backoff(u32::MAX, 0.0) <= forever.max_backoff);
    }
}
