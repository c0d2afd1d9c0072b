//! The decision table: which channel a letter takes, and why.
//!
//! This is the one place that encodes the table in `doc/decision.md`; everything
//! else only gathers its inputs.

use std::ffi::CStr;
use std::fmt;

use crate::contact::{Registration, Status};
use crate::date::Date;
use crate::recipient::RecipientKind;

/// `as_str`, `as_c_str` (the same name for the C ABI, NUL-terminated) and
/// `from_number` of an answer enum, from one list of its names.
macro_rules! names {
    ($ty:ident, #[doc = $doc:literal] $($variant:ident => $name:literal,)*) => {
        impl $ty {
            #[doc = $doc]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }

            /// The name as a C string, for the C ABI.
            pub(crate) fn as_c_str(self) -> &'static CStr {
                match self {
                    $($ty::$variant => {
                        const NAME: &CStr = match CStr::from_bytes_with_nul(
                            concat!($name, "\0").as_bytes(),
                        ) {
                            Ok(name) => name,
                            Err(_) => panic!("a name holds a NUL"),
                        };
                        NAME
                    })*
                }
            }

            /// The variant with this number (its number in the C ABI).
            pub fn from_number(n: u32) -> Option<$ty> {
                [$($ty::$variant),*].into_iter().find(|v| *v as u32 == n)
            }
        }
    };
}

/// The channel a letter goes out through.
///
/// The numbers are part of the C ABI and never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Channel {
    /// Digital Post (Serviceplatform channel code `D`).
    Digital = 1,
    /// NemSMS (channel code `S`).
    Nemsms = 2,
    /// Physical post, printed on paper (channel code `F`).
    Physical = 3,
}

names! {
    Channel,
    /// The name used by the CLI and JSON output: `digital`, `nemsms`, `physical`.
    Digital => "digital",
    Nemsms => "nemsms",
    Physical => "physical",
}

impl Channel {
    /// The Serviceplatform's channel code: `D`, `S` or `F`.
    pub fn code(self) -> char {
        match self {
            Channel::Digital => 'D',
            Channel::Nemsms => 'S',
            Channel::Physical => 'F',
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a letter takes the channel it takes.
///
/// The numbers are part of the C ABI and never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    /// The recipient is registered for Digital Post (or, for NemSMS material, subscribes to NemSMS).
    Registered = 1,
    /// The material's sender system's certificate expired before the date.
    SenderCertificateExpired = 2,
    /// The date is before the activation date of the material's group for the recipient's audience.
    GroupNotActive = 3,
    /// The recipient is not in the contact register, or its status is unknown.
    NotRegistered = 4,
    /// The recipient is closed (deceased or dissolved).
    Closed = 5,
    /// The recipient's registration is unconfirmed or awaiting registration.
    PendingRegistration = 6,
    /// The recipient is exempt from Digital Post on the date.
    Exempt = 7,
    /// The recipient is exempt, but the material is sent digitally by special law (særlov).
    MandatoryDespiteExemption = 8,
    /// NemSMS material, and the recipient does not subscribe to NemSMS.
    NoNemsms = 9,
}

impl Reason {
    /// Every reason, in number order.
    pub const ALL: [Reason; 9] = [
        Reason::Registered,
        Reason::SenderCertificateExpired,
        Reason::GroupNotActive,
        Reason::NotRegistered,
        Reason::Closed,
        Reason::PendingRegistration,
        Reason::Exempt,
        Reason::MandatoryDespiteExemption,
        Reason::NoNemsms,
    ];
}

names! {
    Reason,
    /// The name used by the CLI and JSON output, e.g. `not_registered`.
    Registered => "registered",
    SenderCertificateExpired => "sender_certificate_expired",
    GroupNotActive => "group_not_active",
    NotRegistered => "not_registered",
    Closed => "closed",
    PendingRegistration => "pending_registration",
    Exempt => "exempt",
    MandatoryDespiteExemption => "mandatory_despite_exemption",
    NoNemsms => "no_nemsms",
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to a lookup: a channel and the reason for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Answer {
    /// Where the letter goes.
    pub channel: Channel,
    /// Why.
    pub reason: Reason,
}

impl Answer {
    pub(crate) const fn new(channel: Channel, reason: Reason) -> Answer {
        Answer { channel, reason }
    }
}

/// Why a lookup has no answer.
///
/// Small and `Copy` so that a lookup never allocates; the caller knows the
/// material and recipient it asked about and can add them to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The material ID is not in the index.
    #[error("unknown material: the index has no material with this ID")]
    UnknownMaterial,
    /// The recipient is not a valid CPR or CVR number.
    #[error("invalid recipient: not a valid CPR or CVR number")]
    InvalidRecipient,
    /// The material has no subscription group for the recipient's audience
    /// (citizens for CPR, companies for CVR).
    #[error("audience mismatch: the material has no group for this kind of recipient")]
    AudienceMismatch,
    /// The index's list is older than the maximum age set for it
    /// ([`crate::Index::set_max_age`]): publish a newer index.
    #[error(
        "stale index: the subscription list is older than the maximum age allowed; publish a newer index"
    )]
    StaleIndex,
}

impl LookupError {
    /// The number of this failure in the C ABI (`tlm_result`): 6 unknown
    /// material, 7 invalid recipient, 8 audience mismatch, 11 stale index.
    pub fn number(self) -> u32 {
        match self {
            LookupError::UnknownMaterial => 6,
            LookupError::InvalidRecipient => 7,
            LookupError::AudienceMismatch => 8,
            LookupError::StaleIndex => 11,
        }
    }

    /// The name used by the CLI and JSON output, e.g. `unknown_material`.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupError::UnknownMaterial => "unknown_material",
            LookupError::InvalidRecipient => "invalid_recipient",
            LookupError::AudienceMismatch => "audience_mismatch",
            LookupError::StaleIndex => "stale_index",
        }
    }
}

/// What the decision needs to know about a material, with dates as day numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    /// The sender system's certificate expiry, if it has one.
    pub certificate_expires: Option<Date>,
    /// Activation date of the material's group per audience (indexed by `RecipientKind`).
    pub active_from: [Option<Date>; 2],
    /// NemSMS material rather than Digital Post.
    pub nemsms: bool,
    /// Sent digitally even to exempt recipients (særlov).
    pub mandatory: bool,
    /// Per kind of recipient, the days (inclusive) on which the material
    /// leaves the decision to the contact ([`decide_material`] gives
    /// `Ok(None)`): from its group's activation to the certificate's expiry.
    /// Empty (`(1, 0)`) for a kind the material has no group for. Two
    /// compares then stand for steps 3 to 5 on almost every lookup.
    pub contact_days: [(i32, i32); 2],
    /// The two flags the contact's part of the decision reads, as one
    /// number (bit 0 NemSMS, bit 1 mandatory): which row of the index's
    /// table of answers by code byte applies.
    pub flags: u8,
}

impl Rule {
    pub(crate) fn new(
        certificate_expires: Option<Date>,
        active_from: [Option<Date>; 2],
        nemsms: bool,
        mandatory: bool,
    ) -> Rule {
        let until = certificate_expires.map_or(i32::MAX, Date::days);
        Rule {
            certificate_expires,
            active_from,
            nemsms,
            mandatory,
            contact_days: active_from.map(|from| from.map_or((1, 0), |from| (from.days(), until))),
            flags: u8::from(nemsms) | u8::from(mandatory) << 1,
        }
    }

    /// Whether the material leaves the decision for a recipient of `kind`
    /// on `date` to the contact: [`decide_material`] would give `Ok(None)`.
    #[inline(always)]
    pub(crate) fn contact_decides(&self, kind: RecipientKind, date: Date) -> bool {
        let (from, until) = self.contact_days[kind as usize];
        (from..=until).contains(&date.days())
    }
}

/// What the decision needs to know about a recipient found in the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ContactState {
    pub status: Status,
    pub registration: Registration,
    pub nemsms: bool,
    /// Inclusive exemption window; `None` ends mean unbounded.
    pub exemption: Option<(Option<Date>, Option<Date>)>,
}

impl ContactState {
    fn exempt_on(&self, date: Date) -> bool {
        if self.status != Status::Exempt {
            return false;
        }
        match self.exemption {
            None => true,
            Some((start, end)) => {
                start.is_none_or(|start| start <= date) && end.is_none_or(|end| date <= end)
            }
        }
    }
}

/// Steps 3 to 5 of the decision table (steps 1 and 2 are the caller's:
/// finding the material and parsing the recipient): what the material
/// decides on its own, the same for every recipient of `kind`. `Ok(None)`: the contact decides ([`decide_contact`]).
#[inline]
pub(crate) fn decide_material(
    rule: &Rule,
    kind: RecipientKind,
    date: Date,
) -> Result<Option<Answer>, LookupError> {
    let Some(active_from) = rule.active_from[kind as usize] else {
        return Err(LookupError::AudienceMismatch);
    };
    if rule
        .certificate_expires
        .is_some_and(|expires| date > expires)
    {
        return Ok(Some(Answer::new(
            Channel::Physical,
            Reason::SenderCertificateExpired,
        )));
    }
    if date < active_from {
        return Ok(Some(Answer::new(Channel::Physical, Reason::GroupNotActive)));
    }
    Ok(None)
}

/// Steps 6 to 11: what the contact decides, once [`decide_material`] let
/// it. Of the material it reads only `nemsms` and `mandatory`; `date` only
/// matters to a contact with an exemption window.
#[inline]
pub(crate) fn decide_contact(rule: &Rule, contact: Option<ContactState>, date: Date) -> Answer {
    use Channel::*;
    use Reason::*;

    let contact = match contact {
        Some(c) if c.status != Status::Unknown => c,
        _ => return Answer::new(Physical, NotRegistered),
    };
    if contact.status == Status::Closed {
        return Answer::new(Physical, Closed);
    }
    if contact.registration.is_pending() {
        return Answer::new(Physical, PendingRegistration);
    }
    if contact.exempt_on(date) {
        return if rule.mandatory && !rule.nemsms {
            Answer::new(Digital, MandatoryDespiteExemption)
        } else {
            Answer::new(Physical, Exempt)
        };
    }
    match (rule.nemsms, contact.nemsms) {
        (true, true) => Answer::new(Nemsms, Registered),
        (true, false) => Answer::new(Physical, NoNemsms),
        (false, _) => Answer::new(Digital, Registered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two compares of `contact_decides` say what `decide_material`
    /// says, on the days around every boundary, for every kind.
    #[test]
    fn contact_days_agree_with_decide_material() {
        let day = |d: i32| Date::from_days(d).unwrap();
        let (from, expires) = (day(20_000), day(20_100));
        for certificate in [None, Some(expires), Some(day(19_990))] {
            for active_from in [
                [Some(from), None],
                [None, Some(from)],
                [None, None],
                [Some(day(19_000)), Some(from)],
            ] {
                let rule = Rule::new(certificate, active_from, false, false);
                for kind in RecipientKind::ALL {
                    for d in [
                        19_000, 19_989, 19_990, 19_991, 19_999, 20_000, 20_001, 20_099, 20_100,
                        20_101,
                    ] {
                        let decides = matches!(decide_material(&rule, kind, day(d)), Ok(None));
                        assert_eq!(
                            rule.contact_decides(kind, day(d)),
                            decides,
                            "{certificate:?} {active_from:?} {kind:?} {d}"
                        );
                    }
                }
            }
        }
    }
}
