//! Property tests: random catalogs and contact lists are built into an index,
//! and every answer is compared with a plain, independent model of the
//! decision table in DESIGN.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

#[path = "support/model.rs"]
mod model;

use proptest::prelude::*;
use tilmelding::{
    Answer, Catalog, Channel, Contact, Cpr, Cvr, Date, Index, IndexBuilder, LookupError, Reason,
    Recipient, RecipientKind, Registration, Status,
};

#[derive(Clone, Debug)]
struct SenderSpec {
    expires: Option<i32>,
}

#[derive(Clone, Debug)]
struct GroupSpec {
    erhverv: bool,
    active_from: i32,
}

#[derive(Clone, Debug)]
struct MaterialSpec {
    sender: usize,
    groups: Vec<usize>,
    nemsms: bool,
    mandatory: bool,
}

#[derive(Clone, Debug)]
struct World {
    senders: Vec<SenderSpec>,
    groups: Vec<GroupSpec>,
    materials: Vec<MaterialSpec>,
    contacts: Vec<(Recipient, Contact)>,
    strangers: Vec<Recipient>,
    dates: Vec<i32>,
}

const DAY0: i32 = 18_000; // 2019-04-14; all dates lie within a few years of it.

fn day() -> impl Strategy<Value = i32> {
    DAY0..DAY0 + 2_000
}

fn date(days: i32) -> Date {
    Date::from_days(days).unwrap()
}

fn cpr() -> impl Strategy<Value = Recipient> {
    (
        1u8..=28,
        1u8..=12,
        0u8..=99,
        0u16..=9999,
        prop::bool::weighted(0.05),
    )
        .prop_map(|(d, m, y, s, replacement)| {
            let day = if replacement { d + 60 } else { d };
            Recipient::Cpr(Cpr::new(day, m, y, s).unwrap())
        })
}

fn cvr() -> impl Strategy<Value = Recipient> {
    (1_000_000u32..10_000_000).prop_filter_map("check digit 10", |first7| {
        let digits: Vec<u32> = first7
            .to_string()
            .bytes()
            .map(|b| u32::from(b - b'0'))
            .collect();
        let sum: u32 = digits
            .iter()
            .zip([2, 7, 6, 5, 4, 3, 2])
            .map(|(d, w)| d * w)
            .sum();
        let check = (11 - sum % 11) % 11;
        (check < 10).then(|| Recipient::Cvr(Cvr::new(first7 * 10 + check).unwrap()))
    })
}

fn recipient() -> impl Strategy<Value = Recipient> {
    prop_oneof![3 => cpr(), 1 => cvr()]
}

fn contact() -> impl Strategy<Value = Contact> {
    let status = prop::sample::select(Status::ALL.to_vec());
    let registration = prop::sample::select(Registration::ALL.to_vec());
    let window = prop_oneof![
        2 => Just((None, None)),
        1 => (prop::option::of(day()), prop::option::of(day())),
    ];
    (status, registration, window, any::<bool>()).prop_map(
        |(status, registration, (a, b), nemsms)| {
            let (start, end) = match (a, b) {
                (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                other => other,
            };
            Contact {
                status,
                registration,
                exemption_start: start.map(date),
                exemption_end: end.map(date),
                nemsms,
            }
        },
    )
}

fn world() -> impl Strategy<Value = World> {
    let senders = prop::collection::vec(
        prop::option::of(day()).prop_map(|expires| SenderSpec { expires }),
        1..4,
    );
    let groups = prop::collection::vec(
        (any::<bool>(), day()).prop_map(|(erhverv, active_from)| GroupSpec {
            erhverv,
            active_from,
        }),
        1..5,
    );
    (senders, groups).prop_flat_map(|(senders, groups)| {
        let (ns, ng) = (senders.len(), groups.len());
        let groups_for_material = {
            let groups = groups.clone();
            prop::sample::subsequence((0..ng).collect::<Vec<_>>(), 1..=ng.min(2)).prop_filter(
                "at most one group per audience",
                move |picked| {
                    picked.len() < 2 || groups[picked[0]].erhverv != groups[picked[1]].erhverv
                },
            )
        };
        let material = (0..ns, groups_for_material, any::<bool>(), any::<bool>()).prop_map(
            |(sender, groups, nemsms, mandatory)| MaterialSpec {
                sender,
                groups,
                nemsms,
                mandatory: mandatory && !nemsms,
            },
        );
        let pool = prop::collection::vec(recipient(), 1..40);
        (
            Just(senders),
            Just(groups),
            prop::collection::vec(material, 1..6),
            pool,
            prop::collection::vec((any::<prop::sample::Index>(), contact()), 0..60),
            prop::collection::vec(recipient(), 0..5),
            prop::collection::vec(day(), 1..6),
        )
            .prop_map(
                |(senders, groups, materials, pool, picks, strangers, dates)| {
                    // Picking from a small pool makes duplicates, which the index must drop.
                    let contacts = picks
                        .into_iter()
                        .map(|(i, c)| (pool[i.index(pool.len())], c))
                        .collect();
                    World {
                        senders,
                        groups,
                        materials,
                        contacts,
                        strangers,
                        dates,
                    }
                },
            )
    })
}

fn catalog_toml(w: &World) -> String {
    let mut t = String::new();
    for (i, s) in w.senders.iter().enumerate() {
        writeln!(t, "[[sender_system]]\nid = \"S{i}\"\nname = \"Sender {i}\"").unwrap();
        if let Some(e) = s.expires {
            writeln!(t, "certificate_expires = {}", date(e)).unwrap();
        }
    }
    for (i, g) in w.groups.iter().enumerate() {
        let audience = if g.erhverv { "erhverv" } else { "private" };
        writeln!(
            t,
            "[[group]]\nid = \"G{i}\"\nname = \"Group {i}\"\naudience = \"{audience}\"\nactive_from = {}",
            date(g.active_from)
        )
        .unwrap();
    }
    for (i, m) in w.materials.iter().enumerate() {
        let groups: Vec<String> = m.groups.iter().map(|g| format!("\"G{g}\"")).collect();
        writeln!(
            t,
            "[[material]]\nid = \"M{i}\"\nname = \"Material {i}\"\nsender_system = \"S{}\"\ngroups = [{}]\nmessage_type = \"{}\"\nmandatory = {}",
            m.sender,
            groups.join(", "),
            if m.nemsms { "nemsms" } else { "digitalpost" },
            m.mandatory
        )
        .unwrap();
    }
    t
}

/// The decision table's input for one material of the world.
fn material(w: &World, m: usize) -> model::Material {
    let spec = &w.materials[m];
    model::Material {
        expires: w.senders[spec.sender].expires,
        groups: spec
            .groups
            .iter()
            .map(|&g| (w.groups[g].erhverv, w.groups[g].active_from))
            .collect(),
        nemsms: spec.nemsms,
        mandatory: spec.mandatory,
    }
}

fn model(
    w: &World,
    register: &BTreeMap<Recipient, Contact>,
    m: usize,
    r: Recipient,
    day: i32,
) -> Result<Answer, LookupError> {
    model::decide(&material(w, m), register, r, day)
}

fn batch_number(r: Recipient) -> u64 {
    match r {
        Recipient::Cpr(c) => c.digits(),
        Recipient::Cvr(c) => u64::from(c.number()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn index_answers_like_the_model(w in world()) {
        let catalog = Catalog::from_toml(&catalog_toml(&w), "generated.toml").unwrap();
        let mut builder = IndexBuilder::new(catalog);
        let mut seen: BTreeMap<Recipient, Vec<Contact>> = BTreeMap::new();
        for (line, (r, c)) in w.contacts.iter().enumerate() {
            builder.add(line as u64 + 2, &tilmelding::ContactRecord { recipient: *r, contact: *c });
            seen.entry(*r).or_default().push(*c);
        }
        let mut reported = Vec::new();
        let bytes = builder.finish(1_700_000_000, 1_700_000_100, &mut |e| reported.push(e.line));
        let register: BTreeMap<Recipient, Contact> = seen
            .iter()
            .filter(|(_, cs)| cs.len() == 1)
            .map(|(r, cs)| (*r, cs[0]))
            .collect();
        let duplicated_lines = seen.values().filter(|cs| cs.len() > 1).map(Vec::len).sum::<usize>();
        prop_assert_eq!(reported.len(), duplicated_lines);
        prop_assert!(reported.windows(2).all(|p| p[0] <= p[1]), "duplicates are reported in line order");

        let index = Index::from_bytes(bytes).unwrap();
        index.verify().unwrap();
        prop_assert_eq!(index.metadata().contacts(), register.len() as u64);

        // Every boundary the table compares against, and the days around it.
        let mut dates = w.dates.clone();
        let edges = w.senders.iter().filter_map(|s| s.expires)
            .chain(w.groups.iter().map(|g| g.active_from))
            .chain(w.contacts.iter().flat_map(|(_, c)| [c.exemption_start, c.exemption_end]).flatten().map(Date::days));
        for edge in edges {
            dates.extend([edge - 1, edge, edge + 1]);
        }
        dates.sort_unstable();
        dates.dedup();

        let everyone: Vec<Recipient> = seen.keys().copied().chain(w.strangers.iter().copied()).collect();
        for (m, _) in w.materials.iter().enumerate() {
            let id = format!("M{m}");
            for &d in &dates {
                for r in &everyone {
                    let expected = model(&w, &register, m, *r, d);
                    prop_assert_eq!(index.lookup(&id, r, date(d)), expected, "material {} recipient {:?} day {}", id, r, d);
                }
                for kind in RecipientKind::ALL {
                    let numbers: Vec<u64> = everyone.iter().filter(|r| r.kind() == kind).map(|r| batch_number(*r))
                        .chain([0, u64::MAX, 9_999_999_999])
                        .collect();
                    let mut out = vec![Ok(Answer { channel: Channel::Digital, reason: Reason::Registered }); numbers.len()];
                    let batch = index.lookup_batch(&id, kind, &numbers, date(d), &mut out);
                    let expected_all: Vec<Result<Answer, LookupError>> = numbers
                        .iter()
                        .map(|&n| match Recipient::from_number(kind, n) {
                            Ok(r) => model(&w, &register, m, r, d),
                            Err(_) => Err(LookupError::InvalidRecipient),
                        })
                        .collect();
                    let has_audience = w.materials[m].groups.iter().any(|&g| w.groups[g].erhverv == (kind == RecipientKind::Cvr));
                    if !has_audience {
                        prop_assert_eq!(batch, Err(LookupError::AudienceMismatch));
                    } else {
                        prop_assert_eq!(batch, Ok(()));
                        prop_assert_eq!(&out, &expected_all);
                    }
                }
            }
        }
        prop_assert_eq!(
            index.lookup("no such material", &"0101901234".parse().unwrap(), date(DAY0)),
            Err(LookupError::UnknownMaterial)
        );
    }
}

/// Batches are answered in groups, with the material's own part of the
/// decision taken once: a batch of any length, mixing recipients in the
/// register, valid numbers not in it and invalid numbers, answers exactly
/// as one lookup per recipient does, for materials and dates that reach
/// every step of the table.
#[test]
fn batches_of_any_length_answer_like_single_lookups() {
    use tilmelding_synth::{self as synth, SynthOptions};

    let dir = tempfile::tempdir().unwrap();
    let options = SynthOptions {
        citizens: 3_000,
        companies: 400,
        ..SynthOptions::default()
    };
    let data = synth::generate(dir.path(), &options, &mut |_, _| {}).unwrap();
    let path = dir.path().join("index.tlm");
    tilmelding::build(
        &data.catalog_path,
        &[&data.contacts_path],
        &path,
        &tilmelding::BuildOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let index = Index::open(&path).unwrap();

    let mut listed: BTreeMap<RecipientKind, Vec<u64>> = BTreeMap::new();
    let mut reader = tilmelding::ContactReader::open(&data.contacts_path).unwrap();
    while let Some(next) = reader.next_record() {
        let (_, record) = next.unwrap().unwrap();
        let r = record.recipient;
        listed.entry(r.kind()).or_default().push(batch_number(r));
    }
    let mut seen = BTreeSet::new();
    for kind in RecipientKind::ALL {
        // Every listed recipient, then for each a neighbouring number (mostly
        // valid and not listed, sometimes invalid), then plain invalid ones.
        let mut numbers = listed[&kind].clone();
        numbers.extend(listed[&kind].iter().map(|n| n + 1));
        numbers.extend([0, u64::MAX, 9_999_999_999, 100_000_000]);
        for (m, material) in index.catalog().materials.iter().enumerate().step_by(97) {
            for date in [
                Date::from_ymd(2019, 6, 1),
                Date::from_ymd(2026, 1, 1),
                Date::from_ymd(2040, 1, 1),
            ] {
                let date = date.unwrap();
                let single: Vec<Result<Answer, LookupError>> = numbers
                    .iter()
                    .map(|&n| match Recipient::from_number(kind, n) {
                        Ok(r) => index.lookup(&material.id, &r, date),
                        Err(_) => Err(LookupError::InvalidRecipient),
                    })
                    .collect();
                if single.contains(&Err(LookupError::AudienceMismatch)) {
                    continue;
                }
                seen.extend(single.iter().copied());
                for len in [0, 1, 31, 32, 33, 64, 65, 1000, numbers.len()] {
                    let start = (m * 7) % (numbers.len() - len.min(numbers.len()) + 1);
                    let part = &numbers[start..start + len.min(numbers.len())];
                    let mut out = vec![Err(LookupError::StaleIndex); part.len()];
                    index
                        .lookup_batch(&material.id, kind, part, date, &mut out)
                        .unwrap();
                    assert_eq!(
                        out,
                        single[start..start + part.len()],
                        "material {} on {date}",
                        material.id
                    );
                }
            }
        }
    }
    // The materials and dates above reach the steps that matter here.
    for reason in [
        Reason::Registered,
        Reason::NotRegistered,
        Reason::Exempt,
        Reason::GroupNotActive,
    ] {
        assert!(
            seen.iter().any(|a| a.map(|a| a.reason) == Ok(reason)),
            "no {reason:?}"
        );
    }
    assert!(seen.contains(&Err(LookupError::InvalidRecipient)));
}
