//! The demo server: `cargo run -p swill-examples --bin demo [-- --listen ADDR]`.

use std::io::IsTerminal;
use std::process::ExitCode;

use std::time::Duration;

use swill::sessions::Sessions;
use swill::topics::RedisConfig;
use swill_examples::demo::DemoApp;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const USAGE: &str =
    "usage: demo [--listen ADDR] [--redis URL] [--node NAME] [--presence-ttl-ms MS] [--spec FILE] [--metrics]
            [--tls-cert FILE --tls-key FILE]

  --listen ADDR        where to listen (default 127.0.0.1:8000)
  --metrics            serve Prometheus metrics at /metrics
  --tls-cert FILE      serve wss:// with this PEM certificate chain...
  --tls-key FILE       ...and this PEM private key
  --redis URL          keep topics and sessions in Redis, shared with every
                       node using it (default: in this process)
  --node NAME          this node's name in presence listings
  --presence-ttl-ms MS how long a dead node's presence entries last (Redis;
                       at least 100, a smaller value counts as 100)
  --spec FILE          serve this AsyncAPI 3.0 document (JSON or YAML): every
                       message in and out, and the handshake, is checked
                       against it; a document that does not fit the demo's
                       rpcs is refused";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        // Colours for a terminal only: a log file gets plain lines.
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let mut listen = "127.0.0.1:8000".to_owned();
    let mut topics = swill_examples::demo::topics();
    let mut redis: Option<RedisConfig> = None;
    let mut presence_ttl = None;
    let mut spec = None;
    let mut metrics = false;
    let (mut tls_cert, mut tls_key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        if arg == "--metrics" {
            metrics = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--listen", Some(addr)) => listen = addr,
            ("--tls-cert", Some(path)) => tls_cert = Some(path),
            ("--tls-key", Some(path)) => tls_key = Some(path),
            ("--node", Some(name)) => topics = topics.node(name),
            ("--spec", Some(path)) => match std::fs::read_to_string(&path) {
                Ok(text) => spec = Some(text),
                Err(e) => {
                    eprintln!("--spec: cannot read {path}: {e}");
                    return ExitCode::from(2);
                }
            },
            ("--redis", Some(url)) => match RedisConfig::new(&url) {
                Ok(config) => redis = Some(config),
                Err(e) => {
                    eprintln!("--redis: not a Redis URL: {e}");
                    return ExitCode::from(2);
                }
            },
            ("--presence-ttl-ms", Some(ms)) => match ms.parse() {
                Ok(ms) => presence_ttl = Some(Duration::from_millis(ms)),
                Err(_) => {
                    eprintln!("--presence-ttl-ms: not a number of milliseconds: {ms}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let mut sessions = Sessions::builder();
    match (redis, presence_ttl) {
        (Some(mut config), ttl) => {
            sessions = sessions.redis(config.clone());
            if let Some(ttl) = ttl {
                config = config.presence_ttl(ttl);
            }
            topics = topics.redis(config);
        }
        (None, Some(_)) => {
            eprintln!("--presence-ttl-ms applies to Redis: give --redis URL too");
            return ExitCode::from(2);
        }
        (None, None) => {}
    }

    let mut app = swill_examples::demo::app_with(topics.build(), sessions.build());
    if let Some(document) = spec {
        app = match app.with_asyncapi(&document) {
            Ok(app) => app,
            Err(e) => {
                eprintln!("--spec: {e}");
                return ExitCode::from(2);
            }
        };
        // Before listening: a document that does not fit is refused
        // with every difference, not after clients were told to connect.
        if let Err(e) = app.check() {
            eprintln!("--spec: {e}");
            return ExitCode::from(2);
        }
    }
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => match swill::tls::config_from_pem(&cert, &key) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("--tls-cert/--tls-key: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
        _ => {
            eprintln!("--tls-cert and --tls-key go together");
            return ExitCode::from(2);
        }
    };
    if tls.is_some() && metrics {
        // The metrics endpoint mounts the app in axum, which serves plain
        // HTTP here; a real deployment terminates TLS in front of it.
        eprintln!("--metrics and --tls-cert do not go together in the demo");
        return ExitCode::from(2);
    }
    let listener = match TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or(listen);
    let (ws, http) = if tls.is_some() {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    println!("swill demo listening on {ws}://{addr}/ws");
    println!("playground: {http}://{addr}/  AsyncAPI: {http}://{addr}/asyncapi.json");
    let served = if metrics {
        println!("metrics: http://{addr}/metrics");
        serve_with_metrics(listener, app).await
    } else {
        let server = swill::serve(listener, app).with_graceful_shutdown(stop_signal());
        match tls {
            Some(config) => server.tls(config).await,
            None => server.await,
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the app mounted in axum beside `/metrics`, Prometheus text from
/// the recorder installed here: the way an application adds an exporter,
/// since swill only records through the `metrics` facade.
async fn serve_with_metrics(listener: TcpListener, app: DemoApp) -> std::io::Result<()> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Buckets make the request durations a Prometheus histogram (without
    // them this exporter renders a summary); from 100 µs to 10 s.
    const SECONDS: [f64; 12] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 10.0,
    ];
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("swill_request_duration_seconds".to_owned()),
            &SECONDS,
        )
        .map_err(std::io::Error::other)?
        .install_recorder()
        .map_err(std::io::Error::other)?;
    let rpc = app.into_service();
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || std::future::ready(recorder.render())),
        )
        .fallback_service(rpc.clone());
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(stop_signal())
        .await;
    // The HTTP side has stopped; now drain the WebSocket connections.
    rpc.shutdown().await;
    served
}

/// Resolves on Ctrl-C or SIGTERM: the server then drains and closes its
/// connections with 1001 instead of dropping them.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    eprintln!("shutting down gracefully");
}
