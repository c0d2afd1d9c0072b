//! The decision table of DESIGN.md written plainly over a `BTreeMap`, as the
//! independent model that property tests and the differential fuzz target
//! compare the index with. Shares no code with `src/decision.rs`.

use std::collections::BTreeMap;

use tilmelding::{
    Answer, Channel, Contact, Date, LookupError, Reason, Recipient, RecipientKind, Registration,
    Status,
};

/// One material as the table sees it; days are day numbers since 1970-01-01.
pub struct Material {
    /// The sender system's certificate expiry, if any.
    pub expires: Option<i32>,
    /// Its groups: (aimed at companies, activation day).
    pub groups: Vec<(bool, i32)>,
    pub nemsms: bool,
    pub mandatory: bool,
}

pub fn decide(
    m: &Material,
    register: &BTreeMap<Recipient, Contact>,
    r: Recipient,
    day: i32,
) -> Result<Answer, LookupError> {
    let answer = |channel, reason| Ok(Answer { channel, reason });
    let physical = |reason| answer(Channel::Physical, reason);
    let wants_erhverv = r.kind() == RecipientKind::Cvr;
    let Some(&(_, active_from)) = m
        .groups
        .iter()
        .find(|(erhverv, _)| *erhverv == wants_erhverv)
    else {
        return Err(LookupError::AudienceMismatch);
    };
    if m.expires.is_some_and(|expires| day > expires) {
        return physical(Reason::SenderCertificateExpired);
    }
    if day < active_from {
        return physical(Reason::GroupNotActive);
    }
    let Some(c) = register.get(&r) else {
        return physical(Reason::NotRegistered);
    };
    match c.status {
        Status::Unknown => return physical(Reason::NotRegistered),
        Status::Closed => return physical(Reason::Closed),
        _ => {}
    }
    if matches!(
        c.registration,
        Registration::Unconfirmed
            | Registration::BeforeUnconfirmed
            | Registration::AwaitingRegistration
    ) {
        return physical(Reason::PendingRegistration);
    }
    let today = Date::from_days(day).expect("test days are in range");
    let exempt = c.status == Status::Exempt
        && c.exemption_start.is_none_or(|s| s <= today)
        && c.exemption_end.is_none_or(|e| today <= e);
    if exempt {
        return if m.mandatory {
            answer(Channel::Digital, Reason::MandatoryDespiteExemption)
        } else {
            physical(Reason::Exempt)
        };
    }
    match (m.nemsms, c.nemsms) {
        (true, true) => answer(Channel::Nemsms, Reason::Registered),
        (true, false) => physical(Reason::NoNemsms),
        (false, _) => answer(Channel::Digital, Reason::Registered),
    }
}
