//! NgDP's JSON as the reader sees it: the fields it uses, each read as a
//! [`Scalar`] or an [`Object`] that accepts any JSON value.
//!
//! serde's own errors for a value of the wrong type quote the value
//! (`invalid type: string "0101901234"`), and a value in the wrong place may
//! be a CPR number. So nothing here ever fails on a value: every leaf is
//! taken as it comes and checked afterwards by the mapping, whose messages
//! mask what they quote. The only errors left to serde_json are syntax
//! errors and duplicate fields, which name no value. Fields the reader does
//! not use (mobile numbers, addresses, anything the API adds) are skipped
//! unread.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Longest string kept: enum values, numbers and times are shorter.
const INLINE: usize = 40;

/// A JSON value where the reader expects a string, a number or null.
#[derive(Clone, Copy, Default, PartialEq)]
pub(super) enum Scalar {
    /// The field is not in the object.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// A string of at most [`INLINE`] bytes.
    Str { len: u8, bytes: [u8; INLINE] },
    /// A longer string (not kept).
    LongStr,
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    OtherNumber,
    /// `true` or `false`.
    Bool,
    /// An array (skipped).
    Array,
    /// An object (skipped).
    Object,
}

impl Scalar {
    /// The string, if the value is one (and short enough to be kept).
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).ok(),
            _ => None,
        }
    }

    /// Absent or `null`.
    pub(super) fn is_absent(&self) -> bool {
        matches!(self, Scalar::Missing | Scalar::Null)
    }

    /// What the value is, for a message: never the value itself.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Scalar::Missing => "missing",
            Scalar::Null => "null",
            Scalar::Str { .. } => "a string",
            Scalar::LongStr => "a string of more than 40 bytes",
            Scalar::Int(_) | Scalar::OtherNumber => "a number",
            Scalar::Bool => "a boolean",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl fmt::Debug for Scalar {
    /// The kind only: a scalar may hold a CPR number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::OtherNumber, Scalar::Int))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::OtherNumber)
    }

    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        if v.len() > INLINE {
            return Ok(Scalar::LongStr);
        }
        let mut bytes = [0; INLINE];
        bytes[..v.len()].copy_from_slice(v.as_bytes());
        Ok(Scalar::Str {
            len: v.len() as u8,
            bytes,
        })
    }

    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        Scalar::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// A JSON value where the reader expects an object of type `T` (whose
/// fields are all [`Scalar`]s or `Object`s, so reading it cannot fail on a
/// value either).
#[derive(Default)]
pub(super) enum Object<T> {
    /// The field is not there.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// An object.
    Present(T),
    /// Something else: what it is.
    Wrong(&'static str),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Object<T>, D::Error> {
        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Object::Present)
    }

    fn visit_none<E>(self) -> Result<Object<T>, E> {
        Ok(Object::Null)
    }

    fn visit_unit<E>(self) -> Result<Object<T>, E> {
        Ok(Object::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Object<T>, D::Error> {
        Object::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Object::Wrong("an array"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Object<T>, E> {
        Ok(Object::Wrong("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Object<T>, E> {
        Ok(Object::Wrong("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Object<T>, E> {
        Ok(Object::Wrong("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Object<T>, E> {
        Ok(Object::Wrong("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Object<T>, E> {
        Ok(Object::Wrong("a string"))
    }
}

/// A contact, with the fields the index needs.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawContact {
    pub(super) version: Scalar,
    #[serde(rename = "type")]
    pub(super) kind: Scalar,
    pub(super) cpr_number: Scalar,
    pub(super) cvr_number: Scalar,
    pub(super) mailbox_subscription: Object<RawMailbox>,
    pub(super) nem_sms_subscription: Object<RawNemSms>,
    pub(super) last_updated: Scalar,
}

/// `mailboxSubscription`.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawMailbox {
    pub(super) registration_status: Scalar,
    pub(super) public_registration_status: Scalar,
    pub(super) exemption_start: Scalar,
    pub(super) exemption_end: Scalar,
}

/// `nemSmsSubscription`: only whether the number is verified. The mobile
/// number itself is never read.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawNemSms {
    pub(super) verification_time: Scalar,
}

/// The counts a page states about itself and the whole result.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PageHead {
    pub(super) current_page: Scalar,
    pub(super) total_pages: Scalar,
    pub(super) elements_on_page: Scalar,
    pub(super) total_elements: Scalar,
    /// Contacts in the `contacts` array; `None` if there is no array.
    pub(super) contacts: Option<u64>,
    /// Whether the page has a `contacts` field that is not an array.
    pub(super) contacts_wrong: Option<&'static str>,
}

/// Reads one page (`ContactSearchResult`) from `deserializer`, handing each
/// contact to `sink` in order as it is parsed, so that memory does not grow
/// with the page.
pub(super) fn read_page<'de, D: Deserializer<'de>>(
    deserializer: D,
    sink: &mut dyn FnMut(Object<RawContact>),
) -> Result<PageHead, D::Error> {
    deserializer.deserialize_any(PageVisitor { sink })
}

struct PageVisitor<'a> {
    sink: &'a mut dyn FnMut(Object<RawContact>),
}

/// The keys of a page that the reader uses.
enum PageKey {
    CurrentPage,
    TotalPages,
    ElementsOnPage,
    TotalElements,
    Contacts,
    Other,
}

impl<'de> Deserialize<'de> for PageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PageKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = PageKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<PageKey, E> {
                Ok(match v {
                    "currentPage" => PageKey::CurrentPage,
                    "totalPages" => PageKey::TotalPages,
                    "elementsOnPage" => PageKey::ElementsOnPage,
                    "totalElements" => PageKey::TotalElements,
                    "contacts" => PageKey::Contacts,
                    _ => PageKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Fails on a page that is not an object, without quoting it.
macro_rules! not_a_page {
    ($($method:ident($($ty:ty)?)),*) => {$(
        fn $method<E: de::Error>(self $(, _: $ty)?) -> Result<PageHead, E> {
            Err(E::custom("the file is not an NgDP page: its top level is not an object"))
        }
    )*};
}

impl<'de> Visitor<'de> for PageVisitor<'_> {
    type Value = PageHead;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an NgDP page")
    }

    not_a_page!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_unit()
    );

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<PageHead, A::Error> {
        Err(de::Error::custom(
            "the file is not an NgDP page: its top level is an array, not an object",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PageHead, A::Error> {
        let mut head = PageHead::default();
        let mut seen_contacts = false;
        while let Some(key) = map.next_key::<PageKey>()? {
            let slot = match key {
                PageKey::CurrentPage => &mut head.current_page,
                PageKey::TotalPages => &mut head.total_pages,
                PageKey::ElementsOnPage => &mut head.elements_on_page,
                PageKey::TotalElements => &mut head.total_elements,
                PageKey::Contacts => {
                    if seen_contacts {
                        return Err(de::Error::duplicate_field("contacts"));
                    }
                    seen_contacts = true;
                    match map.next_value_seed(ContactsSeed {
                        sink: &mut *self.sink,
                    })? {
                        Ok(count) => head.contacts = Some(count),
                        Err(what) => head.contacts_wrong = Some(what),
                    }
                    continue;
                }
                PageKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if *slot != Scalar::Missing {
                return Err(de::Error::custom("a page field appears twice"));
            }
            *slot = map.next_value()?;
        }
        Ok(head)
    }
}

/// The `contacts` array, streamed to the sink: its length, or what it is instead.
struct ContactsSeed<'a> {
    sink: &'a mut dyn FnMut(Object<RawContact>),
}

impl<'de> DeserializeSeed<'de> for ContactsSeed<'_> {
    type Value = Result<u64, &'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ContactsSeed<'_> {
    type Value = Result<u64, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of contacts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut count = 0;
        while let Some(contact) = seq.next_element::<Object<RawContact>>()? {
            count += 1;
            (self.sink)(contact);
        }
        Ok(Ok(count))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err("an object"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string"))
    }
}
