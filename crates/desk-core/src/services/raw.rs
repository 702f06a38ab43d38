//! Trengo as it is, for anything the product does not model: a unified list or record by resource
//! name, or any call through the proxy. Paced and retried like every other request.

use crate::context::Context;
use crate::error::Result;

/// Trengo as it is: a unified list or record by resource name, or any call (the proxy).
pub struct Raw<'a> {
    cx: &'a Context,
}

impl<'a> Raw<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Raw { cx }
    }

    /// A unified list by resource name (`tickets`, `contacts`, `roles` …), straight from Trengo.
    pub async fn list(
        &self,
        resource: &str,
        params: &trengo_unified::ListParams,
    ) -> Result<trengo_unified::Page<serde_json::Value>> {
        let r = trengo_unified::Resource::parse(resource)?;
        let u = self.cx.unified()?;
        self.cx.seen("listing", u.list_json(r, params).await)
    }

    /// A unified record by resource name and id, straight from Trengo.
    pub async fn get(&self, resource: &str, id: &str) -> Result<serde_json::Value> {
        let r = trengo_unified::Resource::parse(resource)?;
        let u = self.cx.unified()?;
        self.cx.seen("reading", u.get_json(r, id).await)
    }

    /// Any Trengo call (the proxy), paced and retried like the rest; any status is data.
    pub async fn proxy(
        &self,
        method: http::Method,
        path: &str,
        query: Vec<(String, String)>,
        body: Option<serde_json::Value>,
    ) -> Result<trengo_unified::api::RawResponse> {
        let u = self.cx.unified()?;
        self.cx
            .seen("the call", u.proxy(method, path, query, body).await)
    }
}
