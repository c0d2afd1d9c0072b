package dk.tilmelding;

/**
 * A call into libtilmelding failed: {@link #code()} says how, and the
 * message is the library's detail for it ({@code tlm_last_error_message},
 * which names the file, the argument or the masked recipient, and never
 * holds a full CPR number).
 */
public class TilmeldingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the call failed. */
    private final ResultCode code;

    /**
     * An exception for {@code code} with {@code message}.
     *
     * @param code why the call failed; not {@link ResultCode#OK}
     * @param message the library's detail
     */
    public TilmeldingException(ResultCode code, String message) {
        super(message);
        this.code = java.util.Objects.requireNonNull(code, "code");
    }

    /** Why the call failed. */
    public ResultCode code() {
        return code;
    }
}
