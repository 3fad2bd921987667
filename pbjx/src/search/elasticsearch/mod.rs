//! [`ElasticsearchEventSearch`]: event search on Elasticsearch (feature
//! `search-elasticsearch`; the `elasticsearch` crate with rustls, no OpenSSL).
//!
//! As the original `ElasticaEventSearch`:
//! - **Indices** are quarterly, `{prefix}-YYYYqN` ([`IndexManager`]), picked from the event's
//!   `occurred_at`; a search reads the quarters of its date window (yearly wildcards beyond 9,
//!   every index without `occurred_after`). The context's `index_name` overrides the choice.
//!   Tenants get indices of their own (`{prefix}.{tenant}-YYYYqN`), so they never see each
//!   other's events.
//! - **Storage**: an index template (`{prefix}-*` and `{prefix}.*` with priority = the
//!   prefix's length, where the original has `*{prefix}*`, which ES 8 composable templates
//!   reject next to any other prefix's template; one shard, the `pbj_keyword`
//!   analyzer/normalizer, the mapping of pbj's mapping builder over every `indexed` event type,
//!   see [`crate::search::document::event_search_mapping`]) and the current quarter's index.
//! - **Indexing** is one `_bulk` request (`refresh=true`, so a search sees the write): the
//!   document of pbj's Elasticsearch marshaler, id `event_id`. Every failed item is reported in
//!   the error (event id, index, status, reason), none is dropped silently; a bulk request is not
//!   atomic, so items that succeeded stay written (the error says how many).
//! - **Deleting** is a `_delete_by_query` on the tenant's indices by id (the original derives
//!   the index from the event id's time-uuid, which misses events whose `occurred_at` lies in
//!   another quarter).
//! - **Searching** sends the body of [`crate::search::elasticsearch_query::create`] unchanged,
//!   plus `from` (clamped to 0..=10,000), `size` and `track_total_hits`, with
//!   `ignore_unavailable`.
//! - **Clusters**: `default` plus any added with [`ElasticsearchEventSearch::with_cluster`];
//!   the context's `cluster` picks one (an unknown name is an error listing the known ones).

mod index;

pub use index::{IndexManager, encode_tenant};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use elasticsearch::Elasticsearch;
use elasticsearch::http::headers::{CONTENT_TYPE, HeaderMap, HeaderValue};
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::http::{Method, Url};
use pbj::{DateTime, Message, Registry, SchemaCurie};
use serde_json::{Value, json};

use crate::error::{Code, Error, Result};
use crate::search::document::{
    Kinds, all_field_values, decode_document, event_documents, event_search_mapping,
};
use crate::search::elasticsearch_query;
use crate::search::query::ParsedQuery;
use crate::search::{EventSearch, SearchContext, SearchHits, SearchRequest, fill_response};

const BACKEND: &str = "elasticsearch";

/// The environment variable the tests (and [`ElasticsearchEventSearch::from_env`]) read.
pub const URL_ENV: &str = "PBJX_ELASTICSEARCH_URL";

/// Options of [`ElasticsearchEventSearch`].
#[derive(Debug, Clone)]
pub struct ElasticsearchOptions {
    /// The index prefix (e.g. `acme-prod-events`).
    pub index_prefix: String,
    /// The HTTP timeout of every request.
    pub timeout: Duration,
    /// The search `timeout` sent to Elasticsearch (the original's `100ms`, its bundle's
    /// `500ms`).
    pub search_timeout: String,
}

impl Default for ElasticsearchOptions {
    fn default() -> Self {
        Self {
            index_prefix: "pbjx-events".into(),
            timeout: Duration::from_secs(30),
            search_timeout: "500ms".into(),
        }
    }
}

impl ElasticsearchOptions {
    /// Sets the index prefix.
    pub fn with_index_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.index_prefix = prefix.into();
        self
    }

    /// Sets the HTTP timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the search `timeout` sent to Elasticsearch.
    pub fn with_search_timeout(mut self, timeout: impl Into<String>) -> Self {
        self.search_timeout = timeout.into();
        self
    }
}

/// Event search on Elasticsearch (see the [module docs](self)). Cheap to clone.
#[derive(Clone)]
pub struct ElasticsearchEventSearch {
    inner: Arc<Inner>,
}

struct Inner {
    clusters: BTreeMap<String, Elasticsearch>,
    manager: IndexManager,
    registry: Arc<Registry>,
    mapping: Value,
    kinds: Arc<Kinds>,
    options: ElasticsearchOptions,
}

impl std::fmt::Debug for ElasticsearchEventSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchEventSearch")
            .field("clusters", &self.inner.clusters.keys().collect::<Vec<_>>())
            .field("index_prefix", &self.inner.manager.prefix())
            .finish_non_exhaustive()
    }
}

fn client(url: &str, timeout: Duration) -> Result<Elasticsearch> {
    let parsed = Url::parse(url).map_err(|e| {
        Error::search(
            BACKEND,
            "",
            Code::InvalidArgument,
            format!("bad url [{url}]"),
        )
        .with_source(e)
    })?;
    let transport = TransportBuilder::new(SingleNodeConnectionPool::new(parsed))
        .timeout(timeout)
        .disable_proxy()
        .build()
        .map_err(|e| {
            Error::search(
                BACKEND,
                "",
                Code::InvalidArgument,
                format!("client for [{url}]"),
            )
            .with_source(e)
        })?;
    Ok(Elasticsearch::new(transport))
}

impl ElasticsearchEventSearch {
    /// Event search on the cluster at `url` (the `default` cluster). `registry` decodes hits
    /// and gives the mapping (every schema using `gdbots:pbjx:mixin:indexed`).
    pub fn new(
        url: &str,
        registry: impl Into<Arc<Registry>>,
        options: ElasticsearchOptions,
    ) -> Result<Self> {
        let manager = IndexManager::new(&options.index_prefix)?;
        let registry = registry.into();
        let mapping = event_search_mapping(&registry);
        let mut clusters = BTreeMap::new();
        clusters.insert("default".to_owned(), client(url, options.timeout)?);
        Ok(Self {
            inner: Arc::new(Inner {
                clusters,
                manager,
                kinds: Arc::new(Kinds::from_mapping(&mapping)),
                mapping,
                registry,
                options,
            }),
        })
    }

    /// [`Self::new`] with the url in `PBJX_ELASTICSEARCH_URL` ([`URL_ENV`]).
    pub fn from_env(
        registry: impl Into<Arc<Registry>>,
        options: ElasticsearchOptions,
    ) -> Result<Self> {
        let url = std::env::var(URL_ENV).map_err(|_| {
            Error::search(
                BACKEND,
                "",
                Code::FailedPrecondition,
                format!("{URL_ENV} is not set"),
            )
        })?;
        Self::new(&url, registry, options)
    }

    /// Adds (or replaces) a named cluster, picked by [`SearchContext::cluster`].
    pub fn with_cluster(self, name: &str, url: &str) -> Result<Self> {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            clusters: shared.clusters.clone(),
            manager: shared.manager.clone(),
            registry: shared.registry.clone(),
            mapping: shared.mapping.clone(),
            kinds: shared.kinds.clone(),
            options: shared.options.clone(),
        });
        inner
            .clusters
            .insert(name.to_owned(), client(url, inner.options.timeout)?);
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The index names in use.
    pub fn index_manager(&self) -> &IndexManager {
        &self.inner.manager
    }

    fn cluster(&self, ctx: &SearchContext) -> Result<&Elasticsearch> {
        let name = ctx.cluster.as_deref().unwrap_or("default");
        self.inner.clusters.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.inner.clusters.keys().map(String::as_str).collect();
            Error::search(
                BACKEND,
                "",
                Code::InvalidArgument,
                format!("unknown cluster [{name}]; available: {}", known.join(", ")),
            )
        })
    }

    /// Sends one request; a status of 400 or more is an error naming `index`.
    async fn call(
        &self,
        ctx: &SearchContext,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Body>,
        index: &str,
    ) -> Result<(u16, Value)> {
        let client = self.cluster(ctx)?;
        let mut headers = HeaderMap::new();
        let (body, content_type) = match body {
            Some(Body::Json(bytes)) => (Some(bytes), "application/json"),
            Some(Body::NdJson(bytes)) => (Some(bytes), "application/x-ndjson"),
            None => (None, "application/json"),
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        let response = client
            .send(method, path, headers, Some(query), body, None)
            .await
            .map_err(|e| {
                Error::search(
                    BACKEND,
                    index,
                    Code::Unavailable,
                    format!("{path}: request failed"),
                )
                .with_source(e)
            })?;
        let status = response.status_code().as_u16();
        let text = response.text().await.map_err(|e| {
            Error::search(
                BACKEND,
                index,
                Code::Unavailable,
                format!("{path}: no response body"),
            )
            .with_source(e)
        })?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    async fn call_ok(
        &self,
        ctx: &SearchContext,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        index: &str,
    ) -> Result<Value> {
        let body = body.map(|b| Body::Json(b.to_string().into_bytes()));
        let (status, value) = self.call(ctx, method, path, query, body, index).await?;
        if status >= 400 {
            return Err(http_error(index, path, status, &value));
        }
        Ok(value)
    }

    fn tenant<'a>(&self, ctx: &'a SearchContext) -> Option<&'a str> {
        ctx.tenant()
    }

    /// The document as sent: `d__all` written out (the strings `copy_to` would copy, for
    /// servers that do not apply it; on Elasticsearch the copies only add term frequency) and
    /// `occurred_at` as a number (for servers that do not coerce numeric strings).
    fn stored_document(&self, mut document: Value) -> Value {
        let all = all_field_values(&self.inner.kinds, &document);
        if let Value::Object(map) = &mut document {
            if let Some(n) = map
                .get("occurred_at")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<i64>().ok())
            {
                map.insert("occurred_at".into(), n.into());
            }
            if !all.is_empty() {
                map.insert(elasticsearch_query::ALL_FIELD.into(), all.into());
            }
        }
        document
    }
}

/// A stored document back in pbj's form (undoes [`ElasticsearchEventSearch::stored_document`]).
fn read_document(mut source: Value) -> Value {
    if let Value::Object(map) = &mut source {
        map.remove(elasticsearch_query::ALL_FIELD);
        if let Some(n) = map.get("occurred_at").and_then(Value::as_i64) {
            map.insert("occurred_at".into(), n.to_string().into());
        }
    }
    source
}

/// A request body.
enum Body {
    Json(Vec<u8>),
    NdJson(Vec<u8>),
}

/// The error of a failed response, with Elasticsearch's reason.
fn http_error(index: &str, path: &str, status: u16, body: &Value) -> Error {
    let reason = body
        .pointer("/error/reason")
        .and_then(Value::as_str)
        .or_else(|| body.pointer("/error/type").and_then(Value::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| body.to_string());
    let code = match status {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::Aborted,
        429 => Code::ResourceExhausted,
        500..=599 => Code::Unavailable,
        _ => Code::Internal,
    };
    Error::search(
        BACKEND,
        index,
        code,
        format!("{path} answered {status}: {reason}"),
    )
}

/// `(event id, index, status, reason)` of every failed item of a bulk response.
fn bulk_failures(response: &Value) -> Vec<(String, String, u64, String)> {
    let Some(items) = response.get("items").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| item.as_object()?.values().next())
        .filter(|result| {
            result.get("error").is_some()
                || result.get("status").and_then(Value::as_u64).unwrap_or(200) >= 300
        })
        .map(|result| {
            let text = |k: &str| {
                result
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let reason = result
                .pointer("/error/reason")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    result
                        .get("error")
                        .map(Value::to_string)
                        .unwrap_or_default()
                });
            (
                text("_id"),
                text("_index"),
                result.get("status").and_then(Value::as_u64).unwrap_or(0),
                reason,
            )
        })
        .collect()
}

#[async_trait::async_trait]
impl EventSearch for ElasticsearchEventSearch {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self, ctx: &SearchContext) -> Result<()> {
        let manager = &self.inner.manager;
        let template = manager.prefix();
        // The original's pattern `*{prefix}*` overlaps every other prefix's, which ES 8
        // composable templates reject at equal priority: the patterns cover exactly this
        // prefix's indices (tenant-less and per tenant), and a longer prefix wins.
        let body = json!({
            "index_patterns": [format!("{template}-*"), format!("{template}.*")],
            "priority": template.len(),
            "template": {
                "settings": {
                    "number_of_shards": 1,
                    "number_of_replicas": 0,
                    "analysis": serde_json::from_str::<Value>(
                        &pbj::marshal::elastic::MappingBuilder::analysis().to_json()
                    ).unwrap_or_default(),
                },
                "mappings": self.inner.mapping,
            }
        });
        let path = format!("/_index_template/{template}");
        self.call_ok(ctx, Method::Put, &path, &[], Some(body), template)
            .await?;
        let index = ctx
            .index_name
            .clone()
            .unwrap_or_else(|| manager.index_for_write(self.tenant(ctx), DateTime::now()));
        let path = format!("/{index}");
        let (status, _) = self
            .call(ctx, Method::Head, &path, &[], None, &index)
            .await?;
        if status == 404 {
            let (status, value) = self
                .call(
                    ctx,
                    Method::Put,
                    &path,
                    &[],
                    Some(Body::Json(b"{}".to_vec())),
                    &index,
                )
                .await?;
            let exists = value.pointer("/error/type").and_then(Value::as_str)
                == Some("resource_already_exists_exception");
            if status >= 400 && !exists {
                return Err(http_error(&index, &path, status, &value));
            }
        } else {
            let path = format!("/{index}/_mapping");
            self.call_ok(
                ctx,
                Method::Put,
                &path,
                &[],
                Some(self.inner.mapping.clone()),
                &index,
            )
            .await?;
        }
        Ok(())
    }

    async fn describe_storage(&self, ctx: &SearchContext) -> Result<String> {
        let pattern = self.inner.manager.all_indices(self.tenant(ctx));
        let path = format!("/_cat/indices/{pattern}");
        let value = self
            .call_ok(
                ctx,
                Method::Get,
                &path,
                &[("format", "json"), ("h", "index,docs.count")],
                None,
                &pattern,
            )
            .await?;
        let mut out = format!("elasticsearch event search, indices [{pattern}]:\n");
        for row in value.as_array().into_iter().flatten() {
            let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
            out.push_str(&format!(
                "  {} ({} docs): /{}/_stats, /{}/_mapping\n",
                text("index"),
                text("docs.count"),
                text("index"),
                text("index")
            ));
        }
        Ok(out)
    }

    async fn index_events(&self, events: &[Arc<dyn Message>], ctx: &SearchContext) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let documents = event_documents(events)?;
        let tenant = self.tenant(ctx);
        let mut body = String::new();
        let mut indices: Vec<String> = Vec::new();
        for doc in &documents {
            let index = match &ctx.index_name {
                Some(name) => name.clone(),
                None => {
                    let at =
                        DateTime::from_unix_micros(doc.occurred_at).unwrap_or_else(DateTime::now);
                    self.inner.manager.index_for_write(tenant, at)
                }
            };
            let action = json!({ "index": { "_index": index, "_id": doc.event_id } });
            body.push_str(&action.to_string());
            body.push('\n');
            body.push_str(&self.stored_document(doc.to_value()?).to_string());
            body.push('\n');
            if !indices.contains(&index) {
                indices.push(index);
            }
        }
        let names = indices.join(",");
        let (status, value) = self
            .call(
                ctx,
                Method::Post,
                "/_bulk",
                &[("refresh", "true")],
                Some(Body::NdJson(body.into_bytes())),
                &names,
            )
            .await?;
        if status >= 400 {
            return Err(http_error(&names, "/_bulk", status, &value));
        }
        let failures = bulk_failures(&value);
        if !failures.is_empty() {
            let written = documents.len() - failures.len();
            let list: Vec<String> = failures
                .iter()
                .map(|(id, index, status, reason)| {
                    format!("[{id}] in [{index}] ({status}): {reason}")
                })
                .collect();
            return Err(Error::search(
                BACKEND,
                names,
                Code::Internal,
                format!(
                    "{} of {} events were not indexed ({written} were): {}",
                    failures.len(),
                    documents.len(),
                    list.join("; ")
                ),
            ));
        }
        Ok(())
    }

    async fn delete_events(&self, event_ids: &[String], ctx: &SearchContext) -> Result<()> {
        if event_ids.is_empty() {
            return Ok(());
        }
        let pattern = ctx
            .index_name
            .clone()
            .unwrap_or_else(|| self.inner.manager.all_indices(self.tenant(ctx)));
        let path = format!("/{pattern}/_delete_by_query");
        let body = json!({ "query": { "ids": { "values": event_ids } } });
        let (status, value) = self
            .call(
                ctx,
                Method::Post,
                &path,
                &[
                    ("refresh", "true"),
                    ("ignore_unavailable", "true"),
                    ("allow_no_indices", "true"),
                    ("conflicts", "proceed"),
                ],
                Some(Body::Json(body.to_string().into_bytes())),
                &pattern,
            )
            .await?;
        // No index yet: nothing to delete (some servers ignore `allow_no_indices` here).
        if status == 404
            && value.pointer("/error/type").and_then(Value::as_str)
                == Some("index_not_found_exception")
        {
            return Ok(());
        }
        if status >= 400 {
            return Err(http_error(&pattern, &path, status, &value));
        }
        if let Some(failures) = value.get("failures").and_then(Value::as_array)
            && !failures.is_empty()
        {
            return Err(Error::search(
                BACKEND,
                pattern,
                Code::Internal,
                format!("deleting failed: {}", Value::Array(failures.clone())),
            ));
        }
        Ok(())
    }

    async fn search_events(
        &self,
        request: &dyn Message,
        query: &ParsedQuery,
        curies: &[SchemaCurie],
        response: &mut dyn Message,
        ctx: &SearchContext,
    ) -> Result<()> {
        let started = Instant::now();
        let search = SearchRequest::from_message(request)?;
        let now = DateTime::now();
        let mut body = search.query_body(query, curies, now)?;
        if let Value::Object(map) = &mut body {
            map.insert("from".into(), search.from().into());
            map.insert("size".into(), search.count.into());
            map.insert("track_total_hits".into(), true.into());
        }
        let indices = match &ctx.index_name {
            Some(name) => vec![name.clone()],
            None => self.inner.manager.indices_for_search(
                self.tenant(ctx),
                search.occurred_after,
                search.occurred_before,
                now,
            ),
        };
        let names = indices.join(",");
        let path = format!("/{names}/_search");
        let timeout = self.inner.options.search_timeout.clone();
        let value = self
            .call_ok(
                ctx,
                Method::Post,
                &path,
                &[
                    ("ignore_unavailable", "true"),
                    ("allow_no_indices", "true"),
                    ("timeout", timeout.as_str()),
                ],
                Some(body),
                &names,
            )
            .await
            .map_err(|e| match e {
                Error::Search {
                    backend,
                    index,
                    code,
                    message,
                    source,
                } => Error::Search {
                    backend,
                    index,
                    code,
                    message: format!("search [{}]: {message}", search.q),
                    source,
                },
                other => other,
            })?;
        let hits = value.get("hits").cloned().unwrap_or_default();
        let total = match hits.get("total") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(total) => total.get("value").and_then(Value::as_u64).unwrap_or(0),
            None => 0,
        };
        let mut found = SearchHits {
            total,
            max_score: hits.get("max_score").and_then(Value::as_f64),
            events: Vec::new(),
        };
        for hit in hits
            .get("hits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = hit.get("_index").and_then(Value::as_str).unwrap_or(&names);
            let source = hit
                .get("_source")
                .map(|s| read_document(s.clone()).to_string())
                .unwrap_or_default();
            found.events.push(decode_document(
                BACKEND,
                index,
                &source,
                &self.inner.registry,
            )?);
        }
        fill_response(response, &search, found, started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failed_bulk_item_is_reported() {
        let response = json!({"errors": true, "items": [
            {"index": {"_index": "e-2024q1", "_id": "a", "status": 201}},
            {"index": {"_index": "e-2024q1", "_id": "b", "status": 400,
                "error": {"type": "mapper_parsing_exception", "reason": "failed to parse [x]"}}},
            {"index": {"_index": "e-2024q1", "_id": "c", "status": 429, "error": {"reason": "busy"}}}
        ]});
        let failures = bulk_failures(&response);
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].0, "b");
        assert_eq!(failures[0].3, "failed to parse [x]");
        assert_eq!((failures[1].0.as_str(), failures[1].2), ("c", 429));
    }
}
