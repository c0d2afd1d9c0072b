package dk.tilmelding;

/** The channel a letter takes: {@code tlm_channel} in {@code tilmelding.h}, same numbers. */
public enum Channel {
    /** {@code TLM_CHANNEL_NONE}: no answer (the answer is an error). */
    NONE(0),
    /** {@code TLM_CHANNEL_DIGITAL}: Digital Post (channel code D). */
    DIGITAL(1),
    /** {@code TLM_CHANNEL_NEMSMS}: NemSMS (channel code S). */
    NEMSMS(2),
    /** {@code TLM_CHANNEL_PHYSICAL}: physical post, on paper (channel code F). */
    PHYSICAL(3);

    private static final Channel[] BY_CODE = values();

    private final int code;

    Channel(int code) {
        this.code = code;
    }

    /** The number in {@code tilmelding.h}. */
    public int code() {
        return code;
    }

    /** The name the CLI prints, from the native library ({@code tlm_channel_name}): {@code digital}, {@code nemsms}, {@code physical} (or {@code none}). */
    public String text() {
        return Names.of(Names.CHANNELS, code, "tlm_channel");
    }

    /**
     * The constant with number {@code code}.
     *
     * @throws IllegalArgumentException if the number is not one this binding knows
     */
    public static Channel fromCode(int code) {
        if (code >= 0 && code < BY_CODE.length && BY_CODE[code].code == code) {
            return BY_CODE[code];
        }
        throw new IllegalArgumentException("unknown tlm_channel " + code);
    }
}
