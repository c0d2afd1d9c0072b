//! The contact register's facts about one recipient, as the index stores
//! them: status, registration detail, exemption window and NemSMS.

use crate::date::Date;
use crate::recipient::Recipient;

/// A recipient's public registration status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// Registered for Digital Post.
    Registered = 0,
    /// Exempt from Digital Post (fritaget).
    Exempt = 1,
    /// Closed: deceased or dissolved.
    Closed = 2,
    /// Status unknown.
    Unknown = 3,
}

impl Status {
    /// Every status, in number order.
    pub const ALL: [Status; 4] = [
        Status::Registered,
        Status::Exempt,
        Status::Closed,
        Status::Unknown,
    ];

    /// The name used in the extract, e.g. `registered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Exempt => "exempt",
            Status::Closed => "closed",
            Status::Unknown => "unknown",
        }
    }

    /// The status with this number (as in the index's contact codes).
    pub(crate) fn from_bits(bits: u8) -> Status {
        Status::ALL[usize::from(bits & 0b11)]
    }
}

/// Detail of how a recipient came to its status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Registration {
    /// Not given.
    #[default]
    None = 0,
    /// Registered automatically.
    Automatic = 1,
    /// Registered voluntarily.
    Voluntary = 2,
    /// Registration not yet confirmed (grace period).
    Unconfirmed = 3,
    /// Before the unconfirmed period.
    BeforeUnconfirmed = 4,
    /// Turning 15 soon; will be registered.
    AwaitingRegistration = 5,
    /// Exempt: left the country.
    ExemptLeftTheCountry = 6,
    /// Exempt for another reason.
    ExemptOtherReason = 7,
}

impl Registration {
    /// Every registration detail, in number order.
    pub const ALL: [Registration; 8] = [
        Registration::None,
        Registration::Automatic,
        Registration::Voluntary,
        Registration::Unconfirmed,
        Registration::BeforeUnconfirmed,
        Registration::AwaitingRegistration,
        Registration::ExemptLeftTheCountry,
        Registration::ExemptOtherReason,
    ];

    /// The name used in the extract (empty for [`Registration::None`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::None => "",
            Registration::Automatic => "automatic",
            Registration::Voluntary => "voluntary",
            Registration::Unconfirmed => "unconfirmed",
            Registration::BeforeUnconfirmed => "before_unconfirmed",
            Registration::AwaitingRegistration => "awaiting_registration",
            Registration::ExemptLeftTheCountry => "exempt_left_the_country",
            Registration::ExemptOtherReason => "exempt_other_reason",
        }
    }

    /// True while a registration is not yet in force: no digital letters yet.
    pub const fn is_pending(self) -> bool {
        matches!(
            self,
            Registration::Unconfirmed
                | Registration::BeforeUnconfirmed
                | Registration::AwaitingRegistration
        )
    }

    pub(crate) const fn from_bits(bits: u8) -> Registration {
        Registration::ALL[(bits & 0b111) as usize]
    }
}

/// One recipient's entry in the contact register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Contact {
    /// Public registration status.
    pub status: Status,
    /// Registration detail.
    pub registration: Registration,
    /// First day of the exemption (inclusive), if limited.
    pub exemption_start: Option<Date>,
    /// Last day of the exemption (inclusive), if limited.
    pub exemption_end: Option<Date>,
    /// Subscribes to NemSMS.
    pub nemsms: bool,
}

impl Contact {
    /// A contact with this status and nothing else set.
    pub fn new(status: Status) -> Contact {
        Contact {
            status,
            registration: Registration::None,
            exemption_start: None,
            exemption_end: None,
            nemsms: false,
        }
    }
}

/// A line of the extract: who, and their entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContactRecord {
    /// The CPR or CVR number.
    pub recipient: Recipient,
    /// Their entry.
    pub contact: Contact,
}
