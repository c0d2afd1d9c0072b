//! The contact's part of a lookup: from the code byte (and, rarely, the
//! exemption window) the register holds to the answer of the decision table.

use crate::date::Date;
use crate::decision::{Answer, Channel, ContactState, Reason, Rule, decide_contact};
use crate::format::{Code, Probe, Register};

/// [`decide_contact`] for every code byte without an exemption window
/// (whose answer cannot depend on the date), for each combination of the two
/// material flags it reads: the last step of a lookup becomes one table read
/// instead of a chain of branches on the contact. 2 KiB, built at open.
pub(super) struct CodeAnswers([[Answer; 256]; 4]);

impl CodeAnswers {
    pub(super) fn new() -> Box<CodeAnswers> {
        let mut answers = Box::new(CodeAnswers(
            [[Answer::new(Channel::Physical, Reason::NotRegistered); 256]; 4],
        ));
        for (flags, table) in answers.0.iter_mut().enumerate() {
            let rule = Rule::new(None, [None; 2], flags & 1 != 0, flags & 2 != 0);
            for (code, answer) in table.iter_mut().enumerate() {
                // Codes with a window are answered by `decide_contact`
                // itself; their entries here are never read.
                let contact = contact_state(Code(code as u8), None);
                *answer = decide_contact(&rule, Some(contact), Date::MIN);
            }
        }
        answers
    }

    #[inline(always)]
    fn get(&self, rule: &Rule, code: Code) -> Answer {
        self.0[usize::from(rule.flags & 3)][usize::from(code.0)]
    }

    /// Steps 6 to 11 of the decision for the probed key (`None`: a key the
    /// register cannot have), once the material let the contact decide.
    /// `bytes` is the whole file; a batch has prefetched the probed block.
    #[inline(always)]
    pub(super) fn answer(
        &self,
        register: &Register,
        bytes: &[u8],
        probe: Option<&Probe>,
        rule: &Rule,
        date: Date,
    ) -> Answer {
        let code = code_of(register, bytes, probe);
        if code.has_window() {
            // Only a code the register holds has a window, so there is a probe.
            with_window(
                register,
                bytes,
                probe.map_or(0, Probe::key),
                code,
                rule,
                date,
            )
        } else {
            self.get(rule, code)
        }
    }

    /// [`CodeAnswers::answer`] for a contact without an exemption window
    /// (or not in the register); `None` for one with, whose answer needs
    /// the window and the date.
    #[inline(always)]
    pub(super) fn without_window(
        &self,
        register: &Register,
        bytes: &[u8],
        probe: Option<&Probe>,
        rule: &Rule,
    ) -> Option<Answer> {
        let code = code_of(register, bytes, probe);
        (!code.has_window()).then(|| self.get(rule, code))
    }
}

/// The probed key's code byte; a key the register does not have (or cannot
/// have: no probe) has the code of an unknown status.
#[inline(always)]
fn code_of(register: &Register, bytes: &[u8], probe: Option<&Probe>) -> Code {
    // A `match`, not `map_or`: the closure was left out of line in the C
    // ABI's lookups, a call and 60 instructions.
    match probe {
        Some(probe) => register.lookup_code(bytes, probe),
        None => Code::ABSENT,
    }
}

/// [`CodeAnswers::answer`] for the few contacts with an exemption window,
/// whose answer depends on the date.
#[cold]
fn with_window(
    register: &Register,
    bytes: &[u8],
    key: u32,
    code: Code,
    rule: &Rule,
    date: Date,
) -> Answer {
    let window = register.window(bytes, key).unwrap_or((None, None));
    decide_contact(rule, Some(contact_state(code, Some(window))), date)
}

/// The contact a code byte (and its window, if it has one) stands for.
fn contact_state(code: Code, exemption: Option<(Option<Date>, Option<Date>)>) -> ContactState {
    ContactState {
        status: code.status(),
        registration: code.registration(),
        nemsms: code.nemsms(),
        exemption,
    }
}
