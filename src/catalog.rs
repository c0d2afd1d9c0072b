//! The catalog: sender systems, materials and subscription groups, as
//! registered in Digital Post's Administrationsportal, read from TOML.
//!
//! ```toml
//! [[sender_system]]
//! id = "SYS-1"
//! name = "Pasning ESDH"
//! certificate_expires = 2027-06-30   # optional
//!
//! [[group]]
//! id = "PASNING-P"
//! name = "Meddelelser pasningsordning"
//! audience = "private"               # or "erhverv"
//! active_from = 2021-11-30
//!
//! [[material]]
//! id = "100234"
//! name = "Tildeling af vuggestueplads"
//! sender_system = "SYS-1"
//! groups = ["PASNING-P"]             # at most one group per audience
//! message_type = "digitalpost"       # or "nemsms"; default digitalpost
//! mandatory = false                  # default false
//! ```

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::date::Date;
use crate::recipient::RecipientKind;

/// Sender systems, groups and materials; references are indexes into the lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Sender systems (afsendersystemer).
    pub sender_systems: Vec<SenderSystem>,
    /// Subscription groups (tilmeldingsgrupper).
    pub groups: Vec<Group>,
    /// Materials (letter types).
    pub materials: Vec<Material>,
}

/// A sender system: the authority's system that talks to Digital Post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderSystem {
    /// Unique ID.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Last day the system's certificate is valid, if it expires.
    pub certificate_expires: Option<Date>,
}

/// Who a subscription group is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Citizens, addressed by CPR number.
    Private,
    /// Companies, addressed by CVR number.
    Erhverv,
}

impl Audience {
    /// The audience of a kind of recipient.
    pub fn of(kind: RecipientKind) -> Audience {
        match kind {
            RecipientKind::Cpr => Audience::Private,
            RecipientKind::Cvr => Audience::Erhverv,
        }
    }

    /// The name used in the catalog: `private` or `erhverv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Private => "private",
            Audience::Erhverv => "erhverv",
        }
    }
}

/// A subscription group (tilmeldingsgruppe).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Unique ID.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Citizens or companies.
    pub audience: Audience,
    /// Nothing in the group may be sent before this date.
    pub active_from: Date,
}

/// How a material is delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageType {
    /// Digital Post.
    #[default]
    #[serde(rename = "digitalpost")]
    DigitalPost,
    /// NemSMS.
    #[serde(rename = "nemsms")]
    NemSms,
}

/// A material: a letter type with an ID the sending system is coded with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// Unique ID (any non-empty string).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Index into [`Catalog::sender_systems`].
    pub sender_system: u32,
    /// Index into [`Catalog::groups`] per audience: `[private, erhverv]`.
    pub groups: [Option<u32>; 2],
    /// Digital Post or NemSMS.
    pub message_type: MessageType,
    /// Sent digitally even to exempt citizens, by special law (særlov).
    pub mandatory: bool,
}

impl Material {
    /// The material's group for an audience, if it has one.
    pub fn group(&self, audience: Audience) -> Option<u32> {
        self.groups[audience as usize]
    }
}

/// A catalog that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{}: cannot read the catalog: {source}", path.display())]
    Io {
        /// The catalog file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has unknown keys, missing keys or values of the wrong type.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The catalog file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The catalog is well-formed but inconsistent: duplicate IDs, unknown references and so on.
    #[error("{}: the catalog is inconsistent:{}", path.display(), Problems(problems))]
    Invalid {
        /// The catalog file.
        path: PathBuf,
        /// Each problem with its 1-based line.
        problems: Vec<(usize, String)>,
    },
}

struct Problems<'a>(&'a [(usize, String)]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (line, message) in self.0 {
            write!(f, "\n  line {line}: {message}")?;
        }
        Ok(())
    }
}

impl Catalog {
    /// Reads and checks a catalog file.
    pub fn load(path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.to_owned(),
            source,
        })?;
        Catalog::from_toml(&text, path)
    }

    /// Parses and checks a catalog; `path` names the source in error messages.
    pub fn from_toml(text: &str, path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let path = path.as_ref();
        let lines = LineIndex::new(text);
        let raw: RawCatalog = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| lines.line_col(s.start));
            CatalogError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        let mut resolver = Resolver {
            lines: &lines,
            problems: Vec::new(),
        };
        let catalog = resolver.resolve(raw);
        if resolver.problems.is_empty() {
            Ok(catalog)
        } else {
            resolver.problems.sort_by_key(|p| p.0);
            Err(CatalogError::Invalid {
                path: path.to_owned(),
                problems: resolver.problems,
            })
        }
    }

    /// Index of the material with this ID.
    pub fn material_index(&self, id: &str) -> Option<usize> {
        self.materials.iter().position(|m| m.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    sender_system: Vec<RawSenderSystem>,
    #[serde(default)]
    group: Vec<RawGroup>,
    #[serde(default)]
    material: Vec<RawMaterial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSenderSystem {
    id: Spanned<String>,
    name: String,
    certificate_expires: Option<Spanned<toml::value::Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    name: String,
    audience: Audience,
    active_from: Spanned<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaterial {
    id: Spanned<String>,
    name: String,
    sender_system: Spanned<String>,
    groups: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    message_type: MessageType,
    mandatory: Option<Spanned<bool>>,
}

struct Resolver<'a> {
    lines: &'a LineIndex,
    problems: Vec<(usize, String)>,
}

impl Resolver<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        self.problems
            .push((self.lines.line_col(span.start).0, message));
    }

    fn resolve(&mut self, raw: RawCatalog) -> Catalog {
        let sender_ids: Vec<_> = raw.sender_system.iter().map(|s| s.id.clone()).collect();
        let group_ids: Vec<_> = raw.group.iter().map(|g| g.id.clone()).collect();
        let material_ids: Vec<_> = raw.material.iter().map(|m| m.id.clone()).collect();
        self.report_duplicates(&sender_ids, "sender system");
        self.report_duplicates(&group_ids, "group");
        self.report_duplicates(&material_ids, "material");

        let sender_systems: Vec<SenderSystem> = raw
            .sender_system
            .into_iter()
            .map(|s| SenderSystem {
                certificate_expires: s
                    .certificate_expires
                    .and_then(|d| self.date(&d, "certificate_expires")),
                name: s.name,
                id: self.id(s.id, "sender system"),
            })
            .collect();
        let groups: Vec<Group> = raw
            .group
            .into_iter()
            .map(|g| Group {
                active_from: self
                    .date(&g.active_from, "active_from")
                    .unwrap_or(Date::MIN),
                name: g.name,
                audience: g.audience,
                id: self.id(g.id, "group"),
            })
            .collect();
        let sender_index = first_index(sender_systems.iter().map(|s| &s.id));
        let group_index = first_index(groups.iter().map(|g| &g.id));

        let mut materials = Vec::with_capacity(raw.material.len());
        for m in raw.material {
            let sender_system = match sender_index.get(m.sender_system.get_ref().as_str()) {
                Some(&i) => i,
                None => {
                    let message = format!(
                        "material {:?} names sender system {:?}, which the catalog does not define",
                        m.id.get_ref(),
                        m.sender_system.get_ref()
                    );
                    self.problem(m.sender_system.span(), message);
                    0
                }
            };
            let mut material_groups = [None; 2];
            if m.groups.get_ref().is_empty() {
                let message = format!("material {:?} has no group", m.id.get_ref());
                self.problem(m.groups.span(), message);
            }
            for group_id in m.groups.get_ref() {
                let Some(&g) = group_index.get(group_id.get_ref().as_str()) else {
                    let message = format!(
                        "material {:?} names group {:?}, which the catalog does not define",
                        m.id.get_ref(),
                        group_id.get_ref()
                    );
                    self.problem(group_id.span(), message);
                    continue;
                };
                let audience = groups[g as usize].audience;
                let slot = &mut material_groups[audience as usize];
                if let Some(other) = *slot {
                    let message = format!(
                        "material {:?} has two {} groups, {:?} and {:?}; a material has at most one group per audience",
                        m.id.get_ref(),
                        audience.as_str(),
                        groups[other as usize].id,
                        group_id.get_ref()
                    );
                    self.problem(group_id.span(), message);
                } else {
                    *slot = Some(g);
                }
            }
            let mandatory = m.mandatory.as_ref().is_some_and(|b| *b.get_ref());
            if let Some(flag) = m
                .mandatory
                .as_ref()
                .filter(|_| mandatory && m.message_type == MessageType::NemSms)
            {
                let message = format!(
                    "material {:?} is NemSMS and mandatory; only Digital Post material can be mandatory",
                    m.id.get_ref()
                );
                self.problem(flag.span(), message);
            }
            materials.push(Material {
                id: self.id(m.id, "material"),
                name: m.name,
                sender_system,
                groups: material_groups,
                message_type: m.message_type,
                mandatory,
            });
        }
        Catalog {
            sender_systems,
            groups,
            materials,
        }
    }

    fn id(&mut self, id: Spanned<String>, what: &str) -> String {
        if id.get_ref().trim().is_empty() {
            self.problem(id.span(), format!("{what} ID is empty"));
        }
        id.into_inner()
    }

    fn date(&mut self, value: &Spanned<toml::value::Datetime>, key: &str) -> Option<Date> {
        let dt = value.get_ref();
        let date = match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => Date::from_ymd(i32::from(d.year), d.month, d.day).ok(),
            _ => None,
        };
        if date.is_none() {
            self.problem(
                value.span(),
                format!("`{key}` must be a date like 2021-11-30, not {dt}"),
            );
        }
        date
    }

    fn report_duplicates(&mut self, ids: &[Spanned<String>], what: &str) {
        let mut seen = HashMap::new();
        for id in ids {
            if let Some(first) = seen.insert(id.get_ref().as_str(), id.span()) {
                let first_line = self.lines.line_col(first.start).0;
                let message = format!(
                    "{what} ID {:?} is defined more than once (first on line {first_line})",
                    id.get_ref()
                );
                self.problem(id.span(), message);
            }
        }
    }
}

/// Maps IDs to the index of their first definition.
fn first_index<'s>(ids: impl Iterator<Item = &'s String>) -> HashMap<&'s str, u32> {
    let mut index = HashMap::new();
    for (i, id) in ids.enumerate() {
        index.entry(id.as_str()).or_insert(i as u32);
    }
    index
}

/// Byte offset to line and column, for error messages.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        (line, offset - self.starts[line - 1] + 1)
    }
}
