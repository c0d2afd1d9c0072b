package dk.tilmelding;

import java.nio.ByteBuffer;

/**
 * One answer: where a letter goes ({@link #channel()}) and why
 * ({@link #reason()}); or, as an element of
 * {@link Index#lookupBatch}, why this recipient has no answer
 * ({@link #result()} is not {@link ResultCode#OK}, {@link #isError()} is true,
 * and channel and reason are {@code NONE}).
 *
 * <p>Immutable; instances are shared (there are only a few hundred distinct
 * answers), so compare with {@link #equals}, which also works, or {@code ==}.
 */
public final class Answer {
    private static final int RESULTS = ResultCode.values().length;
    private static final int CHANNELS = Channel.values().length;
    private static final int REASONS = Reason.values().length;
    private static final Answer[] ALL = new Answer[RESULTS * CHANNELS * REASONS];

    static {
        for (ResultCode r : ResultCode.values()) {
            for (Channel c : Channel.values()) {
                for (Reason why : Reason.values()) {
                    ALL[slot(r.code(), c.code(), why.code())] = new Answer(r, c, why);
                }
            }
        }
    }

    private final ResultCode result;
    private final Channel channel;
    private final Reason reason;

    private Answer(ResultCode result, Channel channel, Reason reason) {
        this.result = result;
        this.channel = channel;
        this.reason = reason;
    }

    /** The answer with these parts. */
    public static Answer of(ResultCode result, Channel channel, Reason reason) {
        return ALL[slot(result.code(), channel.code(), reason.code())];
    }

    private static int slot(int result, int channel, int reason) {
        return (result * CHANNELS + channel) * REASONS + reason;
    }

    /** From the numbers of a {@code tlm_answer}. */
    static Answer fromCodes(int result, int channel, int reason) {
        if (result >= 0 && result < RESULTS && channel >= 0 && channel < CHANNELS
                && reason >= 0 && reason < REASONS) {
            return ALL[slot(result, channel, reason)];
        }
        throw new IllegalStateException("libtilmelding returned an answer these bindings do not know (result "
                + Integer.toUnsignedString(result) + ", channel " + channel + ", reason " + reason
                + "); are the bindings older than the library?");
    }

    /**
     * Decodes the {@code tlm_answer} at byte {@code offset} of a buffer in
     * native byte order: {@code uint32_t result} at 0, {@code uint8_t channel}
     * at 4, {@code uint8_t reason} at 5, {@code uint16_t reserved} at 6.
     */
    static Answer decode(ByteBuffer answers, int offset) {
        return fromCodes(answers.getInt(offset), answers.get(offset + 4) & 0xff, answers.get(offset + 5) & 0xff);
    }

    /** {@link ResultCode#OK}, or why there is no answer. */
    public ResultCode result() {
        return result;
    }

    /** Where the letter goes ({@link Channel#NONE} if {@link #isError()}). */
    public Channel channel() {
        return channel;
    }

    /** Why ({@link Reason#NONE} if {@link #isError()}). */
    public Reason reason() {
        return reason;
    }

    /** Whether this is no answer: {@link #result()} is not {@link ResultCode#OK}. */
    public boolean isError() {
        return result != ResultCode.OK;
    }

    /** {@code "digital registered"}, or {@code "error invalid_recipient"}: the CLI's last two words. */
    @Override
    public String toString() {
        return isError() ? "error " + result.text() : channel.text() + " " + reason.text();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Answer a && a.result == result && a.channel == channel && a.reason == reason;
    }

    @Override
    public int hashCode() {
        return slot(result.code(), channel.code(), reason.code());
    }
}
