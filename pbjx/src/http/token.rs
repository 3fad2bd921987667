//! PbjxToken checks of the endpoint: which key validates a request, its audience, bypasses.

use std::borrow::Cow;

use axum::http::{HeaderMap, Uri, header};
use regex::Regex;

use crate::token::{PbjxTokenSigner, TokenError};

/// Header carrying the token.
pub const TOKEN_HEADER: &str = "x-pbjx-token";
/// Header whose value becomes the secret of kid `nonce`.
pub const NONCE_HEADER: &str = "x-pbjx-nonce";
/// Header that makes the message route check a message without handling it.
pub const DRY_RUN_HEADER: &str = "x-pbjx-dry-run";

/// One token bypass pattern of [`super::HttpConfig::with_token_bypass`].
#[derive(Debug)]
pub(crate) enum Bypass {
    All,
    Pattern { exact: String, regex: Option<Regex> },
}

impl Bypass {
    pub(crate) fn new(pattern: &str) -> Self {
        if pattern == "all" {
            return Self::All;
        }
        let regex = match Regex::new(pattern.trim_matches('/')) {
            Ok(regex) => Some(regex),
            Err(error) => {
                tracing::warn!(pattern, error = %error, "pbjx http: token bypass pattern is not a regular expression; it only matches exactly");
                None
            }
        };
        Self::Pattern {
            exact: pattern.to_owned(),
            regex,
        }
    }

    pub(crate) fn matches(&self, curie: &str) -> bool {
        match self {
            Self::All => true,
            Self::Pattern { exact, regex } => {
                exact == curie || regex.as_ref().is_some_and(|r| r.is_match(curie))
            }
        }
    }
}

/// The audience a client signs: the full request URL, `origin` (or `http://` + `Host`) plus
/// the path and query the client sent.
pub(crate) fn audience(origin: Option<&str>, headers: &HeaderMap, uri: &Uri) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match origin {
        Some(origin) => format!("{origin}{path}"),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| uri.authority().map(|a| a.as_str()))
                .unwrap_or("");
            let scheme = uri.scheme_str().unwrap_or("http");
            format!("{scheme}://{host}{path}")
        }
    }
}

/// The signer for one request: the configured one, plus kid `bearer` (the `Authorization:
/// Bearer` value) and kid `nonce` (the `x-pbjx-nonce` value) when those headers are present.
pub(crate) fn request_signer<'a>(
    signer: &'a PbjxTokenSigner,
    headers: &HeaderMap,
) -> Cow<'a, PbjxTokenSigner> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(|v| v.trim())
        .map(|v| match v.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
            _ => v,
        })
        .filter(|v| !v.is_empty());
    let nonce = headers
        .get(NONCE_HEADER)
        .and_then(|h| h.to_str().ok())
        .filter(|v| !v.is_empty());
    if bearer.is_none() && nonce.is_none() {
        return Cow::Borrowed(signer);
    }
    let mut signer = signer.clone();
    if let Some(bearer) = bearer {
        signer.add_key("bearer", bearer);
    }
    if let Some(nonce) = nonce {
        signer.add_key("nonce", nonce);
    }
    Cow::Owned(signer)
}

/// The `x-pbjx-token` header (`None` when absent or empty).
pub(crate) fn token_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Validates the request's token for `content` (the signed body).
pub(crate) fn check(
    signer: &PbjxTokenSigner,
    headers: &HeaderMap,
    audience: &str,
    token: &str,
    content: &str,
) -> Result<(), TokenError> {
    request_signer(signer, headers)
        .validate(content, audience, token)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bypass_patterns() {
        assert!(Bypass::new("all").matches("a:b:c:d"));
        assert!(Bypass::new("a:b:command:x").matches("a:b:command:x"));
        assert!(!Bypass::new("a:b:command:x").matches("a:b:command:y"));
        assert!(Bypass::new("/^acme:blog:request:/").matches("acme:blog:request:get-article"));
        assert!(!Bypass::new("/^acme:blog:request:/").matches("acme:blog:command:x"));
        assert!(Bypass::new("a:(b").matches("a:(b"));
        assert!(!Bypass::new("a:(b").matches("a:b"));
    }

    #[test]
    fn audience_is_the_request_url() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        let uri: Uri = "/pbjx/a/b/_/c?x=1".parse().unwrap();
        assert_eq!(
            audience(None, &headers, &uri),
            "http://127.0.0.1:8080/pbjx/a/b/_/c?x=1"
        );
        assert_eq!(
            audience(Some("https://api.example.com"), &headers, &uri),
            "https://api.example.com/pbjx/a/b/_/c?x=1"
        );
    }

    #[test]
    fn bearer_and_nonce_become_kids() {
        let signer = PbjxTokenSigner::default();
        let mut headers = HeaderMap::new();
        assert!(matches!(
            request_signer(&signer, &headers),
            Cow::Borrowed(_)
        ));
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        headers.insert(NONCE_HEADER, "n1".parse().unwrap());
        let with = request_signer(&signer, &headers);
        let token = with.sign_at("{}", "aud", Some("bearer"), 100).unwrap();
        let by_hand = PbjxTokenSigner::new([("bearer", "abc")], None);
        assert!(
            by_hand
                .validate_at("{}", "aud", token.as_str(), 100)
                .is_ok()
        );
        assert!(with.sign_at("{}", "aud", Some("nonce"), 100).is_ok());
    }
}
