//! Borrowing views of a verified body: [`JsonValue`], [`JsonObject`],
//! [`JsonArray`]. Each is a reference to the tape and a node index, `Copy`,
//! and resolves strings and numbers to slices of the tape without copying.

use std::fmt;

use super::number::JsonNumber;
use super::tape::{member, Kind, Tape, FALSE, TRUE, WORD};

/// A verified JSON value, borrowed from a [`CanonicalBody`](super::CanonicalBody).
///
/// The members of a [`JsonValue::Object`] come **in RFC 8785 order** (by the
/// UTF-16 code units of their unescaped names), the order of the canonical
/// bytes, not the order of the source text. Names are unique.
///
/// ```
/// use kakunin_verify::canonical::{canonicalize, JsonValue};
/// let body = canonicalize(br#"{"b":[1,"x"],"a":{"k":null}}"#).unwrap();
/// let names: Vec<&str> = body.value().and_then(JsonValue::as_object).unwrap()
///     .iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["a", "b"]);
/// let b = body.get("b").and_then(JsonValue::as_array).unwrap();
/// assert_eq!(b.get(1).and_then(JsonValue::as_str), Some("x"));
/// assert!(matches!(body.get("a").and_then(|a| a.get("k")), Some(JsonValue::Null)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JsonValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, with its source text.
    Number(JsonNumber<'a>),
    /// A string, unescaped.
    String(&'a str),
    /// An array, in source order.
    Array(JsonArray<'a>),
    /// An object: members in RFC 8785 order, names unique.
    Object(JsonObject<'a>),
}

impl<'a> JsonValue<'a> {
    /// The value at tape index `i`.
    pub(super) fn at(tape: Tape<'a>, i: u32) -> JsonValue<'a> {
        let Some(node) = tape.node(i) else {
            return JsonValue::Null;
        };
        match node.kind() {
            Kind::Literal => match node.len() {
                TRUE => JsonValue::Bool(true),
                FALSE => JsonValue::Bool(false),
                _ => JsonValue::Null,
            },
            Kind::Number | Kind::NumberInline => {
                JsonValue::Number(JsonNumber::from_verified(tape.text(node)))
            }
            Kind::String | Kind::StringInline => JsonValue::String(tape.text(node)),
            Kind::Array => JsonValue::Array(JsonArray { tape, at: i }),
            Kind::Object => JsonValue::Object(JsonObject { tape, at: i }),
        }
    }

    /// The string, if this is a string.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(self) -> Option<JsonNumber<'a>> {
        match self {
            JsonValue::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            JsonValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The object, if this is an object.
    pub fn as_object(self) -> Option<JsonObject<'a>> {
        match self {
            JsonValue::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is an array.
    pub fn as_array(self) -> Option<JsonArray<'a>> {
        match self {
            JsonValue::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member named `name` (exact, case-sensitive), if this is an object.
    pub fn get(self, name: &str) -> Option<JsonValue<'a>> {
        self.as_object()?.get(name)
    }

    /// Converts to a `serde_json::Value`. Numbers become integers when their
    /// source text is an integer that fits `u64`/`i64`, else the double.
    pub fn to_serde_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            JsonValue::Null => Value::Null,
            JsonValue::Bool(b) => Value::Bool(b),
            JsonValue::Number(n) => n.to_serde_number().map_or(Value::Null, Value::Number),
            JsonValue::String(s) => Value::String(s.to_owned()),
            JsonValue::Array(items) => {
                Value::Array(items.iter().map(Self::to_serde_json).collect())
            }
            JsonValue::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_serde_json()))
                    .collect(),
            ),
        }
    }
}

/// A verified JSON object: members in RFC 8785 order, names unique.
#[derive(Clone, Copy)]
pub struct JsonObject<'a> {
    tape: Tape<'a>,
    at: u32,
}

/// Objects of up to this many members are searched by one linear pass.
const LINEAR_LOOKUP: usize = 16;

impl<'a> JsonObject<'a> {
    /// The number of members.
    pub fn len(&self) -> usize {
        self.tape.members(self.at).len()
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The member named `name` (exact, case-sensitive): one pass over a
    /// small object, a binary search in RFC 8785 order over a larger one.
    pub fn get(&self, name: &str) -> Option<JsonValue<'a>> {
        let members = self.tape.members(self.at);
        let entry = if members.len() <= LINEAR_LOOKUP {
            // Names are distinct, so the one equal to `name` is the one a
            // binary search finds; for a small object one pass comparing
            // lengths first costs less than the search's ordered compares.
            members
                .iter()
                .find(|&&m| self.tape.name_is(m, name.as_bytes()))?
        } else {
            let found = members
                .binary_search_by(|&m| self.tape.cmp_name(m, name.as_bytes()))
                .ok()?;
            members.get(found)?
        };
        Some(self.value_of(*entry))
    }

    /// The value of the member at index entry `m` (the record after its name).
    fn value_of(&self, m: [u8; WORD]) -> JsonValue<'a> {
        JsonValue::at(self.tape, self.tape.next(member(m)))
    }

    /// [`get`](Self::get) for two names at once (equal ones allowed): a
    /// small object is scanned once, until both are found.
    pub(crate) fn get_pair(
        &self,
        a: &str,
        b: &str,
    ) -> (Option<JsonValue<'a>>, Option<JsonValue<'a>>) {
        let members = self.tape.members(self.at);
        if members.len() > LINEAR_LOOKUP {
            return (self.get(a), self.get(b));
        }
        let (mut found_a, mut found_b) = (None, None);
        for &m in members {
            if found_a.is_none() && self.tape.name_is(m, a.as_bytes()) {
                found_a = Some(m);
            }
            if found_b.is_none() && self.tape.name_is(m, b.as_bytes()) {
                found_b = Some(m);
            }
            if found_a.is_some() && found_b.is_some() {
                break;
            }
        }
        (
            found_a.map(|m| self.value_of(m)),
            found_b.map(|m| self.value_of(m)),
        )
    }

    /// The members as `(name, value)`, in RFC 8785 order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, JsonValue<'a>)> + 'a {
        let tape = self.tape;
        tape.members(self.at).iter().map(move |&m| {
            let name = member(m);
            (tape.text_at(name), JsonValue::at(tape, tape.next(name)))
        })
    }
}

impl PartialEq for JsonObject<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for JsonObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A verified JSON array, in source order.
#[derive(Clone, Copy)]
pub struct JsonArray<'a> {
    tape: Tape<'a>,
    at: u32,
}

impl<'a> JsonArray<'a> {
    /// The number of items.
    pub fn len(&self) -> usize {
        self.tape.node(self.at).map_or(0, |n| n.len() as usize)
    }

    /// Whether the array has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `i` (a walk over the items before it).
    pub fn get(&self, i: usize) -> Option<JsonValue<'a>> {
        self.iter().nth(i)
    }

    /// The items, in source order.
    pub fn iter(&self) -> impl Iterator<Item = JsonValue<'a>> + 'a {
        let tape = self.tape;
        let end = tape.next(self.at);
        let mut next = self.at.saturating_add(super::tape::HEADER as u32);
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let item = next;
            next = tape.next(item);
            Some(JsonValue::at(tape, item))
        })
    }
}

impl PartialEq for JsonArray<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for JsonArray<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
