//! Reads a drawn SVG back and lists what a reader could not read: a bar without a label,
//! a count axis ticked at a fraction, an axis with fewer than two labels, a NaN drawn,
//! or a plot drawn by something else (whose bars and ticks cannot be read back).
//! The plots' test and the docs' check (`wlgp plot --check`) both use it.

/// One `<text>` element: its class and its visible text.
struct Text {
    class: String,
    text: String,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    tag[start..].find('"').map(|end| &tag[start..start + end])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn texts(svg: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let Some(close) = rest.find('>') else { break };
        let Some(end) = rest.find("</text>") else {
            break;
        };
        let mut inner = &rest[close + 1..end];
        if let Some(t) = inner.find("</title>") {
            inner = &inner[t + "</title>".len()..];
        }
        out.push(Text {
            class: attr(&rest[..close], "class").unwrap_or("").to_string(),
            text: unescape(inner).trim().to_string(),
        });
        rest = &rest[end..];
    }
    out
}

/// The problems in `svg`, one line each; empty when every bar and tick reads.
pub fn problems(svg: &str) -> Vec<String> {
    let mut found = Vec::new();
    if !svg.contains("<rect class=\"frame\"") {
        found.push(
            "not drawn by wlgp's plotting module: its bars and ticks cannot be checked".into(),
        );
        return found;
    }
    if svg.contains("NaN") || svg.contains("inf\"") {
        found.push("a coordinate is not a number".to_string());
    }
    let texts = texts(svg);
    let bars = svg.matches("<rect class=\"bar\"").count();
    let labels = texts
        .iter()
        .filter(|t| t.class == "bar-label" && !t.text.is_empty())
        .count();
    if bars != labels {
        found.push(format!("{bars} bars but {labels} bar labels"));
    }
    for axis in ["x", "y"] {
        let ticks: Vec<&Text> = texts
            .iter()
            .filter(|t| t.class.starts_with(&format!("tick {axis} ")))
            .collect();
        if ticks.is_empty() {
            continue;
        }
        if ticks.len() < 2 {
            found.push(format!(
                "the {axis} axis has {} tick label(s); a reader needs two to read a value",
                ticks.len()
            ));
        }
        for t in ticks.iter().filter(|t| t.class.ends_with(" count")) {
            if t.text.parse::<i64>().is_err() {
                found.push(format!(
                    "the {axis} axis counts but has a tick `{}`",
                    t.text
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fractional_count_tick_and_an_unlabelled_bar_are_found() {
        let svg = "<svg><rect class=\"frame\"/><rect class=\"bar\" x=\"0\"/><rect class=\"bar\" x=\"1\"/>\
            <text class=\"bar-label\" x=\"0\">a &amp; b</text>\
            <text class=\"tick x count\" x=\"0\">20.0</text>\
            <text class=\"tick x count\" x=\"1\">40</text></svg>";
        let p = problems(svg);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("2 bars but 1 bar labels"));
        assert!(p[1].contains("`20.0`"));
    }
}
