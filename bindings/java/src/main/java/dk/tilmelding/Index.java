package dk.tilmelding;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An open tilmelding index: a memory-mapped, immutable file that answers, for
 * a letter of a material to a CPR or CVR number on a date, whether it goes by
 * Digital Post, NemSMS or paper, and why.
 *
 * <pre>{@code
 * try (Index index = Index.open("/var/lib/tilmelding/current.tlm")) {
 *     Answer a = index.lookup("100", "0101901234", LocalDate.of(2026, 11, 22));
 *     log.info("{} {} snapshot {}", a.channel(), a.reason(), index.snapshotId());
 * }
 * }</pre>
 *
 * <p>A hot loop of single lookups (a case system deciding letter after
 * letter) resolves the material once and passes recipients as numbers, so
 * that nothing is parsed or hashed per call:
 *
 * <pre>{@code
 * Material m = index.material("100");                             // once, on this index
 * Answer a = index.lookup(m, RecipientKind.CPR, 101901234L, day); // per letter: 0101901234
 * }</pre>
 *
 * <h2>Threads and lifetime</h2>
 *
 * <p>Any number of threads may call {@link #lookup}, {@link #lookupBatch},
 * {@link #material}, {@link #info}, {@link #snapshotId} and {@link #setMaxAge} on one
 * {@code Index} at once; open it once per process and share it (each thread
 * that looks up keeps 512 bytes of native scratch memory for its calls). <b>Do not call {@link #close()} while
 * another thread may still be using the index.</b> What {@code close()} does
 * to make misuse fail safely where it can:
 * <ul>
 * <li>The native handle is taken out of an {@link AtomicReference} by one
 *     atomic swap, so closing twice, or from two threads at once, frees it
 *     exactly once; later closes do nothing.</li>
 * <li>Every call reads the handle first and throws
 *     {@link IllegalStateException} if the index is closed, so a call that
 *     <em>starts</em> after {@code close()} returns fails with an exception,
 *     never a crash.</li>
 * <li>What it cannot catch cheaply: a call already inside the native library
 *     when another thread closes the index reads freed memory (undefined
 *     behaviour, possibly a JVM crash). Guarding against that would cost
 *     every lookup a shared atomic counter; instead, close only after the
 *     threads using the index have finished (e.g. after
 *     {@code ExecutorService.awaitTermination}).</li>
 * <li>An index that becomes unreachable without being closed is closed by a
 *     {@link Cleaner}; rely on {@code close()} (try-with-resources) all the
 *     same, since a mapping held until the next GC keeps the file's old
 *     version alive.</li>
 * </ul>
 *
 * <p>The file must not be truncated or rewritten in place while it is open
 * (readers would crash with SIGBUS); replace it by renaming a new file over
 * it. An {@code Index} keeps answering from the file it opened: a
 * long-running service follows the path with a {@link Reader} instead, whose
 * {@link Reader#current()} gives an {@code Index} pinned to one snapshot.
 *
 * <p>The native library {@code libtilmelding.so} is found through
 * {@code -Djna.library.path=DIR} or {@code LD_LIBRARY_PATH}.
 */
public final class Index implements AutoCloseable {
    /** Closes indexes and readers that become unreachable unclosed (one thread for both). */
    static final Cleaner CLEANER = Cleaner.create();
    private static final int ANSWER_SIZE = 8;
    /** Largest window of answers read through one ByteBuffer view (a multiple of ANSWER_SIZE). */
    private static final long WINDOW = 1L << 30;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final AtomicReference<Pointer> handle;
    private final Cleaner.Cleanable cleanable;
    private final String path;

    /** Takes over {@code handle}, from {@code tlm_index_open} or {@code tlm_reader_current}. */
    Index(Pointer handle, String path) {
        this.handle = new AtomicReference<>(handle);
        this.cleanable = CLEANER.register(this, new Free(handle));
        this.path = path;
    }

    /**
     * Native memory for one thread's lookups: the answer and both strings, so
     * that the common call passes only pointers (JNA copies Java arrays in and
     * out through the C heap on every call, which costs more than the lookup).
     * Strings that are not ASCII, or too long, take the {@code byte[]} path.
     */
    private static final class Scratch {
        private static final int OUT = 0;
        private static final int MATERIAL = 8;
        private static final int RECIPIENT = 256;
        private static final int SIZE = 512;

        final Memory memory = new Memory(SIZE);
        final ByteBuffer bytes = memory.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());
        final Pointer out = memory.share(OUT, MATERIAL - OUT);
        final Pointer material = memory.share(MATERIAL, RECIPIENT - MATERIAL);
        final Pointer recipient = memory.share(RECIPIENT, SIZE - RECIPIENT);
        /** The material whose bytes are at MATERIAL, if any. */
        private String lastMaterial;

        /** Writes both strings; false if one is not ASCII or does not fit. */
        boolean put(String materialId, String recipientText) {
            if (!materialId.equals(lastMaterial)) {
                lastMaterial = null;
                if (!putAscii(materialId, "material", MATERIAL, RECIPIENT)) {
                    return false;
                }
                lastMaterial = materialId;
            }
            return putAscii(recipientText, "recipient", RECIPIENT, SIZE);
        }

        private boolean putAscii(String s, String what, int start, int end) {
            int n = s.length();
            if (n >= end - start) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c == 0) {
                    throw new IllegalArgumentException(what + " contains a NUL character");
                }
                if (c >= 0x80) {
                    return false;
                }
                bytes.put(start + i, (byte) c);
            }
            bytes.put(start + n, (byte) 0);
            return true;
        }
    }

    /** Frees a handle; holds no reference to the {@code Index}, as a Cleaner action must not. */
    private static final class Free implements Runnable {
        private final Pointer handle;

        Free(Pointer handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Native.tlm_index_close(handle);
        }
    }

    /**
     * Opens the index file at {@code path}: maps it into memory and checks it
     * fully (header, bounds, every checksum).
     *
     * @throws TilmeldingException with {@link ResultCode#IO} (cannot open, read
     *     or map it), {@link ResultCode#CORRUPT_INDEX} or
     *     {@link ResultCode#UNSUPPORTED_VERSION}; the message names the file
     * @throws IllegalArgumentException if the path contains a NUL character
     * @throws UnsatisfiedLinkError if {@code libtilmelding.so} (or JNA's own
     *     native part) cannot be loaded
     */
    public static Index open(String path) {
        Objects.requireNonNull(path, "path");
        byte[] cpath = Native.cString(path, "path");
        try (Memory out = new Memory(com.sun.jna.Native.POINTER_SIZE)) {
            int rc = Native.tlm_index_open(cpath, out);
            if (rc != 0) {
                throw failure(rc);
            }
            return new Index(out.getPointer(0), path);
        }
    }

    /**
     * Opens the index file at {@code path} (on the default file system); as
     * {@link #open(String)}.
     */
    public static Index open(Path path) {
        Objects.requireNonNull(path, "path");
        if (path.getFileSystem() != FileSystems.getDefault()) {
            throw new IllegalArgumentException("an index must be a file on the default file system: " + path.toUri());
        }
        return open(path.toString());
    }

    /**
     * Which channel a letter of {@code material} to {@code recipient} takes
     * today (in Danish time), and why. As {@link #lookup(String, String, LocalDate)}.
     * The library works out today's Danish date on every such call (a few
     * hundred nanoseconds); in a tight loop, pass the date instead.
     */
    public Answer lookup(String material, String recipient) {
        return lookupAt(material, recipient, 0);
    }

    /**
     * Which channel a letter of {@code material} to {@code recipient} takes on
     * {@code date}, and why. Allocates only the call's small arguments; safe
     * from any number of threads at once.
     *
     * @param material the material ID, as registered in the Administrationsportal
     * @param recipient a CPR ({@code DDMMYYSSSS} or {@code DDMMYY-SSSS}) or CVR
     *     ({@code 12345678}, {@code DK12345678}) number
     * @param date the date of sending
     * @return the answer; never an error answer ({@link Answer#isError()} is false)
     * @throws TilmeldingException with {@link ResultCode#UNKNOWN_MATERIAL},
     *     {@link ResultCode#INVALID_RECIPIENT} or {@link ResultCode#AUDIENCE_MISMATCH}
     *     (or {@link ResultCode#INVALID_ARGUMENT} for a date the library rejects)
     * @throws IllegalArgumentException if a string contains a NUL character or
     *     an unpaired surrogate, or the year is outside 1..9999
     * @throws IllegalStateException if the index is closed
     */
    public Answer lookup(String material, String recipient, LocalDate date) {
        return lookupAt(material, recipient, yyyymmdd(date));
    }

    private Answer lookupAt(String material, String recipient, int date) {
        Objects.requireNonNull(material, "material");
        Objects.requireNonNull(recipient, "recipient");
        try {
            return lookupOn(handle(), false, material, recipient, date);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code tlm_index_lookup}, or {@code tlm_reader_lookup} if {@code reader}, on
     * {@code handle}, through this thread's scratch memory. The caller keeps
     * the owner of {@code handle} reachable until this returns.
     */
    static Answer lookupOn(Pointer handle, boolean reader, String material, String recipient, int date) {
        Scratch scratch = SCRATCH.get();
        int rc;
        if (scratch.put(material, recipient)) {
            rc = reader
                    ? Native.tlm_reader_lookup(handle, scratch.material, scratch.recipient, date, scratch.out)
                    : Native.tlm_index_lookup(handle, scratch.material, scratch.recipient, date, scratch.out);
        } else {
            byte[] m = Native.cString(material, "material");
            byte[] r = Native.cString(recipient, "recipient");
            rc = reader
                    ? Native.tlm_reader_lookup(handle, m, r, date, scratch.out)
                    : Native.tlm_index_lookup(handle, m, r, date, scratch.out);
        }
        if (rc != 0) {
            throw failure(rc);
        }
        return Answer.decode(scratch.bytes, 0);
    }

    /**
     * Resolves a material ID once, for the single lookups of a hot loop
     * ({@link #lookup(Material, RecipientKind, long, LocalDate)}), which then
     * neither hash the ID nor parse the recipient on each call.
     *
     * <p>The material belongs to this {@code Index} object: the number behind
     * it is valid on this index only, since another index file (a newer list,
     * or the snapshot a {@link Reader} serves after a refresh) may number its
     * materials differently. That is why {@link Reader} has no such method:
     * resolve on an {@code Index} from {@link Reader#current()} and look up on
     * that same {@code Index}. Safe from any number of threads at once.
     *
     * @param id the material ID, as registered in the Administrationsportal
     * @return the resolved material, for lookups on this index
     * @throws TilmeldingException with {@link ResultCode#UNKNOWN_MATERIAL} if
     *     the index has no material {@code id}
     * @throws IllegalArgumentException if {@code id} contains a NUL character
     *     or an unpaired surrogate
     * @throws IllegalStateException if the index is closed
     */
    public Material material(String id) {
        byte[] m = Native.cString(Objects.requireNonNull(id, "id"), "material");
        Scratch scratch = SCRATCH.get();
        int rc;
        try {
            rc = Native.tlm_index_material(handle(), m, scratch.out);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (rc != 0) {
            throw failure(rc);
        }
        return new Material(this, scratch.bytes.getInt(Scratch.OUT), id);
    }

    /**
     * Which channel a letter of {@code material} to {@code recipient} takes
     * today (in Danish time), and why. As
     * {@link #lookup(Material, RecipientKind, long, LocalDate)}. The library
     * works out today's Danish date on every such call (a few hundred
     * nanoseconds); in a tight loop, pass the date instead.
     */
    public Answer lookup(Material material, RecipientKind kind, long recipient) {
        return lookupNumberAt(material, kind, recipient, 0);
    }

    /**
     * Which channel a letter of {@code material} to {@code recipient} takes on
     * {@code date}, and why: {@link #lookup(String, String, LocalDate)} for hot
     * loops, with the material resolved once by {@link #material(String)} and
     * the recipient as a number, as in {@link #lookupBatch}. Nothing is
     * parsed, hashed or allocated per call (the answer comes back through
     * this thread's scratch memory). Safe from any number of threads at once.
     *
     * @param material a material resolved by {@link #material(String)} on this
     *     {@code Index} object
     * @param kind {@link RecipientKind#CPR}: the ten digits DDMMYYSSSS read as
     *     one integer (0101901234 is {@code 101901234L});
     *     {@link RecipientKind#CVR}: the eight-digit number
     * @param recipient the number, read as unsigned 64 bits (a negative
     *     {@code long} is a huge number, hence invalid)
     * @param date the date of sending
     * @return the answer; never an error answer ({@link Answer#isError()} is false)
     * @throws TilmeldingException with {@link ResultCode#INVALID_RECIPIENT}
     *     (not a valid number of {@code kind}), {@link ResultCode#AUDIENCE_MISMATCH}
     *     (no group of the material for {@code kind}), {@link ResultCode#STALE_INDEX}
     *     (see {@link #setMaxAge}) or {@link ResultCode#INVALID_ARGUMENT} (a
     *     date the library rejects)
     * @throws IllegalArgumentException if {@code material} was resolved by
     *     another {@code Index}, or the year is outside 1..9999
     * @throws IllegalStateException if the index is closed
     */
    public Answer lookup(Material material, RecipientKind kind, long recipient, LocalDate date) {
        return lookupNumberAt(material, kind, recipient, yyyymmdd(date));
    }

    private Answer lookupNumberAt(Material material, RecipientKind kind, long recipient, int date) {
        Objects.requireNonNull(material, "material");
        int k = Objects.requireNonNull(kind, "kind").code();
        if (material.index() != this) {
            throw new IllegalArgumentException("material " + material.id() + " was resolved by another Index ("
                    + material.index().path() + "): resolve it again with material(String) on this one ("
                    + path + ")");
        }
        Scratch scratch = SCRATCH.get();
        int rc;
        try {
            rc = Native.tlm_index_lookup_number(handle(), material.code(), k, recipient, date, scratch.out);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (rc != 0) {
            throw failure(rc);
        }
        return Answer.decode(scratch.bytes, Scratch.OUT);
    }

    /**
     * Looks up many recipients of one kind for {@code material} today (in
     * Danish time). As {@link #lookupBatch(String, RecipientKind, long[], LocalDate)}.
     */
    public Answer[] lookupBatch(String material, RecipientKind kind, long[] recipients) {
        return lookupBatchAt(material, kind, recipients, 0);
    }

    /**
     * Looks up {@code recipients}, all of one {@code kind}, for a letter of
     * {@code material} on {@code date}, in one native call: the way to answer
     * a mass mailing. Safe from any number of threads at once.
     *
     * @param kind {@link RecipientKind#CPR}: each number is the ten digits
     *     DDMMYYSSSS read as one integer (0101901234 is {@code 101901234L});
     *     {@link RecipientKind#CVR}: the eight-digit number
     * @return one answer per recipient, in order; a number that is not a valid
     *     CPR/CVR number gets an error answer ({@link Answer#isError()},
     *     {@link ResultCode#INVALID_RECIPIENT}) and the batch goes on
     * @throws TilmeldingException for the whole batch: {@link ResultCode#UNKNOWN_MATERIAL},
     *     {@link ResultCode#AUDIENCE_MISMATCH} (no group of the material for
     *     {@code kind}) or {@link ResultCode#INVALID_ARGUMENT} (a date the library rejects)
     * @throws IllegalArgumentException as {@link #lookup(String, String, LocalDate)}
     * @throws IllegalStateException if the index is closed
     */
    public Answer[] lookupBatch(String material, RecipientKind kind, long[] recipients, LocalDate date) {
        return lookupBatchAt(material, kind, recipients, yyyymmdd(date));
    }

    private Answer[] lookupBatchAt(String material, RecipientKind kind, long[] recipients, int date) {
        byte[] m = Native.cString(Objects.requireNonNull(material, "material"), "material");
        int k = Objects.requireNonNull(kind, "kind").code();
        Objects.requireNonNull(recipients, "recipients");
        try {
            return lookupBatchOn(handle(), false, m, k, recipients, date);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * {@code tlm_index_lookup_batch}, or {@code tlm_reader_lookup_batch} if
     * {@code reader}, on {@code handle}. The caller keeps the owner of
     * {@code handle} reachable until this returns.
     */
    static Answer[] lookupBatchOn(Pointer handle, boolean reader, byte[] m, int k, long[] recipients, int date) {
        int n = recipients.length;
        long bytes = (long) n * ANSWER_SIZE;
        try (Memory out = n == 0 ? null : new Memory(bytes)) {
            Native.SizeT count = new Native.SizeT(n);
            int rc = reader
                    ? Native.tlm_reader_lookup_batch(handle, m, k, recipients, count, date, out)
                    : Native.tlm_index_lookup_batch(handle, m, k, recipients, count, date, out);
            if (rc != 0) {
                throw failure(rc);
            }
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

    /**
     * Facts about the index: format version, times, counts, file size.
     *
     * @throws IllegalStateException if the index is closed
     */
    public Info info() {
        Native.TlmInfo out = new Native.TlmInfo();
        int rc;
        try {
            rc = Native.tlm_index_info(handle(), out);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (rc != 0) {
            throw failure(rc);
        }
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

    /**
     * The index's snapshot id: 64 lowercase hex digits identifying the list it
     * was built from. Log it with every answer to tie the answer to the list
     * that gave it.
     *
     * @throws IllegalStateException if the index is closed
     */
    public String snapshotId() {
        byte[] buf = new byte[Native.SNAPSHOT_ID_LEN + 1];
        int rc;
        try {
            rc = Native.tlm_index_snapshot_id(handle(), buf, new Native.SizeT(buf.length));
        } finally {
            Reference.reachabilityFence(this);
        }
        if (rc != 0) {
            throw failure(rc);
        }
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    /**
     * Refuses answers from a list that is too old: once the list's as-of time
     * ({@link Info#asOf()}) is older than {@code maxAge}, every lookup and
     * batch on this index throws {@link TilmeldingException} with
     * {@link ResultCode#STALE_INDEX}, so that an index that was not replaced in
     * time cannot silently decide a letter. {@code null} or
     * {@link Duration#ZERO} turns the check off (the default). Whole seconds;
     * a fraction counts as a second. Safe from any thread, concurrently with
     * lookups.
     *
     * <p>The setting belongs to the index, not to this object: it also applies
     * to every {@code Index} from {@link Reader#current()} on the same
     * snapshot, and to the {@link Reader} while that snapshot serves. On a
     * reader use {@link Reader#setMaxAge}, which also covers the indexes later
     * refreshes swap in.
     *
     * @param maxAge the maximum age, zero or positive; {@code null} for none
     * @throws IllegalArgumentException if {@code maxAge} is negative
     * @throws IllegalStateException if the index is closed
     */
    public void setMaxAge(Duration maxAge) {
        long seconds = maxAgeSeconds(maxAge);
        int rc;
        try {
            rc = Native.tlm_index_set_max_age(handle(), seconds);
        } finally {
            Reference.reachabilityFence(this);
        }
        if (rc != 0) {
            throw failure(rc);
        }
    }

    /** The path this index was opened from. */
    public String path() {
        return path;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return handle.get() == null;
    }

    /**
     * Unmaps the index and frees its native handle. Idempotent and safe to
     * call from several threads at once (the handle is freed exactly once);
     * afterwards every method but {@link #close()}, {@link #isClosed()} and
     * {@link #path()} throws {@link IllegalStateException}. Must not be called
     * while another thread is inside a lookup on this index: see the class
     * documentation.
     */
    @Override
    public void close() {
        if (handle.getAndSet(null) != null) {
            cleanable.clean();
        }
    }

    /** The library's version, e.g. {@code "0.1.0"} ({@code tlm_version}). */
    public static String libraryVersion() {
        return Native.staticString(Native.tlm_version());
    }

    /** The library's fixed description of a result code ({@code tlm_strerror}). */
    public static String describe(ResultCode code) {
        return Native.staticString(Native.tlm_strerror(code.code()));
    }

    @Override
    public String toString() {
        return "Index[" + path + (isClosed() ? ", closed]" : "]");
    }

    private Pointer handle() {
        Pointer h = handle.get();
        if (h == null) {
            throw new IllegalStateException("the index " + path + " is closed");
        }
        return h;
    }

    /** A maximum age as the native argument: whole seconds, rounded up; 0 (off) for null. */
    static long maxAgeSeconds(Duration maxAge) {
        if (maxAge == null) {
            return 0;
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge is negative: " + maxAge);
        }
        long seconds = maxAge.getSeconds();
        if (maxAge.getNano() > 0 && seconds < Long.MAX_VALUE) {
            seconds++;
        }
        return seconds;
    }

    /** The exception for a failed call; fetches the message first, on this thread. */
    static RuntimeException failure(int rc) {
        String message = Native.lastErrorMessage();
        ResultCode code;
        try {
            code = ResultCode.fromCode(rc);
        } catch (IllegalArgumentException e) {
            return new IllegalStateException("libtilmelding returned result code " + Integer.toUnsignedString(rc)
                    + ", unknown to these bindings: " + message);
        }
        if (message.isEmpty()) {
            message = describe(code);
        }
        return new TilmeldingException(code, message);
    }

    /** {@code date} as the int {@code YYYYMMDD}. */
    static int yyyymmdd(LocalDate date) {
        Objects.requireNonNull(date, "date");
        int year = date.getYear();
        if (year < 1 || year > 9999) {
            throw new IllegalArgumentException("year out of range 1..9999: " + date);
        }
        return year * 10000 + date.getMonthValue() * 100 + date.getDayOfMonth();
    }
}
