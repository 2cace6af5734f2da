//! Turns `timed.toml` into a [`Config`] while collecting every problem rather than the first.
//!
//! serde stops at the first key it cannot take, so each key (each leaf of the document: a value
//! that is not a table, or an empty table) is first deserialized on its own, in a document that
//! holds only that key; those that fail are reported with their position and left out, and the
//! rest is deserialized together. A bad key then costs only its own value (the default stands in
//! for it), and the semantic checks still see everything else.

use super::Config;
use serde::Deserialize;
use std::ops::Range;
use toml::de::{DeTable, DeValue, Deserializer, Error};
use toml::Spanned;

pub(super) type Root<'i> = Spanned<DeTable<'i>>;

/// Parses TOML syntax; `Err` holds every syntax error found.
pub(super) fn parse(text: &str) -> Result<Root<'_>, Vec<Error>> {
    let (root, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        Ok(root)
    } else {
        Err(errors)
    }
}

/// A key that could not be taken: its dotted name, and the error.
pub(super) struct Rejected {
    pub key: String,
    pub error: Error,
}

/// The configuration from every key that deserializes, and the keys that do not.
pub(super) fn config(root: &Root<'_>) -> (Config, Vec<Rejected>) {
    let mut all = Vec::new();
    leaves(root.get_ref(), &mut Vec::new(), &mut all);
    let mut rejected = Vec::new();
    let mut good: Vec<&[String]> = Vec::new();
    for leaf in &all {
        match deserialize(root, &[leaf.as_slice()]) {
            Ok(_) => good.push(leaf),
            Err(error) => rejected.push(Rejected { key: leaf.join("."), error }),
        }
    }
    // Keys that are fine alone are fine together (no check spans two keys during
    // deserialization); should that ever change, the combined error is still reported.
    match deserialize(root, &good) {
        Ok(cfg) => (cfg, rejected),
        Err(error) => {
            rejected.push(Rejected { key: String::new(), error });
            (Config::default(), rejected)
        }
    }
}

/// Where the value of a dotted key is in the text.
pub(super) fn span_of(root: &Root<'_>, dotted: &str) -> Option<Range<usize>> {
    let mut table = Some(root.get_ref());
    let mut span = None;
    for k in dotted.split('.') {
        let (_, v) = table?.iter().find(|(key, _)| key.get_ref() == k)?;
        span = Some(v.span());
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    span
}

/// Collects the key paths of `table`'s leaves.
fn leaves(table: &DeTable<'_>, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if table.is_empty() && !prefix.is_empty() {
        out.push(prefix.clone());
    }
    for (k, v) in table.iter() {
        prefix.push(k.get_ref().to_string());
        match v.get_ref() {
            DeValue::Table(t) => leaves(t, prefix, out),
            _ => out.push(prefix.clone()),
        }
        prefix.pop();
    }
}

/// Deserializes the part of the document made of `paths` (with their original positions).
fn deserialize(root: &Root<'_>, paths: &[&[String]]) -> Result<Config, Error> {
    let part = Spanned::new(root.span(), subset(root.get_ref(), paths));
    Config::deserialize(Deserializer::from(part))
}

fn subset<'i>(table: &DeTable<'i>, paths: &[&[String]]) -> DeTable<'i> {
    let mut out = DeTable::new();
    for (k, v) in table.iter() {
        let below: Vec<&[String]> = paths
            .iter()
            .filter(|p| p.first().map(String::as_str) == Some(k.get_ref()))
            .map(|p| &p[1..])
            .collect();
        if below.is_empty() {
            continue;
        }
        let value = match v.get_ref() {
            DeValue::Table(t) if below.iter().all(|p| !p.is_empty()) => {
                Spanned::new(v.span(), DeValue::Table(subset(t, &below)))
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), value);
    }
    out
}
