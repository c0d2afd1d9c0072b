package dk.tilmelding;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * {@link Calls} over the Foreign Function and Memory API (final in Java
 * 22): one downcall handle per function of {@code include/tilmelding.h}.
 * The single lookups pass their strings and take their answer through
 * per-thread native scratch memory, as {@link JnaCalls} does, and are linked
 * as critical functions (short, never calling back into Java), which skips
 * the thread-state transitions of an ordinary downcall. Package-private.
 */
final class FfmCalls extends Calls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /** {@code tlm_info}, laid out by the platform's C rules. */
    private static final StructLayout INFO = MemoryLayout.structLayout(
            JAVA_SHORT.withName("format_major"),
            JAVA_SHORT.withName("format_minor"),
            JAVA_INT.withName("materials"),
            JAVA_INT.withName("groups"),
            JAVA_INT.withName("sender_systems"),
            JAVA_LONG.withName("build_time"),
            JAVA_LONG.withName("as_of"),
            JAVA_LONG.withName("cpr_contacts"),
            JAVA_LONG.withName("cvr_contacts"),
            JAVA_LONG.withName("file_size"));

    private static final MethodHandle indexOpen;
    private static final MethodHandle indexOpenVerified;
    private static final MethodHandle indexLoad;
    private static final MethodHandle indexVerify;
    private static final MethodHandle indexClose;
    private static final MethodHandle indexLookup;
    private static final MethodHandle readerLookup;
    private static final MethodHandle indexMaterial;
    private static final MethodHandle indexLookupNumber;
    private static final MethodHandle indexLookupBatch;
    private static final MethodHandle readerLookupBatch;
    private static final MethodHandle indexInfo;
    private static final MethodHandle indexSnapshotId;
    private static final MethodHandle indexSetMaxAge;
    private static final MethodHandle readerOpen;
    private static final MethodHandle readerClose;
    private static final MethodHandle readerRefresh;
    private static final MethodHandle readerRefreshEvery;
    private static final MethodHandle readerRefreshError;
    private static final MethodHandle readerSetMaxAge;
    private static final MethodHandle readerCurrent;
    private static final MethodHandle strerror;
    private static final MethodHandle lastErrorMessage;
    private static final MethodHandle version;
    private static final MethodHandle channelName;
    private static final MethodHandle reasonName;

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One thread's scratch memory, and its segments. */
    private static final class Scratch extends LookupScratch {
        final MemorySegment out;
        /** {@link #out}'s address, for {@code tlm_index_lookup_number}. */
        final long outAddress;
        final MemorySegment material;
        final MemorySegment recipient;

        Scratch() {
            this(Arena.ofAuto().allocate(SIZE, 8));
        }

        private Scratch(MemorySegment memory) {
            super(memory.asByteBuffer());
            out = memory.asSlice(OUT, MATERIAL - OUT);
            outAddress = out.address();
            material = memory.asSlice(MATERIAL, RECIPIENT - MATERIAL);
            recipient = memory.asSlice(RECIPIENT, SIZE - RECIPIENT);
        }
    }

    static {
        SymbolLookup library = NativeLoader.load(path -> path.indexOf('/') >= 0
                ? SymbolLookup.libraryLookup(Path.of(path), Arena.global())
                : SymbolLookup.libraryLookup(System.mapLibraryName(path), Arena.global()));
        Binder bind = new Binder(library);
        FunctionDescriptor lookup = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
        FunctionDescriptor batch = FunctionDescriptor.of(
                JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS);
        FunctionDescriptor open = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        FunctionDescriptor handleOut = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS);
        FunctionDescriptor handleLong = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG);
        FunctionDescriptor close = FunctionDescriptor.ofVoid(JAVA_LONG);
        FunctionDescriptor name = FunctionDescriptor.of(ADDRESS, JAVA_INT);
        indexOpen = bind.call("tlm_index_open", open);
        indexOpenVerified = bind.call("tlm_index_open_verified", open);
        indexLoad = bind.call("tlm_index_load", open);
        indexVerify = bind.call("tlm_index_verify", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        indexClose = bind.call("tlm_index_close", close);
        indexLookup = bind.critical("tlm_index_lookup", lookup);
        readerLookup = bind.critical("tlm_reader_lookup", lookup);
        indexMaterial = bind.critical("tlm_index_material", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        indexLookupNumber = bind.critical("tlm_index_lookup_number",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
        indexLookupBatch = bind.call("tlm_index_lookup_batch", batch);
        readerLookupBatch = bind.call("tlm_reader_lookup_batch", batch);
        indexInfo = bind.call("tlm_index_info", handleOut);
        indexSnapshotId = bind.call("tlm_index_snapshot_id", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG));
        indexSetMaxAge = bind.call("tlm_index_set_max_age", handleLong);
        readerOpen = bind.call("tlm_reader_open", open);
        readerClose = bind.call("tlm_reader_close", close);
        readerRefresh = bind.call("tlm_reader_refresh", handleOut);
        readerRefreshEvery = bind.call("tlm_reader_refresh_every", handleLong);
        readerRefreshError = bind.call("tlm_reader_refresh_error",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
        readerSetMaxAge = bind.call("tlm_reader_set_max_age", handleLong);
        readerCurrent = bind.call("tlm_reader_current", handleOut);
        strerror = bind.call("tlm_strerror", name);
        lastErrorMessage = bind.call("tlm_last_error_message", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG));
        version = bind.call("tlm_version", FunctionDescriptor.of(ADDRESS));
        channelName = bind.call("tlm_channel_name", name);
        reasonName = bind.call("tlm_reason_name", name);
    }

    /** Downcall handles for the library's symbols. */
    private static final class Binder {
        private final SymbolLookup library;

        Binder(SymbolLookup library) {
            this.library = library;
        }

        MethodHandle call(String symbol, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(find(symbol), descriptor);
        }

        MethodHandle critical(String symbol, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(find(symbol), descriptor, CRITICAL);
        }

        private MemorySegment find(String symbol) {
            return library.find(symbol).orElseThrow(
                    () -> new UnsatisfiedLinkError("libtilmelding has no " + symbol + " (an older library?)"));
        }
    }

    /** A downcall cannot throw a checked exception; anything else is a bug here. */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }

    private static void check(int rc) {
        if (rc != 0) {
            throw Index.failure(rc);
        }
    }

    private static Answer answer(MemorySegment out) {
        return answer(out, 0);
    }

    /** The {@code tlm_answer} at byte {@code at} of {@code out}. */
    private static Answer answer(MemorySegment out, long at) {
        return Answer.fromCodes(out.get(JAVA_INT, at), Byte.toUnsignedInt(out.get(JAVA_BYTE, at + 4)),
                Byte.toUnsignedInt(out.get(JAVA_BYTE, at + 5)));
    }

    /**
     * The {@code tlm_answer} read as one native-order 64-bit word:
     * {@code uint32_t result}, then {@code uint8_t channel} and {@code reason}.
     */
    private static Answer answer(long word) {
        return LITTLE_ENDIAN
                ? Answer.fromCodes((int) word, (int) (word >>> 32) & 0xff, (int) (word >>> 40) & 0xff)
                : Answer.fromCodes((int) (word >>> 32), (int) (word >>> 24) & 0xff, (int) (word >>> 16) & 0xff);
    }

    /** Runs an open-like call with room for one pointer; returns the pointer. */
    private static long opened(MethodHandle call, Object first) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) call.invoke(first, out);
            check(rc);
            return out.get(ADDRESS, 0).address();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code tlm_result f(const char *path, T **out)}: the open functions. */
    private static long openedPath(MethodHandle call, byte[] path) {
        try (Arena arena = Arena.ofConfined()) {
            return opened(call, arena.allocateFrom(JAVA_BYTE, path));
        }
    }

    /** {@code void f(handle)}: the close functions. */
    private static void close(MethodHandle call, long handle) {
        try {
            call.invokeExact(handle);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code tlm_result f(handle, uint64_t)}: the setters. */
    private static void set(MethodHandle call, long handle, long value) {
        int rc;
        try {
            rc = (int) call.invokeExact(handle, value);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(rc);
    }

    /** {@code const char *f(uint32_t)}: a static name, or {@code null}. */
    private static String name(MethodHandle call, int code) {
        try {
            return text((MemorySegment) call.invokeExact(code));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static String text(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? null : p.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    @Override
    String name() {
        return "ffm";
    }

    @Override
    long indexOpen(byte[] path) {
        return openedPath(indexOpen, path);
    }

    @Override
    long indexOpenVerified(byte[] path) {
        return openedPath(indexOpenVerified, path);
    }

    @Override
    long indexLoad(byte[] path) {
        return openedPath(indexLoad, path);
    }

    @Override
    void indexVerify(long index) {
        int rc;
        try {
            rc = (int) indexVerify.invokeExact(index);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(rc);
    }

    @Override
    void indexClose(long index) {
        close(indexClose, index);
    }

    @Override
    Answer lookup(long handle, boolean reader, String material, String recipient, int date) {
        Scratch scratch = SCRATCH.get();
        MethodHandle call = reader ? readerLookup : indexLookup;
        int rc;
        try {
            if (scratch.put(material, recipient)) {
                rc = (int) call.invokeExact(handle, scratch.material, scratch.recipient, date, scratch.out);
            } else {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment m = arena.allocateFrom(JAVA_BYTE, cString(material, "material"));
                    MemorySegment r = arena.allocateFrom(JAVA_BYTE, cString(recipient, "recipient"));
                    rc = (int) call.invokeExact(handle, m, r, date, scratch.out);
                }
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(rc);
        return answer(scratch.out);
    }

    @Override
    int material(long index, byte[] id) {
        Scratch scratch = SCRATCH.get();
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            rc = (int) indexMaterial.invokeExact(index, arena.allocateFrom(JAVA_BYTE, id), scratch.out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(rc);
        return scratch.out.get(JAVA_INT, 0);
    }

    /**
     * The hot loop's call, kept to as few instructions as possible: a
     * lookup in a large index waits on cache misses, and a loop of them is
     * fast only because the processor overlaps one lookup's misses with the
     * next one's; a hundred or so instructions more per call stop that
     * overlap (a C loop with about 150 more instructions per call took about
     * twice as long per answer). So the out pointer goes in as a
     * segment made here from the scratch's address ({@code ofAddress}: global
     * scope, exact type, which the JIT folds away) rather than the scratch's
     * own segment (whose scope and type the call would check and acquire on
     * every call), and the answer comes back in one 8-byte read. The scratch
     * memory stays alive across the call: {@code out} is read after it.
     */
    @Override
    Answer lookupNumber(long index, int material, int kind, long recipient, int date) {
        Scratch scratch = SCRATCH.get();
        MemorySegment out = scratch.out;
        int rc;
        try {
            rc = (int) indexLookupNumber.invokeExact(index, material, kind, recipient, date,
                    MemorySegment.ofAddress(scratch.outAddress));
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(rc);
        return answer(out.get(JAVA_LONG, 0));
    }

    @Override
    Answer[] lookupBatch(long handle, boolean reader, byte[] m, int k, long[] recipients, int date) {
        int n = recipients.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment material = arena.allocateFrom(JAVA_BYTE, m);
            MemorySegment numbers = n == 0 ? MemorySegment.NULL : arena.allocateFrom(JAVA_LONG, recipients);
            MemorySegment out = n == 0 ? MemorySegment.NULL : arena.allocate((long) n * ANSWER_SIZE, 8);
            int rc = (int) (reader ? readerLookupBatch : indexLookupBatch)
                    .invokeExact(handle, material, k, numbers, (long) n, date, out);
            check(rc);
            Answer[] answers = new Answer[n];
            for (int i = 0; i < n; i++) {
                answers[i] = answer(out, (long) i * ANSWER_SIZE);
            }
            return answers;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    Info info(long index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INFO);
            int rc = (int) indexInfo.invokeExact(index, out);
            check(rc);
            return new Info(
                    Short.toUnsignedInt(out.get(JAVA_SHORT, 0)),
                    Short.toUnsignedInt(out.get(JAVA_SHORT, 2)),
                    Integer.toUnsignedLong(out.get(JAVA_INT, 4)),
                    Integer.toUnsignedLong(out.get(JAVA_INT, 8)),
                    Integer.toUnsignedLong(out.get(JAVA_INT, 12)),
                    Instant.ofEpochSecond(out.get(JAVA_LONG, 16)),
                    Instant.ofEpochSecond(out.get(JAVA_LONG, 24)),
                    out.get(JAVA_LONG, 32),
                    out.get(JAVA_LONG, 40),
                    out.get(JAVA_LONG, 48));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    String snapshotId(long index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SNAPSHOT_ID_LEN + 1);
            int rc = (int) indexSnapshotId.invokeExact(index, buf, (long) (SNAPSHOT_ID_LEN + 1));
            check(rc);
            return buf.getString(0, StandardCharsets.US_ASCII);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    void indexSetMaxAge(long index, long seconds) {
        set(indexSetMaxAge, index, seconds);
    }

    @Override
    long readerOpen(byte[] path) {
        return openedPath(readerOpen, path);
    }

    @Override
    void readerClose(long reader) {
        close(readerClose, reader);
    }

    @Override
    boolean readerRefresh(long reader) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment replaced = arena.allocate(JAVA_INT);
            int rc = (int) readerRefresh.invokeExact(reader, replaced);
            check(rc);
            return replaced.get(JAVA_INT, 0) != 0;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    void readerRefreshEvery(long reader, long intervalMs) {
        set(readerRefreshEvery, reader, intervalMs);
    }

    @Override
    String readerRefreshError(long reader) {
        // The background thread may replace the message between two calls,
        // so a message that did not fit is fetched again.
        long size = 256;
        try {
            for (int attempt = 0; ; attempt++) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(size);
                    long needed = (long) readerRefreshError.invokeExact(reader, buf, size);
                    if (needed == 0) {
                        return null;
                    }
                    if (needed < size || attempt == 3 || needed >= Integer.MAX_VALUE - 8) {
                        return buf.getString(0, StandardCharsets.UTF_8);
                    }
                    size = needed + 1;
                }
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    void readerSetMaxAge(long reader, long seconds) {
        set(readerSetMaxAge, reader, seconds);
    }

    @Override
    long readerCurrent(long reader) {
        return opened(readerCurrent, reader);
    }

    @Override
    String version() {
        try {
            return text((MemorySegment) version.invokeExact());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @Override
    String strerror(int result) {
        String s = name(strerror, result);
        return s == null ? "" : s;
    }

    @Override
    String channelName(int channel) {
        return name(channelName, channel);
    }

    @Override
    String reasonName(int reason) {
        return name(reasonName, reason);
    }

    @Override
    String lastErrorMessage() {
        try (Arena arena = Arena.ofConfined()) {
            long size = 256;
            MemorySegment buf = arena.allocate(size);
            long needed = (long) lastErrorMessage.invokeExact(buf, size);
            if (needed >= size) {
                if (needed >= Integer.MAX_VALUE - 8) {
                    return "(error message of " + needed + " bytes not shown)";
                }
                size = needed + 1;
                buf = arena.allocate(size);
                needed = (long) lastErrorMessage.invokeExact(buf, size);
            }
            return buf.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
