package dk.tilmelding;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * {@link Calls} over JNA direct mapping ({@link Native}): about 100 ns a
 * call. JNA copies every Java array argument through the C heap, in and
 * out, on every call, which costs more than the lookup: the single lookups
 * pass the strings and the answer through per-thread native scratch memory
 * instead. Package-private.
 */
final class JnaCalls extends Calls {
    /** Largest window of answers read through one ByteBuffer view (a multiple of ANSWER_SIZE). */
    private static final long WINDOW = 1L << 30;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One thread's scratch memory, and JNA's pointers into it. */
    private static final class Scratch extends LookupScratch {
        final Pointer out;
        final Pointer material;
        final Pointer recipient;

        Scratch() {
            this(new Memory(SIZE));
        }

        private Scratch(Memory memory) {
            super(memory.getByteBuffer(0, SIZE));
            // The shared pointers keep `memory` reachable.
            out = memory.share(OUT, MATERIAL - OUT);
            material = memory.share(MATERIAL, RECIPIENT - MATERIAL);
            recipient = memory.share(RECIPIENT, SIZE - RECIPIENT);
        }
    }

    JnaCalls() {
        // Loads the library (Native's static initializer).
        Native.tlm_version();
    }

    private static void check(int rc) {
        if (rc != 0) {
            throw Index.failure(rc);
        }
    }

    /** Runs {@code open} with room for one pointer and returns the pointer it wrote. */
    private static long opened(java.util.function.ToIntFunction<Pointer> open) {
        try (Memory out = new Memory(com.sun.jna.Native.POINTER_SIZE)) {
            check(open.applyAsInt(out));
            return Pointer.nativeValue(out.getPointer(0));
        }
    }

    @Override
    String name() {
        return "jna";
    }

    @Override
    long indexOpen(byte[] path) {
        return opened(out -> Native.tlm_index_open(path, out));
    }

    @Override
    long indexOpenVerified(byte[] path) {
        return opened(out -> Native.tlm_index_open_verified(path, out));
    }

    @Override
    long indexLoad(byte[] path) {
        return opened(out -> Native.tlm_index_load(path, out));
    }

    @Override
    void indexVerify(long index) {
        check(Native.tlm_index_verify(index));
    }

    @Override
    void indexClose(long index) {
        Native.tlm_index_close(index);
    }

    @Override
    Answer lookup(long handle, boolean reader, String material, String recipient, int date) {
        Scratch scratch = SCRATCH.get();
        int rc;
        if (scratch.put(material, recipient)) {
            rc = reader
                    ? Native.tlm_reader_lookup(handle, scratch.material, scratch.recipient, date, scratch.out)
                    : Native.tlm_index_lookup(handle, scratch.material, scratch.recipient, date, scratch.out);
        } else {
            byte[] m = cString(material, "material");
            byte[] r = cString(recipient, "recipient");
            rc = reader
                    ? Native.tlm_reader_lookup(handle, m, r, date, scratch.out)
                    : Native.tlm_index_lookup(handle, m, r, date, scratch.out);
        }
        check(rc);
        return Answer.decode(scratch.bytes, Scratch.OUT);
    }

    @Override
    int material(long index, byte[] id) {
        Scratch scratch = SCRATCH.get();
        check(Native.tlm_index_material(index, id, scratch.out));
        return scratch.bytes.getInt(Scratch.OUT);
    }

    @Override
    Answer lookupNumber(long index, int material, int kind, long recipient, int date) {
        Scratch scratch = SCRATCH.get();
        check(Native.tlm_index_lookup_number(index, material, kind, recipient, date, scratch.out));
        return Answer.decode(scratch.bytes, Scratch.OUT);
    }

    @Override
    Answer[] lookupBatch(long handle, boolean reader, byte[] m, int k, long[] recipients, int date) {
        int n = recipients.length;
        long bytes = (long) n * ANSWER_SIZE;
        try (Memory out = n == 0 ? null : new Memory(bytes)) {
            Native.SizeT count = new Native.SizeT(n);
            check(reader
                    ? Native.tlm_reader_lookup_batch(handle, m, k, recipients, count, date, out)
                    : Native.tlm_index_lookup_batch(handle, m, k, recipients, count, date, out));
            Answer[] answers = new Answer[n];
            int i = 0;
            for (long start = 0; start < bytes; start += WINDOW) {
                ByteBuffer window = out.getByteBuffer(start, Math.min(WINDOW, bytes - start))
                        .order(ByteOrder.nativeOrder());
                for (int at = 0, end = window.capacity(); at < end; at += ANSWER_SIZE) {
                    answers[i++] = Answer.decode(window, at);
                }
            }
            return answers;
        }
    }

    @Override
    Info info(long index) {
        Native.TlmInfo out = new Native.TlmInfo();
        check(Native.tlm_index_info(index, out));
        return new Info(
                Short.toUnsignedInt(out.format_major),
                Short.toUnsignedInt(out.format_minor),
                Integer.toUnsignedLong(out.materials),
                Integer.toUnsignedLong(out.groups),
                Integer.toUnsignedLong(out.sender_systems),
                Instant.ofEpochSecond(out.build_time),
                Instant.ofEpochSecond(out.as_of),
                out.cpr_contacts,
                out.cvr_contacts,
                out.file_size);
    }

    @Override
    String snapshotId(long index) {
        byte[] buf = new byte[SNAPSHOT_ID_LEN + 1];
        check(Native.tlm_index_snapshot_id(index, buf, new Native.SizeT(buf.length)));
        return until0(buf, StandardCharsets.US_ASCII);
    }

    @Override
    void indexSetMaxAge(long index, long seconds) {
        check(Native.tlm_index_set_max_age(index, seconds));
    }

    @Override
    long readerOpen(byte[] path) {
        return opened(out -> Native.tlm_reader_open(path, out));
    }

    @Override
    void readerClose(long reader) {
        Native.tlm_reader_close(reader);
    }

    @Override
    boolean readerRefresh(long reader) {
        try (Memory replaced = new Memory(4)) {
            replaced.setInt(0, 0);
            check(Native.tlm_reader_refresh(reader, replaced));
            return replaced.getInt(0) != 0;
        }
    }

    @Override
    void readerRefreshEvery(long reader, long intervalMs) {
        check(Native.tlm_reader_refresh_every(reader, intervalMs));
    }

    @Override
    String readerRefreshError(long reader) {
        // The background thread may replace the message between two calls,
        // so a message that did not fit is fetched again.
        byte[] buf = new byte[256];
        for (int attempt = 0; ; attempt++) {
            long needed = Native.tlm_reader_refresh_error(reader, buf, new Native.SizeT(buf.length)).longValue();
            if (needed == 0) {
                return null;
            }
            if (needed < buf.length || attempt == 3 || needed >= Integer.MAX_VALUE - 8) {
                return until0(buf, StandardCharsets.UTF_8);
            }
            buf = new byte[(int) needed + 1];
        }
    }

    @Override
    void readerSetMaxAge(long reader, long seconds) {
        check(Native.tlm_reader_set_max_age(reader, seconds));
    }

    @Override
    long readerCurrent(long reader) {
        return opened(out -> Native.tlm_reader_current(reader, out));
    }

    @Override
    String version() {
        return Native.staticString(Native.tlm_version());
    }

    @Override
    String strerror(int result) {
        return Native.staticString(Native.tlm_strerror(result));
    }

    @Override
    String channelName(int channel) {
        Pointer p = Native.tlm_channel_name(channel);
        return p == null ? null : Native.staticString(p);
    }

    @Override
    String reasonName(int reason) {
        Pointer p = Native.tlm_reason_name(reason);
        return p == null ? null : Native.staticString(p);
    }

    @Override
    String lastErrorMessage() {
        return Native.lastErrorMessage();
    }
}
