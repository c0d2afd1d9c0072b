//! The synthetic catalog: sender systems, groups and materials.

mod names;

use self::names::*;
use super::*;

/// `æ`, `ø`, `å` folded to `AE`, `OE`, `AA`; letters upper-cased; spaces become `-`.
fn ascii_code(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            'æ' | 'Æ' => out.push_str("AE"),
            'ø' | 'Ø' => out.push_str("OE"),
            'å' | 'Å' => out.push_str("AA"),
            ' ' | '-' => out.push('-'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    out
}

fn municipality_name(short: &str) -> String {
    match short {
        "København" => "Københavns Kommune".to_string(),
        "Bornholm" => "Bornholms Regionskommune".to_string(),
        s => format!("{s} Kommune"),
    }
}

struct Group {
    id: String,
    name: String,
    private: bool,
    active_from: i64,
    /// Code of the owning authority (municipality, region or agency).
    authority: String,
    /// Index into [`AREAS`].
    area: usize,
    /// Owned by a state agency.
    agency: bool,
}

struct Material {
    id: String,
    name: String,
    system: usize,
    groups: Vec<usize>,
    nemsms: bool,
    mandatory: bool,
}

struct Catalog {
    /// Certificate expiry per sender system (day number), `None` for no certificate date.
    systems: Vec<Option<i64>>,
    groups: Vec<Group>,
    materials: Vec<Material>,
}

pub(super) fn reference_day(opts: &SynthOptions) -> i64 {
    let (y, m, d) = opts.reference_date;
    days_from_civil(y, u32::from(m), u32::from(d))
}

fn build_catalog(opts: &SynthOptions) -> Catalog {
    let mut rng = Gen::new(opts.seed, Stream::Catalog);
    let today = reference_day(opts);

    // Sender systems: two expired certificates, one without a date, the rest valid. The særlov
    // systems (SU, state payroll) keep valid certificates so mandatory letters can be shown.
    let n = SENDER_SYSTEMS.len();
    let mut order: Vec<usize> = (0..n).filter(|s| !SAERLOV_SYSTEMS.contains(s)).collect();
    shuffle(&mut rng, &mut order);
    order.extend(SAERLOV_SYSTEMS);
    let mut systems = vec![None; n];
    for (rank, &s) in order.iter().enumerate() {
        systems[s] = match rank {
            0 | 1 => Some(today - rng.range(20, 400)),
            2 => None,
            // Certificates are issued for about three years.
            _ => Some(today + rng.range(600, 1100)),
        };
    }

    // Groups: every state and regional group, then municipal groups up to GROUPS.
    let mut groups: Vec<Group> = Vec::with_capacity(GROUPS);
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |rng: &mut Gen,
                   groups: &mut Vec<Group>,
                   code: &str,
                   authority: &str,
                   area_index: usize,
                   private: bool| {
        let a = &AREAS[area_index];
        let id = format!("{code}-{}-{}", a.code, if private { 'P' } else { 'E' });
        if !seen.insert(id.clone()) {
            return;
        }
        let name = if private {
            format!("Meddelelser om {}, {authority}", a.title)
        } else {
            format!("Meddelelser om {} til virksomheder, {authority}", a.title)
        };
        // Mostly activated in the past; about 3% activate after the reference date.
        let active_from = if rng.ppm(30_000) {
            today + rng.range(1, 180)
        } else {
            today - rng.range(1, 3650)
        };
        groups.push(Group {
            id,
            name,
            private,
            active_from,
            authority: code.to_string(),
            area: area_index,
            agency: matches!(a.owner, Owner::Agency(_)),
        });
    };
    let audiences = |a: &Area| -> &'static [bool] {
        match a.audiences {
            Audiences::Private => &[true],
            Audiences::Erhverv => &[false],
            Audiences::Both => &[true, false],
        }
    };
    for (i, a) in AREAS.iter().enumerate() {
        if let Owner::Agency(k) = a.owner {
            let (code, name) = AGENCIES[k];
            for &p in audiences(a) {
                add(&mut rng, &mut groups, code, name, i, p);
            }
        }
    }
    for (code, name) in REGIONS {
        for (i, a) in AREAS.iter().enumerate() {
            if a.owner == Owner::Region {
                for &p in audiences(a) {
                    add(&mut rng, &mut groups, code, name, i, p);
                }
            }
        }
    }
    let municipal: Vec<usize> = (0..AREAS.len())
        .filter(|&i| AREAS[i].owner == Owner::Kommune)
        .collect();
    while groups.len() < GROUPS {
        let short = *rng.pick(&MUNICIPALITIES);
        let i = *rng.pick(&municipal);
        let private = match AREAS[i].audiences {
            Audiences::Private => true,
            Audiences::Erhverv => false,
            Audiences::Both => rng.ppm(400_000),
        };
        let code = ascii_code(short);
        let name = municipality_name(short);
        add(&mut rng, &mut groups, &code, &name, i, private);
    }
    if !groups.iter().any(|g| g.active_from > today) {
        let last = groups.len() - 1;
        groups[last].active_from = today + 30;
    }

    // Materials.
    let mut perm: Vec<usize> = (0..groups.len()).collect();
    shuffle(&mut rng, &mut perm);
    let agency_groups: Vec<usize> = (0..groups.len()).filter(|&g| groups[g].agency).collect();
    let saerlov_groups: Vec<usize> = (0..groups.len())
        .filter(|&g| AREAS[groups[g].area].saerlov)
        .collect();
    let mut materials: Vec<Material> = Vec::with_capacity(MATERIALS);
    let mut ids: HashSet<String> = HashSet::new();
    let mut next_id: u64 = 100_000 + rng.below(500);
    for i in 0..MATERIALS {
        let primary = if i < perm.len() {
            perm[i]
        } else {
            match rng.below(100) {
                0..=4 => *rng.pick(&saerlov_groups),
                5..=29 => *rng.pick(&agency_groups),
                _ => rng.below(groups.len() as u64) as usize,
            }
        };
        let g = &groups[primary];
        let a = &AREAS[g.area];
        let mut member = vec![primary];
        // About a quarter go to both citizens and companies.
        if rng.ppm(260_000) {
            let other = groups
                .iter()
                .position(|h| {
                    h.authority == g.authority && h.area == g.area && h.private != g.private
                })
                .or_else(|| {
                    let same_authority: Vec<usize> = (0..groups.len())
                        .filter(|&h| {
                            groups[h].authority == g.authority && groups[h].private != g.private
                        })
                        .collect();
                    if same_authority.is_empty() {
                        None
                    } else {
                        Some(*rng.pick(&same_authority))
                    }
                });
            if let Some(o) = other {
                member.push(o);
            }
        }
        let subject = *rng.pick(a.subjects);
        let nemsms = !a.saerlov && rng.ppm(55_000);
        let mandatory = a.saerlov && rng.ppm(900_000);
        let name = if nemsms {
            format!("SMS-påmindelse om {subject}")
        } else {
            format!("{} {subject}", rng.pick(&LETTER_TYPES))
        };
        let system = if !a.saerlov && rng.ppm(40_000) {
            rng.below(SENDER_SYSTEMS.len() as u64) as usize
        } else {
            a.system
        };
        let id = loop {
            let candidate = if rng.ppm(10_000) {
                let letter = (b'A' + rng.below(26) as u8) as char;
                format!("{}-{:03}{letter}", a.code, rng.below(1000))
            } else {
                next_id += 1 + rng.below(40);
                next_id.to_string()
            };
            if ids.insert(candidate.clone()) {
                break candidate;
            }
        };
        materials.push(Material {
            id,
            name,
            system,
            groups: member,
            nemsms,
            mandatory,
        });
    }
    if !materials.iter().any(|m| m.nemsms) {
        let m = materials.iter_mut().find(|m| !m.mandatory);
        if let Some(m) = m {
            m.nemsms = true;
        }
    }
    if !materials.iter().any(|m| m.mandatory) {
        let m = materials.iter_mut().find(|m| !m.nemsms);
        if let Some(m) = m {
            m.mandatory = true;
        }
    }
    Catalog {
        systems,
        groups,
        materials,
    }
}

fn shuffle<T>(rng: &mut Gen, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Writes the catalog (`catalog.toml` format) for `opts` into `out`.
///
/// The catalog has 12 sender systems (two with an expired certificate, one without a
/// certificate date), [`GROUPS`] subscription groups (about 60% private, a few percent
/// activated after the reference date) and [`MATERIALS`] materials (about a quarter in two
/// groups of different audiences, about 5% NemSMS, about 3% mandatory Digital Post).
pub fn write_catalog(out: &mut dyn Write, opts: &SynthOptions) -> io::Result<CatalogSummary> {
    check_options(opts)?;
    let catalog = build_catalog(opts);
    let (y, m, d) = opts.reference_date;
    let mut s = String::with_capacity(512 * 1024);
    s.push_str(&format!(
        "# Synthetic Digital Post catalog (tilmelding synth), seed {}, reference date {y:04}-{m:02}-{d:02}.\n",
        opts.seed
    ));
    for (i, expires) in catalog.systems.iter().enumerate() {
        s.push_str("\n[[sender_system]]\n");
        s.push_str(&format!("id = \"SYS-{}\"\n", i + 1));
        s.push_str(&format!("name = {}\n", toml_str(SENDER_SYSTEMS[i])));
        if let Some(day) = expires {
            s.push_str(&format!("certificate_expires = {}\n", date_string(*day)));
        }
    }
    for g in &catalog.groups {
        s.push_str("\n[[group]]\n");
        s.push_str(&format!("id = {}\n", toml_str(&g.id)));
        s.push_str(&format!("name = {}\n", toml_str(&g.name)));
        s.push_str(&format!(
            "audience = \"{}\"\n",
            if g.private { "private" } else { "erhverv" }
        ));
        s.push_str(&format!("active_from = {}\n", date_string(g.active_from)));
    }
    for m in &catalog.materials {
        s.push_str("\n[[material]]\n");
        s.push_str(&format!("id = {}\n", toml_str(&m.id)));
        s.push_str(&format!("name = {}\n", toml_str(&m.name)));
        s.push_str(&format!("sender_system = \"SYS-{}\"\n", m.system + 1));
        let groups: Vec<String> = m
            .groups
            .iter()
            .map(|&g| toml_str(&catalog.groups[g].id))
            .collect();
        s.push_str(&format!("groups = [{}]\n", groups.join(", ")));
        s.push_str(&format!(
            "message_type = \"{}\"\n",
            if m.nemsms { "nemsms" } else { "digitalpost" }
        ));
        s.push_str(&format!("mandatory = {}\n", m.mandatory));
    }
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(CatalogSummary {
        sender_systems: catalog.systems.len() as u64,
        groups: catalog.groups.len() as u64,
        materials: catalog.materials.len() as u64,
        material_ids: catalog.materials.into_iter().map(|m| m.id).collect(),
        bytes: s.len() as u64,
    })
}
