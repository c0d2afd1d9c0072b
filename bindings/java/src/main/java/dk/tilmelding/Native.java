package dk.tilmelding;

import com.sun.jna.IntegerType;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The C ABI of {@code include/tilmelding.h}, bound with JNA direct mapping
 * ({@code static native} methods registered once, about 100 ns a call).
 *
 * <p>Conventions: strings are passed as NUL-terminated UTF-8 {@code byte[]}
 * (see {@link Calls#cString}), never as {@link String}, so {@code jna.encoding}
 * plays no part; handles are their addresses as {@code long} (a pointer
 * argument on a 64-bit platform); {@code tlm_result} and
 * {@code tlm_recipient_kind} ({@code uint32_t}) are {@code int};
 * {@code size_t} is {@link SizeT}. Package-private: use {@link Index} and
 * {@link Reader}, which reach it through {@link JnaCalls}.
 */
final class Native {
    static {
        // From -Dtilmelding.library.path, the jar, or the system (NativeLoader).
        NativeLoader.load(library -> {
            com.sun.jna.Native.register(Native.class, library);
            return library;
        });
    }

    private Native() {}

    /** {@code tlm_result tlm_index_open(const char *path, tlm_index **out)}. {@code out} holds one pointer. */
    static native int tlm_index_open(byte[] path, Pointer out);

    /** {@code tlm_result tlm_index_open_verified(const char *path, tlm_index **out)}. {@code out} holds one pointer. */
    static native int tlm_index_open_verified(byte[] path, Pointer out);

    /** {@code tlm_result tlm_index_load(const char *path, tlm_index **out)}. {@code out} holds one pointer. */
    static native int tlm_index_load(byte[] path, Pointer out);

    /** {@code tlm_result tlm_index_verify(const tlm_index *index)}. */
    static native int tlm_index_verify(long index);

    /** {@code void tlm_index_close(tlm_index *index)}. */
    static native void tlm_index_close(long index);

    /**
     * {@code tlm_result tlm_index_lookup(const tlm_index *, const char *material_id,
     * const char *recipient, int32_t date_yyyymmdd, tlm_answer *out)}, with all
     * arguments in native memory: the fast path ({@link Index} keeps a
     * per-thread scratch {@link com.sun.jna.Memory}), since JNA copies every
     * Java array argument through the C heap, in and out, on every call.
     * {@code out} is one 8-byte {@code tlm_answer}.
     */
    static native int tlm_index_lookup(long index, Pointer material, Pointer recipient, int date, Pointer out);

    /** {@code tlm_index_lookup} for strings that do not fit the scratch memory or are not ASCII. */
    static native int tlm_index_lookup(long index, byte[] material, byte[] recipient, int date, Pointer out);

    /**
     * {@code tlm_result tlm_index_lookup_batch(const tlm_index *, const char *material_id,
     * tlm_recipient_kind kind, const uint64_t *recipients, size_t count,
     * int32_t date_yyyymmdd, tlm_answer *out)}; {@code out} is native memory for
     * {@code count} 8-byte {@code tlm_answer}s.
     */
    static native int tlm_index_lookup_batch(
            long index, byte[] material, int kind, long[] recipients, SizeT count, int date, Pointer out);

    /**
     * {@code tlm_result tlm_index_material(const tlm_index *, const char *material_id,
     * uint32_t *out)}; {@code out} is native memory for one {@code uint32_t}.
     */
    static native int tlm_index_material(long index, byte[] material, Pointer out);

    /**
     * {@code tlm_result tlm_index_lookup_number(const tlm_index *, uint32_t material,
     * tlm_recipient_kind kind, uint64_t recipient, int32_t date_yyyymmdd,
     * tlm_answer *out)}: numbers only, and {@code out} in the per-thread scratch
     * memory, so JNA copies nothing. {@code material} and {@code recipient}
     * are unsigned in C: the bits of the {@code int} and {@code long} are passed as they are.
     */
    static native int tlm_index_lookup_number(long index, int material, int kind, long recipient, int date, Pointer out);

    /** {@code tlm_result tlm_index_info(const tlm_index *, tlm_info *out)}. */
    static native int tlm_index_info(long index, TlmInfo out);

    /** {@code tlm_result tlm_index_set_max_age(const tlm_index *, uint64_t max_age_seconds)}. */
    static native int tlm_index_set_max_age(long index, long maxAgeSeconds);

    /** {@code tlm_result tlm_index_snapshot_id(const tlm_index *, char *buf, size_t len)}. */
    static native int tlm_index_snapshot_id(long index, byte[] buf, SizeT len);

    /** {@code tlm_result tlm_reader_open(const char *path, tlm_reader **out)}. {@code out} holds one pointer. */
    static native int tlm_reader_open(byte[] path, Pointer out);

    /** {@code void tlm_reader_close(tlm_reader *reader)}: also stops its background refresh. */
    static native void tlm_reader_close(long reader);

    /**
     * {@code tlm_result tlm_reader_refresh(const tlm_reader *, uint32_t *replaced)};
     * {@code replaced} is one {@code uint32_t} of native memory.
     */
    static native int tlm_reader_refresh(long reader, Pointer replaced);

    /** {@code tlm_result tlm_reader_refresh_every(const tlm_reader *, uint64_t interval_ms)}. */
    static native int tlm_reader_refresh_every(long reader, long intervalMs);

    /** {@code size_t tlm_reader_refresh_error(const tlm_reader *, char *buf, size_t len)}. */
    static native SizeT tlm_reader_refresh_error(long reader, byte[] buf, SizeT len);

    /** {@code tlm_result tlm_reader_set_max_age(const tlm_reader *, uint64_t max_age_seconds)}. */
    static native int tlm_reader_set_max_age(long reader, long maxAgeSeconds);

    /** {@code tlm_result tlm_reader_current(const tlm_reader *, tlm_index **out)}. {@code out} holds one pointer. */
    static native int tlm_reader_current(long reader, Pointer out);

    /** {@code tlm_reader_lookup}: {@code tlm_index_lookup} on a reader, arguments in native memory (the fast path). */
    static native int tlm_reader_lookup(long reader, Pointer material, Pointer recipient, int date, Pointer out);

    /** {@code tlm_reader_lookup} for strings that do not fit the scratch memory or are not ASCII. */
    static native int tlm_reader_lookup(long reader, byte[] material, byte[] recipient, int date, Pointer out);

    /** {@code tlm_reader_lookup_batch}: {@code tlm_index_lookup_batch} on a reader. */
    static native int tlm_reader_lookup_batch(
            long reader, byte[] material, int kind, long[] recipients, SizeT count, int date, Pointer out);

    /** {@code const char *tlm_strerror(uint32_t result)}: static, never NULL. */
    static native Pointer tlm_strerror(int result);

    /** {@code size_t tlm_last_error_message(char *buf, size_t len)}. */
    static native SizeT tlm_last_error_message(byte[] buf, SizeT len);

    /** {@code const char *tlm_version(void)}: static. */
    static native Pointer tlm_version();

    /** {@code const char *tlm_channel_name(uint32_t channel)}: static, NULL for no channel. */
    static native Pointer tlm_channel_name(int channel);

    /** {@code const char *tlm_reason_name(uint32_t reason)}: static, NULL for no reason. */
    static native Pointer tlm_reason_name(int reason);

    /** {@code TLM_SNAPSHOT_ID_LEN}. */
    static final int SNAPSHOT_ID_LEN = 64;

    /** {@code size_t}: as wide as the platform's. */
    public static final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        /** Zero (JNA needs a public no-argument constructor). */
        public SizeT() {
            this(0);
        }

        SizeT(long value) {
            super(com.sun.jna.Native.SIZE_T_SIZE, value, true);
        }
    }

    /** {@code tlm_info}; JNA lays it out by the platform's C rules. */
    @Structure.FieldOrder({
        "format_major", "format_minor", "materials", "groups", "sender_systems",
        "build_time", "as_of", "cpr_contacts", "cvr_contacts", "file_size"
    })
    public static final class TlmInfo extends Structure {
        public short format_major;
        public short format_minor;
        public int materials;
        public int groups;
        public int sender_systems;
        public long build_time;
        public long as_of;
        public long cpr_contacts;
        public long cvr_contacts;
        public long file_size;
    }

    /** A static NUL-terminated UTF-8 string from the library. */
    static String staticString(Pointer p) {
        return p == null ? "" : p.getString(0, "UTF-8");
    }

    /**
     * This thread's last error message from the library: call it right after
     * the failing call, on the same thread. Retries once with the full length
     * if the first buffer was too small.
     */
    static String lastErrorMessage() {
        byte[] buf = new byte[256];
        long needed = tlm_last_error_message(buf, new SizeT(buf.length)).longValue();
        if (needed >= buf.length) {
            if (needed >= Integer.MAX_VALUE - 8) {
                return "(error message of " + needed + " bytes not shown)";
            }
            buf = new byte[(int) needed + 1];
            needed = tlm_last_error_message(buf, new SizeT(buf.length)).longValue();
        }
        int n = (int) Math.min(needed, buf.length - 1);
        return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
