//! PbjxToken: the HS256 JSON Web Token that signs a pbjx HTTP request, byte-compatible with
//! the PHP and JS Pbjx.
//!
//! A token binds the request body (`content`), the endpoint URL (`aud`) and a time window:
//!
//! - header `{"alg":"HS256","typ":"JWT","kid":…}`, JSON-encoded as PHP does by default
//!   (`/` as `\/`, non-ASCII as lower-case `\uXXXX`);
//! - payload `{"aud":…,"exp":…,"iat":…,"jti":…}` in that order, slashes unescaped, where
//!   `jti` = hex HMAC-SHA256 of `aud . iat . content` and `exp` defaults to `iat` + 10 s;
//! - signature = HMAC-SHA256 of `b64url(header) . "." . b64url(payload)`; base64url without
//!   padding.
//!
//! A token is accepted from `iat` - 300 s to `exp` + 300 s (the leeway for clock skew). The
//! [`PbjxTokenSigner`] holds several keys (`kid` → secret, for rotation) and validates a token
//! by creating the expected one and requiring the same bytes; the signature is compared in
//! constant time. Time is an argument of the `*_at` methods (unix seconds), the system clock
//! otherwise.
//!
//! Stricter than the original where that cannot refuse a token a PHP or JS client makes: the
//! three parts must be canonical unpadded base64url (PHP's decoder skips stray characters),
//! `kid`, `aud` and `jti` must be strings and `iat` / `exp` integers (PHP compares other JSON
//! types loosely, then fails on them later).
//!
//! ```
//! use pbjx::token::{PbjxToken, PbjxTokenSigner, TokenError};
//!
//! let signer = PbjxTokenSigner::new([("kid", "secret")], None);
//! let body = r#"{"_schema":"pbj:acme:blog:command:publish-article:1-0-0"}"#;
//! let aud = "https://local.dev/pbjx/acme/blog/command/publish-article";
//! let token = signer.sign_at(body, aud, None, 1_700_000_000).unwrap();
//! assert_eq!(token.kid(), "kid");
//! assert!(signer.validate_at(body, aud, token.as_str(), 1_700_000_005).is_ok());
//! assert_eq!(
//!     signer.validate_at("{}", aud, token.as_str(), 1_700_000_005),
//!     Err(TokenError::Mismatch)
//! );
//! assert!(matches!(
//!     signer.validate_at(body, aud, token.as_str(), 1_700_000_311),
//!     Err(TokenError::Expired { .. })
//! ));
//! ```

mod encoding;
mod signer;

use std::fmt;

use serde_json::{Map, Value};

pub use signer::PbjxTokenSigner;

/// A parsed or created PbjxToken.
#[derive(Clone, PartialEq, Eq)]
pub struct PbjxToken {
    token: String,
    kid: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    signature: Vec<u8>,
}

/// `iat` and `exp` to put in a new token instead of the defaults (now, now + 10 s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenTimes {
    /// Issued at (unix seconds).
    pub iat: Option<i64>,
    /// Expires at (unix seconds).
    pub exp: Option<i64>,
}

impl PbjxToken {
    /// The only algorithm.
    pub const ALGO: &'static str = "HS256";
    /// Seconds from `iat` to the default `exp`.
    pub const TTL: i64 = 10;
    /// Seconds of clock skew allowed before `iat` and after `exp`.
    pub const LEEWAY: i64 = 300;

    /// A token for `content` sent to `aud`, signed with `kid`'s `secret`, issued now.
    pub fn create(
        content: &str,
        aud: &str,
        kid: &str,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, TokenError> {
        Self::create_at(content, aud, kid, secret, TokenTimes::default(), unix_now())
    }

    /// A token as the original `PbjxToken::create($content, $aud, $kid, $secret, $options)`
    /// makes it at unix time `now`; fails like the original when `times` put it outside its
    /// window at `now`.
    ///
    /// ```
    /// use pbjx::token::{PbjxToken, TokenTimes};
    ///
    /// // The golden vector shared by the PHP and JS tests.
    /// let token = PbjxToken::create_at(
    ///     "content", "https://local.dev/pbjx", "kid", "secret",
    ///     TokenTimes::default(), 1509836741,
    /// ).unwrap();
    /// assert_eq!(token.jti(), "6ca9594f442ff8aaa5515be01b24fd150b0a2587b4b8ed0a15747c44e942b0ef");
    /// assert!(token.as_str().ends_with("._Wc1JoNy6o1Mavdl8wVOSL57CTqBgGEplolDULZFvvc"));
    /// ```
    pub fn create_at(
        content: &str,
        aud: &str,
        kid: &str,
        secret: impl AsRef<[u8]>,
        times: TokenTimes,
        now: i64,
    ) -> Result<Self, TokenError> {
        let secret = secret.as_ref();
        let iat = times.iat.unwrap_or(now);
        let exp = times.exp.unwrap_or(now.saturating_add(Self::TTL));
        let iat_text = iat.to_string();
        let jti = encoding::hex(&encoding::hmac_sha256(
            secret,
            &[aud.as_bytes(), iat_text.as_bytes(), content.as_bytes()],
        ));

        let mut header = String::from(r#"{"alg":"HS256","typ":"JWT","kid":"#);
        encoding::push_php_json_string(&mut header, kid, true);
        header.push('}');
        let mut payload = String::from(r#"{"aud":"#);
        encoding::push_php_json_string(&mut payload, aud, false);
        payload.push_str(&format!(r#","exp":{exp},"iat":{iat},"jti":"{jti}"}}"#));

        let signing_input = format!(
            "{}.{}",
            encoding::b64(header.as_bytes()),
            encoding::b64(payload.as_bytes())
        );
        let signature = encoding::hmac_sha256(secret, &[signing_input.as_bytes()]);
        let token = format!("{signing_input}.{}", encoding::b64(&signature));
        check_window(iat, exp, now)?;
        Ok(Self {
            token,
            kid: kid.to_owned(),
            aud: aud.to_owned(),
            exp,
            iat,
            jti,
            signature,
        })
    }

    /// Parses and checks a token at the current time.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        Self::parse_at(token, unix_now())
    }

    /// Parses a token and checks its claims at unix time `now`, as the original
    /// `PbjxToken::fromString` does (the signature is checked by [`PbjxToken::verify`] or the
    /// signer).
    ///
    /// ```
    /// use pbjx::token::{PbjxToken, TokenError};
    ///
    /// assert_eq!(PbjxToken::parse_at("a.b", 0), Err(TokenError::Malformed));
    /// ```
    pub fn parse_at(token: &str, now: i64) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header = json_part(header, TokenError::HeaderEncoding, TokenError::Header)?;
        if header.get("alg").and_then(Value::as_str) != Some(Self::ALGO)
            || header.get("typ").and_then(Value::as_str) != Some("JWT")
        {
            return Err(TokenError::Header);
        }
        let kid = string_claim(&header, "kid", TokenError::Header)?;
        let payload = json_part(payload, TokenError::PayloadEncoding, TokenError::Payload)?;
        let aud = string_claim(&payload, "aud", TokenError::Payload)?;
        let exp = int_claim(&payload, "exp")?;
        let iat = int_claim(&payload, "iat")?;
        let jti = string_claim(&payload, "jti", TokenError::Payload)?;
        let signature = encoding::b64_decode(signature).ok_or(TokenError::SignatureEncoding)?;
        check_window(iat, exp, now)?;
        Ok(Self {
            token: token.to_owned(),
            kid,
            aud,
            exp,
            iat,
            jti,
            signature,
        })
    }

    /// The token string.
    pub fn as_str(&self) -> &str {
        &self.token
    }
    /// The key id of the header.
    pub fn kid(&self) -> &str {
        &self.kid
    }
    /// The audience: the endpoint URL.
    pub fn aud(&self) -> &str {
        &self.aud
    }
    /// Expires at (unix seconds).
    pub fn exp(&self) -> i64 {
        self.exp
    }
    /// Issued at (unix seconds).
    pub fn iat(&self) -> i64 {
        self.iat
    }
    /// Hex HMAC-SHA256 of `aud . iat . content`.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// The raw signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether the signature is the one `secret` gives for the header and payload (compared in
    /// constant time). This does not check `jti` against a body: see
    /// [`PbjxTokenSigner::validate_at`].
    ///
    /// ```
    /// use pbjx::token::{PbjxToken, TokenTimes};
    ///
    /// let token = PbjxToken::create_at("{}", "urn:x", "kid", "secret", TokenTimes::default(), 9)
    ///     .unwrap();
    /// let parsed = PbjxToken::parse_at(token.as_str(), 9).unwrap();
    /// assert!(parsed.verify("secret") && !parsed.verify("other"));
    /// ```
    pub fn verify(&self, secret: impl AsRef<[u8]>) -> bool {
        encoding::verify(
            secret.as_ref(),
            self.signing_input().as_bytes(),
            &self.signature,
        )
    }

    /// The header and payload parts, as signed.
    fn signing_input(&self) -> &str {
        self.token
            .rsplit_once('.')
            .map_or(self.token.as_str(), |(input, _)| input)
    }
}

impl fmt::Display for PbjxToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token)
    }
}

impl fmt::Debug for PbjxToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PbjxToken")
            .field("kid", &self.kid)
            .field("aud", &self.aud)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

/// The current unix time in seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The original's time claims: not before `iat` - leeway, not from `exp` + leeway on.
fn check_window(iat: i64, exp: i64, now: i64) -> Result<(), TokenError> {
    if iat > now.saturating_add(PbjxToken::LEEWAY) {
        return Err(TokenError::NotYetValid { iat, now });
    }
    if now.saturating_sub(PbjxToken::LEEWAY) >= exp {
        return Err(TokenError::Expired { exp, now });
    }
    Ok(())
}

/// A base64url JSON part: an object, else `encoding` (not JSON, or not an array at all) or
/// `invalid` (a JSON array, which PHP decodes to an array without the claims).
fn json_part(
    part: &str,
    encoding: TokenError,
    invalid: TokenError,
) -> Result<Map<String, Value>, TokenError> {
    let bytes = encoding::b64_decode(part).ok_or(encoding.clone())?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Array(_)) => Err(invalid),
        _ => Err(encoding),
    }
}

fn string_claim(
    part: &Map<String, Value>,
    name: &str,
    invalid: TokenError,
) -> Result<String, TokenError> {
    part.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(invalid)
}

fn int_claim(payload: &Map<String, Value>, name: &str) -> Result<i64, TokenError> {
    payload
        .get(name)
        .and_then(Value::as_i64)
        .ok_or(TokenError::Payload)
}

/// Why a token was refused. The messages are the original's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three dot-separated parts.
    Malformed,
    /// The header is not base64url JSON.
    HeaderEncoding,
    /// The header lacks `alg` `HS256`, `typ` `JWT` or a string `kid`.
    Header,
    /// The payload is not base64url JSON.
    PayloadEncoding,
    /// The payload lacks a string `aud` or `jti`, or an integer `exp` or `iat`.
    Payload,
    /// The signature is not base64url.
    SignatureEncoding,
    /// `iat` is more than the leeway after `now`.
    NotYetValid {
        /// Issued at.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
    /// `exp` plus the leeway is not after `now`.
    Expired {
        /// Expires at.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// The signer has no key with the token's `kid`.
    UnknownKid {
        /// The key id.
        kid: String,
    },
    /// The token is not the one the signer makes for this content and audience (wrong secret,
    /// body, URL, or any altered byte).
    Mismatch,
}

impl TokenError {
    /// A stable name for the kind of error: `malformed`, `header_encoding`, `header`,
    /// `payload_encoding`, `payload`, `signature_encoding`, `not_yet_valid`, `expired`,
    /// `unknown_kid` or `mismatch`.
    ///
    /// ```
    /// use pbjx::token::PbjxToken;
    ///
    /// assert_eq!(PbjxToken::parse_at("a.b.c", 0).unwrap_err().kind(), "header_encoding");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::HeaderEncoding => "header_encoding",
            Self::Header => "header",
            Self::PayloadEncoding => "payload_encoding",
            Self::Payload => "payload",
            Self::SignatureEncoding => "signature_encoding",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Expired { .. } => "expired",
            Self::UnknownKid { .. } => "unknown_kid",
            Self::Mismatch => "mismatch",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "PbjxToken string is invalid.",
            Self::HeaderEncoding => "PbjxToken header encoding is invalid.",
            Self::Header => "PbjxToken header is invalid.",
            Self::PayloadEncoding => "PbjxToken payload encoding is invalid.",
            Self::Payload => "PbjxToken payload is invalid.",
            Self::SignatureEncoding => "PbjxToken signature encoding is invalid.",
            Self::NotYetValid { .. } => "PbjxToken cannot be handled prior to iat.",
            Self::Expired { .. } => "PbjxToken has expired.",
            Self::UnknownKid { .. } => "PbjxTokenSigner given unknown kid.",
            Self::Mismatch => "PbjxTokens do not match.",
        })
    }
}

impl std::error::Error for TokenError {}

/// A refused token is an invalid argument (code 3), as in the original.
impl From<TokenError> for crate::Error {
    fn from(e: TokenError) -> Self {
        crate::Error::InvalidArgument {
            message: e.to_string(),
        }
    }
}
