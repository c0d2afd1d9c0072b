package dk.tilmelding;

/** Why a letter takes its channel: {@code tlm_reason} in {@code tilmelding.h}, same numbers. */
public enum Reason {
    /** {@code TLM_REASON_NONE}: no answer (the answer is an error). */
    NONE(0),
    /** {@code TLM_REASON_REGISTERED}: registered for Digital Post (or, for NemSMS material, subscribes to NemSMS). */
    REGISTERED(1),
    /** {@code TLM_REASON_SENDER_CERTIFICATE_EXPIRED}: the sender system's certificate expired before the date. */
    SENDER_CERTIFICATE_EXPIRED(2),
    /** {@code TLM_REASON_GROUP_NOT_ACTIVE}: the date is before the activation date of the material's group. */
    GROUP_NOT_ACTIVE(3),
    /** {@code TLM_REASON_NOT_REGISTERED}: not in the contact register, or status unknown. */
    NOT_REGISTERED(4),
    /** {@code TLM_REASON_CLOSED}: closed (deceased or dissolved). */
    CLOSED(5),
    /** {@code TLM_REASON_PENDING_REGISTRATION}: registration unconfirmed or awaiting registration. */
    PENDING_REGISTRATION(6),
    /** {@code TLM_REASON_EXEMPT}: exempt from Digital Post on the date. */
    EXEMPT(7),
    /** {@code TLM_REASON_MANDATORY_DESPITE_EXEMPTION}: exempt, but the material is sent digitally by special law. */
    MANDATORY_DESPITE_EXEMPTION(8),
    /** {@code TLM_REASON_NO_NEMSMS}: NemSMS material, and the recipient does not subscribe to NemSMS. */
    NO_NEMSMS(9);

    private static final Reason[] BY_CODE = values();

    private final int code;

    Reason(int code) {
        this.code = code;
    }

    /** The number in {@code tilmelding.h}. */
    public int code() {
        return code;
    }

    /** The name the CLI prints, from the native library ({@code tlm_reason_name}), e.g. {@code sender_certificate_expired}. */
    public String text() {
        return Names.of(Names.REASONS, code, "tlm_reason");
    }

    /**
     * The constant with number {@code code}.
     *
     * @throws IllegalArgumentException if the number is not one this binding knows
     */
    public static Reason fromCode(int code) {
        if (code >= 0 && code < BY_CODE.length && BY_CODE[code].code == code) {
            return BY_CODE[code];
        }
        throw new IllegalArgumentException("unknown tlm_reason " + code);
    }
}
