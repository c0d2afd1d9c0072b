//! From an NgDP contact to the index's facts about a recipient: the mapping
//! table of the README, row by row. Nothing else of a contact is kept.

use super::json::{Object, RawContact, RawMailbox, Scalar};
use crate::contact::{Contact, ContactRecord, Registration, Status};
use crate::date::Date;
use crate::recipient::{Cpr, Cvr, Recipient, mask_input, quote_for_message};

/// A contact mapped, with what orders two copies of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub(crate) record: ContactRecord,
    /// `(lastUpdated in Unix milliseconds, version)`; absent parts sort first.
    pub(crate) order: (i64, i64),
}

/// Why a contact was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rejection {
    /// The contact's number, masked, when it has one.
    pub(super) number: Option<String>,
    /// The JSON field at fault, e.g. `mailboxSubscription.registrationStatus`.
    pub(super) field: &'static str,
    /// What is wrong (quoting nothing personal).
    pub(super) message: String,
}

/// `type`.
const TYPES: [&str; 3] = ["CITIZEN", "COMPANY", "UNKNOWN"];

/// `publicRegistrationStatus` -> status.
const STATUSES: [(&str, Status); 4] = [
    ("REGISTERED", Status::Registered),
    ("EXEMPT", Status::Exempt),
    ("CLOSED", Status::Closed),
    ("UNKNOWN", Status::Unknown),
];

/// `registrationStatus` -> registration.
const REGISTRATIONS: [(&str, Registration); 8] = [
    ("AUTOMATIC_REGISTRATION", Registration::Automatic),
    ("VOLUNTARY_REGISTRATION", Registration::Voluntary),
    ("UNCONFIRMED_REGISTRATION", Registration::Unconfirmed),
    (
        "BEFORE_UNCONFIRMED_REGISTRATION",
        Registration::BeforeUnconfirmed,
    ),
    (
        "CREATED_AWAITING_REGISTRATION",
        Registration::AwaitingRegistration,
    ),
    (
        "EXEMPT_LEFT_THE_COUNTRY",
        Registration::ExemptLeftTheCountry,
    ),
    ("EXEMPT_OTHER_REASON", Registration::ExemptOtherReason),
    ("UNKNOWN", Registration::None),
];

/// Maps one contact (see the README's table).
pub(super) fn map(contact: &Object<RawContact>) -> Result<Mapped, Rejection> {
    let raw = match contact {
        Object::Present(raw) => raw,
        Object::Missing | Object::Null => return Err(reject(None, "contact", "null".into())),
        Object::Wrong(what) => {
            return Err(reject(None, "contact", format!("{what}, not an object")));
        }
    };
    let recipient = recipient(raw)?;
    let number = || Some(recipient.masked().to_string());
    let at = |field, message| reject(number(), field, message);

    let contact = match &raw.mailbox_subscription {
        // "Absent only for citizens who are about to enter the registration flow."
        Object::Missing | Object::Null => Contact {
            registration: Registration::AwaitingRegistration,
            ..Contact::new(Status::Registered)
        },
        Object::Wrong(what) => {
            return Err(at("mailboxSubscription", format!("{what}, not an object")));
        }
        Object::Present(mailbox) => {
            mailbox_contact(mailbox).map_err(|(field, message)| at(field, message))?
        }
    };
    let nemsms = match &raw.nem_sms_subscription {
        Object::Missing | Object::Null => false,
        Object::Wrong(what) => {
            return Err(at("nemSmsSubscription", format!("{what}, not an object")));
        }
        // A number not yet verified by PIN cannot receive.
        Object::Present(sms) => match sms.verification_time {
            Scalar::Missing | Scalar::Null => false,
            Scalar::Str { .. } => true,
            other => {
                return Err(at(
                    "nemSmsSubscription.verificationTime",
                    format!("{}, not a date-time or null", other.kind()),
                ));
            }
        },
    };
    let updated = match raw.last_updated {
        Scalar::Missing | Scalar::Null => i64::MIN,
        other => other
            .as_str()
            .and_then(|text| text.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond())
            .ok_or_else(|| {
                at(
                    "lastUpdated",
                    format!("{} is not an RFC 3339 date-time", shown(&other)),
                )
            })?,
    };
    let version = match raw.version {
        Scalar::Missing | Scalar::Null => i64::MIN,
        Scalar::Int(v) if v >= 0 => v,
        other => {
            return Err(at(
                "version",
                format!("{}, not a non-negative integer", other.kind()),
            ));
        }
    };
    Ok(Mapped {
        record: ContactRecord {
            recipient,
            contact: Contact { nemsms, ..contact },
        },
        order: (updated, version),
    })
}

/// `type` with `cprNumber` or `cvrNumber`.
fn recipient(raw: &RawContact) -> Result<Recipient, Rejection> {
    // Until the number is known to be valid, only its masked text is shown.
    let masked = [raw.cpr_number, raw.cvr_number]
        .iter()
        .find_map(|n| n.as_str().map(mask_input));
    let fail = |field, message| reject(masked.clone(), field, message);
    let kind = raw.kind.as_str();
    let (field, present, other_field, other) = match kind {
        Some("CITIZEN") => ("cprNumber", raw.cpr_number, "cvrNumber", raw.cvr_number),
        Some("COMPANY") => ("cvrNumber", raw.cvr_number, "cprNumber", raw.cpr_number),
        Some("UNKNOWN") => {
            return Err(fail(
                "type",
                "UNKNOWN: neither a citizen nor a company".into(),
            ));
        }
        Some(_) => {
            return Err(fail(
                "type",
                format!("{} is not one of {}", shown(&raw.kind), TYPES.join(", ")),
            ));
        }
        None => {
            return Err(fail(
                "type",
                format!("{}, not one of {}", raw.kind.kind(), TYPES.join(", ")),
            ));
        }
    };
    let kind = kind.unwrap_or_default();
    if !other.is_absent() {
        return Err(fail(
            other_field,
            format!("a {} has no {other_field}", kind.to_lowercase()),
        ));
    }
    let Some(text) = present.as_str() else {
        return Err(fail(
            field,
            format!("{}, not a string of digits", present.kind()),
        ));
    };
    let parsed = if field == "cprNumber" {
        text.parse::<Cpr>().map(Recipient::Cpr)
    } else {
        text.parse::<Cvr>().map(Recipient::Cvr)
    };
    parsed.map_err(|reason| {
        fail(
            field,
            format!(
                "{} is not a valid number: {reason}",
                quote_for_message(text)
            ),
        )
    })
}

/// The status, registration and exemption window of a `mailboxSubscription`.
fn mailbox_contact(mailbox: &RawMailbox) -> Result<Contact, (&'static str, String)> {
    let status = one_of(
        &mailbox.public_registration_status,
        &STATUSES,
        "mailboxSubscription.publicRegistrationStatus",
    )?;
    let registration = one_of(
        &mailbox.registration_status,
        &REGISTRATIONS,
        "mailboxSubscription.registrationStatus",
    )?;
    let mut contact = Contact {
        registration,
        ..Contact::new(status)
    };
    // The window matters only to an exempt contact.
    if status == Status::Exempt {
        contact.exemption_start = date(
            &mailbox.exemption_start,
            "mailboxSubscription.exemptionStart",
        )?;
        contact.exemption_end = date(&mailbox.exemption_end, "mailboxSubscription.exemptionEnd")?;
        if let (Some(start), Some(end)) = (contact.exemption_start, contact.exemption_end)
            && start > end
        {
            return Err((
                "mailboxSubscription.exemptionEnd",
                format!("{end} is before exemptionStart {start}"),
            ));
        }
    }
    Ok(contact)
}

/// The value of an enum field: never a default for a value not in `values`.
fn one_of<T: Copy>(
    value: &Scalar,
    values: &[(&str, T)],
    field: &'static str,
) -> Result<T, (&'static str, String)> {
    let names = || {
        values
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(text) = value.as_str() else {
        return Err((field, format!("{}, not one of {}", value.kind(), names())));
    };
    values
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| (field, format!("{} is not one of {}", shown(value), names())))
}

/// A `yyyy-MM-dd` date or null.
fn date(value: &Scalar, field: &'static str) -> Result<Option<Date>, (&'static str, String)> {
    if value.is_absent() {
        return Ok(None);
    }
    value
        .as_str()
        .and_then(|text| text.parse::<Date>().ok())
        .map(Some)
        .ok_or_else(|| {
            (
                field,
                format!(
                    "{} is not a date of the form YYYY-MM-DD or null",
                    shown(value)
                ),
            )
        })
}

/// A value fit for a message: quoted and masked if a string, else its kind.
fn shown(value: &Scalar) -> String {
    value
        .as_str()
        .map_or_else(|| value.kind().to_owned(), quote_for_message)
}

fn reject(number: Option<String>, field: &'static str, message: String) -> Rejection {
    Rejection {
        number,
        field,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Maps a contact given as JSON.
    fn mapped(json: &str) -> Result<Mapped, Rejection> {
        map(&serde_json::from_str::<Object<RawContact>>(json).expect("valid JSON"))
    }

    fn citizen(mailbox: &str) -> String {
        format!(
            r#"{{"type":"CITIZEN","cprNumber":"0101901234","version":3,"lastUpdated":"2025-10-01T08:00:00.000Z"{mailbox}}}"#
        )
    }

    fn contact(json: &str) -> Contact {
        mapped(json).unwrap().record.contact
    }

    fn with_statuses(registration: &str, public: &str) -> String {
        citizen(&format!(
            r#","mailboxSubscription":{{"registrationStatus":"{registration}","publicRegistrationStatus":"{public}"}}"#
        ))
    }

    #[test]
    fn every_status_and_registration_maps_as_the_readme_says() {
        for (public, status) in STATUSES {
            assert_eq!(
                contact(&with_statuses("AUTOMATIC_REGISTRATION", public)).status,
                status
            );
        }
        for (name, registration) in REGISTRATIONS {
            assert_eq!(
                contact(&with_statuses(name, "REGISTERED")).registration,
                registration
            );
        }
        // The table, spelled out once more so that a change to it shows here.
        let pinned = [
            ("AUTOMATIC_REGISTRATION", "automatic"),
            ("VOLUNTARY_REGISTRATION", "voluntary"),
            ("UNCONFIRMED_REGISTRATION", "unconfirmed"),
            ("BEFORE_UNCONFIRMED_REGISTRATION", "before_unconfirmed"),
            ("CREATED_AWAITING_REGISTRATION", "awaiting_registration"),
            ("EXEMPT_LEFT_THE_COUNTRY", "exempt_left_the_country"),
            ("EXEMPT_OTHER_REASON", "exempt_other_reason"),
            ("UNKNOWN", ""),
        ];
        for (ngdp, ours) in pinned {
            assert_eq!(
                contact(&with_statuses(ngdp, "REGISTERED"))
                    .registration
                    .as_str(),
                ours
            );
        }
        for (ngdp, ours) in [
            ("REGISTERED", "registered"),
            ("EXEMPT", "exempt"),
            ("CLOSED", "closed"),
            ("UNKNOWN", "unknown"),
        ] {
            assert_eq!(
                contact(&with_statuses("AUTOMATIC_REGISTRATION", ngdp))
                    .status
                    .as_str(),
                ours
            );
        }
    }

    #[test]
    fn no_subscription_is_a_registration_about_to_start() {
        let c = contact(&citizen(""));
        assert_eq!(
            (c.status, c.registration),
            (Status::Registered, Registration::AwaitingRegistration)
        );
        let c = contact(&citizen(r#","mailboxSubscription":null"#));
        assert_eq!(c.registration, Registration::AwaitingRegistration);
    }

    #[test]
    fn the_exemption_window_counts_only_when_exempt() {
        let window = r#","exemptionStart":"2024-03-01","exemptionEnd":"2024-12-31"}"#;
        let exempt = citizen(&format!(
            r#","mailboxSubscription":{{"registrationStatus":"EXEMPT_OTHER_REASON","publicRegistrationStatus":"EXEMPT"{window}"#
        ));
        let c = contact(&exempt);
        assert_eq!(c.exemption_start, Some(Date::from_ymd(2024, 3, 1).unwrap()));
        assert_eq!(c.exemption_end, Some(Date::from_ymd(2024, 12, 31).unwrap()));
        let registered = citizen(&format!(
            r#","mailboxSubscription":{{"registrationStatus":"AUTOMATIC_REGISTRATION","publicRegistrationStatus":"REGISTERED"{window}"#
        ));
        let c = contact(&registered);
        assert_eq!((c.exemption_start, c.exemption_end), (None, None));
        let open = citizen(
            r#","mailboxSubscription":{"registrationStatus":"EXEMPT_OTHER_REASON","publicRegistrationStatus":"EXEMPT","exemptionStart":null,"exemptionEnd":null}"#,
        );
        assert_eq!(contact(&open).exemption_start, None);
        let reversed = citizen(
            r#","mailboxSubscription":{"registrationStatus":"EXEMPT_OTHER_REASON","publicRegistrationStatus":"EXEMPT","exemptionStart":"2025-01-02","exemptionEnd":"2025-01-01"}"#,
        );
        assert_eq!(
            mapped(&reversed).unwrap_err().field,
            "mailboxSubscription.exemptionEnd"
        );
    }

    #[test]
    fn nemsms_needs_a_verified_number() {
        let sms = |verification: &str| {
            contact(&citizen(&format!(
                r#","nemSmsSubscription":{{"mobileNumber":"29999999"{verification}}}"#
            )))
            .nemsms
        };
        assert!(sms(r#","verificationTime":"2023-02-14T09:30:00.000Z""#));
        assert!(!sms(r#","verificationTime":null"#));
        assert!(!sms(""));
        assert!(!contact(&citizen("")).nemsms);
        assert!(!contact(&citizen(r#","nemSmsSubscription":null"#)).nemsms);
    }

    #[test]
    fn types_and_numbers() {
        let company = r#"{"type":"COMPANY","cvrNumber":"29714681"}"#;
        assert_eq!(
            mapped(company).unwrap().record.recipient,
            "29714681".parse::<Recipient>().unwrap()
        );
        let cases = [
            (r#"{"type":"UNKNOWN","cprNumber":"0101901234"}"#, "type"),
            (r#"{"type":"PERSON","cprNumber":"0101901234"}"#, "type"),
            (r#"{"cprNumber":"0101901234"}"#, "type"),
            (r#"{"type":"CITIZEN"}"#, "cprNumber"),
            (r#"{"type":"CITIZEN","cvrNumber":"29714681"}"#, "cvrNumber"),
            (
                r#"{"type":"CITIZEN","cprNumber":"0101901234","cvrNumber":"29714681"}"#,
                "cvrNumber",
            ),
            (
                r#"{"type":"COMPANY","cprNumber":"0101901234"}"#,
                "cprNumber",
            ),
            (
                r#"{"type":"CITIZEN","cprNumber":"3213901234"}"#,
                "cprNumber",
            ),
            (r#"{"type":"CITIZEN","cprNumber":101901234}"#, "cprNumber"),
            (r#"{"type":"COMPANY","cvrNumber":"29714682"}"#, "cvrNumber"),
            ("[1]", "contact"),
            ("null", "contact"),
        ];
        for (json, field) in cases {
            let rejection = mapped(json).unwrap_err();
            assert_eq!(rejection.field, field, "{json}: {rejection:?}");
            let text = format!("{rejection:?}");
            assert!(
                !text.contains("0101901234") && !text.contains("1234\""),
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_enum_values_are_errors_naming_the_masked_number() {
        let r = mapped(&with_statuses("AUTOMATIC_REGISTRATION", "SUSPENDED")).unwrap_err();
        assert_eq!(r.field, "mailboxSubscription.publicRegistrationStatus");
        assert_eq!(r.number.as_deref(), Some("010190-xxxx"));
        assert!(
            r.message
                .starts_with("\"SUSPENDED\" is not one of REGISTERED"),
            "{}",
            r.message
        );
        let r = mapped(&with_statuses("SOMETHING_NEW", "REGISTERED")).unwrap_err();
        assert_eq!(r.field, "mailboxSubscription.registrationStatus");
        let missing =
            citizen(r#","mailboxSubscription":{"registrationStatus":"AUTOMATIC_REGISTRATION"}"#);
        assert_eq!(
            mapped(&missing).unwrap_err().message,
            "missing, not one of REGISTERED, EXEMPT, CLOSED, UNKNOWN"
        );
    }

    #[test]
    fn order_is_last_updated_then_version() {
        let m = mapped(&citizen("")).unwrap();
        assert_eq!(m.order, (1_759_305_600_000, 3));
        let bare = mapped(r#"{"type":"CITIZEN","cprNumber":"0101901234"}"#).unwrap();
        assert_eq!(bare.order, (i64::MIN, i64::MIN));
        let bad =
            mapped(r#"{"type":"CITIZEN","cprNumber":"0101901234","lastUpdated":"yesterday"}"#);
        assert_eq!(bad.unwrap_err().field, "lastUpdated");
        let bad = mapped(r#"{"type":"CITIZEN","cprNumber":"0101901234","version":-1}"#);
        assert_eq!(bad.unwrap_err().field, "version");
    }

    #[test]
    fn values_of_the_wrong_type_are_never_quoted() {
        // A CPR number where an object or a status belongs.
        for json in [
            r#"{"type":"CITIZEN","cprNumber":"0101901234","mailboxSubscription":"1103851234"}"#,
            r#"{"type":"CITIZEN","cprNumber":"0101901234","mailboxSubscription":{"publicRegistrationStatus":1103851234}}"#,
            r#"{"type":"CITIZEN","cprNumber":"0101901234","nemSmsSubscription":{"verificationTime":29999999}}"#,
            r#"{"type":1103851234,"cprNumber":"0101901234"}"#,
        ] {
            let r = mapped(json).unwrap_err();
            let text = format!("{} {}", r.field, r.message);
            assert!(
                !text.contains("1103851234") && !text.contains("29999999"),
                "{text}"
            );
        }
    }
}
