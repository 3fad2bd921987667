//! [`PbjxTokenSigner`]: signs and validates tokens with several keys.

use std::collections::HashMap;
use std::fmt;

use super::{PbjxToken, TokenError, TokenTimes, unix_now};

/// Signs and validates PbjxTokens with a set of keys (`kid` → secret), as the original bundle's
/// `PbjxTokenSigner`: rotate keys by adding the new kid, signing with it, and removing the old
/// one once no client uses it.
///
/// ```
/// use pbjx::token::{PbjxTokenSigner, TokenError};
///
/// let mut signer = PbjxTokenSigner::new([("2023", "old secret"), ("2024", "new secret")], None);
/// assert_eq!(signer.default_kid(), Some("2024"));
/// let old = signer.sign_at("{}", "https://x/pbjx", Some("2023"), 100).unwrap();
/// assert!(signer.validate_at("{}", "https://x/pbjx", old.as_str(), 100).is_ok());
/// signer.remove_key("2023");
/// assert_eq!(
///     signer.validate_at("{}", "https://x/pbjx", old.as_str(), 100),
///     Err(TokenError::UnknownKid { kid: "2023".into() })
/// );
/// ```
#[derive(Clone, Default)]
pub struct PbjxTokenSigner {
    keys: HashMap<String, Vec<u8>>,
    default_kid: Option<String>,
}

impl PbjxTokenSigner {
    /// A signer with these keys; the default kid is `default_kid`, else the last key's.
    pub fn new<K, S>(keys: impl IntoIterator<Item = (K, S)>, default_kid: Option<&str>) -> Self
    where
        K: Into<String>,
        S: AsRef<[u8]>,
    {
        let mut signer = Self::default();
        let mut last = None;
        for (kid, secret) in keys {
            let kid = kid.into();
            signer.add_key(kid.clone(), secret);
            last = Some(kid);
        }
        signer.default_kid = default_kid
            .filter(|k| !php_falsy(k))
            .map(str::to_owned)
            .or(last);
        signer
    }

    /// Adds (or replaces) a key.
    pub fn add_key(&mut self, kid: impl Into<String>, secret: impl AsRef<[u8]>) {
        self.keys.insert(kid.into(), secret.as_ref().to_vec());
    }

    /// Removes a key; tokens signed with it are refused from now on.
    pub fn remove_key(&mut self, kid: &str) {
        self.keys.remove(kid);
    }

    /// Sets the kid used when [`PbjxTokenSigner::sign_at`] is given none (`None`, `""` or
    /// `"0"`: none).
    pub fn set_default_kid(&mut self, kid: Option<&str>) {
        self.default_kid = kid.filter(|k| !php_falsy(k)).map(str::to_owned);
    }

    /// The kid used when [`PbjxTokenSigner::sign_at`] is given none.
    pub fn default_kid(&self) -> Option<&str> {
        self.default_kid.as_deref()
    }

    /// A token for `content` sent to `aud`, issued now.
    pub fn sign(
        &self,
        content: &str,
        aud: &str,
        kid: Option<&str>,
    ) -> Result<PbjxToken, TokenError> {
        self.sign_at(content, aud, kid, unix_now())
    }

    /// A token for `content` sent to `aud`, signed with `kid` (the default kid when `None`,
    /// empty or `"0"`, as PHP's `?:` falls back) and issued at unix time `now`.
    pub fn sign_at(
        &self,
        content: &str,
        aud: &str,
        kid: Option<&str>,
        now: i64,
    ) -> Result<PbjxToken, TokenError> {
        let kid = kid
            .filter(|k| !php_falsy(k))
            .or(self.default_kid())
            .unwrap_or_default();
        PbjxToken::create_at(
            content,
            aud,
            kid,
            self.secret(kid)?,
            TokenTimes::default(),
            now,
        )
    }

    /// Validates `token` for `content` sent to `aud` at the current time.
    pub fn validate(&self, content: &str, aud: &str, token: &str) -> Result<PbjxToken, TokenError> {
        self.validate_at(content, aud, token, unix_now())
    }

    /// Validates `token` for `content` sent to `aud` at unix time `now`: it must parse, be
    /// within its window, name a known kid, and be byte for byte the token this signer makes
    /// for the same content, audience, kid and times (the signature compared in constant time).
    pub fn validate_at(
        &self,
        content: &str,
        aud: &str,
        token: &str,
        now: i64,
    ) -> Result<PbjxToken, TokenError> {
        let actual = PbjxToken::parse_at(token, now)?;
        let secret = self.secret(actual.kid())?;
        let times = TokenTimes {
            iat: Some(actual.iat()),
            exp: Some(actual.exp()),
        };
        let expected = PbjxToken::create_at(content, aud, actual.kid(), secret, times, now)?;
        // Header and payload are public; only the signature needs a constant-time comparison.
        // Both are canonical base64url, so equal bytes mean an equal token string.
        if expected.signing_input() != actual.signing_input() || !actual.verify(secret) {
            return Err(TokenError::Mismatch);
        }
        Ok(actual)
    }

    fn secret(&self, kid: &str) -> Result<&[u8], TokenError> {
        self.keys
            .get(kid)
            .map(Vec::as_slice)
            .ok_or_else(|| TokenError::UnknownKid {
                kid: kid.to_owned(),
            })
    }
}

/// PHP's `?:` treats `""` and `"0"` as missing.
fn php_falsy(s: &str) -> bool {
    s.is_empty() || s == "0"
}

impl fmt::Debug for PbjxTokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        f.debug_struct("PbjxTokenSigner")
            .field("kids", &kids)
            .field("default_kid", &self.default_kid)
            .finish_non_exhaustive()
    }
}
