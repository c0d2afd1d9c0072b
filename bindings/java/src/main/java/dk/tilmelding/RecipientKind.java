package dk.tilmelding;

/** The kind of recipient numbers in a batch: {@code tlm_recipient_kind} in {@code tilmelding.h}, same numbers. */
public enum RecipientKind {
    /**
     * {@code TLM_RECIPIENT_CPR}: CPR numbers, the ten digits DDMMYYSSSS read as
     * one integer (0101901234 is {@code 101901234L}).
     */
    CPR(0),
    /** {@code TLM_RECIPIENT_CVR}: CVR numbers, the eight-digit number. */
    CVR(1);

    private final int code;

    RecipientKind(int code) {
        this.code = code;
    }

    /** The number in {@code tilmelding.h}. */
    public int code() {
        return code;
    }

    /**
     * The constant with number {@code code}.
     *
     * @throws IllegalArgumentException if the number is not one this binding knows
     */
    public static RecipientKind fromCode(int code) {
        for (RecipientKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown tlm_recipient_kind " + Integer.toUnsignedString(code));
    }
}
