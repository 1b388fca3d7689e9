//! The text form of `jsonb` (`jsonb_out`: `{"a": 1, "b": [1, 2]}`) and of
//! `jsonb_pretty`, with PostgreSQL's string escapes.

use std::fmt;

use super::Json;

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => write!(f, "{n}"),
            Json::String(s) => f.write_str(&escape_string(s)),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {v}", escape_string(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// `s` as a JSON string literal, escaped as PostgreSQL's `escape_json`
/// does: `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters
/// as `\u00XX`, everything else as is.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `jsonb_pretty`: one member per line, indented by four spaces a level.
pub fn write_pretty(j: &Json, level: usize, out: &mut String) {
    let indent = |out: &mut String, level: usize| out.push_str(&"    ".repeat(level));
    match j {
        Json::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, level + 1);
                write_pretty(item, level + 1, out);
            }
            if !items.is_empty() {
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Json::Object(pairs) => {
            out.push_str("{\n");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, level + 1);
                out.push_str(&escape_string(k));
                out.push_str(": ");
                write_pretty(v, level + 1, out);
            }
            if !pairs.is_empty() {
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
