//! Where in a payload a violation was found, built on the stack while walking.
//!
//! The walk pushes a `Path` per level by reference, which costs nothing; the string form
//! (`meterValue[0].sampledValue[1].unit`) is only rendered when a violation is reported.

use std::fmt::Write;

/// Longest object key rendered in a path. Schema keys are far shorter; only keys that
/// came from the input (unknown properties) can be longer, and they are cut.
const MAX_KEY_CHARS: usize = 40;

/// A location in a JSON payload, as a linked list from the leaf to the root.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// `a.b[0].c`; the root is the empty string.
    pub(crate) fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Key(parent, _) | Path::Index(parent, _) => {
                    segments.push(at);
                    at = parent;
                }
            }
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Path::Root => {}
                Path::Key(_, key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    push_key(&mut out, key);
                }
                Path::Index(_, index) => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "[{index}]");
                }
            }
        }
        out
    }
}

/// Appends `key`, cut to [`MAX_KEY_CHARS`] and with control characters replaced, so a
/// hostile key can neither flood a description nor forge log lines.
fn push_key(out: &mut String, key: &str) {
    let mut chars = key.chars();
    for c in chars.by_ref().take(MAX_KEY_CHARS) {
        out.push(if c.is_control() { '?' } else { c });
    }
    if chars.next().is_some() {
        out.push_str("...");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_keys_and_indices_like_a_js_accessor() {
        let root = Path::Root;
        let a = Path::Key(&root, "meterValue");
        let b = Path::Index(&a, 0);
        let c = Path::Key(&b, "sampledValue");
        let d = Path::Index(&c, 1);
        let e = Path::Key(&d, "unit");
        assert_eq!(e.render(), "meterValue[0].sampledValue[1].unit");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn long_and_control_character_keys_are_defused() {
        let root = Path::Root;
        let long = "k".repeat(100);
        assert_eq!(
            Path::Key(&root, &long).render(),
            format!("{}...", "k".repeat(40))
        );
        assert_eq!(Path::Key(&root, "a\nb").render(), "a?b");
    }
}
