package dk.tilmelding;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

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
 * that looks up with JNA keeps 512 bytes of native scratch memory for its calls). <b>Do not call {@link #close()} while
 * another thread may still be using the index.</b> What {@code close()} does
 * to make misuse fail safely where it can:
 * <ul>
 * <li>The native handle is taken out of an {@link AtomicLong} by one
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
 * <p>The native library {@code libtilmelding.so} is the one the jar carries,
 * or the file or directory that {@code -Dtilmelding.library.path} names, or
 * else found through {@code -Djna.library.path=DIR} or {@code LD_LIBRARY_PATH}.
 * Java 22 and later call it through the Foreign Function and Memory API
 * (run with {@code --enable-native-access=dk.tilmelding}, or
 * {@code ALL-UNNAMED} on the class path, to keep the JVM from warning),
 * earlier ones through JNA; {@link #implementation()} says which.
 */
public final class Index implements AutoCloseable {
    /** Closes indexes and readers that become unreachable unclosed (one thread for both). */
    static final Cleaner CLEANER = Cleaner.create();
    private final AtomicLong handle;
    private final Cleaner.Cleanable cleanable;
    private final String path;

    /** Takes over {@code handle}, from {@code tlm_index_open} or {@code tlm_reader_current}. */
    Index(long handle, String path) {
        this.handle = new AtomicLong(handle);
        this.cleanable = CLEANER.register(this, new Free(handle));
        this.path = path;
    }

    /** Frees a handle; holds no reference to the {@code Index}, as a Cleaner action must not. */
    private static final class Free implements Runnable {
        private final long handle;

        Free(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Calls.get().indexClose(handle);
        }
    }

    /**
     * Opens the index file at {@code path}: maps it into memory and checks it
     * (header, bounds, every checksum; {@link #openVerified(String)} checks
     * more).
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
        return new Index(Calls.get().indexOpen(Calls.cString(path, "path")), path);
    }

    /**
     * Opens the index file at {@code path} (on the default file system); as
     * {@link #open(String)}.
     */
    public static Index open(Path path) {
        return open(defaultFileSystem(path).toString());
    }

    /** {@code path}, if it is on the default file system (the library opens it by name). */
    static Path defaultFileSystem(Path path) {
        Objects.requireNonNull(path, "path");
        if (path.getFileSystem() != FileSystems.getDefault()) {
            throw new IllegalArgumentException("an index must be a file on the default file system: " + path.toUri());
        }
        return path;
    }

    /**
     * {@link #open(String)}, and then verifies the file fully ({@link #verify()}):
     * where an index file arrives from elsewhere. About 20 ms for a national
     * index on two cores.
     *
     * @throws TilmeldingException as {@link #open(String)}; also
     *     {@link ResultCode#CORRUPT_INDEX} for a file that opens but fails
     *     verification, the message naming the file and the first problem
     * @throws IllegalArgumentException if the path contains a NUL character
     */
    public static Index openVerified(String path) {
        Objects.requireNonNull(path, "path");
        return new Index(Calls.get().indexOpenVerified(Calls.cString(path, "path")), path);
    }

    /**
     * Opens and verifies the index file at {@code path} (on the default file
     * system); as {@link #openVerified(String)}.
     */
    public static Index openVerified(Path path) {
        return openVerified(defaultFileSystem(path).toString());
    }

    /**
     * Reads the index file at {@code path} into memory of this process's own
     * (backed by huge pages where Linux grants them) instead of mapping it,
     * with {@link #open(String)}'s checks: for a server whose lookups mostly
     * find the index out of the cache, each then saves page table walks. It
     * costs the file's size in private memory per process; the index no
     * longer depends on the file, which may be replaced or removed.
     *
     * @throws TilmeldingException as {@link #open(String)}
     * @throws IllegalArgumentException if the path contains a NUL character
     */
    public static Index load(String path) {
        Objects.requireNonNull(path, "path");
        return new Index(Calls.get().indexLoad(Calls.cString(path, "path")), path);
    }

    /**
     * Loads the index file at {@code path} (on the default file system); as
     * {@link #load(String)}.
     */
    public static Index load(Path path) {
        return load(defaultFileSystem(path).toString());
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
            return Calls.get().lookup(handle(), false, material, recipient, date);
        } finally {
            Reference.reachabilityFence(this);
        }
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
        byte[] m = Calls.cString(Objects.requireNonNull(id, "id"), "material");
        try {
            return new Material(this, Calls.get().material(handle(), m), id);
        } finally {
            Reference.reachabilityFence(this);
        }
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
        try {
            return Calls.get().lookupNumber(handle(), material.code(), k, recipient, date);
        } finally {
            Reference.reachabilityFence(this);
        }
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
        byte[] m = Calls.cString(Objects.requireNonNull(material, "material"), "material");
        int k = Objects.requireNonNull(kind, "kind").code();
        Objects.requireNonNull(recipients, "recipients");
        try {
            return Calls.get().lookupBatch(handle(), false, m, k, recipients, date);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Verifies the index fully, as {@code tilmelding verify} does: recomputes
     * the snapshot id from the file and checks every section's contents, which
     * catches a file that was changed and its checksums recomputed
     * ({@link #open(String)} checks only the checksums). May run while other
     * threads look up.
     *
     * @throws TilmeldingException with {@link ResultCode#CORRUPT_INDEX} if the
     *     file fails verification; the message names the first problem
     * @throws IllegalStateException if the index is closed
     */
    public void verify() {
        try {
            Calls.get().indexVerify(handle());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Facts about the index: format version, times, counts, file size.
     *
     * @throws IllegalStateException if the index is closed
     */
    public Info info() {
        try {
            return Calls.get().info(handle());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The index's snapshot id: 64 lowercase hex digits identifying the list it
     * was built from. Log it with every answer to tie the answer to the list
     * that gave it.
     *
     * @throws IllegalStateException if the index is closed
     */
    public String snapshotId() {
        try {
            return Calls.get().snapshotId(handle());
        } finally {
            Reference.reachabilityFence(this);
        }
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
        try {
            Calls.get().indexSetMaxAge(handle(), seconds);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The path this index was opened from. */
    public String path() {
        return path;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return handle.get() == 0;
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
        if (handle.getAndSet(0) != 0) {
            cleanable.clean();
        }
    }

    /** The library's version, e.g. {@code "0.1.0"} ({@code tlm_version}). */
    public static String libraryVersion() {
        return Calls.get().version();
    }

    /** The library's fixed description of a result code ({@code tlm_strerror}). */
    public static String describe(ResultCode code) {
        return Calls.get().strerror(code.code());
    }

    /**
     * How this runtime calls the native library: {@code "ffm"} (the Foreign
     * Function and Memory API, Java 22 and later) or {@code "jna"}.
     * {@code -Dtilmelding.implementation=jna} chooses JNA on Java 22+ too.
     */
    public static String implementation() {
        return Calls.get().name();
    }

    @Override
    public String toString() {
        return "Index[" + path + (isClosed() ? ", closed]" : "]");
    }

    private long handle() {
        long h = handle.get();
        if (h == 0) {
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
        String message = Calls.get().lastErrorMessage();
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
