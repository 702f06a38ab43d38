//! The accept loop. It is our own (not `axum::serve`) so a fault can close a connection without an
//! answer, before or after a change is applied, the way a network failure does.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use crate::faults::ConnKill;
use crate::state::SimState;

pub(crate) fn router(state: Arc<SimState>) -> Router {
    let zone = state.config.zone;
    let clock = state.clone();
    Router::new()
        .nest("/api/v2", crate::api::routes(state.clone()))
        .nest("/__sim", crate::admin::routes(state.clone()))
        .nest("/lookup", crate::lookup::routes(state.clone()))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let clock = clock.clone();
                async move {
                    let mut res = crate::json::in_zone(zone, next.run(req)).await;
                    // Trengo's clock, as its `Date` header says it.
                    let date = chrono::DateTime::from_timestamp(clock.now(), 0)
                        .unwrap_or_default()
                        .format("%a, %d %b %Y %H:%M:%S GMT")
                        .to_string();
                    if let Ok(v) = http::HeaderValue::from_str(&date) {
                        res.headers_mut().insert(http::header::DATE, v);
                    }
                    clock.touch();
                    res
                }
            },
        ))
}

pub(crate) async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let app = app.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let conn_kill = ConnKill(kill.clone());
            let svc =
                hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(conn_kill.clone());
                    let app = app.clone();
                    async move {
                        Ok::<_, Infallible>(
                            app.oneshot(req.map(axum::body::Body::new))
                                .await
                                .unwrap_infallible(),
                        )
                    }
                });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

trait IntoOk<T> {
    fn unwrap_infallible(self) -> T;
}

impl<T> IntoOk<T> for Result<T, Infallible> {
    fn unwrap_infallible(self) -> T {
        match self {
            Ok(t) => t,
            Err(e) => match e {},
        }
    }
}
