package dk.tilmelding;

/**
 * The C ABI as {@link Index} and {@link Reader} call it, independent of how
 * Java reaches native code: handles are {@code long} addresses (never 0 for
 * an open one), strings go in as NUL-terminated UTF-8 ({@link #cString}),
 * and a failed call throws {@link Index#failure} with the library's message.
 *
 * <p>Two implementations: {@link JnaCalls} (JNA direct mapping, Java 17+)
 * and, in the jar's {@code META-INF/versions/22}, one over the Foreign
 * Function and Memory API, chosen by {@link Implementation}. Package-private.
 */
abstract class Calls {
    /** The implementation in use, loaded (with the native library) on first use. */
    static Calls get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Calls INSTANCE = Implementation.load();
    }

    /** {@code "jna"} or {@code "ffm"}. */
    abstract String name();

    abstract long indexOpen(byte[] path);

    abstract long indexOpenVerified(byte[] path);

    abstract long indexLoad(byte[] path);

    abstract void indexVerify(long index);

    abstract void indexClose(long index);

    /** {@code tlm_index_lookup}, or {@code tlm_reader_lookup} if {@code reader}. */
    abstract Answer lookup(long handle, boolean reader, String material, String recipient, int date);

    /** {@code tlm_index_material}: the material's number. */
    abstract int material(long index, byte[] id);

    abstract Answer lookupNumber(long index, int material, int kind, long recipient, int date);

    /** {@code tlm_index_lookup_batch}, or {@code tlm_reader_lookup_batch} if {@code reader}. */
    abstract Answer[] lookupBatch(long handle, boolean reader, byte[] material, int kind, long[] recipients, int date);

    abstract Info info(long index);

    abstract String snapshotId(long index);

    abstract void indexSetMaxAge(long index, long seconds);

    abstract long readerOpen(byte[] path);

    abstract void readerClose(long reader);

    /** Whether the refresh replaced the index. */
    abstract boolean readerRefresh(long reader);

    abstract void readerRefreshEvery(long reader, long intervalMs);

    /** The last background refresh's failure, or {@code null}. */
    abstract String readerRefreshError(long reader);

    abstract void readerSetMaxAge(long reader, long seconds);

    /** {@code tlm_reader_current}: a new index handle, owned by the caller. */
    abstract long readerCurrent(long reader);

    abstract String version();

    abstract String strerror(int result);

    /** {@code tlm_channel_name}, or {@code null} past the last channel. */
    abstract String channelName(int channel);

    /** {@code tlm_reason_name}, or {@code null} past the last reason. */
    abstract String reasonName(int reason);

    /** This thread's last error message: call it right after the failing call. */
    abstract String lastErrorMessage();

    /** {@code TLM_SNAPSHOT_ID_LEN}. */
    static final int SNAPSHOT_ID_LEN = 64;

    /** {@code sizeof(tlm_answer)}. */
    static final int ANSWER_SIZE = 8;

    /**
     * {@code s} as NUL-terminated UTF-8. Rejects what C would misread: a NUL
     * inside the string (C would see only the part before it) and unpaired
     * surrogates (which {@link String#getBytes} would silently turn into '?').
     */
    static byte[] cString(String s, String what) {
        int n = s.length();
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw new IllegalArgumentException(what + " contains a NUL character");
            }
            if (c >= 0x80) {
                ascii = false;
            }
        }
        if (ascii) {
            byte[] out = new byte[n + 1];
            for (int i = 0; i < n; i++) {
                out[i] = (byte) s.charAt(i);
            }
            return out;
        }
        java.nio.ByteBuffer encoded;
        try {
            encoded = java.nio.charset.StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(s));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid Unicode (unpaired surrogate)", e);
        }
        byte[] out = new byte[encoded.remaining() + 1];
        encoded.get(out, 0, out.length - 1);
        return out;
    }

    /** The text of a NUL-terminated buffer. */
    static String until0(byte[] buf, java.nio.charset.Charset charset) {
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, charset);
    }
}
