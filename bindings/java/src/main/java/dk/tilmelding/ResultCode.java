package dk.tilmelding;

/**
 * The outcome of a call: {@code tlm_result} in {@code tilmelding.h}, with the
 * same numbers ({@link #code()}), which are never reused.
 */
public enum ResultCode {
    /** {@code TLM_OK}: success. */
    OK(0),
    /** {@code TLM_NULL_ARGUMENT}: a required pointer argument was NULL. */
    NULL_ARGUMENT(1),
    /** {@code TLM_INVALID_ARGUMENT}: a string that is not UTF-8, an impossible date, an unknown recipient kind. */
    INVALID_ARGUMENT(2),
    /** {@code TLM_IO}: the index file could not be opened, read or mapped. */
    IO(3),
    /** {@code TLM_CORRUPT_INDEX}: the bytes are not a valid index (damaged, truncated, or not an index at all). */
    CORRUPT_INDEX(4),
    /** {@code TLM_UNSUPPORTED_VERSION}: the index was written in a format version this library does not read. */
    UNSUPPORTED_VERSION(5),
    /** {@code TLM_UNKNOWN_MATERIAL}: the material ID is not in the index. */
    UNKNOWN_MATERIAL(6),
    /** {@code TLM_INVALID_RECIPIENT}: the recipient is not a valid CPR or CVR number. */
    INVALID_RECIPIENT(7),
    /** {@code TLM_AUDIENCE_MISMATCH}: the material has no subscription group for the recipient's audience. */
    AUDIENCE_MISMATCH(8),
    /** {@code TLM_BUFFER_TOO_SMALL}: the caller's buffer is too small for the result. */
    BUFFER_TOO_SMALL(9),
    /** {@code TLM_PANIC}: an internal error (a bug) was caught at the boundary. */
    PANIC(10),
    /**
     * {@code TLM_STALE_INDEX}: the index's list is older than the maximum age
     * set for it ({@link Index#setMaxAge}, {@link Reader#setMaxAge}): publish a
     * newer index.
     */
    STALE_INDEX(11);

    private static final ResultCode[] BY_CODE = values();

    private final int code;

    ResultCode(int code) {
        this.code = code;
    }

    /** The number in {@code tilmelding.h}. */
    public int code() {
        return code;
    }

    /** The lower-case name the CLI prints, e.g. {@code invalid_recipient}. */
    public String text() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The constant with number {@code code}.
     *
     * @throws IllegalArgumentException if the number is not one this binding knows
     *     (a newer library than these bindings)
     */
    public static ResultCode fromCode(int code) {
        if (code >= 0 && code < BY_CODE.length && BY_CODE[code].code == code) {
            return BY_CODE[code];
        }
        throw new IllegalArgumentException("unknown tlm_result " + Integer.toUnsignedString(code));
    }
}
