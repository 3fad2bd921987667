//! PbjxTokens against the PHP implementation's (`../shared/interop/pbjx-token/tokens.jsonl`),
//! tampering, time windows, and robustness on arbitrary tokens.

use pbjx::token::{PbjxToken, PbjxTokenSigner, TokenError, TokenTimes};
use pbjx_tests::{interop_lines, pipe};
use proptest::prelude::*;
use serde::Deserialize;

/// Lines in `tokens.jsonl`: a changed file must be looked at, not skipped.
const TOKEN_LINES: usize = 50;

#[derive(Debug, Deserialize)]
struct Row {
    content: String,
    aud: String,
    kid: String,
    secret: String,
    iat: i64,
    now: i64,
    exp: i64,
    jti: String,
    token: String,
}

fn rows() -> Vec<Row> {
    let lines = interop_lines("pbjx-token/tokens.jsonl");
    assert_eq!(lines.len(), TOKEN_LINES, "token file size changed");
    lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("token rows"))
        .collect()
}

fn signer(row: &Row) -> PbjxTokenSigner {
    PbjxTokenSigner::new([(row.kid.as_str(), row.secret.as_str())], None)
}

fn times(row: &Row) -> TokenTimes {
    TokenTimes {
        iat: Some(row.iat),
        exp: Some(row.exp),
    }
}

#[test]
fn every_php_token_is_created_parsed_and_validated_the_same() {
    for row in rows() {
        let token = PbjxToken::create_at(
            &row.content,
            &row.aud,
            &row.kid,
            &row.secret,
            times(&row),
            row.now,
        )
        .unwrap();
        assert_eq!(token.as_str(), row.token, "{row:?}");
        assert_eq!(token.jti(), row.jti);

        // The defaults are `iat` = now and `exp` = now + 10.
        let defaults = TokenTimes {
            iat: (row.iat != row.now).then_some(row.iat),
            exp: (row.exp != row.now + PbjxToken::TTL).then_some(row.exp),
        };
        let again = PbjxToken::create_at(
            &row.content,
            &row.aud,
            &row.kid,
            &row.secret,
            defaults,
            row.now,
        );
        assert_eq!(again.unwrap().as_str(), row.token);

        let parsed = PbjxToken::parse_at(&row.token, row.now).unwrap();
        assert_eq!(
            (
                parsed.kid(),
                parsed.aud(),
                parsed.iat(),
                parsed.exp(),
                parsed.jti()
            ),
            (
                row.kid.as_str(),
                row.aud.as_str(),
                row.iat,
                row.exp,
                row.jti.as_str()
            )
        );
        assert!(parsed.verify(&row.secret));
        assert!(!parsed.verify(format!("{}x", row.secret)));
        assert_eq!(parsed, token);

        let validated = signer(&row).validate_at(&row.content, &row.aud, &row.token, row.now);
        assert_eq!(validated.unwrap().as_str(), row.token);
    }
}

#[test]
fn wrong_secret_content_audience_or_kid_is_refused() {
    for row in rows() {
        let validate = |signer: &PbjxTokenSigner, content: &str, aud: &str| {
            signer.validate_at(content, aud, &row.token, row.now)
        };
        let other_secret = PbjxTokenSigner::new([(row.kid.as_str(), "not the secret")], None);
        assert_eq!(
            validate(&other_secret, &row.content, &row.aud),
            Err(TokenError::Mismatch)
        );
        let content = format!("{} ", row.content);
        assert_eq!(
            validate(&signer(&row), &content, &row.aud),
            Err(TokenError::Mismatch)
        );
        let aud = format!("{}/", row.aud);
        assert_eq!(
            validate(&signer(&row), &row.content, &aud),
            Err(TokenError::Mismatch)
        );
        let other_kid = PbjxTokenSigner::new([("other", row.secret.as_str())], None);
        assert_eq!(
            validate(&other_kid, &row.content, &row.aud),
            Err(TokenError::UnknownKid {
                kid: row.kid.clone()
            })
        );
    }
}

#[test]
fn tokens_are_accepted_within_the_leeway_only() {
    for row in rows() {
        let at = |now| signer(&row).validate_at(&row.content, &row.aud, &row.token, now);
        let leeway = PbjxToken::LEEWAY;
        assert!(at(row.iat - leeway).is_ok());
        assert_eq!(
            at(row.iat - leeway - 1),
            Err(TokenError::NotYetValid {
                iat: row.iat,
                now: row.iat - leeway - 1
            })
        );
        assert!(at(row.exp + leeway - 1).is_ok());
        assert_eq!(
            at(row.exp + leeway),
            Err(TokenError::Expired {
                exp: row.exp,
                now: row.exp + leeway
            })
        );
    }
}

/// Every single-byte change of every token is refused, with an error about the part changed.
#[test]
fn any_changed_byte_is_refused() {
    const REPLACEMENTS: &[u8] = b"Ag9-.=";
    let mut tried = 0;
    for row in rows() {
        let signer = signer(&row);
        let dots: Vec<usize> = row.token.match_indices('.').map(|(i, _)| i).collect();
        for at in 0..row.token.len() {
            for &b in REPLACEMENTS {
                let mut bytes = row.token.clone().into_bytes();
                if bytes[at] == b {
                    continue;
                }
                bytes[at] = b;
                let token = String::from_utf8(bytes).unwrap();
                let err = signer
                    .validate_at(&row.content, &row.aud, &token, row.now)
                    .expect_err(&token);
                tried += 1;
                let allowed: &[&str] = if b == b'.' || dots.contains(&at) {
                    &[
                        "malformed",
                        "header_encoding",
                        "payload_encoding",
                        "signature_encoding",
                    ]
                } else if at < dots[0] {
                    &["header_encoding", "header", "unknown_kid", "mismatch"]
                } else if at < dots[1] {
                    &[
                        "payload_encoding",
                        "payload",
                        "not_yet_valid",
                        "expired",
                        "mismatch",
                    ]
                } else {
                    &["signature_encoding", "mismatch"]
                };
                assert!(allowed.contains(&err.kind()), "{token}: {err:?}");
            }
        }
    }
    assert!(tried > 50_000, "{tried}");
}

#[test]
fn the_token_subcommands_match_the_php_tokens() {
    let lines = interop_lines("pbjx-token/tokens.jsonl");
    let out = pipe(env!("CARGO_BIN_EXE_pbj-conformance"), &["token"], &lines);
    let want: Vec<String> = rows().into_iter().map(|r| r.token).collect();
    assert_eq!(out, want);

    let checks: Vec<String> = rows()
        .into_iter()
        .flat_map(|r| {
            let line = |content: &str, now: i64| {
                serde_json::json!({
                    "token": r.token, "kid": r.kid, "secret": r.secret,
                    "content": content, "aud": r.aud, "now": now,
                })
                .to_string()
            };
            [
                line(&r.content, r.now),
                line("other", r.now),
                line(&r.content, r.exp + PbjxToken::LEEWAY),
            ]
        })
        .collect();
    let out = pipe(
        env!("CARGO_BIN_EXE_pbj-conformance"),
        &["verify-token"],
        &checks,
    );
    assert_eq!(out.len(), checks.len());
    for results in out.chunks(3) {
        assert_eq!(results[0], "ok");
        let kind = |line: &str| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["error"]["kind"].as_str().unwrap_or_default().to_owned()
        };
        assert_eq!(kind(&results[1]), "mismatch");
        assert_eq!(kind(&results[2]), "expired");
    }
}

fn part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,80}",
        any::<String>(),
        // Base64url of JSON objects with arbitrary claims.
        prop::collection::vec(("(alg|typ|kid|aud|exp|iat|jti)", any::<i64>()), 0..6).prop_map(
            |claims| {
                let map: serde_json::Map<_, _> =
                    claims.into_iter().map(|(k, v)| (k, v.into())).collect();
                base64_url(serde_json::Value::Object(map).to_string().as_bytes())
            }
        ),
    ]
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tokens_never_panic(token in any::<String>(), now in any::<i64>()) {
        let signer = PbjxTokenSigner::new([("kid", "secret")], None);
        prop_assert!(signer.validate_at("content", "aud", &token, now).is_err());
    }

    #[test]
    fn arbitrary_parts_never_panic(header in part(), payload in part(), signature in part(), now in any::<i64>()) {
        let token = format!("{header}.{payload}.{signature}");
        if let Ok(parsed) = PbjxToken::parse_at(&token, now) {
            // Well-formed and in its window, but not signed with this secret.
            prop_assert!(!parsed.verify("secret"));
        }
        let signer = PbjxTokenSigner::new([("kid", "secret")], None);
        prop_assert!(signer.validate_at("content", "aud", &token, now).is_err());
    }
}
