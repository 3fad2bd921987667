//! Optional `rustfmt` pass over the generated source.

use std::io::Write;
use std::process::{Command, Stdio};

/// Formats `code` with `$RUSTFMT` (or `rustfmt`), edition 2024; `None` if unavailable or failing.
///
/// Runs in the temp directory so that no project `rustfmt.toml` changes the output.
pub(crate) fn rustfmt(code: &str) -> Option<String> {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(program)
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// Formats each of `codes` with [`rustfmt`], up to one `rustfmt` process per available core
/// at a time; `None` for a code that could not be formatted.
pub(crate) fn rustfmt_all(codes: Vec<&str>) -> Vec<Option<String>> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut out = Vec::with_capacity(codes.len());
    for batch in codes.chunks(jobs) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|code| scope.spawn(move || rustfmt(code)))
                .collect();
            out.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        });
    }
    out
}

/// Formats `code` like [`rustfmt`], in parallel: the file is cut at up to one item boundary
/// per available core, each part is formatted by its own `rustfmt` process inside dummy
/// `mod` wrappers that restore its nesting, and the parts are joined again. rustfmt formats
/// items independently, so the result is the same as formatting the whole file at once.
///
/// `cuts` are `(offset, open modules)` pairs: `code[..offset]` ends with a blank line and the
/// line at `offset` is nested in that many modules.
pub(crate) fn rustfmt_split(code: &str, cuts: &[(usize, usize)]) -> Option<String> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    // Part starts: (offset, depth), in order; the blank line before each start is dropped.
    let mut starts = vec![(0, 0)];
    for k in 1..jobs {
        let target = code.len() * k / jobs;
        let last = starts.last().map_or(0, |s: &(usize, usize)| s.0);
        if let Some(&cut) = cuts.iter().find(|c| c.0 >= target && c.0 > last)
            && code.get(..cut.0).is_some_and(|s| s.ends_with("\n\n"))
        {
            starts.push(cut);
        }
    }
    if starts.len() == 1 {
        return rustfmt(code);
    }
    let parts: Vec<(String, usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(i, &(start, open))| {
            let (end, close) = starts
                .get(i + 1)
                .map_or((code.len(), 0), |n| (n.0 - 1, n.1));
            let text = format!(
                "{}{}{}",
                "mod _pbjc {\n".repeat(open),
                &code[start..end],
                "}\n".repeat(close)
            );
            (text, open, close)
        })
        .collect();
    let formatted: Vec<Option<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|(text, _, _)| scope.spawn(move || rustfmt(text)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut out = String::with_capacity(code.len() + code.len() / 8);
    for (i, (part, (_, open, close))) in formatted.into_iter().zip(&parts).enumerate() {
        let Some(part) = part else {
            return rustfmt(code);
        };
        let lines: Vec<&str> = part.split_inclusive('\n').collect();
        let Some(body) = lines.get(*open..lines.len().saturating_sub(*close)) else {
            return rustfmt(code);
        };
        let wrappers_ok = lines[..*open].iter().all(|l| l.trim() == "mod _pbjc {")
            && lines[lines.len() - close..].iter().all(|l| l.trim() == "}");
        if !wrappers_ok || body.len() + open + close != lines.len() {
            return rustfmt(code);
        }
        if i > 0 {
            out.push('\n');
        }
        out.extend(body.iter().copied());
    }
    Some(out)
}
