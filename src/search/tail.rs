//! The end of a command's output, in bounded memory: an objective's score is its last
//! line, so however much a training script logs, only the last [`TAIL_BYTES`] are kept.

/// How much of a command's output is kept.
pub const TAIL_BYTES: usize = 1 << 20;

/// The last bytes of a stream, and whether anything before them was dropped.
#[derive(Debug, Default)]
pub struct Tail {
    buf: Vec<u8>,
    dropped: bool,
}

impl Tail {
    /// Adds output, dropping the oldest bytes beyond the limit (amortised: the buffer is
    /// compacted when it reaches twice the limit).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= 2 * TAIL_BYTES {
            let cut = self.buf.len() - TAIL_BYTES;
            self.buf.drain(..cut);
            self.dropped = true;
        }
    }

    /// The last non-empty line, or why there is none that can be trusted.
    pub fn last_line(&self) -> std::result::Result<String, String> {
        let keep = &self.buf[self.buf.len().saturating_sub(TAIL_BYTES)..];
        let dropped = self.dropped || keep.len() < self.buf.len();
        let text = String::from_utf8_lossy(keep);
        let trimmed = text.trim_end();
        let start = trimmed.rfind('\n').map(|i| i + 1);
        if start.is_none() && dropped {
            return Err(format!(
                "failed: the last line of output is longer than {} MiB",
                TAIL_BYTES >> 20
            ));
        }
        Ok(trimmed[start.unwrap_or(0)..].trim().to_string())
    }
}

/// Reads a score from a command's last line of output.
pub fn parse_score(last: &str) -> std::result::Result<f64, String> {
    match last.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => {
            let shown: String = last.chars().take(80).collect();
            let more = if last.chars().count() > 80 { "..." } else { "" };
            Err(format!(
                "failed: the last line of output, `{shown}{more}`, is not a finite number"
            ))
        }
    }
}

/// A command's score when it has a name: the number on its last line, or that line's
/// JSON object's `name` field (a training script that prints all its metrics at the end,
/// `{"val_acc": 0.93, "loss": 0.21}`).
pub fn parse_named_score(last: &str, name: &str) -> std::result::Result<f64, String> {
    if last.trim_start().starts_with('{') {
        return parse_scores(last, &[name]).map(|v| v[0]);
    }
    parse_score(last)
}

/// Reads the measured objectives (`names`, in order) from a command's last line.
pub fn parse_scores(line: &str, names: &[&str]) -> std::result::Result<Vec<f64>, String> {
    let line = line.trim();
    let shown: String = line.chars().take(80).collect();
    let bad = |why: String| format!("failed: the last line of output, `{shown}`, {why}");
    let vals: Vec<f64> = if line.starts_with('{') {
        let obj: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| bad(format!("is not a JSON object ({e})")))?;
        names
            .iter()
            .map(|n| {
                obj.get(*n)
                    .and_then(|v| v.as_f64())
                    .ok_or_else(|| bad(format!("has no number `{n}`")))
            })
            .collect::<std::result::Result<_, _>>()?
    } else {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() != names.len() {
            return Err(bad(format!(
                "has {} values, not {} ({})",
                parts.len(),
                names.len(),
                names.join(" ")
            )));
        }
        parts
            .iter()
            .map(|p| {
                p.parse::<f64>()
                    .map_err(|_| bad(format!("has `{p}`, not a number")))
            })
            .collect::<std::result::Result<_, _>>()?
    };
    if let Some(v) = vals.iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("has {v}, not a finite number")));
    }
    Ok(vals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_line_of_long_output() {
        let mut t = Tail::default();
        for _ in 0..5000 {
            t.push(&[b'x'; 1000]);
            t.push(b"\n");
        }
        t.push(b"0.93\n\n");
        assert!(t.buf.len() < 2 * TAIL_BYTES);
        assert_eq!(t.last_line().unwrap(), "0.93");
        let mut long = Tail::default();
        for _ in 0..3000 {
            long.push(&[b'7'; 1000]);
        }
        assert!(long.last_line().unwrap_err().contains("longer than"));
        assert!(parse_score("nan").is_err() && parse_score(" 1e3 ").is_ok());
        let json = r#"{"val_acc": 0.93, "loss": 0.21}"#;
        assert_eq!(parse_named_score(json, "val_acc"), Ok(0.93));
        assert_eq!(parse_named_score("0.5", "val_acc"), Ok(0.5));
        let e = parse_named_score(json, "acc").unwrap_err();
        assert!(e.contains("has no number `acc`"), "{e}");
        assert!(parse_named_score(r#"{"val_acc": "high"}"#, "val_acc").is_err());
    }
}
