//! What changed between two indexes: recipients added, removed and changed,
//! per kind and per transition of their answer-relevant state, and the
//! catalog's changes. Both indexes are walked once, side by side, in key
//! order: memory does not grow with their size.
//!
//! The numbers themselves are never part of a [`Diff`]: a caller that
//! needs them gets each changed recipient through the `changed` callback of
//! [`diff`] (the CLI's `diff --list FILE`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::catalog::Catalog;
use crate::contact::{Contact, Status};
use crate::index::Index;
use crate::recipient::{Recipient, RecipientKind};

/// The state of a recipient that its answers depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Registered and able to receive.
    Registered,
    /// Registered, but the registration is unconfirmed or awaited.
    Pending,
    /// Exempt.
    Exempt,
    /// Closed: deceased or dissolved.
    Closed,
    /// Status unknown.
    Unknown,
}

impl State {
    /// The state of `contact`.
    pub fn of(contact: &Contact) -> State {
        match contact.status {
            Status::Registered if contact.registration.is_pending() => State::Pending,
            Status::Registered => State::Registered,
            Status::Exempt => State::Exempt,
            Status::Closed => State::Closed,
            Status::Unknown => State::Unknown,
        }
    }

    /// The name, e.g. `registered`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Pending => "pending",
            State::Exempt => "exempt",
            State::Closed => "closed",
            State::Unknown => "unknown",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one kind of recipient changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KindDiff {
    /// Recipients in the old index.
    pub old: u64,
    /// Recipients in the new index.
    pub new: u64,
    /// In the new index only.
    pub added: u64,
    /// In the old index only.
    pub removed: u64,
    /// In both, with a change that can change an answer: the state,
    /// NemSMS, or (for an exempt recipient) the exemption window.
    pub changed: u64,
    /// In both, with a change of registration detail that changes no answer.
    pub detail_only: u64,
    /// Recipients in both, by (old state, new state), for states that differ.
    pub transitions: BTreeMap<(State, State), u64>,
    /// NemSMS subscriptions started.
    pub nemsms_on: u64,
    /// NemSMS subscriptions ended.
    pub nemsms_off: u64,
    /// Exempt in both, with another exemption window.
    pub windows_changed: u64,
}

impl KindDiff {
    /// Recipients whose answers may differ: added, removed or changed.
    pub fn affected(&self) -> u64 {
        self.added + self.removed + self.changed
    }
}

/// How the catalog changed, by ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatalogDiff {
    /// Sender systems added, removed, changed.
    pub sender_systems: Changes,
    /// Groups added, removed, changed.
    pub groups: Changes,
    /// Materials added, removed, changed (a changed sender system or group
    /// counts as the material's change only if the material refers to
    /// another one).
    pub materials: Changes,
}

/// IDs added, removed and changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// IDs in the new catalog only.
    pub added: Vec<String>,
    /// IDs in the old catalog only.
    pub removed: Vec<String>,
    /// IDs in both whose entries differ.
    pub changed: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What changed from one index to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diff {
    /// CPR recipients, then CVR recipients.
    pub kinds: [KindDiff; 2],
    /// The catalog.
    pub catalog: CatalogDiff,
}

impl Diff {
    /// The change of one kind of recipient.
    pub fn kind(&self, kind: RecipientKind) -> &KindDiff {
        &self.kinds[kind as usize]
    }
}

/// Compares `old` with `new`, calling `changed` for every recipient added,
/// removed or changed (in key order, CPR first).
pub fn diff(old: &Index, new: &Index, changed: &mut dyn FnMut(Recipient)) -> Diff {
    let mut diff = Diff {
        catalog: catalog_diff(old.catalog(), new.catalog()),
        ..Diff::default()
    };
    for kind in RecipientKind::ALL {
        let out = &mut diff.kinds[kind as usize];
        let mut a = old.contacts(kind).peekable();
        let mut b = new.contacts(kind).peekable();
        loop {
            let order = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((x, _)), Some((y, _))) => x.key().cmp(&y.key()),
            };
            match order {
                Ordering::Less => {
                    let (recipient, _) = a.next().expect("peeked");
                    out.old += 1;
                    out.removed += 1;
                    changed(recipient);
                }
                Ordering::Greater => {
                    let (recipient, _) = b.next().expect("peeked");
                    out.new += 1;
                    out.added += 1;
                    changed(recipient);
                }
                Ordering::Equal => {
                    let (recipient, before) = a.next().expect("peeked");
                    let (_, after) = b.next().expect("peeked");
                    out.old += 1;
                    out.new += 1;
                    if compare(out, &before, &after) {
                        changed(recipient);
                    }
                }
            }
        }
    }
    diff
}

/// Counts the change of one recipient; whether it can change an answer.
fn compare(out: &mut KindDiff, before: &Contact, after: &Contact) -> bool {
    if before == after {
        return false;
    }
    let (from, to) = (State::of(before), State::of(after));
    let mut relevant = false;
    if from != to {
        *out.transitions.entry((from, to)).or_default() += 1;
        relevant = true;
    }
    if before.nemsms != after.nemsms {
        if after.nemsms {
            out.nemsms_on += 1;
        } else {
            out.nemsms_off += 1;
        }
        relevant = true;
    }
    let window = |c: &Contact| (c.exemption_start, c.exemption_end);
    if from == State::Exempt && to == State::Exempt && window(before) != window(after) {
        out.windows_changed += 1;
        relevant = true;
    }
    if relevant {
        out.changed += 1;
    } else {
        out.detail_only += 1;
    }
    relevant
}

fn catalog_diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let systems = |c: &Catalog| -> BTreeMap<String, String> {
        c.sender_systems
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    format!("{:?}", (&s.name, s.certificate_expires)),
                )
            })
            .collect()
    };
    let groups = |c: &Catalog| -> BTreeMap<String, String> {
        c.groups
            .iter()
            .map(|g| {
                (
                    g.id.clone(),
                    format!("{:?}", (&g.name, g.audience, g.active_from)),
                )
            })
            .collect()
    };
    // A material by what it refers to (IDs, not positions, which shift).
    let materials = |c: &Catalog| -> BTreeMap<String, String> {
        c.materials
            .iter()
            .map(|m| {
                let system = c
                    .sender_systems
                    .get(m.sender_system as usize)
                    .map(|s| &s.id);
                let groups: Vec<Option<&String>> = m
                    .groups
                    .iter()
                    .map(|g| g.and_then(|g| c.groups.get(g as usize)).map(|g| &g.id))
                    .collect();
                let view = (&m.name, system, groups, m.message_type, m.mandatory);
                (m.id.clone(), format!("{view:?}"))
            })
            .collect()
    };
    CatalogDiff {
        sender_systems: changes(&systems(old), &systems(new)),
        groups: changes(&groups(old), &groups(new)),
        materials: changes(&materials(old), &materials(new)),
    }
}

fn changes(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Changes {
    let mut out = Changes::default();
    for (id, entry) in old {
        match new.get(id) {
            None => out.removed.push(id.clone()),
            Some(other) if other != entry => out.changed.push(id.clone()),
            Some(_) => {}
        }
    }
    out.added = new
        .keys()
        .filter(|id| !old.contains_key(*id))
        .cloned()
        .collect();
    out
}

impl fmt::Display for Diff {
    /// A summary for people: counts per kind, transitions, the catalog.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for kind in RecipientKind::ALL {
            let k = self.kind(kind);
            writeln!(
                f,
                "{kind}: {} -> {} recipients; {} added, {} removed, {} changed{}",
                thousands(k.old),
                thousands(k.new),
                thousands(k.added),
                thousands(k.removed),
                thousands(k.changed),
                if k.detail_only > 0 {
                    format!(
                        " ({} more in registration detail only)",
                        thousands(k.detail_only)
                    )
                } else {
                    String::new()
                }
            )?;
            for ((from, to), n) in &k.transitions {
                writeln!(f, "  {from} -> {to}: {}", thousands(*n))?;
            }
            for (what, n) in [
                ("NemSMS on", k.nemsms_on),
                ("NemSMS off", k.nemsms_off),
                ("exemption window changed", k.windows_changed),
            ] {
                if n > 0 {
                    writeln!(f, "  {what}: {}", thousands(n))?;
                }
            }
        }
        let c = &self.catalog;
        if c.sender_systems.is_empty() && c.groups.is_empty() && c.materials.is_empty() {
            return writeln!(f, "catalog: unchanged");
        }
        for (what, changes) in [
            ("sender systems", &c.sender_systems),
            ("groups", &c.groups),
            ("materials", &c.materials),
        ] {
            if !changes.is_empty() {
                writeln!(
                    f,
                    "catalog {what}: {} added, {} removed, {} changed",
                    changes.added.len(),
                    changes.removed.len(),
                    changes.changed.len()
                )?;
            }
        }
        Ok(())
    }
}

fn thousands(n: u64) -> String {
    crate::extract::ngdp::thousands(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IndexBuilder;
    use crate::contact::Registration;

    fn index(contacts: &[(&str, Contact)]) -> Index {
        let catalog = Catalog::from_toml(
            "[[sender_system]]\nid = \"S\"\nname = \"S\"\n[[group]]\nid = \"G\"\nname = \"G\"\naudience = \"private\"\nactive_from = 2020-01-01\n[[material]]\nid = \"M\"\nname = \"M\"\nsender_system = \"S\"\ngroups = [\"G\"]\n",
            "catalog.toml",
        )
        .unwrap();
        let mut builder = IndexBuilder::new(catalog);
        for (number, contact) in contacts {
            builder.add_contact(number.parse().unwrap(), *contact);
        }
        Index::from_bytes(builder.finish(0, 0, &mut |_| {})).unwrap()
    }

    #[test]
    fn counts_every_kind_of_change() {
        let registered = Contact::new(Status::Registered);
        let exempt = Contact::new(Status::Exempt);
        let pending = Contact {
            registration: Registration::Unconfirmed,
            ..registered
        };
        let voluntary = Contact {
            registration: Registration::Voluntary,
            ..registered
        };
        let sms = Contact {
            nemsms: true,
            ..registered
        };
        let old = index(&[
            ("0101901234", registered),
            ("0202902345", registered),
            ("0303903456", registered),
            ("0404904567", registered),
            ("0505905678", exempt),
            ("10150817", registered),
        ]);
        let new = index(&[
            ("0101901234", exempt),
            ("0202902345", pending),
            ("0303903456", voluntary),
            ("0404904567", sms),
            ("0606906789", registered),
            ("10150817", registered),
        ]);
        let mut listed = Vec::new();
        let diff = diff(&old, &new, &mut |r| listed.push(r.to_string()));
        let cpr = diff.kind(RecipientKind::Cpr);
        assert_eq!((cpr.old, cpr.new, cpr.added, cpr.removed), (5, 5, 1, 1));
        assert_eq!((cpr.changed, cpr.detail_only, cpr.nemsms_on), (3, 1, 1));
        assert_eq!(
            cpr.transitions,
            BTreeMap::from([
                ((State::Registered, State::Pending), 1),
                ((State::Registered, State::Exempt), 1)
            ])
        );
        assert_eq!(cpr.affected(), 5);
        assert_eq!(
            diff.kind(RecipientKind::Cvr),
            &KindDiff {
                old: 1,
                new: 1,
                ..KindDiff::default()
            }
        );
        assert_eq!(
            listed,
            [
                "0101901234",
                "0202902345",
                "0404904567",
                "0505905678",
                "0606906789"
            ]
        );
        let text = diff.to_string();
        assert!(text.contains("CPR: 5 -> 5 recipients; 1 added, 1 removed, 3 changed (1 more in registration detail only)"), "{text}");
        assert!(text.contains("  registered -> exempt: 1\n"), "{text}");
        assert!(text.ends_with("catalog: unchanged\n"), "{text}");
        assert_eq!(
            super::diff(&old, &old, &mut |_| panic!("no change")).kinds[0].changed,
            0
        );
    }
}
