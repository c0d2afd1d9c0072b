//! Builds an index from an arbitrary small world and compares every answer
//! with the plain model of the decision table in tests/support/model.rs.
#![no_main]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tilmelding::{
    Catalog, Contact, ContactRecord, Date, Index, IndexBuilder, Recipient, RecipientKind,
    Registration, Status,
};

#[path = "../../tests/support/model.rs"]
mod model;

const DAY0: i32 = 19_000;

/// CVR or CPR, number, status, registration, exemption start and end (as
/// offsets for `day`), NemSMS.
type ContactSpec = (bool, u64, u8, u8, Option<u8>, Option<u8>, bool);

#[derive(Arbitrary, Debug)]
struct World {
    senders: Vec<Option<u8>>,
    groups: Vec<(bool, u8)>,
    materials: Vec<(u8, u8, u8, bool, bool)>,
    contacts: Vec<ContactSpec>,
    strangers: Vec<(bool, u64)>,
    days: Vec<u8>,
}

fn day(offset: u8) -> i32 {
    DAY0 + i32::from(offset) * 3
}

fn date(d: i32) -> Date {
    Date::from_days(d).unwrap()
}

fn recipient(cvr: bool, n: u64) -> Option<Recipient> {
    let kind = if cvr {
        RecipientKind::Cvr
    } else {
        RecipientKind::Cpr
    };
    Recipient::from_number(kind, n).ok()
}

fuzz_target!(|w: World| {
    if w.senders.is_empty() || w.groups.is_empty() || w.senders.len() > 4 || w.groups.len() > 6 {
        return;
    }
    let mut toml = String::new();
    for (i, expires) in w.senders.iter().enumerate() {
        writeln!(toml, "[[sender_system]]\nid = \"S{i}\"\nname = \"s\"").unwrap();
        if let Some(e) = expires {
            writeln!(toml, "certificate_expires = {}", date(day(*e))).unwrap();
        }
    }
    for (i, (erhverv, active)) in w.groups.iter().enumerate() {
        let audience = if *erhverv { "erhverv" } else { "private" };
        writeln!(
            toml,
            "[[group]]\nid = \"G{i}\"\nname = \"g\"\naudience = \"{audience}\"\nactive_from = {}",
            date(day(*active))
        )
        .unwrap();
    }
    let mut materials = Vec::new();
    for (i, (sender, g1, g2, nemsms, mandatory)) in w.materials.iter().take(6).enumerate() {
        let sender = usize::from(*sender) % w.senders.len();
        let mut groups = vec![usize::from(*g1) % w.groups.len()];
        let second = usize::from(*g2) % w.groups.len();
        if w.groups[second].0 != w.groups[groups[0]].0 {
            groups.push(second);
        }
        let mandatory = *mandatory && !*nemsms;
        let names: Vec<String> = groups.iter().map(|g| format!("\"G{g}\"")).collect();
        writeln!(
            toml,
            "[[material]]\nid = \"M{i}\"\nname = \"m\"\nsender_system = \"S{sender}\"\ngroups = [{}]\nmessage_type = \"{}\"\nmandatory = {mandatory}",
            names.join(", "),
            if *nemsms { "nemsms" } else { "digitalpost" }
        )
        .unwrap();
        materials.push(model::Material {
            expires: w.senders[sender].map(day),
            groups: groups
                .iter()
                .map(|&g| (w.groups[g].0, day(w.groups[g].1)))
                .collect(),
            nemsms: *nemsms,
            mandatory,
        });
    }
    let catalog = Catalog::from_toml(&toml, "fuzz.toml").expect("the generated catalog is valid");
    let mut builder = IndexBuilder::new(catalog);
    let mut seen: BTreeMap<Recipient, Vec<Contact>> = BTreeMap::new();
    for (cvr, n, status, registration, start, end, nemsms) in w.contacts.iter().take(64) {
        let Some(r) = recipient(*cvr, *n) else {
            continue;
        };
        let (start, end) = match (start.map(day), end.map(day)) {
            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
            other => other,
        };
        let contact = Contact {
            status: Status::ALL[usize::from(*status) % 4],
            registration: Registration::ALL[usize::from(*registration) % 8],
            exemption_start: start.map(date),
            exemption_end: end.map(date),
            nemsms: *nemsms,
        };
        builder.add(
            0,
            &ContactRecord {
                recipient: r,
                contact,
            },
        );
        seen.entry(r).or_default().push(contact);
    }
    let register: BTreeMap<Recipient, Contact> = seen
        .iter()
        .filter(|(_, c)| c.len() == 1)
        .map(|(r, c)| (*r, c[0]))
        .collect();
    let index = Index::from_bytes(builder.finish(0, 0, &mut |_| {})).expect("a built index opens");
    let everyone: Vec<Recipient> = seen
        .keys()
        .copied()
        .chain(
            w.strangers
                .iter()
                .filter_map(|(cvr, n)| recipient(*cvr, *n)),
        )
        .collect();
    for (m, material) in materials.iter().enumerate() {
        let id = format!("M{m}");
        for d in w.days.iter().take(8).map(|d| day(*d)) {
            for r in &everyone {
                assert_eq!(
                    index.lookup(&id, r, date(d)),
                    model::decide(material, &register, *r, d),
                    "material {id}, {r:?}, day {d}"
                );
            }
        }
    }
});
