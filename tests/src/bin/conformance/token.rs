//! `token` and `verify-token`: PbjxTokens made and checked as the original does.

use pbjx::token::{PbjxToken, PbjxTokenSigner, TokenTimes};
use serde_json::{Map, Value};

use super::{error, object};

/// The token for one `{"content","aud","kid","secret","iat","exp","now"}` line (`iat` and
/// `exp` optional).
pub fn create_line(text: &str) -> String {
    let token = object(text).and_then(|row| {
        let times = TokenTimes {
            iat: int(&row, "iat")?,
            exp: int(&row, "exp")?,
        };
        let now = int(&row, "now")?.ok_or_else(|| missing("now"))?;
        PbjxToken::create_at(
            string(&row, "content")?,
            string(&row, "aud")?,
            string(&row, "kid")?,
            string(&row, "secret")?,
            times,
            now,
        )
        .map_err(|e| error(e.kind(), &e))
    });
    match token {
        Ok(token) => token.to_string(),
        Err(e) => e.to_string(),
    }
}

/// `ok`, or the error object, for one `{"token","kid","secret","content","aud","now"}` line.
pub fn verify_line(text: &str) -> String {
    let checked = object(text).and_then(|row| {
        let signer = PbjxTokenSigner::new([(string(&row, "kid")?, string(&row, "secret")?)], None);
        let now = int(&row, "now")?.ok_or_else(|| missing("now"))?;
        signer
            .validate_at(
                string(&row, "content")?,
                string(&row, "aud")?,
                string(&row, "token")?,
                now,
            )
            .map_err(|e| error(e.kind(), &e))
    });
    match checked {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    }
}

fn missing(name: &str) -> Value {
    error("input", format!("{name} is required"))
}

fn string<'a>(row: &'a Map<String, Value>, name: &str) -> Result<&'a str, Value> {
    row.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| error("input", format!("{name} must be a string")))
}

fn int(row: &Map<String, Value>, name: &str) -> Result<Option<i64>, Value> {
    match row.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| error("input", format!("{name} must be an integer"))),
    }
}
